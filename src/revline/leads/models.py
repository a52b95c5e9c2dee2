from django.conf import settings
from django.db import models

from revline.people.models import LifecycleStage


class TransitionCause(models.TextChoices):
    PERSON = "person", "Person"
    RULE = "rule", "Rule"
    SCORE = "score", "Score"
    FORM = "form", "Form submission"
    DEAL = "deal", "Deal"
    IMPORT = "import", "Import"


class LifecycleTransition(models.Model):
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="lifecycle_transitions"
    )
    from_stage = models.CharField(max_length=20, choices=LifecycleStage.choices)
    to_stage = models.CharField(max_length=20, choices=LifecycleStage.choices)
    occurred_at = models.DateTimeField()
    cause = models.CharField(max_length=20, choices=TransitionCause.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["contact", "-occurred_at"])]
