"""analyze_experiment: one call per experiment, every variant against the control."""

import pytest

from revline.analytics.stats import (
    CovariateSums,
    Prior,
    StatsInputError,
    VariantInput,
    analyze_experiment,
    bayesian_test,
    proportion_summary,
    sequential_test,
)

AB = [
    VariantInput(name="A", users=1000, conversions=100),
    VariantInput(name="B", users=1000, conversions=120),
]


def test_sequential_results_equal_the_sequential_test():
    analysis = analyze_experiment(
        metric="proportion", method="sequential", variants=AB, control="A"
    )
    expected = sequential_test(
        proportion_summary(name="A", users=1000, conversions=100),
        proportion_summary(name="B", users=1000, conversions=120),
        alpha=0.05,
    )
    [comparison] = analysis.comparisons
    assert comparison.interval == expected.interval
    assert comparison.p_value == expected.p_value
    assert comparison.relative_lift == pytest.approx(0.2)
    assert comparison.relative_interval is not None
    assert comparison.relative_interval.lower < 0.2 < comparison.relative_interval.upper


def test_bayesian_relative_figures_divide_by_the_control_mean():
    analysis = analyze_experiment(
        metric="proportion", method="bayesian", variants=AB, control="A", prior=Prior(sd=0.05)
    )
    post = bayesian_test(
        proportion_summary(name="A", users=1000, conversions=100),
        proportion_summary(name="B", users=1000, conversions=120),
        alpha=0.05,
        prior=Prior(sd=0.05),
    )
    [comparison] = analysis.comparisons
    assert comparison.effect == post.posterior_mean
    assert comparison.relative_lift == pytest.approx(post.posterior_mean / 0.1)
    assert comparison.relative_interval is not None
    assert comparison.relative_interval.upper == pytest.approx(post.interval.upper / 0.1)
    assert comparison.chance_to_win == post.chance_to_win
    assert comparison.p_value is None


def test_a_control_that_never_converts_has_no_relative_lift():
    variants = [
        VariantInput(name="A", users=500, conversions=0),
        VariantInput(name="B", users=500, conversions=5),
    ]
    analysis = analyze_experiment(
        metric="proportion", method="frequentist", variants=variants, control="A"
    )
    [comparison] = analysis.comparisons
    assert comparison.relative_lift is None
    assert comparison.relative_interval is None
    assert comparison.effect == pytest.approx(0.01)
    assert analysis.warnings == ("The control's mean is zero, so relative lifts are undefined.",)


def test_cuped_needs_sums_for_every_variant():
    with pytest.raises(StatsInputError, match="CUPED sums are missing for: B"):
        analyze_experiment(
            metric="proportion",
            method="frequentist",
            variants=AB,
            control="A",
            cuped={"A": CovariateSums(sum_x=10, sum_x2=30, sum_xy=5)},
        )


def test_more_than_twenty_variants_are_refused():
    many = [VariantInput(name=str(i), users=100, conversions=10) for i in range(21)]
    with pytest.raises(StatsInputError, match="At most 20 variants"):
        analyze_experiment(metric="proportion", method="frequentist", variants=many, control="0")


def test_a_mean_metric_needs_both_sums():
    variants = [
        VariantInput(name="A", users=10, total=5.0),
        VariantInput(name="B", users=10, total=5.0, sum_squares=9.0),
    ]
    with pytest.raises(StatsInputError, match=r"Variant 'A' needs 'sum' and 'sum_squares'"):
        analyze_experiment(metric="mean", method="frequentist", variants=variants, control="A")
