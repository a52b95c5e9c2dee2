"""`revline restore FILE [--force]`: load a backup into this (migrated) database."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from revline.core.backup import BackupError, TableReport, backup_restore
from revline.core.demo import database_is_empty


class Command(BaseCommand):
    help = (
        "Restore a backup made by `revline backup`. The database must be migrated to the same "
        "version; outbound email stays paused until an admin resumes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="the backup archive (.zip)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the data this database already holds",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["archive"])
        if not database_is_empty() and not options["force"]:
            raise CommandError(
                "This database already holds data; restoring replaces all of it. "
                "Run again with --force to do so."
            )

        def report(table: TableReport) -> None:
            if table.rows and options["verbosity"] >= 2:
                self.stdout.write(f"  {table.label}: {table.rows:,} rows")

        try:
            manifest = backup_restore(path=path, progress=report)
        except BackupError as exc:
            raise CommandError(f"Nothing was restored: {exc}") from exc
        rows = sum(t["rows"] for t in manifest["tables"])
        self.stdout.write(
            f"Restored {rows:,} rows from {path} (made {manifest.get('created_at')}). "
            "Outbound email is paused: an admin resumes it under Settings > Workspace."
        )
