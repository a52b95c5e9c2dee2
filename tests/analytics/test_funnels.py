"""The pure computations behind the funnels (no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from revline.analytics.funnels import (
    FUNNEL_STAGES,
    Member,
    StepError,
    StepSpec,
    event_funnel_rows,
    lifecycle_funnel,
    like_pattern,
    member,
    validate_steps,
)
from revline.leads.reports import Move, journey

KINDS = ("page_view", "form_submission", "meeting_booked")


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def test_member_reaches_a_stage_through_any_later_one_at_the_earliest_time():
    # Given a contact that went subscriber → disqualified → SQL (back into the funnel)
    given = journey(
        initial_stage="subscriber",
        created_at=at(1, 1),
        moves=[Move("subscriber", "disqualified", at(1, 5)), Move("disqualified", "sql", at(2, 1))],
    )

    # When it is seen as a funnel member
    m = member(journey=given, first_seen_at=at(1, 1, 8))

    # Then it has passed lead, MQL and SAL when it reached SQL, and only stood in SQL
    assert m.reached == {"lead": at(2, 1), "mql": at(2, 1), "sal": at(2, 1), "sql": at(2, 1)}
    assert m.skipped == {"lead", "mql", "sal"}


def test_member_created_at_a_later_stage_skipped_the_earlier_ones_but_stands_in_its_own():
    m = member(
        journey=journey(initial_stage="mql", created_at=at(1, 3), moves=[]), first_seen_at=None
    )

    assert m.reached == {"lead": at(1, 3), "mql": at(1, 3)}
    assert m.skipped == {"lead"}


def test_lifecycle_funnel_counts_rates_and_median_times():
    # Given three contacts and two anonymous visitors
    a = Member(
        first_seen_at=at(1, 1),
        reached={"lead": at(1, 3), "mql": at(1, 7)},
        skipped=frozenset(),
    )
    b = Member(
        first_seen_at=at(1, 2),
        reached={"lead": at(1, 12), "mql": at(1, 12), "sal": at(1, 14)},
        skipped=frozenset({"lead"}),  # jumped from subscriber to MQL
    )
    c = Member(first_seen_at=None, reached={}, skipped=frozenset())

    # When the funnel is computed
    steps = lifecycle_funnel([a, b, c], anonymous_visitors=2)

    # Then visitors are the contacts plus the anonymous visitors, and counts go down the stages
    assert [s.stage for s in steps] == list(FUNNEL_STAGES)
    assert [s.count for s in steps] == [5, 2, 2, 1, 0, 0, 0]
    assert [s.step_rate for s in steps] == [None, 40.0, 100.0, 50.0, 0.0, None, None]
    assert [s.overall_rate for s in steps] == [100.0, 40.0, 40.0, 20.0, 0.0, 0.0, 0.0]
    # visitor → lead: 2 and 10 days; lead → MQL: only a (b skipped lead); MQL → SAL: b, 2 days
    assert steps[1].median_from_previous == timedelta(days=6)
    assert steps[1].timed == 2
    assert steps[2].median_from_previous == timedelta(days=4)
    assert steps[2].timed == 1
    assert steps[3].median_from_previous == timedelta(days=2)
    assert steps[4].median_from_previous is None
    assert steps[0].median_from_previous is None


def test_visitor_to_lead_time_leaves_out_contacts_first_tracked_after_becoming_a_lead():
    late = Member(first_seen_at=at(2, 1), reached={"lead": at(1, 1)}, skipped=frozenset())

    steps = lifecycle_funnel([late])

    assert steps[1].count == 1
    assert steps[1].median_from_previous is None
    assert steps[1].timed == 0


def test_an_empty_funnel_has_no_rates():
    steps = lifecycle_funnel([])

    assert [s.count for s in steps] == [0] * 7
    assert all(s.overall_rate is None and s.step_rate is None for s in steps)


def test_event_funnel_rows_show_drop_off():
    rows = event_funnel_rows([8, 5, 2], ["View pricing", "Submit form", "Book meeting"])

    assert [(r.number, r.count, r.dropped) for r in rows] == [(1, 8, 0), (2, 5, 3), (3, 2, 3)]
    assert [r.step_rate for r in rows] == [None, 62.5, 40.0]
    assert [r.overall_rate for r in rows] == [100.0, 62.5, 25.0]


def test_event_funnel_rows_of_nobody():
    rows = event_funnel_rows([0, 0], ["a", "b"])

    assert [(r.count, r.dropped, r.step_rate, r.overall_rate) for r in rows] == [
        (0, 0, None, None),
        (0, 0, None, None),
    ]


def test_valid_steps_pass_through():
    steps = [
        StepSpec("page_view", "contains", "/pricing"),
        StepSpec("form_submission"),
        StepSpec("meeting_booked", "regex", r"^https://x\.example/(demo|call)$"),
    ]

    assert validate_steps(steps, kinds=KINDS) == steps


@pytest.mark.parametrize(
    ("steps", "step", "part", "message"),
    [
        ([StepSpec("page_view")], 0, "", "A funnel has 2 to 5 steps."),
        ([StepSpec("page_view")] * 6, 0, "", "A funnel has 2 to 5 steps."),
        ([StepSpec("page_view"), StepSpec("")], 2, "kind", "Step 2: choose a kind of touchpoint."),
        (
            [StepSpec("page_view"), StepSpec("nonsense")],
            2,
            "kind",
            "Step 2: choose a kind of touchpoint.",
        ),
        (
            [StepSpec("page_view", "contains", ""), StepSpec("form_submission")],
            1,
            "pattern",
            "Step 1: enter the URL text to match.",
        ),
        (
            [StepSpec("page_view", "", "/pricing"), StepSpec("form_submission")],
            1,
            "match",
            "Step 1: choose how the URL should match.",
        ),
        (
            [StepSpec("page_view", "glob", "*"), StepSpec("form_submission")],
            1,
            "match",
            "Step 1: unknown URL match 'glob'.",
        ),
        (
            [StepSpec("page_view", "contains", "x" * 201), StepSpec("form_submission")],
            1,
            "pattern",
            "Step 1: at most 200 characters.",
        ),
    ],
)
def test_bad_steps_name_the_step_and_the_problem(steps, step, part, message):
    with pytest.raises(StepError) as caught:
        validate_steps(steps, kinds=KINDS)

    assert (caught.value.step, caught.value.part, caught.value.message) == (step, part, message)


def test_a_regex_that_does_not_compile_is_refused():
    with pytest.raises(StepError) as caught:
        validate_steps([StepSpec("page_view", "regex", "(pricing"), StepSpec("order")], kinds=KINDS)

    assert caught.value.step == 1
    assert caught.value.part == "pattern"
    assert caught.value.message.startswith("Step 1: not a valid pattern (missing ),")


def test_like_pattern_takes_wildcards_literally():
    assert like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"
