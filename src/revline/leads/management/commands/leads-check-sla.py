"""Flag open hand-offs past their SLA deadline and escalate them, once.

    revline leads-check-sla [--no-email]

The scheduler runs the same check every minute; this is for a cron setup or a manual run.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from revline.leads.handoff_services import handoffs_check_breaches


class Command(BaseCommand):
    help = "Flag open hand-offs nobody touched by their SLA deadline and escalate them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-email",
            action="store_true",
            help="Notify managers in the app only, without email",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        flagged = handoffs_check_breaches(email=not options["no_email"])
        noun = "hand-off" if flagged == 1 else "hand-offs"
        self.stdout.write(f"{flagged} {noun} newly flagged as past the SLA and escalated.")
