"""Share of voice, the monthly series and competitor names: pure functions, no database."""

from datetime import date
from decimal import Decimal

import pytest

from revline.pr.metrics import (
    Mention,
    MonthPoint,
    add_months,
    competitor_names_clean,
    competitor_names_parse,
    default_period,
    monthly_series,
    period_resolve,
    share_of_voice,
)


def m(day: str, reach: int = 0, *, about_us: bool = True, names=(), sentiment="neutral"):
    return Mention(
        published_on=date.fromisoformat(day),
        reach=reach,
        sentiment=sentiment,
        about_us=about_us,
        competitors=tuple(names),
    )


def test_share_of_voice_counts_one_mention_for_us_and_one_per_competitor_named():
    # Given 4 pieces about us (one also naming Acme and Globex) and 2 about competitors only
    mentions = [
        m("2025-01-05", 1000),
        m("2025-01-09", 3000, names=["Acme", "Globex"]),
        m("2025-02-01", 500),
        m("2025-02-11", 500),
        m("2025-02-20", 4000, about_us=False, names=["Acme"]),
        m("2025-03-02", 1000, about_us=False, names=["Initech"]),
    ]

    # When
    voice = share_of_voice(mentions, us_label="Revline")

    # Then: 4 + Acme 2 + Globex 1 + Initech 1 = 8 mentions
    assert voice.total_mentions == 8
    assert [(r.name, r.is_us, r.mentions, r.share) for r in voice.rows] == [
        ("Revline", True, 4, Decimal("50.0")),
        ("Acme", False, 2, Decimal("25.0")),
        ("Globex", False, 1, Decimal("12.5")),
        ("Initech", False, 1, Decimal("12.5")),
    ]
    # By reach: us 5000, Acme 7000, Globex 3000, Initech 1000 → 16000
    assert voice.total_reach == 16000
    assert [(r.reach, r.reach_share) for r in voice.rows] == [
        (5000, Decimal("31.3")),
        (7000, Decimal("43.8")),
        (3000, Decimal("18.8")),
        (1000, Decimal("6.3")),
    ]
    assert voice.ours.share == Decimal("50.0")


def test_share_of_voice_rounds_half_up_to_one_decimal():
    voice = share_of_voice([m("2025-01-01"), m("2025-01-02", about_us=False, names=["A", "B"])])
    assert [r.share for r in voice.rows] == [Decimal("33.3"), Decimal("33.3"), Decimal("33.3")]

    voice = share_of_voice(
        [m("2025-01-01"), m("2025-01-02"), m("2025-01-03", about_us=False, names=["A"])]
    )
    assert [r.share for r in voice.rows] == [Decimal("66.7"), Decimal("33.3")]


def test_competitor_spellings_are_one_competitor_and_repeats_in_one_piece_count_once():
    voice = share_of_voice(
        [m("2025-01-01", names=["Acme", "ACME"]), m("2025-01-02", about_us=False, names=["acme"])]
    )
    assert [(r.name, r.mentions) for r in voice.rows] == [("Us", 1), ("Acme", 2)]


def test_share_of_voice_without_any_mention_has_no_shares():
    voice = share_of_voice([])
    assert voice.total_mentions == 0
    assert [(r.name, r.mentions, r.share, r.reach_share) for r in voice.rows] == [
        ("Us", 0, None, None)
    ]


def test_competitors_with_equal_mentions_are_listed_by_name():
    voice = share_of_voice([m("2025-01-01", about_us=False, names=["zeta", "Alpha", "beta"])])
    assert [r.name for r in voice.rows] == ["Us", "Alpha", "beta", "zeta"]
    assert voice.rows[0].share == Decimal("0.0")


def test_monthly_series_counts_our_coverage_per_month_with_empty_months_as_zero():
    # Given
    mentions = [
        m("2025-01-31", 100, sentiment="positive"),
        m("2025-01-01", 50, sentiment="negative"),
        m("2025-03-15", 7, sentiment="neutral"),
        m("2025-03-16", 999, about_us=False, names=["Acme"]),  # not our coverage
        m("2024-12-31", 5000),  # before the period
        m("2025-04-01", 5000),  # after the period
    ]

    # When
    series = monthly_series(mentions, start=date(2025, 1, 1), end=date(2025, 3, 31))

    # Then
    assert series == [
        MonthPoint(date(2025, 1, 1), coverage=2, reach=150, positive=1, neutral=0, negative=1),
        MonthPoint(date(2025, 2, 1), coverage=0, reach=0, positive=0, neutral=0, negative=0),
        MonthPoint(date(2025, 3, 1), coverage=1, reach=7, positive=0, neutral=1, negative=0),
    ]
    assert [p.label for p in series] == ["Jan 2025", "Feb 2025", "Mar 2025"]


def test_monthly_series_respects_a_period_that_starts_and_ends_mid_month():
    mentions = [m("2025-01-09", 1), m("2025-01-10", 2), m("2025-02-20", 4), m("2025-02-21", 8)]
    series = monthly_series(mentions, start=date(2025, 1, 10), end=date(2025, 2, 20))
    assert [(p.month, p.coverage, p.reach) for p in series] == [
        (date(2025, 1, 1), 1, 2),
        (date(2025, 2, 1), 1, 4),
    ]


def test_monthly_series_crosses_years():
    series = monthly_series([], start=date(2024, 11, 5), end=date(2025, 2, 1))
    assert [p.month for p in series] == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]


def test_month_arithmetic_and_the_default_period():
    assert add_months(date(2025, 1, 1), -1) == date(2024, 12, 1)
    assert add_months(date(2025, 11, 1), 14) == date(2027, 1, 1)
    assert default_period(date(2025, 3, 18)) == (date(2024, 4, 1), date(2025, 3, 18))


def test_period_resolve_fills_defaults_and_refuses_bad_periods():
    today = date(2025, 3, 18)
    assert period_resolve(None, None, today=today) == (date(2024, 4, 1), today)
    assert period_resolve(date(2025, 1, 1), None, today=today) == (date(2025, 1, 1), today)
    assert period_resolve(None, date(2024, 6, 30), today=today) == (
        date(2023, 7, 1),
        date(2024, 6, 30),
    )
    assert period_resolve(date(2026, 1, 1), None, today=today) == (
        date(2026, 1, 1),
        date(2026, 1, 1),
    )
    with pytest.raises(ValueError, match="on or before"):
        period_resolve(date(2025, 2, 1), date(2025, 1, 1), today=today)
    with pytest.raises(ValueError, match="at most 10 years"):
        period_resolve(date(2000, 1, 1), date(2025, 1, 1), today=today)
    assert period_resolve(date(2015, 2, 1), date(2025, 1, 31), today=today)[0] == date(2015, 2, 1)


def test_competitor_names_are_split_trimmed_and_deduplicated():
    assert competitor_names_parse("Acme,  acme , Globex   Corp\nInitech,, ") == [
        "Acme",
        "Globex Corp",
        "Initech",
    ]
    assert competitor_names_parse("") == []
    assert competitor_names_clean([" Acme ", "ACME", ""]) == ["Acme"]


def test_competitor_names_that_are_too_long_or_too_many_are_refused():
    with pytest.raises(ValueError, match="at most 100 characters"):
        competitor_names_parse("x" * 101)
    assert competitor_names_parse("x" * 100) == ["x" * 100]
    with pytest.raises(ValueError, match="at most 20 competitors"):
        competitor_names_parse(",".join(f"c{i}" for i in range(21)))
