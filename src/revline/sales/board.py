"""Pure helpers of the pipeline board: close periods, days in stage, staleness. No ORM."""

from datetime import date, datetime

MAX_CARDS = 50  # cards loaded per column; the rest are counted and linked to the list

THIS_MONTH = "this_month"
NEXT_MONTH = "next_month"
THIS_QUARTER = "this_quarter"
NEXT_QUARTER = "next_quarter"
CUSTOM = "custom"
CLOSE_PERIODS: list[tuple[str, str]] = [
    (THIS_MONTH, "Closing this month"),
    (NEXT_MONTH, "Closing next month"),
    (THIS_QUARTER, "Closing this quarter"),
    (NEXT_QUARTER, "Closing next quarter"),
    (CUSTOM, "Custom dates"),
]


def _month_start(year: int, month: int) -> date:
    """The first day of `month` (1-based, may run past 12 into the next years)."""
    year += (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def _last_day_before(start: date) -> date:
    return date.fromordinal(start.toordinal() - 1)


def close_period_range(period: str, today: date) -> tuple[date, date] | None:
    """First and last day of a named close period around `today`; None for custom or unknown."""
    if period in (THIS_MONTH, NEXT_MONTH):
        offset = 0 if period == THIS_MONTH else 1
        start = _month_start(today.year, today.month + offset)
        return start, _last_day_before(_month_start(today.year, today.month + offset + 1))
    if period in (THIS_QUARTER, NEXT_QUARTER):
        first_month = (today.month - 1) // 3 * 3 + 1 + (0 if period == THIS_QUARTER else 3)
        start = _month_start(today.year, first_month)
        return start, _last_day_before(_month_start(today.year, first_month + 3))
    return None


def days_in_stage(stage_changed_at: datetime, now: datetime) -> int:
    """Whole days since the deal entered its stage (0 on the first day, never negative)."""
    return max(0, (now - stage_changed_at).days)


def is_stale(days: int, stale_after_days: int) -> bool:
    """An open deal is stale once it spent more than the pipeline's limit in one stage."""
    return days > stale_after_days
