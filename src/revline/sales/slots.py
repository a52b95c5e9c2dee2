"""Free booking slots from weekly availability windows, as a pure function (no ORM).

A window is "Mondays 09:00-12:00 in Europe/Berlin, 30-minute slots". Wall-clock times are
resolved in the window's own time zone for each date, so a slot at 09:00 stays at 09:00 local
time across a daylight-saving change; a wall-clock time that does not exist that day (inside
the spring-forward gap) is not offered.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BOOKING_DAYS = 14
MIN_SLOT_MINUTES = 10
MAX_SLOT_MINUTES = 240


@dataclass(frozen=True)
class Window:
    weekday: int  # 0 = Monday
    start: time
    end: time
    slot_minutes: int
    time_zone: str


@dataclass(frozen=True)
class Busy:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    time_zone: str

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(self.time_zone))

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(ZoneInfo(self.time_zone))

    @property
    def key(self) -> str:
        """The slot as the booking form posts it back: its UTC start, to the second."""
        return slot_key(self.starts_at)


def slot_key(starts_at: datetime) -> str:
    return starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_slot_key(raw: str) -> datetime | None:
    """The UTC start a posted slot key names, or None when it is not one."""
    try:
        parsed = datetime.strptime(raw.strip()[:20], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC)


def zone_or_none(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _resolve(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The instant a wall-clock time happens on `day`, or None inside a spring-forward gap.

    In the autumn overlap the earlier of the two instants is used (fold=0).
    """
    local = datetime.combine(day, at, tzinfo=zone)
    round_trip = local.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return local.astimezone(UTC)


def window_slots(window: Window, day: date) -> list[Slot]:
    """Every slot the window offers on one local date (empty on other weekdays)."""
    zone = zone_or_none(window.time_zone)
    if zone is None or day.weekday() != window.weekday:
        return []
    if not MIN_SLOT_MINUTES <= window.slot_minutes <= MAX_SLOT_MINUTES:
        return []
    length = timedelta(minutes=window.slot_minutes)
    window_end = datetime.combine(day, window.end)
    cursor = datetime.combine(day, window.start)
    slots = []
    while cursor + length <= window_end:
        starts_at = _resolve(day, cursor.time(), zone)
        if starts_at is not None:
            slots.append(Slot(starts_at=starts_at, ends_at=starts_at + length, time_zone=zone.key))
        cursor += length
    return slots


def free_slots(
    *,
    windows: Sequence[Window],
    busy: Iterable[Busy],
    now: datetime,
    days: int = BOOKING_DAYS,
) -> list[Slot]:
    """Bookable slots from `now` for `days` local dates, earliest first.

    A slot is left out when it starts at or before `now` or overlaps a busy interval (a meeting
    already booked). Two windows offering the same start offer it once.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    busy_list = [(b.starts_at, b.ends_at) for b in busy]
    found: dict[datetime, Slot] = {}
    for window in windows:
        zone = zone_or_none(window.time_zone)
        if zone is None:
            continue
        today = now.astimezone(zone).date()
        for offset in range(days):
            for slot in window_slots(window, today + timedelta(days=offset)):
                if slot.starts_at <= now or slot.starts_at in found:
                    continue
                if any(s < slot.ends_at and slot.starts_at < e for s, e in busy_list):
                    continue
                found[slot.starts_at] = slot
    return [found[key] for key in sorted(found)]


def find_slot(slots: Sequence[Slot], starts_at: datetime) -> Slot | None:
    return next((slot for slot in slots if slot.starts_at == starts_at), None)


@dataclass(frozen=True)
class SlotDay:
    day: date
    slots: list[Slot]


def slots_by_day(slots: Sequence[Slot]) -> list[SlotDay]:
    """Slots grouped by their local date (in each slot's own time zone), in order."""
    days: dict[date, list[Slot]] = {}
    for slot in sorted(slots, key=lambda s: s.starts_at):
        days.setdefault(slot.local_start.date(), []).append(slot)
    return [SlotDay(day=day, slots=day_slots) for day, day_slots in days.items()]
