"""Double opt-in: a form that requires it stores consent only when the person confirms from the
email we send (real SMTP server), with their IP and the time."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from revline.content.models import FormSubmission
from revline.core.workspace import workspace_get
from revline.email.delivery_services import (
    CONFIRM_SALT,
    double_opt_in_request,
    double_opt_in_token,
)
from revline.email.models import Suppression, SuppressionReason
from revline.people.models import ConsentRecord, Contact
from tests.content.builder_factories import CONSENT, make_form
from tests.smtp import smtp_sink, use_smtp_sink

VALID = {"email": "Lin@Example.com", "first_name": "Lin", "consent": "on", "website": ""}


@pytest.fixture
def form(marketer):
    return make_form(marketer, double_opt_in=True)


@pytest.fixture
def visitor() -> Client:
    return Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.9")


@pytest.fixture
def workspace(db):
    ws = workspace_get()
    ws.name, ws.email_from_name, ws.email_from_address = "Acme", "Acme news", "news@acme.test"
    ws.postal_address = "1 Main Street\n12345 Springfield"
    ws.save()
    return ws


def confirm_path(text: str) -> str:
    match = re.search(r"http://127\.0\.0\.1:8000(/e/confirm/\S+)", text)
    assert match, text
    return match.group(1)


def test_a_double_opt_in_submission_sends_a_confirmation_and_its_link_confirms(
    form, workspace, visitor, settings, django_capture_on_commit_callbacks
):
    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        with django_capture_on_commit_callbacks(execute=True):
            response = visitor.post(f"/f/{form.embed_key}", VALID)

        assert response.status_code == 302
        contact = Contact.objects.get(email="lin@example.com")
        assert not ConsentRecord.objects.filter(contact=contact).exists()
        submission = FormSubmission.objects.get()
        assert (submission.data["consent"], submission.data["consent_confirmation"]) == (
            True,
            "pending",
        )
        [mail] = sink.messages
    assert mail.rcpt_tos == ["lin@example.com"]
    assert mail.message["From"] == "Acme news <news@acme.test>"
    assert mail.message["Subject"] == "Please confirm your subscription"
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    path = confirm_path(mail.text)
    assert f'href="http://127.0.0.1:8000{path}"' in html
    assert "1 Main Street" in mail.text
    assert CONSENT in mail.text

    # A link scanner fetching the link confirms nothing.
    page = visitor.get(path)
    assert page.status_code == 200
    assert 'id="confirm-button"' in page.content.decode()
    assert not ConsentRecord.objects.filter(contact=contact).exists()

    # The person presses Confirm (a normal form, with its CSRF token).
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert csrf
    before = timezone.now()
    done = visitor.post(path, {"csrfmiddlewaretoken": csrf.group(1)})

    assert done.status_code == 200
    assert "is confirmed" in done.content.decode()
    record = ConsentRecord.objects.get(contact=contact)
    assert (record.status, record.purpose, record.ip_address, record.source) == (
        "granted",
        "marketing_email",
        "203.0.113.9",
        f"double_opt_in:{form.pk}",
    )
    assert (record.wording, record.wording_version) == (CONSENT, "2025-03")
    assert before <= record.recorded_at <= timezone.now()

    again = visitor.post(path, {"csrfmiddlewaretoken": csrf.group(1)})
    assert again.status_code == 200
    assert ConsentRecord.objects.filter(contact=contact).count() == 1


def test_without_the_consent_box_no_confirmation_is_sent(
    form, workspace, visitor, settings, django_capture_on_commit_callbacks
):
    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        with django_capture_on_commit_callbacks(execute=True):
            visitor.post(f"/f/{form.embed_key}", {**VALID, "consent": ""})

        assert sink.messages == []
    assert not ConsentRecord.objects.exists()


def test_a_form_without_double_opt_in_records_consent_at_once(
    marketer, visitor, django_capture_on_commit_callbacks, mailoutbox
):
    form = make_form(marketer)

    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(f"/f/{form.embed_key}", VALID)

    assert ConsentRecord.objects.get().status == "granted"
    assert mailoutbox == []


def test_forged_expired_and_stale_links_confirm_nothing(form, visitor, settings):
    contact = Contact.objects.create(email="lin@example.com")
    token = double_opt_in_token(contact=contact, form=form)
    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    old = signing.dumps(
        {"c": contact.pk, "f": form.pk, "e": "lin@example.com", "t": 0}, salt=CONFIRM_SALT
    )

    assert visitor.get(f"/e/confirm/{forged}").status_code == 404
    assert visitor.post(f"/e/confirm/{forged}").status_code in (403, 404)

    # Eight days later the link has expired.
    class SignedEightDaysAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int((timezone.now() - timedelta(days=8)).timestamp()))

    payload = {"c": contact.pk, "f": form.pk, "e": "lin@example.com", "t": 0}
    expired = SignedEightDaysAgo(salt=CONFIRM_SALT).sign_object(payload, compress=True)
    response = visitor.get(f"/e/confirm/{expired}")
    assert response.status_code == 404
    assert "has expired" in response.content.decode()

    # The contact's address changed since the email was sent.
    Contact.objects.filter(pk=contact.pk).update(email="other@example.com")
    assert visitor.get(f"/e/confirm/{token}").status_code == 404
    assert visitor.get(f"/e/confirm/{old}").status_code == 404
    assert not ConsentRecord.objects.exists()


def test_no_confirmation_goes_to_an_address_that_bounced(
    form, django_capture_on_commit_callbacks, mailoutbox
):
    contact = Contact.objects.create(email="dead@example.com")
    Suppression.objects.create(
        address="dead@example.com", reason=SuppressionReason.HARD_BOUNCE, source="test"
    )

    with django_capture_on_commit_callbacks(execute=True):
        asked = double_opt_in_request(contact=contact, form=form)

    assert asked is False
    assert mailoutbox == []


def test_confirming_a_new_sign_up_lifts_an_earlier_unsubscribe(form, visitor, client):
    contact = Contact.objects.create(email="lin@example.com")
    Suppression.objects.create(
        address="lin@example.com", reason=SuppressionReason.UNSUBSCRIBED, source="one-click"
    )
    path = f"/e/confirm/{double_opt_in_token(contact=contact, form=form)}"

    response = client.post(path)

    assert response.status_code == 200
    assert not Suppression.objects.exists()
    assert ConsentRecord.objects.get().status == "granted"


def test_the_form_builder_offers_the_double_opt_in_setting(client, marketer):
    from tests.conftest import PASSWORD

    form = make_form(marketer)
    client.login(username="marketer", password=PASSWORD)

    page = client.get(f"/forms/{form.pk}/edit").content.decode()

    assert 'name="double_opt_in"' in page
