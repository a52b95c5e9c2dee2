"""The pure forecast computations: periods, calibration with shrinkage, the forecast, backtest."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from revline.sales.dashboard import ClosedRow, last_months, monthly_trend
from revline.sales.forecast import (
    ClosedDeal,
    DealHistory,
    ForecastDeal,
    StageDef,
    add_months,
    backtest,
    calibrate,
    closed_deals,
    forecast_period,
    period_bounds,
    period_label,
    periods_before,
    stage_at,
)

D = Decimal
STAGES = [
    StageDef(1, 1, "Qualification", 1, 10, "open"),
    StageDef(2, 1, "Discovery", 2, 25, "open"),
    StageDef(3, 1, "Proposal", 3, 50, "open"),
    StageDef(4, 1, "Negotiation", 4, 75, "open"),
    StageDef(5, 1, "Won", 5, 100, "won"),
    StageDef(6, 1, "Lost", 6, 0, "lost"),
]
BY_ID = {s.stage_id: s for s in STAGES}


def at(month: int, day: int, year: int = 2025) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


# --- periods ---


def test_period_bounds_of_months_and_quarters():
    assert period_bounds("month", date(2025, 12, 31)) == (date(2025, 12, 1), date(2026, 1, 1))
    assert period_bounds("quarter", date(2025, 8, 17)) == (date(2025, 7, 1), date(2025, 10, 1))
    assert period_bounds("quarter", date(2025, 12, 1)) == (date(2025, 10, 1), date(2026, 1, 1))
    assert add_months(date(2025, 1, 31), -1) == date(2024, 12, 1)
    assert period_label("quarter", date(2025, 4, 1)) == "Q2 2025"
    assert period_label("month", date(2025, 4, 1)) == "Apr 2025"
    with pytest.raises(ValueError):
        period_bounds("week", date(2025, 1, 1))


def test_periods_before_are_the_complete_ones_oldest_first():
    assert periods_before("month", date(2025, 3, 15), 3) == [
        (date(2024, 12, 1), date(2025, 1, 1)),
        (date(2025, 1, 1), date(2025, 2, 1)),
        (date(2025, 2, 1), date(2025, 3, 1)),
    ]
    assert periods_before("quarter", date(2025, 2, 1), 2) == [
        (date(2024, 7, 1), date(2024, 10, 1)),
        (date(2024, 10, 1), date(2025, 1, 1)),
    ]


# --- calibration ---

HISTORY = [
    ClosedDeal(pipeline_id=1, won=True, furthest_position=4),
    ClosedDeal(pipeline_id=1, won=True, furthest_position=None),  # won: passed every stage
    ClosedDeal(pipeline_id=1, won=False, furthest_position=3),
    ClosedDeal(pipeline_id=1, won=False, furthest_position=1),
    ClosedDeal(pipeline_id=1, won=False, furthest_position=None),  # reached no open stage
    ClosedDeal(pipeline_id=2, won=True, furthest_position=1),  # another pipeline
]


def test_calibration_counts_deals_that_reached_each_stage_and_shrinks_toward_configured():
    rows = calibrate(STAGES, HISTORY)

    assert [r.stage.name for r in rows] == ["Qualification", "Discovery", "Proposal", "Negotiation"]
    assert [(r.reached, r.won) for r in rows] == [(4, 2), (3, 2), (3, 2), (2, 2)]
    assert [r.empirical for r in rows] == [D(2) / D(4), D(2) / D(3), D(2) / D(3), D(1)]
    assert [r.configured for r in rows] == [D("0.1"), D("0.25"), D("0.5"), D("0.75")]
    # (w + 10·p0) / (n + 10)
    assert [r.calibrated for r in rows] == [
        D(3) / D(14),
        D("4.5") / D(13),
        D(7) / D(13),
        D("9.5") / D(12),
    ]
    assert [r.calibrated_percent for r in rows] == [D("21.4"), D("34.6"), D("53.8"), D("79.2")]


def test_without_history_the_calibrated_probability_is_the_configured_one():
    rows = calibrate(STAGES, [])

    assert [(r.reached, r.won, r.empirical) for r in rows] == [(0, 0, None)] * 4
    assert [r.calibrated for r in rows] == [D("0.1"), D("0.25"), D("0.5"), D("0.75")]


def test_a_zero_prior_strength_gives_the_empirical_rate_and_a_large_one_the_configured():
    plain = calibrate(STAGES, HISTORY, strength=0)
    heavy = calibrate(STAGES, HISTORY, strength=1_000_000)

    assert [r.calibrated for r in plain] == [D("0.5"), D(2) / D(3), D(2) / D(3), D(1)]
    assert heavy[0].calibrated == (D(2) + D(100_000)) / D(1_000_004)
    with pytest.raises(ValueError):
        calibrate(STAGES, HISTORY, strength=-1)


# --- the forecast of a period ---


def deal(
    pk: int,
    *,
    owner: int | None,
    stage: int,
    status: str = "open",
    amount: str = "1000",
    category: str = "pipeline",
    close: date | None = None,
    closed_on: date | None = None,
    converted: bool = True,
) -> ForecastDeal:
    return ForecastDeal(
        deal_id=pk,
        owner_id=owner,
        stage_id=stage,
        status=status,
        amount_base=D(amount) if converted else D("0"),
        converted=converted,
        category=category,
        expected_close_date=close,
        closed_on=closed_on,
    )


MARCH = (date(2025, 3, 1), date(2025, 4, 1))
CONFIGURED = {s.stage_id: s.configured for s in STAGES}
CALIBRATED = {1: D("0.2"), 2: D("0.3"), 3: D("0.4"), 4: D("0.8")}
DEALS = [
    deal(1, owner=1, stage=5, status="won", amount="1000", closed_on=date(2025, 3, 3)),
    deal(2, owner=1, stage=5, status="won", amount="9000", closed_on=date(2025, 2, 28)),
    deal(3, owner=1, stage=4, amount="2000", category="commit", close=date(2025, 3, 31)),
    deal(4, owner=2, stage=3, amount="4000", category="best_case", close=date(2025, 3, 1)),
    deal(5, owner=2, stage=2, amount="800", close=date(2025, 3, 15)),
    deal(6, owner=2, stage=4, amount="5000", category="omitted", close=date(2025, 3, 15)),
    deal(7, owner=1, stage=4, amount="3000", category="commit", close=date(2025, 4, 1)),
    deal(8, owner=2, stage=6, status="lost", amount="700", closed_on=date(2025, 3, 9)),
    deal(9, owner=2, stage=4, category="commit", close=date(2025, 3, 9), converted=False),
]


def test_forecast_sums_won_commit_best_case_and_weighted_pipeline():
    result = forecast_period(
        DEALS,
        start=MARCH[0],
        end=MARCH[1],
        configured=CONFIGURED,
        calibrated=CALIBRATED,
        quotas={1: D("4000"), 3: D("1000")},
    )

    total = result.total
    assert [d.deal_id for d in result.deals] == [1, 3, 4, 5, 6, 9]
    assert total.won == D("1000")
    assert total.commit == D("3000")  # won 1000 + commit 2000
    assert total.best_case == D("7000")  # commit + best case 4000
    assert total.pipeline == D("6800")  # open and not omitted: 2000 + 4000 + 800
    assert total.weighted_configured == D("3700.00")  # 2000·.75 + 4000·.5 + 800·.25
    assert total.weighted_calibrated == D("3440.00")  # 2000·.8 + 4000·.4 + 800·.3
    assert (total.won_deals, total.open_deals, total.not_converted) == (1, 3, 1)
    assert result.quota == D("5000")
    assert result.attainment == D("20.0")


def test_forecast_per_rep_with_quota_and_attainment():
    result = forecast_period(
        DEALS,
        start=MARCH[0],
        end=MARCH[1],
        configured=CONFIGURED,
        calibrated=CALIBRATED,
        quotas={1: D("4000"), 3: D("1000")},
    )

    reps = {r.owner_id: r for r in result.reps}
    assert [r.owner_id for r in result.reps] == [1, 2, 3]
    assert (reps[1].quota, reps[1].attainment) == (D("4000"), D("25.0"))
    assert (reps[1].figures.won, reps[1].figures.commit, reps[1].figures.best_case) == (
        D("1000"),
        D("3000"),
        D("3000"),
    )
    assert reps[1].figures.weighted_configured == D("1500.00")
    assert (reps[2].quota, reps[2].attainment) == (None, None)
    assert (reps[2].figures.best_case, reps[2].figures.weighted_calibrated) == (
        D("4000"),
        D("1840.00"),
    )
    assert reps[2].figures.not_converted == 1
    assert (reps[3].quota, reps[3].attainment, reps[3].figures.won) == (D("1000"), D("0.0"), 0)


def test_forecast_without_quotas_has_no_attainment():
    result = forecast_period(
        [], start=MARCH[0], end=MARCH[1], configured=CONFIGURED, calibrated=CALIBRATED
    )

    assert (result.quota, result.attainment, result.reps) == (None, None, [])
    assert result.total.pipeline == 0


# --- backtest on hand-made histories ---


def history(
    pk: int,
    *,
    status: str,
    amount: str,
    changes: list[tuple[datetime, int]],
    closed: datetime | None,
    close: date,
    owner: int = 1,
) -> DealHistory:
    return DealHistory(
        deal_id=pk,
        pipeline_id=1,
        owner_id=owner,
        status=status,
        amount_base=D(amount),
        created_at=changes[0][0],
        closed_at=closed,
        expected_close_date=close,
        changes=tuple(changes),
    )


HISTORIES = [
    # A: in Proposal on Jan 1, won in January.
    history(
        1,
        status="won",
        amount="1000",
        changes=[(at(12, 1, 2024), 1), (at(12, 20, 2024), 3), (at(1, 15), 5)],
        closed=at(1, 15),
        close=date(2025, 1, 20),
    ),
    # B: in Qualification on Jan 1, lost in January.
    history(
        2,
        status="lost",
        amount="2000",
        changes=[(at(12, 5, 2024), 1), (at(1, 10), 6)],
        closed=at(1, 10),
        close=date(2025, 1, 25),
        owner=2,
    ),
    # C: created during January and won in it: actual, not forecast.
    history(
        3,
        status="won",
        amount="3000",
        changes=[(at(1, 5), 1), (at(1, 28), 5)],
        closed=at(1, 28),
        close=date(2025, 1, 30),
    ),
    # D and E: closed in December, the history the January calibration learns from.
    history(
        4,
        status="won",
        amount="500",
        changes=[(at(11, 1, 2024), 1), (at(11, 10, 2024), 4), (at(12, 15, 2024), 5)],
        closed=at(12, 15, 2024),
        close=date(2024, 12, 15),
    ),
    history(
        5,
        status="lost",
        amount="700",
        changes=[(at(11, 2, 2024), 1), (at(12, 20, 2024), 6)],
        closed=at(12, 20, 2024),
        close=date(2024, 12, 20),
    ),
    # F: open in Qualification on Feb 1, expected in February, nothing won then.
    history(
        6,
        status="open",
        amount="1000",
        changes=[(at(1, 20), 1)],
        closed=None,
        close=date(2025, 2, 10),
    ),
]
PERIODS = [
    ("Jan 2025", datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)),
    ("Feb 2025", datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)),
]


def test_stage_at_replays_the_history():
    a = HISTORIES[0]

    assert stage_at(a, at(11, 30, 2024)) is None
    assert stage_at(a, datetime(2025, 1, 1, tzinfo=UTC)) == 3
    assert stage_at(a, at(2, 1)) == 5


def test_closed_deals_know_the_furthest_open_stage_and_the_cut_off():
    cut = datetime(2025, 1, 1, tzinfo=UTC)

    assert closed_deals(HISTORIES, BY_ID, before=cut) == [
        ClosedDeal(pipeline_id=1, won=True, furthest_position=4),
        ClosedDeal(pipeline_id=1, won=False, furthest_position=1),
    ]
    assert len(closed_deals(HISTORIES, BY_ID)) == 5


def test_backtest_compares_the_forecast_made_at_each_start_with_what_was_won():
    result = backtest(HISTORIES, STAGES, PERIODS)

    january, february = result.periods
    # Jan 1: A in Proposal (1000 * .5) and B in Qualification (2000 * .1); C did not exist.
    assert january.deals == 2
    assert january.forecast_configured == D("700.00")
    # Calibrated from D (won) and E (lost in Qualification) only:
    # Qualification (1 + 1) / 12 = 1/6, Proposal (1 + 5) / 11 = 6/11.
    assert january.forecast_calibrated == D("878.79")
    assert january.actual == D("4000")  # A and C
    assert january.error_configured == D("-3300.00")
    assert january.error_calibrated == D("-3121.21")
    assert january.ape_configured == D("82.5")
    assert january.ape_calibrated == D("78.0")
    # Feb 1: F in Qualification; calibration now knows A, B, C, D, E: (3 + 1) / 15.
    assert (february.deals, february.forecast_configured) == (1, D("100.00"))
    assert february.forecast_calibrated == D("266.67")
    assert february.actual == 0
    assert (february.ape_configured, february.ape_calibrated) == (None, None)
    # Periods with nothing won have no percentage error and stay out of the mean.
    assert (result.mape_configured, result.mape_calibrated) == (D("82.5"), D("78.0"))


def test_backtest_of_some_deals_still_calibrates_from_all():
    result = backtest(HISTORIES, STAGES, PERIODS[:1], counted={1: True})

    january = result.periods[0]
    assert (january.deals, january.forecast_configured, january.actual) == (1, D("500.00"), 1000)
    assert january.forecast_calibrated == D("545.45")  # 1000 * 6/11


# --- the dashboard trend ---


def test_monthly_trend_gives_win_rate_and_cycle_length_per_close_month():
    months = last_months(date(2025, 3, 10), 3)
    rows = [
        ClosedRow(won=True, created_at=at(1, 1), closed_at=at(1, 11), closed_on=date(2025, 1, 11)),
        ClosedRow(won=True, created_at=at(1, 1), closed_at=at(1, 31), closed_on=date(2025, 1, 31)),
        ClosedRow(won=False, created_at=at(1, 1), closed_at=at(1, 5), closed_on=date(2025, 1, 5)),
        ClosedRow(won=False, created_at=at(2, 1), closed_at=at(3, 2), closed_on=date(2025, 3, 2)),
        ClosedRow(
            won=True,
            created_at=at(9, 1, 2024),
            closed_at=at(12, 2, 2024),
            closed_on=date(2024, 12, 2),
        ),  # before the window
    ]

    trend = monthly_trend(rows, months)

    assert months == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    assert [(m.won, m.lost, m.win_rate, m.cycle_days) for m in trend] == [
        (2, 1, D("66.7"), D("20.0")),
        (0, 0, None, None),
        (0, 1, D("0.0"), None),
    ]
