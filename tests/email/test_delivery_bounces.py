"""Bounces and complaints: DSN/ARF reports posted to the webhook or read over IMAP, and provider
events from django-anymail, all ending in the same processing."""

import base64
import json
from io import StringIO
from pathlib import Path

import pytest
from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent, tracking
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.utils import timezone

from revline.email.delivery_services import delivery_report_process
from revline.email.models import (
    DeliveryEvent,
    DeliveryEventKind,
    EnrollmentState,
    SendState,
    Sequence,
    SequenceTrigger,
    Suppression,
    SuppressionReason,
)

from .delivery_factories import make_contact, make_send
from .delivery_imap_server import Mailbox, TlsFiles, imap_server, make_tls_files

SAMPLES = Path(__file__).parent / "dsn_samples"
SECRET = "s3cret-path-part-0123456789"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def mta() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def dsn_secret(settings):
    settings.REVLINE_DSN_SECRET = SECRET


def post_dsn(client: Client, secret: str, raw: bytes):
    return client.post(f"/e/dsn/{secret}", data=raw, content_type="message/rfc822")


# --- Processing ---------------------------------------------------------------------------------


def test_a_hard_bounce_suppresses_the_address_and_marks_the_send_bounced(db):
    send = make_send(
        make_contact("nobody@example.net"), message_id="<revline.postfix-1@example.org>"
    )
    sequence = Sequence.objects.create(name="Nurture", trigger=SequenceTrigger.FORM_SUBMITTED)
    enrollment = sequence.enrollments.create(contact=send.contact, entered_at=timezone.now())

    [event] = delivery_report_process(raw=sample("postfix_hard_bounce.eml"), source="imap")

    assert (event.kind, event.send_id, event.address, event.source) == (
        DeliveryEventKind.HARD_BOUNCE,
        send.pk,
        "nobody@example.net",
        "imap",
    )
    assert event.external_id == "imap:20250311091402.4B2D51C0A3F@mail.example.org"
    assert event.detail.startswith("5.1.1 smtp; 550 5.1.1")
    send.refresh_from_db()
    assert send.state == SendState.BOUNCED
    assert send.bounced_at == event.occurred_at
    row = Suppression.objects.get()
    assert (row.address, row.reason, row.send_id) == (
        "nobody@example.net",
        SuppressionReason.HARD_BOUNCE,
        send.pk,
    )
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.exit_reason) == (EnrollmentState.EXITED, "bounced")


def test_the_same_report_twice_is_recorded_once(db):
    make_send(make_contact("nobody@example.net"), message_id="<revline.postfix-1@example.org>")
    delivery_report_process(raw=sample("postfix_hard_bounce.eml"), source="imap")

    again = delivery_report_process(raw=sample("postfix_hard_bounce.eml"), source="imap")

    assert again == []
    assert DeliveryEvent.objects.count() == 1
    assert Suppression.objects.count() == 1


def test_a_soft_bounce_is_recorded_only(db):
    send = make_send(
        make_contact("full.box@example.com"), message_id="revline.delayed-1@example.org"
    )

    [event] = delivery_report_process(raw=sample("postfix_delayed.eml"), source="imap")

    assert (event.kind, event.send_id) == (DeliveryEventKind.SOFT_BOUNCE, send.pk)
    send.refresh_from_db()
    assert (send.state, send.bounced_at) == (SendState.SENT, None)
    assert not Suppression.objects.exists()


def test_a_complaint_suppresses_the_address_and_stamps_the_send(db):
    send = make_send(
        make_contact("angry.reader@example-isp.net"), message_id="<revline.arf-1@example.org>"
    )

    [event] = delivery_report_process(raw=sample("arf_complaint.eml"), source="imap")

    assert (event.kind, event.detail) == (DeliveryEventKind.COMPLAINT, "Feedback type: abuse")
    send.refresh_from_db()
    assert send.complained_at == event.occurred_at
    assert send.state == SendState.SENT
    assert Suppression.objects.get().reason == SuppressionReason.COMPLAINT


def test_a_report_of_an_unknown_message_matches_the_latest_send_to_the_address(db):
    contact = make_contact("gone.person@gmail.com")
    make_send(contact, name="Older")
    latest = make_send(contact, name="Newer")

    [event] = delivery_report_process(raw=sample("gmail_hard_bounce.eml"), source="imap")

    assert event.send_id == latest.pk
    assert Suppression.objects.get().address == "gone.person@gmail.com"


def test_a_bounce_for_an_address_we_never_mailed_still_suppresses_it(db):
    [event] = delivery_report_process(raw=sample("exchange_hard_bounce.eml"), source="imap")

    assert (event.send_id, event.address) == (None, "former.employee@contoso.com")
    assert Suppression.objects.get().address == "former.employee@contoso.com"


def test_a_message_that_is_no_report_changes_nothing(db):
    assert delivery_report_process(raw=sample("auto_reply.eml"), source="imap") == []
    assert not DeliveryEvent.objects.exists()


# --- The webhook --------------------------------------------------------------------------------


def test_the_webhook_processes_a_posted_report(db, dsn_secret, mta):
    make_send(make_contact("nobody@example.net"), message_id="<revline.postfix-1@example.org>")

    response = post_dsn(mta, SECRET, sample("postfix_hard_bounce.eml"))

    assert response.status_code == 200
    assert response.json() == {"events": [{"kind": "hard_bounce", "address": "nobody@example.net"}]}
    assert DeliveryEvent.objects.get().source == "dsn_webhook"
    assert post_dsn(mta, SECRET, sample("postfix_hard_bounce.eml")).json() == {"events": []}


@pytest.mark.parametrize("secret", ["wrong", SECRET[:-1], SECRET + "x"])
def test_a_wrong_secret_is_404_and_changes_nothing(db, dsn_secret, mta, secret):
    response = post_dsn(mta, secret, sample("postfix_hard_bounce.eml"))

    assert response.status_code == 404
    assert not DeliveryEvent.objects.exists()
    assert not Suppression.objects.exists()


def test_without_a_configured_secret_the_webhook_is_off(db, settings, mta):
    settings.REVLINE_DSN_SECRET = ""

    assert post_dsn(mta, "", sample("postfix_hard_bounce.eml")).status_code == 404
    assert post_dsn(mta, "anything", sample("postfix_hard_bounce.eml")).status_code == 404
    assert not DeliveryEvent.objects.exists()


def test_an_empty_body_is_a_400_with_a_reason(db, dsn_secret, mta):
    response = post_dsn(mta, SECRET, b"")

    assert response.status_code == 400
    assert response.content == b"Post the raw RFC 5322 message as the request body."


def test_a_get_is_refused(db, dsn_secret, mta):
    assert mta.get(f"/e/dsn/{SECRET}").status_code == 405


# --- django-anymail ------------------------------------------------------------------------------


def anymail_event(**fields) -> AnymailTrackingEvent:
    values = {"timestamp": timezone.now(), "esp_event": {}, **fields}
    return AnymailTrackingEvent(**values)


def test_an_anymail_bounce_signal_suppresses_like_a_dsn(db):
    send = make_send(make_contact("ada@example.com"))

    tracking.send(
        sender=PostmarkTrackingWebhookView,
        event=anymail_event(
            event_type="bounced",
            event_id="pm-1",
            message_id=send.message_id.strip("<>"),
            recipient="ada@example.com",
            mta_response="550 5.1.1 user unknown",
        ),
        esp_name="Postmark",
    )

    event = DeliveryEvent.objects.get()
    assert (event.kind, event.external_id, event.source, event.send_id) == (
        DeliveryEventKind.HARD_BOUNCE,
        "postmark:pm-1",
        "postmark",
        send.pk,
    )
    send.refresh_from_db()
    assert send.state == SendState.BOUNCED
    assert Suppression.objects.get().reason == SuppressionReason.HARD_BOUNCE


def test_anymail_events_are_matched_by_the_send_token_in_metadata(db):
    contact = make_contact("ada@example.com")
    first = make_send(contact, name="First")
    make_send(contact, name="Second")

    tracking.send(
        sender=None,
        event=anymail_event(
            event_type="complained",
            event_id="sg-9",
            message_id="provider-id-1",
            recipient="ada@example.com",
            metadata={"revline_send": first.token},
        ),
        esp_name="SendGrid",
    )

    first.refresh_from_db()
    assert first.complained_at is not None
    assert Suppression.objects.get().reason == SuppressionReason.COMPLAINT


def test_a_temporary_anymail_bounce_is_soft_and_recorded_only(db):
    make_send(make_contact("ada@example.com"))

    tracking.send(
        sender=None,
        event=anymail_event(
            event_type="bounced",
            event_id="pm-2",
            recipient="ada@example.com",
            mta_response="452 4.2.2 mailbox full",
        ),
        esp_name="Postmark",
    )

    assert DeliveryEvent.objects.get().kind == DeliveryEventKind.SOFT_BOUNCE
    assert not Suppression.objects.exists()


def test_anymail_delivered_unsubscribed_and_repeated_events(db):
    send = make_send(make_contact("ada@example.com"))
    delivered = anymail_event(event_type="delivered", event_id="mg-1", recipient="ada@example.com")

    tracking.send(sender=None, event=delivered, esp_name="Mailgun")
    tracking.send(sender=None, event=delivered, esp_name="Mailgun")
    tracking.send(
        sender=None,
        event=anymail_event(event_type="opened", event_id="mg-2", recipient="ada@example.com"),
        esp_name="Mailgun",
    )
    tracking.send(
        sender=None,
        event=anymail_event(
            event_type="unsubscribed", event_id="mg-3", recipient="ada@example.com"
        ),
        esp_name="Mailgun",
    )

    assert list(DeliveryEvent.objects.values_list("kind", flat=True)) == ["delivered"]
    send.refresh_from_db()
    assert send.unsubscribed_at is not None
    assert Suppression.objects.get().source == "Mailgun: Spring news"


def test_a_real_postmark_webhook_post_reaches_the_processing(db, settings):
    make_send(make_contact("john@example.com"))
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:pw"}
    view = PostmarkTrackingWebhookView.as_view()
    body = {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist",
        "Email": "john@example.com",
        "BouncedAt": "2025-03-11T16:33:54.9070259Z",
    }
    auth = "Basic " + base64.b64encode(b"hook:pw").decode()
    factory = RequestFactory()

    with pytest.raises(AnymailWebhookValidationFailure):
        view(factory.post("/anymail/postmark/tracking/", json.dumps(body), "application/json"))
    assert not DeliveryEvent.objects.exists()
    accepted = view(
        factory.post(
            "/anymail/postmark/tracking/",
            json.dumps(body),
            "application/json",
            HTTP_AUTHORIZATION=auth,
        )
    )

    assert accepted.status_code == 200
    event = DeliveryEvent.objects.get()
    assert (event.kind, event.external_id, event.address) == (
        DeliveryEventKind.HARD_BOUNCE,
        "postmark:4323372036854775807",
        "john@example.com",
    )


# --- IMAP ----------------------------------------------------------------------------------------


def test_the_command_reads_unseen_messages_over_imap_and_marks_them_seen(db, monkeypatch):
    make_send(make_contact("nobody@example.net"), message_id="<revline.postfix-1@example.org>")
    box = Mailbox(user="bounces", password="pw")
    bounce = box.add(sample("postfix_hard_bounce.eml").replace(b"\n", b"\r\n"))
    reply = box.add(sample("auto_reply.eml").replace(b"\n", b"\r\n"))
    old = box.add(sample("arf_complaint.eml"))
    box.seen.add(old)
    monkeypatch.setenv("BOUNCE_PW", "pw")
    out = StringIO()

    with imap_server(box) as (host, port):
        call_command(
            "email_bounces",
            "--host", host, "--port", str(port), "--user", "bounces",
            "--password-env", "BOUNCE_PW", "--no-ssl",
            stdout=out,
        )  # fmt: skip

    assert out.getvalue().strip() == (
        "2 message(s) read, 1 report(s), 1 new bounce/complaint/delivery event(s)."
    )
    assert box.seen == {bounce, reply, old}
    assert list(Suppression.objects.values_list("address", "reason")) == [
        ("nobody@example.net", "hard_bounce")
    ]


def test_the_command_fails_clearly_on_a_wrong_password_or_a_missing_variable(db, monkeypatch):
    box = Mailbox(user="bounces", password="pw")
    box.add(sample("postfix_hard_bounce.eml"))
    monkeypatch.setenv("BOUNCE_PW", "wrong")

    with imap_server(box) as (host, port), pytest.raises(CommandError, match=r"^IMAP: "):
        call_command(
            "email_bounces",
            "--host", host, "--port", str(port), "--user", "bounces",
            "--password-env", "BOUNCE_PW", "--no-ssl",
        )  # fmt: skip
    with pytest.raises(CommandError, match="NOT_SET_ANYWHERE is not set"):
        call_command(
            "email_bounces", "--host", "localhost", "--user", "u", "--password-env",
            "NOT_SET_ANYWHERE",
        )  # fmt: skip

    assert box.seen == set()
    assert not DeliveryEvent.objects.exists()


# --- IMAP over TLS -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("imap-tls"))


def bounce_box() -> Mailbox:
    box = Mailbox(user="bounces", password="pw")
    box.add(sample("postfix_hard_bounce.eml").replace(b"\n", b"\r\n"))
    return box


@pytest.mark.parametrize(
    ("mode", "option"), [("tls", "--ssl"), ("starttls", "--starttls")], ids=["imaps", "starttls"]
)
def test_the_command_reads_bounces_over_tls_trusting_a_private_ca(
    db, monkeypatch, tls_files, mode, option
):
    # Given a bounce in a mailbox served over TLS with a certificate of a private CA
    make_send(make_contact("nobody@example.net"), message_id="<revline.postfix-1@example.org>")
    box = bounce_box()
    monkeypatch.setenv("BOUNCE_PW", "pw")
    out = StringIO()

    # When the command reads it, trusting that CA
    with imap_server(box, **{mode: tls_files.server_context()}) as (_, port):
        call_command(
            "email_bounces",
            "--host", "localhost", "--port", str(port), "--user", "bounces",
            "--password-env", "BOUNCE_PW", option, "--ca-file", str(tls_files.ca),
            stdout=out,
        )  # fmt: skip

    # Then it logged in over TLS, recorded the bounce and suppressed the address
    assert box.logins == ["TLSv1.3"]
    assert out.getvalue().strip() == (
        "1 message(s) read, 1 report(s), 1 new bounce/complaint/delivery event(s)."
    )
    assert box.seen == {101}
    assert list(DeliveryEvent.objects.values_list("kind", "address", "source")) == [
        ("hard_bounce", "nobody@example.net", "imap")
    ]
    assert list(Suppression.objects.values_list("address", "reason")) == [
        ("nobody@example.net", "hard_bounce")
    ]


@pytest.mark.parametrize(
    ("mode", "option"), [("tls", "--ssl"), ("starttls", "--starttls")], ids=["imaps", "starttls"]
)
def test_a_certificate_of_an_untrusted_ca_is_refused_before_the_password_is_sent(
    db, monkeypatch, tls_files, mode, option
):
    # Given the same server, but the command trusts only the system's CAs
    box = bounce_box()
    monkeypatch.setenv("BOUNCE_PW", "pw")

    with (
        imap_server(box, **{mode: tls_files.server_context()}) as (_, port),
        pytest.raises(CommandError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        call_command(
            "email_bounces",
            "--host", "localhost", "--port", str(port), "--user", "bounces",
            "--password-env", "BOUNCE_PW", option,
        )  # fmt: skip

    # Then nothing was logged in, read or recorded
    assert box.logins == []
    assert box.seen == set()
    assert not DeliveryEvent.objects.exists()
    assert not Suppression.objects.exists()


def test_a_host_name_the_certificate_does_not_name_is_refused(db, monkeypatch, tls_files):
    # Given a certificate for "localhost", reached as 127.0.0.1
    box = bounce_box()
    monkeypatch.setenv("BOUNCE_PW", "pw")

    with (
        imap_server(box, tls=tls_files.server_context()) as (_, port),
        pytest.raises(CommandError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        call_command(
            "email_bounces",
            "--host", "127.0.0.1", "--port", str(port), "--user", "bounces",
            "--password-env", "BOUNCE_PW", "--ca-file", str(tls_files.ca),
        )  # fmt: skip

    assert box.logins == []
    assert not Suppression.objects.exists()


def test_starttls_is_refused_by_a_server_that_does_not_offer_it(db, monkeypatch, tls_files):
    box = bounce_box()
    monkeypatch.setenv("BOUNCE_PW", "pw")

    with (
        imap_server(box) as (host, port),
        pytest.raises(CommandError, match=r"^IMAP: TLS not supported by server$"),
    ):
        call_command(
            "email_bounces",
            "--host", host, "--port", str(port), "--user", "bounces",
            "--password-env", "BOUNCE_PW", "--starttls", "--ca-file", str(tls_files.ca),
        )  # fmt: skip

    assert box.logins == []
    assert box.seen == set()


def test_ca_file_options_are_checked(db, monkeypatch, tmp_path):
    monkeypatch.setenv("BOUNCE_PW", "pw")
    base = ["email_bounces", "--host", "localhost", "--user", "u", "--password-env", "BOUNCE_PW"]

    with pytest.raises(CommandError, match=r"^--ca-file needs TLS: drop --no-ssl, or add"):
        call_command(*base, "--no-ssl", "--ca-file", str(tmp_path))
    with pytest.raises(CommandError, match=r"^--ca-file: no such file: "):
        call_command(*base, "--ca-file", str(tmp_path / "missing.pem"))
