"""The workspace's journeys as attribution-engine rows: converting paths (touches before a won
deal, valued at its amount_base), null paths (contacts who never converted), date ranges,
deal visibility, and the reports built on them."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revline.analytics.engine import PathRow
from revline.analytics.journeys import (
    PIPELINE,
    attribution_report,
    to_cents,
    workspace_journeys,
)
from revline.campaigns.models import Campaign, Channel
from revline.people.services import contact_create
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import touchpoint_record

DAY = 86_400.0


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def touch(contact, campaign, when):
    touchpoint_record(
        kind=TouchpointKind.CLICK,
        visitor=None,
        contact=contact,
        campaign=campaign,
        occurred_at=when,
    )


def won(contact, owner, amount, closed, created=None):
    deal = deal_create(
        actor=None,
        owner=owner,
        name=f"{contact.email} deal",
        amount=Decimal(amount),
        contact=contact,
        created_at=created or at(1, 1),
    )
    deal_close_won(actor=None, deal=deal, note="Fit", at=closed)
    return deal


@pytest.fixture
def history(db, rep_a, rep_b):
    """ada: Search, Social, Search, then won €900 by team A on Mar 10 (a Mail touch after the
    close does not count); bob: Social, then won €100 by team B on Mar 20; cy: Mail, Social, never
    converted (last touch Mar 4); dee: Mail on Mar 25, never converted; eve: won €50 (unowned)
    on Mar 15 without any touch."""
    search = Campaign.objects.create(name="Search", channel=Channel.PAID_SEARCH)
    social = Campaign.objects.create(name="Social", channel=Channel.PAID_SOCIAL)
    mail = Campaign.objects.create(name="Mail", channel=Channel.EMAIL)
    people = {
        n: contact_create(actor=None, email=f"{n}@example.com")
        for n in ("ada", "bob", "cy", "dee", "eve")
    }
    touch(people["ada"], search, at(3, 1))
    touch(people["ada"], social, at(3, 5))
    touch(people["ada"], search, at(3, 8))
    touch(people["ada"], mail, at(3, 12))
    touch(people["bob"], social, at(3, 2))
    touch(people["cy"], mail, at(3, 3))
    touch(people["cy"], social, at(3, 4))
    touch(people["dee"], mail, at(3, 25))
    won(people["ada"], rep_a, "900", at(3, 10))
    won(people["bob"], rep_b, "100", at(3, 20))
    won(people["eve"], None, "50", at(3, 15))
    ids = {c.name: str(c.pk) for c in (search, social, mail)}
    return ids, people


def by_path(rows):
    return {row.path: (row.conversions, row.value, row.nulls) for row in rows}


def test_converting_and_null_paths_in_touch_order(history):
    ids, _ = history
    s, so, m = ids["Search"], ids["Social"], ids["Mail"]

    journeys = workspace_journeys(dimension="campaign")

    assert by_path(journeys.rows) == {
        (s, so, s): (1.0, 900.0, 0.0),
        (so,): (1.0, 100.0, 0.0),
        (m, so): (0.0, 0.0, 1.0),
        (m,): (0.0, 0.0, 1.0),
        (): (1.0, 50.0, 0.0),
    }
    assert (journeys.deals, journeys.value) == (3, Decimal("1050.00"))
    assert (journeys.unattributed_deals, journeys.unattributed_value) == (1, Decimal("50.00"))
    assert journeys.null_journeys == 2
    assert journeys.labels == {s: "Search", so: "Social", m: "Mail"}
    assert journeys.attributed_value_by_month == {date(2025, 3, 1): Decimal("1000.00")}
    assert all(row.times is None for row in journeys.rows)


def test_channel_dimension_and_identical_paths_aggregate(history, rep_a):
    # A second contact whose journey is the same as bob's: one row with two conversions.
    fay = contact_create(actor=None, email="fay@example.com")
    touch(fay, Campaign.objects.get(name="Social"), at(3, 6))
    won(fay, rep_a, "30", at(3, 7))

    journeys = workspace_journeys(dimension="channel")

    assert by_path(journeys.rows) == {
        ("paid_search", "paid_social", "paid_search"): (1.0, 900.0, 0.0),
        ("paid_social",): (2.0, 130.0, 0.0),
        ("email", "paid_social"): (0.0, 0.0, 1.0),
        ("email",): (0.0, 0.0, 1.0),
        (): (1.0, 50.0, 0.0),
    }
    assert journeys.labels["paid_search"] == "Paid search"


def test_times_are_seconds_before_the_conversion(history):
    journeys = workspace_journeys(dimension="campaign", with_times=True)

    ada = next(r for r in journeys.rows if len(r.path) == 3)
    assert ada.times == (9 * DAY, 5 * DAY, 2 * DAY)
    nulls = [r for r in journeys.rows if r.nulls]
    assert [r.times for r in nulls] == [None, None]


def test_date_range_uses_the_conversion_date_and_the_last_touch_of_null_paths(history):
    ids, _ = history
    s, so, m = ids["Search"], ids["Social"], ids["Mail"]

    march_first_half = workspace_journeys(
        dimension="campaign", start=date(2025, 3, 1), end=date(2025, 3, 19)
    )
    late_march = workspace_journeys(
        dimension="campaign", start=date(2025, 3, 20), end=date(2025, 3, 31)
    )

    assert by_path(march_first_half.rows) == {
        (s, so, s): (1.0, 900.0, 0.0),
        (m, so): (0.0, 0.0, 1.0),
        (): (1.0, 50.0, 0.0),
    }
    assert by_path(late_march.rows) == {(so,): (1.0, 100.0, 0.0), (m,): (0.0, 0.0, 1.0)}


def test_a_rep_sees_their_teams_conversions_and_nobody_elses_as_null(history, rep_b):
    ids, _ = history
    so, m = ids["Social"], ids["Mail"]

    journeys = workspace_journeys(dimension="campaign", viewer=rep_b)

    # ada's deal is team A's: not rep_b's conversion, and not a null path either.
    assert by_path(journeys.rows) == {
        (so,): (1.0, 100.0, 0.0),
        (m, so): (0.0, 0.0, 1.0),
        (m,): (0.0, 0.0, 1.0),
        (): (1.0, 50.0, 0.0),
    }
    assert (journeys.deals, journeys.value, journeys.team_only) == (2, Decimal("150.00"), True)


def test_marketer_sees_the_whole_company(history, marketer):
    journeys = workspace_journeys(dimension="campaign", viewer=marketer)

    assert (journeys.deals, journeys.value, journeys.team_only) == (3, Decimal("1050.00"), False)


def test_pipeline_journeys_are_open_deals_up_to_their_creation(history, rep_a):
    ids, people = history
    so, m = ids["Social"], ids["Mail"]
    deal_create(
        actor=None,
        owner=rep_a,
        name="Open",
        amount=Decimal("400"),
        contact=people["cy"],
        created_at=at(3, 4, 12),
    )

    journeys = workspace_journeys(dimension="campaign", outcome=PIPELINE)

    # cy now has a deal: a converting pipeline path; dee never had one: the only null path.
    assert by_path(journeys.rows) == {(m, so): (1.0, 400.0, 0.0), (m,): (0.0, 0.0, 1.0)}


def test_query_count_does_not_grow_with_contacts(history):
    social = Campaign.objects.get(name="Social")

    with CaptureQueriesContext(connection) as small:
        workspace_journeys(dimension="campaign")
    for i in range(6):
        contact = contact_create(actor=None, email=f"more{i}@example.com")
        touch(contact, social, at(3, 2))
        if i % 2:
            won(contact, None, "10", at(3, 3))
    with CaptureQueriesContext(connection) as large:
        workspace_journeys(dimension="campaign")

    assert len(large.captured_queries) == len(small.captured_queries)


def test_unknown_dimension_is_refused(db):
    with pytest.raises(ValueError, match="Unknown dimension"):
        workspace_journeys(dimension="weather")


# --- reports ------------------------------------------------------------------------------------


def test_report_credits_each_model_and_lists_every_key(history):
    report = attribution_report(
        dimension="campaign", models=["linear", "first_touch", "last_touch"]
    )

    rows = {r.label: r for r in report.rows}
    assert [r.label for r in report.rows] == ["Search", "Social", "Mail"]
    assert rows["Search"].value == {
        "linear": Decimal("600.00"),
        "first_touch": Decimal("900.00"),
        "last_touch": Decimal("900.00"),
    }
    assert rows["Social"].value == {
        "linear": Decimal("400.00"),
        "first_touch": Decimal("100.00"),
        "last_touch": Decimal("100.00"),
    }
    assert rows["Mail"].value == {
        "linear": Decimal("0.00"),
        "first_touch": Decimal("0.00"),
        "last_touch": Decimal("0.00"),
    }
    assert rows["Social"].conversions["linear"] == pytest.approx(1 + 1 / 3)
    assert report.journeys.unattributed_value == Decimal("50.00")
    assert not report.has_removal_effects


def test_report_with_markov_has_removal_effects(history):
    report = attribution_report(dimension="channel", models=["markov"])

    effects = {r.key: r.removal_effect for r in report.rows}
    assert set(effects) == {"paid_search", "paid_social", "email"}
    assert all(e is not None for e in effects.values())
    assert report.has_removal_effects
    total = sum((r.value["markov"] for r in report.rows), Decimal("0"))
    assert total == Decimal("1000.00")


def test_report_with_time_decay_uses_touch_times(history):
    report = attribution_report(dimension="campaign", models=["time_decay"], half_life_days=7)

    rows = {r.label: r for r in report.rows}
    # ada: weights 2^(-9/7), 2^(-5/7), 2^(-2/7) over Search, Social, Search; bob: all Social.
    w = [2 ** (-9 / 7), 2 ** (-5 / 7), 2 ** (-2 / 7)]
    search_share = (w[0] + w[2]) / sum(w)
    assert rows["Search"].value["time_decay"] == to_cents(900 * search_share)
    assert rows["Social"].value["time_decay"] == to_cents(900 * (1 - search_share) + 100)
    assert report.notes == []


def test_report_without_conversions_is_empty_not_an_error(db):
    report = attribution_report(dimension="campaign", models=["markov", "shapley"])

    assert report.rows == []
    assert report.journeys.rows == []


def test_engine_rows_are_path_rows(history):
    journeys = workspace_journeys(dimension="creative")

    # No touch carries a creative: every won deal is unattributed and nobody is a null path.
    assert journeys.rows == [PathRow(path=(), conversions=3.0, value=1050.0, nulls=0.0)]
