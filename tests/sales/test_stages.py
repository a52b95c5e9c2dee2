"""The pure stage functions: time in each stage, the stage bar, and typed stage lists."""

from datetime import UTC, datetime, timedelta

import pytest

from revline.sales.stages import (
    StageEntry,
    StageInfo,
    StageLinesError,
    format_duration,
    parse_stage_lines,
    stage_spans,
    stage_steps,
    with_closing_stages,
)


def t(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def test_each_stage_lasts_until_the_next_one_and_the_current_one_until_now():
    entries = [
        StageEntry(stage="Discovery", at=t(3, 12), by="Rep"),
        StageEntry(stage="Qualification", at=t(1, 9)),
        StageEntry(stage="Proposal", at=t(10, 9)),
    ]

    spans = stage_spans(entries, until=t(11, 10, 30))

    assert [(s.stage, s.duration) for s in spans] == [
        ("Qualification", timedelta(days=2, hours=3)),
        ("Discovery", timedelta(days=6, hours=21)),
        ("Proposal", timedelta(days=1, hours=1, minutes=30)),
    ]
    assert [s.left_at for s in spans] == [t(3, 12), t(10, 9), None]
    assert spans[1].by == "Rep"
    assert [s.duration_label for s in spans] == ["2d 3h", "6d 21h", "1d 1h"]


def test_a_closed_deal_has_no_duration_in_its_final_stage():
    entries = [StageEntry(stage="Proposal", at=t(1)), StageEntry(stage="Won", at=t(4))]

    spans = stage_spans(entries, until=None)

    assert [(s.stage, s.duration) for s in spans] == [
        ("Proposal", timedelta(days=3)),
        ("Won", None),
    ]
    assert spans[1].duration_label == "—"


def test_a_revisited_stage_gets_one_span_per_visit():
    entries = [
        StageEntry(stage="Discovery", at=t(1)),
        StageEntry(stage="Proposal", at=t(2)),
        StageEntry(stage="Discovery", at=t(5)),
    ]

    spans = stage_spans(entries, until=t(6))

    assert [(s.stage, s.duration) for s in spans] == [
        ("Discovery", timedelta(days=1)),
        ("Proposal", timedelta(days=3)),
        ("Discovery", timedelta(days=1)),
    ]


def test_no_entries_give_no_spans_and_a_clock_skew_never_gives_a_negative_duration():
    assert stage_spans([], until=t(1)) == []
    spans = stage_spans([StageEntry(stage="Discovery", at=t(2))], until=t(1))
    assert spans[0].duration == timedelta(0)


@pytest.mark.parametrize(
    ("duration", "label"),
    [
        (timedelta(seconds=59), "< 1m"),
        (timedelta(minutes=7, seconds=59), "7m"),
        (timedelta(hours=5), "5h"),
        (timedelta(hours=5, minutes=12), "5h 12m"),
        (timedelta(days=3), "3d"),
        (timedelta(days=3, hours=4, minutes=59), "3d 4h"),
        (timedelta(days=400), "400d"),
    ],
)
def test_format_duration_shows_the_two_largest_units(duration, label):
    assert format_duration(duration) == label


STAGES = [
    StageInfo(stage_id=1, name="Qualification", position=0, probability=10, kind="open"),
    StageInfo(stage_id=2, name="Proposal", position=1, probability=50, kind="open"),
    StageInfo(stage_id=3, name="Negotiation", position=2, probability=75, kind="open"),
    StageInfo(stage_id=4, name="Won", position=3, probability=100, kind="won"),
    StageInfo(stage_id=5, name="Lost", position=4, probability=0, kind="lost"),
]


def test_stage_bar_marks_earlier_open_stages_done():
    steps = stage_steps(list(reversed(STAGES)), current_stage_id=2)

    assert [(s.name, s.state) for s in steps] == [
        ("Qualification", "done"),
        ("Proposal", "current"),
        ("Negotiation", ""),
        ("Won", ""),
        ("Lost", ""),
    ]


def test_stage_bar_of_a_won_deal_has_passed_every_open_stage():
    steps = stage_steps(STAGES, current_stage_id=4)

    assert [s.state for s in steps] == ["done", "done", "done", "current", ""]


def test_stage_bar_of_a_lost_deal_marks_only_lost():
    steps = stage_steps(STAGES, current_stage_id=5)

    assert [s.state for s in steps] == ["", "", "", "", "current"]


def test_parse_stage_lines_reads_name_and_probability_per_line():
    text = "Qualification, 10\n\n  Demo, scheduled , 40% \r\nProposal,60\n"

    assert parse_stage_lines(text) == [
        ("Qualification", 10),
        ("Demo, scheduled", 40),
        ("Proposal", 60),
    ]


def test_parse_stage_lines_reports_every_bad_line():
    text = "Discovery\nProposal, 120\nWon, 100\nDemo, 20\ndemo, 30\n, 5\nX, -1"

    with pytest.raises(StageLinesError) as error:
        parse_stage_lines(text)

    assert error.value.errors == [
        "Line 1: write “Name, probability”, e.g. “Discovery, 25”.",
        "Line 2: the probability must be a whole number from 0 to 100.",
        "Line 3: “Won” is added automatically; leave it out.",
        "Line 5: “demo” is listed twice.",
        "Line 6: write “Name, probability”, e.g. “Discovery, 25”.",
        "Line 7: the probability must be a whole number from 0 to 100.",
    ]


def test_parse_stage_lines_needs_at_least_one_stage_and_at_most_twenty():
    with pytest.raises(StageLinesError) as empty:
        parse_stage_lines("  \n\n")
    assert empty.value.errors == ["List at least one open stage."]

    with pytest.raises(StageLinesError) as too_many:
        parse_stage_lines("\n".join(f"Stage {n}, 10" for n in range(21)))
    assert too_many.value.errors == ["A pipeline can have at most 20 open stages."]


def test_with_closing_stages_appends_won_and_lost():
    assert with_closing_stages([("Demo", 30)]) == [
        ("Demo", 30, "open"),
        ("Won", 100, "won"),
        ("Lost", 0, "lost"),
    ]
