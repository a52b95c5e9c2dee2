"""Reads for booking: a rep's windows, busy times and free slots, upcoming meetings."""

from datetime import datetime

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils import timezone

from revline.campaigns.models import Creative
from revline.core import permissions
from revline.core.models import Role, User
from revline.core.permissions import SALES_ROLES

from .models import BookingAvailability, Meeting
from .slots import BOOKING_DAYS, Busy, Slot, Window, free_slots


def availability_for(user: User) -> list[BookingAvailability]:
    return list(BookingAvailability.objects.filter(user=user).order_by("weekday", "start_time"))


def windows_for(user: User) -> list[Window]:
    return [
        Window(
            weekday=row.weekday,
            start=row.start_time,
            end=row.end_time,
            slot_minutes=row.slot_minutes,
            time_zone=row.time_zone,
        )
        for row in availability_for(user)
    ]


def time_zone_of(user: User) -> str:
    """The time zone a rep's booking page shows times in: that of their first window."""
    zone = (
        BookingAvailability.objects.filter(user=user)
        .order_by("weekday", "start_time")
        .values_list("time_zone", flat=True)
        .first()
    )
    return zone or "UTC"


def busy_for(user: User, *, since: datetime) -> list[Busy]:
    return [
        Busy(starts_at=starts_at, ends_at=ends_at)
        for starts_at, ends_at in Meeting.objects.filter(user=user, ends_at__gt=since).values_list(
            "starts_at", "ends_at"
        )
    ]


def is_bookable(user: User | None) -> bool:
    """Whether public pages may offer this user's slots: an active rep or manager."""
    return user is not None and user.is_active and user.role in SALES_ROLES


def bookable_slots(user: User, *, now: datetime | None = None) -> list[Slot]:
    """The user's free slots for the next BOOKING_DAYS days; none when they are not bookable."""
    if not is_bookable(user):
        return []
    now = now or timezone.now()
    return free_slots(windows=windows_for(user), busy=busy_for(user, since=now), now=now)


def offered_slots(user: User, *, now: datetime) -> list[Slot]:
    """Every slot the availability offers, booked or not (tells "taken" apart from "never offered")."""
    return free_slots(windows=windows_for(user), busy=(), now=now, days=BOOKING_DAYS)


def bookable_users() -> QuerySet[User]:
    """Reps and managers who can be offered on a 'book a meeting' CTA: active, with availability."""
    return (
        User.objects.filter(is_active=True, role__in=SALES_ROLES, availability__isnull=False)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def upcoming_meetings(user: User, *, now: datetime | None = None, limit: int = 20) -> list[Meeting]:
    now = now or timezone.now()
    return list(
        Meeting.objects.filter(user=user, ends_at__gt=now)
        .select_related("contact", "deal", "creative")
        .order_by("starts_at")[:limit]
    )


def can_manage_availability(actor: User, user: User) -> bool:
    """Reps set their own hours, managers those of their team, admins anyone's (reps/managers only)."""
    if not (actor.is_active and user.role in SALES_ROLES):
        return False
    if permissions.is_admin(actor) or actor.pk == user.pk:
        return True
    return (
        actor.role == Role.SALES_MANAGER
        and actor.team_id is not None
        and actor.team_id == user.team_id
    )


def availability_users_for(actor: User) -> QuerySet[User]:
    """The users whose availability the actor may manage (see can_manage_availability)."""
    users = User.objects.filter(is_active=True, role__in=SALES_ROLES)
    if permissions.is_admin(actor):
        return users.order_by("first_name", "last_name", "username")
    allowed = Q(pk=actor.pk)
    if actor.role == Role.SALES_MANAGER and actor.team_id is not None:
        allowed |= Q(team_id=actor.team_id)
    return users.filter(allowed).order_by("first_name", "last_name", "username")


def _meeting_signer(creative: Creative) -> signing.Signer:
    return signing.Signer(salt=f"revline.sales.meeting-ref.{creative.pk}", sep=".")


def meeting_ref(meeting: Meeting) -> str:
    """The unguessable reference in a booking's confirmation page address."""
    assert meeting.creative is not None
    return _meeting_signer(meeting.creative).sign(str(meeting.pk))


def meeting_for_ref(*, creative: Creative, ref: str) -> Meeting | None:
    try:
        raw = _meeting_signer(creative).unsign(ref[:200])
    except signing.BadSignature:
        return None
    if not raw.isdigit():
        return None
    return (
        Meeting.objects.select_related("user", "contact")
        .filter(pk=int(raw), creative=creative)
        .first()
    )
