"""Objection to direct marketing (GDPR art. 21), due dates, and the append-only consent history."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from revline.email.models import Enrollment, Send, SendState, Suppression
from revline.email.send_services import SKIP_SUPPRESSED, send_to_contact
from revline.people.models import ConsentRecord
from revline.privacy.models import PrivacyRequest, RequestStatus
from revline.privacy.services import due_date, export_request_create, objection_record
from tests.conftest import PASSWORD

from .factories import EMAIL, make_person


def test_an_objection_stops_marketing_at_once(admin_user, marketer):
    # Given a consenting person in a marketing sequence with a queued email
    person = make_person(admin_user)
    queued = Send.objects.get(contact=person.contact)
    Send.objects.filter(pk=queued.pk).update(state=SendState.QUEUED)
    ConsentRecord.objects.create(
        contact=person.contact, purpose="events", status="granted",
        recorded_at=timezone.now(), source="test",
    )  # fmt: skip
    history_before = ConsentRecord.objects.filter(contact=person.contact).count()

    # When a marketer records their objection
    request = objection_record(actor=marketer, contact=person.contact, received_via="phone")

    # Then consent is withdrawn (appended) for every purpose, the address suppressed,
    # the queued email skipped and the sequences left; the request is completed now
    latest = {
        purpose: ConsentRecord.objects.filter(contact=person.contact, purpose=purpose)
        .values_list("status", flat=True)
        .first()
        for purpose in ("marketing_email", "events")
    }
    assert latest == {"marketing_email": "withdrawn", "events": "withdrawn"}
    assert ConsentRecord.objects.filter(contact=person.contact).count() == history_before + 2
    assert Suppression.objects.filter(address=EMAIL).exists()
    queued.refresh_from_db()
    assert (queued.state, queued.reason) == (SendState.SKIPPED, "Objected to direct marketing")
    assert Enrollment.objects.get(contact=person.contact).state == "exited"
    assert (request.status, request.received_via) == (RequestStatus.COMPLETED, "phone")

    # And the next automated email is skipped
    from tests.email.sequence_factories import make_automated_email

    send = send_to_contact(email=make_automated_email(), contact=person.contact)
    assert (send.state, send.reason) == (SendState.SKIPPED, SKIP_SUPPRESSED)


def test_a_rep_cannot_record_an_objection(client, admin_user, rep_a):
    person = make_person(admin_user)
    client.login(username="rep_a", password=PASSWORD)

    response = client.post(
        reverse("privacy:contact_objection", args=[person.contact.pk]), {"received_via": "email"}
    )

    assert response.status_code == 403
    assert PrivacyRequest.objects.count() == 0
    assert not Suppression.objects.filter(address=EMAIL).exists()


def test_a_request_is_due_one_month_after_receipt_and_shows_overdue(client, admin_user):
    received = datetime(2025, 3, 1, 9, tzinfo=UTC)
    assert due_date(received) == datetime(2025, 3, 31, 9, tzinfo=UTC)

    person = make_person(admin_user)
    late = export_request_create(
        actor=admin_user, contact=person.contact, requested_at=timezone.now() - timedelta(days=40)
    )
    export_request_create(actor=admin_user, contact=person.contact)
    assert late.due_at == late.requested_at + timedelta(days=30)

    client.login(username="admin", password=PASSWORD)
    page = client.get(reverse("privacy:requests"))
    overdue = client.get(reverse("privacy:requests"), {"status": "overdue"})
    assert page.status_code == 200
    assert page.content.count(b'badge bad">Overdue') == 1
    assert [r.pk for r in overdue.context["listing"].page] == [late.pk]


def test_marketers_read_the_list_and_reps_do_not(client, admin_user, marketer, rep_a):
    person = make_person(admin_user)
    export_request_create(actor=admin_user, contact=person.contact)
    client.login(username="marketer", password=PASSWORD)
    assert client.get(reverse("privacy:requests")).status_code == 200
    client.login(username="rep_a", password=PASSWORD)
    assert client.get(reverse("privacy:requests")).status_code == 403


def test_a_request_in_the_future_is_refused(admin_user):
    from django.core.exceptions import ValidationError

    person = make_person(admin_user)
    with pytest.raises(ValidationError):
        export_request_create(
            actor=admin_user,
            contact=person.contact,
            requested_at=timezone.now() + timedelta(days=1),
        )
    assert PrivacyRequest.objects.count() == 0


def test_consent_history_is_append_only(admin_user):
    person = make_person(admin_user)
    record = ConsentRecord.objects.get(contact=person.contact)

    record.status = "withdrawn"
    with pytest.raises(ValueError, match="append-only"):
        record.save()
    with pytest.raises(ValueError, match="append-only"):
        record.delete()

    record.refresh_from_db()
    assert record.status == "granted"
    # No service, view or API offers a way to change or delete one
    import pathlib
    import re

    src = pathlib.Path(__file__).parents[2] / "src" / "revline"
    writers = [
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if re.search(r"ConsentRecord\.objects[^\n]*\.(update|delete)\(", path.read_text())
    ]
    assert writers == []


def test_the_contact_page_shows_the_privacy_card_to_admins_only(client, admin_user, rep_a):
    person = make_person(admin_user)
    url = reverse("people:contact", args=[person.contact.pk])
    client.login(username="admin", password=PASSWORD)
    admin_page = client.get(url).content.decode()
    assert 'id="privacy"' in admin_page
    assert reverse("privacy:contact_erase", args=[person.contact.pk]) in admin_page
    client.login(username="rep_a", password=PASSWORD)
    assert 'id="privacy"' not in client.get(url).content.decode()
