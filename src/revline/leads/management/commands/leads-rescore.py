"""Recompute lead scores from the rules as stored now.

    revline leads-rescore                 every contact's fit score (idempotent)
    revline leads-rescore --engagement    rebuild every score from scratch: fit, and engagement
                                          by replaying all touchpoints in time order

The rebuild replaces the score history (the explanation lines) and runs no hooks: contacts whose
score crosses the MQL threshold are not qualified by it.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from revline.leads.scoring_services import contacts_rescore_all, fit_scores_recompute_all
from revline.people.models import Contact


class Command(BaseCommand):
    help = "Recompute every contact's fit score; with --engagement, rebuild engagement too."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--engagement",
            action="store_true",
            help="Also rebuild engagement from all touchpoints (replaces the score history)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        contacts = Contact.objects.count()
        if options["engagement"]:
            hits = contacts_rescore_all()
            self.stdout.write(
                f"Rebuilt the scores of {contacts} contact(s): "
                f"{hits} engagement rule hit(s) replayed from touchpoints."
            )
            return
        changed = fit_scores_recompute_all()
        self.stdout.write(f"Recomputed the fit score of {contacts} contact(s): {changed} changed.")
