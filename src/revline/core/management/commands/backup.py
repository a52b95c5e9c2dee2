"""`revline backup [--output FILE]`: the whole workspace as one consistent, versioned archive."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from revline.core.backup import BackupError, TableReport, backup_default_name, backup_write


class Command(BaseCommand):
    help = "Write a consistent backup of the whole workspace to a zip archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            help="archive to write (default: revline-backup-<date>-<time>.zip here); "
            "a directory puts the default name in it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["output"] or backup_default_name())
        if target.is_dir():
            target = target / backup_default_name()
        if target.exists():
            raise CommandError(f"{target} already exists: choose another name")
        if not target.parent.is_dir():
            raise CommandError(f"{target.parent} is not a directory")

        def report(table: TableReport) -> None:
            if table.rows and options["verbosity"] >= 2:
                self.stdout.write(f"  {table.label}: {table.rows:,} rows")

        try:
            manifest = backup_write(path=target, progress=report)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(t["rows"] for t in manifest["tables"])
        self.stdout.write(
            f"Backup written to {target}: {rows:,} rows in {len(manifest['tables'])} tables "
            f"({target.stat().st_size / 1e6:.1f} MB)."
        )
