"""The one view of a contact and of a company: lifecycle, panels, timeline tabs, objections,
content consumed, the company's stage and combined timeline."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from revline.content.models import ContentItem
from revline.leads.services import lifecycle_advance
from revline.people.models import Company, Contact
from revline.people.selectors import company_lifecycle_stage, most_advanced_stage
from revline.sales.activity_services import activity_log
from revline.sales.models import ObjectionType
from revline.sales.objection_services import objection_log
from revline.sales.services import deal_create
from revline.tracking.models import Touchpoint, TouchpointKind
from revline.tracking.services import touchpoint_record


@pytest.fixture
def acme(db) -> Company:
    return Company.objects.create(name="Acme Corp")


@pytest.fixture
def ada(acme) -> Contact:
    return Contact.objects.create(
        first_name="Ada", last_name="Lovelace", email="ada@acme.test", company=acme
    )


@pytest.fixture
def logged_in(client, marketer):
    client.force_login(marketer)
    return client


def test_most_advanced_stage_prefers_forward_stages_then_recycled():
    assert most_advanced_stage(["lead", "sql", "mql"]) == "sql"
    assert most_advanced_stage(["disqualified", "lead"]) == "lead"
    assert most_advanced_stage(["disqualified", "recycled"]) == "recycled"
    assert most_advanced_stage(["disqualified"]) == "disqualified"
    assert most_advanced_stage([]) is None


def test_company_stage_is_its_most_advanced_contact(acme, ada):
    Contact.objects.create(first_name="Bob", company=acme, lifecycle_stage="mql")
    Contact.objects.create(first_name="Elsewhere", lifecycle_stage="customer")

    assert company_lifecycle_stage(company=acme) == "mql"
    assert company_lifecycle_stage(company=Company.objects.create(name="Empty")) is None


def test_contact_page_shows_lifecycle_history_and_the_three_panels(logged_in, ada, manager_a):
    lifecycle_advance(
        contact=ada,
        to_stage="mql",
        cause="person",
        actor=manager_a,
        reason="Asked for pricing",
        occurred_at=datetime(2025, 3, 4, 10, 30, tzinfo=UTC),
    )

    html = logged_in.get(f"/people/contacts/{ada.pk}/").content.decode()

    assert 'Subscriber → MQL<div class="muted">Asked for pricing</div>' in html
    assert "Mar 4, 2025 10:30" in html
    assert 'Person<div class="muted">by Manager_A</div>' in html
    assert '<span class="step current">MQL</span>' in html
    for name in ("score", "prediction", "handoff"):
        assert f'hx-get="/leads/contacts/{ada.pk}/{name}/" hx-trigger="load"' in html


def test_contact_page_timeline_tabs_filter_the_items(logged_in, ada, marketer, rep_a):
    touchpoint_record(kind=TouchpointKind.PAGE_VIEW, visitor=None, contact=ada)
    activity_log(actor=marketer, kind="note", subject="Note one", body="Hello", contact=ada)
    activity_log(actor=marketer, kind="call", subject="Called her", contact=ada)

    def titles(tab: str) -> list[str]:
        response = logged_in.get(f"/people/contacts/{ada.pk}/?tab={tab}")
        return [item.title for item in response.context["profile"].timeline]

    assert set(titles("all")) == {"Call: Called her", "Note: Note one", "Page view"}
    assert titles("marketing") == ["Page view"]
    assert titles("sales") == ["Call: Called her", "Note: Note one"]
    assert titles("notes") == ["Note: Note one"]
    assert titles("bogus") == titles("all")
    html = logged_in.get(f"/people/contacts/{ada.pk}/?tab=notes").content.decode()
    assert 'class="active" data-tab="notes" aria-current="page">Notes</a>' in html


def test_contact_page_shows_objections_and_content_consumed(logged_in, ada, rep_a, rep_b):
    deal = deal_create(actor=rep_a, name="Ada deal", amount=Decimal("500"), contact=ada)
    price = ObjectionType.objects.create(name="Price")
    objection_log(actor=rep_a, deal=deal, objection_type=price, buyer_words="Too dear")
    guide = ContentItem.objects.create(title="Pricing guide", kind="whitepaper")
    for _ in range(2):
        Touchpoint.objects.create(
            kind=TouchpointKind.PAGE_VIEW,
            occurred_at=timezone.now(),
            contact=ada,
            content_item=guide,
        )

    html = logged_in.get(f"/people/contacts/{ada.pk}/").content.decode()

    assert "Objection: Price · Ada deal" in html
    assert "“Too dear”" in html
    assert 'Pricing guide <span class="muted">· Whitepaper</span>' in html
    assert "2×" in html
    assert "Content: Pricing guide (Whitepaper)" in html


def test_objections_of_deals_the_viewer_cannot_see_are_not_shown(client, ada, rep_a, rep_b):
    deal = deal_create(actor=rep_a, name="Secret deal", amount=Decimal("500"), contact=ada)
    objection_log(
        actor=rep_a,
        deal=deal,
        objection_type=ObjectionType.objects.create(name="Price"),
        buyer_words="Too dear",
    )
    client.force_login(rep_b)

    html = client.get(f"/people/contacts/{ada.pk}/").content.decode()

    assert "Objection: Price" not in html
    assert "Too dear" not in html
    assert "No objection raised on this contact's deals." in html


def test_contact_page_query_count_is_bounded(
    logged_in, ada, marketer, rep_a, django_assert_max_num_queries
):
    for _ in range(10):
        touchpoint_record(kind=TouchpointKind.PAGE_VIEW, visitor=None, contact=ada)
    for i in range(3):
        deal = deal_create(actor=rep_a, name=f"D{i}", amount=Decimal("1"), contact=ada)
        objection_log(
            actor=rep_a,
            deal=deal,
            objection_type=ObjectionType.objects.get_or_create(name="Price")[0],
        )
    for i in range(5):
        activity_log(actor=marketer, kind="note", subject=f"N{i}", body="@rep_a hi", contact=ada)

    # session, user, contact, tags, consents, transitions, deals, objections, touchpoints,
    # events, email sends, deal visibility, meetings, content consumed, mentioned users
    with django_assert_max_num_queries(15):
        response = logged_in.get(f"/people/contacts/{ada.pk}/")

    assert response.status_code == 200


def test_company_page_shows_stage_contacts_with_scores_and_combined_timeline(
    logged_in, acme, ada, rep_a
):
    bob = Contact.objects.create(
        first_name="Bob", last_name="Baker", company=acme, fit_score=35, engagement_score=12
    )
    lifecycle_advance(contact=bob, to_stage="sql", cause="person", reason="Qualified on a call")
    touchpoint_record(kind=TouchpointKind.PAGE_VIEW, visitor=None, contact=ada)

    response = logged_in.get(f"/people/companies/{acme.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="badge lc lc-sql" id="company-stage">SQL</span>' in html
    assert f'hx-get="/leads/companies/{acme.pk}/score/" hx-trigger="load"' in html
    assert f'<tr data-contact="{bob.pk}">' in html
    assert '<td class="num">35</td>' in html
    assert "Subscriber → SQL" in html
    timeline = response.context["profile"].timeline
    assert {(item.title, item.contact_name) for item in timeline} >= {
        ("Page view", "Ada Lovelace"),
        ("Lifecycle stage: Subscriber → SQL", "Bob Baker"),
    }


def test_company_page_without_contacts_has_no_stage(logged_in, db):
    company = Company.objects.create(name="Lonely Ltd")

    html = logged_in.get(f"/people/companies/{company.pk}/").content.decode()

    assert "No contacts yet, so no stage." in html
