"""Webhook endpoints, their delivery logs, dead letters and replays over the JSON API.

Admins manage; marketers read (as the settings pages). Secrets appear only in the answers of
create, reveal and rotate."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.core import permissions
from revline.core.api_support import api_user, related_or_422
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset

from . import api_selectors, services
from .api_schemas import (
    DeadLetterFilters,
    DeliveryDetailOut,
    DeliveryFilters,
    DeliveryOut,
    EndpointCreatedOut,
    EndpointFilters,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EventTypeOut,
    ReplayAllIn,
    ReplayedOut,
    SecretOut,
)
from .models import Endpoint, EventType

router = Router(tags=["webhooks"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
READ_ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut}


def _reader(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(api_selectors.can_view_webhooks(user), api_selectors.READERS_ONLY)
    return user


def _admin(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(permissions.is_admin(user), services.ADMINS_ONLY)
    return user


def _endpoint(endpoint_id: int) -> Endpoint:
    return get_object_or_404(api_selectors.endpoints_for_api(), pk=endpoint_id)


@router.get(
    "/webhooks/event-types",
    response={200: list[EventTypeOut], 403: ErrorOut},
    summary="Event types an endpoint can subscribe to",
)
def list_event_types(request: HttpRequest) -> Any:
    _reader(request)
    labels = dict(EventType.choices)
    return [{"type": t, "label": labels[t]} for t in services.SUBSCRIBABLE]


@router.get(
    "/webhooks/endpoints",
    response={200: list[EndpointOut], 403: ErrorOut},
    summary="Webhook endpoints",
)
@paginate(LimitOffset)
def list_endpoints(request: HttpRequest, filters: Query[EndpointFilters]) -> Any:
    return api_selectors.endpoint_search(viewer=_reader(request), **filters.model_dump())


@router.post(
    "/webhooks/endpoints",
    response={201: EndpointCreatedOut, **ERRORS},
    summary="Create an endpoint; the answer holds its signing secret, shown once",
)
def create_endpoint(request: HttpRequest, payload: EndpointIn) -> Any:
    actor = _admin(request)
    endpoint = services.endpoint_create(actor=actor, **payload.model_dump())
    created = _endpoint(endpoint.pk)
    created.secret = endpoint.secret
    return Status(201, created)


@router.get(
    "/webhooks/endpoints/{int:endpoint_id}",
    response={200: EndpointOut, **READ_ERRORS},
    summary="One endpoint (without its secret)",
)
def get_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    _reader(request)
    return _endpoint(endpoint_id)


@router.patch(
    "/webhooks/endpoints/{int:endpoint_id}",
    response={200: EndpointOut, **ERRORS},
    summary="Change an endpoint's URL, events, description or status",
)
def update_endpoint(request: HttpRequest, endpoint_id: int, payload: EndpointPatch) -> Any:
    actor = _admin(request)
    endpoint = _endpoint(endpoint_id)
    data = {
        "url": endpoint.url,
        "event_types": endpoint.event_types,
        "description": endpoint.description,
        "is_active": endpoint.is_active,
        **payload.model_dump(exclude_unset=True),
    }
    services.endpoint_update(actor=actor, endpoint=endpoint, **data)
    return _endpoint(endpoint.pk)


@router.delete(
    "/webhooks/endpoints/{int:endpoint_id}",
    response={204: None, **READ_ERRORS},
    summary="Delete an endpoint and its delivery log",
)
def delete_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    actor = _admin(request)
    services.endpoint_delete(actor=actor, endpoint=_endpoint(endpoint_id))
    return Status(204, None)


@router.post(
    "/webhooks/endpoints/{int:endpoint_id}/secret",
    response={200: SecretOut, **READ_ERRORS},
    summary="Reveal the endpoint's signing secret",
)
def reveal_secret(request: HttpRequest, endpoint_id: int) -> Any:
    actor = _admin(request)
    endpoint = _endpoint(endpoint_id)
    secret = services.endpoint_secret_reveal(actor=actor, endpoint=endpoint)
    expires = services.previous_secret_in_grace(endpoint, now=_now())
    return {
        "secret": secret,
        "previous_secret_expires_at": endpoint.previous_secret_expires_at if expires else None,
    }


@router.post(
    "/webhooks/endpoints/{int:endpoint_id}/rotate-secret",
    response={200: SecretOut, **READ_ERRORS},
    summary="Replace the signing secret; the old one also signs for 24 hours",
)
def rotate_secret(request: HttpRequest, endpoint_id: int) -> Any:
    actor = _admin(request)
    endpoint = _endpoint(endpoint_id)
    secret = services.endpoint_secret_rotate(actor=actor, endpoint=endpoint)
    return {"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at}


@router.post(
    "/webhooks/endpoints/{int:endpoint_id}/test",
    response={201: DeliveryOut, **READ_ERRORS},
    summary="Send a webhook.test event to this endpoint",
)
def send_test(request: HttpRequest, endpoint_id: int) -> Any:
    actor = _admin(request)
    delivery = services.endpoint_send_test(actor=actor, endpoint=_endpoint(endpoint_id))
    return Status(201, api_selectors.deliveries_for_api().get(pk=delivery.pk))


@router.get(
    "/webhooks/endpoints/{int:endpoint_id}/deliveries",
    response={200: list[DeliveryOut], **READ_ERRORS},
    summary="An endpoint's delivery log",
)
@paginate(LimitOffset)
def list_deliveries(request: HttpRequest, endpoint_id: int, filters: Query[DeliveryFilters]) -> Any:
    viewer = _reader(request)
    endpoint = _endpoint(endpoint_id)
    return api_selectors.delivery_search(viewer=viewer, endpoint=endpoint, **filters.model_dump())


@router.get(
    "/webhooks/deliveries/{int:delivery_id}",
    response={200: DeliveryDetailOut, **READ_ERRORS},
    summary="One delivery with its event payload",
)
def get_delivery(request: HttpRequest, delivery_id: int) -> Any:
    _reader(request)
    return get_object_or_404(api_selectors.deliveries_for_api(), pk=delivery_id)


@router.post(
    "/webhooks/deliveries/{int:delivery_id}/replay",
    response={200: DeliveryOut, **ERRORS},
    summary="Replay a failed or dead delivery (same event id, a fresh 3-day window)",
)
def replay_delivery(request: HttpRequest, delivery_id: int) -> Any:
    actor = _admin(request)
    delivery = get_object_or_404(api_selectors.deliveries_for_api(), pk=delivery_id)
    services.delivery_replay(actor=actor, delivery=delivery)
    return api_selectors.deliveries_for_api().get(pk=delivery.pk)


@router.get(
    "/webhooks/dead-letters",
    response={200: list[DeliveryOut], 403: ErrorOut},
    summary="Failed and dead deliveries of every endpoint",
)
@paginate(LimitOffset)
def list_dead_letters(request: HttpRequest, filters: Query[DeadLetterFilters]) -> Any:
    return api_selectors.delivery_search(
        viewer=_reader(request), dead_only=True, **filters.model_dump()
    )


@router.post(
    "/webhooks/dead-letters/replay",
    response={200: ReplayedOut, **ERRORS},
    summary="Replay every dead letter (of one endpoint, if given)",
)
def replay_dead_letters(request: HttpRequest, payload: ReplayAllIn) -> Any:
    actor = _admin(request)
    endpoint = related_or_422(Endpoint.objects.all(), payload.endpoint_id, field="endpoint_id")
    return {"replayed": services.deliveries_replay_all(actor=actor, endpoint=endpoint)}


def _now() -> datetime:
    return timezone.now()
