"""The suppression list and topics over the JSON API. Marketers and admins read and add;
only admins remove an address from the suppression list."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from revline.core import permissions
from revline.core.api_support import api_user
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset

from . import delivery_services as services
from .models import Suppression, SuppressionReason, Topic

router = Router(tags=["email"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class SuppressionOut(Schema):
    id: int
    address: str
    reason: SuppressionReason
    source: str
    send_id: int | None
    created_at: datetime


class SuppressionFilters(Schema):
    q: str = Field("", max_length=200, description="Part of the address")
    reason: SuppressionReason | None = None


class SuppressionIn(Schema):
    address: str = Field(max_length=254)
    note: str = Field("", max_length=150)


class SuppressionRemoveIn(Schema):
    reason: str = Field(
        "", max_length=500, description="Required for unsubscribed and complaint entries"
    )


class TopicOut(Schema):
    id: int
    name: str
    description: str


def _marketer(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(
        permissions.can_manage_marketing(user),
        "Only marketers and admins manage the suppression list and topics.",
    )
    return user


@router.get("/email/suppressions", response={200: list[SuppressionOut], 403: ErrorOut})
@paginate(LimitOffset)
def list_suppressions(request: HttpRequest, filters: Query[SuppressionFilters]) -> Any:
    _marketer(request)
    rows = Suppression.objects.order_by("address")
    if filters.q:
        rows = rows.filter(address__icontains=filters.q.strip())
    if filters.reason:
        rows = rows.filter(reason=filters.reason)
    return rows


@router.post("/email/suppressions", response={201: SuppressionOut, **ERRORS})
def add_suppression(request: HttpRequest, payload: SuppressionIn) -> Any:
    actor = _marketer(request)
    row = services.suppression_add_manual(actor=actor, address=payload.address, note=payload.note)
    return Status(201, row)


@router.post("/email/suppressions/{suppression_id}/remove", response={204: None, **ERRORS})
def remove_suppression(
    request: HttpRequest, suppression_id: int, payload: SuppressionRemoveIn
) -> Any:
    actor = api_user(request)
    permissions.require(
        permissions.is_admin(actor), "Only admins can remove addresses from the suppression list."
    )
    row = get_object_or_404(Suppression, pk=suppression_id)
    services.suppression_remove(actor=actor, suppression=row, reason=payload.reason)
    return Status(204, None)


@router.get("/email/topics", response={200: list[TopicOut], 403: ErrorOut})
def list_topics(request: HttpRequest) -> Any:
    _marketer(request)
    return Topic.objects.order_by("name")
