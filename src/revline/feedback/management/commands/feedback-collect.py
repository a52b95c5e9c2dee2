"""Back-fill the feedback inbox from lost deals, objections and deal notes recorded so far.

    revline feedback-collect [--themes]

Safe to run again: sources that already have their item are skipped.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from revline.feedback.models import RunStatus
from revline.feedback.services import feedback_collect_existing, themes_extract_now


class Command(BaseCommand):
    help = "Collect feedback from lost deals, objections and deal notes into the inbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--themes",
            action="store_true",
            help="Then find the themes of all feedback at once (instead of in the background)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = feedback_collect_existing()
        total = sum(counts.values())
        detail = ", ".join(f"{n} from {source.replace('_', ' ')}" for source, n in counts.items())
        self.stdout.write(f"{total} feedback items added ({detail}).")
        if options["themes"]:
            from django.core.exceptions import ValidationError

            try:
                run = themes_extract_now()
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stdout.write(run.message)
            if run.status not in (RunStatus.DONE,):
                raise CommandError(run.message)
