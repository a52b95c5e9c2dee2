"""The lifecycle funnel and event funnels on small, known histories."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from revline.analytics.funnel_selectors import (
    event_funnel_counts,
    event_funnel_report,
    lifecycle_funnel_report,
)
from revline.analytics.funnels import StepError, StepSpec
from revline.campaigns.models import Campaign
from revline.leads.models import LifecycleTransition, TransitionCause
from revline.people.models import Contact
from revline.segments.models import Segment
from revline.tracking.models import Touchpoint, Visitor

JAN_TO_MAR = {"first": date(2025, 1, 1), "last": date(2025, 3, 31)}


def at(month: int, day: int, hour: int = 9, year: int = 2025, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def contact(name: str, created: datetime, stage: str = "subscriber", **fields) -> Contact:
    person = Contact.objects.create(
        first_name=name, last_name="Test", lifecycle_stage=stage, **fields
    )
    Contact.objects.filter(pk=person.pk).update(created_at=created)
    return person


def move(person: Contact, from_stage: str, to_stage: str, when: datetime) -> None:
    LifecycleTransition.objects.create(
        contact=person,
        from_stage=from_stage,
        to_stage=to_stage,
        occurred_at=when,
        cause=TransitionCause.RULE,
    )


def visitor(person: Contact | None = None) -> Visitor:
    return Visitor.objects.create(
        id=uuid.uuid4(), contact=person, first_seen_at=at(1, 1), last_seen_at=at(1, 1)
    )


def touch(
    when: datetime,
    *,
    person: Contact | None = None,
    by: Visitor | None = None,
    kind: str = "page_view",
    url: str = "",
    campaign: Campaign | None = None,
    channel: str = "",
) -> Touchpoint:
    return Touchpoint.objects.create(
        kind=kind,
        occurred_at=when,
        contact=person,
        visitor=by,
        url=url,
        campaign=campaign,
        channel=channel,
    )


# --- Lifecycle funnel ---------------------------------------------------------------------------


@pytest.fixture
def lifecycle(db, rep_a):
    """A stood in every stage up to opportunity; B was created a lead, recycled and came back;
    C was created a lead and jumped to SQL, then won; D is older than the cohort. V1 and V2 are
    anonymous visitors seen in the range, V3 only before it; A's own visitor is identified."""
    x = Campaign.objects.create(name="Spring search", channel="paid_search")
    y = Campaign.objects.create(name="Newsletter", channel="email")
    a = contact("A", at(1, 5), owner=rep_a, country="DE")
    touch(at(1, 3), person=a, by=visitor(a), campaign=x)
    touch(at(1, 4), person=a, campaign=y, channel="email")
    move(a, "subscriber", "lead", at(1, 10))
    move(a, "lead", "mql", at(1, 20))
    move(a, "mql", "sal", at(2, 4))
    move(a, "sal", "sql", at(2, 10))
    move(a, "sql", "opportunity", at(3, 1))
    b = contact("B", at(1, 8), stage="lead", owner=rep_a, country="FR")
    touch(at(2, 1), person=b, campaign=y, channel="email")
    move(b, "lead", "mql", at(2, 1))
    move(b, "mql", "recycled", at(2, 10))
    move(b, "recycled", "mql", at(3, 3))
    c = contact("C", at(2, 2), stage="lead", country="DE")
    move(c, "lead", "sql", at(2, 15))
    move(c, "sql", "opportunity", at(2, 25))
    move(c, "opportunity", "customer", at(3, 10))
    d = contact("D", at(12, 1, year=2024), stage="lead")
    move(d, "lead", "mql", at(1, 15))
    v1, v2, v3 = visitor(), visitor(), visitor()
    touch(at(1, 15), by=v1, campaign=x)
    touch(at(2, 15), by=v1)
    touch(at(3, 1), by=v2)
    touch(at(12, 20, year=2024), by=v3, campaign=x)
    return {"x": x, "y": y, "a": a, "b": b, "c": c, "rep": rep_a}


def counts(steps) -> list[int]:
    return [s.count for s in steps]


def test_lifecycle_funnel_of_the_cohort(lifecycle):
    report = lifecycle_funnel_report(**JAN_TO_MAR)

    # visitor, lead, MQL, SAL, SQL, opportunity, customer
    assert counts(report.steps) == [5, 3, 3, 2, 2, 2, 1]
    assert report.contacts == 3
    assert report.anonymous_visitors == 2
    assert [s.step_rate for s in report.steps] == [None, 60.0, 100.0, 66.7, 100.0, 100.0, 50.0]
    assert [s.overall_rate for s in report.steps] == [100.0, 60.0, 60.0, 40.0, 40.0, 40.0, 20.0]


def test_lifecycle_funnel_median_times_between_stages(lifecycle):
    report = lifecycle_funnel_report(**JAN_TO_MAR)

    medians = [(s.median_from_previous, s.timed) for s in report.steps]
    assert medians == [
        (None, 0),
        (timedelta(days=7), 1),  # A: first touch Jan 3 → lead Jan 10 (B was tracked later)
        (timedelta(days=13), 3),  # A 10 days, B 24, C 13 (stood in lead, then jumped)
        (timedelta(days=15), 1),  # A only: C skipped MQL
        (timedelta(days=6), 1),  # A only: C skipped SAL
        (timedelta(days=14.5), 2),  # A 19 days, C 10
        (timedelta(days=13), 1),  # C
    ]


def test_lifecycle_funnel_cohorts_per_month(lifecycle):
    report = lifecycle_funnel_report(**JAN_TO_MAR, interval="month")

    assert [(c.label, counts(c.steps)) for c in report.cohorts] == [
        ("Jan 2025", [3, 2, 2, 1, 1, 1, 0]),  # A, B and V1
        ("Feb 2025", [2, 1, 1, 1, 1, 1, 1]),  # C and V1 (seen again)
        ("Mar 2025", [1, 0, 0, 0, 0, 0, 0]),  # V2
    ]


def test_lifecycle_funnel_cohorts_per_quarter(lifecycle):
    report = lifecycle_funnel_report(**JAN_TO_MAR, interval="quarter")

    assert [(c.label, counts(c.steps)) for c in report.cohorts] == [
        ("Q1 2025", [5, 3, 3, 2, 2, 2, 1])
    ]


def test_lifecycle_funnel_by_first_touch_campaign(lifecycle):
    report = lifecycle_funnel_report(**JAN_TO_MAR, breakdown="campaign")

    assert [(g.label, counts(g.steps)) for g in report.groups] == [
        ("Spring search", [2, 1, 1, 1, 1, 1, 0]),  # A and V1
        ("No campaign", [2, 1, 1, 1, 1, 1, 1]),  # C and V2
        ("Newsletter", [1, 1, 1, 0, 0, 0, 0]),  # B
    ]


def test_lifecycle_funnel_by_first_touch_channel(lifecycle):
    report = lifecycle_funnel_report(**JAN_TO_MAR, breakdown="channel")

    assert [(g.key, g.label, counts(g.steps)) for g in report.groups] == [
        ("paid_search", "Paid search", [2, 1, 1, 1, 1, 1, 0]),  # A (its campaign's), V1
        (None, "No channel", [2, 1, 1, 1, 1, 1, 1]),
        ("email", "Email", [1, 1, 1, 0, 0, 0, 0]),
    ]


def test_lifecycle_funnel_by_owner_counts_contacts_only(lifecycle):
    report = lifecycle_funnel_report(**JAN_TO_MAR, breakdown="owner")

    assert [(g.key, counts(g.steps)) for g in report.groups] == [
        (lifecycle["rep"].pk, [2, 2, 2, 1, 1, 1, 0]),
        (None, [1, 1, 1, 1, 1, 1, 1]),
    ]
    assert [g.label for g in report.groups] == ["Rep_A", "No owner"]


def test_lifecycle_funnel_restricted_to_a_segment(lifecycle):
    germany = Segment.objects.create(
        name="Germany",
        definition={
            "match": "all",
            "conditions": [{"type": "field", "field": "country", "op": "eq", "value": "DE"}],
        },
    )

    report = lifecycle_funnel_report(**JAN_TO_MAR, segment=germany)

    # A and C only; anonymous visitors belong to no segment
    assert counts(report.steps) == [2, 2, 2, 2, 2, 2, 1]
    assert report.anonymous_visitors == 0
    assert [(c.label, counts(c.steps)) for c in report.cohorts] == [
        ("Jan 2025", [1, 1, 1, 1, 1, 1, 0]),
        ("Feb 2025", [1, 1, 1, 1, 1, 1, 1]),
        ("Mar 2025", [0, 0, 0, 0, 0, 0, 0]),
    ]


def test_lifecycle_funnel_by_segment_has_a_row_per_segment(lifecycle):
    def by_country(code: str) -> dict:
        return {
            "match": "all",
            "conditions": [{"type": "field", "field": "country", "op": "eq", "value": code}],
        }

    Segment.objects.create(name="Germany", definition=by_country("DE"))
    Segment.objects.create(name="France", definition=by_country("FR"))
    Segment.objects.create(name="Spain", definition=by_country("ES"))
    Segment.objects.create(name="Broken", definition={"match": "all", "conditions": [{}]})

    report = lifecycle_funnel_report(**JAN_TO_MAR, breakdown="segment")

    assert [(g.label, counts(g.steps)) for g in report.groups] == [
        ("Germany", [2, 2, 2, 2, 2, 2, 1]),
        ("France", [1, 1, 1, 0, 0, 0, 0]),
        ("Spain", [0, 0, 0, 0, 0, 0, 0]),
    ]


def test_lifecycle_funnel_of_an_empty_range(lifecycle):
    report = lifecycle_funnel_report(first=date(2023, 1, 1), last=date(2023, 1, 31))

    assert counts(report.steps) == [0] * 7
    assert report.groups == []


def test_an_unknown_breakdown_is_refused(db):
    with pytest.raises(ValueError, match="Unknown breakdown 'stage'"):
        lifecycle_funnel_report(**JAN_TO_MAR, breakdown="stage")


# --- Event funnels ------------------------------------------------------------------------------

PRICING_FORM_MEETING = [
    StepSpec("page_view", "contains", "/pricing"),
    StepSpec("form_submission"),
    StepSpec("meeting_booked"),
]
MARCH = {"first": date(2025, 3, 1), "last": date(2025, 3, 31)}
SITE = "https://www.shop.example"


@pytest.fixture
def events(db):
    def person(name: str) -> Contact:
        return contact(name, at(1, 1))

    p1 = person("P1")  # all three steps in order
    touch(at(3, 2, 10), person=p1, url=f"{SITE}/pricing")
    touch(at(3, 3), person=p1, kind="form_submission")
    touch(at(3, 4), person=p1, kind="meeting_booked")
    p2 = person("P2")  # form before pricing: only step 1
    touch(at(3, 1), person=p2, kind="form_submission")
    touch(at(3, 5), person=p2, url=f"{SITE}/pricing")
    touch(at(3, 6), person=p2, kind="meeting_booked")
    p3 = person("P3")  # repeated steps count once; the meeting falls outside the 7-day window
    touch(at(3, 10), person=p3, url=f"{SITE}/pricing")
    touch(at(3, 11), person=p3, url=f"{SITE}/pricing?plan=pro")
    touch(at(3, 12), person=p3, kind="form_submission")
    touch(at(3, 13), person=p3, kind="form_submission")
    touch(at(3, 20), person=p3, kind="meeting_booked")
    v4 = visitor()  # an anonymous visitor: steps 1 and 2
    touch(at(3, 15), by=v4, url=f"{SITE}/pricing")
    touch(at(3, 16), by=v4, kind="form_submission")
    p5 = person("P5")  # pricing only before the range, a non-matching page in it
    touch(at(2, 25), person=p5, url=f"{SITE}/pricing")
    touch(at(3, 3), person=p5, url=f"{SITE}/blog")
    touch(at(3, 4), person=p5, kind="form_submission")
    p6 = person("P6")  # matched case-insensitively; a meeting without a form
    touch(at(3, 20), person=p6, url=f"{SITE}/PRICING/enterprise")
    touch(at(3, 21), person=p6, kind="meeting_booked")
    v7 = visitor()  # step 1 late in the range, step 2 after it but inside the window
    touch(at(3, 31, 23), by=v7, url=f"{SITE}/pricing")
    touch(at(4, 2), by=v7, kind="form_submission")
    p8 = person("P8")  # form and meeting at the same moment
    touch(at(3, 8, 9), person=p8, url=f"{SITE}/pricing")
    touch(at(3, 8, 9, minute=30), person=p8, kind="form_submission")
    touch(at(3, 8, 9, minute=30), person=p8, kind="meeting_booked")


def test_event_funnel_counts_people_in_order_within_the_window(events):
    report = event_funnel_report(steps=PRICING_FORM_MEETING, **MARCH, window_days=7)

    assert [(r.count, r.dropped) for r in report.rows] == [(7, 0), (5, 2), (2, 3)]
    assert [r.step_rate for r in report.rows] == [None, 71.4, 40.0]
    assert [r.overall_rate for r in report.rows] == [100.0, 71.4, 28.6]
    assert [r.label for r in report.rows] == [
        "Page view (URL contains “/pricing”)",
        "Form submission",
        "Meeting booked",
    ]


def test_a_longer_window_lets_later_steps_in(events):
    report = event_funnel_report(steps=PRICING_FORM_MEETING, **MARCH, window_days=14)

    assert [r.count for r in report.rows] == [7, 5, 3]  # P3's meeting, 10 days after pricing


def test_a_step_exactly_at_the_end_of_the_window_counts(db):
    p = contact("P", at(1, 1))
    touch(at(3, 2, 10), person=p, url=f"{SITE}/pricing")
    touch(at(3, 9, 10), person=p, kind="form_submission")
    q = contact("Q", at(1, 1))
    touch(at(3, 2, 10), person=q, url=f"{SITE}/pricing")
    touch(datetime(2025, 3, 9, 10, 0, 1, tzinfo=UTC), person=q, kind="form_submission")

    found = event_funnel_counts(
        steps=PRICING_FORM_MEETING[:2],
        start=at(3, 1, 0),
        end=at(4, 1, 0),
        window_days=7,
    )

    assert found == [2, 1]


def test_one_touchpoint_never_counts_as_two_steps_of_the_same_kind(db):
    once = visitor()
    touch(at(3, 2), by=once, url=f"{SITE}/pricing")
    twice = visitor()
    touch(at(3, 2), by=twice, url=f"{SITE}/pricing")
    touch(at(3, 3), by=twice, url=f"{SITE}/pricing/enterprise")

    report = event_funnel_report(
        steps=[StepSpec("page_view", "contains", "pricing"), StepSpec("page_view")],
        **MARCH,
        window_days=7,
    )

    assert [r.count for r in report.rows] == [2, 1]


def test_a_regex_step_and_the_contact_and_its_anonymous_past_are_one_person(db):
    # Given a contact whose visitor's touchpoints were attached when identified
    p = contact("P", at(1, 1))
    own = visitor(p)
    touch(at(3, 2), person=p, by=own, url=f"{SITE}/plans")
    touch(at(3, 3), person=p, by=own, kind="form_submission")
    touch(at(3, 3), by=visitor(), url=f"{SITE}/plans/extra")  # does not match the pattern

    report = event_funnel_report(
        steps=[
            StepSpec("page_view", "regex", r"/(pricing|plans)$"),
            StepSpec("form_submission"),
        ],
        **MARCH,
        window_days=7,
    )

    assert [r.count for r in report.rows] == [1, 1]


def test_contains_treats_like_wildcards_literally(db):
    touch(at(3, 2), by=visitor(), url=f"{SITE}/sale_50%")
    touch(at(3, 2), by=visitor(), url=f"{SITE}/saleX50")

    report = event_funnel_report(
        steps=[StepSpec("page_view", "contains", "sale_50%"), StepSpec("order")],
        **MARCH,
        window_days=7,
    )

    assert [r.count for r in report.rows] == [1, 0]


def test_an_event_funnel_of_nobody(db):
    report = event_funnel_report(steps=PRICING_FORM_MEETING, **MARCH, window_days=7)

    assert [(r.count, r.step_rate) for r in report.rows] == [(0, None), (0, None), (0, None)]


def test_the_report_refuses_bad_steps(db):
    with pytest.raises(StepError, match=r"Step 2: choose a kind of touchpoint\."):
        event_funnel_report(
            steps=[StepSpec("page_view"), StepSpec("teleport")], **MARCH, window_days=7
        )
