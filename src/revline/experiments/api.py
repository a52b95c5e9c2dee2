"""Experiments run inside Revline over the JSON API: create, edit, start and stop them, and
read their results.

Everyone with a token reads; marketers and admins manage (as in the UI). A draft is edited
entirely; once started only the name and the hypothesis change. (POST /experiments/analyze,
for results gathered elsewhere, lives in revline.analytics.experiment_api.)
"""

from dataclasses import fields as dc_fields
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, StringConstraints

from revline.analytics.stats import Comparison, Interval
from revline.content.models import LandingPage
from revline.core import permissions
from revline.core.api_support import api_user, related_or_422
from revline.core.audience import require_whole_audience, sees_whole_audience
from revline.core.listing import MAX_ID
from revline.core.models import User
from revline.core.schemas import ErrorOut, InputSchema, LimitOffset, LongText, Name200, PatchSchema
from revline.email.models import Email

from . import selectors, services
from .models import Experiment, ExperimentGoal, ExperimentKind, ExperimentStatus

router = Router(tags=["experiments"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Alpha = Annotated[float, Field(ge=services.MIN_ALPHA, le=services.MAX_ALPHA)]

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
    users: int | None = Field(
        ...,
        description="Null for a sales rep or manager whose contact visibility is not 'all' "
        "(it counts every visitor and contact)",
    )
    conversions: int | None = Field(..., description="Null when users is null")


class ExperimentVariantIn(InputSchema):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    weight: Annotated[int, Field(ge=1, le=services.MAX_WEIGHT)] = 1
    is_control: bool = False
    cta_label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = Field(
        "", description="CTA label tests: the label this variant shows"
    )
    landing_page_id: Id | None = Field(
        None, description="Landing page tests: the page this (non-control) variant shows"
    )
    subject: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = Field(
        "", description="Email subject tests: the subject this variant sends"
    )


Variants = Annotated[list[ExperimentVariantIn], Field(max_length=services.MAX_VARIANTS)]
EXAMPLE: dict[str, Any] = {
    "name": "Hero button",
    "kind": "cta_label",
    "goal": "form_submission",
    "landing_page_id": 4,
    "hypothesis": "A concrete label converts better.",
    "variants": [
        {"name": "Control", "is_control": True, "cta_label": "Get in touch"},
        {"name": "Demo", "cta_label": "Book a demo"},
    ],
}


class ExperimentIn(InputSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    name: Name200
    kind: ExperimentKind
    goal: ExperimentGoal
    hypothesis: LongText = ""
    landing_page_id: Id | None = None
    email_id: Id | None = None
    alpha: Alpha = 0.05
    variants: Variants


class ExperimentPatch(PatchSchema):
    """Only the fields sent change; `variants` sent replaces them all. Once the experiment has
    started only `name` and `hypothesis` may be sent."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"hypothesis": "Shorter wins."}]}
    )
    clearable = frozenset({"landing_page_id", "email_id"})

    name: Name200 | None = None
    kind: ExperimentKind | None = None
    goal: ExperimentGoal | None = None
    hypothesis: LongText | None = None
    landing_page_id: Id | None = None
    email_id: Id | None = None
    alpha: Alpha | None = None
    variants: Variants | None = None


class VariantBriefOut(Schema):
    key: str
    name: str
    is_control: bool
    weight: int
    cta_label: str
    subject: str
    landing_page_id: int | None


class ExperimentDetailOut(ExperimentOut):
    variants: list[VariantBriefOut]

    @staticmethod
    def resolve_variants(obj: Any) -> list[Any]:
        return list(obj.variants.all())


class ExperimentIntervalOut(Schema):
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


class ExperimentComparisonOut(Schema):
    variant: str = Field(description="The variant's key")
    relative_lift: float | None
    relative_interval: ExperimentIntervalOut | None = Field(
        description="Welch / delta-method interval"
    )
    difference: float = Field(description="Absolute difference of the rates")
    difference_interval: ExperimentIntervalOut
    p_value: float | None
    significant: bool | None
    sequential_interval: ExperimentIntervalOut | None = Field(
        description="Always-valid (mSPRT) interval of the relative lift"
    )
    sequential_p_value: float | None
    chance_to_win: float | None
    expected_loss: float | None = Field(description="Of choosing the variant, in rate units")
    expected_loss_control: float | None = Field(description="Of keeping the control")


class ExperimentSrmOut(Schema):
    chi_square: float
    p_value: float
    mismatch: bool
    expected_users: list[float]


class ExperimentCupedOut(Schema):
    theta: float
    variance_reduction: float


class ExperimentResultsOut(Schema):
    experiment: ExperimentOut
    variants: list[VariantOut]
    comparisons: list[ExperimentComparisonOut]
    srm: ExperimentSrmOut | None
    cuped: ExperimentCupedOut | None
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
    audience = sees_whole_audience(api_user(request))
    experiments = selectors.experiments_for_list(audience=audience)
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


def _manager(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(permissions.can_manage_marketing(user), services.MANAGE_ONLY)
    return user


def _detailed(*, audience: bool = True) -> QuerySet[Experiment]:
    return selectors.experiments_for_list(audience=audience).prefetch_related("variants")


def _page(pk: int | None, field: str) -> LandingPage | None:
    return related_or_422(LandingPage.objects.all(), pk, field=field)


def _variant_specs(variants: list[dict[str, Any]]) -> list[services.VariantSpec]:
    specs = []
    for index, variant in enumerate(variants):
        page_id = variant.pop("landing_page_id", None)
        page = _page(page_id, f"variants.{index}.landing_page_id")
        specs.append(services.VariantSpec(**variant, landing_page=page))
    return specs


def _spec(data: dict[str, Any], base: services.ExperimentSpec | None = None) -> Any:
    """The spec of a body, over `base` (the stored experiment) for a partial update."""
    fields: dict[str, Any] = (
        {} if base is None else {f.name: getattr(base, f.name) for f in dc_fields(base)}
    )
    if "landing_page_id" in data:
        fields["landing_page"] = _page(data.pop("landing_page_id"), "landing_page_id")
    if "email_id" in data:
        email_id = data.pop("email_id")
        fields["email"] = related_or_422(Email.objects.all(), email_id, field="email_id")
    if "variants" in data:
        fields["variants"] = _variant_specs(data.pop("variants"))
    fields.update(data)
    fields.setdefault("landing_page", None)
    fields.setdefault("email", None)
    return services.ExperimentSpec(**fields)


@router.post(
    "/experiments",
    response={201: ExperimentDetailOut, **ERRORS},
    summary="Create a draft experiment with its variants",
)
def create_experiment(request: HttpRequest, payload: ExperimentIn) -> Any:
    actor = _manager(request)
    experiment = services.experiment_create(actor=actor, spec=_spec(payload.model_dump()))
    return Status(201, _detailed().get(pk=experiment.pk))


@router.get(
    "/experiments/{int:experiment_id}",
    response={200: ExperimentDetailOut, 404: ErrorOut},
    summary="An experiment with its variants",
)
def get_experiment(request: HttpRequest, experiment_id: int) -> Any:
    audience = sees_whole_audience(api_user(request))
    return get_object_or_404(_detailed(audience=audience), pk=experiment_id)


@router.patch(
    "/experiments/{int:experiment_id}",
    response={200: ExperimentDetailOut, **ERRORS},
    summary="Edit a draft; once started only the name and hypothesis change",
)
def update_experiment(request: HttpRequest, experiment_id: int, payload: ExperimentPatch) -> Any:
    actor = _manager(request)
    experiment = get_object_or_404(
        Experiment.objects.select_related("landing_page", "email"), pk=experiment_id
    )
    data = payload.model_dump(exclude_unset=True)
    base = services.experiment_spec(experiment)
    if experiment.status != ExperimentStatus.DRAFT:
        # Variants then stay as they are; the service refuses any change but the name and the
        # hypothesis (422).
        base = replace(base, variants=())
    services.experiment_update(actor=actor, experiment=experiment, spec=_spec(data, base))
    return _detailed().get(pk=experiment.pk)


@router.delete(
    "/experiments/{int:experiment_id}",
    response={204: None, **ERRORS},
    summary="Delete a draft (a started experiment is stopped instead)",
)
def delete_experiment(request: HttpRequest, experiment_id: int) -> Any:
    actor = _manager(request)
    experiment = get_object_or_404(Experiment.objects.all(), pk=experiment_id)
    services.experiment_delete(actor=actor, experiment=experiment)
    return Status(204, None)


@router.post(
    "/experiments/{int:experiment_id}/start",
    response={200: ExperimentDetailOut, **ERRORS},
    summary="Start a draft: visitors or recipients are assigned from now on",
)
def start_experiment(request: HttpRequest, experiment_id: int) -> Any:
    actor = _manager(request)
    experiment = get_object_or_404(Experiment.objects.all(), pk=experiment_id)
    services.experiment_start(actor=actor, experiment=experiment)
    return _detailed().get(pk=experiment.pk)


@router.post(
    "/experiments/{int:experiment_id}/stop",
    response={200: ExperimentDetailOut, **ERRORS},
    summary="Stop a running experiment: nobody more is assigned or counted",
)
def stop_experiment(request: HttpRequest, experiment_id: int) -> Any:
    actor = _manager(request)
    experiment = get_object_or_404(Experiment.objects.all(), pk=experiment_id)
    services.experiment_stop(actor=actor, experiment=experiment)
    return _detailed().get(pk=experiment.pk)


@router.get(
    "/experiments/{int:experiment_id}/results",
    response={200: ExperimentResultsOut, 403: ErrorOut, 404: ErrorOut},
    summary="An experiment's results: per variant, and each variant against the control",
    description="Welch's test with a delta-method interval of the relative lift, the "
    "always-valid sequential interval, the Bayesian chance to beat the control and expected "
    "loss, and the sample-ratio check; `cuped=true` adjusts with the pre-period touches. "
    "See docs/experiments.md. Counted over every visitor and contact: 403 for a sales rep or "
    "manager whose contact visibility is not 'all'.",
)
def experiment_results(request: HttpRequest, experiment_id: int, cuped: bool = False) -> Any:
    require_whole_audience(api_user(request))
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
