"""SLA clocks count business hours only: nights, weekends and the business timezone matter."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from revline.leads.sla import (
    BusinessCalendar,
    business_add,
    business_seconds_between,
    duration_text,
    parse_days,
    sla_state,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))
CAL = BusinessCalendar(WEEKDAYS, time(9), time(17), BERLIN)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_hours_inside_one_business_day_are_added_as_they_are():
    # Monday 10:00 + 4 business hours
    assert business_add(berlin(2025, 3, 3, 10, 0), 4, CAL) == berlin(2025, 3, 3, 14, 0)


def test_the_clock_stops_overnight():
    # Monday 15:00 + 4 h = 2 h on Monday, 2 h on Tuesday from 9:00
    assert business_add(berlin(2025, 3, 3, 15, 0), 4, CAL) == berlin(2025, 3, 4, 11, 0)


def test_the_clock_stops_over_the_weekend():
    # Friday 15:00 + 4 h → Monday 11:00
    assert business_add(berlin(2025, 3, 7, 15, 0), 4, CAL) == berlin(2025, 3, 10, 11, 0)


def test_a_lead_arriving_at_night_starts_counting_at_the_next_opening():
    assert business_add(berlin(2025, 3, 4, 20, 0), 4, CAL) == berlin(2025, 3, 5, 13, 0)
    # Saturday noon → Monday 13:00
    assert business_add(berlin(2025, 3, 8, 12, 0), 4, CAL) == berlin(2025, 3, 10, 13, 0)


def test_times_in_utc_are_read_in_the_business_timezone():
    # 07:30 UTC is 08:30 in Berlin (CET): counting starts at 9:00 Berlin = 08:00 UTC
    due = business_add(datetime(2025, 3, 3, 7, 30, tzinfo=UTC), 4, CAL)
    assert due == datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def test_the_same_moment_has_a_different_deadline_in_new_york():
    new_york = BusinessCalendar(WEEKDAYS, time(9), time(17), NEW_YORK)
    # 15:00 UTC Monday = 10:00 in New York (EST): 4 h later is 14:00 New York = 19:00 UTC
    due = business_add(datetime(2025, 3, 3, 15, 0, tzinfo=UTC), 4, new_york)
    assert due == datetime(2025, 3, 3, 19, 0, tzinfo=UTC)


def test_a_daylight_saving_change_over_the_weekend_keeps_local_opening_hours():
    # Friday 28 Mar 15:00 CET + 4 h → Monday 31 Mar 11:00 CEST (09:00 UTC)
    due = business_add(berlin(2025, 3, 28, 15, 0), 4, CAL)
    assert due == datetime(2025, 3, 31, 9, 0, tzinfo=UTC)


def test_more_hours_than_a_business_day_span_several_days():
    # Monday 9:00 + 20 h = Mon 8 + Tue 8 + Wed 4 → Wednesday 13:00
    assert business_add(berlin(2025, 3, 3, 9, 0), 20, CAL) == berlin(2025, 3, 5, 13, 0)


def test_business_time_between_skips_nights_and_weekends():
    friday_4pm, monday_10am = berlin(2025, 3, 7, 16, 0), berlin(2025, 3, 10, 10, 0)
    assert business_seconds_between(friday_4pm, monday_10am, CAL) == 2 * 3600
    assert business_seconds_between(monday_10am, friday_4pm, CAL) == -2 * 3600
    saturday, sunday = berlin(2025, 3, 8, 10, 0), berlin(2025, 3, 9, 16, 0)
    assert business_seconds_between(saturday, sunday, CAL) == 0


def test_weekend_days_can_be_business_days():
    seven_days = BusinessCalendar(frozenset(range(7)), time(8), time(20), BERLIN)
    assert business_add(berlin(2025, 3, 8, 19, 0), 2, seven_days) == berlin(2025, 3, 9, 9, 0)


def test_time_left_and_overdue_labels_use_business_time():
    due = berlin(2025, 3, 3, 14, 0)
    left = sla_state(due, berlin(2025, 3, 3, 11, 50), CAL)
    assert (left.label, left.tone, left.overdue) == ("2 h 10 min left", "ok", False)
    soon = sla_state(due, berlin(2025, 3, 3, 13, 20), CAL)
    assert (soon.label, soon.tone) == ("40 min left", "warn")
    late = sla_state(due, berlin(2025, 3, 3, 14, 35), CAL)
    assert (late.label, late.tone, late.overdue) == ("Overdue by 35 min", "bad", True)
    # Due Friday 16:00, now Monday 9:30: 1 h on Friday + 30 min on Monday
    weekend = sla_state(berlin(2025, 3, 7, 16, 0), berlin(2025, 3, 10, 9, 30), CAL)
    assert weekend.label == "Overdue by 1 h 30 min"


def test_a_time_left_over_a_night_counts_only_open_hours():
    # Due Tuesday 10:00, now Monday 16:00: 1 h Monday + 1 h Tuesday
    state = sla_state(berlin(2025, 3, 4, 10, 0), berlin(2025, 3, 3, 16, 0), CAL)
    assert state.label == "2 h left"


def test_durations_read_naturally():
    assert duration_text(45 * 60) == "45 min"
    assert duration_text(3 * 3600) == "3 h"
    assert duration_text(3 * 3600 + 5 * 60) == "3 h 5 min"
    assert duration_text(timedelta(days=2, hours=1).total_seconds()) == "2 d 1 h"


def test_bad_calendars_are_refused():
    with pytest.raises(ValueError):
        BusinessCalendar(frozenset(), time(9), time(17), BERLIN)
    with pytest.raises(ValueError):
        BusinessCalendar(WEEKDAYS, time(17), time(9), BERLIN)
    with pytest.raises(ValueError):
        parse_days("0,1,9")
    assert parse_days(" 4,0 ,2") == frozenset({0, 2, 4})
    with pytest.raises(ValueError):
        business_add(datetime(2025, 3, 3, 10), 4, CAL)
