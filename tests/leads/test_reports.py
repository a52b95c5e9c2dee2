"""The pure computations behind the hand-off reports (no database)."""

from datetime import UTC, date, datetime, timedelta

from revline.leads.reports import (
    HandoffFact,
    Journey,
    Move,
    Outcome,
    conversion_summary,
    handoff_outcomes,
    journey,
    lead_quality,
    median_duration,
    period_buckets,
    rate,
)


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def test_median_of_odd_and_even_counts_and_of_nothing():
    assert median_duration([timedelta(days=3), timedelta(days=1), timedelta(days=10)]) == timedelta(
        days=3
    )
    assert median_duration([timedelta(days=1), timedelta(days=4)]) == timedelta(days=2.5)
    assert median_duration([]) is None


def test_rate_is_a_percentage_with_one_decimal_and_none_without_a_whole():
    assert rate(2, 3) == 66.7
    assert rate(0, 4) == 0.0
    assert rate(0, 0) is None


def test_journey_reaches_each_stage_once_in_order():
    given = journey(
        initial_stage="subscriber",
        created_at=at(1, 5),
        moves=[Move("lead", "mql", at(1, 20)), Move("subscriber", "lead", at(1, 10))],
    )

    assert given == Journey(
        reached={"subscriber": at(1, 5), "lead": at(1, 10), "mql": at(1, 20)},
        skipped=frozenset(),
    )


def test_a_jump_reaches_the_stages_in_between_as_skipped():
    given = journey(
        initial_stage="lead", created_at=at(1, 1), moves=[Move("lead", "sql", at(1, 15))]
    )

    assert given.reached == {
        "subscriber": at(1, 1),
        "lead": at(1, 1),
        "mql": at(1, 15),
        "sal": at(1, 15),
        "sql": at(1, 15),
    }
    assert given.skipped == {"subscriber", "mql", "sal"}


def test_coming_back_from_recycled_reaches_only_the_target_and_keeps_the_first_arrival():
    given = journey(
        initial_stage="lead",
        created_at=at(1, 8),
        moves=[
            Move("lead", "mql", at(2, 1)),
            Move("mql", "recycled", at(2, 10)),
            Move("recycled", "sal", at(3, 3)),
        ],
    )

    assert given.reached == {
        "subscriber": at(1, 8),
        "lead": at(1, 8),
        "mql": at(2, 1),
        "sal": at(3, 3),
    }
    assert "sal" not in given.skipped


def test_conversion_summary_counts_rates_and_medians():
    # Given A stood in every stage; B was created as a lead and went to MQL; C skipped MQL and SAL.
    a = journey(
        initial_stage="subscriber",
        created_at=at(1, 5),
        moves=[
            Move("subscriber", "lead", at(1, 10)),
            Move("lead", "mql", at(1, 20)),
            Move("mql", "sal", at(2, 4)),
        ],
    )
    b = journey(initial_stage="lead", created_at=at(1, 8), moves=[Move("lead", "mql", at(2, 1))])
    c = journey(initial_stage="lead", created_at=at(1, 2), moves=[Move("lead", "sal", at(1, 15))])

    rows = {r.stage: r for r in conversion_summary([a, b, c], start=at(1, 1, 0), end=at(4, 1, 0))}

    assert (rows["subscriber"].reached, rows["subscriber"].converted) == (3, 3)
    assert rows["subscriber"].conversion_rate == 100.0
    # B and C were created as leads: they skipped subscriber and are not timed in it.
    assert (rows["subscriber"].median_time_in_stage, rows["subscriber"].timed) == (
        timedelta(days=5),
        1,
    )
    assert (rows["lead"].reached, rows["lead"].converted) == (3, 3)
    # A 10 days, B 24 days, C 13 days (lead → SAL leaves lead on Jan 15)
    assert rows["lead"].median_time_in_stage == timedelta(days=13)
    assert (rows["mql"].reached, rows["mql"].converted, rows["mql"].conversion_rate) == (3, 2, 66.7)
    assert (rows["mql"].median_time_in_stage, rows["mql"].timed) == (timedelta(days=15), 1)
    assert (rows["sal"].reached, rows["sal"].converted, rows["sal"].conversion_rate) == (2, 0, 0.0)
    assert rows["sal"].median_time_in_stage is None
    assert (rows["evangelist"].reached, rows["evangelist"].conversion_rate) == (0, None)


def test_conversion_summary_counts_only_first_arrivals_inside_the_range():
    a = journey(
        initial_stage="lead",
        created_at=at(1, 5),
        moves=[Move("lead", "mql", at(1, 20)), Move("mql", "sal", at(2, 4))],
    )

    rows = {r.stage: r for r in conversion_summary([a], start=at(2, 1, 0), end=at(3, 1, 0))}

    assert [rows[s].reached for s in ("lead", "mql", "sal", "sql")] == [0, 0, 1, 0]


def test_period_buckets_by_month_and_by_quarter():
    months = period_buckets(interval="month", first=date(2024, 11, 15), last=date(2025, 2, 3))
    quarters = period_buckets(interval="quarter", first=date(2024, 11, 15), last=date(2025, 4, 1))

    assert [(b.label, b.start) for b in months] == [
        ("Nov 2024", date(2024, 11, 1)),
        ("Dec 2024", date(2024, 12, 1)),
        ("Jan 2025", date(2025, 1, 1)),
        ("Feb 2025", date(2025, 2, 1)),
    ]
    assert [(b.label, b.start) for b in quarters] == [
        ("Q4 2024", date(2024, 10, 1)),
        ("Q1 2025", date(2025, 1, 1)),
        ("Q2 2025", date(2025, 4, 1)),
    ]


def fact(pk, contact, group, status, qualified, decided=None, reason="", **kw) -> HandoffFact:
    return HandoffFact(
        handoff_id=pk,
        contact_id=contact,
        group=group,
        status=status,
        reject_reason=reason,
        qualified_at=qualified,
        decided_at=decided,
        **kw,
    )


def test_outcomes_credit_the_handoff_a_move_follows_until_the_next_qualification():
    first = fact(1, 7, "x", "rejected", at(2, 1), at(2, 10), "no_budget")
    second = fact(2, 7, "y", "accepted", at(3, 3), at(3, 4))

    outcomes = handoff_outcomes(
        [first, second],
        qualified_times={7: [at(2, 1), at(3, 3)]},
        transitions={7: [("opportunity", at(3, 20)), ("customer", at(4, 2))]},
    )

    assert outcomes == {
        1: Outcome(opportunity_at=None, customer_at=None),
        2: Outcome(opportunity_at=at(3, 20), customer_at=at(4, 2)),
    }


def test_outcomes_count_the_handoffs_own_deal_created_and_won():
    given = fact(
        1, 7, None, "accepted", at(2, 1), at(2, 2), deal_created_at=at(2, 5), deal_won_at=at(3, 1)
    )

    outcomes = handoff_outcomes([given], qualified_times={7: [at(2, 1)]}, transitions={})

    assert outcomes[1] == Outcome(opportunity_at=at(2, 5), customer_at=at(3, 1))


def test_lead_quality_rows_and_total():
    facts = [
        fact(1, 1, 10, "accepted", at(1, 20), at(1, 21)),
        fact(2, 2, 10, "rejected", at(2, 1), at(2, 10), "no_budget"),
        fact(3, 3, 20, "accepted", at(1, 15), at(1, 15, 11)),
        fact(4, 4, 20, "open", at(3, 3)),
        fact(5, 5, None, "rejected", at(1, 30), at(2, 2), "not_a_fit"),
    ]
    outcomes = {
        1: Outcome(opportunity_at=at(3, 1), customer_at=None),
        3: Outcome(opportunity_at=at(1, 25), customer_at=at(3, 10)),
    }

    rows, total = lead_quality(
        facts, outcomes=outcomes, labels={10: "Beta", 20: "Alpha"}, none_label="No campaign"
    )

    assert [(r.label, r.mqls, r.accepted, r.rejected, r.open) for r in rows] == [
        ("Alpha", 2, 1, 0, 1),
        ("Beta", 2, 1, 1, 0),
        ("No campaign", 1, 0, 1, 0),
    ]
    alpha, beta, none = rows
    assert (alpha.acceptance_rate, beta.acceptance_rate, none.acceptance_rate) == (100.0, 50.0, 0.0)
    assert dict(beta.reasons) == {"no_budget": 1}
    assert beta.median_to_decision == timedelta(days=5)
    assert alpha.median_to_decision == timedelta(hours=2)
    assert (beta.opportunities, beta.median_to_opportunity) == (1, timedelta(days=40))
    assert (alpha.customers, alpha.median_to_customer) == (1, timedelta(days=54))
    assert (total.mqls, total.accepted, total.rejected, total.open) == (5, 2, 2, 1)
    assert dict(total.reasons) == {"no_budget": 1, "not_a_fit": 1}
    assert total.acceptance_rate == 50.0
    # decisions: 1 day, 9 days, 2 hours, 3 days
    assert total.median_to_decision == timedelta(days=2)
    assert (total.opportunities, total.opportunity_rate) == (2, 40.0)
    assert total.median_to_opportunity == timedelta(days=25)
    assert (total.customers, total.customer_rate) == (1, 20.0)
