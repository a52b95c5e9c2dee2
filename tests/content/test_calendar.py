"""The calendar's pure grids: weeks Monday-first, month boundaries, leap years, campaign bars."""

from datetime import date

from revline.content.calendar import (
    LATEST,
    Span,
    add_months,
    lane_count,
    month_weeks,
    parse_day,
    shift,
    week_bars,
    week_days,
)


def test_week_days_run_monday_to_sunday():
    # Given a Wednesday
    days = week_days(date(2025, 3, 5))

    assert days[0] == date(2025, 3, 3)
    assert days[-1] == date(2025, 3, 9)
    assert [d.weekday() for d in days] == [0, 1, 2, 3, 4, 5, 6]


def test_week_days_of_a_sunday_is_the_week_before_it():
    assert week_days(date(2025, 3, 9))[0] == date(2025, 3, 3)


def test_month_weeks_pad_with_days_of_neighbouring_months():
    # March 2025 starts on a Saturday and ends on a Monday
    weeks = month_weeks(date(2025, 3, 17))

    assert len(weeks) == 6
    assert weeks[0][0] == date(2025, 2, 24)
    assert weeks[0][5] == date(2025, 3, 1)
    assert weeks[-1][0] == date(2025, 3, 31)
    assert weeks[-1][-1] == date(2025, 4, 6)
    assert all(len(week) == 7 and week[0].weekday() == 0 for week in weeks)


def test_a_february_starting_on_monday_fills_exactly_four_weeks():
    weeks = month_weeks(date(2021, 2, 10))

    assert len(weeks) == 4
    assert (weeks[0][0], weeks[-1][-1]) == (date(2021, 2, 1), date(2021, 2, 28))


def test_leap_year_february_has_29_days_and_others_28():
    leap = [d for week in month_weeks(date(2024, 2, 1)) for d in week if d.month == 2]
    common = [d for week in month_weeks(date(2023, 2, 1)) for d in week if d.month == 2]
    century = [d for week in month_weeks(date(2100, 2, 1)) for d in week if d.month == 2]

    assert (len(leap), len(common), len(century)) == (29, 28, 28)
    assert leap[-1] == date(2024, 2, 29)


def test_add_months_crosses_year_boundaries_and_lands_on_the_first():
    assert add_months(date(2024, 12, 31), 1) == date(2025, 1, 1)
    assert add_months(date(2025, 1, 31), -1) == date(2024, 12, 1)
    assert add_months(date(2024, 3, 31), -13) == date(2023, 2, 1)


def test_shift_moves_by_month_or_week_and_stops_at_the_range_end():
    assert shift("month", date(2025, 1, 31), 1) == date(2025, 2, 1)
    assert shift("week", date(2025, 1, 31), -1) == date(2025, 1, 24)
    assert shift("month", LATEST, 1) == LATEST
    assert shift("week", LATEST, 1) == LATEST


def test_parse_day_accepts_only_strict_iso_days_in_range():
    assert parse_day("2024-02-29") == date(2024, 2, 29)
    for bad in (
        "2023-02-29",
        "2025-13-01",
        "20250301",
        "2025-3-1",
        "1899-12-31",
        "9999-12-31",
        "<script>",
        "",
        None,
    ):
        assert parse_day(bad) is None


WEEK = week_days(date(2025, 3, 3))  # Mon Mar 3 .. Sun Mar 9


def test_a_span_inside_the_week_is_one_bar_in_lane_zero():
    bars = week_bars(WEEK, [Span(start=date(2025, 3, 4), end=date(2025, 3, 6), payload="a")])

    assert [
        (b.payload, b.column, b.length, b.lane, b.starts_before, b.ends_after) for b in bars
    ] == [("a", 1, 3, 0, False, False)]


def test_spans_crossing_the_week_are_cut_and_marked_as_continuing():
    spans = [
        Span(start=date(2025, 2, 20), end=date(2025, 3, 4), payload="before"),
        Span(start=date(2025, 3, 8), end=date(2025, 3, 20), payload="after"),
        Span(start=date(2025, 3, 1), end=None, payload="open"),
        Span(start=date(2025, 2, 1), end=date(2025, 3, 2), payload="gone"),
        Span(start=date(2025, 3, 10), end=None, payload="later"),
    ]

    bars = {b.payload: b for b in week_bars(WEEK, spans)}

    assert set(bars) == {"before", "after", "open"}
    assert (bars["before"].column, bars["before"].length) == (0, 2)
    assert (bars["before"].starts_before, bars["before"].ends_after) == (True, False)
    assert (bars["after"].column, bars["after"].length, bars["after"].ends_after) == (5, 2, True)
    assert (bars["open"].column, bars["open"].length) == (0, 7)
    assert (bars["open"].starts_before, bars["open"].ends_after) == (True, True)


def test_overlapping_spans_take_separate_lanes_and_free_lanes_are_reused():
    spans = [
        Span(start=date(2025, 3, 3), end=date(2025, 3, 9), payload="long"),
        Span(start=date(2025, 3, 3), end=date(2025, 3, 4), payload="early"),
        Span(start=date(2025, 3, 6), end=date(2025, 3, 7), payload="late"),
        Span(start=date(2025, 3, 4), end=date(2025, 3, 6), payload="middle"),
    ]

    bars = week_bars(WEEK, spans)

    assert {b.payload: b.lane for b in bars} == {"long": 0, "early": 1, "middle": 2, "late": 1}
    assert lane_count(bars) == 3
    assert lane_count([]) == 0
