"""attribute(): run the chosen models over aggregated journey rows."""

from collections.abc import Sequence

from . import heuristic
from .markov import markov
from .paths import EncodedPaths, FloatArray, encode
from .shapley import shapley
from .types import MODELS, AttributionResult, Credit, PathRow


def _credits(paths: EncodedPaths, conversions: FloatArray, value: FloatArray) -> dict[str, Credit]:
    return {
        name: Credit(conversions=float(conversions[i]), value=float(value[i]))
        for i, name in enumerate(paths.channels)
    }


def attribute(
    rows: Sequence[PathRow],
    *,
    models: Sequence[str],
    markov_order: int = 1,
    half_life_days: float = 7.0,
) -> AttributionResult:
    """Credit conversions and value to channels by each of `models` (names from MODELS).

    Guarantees, per model: the credits plus result.skipped[model] sum to total_conversions and
    total_value (up to float rounding). Raises ValueError for an unknown model, a bad parameter
    or a bad row (negative or non-finite measure, times not matching the path).
    """
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s): {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    if markov_order < 1:
        raise ValueError("the Markov order must be 1 or more")
    if not half_life_days > 0:
        raise ValueError("the half-life must be a positive number of days")
    paths, empty = encode(rows, with_times="time_decay" in models)
    result = AttributionResult(
        total_conversions=float(paths.conversions.sum()),
        total_value=float(paths.value.sum()),
        total_nulls=float(paths.nulls.sum()),
        unattributed=Credit(
            conversions=float(sum(r.conversions for r in empty)),
            value=float(sum(r.value for r in empty)),
        ),
    )
    if empty:
        result.warnings.append(
            f"{len(empty)} row(s) with an empty path ({result.unattributed.conversions:g} "
            "conversions) cannot be credited to a channel and were left out."
        )
    if result.total_conversions == 0:
        result.warnings.append("There are no conversions to attribute.")
    for model in dict.fromkeys(models):
        if model == "first_touch":
            credited = heuristic.first_touch(paths)
        elif model == "last_touch":
            credited = heuristic.last_touch(paths)
        elif model == "linear":
            credited = heuristic.linear(paths)
        elif model == "position_based":
            credited = heuristic.position_based(paths)
        elif model == "time_decay":
            credited = heuristic.time_decay(paths, half_life_days)
            untimed = ~paths.has_times
            if untimed.any():
                skipped = Credit(
                    conversions=float(paths.conversions[untimed].sum()),
                    value=float(paths.value[untimed].sum()),
                )
                result.skipped[model] = skipped
                result.warnings.append(
                    f"Time decay: {int(untimed.sum())} row(s) without touch times "
                    f"({skipped.conversions:g} conversions) were skipped."
                )
        elif model == "markov":
            outcome = markov(paths, markov_order)
            credited = (outcome.conversions, outcome.value)
            result.removal_effects = {
                name: float(outcome.removal_effects[i]) for i, name in enumerate(paths.channels)
            }
            result.conversion_probability = outcome.conversion_probability
        else:
            credited = shapley(paths)
        result.credits[model] = _credits(paths, *credited)
    return result


__all__ = ["attribute"]
