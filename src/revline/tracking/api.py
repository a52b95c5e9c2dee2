"""Touchpoints over the JSON API, read-only: they are recorded by the tracking endpoints, links,
emails and forms, never written by hand. A touchpoint of a contact the caller may not see is
hidden like the contact; anonymous ones (no contact yet) are visible to all."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from revline.core import visibility
from revline.core.api_support import api_user
from revline.core.models import User
from revline.core.schemas import AwareDatetime, ErrorOut, LimitOffset, Text200

from .models import Touchpoint, TouchpointKind

router = Router()

TouchpointSort = Literal["-occurred_at", "occurred_at"]


class TouchpointFilters(Schema):
    contact_id: int | None = None
    campaign_id: int | None = None
    visitor_id: UUID | None = None
    kind: TouchpointKind | None = None
    channel: Text200 = Field("", description="e.g. email, paid_search, organic")
    occurred_after: AwareDatetime | None = Field(None, description="At or after this time")
    occurred_before: AwareDatetime | None = Field(None, description="Before this time")
    sort: TouchpointSort = "-occurred_at"


class TouchpointOut(Schema):
    id: int
    kind: TouchpointKind
    occurred_at: datetime
    contact_id: int | None
    visitor_id: UUID | None
    campaign_id: int | None
    link_id: int | None
    creative_id: int | None
    content_item_id: int | None
    channel: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_content: str
    utm_term: str
    url: str
    referrer: str
    params: dict[str, Any]


def _visible_touchpoints(user: User) -> QuerySet[Touchpoint]:
    condition = visibility.contact_q(user, "contact__")
    touchpoints = Touchpoint.objects.all()
    # An empty condition means "no restriction"; OR-ing it would also mean that, so test first.
    if condition:
        touchpoints = touchpoints.filter(condition | Q(contact__isnull=True))
    return touchpoints


@router.get(
    "/touchpoints",
    response=list[TouchpointOut],
    tags=["touchpoints"],
    summary="Touchpoints (page views, clicks, form submissions, email opens, …), newest first",
)
@paginate(LimitOffset)
def list_touchpoints(request: HttpRequest, filters: Query[TouchpointFilters]) -> Any:
    touchpoints = _visible_touchpoints(api_user(request))
    values = filters.model_dump()
    for field in ("contact_id", "campaign_id", "visitor_id", "kind"):
        if values[field] is not None:
            touchpoints = touchpoints.filter(**{field: values[field]})
    if values["channel"]:
        touchpoints = touchpoints.filter(channel=values["channel"])
    if values["occurred_after"] is not None:
        touchpoints = touchpoints.filter(occurred_at__gte=values["occurred_after"])
    if values["occurred_before"] is not None:
        touchpoints = touchpoints.filter(occurred_at__lt=values["occurred_before"])
    tie_break = "-pk" if values["sort"].startswith("-") else "pk"
    return touchpoints.order_by(values["sort"], tie_break)


@router.get(
    "/touchpoints/{int:touchpoint_id}",
    response={200: TouchpointOut, 404: ErrorOut},
    tags=["touchpoints"],
    summary="One touchpoint",
)
def get_touchpoint(request: HttpRequest, touchpoint_id: int) -> Any:
    return get_object_or_404(_visible_touchpoints(api_user(request)), pk=touchpoint_id)
