"""Journey rows as flat numpy arrays: one entry per touch, plus per-row offsets and measures."""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from .types import PathRow

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EncodedPaths:
    """Rows with a non-empty path only. channels[i] is the name of channel id i (sorted).

    touch_channel[offsets[r]:offsets[r] + lengths[r]] are row r's channels in order;
    touch_row maps each touch back to its row. times/has_times: seconds before conversion per
    touch, for the rows that came with times.
    """

    channels: tuple[str, ...]
    touch_channel: IntArray
    touch_row: IntArray
    offsets: IntArray
    lengths: IntArray
    conversions: FloatArray
    value: FloatArray
    nulls: FloatArray
    times: FloatArray
    has_times: npt.NDArray[np.bool_]

    @property
    def first_index(self) -> IntArray:
        return self.offsets

    @property
    def last_index(self) -> IntArray:
        return self.offsets + self.lengths - 1

    def position(self) -> IntArray:
        """Each touch's 0-based position within its row."""
        return np.arange(len(self.touch_channel), dtype=np.int64) - self.offsets[self.touch_row]


class _ChannelIds(dict[str, int]):
    """Numbers channels in order of first appearance while the touches stream past."""

    def __missing__(self, channel: str) -> int:
        number = self[channel] = len(self)
        return number


def _first_bad(name: str, numbers: FloatArray) -> None:
    bad = ~(np.isfinite(numbers) & (numbers >= 0))
    if bad.any():
        index = int(np.argmax(bad))
        raise ValueError(
            f"row {index}: {name} must be a finite number >= 0, got {numbers[index]!r}"
        )


def encode(
    rows: Sequence[PathRow], *, with_times: bool = True
) -> tuple[EncodedPaths, list[PathRow]]:
    """The rows with a path, encoded; and the rows with an empty path (which no model can credit).

    Raises ValueError naming the row for a negative or non-finite measure or mismatched times.
    Python touches each row only through C-level map/fromiter: this is the engine's hot loop.
    Without with_times, touch times are neither checked nor read (every model but time decay).
    """
    n = len(rows)
    all_paths = list(map(attrgetter("path"), rows))
    all_lengths = np.fromiter(map(len, all_paths), dtype=np.int64, count=n)
    measures = {}
    for name in ("conversions", "value", "nulls"):
        numbers = np.fromiter(map(attrgetter(name), rows), dtype=np.float64, count=n)
        _first_bad(name, numbers)
        measures[name] = numbers
    all_times = list(map(attrgetter("times"), rows)) if with_times else [None] * n
    all_has_times = np.fromiter((t is not None for t in all_times), dtype=np.bool_, count=n)
    if all_has_times.any():
        for index in np.nonzero(all_has_times)[0]:
            times = all_times[index]
            assert times is not None
            if len(times) != all_lengths[index]:
                raise ValueError(
                    f"row {index}: {len(times)} times for a path of {all_lengths[index]} touches"
                )
    keep = all_lengths > 0
    empty = [rows[int(i)] for i in np.nonzero(~keep)[0]] if not keep.all() else []
    lengths = all_lengths[keep]
    total = int(lengths.sum())
    ids = _ChannelIds()
    seen_order = np.fromiter(
        map(ids.__getitem__, itertools.chain.from_iterable(all_paths)), dtype=np.int64, count=total
    )
    names = sorted(ids)
    renumber = np.empty(len(names), dtype=np.int64)
    for sorted_id, name in enumerate(names):
        renumber[ids[name]] = sorted_id
    touch_channel = renumber[seen_order]
    kept_count = len(lengths)
    offsets = np.zeros(kept_count, dtype=np.int64)
    if kept_count:
        np.cumsum(lengths[:-1], out=offsets[1:])
    touch_row = np.repeat(np.arange(kept_count, dtype=np.int64), lengths)
    has_times = all_has_times[keep]
    times = np.zeros(total, dtype=np.float64)
    if has_times.any():
        timed = np.repeat(has_times, lengths)
        times[timed] = np.fromiter(
            itertools.chain.from_iterable(t for t in all_times if t),
            dtype=np.float64,
            count=int(timed.sum()),
        )
        if not (np.isfinite(times) & (times >= 0)).all():
            bad = int(touch_row[np.argmax(~(np.isfinite(times) & (times >= 0)))])
            row_index = int(np.nonzero(keep)[0][bad])
            raise ValueError(f"row {row_index}: times must be finite numbers of seconds >= 0")
    encoded = EncodedPaths(
        channels=tuple(names),
        touch_channel=touch_channel,
        touch_row=touch_row,
        offsets=offsets,
        lengths=lengths,
        conversions=measures["conversions"][keep],
        value=measures["value"][keep],
        nulls=measures["nulls"][keep],
        times=times,
        has_times=has_times,
    )
    return encoded, empty
