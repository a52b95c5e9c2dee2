"""Booking writes: reps' weekly availability, and meetings booked from public CTA pages."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from email.mime.text import MIMEText
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.campaigns.models import Creative, CtaAction
from revline.core import permissions
from revline.core.models import User
from revline.core.workspace import workspace_get
from revline.email.template_selectors import sender_header
from revline.leads.qualification_services import contact_meeting_booked
from revline.people.models import Company, Contact
from revline.people.services import company_create, consent_record, contact_identify
from revline.tracking.models import TouchpointKind
from revline.tracking.services import (
    RequestInfo,
    link_utm_values,
    touchpoint_record,
    visitor_identify,
    visitor_touch,
)

from . import booking_selectors, ics
from .models import Activity, ActivityKind, BookingAvailability, Deal, Meeting
from .services import activity_log, deal_create
from .slots import MAX_SLOT_MINUTES, MIN_SLOT_MINUTES, Slot, find_slot, zone_or_none

logger = logging.getLogger(__name__)

SLOT_TAKEN = "That slot was just taken. Please pick another time."
SLOT_NOT_OFFERED = "That time is not offered. Please pick one of the listed times."
BOOKING_CONSENT_PURPOSE = "marketing_email"
BOOKING_CONSENT_WORDING = "Email me news and offers. I can unsubscribe at any time."
BOOKING_CONSENT_VERSION = "booking-v1"


AVAILABILITY_DENIED = "You can only set your own availability (managers: their team's)."


def _check_window(
    *,
    user: User,
    weekday: int,
    start_time: time,
    end_time: time,
    slot_minutes: int,
    time_zone: str,
    exclude_pk: int | None = None,
) -> None:
    errors: dict[str, str] = {}
    if not 0 <= weekday <= 6:
        errors["weekday"] = "Pick a day of the week."
    if zone_or_none(time_zone.strip()) is None:
        errors["time_zone"] = "Use a time zone name such as Europe/Berlin or America/New_York."
    if not MIN_SLOT_MINUTES <= slot_minutes <= MAX_SLOT_MINUTES:
        errors["slot_minutes"] = (
            f"Slots last between {MIN_SLOT_MINUTES} and {MAX_SLOT_MINUTES} minutes."
        )
    if end_time <= start_time:
        errors["end_time"] = "The window must end after it starts."
    elif not errors:
        length = (end_time.hour * 60 + end_time.minute) - (start_time.hour * 60 + start_time.minute)
        if length < slot_minutes:
            errors["end_time"] = "The window is shorter than one slot."
    if errors:
        raise ValidationError(errors)
    # Serialize changes to one user's windows, so two overlapping writes cannot both pass the check.
    User.objects.select_for_update().filter(pk=user.pk).first()
    overlapping = BookingAvailability.objects.filter(
        user=user, weekday=weekday, start_time__lt=end_time, end_time__gt=start_time
    )
    if exclude_pk is not None:
        overlapping = overlapping.exclude(pk=exclude_pk)
    if overlapping.exists():
        raise ValidationError(
            {"start_time": "This window overlaps another window on the same day."}
        )


@transaction.atomic
def availability_add(
    *,
    actor: User,
    user: User,
    weekday: int,
    start_time: time,
    end_time: time,
    slot_minutes: int,
    time_zone: str,
) -> BookingAvailability:
    """Add a weekly window in which `user` can be booked. It may not overlap another of their windows."""
    permissions.require(booking_selectors.can_manage_availability(actor, user), AVAILABILITY_DENIED)
    _check_window(
        user=user,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        time_zone=time_zone,
    )
    window = BookingAvailability(
        user=user,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        time_zone=time_zone.strip(),
    )
    window.full_clean()
    window.save()
    audit_create(actor=actor, obj=window)
    return window


@transaction.atomic
def availability_update(
    *,
    actor: User,
    window: BookingAvailability,
    weekday: int | None = None,
    start_time: time | None = None,
    end_time: time | None = None,
    slot_minutes: int | None = None,
    time_zone: str | None = None,
) -> BookingAvailability:
    """Change a window (the fields given); the same rules as availability_add. Meetings already
    booked stay booked."""
    permissions.require(
        booking_selectors.can_manage_availability(actor, window.user), AVAILABILITY_DENIED
    )
    before = snapshot(window)
    window.weekday = window.weekday if weekday is None else weekday
    window.start_time = start_time or window.start_time
    window.end_time = end_time or window.end_time
    window.slot_minutes = window.slot_minutes if slot_minutes is None else slot_minutes
    window.time_zone = (window.time_zone if time_zone is None else time_zone).strip()
    _check_window(
        user=window.user,
        weekday=window.weekday,
        start_time=window.start_time,
        end_time=window.end_time,
        slot_minutes=window.slot_minutes,
        time_zone=window.time_zone,
        exclude_pk=window.pk,
    )
    window.full_clean()
    window.save()
    audit_update(actor=actor, obj=window, before=before)
    return window


@transaction.atomic
def availability_remove(*, actor: User, window: BookingAvailability) -> None:
    """Remove a window. Meetings already booked in it stay booked."""
    permissions.require(
        booking_selectors.can_manage_availability(actor, window.user), AVAILABILITY_DENIED
    )
    audit_delete(actor=actor, obj=window)
    window.delete()


@transaction.atomic
def meeting_cancel(*, actor: User, meeting: Meeting, reason: str = "") -> None:
    """Cancel a booked meeting: its slot is free again, and the meeting's activity becomes a note
    saying it was cancelled (so it leaves My day, and the deal's history keeps it).

    Who may: the rep it is booked with, their manager, an admin (as for availability).
    """
    permissions.require(
        booking_selectors.can_manage_availability(actor, meeting.user)
        or (actor.is_active and actor.pk == meeting.user_id),
        "You can only cancel your own meetings (managers: their team's).",
    )
    reason = reason.strip()
    if len(reason) > 1000:
        raise ValidationError({"reason": "Keep the reason under 1000 characters."})
    activity: Activity | None = meeting.activity
    audit_delete(actor=actor, obj=meeting)
    meeting.delete()
    if activity is not None:
        before = snapshot(activity)
        activity.kind = ActivityKind.NOTE
        activity.subject = f"Cancelled: {activity.subject}"[:200]
        if reason:
            activity.body = f"{activity.body}\n\nCancelled: {reason}".strip()
        activity.save(update_fields=["kind", "subject", "body"])
        audit_update(actor=actor, obj=activity, before=before)


def contact_company_attach(*, contact: Contact, company_name: str) -> Company | None:
    """Give a contact without a company the named one (matched case-insensitively, else created)."""
    company_name = company_name.strip()[:200]
    if not company_name or contact.company_id is not None:
        return contact.company
    company = Company.objects.filter(name__iexact=company_name).order_by("pk").first()
    if company is None:
        company = company_create(actor=None, name=company_name)
    contact.company = company
    contact.save(update_fields=["company", "updated_at"])
    return company


@dataclass(frozen=True)
class Booker:
    """What the visitor typed on the booking page (validated by the form)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    note: str = ""
    consent: bool = False


@dataclass(frozen=True)
class BookingResult:
    meeting: Meeting
    visitor_id: uuid.UUID


def _require_booking_creative(creative: Creative) -> User:
    rep = creative.booking_user
    if creative.cta_action != CtaAction.BOOK_MEETING or not booking_selectors.is_bookable(rep):
        raise ValidationError("Meetings can no longer be booked here.", code="unavailable")
    assert rep is not None
    return rep


@transaction.atomic
def meeting_book(
    *,
    creative: Creative,
    starts_at: datetime,
    booker: Booker,
    visitor_id: uuid.UUID | None,
    ip_address: str | None = None,
    info: RequestInfo | None = None,
    now: datetime | None = None,
) -> BookingResult:
    """Book one of the rep's free slots from a 'book a meeting' CTA, all or nothing.

    Identifies the contact (attaching the visitor's earlier touchpoints), creates the meeting,
    opens a deal in the first stage owned by the rep, logs the meeting as the rep's activity
    and records a meeting_booked touchpoint for the creative's campaign. A time that is not one
    of the offered slots, or a slot someone booked first, raises ValidationError on `slot` and
    writes nothing.
    """
    now = now or timezone.now()
    rep = _require_booking_creative(creative)
    # One booking per rep at a time (PostgreSQL); the unique (user, starts_at) index backs it up.
    User.objects.select_for_update().filter(pk=rep.pk).first()
    slot = find_slot(booking_selectors.offered_slots(rep, now=now), starts_at)
    if slot is None:
        raise ValidationError({"slot": ValidationError(SLOT_NOT_OFFERED, code="not_offered")})
    if find_slot(booking_selectors.bookable_slots(rep, now=now), starts_at) is None:
        raise ValidationError({"slot": ValidationError(SLOT_TAKEN, code="taken")})

    visitor = visitor_touch(visitor_id=visitor_id, at=now)
    contact, _created = contact_identify(
        email=booker.email,
        first_name=booker.first_name.strip(),
        last_name=booker.last_name.strip(),
        source="book_meeting",
    )
    company = contact_company_attach(contact=contact, company_name=booker.company_name)
    visitor_identify(visitor=visitor, contact=contact)
    if booker.consent:
        consent_record(
            contact=contact,
            purpose=BOOKING_CONSENT_PURPOSE,
            granted=True,
            source=f"booking:{creative.pk}",
            wording=BOOKING_CONSENT_WORDING,
            wording_version=BOOKING_CONSENT_VERSION,
            ip_address=ip_address,
            recorded_at=now,
        )
    try:
        with transaction.atomic():
            meeting = Meeting.objects.create(
                user=rep,
                contact=contact,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                creative=creative,
                notes=booker.note.strip(),
            )
    except IntegrityError as exc:
        raise ValidationError({"slot": ValidationError(SLOT_TAKEN, code="taken")}) from exc

    # Before the deal: qualifying needs a contact not yet past MQL; the deal makes it an opportunity.
    contact_meeting_booked(contact=contact, rep=rep, what=creative.name, now=now)
    who = company.name if company is not None else str(contact)
    deal = deal_create(
        actor=None,
        name=f"{who}: meeting from {creative.name}"[:200],
        amount=Decimal("0"),
        currency=settings.CURRENCY,
        contact=contact,
        company=company,
        owner=rep,
        created_at=now,
    )
    local = slot.local_start
    minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    body = [
        f"{local:%a %d %b %Y, %H:%M} ({slot.time_zone}), {minutes} minutes.",
        f"Booked online via “{creative.name}” (campaign “{creative.campaign.name}”).",
    ]
    if booker.note.strip():
        body.append(f"Note from {contact}: {booker.note.strip()}")
    activity = activity_log(
        actor=None,
        kind=ActivityKind.MEETING,
        subject=f"Meeting with {contact} on {local:%d %b %Y, %H:%M}"[:200],
        body="\n\n".join(body),
        deal=deal,
        contact=contact,
        occurred_at=slot.starts_at,
    )
    meeting.deal = deal
    meeting.activity = activity
    meeting.save(update_fields=["deal", "activity"])
    link = creative.link
    touchpoint_record(
        kind=TouchpointKind.MEETING_BOOKED,
        visitor=visitor,
        contact=contact,
        campaign=creative.campaign,
        link=link,
        creative=creative,
        utm=link_utm_values(link) if link is not None else None,
        info=info or RequestInfo(),
        occurred_at=now,
        params={"meeting": meeting.pk, "starts_at": slot.key, "rep": rep.pk},
    )
    invitations = meeting_invitations(
        meeting=meeting, slot=slot, creative=creative, deal=deal, note=booker.note, now=now
    )
    # After the commit: a booking that fails sends nothing, and mail trouble cannot undo one.
    transaction.on_commit(lambda: invitations_send(invitations))
    return BookingResult(meeting=meeting, visitor_id=visitor.id)


def meeting_uid(meeting: Meeting) -> str:
    """The calendar UID of a meeting: the same in every message about it."""
    host = urlsplit(settings.BASE_URL).hostname or "revline.local"
    return f"meeting-{meeting.pk}@{host}"


def meeting_invitations(
    *, meeting: Meeting, slot: Slot, creative: Creative, deal: Deal, note: str, now: datetime
) -> list[EmailMessage]:
    """The invitation emails of a booked meeting, to the booker and to the rep, each with the
    same calendar request (.ics) attached: the rep organizes, the booker attends."""
    rep, contact = meeting.user, meeting.contact
    workspace = workspace_get()
    rep_name = str(rep)
    minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    when = f"{slot.local_start:%A %d %B %Y, %H:%M} ({slot.time_zone}), {minutes} minutes"
    note = note.strip()
    description = [f"Booked online via “{creative.name}”."]
    if note:
        description.append(f"Note from {contact}: {note}")
    sender = sender_header()
    calendar = ics.calendar_request(
        ics.Invite(
            uid=meeting_uid(meeting),
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            stamp=now,
            summary=f"{workspace.name}: {contact} and {rep_name}",
            description="\n\n".join(description),
            # A request needs an organizer address: the workspace's sender stands in for a rep
            # without one.
            organizer=ics.Person(email=rep.email or parseaddr(sender)[1], name=rep_name),
            attendees=(ics.Person(email=contact.email, name=str(contact)),),
        )
    )
    greeting = f"Hello {contact.first_name}," if contact.first_name else "Hello,"
    to_booker = EmailMessage(
        subject=f"Your meeting with {rep_name} ({workspace.name})",
        body=(
            f"{greeting}\n\nyour meeting with {rep_name} is booked:\n{when}.\n\n"
            "The calendar invitation is attached; add it to your calendar.\n\n"
            f"{workspace.name}\n"
        ),
        from_email=sender,
        to=[contact.email],
        reply_to=[rep.email] if rep.email else None,
    )
    messages = [to_booker]
    if rep.email:
        deal_url = settings.BASE_URL + reverse("sales:deal", args=[deal.pk])
        lines = [
            f"{contact} <{contact.email}> booked a meeting with you via “{creative.name}” "
            f"(campaign “{creative.campaign.name}”):",
            f"{when}.",
        ]
        if note:
            lines.append(f"Their note: {note}")
        lines.append(f"The deal: {deal_url}")
        messages.append(
            EmailMessage(
                subject=f"New meeting booked: {contact}, {slot.local_start:%d %b %Y %H:%M}",
                body="\n\n".join(lines) + "\n",
                from_email=sender,
                to=[rep.email],
                reply_to=[contact.email],
            )
        )
    for message in messages:
        message.attach(_calendar_part(calendar))
    return messages


def _calendar_part(calendar: str) -> MIMEText:
    part = MIMEText(calendar, "calendar", "utf-8")
    part.set_param("method", "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part


def invitations_send(messages: list[EmailMessage]) -> int:
    """Send each message on its own; a failure is logged, never raised (the booking stands).
    Returns how many were sent."""
    sent = 0
    for message in messages:
        try:
            sent += message.send()
        except Exception:  # any backend's failure: the visitor's booking is already saved
            logger.exception("Could not send the meeting invitation to %s", message.to)
    return sent
