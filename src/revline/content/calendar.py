"""The content calendar's grids as pure functions: weeks run Monday to Sunday, no ORM here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

T = TypeVar("T")

# The calendar and publish dates stay inside this range, so navigation never runs off the end of
# Python's dates and typos such as year 20255 are refused.
EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)
DAYS_PER_WEEK = 7
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(text: str | None) -> date | None:
    """A strict YYYY-MM-DD day inside [EARLIEST, LATEST]; None for anything else."""
    if not text or not ISO_DAY.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def clamp(day: date) -> date:
    return min(max(day, EARLIEST), LATEST)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_days(day: date) -> list[date]:
    """Monday to Sunday of the week holding `day`."""
    monday = week_start(day)
    return [monday + timedelta(days=i) for i in range(DAYS_PER_WEEK)]


def month_end(day: date) -> date:
    first_of_next = add_months(day.replace(day=1), 1)
    return first_of_next - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` away from `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_weeks(day: date) -> list[list[date]]:
    """The weeks (Monday first) covering `day`'s month, padded with days of the months around it."""
    first = day.replace(day=1)
    last = month_end(first)
    weeks = []
    monday = week_start(first)
    while monday <= last:
        weeks.append(week_days(monday))
        monday += timedelta(days=DAYS_PER_WEEK)
    return weeks


def shift(view: str, day: date, steps: int) -> date:
    """The day `steps` months (month view) or weeks (week view) away, kept inside the range."""
    if view == "week":
        return clamp(day + timedelta(days=DAYS_PER_WEEK * steps))
    try:
        return clamp(add_months(day, steps))
    except ValueError:  # past year 1 or 9999
        return EARLIEST if steps < 0 else LATEST


@dataclass(frozen=True)
class Span(Generic[T]):
    """Something that runs from `start` to `end` (inclusive); an open end runs on indefinitely."""

    start: date
    end: date | None
    payload: T


@dataclass(frozen=True)
class Bar(Generic[T]):
    """A span's piece inside one week: columns 0 (Monday) to 6, stacked in lanes from 0."""

    payload: T
    column: int
    length: int
    lane: int
    starts_before: bool
    ends_after: bool


def week_bars(week: Sequence[date], spans: Sequence[Span[T]]) -> list[Bar[T]]:
    """Cut the spans that touch `week` into bars, giving overlapping bars different lanes.

    Earlier and then longer bars take the lower lanes, so a long campaign keeps its lane across
    the week.
    """
    first, last = week[0], week[-1]
    pieces = []
    for span in spans:
        end = span.end if span.end is not None else last
        if end < span.start or span.start > last or end < first:
            continue
        start_col = (max(span.start, first) - first).days
        end_col = (min(end, last) - first).days
        ends_after = span.end is None or span.end > last
        pieces.append((start_col, end_col, span.start < first, ends_after, span.payload))
    pieces.sort(key=lambda p: (p[0], -(p[1] - p[0])))
    lanes_end: list[int] = []  # the last column taken in each lane
    bars = []
    for start_col, end_col, starts_before, ends_after, payload in pieces:
        lane = next((i for i, taken in enumerate(lanes_end) if taken < start_col), len(lanes_end))
        if lane == len(lanes_end):
            lanes_end.append(end_col)
        else:
            lanes_end[lane] = end_col
        bars.append(
            Bar(
                payload=payload,
                column=start_col,
                length=end_col - start_col + 1,
                lane=lane,
                starts_before=starts_before,
                ends_after=ends_after,
            )
        )
    return bars


def lane_count(bars: Sequence[Bar[T]]) -> int:
    return max((bar.lane + 1 for bar in bars), default=0)
