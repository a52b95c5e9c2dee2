"""The audit log page, its search and export, the History card, and sign-in entries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from revline.audit.models import AuditAction, AuditEntry
from revline.audit.services import audit_event
from revline.people.services import contact_create, contact_update
from tests.conftest import PASSWORD


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.mark.parametrize("who", ["marketer", "rep_a", "manager_a"])
def test_only_admins_read_the_log_and_its_export(client, request, who):
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("audit:log")).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403


def test_changes_show_old_and_new_escaped(client, admin_user):
    # Given a contact whose title was changed to markup
    contact = contact_create(actor=admin_user, first_name="Ada", email="ada@x.example")
    contact_update(actor=admin_user, contact=contact, title="<b>CTO</b>")
    login(client, admin_user)

    # When the admin opens the log filtered to that record
    page = client.get(reverse("audit:log"), {"type": "people.contact", "object_id": contact.pk})

    # Then both entries show, the markup escaped
    html = page.content.decode()
    assert page.status_code == 200
    assert [e.action for e in page.context["listing"].page] == ["update", "create"]
    assert "&lt;b&gt;CTO&lt;/b&gt;" in html
    assert "<b>CTO</b>" not in html


def test_filters_narrow_the_entries(client, admin_user, rep_a):
    old = audit_event(action=AuditAction.LOGIN, actor=rep_a)
    AuditEntry.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - timedelta(days=10))
    recent = audit_event(action=AuditAction.LOGIN, actor=rep_a)
    failed = audit_event(action=AuditAction.LOGIN_FAILED, actor_label="rep_a")
    login(client, admin_user)  # itself a login entry, by admin

    def ids(**params):
        page = client.get(reverse("audit:log"), params)
        return [e.pk for e in page.context["listing"].page]

    assert ids(actor="rep_a", action="login") == [recent.pk, old.pk]
    assert ids(actor="rep_a", action="login_failed") == [failed.pk]
    today = timezone.localdate().isoformat()
    assert ids(actor="rep_a", **{"from": today}) == [failed.pk, recent.pk]
    assert ids(actor="rep_a", to=(timezone.localdate() - timedelta(days=5)).isoformat()) == [old.pk]
    assert ids(actor="rep_a", sort="occurred_at", action="login") == [old.pk, recent.pk]
    # A bad date is reported and ignored
    page = client.get(reverse("audit:log"), {"actor": "rep_a", "from": "yesterday"})
    assert page.context["errors"] == {"from": "Enter a date as YYYY-MM-DD."}
    assert len(page.context["listing"].page.object_list) == 3


def test_search_matches_the_record_name(client, admin_user):
    contact_create(actor=admin_user, first_name="Grace", email="grace@x.example")
    contact_create(actor=admin_user, first_name="Alan", email="alan@x.example")
    login(client, admin_user)
    page = client.get(reverse("audit:log"), {"q": "grace"})
    assert [e.object_label for e in page.context["listing"].page] == ["Grace"]


def test_the_export_is_csv_of_the_filtered_entries(client, admin_user):
    contact_create(actor=admin_user, first_name="=cmd", email="eve@x.example")
    login(client, admin_user)
    response = client.get(reverse("audit:export"), {"type": "people.contact"})
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert lines[0].lstrip("\ufeff").startswith("occurred_at,actor,action,object_type")
    assert len(lines) == 2
    assert ",create,people.contact," in lines[1]
    assert ",'=cmd," in lines[1]  # a formula is neutralised


def test_the_history_card_is_for_admins(client, admin_user, marketer):
    contact = contact_create(actor=admin_user, first_name="Ada", email="ada@x.example")
    url = reverse("people:contact", args=[contact.pk])

    login(client, admin_user)
    assert 'id="history"' in client.get(url).content.decode()
    login(client, marketer)
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="history"' not in page.content.decode()


def test_a_sign_in_and_a_failed_one_are_recorded(client, rep_a):
    # When someone signs in with a wrong password, then with the right one
    client.post(reverse("login"), {"username": "rep_a", "password": "wrong"})
    client.post(reverse("login"), {"username": "rep_a", "password": PASSWORD})

    failed, ok = AuditEntry.objects.filter(
        action__in=[AuditAction.LOGIN, AuditAction.LOGIN_FAILED]
    ).order_by("pk")
    assert (failed.action, failed.actor_id, failed.actor_label, failed.object_id) == (
        AuditAction.LOGIN_FAILED, None, "rep_a", str(rep_a.pk),
    )  # fmt: skip
    assert failed.changes == {"stage": "password"}
    assert (ok.action, ok.actor_id, ok.ip) == (AuditAction.LOGIN, rep_a.pk, "127.0.0.1")
    assert ok.request_id != ""
    assert "wrong" not in str(failed.changes) + failed.actor_label


def test_a_failed_sign_in_for_an_unknown_name_is_recorded_without_a_record(client, db):
    client.post(reverse("login"), {"username": "nobody", "password": "x"})
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (entry.actor_label, entry.object_type, entry.object_id) == ("nobody", "", "")
