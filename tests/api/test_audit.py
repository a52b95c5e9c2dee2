"""The audit log over the API: read-only, admins only, with the page's filters."""

from datetime import UTC, datetime

import pytest

from revline.audit.models import AuditEntry
from revline.audit.services import audit_event

from .conftest import error_fields

MAY_1 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
MAY_3 = datetime(2025, 5, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def entries(admin_user, marketer) -> list[AuditEntry]:
    return [
        audit_event(
            action="create",
            actor=marketer,
            object_type="campaigns.campaign",
            object_id=7,
            object_label="Spring launch",
            changes={"name": [None, "Spring launch"]},
            occurred_at=MAY_1,
        ),
        audit_event(
            action="update",
            actor=admin_user,
            object_type="sales.deal",
            object_id=12,
            object_label="Acme renewal",
            changes={"amount": ["100.00", "120.00"]},
            occurred_at=MAY_3,
        ),
    ]


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.django_db
def test_admin_lists_entries_newest_first_with_their_changes(api_as, admin_user, entries):
    # Token use is itself audited: look only at the entries of this test's records
    response = api_as(admin_user).get("/audit-entries", {"object_type": "sales.deal"})
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert {k: v for k, v in item.items() if k not in ("occurred_at", "ip", "request_id")} == {
        "id": entries[1].pk,
        "actor": {"id": admin_user.pk, "name": "Admin", "email": "admin@example.com"},
        "actor_label": "Admin (admin)",
        "action": "update",
        "object_type": "sales.deal",
        "object_id": "12",
        "object_label": "Acme renewal",
        "changes": {"amount": ["100.00", "120.00"]},
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "marketer@example.com"}, [0]),
        ({"actor": "admin", "action": "update"}, [1]),
        ({"object_type": "Campaigns.Campaign", "object_id": "7"}, [0]),
        ({"q": "renewal"}, [1]),
        ({"q": "12", "object_type": "sales.deal"}, [1]),
        ({"date_from": "2025-05-02", "date_to": "2025-05-03"}, [1]),
        ({"date_to": "2025-05-01"}, [0]),
        ({"date_from": "2025-05-01", "date_to": "2025-05-03", "sort": "occurred_at"}, [0, 1]),
    ],
)
def test_filters_of_the_audit_page(api_as, admin_user, entries, params, expected):
    response = api_as(admin_user).get("/audit-entries", params)
    assert response.status_code == 200
    assert ids(response) == [entries[i].pk for i in expected]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"action": "erase"}, "action"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"sort": "changes"}, "sort"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_filters_are_422(api_as, admin_user, params, field):
    response = api_as(admin_user).get("/audit-entries", params)
    assert response.status_code == 422
    assert error_fields(response) == [field]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["marketer", "manager_a", "rep_a"])
def test_only_admins_read_the_log(api_as, request, entries, who):
    client = api_as(request.getfixturevalue(who))
    listing = client.get("/audit-entries")
    assert listing.status_code == 403
    assert listing.json() == {"detail": "Only admins can read the audit log."}
    assert client.get(f"/audit-entries/{entries[0].pk}").status_code == 403


@pytest.mark.django_db
def test_admin_reads_one_entry_and_unknown_is_404(api_as, admin_user, entries):
    client = api_as(admin_user)
    response = client.get(f"/audit-entries/{entries[0].pk}")
    assert response.status_code == 200
    assert (response.json()["object_label"], response.json()["action"]) == (
        "Spring launch",
        "create",
    )
    assert client.get("/audit-entries/999999").status_code == 404


@pytest.mark.django_db
def test_there_is_no_way_to_write_entries(api_as, admin_user, entries):
    client = api_as(admin_user)
    before = AuditEntry.objects.count()
    assert client.post("/audit-entries", {"action": "create"}).status_code == 405
    assert client.patch(f"/audit-entries/{entries[0].pk}", {"object_label": "x"}).status_code == 405
    assert client.delete(f"/audit-entries/{entries[0].pk}").status_code == 405
    assert AuditEntry.objects.count() == before
    assert AuditEntry.objects.get(pk=entries[0].pk).object_label == "Spring launch"
