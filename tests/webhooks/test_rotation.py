"""Secret rotation: a new secret shown once; the old one keeps signing for 24 hours."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from revline.audit.models import AuditEntry
from revline.webhooks.delivery import signature_verify
from revline.webhooks.models import Delivery
from revline.webhooks.services import delivery_attempt, endpoint_secret_rotate, event_emit

from ..conftest import PASSWORD
from .conftest import Reply, make_endpoint


def signatures(headers: dict[str, str]) -> list[str]:
    return [part.strip() for part in headers["Revline-Signature"].split(",")]


def expected(secret: str, headers: dict[str, str], body: bytes) -> str:
    message = headers["Revline-Timestamp"].encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def deliver_one(receiver, endpoint) -> dict[str, str]:
    receiver.script = [Reply(200)]
    event_emit(type="contact.created", payload={"contact": {"id": 1}})
    delivery = Delivery.objects.filter(endpoint=endpoint).latest("pk")
    assert delivery_attempt(delivery_id=delivery.pk) == "delivered"
    return receiver.received[-1]


@pytest.mark.django_db
@pytest.mark.usefixtures("loopback_allowed")
def test_during_the_grace_period_both_secrets_sign(receiver, admin_user):
    # Given an endpoint whose secret was just rotated
    endpoint = make_endpoint(receiver.url)
    new_secret = endpoint_secret_rotate(actor=admin_user, endpoint=endpoint)
    # When an event is delivered
    request = deliver_one(receiver, endpoint)
    # Then the header holds the new signature first, then the old one
    assert signatures(request.headers) == [
        expected(new_secret, request.headers, request.body),
        expected("whsec_test", request.headers, request.body),
    ]
    # and a receiver holding either secret accepts it
    for secret in (new_secret, "whsec_test"):
        assert signature_verify(
            secret=secret,
            header=request.headers["Revline-Signature"],
            timestamp=request.headers["Revline-Timestamp"],
            body=request.body,
            now=float(request.headers["Revline-Timestamp"]),
        )


@pytest.mark.django_db
@pytest.mark.usefixtures("loopback_allowed")
def test_after_24_hours_only_the_new_secret_signs(receiver, admin_user):
    endpoint = make_endpoint(receiver.url)
    new_secret = endpoint_secret_rotate(actor=admin_user, endpoint=endpoint)
    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1), tick=False):
        request = deliver_one(receiver, endpoint)
    assert signatures(request.headers) == [expected(new_secret, request.headers, request.body)]


@pytest.mark.django_db
@pytest.mark.usefixtures("loopback_allowed")
def test_a_second_rotation_drops_the_first_secret_at_once(receiver, admin_user):
    endpoint = make_endpoint(receiver.url)
    second = endpoint_secret_rotate(actor=admin_user, endpoint=endpoint)
    third = endpoint_secret_rotate(actor=admin_user, endpoint=endpoint)
    request = deliver_one(receiver, endpoint)
    assert signatures(request.headers) == [
        expected(third, request.headers, request.body),
        expected(second, request.headers, request.body),
    ]
    assert "whsec_test" not in (second, third)


@pytest.mark.django_db
def test_only_admins_rotate(marketer):
    endpoint = make_endpoint("https://93.184.216.34/")
    with pytest.raises(PermissionDenied):
        endpoint_secret_rotate(actor=marketer, endpoint=endpoint)
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == ("whsec_test", "")
    assert AuditEntry.objects.filter(object_type="webhooks.endpoint").count() == 0


@pytest.mark.django_db
def test_rotate_button_shows_the_new_secret_once(client, admin_user, marketer):
    endpoint = make_endpoint("https://93.184.216.34/")
    url = reverse("webhooks:secret_rotate", args=[endpoint.pk])
    assert client.login(username=admin_user.username, password=PASSWORD)
    detail = client.get(reverse("webhooks:endpoint_detail", args=[endpoint.pk])).content.decode()
    assert f'action="{url}"' in detail
    assert client.get(url).status_code == 405
    # When
    response = client.post(url)
    # Then
    endpoint.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert endpoint.secret in page and "whsec_test" not in page
    assert "signed with both the new and the old secret" in page
    detail = client.get(reverse("webhooks:endpoint_detail", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in detail and "Old secret" in detail
    # A marketer may not press it
    client.logout()
    assert client.login(username=marketer.username, password=PASSWORD)
    assert client.post(url).status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == "whsec_test"


@pytest.mark.django_db
def test_rotate_button_needs_the_csrf_token(admin_user):
    from django.test import Client

    endpoint = make_endpoint("https://93.184.216.34/")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(reverse("webhooks:secret_rotate", args=[endpoint.pk]))
    assert response.status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.secret == "whsec_test"
