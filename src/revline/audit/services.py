"""Writing the audit log. Services call these in their own transaction, so an entry exists
exactly when the change it describes was committed.

    before = snapshot(deal)
    ... change and save the deal ...
    audit_update(actor=actor, obj=deal, before=before)
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from . import context
from .diff import field_changes, values_of
from .models import AuditAction, AuditEntry

TOKEN_USE_INTERVAL = dt.timedelta(hours=1)
LABEL_MAX = 300


def json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    return str(value)


def _tracked_fields(obj: models.Model) -> list[models.Field[Any, Any]]:
    # The primary key is the entry's object id; fields stamped on every save are noise.
    return [
        f
        for f in obj._meta.concrete_fields
        if not f.primary_key and not getattr(f, "auto_now", False)
    ]


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The record's concrete field values by attname (`owner_id`, not `owner`), JSON-safe. Take
    it before a change and pass it to audit_update(); secrets are masked when recorded, not here,
    so that a changed password still shows as changed."""
    wanted = set(fields) if fields is not None else None
    values: dict[str, Any] = {}
    for field in _tracked_fields(obj):
        if wanted is not None and field.name not in wanted and field.attname not in wanted:
            continue
        values[field.attname] = json_safe(getattr(obj, field.attname))
    return values


def object_type(obj: models.Model) -> str:
    return obj._meta.label_lower


def _actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    name = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    username = actor.get_username() if hasattr(actor, "get_username") else str(actor)
    return (f"{name} ({username})" if name else username)[:200]


def _valid_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None


def audit_event(
    *,
    action: str,
    actor: Any = None,
    actor_label: str | None = None,
    object_type: str = "",
    object_id: str | int | None = "",
    object_label: str = "",
    changes: Mapping[str, Any] | None = None,
    ip: str | None = None,
    occurred_at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry. The address and request id default to the current request's."""
    if action not in AuditAction.values:
        raise ValueError(f"Unknown audit action {action!r}.")
    request = context.current()
    return AuditEntry.objects.create(
        occurred_at=occurred_at or timezone.now(),
        actor=actor if actor is not None and actor.pk is not None else None,
        actor_label=(actor_label if actor_label is not None else _actor_label(actor))[:200],
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id)[:64],
        object_label=object_label[:LABEL_MAX],
        changes=json_safe(dict(changes or {})),
        ip=_valid_ip(ip if ip is not None else (request.ip if request else None)),
        request_id=request.request_id if request else "",
    )


def _record(actor: Any, obj: models.Model, action: str, changes: Mapping[str, Any]) -> AuditEntry:
    return audit_event(
        action=action,
        actor=actor,
        object_type=object_type(obj),
        object_id=obj.pk,
        object_label=str(obj),
        changes=changes,
    )


def audit_create(*, actor: Any, obj: models.Model) -> AuditEntry:
    """Record a new record with its values ([None, value] per non-empty field)."""
    return _record(actor, obj, AuditAction.CREATE, values_of(snapshot(obj), created=True))


def audit_update(
    *,
    actor: Any,
    obj: models.Model,
    before: Mapping[str, Any],
    action: str = AuditAction.UPDATE,
    extra: Mapping[str, list[Any]] | None = None,
) -> AuditEntry | None:
    """Record the fields that differ from `before` (a snapshot()); nothing when none does.
    `extra` adds changes a snapshot cannot see (tags, many-to-many)."""
    changes = field_changes(before, snapshot(obj, fields=before.keys()), before.keys())
    changes.update(extra or {})
    if not changes:
        return None
    return _record(actor, obj, action, changes)


def audit_delete(*, actor: Any, obj: models.Model) -> AuditEntry:
    """Record a record about to be deleted, with its last values. Call before delete():
    afterwards the primary key is gone."""
    return _record(actor, obj, AuditAction.DELETE, values_of(snapshot(obj), created=False))


def audit_token_used(*, token: models.Model, user: Any, ip: str | None = None) -> bool:
    """Record a use of an API token, at most once per token per TOKEN_USE_INTERVAL; returns
    whether an entry was written."""
    since = timezone.now() - TOKEN_USE_INTERVAL
    recent = AuditEntry.objects.filter(
        object_type=object_type(token),
        object_id=str(token.pk),
        action=AuditAction.TOKEN_USED,
        occurred_at__gte=since,
    )
    if recent.exists():
        return False
    audit_event(
        action=AuditAction.TOKEN_USED,
        actor=user,
        object_type=object_type(token),
        object_id=token.pk,
        object_label=str(token),
        ip=ip,
    )
    return True
