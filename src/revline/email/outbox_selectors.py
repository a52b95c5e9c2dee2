"""Reads for the outbox pages: the stored messages and their parsed parts."""

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from django.db.models import QuerySet

from .models import OutboxMessage


@dataclass(frozen=True)
class ParsedMessage:
    headers: list[tuple[str, str]]
    html: str
    text: str


def outbox_queryset() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.defer("raw")


def outbox_get(*, pk: int) -> OutboxMessage | None:
    return OutboxMessage.objects.filter(pk=pk).first()


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    if body is None or body.get_content_type() != f"text/{subtype}":
        return ""
    try:
        return str(body.get_content()).replace("\r\n", "\n")
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        return ""


def outbox_parse(message: OutboxMessage) -> ParsedMessage:
    """The headers (decoded) and the HTML and text parts of a stored message."""
    # As bytes: 8-bit parts (Django sends short UTF-8 text that way) decode by their charset.
    parsed = message_from_bytes(message.raw.encode("utf-8"), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    headers = [(name, str(value)) for name, value in parsed.items()]
    return ParsedMessage(headers=headers, html=_part(parsed, "html"), text=_part(parsed, "plain"))
