"""Calendar days as instants in the workspace's time zone, for report date filters."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone


def workspace_tz() -> ZoneInfo:
    tz = timezone.get_current_timezone()
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(str(tz))


def day_start(day: date) -> datetime:
    """00:00 of `day` in the workspace's time zone."""
    return datetime.combine(day, time.min, tzinfo=workspace_tz())


def days_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[first day 00:00, the day after the last 00:00): every instant of the days, both included."""
    return day_start(first), day_start(last + timedelta(days=1))
