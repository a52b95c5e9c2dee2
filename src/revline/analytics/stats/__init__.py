"""Experiment statistics as pure functions over per-variant summary statistics (no ORM).

See docs/experiment-statistics.md for the plain-language guide; each function's docstring
states its formula.
"""

from .analyze import Analysis, Comparison, VariantInput, analyze_experiment
from .bayesian import BayesianResult, Prior, bayesian_test, expected_losses, normal_posterior
from .cuped import CovariateSums, CupedResult, cuped_adjust
from .frequentist import Interval, LiftResult, WelchResult, relative_lift, welch_t_test
from .sample_size import SampleSizePlan, sample_size_means, sample_size_proportions
from .sequential import DEFAULT_MIXING_SD, SequentialResult, sequential_test
from .srm import DEFAULT_SRM_THRESHOLD, SrmResult, srm_check
from .summary import MetricSummary, StatsInputError, proportion_summary, sums_summary

__all__ = [
    "DEFAULT_MIXING_SD",
    "DEFAULT_SRM_THRESHOLD",
    "Analysis",
    "BayesianResult",
    "Comparison",
    "CovariateSums",
    "CupedResult",
    "Interval",
    "LiftResult",
    "MetricSummary",
    "Prior",
    "SampleSizePlan",
    "SequentialResult",
    "SrmResult",
    "StatsInputError",
    "VariantInput",
    "WelchResult",
    "analyze_experiment",
    "bayesian_test",
    "cuped_adjust",
    "expected_losses",
    "normal_posterior",
    "proportion_summary",
    "relative_lift",
    "sample_size_means",
    "sample_size_proportions",
    "sequential_test",
    "srm_check",
    "sums_summary",
    "welch_t_test",
]
