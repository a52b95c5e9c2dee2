"""Train the predictive lead score now, in this process, and print its report.

    revline leads-train

Exits non-zero with the reason when the history is too thin for a model, when training fails,
or when another run is queued or training.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from revline.leads.models import ModelStatus
from revline.leads.predictive import ALGORITHM_LABELS
from revline.leads.predictive_services import predictive_retrain_request, predictive_train


class Command(BaseCommand):
    help = "Train the predictive lead score synchronously and print its held-out AUCs."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            # One transaction: the run is claimed and trained before the queued background task
            # can see it, so the worker finds it done and leaves it alone.
            with transaction.atomic():
                run = predictive_retrain_request(actor=None)
                trained = predictive_train(model_id=run.pk)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if trained is None:
            raise CommandError(f"Run {run.pk} was taken by another process.")
        report = trained.report if isinstance(trained.report, dict) else {}
        self.stdout.write(f"Run {trained.pk}: {trained.get_status_display()}")
        sizes = report.get("sizes", {})
        if sizes:
            self.stdout.write(
                "History: " + ", ".join(f"{name} {value}" for name, value in sorted(sizes.items()))
            )
        for candidate in report.get("candidates", []):
            self.stdout.write(f"  {candidate['label']}: AUC {candidate['auc']:.4f}")
        if trained.status != ModelStatus.READY:
            raise CommandError(trained.message or f"Training ended {trained.status}.")
        label = ALGORITHM_LABELS.get(trained.algorithm, trained.algorithm)
        self.stdout.write(f"Chosen: {label} (held-out AUC {trained.auc:.4f})")
        for warning in report.get("warnings", []):
            self.stdout.write(f"Warning: {warning}")
        self.stdout.write(trained.message)
