"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping every message it gets."""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        """The plain-text body with SMTP's CRLF line ends turned into \\n."""
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None, "the message has no text/plain part"
        return str(body.get_content()).replace("\r\n", "\n")


@dataclass
class SmtpSink:
    """The aiosmtpd handler; `messages` fills as the server accepts mail."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_sink(host: str = "127.0.0.1") -> Iterator[SmtpSink]:
    """Run an SMTP server until the block ends. Delivery is synchronous: when Django's SMTP
    backend returns, the server has already stored the message."""
    sink = SmtpSink(host=host, port=_free_port(host))
    controller = Controller(sink, hostname=host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def use_smtp_sink(settings: Any, sink: SmtpSink) -> None:
    """Point Django's real SMTP backend at the sink (pytest-django switches to locmem otherwise)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
