"""Pure forecast computations: periods, calibrated stage probabilities, the period forecast and
its backtest. No ORM here (forecast_selectors.py feeds these), so they are tested with exact
numbers on hand-made histories.

Probabilities are fractions (Decimal 0..1); amounts are Decimals in the workspace currency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .models import DealStatus, ForecastCategory, StageKind

ZERO = Decimal("0")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
DEFAULT_PRIOR_STRENGTH = 10


# --- periods -------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_bounds(kind: str, day: date) -> tuple[date, date]:
    """[start, end) of the month or quarter ("month" / "quarter") containing `day`."""
    if kind == "month":
        start = date(day.year, day.month, 1)
        return start, add_months(start, 1)
    if kind == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return start, add_months(start, 3)
    raise ValueError(f"Unknown period kind {kind!r}")


def periods_before(kind: str, day: date, count: int) -> list[tuple[date, date]]:
    """The `count` complete months or quarters before the one containing `day`, oldest first."""
    step = 1 if kind == "month" else 3
    current, _ = period_bounds(kind, day)
    return [
        (add_months(current, -step * n), add_months(current, -step * (n - 1)))
        for n in range(count, 0, -1)
    ]


def period_label(kind: str, start: date) -> str:
    if kind == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return start.strftime("%b %Y")


# --- calibrated stage probabilities --------------------------------------------------------


@dataclass(frozen=True)
class StageDef:
    stage_id: int
    pipeline_id: int
    name: str
    position: int
    probability: int  # configured, in percent
    kind: str

    @property
    def configured(self) -> Decimal:
        return Decimal(self.probability) / HUNDRED


@dataclass(frozen=True)
class ClosedDeal:
    """A closed deal as the calibration sees it: how far it got, and whether it was won."""

    pipeline_id: int
    won: bool
    furthest_position: int | None  # position of the furthest open stage entered


@dataclass(frozen=True)
class StageCalibration:
    stage: StageDef
    reached: int  # n_s: closed deals that reached the stage
    won: int  # w_s: of those, won
    empirical: Decimal | None  # w_s / n_s (None without history)
    configured: Decimal  # p0
    calibrated: Decimal  # (w_s + k·p0) / (n_s + k)

    @property
    def empirical_percent(self) -> Decimal | None:
        return percent(self.empirical) if self.empirical is not None else None

    @property
    def configured_percent(self) -> Decimal:
        return percent(self.configured)

    @property
    def calibrated_percent(self) -> Decimal:
        return percent(self.calibrated)


def percent(fraction: Decimal) -> Decimal:
    return (fraction * HUNDRED).quantize(Decimal("0.1"))


def calibrate(
    stages: Sequence[StageDef],
    deals: Iterable[ClosedDeal],
    *,
    strength: int = DEFAULT_PRIOR_STRENGTH,
) -> list[StageCalibration]:
    """For each open stage, the probability that a closed deal which reached it was won.

    A deal reached stage s when it entered s or a later open stage of its pipeline, or was won
    (a won deal passed every stage). The empirical rate w/n is shrunk toward the configured
    probability p0 by a Beta(k·p0, k·(1-p0)) prior, i.e. k pseudo-deals won at rate p0; the
    result is the posterior mean (w + k·p0) / (n + k). With no history it is p0; with much
    history it approaches w/n.
    """
    if strength < 0:
        raise ValueError("The prior strength cannot be negative.")
    deals = list(deals)
    k = Decimal(strength)
    rows = []
    for stage in sorted(
        (s for s in stages if s.kind == StageKind.OPEN), key=lambda s: (s.pipeline_id, s.position)
    ):
        reached = [
            d
            for d in deals
            if d.pipeline_id == stage.pipeline_id
            and (
                d.won or (d.furthest_position is not None and d.furthest_position >= stage.position)
            )
        ]
        n = len(reached)
        w = sum(1 for d in reached if d.won)
        p0 = stage.configured
        calibrated = (Decimal(w) + k * p0) / (Decimal(n) + k) if n + strength > 0 else p0
        rows.append(
            StageCalibration(
                stage=stage,
                reached=n,
                won=w,
                empirical=Decimal(w) / Decimal(n) if n else None,
                configured=p0,
                calibrated=calibrated,
            )
        )
    return rows


# --- deal histories --------------------------------------------------------------------------


@dataclass(frozen=True)
class DealHistory:
    """One deal with its stage changes (oldest first), as the backtest replays it."""

    deal_id: int
    pipeline_id: int
    owner_id: int | None
    status: str
    amount_base: Decimal
    created_at: datetime
    closed_at: datetime | None
    expected_close_date: date | None
    changes: tuple[tuple[datetime, int], ...] = ()  # (changed_at, to_stage_id)


def furthest_open_position(deal: DealHistory, stages: Mapping[int, StageDef]) -> int | None:
    positions = [
        stages[stage_id].position
        for _, stage_id in deal.changes
        if stage_id in stages and stages[stage_id].kind == StageKind.OPEN
    ]
    return max(positions, default=None)


def closed_deals(
    deals: Iterable[DealHistory], stages: Mapping[int, StageDef], *, before: datetime | None = None
) -> list[ClosedDeal]:
    """The won and lost deals (closed before `before`, when given) for calibrate()."""
    return [
        ClosedDeal(
            pipeline_id=d.pipeline_id,
            won=d.status == DealStatus.WON,
            furthest_position=furthest_open_position(d, stages),
        )
        for d in deals
        if d.status in (DealStatus.WON, DealStatus.LOST)
        and d.closed_at is not None
        and (before is None or d.closed_at < before)
    ]


def stage_at(deal: DealHistory, moment: datetime) -> int | None:
    """The stage the deal was in just before `moment` (None when it did not exist yet)."""
    current = None
    for changed_at, stage_id in deal.changes:
        if changed_at >= moment:
            break
        current = stage_id
    return current


# --- the forecast of one period ------------------------------------------------------------


@dataclass(frozen=True)
class ForecastDeal:
    deal_id: int
    owner_id: int | None
    stage_id: int
    status: str
    amount_base: Decimal
    converted: bool  # False when no exchange rate was stored: amount_base is 0 and meaningless
    category: str
    expected_close_date: date | None
    closed_on: date | None


@dataclass
class Figures:
    won: Decimal = ZERO
    commit: Decimal = ZERO
    best_case: Decimal = ZERO
    pipeline: Decimal = ZERO  # open, not omitted
    weighted_configured: Decimal = ZERO
    weighted_calibrated: Decimal = ZERO
    open_deals: int = 0
    won_deals: int = 0
    not_converted: int = 0


@dataclass(frozen=True)
class RepForecast:
    owner_id: int | None
    quota: Decimal | None
    attainment: Decimal | None  # won / quota in percent, one decimal
    figures: Figures


@dataclass(frozen=True)
class Forecast:
    start: date
    end: date
    total: Figures
    quota: Decimal | None
    attainment: Decimal | None
    reps: list[RepForecast]
    deals: list[ForecastDeal] = field(default_factory=list)


def attainment(won: Decimal, quota: Decimal | None) -> Decimal | None:
    if quota is None or quota <= 0:
        return None
    return (won * HUNDRED / quota).quantize(Decimal("0.1"))


def in_period(deal: ForecastDeal, start: date, end: date) -> bool:
    if deal.status == DealStatus.WON:
        return deal.closed_on is not None and start <= deal.closed_on < end
    if deal.status == DealStatus.OPEN:
        return deal.expected_close_date is not None and start <= deal.expected_close_date < end
    return False


def _add(figures: Figures, deal: ForecastDeal, configured: Decimal, calibrated: Decimal) -> None:
    if not deal.converted:
        figures.not_converted += 1
        return
    amount = deal.amount_base
    if deal.status == DealStatus.WON:
        figures.won += amount
        figures.commit += amount
        figures.best_case += amount
        figures.won_deals += 1
        return
    if deal.category == ForecastCategory.OMITTED:
        return
    figures.open_deals += 1
    figures.pipeline += amount
    figures.weighted_configured += amount * configured
    figures.weighted_calibrated += amount * calibrated
    if deal.category == ForecastCategory.COMMIT:
        figures.commit += amount
        figures.best_case += amount
    elif deal.category == ForecastCategory.BEST_CASE:
        figures.best_case += amount


def _rounded(figures: Figures) -> Figures:
    figures.weighted_configured = figures.weighted_configured.quantize(CENT)
    figures.weighted_calibrated = figures.weighted_calibrated.quantize(CENT)
    return figures


def forecast_period(
    deals: Iterable[ForecastDeal],
    *,
    start: date,
    end: date,
    configured: Mapping[int, Decimal],
    calibrated: Mapping[int, Decimal],
    quotas: Mapping[int, Decimal] | None = None,
) -> Forecast:
    """The forecast of [start, end): deals won in the period plus open deals expected to close in it.

    won: won in the period, whatever its category. commit: won + open deals in "commit".
    best case: commit + open deals in "best case". pipeline: every open deal not "omitted".
    weighted: sum of amount * stage probability over the same open deals, with the configured and
    with the calibrated probabilities. Deals without a converted amount are counted apart.
    Reps are everyone with a deal in the period or a quota (`quotas`: owner id -> amount).
    """
    quotas = quotas or {}
    total = Figures()
    per_rep: dict[int | None, Figures] = defaultdict(Figures)
    chosen = []
    for deal in deals:
        if not in_period(deal, start, end):
            continue
        chosen.append(deal)
        p_conf = configured.get(deal.stage_id, ZERO)
        p_cal = calibrated.get(deal.stage_id, p_conf)
        _add(total, deal, p_conf, p_cal)
        _add(per_rep[deal.owner_id], deal, p_conf, p_cal)
    for owner_id in quotas:  # a rep with a quota and no deal still gets a row
        per_rep.setdefault(owner_id, Figures())
    reps = [
        RepForecast(
            owner_id=owner_id,
            quota=quotas.get(owner_id) if owner_id is not None else None,
            attainment=attainment(
                figures.won, quotas.get(owner_id) if owner_id is not None else None
            ),
            figures=_rounded(figures),
        )
        for owner_id, figures in per_rep.items()
    ]
    reps.sort(key=lambda r: (-r.figures.won, -r.figures.commit, r.owner_id or 0))
    quota_total = sum(quotas.values(), ZERO) if quotas else None
    return Forecast(
        start=start,
        end=end,
        total=_rounded(total),
        quota=quota_total,
        attainment=attainment(total.won, quota_total),
        reps=reps,
        deals=chosen,
    )


# --- backtest ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestPeriod:
    label: str
    start: datetime
    end: datetime
    deals: int  # open at the start and expected to close in the period
    forecast_configured: Decimal
    forecast_calibrated: Decimal
    actual: Decimal
    error_configured: Decimal  # forecast - actual
    error_calibrated: Decimal
    ape_configured: Decimal | None  # |error| / actual in percent; None when nothing was won
    ape_calibrated: Decimal | None


@dataclass(frozen=True)
class Backtest:
    periods: list[BacktestPeriod]
    mape_configured: Decimal | None
    mape_calibrated: Decimal | None


def _ape(error: Decimal, actual: Decimal) -> Decimal | None:
    if actual <= 0:
        return None
    return (abs(error) * HUNDRED / actual).quantize(Decimal("0.1"))


def _mean(values: Sequence[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    return (sum(present, ZERO) / len(present)).quantize(Decimal("0.1"))


def backtest(
    deals: Sequence[DealHistory],
    stages: Sequence[StageDef],
    periods: Sequence[tuple[str, datetime, datetime]],
    *,
    strength: int = DEFAULT_PRIOR_STRENGTH,
    counted: Mapping[int, bool] | None = None,
) -> Backtest:
    """How the weighted forecast made at each period's start compared with what was then won.

    At the start of a period (label, start, end) the forecast took every deal open at that
    moment (created before it, not closed before it) whose expected close falls in the period,
    in the stage it was in then, times the stage probability: configured, or calibrated from the
    deals closed before that moment only. The expected close date is today's value: the history
    of that field is not kept, so a deal whose date slipped counts in the period it slipped to.
    Actual is every deal won in the period. `counted` (deal id -> bool) leaves some deals out of
    the forecast and the actual (e.g. another owner) while all `deals` still calibrate.
    """
    by_id = {s.stage_id: s for s in stages}
    rows = []
    for label, start, end in periods:
        calibration = calibrate(stages, closed_deals(deals, by_id, before=start), strength=strength)
        calibrated = {c.stage.stage_id: c.calibrated for c in calibration}
        first_day, last_day = start.date(), end.date()
        count, conf, cal, actual = 0, ZERO, ZERO, ZERO
        for deal in deals:
            if counted is not None and not counted.get(deal.deal_id, False):
                continue
            if (
                deal.status == DealStatus.WON
                and deal.closed_at is not None
                and start <= deal.closed_at < end
            ):
                actual += deal.amount_base
            if deal.created_at >= start or (deal.closed_at is not None and deal.closed_at < start):
                continue
            if deal.expected_close_date is None or not (
                first_day <= deal.expected_close_date < last_day
            ):
                continue
            stage_id = stage_at(deal, start)
            stage = by_id.get(stage_id) if stage_id is not None else None
            if stage is None or stage.kind != StageKind.OPEN:
                continue
            count += 1
            conf += deal.amount_base * stage.configured
            cal += deal.amount_base * calibrated.get(stage.stage_id, stage.configured)
        conf, cal = conf.quantize(CENT), cal.quantize(CENT)
        rows.append(
            BacktestPeriod(
                label=label,
                start=start,
                end=end,
                deals=count,
                forecast_configured=conf,
                forecast_calibrated=cal,
                actual=actual,
                error_configured=conf - actual,
                error_calibrated=cal - actual,
                ape_configured=_ape(conf - actual, actual),
                ape_calibrated=_ape(cal - actual, actual),
            )
        )
    return Backtest(
        periods=rows,
        mape_configured=_mean([r.ape_configured for r in rows]),
        mape_calibrated=_mean([r.ape_calibrated for r in rows]),
    )
