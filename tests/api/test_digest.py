"""The weekly digest subscription over the API (revline.analytics.digest_api)."""

import pytest

from revline.analytics.digest import digest_subscribe
from revline.analytics.models import DigestSubscription
from revline.core.services import api_token_issue

from .conftest import ApiClient, error_fields

NOT_SUBSCRIBED = {
    "subscribed": False,
    "weekday": None,
    "weekday_name": None,
    "send_hour": 7,
    "last_sent_at": None,
}


def active(user) -> list[int]:
    return list(
        DigestSubscription.objects.filter(user=user, is_active=True).values_list(
            "weekday", flat=True
        )
    )


@pytest.mark.django_db
def test_caller_subscribes_changes_the_day_and_unsubscribes(api_as, rep_a):
    api = api_as(rep_a)
    # Given: not subscribed
    assert api.get("/me/digest").json() == NOT_SUBSCRIBED
    # When
    subscribed = api.put("/me/digest", {"weekday": 2})
    # Then
    assert subscribed.status_code == 200
    assert subscribed.json() == {
        "subscribed": True,
        "weekday": 2,
        "weekday_name": "Wednesday",
        "send_hour": 7,
        "last_sent_at": None,
    }
    assert active(rep_a) == [2]
    # When: again with another day
    assert api.put("/me/digest", {"weekday": 4}).json()["weekday_name"] == "Friday"
    assert active(rep_a) == [4]
    # When: unsubscribed (twice: the second is a no-op)
    assert api.delete("/me/digest").status_code == 204
    assert api.delete("/me/digest").status_code == 204
    # Then
    assert active(rep_a) == []
    assert api.get("/me/digest").json() == NOT_SUBSCRIBED


@pytest.mark.django_db
def test_own_digest_needs_no_scope(rep_a):
    api = ApiClient(api_token_issue(user=rep_a, name="ro", scopes=["people:read"]).raw)
    assert api.put("/me/digest", {"weekday": 1}).status_code == 200
    assert active(rep_a) == [1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weekday": 7}, "weekday"),
        ({"weekday": -1}, "weekday"),
        ({}, "weekday"),
        ({"user_id": 1, "weekday": 0}, "user_id"),
    ],
)
def test_bad_day_or_extra_field_is_422_and_changes_nothing(api_as, rep_a, body, field):
    digest_subscribe(actor=rep_a, user=rep_a, weekday=3)
    response = api_as(rep_a).put("/me/digest", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert active(rep_a) == [3]


@pytest.mark.django_db
def test_a_caller_without_email_is_422(api_as, rep_a):
    rep_a.email = ""
    rep_a.save()
    response = api_as(rep_a).put("/me/digest", {"weekday": 0})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Rep_A has no email address."
    assert active(rep_a) == []


@pytest.mark.django_db
def test_a_user_cannot_change_anothers_subscription(api_as, rep_a, rep_b):
    # Given
    digest_subscribe(actor=rep_b, user=rep_b, weekday=5)
    api = api_as(rep_a)
    # When
    put = api.put(f"/digest-subscriptions/{rep_b.pk}", {"weekday": 0})
    deleted = api.delete(f"/digest-subscriptions/{rep_b.pk}")
    subscribed_other = api.put(f"/digest-subscriptions/{rep_a.pk + rep_b.pk + 100}", {"weekday": 0})
    # Then
    assert put.status_code == 403
    assert put.json() == {"detail": "Only admins can subscribe other people."}
    assert deleted.status_code == 403
    assert subscribed_other.status_code == 404
    assert active(rep_b) == [5]
    assert active(rep_a) == []
    # And: the list shows a non-admin only their own
    assert api.get("/digest-subscriptions").json()["total"] == 0


@pytest.mark.django_db
def test_admin_lists_subscribes_and_unsubscribes_people(api_as, admin_user, rep_a, rep_b):
    # Given
    digest_subscribe(actor=rep_b, user=rep_b, weekday=5)
    api = api_as(admin_user)
    # When
    put = api.put(f"/digest-subscriptions/{rep_a.pk}", {"weekday": 1})
    # Then
    assert put.status_code == 200
    assert {k: v for k, v in put.json().items() if k != "created_at"} == {
        "user": {"id": rep_a.pk, "name": str(rep_a), "email": "rep_a@example.com"},
        "weekday": 1,
        "weekday_name": "Tuesday",
        "last_sent_at": None,
    }
    listed = api.get("/digest-subscriptions").json()
    assert [(row["user"]["id"], row["weekday"]) for row in listed["items"]] == [
        (rep_a.pk, 1),
        (rep_b.pk, 5),
    ]
    by_day = api.get("/digest-subscriptions", {"weekday": 5}).json()["items"]
    assert [row["user"]["id"] for row in by_day] == [rep_b.pk]
    assert api.get("/digest-subscriptions", {"weekday": 9}).status_code == 422
    # When
    assert api.delete(f"/digest-subscriptions/{rep_b.pk}").status_code == 204
    # Then
    assert active(rep_b) == []
    assert api.delete("/digest-subscriptions/999999").status_code == 404


@pytest.mark.django_db
def test_managing_others_needs_the_analytics_write_scope(admin_user, rep_a):
    api = ApiClient(api_token_issue(user=admin_user, name="ro", scopes=["analytics:read"]).raw)
    assert api.get("/digest-subscriptions").status_code == 200
    response = api.put(f"/digest-subscriptions/{rep_a.pk}", {"weekday": 1})
    assert response.status_code == 403
    assert response.json() == {"detail": "This token lacks the scope 'analytics:write'."}
    assert active(rep_a) == []


@pytest.mark.django_db
def test_admin_cannot_subscribe_a_deactivated_person(api_as, admin_user, rep_a):
    rep_a.is_active = False
    rep_a.save()
    response = api_as(admin_user).put(f"/digest-subscriptions/{rep_a.pk}", {"weekday": 1})
    assert response.status_code == 422
    assert error_fields(response) == ["user"]
    assert active(rep_a) == []
