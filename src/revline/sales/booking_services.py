"""Booking writes: reps' weekly availability, and meetings booked from public CTA pages."""

import uuid
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from revline.campaigns.models import Creative, CtaAction
from revline.core import permissions
from revline.core.models import User
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

from . import booking_selectors
from .models import ActivityKind, BookingAvailability, Meeting
from .services import activity_log, deal_create
from .slots import MAX_SLOT_MINUTES, MIN_SLOT_MINUTES, find_slot, zone_or_none

SLOT_TAKEN = "That slot was just taken. Please pick another time."
SLOT_NOT_OFFERED = "That time is not offered. Please pick one of the listed times."
BOOKING_CONSENT_PURPOSE = "marketing_email"
BOOKING_CONSENT_WORDING = "Email me news and offers. I can unsubscribe at any time."
BOOKING_CONSENT_VERSION = "booking-v1"


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
    permissions.require(
        booking_selectors.can_manage_availability(actor, user),
        "You can only set your own availability (managers: their team's).",
    )
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
    # Serialize changes to one user's windows, so two overlapping adds cannot both pass the check.
    User.objects.select_for_update().filter(pk=user.pk).first()
    overlapping = BookingAvailability.objects.filter(
        user=user, weekday=weekday, start_time__lt=end_time, end_time__gt=start_time
    ).exists()
    if overlapping:
        raise ValidationError(
            {"start_time": "This window overlaps another window on the same day."}
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
    return window


@transaction.atomic
def availability_remove(*, actor: User, window: BookingAvailability) -> None:
    """Remove a window. Meetings already booked in it stay booked."""
    permissions.require(
        booking_selectors.can_manage_availability(actor, window.user),
        "You can only set your own availability (managers: their team's).",
    )
    window.delete()


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
    return BookingResult(meeting=meeting, visitor_id=visitor.id)
