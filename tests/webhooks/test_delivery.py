"""Deliveries against a real local HTTP receiver: success, retries, 429, timeouts, 4xx, 3xx."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from revline.webhooks.models import Delivery, DeliveryStatus, Event
from revline.webhooks.services import delivery_attempt, event_emit, webhooks_deliver_due

from .conftest import Reply, make_endpoint

pytestmark = pytest.mark.usefixtures("loopback_allowed")


def verify_signature(
    secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300
) -> bool:
    """The recipe of docs/webhooks.md, copied verbatim."""
    timestamp = headers["Revline-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False  # too old (or from the future): a replayed request
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    values = headers["Revline-Signature"].split(",")  # two during a secret rotation
    received = [value.strip().removeprefix("v1=") for value in values]
    return any(hmac.compare_digest(expected, value) for value in received)


def emit_one(receiver, replies: list[Reply], **endpoint_kwargs) -> Delivery:
    receiver.script = replies
    endpoint = make_endpoint(receiver.url, **endpoint_kwargs)
    event_emit(type="contact.created", payload={"contact": {"id": 7, "email": "a@b.example"}})
    return Delivery.objects.get(endpoint=endpoint)


@pytest.mark.django_db
def test_a_2xx_answer_delivers_a_signed_request_once(receiver):
    # Given an endpoint subscribed to contact.created
    delivery = emit_one(receiver, [Reply(204)])
    # When the delivery is attempted
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    # Then the receiver got one signed POST with the event id, type and JSON body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    [request] = receiver.received
    assert request.path == "/hook"
    assert request.headers["Revline-Event-Id"] == str(delivery.event_id)
    assert request.headers["Revline-Event-Type"] == "contact.created"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert verify_signature("whsec_test", request.headers, request.body) is True
    assert json.loads(request.body) == {
        "id": str(delivery.event_id),
        "type": "contact.created",
        "occurred_at": delivery.event.occurred_at.isoformat(),
        "data": {"contact": {"id": 7, "email": "a@b.example"}},
    }
    # And a second attempt does nothing: the delivery is done
    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 1


@pytest.mark.django_db
def test_signature_check_rejects_a_wrong_secret_a_changed_body_and_an_old_timestamp(receiver):
    delivery = emit_one(receiver, [Reply(200)])
    delivery_attempt(delivery_id=delivery.pk)
    [request] = receiver.received
    assert verify_signature("whsec_other", request.headers, request.body) is False
    assert verify_signature("whsec_test", request.headers, request.body + b" ") is False
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert verify_signature("whsec_test", request.headers, request.body) is False


@pytest.mark.django_db
def test_a_5xx_is_retried_after_a_minute_with_the_same_event_id(receiver):
    delivery = emit_one(receiver, [Reply(500), Reply(200)])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert delivery_attempt(delivery_id=delivery.pk) == "pending"
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.last_status_code) == (1, 500)
        assert delivery.next_attempt_at == start + timedelta(minutes=1)
        assert delivery.last_error == "HTTP 500"
        # Not due yet: nothing is sent
        assert delivery_attempt(delivery_id=delivery.pk) is None
        assert len(receiver.received) == 1
    with time_machine.travel(start + timedelta(minutes=1, seconds=1), tick=False):
        assert webhooks_deliver_due() == 1  # the scheduler hands it to the worker
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    first, second = receiver.received
    assert first.headers["Revline-Event-Id"] == second.headers["Revline-Event-Id"]
    assert (
        first.headers["Revline-Delivery-Attempt"],
        second.headers["Revline-Delivery-Attempt"],
    ) == (
        "1",
        "2",
    )


@pytest.mark.django_db
def test_a_429_waits_as_long_as_retry_after_says(receiver):
    delivery = emit_one(receiver, [Reply(429, {"Retry-After": "120"})])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert delivery_attempt(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_status_code == 429
    assert delivery.next_attempt_at == start + timedelta(seconds=120)


@pytest.mark.django_db
def test_a_receiver_slower_than_the_timeout_is_retried(receiver):
    delivery = emit_one(receiver, [Reply(200, sleep=1.5)])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert delivery_attempt(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert delivery.last_error == "Timed out after 0.5 s"
    assert delivery.next_attempt_at == start + timedelta(minutes=1)


@pytest.mark.django_db
def test_a_400_fails_at_once_and_is_not_retried(receiver):
    delivery = emit_one(receiver, [Reply(400), Reply(200)])
    assert delivery_attempt(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 400)
    assert delivery.next_attempt_at is None
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert webhooks_deliver_due() == 0
        assert delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 1


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_fails(receiver):
    delivery = emit_one(
        receiver, [Reply(302, {"Location": f"http://127.0.0.1:{receiver.port}/elsewhere"})]
    )
    assert delivery_attempt(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302
    assert delivery.last_error == "HTTP 302: redirects are not followed"
    assert [r.path for r in receiver.received] == ["/hook"]


@pytest.mark.django_db
def test_a_receiver_that_keeps_failing_is_dead_three_days_after_the_first_attempt(receiver):
    delivery = emit_one(receiver, [Reply(503) for _ in range(25)])
    start = timezone.now()
    now = start
    statuses = []
    while True:
        with time_machine.travel(now, tick=False):
            statuses.append(delivery_attempt(delivery_id=delivery.pk))
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.PENDING:
            break
        now = delivery.next_attempt_at
    # 1, 2, 4 … 256 minutes, then every 6 hours: the 20th attempt is the last within 3 days
    assert statuses == ["pending"] * 19 + ["dead"]
    assert len(receiver.received) == 20
    assert delivery.last_attempt_at == start + timedelta(days=2, hours=20, minutes=31)
    assert delivery.first_attempt_at == start
    assert delivery.next_attempt_at is None


@pytest.mark.django_db
def test_a_disabled_endpoint_gets_nothing(receiver):
    delivery = emit_one(receiver, [Reply(200)])
    delivery.endpoint.is_active = False
    delivery.endpoint.save()
    assert delivery_attempt(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.last_error == "The endpoint is disabled."
    assert receiver.received == []


@pytest.mark.django_db
def test_nothing_leaves_while_outbound_traffic_is_paused(receiver):
    from revline.core.workspace import workspace_get

    delivery = emit_one(receiver, [Reply(200)])
    workspace = workspace_get()
    workspace.outbound_paused_at = timezone.now()
    workspace.save()
    assert delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert receiver.received == []
    assert Event.objects.count() == 1
