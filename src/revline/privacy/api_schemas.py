"""API schemas for privacy requests (export, erasure, objection)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints, model_validator

from revline.core.schemas import AwareDatetime, InputSchema, PatchSchema, Text200, UserRef

from .models import ReceivedVia, RequestKind, RequestStatus

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
RequestSort = Literal[
    "due_at", "-due_at", "requested_at", "-requested_at", "completed_at", "-completed_at"
]


class PrivacyRequestIn(InputSchema):
    """Export: recorded open; download the archive to answer it. Objection and erasure are
    carried out at once (an erasure deletes the contact for good and needs `confirm: true`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "export", "contact_id": 42, "received_via": "email"},
                {"kind": "erasure", "contact_id": 42, "confirm": True, "note": "Ticket 1234"},
            ]
        },
    )

    kind: RequestKind
    contact_id: int
    received_via: ReceivedVia = ReceivedVia.EMAIL
    requested_at: AwareDatetime | None = Field(
        None, description="When the request was received (default: now; not in the future)"
    )
    note: Note = ""
    confirm: bool = Field(False, description="Required (true) for an erasure")

    @model_validator(mode="after")
    def _erasure_confirmed(self) -> PrivacyRequestIn:
        if self.kind == RequestKind.ERASURE and not self.confirm:
            raise ValueError("An erasure deletes the person for good: send confirm: true.")
        return self


class PrivacyRequestPatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "Answered by post"}]}
    )

    note: Note | None = None


class PrivacyRequestOut(Schema):
    id: int
    kind: RequestKind
    status: RequestStatus
    contact_id: int | None = Field(description="Empty once the contact was erased")
    subject_label: str
    requested_at: datetime
    received_via: ReceivedVia
    due_at: datetime
    completed_at: datetime | None
    handled_by: UserRef | None
    note: str


class PrivacyRequestFilters(Schema):
    q: Text200 = Field("", description="Matches the subject, the contact's name or email, the note")
    kind: RequestKind | None = None
    status: Literal["open", "completed", "overdue"] | None = None
    contact_id: int | None = None
    sort: RequestSort = "due_at"
