"""Export the workspace's journeys in the `revline attribution` file format.

    revline journeys export [--out FILE] [--by channel|campaign|creative|content]
                            [--since YYYY-MM-DD] [--sep ';']

The journeys the app's attribution reports use (analytics.journeys): one converting path per won
deal (its contact's touches up to the close, worth the deal's amount in the workspace currency)
and one null path per contact with touches who never won a deal; one line per distinct path.
"""

from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from revline.analytics.engine.journeys_io import aggregate, write_paths
from revline.analytics.journeys import DIMENSIONS, workspace_journeys


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--since {text!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Export the workspace's journeys as a path;conversions;value;nulls CSV file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["export"])
        parser.add_argument("--out", help="file to write (default: standard output)")
        parser.add_argument("--by", choices=list(DIMENSIONS), default="channel")
        parser.add_argument(
            "--since",
            help="only deals won from this day on (and non-converting journeys touched since)",
        )
        parser.add_argument("--sep", default=";", help="column separator (default ';')")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _day(options["since"]) if options["since"] else None
        separator = {"\\t": "\t", "tab": "\t"}.get(options["sep"], options["sep"])
        if len(separator) != 1 or separator in '>"\r\n ':
            raise CommandError(
                f"--sep must be one character other than '>', got {options['sep']!r}"
            )
        journeys = workspace_journeys(dimension=options["by"], start=since)
        # Keys are ids for campaigns, creatives and content: the file carries their names.
        rows = aggregate(
            (tuple(journeys.labels.get(k, k) for k in r.path), r.conversions, r.value, r.nulls)
            for r in journeys.rows
            if r.path
        )
        if options["out"]:
            target = Path(options["out"])
            if target.is_dir():
                raise CommandError(f"{target}: is a directory")
            # Written to a temporary name first: a failed export leaves no half-written file.
            partial = target.with_name(target.name + ".partial")
            try:
                with partial.open("w", newline="", encoding="utf-8") as handle:
                    written = write_paths(rows, handle, separator=separator)
                partial.replace(target)
            except OSError as exc:
                partial.unlink(missing_ok=True)
                raise CommandError(f"{target}: {exc.strerror}") from None
            self.stderr.write(f"wrote {written:,} paths to {target}")
        else:
            write_paths(rows, self.stdout, separator=separator)
