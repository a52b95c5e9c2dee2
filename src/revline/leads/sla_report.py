"""Pure computations of the SLA report: each hand-off's SLA outcome, met rates, median and
90th-percentile first-response times in business hours, weekly buckets. No ORM: the selector
loads plain values (`SlaFact`) and passes them in with `now` and the business calendar."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .sla import BusinessCalendar, business_seconds_between, duration_text


class Outcome(StrEnum):
    MET = "met"
    MISSED = "missed"
    PENDING = "pending"  # untouched and not yet due: too early to say


@dataclass(frozen=True)
class SlaFact:
    qualified_at: datetime
    due_at: datetime
    first_touch_at: datetime | None
    breached_at: datetime | None
    escalated: bool
    is_open: bool  # status is still open (not accepted or rejected)


def outcome(fact: SlaFact, *, now: datetime) -> Outcome:
    """Met: first touched by the deadline. Missed: flagged as breached, touched late, or still
    untouched at or past the deadline (the breach job may not have run yet). A flag wins over a
    touch time, so the report never disagrees with the queue's "SLA missed" badge."""
    if fact.breached_at is not None:
        return Outcome.MISSED
    if fact.first_touch_at is not None:
        return Outcome.MET if fact.first_touch_at <= fact.due_at else Outcome.MISSED
    return Outcome.MISSED if now >= fact.due_at else Outcome.PENDING


def is_overdue(fact: SlaFact, *, now: datetime) -> bool:
    """Still open, never touched, and past its deadline now."""
    return fact.is_open and fact.first_touch_at is None and now >= fact.due_at


def response_seconds(fact: SlaFact, calendar: BusinessCalendar) -> float | None:
    """Business seconds from qualification to the first touch; None before the first touch."""
    if fact.first_touch_at is None:
        return None
    return max(0.0, business_seconds_between(fact.qualified_at, fact.first_touch_at, calendar))


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1) by linear interpolation between the closest ranks (the
    "inclusive" method: position (n - 1)·q in the sorted values), so q = 0.5 is the usual
    median; None for no values."""
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rate(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, one decimal; None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class SlaRow:
    key: str  # "rep-<id>", "unassigned", "team-<id>", "total"
    label: str
    received: int
    met: int
    missed: int
    pending: int
    breached: int
    overdue: int
    escalated: int
    touched: int
    median_seconds: float | None
    p90_seconds: float | None

    @property
    def met_rate(self) -> float | None:
        """Met ÷ (met + missed): hand-offs not yet due are left out."""
        return rate(self.met, self.met + self.missed)

    @property
    def median_text(self) -> str:
        return duration_text(self.median_seconds) if self.median_seconds is not None else "—"

    @property
    def p90_text(self) -> str:
        return duration_text(self.p90_seconds) if self.p90_seconds is not None else "—"


def sla_row(
    facts: Sequence[SlaFact], *, key: str, label: str, now: datetime, calendar: BusinessCalendar
) -> SlaRow:
    outcomes = [outcome(f, now=now) for f in facts]
    responses = [s for f in facts if (s := response_seconds(f, calendar)) is not None]
    return SlaRow(
        key=key,
        label=label,
        received=len(facts),
        met=outcomes.count(Outcome.MET),
        missed=outcomes.count(Outcome.MISSED),
        pending=outcomes.count(Outcome.PENDING),
        breached=sum(1 for f in facts if f.breached_at is not None),
        overdue=sum(1 for f in facts if is_overdue(f, now=now)),
        escalated=sum(1 for f in facts if f.escalated),
        touched=len(responses),
        median_seconds=percentile(responses, 0.5),
        p90_seconds=percentile(responses, 0.9),
    )


# --- Weekly trend -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    start: date  # a Monday
    received: int
    met: int
    missed: int

    @property
    def met_rate(self) -> float | None:
        return rate(self.met, self.met + self.missed)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly(
    facts: Iterable[SlaFact], *, first: date, last: date, tz: ZoneInfo, now: datetime
) -> list[Week]:
    """One row per week (Monday to Sunday, in `tz`) that overlaps first..last, counting each
    hand-off in the week it was qualified; weeks without hand-offs are kept (rate None)."""
    counts: dict[date, list[int]] = {}
    monday = week_start(first)
    while monday <= last:
        counts[monday] = [0, 0, 0]
        monday += timedelta(days=7)
    for fact in facts:
        bucket = counts.get(week_start(fact.qualified_at.astimezone(tz).date()))
        if bucket is None:
            continue
        bucket[0] += 1
        result = outcome(fact, now=now)
        if result == Outcome.MET:
            bucket[1] += 1
        elif result == Outcome.MISSED:
            bucket[2] += 1
    return [Week(start=day, received=r, met=m, missed=x) for day, (r, m, x) in counts.items()]
