"""The suppression list and subscription topics over the JSON API. Marketers and admins read
and add; only admins remove an address from the suppression list."""

from datetime import datetime
from typing import Any, Literal

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from revline.core import permissions
from revline.core.api_support import api_user
from revline.core.models import User
from revline.core.schemas import ErrorOut, InputSchema, LimitOffset

from . import delivery_services as services
from .api_schemas import EmailTopicIn, EmailTopicPatch
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
    sort: Literal["address", "-address", "created_at", "-created_at"] = "address"


class SuppressionIn(InputSchema):
    address: str = Field(max_length=254, examples=["someone@example.com"])
    note: str = Field("", max_length=150, examples=["Asked by phone"])


class SuppressionRemoveIn(InputSchema):
    reason: str = Field(
        "", max_length=500, description="Required for unsubscribed and complaint entries"
    )


class EmailTopicOut(Schema):
    id: int
    name: str
    description: str
    opt_out_count: int

    @staticmethod
    def resolve_opt_out_count(obj: Any) -> int:
        count = getattr(obj, "opt_out_count", None)
        return obj.opt_outs.count() if count is None else int(count)


class EmailTopicFilters(Schema):
    q: str = Field("", max_length=200, description="Part of the name or description")
    sort: Literal["name", "-name"] = "name"


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
    rows = Suppression.objects.all()
    if filters.q:
        rows = rows.filter(address__icontains=filters.q.strip())
    if filters.reason:
        rows = rows.filter(reason=filters.reason)
    return rows.order_by(filters.sort, "-pk" if filters.sort.startswith("-") else "pk")


@router.get(
    "/email/suppressions/{int:suppression_id}",
    response={200: SuppressionOut, 403: ErrorOut, 404: ErrorOut},
)
def get_suppression(request: HttpRequest, suppression_id: int) -> Any:
    _marketer(request)
    return get_object_or_404(Suppression.objects.all(), pk=suppression_id)


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


def _topics() -> QuerySet[Topic]:
    return Topic.objects.annotate(opt_out_count=Count("opt_outs"))


@router.get("/email/topics", response={200: list[EmailTopicOut], 403: ErrorOut})
@paginate(LimitOffset)
def list_topics(request: HttpRequest, filters: Query[EmailTopicFilters]) -> Any:
    _marketer(request)
    rows = _topics()
    if filters.q:
        q = filters.q.strip()
        rows = rows.filter(Q(name__icontains=q) | Q(description__icontains=q))
    return rows.order_by(filters.sort, "-pk" if filters.sort.startswith("-") else "pk")


@router.post(
    "/email/topics",
    response={201: EmailTopicOut, **ERRORS},
    summary="Add a subscription topic to the preference centre",
)
def create_topic(request: HttpRequest, payload: EmailTopicIn) -> Any:
    actor = _marketer(request)
    topic = services.topic_create(actor=actor, **payload.model_dump())
    return Status(201, _topics().get(pk=topic.pk))


@router.get(
    "/email/topics/{int:topic_id}", response={200: EmailTopicOut, 403: ErrorOut, 404: ErrorOut}
)
def get_topic(request: HttpRequest, topic_id: int) -> Any:
    _marketer(request)
    return get_object_or_404(_topics(), pk=topic_id)


@router.patch("/email/topics/{int:topic_id}", response={200: EmailTopicOut, **ERRORS})
def update_topic(request: HttpRequest, topic_id: int, payload: EmailTopicPatch) -> Any:
    actor = _marketer(request)
    topic = get_object_or_404(Topic.objects.all(), pk=topic_id)
    data = {"name": topic.name, "description": topic.description}
    data.update(payload.model_dump(exclude_unset=True))
    services.topic_update(actor=actor, topic=topic, **data)
    return _topics().get(pk=topic.pk)


@router.delete(
    "/email/topics/{int:topic_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Delete a topic and its opt-outs; its emails go on without a topic",
)
def delete_topic(request: HttpRequest, topic_id: int) -> Any:
    actor = _marketer(request)
    topic = get_object_or_404(Topic.objects.all(), pk=topic_id)
    services.topic_delete(actor=actor, topic=topic)
    return Status(204, None)
