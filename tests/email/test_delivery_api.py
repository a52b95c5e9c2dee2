"""The suppression list and topics over the JSON API."""

import pytest

from revline.email.delivery_services import suppression_add
from revline.email.models import Suppression, SuppressionReason, Topic
from tests.api.conftest import ApiClient, api_as  # noqa: F401 - the fixture


@pytest.fixture
def listed(db):
    suppression_add(address="gone@example.com", reason=SuppressionReason.HARD_BOUNCE, source="imap")
    row, _ = suppression_add(
        address="left@example.com", reason=SuppressionReason.UNSUBSCRIBED, source="one-click"
    )
    return row


def test_marketers_list_and_filter_the_suppression_list(api_as, marketer, listed):  # noqa: F811
    api: ApiClient = api_as(marketer)

    everything = api.get("/email/suppressions").json()
    bounced = api.get("/email/suppressions", {"reason": "hard_bounce"}).json()

    assert everything["total"] == 2
    assert [r["address"] for r in everything["items"]] == ["gone@example.com", "left@example.com"]
    assert [r["address"] for r in bounced["items"]] == ["gone@example.com"]


def test_marketers_add_and_bad_addresses_get_a_422(api_as, marketer, listed):  # noqa: F811
    api: ApiClient = api_as(marketer)

    created = api.post("/email/suppressions", {"address": "New@Example.com", "note": "phone"})
    bad = api.post("/email/suppressions", {"address": "nope"})

    assert created.status_code == 201
    assert (created.json()["address"], created.json()["reason"]) == ("new@example.com", "manual")
    assert bad.status_code == 422
    assert Suppression.objects.count() == 3


def test_only_admins_remove_and_an_unsubscribe_needs_a_reason(
    api_as,  # noqa: F811
    marketer,
    admin_user,
    rep_a,
    listed,
):
    path = f"/email/suppressions/{listed.pk}/remove"

    assert api_as(rep_a).get("/email/suppressions").status_code == 403
    assert api_as(marketer).post(path, {"reason": "A long enough reason"}).status_code == 403
    assert api_as(admin_user).post(path, {"reason": ""}).status_code == 422
    assert Suppression.objects.filter(pk=listed.pk).exists()

    assert api_as(admin_user).post(path, {"reason": "Re-subscribed in writing"}).status_code == 204
    assert not Suppression.objects.filter(pk=listed.pk).exists()


def test_topics_are_listed(api_as, marketer):  # noqa: F811
    Topic.objects.create(name="Events", description="Meetups")

    assert api_as(marketer).get("/email/topics").json()["items"] == [
        {
            "id": Topic.objects.get().pk,
            "name": "Events",
            "description": "Meetups",
            "opt_out_count": 0,
        }
    ]
