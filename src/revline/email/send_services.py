"""Campaign emails: edit, schedule, start, deliver, and record opens and clicks.

Sending is at-least-once with at most one chunk repeated:
1. Starting an email freezes its content and creates one Send per recipient (unique per email
   and contact, so starting twice creates nothing new). Contacts that may not receive it (no
   address, no marketing consent, suppressed, opted out of the topic) get a SKIPPED send with
   the reason, so the report accounts for everyone in the segment.
2. A delivery task claims a few queued sends at a time (queued -> sending, atomically), renders
   and hands them to the mail server over its open connections (SMTP_CONNECTIONS, reused for
   the whole delivery), and once the server has answered for every one of them marks them sent
   in one commit per chunk. A template error fails that one send with the reason.
3. If the worker dies, its claimed chunk stays "sending". `emails_start_due` (every 15 s) sees
   that the email's heartbeat (Email.updated_at, touched per chunk) is stale, puts that chunk back
   in the queue and starts a new delivery task. Messages of that chunk which the server had
   already accepted are sent again: at most CHUNK_SIZE duplicates per crash, never a skip.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import logging
import math
import secrets
import smtplib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.db.models.constants import OnConflict
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User
from revline.core.workspace import workspace_get
from revline.experiments.services import SubjectSplit, email_goal_record, email_subject_split
from revline.people.models import ConsentRecord, ConsentStatus, Contact
from revline.privacy.selectors import email_is_erased, erased_email_exists
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
from .rendering import (
    ContactValues,
    Footer,
    RenderedEmail,
    RenderError,
    contact_context,
    contact_context_from_values,
    render_email,
    sample_context,
)
from .send_render import (
    Envelope,
    PreparedEmail,
    build_message,
    compose_raw,
    raw_smtp_possible,
    track_links,
)
from .send_smtp import SmtpTransmitter

logger = logging.getLogger(__name__)

MARKETING_PURPOSE = "marketing_email"
# Sends claimed and handed to the server per commit: the most a crash can duplicate.
CHUNK_SIZE = 10
# SMTP connections a delivery sends over at once (each carries one message at a time).
SMTP_CONNECTIONS = 2
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
    with transaction.atomic():
        email.save()
        audit_create(actor=actor, obj=email)
    return email


def email_update(*, actor: User, email: Email, **fields: Any) -> Email:
    """Change a draft (a scheduled email must be cancelled first); content follows the template."""
    _require_marketer(actor)
    if email.status != EmailStatus.DRAFT:
        raise ValidationError("Only a draft can be edited: cancel the schedule first.")
    before = snapshot(email)
    for name in EDITABLE_FIELDS:
        if name in fields:
            setattr(email, name, fields[name])
    _copy_content(email, email.template)
    _clean(email)
    with transaction.atomic():
        email.save()
        audit_update(actor=actor, obj=email, before=before)
    return email


def email_delete(*, actor: User, email: Email) -> None:
    """Delete a campaign email that never went out (draft or cancelled, no sends). An email
    with sends is the record of what people received, so it stays."""
    _require_marketer(actor)
    if email.kind != EmailKind.CAMPAIGN:
        raise ValidationError("Automated emails are removed with their sequence step.")
    if email.status not in (EmailStatus.DRAFT, EmailStatus.CANCELLED) or email.sends.exists():
        raise ValidationError("Only a draft that was never sent can be deleted.")
    with transaction.atomic():
        audit_delete(actor=actor, obj=email)
        email.delete()


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
    before = snapshot(email, fields=["status", "scheduled_at"])
    _copy_content(email, email.template)
    _check_ready(email)
    email.status = EmailStatus.SCHEDULED
    email.scheduled_at = at
    with transaction.atomic():
        email.save()
        audit_update(actor=actor, obj=email, before=before)
    return email


def email_cancel(*, actor: User, email: Email) -> Email:
    """A scheduled email goes back to draft (nothing was sent yet)."""
    _require_marketer(actor)
    before = snapshot(email, fields=["status", "scheduled_at"])
    with transaction.atomic():
        updated = Email.objects.filter(pk=email.pk, status=EmailStatus.SCHEDULED).update(
            status=EmailStatus.DRAFT, scheduled_at=None, updated_at=timezone.now()
        )
        if not updated:
            raise ValidationError("Only a scheduled email can be cancelled.")
        email.refresh_from_db()
        audit_update(actor=actor, obj=email, before=before)
    return email


def email_send_now(*, actor: User, email: Email, now: datetime | None = None) -> Email:
    """Start sending a draft now."""
    _require_marketer(actor)
    if email.status != EmailStatus.DRAFT:
        raise ValidationError("Only a draft can be sent.")
    before = snapshot(email, fields=["status", "started_at"])
    _copy_content(email, email.template)
    _check_ready(email)
    email.save()
    started = email_start(email=email, now=now)
    audit_update(actor=actor, obj=started, before=before)
    return started


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
        suppressed=Exists(Suppression.objects.filter(address=Lower(OuterRef("email"))))
        | erased_email_exists("email"),
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
    existing sends are kept. Returns the number of rows offered to the database."""
    domain = _sender_domain(email.from_email)
    insert = _SendInsert(email_id=email.pk, now=now)
    batch: list[tuple[int, str, str, str, str, str]] = []
    inserted = 0
    for contact_id, address, consent, suppressed, opted_out in _recipient_rows(email, now):
        reason = skip_reason(
            email=address, consent=consent, suppressed=suppressed, opted_out=opted_out
        )
        batch.append((
            contact_id,
            address,
            SendState.SKIPPED if reason else SendState.QUEUED,
            reason,
            message_id_for(email_id=email.pk, contact_id=contact_id, domain=domain),
            secrets.token_urlsafe(18),
        ))  # fmt: skip
        if len(batch) >= INSERT_BATCH:
            inserted += insert.rows(batch)
            batch.clear()
    if batch:
        inserted += insert.rows(batch)
    return inserted


class _SendInsert:
    """Send rows written with one executemany per batch, skipping rows that exist already.

    bulk_create prepared each of a Send's 18 fields per row in Python: 85 % of starting a
    campaign. Here every column but the six that differ per contact is prepared once, from a
    Send with the model's defaults, and the statement is the one bulk_create would write."""

    VARYING = ("contact", "to_address", "state", "reason", "message_id", "token")

    def __init__(self, *, email_id: int, now: datetime) -> None:
        fields = [field for field in Send._meta.concrete_fields if not field.primary_key]
        template = Send(email_id=email_id, queued_at=now)
        self.base = [
            field.get_db_prep_save(field.pre_save(template, True), connection) for field in fields
        ]
        self.slots = [[field.name for field in fields].index(name) for name in self.VARYING]
        ops = connection.ops
        quote = ops.quote_name
        suffix = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
        columns = ", ".join(quote(str(field.column)) for field in fields)
        self.sql = (
            f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} "
            f"{quote(Send._meta.db_table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) {suffix}"
        ).strip()

    def rows(self, rows: list[tuple[int, str, str, str, str, str]]) -> int:
        params = []
        for values in rows:
            row = list(self.base)
            for slot, value in zip(self.slots, values, strict=True):
                row[slot] = str(value) if isinstance(value, SendState) else value
            params.append(row)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(self.sql, params)
        return len(rows)


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
        suppressed=bool(address)
        and (
            Suppression.objects.filter(address=address.lower()).exists() or email_is_erased(address)
        ),
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
    plan = delivery_plan(total=0, rate_per_minute=email.rate_per_minute, chunk_size=chunk_size)
    sender = _Sender.for_email(email, workspace)
    mail = get_connection()
    # More SMTP connections let the server take in one message while the next is handed over.
    mails = [mail] + (
        [get_connection() for _ in range(SMTP_CONNECTIONS - 1)]
        if isinstance(mail, SmtpBackend)
        else []
    )
    beat = 0.0
    try:
        for each in mails:
            each.open()
        while True:
            started = time.monotonic()
            if started - beat >= HEARTBEAT_SECONDS:
                _heartbeat(email.pk, timezone.now())
                beat = started
            ids = _claim(email.pk, plan.chunk_size, timezone.now())
            if not ids:
                break
            sent_ids: list[int] = []
            failures: list[tuple[int, str]] = []
            rows = _chunk_rows(ids)
            try:
                _deliver_chunk(rows, sender=sender, mails=mails, sent=sent_ids, failed=failures)
            finally:
                # Whatever happened, what the server accepted is recorded as sent.
                _record(sent_ids, failures)
                sender.exposures_record(rows, sent_ids)
            stats.sent += len(sent_ids)
            stats.failed += len(failures)
            stats.chunks += 1
            wait = pause_after(plan, elapsed=time.monotonic() - started)
            if wait > 0:
                stats.slept += wait
                sleep(wait)
    finally:
        for each in mails:
            each.close()
    email_finish_if_done(email_id=email.pk)
    return stats


@dataclass(frozen=True)
class SendRow:
    """What delivering one send needs: the send's own fields and its contact's values."""

    pk: int
    to_address: str
    token: str
    message_id: str
    contact: ContactValues
    contact_id: int = 0


@lru_cache(maxsize=1)
def _chunk_sql() -> str:
    """One query for a chunk's sends and their contacts' personalisation values.

    Written out because it runs once per chunk: compiling the equivalent ORM query (three joins)
    cost more than running it."""
    quote = connection.ops.quote_name

    def column(model: Any, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    from revline.people.models import Company

    send, contact = Send, Contact
    fields = [
        f"s.{column(send, 'id')}", f"s.{column(send, 'to_address')}",
        f"s.{column(send, 'token')}", f"s.{column(send, 'message_id')}",
        f"s.{column(send, 'contact')}",
        *(f"c.{column(contact, name)}"
          for name in ("first_name", "last_name", "email", "title", "country")),
        f"co.{column(Company, 'name')}",
        *(f"u.{column(User, name)}" for name in ("first_name", "last_name", "email")),
    ]  # fmt: skip
    return (
        f"SELECT {', '.join(fields)} FROM {quote(send._meta.db_table)} s "  # noqa: S608
        f"JOIN {quote(contact._meta.db_table)} c "
        f"ON c.{column(contact, 'id')} = s.{column(send, 'contact')} "
        f"LEFT JOIN {quote(Company._meta.db_table)} co "
        f"ON co.{column(Company, 'id')} = c.{column(contact, 'company')} "
        f"LEFT JOIN {quote(User._meta.db_table)} u "
        f"ON u.{column(User, 'id')} = c.{column(contact, 'owner')} "
        f"WHERE s.{column(send, 'id')} IN ({{ids}}) ORDER BY s.{column(send, 'id')}"
    )


def _chunk_rows(ids: list[int]) -> list[SendRow]:
    sql = _chunk_sql().replace("{ids}", ", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    return [
        SendRow(
            pk=pk, to_address=to_address, token=token, message_id=message_id,
            contact=ContactValues(*(value or "" for value in values)), contact_id=contact_id,
        )
        for pk, to_address, token, message_id, contact_id, *values in rows
    ]  # fmt: skip


def _send_row(send: Send) -> SendRow:
    contact = send.contact
    company = contact.company if contact.company_id else None
    owner = contact.owner if contact.owner_id else None
    return SendRow(
        pk=send.pk,
        to_address=send.to_address,
        token=send.token,
        message_id=send.message_id,
        contact_id=send.contact_id,
        contact=ContactValues(
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            title=contact.title,
            country=contact.country,
            company_name=company.name if company else "",
            owner_first_name=owner.first_name if owner else "",
            owner_last_name=owner.last_name if owner else "",
            owner_email=owner.email if owner else "",
        ),
    )


@dataclass
class _Sender:
    """What is the same for every message of one email's delivery."""

    prepared: PreparedEmail
    links: _LinkIds
    postal_address: str
    from_name: str
    from_email: str
    reply_to: str
    skip_prefix: str
    # A running subject-line experiment: each contact's variant, and its content per variant.
    split: SubjectSplit | None = None
    by_variant: dict[str, PreparedEmail] = field(default_factory=dict)

    @classmethod
    def for_email(cls, email: Email, workspace: Any) -> _Sender:
        split = email_subject_split(email=email)
        return cls(
            split=split,
            by_variant={
                key: PreparedEmail.prepare(_with_subject(email, subject))
                for key, subject in (split.subjects.items() if split else ())
            },
            prepared=PreparedEmail.prepare(email),
            links=_LinkIds(email.pk),
            postal_address=workspace.postal_address,
            from_name=email.from_name or workspace.email_from_name,
            from_email=(
                email.from_email or workspace.email_from_address or settings.DEFAULT_FROM_EMAIL
            ),
            reply_to=email.reply_to,
            skip_prefix=settings.BASE_URL + "/e/",
        )

    def compose(self, row: SendRow) -> tuple[Envelope, RenderedEmail]:
        """The envelope and tracked parts of one send (RenderError when it can't render)."""
        urls = send_links(row.token)
        footer = Footer(self.postal_address, urls.unsubscribe, urls.preferences)
        prepared = (
            self.prepared
            if self.split is None
            else self.by_variant[self.split.key_for(row.contact_id)]
        )
        rendered = prepared.render(contact_context_from_values(row.contact), footer)
        links = self.links
        rendered = track_links(
            rendered,
            link_url=lambda url: f"{urls.click_prefix}{links.get(url)}",
            pixel_url=urls.open_pixel,
            skip_prefix=self.skip_prefix,
        )
        envelope = Envelope(
            from_name=self.from_name,
            from_email=self.from_email,
            reply_to=self.reply_to,
            to=row.to_address,
            message_id=row.message_id,
            unsubscribe_url=urls.unsubscribe,
        )
        return envelope, rendered

    def exposures_record(self, rows: list[SendRow], sent_ids: list[int]) -> None:
        if self.split is not None and sent_ids:
            accepted = set(sent_ids)
            self.split.sent([row.contact_id for row in rows if row.pk in accepted])


def _with_subject(email: Email, subject: str) -> Email:
    """An unsaved copy of the email with another subject, to prepare a variant's content."""
    variant = copy.copy(email)
    variant.subject = subject
    return variant


def send_messages_build(*, email: Email, sends: list[Send], connection: Any) -> list[EmailMessage]:
    """The messages of these sends exactly as delivery builds them (tracked links, open pixel,
    List-Unsubscribe), without sending anything or changing a send: for the demo's outbox.
    Select the sends' contact__company and contact__owner."""
    sender = _Sender.for_email(email, workspace_get())
    return [
        build_message(*sender.compose(_send_row(send)), connection=connection) for send in sends
    ]


def _deliver_chunk(
    rows: list[SendRow],
    *,
    sender: _Sender,
    mails: list[Any],
    sent: list[int],
    failed: list[tuple[int, str]],
) -> None:
    """Render and send the chunk's messages, adding each send's pk to `sent` once the server
    accepted it, or (pk, reason) to `failed`.

    Over SMTP the messages take turns on the open connections, and each is rendered while the
    server takes in the previous ones; every verdict is read before this returns, so nothing is
    recorded before the server answered. A broken connection (the server went away) is raised,
    so the chunk's unanswered messages stay claimed and are re-queued as stale."""
    transmitters = [
        SmtpTransmitter(mail.connection)
        for mail in mails
        if isinstance(mail, SmtpBackend) and mail.connection is not None
    ]
    in_flight: dict[int, int] = {}  # transmitter index -> pk of the message it awaits a verdict on

    def settle(index: int) -> None:
        pk = in_flight.pop(index, None)
        if pk is None:
            return
        outcome = _transmit(transmitters[index].end)
        if outcome:
            failed.append((pk, outcome))
        else:
            sent.append(pk)

    turn = 0
    try:
        for row in rows:
            try:
                envelope, rendered = sender.compose(row)
                raw = (
                    compose_raw(envelope, rendered)
                    if transmitters and raw_smtp_possible(envelope, connection=mails[0])
                    else None
                )
            except RenderError as exc:
                failed.append((row.pk, f"Template error: {exc}"[:500]))
                continue
            except (ValueError, UnicodeError) as exc:
                failed.append((row.pk, f"Not a valid message: {exc}"[:500]))
                continue
            if raw is not None:
                # The SMTP fast path: the MIME text written directly, pipelined where supported.
                turn = (turn + 1) % len(transmitters)
                settle(turn)
                outcome = _transmit(transmitters[turn].begin, envelope.from_email, envelope.to, raw)
                if not outcome:
                    in_flight[turn] = row.pk
                    continue
            else:
                for index in list(in_flight):
                    settle(index)
                message = build_message(envelope, rendered, connection=mails[0])
                outcome = _transmit(mails[0].send_messages, [message])
            if outcome:
                failed.append((row.pk, outcome))
            else:
                sent.append(row.pk)
    finally:
        for index in list(in_flight):
            settle(index)


def _transmit(hand_over: Callable[..., object], *args: Any) -> str:
    """Run `hand_over(*args)`; "" when the server accepted the message, else the reason."""
    try:
        hand_over(*args)
    except smtplib.SMTPRecipientsRefused as exc:
        return f"Refused by the mail server: {_smtp_reply(exc)}"[:500]
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
        reply = exc.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"Refused by the mail server: {exc.smtp_code} {text}"[:500]
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
        email_goal_record(
            email_id=send.email_id, contact_id=send.contact_id, clicked=False, now=now
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
        email_goal_record(email_id=send.email_id, contact_id=send.contact_id, clicked=True, now=now)
    return link.url
