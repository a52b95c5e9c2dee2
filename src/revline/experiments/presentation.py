"""Experiment results worded and formatted for the page and the CSV. Pure: no ORM."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from revline.analytics.stats import Comparison

from .models import ExperimentKind, ExperimentStatus, Variant
from .selectors import ComparisonRow, Results


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def chance(value: float | None) -> str:
    """A probability, without claiming certainty the model cannot give."""
    if value is None:
        return "—"
    if value > 0.999:
        return "> 99.9 %"
    if value < 0.001:
        return "< 0.1 %"
    return pct(value)


def signed_pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:+.{digits}f} %"


def points(value: float | None, digits: int = 2) -> str:
    """An absolute difference of two rates, in percentage points."""
    return "—" if value is None else f"{value * 100:+.{digits}f} pts"


def p_value(value: float | None) -> str:
    if value is None:
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _range(lower: float, upper: float, fmt: Any = signed_pct) -> str:
    return f"{fmt(lower)} to {fmt(upper)}"


def variant_treatment(variant: Variant, kind: str) -> str:
    """What the variant shows, in a few words."""
    if kind == ExperimentKind.CTA_LABEL:
        return f"Button “{variant.cta_label}”"
    if kind == ExperimentKind.EMAIL_SUBJECT:
        return f"Subject “{variant.subject}”"
    if variant.is_control or variant.landing_page is None:
        return "The tested page itself"
    return f"Page /lp/{variant.landing_page.slug}"


def _verdict(row: ComparisonRow, alpha: float, running: bool) -> tuple[str, str]:
    """(text, tone) for one variant against the control; while the test runs only the
    always-valid interval may be read at every look."""
    decisive = row.sequential if running else row.welch
    name = row.variant.name
    if decisive.significant:
        if decisive.effect > 0:
            return f"{name} converts better than the control.", "ok"
        return f"{name} converts worse than the control.", "bad"
    if running:
        return (
            f"No clear difference yet: keep {name} running until its interval "
            "excludes zero or the planned sample size is reached.",
            "warn",
        )
    return f"No significant difference between {name} and the control (alpha {alpha:g}).", ""


def _comparison(row: ComparisonRow, alpha: float, running: bool) -> dict[str, Any]:
    welch: Comparison = row.welch
    seq: Comparison = row.sequential
    bayes: Comparison = row.bayesian
    verdict, tone = _verdict(row, alpha, running)
    return {
        "variant": row.variant,
        "lift": signed_pct(welch.relative_lift),
        "lift_interval": _range(welch.relative_interval.lower, welch.relative_interval.upper)
        if welch.relative_interval
        else "—",
        "difference": points(welch.effect),
        "difference_interval": _range(welch.interval.lower, welch.interval.upper, points),
        "p_value": p_value(welch.p_value),
        "significant": bool(welch.significant),
        "seq_difference_interval": _range(seq.interval.lower, seq.interval.upper, points),
        "seq_interval": _range(seq.relative_interval.lower, seq.relative_interval.upper)
        if seq.relative_interval
        else "—",
        "seq_p_value": p_value(seq.p_value),
        "seq_significant": bool(seq.significant),
        "chance_to_win": chance(bayes.chance_to_win),
        "chance_raw": bayes.chance_to_win or 0.0,
        "loss_choose": points(bayes.expected_loss, 3).lstrip("+"),
        "loss_keep": points(bayes.expected_loss_control, 3).lstrip("+"),
        "verdict": verdict,
        "tone": tone,
    }


def results_view(results: Results) -> dict[str, Any]:
    """The numbers of the results page, formatted, with the verdict per variant."""
    experiment = results.experiment
    running = experiment.status == ExperimentStatus.RUNNING
    confidence = f"{(1 - experiment.alpha) * 100:g} %"
    rows = [
        {
            "variant": row.variant,
            "treatment": variant_treatment(row.variant, experiment.kind),
            "weight": row.variant.weight,
            "expected_share": pct(row.expected_share),
            "share": pct(row.users / results.users) if results.users else "—",
            "users": row.users,
            "conversions": row.conversions,
            "rate": pct(row.rate, 2),
        }
        for row in results.rows
    ]
    srm = results.srm
    return {
        "rows": rows,
        "comparisons": [_comparison(c, experiment.alpha, running) for c in results.comparisons],
        "confidence": confidence,
        "overall_rate": pct(results.conversions / results.users, 2) if results.users else "—",
        "srm": None
        if srm is None
        else {
            "chi_square": f"{srm.chi_square:.2f}",
            "p_value": p_value(srm.p_value),
            "mismatch": srm.mismatch,
            "expected": [round(e) for e in srm.expected],
        },
        "variance_reduction": pct(results.variance_reduction)
        if results.variance_reduction is not None
        else None,
        "theta": f"{results.cuped.cuped.theta:.4f}"
        if results.cuped is not None and results.cuped.cuped is not None
        else None,
        "running": running,
    }


CSV_HEADER = (
    "variant", "key", "control", "shows", "weight", "users", "conversions", "conversion_rate",
    "relative_lift", "lift_ci_lower", "lift_ci_upper", "difference", "difference_ci_lower",
    "difference_ci_upper", "p_value", "sequential_lift_ci_lower", "sequential_lift_ci_upper",
    "sequential_p_value", "chance_to_beat_control", "expected_loss_choose_variant",
    "expected_loss_keep_control", "cuped",
)  # fmt: skip


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def results_csv_rows(results: Results) -> tuple[tuple[str, ...], Iterator[list[Any]]]:
    """The results table as CSV: raw numbers (rates and lifts as fractions)."""
    by_variant = {c.variant.pk: c for c in results.comparisons}
    kind = results.experiment.kind
    cuped = "yes" if results.cuped is not None else "no"

    def rows() -> Iterator[list[Any]]:
        for row in results.rows:
            comp = by_variant.get(row.variant.pk)
            cells: list[Any] = [
                row.variant.name,
                row.variant.key,
                "yes" if row.variant.is_control else "no",
                variant_treatment(row.variant, kind),
                row.variant.weight,
                row.users,
                row.conversions,
                _num(row.rate),
            ]
            if comp is None:
                cells += [""] * 13
            else:
                welch, seq, bayes = comp.welch, comp.sequential, comp.bayesian
                cells += [
                    _num(welch.relative_lift),
                    _num(welch.relative_interval.lower if welch.relative_interval else None),
                    _num(welch.relative_interval.upper if welch.relative_interval else None),
                    _num(welch.effect),
                    _num(welch.interval.lower),
                    _num(welch.interval.upper),
                    _num(welch.p_value),
                    _num(seq.relative_interval.lower if seq.relative_interval else None),
                    _num(seq.relative_interval.upper if seq.relative_interval else None),
                    _num(seq.p_value),
                    _num(bayes.chance_to_win),
                    _num(bayes.expected_loss),
                    _num(bayes.expected_loss_control),
                ]
            yield [*cells, cuped]

    return CSV_HEADER, rows()
