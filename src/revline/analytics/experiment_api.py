"""Experiment statistics for results gathered anywhere: summary statistics in, effects out."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router

from revline.core.schemas import ErrorOut

from .experiment_schemas import AnalysisOut, AnalyzeIn
from .stats import (
    CovariateSums,
    Prior,
    StatsInputError,
    VariantInput,
    analyze_experiment,
)
from .stats.analyze import Analysis

router = Router(tags=["experiments"])


@router.post(
    "/experiments/analyze",
    response={200: AnalysisOut, 422: ErrorOut},
    summary="Analyse an A/B test from per-variant summary statistics",
    description="Compares every variant with the control: frequentist (Welch t-test, "
    "delta-method relative lift), sequential (always-valid mSPRT interval and p-value) or "
    "bayesian (Gaussian prior; chance to win and expected loss), optionally CUPED-adjusted, "
    "with a sample-ratio-mismatch check. See docs/experiment-statistics.md.",
)
def experiments_analyze(request: HttpRequest, payload: AnalyzeIn) -> Any:
    try:
        analysis = analyze_experiment(
            metric=payload.metric,
            method=payload.method,
            alpha=payload.alpha,
            control=payload.control,
            variants=[
                VariantInput(
                    name=v.name,
                    users=v.users,
                    conversions=v.conversions,
                    total=v.sum,
                    sum_squares=v.sum_squares,
                )
                for v in payload.variants
            ],
            weights=payload.weights,
            srm_threshold=payload.srm_threshold,
            prior=Prior(mean=payload.prior.mean, sd=payload.prior.sd) if payload.prior else None,
            mixing_sd=payload.sequential.mixing_sd if payload.sequential else 0.1,
            cuped=_covariates(payload),
        )
    except StatsInputError as exc:
        raise ValidationError(str(exc)) from exc
    return _out(analysis)


def _covariates(payload: AnalyzeIn) -> dict[str, CovariateSums] | None:
    if payload.cuped is None:
        return None
    names = [c.name for c in payload.cuped.covariates]
    if len(set(names)) != len(names):
        raise ValidationError({"cuped": "Each variant may appear only once in cuped.covariates."})
    return {
        c.name: CovariateSums(sum_x=c.sum_x, sum_x2=c.sum_x2, sum_xy=c.sum_xy)
        for c in payload.cuped.covariates
    }


def _interval(interval: Any) -> dict[str, float] | None:
    return None if interval is None else {"lower": interval.lower, "upper": interval.upper}


def _out(analysis: Analysis) -> dict[str, Any]:
    return {
        "metric": analysis.metric,
        "method": analysis.method,
        "alpha": analysis.alpha,
        "control": analysis.control,
        "variants": [
            {
                "name": s.name,
                "users": s.users,
                "mean": s.mean,
                "variance": s.variance,
                "std_error": s.std_error,
            }
            for s in analysis.summaries
        ],
        "comparisons": [
            {
                "variant": c.variant,
                "effect": c.effect,
                "interval": _interval(c.interval),
                "relative_lift": c.relative_lift,
                "relative_interval": _interval(c.relative_interval),
                "p_value": c.p_value,
                "significant": c.significant,
                "chance_to_win": c.chance_to_win,
                "expected_loss": c.expected_loss,
                "expected_loss_control": c.expected_loss_control,
            }
            for c in analysis.comparisons
        ],
        "srm": {
            "chi_square": analysis.srm.chi_square,
            "p_value": analysis.srm.p_value,
            "mismatch": analysis.srm.mismatch,
            "threshold": analysis.srm.threshold,
            "expected_users": list(analysis.srm.expected),
        },
        "cuped": None
        if analysis.cuped is None
        else {
            "theta": analysis.cuped.theta,
            "variance_reduction": analysis.cuped.variance_reduction,
        },
        "warnings": list(analysis.warnings),
    }
