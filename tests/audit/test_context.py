"""The request context of audit entries: worked out only when an entry is written, and the same
values as the request carries."""

from django.urls import reverse

from revline.audit.models import AuditAction, AuditEntry
from tests.conftest import PASSWORD


def test_an_entry_records_the_address_and_the_request_id_the_response_echoes(client, rep_a):
    # When a sign-in (which writes an entry) is posted
    response = client.post(reverse("login"), {"username": "rep_a", "password": PASSWORD})

    # Then the entry holds the client address and the random request id the response carries
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN)
    assert (entry.ip, len(entry.request_id)) == ("127.0.0.1", 32)
    assert response["X-Request-ID"] == entry.request_id


def test_a_request_id_sent_by_the_client_is_recorded_cleaned_and_echoed(client, rep_a):
    response = client.post(
        reverse("login"),
        {"username": "rep_a", "password": PASSWORD},
        headers={"X-Request-ID": "trace 42/<b>"},
    )

    entry = AuditEntry.objects.get(action=AuditAction.LOGIN)
    assert (entry.request_id, response["X-Request-ID"]) == ("trace42b", "trace42b")


def test_a_request_that_writes_no_entry_makes_up_no_request_id(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert "X-Request-ID" not in response
    assert not AuditEntry.objects.exists()


def test_a_request_id_sent_by_the_client_is_echoed_even_without_an_entry(client, db):
    response = client.get(reverse("login"), headers={"X-Request-ID": "abc-1"})

    assert response["X-Request-ID"] == "abc-1"
    assert not AuditEntry.objects.exists()
