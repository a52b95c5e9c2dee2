"""Invariants of the attribution engine, over random journeys (hypothesis)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revline.analytics.engine import MODELS, PathRow, attribute
from revline.analytics.engine.shapley import shapley_brute_force

CHANNELS = "abcde"


@st.composite
def journey_rows(draw: st.DrawFn, *, timed: bool = True) -> list[PathRow]:
    count = draw(st.integers(min_value=1, max_value=12))
    rows = []
    for _ in range(count):
        path = tuple(draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=5)))
        conversions = draw(st.integers(min_value=0, max_value=6))
        value = conversions * draw(st.floats(min_value=0, max_value=1000, allow_nan=False))
        nulls = draw(st.integers(min_value=0, max_value=6))
        times = None
        if timed:
            times = tuple(
                draw(st.floats(min_value=0, max_value=90 * 86_400.0)) for _ in range(len(path))
            )
        rows.append(PathRow(path, float(conversions), value, float(nulls), times))
    return rows


def totals(rows: list[PathRow]) -> tuple[float, float, float]:
    return (
        sum(r.conversions for r in rows),
        sum(r.value for r in rows),
        sum(r.nulls for r in rows),
    )


@settings(max_examples=150, deadline=None)
@given(rows=journey_rows(), order=st.integers(min_value=1, max_value=3))
def test_every_model_credits_exactly_the_total_conversions_and_value(rows, order):
    conversions, value, _ = totals(rows)

    result = attribute(rows, models=MODELS, markov_order=order)

    assert result.total_conversions == pytest.approx(conversions)
    assert result.total_value == pytest.approx(value)
    for model in MODELS:
        credited = result.credits[model].values()
        expected = conversions if conversions > 0 or model != "markov" else 0.0
        assert sum(c.conversions for c in credited) == pytest.approx(expected, abs=1e-9)
        assert sum(c.value for c in credited) == pytest.approx(value, rel=1e-9, abs=1e-6)
        assert all(c.conversions >= -1e-12 and c.value >= -1e-9 for c in credited)


@settings(max_examples=150, deadline=None)
@given(rows=journey_rows(timed=False), order=st.integers(min_value=1, max_value=4))
def test_markov_baseline_is_the_observed_conversion_rate(rows, order):
    conversions, _, nulls = totals(rows)

    result = attribute(rows, models=["markov"], markov_order=order)

    observed = conversions / (conversions + nulls) if conversions + nulls else 0.0
    assert result.conversion_probability == pytest.approx(observed, abs=1e-12)
    assert all(0.0 <= effect <= 1.0 + 1e-12 for effect in result.removal_effects.values())


def mirrored(rows: list[PathRow]) -> list[PathRow]:
    """The rows plus a copy with a and b swapped: a and b are then symmetric channels."""
    swap = {"a": "b", "b": "a"}
    return rows + [
        PathRow(tuple(swap.get(c, c) for c in r.path), r.conversions, r.value, r.nulls, r.times)
        for r in rows
    ]


@settings(max_examples=100, deadline=None)
@given(rows=journey_rows(), order=st.integers(min_value=1, max_value=3))
def test_symmetric_channels_get_equal_credit(rows, order):
    both = mirrored(rows)
    if not any("a" in r.path or "b" in r.path for r in both):
        both.append(PathRow(("a",), 1, 1, 0, (0.0,)))
        both.append(PathRow(("b",), 1, 1, 0, (0.0,)))

    result = attribute(both, models=MODELS, markov_order=order)

    for model in MODELS:
        a, b = result.credits[model]["a"], result.credits[model]["b"]
        assert a.conversions == pytest.approx(b.conversions, rel=1e-9, abs=1e-9), model
        assert a.value == pytest.approx(b.value, rel=1e-9, abs=1e-6), model
    assert result.removal_effects["a"] == pytest.approx(result.removal_effects["b"], abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(rows=journey_rows(timed=False))
def test_shapley_closed_form_equals_the_subset_formula(rows):
    brute = shapley_brute_force(rows)

    result = attribute(rows, models=["shapley"])

    assert set(brute) == set(result.credits["shapley"])
    for channel, (conversions, value) in brute.items():
        credit = result.credits["shapley"][channel]
        assert credit.conversions == pytest.approx(conversions, abs=1e-9)
        assert credit.value == pytest.approx(value, rel=1e-9, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(rows=journey_rows(timed=False))
def test_aggregated_and_unaggregated_rows_give_the_same_credits(rows):
    # One row of n conversions is the same evidence as n rows of one: the engine must not
    # depend on how the caller grouped the journeys.
    split = []
    for r in rows:
        split.append(PathRow(r.path, r.conversions / 2, r.value / 2, r.nulls / 2))
        split.append(PathRow(r.path, r.conversions / 2, r.value / 2, r.nulls / 2))
    models = [m for m in MODELS if m != "time_decay"]

    whole = attribute(rows, models=models, markov_order=2)
    halves = attribute(split, models=models, markov_order=2)

    for model in models:
        for channel, credit in whole.credits[model].items():
            assert halves.credits[model][channel].conversions == pytest.approx(
                credit.conversions, abs=1e-9
            )
