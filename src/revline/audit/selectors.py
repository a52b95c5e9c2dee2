"""Reading the audit log. Admins only: entries show values of every kind of record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet

from revline.core import permissions
from revline.core.dates import day_start
from revline.core.models import User

from .models import AuditAction, AuditEntry

HISTORY_SIZE = 10


def can_read_audit(user: User) -> bool:
    return permissions.is_admin(user)


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        return None


def filters_from(params: Mapping[str, str]) -> tuple[AuditFilters, dict[str, str]]:
    """The filters in a query string, and an error per bad value (which is then ignored)."""
    errors: dict[str, str] = {}
    dates: dict[str, dt.date | None] = {}
    for key in ("from", "to"):
        raw = params.get(key, "")
        dates[key] = _parse_date(raw)
        if raw.strip() and dates[key] is None:
            errors[key] = "Enter a date as YYYY-MM-DD."
    action = params.get("action", "")
    if action and action not in AuditAction.values:
        errors["action"] = "Unknown action."
        action = ""
    filters = AuditFilters(
        actor=params.get("actor", "").strip()[:200],
        object_type=params.get("type", "").strip().lower()[:100],
        object_id=params.get("object_id", "").strip()[:64],
        action=action,
        date_from=dates["from"],
        date_to=dates["to"],
    )
    return filters, errors


def audit_entries(*, viewer: User, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """The entries matching `filters`; dates are whole days in the workspace's time zone."""
    permissions.require(can_read_audit(viewer), "Only admins can read the audit log.")
    qs = AuditEntry.objects.select_related("actor")
    if filters.actor:
        qs = qs.filter(
            Q(actor_label__icontains=filters.actor) | Q(actor__email__iexact=filters.actor)
        )
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.date_from:
        qs = qs.filter(occurred_at__gte=day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(occurred_at__lt=day_start(filters.date_to + dt.timedelta(days=1)))
    return qs


def object_types() -> list[str]:
    return list(
        AuditEntry.objects.exclude(object_type="")
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )


def record_history(*, viewer: User, obj: Model, limit: int = HISTORY_SIZE) -> list[AuditEntry]:
    """The latest entries about one record (newest first); empty for non-admins."""
    if not can_read_audit(viewer) or obj.pk is None:
        return []
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("-occurred_at", "-pk")[:limit]
    )
