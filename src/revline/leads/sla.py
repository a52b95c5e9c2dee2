"""Business-hours clock arithmetic for hand-off SLAs. Pure: no ORM, `now` is always passed in.

A calendar is a set of weekdays (0 = Monday) with one opening window per day in a timezone.
Durations are measured on real (UTC) time inside the windows, so a DST change is handled."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BusinessCalendar:
    days: frozenset[int]
    start: time
    end: time
    timezone: ZoneInfo

    def __post_init__(self) -> None:
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("A business calendar needs at least one weekday between 0 and 6.")
        if self.start >= self.end:
            raise ValueError("The business day must end after it starts.")

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's opening hours in UTC, or None on a day off."""
        if day.weekday() not in self.days:
            return None
        opens = datetime.combine(day, self.start, tzinfo=self.timezone).astimezone(UTC)
        closes = datetime.combine(day, self.end, tzinfo=self.timezone).astimezone(UTC)
        return opens, closes


def parse_days(value: str) -> frozenset[int]:
    """'0,1,2,3,4' → {0..4}; raises ValueError on anything else."""
    days = set()
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) > 6:
            raise ValueError(f"{part!r} is not a weekday number between 0 (Monday) and 6.")
        days.add(int(part))
    if not days:
        raise ValueError("Pick at least one business day.")
    return frozenset(days)


def _local_day(moment: datetime, calendar: BusinessCalendar) -> date:
    return moment.astimezone(calendar.timezone).date()


def business_add(start: datetime, hours: float, calendar: BusinessCalendar) -> datetime:
    """The moment `hours` business hours after `start` (timezone-aware, returned in UTC).

    A start outside business hours begins counting at the next opening."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    remaining = timedelta(hours=hours)
    current = start.astimezone(UTC)
    day = _local_day(current, calendar)
    while True:
        window = calendar.window(day)
        if window is not None:
            opens, closes = window
            current = max(current, opens)
            if current < closes:
                available = closes - current
                if remaining <= available:
                    return current + remaining
                remaining -= available
                current = closes
        day += timedelta(days=1)


def business_seconds_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> float:
    """Business seconds from `start` to `end`; negative when `end` comes first."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    if end < start:
        return -business_seconds_between(end, start, calendar)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = 0.0
    day, last = _local_day(start, calendar), _local_day(end, calendar)
    while day <= last:
        window = calendar.window(day)
        if window is not None:
            opens, closes = max(window[0], start), min(window[1], end)
            if closes > opens:
                total += (closes - opens).total_seconds()
        day += timedelta(days=1)
    return total


def duration_text(seconds: float) -> str:
    """3 h 5 min, 45 min, 2 d 1 h (a day being 24 h of business time is rare, so days only
    appear past 24 h)."""
    minutes = int(abs(seconds) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


@dataclass(frozen=True)
class SlaState:
    seconds_left: float  # business seconds; negative when overdue
    overdue: bool
    label: str
    tone: str  # badge class: ok, warn, bad


def sla_state(
    due_at: datetime, now: datetime, calendar: BusinessCalendar, *, warn_seconds: float = 3600
) -> SlaState:
    """Time left to the deadline in business time ("2 h 10 min left" / "Overdue by 35 min").

    Past the deadline in wall time counts as overdue even outside business hours."""
    left = business_seconds_between(now, due_at, calendar)
    if now >= due_at:
        return SlaState(left, True, f"Overdue by {duration_text(min(left, -60.0))}", "bad")
    if left < 60:
        return SlaState(left, False, "Less than 1 min left", "bad")
    tone = "warn" if left <= warn_seconds else "ok"
    return SlaState(left, False, f"{duration_text(left)} left", tone)
