"""The deal page: buying committee, files and links, next step and forecast category, the closing
form with the reason list and the competitor, and the marketing touches of the deal's contacts."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revline.campaigns.models import Campaign, Channel, Creative, CreativeKind, CtaAction
from revline.content.models import ContentItem, ContentKind
from revline.core.models import DealVisibility
from revline.core.workspace import workspace_get
from revline.people.models import Contact
from revline.people.services import contact_create
from revline.sales import selectors
from revline.sales.forecast_services import deal_forecast_category_set
from revline.sales.models import (
    CloseReason,
    Competitor,
    Deal,
    DealAttachment,
    DealContact,
    DealStatus,
    ForecastCategory,
)
from revline.sales.services import (
    ATTACHMENT_MAX_BYTES,
    deal_attachment_add_link,
    deal_attachment_delete,
    deal_contact_add,
    deal_contact_remove,
    deal_contact_update,
    deal_update,
)
from revline.tracking.models import Touchpoint, TouchpointKind

from .conftest import at, make_deal


def url(deal: Deal, action: str = "") -> str:
    return f"/sales/deals/{deal.pk}/{action + '/' if action else ''}"


def person(first: str, last: str, company=None) -> Contact:
    return contact_create(
        actor=None,
        first_name=first,
        last_name=last,
        email=f"{first.lower()}@{last.lower()}.example",
        company=company,
    )


@pytest.fixture
def deal(rep_a, pipeline, ada) -> Deal:
    return make_deal(rep_a, "Ada renewal", "12500", contact=ada, created_at=at(1))


@pytest.fixture
def grace(acme) -> Contact:
    return person("Grace", "Hopper", acme)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def all_visible(db) -> None:
    """Other teams see the deal (but still may not change it)."""
    workspace = workspace_get()
    workspace.deal_visibility = DealVisibility.ALL
    workspace.save()


# --- Buying committee --------------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_a_committee_member_with_a_role(client, rep_a, deal, grace):
    client.force_login(rep_a)

    response = client.post(
        url(deal, "committee"),
        {
            "member-contact": grace.pk,
            "member-contact_label": "Grace Hopper",
            "member-role": "champion",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{url(deal)}#committee"
    assert list(deal.committee.values_list("contact__first_name", "role")) == [
        ("Grace", "champion")
    ]
    html = client.get(url(deal)).content.decode()
    assert '<span class="badge role role-champion">Champion</span>' in html
    assert f'href="/people/contacts/{grace.pk}/"' in html


@pytest.mark.django_db
def test_the_same_contact_cannot_join_the_committee_twice(client, rep_a, deal, grace):
    deal_contact_add(actor=rep_a, deal=deal, contact=grace, role="champion")
    client.force_login(rep_a)

    response = client.post(
        url(deal, "committee"), {"member-contact": grace.pk, "member-role": "user"}
    )

    assert response.status_code == 400
    assert response.context["member_form"].errors == {
        "contact": ["Grace Hopper is already on the buying committee."]
    }
    assert list(deal.committee.values_list("role", flat=True)) == ["champion"]


@pytest.mark.django_db
def test_an_unknown_role_or_contact_is_refused(client, rep_a, deal, grace):
    client.force_login(rep_a)

    bad_role = client.post(
        url(deal, "committee"), {"member-contact": grace.pk, "member-role": "ceo"}
    )
    no_contact = client.post(
        url(deal, "committee"), {"member-contact": "99999", "member-role": "user"}
    )

    assert bad_role.status_code == 400
    assert bad_role.context["member_form"].errors == {
        "role": [
            "Pick one of the roles: decision maker, champion, influencer, blocker, user, other."
        ]
    }
    assert no_contact.status_code == 400
    assert no_contact.context["member_form"].errors == {
        "contact": ["Pick a contact from the suggestions."]
    }
    assert DealContact.objects.count() == 0


@pytest.mark.django_db
def test_changing_a_role_and_removing_a_member(client, manager_a, rep_a, deal, grace, ada):
    member = deal_contact_add(actor=rep_a, deal=deal, contact=grace, role="influencer")
    deal_contact_add(actor=rep_a, deal=deal, contact=ada, role="decision_maker")
    client.force_login(manager_a)  # a teammate of the owner

    changed = client.post(url(deal, f"committee/{member.pk}"), {"role": "blocker"})
    bad = client.post(url(deal, f"committee/{member.pk}"), {"role": "boss"})

    assert changed.status_code == 302
    assert bad.status_code == 400
    member.refresh_from_db()
    assert member.role == "blocker"

    removed = client.post(url(deal, f"committee/{member.pk}/remove"))

    assert removed.status_code == 302
    assert list(deal.committee.values_list("contact__first_name", "role")) == [
        ("Ada", "decision_maker")
    ]


@pytest.mark.django_db
def test_a_member_of_another_deal_cannot_be_changed_through_this_one(
    client, rep_a, deal, grace, pipeline
):
    other = make_deal(rep_a, "Other deal")
    member = deal_contact_add(actor=rep_a, deal=other, contact=grace, role="user")
    client.force_login(rep_a)

    response = client.post(url(deal, f"committee/{member.pk}/remove"))

    assert response.status_code == 404
    assert DealContact.objects.filter(pk=member.pk).exists()


@pytest.mark.django_db
def test_other_teams_and_marketers_cannot_change_the_committee(
    client, rep_b, marketer, rep_a, deal, grace, all_visible
):
    member = deal_contact_add(actor=rep_a, deal=deal, contact=grace, role="champion")
    for user in (rep_b, marketer):
        client.force_login(user)

        added = client.post(
            url(deal, "committee"), {"member-contact": grace.pk, "member-role": "user"}
        )
        changed = client.post(url(deal, f"committee/{member.pk}"), {"role": "blocker"})
        removed = client.post(url(deal, f"committee/{member.pk}/remove"))

        assert (added.status_code, changed.status_code, removed.status_code) == (403, 403, 403)
        html = client.get(url(deal)).content.decode()
        assert "Add to committee" not in html
    assert list(DealContact.objects.values_list("contact_id", "role")) == [(grace.pk, "champion")]


# --- Files and links ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_a_link(client, rep_a, deal):
    client.force_login(rep_a)

    response = client.post(
        url(deal, "files/link"),
        {"link-title": "Security review", "link-url": " https://docs.example.com/review?id=7 "},
    )

    assert response.status_code == 302
    link = DealAttachment.objects.get()
    assert (link.title, link.url, link.file.name, link.added_by) == (
        "Security review",
        "https://docs.example.com/review?id=7",
        "",
        rep_a,
    )
    html = client.get(url(deal)).content.decode()
    assert (
        '<a href="https://docs.example.com/review?id=7" target="_blank" '
        'rel="noopener noreferrer nofollow">Security review</a>'
    ) in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "JavaScript://example.com/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example.com/a.pdf",
        "docs.example.com/review",
        "https://",
    ],
)
def test_a_link_that_is_not_http_is_refused(client, rep_a, deal, bad):
    client.force_login(rep_a)

    response = client.post(url(deal, "files/link"), {"link-title": "Doc", "link-url": bad})

    assert response.status_code == 400
    assert response.context["link_form"].errors == {
        "url": ["Enter a full web address starting with https:// or http://."]
    }
    assert DealAttachment.objects.count() == 0


@pytest.mark.django_db
def test_uploading_and_downloading_a_file(client, rep_a, manager_a, deal, media):
    client.force_login(rep_a)
    upload = SimpleUploadedFile("Proposal v2.pdf", b"%PDF-1.4 proposal", "text/html")

    response = client.post(url(deal, "files/upload"), {"upload-title": "", "upload-file": upload})

    assert response.status_code == 302
    stored = DealAttachment.objects.get()
    assert (stored.title, stored.size, stored.content_type, stored.url) == (
        "Proposal v2.pdf",
        17,
        "application/pdf",  # from the name, not from what the browser claimed
        "",
    )
    assert stored.file.name.startswith("deal_files/")
    assert (media / stored.file.name).read_bytes() == b"%PDF-1.4 proposal"
    html = client.get(url(deal)).content.decode()
    download = f"/sales/deals/{deal.pk}/files/{stored.pk}/"
    assert f'href="{download}"' in html
    assert "/media/" not in html

    client.force_login(manager_a)
    response = client.get(download)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 proposal"
    assert response["Content-Disposition"] == 'attachment; filename="Proposal_v2.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_a_file_over_10_mb_or_empty_is_refused(client, rep_a, deal, media):
    client.force_login(rep_a)
    too_big = SimpleUploadedFile("big.zip", b"0" * (ATTACHMENT_MAX_BYTES + 1))
    empty = SimpleUploadedFile("empty.txt", b"")

    big_response = client.post(url(deal, "files/upload"), {"upload-file": too_big})
    empty_response = client.post(url(deal, "files/upload"), {"upload-file": empty})
    none_response = client.post(url(deal, "files/upload"), {"upload-title": "Nothing"})

    assert big_response.status_code == 400
    assert big_response.context["upload_form"].errors == {"file": ["Files are at most 10 MB."]}
    assert empty_response.context["upload_form"].errors == {"file": ["The file is empty."]}
    assert none_response.context["upload_form"].errors == {"file": ["Choose a file to upload."]}
    assert DealAttachment.objects.count() == 0
    assert not media.exists() or not any(media.rglob("*.*"))


@pytest.mark.django_db
def test_files_are_not_served_to_other_teams(client, rep_a, rep_b, deal, media):
    client.force_login(rep_a)
    client.post(
        url(deal, "files/upload"),
        {"upload-file": SimpleUploadedFile("notes.txt", b"secret pricing")},
    )
    stored = DealAttachment.objects.get()
    client.force_login(rep_b)

    response = client.get(url(deal, f"files/{stored.pk}"))
    deleted = client.post(url(deal, f"files/{stored.pk}/delete"))

    assert response.status_code == 404
    assert b"secret pricing" not in response.content
    assert deleted.status_code == 404
    assert DealAttachment.objects.filter(pk=stored.pk).exists()


@pytest.mark.django_db
def test_a_file_of_another_deal_is_not_served_through_this_one(client, rep_a, deal, media):
    other = make_deal(rep_a, "Other deal")
    client.force_login(rep_a)
    client.post(
        url(other, "files/upload"), {"upload-file": SimpleUploadedFile("a.txt", b"other deal")}
    )
    stored = DealAttachment.objects.get()

    assert client.get(url(deal, f"files/{stored.pk}")).status_code == 404
    assert client.get(url(other, f"files/{stored.pk}")).status_code == 200


@pytest.mark.django_db
def test_deleting_a_file_removes_it_from_storage(
    client, rep_a, marketer, deal, media, all_visible, django_capture_on_commit_callbacks
):
    client.force_login(rep_a)
    client.post(url(deal, "files/upload"), {"upload-file": SimpleUploadedFile("a.txt", b"abc")})
    stored = DealAttachment.objects.get()
    path = media / stored.file.name
    client.force_login(marketer)

    refused = client.post(url(deal, f"files/{stored.pk}/delete"))

    assert refused.status_code == 403
    assert path.exists()
    client.force_login(rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.post(url(deal, f"files/{stored.pk}/delete"))

    assert deleted.status_code == 302
    assert DealAttachment.objects.count() == 0
    assert not path.exists()


@pytest.mark.django_db
def test_attachments_only_accept_post_for_changes(client, rep_a, deal):
    client.force_login(rep_a)

    for action in ("files/link", "files/upload", "committee", "next-step", "forecast-category"):
        assert client.get(url(deal, action), {"link-url": "https://x.example"}).status_code == 405
    assert DealAttachment.objects.count() == 0


# --- Next step and forecast category -----------------------------------------------------------


@pytest.mark.django_db
def test_editing_the_next_step_and_forecast_category(client, rep_a, deal):
    client.force_login(rep_a)

    step = client.post(url(deal, "next-step"), {"next_step": "  Send the security pack  "})
    category = client.post(url(deal, "forecast-category"), {"forecast_category": "commit"})

    assert (step.status_code, category.status_code) == (302, 302)
    deal.refresh_from_db()
    assert (deal.next_step, deal.forecast_category) == ("Send the security pack", "commit")
    html = client.get(url(deal)).content.decode()
    assert 'value="Send the security pack"' in html
    assert '<option value="commit" selected>Commit</option>' in html


@pytest.mark.django_db
def test_a_too_long_next_step_or_unknown_category_changes_nothing(client, rep_a, deal):
    client.force_login(rep_a)

    step = client.post(url(deal, "next-step"), {"next_step": "x" * 201})
    category = client.post(url(deal, "forecast-category"), {"forecast_category": "certain"})

    assert step.status_code == 400
    assert step.context["next_step_form"].errors == {
        "next_step": ["Keep the next step under 200 characters."]
    }
    assert category.status_code == 400
    assert category.context["forecast_form"].errors == {
        "forecast_category": ["Choose a forecast category from the list."]
    }
    deal.refresh_from_db()
    assert (deal.next_step, deal.forecast_category) == ("", ForecastCategory.PIPELINE)


@pytest.mark.django_db
def test_other_teams_cannot_edit_the_next_step(client, rep_b, deal, all_visible):
    client.force_login(rep_b)

    step = client.post(url(deal, "next-step"), {"next_step": "Sneaky"})
    category = client.post(url(deal, "forecast-category"), {"forecast_category": "commit"})

    assert (step.status_code, category.status_code) == (403, 403)
    deal.refresh_from_db()
    assert (deal.next_step, deal.forecast_category) == ("", ForecastCategory.PIPELINE)
    assert 'name="next_step"' not in client.get(url(deal)).content.decode()


# --- Closing -----------------------------------------------------------------------------------


def reason(kind: str, name: str) -> CloseReason:
    return CloseReason.objects.get(kind=kind, name=name)


@pytest.mark.django_db
def test_the_close_form_offers_the_active_reasons_grouped_and_the_competitors(client, rep_a, deal):
    Competitor.objects.create(name="Rivalsoft")
    CloseReason.objects.filter(name="Timing").update(is_active=False)
    client.force_login(rep_a)

    form = client.get(url(deal)).context["close_form"]

    groups = [
        (label, [name for _, name in options])
        for label, options in form.fields["reason"].choices[1:]
    ]
    assert groups == [
        ("Won", ["Best product fit", "Price and value", "Relationship", "Speed of delivery"]),
        ("Lost", ["Price", "No budget", "Went with a competitor", "No decision", "Product fit"]),
    ]
    assert [str(c) for c in form.fields["lost_to"].queryset] == ["Rivalsoft"]


@pytest.mark.django_db
def test_closing_lost_to_a_competitor(client, rep_a, deal, ada):
    rival = Competitor.objects.create(name="Rivalsoft")
    client.force_login(rep_a)

    response = client.post(
        url(deal, "close"),
        {
            "outcome": "lost",
            "reason": reason("lost", "Went with a competitor").pk,
            "lost_to": rival.pk,
            "note": "Cheaper for 50 seats",
        },
    )

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason.name, deal.lost_to, deal.close_note) == (
        DealStatus.LOST,
        "Went with a competitor",
        rival,
        "Cheaper for 50 seats",
    )
    html = client.get(url(deal)).content.decode()
    assert '<dd id="lost-to">Rivalsoft</dd>' in html
    assert "Went with a competitor · Cheaper for 50 seats" in html
    event = ada.events.get(kind="deal_lost")
    assert event.params["reason"] == (
        "Went with a competitor · Cheaper for 50 seats · lost to Rivalsoft"
    )


@pytest.mark.django_db
def test_a_reason_of_the_other_outcome_an_inactive_one_or_a_competitor_on_a_win_is_refused(
    client, rep_a, deal
):
    rival = Competitor.objects.create(name="Rivalsoft")
    timing = reason("lost", "Timing")
    timing.is_active = False
    timing.save()
    client.force_login(rep_a)
    attempts = [
        (
            {"outcome": "won", "reason": reason("lost", "Price").pk},
            "reason",
            "“Price” is a reason for lost deals.",
        ),
        ({"outcome": "lost", "reason": timing.pk}, "reason", "Pick a reason from the list."),
        (
            {"outcome": "won", "reason": reason("won", "Relationship").pk, "lost_to": rival.pk},
            "lost_to",
            "A won deal was not lost to a competitor.",
        ),
        (
            {"outcome": "lost", "reason": reason("lost", "Price").pk, "lost_to": 9999},
            "lost_to",
            "Pick a competitor from the list.",
        ),
        ({"outcome": "maybe", "note": "x"}, "outcome", "Choose whether the deal was won or lost."),
    ]

    for data, field, message in attempts:
        response = client.post(url(deal, "close"), data)

        assert response.status_code == 400, data
        assert response.context["close_form"].errors == {field: [message]}, data
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason, deal.lost_to) == (DealStatus.OPEN, None, None)


@pytest.mark.django_db
def test_without_any_reasons_set_up_the_note_is_enough(client, rep_a, deal):
    CloseReason.objects.filter(kind="won").update(is_active=False)
    client.force_login(rep_a)

    empty = client.post(url(deal, "close"), {"outcome": "won", "note": " "})
    closed = client.post(url(deal, "close"), {"outcome": "won", "note": "Pilot went great"})

    assert empty.status_code == 400
    assert empty.context["close_form"].errors == {"note": ["Say why the deal was won or lost."]}
    assert closed.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason, deal.close_note) == (
        DealStatus.WON,
        None,
        "Pilot went great",
    )


# --- Marketing touches -------------------------------------------------------------------------


@pytest.fixture
def touches(deal, ada, grace, acme):
    """Touchpoints of the primary contact (Ada), a committee member (Grace) and a stranger."""
    DealContact.objects.create(deal=deal, contact=grace, role="champion")
    stranger = person("Alan", "Turing")
    campaign = Campaign.objects.create(name="Spring launch", channel=Channel.PAID_SOCIAL)
    creative = Creative.objects.create(
        campaign=campaign,
        kind=CreativeKind.AD,
        name="Carousel: 3 reasons",
        cta_label="Learn more",
        cta_action=CtaAction.FORM,
    )
    guide = ContentItem.objects.create(title="Buyer's guide", kind=ContentKind.WHITEPAPER)

    def touch(contact, kind, minutes, **extra):
        return Touchpoint.objects.create(
            contact=contact, kind=kind, occurred_at=at(2) + timedelta(minutes=minutes), **extra
        )

    touch(ada, TouchpointKind.CLICK, 1, campaign=campaign, creative=creative, channel="paid_social")
    touch(grace, TouchpointKind.PAGE_VIEW, 2, url="https://www.example.com/pricing?x=1")
    touch(grace, TouchpointKind.EMAIL_OPEN, 3, params={"email": "March newsletter"})
    touch(ada, TouchpointKind.PAGE_VIEW, 4, content_item=guide)
    touch(stranger, TouchpointKind.PAGE_VIEW, 5, url="https://www.example.com/secret")
    return stranger


@pytest.mark.django_db
def test_marketing_touches_of_the_committee_and_primary_contact(
    client, rep_a, deal, touches, ada, grace
):
    client.force_login(rep_a)

    response = client.get(url(deal))

    rows = [
        (t.contact_name, t.kind_label, t.what, t.campaign) for t in response.context["page"].touches
    ]
    assert rows == [
        ("Ada Lovelace", "Page view", "Buyer's guide", ""),
        ("Grace Hopper", "Email open", "Email: March newsletter", ""),
        ("Grace Hopper", "Page view", "/pricing", ""),
        ("Ada Lovelace", "Link click", "Ad: Carousel: 3 reasons", "Spring launch"),
    ]
    html = response.content.decode()
    assert f'href="/people/contacts/{grace.pk}/#timeline"' in html
    assert "/secret" not in html


@pytest.mark.django_db
def test_ab_test_and_survey_touches_name_the_test_and_have_no_traffic_source(ada):
    params = {"experiment": 1, "test": "Subject line", "variant": "b", "variant_name": "Ideas"}
    Touchpoint.objects.create(
        contact=ada, kind=TouchpointKind.EXPERIMENT_EXPOSURE, occurred_at=at(2), params=params
    )
    Touchpoint.objects.create(
        contact=ada,
        kind=TouchpointKind.SURVEY_RESPONSE,
        occurred_at=at(3),
        params={"survey": "Customer NPS", "nps": 9},
    )

    rows = [(t.what, t.source) for t in selectors.marketing_touches(contact_ids=[ada.pk])]

    assert rows == [("Survey: Customer NPS", ""), ("A/B test: Subject line (variant Ideas)", "")]


@pytest.mark.django_db
def test_marketing_touches_are_limited_and_take_a_fixed_number_of_queries(deal, touches, ada, acme):
    for i in range(35):
        Touchpoint.objects.create(
            contact=ada, kind=TouchpointKind.PAGE_VIEW, occurred_at=at(3) + timedelta(minutes=i)
        )
    deal = selectors.deals_queryset().get(pk=deal.pk)
    with CaptureQueriesContext(connection) as small:
        selectors.deal_page(deal=deal, now=at(20))
    for i in range(5):
        DealContact.objects.create(deal=deal, contact=person(f"P{i}", "Member", acme), role="user")
    with CaptureQueriesContext(connection) as big:
        page = selectors.deal_page(deal=deal, now=at(20))

    assert len(page.touches) == 30
    assert page.touches[0].occurred_at == at(3) + timedelta(minutes=34)
    assert len(big.captured_queries) == len(small.captured_queries) == 5


# --- Visibility --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rep_of_another_team_gets_404_everywhere(client, rep_a, rep_b, deal, grace, media):
    member = deal_contact_add(actor=rep_a, deal=deal, contact=grace, role="champion")
    client.force_login(rep_a)
    client.post(url(deal, "files/upload"), {"upload-file": SimpleUploadedFile("a.txt", b"abc")})
    stored = DealAttachment.objects.get()
    client.force_login(rep_b)
    posts = {
        "committee": {"member-contact": grace.pk, "member-role": "user"},
        f"committee/{member.pk}": {"role": "blocker"},
        f"committee/{member.pk}/remove": {},
        "files/link": {"link-url": "https://x.example"},
        "files/upload": {"upload-file": SimpleUploadedFile("b.txt", b"b")},
        f"files/{stored.pk}/delete": {},
        "next-step": {"next_step": "Sneaky"},
        "forecast-category": {"forecast_category": "commit"},
        "close": {"outcome": "won", "reason": reason("won", "Relationship").pk},
    }

    assert client.get(url(deal)).status_code == 404
    assert client.get(url(deal, f"files/{stored.pk}")).status_code == 404
    for action, data in posts.items():
        assert client.post(url(deal, action), data).status_code == 404, action
    deal.refresh_from_db()
    assert (deal.status, deal.next_step, deal.forecast_category) == ("open", "", "pipeline")
    assert list(DealContact.objects.values_list("role", flat=True)) == ["champion"]
    assert DealAttachment.objects.count() == 1


# --- Services on their own ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_services_check_permissions_themselves(rep_a, rep_b, marketer, deal, grace):
    member = deal_contact_add(actor=rep_a, deal=deal, contact=grace, role="user")
    link = deal_attachment_add_link(actor=rep_a, deal=deal, title="", url="https://a.example/x")
    for user in (rep_b, marketer):
        calls = [
            (deal_contact_add, {"deal": deal, "contact": grace, "role": "user"}),
            (deal_contact_update, {"member": member, "role": "blocker"}),
            (deal_contact_remove, {"member": member}),
            (deal_attachment_add_link, {"deal": deal, "title": "x", "url": "https://b.example"}),
            (deal_attachment_delete, {"attachment": link}),
            (deal_update, {"deal": deal, "next_step": "Sneaky"}),
        ]
        for service, kwargs in calls:
            with pytest.raises(PermissionDenied):
                service(actor=user, **kwargs)
    member.refresh_from_db()
    assert member.role == "user"
    assert list(DealAttachment.objects.values_list("title", flat=True)) == ["https://a.example/x"]
    deal.refresh_from_db()
    assert deal.next_step == ""


@pytest.mark.django_db
def test_the_services_refuse_bad_values(rep_a, deal, grace):
    with pytest.raises(ValidationError) as role_error:
        deal_contact_add(actor=rep_a, deal=deal, contact=grace, role="ceo")
    with pytest.raises(ValidationError) as category_error:
        deal_forecast_category_set(actor=rep_a, deal=deal, category="certain")
    with pytest.raises(ValidationError) as step_error:
        deal_update(actor=rep_a, deal=deal, next_step="x" * 201)

    assert list(role_error.value.message_dict) == ["role"]
    assert category_error.value.message_dict == {
        "forecast_category": ["Choose a forecast category from the list."]
    }
    assert step_error.value.message_dict == {
        "next_step": ["Keep the next step under 200 characters."]
    }
    assert DealContact.objects.count() == 0


@pytest.mark.django_db
def test_a_stored_link_that_is_not_http_is_never_made_clickable(client, rep_a, deal):
    # Written past the service (e.g. by an old import): the page still shows it as text only.
    DealAttachment.objects.create(deal=deal, title="Evil", url="javascript:alert(1)")
    client.force_login(rep_a)

    html = client.get(url(deal)).content.decode()

    assert "Evil" in html
    assert 'href="javascript:' not in html
