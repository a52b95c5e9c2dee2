"""Deliverability and the law: unsubscribing, the preference centre, the suppression list,
bounce and complaint processing, double opt-in, and topics."""

import contextlib
import imaplib
import logging
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.content.models import Form
from revline.core import permissions
from revline.core.models import User
from revline.core.workspace import workspace_get
from revline.people.models import Contact, TimelineEvent, TimelineEventKind
from revline.people.services import consent_record
from revline.webhooks import payloads as webhook_payloads
from revline.webhooks.services import event_emit

from . import dsn
from .models import (
    DeliveryEvent,
    DeliveryEventKind,
    Send,
    SendState,
    Suppression,
    SuppressionReason,
    Topic,
    TopicOptOut,
)

logger = logging.getLogger(__name__)

MARKETING_PURPOSE = "marketing_email"
CONFIRM_SALT = "revline.email.double_opt_in"
CONFIRM_MAX_AGE = timedelta(days=7)
# Removing these takes a stated reason: the person asked, or their mailbox provider did.
DELIBERATE_REMOVAL = {SuppressionReason.UNSUBSCRIBED, SuppressionReason.COMPLAINT}


def _exit_marketing_sequences(*, contact: Contact, reason: str) -> None:
    # Imported late: the sequence area is built alongside, and a broken import there must not
    # stop anyone from unsubscribing.
    try:
        from .sequence_services import enrollments_exit_marketing
    except ImportError:  # pragma: no cover - only while the sequence area is missing
        logger.warning("Sequences unavailable: contact %s not taken out of them", contact.pk)
        return
    enrollments_exit_marketing(contact=contact, reason=reason)


def queued_sends_skip(*, contact: Contact, reason: str) -> int:
    """Mark the contact's queued sends skipped with `reason`; returns how many. Queued sends are
    not checked again before delivery, so whoever withdraws consent must stop them here."""
    return Send.objects.filter(contact=contact, state=SendState.QUEUED).update(
        state=SendState.SKIPPED, reason=reason
    )


# --- Suppression list -------------------------------------------------------------------------


def suppression_add(
    *, address: str, reason: str, source: str, send: Send | None = None
) -> tuple[Suppression, bool]:
    """Put the address (any case) on the suppression list; (row, created). Idempotent: an
    address already there keeps its first reason."""
    normalized = address.strip().lower()
    if not normalized:
        raise ValidationError({"address": "An email address is required."})
    existing = Suppression.objects.filter(address=normalized).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = Suppression.objects.create(
                address=normalized, reason=reason, source=source[:200], send=send
            )
    except IntegrityError:
        # A concurrent report of the same address won the insert.
        return Suppression.objects.get(address=normalized), False
    return row, True


def suppression_add_manual(*, actor: User, address: str, note: str = "") -> Suppression:
    """A marketer blocks an address by hand. ValidationError when invalid or already listed."""
    permissions.require(permissions.can_manage_marketing(actor))
    normalized = address.strip().lower()
    try:
        validate_email(normalized)
    except ValidationError as exc:
        raise ValidationError({"address": "Enter a valid email address."}) from exc
    if Suppression.objects.filter(address=normalized).exists():
        raise ValidationError({"address": "This address is already on the suppression list."})
    source = f"Added by {actor.get_username()}" + (f": {note.strip()}" if note.strip() else "")
    with transaction.atomic():
        row, _ = suppression_add(address=normalized, reason=SuppressionReason.MANUAL, source=source)
        audit_create(actor=actor, obj=row)
    return row


@transaction.atomic
def suppression_remove(*, actor: User, suppression: Suppression, reason: str = "") -> None:
    """An admin lets an address receive marketing email again. An address that unsubscribed or
    complained needs a stated reason, kept on the timeline of the contacts with that address."""
    permissions.require(
        permissions.is_admin(actor), "Only admins can remove addresses from the suppression list."
    )
    reason = " ".join(reason.split())
    if suppression.reason in DELIBERATE_REMOVAL and len(reason) < 10:
        raise ValidationError(
            {
                "reason": "This person asked not to be emailed: say why they may be emailed "
                "again (at least 10 characters)."
            }
        )
    label = SuppressionReason(suppression.reason).label
    for contact in Contact.objects.filter(email__iexact=suppression.address):
        # A note on the timeline is the lasting record of who lifted the block and why.
        TimelineEvent.objects.create(
            contact=contact,
            kind=TimelineEventKind.NOTE,
            source="suppression list",
            actor=actor,
            occurred_at=timezone.now(),
            params={
                "subject": f"Removed from the suppression list ({label.lower()})",
                "body": reason,
            },
        )
    logger.info(
        "Suppression of %s (%s) removed by %s: %s",
        suppression.address,
        suppression.reason,
        actor.get_username(),
        reason,
    )
    audit_delete(actor=actor, obj=suppression)
    suppression.delete()


# --- Unsubscribe and the preference centre -----------------------------------------------------


@transaction.atomic
def send_unsubscribe(*, send: Send, ip_address: str | None, via: str) -> bool:
    """The recipient of `send` leaves every marketing email: suppression, consent withdrawn,
    marketing sequences left. Idempotent: returns False (and writes nothing) the second time."""
    locked = Send.objects.select_for_update().select_related("email", "contact").get(pk=send.pk)
    now = timezone.now()
    first_time = locked.unsubscribed_at is None
    if first_time:
        locked.unsubscribed_at = now
        locked.save(update_fields=["unsubscribed_at"])
        send.unsubscribed_at = now
    _, suppressed = suppression_add(
        address=locked.to_address,
        reason=SuppressionReason.UNSUBSCRIBED,
        source=f"{via}: {locked.email.name}",
        send=locked,
    )
    if not (first_time or suppressed):
        return False
    consent_record(
        contact=locked.contact,
        purpose=MARKETING_PURPOSE,
        granted=False,
        source=f"Unsubscribed ({via}) from “{locked.email.name}”"[:200],
        ip_address=ip_address,
        recorded_at=now,
    )
    _exit_marketing_sequences(contact=locked.contact, reason="unsubscribed")
    event_emit(
        type="email.unsubscribed",
        payload=webhook_payloads.email_unsubscribed(locked, via=via),
        occurred_at=now,
    )
    return True


@transaction.atomic
def preferences_save(
    *,
    send: Send,
    kept_topic_ids: set[int],
    unsubscribe_all: bool,
    ip_address: str | None,
) -> None:
    """Store the topics the recipient keeps (every other topic is opted out), or unsubscribe
    them from everything."""
    if unsubscribe_all:
        send_unsubscribe(send=send, ip_address=ip_address, via="preference centre")
        return
    contact = send.contact
    topic_ids = set(Topic.objects.values_list("pk", flat=True))
    left = topic_ids - kept_topic_ids
    TopicOptOut.objects.filter(contact=contact, topic_id__in=topic_ids & kept_topic_ids).delete()
    already = set(
        TopicOptOut.objects.filter(contact=contact, topic_id__in=left).values_list(
            "topic_id", flat=True
        )
    )
    TopicOptOut.objects.bulk_create(
        [TopicOptOut(contact=contact, topic_id=pk) for pk in sorted(left - already)],
        ignore_conflicts=True,
    )


# --- Topics -------------------------------------------------------------------------------------


def _topic_save(topic: Topic, *, actor: User, before: dict[str, Any] | None) -> Topic:
    topic.name = " ".join(topic.name.split())
    topic.description = topic.description.strip()
    if Topic.objects.filter(name__iexact=topic.name).exclude(pk=topic.pk).exists():
        raise ValidationError({"name": "A topic with this name already exists."})
    topic.full_clean(validate_unique=False)
    with transaction.atomic():
        topic.save()
        if before is None:
            audit_create(actor=actor, obj=topic)
        else:
            audit_update(actor=actor, obj=topic, before=before)
    return topic


def topic_create(*, actor: User, name: str, description: str = "") -> Topic:
    permissions.require(permissions.can_manage_marketing(actor))
    return _topic_save(Topic(name=name, description=description), actor=actor, before=None)


def topic_update(*, actor: User, topic: Topic, name: str, description: str = "") -> Topic:
    permissions.require(permissions.can_manage_marketing(actor))
    before = snapshot(topic)
    topic.name, topic.description = name, description
    return _topic_save(topic, actor=actor, before=before)


def topic_delete(*, actor: User, topic: Topic) -> None:
    """Delete the topic and its opt-outs; emails of the topic keep going out, without a topic."""
    permissions.require(permissions.can_manage_marketing(actor))
    with transaction.atomic():
        audit_delete(actor=actor, obj=topic)
        topic.delete()


# --- Bounces and complaints --------------------------------------------------------------------


def send_for_message_id(message_id: str) -> Send | None:
    cleaned = message_id.strip().strip("<>")
    if not cleaned:
        return None
    return (
        Send.objects.filter(message_id__in=[cleaned, f"<{cleaned}>"])
        .select_related("contact")
        .first()
    )


def _latest_send_to(address: str) -> Send | None:
    if not address:
        return None
    return (
        Send.objects.filter(to_address__iexact=address)
        .select_related("contact")
        .order_by("-queued_at", "-pk")
        .first()
    )


@transaction.atomic
def delivery_event_record(
    *,
    kind: str,
    external_id: str,
    source: str,
    send: Send | None,
    address: str,
    detail: str = "",
    occurred_at: datetime | None = None,
) -> DeliveryEvent | None:
    """Record one report and act on it; None (and nothing written) when `external_id` was seen.

    Hard bounces and complaints suppress the address and take the contact out of marketing
    sequences; a hard bounce marks the send bounced. Soft bounces and deliveries are recorded.
    """
    address = (send.to_address if send is not None else address).strip().lower()
    now = timezone.now()
    try:
        with transaction.atomic():
            event = DeliveryEvent.objects.create(
                kind=kind,
                send=send,
                address=address[:254],
                source=source[:50],
                external_id=external_id[:300],
                detail=detail[:1000],
                occurred_at=occurred_at or now,
            )
    except IntegrityError:
        return None
    if kind == DeliveryEventKind.HARD_BOUNCE:
        if address:
            suppression_add(
                address=address,
                reason=SuppressionReason.HARD_BOUNCE,
                source=f"{source}: {detail}"[:200],
                send=send,
            )
        if send is not None:
            Send.objects.filter(pk=send.pk).update(
                state=SendState.BOUNCED, bounced_at=event.occurred_at
            )
    elif kind == DeliveryEventKind.COMPLAINT:
        if address:
            suppression_add(
                address=address,
                reason=SuppressionReason.COMPLAINT,
                source=f"{source}: {detail}"[:200],
                send=send,
            )
        if send is not None:
            Send.objects.filter(pk=send.pk, complained_at__isnull=True).update(
                complained_at=event.occurred_at
            )
    if kind in (DeliveryEventKind.HARD_BOUNCE, DeliveryEventKind.COMPLAINT):
        contact = send.contact if send is not None else None
        if contact is None and address:
            contact = Contact.objects.filter(email__iexact=address).first()
        if contact is not None:
            reason = "bounced" if kind == DeliveryEventKind.HARD_BOUNCE else "complained"
            _exit_marketing_sequences(contact=contact, reason=reason)
    return event


def delivery_report_process(*, raw: bytes, source: str) -> list[DeliveryEvent]:
    """Process one raw RFC 5322 message holding a DSN or an ARF report. Returns the events newly
    recorded: none for a message that is not a report or was processed before."""
    report = dsn.parse_report(raw)
    return [] if report is None else _report_apply(report=report, source=source)


def _report_apply(*, report: dsn.DeliveryReport, source: str) -> list[DeliveryEvent]:
    send = send_for_message_id(report.original_message_id)
    events: list[DeliveryEvent] = []
    for recipient in report.recipients:
        address = recipient.address or report.original_to
        matched = send or _latest_send_to(address)
        detail = " ".join(p for p in (recipient.status, recipient.detail) if p)
        suffix = f":{recipient.address}" if len(report.recipients) > 1 else ""
        event = delivery_event_record(
            kind=recipient.kind,
            external_id=f"{source}:{report.report_id}{suffix}",
            source=source,
            send=matched,
            address=address,
            detail=detail,
            occurred_at=report.occurred_at,
        )
        if event is not None:
            events.append(event)
    return events


_ANYMAIL_KINDS = {
    "bounced": DeliveryEventKind.HARD_BOUNCE,
    "complained": DeliveryEventKind.COMPLAINT,
    "delivered": DeliveryEventKind.DELIVERED,
    "deferred": DeliveryEventKind.SOFT_BOUNCE,
}


def _anymail_soft(event: Any) -> bool:
    """Providers report temporary failures as "bounced" too; tell them apart where they say."""
    if event.reject_reason == "other":
        return True  # e.g. Postmark's virus notifications: not a dead address
    status = dsn.enhanced_status_in(f"{event.mta_response or ''} {event.description or ''}")
    if status.startswith("4"):
        return True
    raw: dict[str, Any] = event.esp_event if isinstance(event.esp_event, dict) else {}
    bounce = raw.get("bounce")
    bounce_type = bounce.get("bounceType") if isinstance(bounce, dict) else ""
    kind = str(raw.get("Type") or bounce_type or "").lower()
    return kind in {"softbounce", "transient"}


def anymail_event_process(*, event: Any, esp_name: str) -> DeliveryEvent | None:
    """Map a django-anymail tracking event onto the same processing as a DSN. Unsubscribes
    go through send_unsubscribe when the send is known; other event types are ignored."""
    send = None
    if event.message_id:
        send = send_for_message_id(str(event.message_id))
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    if send is None and metadata.get("revline_send"):
        send = Send.objects.filter(token=str(metadata["revline_send"])).first()
    recipient = str(event.recipient or "").strip().lower()
    if send is None:
        send = _latest_send_to(recipient)
    if event.event_type == "unsubscribed":
        if send is None:
            suppression_add(
                address=recipient, reason=SuppressionReason.UNSUBSCRIBED, source=esp_name
            )
        else:
            send_unsubscribe(send=send, ip_address=None, via=esp_name)
        return None
    kind = _ANYMAIL_KINDS.get(str(event.event_type))
    if kind is None:
        return None
    if kind == DeliveryEventKind.HARD_BOUNCE and _anymail_soft(event):
        kind = DeliveryEventKind.SOFT_BOUNCE
    event_id = event.event_id or f"{event.message_id}:{event.event_type}:{recipient}"
    detail = " ".join(str(p) for p in (event.mta_response, event.description) if p)
    return delivery_event_record(
        kind=kind,
        external_id=f"{esp_name.lower()}:{event_id}",
        source=esp_name.lower()[:50],
        send=send,
        address=recipient,
        detail=detail,
        occurred_at=event.timestamp,
    )


def anymail_tracking_received(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """The receiver of anymail.signals.tracking (connected in EmailConfig.ready)."""
    anymail_event_process(event=event, esp_name=esp_name)


# --- Double opt-in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptInRequest:
    contact: Contact
    form: Form
    requested_at: datetime


def double_opt_in_token(*, contact: Contact, form: Form) -> str:
    """A signed, expiring token for the confirmation link; the address is in it, so a contact
    whose email changed since cannot be confirmed by an old message."""
    return signing.dumps(
        {"c": contact.pk, "f": form.pk, "e": contact.email.lower(), "t": int(time.time())},
        salt=CONFIRM_SALT,
        compress=True,
    )


def double_opt_in_read(token: str) -> OptInRequest | None:
    """The request a confirmation token stands for; None when forged, expired or stale."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in "cft"):
        return None
    requested_at = datetime.fromtimestamp(data["t"], tz=UTC)
    contact = Contact.objects.filter(pk=int(data["c"])).first()
    form = Form.objects.filter(pk=int(data["f"])).first()
    if contact is None or form is None or contact.email.lower() != data.get("e"):
        return None
    return OptInRequest(contact=contact, form=form, requested_at=requested_at)


def double_opt_in_url(*, contact: Contact, form: Form) -> str:
    token = double_opt_in_token(contact=contact, form=form)
    return settings.BASE_URL + reverse("email_public:confirm", args=[token])


def _sender() -> str:
    workspace = workspace_get()
    if workspace.email_from_address:
        name = workspace.email_from_name or workspace.name
        return f"{name} <{workspace.email_from_address}>"
    return settings.DEFAULT_FROM_EMAIL


@task()
def double_opt_in_send(contact_id: int, form_id: int) -> None:
    """Send the confirmation email (a background task: a slow mail server never slows a form)."""
    contact = Contact.objects.filter(pk=contact_id).first()
    form = Form.objects.filter(pk=form_id).first()
    if contact is None or form is None or not contact.email:
        return
    context = {
        "contact": contact,
        "form": form,
        "url": double_opt_in_url(contact=contact, form=form),
        "workspace": workspace_get(),
        "days": CONFIRM_MAX_AGE.days,
    }
    send_mail(
        subject="Please confirm your subscription",
        message=render_to_string("email/delivery_confirm_email.txt", context),
        html_message=render_to_string("email/delivery_confirm_email.html", context),
        from_email=_sender(),
        recipient_list=[contact.email],
    )


def double_opt_in_request(*, contact: Contact, form: Form) -> bool:
    """Ask the contact to confirm their consent by email (sent once the caller's transaction
    commits). Consent is recorded only on confirmation. False when the address bounced or
    complained before: no confirmation goes there."""
    suppressed = Suppression.objects.filter(
        address=contact.email.lower(),
        reason__in=[SuppressionReason.HARD_BOUNCE, SuppressionReason.COMPLAINT],
    ).exists()
    if suppressed or not contact.email:
        return False
    contact_id, form_id = contact.pk, form.pk
    transaction.on_commit(lambda: double_opt_in_send.enqueue(contact_id, form_id))
    return True


@transaction.atomic
def double_opt_in_confirm(*, request: OptInRequest, ip_address: str | None) -> bool:
    """Record the consent the person confirmed, with their IP and the time. Idempotent: False
    when this request was already confirmed. A person who once unsubscribed and now confirms
    a new sign-up is taken off the suppression list: this is their own, verified request."""
    contact = Contact.objects.select_for_update().get(pk=request.contact.pk)
    form = request.form
    source = f"double_opt_in:{form.pk}"
    confirmed = contact.consents.filter(
        purpose=form.consent_purpose,
        source=source,
        status="granted",
        recorded_at__gte=request.requested_at,
    ).exists()
    if confirmed:
        return False
    consent_record(
        contact=contact,
        purpose=form.consent_purpose,
        granted=True,
        source=source,
        wording=form.consent_wording,
        wording_version=form.consent_wording_version,
        ip_address=ip_address,
    )
    if form.consent_purpose == MARKETING_PURPOSE:
        Suppression.objects.filter(
            address=contact.email.lower(), reason=SuppressionReason.UNSUBSCRIBED
        ).delete()
    return True


# --- Bounce mailbox over IMAP -------------------------------------------------------------------


@dataclass
class MailboxResult:
    messages: int = 0
    reports: int = 0
    events: int = 0


def _imap_ok(response: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what} failed: {data!r}")
    return data


def bounce_mailbox_process(
    *,
    host: str,
    user: str,
    password: str,
    folder: str = "INBOX",
    port: int | None = None,
    use_ssl: bool = True,
    starttls: bool = False,
    ca_file: str | None = None,
    limit: int = 500,
) -> MailboxResult:
    """Read up to `limit` unseen messages of a bounce mailbox, process every DSN and ARF report
    among them, and mark each message seen once processed (a message whose processing fails
    stays unseen for the next run). Use a mailbox that receives only bounces.

    TLS: `use_ssl` (port 993) or `starttls` (port 143, upgraded before logging in; refused if
    the server does not offer it). The server's certificate and host name are verified against
    the system's CAs, or only against the CA certificates of `ca_file` (a private CA)."""
    result = MailboxResult()
    client: imaplib.IMAP4
    tls = ssl.create_default_context(cafile=ca_file) if use_ssl or starttls else None
    if use_ssl and not starttls:
        client = imaplib.IMAP4_SSL(host, port or 993, ssl_context=tls, timeout=30)
    else:
        client = imaplib.IMAP4(host, port or 143, timeout=30)
    try:
        if starttls:
            _imap_ok(client.starttls(ssl_context=tls), "STARTTLS")
        _imap_ok(client.login(user, password), "LOGIN")
        _imap_ok(client.select(_imap_quote(folder)), f"SELECT {folder}")
        found = _imap_ok(client.uid("SEARCH", "UNSEEN"), "SEARCH")
        uids = [u.decode() for u in (found[0] or b"").split()[:limit]] if found else []
        for uid in uids:
            data = _imap_ok(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
            raw = next(
                (part[1] for part in data if isinstance(part, tuple) and len(part) == 2), None
            )
            if not isinstance(raw, bytes):
                continue
            result.messages += 1
            report = dsn.parse_report(raw)
            if report is not None:
                result.reports += 1
                result.events += len(_report_apply(report=report, source="imap"))
            _imap_ok(client.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "STORE")
        client.close()
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return result


def _imap_quote(name: str) -> str:
    if name.isalnum():
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
