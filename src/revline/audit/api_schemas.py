"""API schemas for the audit log (read-only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from revline.core.schemas import Text200, UserRef

from .models import AuditAction

AuditSort = Literal[
    "occurred_at", "-occurred_at", "actor_label", "-actor_label", "action", "-action",
    "object_type", "-object_type",
]  # fmt: skip


class AuditEntryOut(Schema):
    id: int
    occurred_at: dt.datetime
    actor: UserRef | None
    actor_label: str = Field(description="Who it was, kept as text after the user is gone")
    action: AuditAction
    object_type: str = Field(description="app_label.model, e.g. sales.deal")
    object_id: str
    object_label: str
    changes: dict[str, Any] = Field(
        description="field → [old, new] (an update), [null, value] (a create) or "
        "[value, null] (a delete); secrets are masked"
    )
    ip: str | None
    request_id: str


class AuditFilters(Schema):
    q: Text200 = Field("", description="Matches the record's label or id")
    actor: Text200 = Field("", description="Part of the actor's name, or their exact email")
    action: AuditAction | None = None
    object_type: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = Field(
        "", description="app_label.model, e.g. sales.deal"
    )
    object_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = ""
    date_from: dt.date | None = Field(None, description="From this day (workspace time zone)")
    date_to: dt.date | None = Field(None, description="Up to and including this day")
    sort: AuditSort = "-occurred_at"
