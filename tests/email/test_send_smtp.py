"""Handing messages to a real SMTP server (aiosmtpd), pipelined (RFC 2920) or not."""

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from revline.email import send_services as services
from revline.email.models import EmailStatus, Send, SendState
from revline.email.send_smtp import SmtpTransmitter, pipelining, send_raw
from tests.smtp import SmtpSink, _free_port, use_smtp_sink

from .test_send_services import make_contact, make_email

RAW = (
    b"From: news@acme.example\r\nTo: ann@example.com\r\nSubject: Hi\r\n\r\n"
    b"Hello\r\n.a line that starts with a dot\r\n"
)


class PipeliningSink(SmtpSink):
    """Advertises PIPELINING, as Postfix and the providers do; refuses addresses on request."""

    refuse_sender: str = "nobody"
    refuse_recipient: str = "nobody"
    refuse_data_for: str = "nobody"
    peers: set[Any]

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.startswith(self.refuse_sender):
            return "550 5.7.1 Sender rejected"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith(self.refuse_recipient):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if envelope.rcpt_tos[0].startswith(self.refuse_data_for):
            return "554 5.7.1 Message rejected as spam"
        self.peers.add(session.peer)
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def serve(sink: SmtpSink) -> Iterator[SmtpSink]:
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def pipelining_sink() -> Iterator[PipeliningSink]:
    sink = PipeliningSink(port=_free_port("127.0.0.1"))
    sink.peers = set()
    with serve(sink):
        yield sink


@pytest.fixture
def plain_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=_free_port("127.0.0.1"))
    with serve(sink):
        yield sink


def connect(sink: SmtpSink) -> smtplib.SMTP:
    smtp = smtplib.SMTP(sink.host, sink.port, timeout=10)
    smtp.ehlo()
    return smtp


def test_pipelined_message_is_accepted_only_once_its_verdict_is_read(pipelining_sink):
    # Given a server that advertises PIPELINING
    smtp = connect(pipelining_sink)
    transmitter = SmtpTransmitter(smtp)
    assert pipelining(smtp)
    # When a message is begun, the verdict is still to be read
    transmitter.begin("news@acme.example", "ann@example.com", RAW)
    assert transmitter.waiting
    with pytest.raises(RuntimeError):
        transmitter.begin("news@acme.example", "bob@example.com", RAW)
    transmitter.end()
    # Then it arrived once, dot-stuffing undone, and the connection carries the next message
    send_raw(smtp, "news@acme.example", "bob@example.com", RAW)
    smtp.quit()
    assert [m.rcpt_tos for m in pipelining_sink.messages] == [
        ["ann@example.com"],
        ["bob@example.com"],
    ]
    assert pipelining_sink.messages[0].message.get_payload() == (
        "Hello\r\n.a line that starts with a dot\r\n"
    )
    assert pipelining_sink.messages[0].mail_from == "news@acme.example"


def test_without_pipelining_begin_sends_the_whole_message(plain_sink):
    smtp = connect(plain_sink)
    transmitter = SmtpTransmitter(smtp)
    assert not pipelining(smtp)
    transmitter.begin("news@acme.example", "ann@example.com", RAW)
    # Then nothing is left to read: the message is already accepted
    assert not transmitter.waiting
    assert [m.rcpt_tos for m in plain_sink.messages] == [["ann@example.com"]]
    transmitter.end()
    smtp.quit()


@pytest.mark.parametrize(
    ("refusal", "error", "reply"),
    [
        ("refuse_sender", smtplib.SMTPSenderRefused, (550, b"5.7.1 Sender rejected")),
        ("refuse_recipient", smtplib.SMTPRecipientsRefused, (550, b"5.1.1 No such user")),
        ("refuse_data_for", smtplib.SMTPDataError, (554, b"5.7.1 Message rejected as spam")),
    ],
)
def test_a_pipelined_refusal_raises_like_sendmail_and_the_connection_goes_on(
    pipelining_sink, refusal, error, reply
):
    # Given a server that refuses one sender, recipient or message
    setattr(pipelining_sink, refusal, "bad")
    sender = "bad@acme.example" if refusal == "refuse_sender" else "news@acme.example"
    smtp = connect(pipelining_sink)
    # When that message is sent
    with pytest.raises(error) as raised:
        send_raw(smtp, sender, "bad@example.com", RAW)
    # Then the exception carries the server's reply, as smtplib's sendmail would
    if error is smtplib.SMTPRecipientsRefused:
        assert raised.value.recipients == {"bad@example.com": reply}
    else:
        assert (raised.value.smtp_code, raised.value.smtp_error) == reply
    # And nothing arrived, and the next message on the same connection goes through
    assert pipelining_sink.messages == []
    send_raw(smtp, "news@acme.example", "ann@example.com", RAW)
    smtp.quit()
    assert [m.rcpt_tos for m in pipelining_sink.messages] == [["ann@example.com"]]


def test_a_campaign_over_pipelining_connections_reaches_everyone_once(
    db, marketer, settings, pipelining_sink
):
    # Given a server with PIPELINING that refuses one recipient and one message
    use_smtp_sink(settings, pipelining_sink)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    pipelining_sink.refuse_recipient = "ann3@"
    pipelining_sink.refuse_data_for = "ann5@"
    for n in range(1, 13):
        make_contact(n)
    email = make_email(marketer)
    services.email_send_now(actor=marketer, email=email)
    # When it is delivered in chunks of 4
    stats = services.email_deliver(email_id=email.pk, chunk_size=4)
    # Then every other contact got exactly one personalised message
    received = sorted(m.rcpt_tos[0] for m in pipelining_sink.messages)
    expected = sorted(f"ann{n}@example.com" for n in range(1, 13) if n not in (3, 5))
    assert received == expected
    assert (stats.sent, stats.failed, stats.chunks) == (10, 2, 3)
    for message in pipelining_sink.messages:
        first_name = message.rcpt_tos[0].split("@")[0].capitalize()
        assert message.message["Subject"] == f"Hi {first_name}"
        send = Send.objects.get(to_address=message.rcpt_tos[0])
        assert message.message["Message-ID"] == send.message_id
        assert f"/e/u/{send.token}" in message.message["List-Unsubscribe"]
    # And the sends say what happened, with the server's replies
    reasons = dict(Send.objects.filter(state=SendState.FAILED).values_list("to_address", "reason"))
    assert reasons == {
        "ann3@example.com": "Refused by the mail server: 550 5.1.1 No such user",
        "ann5@example.com": "Refused by the mail server: 554 5.7.1 Message rejected as spam",
    }
    assert Send.objects.filter(state=SendState.SENT).count() == 10
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    # And the messages went over more than one connection
    assert len(pipelining_sink.peers) == services.SMTP_CONNECTIONS == 2
