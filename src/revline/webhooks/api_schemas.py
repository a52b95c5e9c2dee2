"""API schemas for webhook endpoints, deliveries and dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from revline.core.schemas import InputSchema, PatchSchema, Text200, UserRef

from .models import DeliveryStatus, EventType

Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    Field(description="http(s) URL of a public host; checked against SSRF on save"),
]
Subscribable = Literal[
    "contact.created",
    "contact.updated",
    "contact.lifecycle_changed",
    "form.submitted",
    "deal.stage_changed",
    "deal.won",
    "deal.lost",
    "quote.accepted",
    "email.unsubscribed",
]
EventTypes = Annotated[list[Subscribable], Field(min_length=1, max_length=20)]
EndpointSort = Literal["url", "-url", "created_at", "-created_at", "is_active", "-is_active"]
DeliverySort = Literal[
    "created_at",
    "-created_at",
    "last_attempt_at",
    "-last_attempt_at",
    "next_attempt_at",
    "-next_attempt_at",
    "attempts",
    "-attempts",
    "status",
    "-status",
]
DeadStatus = Literal["failed", "dead"]

EXAMPLE_ENDPOINT: dict[str, Any] = {
    "url": "https://hooks.example.com/revline",
    "event_types": ["deal.won", "contact.created"],
    "description": "Billing system",
    "is_active": True,
}


class EventTypeOut(Schema):
    type: str
    label: str


class EndpointIn(InputSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_ENDPOINT]})

    url: Url
    event_types: EventTypes
    description: Text200 = ""
    is_active: bool = True


class EndpointPatch(PatchSchema):
    """Only the fields sent are changed; a new URL is checked against SSRF again."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"is_active": False}]}
    )

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Text200 | None = None
    is_active: bool | None = None


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    dead_letters: int = Field(description="Failed and dead deliveries of this endpoint")
    previous_secret_expires_at: datetime | None = Field(
        description="After a rotation: until when the old secret still signs"
    )
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_dead_letters(obj: Any) -> int:
        return int(getattr(obj, "dead", 0) or 0)

    @staticmethod
    def resolve_previous_secret_expires_at(obj: Any) -> datetime | None:
        return obj.previous_secret_expires_at if obj.previous_secret else None


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(description="The signing secret; shown here once")


class SecretOut(Schema):
    secret: str = Field(examples=["whsec_…"])
    previous_secret_expires_at: datetime | None = Field(
        None, description="After a rotation: the old secret also signs until then"
    )


class EndpointFilters(Schema):
    q: Text200 = Field("", description="Matches URL or description")
    is_active: bool | None = None
    sort: EndpointSort = "url"


class EndpointRef(Schema):
    id: int
    url: str


class DeliveryOut(Schema):
    id: int
    event_id: UUID
    event_type: EventType
    endpoint: EndpointRef
    status: DeliveryStatus
    attempts: int
    replays: int
    last_status_code: int | None
    last_error: str
    first_attempt_at: datetime | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_event_type(obj: Any) -> str:
        return str(obj.event.type)


class DeliveryDetailOut(DeliveryOut):
    occurred_at: datetime
    payload: dict[str, Any]

    @staticmethod
    def resolve_occurred_at(obj: Any) -> datetime:
        return obj.event.occurred_at

    @staticmethod
    def resolve_payload(obj: Any) -> dict[str, Any]:
        return dict(obj.event.payload)


class DeliveryFilters(Schema):
    q: Text200 = Field("", description="Matches event type, error or endpoint URL")
    status: DeliveryStatus | None = None
    type: EventType | None = None
    sort: DeliverySort = "-created_at"


class DeadLetterFilters(Schema):
    q: Text200 = Field("", description="Matches event type, error or endpoint URL")
    status: DeadStatus | None = None
    type: EventType | None = None
    endpoint_id: int | None = None
    sort: DeliverySort = "-last_attempt_at"


class ReplayAllIn(InputSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"endpoint_id": 3}]})

    endpoint_id: int | None = Field(None, description="Only this endpoint's dead letters")


class ReplayedOut(Schema):
    replayed: int
