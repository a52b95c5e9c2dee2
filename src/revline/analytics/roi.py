"""ROI formulas: pure functions over spend, counts and attributed revenue (no ORM).

Every ratio is None when its denominator is zero ("no data" is not 0); pages show it as "—".
Money is Decimal, rounded half-up to the cent; payback is in months to one decimal.

Payback period (months) = CAC ÷ monthly gross revenue per new customer, where
- CAC = spend ÷ new customers;
- monthly gross revenue per new customer = attributed won revenue ÷ new customers ÷ term;
- gross revenue is the won deals' amounts as sold (no costs or margin taken off);
- term = how many months of revenue one won deal's amount stands for (12 for annual contracts,
  1 when a deal is one month of a subscription).
So payback = spend * term ÷ attributed won revenue: the months of that revenue it takes to earn
back what was spent to win those customers. With no spend recorded there is nothing to pay
back, and with no customers or no revenue it never pays back: both show "—".
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def roas(revenue: Decimal, spend: Decimal) -> Decimal | None:
    """Return on ad spend: revenue per unit of spend (3.25 = 3.25 earned per 1 spent)."""
    if spend <= 0:
        return None
    return _cents(revenue / spend)


def cost_per(spend: Decimal, count: int | float | Decimal) -> Decimal | None:
    """Spend per lead / MQL / SQL / customer (CAC); None without spend: a campaign with no
    spend recorded has an unknown cost, not a cost of 0."""
    if count <= 0 or spend <= 0:
        return None
    return _cents(spend / Decimal(count))


def monthly_revenue_per_customer(
    revenue: Decimal, customers: int, *, term_months: int
) -> Decimal | None:
    """Attributed gross revenue per new customer and month of the term."""
    if customers <= 0 or term_months <= 0:
        return None
    return _cents(revenue / customers / term_months)


def payback_months(
    spend: Decimal, revenue: Decimal, customers: int, *, term_months: int
) -> Decimal | None:
    """CAC ÷ monthly gross revenue per new customer, in months (one decimal).

    Computed unrounded (spend * term ÷ revenue), so rounding the intermediate figures for
    display does not change it."""
    if customers <= 0 or term_months <= 0 or revenue <= 0 or spend <= 0:
        return None
    return (spend * term_months / revenue).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figures:
    """One row's inputs: spend and revenue in the workspace currency."""

    spend: Decimal = Decimal("0")
    leads: int = 0
    mqls: int = 0
    sqls: int = 0
    customers: int = 0
    pipeline: Decimal = Decimal("0")
    revenue: Decimal = Decimal("0")


@dataclass(frozen=True)
class Ratios:
    roas: Decimal | None
    cost_per_lead: Decimal | None
    cost_per_mql: Decimal | None
    cost_per_sql: Decimal | None
    cac: Decimal | None
    payback_months: Decimal | None


def ratios(figures: Figures, *, term_months: int = 12) -> Ratios:
    return Ratios(
        roas=roas(figures.revenue, figures.spend),
        cost_per_lead=cost_per(figures.spend, figures.leads),
        cost_per_mql=cost_per(figures.spend, figures.mqls),
        cost_per_sql=cost_per(figures.spend, figures.sqls),
        cac=cost_per(figures.spend, figures.customers),
        payback_months=payback_months(
            figures.spend, figures.revenue, figures.customers, term_months=term_months
        ),
    )
