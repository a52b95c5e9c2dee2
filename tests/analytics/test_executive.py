"""The executive dashboard's pure rules, with numbers worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest

from revline.analytics import executive
from revline.analytics.executive import DateRange, QuotaFact


def test_presets_are_the_month_quarter_and_year_around_today():
    today = date(2025, 5, 14)

    assert executive.preset_range("month", today) == DateRange(
        date(2025, 5, 1), date(2025, 5, 31), "month"
    )
    assert executive.preset_range("quarter", today) == DateRange(
        date(2025, 4, 1), date(2025, 6, 30), "quarter"
    )
    assert executive.preset_range("year", today) == DateRange(
        date(2025, 1, 1), date(2025, 12, 31), "year"
    )
    assert executive.preset_range("quarter", date(2025, 1, 3), offset=-1) == DateRange(
        date(2024, 10, 1), date(2024, 12, 31), "quarter"
    )
    assert executive.preset_range("quarter", today).label == "Q2 2025"
    assert executive.preset_range("month", today).label == "May 2025"
    with pytest.raises(ValueError):
        executive.preset_range("week", today)


def test_short_ranges_show_at_least_six_months_of_win_rate():
    assert executive.trend_months(DateRange(date(2025, 2, 1), date(2025, 2, 28))) == [
        date(2024, 9, 1),
        date(2024, 10, 1),
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    year = DateRange(date(2024, 1, 1), date(2024, 12, 31))
    assert len(executive.trend_months(year)) == 12


def test_target_uses_monthly_quotas_and_a_third_of_quarterly_ones_never_both():
    quotas = [
        # Ann: a monthly quota for April only, and a quarterly one for Q2
        QuotaFact(1, "month", date(2025, 4, 1), Decimal("1000")),
        QuotaFact(1, "quarter", date(2025, 4, 1), Decimal("4500")),
        # Bob: a quarterly quota only
        QuotaFact(2, "quarter", date(2025, 4, 1), Decimal("3000")),
        # Cid: a quota outside the range
        QuotaFact(3, "month", date(2025, 7, 1), Decimal("999")),
    ]

    # Q2: Ann 1000 (April) + 1500 + 1500 (May, June from the quarter); Bob 3000
    assert executive.quota_target(quotas, date(2025, 4, 1), date(2025, 6, 30)) == Decimal("7000.00")
    # April only: Ann's monthly 1000 + a third of Bob's quarter
    assert executive.quota_target(quotas, date(2025, 4, 1), date(2025, 4, 30)) == Decimal("2000.00")
    # The first half of April (15 of 30 days) counts half
    assert executive.quota_target(quotas, date(2025, 4, 1), date(2025, 4, 15)) == Decimal("1000.00")
    # No quota covers March
    assert executive.quota_target(quotas, date(2025, 3, 1), date(2025, 3, 31)) is None


def test_a_zero_quota_is_a_target_of_zero_not_no_target():
    quotas = [QuotaFact(1, "month", date(2025, 4, 1), Decimal("0"))]

    assert executive.quota_target(quotas, date(2025, 4, 1), date(2025, 4, 30)) == Decimal("0.00")


def test_percent_cac_and_win_rate():
    assert executive.percent(Decimal("2500"), Decimal("10000")) == Decimal("25.0")
    assert executive.percent(1, 3) == Decimal("33.3")
    assert executive.percent(5, 0) is None
    assert executive.cac(Decimal("1000"), 3) == Decimal("333.33")
    assert executive.cac(Decimal("1000"), 0) is None

    months = [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    closed = [
        (date(2025, 1, 5), True),
        (date(2025, 1, 20), False),
        (date(2025, 1, 31), False),
        (date(2025, 3, 2), True),
        (date(2024, 12, 31), True),  # before the months shown
    ]
    rates = executive.win_rate_by_month(closed, months)

    assert [(m.month, m.won, m.lost, m.rate) for m in rates] == [
        (date(2025, 1, 1), 1, 2, Decimal("33.3")),
        (date(2025, 2, 1), 0, 0, None),
        (date(2025, 3, 1), 1, 0, Decimal("100.0")),
    ]


def test_funnel_steps_give_the_share_of_the_previous_and_first_step():
    steps = executive.funnel_steps(
        [("lead", "Lead", 200), ("mql", "MQL", 50), ("sql", "SQL", 10), ("customer", "Customer", 0)]
    )

    assert [(s.stage, s.count, s.from_previous, s.from_first) for s in steps] == [
        ("lead", 200, None, Decimal("100.0")),
        ("mql", 50, Decimal("25.0"), Decimal("25.0")),
        ("sql", 10, Decimal("20.0"), Decimal("5.0")),
        ("customer", 0, Decimal("0.0"), Decimal("0.0")),
    ]
    assert executive.funnel_steps([]) == []
