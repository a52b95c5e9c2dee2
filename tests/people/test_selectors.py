"""People selectors: the unified timeline, profiles and list filters."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import RequestFactory

from revline.campaigns.models import Campaign, Channel
from revline.leads.models import TransitionCause
from revline.leads.services import lifecycle_advance
from revline.people import events
from revline.people.models import (
    Company,
    ConsentRecord,
    ConsentStatus,
    Contact,
    LifecycleStage,
    TimelineEvent,
)
from revline.people.selectors import (
    TimelineItem,
    company_listing,
    company_profile,
    contact_listing,
    contact_profile,
    contact_timeline,
    current_consents,
    event_item,
    lifecycle_steps,
    merge_newest_first,
    touchpoint_item,
)
from revline.people.services import company_create, consent_record, contact_create
from revline.sales.services import activity_log, deal_close_lost, deal_create
from revline.tracking.models import Touchpoint, TouchpointKind, TrackedLink
from revline.tracking.services import RequestInfo, touchpoint_record

pytestmark = pytest.mark.django_db


def _titles(items: list[TimelineItem]) -> list[tuple[str, str]]:
    return [(i.side, i.title) for i in items]


# --- Timeline ----------------------------------------------------------------------------------


def test_timeline_merges_marketing_and_sales_newest_first(t0, campaign, rep_a):
    # Given a contact who clicked an ad, became a lead, got a deal, a note, and lost the deal
    contact = Contact.objects.create(first_name="Ada", email="ada@example.com")
    touchpoint_record(
        kind=TouchpointKind.CLICK,
        visitor=None,
        contact=contact,
        campaign=campaign,
        utm={"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring"},
        info=RequestInfo(
            url="https://shop.example/lp/spring",
            referrer="https://google.com/",
            user_agent="Firefox/130",
        ),
        occurred_at=t0,
    )
    events.contact_created(
        contact=contact, source="landing_page:spring", occurred_at=t0 + timedelta(minutes=1)
    )
    touchpoint_record(
        kind=TouchpointKind.FORM_SUBMISSION,
        visitor=None,
        contact=contact,
        campaign=campaign,
        occurred_at=t0 + timedelta(minutes=2),
        params={"landing_page": "spring"},
    )
    lifecycle_advance(
        contact=contact,
        to_stage=LifecycleStage.LEAD,
        cause=TransitionCause.FORM,
        reason="Submitted the form",
        occurred_at=t0 + timedelta(minutes=3),
    )
    deal = deal_create(
        actor=rep_a,
        name="Ada deal",
        amount=Decimal("1000"),
        contact=contact,
        created_at=t0 + timedelta(days=1),
    )
    activity_log(
        actor=rep_a,
        kind="note",
        subject="Called",
        body="Wants a demo",
        contact=contact,
        occurred_at=t0 + timedelta(days=2),
    )
    deal_close_lost(actor=rep_a, deal=deal, note="Too expensive", at=t0 + timedelta(days=3))

    # When the timeline is read
    items = contact_timeline(contact=contact)

    # Then every touchpoint and event is there, newest first
    # (closing writes the stage change first, so at equal times "lost" is newer)
    assert _titles(items) == [
        ("sales", "Deal lost: Ada deal"),
        ("sales", "Deal stage changed: Ada deal"),
        ("sales", "Note: Called"),
        ("system", "Lifecycle stage: Lead → Opportunity"),
        ("sales", "Deal created: Ada deal"),
        ("system", "Lifecycle stage: Subscriber → Lead"),
        ("marketing", "Form submission · Spring"),
        ("system", "Contact created"),
        ("marketing", "Link click · Spring"),
    ]
    times = [i.occurred_at for i in items]
    assert times == sorted(times, reverse=True)
    lost = items[0]
    assert items[1].detail == ("Qualification → Lost",)
    assert lost.detail == ("Amount: €1,000", "Reason: Too expensive")
    assert (lost.source, lost.actor, lost.deal_id) == ("sales", "Rep_A", deal.pk)
    assert items[2].detail == ("Wants a demo",)
    assert items[5].detail == ("Submitted the form",)
    assert items[5].source == "form"
    click = items[-1]
    assert click.detail == (
        "Campaign: Spring (Paid search)",
        "UTM: source=google · medium=cpc · campaign=spring",
    )
    assert click.technical == (
        "URL: https://shop.example/lp/spring",
        "Referrer: https://google.com/",
        "User agent: Firefox/130",
    )
    assert click.source == "Paid search"
    assert items[-3].detail == ("Campaign: Spring (Paid search)", "Landing page: /lp/spring")


def test_timeline_is_cut_at_the_limit_keeping_the_newest(t0):
    contact = Contact.objects.create(email="lin@example.com")
    for minute in (0, 2, 4):
        touchpoint_record(
            kind=TouchpointKind.PAGE_VIEW,
            visitor=None,
            contact=contact,
            occurred_at=t0 + timedelta(minutes=minute),
        )
    for minute in (1, 3, 5):
        events.consent_changed(
            contact=contact,
            purpose="newsletter",
            status="granted",
            source="form",
            occurred_at=t0 + timedelta(minutes=minute),
        )

    items = contact_timeline(contact=contact, limit=4)

    assert [i.occurred_at for i in items] == [t0 + timedelta(minutes=m) for m in (5, 4, 3, 2)]
    assert _titles(items) == [
        ("system", "Consent granted: newsletter"),
        ("marketing", "Page view"),
        ("system", "Consent granted: newsletter"),
        ("marketing", "Page view"),
    ]


def test_timeline_shows_only_the_contacts_own_items(t0):
    ada = Contact.objects.create(email="ada@example.com")
    bob = Contact.objects.create(email="bob@example.com")
    touchpoint_record(kind=TouchpointKind.PAGE_VIEW, visitor=None, contact=bob, occurred_at=t0)
    events.contact_created(contact=bob, source="import", occurred_at=t0)

    assert contact_timeline(contact=ada) == []
    assert len(contact_timeline(contact=bob)) == 2


def test_touchpoint_item_words_a_touchpoint_without_the_database(t0):
    campaign = Campaign(name="Launch", channel=Channel.EMAIL)
    link = TrackedLink(label="Hero button", campaign=campaign)
    touchpoint = Touchpoint(
        kind=TouchpointKind.EMAIL_CLICK,
        occurred_at=t0,
        campaign=campaign,
        link=link,
        channel="email",
        utm_source="newsletter",
        utm_term="crm",
        params={"email_id": 7},
    )

    item = touchpoint_item(touchpoint)

    assert item == TimelineItem(
        occurred_at=t0,
        side="marketing",
        kind="email_click",
        title="Email click · Launch",
        detail=(
            "Campaign: Launch (Email)",
            "Link: Hero button",
            "Email id: 7",
            "UTM: source=newsletter · term=crm",
        ),
        source="Email",
    )


def test_touchpoint_without_campaign_or_channel_takes_its_source_from_utm(t0):
    assert (
        touchpoint_item(Touchpoint(kind="page_view", occurred_at=t0, utm_source="bing")).source
        == "bing"
    )
    assert touchpoint_item(Touchpoint(kind="page_view", occurred_at=t0)).source == "website"


@pytest.mark.parametrize(
    ("kind", "params", "title", "detail", "side"),
    [
        ("contact_created", {}, "Contact created", (), "system"),
        (
            "consent_changed",
            {"purpose": "newsletter", "status": "withdrawn"},
            "Consent withdrawn: newsletter",
            (),
            "system",
        ),
        (
            "lifecycle_changed",
            {"from_stage": "mql", "to_stage": "sql", "reason": ""},
            "Lifecycle stage: MQL → SQL",
            (),
            "system",
        ),
        (
            "deal_created",
            {"deal_name": "Big", "amount": "2500.50", "currency": "USD"},
            "Deal created: Big",
            ("Amount: $2,500.50",),
            "sales",
        ),
        (
            "deal_stage_changed",
            {"deal_name": "Big", "from_stage": "Discovery", "to_stage": "Proposal"},
            "Deal stage changed: Big",
            ("Discovery → Proposal",),
            "sales",
        ),
        (
            "deal_won",
            {"deal_name": "Big", "amount": "10", "currency": "EUR", "reason": "Fit"},
            "Deal won: Big",
            ("Amount: €10", "Reason: Fit"),
            "sales",
        ),
        (
            "activity",
            {"activity_kind": "call", "subject": "Intro", "body": "Line 1\nLine 2"},
            "Call: Intro",
            ("Line 1\nLine 2",),
            "sales",
        ),
        ("note", {"text": "Plain note"}, "Note", ("Plain note",), "sales"),
    ],
)
def test_event_item_words_each_kind(t0, kind, params, title, detail, side):
    event = TimelineEvent(kind=kind, occurred_at=t0, source="sales", params=params)

    item = event_item(event)

    assert (item.title, item.detail, item.side, item.source, item.actor) == (
        title,
        detail,
        side,
        "sales",
        "",
    )


def test_merge_keeps_marketing_first_on_equal_times(t0):
    marketing = [TimelineItem(occurred_at=t0, side="marketing", kind="click", title="M")]
    sales = [
        TimelineItem(occurred_at=t0 + timedelta(seconds=1), side="sales", kind="note", title="S1"),
        TimelineItem(occurred_at=t0, side="sales", kind="note", title="S0"),
    ]

    merged = merge_newest_first(marketing, sales, limit=10)

    assert [i.title for i in merged] == ["S1", "M", "S0"]
    assert merge_newest_first(marketing, sales, limit=1) == [sales[0]]


# --- Profiles ----------------------------------------------------------------------------------


def test_current_consent_is_the_newest_record_per_purpose(t0):
    contact = Contact.objects.create(email="c@example.com")
    consent_record(contact=contact, purpose="newsletter", granted=True, source="lp", recorded_at=t0)
    consent_record(contact=contact, purpose="phone", granted=True, source="lp", recorded_at=t0)
    consent_record(
        contact=contact,
        purpose="newsletter",
        granted=False,
        source="unsubscribe",
        recorded_at=t0 + timedelta(days=1),
    )
    history = list(ConsentRecord.objects.filter(contact=contact))

    current = current_consents(history)

    assert [(c.purpose, c.status, c.source) for c in current] == [
        ("newsletter", ConsentStatus.WITHDRAWN, "unsubscribe"),
        ("phone", ConsentStatus.GRANTED, "lp"),
    ]


def test_lifecycle_steps_mark_done_and_current():
    steps = lifecycle_steps("mql")

    assert [(s.value, s.state) for s in steps] == [
        ("subscriber", "done"),
        ("lead", "done"),
        ("mql", "current"),
        ("sal", ""),
        ("sql", ""),
        ("opportunity", ""),
        ("customer", ""),
        ("evangelist", ""),
    ]
    assert {s.state for s in lifecycle_steps("disqualified")} == {""}


def test_contact_profile_collects_consents_transitions_deals_and_timeline(t0, rep_a):
    contact = Contact.objects.create(email="p@example.com")
    consent_record(
        contact=contact,
        purpose="newsletter",
        granted=True,
        source="lp",
        recorded_at=t0,
        wording_version="2",
        ip_address="203.0.113.9",
    )
    deal = deal_create(
        actor=rep_a, name="Deal P", amount=Decimal("5"), contact=contact, created_at=t0
    )
    other = Contact.objects.create(email="other@example.com")
    deal_create(actor=rep_a, name="Not P", amount=Decimal("5"), contact=other, created_at=t0)

    profile = contact_profile(contact=contact, timeline_limit=2)

    assert [c.wording_version for c in profile.consents] == ["2"]
    assert [(t.from_stage, t.to_stage, t.cause) for t in profile.transitions] == [
        ("subscriber", "opportunity", "deal")
    ]
    assert profile.deals == [deal]
    assert len(profile.timeline) == 2
    assert profile.timeline_truncated is True
    assert [s.state for s in profile.steps][5] == "current"


def test_company_profile_lists_its_contacts_and_deals(rep_a):
    acme = company_create(actor=None, name="Acme")
    other = company_create(actor=None, name="Other")
    ada = contact_create(actor=None, email="ada@acme.test", last_name="Zeta", company=acme)
    bob = contact_create(actor=None, email="bob@acme.test", last_name="Alpha", company=acme)
    contact_create(actor=None, email="eve@other.test", company=other)
    deal = deal_create(actor=rep_a, name="Acme deal", amount=Decimal("1"), contact=ada)

    profile = company_profile(company=acme)

    assert profile.contacts == [bob, ada]
    assert profile.contact_count == 2
    assert profile.deals == [deal]


# --- Lists -------------------------------------------------------------------------------------


@pytest.fixture
def people(db, rep_a, marketer) -> dict[str, Contact]:
    acme = company_create(actor=None, name="Acme Corp", domain="acme.test")
    globex = company_create(actor=None, name="Globex", domain="globex.test")
    return {
        "ada": contact_create(
            actor=None,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@acme.test",
            company=acme,
            owner=rep_a,
            tags=["vip"],
        ),
        "alan": contact_create(
            actor=None,
            first_name="Alan",
            last_name="Turing",
            email="alan@globex.test",
            company=globex,
            owner=marketer,
            tags=["vip", "partner"],
        ),
        "grace": contact_create(
            actor=None, first_name="Grace", last_name="Hopper", email="grace@navy.test"
        ),
    }


def _names(listing) -> list[str]:
    return sorted(c.first_name for c in listing.page.object_list)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Ada", "Alan", "Grace"]),
        ({"q": "ada lovelace"}, ["Ada"]),
        ({"q": "GLOBEX"}, ["Alan"]),
        ({"q": "navy.test"}, ["Grace"]),
        ({"tag": "vip"}, ["Ada", "Alan"]),
        ({"tag": "partner"}, ["Alan"]),
        ({"tag": "nope"}, []),
        ({"stage": "subscriber"}, ["Ada", "Alan", "Grace"]),
        ({"stage": "customer"}, []),
        ({"q": "a", "tag": "vip"}, ["Ada", "Alan"]),
    ],
)
def test_contact_listing_searches_and_filters(people, query, expected):
    request = RequestFactory().get("/people/contacts/", query)

    assert _names(contact_listing(request)) == expected


def test_contact_listing_filters_by_owner_and_company(people, rep_a):
    acme = Company.objects.get(name="Acme Corp")
    by_owner = RequestFactory().get("/", {"owner": rep_a.pk})
    by_company = RequestFactory().get("/", {"company": acme.pk})

    assert _names(contact_listing(by_owner)) == ["Ada"]
    assert _names(contact_listing(by_company)) == ["Ada"]


def test_contact_listing_ignores_skipped_filters(people):
    request = RequestFactory().get("/", {"owner": "abc", "tag": "partner"})

    assert _names(contact_listing(request, skip_filters={"owner"})) == ["Alan"]


def test_contact_listing_sorts_by_each_column(people):
    def order(sort: str) -> list[str]:
        return [
            c.first_name for c in contact_listing(RequestFactory().get("/", {"sort": sort})).page
        ]

    assert order("name") == ["Grace", "Ada", "Alan"]
    assert order("-name") == ["Alan", "Ada", "Grace"]
    assert order("email") == ["Ada", "Alan", "Grace"]
    assert order("created") == ["Ada", "Alan", "Grace"]
    assert order("-created") == ["Grace", "Alan", "Ada"]
    # Where NULLs sort differs between SQLite and PostgreSQL, so only companies are compared.
    assert [n for n in order("company") if n != "Grace"] == ["Ada", "Alan"]


def test_company_listing_counts_contacts_and_filters(people):
    company_create(actor=None, name="Initech", industry="Software", size="11-50", country="us")
    Company.objects.filter(name="Acme Corp").update(industry="Software", country="DE")

    def rows(query: dict[str, str]) -> list[tuple[str, int]]:
        listing = company_listing(RequestFactory().get("/", query))
        return [(c.name, c.contact_count) for c in listing.page]

    assert rows({}) == [("Acme Corp", 1), ("Globex", 1), ("Initech", 0)]
    assert rows({"industry": "Software"}) == [("Acme Corp", 1), ("Initech", 0)]
    assert rows({"country": "US"}) == [("Initech", 0)]
    assert rows({"size": "11-50"}) == [("Initech", 0)]
    assert rows({"q": "globex.test"}) == [("Globex", 1)]
    assert rows({"sort": "-contacts"})[-1] == ("Initech", 0)


def test_ab_test_and_survey_touches_are_worded_for_people(t0):
    params = {"experiment": 3, "test": "Button label", "variant": "b", "variant_name": "Book"}
    shown = touchpoint_item(
        Touchpoint(kind=TouchpointKind.EXPERIMENT_EXPOSURE, occurred_at=t0, params=params)
    )
    reached = touchpoint_item(
        Touchpoint(
            kind=TouchpointKind.EXPERIMENT_CONVERSION,
            occurred_at=t0,
            params={**params, "goal": "form_submission"},
        )
    )
    answered = touchpoint_item(
        Touchpoint(
            kind=TouchpointKind.SURVEY_RESPONSE,
            occurred_at=t0,
            params={"survey": "Customer NPS", "nps": 9},
        )
    )

    assert (shown.title, shown.detail, shown.source) == (
        "Experiment exposure · Button label",
        ("Shown variant Book",),
        "",
    )
    assert (reached.title, reached.detail) == (
        "Experiment goal reached · Button label",
        ("Reached the goal with variant Book",),
    )
    assert (answered.title, answered.detail, answered.source) == (
        "Survey response · Customer NPS",
        ("Answered the survey: NPS 9",),
        "",
    )
