"""The Markov chain model, solved exactly.

States are the last k channels seen (k = the order; the first touches of a path have shorter
states), plus three absorbing-or-start states: start, conversion and null. Each row walks
start -> its states in order -> conversion (weighted by its conversions) and -> null (weighted
by its nulls); every step before the end is weighted by conversions + nulls. Transition
probabilities are the counts normalised per state.

The probability of converting from start, h(start), solves the absorbing chain's linear system
(I - Q) h = r over the transient states (Q: transient-to-transient probabilities, r: one-step
conversion probabilities). Because every path enters and leaves each state it visits, the chain's
flows balance and h(start) equals the observed conversion rate.

Removing channel c sends every transition into a state containing c to null. Its removal effect
is 1 - h_c(start) / h(start); credits are the removal effects normalised to sum to 1, times the
total conversions (and the total value).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .paths import EncodedPaths, FloatArray, IntArray

DENSE_LIMIT = 200
LOOKUP_LIMIT = 50_000_000
COUNTS_DENSE_LIMIT = 20_000_000


@dataclass(frozen=True)
class MarkovOutcome:
    conversions: FloatArray
    value: FloatArray
    removal_effects: FloatArray
    conversion_probability: float
    states: int


def touch_states(paths: EncodedPaths, order: int) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Each touch's state id (1..S, 0 being start) and contains[s - 1, c]: state s holds c."""
    if order < 1:
        raise ValueError("the Markov order must be 1 or more")
    size = len(paths.channels)
    channel = paths.touch_channel
    if order == 1:
        return channel + 1, np.eye(size, dtype=np.bool_)
    position = paths.position()
    index = np.arange(len(channel), dtype=np.int64)
    base = size + 1
    if base**order < 2**62:
        # A mixed-radix number per state; digit 0 marks "no touch that far back".
        key = np.zeros(len(channel), dtype=np.int64)
        for lag in range(order):
            digit = np.where(position >= lag, channel[np.maximum(index - lag, 0)] + 1, 0)
            key += digit * base**lag
        if base**order <= LOOKUP_LIMIT:
            # Few possible keys: mark and number them in O(touches) instead of sorting.
            present = np.zeros(base**order, dtype=np.bool_)
            present[key] = True
            unique = np.nonzero(present)[0]
            number = np.cumsum(present) - 1
            inverse = number[key]
        else:
            unique, inverse = np.unique(key, return_inverse=True)
        contains = np.zeros((len(unique), size), dtype=np.bool_)
        for lag in range(order):
            digit = (unique // base**lag) % base
            present = digit > 0
            contains[np.nonzero(present)[0], digit[present] - 1] = True
        return inverse.astype(np.int64) + 1, contains
    lags = np.full((len(channel), order), -1, dtype=np.int64)
    for lag in range(order):
        lags[:, lag] = np.where(position >= lag, channel[np.maximum(index - lag, 0)], -1)
    unique_rows, inverse = np.unique(lags, axis=0, return_inverse=True)
    contains = np.zeros((len(unique_rows), size), dtype=np.bool_)
    for lag in range(order):
        present = unique_rows[:, lag] >= 0
        contains[np.nonzero(present)[0], unique_rows[present, lag]] = True
    return inverse.reshape(-1).astype(np.int64) + 1, contains


def transition_counts(paths: EncodedPaths, state: IntArray, states: int) -> sp.csr_matrix:
    """Counts between the states 0 (start), 1..S, S+1 (conversion), S+2 (null)."""
    n = states + 3
    conversion, null = states + 1, states + 2
    through = paths.conversions + paths.nulls
    first, last = paths.first_index, paths.last_index
    total = len(state)
    # Consecutive touches, as (touch, next touch) pairs over the flat array; a pair that crosses
    # from one row into the next weighs nothing, which spares filtering 3 arrays of millions.
    pair_weight = np.repeat(through, paths.lengths)[:-1]
    pair_weight[last[last < total - 1]] = 0.0
    if n * n <= COUNTS_DENSE_LIMIT:
        size = n * n
        dense = np.zeros(size, dtype=np.float64)
        dense += np.bincount(state[:-1] * n + state[1:], weights=pair_weight, minlength=size)
        dense += np.bincount(state[first], weights=through, minlength=size)
        dense += np.bincount(
            state[last] * n + conversion, weights=paths.conversions, minlength=size
        )
        dense += np.bincount(state[last] * n + null, weights=paths.nulls, minlength=size)
        return sp.csr_matrix(dense.reshape(n, n))
    rows = len(first)
    source = np.concatenate([state[:-1], np.zeros(rows, dtype=np.int64), state[last], state[last]])
    target = np.concatenate(
        [state[1:], state[first], np.full(rows, conversion), np.full(rows, null)]
    )
    weight = np.concatenate([pair_weight, through, paths.conversions, paths.nulls])
    return sp.coo_matrix((weight, (source, target)), shape=(n, n)).tocsr()


def _absorption_solver(q: sp.csr_matrix, r: FloatArray) -> Callable[[npt.NDArray[np.bool_]], float]:
    """A function keep-mask -> probability of converting from start (state 0)."""
    size = q.shape[0]
    if size <= DENSE_LIMIT:
        dense_q = q.toarray()
        identity = np.eye(size)

        def solve_dense(keep: npt.NDArray[np.bool_]) -> float:
            kept_q = dense_q * keep[:, None] * keep[None, :]
            h = np.linalg.solve(identity - kept_q, r * keep)
            return float(h[0])

        return solve_dense

    identity_sparse = sp.identity(size, format="csc")

    def solve_sparse(keep: npt.NDArray[np.bool_]) -> float:
        mask = sp.diags(keep.astype(np.float64))
        kept_q = mask @ q @ mask
        h = spla.spsolve((identity_sparse - kept_q).tocsc(), r * keep)
        return float(h[0])

    return solve_sparse


def markov(paths: EncodedPaths, order: int = 1) -> MarkovOutcome:
    size = len(paths.channels)
    state, contains = touch_states(paths, order)
    states = contains.shape[0]
    counts = transition_counts(paths, state, states)
    transient = states + 1
    out = np.asarray(counts[:transient].sum(axis=1), dtype=np.float64).reshape(-1)
    # A state only rows with no conversions and no nulls pass through has no way out: it
    # behaves as null (r = 0, no transitions), which is what it means.
    scale = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    to_states = sp.diags(scale) @ counts[:transient, :transient]
    r = scale * np.asarray(counts[:transient, states + 1].toarray()).reshape(-1)
    solve = _absorption_solver(sp.csr_matrix(to_states), r)
    everything = np.ones(transient, dtype=np.bool_)
    baseline = solve(everything) if r.any() else 0.0
    effects = np.zeros(size, dtype=np.float64)
    if baseline > 0:
        for channel in range(size):
            keep = everything.copy()
            keep[1:] = ~contains[:, channel]
            without = solve(keep)
            effects[channel] = max(0.0, 1.0 - without / baseline)
    total_effect = effects.sum()
    share = effects / total_effect if total_effect > 0 else np.zeros(size)
    return MarkovOutcome(
        conversions=share * paths.conversions.sum(),
        value=share * paths.value.sum(),
        removal_effects=effects,
        conversion_probability=baseline,
        states=states,
    )
