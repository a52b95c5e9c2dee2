"""Reading bounce and complaint reports: RFC 3464 delivery status notifications and RFC 5965
(ARF) feedback reports. Pure: bytes in, a DeliveryReport out; no database."""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser
from email.utils import parsedate_to_datetime

HARD_BOUNCE = "hard_bounce"
SOFT_BOUNCE = "soft_bounce"
COMPLAINT = "complaint"
DELIVERED = "delivered"

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_ADDRESS = re.compile(r"[^\s<>;,\"]+@[^\s<>;,\"]+")


@dataclass(frozen=True)
class RecipientReport:
    kind: str  # hard_bounce | soft_bounce | delivered | complaint
    address: str  # lower-case, "" when the report does not say
    status: str  # the enhanced status code, e.g. "5.1.1" ("" for complaints)
    detail: str  # diagnostic code or feedback type, for people to read


@dataclass(frozen=True)
class DeliveryReport:
    report_id: str  # the report's own Message-ID, or a digest of its bytes
    original_message_id: str  # without angle brackets; "" when the report does not carry it
    original_to: str  # the original message's recipient (lower-case), "" when unknown
    recipients: tuple[RecipientReport, ...]
    occurred_at: datetime | None


def _clean_id(value: object) -> str:
    text = str(value or "").strip()
    match = re.search(r"<([^<>\s]+)>", text)
    return match.group(1) if match else text.strip("<> ")


def _address(value: object) -> str:
    """The address of a field like "rfc822; Jo@Example.com" or "Jo <jo@example.com>"."""
    text = str(value or "")
    if ";" in text:
        text = text.split(";", 1)[1]
    match = _ADDRESS.search(text)
    return match.group(0).lower() if match else ""


def _kind_of(action: str, status: str) -> str | None:
    action = action.strip().lower()
    if action in {"delivered", "relayed", "expanded"}:
        return DELIVERED
    if status.startswith("5"):
        return HARD_BOUNCE if action in {"failed", ""} else SOFT_BOUNCE
    if status.startswith("4") or action == "delayed":
        return SOFT_BOUNCE
    if action == "failed":
        # A failure without a usable status code: treat as permanent, as RFC 3464 says it is.
        return HARD_BOUNCE
    return None


def _header_blocks(part: Message) -> list[Message]:
    """The field groups of a message/delivery-status or message/feedback-report part.

    Python's parser gives delivery-status as a list of header blocks, other message/* types as a
    list of one message, and a text/* fallback as a string: accept all three.
    """
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks: list[Message] = []
        for item in payload:
            if isinstance(item, Message):
                blocks.append(item)
        return blocks
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    return [HeaderParser().parsestr(chunk + "\n") for chunk in re.split(r"\r?\n\r?\n", text)]


def _original_headers(part: Message) -> Message | None:
    content_type = part.get_content_type()
    if content_type in {"message/rfc822", "message/global"}:
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0]
    if content_type in {"text/rfc822-headers", "message/rfc822-headers"}:
        raw = part.get_payload(decode=True)
        if isinstance(raw, bytes):
            return BytesHeaderParser().parsebytes(raw)
        return HeaderParser().parsestr(str(part.get_payload()))
    return None


def _occurred_at(message: Message) -> datetime | None:
    try:
        when = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else None


def parse_report(raw: bytes) -> DeliveryReport | None:
    """Read a DSN or ARF report; None when the message is neither (an auto-reply, a person's
    answer, an unstructured bounce) and should be left for a person to read."""
    message = message_from_bytes(raw, policy=policy.compat32)
    if message.get_content_type() != "multipart/report":
        return None
    report_type = str(message.get_param("report-type") or "").lower()
    if report_type not in {"delivery-status", "feedback-report"}:
        return None
    report_id = _clean_id(message.get("Message-ID")) or (
        "sha256:" + hashlib.sha256(raw).hexdigest()
    )
    original: Message | None = None
    status_blocks: list[Message] = []
    feedback_blocks: list[Message] = []
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in {"message/delivery-status", "message/global-delivery-status"}:
            status_blocks = _header_blocks(part)
        elif content_type == "message/feedback-report":
            feedback_blocks = _header_blocks(part)
        elif original is None:
            original = _original_headers(part)
    original_id = _clean_id(original.get("Message-ID")) if original is not None else ""
    original_to = _address(original.get("To")) if original is not None else ""
    recipients: list[RecipientReport] = []
    if report_type == "delivery-status":
        # The first block holds per-message fields; each further block is one recipient.
        for block in status_blocks:
            if not (block.get("Final-Recipient") or block.get("Original-Recipient")):
                continue
            action = str(block.get("Action", ""))
            match = _STATUS.search(str(block.get("Status", "")))
            status = ".".join(match.groups()) if match else ""
            kind = _kind_of(action, status)
            if kind is None:
                continue
            address = _address(block.get("Original-Recipient")) or _address(
                block.get("Final-Recipient")
            )
            detail = " ".join(str(block.get("Diagnostic-Code", "")).split())
            recipients.append(RecipientReport(kind, address, status, detail[:1000]))
    else:
        fields = feedback_blocks[0] if feedback_blocks else Message()
        feedback_type = str(fields.get("Feedback-Type", "abuse")).strip().lower() or "abuse"
        address = (
            _address(fields.get("Original-Rcpt-To"))
            or _address(fields.get("Removal-Recipient"))
            or original_to
        )
        recipients.append(
            RecipientReport(COMPLAINT, address, "", f"Feedback type: {feedback_type}")
        )
        if not original_id:
            original_id = _clean_id(fields.get("Original-Message-ID"))
    if not recipients:
        return None
    return DeliveryReport(
        report_id=report_id[:250],
        original_message_id=original_id,
        original_to=original_to,
        recipients=tuple(recipients),
        occurred_at=_occurred_at(message),
    )


def enhanced_status_in(text: str) -> str:
    """The first enhanced status code (e.g. "4.2.2") in an SMTP reply or provider text."""
    match = _STATUS.search(text or "")
    return ".".join(match.groups()) if match else ""
