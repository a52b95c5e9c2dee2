"""Research notes: sanitised rich text, tags, permissions and the pages."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from revline.content.models import ContentItem
from revline.research.models import NoteKind, ResearchNote
from revline.research.services import (
    persona_create,
    research_note_create,
    research_note_delete,
    research_note_update,
)
from revline.sales.models import Competitor
from revline.segments.services import segment_create

DAY = date(2025, 5, 2)
RULE = {"conditions": [{"type": "field", "field": "title", "op": "contains", "value": "VP"}]}
EVIL = (
    '<h2>Findings</h2><p onclick="steal()" style="color:red">Price <strong>matters</strong>'
    '<script>alert(1)</script></p><a href="javascript:alert(2)">x</a>'
    '<img src=x onerror="alert(3)"><a href="https://example.com/report">report</a>'
    "<iframe src=https://evil.example></iframe>"
)
CLEAN = (
    '<h2>Findings</h2><p>Price <strong>matters</strong></p><a rel="noopener noreferrer nofollow">x</a>'
    '<a href="https://example.com/report" rel="noopener noreferrer nofollow">report</a>'
)


def note(actor, **extra):
    data = {"title": "Interview", "body": "<p>Hello</p>", "kind": NoteKind.INTERVIEW, "date": DAY}
    return research_note_create(actor=actor, **{**data, **extra})


@pytest.mark.django_db
def test_body_is_sanitised_on_save(rep_a):
    saved = note(rep_a, body=EVIL)
    assert saved.body == CLEAN
    assert saved.author == rep_a


@pytest.mark.django_db
def test_body_is_sanitised_again_on_display(client, rep_a):
    # Given a body written around the service (an import, a database edit)
    saved = note(rep_a)
    ResearchNote.objects.filter(pk=saved.pk).update(body=EVIL)
    client.force_login(rep_a)
    html = client.get(reverse("research:note_detail", args=[saved.pk])).content.decode()
    body = html[html.index('id="note-body"') : html.index("</article>")]
    assert "<script" not in body and "onclick" not in body and "javascript:" not in body
    assert "onerror" not in body and "<iframe" not in body
    assert "<strong>matters</strong>" in body


@pytest.mark.django_db
def test_tags_and_linked_content(rep_a, marketer):
    persona = persona_create(actor=marketer, name="VP", definition=RULE)
    rival = Competitor.objects.create(name="Rival")
    segment = segment_create(actor=marketer, name="Hot", definition={"conditions": []})
    item = ContentItem.objects.create(title="Pricing guide", kind="blog_post")
    saved = note(
        rep_a, personas=[persona.pk], competitors=[rival.pk], segments=[segment.pk],
        informs=[item.pk],
    )  # fmt: skip
    assert list(saved.personas.all()) == [persona]
    assert list(saved.competitors.all()) == [rival]
    assert list(saved.segments.all()) == [segment]
    assert list(saved.informs.all()) == [item]
    assert list(persona.notes.all()) == [saved]


@pytest.mark.django_db
def test_detail_links_every_tag_and_the_content(client, rep_b, marketer):
    persona = persona_create(actor=marketer, name="VP", definition=RULE)
    rival = Competitor.objects.create(name="Rival")
    segment = segment_create(actor=marketer, name="Hot", definition={"conditions": []})
    item = ContentItem.objects.create(title="Pricing guide", kind="blog_post")
    saved = note(
        marketer, personas=[persona.pk], competitors=[rival.pk], segments=[segment.pk],
        informs=[item.pk],
    )  # fmt: skip
    client.force_login(rep_b)
    html = client.get(reverse("research:note_detail", args=[saved.pk])).content.decode()
    assert f'href="{reverse("research:persona_detail", args=[persona.pk])}">VP</a>' in html
    assert f'href="{reverse("competitors:detail", args=[rival.pk])}">Rival</a>' in html
    assert f'href="{reverse("segments:detail", args=[segment.pk])}">Hot</a>' in html
    assert f'href="{reverse("content:item", args=[item.pk])}">Pricing guide</a>' in html
    listed = client.get(reverse("research:notes")).content.decode()
    assert f'href="{reverse("competitors:detail", args=[rival.pk])}">Rival</a>' in listed


@pytest.mark.django_db
def test_bad_input_names_the_field_and_saves_nothing(rep_a):
    with pytest.raises(ValidationError) as bad:
        research_note_create(
            actor=rep_a, title=" ", body="", kind="gossip", date=None, personas=[999, "x"]
        )
    assert bad.value.message_dict == {
        "title": ["Give the note a title."],
        "kind": ["Choose one of market_research, interview, competitor_analysis, other."],
        "date": ["Enter the date of the research."],
        "personas": ["“x” is not an id.", "There is no persona with id 999."],
    }
    assert ResearchNote.objects.count() == 0


@pytest.mark.django_db
def test_author_marketers_and_admins_edit_others_do_not(rep_a, rep_b, marketer, admin_user):
    saved = note(rep_a)
    fields = {"title": "Renamed", "body": "", "kind": NoteKind.OTHER, "date": DAY}
    with pytest.raises(PermissionDenied):
        research_note_update(actor=rep_b, note=saved, **fields)
    with pytest.raises(PermissionDenied):
        research_note_delete(actor=rep_b, note=saved)
    saved.refresh_from_db()
    assert saved.title == "Interview"
    research_note_update(actor=rep_a, note=saved, **fields)
    research_note_update(actor=marketer, note=saved, **{**fields, "title": "By marketing"})
    saved.refresh_from_db()
    assert (saved.title, saved.author) == ("By marketing", rep_a)  # the author stays
    research_note_delete(actor=admin_user, note=saved)
    assert ResearchNote.objects.count() == 0


# --- Pages -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_searches_filters_sorts_and_has_an_empty_state(client, rep_a, marketer):
    client.force_login(rep_a)
    url = reverse("research:notes")
    assert "No research notes yet." in client.get(url).content.decode()
    persona = persona_create(actor=marketer, name="VP", definition=RULE)
    rival = Competitor.objects.create(name="Rival")
    note(rep_a, title="Pricing interview", personas=[persona.pk])
    note(rep_a, title="Market sizing", kind=NoteKind.MARKET_RESEARCH, competitors=[rival.pk])
    note(rep_a, title="Old notes", kind=NoteKind.OTHER, date=date(2024, 1, 1))

    def titles(**params):
        html = client.get(url, params).content.decode()
        return [t for t in ("Pricing interview", "Market sizing", "Old notes") if f">{t}<" in html]

    assert titles(q="pricing") == ["Pricing interview"]
    assert titles(kind="market_research") == ["Market sizing"]
    assert titles(persona=persona.pk) == ["Pricing interview"]
    assert titles(competitor=rival.pk) == ["Market sizing"]
    assert titles(segment="12345") == []
    assert titles(persona="nonsense") == []
    html = client.get(url, {"sort": "date"}).content.decode()
    assert html.index("Old notes") < html.index("Pricing interview")
    assert (
        "No research notes match these filters." in client.get(url, {"q": "zzz"}).content.decode()
    )


@pytest.mark.django_db
def test_any_user_creates_a_note_through_the_form(client, rep_a):
    client.force_login(rep_a)
    assert client.get(reverse("research:note_create")).status_code == 200
    response = client.post(
        reverse("research:note_create"),
        {"title": "Call", "kind": "interview", "date": "2025-05-02",
         "body": "<p>Ok<script>x()</script></p>"},
    )  # fmt: skip
    saved = ResearchNote.objects.get()
    assert response["Location"] == reverse("research:note_detail", args=[saved.pk])
    assert (saved.body, saved.author) == ("<p>Ok</p>", rep_a)


@pytest.mark.django_db
def test_form_errors_are_inline_and_save_nothing(client, rep_a):
    client.force_login(rep_a)
    response = client.post(
        reverse("research:note_create"),
        {"title": "", "kind": "gossip", "date": "1800-01-01", "personas": ["42"]},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html
    assert "Select a valid choice. gossip is not one of the available choices." in html
    assert "Select a valid choice. 42 is not one of the available choices." in html
    assert ResearchNote.objects.count() == 0


@pytest.mark.django_db
def test_other_users_read_but_cannot_edit_or_delete(client, rep_a, rep_b):
    saved = note(rep_a)
    client.force_login(rep_b)
    page = client.get(reverse("research:note_detail", args=[saved.pk])).content.decode()
    assert "Interview" in page and reverse("research:note_edit", args=[saved.pk]) not in page
    assert client.get(reverse("research:note_edit", args=[saved.pk])).status_code == 403
    post = {"title": "Mine now", "kind": "other", "date": "2025-05-02"}
    assert client.post(reverse("research:note_edit", args=[saved.pk]), post).status_code == 403
    assert client.post(reverse("research:note_delete", args=[saved.pk])).status_code == 403
    saved.refresh_from_db()
    assert saved.title == "Interview"


@pytest.mark.django_db
def test_author_edits_and_deletes_through_the_pages(client, rep_a):
    saved = note(rep_a)
    client.force_login(rep_a)
    form = client.get(reverse("research:note_edit", args=[saved.pk])).content.decode()
    assert 'value="Interview"' in form and "&lt;p&gt;Hello&lt;/p&gt;" in form
    client.post(
        reverse("research:note_edit", args=[saved.pk]),
        {"title": "Edited", "kind": "other", "date": "2025-05-03", "body": "<p>New</p>"},
    )
    saved.refresh_from_db()
    assert (saved.title, saved.date, saved.body) == ("Edited", date(2025, 5, 3), "<p>New</p>")
    assert client.get(reverse("research:note_delete", args=[saved.pk])).status_code == 405
    client.post(reverse("research:note_delete", args=[saved.pk]))
    assert ResearchNote.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("research:notes"))
    assert response.status_code == 302 and "/login" in response["Location"]
