"""OutboxBackend: a Django email backend that keeps each message in the database, as the raw
RFC 5322 text it would have sent, instead of sending it (demo mode, no SMTP server needed).

Select it with REVLINE_EMAIL_BACKEND=outbox; read the messages at /email/outbox/.
"""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from .models import OutboxMessage

OUTBOX_BACKEND = "revline.email.backends.OutboxBackend"
MAX_SUBJECT = 998  # the longest header line RFC 5322 allows, and the column's length


def outbox_active() -> bool:
    """True when email is kept in the outbox rather than sent."""
    return str(settings.EMAIL_BACKEND) == OUTBOX_BACKEND


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        stored = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                mime = message.message()
                raw = mime.as_bytes(linesep="\r\n")  # type: ignore[call-arg]
                text = raw.decode("utf-8", errors="replace")
                OutboxMessage.objects.create(
                    to=", ".join(message.recipients()),
                    from_email=str(message.from_email or "")[:300],
                    subject=" ".join(str(message.subject).split())[:MAX_SUBJECT],
                    message_id=str(mime.get("Message-ID", ""))[:300],
                    raw=text,
                )
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            stored += 1
        return stored

    def open(self) -> Any:
        return False

    def close(self) -> None:
        return None
