"""Results of an experiment: its counts, and every statistic equal to what the stats module
computes from the same numbers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from revline.analytics.stats import CovariateSums, VariantInput, analyze_experiment, srm_check
from revline.experiments.models import Experiment, Exposure
from revline.experiments.selectors import experiment_results, experiments_for_list

from .factories import make_page, running_cta

pytestmark = pytest.mark.django_db


def expose(experiment: Experiment, key: str, users: int, conversions: int, touches) -> None:
    """`users` exposures of the variant, the first `conversions` converted; person i has
    touches(i, converted) pre-period touches."""
    variant = experiment.variants.get(key=key)
    now = experiment.started_at or timezone.now()
    Exposure.objects.bulk_create(
        Exposure(
            experiment=experiment,
            variant=variant,
            subject_key=f"v:{key}-{i}",
            exposed_at=now + timedelta(hours=i % 48),
            converted_at=now + timedelta(hours=i % 48, minutes=5) if i < conversions else None,
            pre_period_touches=touches(i, i < conversions),
        )
        for i in range(users)
    )


def _touches(i: int, converted: bool) -> int:
    return (i % 5) + (3 if converted else 0)


@pytest.fixture
def experiment(marketer) -> Experiment:
    experiment = running_cta(marketer, make_page(), weights=[1, 1])
    Experiment.objects.filter(pk=experiment.pk).update(
        started_at=timezone.now() - timedelta(days=3)
    )
    experiment.refresh_from_db()
    expose(experiment, "a", 1000, 100, _touches)
    expose(experiment, "b", 1000, 130, _touches)
    return experiment


def test_counts_per_variant_and_in_the_list(experiment):
    results = experiment_results(experiment=experiment)

    assert [(r.variant.key, r.users, r.conversions, r.rate) for r in results.rows] == [
        ("a", 1000, 100, 0.1),
        ("b", 1000, 130, 0.13),
    ]
    assert (results.users, results.conversions) == (2000, 230)
    listed = experiments_for_list().get(pk=experiment.pk)
    assert (listed.users, listed.conversions) == (2000, 230)


def test_statistics_equal_the_stats_module_on_the_same_counts(experiment):
    results = experiment_results(experiment=experiment)
    inputs = [
        VariantInput(name="Control", users=1000, conversions=100),
        VariantInput(name="Variant B", users=1000, conversions=130),
    ]

    def expected(method: str):
        return analyze_experiment(
            metric="proportion", method=method, variants=inputs, control="Control",
            alpha=0.05, weights=[1, 1],
        ).comparisons[0]  # fmt: skip

    (row,) = results.comparisons
    assert row.variant.key == "b"
    assert row.welch == expected("frequentist")
    assert row.sequential == expected("sequential")
    assert row.bayesian == expected("bayesian")
    # By hand: a 30 % relative lift, 3 points absolute; SE = sqrt((0.09 + 0.1131) / 999)
    # = 0.014258, t = 2.104, so p = 0.0355: significant at 5 %
    assert row.welch.relative_lift == pytest.approx(0.3)
    assert row.welch.effect == pytest.approx(0.03)
    assert row.welch.p_value == pytest.approx(0.0355, abs=1e-4)
    assert row.welch.significant is True
    assert results.srm == srm_check([1000, 1000], [1, 1])
    assert results.srm.mismatch is False
    assert results.cuped is None


def test_cuped_uses_the_pre_period_touches_as_covariate(experiment):
    results = experiment_results(experiment=experiment, cuped=True)

    def sums(users: int, conversions: int) -> CovariateSums:
        xs = [(_touches(i, i < conversions), 1 if i < conversions else 0) for i in range(users)]
        return CovariateSums(
            sum_x=sum(x for x, _ in xs),
            sum_x2=sum(x * x for x, _ in xs),
            sum_xy=sum(x * y for x, y in xs),
        )

    expected = analyze_experiment(
        metric="proportion",
        method="frequentist",
        variants=[
            VariantInput(name="Control", users=1000, conversions=100),
            VariantInput(name="Variant B", users=1000, conversions=130),
        ],
        control="Control",
        weights=[1, 1],
        cuped={"Control": sums(1000, 100), "Variant B": sums(1000, 130)},
    )
    assert results.cuped == expected
    assert results.comparisons[0].welch == expected.comparisons[0]
    assert results.variance_reduction == pytest.approx(expected.cuped.variance_reduction)
    assert 0 < results.variance_reduction < 1
    # The covariate explains noise: the interval is narrower than without CUPED
    plain = experiment_results(experiment=experiment).comparisons[0].welch.interval
    assert results.comparisons[0].welch.interval.width < plain.width


def test_cuped_without_covariate_variance_says_why_and_keeps_the_plain_numbers(marketer):
    experiment = running_cta(marketer, make_page())
    expose(experiment, "a", 100, 10, lambda i, c: 0)
    expose(experiment, "b", 100, 20, lambda i, c: 0)

    results = experiment_results(experiment=experiment, cuped=True)

    assert results.cuped is None
    assert results.cuped_note == (
        "CUPED is not applied: The CUPED covariate has zero variance, so it cannot reduce any."
    )
    assert (
        results.comparisons[0].welch
        == experiment_results(experiment=experiment).comparisons[0].welch
    )


def test_sample_ratio_mismatch_is_flagged_against_the_weights(marketer):
    # Given weights 1:1 but 1000 vs 850 users
    experiment = running_cta(marketer, make_page())
    expose(experiment, "a", 1000, 100, _touches)
    expose(experiment, "b", 850, 90, _touches)

    results = experiment_results(experiment=experiment)

    assert results.srm == srm_check([1000, 850], [1, 1])
    assert results.srm_mismatch is True
    assert results.srm.p_value < 0.001
    assert results.warnings[0].startswith("Sample-ratio mismatch")


def test_with_weights_3_to_1_a_3_to_1_split_is_no_mismatch(marketer):
    experiment = running_cta(marketer, make_page(), weights=[3, 1])
    expose(experiment, "a", 900, 90, _touches)
    expose(experiment, "b", 300, 40, _touches)

    results = experiment_results(experiment=experiment)

    assert results.srm is not None and results.srm.mismatch is False
    assert [round(e) for e in results.srm.expected] == [900, 300]
    assert [r.expected_share for r in results.rows] == [0.75, 0.25]


def test_too_little_data_explains_itself(marketer):
    experiment = running_cta(marketer, make_page())
    expose(experiment, "a", 1, 0, _touches)

    results = experiment_results(experiment=experiment)

    assert results.comparisons == []
    assert results.not_enough == "Variant 'Control' needs at least 2 users to estimate a variance."


def test_cumulative_rate_series_per_day(marketer):
    # Given exposures on two days: day 1 control 2 users/1 conversion, day 2 one more user
    experiment = running_cta(marketer, make_page())
    start = timezone.localtime(timezone.now() - timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    Experiment.objects.filter(pk=experiment.pk).update(started_at=start)
    experiment.refresh_from_db()
    a, b = experiment.variants.get(key="a"), experiment.variants.get(key="b")
    day2 = start + timedelta(days=1)
    rows = [
        (a, "1", start, start), (a, "2", start, None), (a, "3", day2, None),
        (b, "4", start, None), (b, "5", day2, day2),
    ]  # fmt: skip
    for variant, key, exposed, converted in rows:
        Exposure.objects.create(
            experiment=experiment, variant=variant, subject_key=key, exposed_at=exposed,
            converted_at=converted,
        )  # fmt: skip

    series = experiment_results(experiment=experiment).series

    assert series["labels"] == [start.date().isoformat(), day2.date().isoformat()]
    assert series["datasets"] == [
        {"label": "Control (control)", "data": [50.0, 33.333]},
        {"label": "Variant B", "data": [0.0, 50.0]},
    ]
