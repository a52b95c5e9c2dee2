"""Run the attribution engine on a journey file, from anywhere.

    revline attribution journeys.csv [--sep ';'] [--models markov,shapley] [--order 2]
                                     [--half-life 7] [--json]

The file: a header `path;total_conversions;total_conversion_value;total_null`, then one line per
path, channels separated by '>' ("search > email > direct"). `-` reads standard input.
--json prints {model: {channel: {"conversions": x, "value": y}}}, plus a top-level
"removal_effects": {channel: effect} when the Markov model runs.
"""

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError

from revline.analytics.engine import MODEL_LABELS, MODELS, AttributionResult, PathRow, attribute
from revline.analytics.engine.journeys_io import JourneyFileError, read_paths

# The journey file carries no touch times, so time decay has nothing to weigh.
FILE_MODELS = tuple(m for m in MODELS if m != "time_decay")


def _separator(text: str) -> str:
    separator = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(separator) != 1:
        raise CommandError(f"--sep must be one character, got {text!r}")
    if separator in '>"\r\n ':
        raise CommandError(f"--sep cannot be {text!r}")
    return separator


def _models(text: str) -> list[str]:
    models = [m.strip() for m in text.split(",") if m.strip()]
    if not models:
        raise CommandError("--models is empty")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise CommandError(
            f"unknown model(s): {', '.join(unknown)}; choose from {', '.join(FILE_MODELS)}"
        )
    if "time_decay" in models:
        raise CommandError(
            "time_decay needs the time of each touch, which a journey file does not carry"
        )
    return list(dict.fromkeys(models))


def _grouped(number: float) -> str:
    return f"{number:,.2f}"


class Command(BaseCommand):
    help = "Attribute conversions and value to channels from a journey CSV file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="journey CSV file, or - for standard input")
        parser.add_argument("--sep", default=";", help="column separator (default ';'; \\t: tab)")
        parser.add_argument(
            "--models",
            default=",".join(FILE_MODELS),
            help=f"comma-separated models (default: {','.join(FILE_MODELS)})",
        )
        parser.add_argument("--order", type=int, default=1, help="Markov chain order (default 1)")
        parser.add_argument(
            "--half-life", type=float, default=7.0, help="time-decay half-life in days"
        )
        parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
        parser.add_argument(
            "--progress-every",
            type=int,
            default=100_000,
            help="print a progress line on stderr every N rows (default 100000)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        separator = _separator(options["sep"])
        models = _models(options["models"])
        if options["order"] < 1:
            raise CommandError("--order must be 1 or more")
        if options["progress_every"] < 1:
            raise CommandError("--progress-every must be 1 or more")
        rows = self._read(options["file"], separator, options["progress_every"])
        conversions = sum(r.conversions for r in rows)
        if conversions == 0:
            nulls = sum(r.nulls for r in rows)
            raise CommandError(
                f"the file has no conversions ({len(rows)} paths, {nulls:g} non-converting "
                "journeys): there is nothing to attribute"
            )
        result = attribute(rows, models=models, markov_order=options["order"])
        if options["json"]:
            self.stdout.write(json.dumps(as_json(result), indent=2))
            return
        self._tables(result, len(rows), options["order"])

    def _read(self, name: str, separator: str, every: int) -> list[PathRow]:
        def progress(count: int) -> None:
            self.stderr.write(f"\rread {count:,} rows", ending="")
            self.stderr.flush()

        try:
            if name == "-":
                return self._read_from(sys.stdin, separator, progress, every)
            try:
                with Path(name).open(newline="", encoding="utf-8") as handle:
                    return self._read_from(handle, separator, progress, every)
            except FileNotFoundError:
                raise CommandError(f"{name}: no such file") from None
            except IsADirectoryError:
                raise CommandError(f"{name}: is a directory") from None
            except UnicodeDecodeError as exc:
                raise CommandError(f"{name}: not UTF-8 text ({exc.reason})") from None
        except JourneyFileError as exc:
            raise CommandError(f"{name}: {exc}") from None

    def _read_from(
        self, handle: TextIO, separator: str, progress: Any, every: int
    ) -> list[PathRow]:
        rows = list(read_paths(handle, separator=separator, progress=progress, every=every))
        if len(rows) >= every:
            self.stderr.write(f"\rread {len(rows):,} rows, attributing…")
        return rows

    def _tables(self, result: AttributionResult, paths: int, order: int) -> None:
        write = self.stdout.write
        write(
            f"{paths:,} paths: {_grouped(result.total_conversions)} conversions worth "
            f"{_grouped(result.total_value)}, {_grouped(result.total_nulls)} without conversion"
        )
        for warning in result.warnings:
            write(f"Warning: {warning}")
        for model, credits in result.credits.items():
            title = MODEL_LABELS[model] + (f" (order {order})" if model == "markov" else "")
            markov = model == "markov"
            write("")
            write(title)
            header = f"  {'channel':<24} {'conversions':>14} {'value':>16} {'share':>7}"
            write(header + (f" {'removal effect':>15}" if markov else ""))
            ranked = sorted(credits.items(), key=lambda item: (-item[1].conversions, item[0]))
            for channel, credit in ranked:
                share = credit.conversions / result.total_conversions
                line = (
                    f"  {channel:<24} {_grouped(credit.conversions):>14} "
                    f"{_grouped(credit.value):>16} {share:>7.1%}"
                )
                if markov:
                    line += f" {result.removal_effects[channel]:>15.4f}"
                write(line)
            if markov and result.conversion_probability is not None:
                write(f"  conversion probability from start: {result.conversion_probability:.6f}")


def as_json(result: AttributionResult) -> dict[str, Any]:
    """{model: {channel: {"conversions": x, "value": y}}}, and "removal_effects" for Markov."""
    document: dict[str, Any] = {
        model: {
            channel: {"conversions": credit.conversions, "value": credit.value}
            for channel, credit in credits.items()
        }
        for model, credits in result.credits.items()
    }
    if "markov" in result.credits:
        document["removal_effects"] = dict(result.removal_effects)
    return document
