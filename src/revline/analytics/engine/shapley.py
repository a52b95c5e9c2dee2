"""The simplified Shapley value of Zhao et al. (2018), "Shapley value methods for attribution
modeling in online advertising".

Players are the channels. For a coalition S of channels, the characteristic function is
cumulative over subsets: v(S) = the conversions (separately: the value) of every journey whose
set of distinct channels is a subset of S. The Shapley value of channel c is

    phi(c) = sum over S not containing c of |S|! (n - |S| - 1)! / n! * (v(S + c) - v(S)).

v is a sum of unanimity games (one per journey, "all of my channels are in S", scaled by its
conversions), and a unanimity game's Shapley value gives each of its members an equal share; so
phi(c) = sum over journeys containing c of conversions / (number of distinct channels). That
closed form is what `shapley` computes, in linear time; `shapley_brute_force` evaluates the
subset formula itself, for checking it.
"""

import itertools
import math
from collections.abc import Sequence

import numpy as np

from .heuristic import as_floats
from .paths import EncodedPaths, FloatArray
from .types import PathRow

MAX_BITMASK_CHANNELS = 62


def shapley(paths: EncodedPaths) -> tuple[FloatArray, FloatArray]:
    size = len(paths.channels)
    if not len(paths.offsets):
        return np.zeros(size), np.zeros(size)
    if size <= MAX_BITMASK_CHANNELS:
        bits = np.left_shift(np.int64(1), paths.touch_channel)
        masks = np.bitwise_or.reduceat(bits, paths.offsets)
        members = [((masks >> c) & 1).astype(np.float64) for c in range(size)]
        distinct = np.sum(members, axis=0)
        conversion_share = paths.conversions / distinct
        value_share = paths.value / distinct
        return (
            np.array([conversion_share @ m for m in members], dtype=np.float64),
            np.array([value_share @ m for m in members], dtype=np.float64),
        )
    key = paths.touch_row * size + paths.touch_channel
    pairs = np.unique(key)
    row, channel = pairs // size, pairs % size
    distinct = np.bincount(row, minlength=len(paths.offsets))
    return (
        as_floats(
            np.bincount(channel, weights=paths.conversions[row] / distinct[row], minlength=size)
        ),
        as_floats(np.bincount(channel, weights=paths.value[row] / distinct[row], minlength=size)),
    )


def shapley_brute_force(rows: Sequence[PathRow]) -> dict[str, tuple[float, float]]:
    """The Shapley value by the subset formula: 2^n coalitions, so for small n only."""
    channels = sorted({c for row in rows for c in row.path})
    n = len(channels)
    if n > 16:
        raise ValueError("brute force is for 16 channels or fewer")
    sets = [(frozenset(row.path), row.conversions, row.value) for row in rows if row.path]

    def v(coalition: frozenset[str]) -> tuple[float, float]:
        conversions = sum(c for s, c, _ in sets if s <= coalition)
        value = sum(val for s, _, val in sets if s <= coalition)
        return conversions, value

    result = {}
    for player in channels:
        others = [c for c in channels if c != player]
        phi_conversions = phi_value = 0.0
        for size in range(len(others) + 1):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for combo in itertools.combinations(others, size):
                without = frozenset(combo)
                with_c, with_v = v(without | {player})
                base_c, base_v = v(without)
                phi_conversions += weight * (with_c - base_c)
                phi_value += weight * (with_v - base_v)
        result[player] = (phi_conversions, phi_value)
    return result
