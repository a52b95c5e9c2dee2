"""The objection report's numbers, computed from plain rows (no database)."""

from datetime import UTC, datetime

from revline.sales.objection_stats import (
    ClosedDeal,
    ObjectionFact,
    objection_report,
    percent,
    worst_win_rates,
)

PRICE, TIMING, TRUST = 1, 2, 3
DISCOVERY, PROPOSAL = 10, 20
VALUE_PITCH, DISCOUNT = 100, 101


def at(month: int) -> datetime:
    return datetime(2025, month, 1, tzinfo=UTC)


def fact(deal, type_id, *, stage=PROPOSAL, response=None, outcome="open", status="open", month=3):
    return ObjectionFact(
        deal_id=deal,
        type_id=type_id,
        stage_id=stage,
        response_id=response,
        outcome=outcome,
        deal_status=status,
        raised_at=at(month),
    )


def test_percent_rounds_to_one_decimal_and_is_none_without_a_base():
    assert percent(2, 3) == 66.7
    assert percent(1, 8) == 12.5
    assert percent(0, 0) is None


def test_raised_vs_not_compares_closed_deals_with_and_without_the_type():
    # Given six closed deals: price came up on deals 1, 2, 3 (won, won, lost), timing on 3 and 4
    closed = [
        ClosedDeal(1, True),
        ClosedDeal(2, True),
        ClosedDeal(3, False),
        ClosedDeal(4, False),
        ClosedDeal(5, True),
        ClosedDeal(6, False),
    ]
    objections = [
        fact(1, PRICE, status="won", outcome="overcome", response=VALUE_PITCH),
        fact(1, PRICE, status="won", outcome="overcome", response=VALUE_PITCH),  # twice on deal 1
        fact(2, PRICE, status="won", outcome="not_overcome", response=DISCOUNT, stage=DISCOVERY),
        fact(3, PRICE, status="lost", outcome="not_overcome", response=DISCOUNT),
        fact(3, TIMING, status="lost"),
        fact(4, TIMING, status="lost", outcome="overcome"),
        fact(7, PRICE, status="open"),  # an open deal: counted as raised, not in win rates
    ]
    # When
    report = objection_report(
        type_ids=[PRICE, TIMING, TRUST],
        stage_ids=[DISCOVERY, PROPOSAL],
        objections=objections,
        closed_deals=closed,
    )
    price, timing, trust = report.types
    # Then frequency: price raised 5 times on 4 deals, 1 in discovery and 4 in proposal
    assert (price.raised, price.deals) == (5, 4)
    assert price.by_stage == {DISCOVERY: 1, PROPOSAL: 4}
    # and win rates: with price 2 of 3 closed deals won; without it 1 of 3 (deals 4, 5, 6)
    assert (price.won_with, price.lost_with, price.win_rate_with) == (2, 1, 66.7)
    assert (price.won_without, price.lost_without, price.win_rate_without) == (1, 2, 33.3)
    assert price.difference == 33.4
    # overcome: 2 of the 4 answered price objections (the open one is not answered)
    assert (price.overcome, price.answered, price.overcome_rate) == (2, 4, 50.0)
    # responses: the value pitch used twice, both on a won deal; the discount won 1 of 2
    assert [
        (r.response_id, r.uses, r.won_after, r.lost_after, r.win_rate) for r in price.responses
    ] == [
        (VALUE_PITCH, 2, 2, 0, 100.0),
        (DISCOUNT, 2, 1, 1, 50.0),
    ]
    assert (timing.won_with, timing.lost_with, timing.win_rate_with) == (0, 2, 0.0)
    assert (timing.won_without, timing.lost_without, timing.win_rate_without) == (3, 1, 75.0)
    assert (trust.raised, trust.closed_with, trust.win_rate_with) == (0, 0, None)
    assert trust.win_rate_without == 50.0
    assert (report.closed_deals, report.won_deals, report.win_rate, report.raised) == (
        6,
        3,
        50.0,
        7,
    )
    assert report.stage_total(PROPOSAL) == 6


def test_the_period_limits_counts_but_not_which_closed_deals_had_the_objection():
    # Given deal 1 (won in the period) had price raised before the period, and deal 2 within it
    objections = [
        fact(1, PRICE, status="won", month=1, outcome="overcome"),
        fact(2, PRICE, status="lost", month=3),
    ]
    closed = [ClosedDeal(1, True), ClosedDeal(2, False)]
    # When the period is March
    report = objection_report(
        type_ids=[PRICE],
        stage_ids=[],
        objections=objections,
        closed_deals=closed,
        start=at(3),
        end=at(4),
    )
    price = report.types[0]
    # Then only the March objection counts as raised, but both deals had price raised
    assert (price.raised, price.deals, price.overcome) == (1, 1, 0)
    assert (price.won_with, price.lost_with) == (1, 1)
    assert (price.won_without, price.lost_without) == (0, 0)
    assert report.stage_ids == [PROPOSAL]


def test_worst_win_rates_needs_a_minimum_sample_and_ranks_lowest_first():
    # Given price won 1 of 5, timing 0 of 2 (too few), trust 2 of 6
    closed = [ClosedDeal(i, i in (1, 6, 7)) for i in range(1, 12)]
    objections = [fact(i, PRICE) for i in (1, 2, 3, 4, 5)]
    objections += [fact(i, TIMING) for i in (2, 3)]
    objections += [fact(i, TRUST) for i in (6, 7, 8, 9, 10, 11)]
    report = objection_report(
        type_ids=[PRICE, TIMING, TRUST], stage_ids=[], objections=objections, closed_deals=closed
    )
    # When
    worst = worst_win_rates(report.types, min_closed=5)
    # Then timing is left out, and price (20 %) comes before trust (33.3 %)
    assert [(t.type_id, t.win_rate_with) for t in worst] == [(PRICE, 20.0), (TRUST, 33.3)]
    assert worst_win_rates(report.types, min_closed=7) == []
