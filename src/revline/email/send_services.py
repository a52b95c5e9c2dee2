"""Campaign emails: edit, schedule, start, deliver, and record opens and clicks.

Sending is at-least-once with at most one chunk repeated:
1. Starting an email freezes its content and creates one Send per recipient (unique per email
   and contact, so starting twice creates nothing new). Contacts that may not receive it (no
   address, no marketing consent, suppressed, opted out of the topic) get a SKIPPED send with
   the reason, so the report accounts for everyone in the segment.
2. A delivery task claims a few queued sends at a time (queued -> sending, atomically), renders
   and hands them to the mail server over one reused connection, and marks them sent in one
   commit per chunk. A template error fails that one send with the reason.
3. If the worker dies, its claimed chunk stays "sending". `emails_start_due` (every 15 s) sees
   that the email's heartbeat (Email.updated_at, touched per chunk) is stale, puts that chunk back
   in the queue and starts a new delivery task. Messages of that chunk which the server had
   already accepted are sent again: at most CHUNK_SIZE duplicates per crash, never a skip.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import smtplib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from revline.core import permissions
from revline.core.models import User
from revline.core.workspace import workspace_get
from revline.people.models import ConsentRecord, ConsentStatus, Contact
from revline.tracking.models import TouchpointKind
from revline.tracking.services import RequestInfo, touchpoint_record

from .models import (
    Email,
    EmailKind,
    EmailLink,
    EmailStatus,
    EmailTemplate,
    Send,
    SendClick,
    SendState,
    Suppression,
    TopicOptOut,
)
from .rendering import Footer, RenderError, contact_context, render_email, sample_context
from .send_render import Envelope, PreparedEmail, RawEmailMessage, build_message, track_links

logger = logging.getLogger(__name__)

MARKETING_PURPOSE = "marketing_email"
# Sends claimed and handed to the server per commit: the most a crash can duplicate.
CHUNK_SIZE = 10
INSERT_BATCH = 1000
# A delivery whose heartbeat is older than this is presumed dead and restarted.
STALE_AFTER = timedelta(minutes=3)
HEARTBEAT_SECONDS = 10.0
MAX_RATE = 100_000
CONTENT_FIELDS = ("subject", "preheader", "body_format", "blocks", "html")
EDITABLE_FIELDS = (
    "name",
    "template",
    "segment",
    "topic",
    "campaign",
    "from_name",
    "from_email",
    "reply_to",
    "rate_per_minute",
)

SKIP_NO_ADDRESS = "No email address"
SKIP_NO_CONSENT = "No consent to marketing email"
SKIP_SUPPRESSED = "On the suppression list"
SKIP_TOPIC = "Opted out of this email's topic"


def _require_marketer(actor: User | None) -> None:
    if actor is not None:
        permissions.require(
            permissions.can_manage_marketing(actor), "Only marketers and admins send email."
        )


# --- Pure helpers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryPlan:
    chunk_size: int
    chunks: int
    pause_seconds: float  # after each chunk but the last, at most (less the time sending took)


def delivery_plan(
    *, total: int, rate_per_minute: int, chunk_size: int = CHUNK_SIZE
) -> DeliveryPlan:
    """How `total` messages are split and paced to stay within `rate_per_minute` (0: no limit).

    A chunk never holds more than a second's worth of the rate, so a slow rate sends steadily
    instead of in bursts."""
    if rate_per_minute <= 0:
        size = chunk_size
        pause = 0.0
    else:
        size = max(1, min(chunk_size, rate_per_minute // 60 or 1))
        pause = 60.0 * size / rate_per_minute
    return DeliveryPlan(chunk_size=size, chunks=math.ceil(total / size) if total else 0,
                        pause_seconds=pause)  # fmt: skip


def pause_after(plan: DeliveryPlan, *, elapsed: float) -> float:
    """Seconds to wait after a chunk that took `elapsed` seconds to send."""
    return max(0.0, plan.pause_seconds - elapsed)


def message_id_for(*, email_id: int, contact_id: int, domain: str) -> str:
    """Deterministic per (email, contact) and unguessable without the secret key."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"send:{email_id}:{contact_id}".encode(), hashlib.sha256
    ).hexdigest()[:16]
    return f"<e{email_id}.c{contact_id}.{digest}@{domain}>"


def skip_reason(*, email: str, consent: str | None, suppressed: bool, opted_out: bool) -> str:
    """Why a contact of the segment gets no message, or "" when it may receive it."""
    if not email:
        return SKIP_NO_ADDRESS
    if suppressed:
        return SKIP_SUPPRESSED
    if consent != ConsentStatus.GRANTED:
        return SKIP_NO_CONSENT
    if opted_out:
        return SKIP_TOPIC
    return ""


# --- URLs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendLinks:
    unsubscribe: str
    preferences: str
    open_pixel: str
    click_prefix: str  # + "<link id>"


_TOKEN_MARK = "TOKENMARK"  # noqa: S105 - a placeholder, not a secret


@lru_cache(maxsize=8)
def _public_path(name: str, fallback: str) -> tuple[str, str]:
    """The path around a send token, resolved once per process (a campaign asks per message)."""
    try:
        path = reverse(name, args=[_TOKEN_MARK])
    except NoReverseMatch:
        path = fallback + _TOKEN_MARK
    before, _, after = path.partition(_TOKEN_MARK)
    return before, after


def _public(name: str, token: str, fallback: str) -> str:
    before, after = _public_path(name, fallback)
    return f"{before}{token}{after}"


def send_links(send: Send | str) -> SendLinks:
    """Every public URL of one send (its token is the only key): the one place that builds them."""
    token = send if isinstance(send, str) else send.token
    base = settings.BASE_URL
    return SendLinks(
        unsubscribe=base + _public("email_public:unsubscribe", token, "/e/u/"),
        preferences=base + _public("email_public:preferences", token, "/e/p/"),
        open_pixel=f"{base}/e/o/{token}.gif",
        click_prefix=f"{base}/e/c/{token}/",
    )


def _sender_domain(from_email: str) -> str:
    if "@" in from_email:
        return from_email.rsplit("@", 1)[1].strip().lower() or "revline.local"
    return urlsplit(settings.BASE_URL).hostname or "revline.local"


# --- Editing ------------------------------------------------------------------------------------


def _copy_content(email: Email, template: EmailTemplate | None) -> None:
    if template is not None:
        for name in CONTENT_FIELDS:
            setattr(email, name, getattr(template, name))


def _clean(email: Email) -> None:
    errors: dict[str, str] = {}
    if not email.name.strip():
        errors["name"] = "Give the email a name."
    if email.template_id is None and not email.subject:
        errors["template"] = "Choose a template."
    if email.rate_per_minute > MAX_RATE:
        errors["rate_per_minute"] = f"At most {MAX_RATE:,} messages a minute."
    if errors:
        raise ValidationError(errors)


def email_create(*, actor: User, **fields: Any) -> Email:
    """A draft campaign email; its content is copied from the chosen template."""
    _require_marketer(actor)
    workspace = workspace_get()
    email = Email(kind=EmailKind.CAMPAIGN, created_by=actor)
    for name in EDITABLE_FIELDS:
        if name in fields:
            setattr(email, name, fields[name])
    email.from_name = email.from_name or workspace.email_from_name
    email.from_email = email.from_email or workspace.email_from_address
    _copy_content(email, email.template)
    _clean(email)
    email.save()
    return email


def email_update(*, actor: User, email: Email, **fields: Any) -> Email:
    """Change a draft (a scheduled email must be cancelled first); content follows the template."""
    _require_marketer(actor)
    if email.status != EmailStatus.DRAFT:
        raise ValidationError("Only a draft can be edited: cancel the schedule first.")
    for name in EDITABLE_FIELDS:
        if name in fields:
            setattr(email, name, fields[name])
    _copy_content(email, email.template)
    _clean(email)
    email.save()
    return email


def _check_ready(email: Email) -> None:
    errors: dict[str, str] = {}
    if email.kind != EmailKind.CAMPAIGN:
        errors["__all__"] = "Automated emails are sent by their sequence."
    if email.segment_id is None:
        errors["segment"] = "Choose the segment to send to."
    if not (email.from_email or workspace_get().email_from_address):
        errors["from_email"] = "Set a sender address (here or in the workspace settings)."
    if not workspace_get().postal_address.strip():
        errors["__all__"] = (
            "Add your postal address in the workspace settings: the law requires it in the "
            "footer of every marketing email."
        )
    if errors:
        raise ValidationError(errors)
    try:
        render_email(content=email, context=sample_context(), footer=None)
    except RenderError as exc:
        raise ValidationError(f"The email does not render: {exc}") from exc


def email_schedule(
    *, actor: User, email: Email, at: datetime, now: datetime | None = None
) -> Email:
    """Send at `at` (timezone-aware, in the future). Content is frozen now."""
    _require_marketer(actor)
    now = now or timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"scheduled_at": "Give a date and time with a time zone."})
    if at <= now:
        raise ValidationError({"scheduled_at": "Choose a time in the future."})
    if email.status != EmailStatus.DRAFT:
        raise ValidationError("Only a draft can be scheduled.")
    _copy_content(email, email.template)
    _check_ready(email)
    email.status = EmailStatus.SCHEDULED
    email.scheduled_at = at
    email.save()
    return email


def email_cancel(*, actor: User, email: Email) -> Email:
    """A scheduled email goes back to draft (nothing was sent yet)."""
    _require_marketer(actor)
    updated = Email.objects.filter(pk=email.pk, status=EmailStatus.SCHEDULED).update(
        status=EmailStatus.DRAFT, scheduled_at=None, updated_at=timezone.now()
    )
    if not updated:
        raise ValidationError("Only a scheduled email can be cancelled.")
    email.refresh_from_db()
    return email


def email_send_now(*, actor: User, email: Email, now: datetime | None = None) -> Email:
    """Start sending a draft now."""
    _require_marketer(actor)
    if email.status != EmailStatus.DRAFT:
        raise ValidationError("Only a draft can be sent.")
    _copy_content(email, email.template)
    _check_ready(email)
    email.save()
    return email_start(email=email, now=now)


def email_send_test(*, actor: User, email: Email, to: str, contact: Contact | None = None) -> None:
    """One message to `to`, personalised for `contact` (or a sample), marked [Test], untracked."""
    _require_marketer(actor)
    content: Any = email
    if email.status == EmailStatus.DRAFT and email.template is not None:
        content = email.template
    context = contact_context(contact) if contact is not None else sample_context()
    footer = Footer(
        postal_address=workspace_get().postal_address,
        unsubscribe_url=f"{settings.BASE_URL}/e/u/test",
        preferences_url=f"{settings.BASE_URL}/e/p/test",
    )
    try:
        rendered = render_email(content=content, context=context, footer=footer)
    except RenderError as exc:
        raise ValidationError(f"The email does not render: {exc}") from exc
    workspace = workspace_get()
    from_email = email.from_email or workspace.email_from_address or settings.DEFAULT_FROM_EMAIL
    envelope = Envelope(
        from_name=email.from_name or workspace.email_from_name,
        from_email=from_email,
        reply_to=email.reply_to,
        to=to,
        message_id=f"<test.{secrets.token_hex(8)}@{_sender_domain(from_email)}>",
        unsubscribe_url=footer.unsubscribe_url,
    )
    from .send_render import RenderedEmail

    tested = RenderedEmail(f"[Test] {rendered.subject}", rendered.html, rendered.text)
    try:
        build_message(envelope, tested, connection=get_connection()).send()
    except (OSError, smtplib.SMTPException) as exc:
        raise ValidationError(f"The mail server refused the test message: {exc}") from exc


# --- Starting -----------------------------------------------------------------------------------


def _recipient_rows(
    email: Email, now: datetime
) -> Iterator[tuple[int, str, str | None, bool, bool]]:
    from revline.segments.selectors import segment_contacts

    assert email.segment is not None
    consent = (
        ConsentRecord.objects.filter(contact=OuterRef("pk"), purpose=MARKETING_PURPOSE)
        .order_by("-recorded_at", "-pk")
        .values("status")[:1]
    )
    contacts = segment_contacts(definition=email.segment.definition, now=now).annotate(
        consent_status=Subquery(consent),
        suppressed=Exists(Suppression.objects.filter(address=Lower(OuterRef("email")))),
    )
    if email.topic_id:
        contacts = contacts.annotate(
            opted_out=Exists(
                TopicOptOut.objects.filter(contact=OuterRef("pk"), topic_id=email.topic_id)
            )
        )
    fields = ["pk", "email", "consent_status", "suppressed"]
    if email.topic_id:
        fields.append("opted_out")
    for row in contacts.order_by("pk").values_list(*fields).iterator(chunk_size=INSERT_BATCH):
        yield (row[0], row[1], row[2], row[3], row[4] if email.topic_id else False)


def sends_create(*, email: Email, now: datetime) -> int:
    """One Send per contact of the segment (queued, or skipped with the reason). Idempotent:
    existing sends are kept. Returns the number of rows inserted."""
    domain = _sender_domain(email.from_email)
    batch: list[Send] = []
    inserted = 0

    def flush() -> int:
        Send.objects.bulk_create(batch, ignore_conflicts=True)
        count = len(batch)
        batch.clear()
        return count

    for contact_id, address, consent, suppressed, opted_out in _recipient_rows(email, now):
        reason = skip_reason(
            email=address, consent=consent, suppressed=suppressed, opted_out=opted_out
        )
        batch.append(
            Send(
                email_id=email.pk,
                contact_id=contact_id,
                to_address=address,
                state=SendState.SKIPPED if reason else SendState.QUEUED,
                reason=reason,
                message_id=message_id_for(email_id=email.pk, contact_id=contact_id, domain=domain),
                token=secrets.token_urlsafe(18),
                queued_at=now,
            )
        )
        if len(batch) >= INSERT_BATCH:
            inserted += flush()
    if batch:
        inserted += flush()
    return inserted


def email_start(*, email: Email, now: datetime | None = None) -> Email:
    """Draft or scheduled -> sending: freeze the content, create the sends, queue delivery.

    Only one caller wins the status change, so a scheduler tick racing "send now" starts once."""
    now = now or timezone.now()
    workspace = workspace_get()
    _copy_content(email, email.template)
    with transaction.atomic():
        won = Email.objects.filter(
            pk=email.pk, status__in=[EmailStatus.DRAFT, EmailStatus.SCHEDULED]
        ).update(
            status=EmailStatus.SENDING,
            started_at=now,
            updated_at=now,
            from_name=email.from_name or workspace.email_from_name,
            from_email=email.from_email or workspace.email_from_address,
            **{name: getattr(email, name) for name in CONTENT_FIELDS},
        )
        if not won:
            email.refresh_from_db()
            return email
        email.refresh_from_db()
    sends_create(email=email, now=now)
    _enqueue_delivery(email.pk)
    return email


def send_to_contact(*, email: Email, contact: Contact, now: datetime | None = None) -> Send:
    """An automated email to one contact (a sequence step). Sent once per (email, contact):
    a second call returns the existing send. Ineligible contacts get a skipped send."""
    now = now or timezone.now()
    existing = Send.objects.filter(email=email, contact=contact).first()
    if existing is not None:
        return existing
    if email.status in (EmailStatus.DRAFT, EmailStatus.SCHEDULED):
        Email.objects.filter(pk=email.pk).update(status=EmailStatus.SENDING, started_at=now)
        email.status = EmailStatus.SENDING
    consent = (
        ConsentRecord.objects.filter(contact=contact, purpose=MARKETING_PURPOSE)
        .order_by("-recorded_at", "-pk")
        .values_list("status", flat=True)
        .first()
    )
    address = contact.email.strip()
    reason = skip_reason(
        email=address,
        consent=consent,
        suppressed=bool(address) and Suppression.objects.filter(address=address.lower()).exists(),
        opted_out=email.topic_id is not None
        and TopicOptOut.objects.filter(contact=contact, topic=email.topic).exists(),
    )
    domain = _sender_domain(email.from_email or workspace_get().email_from_address)
    try:
        with transaction.atomic():
            send = Send.objects.create(
                email=email,
                contact=contact,
                to_address=address,
                state=SendState.SKIPPED if reason else SendState.QUEUED,
                reason=reason,
                message_id=message_id_for(email_id=email.pk, contact_id=contact.pk, domain=domain),
                token=secrets.token_urlsafe(18),
                queued_at=now,
            )
    except IntegrityError:
        return Send.objects.get(email=email, contact=contact)
    if not reason:
        _enqueue_delivery(email.pk)
    return send


def _enqueue_delivery(email_id: int) -> None:
    from .send_tasks import email_deliver_task

    transaction.on_commit(lambda: email_deliver_task.enqueue(email_id))


# --- Delivering ---------------------------------------------------------------------------------


def _claim(email_id: int, size: int, now: datetime) -> list[int]:
    """Atomically move up to `size` queued sends of the email to "sending"; their ids.

    One UPDATE ... RETURNING where the database has it (SQLite >= 3.35, PostgreSQL); on
    PostgreSQL concurrent workers skip each other's locked rows instead of waiting."""
    if connection.features.can_return_columns_from_insert:
        table = Send._meta.db_table
        params: list[Any]
        if connection.vendor == "postgresql":
            # The locked rows are picked once in a CTE: as `id IN (SELECT … LIMIT n FOR UPDATE
            # SKIP LOCKED)` PostgreSQL may run the sub-select again per row and claim them all.
            sql = (
                f"WITH picked AS (SELECT id FROM {table} WHERE email_id = %s AND state = %s "  # noqa: S608
                f"ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) "
                f"UPDATE {table} AS s SET state = %s, claimed_at = %s, attempts = s.attempts + 1 "
                f"FROM picked WHERE s.id = picked.id RETURNING s.id"
            )
            params = [email_id, str(SendState.QUEUED), size, str(SendState.SENDING), now]
        else:
            sql = (
                f"UPDATE {table} SET state = %s, claimed_at = %s, attempts = attempts + 1 "  # noqa: S608
                f"WHERE id IN (SELECT id FROM {table} WHERE email_id = %s AND state = %s "
                f"ORDER BY id LIMIT %s) AND state = %s RETURNING id"
            )
            params = [
                str(SendState.SENDING), now, email_id, str(SendState.QUEUED), size,
                str(SendState.QUEUED),
            ]  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return sorted(row[0] for row in cursor.fetchall())
    with transaction.atomic():
        queued = Send.objects.filter(email_id=email_id, state=SendState.QUEUED).order_by("pk")
        ids = list(queued.values_list("pk", flat=True)[:size])
        if not ids:
            return []
        Send.objects.filter(pk__in=ids, state=SendState.QUEUED).update(
            state=SendState.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        return list(
            Send.objects.filter(pk__in=ids, state=SendState.SENDING, claimed_at=now).values_list(
                "pk", flat=True
            )
        )


def _heartbeat(email_id: int, now: datetime) -> None:
    """Tell the scheduler this delivery is alive (it restarts deliveries silent for STALE_AFTER)."""
    Email.objects.filter(pk=email_id).update(updated_at=now)


class _LinkIds:
    """EmailLink id per URL, created on first use (shared by every worker through the DB)."""

    def __init__(self, email_id: int) -> None:
        self.email_id = email_id
        self.ids = dict(EmailLink.objects.filter(email_id=email_id).values_list("url", "pk"))

    def get(self, url: str) -> int:
        if url not in self.ids:
            position = len(self.ids)
            try:
                with transaction.atomic():
                    link = EmailLink.objects.create(
                        email_id=self.email_id, url=url, position=position
                    )
            except IntegrityError:
                link = EmailLink.objects.get(email_id=self.email_id, url=url)
            self.ids[url] = link.pk
        return self.ids[url]


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    chunks: int = 0
    slept: float = 0.0


def email_deliver(
    *, email_id: int, chunk_size: int = CHUNK_SIZE, sleep: Any = time.sleep
) -> DeliveryStats:
    """Send every queued send of the email; returns what this call did. Safe to run in several
    workers at once (each claims its own chunks) and to run again after a crash."""
    stats = DeliveryStats()
    email = Email.objects.select_related("campaign").filter(pk=email_id).first()
    if email is None or email.status != EmailStatus.SENDING:
        return stats
    workspace = workspace_get()
    prepared = PreparedEmail.prepare(email)
    links = _LinkIds(email.pk)
    plan = delivery_plan(total=0, rate_per_minute=email.rate_per_minute, chunk_size=chunk_size)
    from_email = email.from_email or workspace.email_from_address or settings.DEFAULT_FROM_EMAIL
    from_name = email.from_name or workspace.email_from_name
    skip_prefix = settings.BASE_URL + "/e/"
    mail = get_connection()
    beat = 0.0
    try:
        mail.open()
        while True:
            started = time.monotonic()
            if started - beat >= HEARTBEAT_SECONDS:
                _heartbeat(email.pk, timezone.now())
                beat = started
            ids = _claim(email.pk, plan.chunk_size, timezone.now())
            if not ids:
                break
            sends = list(
                Send.objects.filter(pk__in=ids)
                .select_related("contact__company", "contact__owner")
                .order_by("pk")
            )
            sent_ids: list[int] = []
            failures: list[tuple[int, str]] = []
            try:
                for send in sends:
                    outcome = _deliver_one(
                        send, prepared=prepared, links=links, mail=mail, workspace=workspace,
                        from_name=from_name, from_email=from_email, reply_to=email.reply_to,
                        skip_prefix=skip_prefix,
                    )  # fmt: skip
                    if outcome:
                        failures.append((send.pk, outcome))
                    else:
                        sent_ids.append(send.pk)
            finally:
                # Whatever happened, what the server accepted is recorded as sent.
                _record(sent_ids, failures)
            stats.sent += len(sent_ids)
            stats.failed += len(failures)
            stats.chunks += 1
            wait = pause_after(plan, elapsed=time.monotonic() - started)
            if wait > 0:
                stats.slept += wait
                sleep(wait)
    finally:
        mail.close()
    email_finish_if_done(email_id=email.pk)
    return stats


def _message_for(
    send: Send,
    *,
    prepared: PreparedEmail,
    links: _LinkIds,
    mail: Any,
    workspace: Any,
    from_name: str,
    from_email: str,
    reply_to: str,
    skip_prefix: str,
) -> EmailMessage:
    """The message of one send as delivery hands it to `mail` (RenderError when it can't render)."""
    urls = send_links(send)
    footer = Footer(workspace.postal_address, urls.unsubscribe, urls.preferences)
    rendered = prepared.render(contact_context(send.contact), footer)
    rendered = track_links(
        rendered,
        link_url=lambda url: f"{urls.click_prefix}{links.get(url)}",
        pixel_url=urls.open_pixel,
        skip_prefix=skip_prefix,
    )
    envelope = Envelope(
        from_name=from_name,
        from_email=from_email,
        reply_to=reply_to,
        to=send.to_address,
        message_id=send.message_id,
        unsubscribe_url=urls.unsubscribe,
    )
    return build_message(envelope, rendered, connection=mail)


def send_messages_build(*, email: Email, sends: list[Send], connection: Any) -> list[EmailMessage]:
    """The messages of these sends exactly as delivery builds them (tracked links, open pixel,
    List-Unsubscribe), without sending anything or changing a send: for the demo's outbox."""
    workspace = workspace_get()
    prepared = PreparedEmail.prepare(email)
    links = _LinkIds(email.pk)
    return [
        _message_for(
            send,
            prepared=prepared,
            links=links,
            mail=connection,
            workspace=workspace,
            from_name=email.from_name or workspace.email_from_name,
            from_email=email.from_email or workspace.email_from_address,
            reply_to=email.reply_to,
            skip_prefix=settings.BASE_URL + "/e/",
        )
        for send in sends
    ]


def _deliver_one(
    send: Send,
    *,
    prepared: PreparedEmail,
    links: _LinkIds,
    mail: Any,
    workspace: Any,
    from_name: str,
    from_email: str,
    reply_to: str,
    skip_prefix: str,
) -> str:
    """Render and send one message; "" when the server accepted it, else the failure reason.

    A broken connection (the server went away) is raised, so the chunk's unsent messages stay
    claimed and are re-queued as stale."""
    try:
        message = _message_for(
            send, prepared=prepared, links=links, mail=mail, workspace=workspace,
            from_name=from_name, from_email=from_email, reply_to=reply_to,
            skip_prefix=skip_prefix,
        )  # fmt: skip
    except RenderError as exc:
        return f"Template error: {exc}"[:500]
    try:
        if isinstance(message, RawEmailMessage) and mail.connection is not None:
            # The SMTP fast path: the envelope addresses are plain ASCII already.
            mail.connection.sendmail(from_email, [send.to_address], message.raw)
        else:
            mail.send_messages([message])
    except smtplib.SMTPRecipientsRefused as exc:
        return f"Refused by the mail server: {_smtp_reply(exc)}"[:500]
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
        return f"Refused by the mail server: {exc}"[:500]
    except (BadHeaderError, ValueError, UnicodeError) as exc:
        return f"Not a valid message: {exc}"[:500]
    return ""


def _smtp_reply(exc: smtplib.SMTPRecipientsRefused) -> str:
    replies = [
        f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        for code, text in exc.recipients.values()
    ]
    return "; ".join(replies) or str(exc)


def _record(sent_ids: list[int], failures: list[tuple[int, str]]) -> None:
    now = timezone.now()
    with transaction.atomic():
        if sent_ids:
            Send.objects.filter(pk__in=sent_ids).update(state=SendState.SENT, sent_at=now)
        for pk, reason in failures:
            Send.objects.filter(pk=pk).update(state=SendState.FAILED, reason=reason)


def email_finish_if_done(*, email_id: int) -> bool:
    """Sending -> sent once nothing is queued or in flight."""
    pending = Send.objects.filter(
        email_id=email_id, state__in=[SendState.QUEUED, SendState.SENDING]
    ).exists()
    if pending:
        return False
    now = timezone.now()
    return bool(
        Email.objects.filter(
            pk=email_id, status=EmailStatus.SENDING, kind=EmailKind.CAMPAIGN
        ).update(status=EmailStatus.SENT, finished_at=now, updated_at=now)
    )


def emails_start_due(*, now: datetime | None = None, stale_after: timedelta = STALE_AFTER) -> None:
    """The scheduler's job: start scheduled emails whose time has come, and restart deliveries
    whose worker died (their claimed chunk goes back to the queue)."""
    now = now or timezone.now()
    due = Email.objects.filter(status=EmailStatus.SCHEDULED, scheduled_at__lte=now)
    for email in due.select_related("segment", "template"):
        try:
            email_start(email=email, now=now)
        except Exception:
            logger.exception("Could not start email %s", email.pk)
    sends_recover(now=now, stale_after=stale_after)


def sends_recover(*, now: datetime, stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Re-queue the in-flight sends of deliveries with a stale heartbeat and start a delivery
    for each such email; returns their ids."""
    cutoff = now - stale_after
    stale = list(
        Email.objects.filter(status=EmailStatus.SENDING, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    restarted = []
    for email_id in stale:
        with transaction.atomic():
            Send.objects.filter(email_id=email_id, state=SendState.SENDING).update(
                state=SendState.QUEUED
            )
            Email.objects.filter(pk=email_id).update(updated_at=now)
            if email_finish_if_done(email_id=email_id):
                continue
            _enqueue_delivery(email_id)
            restarted.append(email_id)
    return restarted


# --- Opens and clicks ---------------------------------------------------------------------------


def send_get_by_token(token: str) -> Send | None:
    if not token or len(token) > 64:
        return None
    return Send.objects.select_related("email", "contact").filter(token=token).first()


def send_open_record(*, send: Send, info: RequestInfo, now: datetime | None = None) -> None:
    """An open (the pixel was fetched): counters on the send and a touchpoint on the contact.
    Repeated fetches count again but change nothing else."""
    now = now or timezone.now()
    with transaction.atomic():
        Send.objects.filter(pk=send.pk, first_opened_at__isnull=True).update(first_opened_at=now)
        Send.objects.filter(pk=send.pk).update(open_count=F("open_count") + 1)
        touchpoint_record(
            kind=TouchpointKind.EMAIL_OPEN,
            visitor=None,
            contact=send.contact,
            campaign=send.email.campaign,
            info=RequestInfo(user_agent=info.user_agent),
            occurred_at=now,
            params={"email": send.email.name},
        )


def send_click_record(
    *, send: Send, link_id: int, info: RequestInfo, now: datetime | None = None
) -> str | None:
    """A click on a link of the send: returns the stored URL to redirect to (None if the link
    is not one of this email's), records the click and a touchpoint."""
    link = EmailLink.objects.filter(pk=link_id, email_id=send.email_id).first()
    if link is None:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        SendClick.objects.create(send=send, link=link, clicked_at=now)
        Send.objects.filter(pk=send.pk, first_clicked_at__isnull=True).update(first_clicked_at=now)
        # A click proves the message was opened even when images were blocked.
        Send.objects.filter(pk=send.pk, first_opened_at__isnull=True).update(first_opened_at=now)
        Send.objects.filter(pk=send.pk).update(click_count=F("click_count") + 1)
        touchpoint_record(
            kind=TouchpointKind.EMAIL_CLICK,
            visitor=None,
            contact=send.contact,
            campaign=send.email.campaign,
            info=RequestInfo(url=link.url, user_agent=info.user_agent),
            occurred_at=now,
            params={"email": send.email.name},
        )
    return link.url
