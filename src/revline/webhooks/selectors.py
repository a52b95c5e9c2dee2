"""Webhook reads: the endpoint list, an endpoint's delivery log, the dead-letter list."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest

from revline.core.listing import Column, Listing, build_listing

from .models import Delivery, DeliveryStatus, Endpoint

ENDPOINT_COLUMNS = [
    Column("url", "Endpoint", "url"),
    Column("events", "Events"),
    Column("status", "Status", "is_active"),
    Column("dead", "Dead letters", "dead"),
    Column("created", "Created", "created_at"),
]
DELIVERY_COLUMNS = [
    Column("event", "Event", "event__type"),
    Column("status", "Status", "status"),
    Column("attempts", "Attempts", "attempts"),
    Column("code", "Last response", "last_status_code"),
    Column("last", "Last attempt", "last_attempt_at"),
    Column("next", "Next attempt", "next_attempt_at"),
    Column("created", "Created", "created_at"),
]
DEAD = (DeliveryStatus.FAILED, DeliveryStatus.DEAD)


def endpoint_get(*, pk: int) -> Endpoint | None:
    return Endpoint.objects.filter(pk=pk).first()


def endpoint_listing(request: HttpRequest) -> Listing:
    queryset = Endpoint.objects.annotate(
        dead=Count("deliveries", filter=Q(deliveries__status__in=DEAD))
    )
    return build_listing(
        request,
        queryset,
        columns=ENDPOINT_COLUMNS,
        search_fields=("url", "description"),
        filters={"active": "is_active"},
        default_sort="url",
    )


def delivery_listing(request: HttpRequest, *, endpoint: Endpoint) -> Listing:
    """An endpoint's delivery log: `?q=` over the event type and id, `?status=`, sort, page."""
    return build_listing(
        request,
        Delivery.objects.filter(endpoint=endpoint).select_related("event"),
        columns=DELIVERY_COLUMNS,
        search_fields=("event__type", "last_error"),
        filters={"status": "status", "type": "event__type"},
        default_sort="-created",
    )


def dead_letter_listing(request: HttpRequest) -> Listing:
    return build_listing(
        request,
        Delivery.objects.filter(status__in=DEAD).select_related("event", "endpoint"),
        columns=[Column("endpoint", "Endpoint", "endpoint__url"), *DELIVERY_COLUMNS],
        search_fields=("event__type", "endpoint__url", "last_error"),
        filters={"status": "status", "endpoint": "endpoint_id", "type": "event__type"},
        default_sort="-last",
    )


def delivery_counts(*, endpoint: Endpoint) -> dict[str, int]:
    rows = (
        Delivery.objects.filter(endpoint=endpoint)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = {status: 0 for status in DeliveryStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts
