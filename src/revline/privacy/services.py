"""Privacy requests: record them, export a contact's data, erase a contact everywhere, honour an
objection to direct marketing. Every function checks the actor's permission itself."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import IO, Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from revline.audit.services import audit_create, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User
from revline.people.models import ConsentRecord, ConsentStatus, Contact
from revline.people.services import consent_record

from . import export
from .models import ErasedEmail, PrivacyRequest, ReceivedVia, RequestKind, RequestStatus
from .selectors import email_digest

logger = logging.getLogger(__name__)

ERASED = "[erased]"
# GDPR art. 12(3): answer "within one month of receipt of the request".
RESPONSE_TIME = timedelta(days=30)
OBJECTION_SOURCE = "Objection to direct marketing (GDPR art. 21)"
# Tables an erasure sweep leaves alone: staff accounts are not data subjects of the CRM, and
# the erased-address digests are what the erasure must keep.
SWEEP_SKIP = {"core.user", "privacy.erasedemail", "contenttypes.contenttype", "auth.permission"}
TEXT_TYPES = {"CharField", "TextField", "EmailField", "SlugField", "URLField", "JSONField"}


def due_date(requested_at: datetime) -> datetime:
    """The last day to answer: one month after receipt (taken as 30 days)."""
    return requested_at + RESPONSE_TIME


def can_export(user: User) -> bool:
    return permissions.is_admin(user)


def can_erase(user: User) -> bool:
    return permissions.is_admin(user)


def can_record_objection(user: User) -> bool:
    return permissions.can_manage_marketing(user)


def _request_create(
    *,
    kind: str,
    contact: Contact,
    actor: User,
    received_via: str,
    requested_at: datetime | None,
    note: str,
) -> PrivacyRequest:
    if received_via not in ReceivedVia.values:
        raise ValidationError({"received_via": "Choose how the request was received."})
    now = timezone.now()
    requested_at = requested_at or now
    if requested_at > now:
        raise ValidationError({"requested_at": "The request cannot be received in the future."})
    request = PrivacyRequest.objects.create(
        kind=kind,
        contact=contact,
        email_digest=email_digest(contact.email) if contact.email.strip() else "",
        subject_label=f"Contact #{contact.pk}",
        requested_at=requested_at,
        received_via=received_via,
        due_at=due_date(requested_at),
        handled_by=actor,
        note=note.strip(),
    )
    audit_create(actor=actor, obj=request)
    return request


def _complete(request: PrivacyRequest, *, actor: User, at: datetime) -> None:
    before = snapshot(request, fields=["status", "completed_at", "handled_by"])
    request.status = RequestStatus.COMPLETED
    request.completed_at = at
    request.handled_by = actor
    request.save(update_fields=["status", "completed_at", "handled_by"])
    audit_update(actor=actor, obj=request, before=before)


# --- Export (art. 15 and 20) --------------------------------------------------------------------


def export_request_create(
    *,
    actor: User,
    contact: Contact,
    received_via: str = ReceivedVia.EMAIL,
    requested_at: datetime | None = None,
    note: str = "",
) -> PrivacyRequest:
    """Record a request for access to / a copy of the contact's data; open until downloaded."""
    permissions.require(can_export(actor), "Only admins can export a person's data.")
    return _request_create(
        kind=RequestKind.EXPORT,
        contact=contact,
        actor=actor,
        received_via=received_via,
        requested_at=requested_at,
        note=note,
    )


@transaction.atomic
def export_request_fulfil(
    *, actor: User, request: PrivacyRequest, out: IO[bytes]
) -> dict[str, int]:
    """Write the archive of the request's contact to `out` and mark the request completed (the
    first download is the completion date). ValidationError when the contact is gone."""
    permissions.require(can_export(actor), "Only admins can export a person's data.")
    if request.kind != RequestKind.EXPORT:
        raise ValidationError("Only an export request has an archive.")
    contact = (
        Contact.objects.filter(pk=request.contact_id).select_related("company").first()
        if request.contact_id is not None
        else None
    )
    if contact is None:
        raise ValidationError("The contact no longer exists: there is nothing to export.")
    now = timezone.now()
    counts = export.contact_archive_write(contact=contact, out=out, generated_at=now)
    if request.status != RequestStatus.COMPLETED:
        _complete(request, actor=actor, at=now)
    return counts


# --- Objection to direct marketing (art. 21) ----------------------------------------------------


@transaction.atomic
def objection_record(
    *,
    actor: User,
    contact: Contact,
    received_via: str = ReceivedVia.EMAIL,
    requested_at: datetime | None = None,
    note: str = "",
) -> PrivacyRequest:
    """Honour an objection at once: consent withdrawn for every marketing purpose (appended to
    the consent history), the address suppressed, queued marketing sends skipped and marketing
    sequences left. The request is recorded as completed now."""
    permissions.require(
        can_record_objection(actor), "Only admins and marketers can record an objection."
    )
    from revline.email.delivery_services import (
        MARKETING_PURPOSE,
        queued_sends_skip,
        suppression_add,
    )
    from revline.email.models import SuppressionReason
    from revline.email.sequence_services import enrollments_exit_marketing

    request = _request_create(
        kind=RequestKind.OBJECTION,
        contact=contact,
        actor=actor,
        received_via=received_via,
        requested_at=requested_at,
        note=note,
    )
    now = timezone.now()
    purposes = set(
        ConsentRecord.objects.filter(contact=contact).values_list("purpose", flat=True)
    ) | {MARKETING_PURPOSE}
    current = {
        purpose: ConsentRecord.objects.filter(contact=contact, purpose=purpose)
        .values_list("status", flat=True)
        .first()
        for purpose in purposes
    }
    for purpose in sorted(purposes):
        if current[purpose] != ConsentStatus.WITHDRAWN:
            consent_record(
                contact=contact,
                purpose=purpose,
                granted=False,
                source=OBJECTION_SOURCE,
                recorded_at=now,
            )
    if contact.email.strip():
        suppression_add(
            address=contact.email,
            reason=SuppressionReason.UNSUBSCRIBED,
            source=OBJECTION_SOURCE,
        )
    queued_sends_skip(contact=contact, reason="Objected to direct marketing")
    enrollments_exit_marketing(contact=contact, reason="objected to direct marketing", now=now)
    _complete(request, actor=actor, at=now)
    return request


# --- Erasure (art. 17) --------------------------------------------------------------------------


def _terms(contact: Contact) -> list[str]:
    """What identifies the person in free text: their email and full name."""
    terms = [contact.email.strip(), contact.full_name.strip()]
    return [t for t in terms if len(t) >= 3]


def _pattern(terms: list[str]) -> re.Pattern[str]:
    parts = [r"\s+".join(re.escape(word) for word in term.split()) for term in terms]
    return re.compile("|".join(parts), re.IGNORECASE)


def _redact(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_redact(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _redact(v, pattern) for k, v in value.items()}
    return value


def text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.get_internal_type() in TEXT_TYPES and not f.primary_key
    ]


def sweepable_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in SWEEP_SKIP
    ]


def _sweep(terms: list[str]) -> int:
    """Replace the terms with "[erased]" in every text and JSON column of every table; returns
    the number of rows changed. One query per table finds the rows (LIKE on each column)."""
    if not terms:
        return 0
    pattern = _pattern(terms)
    changed = 0
    for model in sweepable_models():
        fields = text_fields(model)
        if not fields:
            continue
        match = Q()
        for f in fields:
            for term in terms:
                match |= Q(**{f"{f.name}__icontains": term})
        names = [f.attname for f in fields]
        for row in model._default_manager.filter(match).values("pk", *names).iterator():
            updates = {}
            for name in names:
                new = _redact(row[name], pattern)
                if new != row[name]:
                    updates[name] = new
            if updates:
                model._default_manager.filter(pk=row["pk"]).update(**updates)
                changed += 1
    return changed


@transaction.atomic
def contact_erase(
    *,
    actor: User,
    contact: Contact,
    received_via: str = ReceivedVia.EMAIL,
    requested_at: datetime | None = None,
    note: str = "",
) -> PrivacyRequest:
    """Erase the person everywhere, in one transaction, and record the completed request.

    Deleted: the contact and every record about them (the cascades, plus their survey
    responses, feedback, visitors and their touchpoints, orders, email delivery records and
    outbox copies, the plain suppression row). Kept, with the name and email replaced by
    "[erased]": business records that mention them (deals and their notes, objections,
    activities of companies). The daily touch statistics of the days their touches fell on are
    rebuilt. What remains is the SHA-256 of the address (ErasedEmail), so that it is never
    emailed or imported again."""
    permissions.require(can_erase(actor), "Only admins can erase a person.")
    from revline.analytics.aggregates import touch_days, touch_stats_rebuild_days
    from revline.email.models import DeliveryEvent, OutboxMessage, Send, Suppression
    from revline.feedback.models import FeedbackItem
    from revline.leads.scoring_services import companies_score_refresh
    from revline.quotes.models import Order
    from revline.surveys.models import Response
    from revline.tracking.models import Touchpoint, Visitor

    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    request = _request_create(
        kind=RequestKind.ERASURE,
        contact=contact,
        actor=actor,
        received_via=received_via,
        requested_at=requested_at,
        note=note,
    )
    now = timezone.now()
    address = contact.email.strip().lower()
    terms = _terms(contact)
    company_id = contact.company_id
    visitors = Visitor.objects.filter(contact=contact).values("pk")

    if address:
        ErasedEmail.objects.get_or_create(digest=email_digest(address), defaults={"erased_at": now})
        PrivacyRequest.objects.filter(contact=contact).update(email_digest=email_digest(address))
        Suppression.objects.filter(address=address).delete()
        DeliveryEvent.objects.filter(Q(send__contact=contact) | Q(address__iexact=address)).delete()
        OutboxMessage.objects.filter(Q(to__icontains=address) | Q(raw__icontains=address)).delete()
    touches = Touchpoint.objects.filter(Q(contact=contact) | Q(visitor__in=visitors))
    touched_days = touch_days(touches)
    touches.delete()
    Visitor.objects.filter(contact=contact).delete()
    Response.objects.filter(contact=contact).delete()
    FeedbackItem.objects.filter(contact=contact).delete()
    Order.objects.filter(contact=contact).delete()
    Send.objects.filter(contact=contact).delete()
    contact.delete()
    # The request stays as the proof of erasure, without the contact.
    request.contact = None
    request.save(update_fields=["contact"])
    swept = _sweep(terms)
    touch_stats_rebuild_days(days=touched_days)
    if company_id is not None:
        companies_score_refresh(company_ids=[company_id])
    _complete(request, actor=actor, at=now)
    logger.info("Privacy request %s: contact erased, %s rows redacted", request.pk, swept)
    return request


def privacy_request_note(*, actor: User, request: PrivacyRequest, note: str) -> PrivacyRequest:
    permissions.require(permissions.is_admin(actor), "Only admins can edit privacy requests.")
    before = snapshot(request, fields=["note"])
    request.note = note.strip()
    request.save(update_fields=["note"])
    audit_update(actor=actor, obj=request, before=before)
    return request
