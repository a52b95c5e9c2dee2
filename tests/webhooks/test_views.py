"""Webhook pages: admins manage; marketers read; everyone else is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from revline.webhooks.models import Delivery, Endpoint, Event

from ..conftest import PASSWORD
from .conftest import make_endpoint


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_admin_creates_an_endpoint_and_sees_its_secret_once(client, admin_user):
    login(client, admin_user)
    response = client.post(
        reverse("webhooks:endpoint_create"),
        {
            "url": "https://93.184.216.34/hooks",
            "description": "CRM sync",
            "event_types": ["deal.won", "contact.created"],
            "is_active": "on",
        },
    )
    assert response.status_code == 201
    endpoint = Endpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert endpoint.event_types == ["contact.created", "deal.won"]
    assert endpoint.created_by == admin_user
    # The detail page does not show it; the reveal button (POST) does
    detail = client.get(reverse("webhooks:endpoint_detail", args=[endpoint.pk]))
    assert detail.status_code == 200
    assert endpoint.secret not in detail.content.decode()
    assert client.get(reverse("webhooks:secret_reveal", args=[endpoint.pk])).status_code == 405
    revealed = client.post(reverse("webhooks:secret_reveal", args=[endpoint.pk]))
    assert endpoint.secret in revealed.content.decode()
    assert revealed["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_hostile_url_is_a_form_error_and_creates_nothing(client, admin_user):
    login(client, admin_user)
    response = client.post(
        reverse("webhooks:endpoint_create"),
        {"url": "http://169.254.169.254/latest/meta-data", "event_types": ["deal.won"]},
    )
    assert response.status_code == 200
    assert "a link-local (cloud metadata) address" in response.content.decode()
    assert Endpoint.objects.count() == 0


@pytest.mark.django_db
def test_marketer_reads_but_cannot_change_or_reveal(client, marketer):
    endpoint = make_endpoint("https://93.184.216.34/")
    login(client, marketer)
    assert client.get(reverse("webhooks:endpoints")).status_code == 200
    assert client.get(reverse("webhooks:endpoint_detail", args=[endpoint.pk])).status_code == 200
    assert client.get(reverse("webhooks:dead_letters")).status_code == 200
    assert client.get(reverse("webhooks:endpoint_create")).status_code == 403
    assert client.post(reverse("webhooks:secret_reveal", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhooks:send_test", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhooks:endpoint_delete", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhooks:replay_all")).status_code == 403
    assert Endpoint.objects.count() == 1
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_sales_reps_see_nothing(client, rep_a):
    endpoint = make_endpoint("https://93.184.216.34/")
    login(client, rep_a)
    assert client.get(reverse("webhooks:endpoints")).status_code == 403
    assert client.get(reverse("webhooks:endpoint_detail", args=[endpoint.pk])).status_code == 403
    assert client.get(reverse("webhooks:dead_letters")).status_code == 403


@pytest.mark.django_db
def test_send_test_event_and_the_delivery_log_filters(client, admin_user):
    endpoint = make_endpoint("http://127.0.0.1:9/")  # refused at delivery: allow-loopback is off
    login(client, admin_user)
    response = client.post(reverse("webhooks:send_test", args=[endpoint.pk]))
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.event.type == "webhook.test"
    url = reverse("webhooks:endpoint_detail", args=[endpoint.pk])
    assert f'data-delivery="{delivery.pk}"' in client.get(url).content.decode()
    status = delivery.status
    assert f'data-delivery="{delivery.pk}"' in client.get(url, {"status": status}).content.decode()
    other = "delivered" if status != "delivered" else "dead"
    filtered = client.get(url, {"status": other}).content.decode()
    assert f'data-delivery="{delivery.pk}"' not in filtered
    assert "No deliveries match." in filtered


@pytest.mark.django_db
def test_dead_letter_list_and_replay_from_the_ui(client, admin_user):
    endpoint = make_endpoint("http://127.0.0.1:9/")
    event = Event.objects.create(
        type="contact.created", payload={}, occurred_at="2025-05-01T12:00:00Z"
    )
    dead = Delivery.objects.create(event=event, endpoint=endpoint, status="dead", attempts=20)
    login(client, admin_user)
    page = client.get(reverse("webhooks:dead_letters")).content.decode()
    assert f'data-delivery="{dead.pk}"' in page
    assert client.get(reverse("webhooks:replay", args=[dead.pk])).status_code == 405
    response = client.post(
        reverse("webhooks:replay", args=[dead.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("webhooks:dead_letters")
    dead.refresh_from_db()
    assert dead.replays == 1
    assert dead.status != "dead"
    assert dead.event_id == event.pk


@pytest.mark.django_db
def test_edit_and_delete(client, admin_user):
    endpoint = make_endpoint("https://93.184.216.34/")
    login(client, admin_user)
    response = client.post(
        reverse("webhooks:endpoint_edit", args=[endpoint.pk]),
        {"url": "https://93.184.216.35/new", "event_types": ["quote.accepted"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.event_types, endpoint.is_active) == (
        "https://93.184.216.35/new",
        ["quote.accepted"],
        False,
    )
    client.post(reverse("webhooks:endpoint_delete", args=[endpoint.pk]))
    assert Endpoint.objects.count() == 0
