"""The PR pages: lists, details, forms, the workflow buttons and who may use them."""

import json
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from revline.pr.models import (
    Coverage,
    MediaContact,
    MediaInteraction,
    PressRelease,
    ReleaseTransition,
)
from revline.pr.services import coverage_create, media_contact_create

from .conftest import D0

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def rows(response) -> list[str]:
    return [str(item) for item in response.context["listing"].page]


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/pr/", "/pr/contacts/", "/pr/releases/", "/pr/coverage/", "/pr/contacts/new"]
)
def test_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_sales_rep_reads_every_page_but_sees_no_write_buttons(client, rep_a, press, releases):
    client.force_login(rep_a)
    pages = [
        "/pr/",
        "/pr/contacts/",
        f"/pr/contacts/{press.ada.pk}/",
        "/pr/releases/",
        f"/pr/releases/{releases.review.pk}/",
        "/pr/coverage/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert "/pr/contacts/new" not in html
        assert "/transition" not in html
        assert "Log interaction" not in html


def test_a_sales_rep_gets_403_on_every_write_and_nothing_changes(client, rep_a, press, releases):
    # Given
    client.force_login(rep_a)
    entry = coverage_create(actor=None, outlet="A", title="One", published_on=D0)
    counts = (
        MediaContact.objects.count(),
        PressRelease.objects.count(),
        Coverage.objects.count(),
        ReleaseTransition.objects.count(),
        MediaInteraction.objects.count(),
    )

    # When / Then
    writes = [
        ("/pr/contacts/new", {"name": "X", "outlet": "Y"}),
        (f"/pr/contacts/{press.ada.pk}/edit", {"name": "X", "outlet": "Y"}),
        (f"/pr/contacts/{press.ada.pk}/interactions", {"kind": "call", "summary": "x"}),
        ("/pr/releases/new", {"title": "Mine"}),
        (f"/pr/releases/{releases.draft.pk}/edit", {"title": "Mine"}),
        (f"/pr/releases/{releases.review.pk}/transition", {"to_status": "approved"}),
        (f"/pr/releases/{releases.approved.pk}/distribute", {"recipients": [press.ada.pk]}),
        ("/pr/coverage/new", {"title": "T", "outlet": "O", "published_on": "2025-01-01"}),
        (f"/pr/coverage/{entry.pk}/edit", {"title": "T", "outlet": "O"}),
    ]
    post_only = ("/interactions", "/transition")
    for path, data in writes:
        assert client.get(path).status_code == (405 if path.endswith(post_only) else 403), path
        assert client.post(path, data).status_code == 403, path
    assert counts == (
        MediaContact.objects.count(),
        PressRelease.objects.count(),
        Coverage.objects.count(),
        ReleaseTransition.objects.count(),
        MediaInteraction.objects.count(),
    )
    releases.review.refresh_from_db()
    assert releases.review.status == "review"


def test_workflow_changes_need_post(client, marketer, releases):
    client.force_login(marketer)
    response = client.get(f"/pr/releases/{releases.review.pk}/transition?to_status=approved")
    assert response.status_code == 405
    releases.review.refresh_from_db()
    assert releases.review.status == "review"


# --- Media contacts ----------------------------------------------------------------------------


def test_media_contact_list_searches_filters_and_sorts(client, rep_a, press):
    client.force_login(rep_a)
    assert rows(client.get("/pr/contacts/")) == ["Ada Lovelace", "Ben Okri", "Cleo Park"]
    assert rows(client.get("/pr/contacts/?q=fintech")) == ["Ben Okri"]
    assert rows(client.get("/pr/contacts/?q=tech.test")) == ["Ada Lovelace"]
    assert rows(client.get("/pr/contacts/?outlet=techdaily")) == ["Ada Lovelace", "Cleo Park"]
    assert rows(client.get("/pr/contacts/?beat=AI")) == ["Cleo Park"]
    assert rows(client.get("/pr/contacts/?sort=-name")) == ["Cleo Park", "Ben Okri", "Ada Lovelace"]
    assert rows(client.get("/pr/contacts/?sort=outlet")) == [
        "Ben Okri",
        "Cleo Park",
        "Ada Lovelace",
    ]
    assert rows(client.get("/pr/contacts/?sort=nonsense")) == [
        "Ada Lovelace",
        "Ben Okri",
        "Cleo Park",
    ]
    response = client.get(f"/pr/contacts/?q=nobody&outlet={SCRIPT}")
    assert rows(response) == []
    html = response.content.decode()
    assert "No media contacts match these filters." in html
    assert SCRIPT not in html


def test_media_contact_list_paginates(client, rep_a):
    for i in range(27):
        media_contact_create(actor=None, name=f"Reporter {i:02}", outlet="Outlet")
    client.force_login(rep_a)
    first = client.get("/pr/contacts/")
    assert len(rows(first)) == 25
    assert "page 1 of 2" in first.content.decode()
    assert rows(client.get("/pr/contacts/?page=2")) == ["Reporter 25", "Reporter 26"]
    assert rows(client.get("/pr/contacts/?page=999")) == ["Reporter 25", "Reporter 26"]


def test_empty_media_contact_list_invites_a_marketer_to_add_one(client, marketer):
    client.force_login(marketer)
    html = client.get("/pr/contacts/").content.decode()
    assert "No media contacts yet." in html
    assert 'href="/pr/contacts/new"' in html


def test_marketer_creates_and_edits_a_media_contact(client, marketer):
    client.force_login(marketer)
    response = client.post(
        "/pr/contacts/new",
        {"name": " Dana Scully ", "outlet": "X Files Weekly", "email": "DANA@x.test", "beat": "AI"},
    )
    contact = MediaContact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/pr/contacts/{contact.pk}/"
    assert (contact.name, contact.email, contact.beat) == ("Dana Scully", "dana@x.test", "AI")

    response = client.post(
        f"/pr/contacts/{contact.pk}/edit",
        {"name": "Dana Scully", "outlet": "Bureau News", "owner": marketer.pk},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.outlet, contact.owner, contact.beat) == ("Bureau News", marketer, "")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "outlet": "O"}, "name", "This field is required."),
        (
            {"name": "n" * 201, "outlet": "O"},
            "name",
            "Ensure this value has at most 200 characters (it has 201).",
        ),
        ({"name": "N", "outlet": "O", "email": SCRIPT}, "email", "Enter a valid email address."),
        (
            {"name": "N", "outlet": "O", "notes": "x" * 10_001},
            "notes",
            "Ensure this value has at most 10000 characters (it has 10001).",
        ),
        ({"name": "N", "outlet": "O", "owner": "99999"}, "owner", None),
    ],
)
def test_bad_media_contact_input_shows_the_error_and_saves_nothing(
    client, marketer, data, field, message
):
    client.force_login(marketer)
    response = client.post("/pr/contacts/new", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert MediaContact.objects.count() == 0


def test_a_failed_edit_keeps_the_stored_contact(client, marketer, press):
    client.force_login(marketer)
    response = client.post(
        f"/pr/contacts/{press.ada.pk}/edit", {"name": "", "outlet": "New outlet"}
    )
    assert response.status_code == 400
    press.ada.refresh_from_db()
    assert (press.ada.name, press.ada.outlet) == ("Ada Lovelace", "TechDaily")
    assert "Ada Lovelace" in response.content.decode()  # the breadcrumb keeps the stored name


def test_script_payloads_in_media_contacts_are_shown_as_text(client, marketer):
    client.force_login(marketer)
    client.post(
        "/pr/contacts/new",
        {"name": SCRIPT, "outlet": IMG, "beat": SCRIPT[:100], "phone": IMG[:50], "notes": SCRIPT},
    )
    contact = MediaContact.objects.get()
    client.post(
        f"/pr/contacts/{contact.pk}/interactions",
        {"kind": "call", "occurred_on": str(D0), "summary": IMG},
    )
    for path in ("/pr/contacts/", f"/pr/contacts/{contact.pk}/", f"/pr/contacts/{contact.pk}/edit"):
        html = client.get(path).content.decode()
        assert SCRIPT not in html, path
        assert "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_relationship_history_lists_interactions_newest_first(client, marketer, press, releases):
    client.force_login(marketer)
    response = client.post(
        f"/pr/contacts/{press.ada.pk}/interactions",
        {"kind": "pitch", "occurred_on": "2025-01-10", "summary": "Pitched the launch"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/pr/contacts/{press.ada.pk}/#history"
    client.post(
        f"/pr/contacts/{press.ada.pk}/interactions",
        {"kind": "call", "occurred_on": "2025-04-01", "summary": "Follow-up call"},
    )

    response = client.get(f"/pr/contacts/{press.ada.pk}/")
    history = [(i.kind, i.occurred_on, i.summary) for i in response.context["profile"].history]
    assert history == [
        ("call", date(2025, 4, 1), "Follow-up call"),
        ("release", D0, "Sent the press release “Big launch”."),
        ("pitch", date(2025, 1, 10), "Pitched the launch"),
    ]
    assert [r.title for r in response.context["profile"].releases] == ["Big launch"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "call", "occurred_on": "2025-02-30", "summary": "x"}, "occurred_on"),
        ({"kind": "call", "occurred_on": "not a date", "summary": "x"}, "occurred_on"),
        ({"kind": "release", "occurred_on": "2025-02-01", "summary": "x"}, "kind"),
        ({"kind": "call", "occurred_on": "2025-02-01", "summary": "s" * 2001}, "summary"),
        ({"kind": "call", "occurred_on": "2025-02-01", "summary": ""}, "summary"),
    ],
)
def test_bad_interactions_are_refused(client, marketer, press, data, field):
    client.force_login(marketer)
    response = client.post(f"/pr/contacts/{press.ada.pk}/interactions", data)
    assert response.status_code == 400
    assert list(response.context["interaction_form"].errors) == [field]
    assert MediaInteraction.objects.count() == 0


def test_future_interactions_are_refused(client, marketer, press):
    client.force_login(marketer)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        f"/pr/contacts/{press.ada.pk}/interactions",
        {"kind": "call", "occurred_on": str(tomorrow), "summary": "x"},
    )
    assert response.status_code == 400
    assert response.context["interaction_form"].errors == {
        "occurred_on": ["The date cannot be in the future."]
    }


# --- Press releases ----------------------------------------------------------------------------


def test_release_list_filters_by_status_and_campaign_and_sorts(client, rep_a, releases, launch):
    client.force_login(rep_a)
    assert rows(client.get("/pr/releases/?sort=title")) == [
        "Approved news",
        "Big launch",
        "Draft news",
        "Review news",
    ]
    assert rows(client.get("/pr/releases/?status=review")) == ["Review news"]
    assert rows(client.get(f"/pr/releases/?campaign={launch.pk}&sort=title")) == [
        "Approved news",
        "Big launch",
    ]
    assert rows(client.get("/pr/releases/?q=big")) == ["Big launch"]
    # A malformed id is ignored rather than a server error
    assert len(rows(client.get("/pr/releases/?campaign=abc"))) == 4
    assert len(rows(client.get("/pr/releases/?campaign=99999999999999999999999"))) == 4
    listed = {r.title: r for r in client.get("/pr/releases/").context["listing"].page}
    assert listed["Big launch"].recipient_count == 2


def test_marketer_writes_a_draft_and_the_body_is_sanitised(client, marketer, launch):
    client.force_login(marketer)
    response = client.post(
        "/pr/releases/new",
        {
            "title": "Launch day",
            "summary": "We launch.",
            "body": '<h2>News</h2><p onclick="x()">Hello <script>alert(1)</script>'
            '<a href="javascript:alert(1)">click</a> <a href="https://revline.test">site</a></p>',
            "embargo_until": "2025-04-01T09:30",
            "campaign": launch.pk,
        },
    )
    release = PressRelease.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/pr/releases/{release.pk}/"
    assert release.body == (
        '<h2>News</h2><p>Hello <a rel="noopener noreferrer nofollow">click</a> '
        '<a href="https://revline.test" rel="noopener noreferrer nofollow">site</a></p>'
    )
    assert (release.status, release.campaign, release.created_by) == ("draft", launch, marketer)
    assert release.embargo_until.isoformat() == "2025-04-01T09:30:00+00:00"

    html = client.get(f"/pr/releases/{release.pk}/").content.decode()
    body = html.split('<div class="pr-body">')[1].split("</div>")[0]
    assert body == release.body
    assert "<script>alert" not in html
    assert "javascript:" not in html


def test_the_detail_page_sanitises_a_body_stored_some_other_way(client, rep_a, releases):
    PressRelease.objects.filter(pk=releases.draft.pk).update(
        body='<p>ok</p><script>alert(1)</script><img src=x onerror="alert(1)">'
    )
    client.force_login(rep_a)
    html = client.get(f"/pr/releases/{releases.draft.pk}/").content.decode()
    assert '<div class="pr-body"><p>ok</p></div>' in html
    assert "onerror" not in html


def test_hostile_release_input_is_escaped_everywhere(client, marketer):
    client.force_login(marketer)
    client.post("/pr/releases/new", {"title": SCRIPT, "summary": IMG, "body": ""})
    release = PressRelease.objects.get()
    for path in ("/pr/releases/", f"/pr/releases/{release.pk}/", f"/pr/releases/{release.pk}/edit"):
        html = client.get(path).content.decode()
        assert SCRIPT not in html, path
        assert "<img src=x" not in html, path


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"title": "T", "summary": "s" * 1001}, "summary"),
        ({"title": "T", "body": "b" * 100_001}, "body"),
        ({"title": "T", "embargo_until": "2025-13-45T99:99"}, "embargo_until"),
        ({"title": "T", "campaign": "abc"}, "campaign"),
    ],
)
def test_bad_release_input_is_refused(client, marketer, data, field):
    client.force_login(marketer)
    response = client.post("/pr/releases/new", data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert PressRelease.objects.count() == 0


def test_only_drafts_offer_editing(client, marketer, releases):
    client.force_login(marketer)
    assert client.get(f"/pr/releases/{releases.draft.pk}/edit").status_code == 200
    response = client.post(f"/pr/releases/{releases.review.pk}/edit", {"title": "Sneaky"})
    assert response.status_code == 302
    assert response["Location"] == f"/pr/releases/{releases.review.pk}/"
    releases.review.refresh_from_db()
    assert releases.review.title == "Review news"


def test_workflow_buttons_move_a_release_to_distribution(client, marketer, press):
    client.force_login(marketer)
    client.post("/pr/releases/new", {"title": "Launch"})
    release = PressRelease.objects.get()
    base = f"/pr/releases/{release.pk}/"

    assert 'value="review"' in client.get(base).content.decode()
    assert client.post(base + "transition", {"to_status": "review"}).status_code == 302
    html = client.get(base).content.decode()
    assert 'value="approved"' in html
    assert 'value="draft"' in html
    assert client.post(base + "transition", {"to_status": "approved"}).status_code == 302
    assert client.get(base + "distribute").status_code == 200

    response = client.post(
        base + "distribute", {"recipients": [press.ada.pk, press.ben.pk], "note": "By email"}
    )

    assert response.status_code == 302
    release.refresh_from_db()
    assert release.status == "distributed"
    assert sorted(release.recipients.values_list("name", flat=True)) == ["Ada Lovelace", "Ben Okri"]
    assert list(release.transitions.values_list("to_status", flat=True)) == [
        "review",
        "approved",
        "distributed",
    ]
    assert release.transitions.last().note == "By email"
    html = client.get(base).content.decode()
    assert "/transition" not in html
    assert f"/pr/coverage/new?release={release.pk}" in html


def test_a_refused_transition_explains_itself_and_changes_nothing(client, marketer, releases):
    client.force_login(marketer)
    response = client.post(
        f"/pr/releases/{releases.draft.pk}/transition", {"to_status": "approved"}
    )
    assert response.status_code == 400
    assert "A release that is draft cannot move to approved." in response.content.decode()
    releases.draft.refresh_from_db()
    assert releases.draft.status == "draft"
    assert ReleaseTransition.objects.filter(release=releases.draft).count() == 0

    response = client.post(f"/pr/releases/{releases.draft.pk}/transition", {"to_status": "x" * 50})
    assert response.status_code == 400


def test_distribution_without_recipients_or_with_unknown_ones_is_refused(
    client, marketer, releases, press
):
    client.force_login(marketer)
    path = f"/pr/releases/{releases.approved.pk}/distribute"
    for data in ({}, {"recipients": ["999999"]}, {"recipients": ["abc"]}):
        response = client.post(path, data)
        assert response.status_code == 400
        assert response.context["form"].errors["recipients"]
    releases.approved.refresh_from_db()
    assert releases.approved.status == "approved"
    assert releases.approved.recipients.count() == 0


def test_a_release_that_is_not_approved_cannot_be_distributed_from_the_page(
    client, marketer, releases, press
):
    client.force_login(marketer)
    response = client.post(
        f"/pr/releases/{releases.review.pk}/distribute", {"recipients": [press.ada.pk]}
    )
    assert response.status_code == 302
    releases.review.refresh_from_db()
    assert (releases.review.status, releases.review.recipients.count()) == ("review", 0)


# --- Coverage ----------------------------------------------------------------------------------


VALID_COVERAGE = {
    "title": "Revline raises the bar",
    "outlet": "TechDaily",
    "url": "https://techdaily.test/revline",
    "published_on": "2025-03-01",
    "reach": "25000",
    "sentiment": "positive",
    "about_us": "on",
    "competitors": "Acme, Globex",
    "notes": "",
}


def test_marketer_logs_coverage_linked_to_a_release(client, marketer, releases, press, launch):
    client.force_login(marketer)
    form = client.get(f"/pr/coverage/new?release={releases.distributed.pk}").context["form"]
    assert form.initial["release"] == releases.distributed.pk

    response = client.post(
        "/pr/coverage/new",
        {**VALID_COVERAGE, "release": releases.distributed.pk, "media_contact": press.ada.pk},
    )

    assert response.status_code == 302
    entry = Coverage.objects.get()
    assert (entry.reach, entry.sentiment, entry.about_us, entry.campaign) == (
        25000,
        "positive",
        True,
        launch,
    )
    assert sorted(entry.competitors.values_list("name", flat=True)) == ["Acme", "Globex"]
    html = client.get(f"/pr/releases/{releases.distributed.pk}/").content.decode()
    assert "Revline raises the bar" in html
    assert 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "data:text/html,<script>alert(1)</script>"}, "url"),
        ({"url": "https://" + "a" * 2000}, "url"),
        ({"published_on": "2025-02-30"}, "published_on"),
        ({"published_on": "yesterday"}, "published_on"),
        ({"reach": "-5"}, "reach"),
        ({"reach": "1e99"}, "reach"),
        ({"reach": "99999999999999999999999"}, "reach"),
        ({"title": "t" * 301}, "title"),
        ({"outlet": ""}, "outlet"),
        ({"sentiment": "ecstatic"}, "sentiment"),
        ({"competitors": "x" * 101}, "competitors"),
        ({"about_us": "", "competitors": ""}, "about_us"),
        ({"release": "abc"}, "release"),
        ({"media_contact": "424242"}, "media_contact"),
    ],
)
def test_bad_coverage_input_is_refused_and_nothing_is_written(client, marketer, changes, field):
    client.force_login(marketer)
    data = {**VALID_COVERAGE, **changes}
    data = {k: v for k, v in data.items() if v != "" or k != "about_us"}
    response = client.post("/pr/coverage/new", data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert Coverage.objects.count() == 0
    assert "Please correct the fields marked below." in response.content.decode()


def test_future_coverage_is_refused(client, marketer):
    client.force_login(marketer)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post("/pr/coverage/new", {**VALID_COVERAGE, "published_on": str(tomorrow)})
    assert response.context["form"].errors == {
        "published_on": ["The publication date cannot be in the future."]
    }


def test_coverage_edit_keeps_the_entry_on_error_and_saves_on_success(client, marketer):
    client.force_login(marketer)
    client.post("/pr/coverage/new", VALID_COVERAGE)
    entry = Coverage.objects.get()
    form = client.get(f"/pr/coverage/{entry.pk}/edit").context["form"]
    assert form.initial["competitors"] == "Acme, Globex"

    response = client.post(
        f"/pr/coverage/{entry.pk}/edit", {**VALID_COVERAGE, "title": "", "reach": "1"}
    )
    assert response.status_code == 400
    entry.refresh_from_db()
    assert (entry.title, entry.reach) == ("Revline raises the bar", 25000)

    response = client.post(
        f"/pr/coverage/{entry.pk}/edit",
        {**VALID_COVERAGE, "reach": "1", "competitors": "Initech", "sentiment": "negative"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.reach, entry.sentiment, [c.name for c in entry.competitors.all()]) == (
        1,
        "negative",
        ["Initech"],
    )


def test_coverage_list_filters_searches_and_sorts(client, rep_a, releases, launch):
    make = lambda title, **kw: coverage_create(  # noqa: E731
        actor=None, outlet=kw.pop("outlet", "TechDaily"), title=title, **kw
    )
    make("Alpha", published_on=date(2025, 1, 5), reach=10, sentiment="positive")
    make(
        "Beta",
        published_on=date(2025, 2, 5),
        reach=30,
        competitors=["Acme"],
        release=releases.distributed,
    )
    make("Gamma", published_on=date(2025, 3, 5), reach=20, about_us=False, competitors=["acme"])
    make("Delta", published_on=date(2025, 3, 6), reach=5, outlet="Finance Weekly")
    client.force_login(rep_a)

    assert rows(client.get("/pr/coverage/")) == ["Delta", "Gamma", "Beta", "Alpha"]
    assert rows(client.get("/pr/coverage/?sort=reach")) == ["Delta", "Alpha", "Gamma", "Beta"]
    assert rows(client.get("/pr/coverage/?sort=-reach")) == ["Beta", "Gamma", "Alpha", "Delta"]
    assert rows(client.get("/pr/coverage/?sentiment=positive")) == ["Alpha"]
    assert rows(client.get("/pr/coverage/?competitor=ACME")) == ["Gamma", "Beta"]
    assert rows(client.get("/pr/coverage/?about=others")) == ["Gamma"]
    assert rows(client.get("/pr/coverage/?about=us")) == ["Delta", "Beta", "Alpha"]
    assert rows(client.get(f"/pr/coverage/?release={releases.distributed.pk}")) == ["Beta"]
    assert rows(client.get(f"/pr/coverage/?campaign={launch.pk}")) == ["Beta"]
    assert rows(client.get("/pr/coverage/?q=finance")) == ["Delta"]
    assert len(rows(client.get("/pr/coverage/?release=x&about=maybe&campaign=-1"))) == 4
    response = client.get("/pr/coverage/?q=zzz")
    assert "No coverage matches these filters." in response.content.decode()


def test_coverage_links_only_to_http_addresses_and_escapes_titles(client, marketer):
    client.force_login(marketer)
    client.post("/pr/coverage/new", {**VALID_COVERAGE, "title": SCRIPT, "outlet": IMG})
    html = client.get("/pr/coverage/").content.decode()
    assert SCRIPT not in html
    assert "<img src=x" not in html
    assert (
        '<a href="https://techdaily.test/revline" target="_blank" rel="noopener noreferrer nofollow">'
        in html
    )


# --- The PR page -------------------------------------------------------------------------------


def test_the_pr_page_charts_coverage_reach_and_share_of_voice_with_the_numbers(client, rep_a):
    # Given three months of coverage: 3 pieces about us (one naming Acme), 1 about Acme only
    coverage_create(actor=None, outlet="A", title="One", published_on=date(2025, 1, 10), reach=100)
    coverage_create(
        actor=None,
        outlet="A",
        title="Two",
        published_on=date(2025, 3, 1),
        reach=300,
        sentiment="positive",
        competitors=["Acme"],
    )
    coverage_create(actor=None, outlet="B", title="Three", published_on=date(2025, 3, 31), reach=50)
    coverage_create(
        actor=None,
        outlet="B",
        title="Rival",
        published_on=date(2025, 2, 2),
        reach=1000,
        about_us=False,
        competitors=["Acme"],
    )
    coverage_create(actor=None, outlet="C", title="Old", published_on=date(2024, 12, 31), reach=7)
    client.force_login(rep_a)

    # When
    response = client.get("/pr/?start=2025-01-01&end=2025-03-31")

    # Then
    assert response.status_code == 200
    overview = response.context["overview"]
    assert (overview.coverage_count, overview.reach) == (3, 450)
    chart = json.loads(
        re.search(
            r'<script id="pr-chart-data" type="application/json">(.*?)</script>',
            response.content.decode(),
        ).group(1)
    )
    assert chart == {
        "labels": ["Jan 2025", "Feb 2025", "Mar 2025"],
        "coverage": [1, 0, 2],
        "reach": [100, 0, 350],
        "voice": {"labels": ["Us", "Acme"], "mentions": [3, 2]},
    }
    html = response.content.decode()
    assert '<div class="value">60.0%</div>' in html  # 3 of 5 mentions
    assert '<div class="value">33.3%</div>' in html  # 1 of 3 pieces is positive
    series_table = html.split('id="pr-series-table"')[1].split("</table>")[0]
    assert '<td>Feb 2025</td><td class="num">0</td><td class="num">0</td>' in series_table
    voice_table = html.split('id="pr-voice-table"')[1].split("</table>")[0]
    assert '<td class="num">60.0%</td>' in voice_table
    assert '<td class="num">40.0%</td>' in voice_table
    # By reach: us 450, Acme 300 + 1000 → 450 / 1750
    assert '<td class="num">25.7%</td>' in voice_table
    assert '<td class="num">74.3%</td>' in voice_table


def test_the_pr_page_defaults_to_the_last_12_months(client, rep_a):
    client.force_login(rep_a)
    response = client.get("/pr/")
    overview = response.context["overview"]
    today = timezone.localdate()
    assert overview.end == today
    assert len(overview.series) == 12
    assert overview.series[-1].month == today.replace(day=1)
    assert "No coverage mentioning us in this period." in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "start=2025-02-30",
        "start=<script>",
        "start=2025-03-01&end=2025-01-01",
        "start=1990-01-01&end=2025-01-01",
    ],
)
def test_a_bad_period_is_explained_and_the_default_is_shown(client, rep_a, query):
    client.force_login(rep_a)
    response = client.get(f"/pr/?{query}")
    assert response.status_code == 400
    assert response.context["form"].errors
    assert len(response.context["overview"].series) == 12
    assert 'value="<script>"' not in response.content.decode()


def test_list_pages_make_the_same_number_of_queries_for_few_and_many_rows(
    client, rep_a, press, releases
):
    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    client.force_login(rep_a)
    coverage_create(actor=None, outlet="A", title="C0", published_on=D0, competitors=["Acme"])
    paths = ["/pr/", "/pr/contacts/", "/pr/releases/", "/pr/coverage/"]
    # The navigation's audience check reads the workspace; the first page also creates its row.
    client.get(paths[0])
    few = [count(path) for path in paths]
    for i in range(1, 12):
        coverage_create(
            actor=None,
            outlet="A",
            title=f"C{i}",
            published_on=D0,
            competitors=[f"Rival {i}"],
            release=releases.distributed,
            media_contact=press.ada,
        )
        media_contact_create(actor=None, name=f"Reporter {i}", outlet=f"Outlet {i}", beat=f"B{i}")
    assert [count(path) for path in paths] == few
