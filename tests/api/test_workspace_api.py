"""Workspace settings and the caller's notifications over the JSON API."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from revline.audit.models import AuditAction, AuditEntry
from revline.core.models import Notification, Workspace
from revline.core.notifications import notification_send
from revline.core.workspace import workspace_get

from .conftest import error_fields

pytestmark = pytest.mark.django_db


def _stored() -> tuple:
    workspace = workspace_get()
    return (
        workspace.site_origins,
        workspace.tracking_requires_consent,
        workspace.email_from_name,
        workspace.email_from_address,
        workspace.deal_visibility,
        workspace.contact_visibility,
    )


DEFAULTS = ("", False, "", "", "team", "all")


# --- workspace: read ----------------------------------------------------------------------------


def test_get_workspace(api_as, marketer, settings):
    settings.CURRENCY = "EUR"
    Workspace.objects.update_or_create(
        pk=workspace_get().pk,
        defaults={"site_origins": "https://www.example.com\nhttps://a.example.com"},
    )

    response = api_as(marketer).get("/workspace")

    assert response.status_code == 200
    body = response.json()
    assert body | {"updated_at": None} == {
        "name": "Revline",
        "site_origins": ["https://a.example.com", "https://www.example.com"],
        "tracking_requires_consent": False,
        "email_from_name": "",
        "email_from_address": "",
        "postal_address": "",
        "contact_visibility": "all",
        "company_visibility": "all",
        "deal_visibility": "team",
        "activity_visibility": "all",
        "quote_approval_discount": "15.00",
        "currency": "EUR",
        "outbound_paused_at": None,
        "outbound_paused_reason": "",
        "updated_at": None,
        "can_edit": False,
    }


def test_reps_and_managers_may_not_see_the_workspace(api_as, rep_a, manager_a):
    for user in (rep_a, manager_a):
        response = api_as(user).get("/workspace")
        assert response.status_code == 403


# --- workspace: update --------------------------------------------------------------------------


def test_patch_workspace_changes_what_is_sent_and_audits(api_as, admin_user):
    response = api_as(admin_user).patch(
        "/workspace",
        {
            "site_origins": ["HTTPS://Www.Example.com:443/", "https://www.example.com"],
            "tracking_requires_consent": True,
            "email_from_name": " Example Marketing ",
            "email_from_address": "news@example.com",
            "deal_visibility": "own",
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["site_origins"] == ["https://www.example.com"]
    assert (body["tracking_requires_consent"], body["can_edit"]) == (True, True)
    assert (body["email_from_name"], body["deal_visibility"]) == ("Example Marketing", "own")
    assert _stored() == (
        "https://www.example.com",
        True,
        "Example Marketing",
        "news@example.com",
        "own",
        "all",
    )
    changed = {
        key
        for entry in AuditEntry.objects.filter(action=AuditAction.SETTING_CHANGE)
        for key in entry.changes
    }
    assert changed == {
        "site_origins",
        "tracking_requires_consent",
        "email_from_name",
        "email_from_address",
        "deal_visibility",
    }


def test_patch_workspace_with_one_field_keeps_the_others(api_as, admin_user):
    api = api_as(admin_user)
    api.patch("/workspace", {"site_origins": ["https://example.com"], "email_from_name": "Ex"})

    response = api.patch("/workspace", {"company_visibility": "team"})

    assert response.status_code == 200
    workspace = workspace_get()
    assert (workspace.site_origins, workspace.email_from_name) == ("https://example.com", "Ex")
    assert (workspace.company_visibility, workspace.deal_visibility) == ("team", "team")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"site_origins": ["https://example.com/path"]}, "site_origins"),
        ({"site_origins": ["ftp://example.com"]}, "site_origins"),
        ({"site_origins": ["https://x.test"] * 51}, "site_origins"),
        ({"site_origins": ["https://" + "a" * 300 + ".test"]}, "0"),
        ({"email_from_address": "not an address"}, "email_from_address"),
        ({"email_from_name": "Two\nlines"}, "email_from_name"),
        ({"deal_visibility": "everyone"}, "deal_visibility"),
        ({"tracking_requires_consent": None}, "tracking_requires_consent"),
        ({"quote_approval_discount": "5"}, "quote_approval_discount"),
        ({"name": "Acme"}, "name"),
    ],
)
def test_patch_workspace_refuses_bad_input(api_as, admin_user, body, field):
    response = api_as(admin_user).patch("/workspace", body)

    assert (response.status_code, error_fields(response)) == (422, [field])
    assert _stored() == DEFAULTS
    assert not AuditEntry.objects.filter(action=AuditAction.SETTING_CHANGE).exists()


def test_a_late_error_undoes_the_earlier_changes(api_as, admin_user):
    # The origins are valid and saved first; the bad sender address must roll them back.
    response = api_as(admin_user).patch(
        "/workspace",
        {"site_origins": ["https://example.com"], "email_from_address": "nope"},
    )

    assert (response.status_code, error_fields(response)) == (422, ["email_from_address"])
    assert _stored() == DEFAULTS
    assert not AuditEntry.objects.filter(action=AuditAction.SETTING_CHANGE).exists()


def test_only_admins_change_the_workspace(api_as, marketer, rep_a):
    for user in (marketer, rep_a):
        response = api_as(user).patch("/workspace", {"tracking_requires_consent": True})
        assert response.status_code == 403
        assert api_as(user).post("/workspace/outbound-resume").status_code == 403
    assert _stored() == DEFAULTS


def test_resume_outbound(api_as, admin_user):
    Workspace.objects.filter(pk=workspace_get().pk).update(
        outbound_paused_at=timezone.now(), outbound_paused_reason="Restored from a backup"
    )

    response = api_as(admin_user).post("/workspace/outbound-resume")

    assert response.status_code == 200
    assert (response.json()["outbound_paused_at"], response.json()["outbound_paused_reason"]) == (
        None,
        "",
    )
    assert workspace_get().outbound_paused_at is None


# --- notifications ------------------------------------------------------------------------------


@pytest.fixture
def notices(rep_a, rep_b, manager_a):
    """rep_a: an old read one, an older unread one, a new unread one; rep_b: one of their own."""

    def send(user, text, day):
        return notification_send(
            user=user,
            kind="mention",
            text=text,
            url="/deals/1/",
            actor=manager_a,
            now=datetime(2026, 3, day, 9, 0, tzinfo=UTC),
        )

    old_read = send(rep_a, "Old and read", 3)
    Notification.objects.filter(pk=old_read.pk).update(read_at=datetime(2026, 3, 4, tzinfo=UTC))
    return {
        "old_read": old_read,
        "older_unread": send(rep_a, "Older unread", 1),
        "new_unread": send(rep_a, "New unread", 5),
        "other": send(rep_b, "Not yours", 6),
    }


def _texts(response) -> list[str]:
    return [item["text"] for item in response.json()["items"]]


def test_list_notifications_unread_first_and_only_the_callers(api_as, rep_a, manager_a, notices):
    api = api_as(rep_a)

    response = api.get("/notifications")

    assert response.status_code == 200
    assert _texts(response) == ["New unread", "Older unread", "Old and read"]
    first = response.json()["items"][0]
    assert (first["kind"], first["url"], first["is_read"]) == ("mention", "/deals/1/", False)
    assert first["actor"]["id"] == manager_a.pk
    assert response.json()["total"] == 3
    assert _texts(api.get("/notifications", {"unread": "true"})) == ["New unread", "Older unread"]
    assert _texts(api.get("/notifications", {"unread": "false"})) == ["Old and read"]
    assert _texts(api.get("/notifications", {"sort": "created_at"})) == [
        "Older unread",
        "Old and read",
        "New unread",
    ]
    assert _texts(api.get("/notifications", {"q": "older"})) == ["Older unread"]
    response = api.get("/notifications", {"sort": "text"})
    assert (response.status_code, error_fields(response)) == (422, ["sort"])


def test_read_one_notification(api_as, rep_a, notices):
    api = api_as(rep_a)

    response = api.post(f"/notifications/{notices['new_unread'].pk}/read")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert Notification.objects.filter(user=rep_a, read_at__isnull=True).count() == 1
    first_read = Notification.objects.get(pk=notices["old_read"].pk).read_at
    assert api.post(f"/notifications/{notices['old_read'].pk}/read").status_code == 200
    assert Notification.objects.get(pk=notices["old_read"].pk).read_at == first_read


def test_reading_another_users_notification_is_not_found(api_as, rep_a, notices):
    response = api_as(rep_a).post(f"/notifications/{notices['other'].pk}/read")

    assert response.status_code == 404
    assert Notification.objects.get(pk=notices["other"].pk).read_at is None
    assert api_as(rep_a).post("/notifications/99999/read").status_code == 404


def test_read_all_notifications_touches_only_the_callers(api_as, rep_a, notices):
    response = api_as(rep_a).post("/notifications/read-all")

    assert response.status_code == 200
    assert response.json() == {"marked": 2, "unread": 0}
    assert not Notification.objects.filter(user=rep_a, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=notices["other"].pk).read_at is None


def test_read_all_a_second_time_marks_nothing(api_as, rep_a, notices):
    api = api_as(rep_a)
    api.post("/notifications/read-all")
    read_at = Notification.objects.get(pk=notices["new_unread"].pk).read_at

    response = api.post("/notifications/read-all")

    assert response.json() == {"marked": 0, "unread": 0}
    assert Notification.objects.get(pk=notices["new_unread"].pk).read_at == read_at
