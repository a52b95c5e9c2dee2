"""The insight arithmetic on hand-worked numbers (no database)."""

from datetime import UTC, datetime
from decimal import Decimal

from revline.research.insights import (
    GroupFacts,
    Thresholds,
    cycle_days,
    dimension_table,
    group_row,
    median,
    percent,
)

# Overall: 100 contacts, 20 deals (0.2 per contact), 10 won of 16 closed (62.5 %), won 100,000
# (10,000 per won deal).
OVERALL = GroupFacts(
    key="all", label="All", contacts=100, customers=10, deals=20, won=10, lost=6,
    won_amount=Decimal("100000"), won_customers=8,
)  # fmt: skip


def facts(key: str, contacts: int, **extra: object) -> GroupFacts:
    return GroupFacts(key=key, label=key.title(), contacts=contacts, **extra)  # type: ignore[arg-type]


def test_rates_averages_and_median_of_one_group():
    row = group_row(
        facts(
            "retail", 8, customers=3, deals=5, won=2, lost=1, won_amount=Decimal("3000.01"),
            won_customers=2, cycle_days=(10.0, 31.0, 20.0, 12.5),
        )
    )  # fmt: skip
    assert row.conversion_rate == 37.5  # 3 / 8
    assert row.deals_per_contact == 0.62  # 5 / 8 = 0.625, rounded half to even
    assert row.win_rate == 66.7  # 2 / 3
    assert row.avg_won_deal == Decimal("1500.01")  # 3000.01 / 2 = 1500.005, half up
    assert row.median_cycle_days == 16.2  # (12.5 + 20) / 2 = 16.25
    assert row.revenue_per_customer == Decimal("1500.01")
    assert row.avg_predicted_value is None
    assert row.closed == 3


def test_an_empty_group_has_no_rates_instead_of_zero():
    row = group_row(facts("empty", 0))
    assert (row.conversion_rate, row.deals_per_contact, row.win_rate) == (None, None, None)
    assert (row.avg_won_deal, row.median_cycle_days, row.revenue_per_customer) == (None, None, None)


def test_predicted_value_is_averaged_over_the_customers_that_have_one():
    row = group_row(facts("x", 4, predicted_customers=3, predicted_total=Decimal("1000")))
    assert row.avg_predicted_value == Decimal("333.33")
    assert group_row(facts("y", 4, predicted_total=Decimal("0"))).avg_predicted_value is None


def test_helpers():
    assert percent(1, 3) == 33.3
    assert percent(1, 0) is None
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([]) is None
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert cycle_days(start, datetime(2025, 1, 11, 12, tzinfo=UTC)) == 10.5
    assert cycle_days(start, datetime(2024, 12, 31, tzinfo=UTC)) == 0.0


def test_flags_on_a_hand_built_dimension():
    # Given groups of 50, 20, 10, 10, 5 and 5 contacts: the median group has 10 contacts
    groups = [
        # 50 >= 2 x 10 and 2 deals / 50 = 0.04 <= 0.5 x 0.2: large but under-served
        facts("big", 50, deals=2, won=1, lost=1, won_amount=Decimal("5000")),
        # 20 >= 20 but 5 / 20 = 0.25 > 0.1: served
        facts("busy", 20, deals=5, won=2, lost=2, won_amount=Decimal("20000")),
        # small; 3 closed, 3 won = 100 % >= 1.5 x 62.5 %: profitable by win rate
        facts("ace", 10, deals=3, won=3, lost=0, won_amount=Decimal("9000")),
        # small; win rate 50 %, but 20,000 per won deal >= 1.5 x 10,000: profitable by size
        facts("whale", 10, deals=4, won=2, lost=2, won_amount=Decimal("40000")),
        # small; one huge won deal, but only 1 closed deal: not enough evidence
        facts("lucky", 5, deals=1, won=1, lost=0, won_amount=Decimal("90000")),
        # small; 14,000 per won deal < 15,000 and 50 % win rate: nothing
        facts("plain", 5, deals=4, won=2, lost=2, won_amount=Decimal("28000")),
    ]
    # When the table is built
    table = dimension_table(key="industry", label="Industry", groups=groups, overall=OVERALL)
    # Then
    assert table.median_contacts == 10.0
    flags = {r.facts.key: (r.under_served, r.profitable) for r in table.rows}
    assert flags == {
        "big": (True, False),
        "busy": (False, False),
        "ace": (False, True),
        "whale": (False, True),
        "lucky": (False, False),
        "plain": (False, False),
    }
    assert [r.facts.key for r in table.flagged] == ["big", "ace", "whale"]
    # rows are largest first, ties by label
    assert [r.facts.key for r in table.rows] == ["big", "busy", "ace", "whale", "lucky", "plain"]
    assert table.overall.win_rate == 62.5
    assert table.overall.avg_won_deal == Decimal("10000.00")


def test_thresholds_are_one_setting():
    groups = [facts("a", 30, deals=3), facts("b", 10, deals=2), facts("c", 10, deals=2)]
    default = dimension_table(key="k", label="K", groups=groups, overall=OVERALL)
    # 30 >= 2 x 10 and 0.1 <= 0.5 x 0.2
    assert [r.under_served for r in default.rows] == [True, False, False]
    strict = dimension_table(
        key="k", label="K", groups=groups, overall=OVERALL,
        thresholds=Thresholds(large_factor=3.5),
    )  # fmt: skip
    assert [r.under_served for r in strict.rows] == [False, False, False]


def test_no_deals_at_all_flags_nothing():
    overall = GroupFacts(key="all", label="All", contacts=30)
    groups = [facts("a", 20), facts("b", 5), facts("c", 5)]
    table = dimension_table(key="k", label="K", groups=groups, overall=overall)
    assert table.flagged == []
