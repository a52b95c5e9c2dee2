"""Reads behind the webhooks API: filtered endpoint, delivery and dead-letter lists."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from revline.core import permissions
from revline.core.models import Role, User

from .models import Delivery, Endpoint
from .selectors import DEAD

READERS_ONLY = "Only admins and marketers see webhooks."


def can_view_webhooks(user: User) -> bool:
    """As the settings pages: admins manage, marketers read."""
    return permissions.is_admin(user) or (user.is_active and user.role == Role.MARKETER)


def _ordered(queryset: QuerySet[Any], sort: str) -> QuerySet[Any]:
    return queryset.order_by(sort, "-pk" if sort.startswith("-") else "pk")


def endpoints_for_api() -> QuerySet[Endpoint]:
    return Endpoint.objects.select_related("created_by").annotate(
        dead=Count("deliveries", filter=Q(deliveries__status__in=DEAD))
    )


def endpoint_search(
    *, viewer: User, q: str = "", is_active: bool | None = None, sort: str = "url"
) -> QuerySet[Endpoint]:
    permissions.require(can_view_webhooks(viewer), READERS_ONLY)
    endpoints = endpoints_for_api()
    if q:
        endpoints = endpoints.filter(Q(url__icontains=q) | Q(description__icontains=q))
    if is_active is not None:
        endpoints = endpoints.filter(is_active=is_active)
    return _ordered(endpoints, sort)


def deliveries_for_api() -> QuerySet[Delivery]:
    return Delivery.objects.select_related("event", "endpoint")


def delivery_search(
    *,
    viewer: User,
    endpoint: Endpoint | None = None,
    dead_only: bool = False,
    q: str = "",
    status: str | None = None,
    type: str | None = None,
    endpoint_id: int | None = None,
    sort: str = "-created_at",
) -> QuerySet[Delivery]:
    """An endpoint's delivery log, or (dead_only) the failed and dead deliveries of all."""
    permissions.require(can_view_webhooks(viewer), READERS_ONLY)
    deliveries = deliveries_for_api()
    if endpoint is not None:
        deliveries = deliveries.filter(endpoint=endpoint)
    if dead_only:
        deliveries = deliveries.filter(status__in=DEAD)
    if q:
        deliveries = deliveries.filter(
            Q(event__type__icontains=q) | Q(last_error__icontains=q) | Q(endpoint__url__icontains=q)
        )
    if status:
        deliveries = deliveries.filter(status=status)
    if type:
        deliveries = deliveries.filter(event__type=type)
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    return _ordered(deliveries, sort)
