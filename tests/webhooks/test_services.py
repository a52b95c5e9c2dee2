"""The outbox: events written in the caller's transaction; emission from the business services;
replays; the retry schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from revline.people.services import contact_create, contact_update
from revline.webhooks.delivery import outcome_decide, retry_after_parse, retry_delay
from revline.webhooks.models import Delivery, DeliveryStatus, Event
from revline.webhooks.services import (
    deliveries_replay_all,
    delivery_attempt,
    delivery_replay,
    endpoint_create,
    endpoint_secret_reveal,
    event_emit,
)

from .conftest import Reply, make_endpoint

T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_event_and_no_delivery(receiver):
    make_endpoint(receiver.url, ["contact.created"])

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        contact_create(actor=None, email="ada@example.com", first_name="Ada")
        assert Event.objects.count() == 1  # written with the change…
        raise Boom

    assert Event.objects.count() == 0  # …and gone with it
    assert Delivery.objects.count() == 0


@pytest.mark.django_db
def test_a_committed_change_is_delivered_after_the_commit(
    receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(receiver.url, ["contact.created", "contact.updated"])
    with django_capture_on_commit_callbacks(execute=True):
        contact = contact_create(actor=None, email="ada@example.com", first_name="Ada")
        assert receiver.received == []  # nothing leaves before the commit
    [request] = receiver.received
    assert request.headers["Revline-Event-Type"] == "contact.created"
    event = Event.objects.get()
    assert event.payload["contact"]["id"] == contact.pk
    assert event.payload["contact"]["email"] == "ada@example.com"
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert Delivery.objects.get().endpoint == endpoint


@pytest.mark.django_db
def test_only_active_subscribed_endpoints_get_a_delivery(admin_user, receiver):
    wants_updates = make_endpoint(receiver.url, ["contact.updated"])
    make_endpoint(receiver.url, ["contact.created"])
    make_endpoint(receiver.url, ["contact.updated"], is_active=False)
    contact = contact_create(actor=None, email="ada@example.com")
    contact_update(actor=admin_user, contact=contact, first_name="Ada")
    assert list(Event.objects.values_list("type", flat=True).order_by("type")) == [
        "contact.created",
        "contact.updated",
    ]
    updated = Delivery.objects.filter(event__type="contact.updated")
    assert [d.endpoint for d in updated] == [wants_updates]


@pytest.mark.django_db
def test_no_subscriber_means_nothing_is_written():
    event_emit(type="deal.won", payload={"deal": {"id": 1}})
    assert Event.objects.count() == 0


def test_an_unknown_event_type_is_a_programming_error():
    with pytest.raises(ValueError, match="not a webhook event type"):
        event_emit(type="deal.exploded", payload={})


@pytest.mark.django_db
def test_replay_of_a_dead_delivery_sends_the_same_event_again(
    admin_user, receiver, loopback_allowed, django_capture_on_commit_callbacks
):
    receiver.script = [Reply(410), Reply(200)]
    make_endpoint(receiver.url)
    event_emit(type="contact.created", payload={"contact": {"id": 1}})
    delivery = Delivery.objects.get()
    assert delivery_attempt(delivery_id=delivery.pk) == "failed"
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DEAD)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_replay(actor=admin_user, delivery=delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.replays) == ("delivered", 1, 1)
    first, second = receiver.received
    assert first.headers["Revline-Event-Id"] == second.headers["Revline-Event-Id"]
    assert second.headers["Revline-Event-Id"] == str(delivery.event_id)
    # A delivered delivery cannot be replayed
    with pytest.raises(ValidationError):
        delivery_replay(actor=admin_user, delivery=delivery)


@pytest.mark.django_db
def test_replay_all_resets_every_failed_and_dead_delivery(admin_user, marketer):
    endpoint = make_endpoint("http://127.0.0.1:9/")
    for status in ("failed", "dead", "delivered", "pending"):
        event = Event.objects.create(type="contact.created", payload={}, occurred_at=T0)
        Delivery.objects.create(event=event, endpoint=endpoint, status=status, attempts=3)
    with pytest.raises(PermissionDenied):
        deliveries_replay_all(actor=marketer)
    assert Delivery.objects.filter(status="pending").count() == 1
    assert deliveries_replay_all(actor=admin_user) == 2
    assert sorted(Delivery.objects.values_list("status", "attempts")) == [
        ("delivered", 3),
        ("pending", 0),
        ("pending", 0),
        ("pending", 3),
    ]


@pytest.mark.django_db
def test_only_admins_create_endpoints_and_see_secrets(admin_user, marketer, receiver):
    with pytest.raises(PermissionDenied):
        endpoint_create(actor=marketer, url="https://93.184.216.34/", event_types=["deal.won"])
    endpoint = endpoint_create(
        actor=admin_user, url="https://93.184.216.34/in", event_types=["deal.won", "deal.lost"]
    )
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    assert endpoint.event_types == ["deal.won", "deal.lost"]
    assert endpoint_secret_reveal(actor=admin_user, endpoint=endpoint) == endpoint.secret
    with pytest.raises(PermissionDenied):
        endpoint_secret_reveal(actor=marketer, endpoint=endpoint)


@pytest.mark.django_db
def test_endpoint_needs_known_event_types(admin_user):
    with pytest.raises(ValidationError) as caught:
        endpoint_create(actor=admin_user, url="https://93.184.216.34/", event_types=["nope"])
    assert caught.value.message_dict == {"event_types": ["Unknown event type: nope."]}
    with pytest.raises(ValidationError) as caught:
        endpoint_create(actor=admin_user, url="https://93.184.216.34/", event_types=[])
    assert caught.value.message_dict == {"event_types": ["Choose at least one event type."]}


def test_backoff_doubles_from_one_minute_up_to_six_hours():
    assert [retry_delay(n) for n in range(1, 11)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 64, 128, 256, 360)
    ]
    assert retry_delay(1000) == timedelta(hours=6)


def test_outcomes_by_answer():
    def decide(code, attempts=1, now=T0, retry_after=None):
        return outcome_decide(
            status_code=code,
            attempts=attempts,
            first_attempt_at=T0,
            now=now,
            retry_after=retry_after,
        )

    assert decide(200).status == "delivered"
    assert decide(299).status == "delivered"
    for code in (301, 302, 400, 401, 403, 404, 410, 422):
        assert decide(code).status == "failed", code
    for code in (None, 429, 500, 502, 503, 504):
        assert decide(code).next_attempt_at == T0 + timedelta(minutes=1), code
    assert decide(429, retry_after=timedelta(seconds=30)).next_attempt_at == T0 + timedelta(
        seconds=30
    )
    assert decide(429, retry_after=timedelta(days=9)).next_attempt_at == T0 + timedelta(hours=6)
    # The 3-day cut-off: a retry that would fall after it makes the delivery dead
    late = T0 + timedelta(days=2, hours=17)
    assert decide(500, attempts=12, now=late).status == "pending"
    assert decide(500, attempts=12, now=late + timedelta(hours=2)).status == "dead"


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_parse("120", now=T0) == timedelta(seconds=120)
    assert retry_after_parse("Thu, 01 May 2025 12:05:00 GMT", now=T0) == timedelta(minutes=5)
    assert retry_after_parse("soon", now=T0) is None
    assert retry_after_parse(None, now=T0) is None
