"""Rule-based models: each touch of a row gets a fixed share of the row's conversions and value.

Every model is a per-touch weight (summing to 1 within each row), so one weighted bincount per
measure credits all rows at once.
"""

from typing import Any

import numpy as np
import numpy.typing as npt

from .paths import EncodedPaths, FloatArray, IntArray

HALF_LIFE_SECONDS_PER_DAY = 86_400.0


def as_floats(array: npt.NDArray[Any]) -> FloatArray:
    """bincount with weights already gives float64; this only tells the type checker."""
    return np.asarray(array, dtype=np.float64)


def credit_by_touch_weight(
    paths: EncodedPaths, weight: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per channel: sum of weight times the row's conversions, and times its value."""
    size = len(paths.channels)
    row = paths.touch_row
    conversions = np.bincount(
        paths.touch_channel, weights=weight * paths.conversions[row], minlength=size
    )
    value = np.bincount(paths.touch_channel, weights=weight * paths.value[row], minlength=size)
    return as_floats(conversions), as_floats(value)


def _credit_rows_to(paths: EncodedPaths, touch_index: IntArray) -> tuple[FloatArray, FloatArray]:
    size = len(paths.channels)
    channel = paths.touch_channel[touch_index]
    return (
        as_floats(np.bincount(channel, weights=paths.conversions, minlength=size)),
        as_floats(np.bincount(channel, weights=paths.value, minlength=size)),
    )


def first_touch(paths: EncodedPaths) -> tuple[FloatArray, FloatArray]:
    return _credit_rows_to(paths, paths.first_index)


def last_touch(paths: EncodedPaths) -> tuple[FloatArray, FloatArray]:
    return _credit_rows_to(paths, paths.last_index)


def linear(paths: EncodedPaths) -> tuple[FloatArray, FloatArray]:
    """Equal shares per touch: a channel that appears twice in a path gets two shares."""
    return credit_by_touch_weight(paths, 1.0 / paths.lengths[paths.touch_row])


def position_weights(paths: EncodedPaths) -> FloatArray:
    """40% first, 40% last, 20% spread over the middle; 1 touch: 100%; 2 touches: 50/50."""
    lengths = paths.lengths
    with np.errstate(divide="ignore"):
        middle = np.where(lengths > 2, 0.2 / np.maximum(lengths - 2, 1), 0.0)
    weight = middle[paths.touch_row]
    first, last = paths.first_index, paths.last_index
    weight[first] = np.where(lengths == 1, 1.0, np.where(lengths == 2, 0.5, 0.4))
    weight[last[lengths > 1]] = np.where(lengths[lengths > 1] == 2, 0.5, 0.4)
    return weight


def position_based(paths: EncodedPaths) -> tuple[FloatArray, FloatArray]:
    return credit_by_touch_weight(paths, position_weights(paths))


def time_decay_weights(paths: EncodedPaths, half_life_days: float) -> FloatArray:
    """2^(-t / half-life) per touch, normalised within its row; 0 for rows without times.

    Shifting each row's times by its most recent touch leaves the normalised weights unchanged
    and keeps them from underflowing to 0/0 on old journeys.
    """
    if half_life_days <= 0:
        raise ValueError("the half-life must be a positive number of days")
    half_life = half_life_days * HALF_LIFE_SECONDS_PER_DAY
    rows = paths.touch_row
    weight = np.zeros(len(paths.touch_channel), dtype=np.float64)
    if not len(weight):
        return weight
    latest = np.minimum.reduceat(paths.times, paths.offsets) if len(paths.offsets) else weight
    raw = np.exp2(-(paths.times - latest[rows]) / half_life)
    raw[~paths.has_times[rows]] = 0.0
    row_sum = np.bincount(rows, weights=raw, minlength=len(paths.offsets))
    timed = paths.has_times[rows]
    weight[timed] = raw[timed] / row_sum[rows[timed]]
    return weight


def time_decay(paths: EncodedPaths, half_life_days: float) -> tuple[FloatArray, FloatArray]:
    return credit_by_touch_weight(paths, time_decay_weights(paths, half_life_days))
