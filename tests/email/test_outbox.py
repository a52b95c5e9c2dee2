"""The outbox backend keeps messages instead of sending them; the outbox pages show them."""

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection, send_mail

from revline.email.models import EmailTemplate, OutboxMessage
from revline.email.outbox_selectors import outbox_parse
from revline.email.rendering import workspace_name_clear

OUTBOX = "revline.email.backends.OutboxBackend"


@pytest.fixture(autouse=True)
def _fresh_workspace_name():
    workspace_name_clear()


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = OUTBOX


def send_newsletter() -> None:
    message = EmailMultiAlternatives(
        subject="Spring news — für Sie",
        body="Hello Ada\n\nRead more (https://example.com)\n",
        from_email="Acme <news@acme.example>",
        to=["ada@example.com"],
        headers={"Message-ID": "<abc123@acme.example>"},
    )
    message.attach_alternative(
        '<p>Hello Ada</p><script>alert(1)</script><a href="https://example.com">Read more</a>',
        "text/html",
    )
    message.send()


@pytest.mark.django_db
def test_the_backend_stores_the_raw_message_instead_of_sending(outbox, mailoutbox):
    send_newsletter()

    stored = OutboxMessage.objects.get()
    assert (stored.to, stored.from_email, stored.subject, stored.message_id) == (
        "ada@example.com",
        "Acme <news@acme.example>",
        "Spring news — für Sie",
        "<abc123@acme.example>",
    )
    assert stored.raw.startswith("Content-Type: multipart/alternative;")
    assert "\r\nMessage-ID: <abc123@acme.example>\r\n" in stored.raw
    parsed = outbox_parse(stored)
    assert dict(parsed.headers)["Subject"] == "Spring news — für Sie"
    assert parsed.text == "Hello Ada\n\nRead more (https://example.com)\n"
    assert parsed.html.startswith("<p>Hello Ada</p>")
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_message_without_recipients_is_not_stored(settings):
    connection = get_connection(OUTBOX)

    sent = connection.send_messages([EmailMultiAlternatives(subject="x", body="y", to=[])])

    assert sent == 0
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_the_outbox_setting_maps_to_the_backend(monkeypatch):
    import importlib

    import revline.settings as revline_settings

    monkeypatch.setenv("REVLINE_EMAIL_BACKEND", "outbox")
    try:
        assert importlib.reload(revline_settings).EMAIL_BACKEND == OUTBOX
    finally:
        monkeypatch.delenv("REVLINE_EMAIL_BACKEND")
        importlib.reload(revline_settings)


@pytest.mark.django_db
def test_outbox_list_and_detail(client, marketer, outbox):
    send_newsletter()
    send_mail("Other", "text", "a@acme.example", ["bob@example.com"])
    stored = OutboxMessage.objects.get(subject="Spring news — für Sie")
    client.force_login(marketer)

    listing = client.get("/email/outbox/?q=ada").content.decode()
    detail = client.get(f"/email/outbox/{stored.pk}/").content.decode()

    assert "Emails are kept in the outbox, not sent." in listing
    assert "Spring news — für Sie" in listing and "Other" not in listing
    assert '<iframe sandbox="" referrerpolicy="no-referrer" title="HTML part" srcdoc="' in detail
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail  # escaped into srcdoc, sandboxed
    assert "<script>alert(1)" not in detail
    assert "<dt>Message-ID</dt><dd>&lt;abc123@acme.example&gt;</dd>" in detail
    assert "Read more (https://example.com)" in detail
    assert "Raw message (RFC 5322)" in detail


@pytest.mark.django_db
def test_outbox_empty_state_and_missing_message(client, admin_user):
    client.force_login(admin_user)

    page = client.get("/email/outbox/").content.decode()

    assert "The outbox is empty." in page
    assert "Emails are kept in the outbox" not in page
    assert client.get("/email/outbox/12345/").status_code == 404


@pytest.mark.django_db
def test_reps_cannot_read_the_outbox(client, rep_a, outbox):
    send_newsletter()
    stored = OutboxMessage.objects.get()
    client.force_login(rep_a)

    assert client.get("/email/outbox/").status_code == 403
    assert client.get(f"/email/outbox/{stored.pk}/").status_code == 403


@pytest.mark.django_db
def test_a_test_send_lands_in_the_outbox_and_the_editor_says_so(client, marketer, outbox):
    client.force_login(marketer)
    data = {
        "name": "T",
        "subject": "Hello",
        "body_format": "blocks",
        "block_count": "1",
        "block-0-type": "text",
        "block-0-text": "Body",
        "to_address": "qa@example.com",
    }

    response = client.post("/email/templates/test/", data, HTTP_HX_REQUEST="true")
    banner = client.get("/email/templates/").content.decode()

    assert "It is in the <a" in response.content.decode()
    assert OutboxMessage.objects.get().subject == "[Test] Hello"
    assert EmailTemplate.objects.count() == 0
    assert "Emails are kept in the outbox, not sent." in banner


def test_an_8bit_utf8_text_part_reads_back_intact(db):
    # Given a message whose plain part Django encodes as 8-bit UTF-8
    from django.core.mail import EmailMultiAlternatives

    from revline.email.backends import OutboxBackend
    from revline.email.models import OutboxMessage
    from revline.email.outbox_selectors import outbox_parse

    message = EmailMultiAlternatives(
        "Grüße", "Torstraße 109 · Berlin", "a@example.com", ["b@example.com"]
    )
    message.attach_alternative("<p>Torstraße 109</p>", "text/html")
    OutboxBackend().send_messages([message])
    # Then both parts read back with their non-ASCII characters
    parsed = outbox_parse(OutboxMessage.objects.get())
    assert parsed.text.strip() == "Torstraße 109 · Berlin"
    assert "Torstraße 109" in parsed.html
