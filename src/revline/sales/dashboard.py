"""Pure computations of the sales dashboard: monthly win rate and sales cycle length."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from .forecast import add_months


@dataclass(frozen=True)
class ClosedRow:
    won: bool
    created_at: datetime
    closed_at: datetime
    closed_on: date  # closed_at's local date


@dataclass(frozen=True)
class TrendMonth:
    month: date
    won: int
    lost: int
    win_rate: Decimal | None  # won / (won + lost) in percent, one decimal
    cycle_days: Decimal | None  # mean days from created to closed won, one decimal


def last_months(today: date, count: int) -> list[date]:
    """The first days of the `count` months ending with today's, oldest first."""
    this_month = date(today.year, today.month, 1)
    return [add_months(this_month, -n) for n in range(count - 1, -1, -1)]


def monthly_trend(rows: Iterable[ClosedRow], months: Sequence[date]) -> list[TrendMonth]:
    """Per month (by close date): deals won and lost, the win rate, and the average number of
    days won deals took from creation to close (the sales cycle)."""
    won = {m: 0 for m in months}
    lost = {m: 0 for m in months}
    cycle: dict[date, list[float]] = {m: [] for m in months}
    for row in rows:
        month = date(row.closed_on.year, row.closed_on.month, 1)
        if month not in won:
            continue
        if row.won:
            won[month] += 1
            cycle[month].append((row.closed_at - row.created_at).total_seconds() / 86400)
        else:
            lost[month] += 1
    result = []
    for m in months:
        closed = won[m] + lost[m]
        result.append(
            TrendMonth(
                month=m,
                won=won[m],
                lost=lost[m],
                win_rate=(Decimal(won[m] * 100) / closed).quantize(Decimal("0.1"))
                if closed
                else None,
                cycle_days=Decimal(sum(cycle[m]) / len(cycle[m])).quantize(Decimal("0.1"))
                if cycle[m]
                else None,
            )
        )
    return result
