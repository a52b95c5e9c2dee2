"""Privacy requests over the API: export (with its archive), objection, erasure."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from revline.audit.models import AuditEntry
from revline.people.models import ConsentRecord, Contact
from revline.people.services import contact_create
from revline.privacy.models import ErasedEmail, PrivacyRequest

from .conftest import error_fields


@pytest.fixture
def ada(db) -> Contact:
    return contact_create(actor=None, email="ada@example.com", first_name="Ada", last_name="King")


@pytest.fixture
def export_request(admin_user, ada) -> PrivacyRequest:
    from revline.privacy.services import export_request_create

    return export_request_create(actor=admin_user, contact=ada, note="By email")


def audit_actions(request_pk: int) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="privacy.privacyrequest", object_id=str(request_pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- create -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_records_an_export_request_open_with_a_due_date(api_as, admin_user, ada):
    # When
    response = api_as(admin_user).post(
        "/privacy-requests",
        {"kind": "export", "contact_id": ada.pk, "received_via": "letter", "note": " Ticket 7 "},
    )
    # Then
    assert response.status_code == 201
    request = PrivacyRequest.objects.get()
    body = response.json()
    assert {k: body[k] for k in ("id", "kind", "status", "contact_id", "subject_label")} == {
        "id": request.pk,
        "kind": "export",
        "status": "open",
        "contact_id": ada.pk,
        "subject_label": f"Contact #{ada.pk}",
    }
    assert (body["received_via"], body["note"], body["completed_at"]) == (
        "letter",
        "Ticket 7",
        None,
    )
    assert request.due_at - request.requested_at == timedelta(days=30)
    assert body["handled_by"]["id"] == admin_user.pk
    assert audit_actions(request.pk) == ["create"]


@pytest.mark.django_db
def test_marketer_records_an_objection_honoured_at_once(api_as, marketer, ada):
    response = api_as(marketer).post(
        "/privacy-requests", {"kind": "objection", "contact_id": ada.pk}
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["kind"]) == ("completed", "objection")
    assert list(ConsentRecord.objects.filter(contact=ada).values_list("status", flat=True)) == [
        "withdrawn"
    ]
    assert audit_actions(response.json()["id"]) == ["create", "update"]
    completion = AuditEntry.objects.filter(object_type="privacy.privacyrequest").latest("pk")
    assert completion.changes["status"] == ["open", "completed"]


@pytest.mark.django_db
def test_admin_erases_a_contact_with_confirmation(api_as, admin_user, ada):
    response = api_as(admin_user).post(
        "/privacy-requests", {"kind": "erasure", "contact_id": ada.pk, "confirm": True}
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["contact_id"]) == ("completed", None)
    assert Contact.objects.count() == 0
    assert ErasedEmail.objects.count() == 1
    assert "ada@example.com" not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "erasure"}, None),
        ({"kind": "deletion"}, "kind"),
        ({"kind": "export", "received_via": "pigeon"}, "received_via"),
        ({"kind": "export", "contact_id": 999999}, "contact_id"),
        ({"kind": "export", "requested_at": "2999-01-01T00:00:00Z"}, "requested_at"),
        ({"kind": "export", "note": "x" * 2001}, "note"),
        ({"kind": "export", "status": "completed"}, "status"),
    ],
)
def test_bad_request_is_422_and_changes_nothing(api_as, admin_user, ada, body, field):
    payload = {"contact_id": ada.pk, **body}
    response = api_as(admin_user).post("/privacy-requests", payload)
    assert response.status_code == 422
    if field is None:
        assert response.json()["detail"][0]["msg"] == (
            "Value error, An erasure deletes the person for good: send confirm: true."
        )
    else:
        assert error_fields(response) == [field]
    assert PrivacyRequest.objects.count() == 0
    assert Contact.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "kind", "message"),
    [
        ("marketer", "export", "Only admins can export a person's data."),
        ("marketer", "erasure", "Only admins can erase a person."),
        ("rep_a", "objection", "Only admins and marketers can record an objection."),
    ],
)
def test_roles_that_may_not_are_403(api_as, request, ada, who, kind, message):
    user = request.getfixturevalue(who)
    response = api_as(user).post(
        "/privacy-requests", {"kind": kind, "contact_id": ada.pk, "confirm": True}
    )
    assert response.status_code == 403
    assert response.json() == {"detail": message}
    assert PrivacyRequest.objects.count() == 0
    assert Contact.objects.count() == 1
    assert ConsentRecord.objects.count() == 0


# --- list and read ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_filters_and_sorts(api_as, admin_user, marketer, ada, export_request):
    from revline.privacy.services import objection_record

    objection = objection_record(actor=admin_user, contact=ada)
    client = api_as(marketer)
    everything = client.get("/privacy-requests", {"sort": "-requested_at"}).json()
    assert [r["id"] for r in everything["items"]] == [objection.pk, export_request.pk]
    assert everything["total"] == 2
    open_only = client.get("/privacy-requests", {"status": "open"}).json()["items"]
    assert [r["id"] for r in open_only] == [export_request.pk]
    exports = client.get("/privacy-requests", {"kind": "objection", "q": "ada@"}).json()["items"]
    assert [r["id"] for r in exports] == [objection.pk]
    none = client.get("/privacy-requests", {"contact_id": ada.pk + 1}).json()
    assert none["total"] == 0


@pytest.mark.django_db
def test_list_refuses_bad_filters_and_sales_reps(api_as, marketer, rep_a):
    bad = api_as(marketer).get("/privacy-requests", {"kind": "nope", "sort": "note"})
    assert bad.status_code == 422
    assert sorted(error_fields(bad)) == ["kind", "sort"]
    assert api_as(rep_a).get("/privacy-requests").status_code == 403


@pytest.mark.django_db
def test_read_one(api_as, marketer, rep_a, export_request):
    response = api_as(marketer).get(f"/privacy-requests/{export_request.pk}")
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["note"]) == (export_request.pk, "By email")
    assert api_as(marketer).get("/privacy-requests/999999").status_code == 404
    assert api_as(rep_a).get(f"/privacy-requests/{export_request.pk}").status_code == 403


# --- note -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_changes_the_note(api_as, admin_user, marketer, export_request):
    response = api_as(admin_user).patch(
        f"/privacy-requests/{export_request.pk}", {"note": "Sent by post"}
    )
    assert response.status_code == 200 and response.json()["note"] == "Sent by post"
    assert audit_actions(export_request.pk) == ["create", "update"]
    null = api_as(admin_user).patch(f"/privacy-requests/{export_request.pk}", {"note": None})
    assert null.status_code == 422 and error_fields(null) == ["note"]
    forbidden = api_as(marketer).patch(f"/privacy-requests/{export_request.pk}", {"note": "x"})
    assert forbidden.status_code == 403
    assert api_as(admin_user).patch("/privacy-requests/999999", {"note": "x"}).status_code == 404
    export_request.refresh_from_db()
    assert export_request.note == "Sent by post"


# --- archive ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_downloading_the_archive_completes_the_export(api_as, admin_user, ada, export_request):
    response = api_as(admin_user).post(f"/privacy-requests/{export_request.pk}/archive")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "manifest.json" in archive.namelist()
    assert "ada@example.com" in archive.read("profile.json").decode()
    export_request.refresh_from_db()
    assert export_request.status == "completed" and export_request.completed_at is not None
    assert audit_actions(export_request.pk) == ["create", "update"]


@pytest.mark.django_db
def test_archive_refusals(api_as, admin_user, marketer, ada, export_request):
    from revline.privacy.services import objection_record

    objection = objection_record(actor=admin_user, contact=ada)
    wrong_kind = api_as(admin_user).post(f"/privacy-requests/{objection.pk}/archive")
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["detail"][0]["msg"] == "Only an export request has an archive."
    assert (
        api_as(marketer).post(f"/privacy-requests/{export_request.pk}/archive").status_code == 403
    )
    assert api_as(admin_user).post("/privacy-requests/999999/archive").status_code == 404
    export_request.refresh_from_db()
    assert (export_request.status, export_request.completed_at) == ("open", None)


@pytest.mark.django_db
def test_requested_at_in_the_past_sets_the_due_date(api_as, admin_user, ada):
    received = timezone.now() - timedelta(days=3)
    response = api_as(admin_user).post(
        "/privacy-requests",
        {"kind": "export", "contact_id": ada.pk, "requested_at": received.isoformat()},
    )
    assert response.status_code == 201
    request = PrivacyRequest.objects.get()
    assert request.due_at == request.requested_at + timedelta(days=30)
    assert abs((request.requested_at - received).total_seconds()) < 1
