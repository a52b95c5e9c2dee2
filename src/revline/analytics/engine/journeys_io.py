"""The journey file: `path;total_conversions;total_conversion_value;total_null`, one row per path.

Channels in a path are separated by '>' (spaces around them are ignored). The separator between
columns is configurable (one character; ';' by default). Reading is streamed and every problem is
reported with its line number.
"""

import csv
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from .types import PathRow

COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")
NUMBER_COLUMNS = COLUMNS[1:]
COMMON_SEPARATORS = (";", ",", "\t", "|")
PATH_SEPARATOR = ">"


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


class JourneyFileError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def _describe(separator: str) -> str:
    return {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}.get(separator, repr(separator))


def _other_separator(text: str, separator: str) -> str | None:
    for candidate in COMMON_SEPARATORS:
        if candidate != separator and candidate in text:
            return candidate
    return None


def parse_path(text: str, line: int) -> tuple[str, ...]:
    if not text.strip():
        raise JourneyFileError(line, "empty path")
    channels = tuple(part.strip() for part in text.split(PATH_SEPARATOR))
    if any(not channel for channel in channels):
        raise JourneyFileError(line, f"empty channel name in path {text.strip()!r}")
    return channels


def _number(text: str, column: str, line: int) -> float:
    try:
        number = float(text.strip())
    except ValueError:
        raise JourneyFileError(line, f"{column} {text.strip()!r} is not a number") from None
    if not math.isfinite(number):
        raise JourneyFileError(line, f"{column} {text.strip()!r} is not a finite number")
    if number < 0:
        raise JourneyFileError(line, f"{column} is negative ({text.strip()})")
    return number


def _header(fields: list[str], separator: str, raw: str) -> dict[str, int]:
    names = [f.strip().lower().lstrip("\ufeff") for f in fields]
    if len(names) == 1:
        other = _other_separator(raw, separator)
        hint = f"; the file seems to use {_describe(other)}: pass --sep" if other else ""
        raise JourneyFileError(1, f"no {_describe(separator)} separator in the header{hint}")
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise JourneyFileError(
            1,
            f"the header must name the columns {separator.join(COLUMNS)}; "
            f"missing: {', '.join(missing)}",
        )
    return {c: names.index(c) for c in COLUMNS}


def read_paths(
    lines: Iterable[str],
    *,
    separator: str = ";",
    progress: Callable[[int], None] | None = None,
    every: int = 100_000,
) -> Iterator[PathRow]:
    """Yield one PathRow per data line; raise JourneyFileError naming the first bad line.

    Blank lines are skipped. `progress(rows read)` is called every `every` rows.
    """
    if len(separator) != 1:
        raise ValueError("the separator must be one character")
    reader = csv.reader(lines, delimiter=separator)
    header = next(reader, None)
    if header is None:
        raise JourneyFileError(1, "the file is empty (expected a header line)")
    raw_header = separator.join(header)
    columns = _header(header, separator, raw_header)
    width = len(header)
    count = 0
    for fields in reader:
        line = reader.line_num
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if len(fields) != width:
            joined = separator.join(fields)
            other = _other_separator(joined, separator)
            hint = f" (inconsistent separator: it contains {_describe(other)})" if other else ""
            raise JourneyFileError(
                line,
                f"expected {width} fields separated by {_describe(separator)}, "
                f"found {len(fields)}{hint}",
            )
        path = parse_path(fields[columns["path"]], line)
        conversions, value, nulls = (_number(fields[columns[c]], c, line) for c in NUMBER_COLUMNS)
        yield PathRow(path=path, conversions=conversions, value=value, nulls=nulls)
        count += 1
        if progress is not None and count % every == 0:
            progress(count)


def format_number(number: float) -> str:
    return f"{number:.2f}" if number != int(number) else str(int(number))


def write_paths(rows: Iterable[PathRow], out: Writable, *, separator: str = ";") -> int:
    """Write the header and one line per row; return the number of rows written.

    Channel names containing '>' get it replaced by U+203A so that the path reads back the same.
    """
    writer = csv.writer(out, delimiter=separator, lineterminator="\n")
    writer.writerow(COLUMNS)
    written = 0
    for row in rows:
        path = " > ".join(channel.replace(PATH_SEPARATOR, "\u203a").strip() for channel in row.path)
        writer.writerow(
            [
                path,
                format_number(row.conversions),
                format_number(row.value),
                format_number(row.nulls),
            ]
        )
        written += 1
    return written


def aggregate(journeys: Iterable[tuple[tuple[str, ...], float, float, float]]) -> list[PathRow]:
    """Sum (path, conversions, value, nulls) over identical paths; most frequent paths first."""
    totals: dict[tuple[str, ...], list[float]] = {}
    for path, conversions, value, nulls in journeys:
        entry = totals.setdefault(path, [0.0, 0.0, 0.0])
        entry[0] += conversions
        entry[1] += value
        entry[2] += nulls
    rows = [PathRow(path, c, v, n) for path, (c, v, n) in totals.items()]
    rows.sort(key=lambda r: (-(r.conversions + r.nulls), -r.value, r.path))
    return rows
