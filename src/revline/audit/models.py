"""The audit log: who changed what and when. Rows are written once and never changed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    TOKEN_USED = "token_used", "API token used"
    PERMISSION_CHANGE = "permission_change", "Permission change"
    SETTING_CHANGE = "setting_change", "Setting change"


class AuditImmutableError(Exception):
    """An audit entry was about to be changed or deleted."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    """One recorded action. `changes` maps a field to [old, new] (an update) or to its value
    (a create or delete: [None, value] / [value, None]); secrets are masked before they get here.

    The actor's name is kept as text, so an entry still says who it was after the user is gone.
    A privacy erasure may redact a person's name and email in these rows (GDPR art. 17); that
    is the one change ever made to them, and it goes through a queryset update, not save()."""

    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=30, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, blank=True, help_text="app_label.model")
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name_plural = "audit entries"
        default_permissions = ("add", "view")
        indexes = [
            models.Index(
                fields=["object_type", "object_id", "-occurred_at"], name="audit_record_idx"
            ),
            models.Index(fields=["-occurred_at"], name="audit_time_idx"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{AuditAction(self.action).label} {self.object_type}#{self.object_id} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditImmutableError("Audit entries cannot be deleted.")

    def change_rows(self) -> list[tuple[str, Any, Any]]:
        """(field, old, new) per recorded change, for display; other details as (key, None, value)."""
        rows: list[tuple[str, Any, Any]] = []
        for field, value in sorted((self.changes or {}).items()):
            if isinstance(value, list) and len(value) == 2:
                rows.append((field, value[0], value[1]))
            else:
                rows.append((field, None, value))
        return rows
