"""Webhook endpoints, deliveries, dead letters, replays and secret rotation over the API."""

from datetime import timedelta
from typing import get_args

import pytest
from django.utils import timezone

from revline.audit.models import AuditEntry
from revline.webhooks.api_schemas import Subscribable
from revline.webhooks.models import Delivery, DeliveryStatus, Endpoint, Event
from revline.webhooks.services import SUBSCRIBABLE

from .conftest import error_fields

URL = "https://93.184.216.34/in"


@pytest.fixture
def endpoint(db) -> Endpoint:
    return Endpoint.objects.create(
        url=URL, event_types=["deal.won"], description="Billing", secret="whsec_old"
    )


def make_delivery(endpoint: Endpoint, status: str = DeliveryStatus.DEAD, **kwargs) -> Delivery:
    event = Event.objects.create(
        type="deal.won", payload={"deal": {"id": 5}}, occurred_at=timezone.now()
    )
    return Delivery.objects.create(event=event, endpoint=endpoint, status=status, **kwargs)


def audit_of(endpoint_pk: int) -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(object_type="webhooks.endpoint", object_id=str(endpoint_pk))
        .order_by("pk")
        .values_list("action", "actor_label")
    )


# --- event types ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_event_types_list_every_subscribable_type(api_as, marketer):
    response = api_as(marketer).get("/webhooks/event-types")
    assert response.status_code == 200
    assert [row["type"] for row in response.json()] == SUBSCRIBABLE
    assert response.json()[5] == {"type": "deal.won", "label": "Deal won"}
    # The schema's list matches the model's, so the OpenAPI document stays true.
    assert list(get_args(Subscribable)) == SUBSCRIBABLE


@pytest.mark.django_db
def test_event_types_are_hidden_from_sales_reps(api_as, rep_a):
    response = api_as(rep_a).get("/webhooks/event-types")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only admins and marketers see webhooks."}


# --- endpoints: list and read -----------------------------------------------------------------


@pytest.mark.django_db
def test_endpoints_list_filters_sorts_and_counts_dead_letters(api_as, marketer, endpoint):
    # Given a second, disabled endpoint and a dead delivery on the first
    Endpoint.objects.create(
        url="https://93.184.216.35/x", event_types=["deal.lost"], is_active=False
    )
    make_delivery(endpoint)
    make_delivery(endpoint, status=DeliveryStatus.DELIVERED)
    client = api_as(marketer)
    # When / Then
    everything = client.get("/webhooks/endpoints", {"sort": "-url"}).json()
    assert [e["url"] for e in everything["items"]] == ["https://93.184.216.35/x", URL]
    assert everything["total"] == 2
    active = client.get("/webhooks/endpoints", {"is_active": "true", "q": "bill"}).json()
    assert [(e["id"], e["dead_letters"], e["is_active"]) for e in active["items"]] == [
        (endpoint.pk, 1, True)
    ]
    assert "secret" not in active["items"][0]


@pytest.mark.django_db
def test_endpoints_list_refuses_an_unknown_sort(api_as, marketer):
    response = api_as(marketer).get("/webhooks/endpoints", {"sort": "secret"})
    assert response.status_code == 422
    assert error_fields(response) == ["sort"]


@pytest.mark.django_db
def test_endpoints_list_is_403_for_sales_reps(api_as, rep_a, endpoint):
    assert api_as(rep_a).get("/webhooks/endpoints").status_code == 403


@pytest.mark.django_db
def test_endpoint_read_shows_no_secret(api_as, marketer, endpoint):
    response = api_as(marketer).get(f"/webhooks/endpoints/{endpoint.pk}")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("id", "url", "description", "event_types", "is_active")} == {
        "id": endpoint.pk,
        "url": URL,
        "description": "Billing",
        "event_types": ["deal.won"],
        "is_active": True,
    }
    assert body["previous_secret_expires_at"] is None
    assert "whsec_old" not in response.content.decode()


@pytest.mark.django_db
def test_endpoint_read_unknown_is_404_and_reps_get_403(api_as, marketer, rep_a, endpoint):
    assert api_as(marketer).get("/webhooks/endpoints/999999").status_code == 404
    assert api_as(rep_a).get(f"/webhooks/endpoints/{endpoint.pk}").status_code == 403


# --- endpoints: create, update, delete ----------------------------------------------------------


@pytest.mark.django_db
def test_admin_creates_an_endpoint_and_sees_its_secret_once(api_as, admin_user):
    # When
    response = api_as(admin_user).post(
        "/webhooks/endpoints",
        {"url": f" {URL} ", "event_types": ["deal.won", "contact.created"], "description": "CRM"},
    )
    # Then
    assert response.status_code == 201
    endpoint = Endpoint.objects.get()
    body = response.json()
    assert body["secret"] == endpoint.secret and endpoint.secret.startswith("whsec_")
    assert (body["url"], body["event_types"]) == (URL, ["contact.created", "deal.won"])
    assert body["created_by"]["id"] == admin_user.pk
    assert audit_of(endpoint.pk) == [("create", "Admin (admin)")]
    entry = AuditEntry.objects.get(object_type="webhooks.endpoint")
    assert entry.changes["secret"] == [None, "••••••"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://127.0.0.1/x", "event_types": ["deal.won"]}, "url"),
        ({"url": "http://169.254.169.254/latest", "event_types": ["deal.won"]}, "url"),
        ({"url": "http://[::1]/", "event_types": ["deal.won"]}, "url"),
        ({"url": URL, "event_types": ["nope"]}, 0),
        ({"url": URL, "event_types": []}, "event_types"),
        ({"url": URL, "event_types": ["webhook.test"]}, 0),
        ({"url": "", "event_types": ["deal.won"]}, "url"),
        ({"url": URL, "event_types": ["deal.won"], "secret": "mine"}, "secret"),
    ],
)
def test_create_endpoint_with_bad_input_is_422_and_creates_nothing(api_as, admin_user, body, field):
    response = api_as(admin_user).post("/webhooks/endpoints", body)
    assert response.status_code == 422
    assert error_fields(response) == [str(field)]
    assert Endpoint.objects.count() == 0
    assert AuditEntry.objects.filter(object_type="webhooks.endpoint").count() == 0


@pytest.mark.django_db
def test_marketer_creating_an_endpoint_is_403(api_as, marketer):
    response = api_as(marketer).post(
        "/webhooks/endpoints", {"url": URL, "event_types": ["deal.won"]}
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Only admins manage webhooks."}
    assert Endpoint.objects.count() == 0


@pytest.mark.django_db
def test_admin_updates_only_the_fields_sent(api_as, admin_user, endpoint):
    response = api_as(admin_user).patch(
        f"/webhooks/endpoints/{endpoint.pk}", {"is_active": False, "description": "Old billing"}
    )
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.description, endpoint.url) == (False, "Old billing", URL)
    assert response.json()["is_active"] is False
    update = AuditEntry.objects.get(object_type="webhooks.endpoint", action="update")
    assert update.changes == {
        "description": ["Billing", "Old billing"],
        "is_active": [True, False],
    }


@pytest.mark.django_db
def test_update_to_a_private_address_is_422_and_changes_nothing(api_as, admin_user, endpoint):
    response = api_as(admin_user).patch(
        f"/webhooks/endpoints/{endpoint.pk}", {"url": "http://10.0.0.5/hook", "is_active": False}
    )
    assert response.status_code == 422
    assert error_fields(response) == ["url"]
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.is_active) == (URL, True)
    assert audit_of(endpoint.pk) == []


@pytest.mark.django_db
def test_update_refuses_null_and_marketers_and_unknown_ids(api_as, admin_user, marketer, endpoint):
    null = api_as(admin_user).patch(f"/webhooks/endpoints/{endpoint.pk}", {"url": None})
    assert null.status_code == 422 and error_fields(null) == ["url"]
    forbidden = api_as(marketer).patch(f"/webhooks/endpoints/{endpoint.pk}", {"is_active": False})
    assert forbidden.status_code == 403
    assert api_as(admin_user).patch("/webhooks/endpoints/999999", {}).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.is_active is True


@pytest.mark.django_db
def test_admin_deletes_an_endpoint_and_the_audit_log_keeps_it(api_as, admin_user, endpoint):
    pk = endpoint.pk
    response = api_as(admin_user).delete(f"/webhooks/endpoints/{pk}")
    assert response.status_code == 204
    assert Endpoint.objects.count() == 0
    assert audit_of(pk) == [("delete", "Admin (admin)")]


@pytest.mark.django_db
def test_delete_is_403_for_marketers_and_404_when_unknown(api_as, admin_user, marketer, endpoint):
    assert api_as(marketer).delete(f"/webhooks/endpoints/{endpoint.pk}").status_code == 403
    assert api_as(admin_user).delete("/webhooks/endpoints/999999").status_code == 404
    assert Endpoint.objects.count() == 1


# --- secrets ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_reveals_the_secret(api_as, admin_user, marketer, endpoint):
    response = api_as(admin_user).post(f"/webhooks/endpoints/{endpoint.pk}/secret")
    assert response.status_code == 200
    assert response.json() == {"secret": "whsec_old", "previous_secret_expires_at": None}
    assert api_as(marketer).post(f"/webhooks/endpoints/{endpoint.pk}/secret").status_code == 403
    assert api_as(admin_user).post("/webhooks/endpoints/999999/secret").status_code == 404


@pytest.mark.django_db
def test_rotating_the_secret_keeps_the_old_one_for_24_hours(api_as, admin_user, endpoint):
    # When
    before = timezone.now()
    response = api_as(admin_user).post(f"/webhooks/endpoints/{endpoint.pk}/rotate-secret")
    # Then
    assert response.status_code == 200
    endpoint.refresh_from_db()
    body = response.json()
    assert body["secret"] == endpoint.secret
    assert endpoint.secret.startswith("whsec_") and endpoint.secret != "whsec_old"
    assert endpoint.previous_secret == "whsec_old"
    expires = endpoint.previous_secret_expires_at
    assert before + timedelta(hours=24) <= expires <= timezone.now() + timedelta(hours=24)
    read = api_as(admin_user).get(f"/webhooks/endpoints/{endpoint.pk}").json()
    assert read["previous_secret_expires_at"] is not None
    [entry] = AuditEntry.objects.filter(object_type="webhooks.endpoint", action="setting_change")
    assert entry.changes["secret"] == ["••••••", "••••••"]
    assert "whsec_" not in str(entry.changes)


@pytest.mark.django_db
def test_rotation_is_403_for_marketers_and_404_when_unknown(api_as, admin_user, marketer, endpoint):
    response = api_as(marketer).post(f"/webhooks/endpoints/{endpoint.pk}/rotate-secret")
    assert response.status_code == 403
    assert api_as(admin_user).post("/webhooks/endpoints/999999/rotate-secret").status_code == 404
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == ("whsec_old", "")


# --- test event, deliveries, replays ------------------------------------------------------------


@pytest.mark.django_db
def test_send_test_queues_one_delivery(api_as, admin_user, marketer, endpoint):
    response = api_as(admin_user).post(f"/webhooks/endpoints/{endpoint.pk}/test")
    assert response.status_code == 201
    delivery = Delivery.objects.get()
    assert response.json()["id"] == delivery.pk
    assert (response.json()["event_type"], response.json()["status"]) == ("webhook.test", "pending")
    assert api_as(marketer).post(f"/webhooks/endpoints/{endpoint.pk}/test").status_code == 403
    assert api_as(admin_user).post("/webhooks/endpoints/999999/test").status_code == 404
    assert Delivery.objects.count() == 1


@pytest.mark.django_db
def test_delivery_log_filters_by_status(api_as, marketer, rep_a, endpoint):
    dead = make_delivery(endpoint)
    make_delivery(endpoint, status=DeliveryStatus.DELIVERED)
    client = api_as(marketer)
    response = client.get(f"/webhooks/endpoints/{endpoint.pk}/deliveries", {"status": "dead"})
    assert response.status_code == 200
    assert [d["id"] for d in response.json()["items"]] == [dead.pk]
    assert response.json()["items"][0]["endpoint"] == {"id": endpoint.pk, "url": URL}
    bad = client.get(f"/webhooks/endpoints/{endpoint.pk}/deliveries", {"status": "lost"})
    assert bad.status_code == 422 and error_fields(bad) == ["status"]
    assert client.get("/webhooks/endpoints/999999/deliveries").status_code == 404
    assert api_as(rep_a).get(f"/webhooks/endpoints/{endpoint.pk}/deliveries").status_code == 403


@pytest.mark.django_db
def test_delivery_read_shows_the_event_payload(api_as, marketer, rep_a, endpoint):
    delivery = make_delivery(endpoint, last_status_code=500, last_error="HTTP 500")
    response = api_as(marketer).get(f"/webhooks/deliveries/{delivery.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["event_id"], body["payload"]) == (str(delivery.event_id), {"deal": {"id": 5}})
    assert (body["last_status_code"], body["last_error"]) == (500, "HTTP 500")
    assert api_as(marketer).get("/webhooks/deliveries/999999").status_code == 404
    assert api_as(rep_a).get(f"/webhooks/deliveries/{delivery.pk}").status_code == 403


@pytest.mark.django_db
def test_admin_replays_a_dead_delivery(api_as, admin_user, endpoint):
    delivery = make_delivery(endpoint, attempts=9)
    response = api_as(admin_user).post(f"/webhooks/deliveries/{delivery.pk}/replay")
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.replays) == ("pending", 0, 1)
    assert response.json()["status"] == "pending"


@pytest.mark.django_db
def test_replay_of_a_delivered_delivery_is_422(api_as, admin_user, marketer, endpoint):
    delivered = make_delivery(endpoint, status=DeliveryStatus.DELIVERED)
    dead = make_delivery(endpoint)
    response = api_as(admin_user).post(f"/webhooks/deliveries/{delivered.pk}/replay")
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Only failed or dead deliveries can be replayed."
    assert api_as(marketer).post(f"/webhooks/deliveries/{dead.pk}/replay").status_code == 403
    assert api_as(admin_user).post("/webhooks/deliveries/999999/replay").status_code == 404
    assert list(Delivery.objects.order_by("pk").values_list("status", "replays")) == [
        ("delivered", 0),
        ("dead", 0),
    ]


@pytest.mark.django_db
def test_dead_letters_list_failed_and_dead_only(api_as, marketer, rep_a, endpoint):
    dead = make_delivery(endpoint)
    failed = make_delivery(endpoint, status=DeliveryStatus.FAILED)
    make_delivery(endpoint, status=DeliveryStatus.PENDING)
    client = api_as(marketer)
    response = client.get("/webhooks/dead-letters", {"sort": "created_at"})
    assert response.status_code == 200
    assert [d["id"] for d in response.json()["items"]] == [dead.pk, failed.pk]
    only_failed = client.get("/webhooks/dead-letters", {"status": "failed"}).json()["items"]
    assert [d["id"] for d in only_failed] == [failed.pk]
    pending = client.get("/webhooks/dead-letters", {"status": "pending"})
    assert pending.status_code == 422 and error_fields(pending) == ["status"]
    assert api_as(rep_a).get("/webhooks/dead-letters").status_code == 403


@pytest.mark.django_db
def test_replay_all_dead_letters_of_one_endpoint(api_as, admin_user, marketer, endpoint):
    other = Endpoint.objects.create(url="https://93.184.216.35/", event_types=["deal.won"])
    mine = make_delivery(endpoint)
    theirs = make_delivery(other)
    assert api_as(marketer).post("/webhooks/dead-letters/replay", {}).status_code == 403
    unknown = api_as(admin_user).post("/webhooks/dead-letters/replay", {"endpoint_id": 999999})
    assert unknown.status_code == 422 and error_fields(unknown) == ["endpoint_id"]
    assert Delivery.objects.filter(status="pending").count() == 0
    # When
    response = api_as(admin_user).post(
        "/webhooks/dead-letters/replay", {"endpoint_id": endpoint.pk}
    )
    # Then
    assert response.status_code == 200 and response.json() == {"replayed": 1}
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == ("pending", "dead")
