"""Webhook writes: endpoints, the event outbox (`event_emit`), delivery attempts and replays."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from revline.audit.models import AuditAction
from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User

from . import delivery as wire
from .models import Delivery, DeliveryStatus, Endpoint, Event, EventType, secret_generate
from .ssrf import UnsafeDestination, destination_check

ADMINS_ONLY = "Only admins manage webhooks."
SUBSCRIBABLE = [value for value in EventType.values if value != EventType.WEBHOOK_TEST]
# An attempt in flight holds its delivery this long (longer than any request may take): a
# worker that dies mid-attempt leaves the delivery due again afterwards (at-least-once).
LEASE = timedelta(minutes=5)
ERROR_LENGTH = 500
# How long the replaced secret keeps signing after a rotation.
SECRET_GRACE = timedelta(hours=24)


def allow_loopback() -> bool:
    return bool(getattr(settings, "REVLINE_WEBHOOKS_ALLOW_LOOPBACK", False))


def request_timeout() -> float:
    return float(getattr(settings, "REVLINE_WEBHOOKS_TIMEOUT", 10))


def _clean(*, url: str, description: str, event_types: list[str]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    url = url.strip()
    try:
        destination_check(url, allow_loopback=allow_loopback())
    except UnsafeDestination as exc:
        errors["url"] = str(exc)
    unknown = [t for t in event_types if t not in SUBSCRIBABLE]
    if unknown:
        errors["event_types"] = f"Unknown event type: {', '.join(sorted(unknown))}."
    elif not event_types:
        errors["event_types"] = "Choose at least one event type."
    if len(url) > 2000:
        errors["url"] = "The URL is too long (2,000 characters at most)."
    if errors:
        raise ValidationError(errors)
    ordered = [t for t in SUBSCRIBABLE if t in set(event_types)]
    return {"url": url, "description": description.strip()[:200], "event_types": ordered}


@transaction.atomic
def endpoint_create(
    *, actor: User, url: str, event_types: list[str], description: str = "", is_active: bool = True
) -> Endpoint:
    """A new endpoint with a fresh secret. The URL must pass the SSRF check now (and again at
    every delivery)."""
    permissions.require(permissions.is_admin(actor), ADMINS_ONLY)
    fields = _clean(url=url, description=description, event_types=event_types)
    endpoint = Endpoint.objects.create(created_by=actor, is_active=is_active, **fields)
    audit_create(actor=actor, obj=endpoint)
    return endpoint


@transaction.atomic
def endpoint_update(
    *,
    actor: User,
    endpoint: Endpoint,
    url: str,
    event_types: list[str],
    description: str = "",
    is_active: bool = True,
) -> Endpoint:
    permissions.require(permissions.is_admin(actor), ADMINS_ONLY)
    fields = _clean(url=url, description=description, event_types=event_types)
    before = snapshot(endpoint, fields=["url", "description", "event_types", "is_active"])
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.is_active = is_active
    endpoint.save()
    audit_update(actor=actor, obj=endpoint, before=before)
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: User, endpoint: Endpoint) -> None:
    permissions.require(permissions.is_admin(actor), ADMINS_ONLY)
    audit_delete(actor=actor, obj=endpoint)
    endpoint.delete()


def endpoint_secret_reveal(*, actor: User, endpoint: Endpoint) -> str:
    permissions.require(permissions.is_admin(actor), ADMINS_ONLY)
    return endpoint.secret


@transaction.atomic
def endpoint_secret_rotate(*, actor: User, endpoint: Endpoint) -> str:
    """Give the endpoint a new secret and return it (the caller shows it once). For the next
    SECRET_GRACE the replaced secret keeps signing too, as a second `v1=` value of the
    signature header; a second rotation within that time ends the older grace at once."""
    permissions.require(permissions.is_admin(actor), ADMINS_ONLY)
    locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = snapshot(locked, fields=["secret", "previous_secret", "previous_secret_expires_at"])
    locked.previous_secret = locked.secret
    locked.previous_secret_expires_at = timezone.now() + SECRET_GRACE
    locked.secret = secret_generate()
    locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    audit_update(actor=actor, obj=locked, before=before, action=AuditAction.SETTING_CHANGE)
    endpoint.secret = locked.secret
    endpoint.previous_secret = locked.previous_secret
    endpoint.previous_secret_expires_at = locked.previous_secret_expires_at
    return locked.secret


def previous_secret_in_grace(endpoint: Endpoint, *, now: datetime) -> str:
    """The replaced secret while it still signs, else ""."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        return endpoint.previous_secret
    return ""


def _enqueue(delivery_ids: list[int]) -> None:
    from .tasks import webhook_deliver_task

    for delivery_id in delivery_ids:
        webhook_deliver_task.enqueue(delivery_id)


def _deliveries_create(*, event: Event, endpoints: list[Endpoint], now: datetime) -> None:
    deliveries = Delivery.objects.bulk_create(
        [Delivery(event=event, endpoint=endpoint, next_attempt_at=now) for endpoint in endpoints]
    )
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _enqueue(ids))


def event_emit(*, type: str, payload: dict[str, Any], occurred_at: datetime | None = None) -> None:
    """Record that `type` happened, in the caller's transaction (a rollback removes it), with one
    pending delivery per active endpoint subscribed to it; delivery starts after the commit.
    Nothing is written when no endpoint subscribes: there is no one to tell."""
    if type not in EventType.values:
        raise ValueError(f"{type!r} is not a webhook event type.")
    endpoints = [e for e in Endpoint.objects.filter(is_active=True) if type in e.event_types]
    if not endpoints:
        return
    now = timezone.now()
    with transaction.atomic():
        event = Event.objects.create(type=type, payload=payload, occurred_at=occurred_at or now)
        _deliveries_create(event=event, endpoints=endpoints, now=now)


@transaction.atomic
def endpoint_send_test(*, actor: User, endpoint: Endpoint) -> Delivery:
    """A `webhook.test` event for this endpoint only (whatever it subscribes to)."""
    permissions.require(permissions.is_admin(actor), ADMINS_ONLY)
    now = timezone.now()
    event = Event.objects.create(
        type=EventType.WEBHOOK_TEST,
        payload={"endpoint": endpoint.pk, "sent_by": actor.get_username()},
        occurred_at=now,
    )
    _deliveries_create(event=event, endpoints=[endpoint], now=now)
    return Delivery.objects.get(event=event, endpoint=endpoint)


def _outbound_paused() -> bool:
    from revline.core.workspace import workspace_get

    return workspace_get().outbound_paused_at is not None


def _claim(*, delivery_id: int, now: datetime, token: str | None) -> bool:
    due = Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True)
    if token:
        due |= Q(next_attempt_at=datetime.fromisoformat(token))
    claimed = Delivery.objects.filter(due, pk=delivery_id, status=DeliveryStatus.PENDING).update(
        next_attempt_at=now + LEASE
    )
    return claimed == 1


def delivery_attempt(*, delivery_id: int, token: str | None = None) -> str | None:
    """Make one attempt at a due pending delivery and record its outcome; returns the new
    status, or None when the delivery was not due (already taken by another worker, done, or
    outbound traffic is paused after a restore). Safe to call twice for the same delivery."""
    if _outbound_paused():
        return None
    now = timezone.now()
    if not _claim(delivery_id=delivery_id, now=now, token=token):
        return None
    d = Delivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    attempt = d.attempts + 1
    first_attempt_at = d.first_attempt_at or now
    status_code: int | None = None
    retry_after: str | None = None
    if not d.endpoint.is_active:
        outcome, error = wire.Outcome(DeliveryStatus.FAILED), "The endpoint is disabled."
    else:
        try:
            destination = destination_check(d.endpoint.url, allow_loopback=allow_loopback())
        except UnsafeDestination as exc:
            outcome, error = wire.Outcome(DeliveryStatus.FAILED), f"Refused: {exc}"
        else:
            body = wire.body_encode(
                event_id=str(d.event_id),
                event_type=d.event.type,
                occurred_at=d.event.occurred_at,
                data=d.event.payload,
            )
            headers = wire.headers_build(
                event_id=str(d.event_id),
                event_type=d.event.type,
                timestamp=int(time.time()),
                secret=d.endpoint.secret,
                previous_secret=previous_secret_in_grace(d.endpoint, now=now),
                body=body,
                attempt=attempt,
            )
            response = wire.http_post(
                destination=destination, body=body, headers=headers, timeout=request_timeout()
            )
            status_code, error, retry_after = (
                response.status_code,
                response.error,
                response.retry_after,
            )
            now = timezone.now()
            outcome = wire.outcome_decide(
                status_code=status_code,
                attempts=attempt,
                first_attempt_at=first_attempt_at,
                now=now,
                retry_after=wire.retry_after_parse(retry_after, now=now),
            )
    Delivery.objects.filter(pk=delivery_id).update(
        status=outcome.status,
        attempts=attempt,
        first_attempt_at=first_attempt_at,
        last_attempt_at=now,
        next_attempt_at=outcome.next_attempt_at,
        last_status_code=status_code,
        last_error=error[:ERROR_LENGTH],
        delivered_at=now if outcome.status == DeliveryStatus.DELIVERED else None,
    )
    return outcome.status


def webhooks_deliver_due(*, limit: int = 200) -> int:
    """Scheduler job: hand every due pending delivery (retries, and first attempts whose task
    was lost) to the background worker. Each is held for LEASE under a token the task must
    present, so a busy worker does not get the same delivery again on the next tick."""
    now = timezone.now()
    ids = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    from .tasks import webhook_deliver_task

    token_at = now + LEASE
    Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(
        next_attempt_at=token_at
    )
    for delivery_id in ids:
        webhook_deliver_task.enqueue(delivery_id, token_at.isoformat())
    return len(ids)


REPLAYABLE = (DeliveryStatus.FAILED, DeliveryStatus.DEAD)


@transaction.atomic
def delivery_replay(*, actor: User, delivery: Delivery) -> Delivery:
    """A new attempt cycle (a fresh 3 days) for the same event id: receivers can deduplicate."""
    permissions.require(permissions.is_admin(actor), ADMINS_ONLY)
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.status not in REPLAYABLE:
        raise ValidationError("Only failed or dead deliveries can be replayed.")
    return _replay([locked])[0]


@transaction.atomic
def deliveries_replay_all(*, actor: User, endpoint: Endpoint | None = None) -> int:
    permissions.require(permissions.is_admin(actor), ADMINS_ONLY)
    queryset = Delivery.objects.select_for_update().filter(status__in=REPLAYABLE)
    if endpoint is not None:
        queryset = queryset.filter(endpoint=endpoint)
    return len(_replay(list(queryset)))


def _replay(deliveries: list[Delivery]) -> list[Delivery]:
    now = timezone.now()
    for d in deliveries:
        d.status = DeliveryStatus.PENDING
        d.attempts = 0
        d.first_attempt_at = None
        d.next_attempt_at = now
        d.delivered_at = None
        d.replays += 1
    Delivery.objects.bulk_update(
        deliveries,
        ["status", "attempts", "first_attempt_at", "next_attempt_at", "delivered_at", "replays"],
    )
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _enqueue(ids))
    return deliveries
