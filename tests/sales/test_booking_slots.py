"""Free slots from weekly windows: exact slots, time zones and daylight saving, busy and past times."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from revline.sales.slots import (
    Busy,
    Window,
    free_slots,
    parse_slot_key,
    slot_key,
    slots_by_day,
    window_slots,
)

BERLIN = "Europe/Berlin"
# Monday 3 March 2025, 07:00 UTC = 08:00 in Berlin (CET, UTC+1).
MONDAY_MORNING = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def monday_window(**changes: object) -> Window:
    values: dict = {
        "weekday": 0,
        "start": time(9, 0),
        "end": time(11, 0),
        "slot_minutes": 30,
        "time_zone": BERLIN,
    }
    values.update(changes)
    return Window(**values)


def starts(slots) -> list[datetime]:
    return [slot.starts_at for slot in slots]


def test_a_window_offers_back_to_back_slots_on_its_weekday_for_two_weeks():
    # Given Mondays 09:00-11:00 Berlin time with 30-minute slots, seen early on a Monday
    # When the free slots are computed
    slots = free_slots(windows=[monday_window()], busy=[], now=MONDAY_MORNING)

    # Then both Mondays of the 14 days offer 09:00, 09:30, 10:00, 10:30 Berlin (UTC+1)
    assert starts(slots) == [
        utc(2025, 3, 3, 8, 0),
        utc(2025, 3, 3, 8, 30),
        utc(2025, 3, 3, 9, 0),
        utc(2025, 3, 3, 9, 30),
        utc(2025, 3, 10, 8, 0),
        utc(2025, 3, 10, 8, 30),
        utc(2025, 3, 10, 9, 0),
        utc(2025, 3, 10, 9, 30),
    ]
    assert [slot.ends_at - slot.starts_at for slot in slots] == [timedelta(minutes=30)] * 8
    assert {slot.time_zone for slot in slots} == {BERLIN}
    assert slots[0].local_start == datetime(2025, 3, 3, 9, 0, tzinfo=ZoneInfo(BERLIN))


def test_the_slot_length_comes_from_the_window_and_a_partial_slot_is_not_offered():
    # Given a 09:00-10:40 window of 45-minute meetings
    window = monday_window(end=time(10, 40), slot_minutes=45)

    # When the slots of one Monday are listed
    slots = window_slots(window, date(2025, 3, 3))

    # Then 09:00 and 09:45 fit; 10:30 would end after 10:40 and is left out
    assert [(s.local_start.time(), s.local_end.time()) for s in slots] == [
        (time(9, 0), time(9, 45)),
        (time(9, 45), time(10, 30)),
    ]


def test_slots_in_the_past_and_the_one_starting_now_are_not_offered():
    # Given it is 09:30 in Berlin on the first Monday (08:30 UTC)
    now = utc(2025, 3, 3, 8, 30)

    # When the free slots are computed
    slots = free_slots(windows=[monday_window()], busy=[], now=now)

    # Then 09:00 is past and 09:30 starts right now: only 10:00 and 10:30 remain that day
    assert starts(slots)[:3] == [utc(2025, 3, 3, 9, 0), utc(2025, 3, 3, 9, 30), utc(2025, 3, 10, 8)]


def test_booked_meetings_block_every_slot_they_overlap():
    # Given a meeting 09:45-10:15 Berlin on the first Monday, and one exactly at 09:00 a week later
    busy = [
        Busy(starts_at=utc(2025, 3, 3, 8, 45), ends_at=utc(2025, 3, 3, 9, 15)),
        Busy(starts_at=utc(2025, 3, 10, 8, 0), ends_at=utc(2025, 3, 10, 8, 30)),
    ]

    # When the free slots are computed
    slots = free_slots(windows=[monday_window()], busy=busy, now=MONDAY_MORNING)

    # Then 09:30 and 10:00 of the first Monday and 09:00 of the second are gone
    assert starts(slots) == [
        utc(2025, 3, 3, 8, 0),
        utc(2025, 3, 3, 9, 30),
        utc(2025, 3, 10, 8, 30),
        utc(2025, 3, 10, 9, 0),
        utc(2025, 3, 10, 9, 30),
    ]


def test_a_meeting_that_ends_when_a_slot_starts_does_not_block_it():
    busy = [Busy(starts_at=utc(2025, 3, 3, 7, 30), ends_at=utc(2025, 3, 3, 8, 0))]

    slots = free_slots(windows=[monday_window()], busy=busy, now=MONDAY_MORNING)

    assert starts(slots)[0] == utc(2025, 3, 3, 8, 0)


def test_local_time_stays_put_across_the_spring_daylight_saving_change():
    # Given Mondays at 09:00 Berlin, and Berlin moves to summer time on Sunday 30 March 2025
    window = monday_window(end=time(9, 30))

    # When the slots around the change are computed
    slots = free_slots(windows=[window], busy=[], now=utc(2025, 3, 24, 0, 0))

    # Then both are at 09:00 local: 08:00 UTC in winter, 07:00 UTC in summer
    assert starts(slots) == [utc(2025, 3, 24, 8, 0), utc(2025, 3, 31, 7, 0)]
    assert [s.local_start.hour for s in slots] == [9, 9]


def test_a_wall_clock_time_skipped_by_the_spring_change_is_not_offered():
    # Given Sundays 01:00-04:00 Berlin in one-hour slots; on 30 March 02:00-03:00 does not exist
    window = Window(weekday=6, start=time(1, 0), end=time(4, 0), slot_minutes=60, time_zone=BERLIN)

    # When the slots of that Sunday are listed
    slots = window_slots(window, date(2025, 3, 30))

    # Then 01:00 CET and 03:00 CEST are offered, each an hour long, and 02:00 is not
    assert [(s.starts_at, s.ends_at) for s in slots] == [
        (utc(2025, 3, 30, 0, 0), utc(2025, 3, 30, 1, 0)),
        (utc(2025, 3, 30, 1, 0), utc(2025, 3, 30, 2, 0)),
    ]
    assert [s.local_start.strftime("%H:%M %Z") for s in slots] == ["01:00 CET", "03:00 CEST"]


def test_a_wall_clock_time_repeated_by_the_autumn_change_is_offered_once():
    # Given Sundays 02:00-03:00 Berlin; on 26 October 2025 that hour happens twice
    window = Window(weekday=6, start=time(2, 0), end=time(3, 0), slot_minutes=30, time_zone=BERLIN)

    # When the slots of that Sunday are listed
    slots = window_slots(window, date(2025, 10, 26))

    # Then 02:00 and 02:30 are offered once each, at their first (summer time) occurrence
    assert starts(slots) == [utc(2025, 10, 26, 0, 0), utc(2025, 10, 26, 0, 30)]


def test_the_weekday_is_the_window_time_zones_weekday():
    # Given Mondays 00:00-01:00 in Tokyo (UTC+9): that is Sunday 15:00-16:00 UTC
    window = Window(
        weekday=0, start=time(0, 0), end=time(1, 0), slot_minutes=60, time_zone="Asia/Tokyo"
    )

    # When seen on Saturday 1 March 2025 UTC
    slots = free_slots(windows=[window], busy=[], now=utc(2025, 3, 1, 12, 0), days=7)

    # Then the slot is Monday 3 March in Tokyo
    assert starts(slots) == [utc(2025, 3, 2, 15, 0)]
    assert slots[0].local_start.weekday() == 0


def test_two_windows_offering_the_same_start_offer_it_once():
    slots = free_slots(
        windows=[monday_window(), monday_window(start=time(10, 0), end=time(12, 0))],
        busy=[],
        now=MONDAY_MORNING,
        days=1,
    )

    assert [s.local_start.strftime("%H:%M") for s in slots] == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]


def test_the_horizon_is_fourteen_local_dates_from_today():
    # Given a window every day of the week
    windows = [monday_window(weekday=day, end=time(9, 30)) for day in range(7)]

    # When the free slots are computed
    slots = free_slots(windows=windows, busy=[], now=MONDAY_MORNING)

    # Then there is one slot a day, from today to 13 days later
    days = [s.local_start.date() for s in slots]
    assert days == [date(2025, 3, 3) + timedelta(days=n) for n in range(14)]


def test_an_unknown_time_zone_or_an_absurd_slot_length_offers_nothing():
    assert (
        free_slots(windows=[monday_window(time_zone="Mars/Olympus")], busy=[], now=MONDAY_MORNING)
        == []
    )
    assert free_slots(windows=[monday_window(slot_minutes=0)], busy=[], now=MONDAY_MORNING) == []


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        free_slots(windows=[monday_window()], busy=[], now=datetime(2025, 3, 3, 7, 0))


def test_slot_keys_round_trip_and_anything_else_is_rejected():
    key = slot_key(utc(2025, 3, 3, 8, 0))

    assert key == "2025-03-03T08:00:00Z"
    assert parse_slot_key(key) == utc(2025, 3, 3, 8, 0)
    for bad in ["", "tomorrow", "2025-03-03 08:00", "2025-13-03T08:00:00Z", "<script>"]:
        assert parse_slot_key(bad) is None


def test_slots_are_grouped_by_local_date():
    slots = free_slots(windows=[monday_window()], busy=[], now=MONDAY_MORNING)

    days = slots_by_day(slots)

    assert [(d.day, len(d.slots)) for d in days] == [(date(2025, 3, 3), 4), (date(2025, 3, 10), 4)]
