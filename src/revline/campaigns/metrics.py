"""Campaign metric formulas: pure functions over counts and amounts (no ORM).

Every ratio is None when its denominator is zero: "no data" is not the same as 0.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Figures:
    """What a campaign's records add up to; `cost` is in the campaign's currency and
    `pipeline` / `won_revenue` are in the workspace currency."""

    impressions: int = 0
    clicks: int = 0
    cost: Decimal = Decimal("0")
    leads: int = 0
    mqls: int = 0
    sqls: int = 0
    pipeline: Decimal = Decimal("0")
    won_revenue: Decimal = Decimal("0")
    new_customers: int = 0


@dataclass(frozen=True)
class Derived:
    ctr: Decimal | None  # percent
    cost_per_lead: Decimal | None
    roas: Decimal | None  # won revenue per unit of cost
    cac: Decimal | None


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def ctr(clicks: int, impressions: int) -> Decimal | None:
    """Click-through rate in percent, two decimals."""
    if impressions <= 0:
        return None
    return _round(Decimal(clicks) * HUNDRED / Decimal(impressions))


def cost_per(cost: Decimal, count: int) -> Decimal | None:
    """Cost per lead, per MQL, per customer (CAC): money, two decimals."""
    if count <= 0:
        return None
    return _round(cost / count)


def roas(won_revenue: Decimal, cost: Decimal) -> Decimal | None:
    """Return on ad spend: won revenue divided by cost, e.g. 3.25 means 3.25 earned per 1 spent."""
    if cost <= 0:
        return None
    return _round(won_revenue / cost)


def share(actual: Decimal | int, target: Decimal | int | None) -> Decimal | None:
    """`actual` as a percent of `target` (one decimal), e.g. goal progress or budget used."""
    if target is None or target <= 0:
        return None
    return (Decimal(actual) * HUNDRED / Decimal(target)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def derive(figures: Figures, *, same_currency: bool = True) -> Derived:
    """The ratios of `figures`. ROAS divides revenue by cost, so it needs both in one currency."""
    return Derived(
        ctr=ctr(figures.clicks, figures.impressions),
        cost_per_lead=cost_per(figures.cost, figures.leads),
        roas=roas(figures.won_revenue, figures.cost) if same_currency else None,
        cac=cost_per(figures.cost, figures.new_customers),
    )


@dataclass(frozen=True)
class Progress:
    key: str
    label: str
    goal: Decimal | int | None
    actual: Decimal | int | None  # None: not shown to this reader (core.audience)
    percent: Decimal | None
    is_money: bool

    @property
    def bar(self) -> Decimal:
        """The filled share of a progress bar, capped at 100."""
        return min(self.percent or Decimal("0"), HUNDRED)

    @property
    def reached(self) -> bool:
        return (
            self.goal is not None
            and self.goal > 0
            and self.actual is not None
            and self.actual >= self.goal
        )


GOALS: tuple[tuple[str, str, bool], ...] = (
    ("leads", "Leads", False),
    ("mqls", "MQLs", False),
    ("sqls", "SQLs", False),
    ("pipeline", "Pipeline", True),
    ("won_revenue", "Won revenue", True),
)


def plan_vs_actual(goals: dict[str, Decimal | int | None], figures: Figures) -> list[Progress]:
    """One row per goal key in GOALS (goal may be None: no target set)."""
    rows = []
    for key, label, is_money in GOALS:
        actual = getattr(figures, key)
        goal = goals.get(key)
        rows.append(
            Progress(
                key=key,
                label=label,
                goal=goal,
                actual=actual,
                percent=share(actual, goal),
                is_money=is_money,
            )
        )
    return rows
