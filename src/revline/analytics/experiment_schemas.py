"""Request and response bodies of POST /api/v1/experiments/analyze."""

from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, JsonValue, StringConstraints

from revline.core.schemas import InputSchema

from .stats.analyze import MAX_VARIANTS

VariantName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
# JSON allows huge numbers and Python's parser accepts NaN/Infinity: keep every input finite.
Count = Annotated[int, Field(ge=0, le=10**12)]
Real = Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]
NonNegativeReal = Annotated[float, Field(allow_inf_nan=False, ge=0, le=1e30)]
Probability = Annotated[float, Field(allow_inf_nan=False, gt=0, lt=1)]


class VariantIn(InputSchema):
    name: VariantName
    users: Count = Field(description="Users exposed to the variant (at least 2).")
    conversions: Count | None = Field(
        None, description="metric=proportion: users who converted (at most `users`)."
    )
    sum: Real | None = Field(None, description="metric=mean: sum of the metric over users.")
    sum_squares: NonNegativeReal | None = Field(
        None, description="metric=mean: sum of the squared metric over users."
    )


class PriorIn(InputSchema):
    """Gaussian prior on the absolute difference (variant - control), in metric units."""

    mean: Real = 0.0
    sd: Annotated[float, Field(allow_inf_nan=False, gt=0, le=1e15)] | None = Field(
        None, description="Default: one pooled standard deviation of the metric."
    )


class SequentialIn(InputSchema):
    mixing_sd: Annotated[float, Field(allow_inf_nan=False, gt=0, le=100)] = Field(
        0.1,
        description="Standard deviation of the mSPRT's normal mixing distribution, in units of "
        "the metric's pooled standard deviation. Choose it before the test starts.",
    )


class CovariateIn(InputSchema):
    name: VariantName
    sum_x: Real = Field(description="Sum of the pre-period covariate X over the variant's users.")
    sum_x2: NonNegativeReal = Field(description="Sum of X squared.")
    sum_xy: Annotated[float, Field(allow_inf_nan=False, ge=-1e30, le=1e30)] = Field(
        description="Sum of X times the metric Y (for proportions, X summed over converters)."
    )


class CupedIn(InputSchema):
    covariates: list[CovariateIn] = Field(
        min_length=2, max_length=MAX_VARIANTS, description="One entry per variant."
    )


_PROPORTION_EXAMPLE: dict[str, Any] = {
    "metric": "proportion",
    "method": "frequentist",
    "alpha": 0.05,
    "control": "A",
    "variants": [
        {"name": "A", "users": 1000, "conversions": 100},
        {"name": "B", "users": 1000, "conversions": 120},
    ],
}
_MEAN_EXAMPLE: dict[str, Any] = {
    "metric": "mean",
    "method": "bayesian",
    "control": "control",
    "variants": [
        {"name": "control", "users": 500, "sum": 5000.0, "sum_squares": 52000.0},
        {"name": "new price", "users": 510, "sum": 5355.0, "sum_squares": 58300.0},
    ],
    "weights": [1, 1],
    "prior": {"mean": 0.0, "sd": 1.0},
}
_SEQUENTIAL_CUPED_EXAMPLE: dict[str, Any] = {
    "metric": "mean",
    "method": "sequential",
    "control": "A",
    "variants": [
        {"name": "A", "users": 4, "sum": 10.0, "sum_squares": 30.0},
        {"name": "B", "users": 4, "sum": 14.0, "sum_squares": 54.0},
    ],
    "sequential": {"mixing_sd": 0.1},
    "cuped": {
        "covariates": [
            {"name": "A", "sum_x": 8.0, "sum_x2": 20.0, "sum_xy": 24.0},
            {"name": "B", "sum_x": 8.0, "sum_x2": 20.0, "sum_xy": 32.0},
        ]
    },
}

_EXAMPLES: list[JsonValue] = [_PROPORTION_EXAMPLE, _MEAN_EXAMPLE, _SEQUENTIAL_CUPED_EXAMPLE]


class AnalyzeIn(InputSchema):
    model_config = ConfigDict(
        json_schema_extra={"examples": _EXAMPLES},
    )

    metric: Literal["proportion", "mean"]
    method: Literal["frequentist", "sequential", "bayesian"] = "frequentist"
    alpha: Probability = Field(0.05, description="1 - the interval's confidence level.")
    variants: list[VariantIn] = Field(max_length=MAX_VARIANTS)
    control: VariantName
    weights: list[Annotated[float, Field(allow_inf_nan=False, gt=0, le=1e6)]] | None = Field(
        None,
        max_length=MAX_VARIANTS,
        description="Planned traffic split, one per variant in order (default: equal).",
    )
    srm_threshold: Probability = Field(
        0.001, description="Flag a sample-ratio mismatch when the chi-square p-value is below."
    )
    prior: PriorIn | None = None
    sequential: SequentialIn | None = None
    cuped: CupedIn | None = None


class IntervalOut(Schema):
    lower: float
    upper: float


class VariantSummaryOut(Schema):
    name: str
    users: int
    mean: float = Field(description="Conversion rate or mean (CUPED-adjusted if requested).")
    variance: float
    std_error: float


class ComparisonOut(Schema):
    variant: str
    effect: float = Field(
        description="variant - control (bayesian: posterior mean of that difference)."
    )
    interval: IntervalOut
    relative_lift: float | None = Field(description="variant / control - 1; null if control is 0.")
    relative_interval: IntervalOut | None
    p_value: float | None = Field(description="frequentist and sequential only.")
    significant: bool | None = Field(description="The interval excludes 0 (not bayesian).")
    chance_to_win: float | None = Field(description="bayesian only: P(variant > control).")
    expected_loss: float | None = Field(
        description="bayesian only: expected shortfall of choosing the variant, metric units."
    )
    expected_loss_control: float | None = Field(
        description="bayesian only: expected shortfall of keeping the control."
    )


class SrmOut(Schema):
    chi_square: float
    p_value: float
    mismatch: bool
    threshold: float
    expected_users: list[float]


class CupedOut(Schema):
    theta: float
    variance_reduction: float


class AnalysisOut(Schema):
    metric: str
    method: str
    alpha: float
    control: str
    variants: list[VariantSummaryOut]
    comparisons: list[ComparisonOut]
    srm: SrmOut
    cuped: CupedOut | None
    warnings: list[str]
