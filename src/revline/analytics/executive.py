"""Pure computations of the executive dashboard: date ranges, the target from quotas, win rates,
CAC and funnel rates. No ORM here (executive_selectors.py feeds these plain values), so each rule
is tested with exact numbers.

Amounts are Decimals in the workspace currency; percentages are Decimals with one decimal.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
HUNDRED = Decimal("100")

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
CUSTOM = "custom"
PRESETS = (MONTH, QUARTER, YEAR)
TREND_MONTHS = 6  # the win-rate trend shows at least this many months, ending with the range


# ---------------------------------------------------------------- ranges


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive
    preset: str = CUSTOM

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.preset == MONTH:
            return self.start.strftime("%B %Y")
        if self.preset == QUARTER:
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.preset == YEAR:
            return str(self.start.year)
        return f"{self.start:%b} {self.start.day}, {self.start.year} – {self.end:%b} {self.end.day}, {self.end.year}"


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def preset_range(preset: str, today: date, *, offset: int = 0) -> DateRange:
    """The month, quarter or year containing `today`, moved by `offset` such periods."""
    if preset == MONTH:
        start = add_months(date(today.year, today.month, 1), offset)
        return DateRange(start, add_months(start, 1) - timedelta(days=1), MONTH)
    if preset == QUARTER:
        first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        start = add_months(first, 3 * offset)
        return DateRange(start, add_months(start, 3) - timedelta(days=1), QUARTER)
    if preset == YEAR:
        start = date(today.year + offset, 1, 1)
        return DateRange(start, date(start.year, 12, 31), YEAR)
    raise ValueError(f"Unknown preset {preset!r}")


def month_starts(start: date, end: date) -> list[date]:
    """The first day of every month touching start..end, in order."""
    months = []
    current = date(start.year, start.month, 1)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def trend_months(period: DateRange, minimum: int = TREND_MONTHS) -> list[date]:
    """The months of the range, extended back so a short range still shows a trend."""
    months = month_starts(period.start, period.end)
    last = months[-1]
    earliest = add_months(last, -(minimum - 1))
    return month_starts(min(months[0], earliest), period.end)


# ---------------------------------------------------------------- target


@dataclass(frozen=True)
class QuotaFact:
    user_id: int
    kind: str  # "month" or "quarter"
    start: date
    amount: Decimal


def _overlap_days(a_start: date, a_end: date, b_start: date, b_end: date) -> int:
    return max((min(a_end, b_end) - max(a_start, b_start)).days + 1, 0)


def quota_target(quotas: Iterable[QuotaFact], start: date, end: date) -> Decimal | None:
    """The sum of the quotas for start..end, or None when no quota covers any of it.

    Month by month and person by person: their monthly quota when set, otherwise a third of their
    quarterly quota (so a person with both is never counted twice). A month the range covers only
    in part counts in proportion to its days.
    """
    monthly: dict[tuple[int, date], Decimal] = {}
    quarterly: dict[tuple[int, date], Decimal] = {}
    for quota in quotas:
        if quota.kind == MONTH:
            monthly[(quota.user_id, date(quota.start.year, quota.start.month, 1))] = quota.amount
        elif quota.kind == QUARTER:
            first = date(quota.start.year, (quota.start.month - 1) // 3 * 3 + 1, 1)
            for n in range(3):
                quarterly[(quota.user_id, add_months(first, n))] = quota.amount / 3
    total = ZERO
    found = False
    for key in monthly.keys() | quarterly.keys():
        _, month = key
        month_end = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
        covered = _overlap_days(month, month_end, start, end)
        if not covered:
            continue
        found = True
        amount = monthly[key] if key in monthly else quarterly[key]
        total += amount * covered / month_end.day
    return total.quantize(CENT, ROUND_HALF_UP) if found else None


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part / whole in percent (one decimal); None when whole is zero or less."""
    if whole <= 0:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(TENTH, ROUND_HALF_UP)


# ---------------------------------------------------------------- win rate, CAC, funnel


@dataclass(frozen=True)
class WinRateMonth:
    month: date
    won: int
    lost: int

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def rate(self) -> Decimal | None:
        return percent(self.won, self.closed)

    @property
    def label(self) -> str:
        return self.month.strftime("%b %Y")


def win_rate_by_month(
    closed: Iterable[tuple[date, bool]], months: Sequence[date]
) -> list[WinRateMonth]:
    """Won and lost deals per month (by close day), for each of `months`; others are ignored."""
    counts: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    wanted = set(months)
    for day, won in closed:
        month = date(day.year, day.month, 1)
        if month in wanted:
            counts[month][0 if won else 1] += 1
    return [WinRateMonth(m, counts[m][0], counts[m][1]) for m in months]


def cac(spend: Decimal, new_customers: int) -> Decimal | None:
    """Customer acquisition cost: spend divided by the customers won; None without customers."""
    if new_customers <= 0:
        return None
    return (spend / new_customers).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    label: str
    count: int
    from_previous: Decimal | None  # percent of the previous step's count
    from_first: Decimal | None  # percent of the first step's count


def funnel_steps(counts: Sequence[tuple[str, str, int]]) -> list[FunnelStep]:
    """(stage, label, count) in funnel order → steps with the conversion from the step before
    and from the top of the funnel."""
    steps = []
    first = counts[0][2] if counts else 0
    previous: int | None = None
    for stage, label, count in counts:
        steps.append(
            FunnelStep(
                stage=stage,
                label=label,
                count=count,
                from_previous=percent(count, previous) if previous is not None else None,
                from_first=percent(count, first),
            )
        )
        previous = count
    return steps
