"""Experiments run inside Revline over the JSON API: the list, and an experiment's results.

Everyone with a token reads. (POST /experiments/analyze, for results gathered elsewhere, lives
in revline.analytics.experiment_api.)
"""

from datetime import datetime
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from revline.analytics.stats import Comparison, Interval
from revline.core.schemas import ErrorOut, LimitOffset

from . import selectors
from .models import ExperimentKind, ExperimentStatus

router = Router(tags=["experiments"])

SORTS = ("created_at", "-created_at", "name", "-name", "started_at", "-started_at")


class ExperimentFilters(Schema):
    q: str = Field("", max_length=200, description="Search the name and hypothesis")
    status: Literal["", "draft", "running", "stopped"] = ""
    kind: Literal["", "cta_label", "landing_page", "email_subject"] = ""
    sort: Literal[SORTS] = "-created_at"  # type: ignore[valid-type]


class ExperimentOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    goal: str
    hypothesis: str
    alpha: float
    landing_page_id: int | None
    email_id: int | None
    started_at: datetime | None
    stopped_at: datetime | None
    created_at: datetime
    users: int
    conversions: int


class IntervalOut(Schema):
    lower: float
    upper: float


class VariantOut(Schema):
    key: str
    name: str
    is_control: bool
    weight: int
    cta_label: str
    subject: str
    landing_page_id: int | None
    users: int
    conversions: int
    conversion_rate: float | None


class ComparisonOut(Schema):
    variant: str = Field(description="The variant's key")
    relative_lift: float | None
    relative_interval: IntervalOut | None = Field(description="Welch / delta-method interval")
    difference: float = Field(description="Absolute difference of the rates")
    difference_interval: IntervalOut
    p_value: float | None
    significant: bool | None
    sequential_interval: IntervalOut | None = Field(
        description="Always-valid (mSPRT) interval of the relative lift"
    )
    sequential_p_value: float | None
    chance_to_win: float | None
    expected_loss: float | None = Field(description="Of choosing the variant, in rate units")
    expected_loss_control: float | None = Field(description="Of keeping the control")


class SrmOut(Schema):
    chi_square: float
    p_value: float
    mismatch: bool
    expected_users: list[float]


class CupedOut(Schema):
    theta: float
    variance_reduction: float


class ResultsOut(Schema):
    experiment: ExperimentOut
    variants: list[VariantOut]
    comparisons: list[ComparisonOut]
    srm: SrmOut | None
    cuped: CupedOut | None
    cuped_note: str
    not_enough: str = Field(description="Why there are no statistics yet (empty when there are)")
    warnings: list[str]


def _interval(interval: Interval | None) -> dict[str, float] | None:
    return None if interval is None else {"lower": interval.lower, "upper": interval.upper}


@router.get(
    "/experiments",
    response=list[ExperimentOut],
    summary="Experiments run in Revline, with their users and conversions so far",
)
@paginate(LimitOffset)
def list_experiments(request: HttpRequest, filters: Query[ExperimentFilters]) -> Any:
    experiments = selectors.experiments_for_list()
    if filters.q:
        experiments = experiments.filter(
            Q(name__icontains=filters.q) | Q(hypothesis__icontains=filters.q)
        )
    if filters.status:
        experiments = experiments.filter(status=ExperimentStatus(filters.status))
    if filters.kind:
        experiments = experiments.filter(kind=ExperimentKind(filters.kind))
    sort = filters.sort
    return experiments.order_by(sort, "-pk" if sort.startswith("-") else "pk")


def _comparison(welch: Comparison, sequential: Comparison, bayesian: Comparison) -> dict[str, Any]:
    return {
        "relative_lift": welch.relative_lift,
        "relative_interval": _interval(welch.relative_interval),
        "difference": welch.effect,
        "difference_interval": _interval(welch.interval),
        "p_value": welch.p_value,
        "significant": welch.significant,
        "sequential_interval": _interval(sequential.relative_interval),
        "sequential_p_value": sequential.p_value,
        "chance_to_win": bayesian.chance_to_win,
        "expected_loss": bayesian.expected_loss,
        "expected_loss_control": bayesian.expected_loss_control,
    }


@router.get(
    "/experiments/{experiment_id}/results",
    response={200: ResultsOut, 404: ErrorOut},
    summary="An experiment's results: per variant, and each variant against the control",
    description="Welch's test with a delta-method interval of the relative lift, the "
    "always-valid sequential interval, the Bayesian chance to beat the control and expected "
    "loss, and the sample-ratio check; `cuped=true` adjusts with the pre-period touches. "
    "See docs/experiments.md.",
)
def experiment_results(request: HttpRequest, experiment_id: int, cuped: bool = False) -> Any:
    experiment = get_object_or_404(selectors.experiments_for_list(), pk=experiment_id)
    results = selectors.experiment_results(experiment=experiment, cuped=cuped)
    srm, adjusted = results.srm, results.cuped
    return {
        "experiment": experiment,
        "variants": [
            {
                "key": row.variant.key,
                "name": row.variant.name,
                "is_control": row.variant.is_control,
                "weight": row.variant.weight,
                "cta_label": row.variant.cta_label,
                "subject": row.variant.subject,
                "landing_page_id": row.variant.landing_page_id,
                "users": row.users,
                "conversions": row.conversions,
                "conversion_rate": row.rate,
            }
            for row in results.rows
        ],
        "comparisons": [
            {"variant": c.variant.key, **_comparison(c.welch, c.sequential, c.bayesian)}
            for c in results.comparisons
        ],
        "srm": None
        if srm is None
        else {
            "chi_square": srm.chi_square,
            "p_value": srm.p_value,
            "mismatch": srm.mismatch,
            "expected_users": list(srm.expected),
        },
        "cuped": None
        if adjusted is None or adjusted.cuped is None
        else {
            "theta": adjusted.cuped.theta,
            "variance_reduction": adjusted.cuped.variance_reduction,
        },
        "cuped_note": results.cuped_note,
        "not_enough": results.not_enough,
        "warnings": list(results.warnings),
    }
