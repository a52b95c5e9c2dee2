"""The attribution engine on small journeys whose credits are worked out by hand below."""

import random

import pytest

from revline.analytics.engine import MODELS, AttributionResult, PathRow, attribute
from revline.analytics.engine.markov import DENSE_LIMIT, markov
from revline.analytics.engine.paths import encode

DAY = 86_400.0


def credits(result: AttributionResult, model: str) -> dict[str, tuple[float, float]]:
    return {
        channel: (round(c.conversions, 9), round(c.value, 6))
        for channel, c in result.credits[model].items()
    }


# The classic three-path example:
#   C1 > C2 > C3 -> converts (worth 100)
#   C1           -> null
#   C2 > C3      -> null
CLASSIC = [
    PathRow(("C1", "C2", "C3"), conversions=1, value=100, nulls=0),
    PathRow(("C1",), conversions=0, value=0, nulls=1),
    PathRow(("C2", "C3"), conversions=0, value=0, nulls=1),
]


def test_markov_first_order_on_the_classic_example():
    # Transitions: start->C1 2, start->C2 1; C1->C2 1, C1->null 1; C2->C3 2;
    # C3->conv 1, C3->null 1. So P(start->C1)=2/3, P(start->C2)=1/3, P(C1->C2)=1/2,
    # P(C2->C3)=1, P(C3->conv)=1/2.
    # h(C3)=1/2, h(C2)=1/2, h(C1)=1/4, h(start)=2/3*1/4 + 1/3*1/2 = 1/3 = 1 of 3 journeys.
    # Without C1: start->C1 goes to null, h=1/3*1/2=1/6, removal effect 1-(1/6)/(1/3)=1/2.
    # Without C2: nothing reaches C3, h=0, effect 1. Without C3: h=0, effect 1.
    # Effects 0.5, 1, 1 sum to 2.5: shares 0.2, 0.4, 0.4 of 1 conversion and of 100.
    result = attribute(CLASSIC, models=["markov"])

    assert result.conversion_probability == pytest.approx(1 / 3)
    assert result.removal_effects == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0})
    assert credits(result, "markov") == {
        "C1": (0.2, 20.0),
        "C2": (0.4, 40.0),
        "C3": (0.4, 40.0),
    }
    assert result.total_conversions == 1
    assert result.total_value == 100
    assert result.total_nulls == 2
    assert result.warnings == []


def test_markov_second_order_sees_where_a_channel_came_from():
    # A > B converts, C > B does not.
    # Order 1: B's state is shared: h(B)=1/2, h(start)=1/2. Without A: 1/2*h(C)=1/4, effect
    # 1/2; without C: effect 1/2; without B: effect 1. Shares 1/4, 1/2, 1/4.
    # Order 2: states (A), (C), (A,B), (C,B); (A,B) always converts, (C,B) never:
    # h(A)=1, h(C)=0, h(start)=1/2. Without A: h=1/2*0=0, effect 1; without C: h=1/2*1,
    # effect 0; without B: effect 1. Shares 1/2, 1/2, 0.
    rows = [PathRow(("A", "B"), 1, 10, 0), PathRow(("C", "B"), 0, 0, 1)]

    first = attribute(rows, models=["markov"], markov_order=1)
    second = attribute(rows, models=["markov"], markov_order=2)

    assert first.removal_effects == pytest.approx({"A": 0.5, "B": 1.0, "C": 0.5})
    assert credits(first, "markov") == {"A": (0.25, 2.5), "B": (0.5, 5.0), "C": (0.25, 2.5)}
    assert second.removal_effects == pytest.approx({"A": 1.0, "B": 1.0, "C": 0.0})
    assert credits(second, "markov") == {"A": (0.5, 5.0), "B": (0.5, 5.0), "C": (0.0, 0.0)}
    assert second.conversion_probability == pytest.approx(0.5)


def test_markov_repeated_channel_and_partial_conversion():
    # A > A > B: 3 journeys, 1 converts (worth 30), 2 do not; B alone: 1 converts, 1 not.
    # start->A 3, start->B 2; A->A 3 (a self-loop changes no absorption probability);
    # A->B 3; B->conv 2, B->null 3. h(B)=2/5=h(A), h(start)=2/5 = 2 of 5 journeys.
    # Without A: h = 2/5 * 2/5 = 4/25, effect 1-(4/25)/(2/5) = 3/5. Without B: effect 1.
    # Shares 3/8 and 5/8 of 2 conversions (and of 30 + 20 = 50).
    rows = [PathRow(("A", "A", "B"), 1, 30, 2), PathRow(("B",), 1, 20, 1)]

    result = attribute(rows, models=["markov"])

    assert result.conversion_probability == pytest.approx(0.4)
    assert result.removal_effects == pytest.approx({"A": 0.6, "B": 1.0})
    assert credits(result, "markov") == {"A": (0.75, 18.75), "B": (1.25, 31.25)}


def test_first_last_and_linear_give_repeated_channels_their_shares():
    rows = [PathRow(("A", "B", "A"), 3, 60, 5), PathRow(("B",), 1, 10, 0)]

    result = attribute(rows, models=["first_touch", "last_touch", "linear"])

    assert credits(result, "first_touch") == {"A": (3.0, 60.0), "B": (1.0, 10.0)}
    assert credits(result, "last_touch") == {"A": (3.0, 60.0), "B": (1.0, 10.0)}
    # A appears twice in the first path: 2/3 of 3 conversions and of 60; B 1/3 of it + all of 2nd.
    assert credits(result, "linear") == {"A": (2.0, 40.0), "B": (2.0, 30.0)}


def test_position_based_40_20_40_with_one_and_two_touch_paths():
    rows = [
        PathRow(("A", "B", "C", "D"), 1, 100, 0),  # A 40, B 10, C 10, D 40
        PathRow(("A", "B"), 1, 100, 0),  # 50 / 50
        PathRow(("C",), 1, 100, 0),  # 100
    ]

    result = attribute(rows, models=["position_based"])

    assert credits(result, "position_based") == {
        "A": (0.9, 90.0),
        "B": (0.6, 60.0),
        "C": (1.1, 110.0),
        "D": (0.4, 40.0),
    }


def test_time_decay_halves_the_weight_per_half_life_and_skips_rows_without_times():
    # A a week before the conversion, B on the day: weights 1/2 and 1, so A 1/3 and B 2/3.
    rows = [
        PathRow(("A", "B"), 3, 30, 1, times=(7 * DAY, 0.0)),
        PathRow(("A",), 2, 50, 0),  # no times: skipped
    ]

    result = attribute(rows, models=["time_decay"])
    shorter = attribute(rows[:1], models=["time_decay"], half_life_days=3.5)

    assert credits(result, "time_decay") == {"A": (1.0, 10.0), "B": (2.0, 20.0)}
    assert result.skipped["time_decay"].conversions == 2
    assert result.skipped["time_decay"].value == 50
    assert result.warnings == [
        "Time decay: 1 row(s) without touch times (2 conversions) were skipped."
    ]
    # Half-life 3.5 days: A's week is two half-lives, weight 1/4: A 1/5, B 4/5.
    assert credits(shorter, "time_decay") == {"A": (0.6, 6.0), "B": (2.4, 24.0)}
    assert shorter.skipped == {}


def test_time_decay_on_years_old_journeys_does_not_underflow():
    rows = [PathRow(("A", "B"), 1, 10, 0, times=(5000 * DAY + 7 * DAY, 5000 * DAY))]

    result = attribute(rows, models=["time_decay"])

    assert credits(result, "time_decay") == {
        "A": (0.333333333, 3.333333),
        "B": (0.666666667, 6.666667),
    }


def test_shapley_splits_each_journey_among_its_distinct_channels():
    # v({})=0, v({A})=2, v({B})=0, v({A,B})=4 (cumulative over subsets).
    # phi(A) = 1/2 (v(A) - v({})) + 1/2 (v(AB) - v(B)) = 1/2*2 + 1/2*4 = 3;
    # phi(B) = 1/2 (v(B) - v({})) + 1/2 (v(AB) - v(A)) = 0 + 1/2*2 = 1.
    rows = [PathRow(("A",), 2, 20, 1), PathRow(("A", "B", "A"), 2, 40, 0)]

    result = attribute(rows, models=["shapley"])

    assert credits(result, "shapley") == {"A": (3.0, 40.0), "B": (1.0, 20.0)}


def test_every_model_lists_every_channel_and_attribute_runs_them_all():
    result = attribute(CLASSIC, models=MODELS)

    assert list(result.credits) == list(MODELS)
    for model in MODELS:
        assert sorted(result.credits[model]) == ["C1", "C2", "C3"]


def test_empty_paths_are_left_out_and_counted_as_unattributed():
    rows = [PathRow(("A",), 1, 10, 0), PathRow((), 2, 30, 4)]

    result = attribute(rows, models=["linear", "markov"])

    assert result.total_conversions == 1
    assert result.total_value == 10
    assert (result.unattributed.conversions, result.unattributed.value) == (2, 30)
    assert credits(result, "linear") == {"A": (1.0, 10.0)}
    assert credits(result, "markov") == {"A": (1.0, 10.0)}
    assert result.warnings[0].startswith("1 row(s) with an empty path (2 conversions)")


def test_no_conversions_gives_zero_credits_and_a_warning_not_a_division_by_zero():
    rows = [PathRow(("A", "B"), 0, 0, 3)]

    result = attribute(rows, models=MODELS)

    assert result.conversion_probability == 0.0
    assert result.removal_effects == {"A": 0.0, "B": 0.0}
    for model in MODELS:
        assert credits(result, model) == {"A": (0.0, 0.0), "B": (0.0, 0.0)}
    assert "There are no conversions to attribute." in result.warnings


def test_no_rows_at_all():
    result = attribute([], models=MODELS)

    assert result.credits == {model: {} for model in MODELS}
    assert result.total_conversions == 0


@pytest.mark.parametrize(
    ("rows", "kwargs", "message"),
    [
        ([PathRow(("A",), -1, 0, 0)], {}, "row 0: conversions must be a finite number >= 0"),
        (
            [PathRow(("A",), 1, 0, 0), PathRow(("B",), 1, 0, float("nan"))],
            {},
            "row 1: nulls must be a finite number >= 0",
        ),
        (
            [PathRow(("A", "B"), 1, 0, 0, times=(1.0,))],
            {"models": ["time_decay"]},
            "row 0: 1 times for a path of 2",
        ),
        (
            [PathRow(("A",), 1, 0, 0, times=(-1.0,))],
            {"models": ["time_decay"]},
            "row 0: times must be finite",
        ),
        ([PathRow(("A",), 1, 0, 0)], {"models": ["magic"]}, "unknown model(s): magic"),
        ([PathRow(("A",), 1, 0, 0)], {"markov_order": 0}, "the Markov order must be 1 or more"),
        ([PathRow(("A",), 1, 0, 0)], {"half_life_days": 0}, "the half-life must be a positive"),
    ],
)
def test_bad_input_is_refused_with_the_row(rows, kwargs, message):
    kwargs = {"models": ["linear"], **kwargs}

    with pytest.raises(ValueError) as raised:
        attribute(rows, **kwargs)

    assert str(raised.value).startswith(message)


def test_large_state_spaces_are_solved_sparsely_with_the_same_exact_baseline():
    # 6 channels at order 4: several hundred states, beyond the dense solver's limit.
    generator = random.Random(7)
    rows = []
    for i in range(600):
        path = tuple(generator.choice("ABCDEF") for _ in range(generator.randint(1, 6)))
        rows.append(PathRow(path, conversions=i % 3, value=10.0 * (i % 3), nulls=(i % 5) + 1))
    paths, _ = encode(rows)
    conversions = sum(r.conversions for r in rows)
    nulls = sum(r.nulls for r in rows)

    outcome = markov(paths, order=4)

    assert outcome.states > DENSE_LIMIT
    assert outcome.conversion_probability == pytest.approx(conversions / (conversions + nulls))
    assert outcome.conversions.sum() == pytest.approx(conversions)
