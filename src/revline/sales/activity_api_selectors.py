"""Reads behind the activity, objection, meeting, availability and quota API.

Each list starts from what the reader may see in the UI: activities of deals they may not see
stay hidden, objections follow their deal, meetings follow My day (own, a manager's team,
admins all), quotas follow the quotas page.
"""

from datetime import date, datetime
from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from revline.core import permissions
from revline.core.models import Role, User
from revline.core.visibility import deal_or_contact_q

from .activity_selectors import _visible, activity_queryset
from .models import Activity, BookingAvailability, Meeting, Objection, ObjectionType, Quota
from .objection_selectors import objection_types_with_counts
from .quota_selectors import quota_people
from .selectors import deals_visible_to

M = TypeVar("M", bound=Model)


def _ordered(queryset: QuerySet[M], sort: str) -> QuerySet[M]:
    return queryset.order_by(sort, "-pk" if sort.startswith("-") else "pk")


# --- activities --------------------------------------------------------------------------------


def activities_for_api(user: User) -> QuerySet[Activity]:
    """The activities `user` may see (those on a deal they may not see are hidden)."""
    return _visible(user, activity_queryset())


def activity_search(
    *,
    user: User,
    q: str = "",
    kind: str | None = None,
    assigned_to_id: int | None = None,
    created_by_id: int | None = None,
    deal_id: int | None = None,
    contact_id: int | None = None,
    company_id: int | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    due_after: datetime | None = None,
    due_before: datetime | None = None,
    sort: str = "-occurred_at",
    now: datetime | None = None,
) -> QuerySet[Activity]:
    """Activities matching every given filter. `status`: open (planned, not done), done
    (planned and completed) or logged (recorded as it happened)."""
    activities = activities_for_api(user)
    if q:
        activities = activities.filter(Q(subject__icontains=q) | Q(body__icontains=q))
    for lookup, value in (
        ("kind", kind),
        ("assigned_to_id", assigned_to_id),
        ("created_by_id", created_by_id),
        ("deal_id", deal_id),
        ("contact_id", contact_id),
        ("company_id", company_id),
    ):
        if value is not None:
            activities = activities.filter(**{lookup: value})
    if status == "open":
        activities = activities.filter(due_at__isnull=False, completed_at__isnull=True)
    elif status == "done":
        activities = activities.filter(due_at__isnull=False, completed_at__isnull=False)
    elif status == "logged":
        activities = activities.filter(due_at__isnull=True)
    if overdue is not None:
        late = Q(due_at__lt=now or timezone.now(), completed_at__isnull=True)
        activities = activities.filter(late) if overdue else activities.exclude(late)
    if due_after is not None:
        activities = activities.filter(due_at__gte=due_after)
    if due_before is not None:
        activities = activities.filter(due_at__lt=due_before)
    return _ordered(activities, sort)


# --- objections --------------------------------------------------------------------------------


def objection_type_search(
    *, user: User, q: str = "", is_active: bool | None = None, sort: str = "position"
) -> QuerySet[ObjectionType]:
    types = objection_types_with_counts(user).prefetch_related("content")
    if q:
        types = types.filter(Q(name__icontains=q) | Q(description__icontains=q))
    if is_active is not None:
        types = types.filter(is_active=is_active)
    return _ordered(types, sort)


def objections_for_api(user: User) -> QuerySet[Objection]:
    """Objections on the deals `user` may see."""
    return Objection.objects.select_related(
        "deal__owner", "objection_type", "stage", "response", "logged_by"
    ).filter(deal__in=deals_visible_to(user).values("pk"))


def objection_search(
    *,
    user: User,
    deal_id: int | None = None,
    objection_type_id: int | None = None,
    outcome: str | None = None,
    overcome: bool | None = None,
    raised_after: datetime | None = None,
    raised_before: datetime | None = None,
    sort: str = "-raised_at",
) -> QuerySet[Objection]:
    objections = objections_for_api(user)
    if deal_id is not None:
        objections = objections.filter(deal_id=deal_id)
    if objection_type_id is not None:
        objections = objections.filter(objection_type_id=objection_type_id)
    if outcome:
        objections = objections.filter(outcome=outcome)
    if overcome is not None:
        objections = (
            objections.filter(outcome="overcome")
            if overcome
            else objections.exclude(outcome="overcome")
        )
    if raised_after is not None:
        objections = objections.filter(raised_at__gte=raised_after)
    if raised_before is not None:
        objections = objections.filter(raised_at__lt=raised_before)
    return _ordered(objections, sort)


# --- meetings and availability -----------------------------------------------------------------


def meetings_for_api(user: User) -> QuerySet[Meeting]:
    """Meetings booked with `user`; a manager also sees their team's, an admin everyone's
    (as My day)."""
    meetings = Meeting.objects.select_related("user", "contact")
    if permissions.is_admin(user):
        return meetings
    mine = Q(user_id=user.pk)
    if user.role == Role.SALES_MANAGER and user.team_id is not None:
        mine |= Q(user__team_id=user.team_id)
    # Like My day: a meeting about a deal or contact `user` may not see is left out.
    return meetings.filter(mine).filter(deal_or_contact_q(user))


def meeting_search(
    *,
    user: User,
    user_id: int | None = None,
    contact_id: int | None = None,
    deal_id: int | None = None,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
    sort: str = "starts_at",
) -> QuerySet[Meeting]:
    meetings = meetings_for_api(user)
    for lookup, value in (("user_id", user_id), ("contact_id", contact_id), ("deal_id", deal_id)):
        if value is not None:
            meetings = meetings.filter(**{lookup: value})
    if starts_after is not None:
        meetings = meetings.filter(starts_at__gte=starts_after)
    if starts_before is not None:
        meetings = meetings.filter(starts_at__lt=starts_before)
    return _ordered(meetings, sort)


def can_read_availability(viewer: User, user: User) -> bool:
    """Anyone reads their own windows; managers their team's, admins everyone's."""
    from .booking_selectors import can_manage_availability

    return (viewer.is_active and viewer.pk == user.pk) or can_manage_availability(viewer, user)


def availability_windows(user: User) -> QuerySet[BookingAvailability]:
    return BookingAvailability.objects.select_related("user").filter(user=user)


# --- quotas ------------------------------------------------------------------------------------


def quotas_for_api(user: User) -> QuerySet[Quota]:
    """The quotas of the people whose quotas `user` may read (see quota_people)."""
    return Quota.objects.select_related("user").filter(user__in=quota_people(user).values("pk"))


def quota_search(
    *,
    user: User,
    user_id: int | None = None,
    period: str | None = None,
    year: int | None = None,
    starts_from: date | None = None,
    starts_until: date | None = None,
    sort: str = "-period_start",
) -> QuerySet[Quota]:
    quotas = quotas_for_api(user)
    if user_id is not None:
        quotas = quotas.filter(user_id=user_id)
    if period:
        quotas = quotas.filter(period=period)
    if year is not None:
        quotas = quotas.filter(period_start__year=year)
    if starts_from is not None:
        quotas = quotas.filter(period_start__gte=starts_from)
    if starts_until is not None:
        quotas = quotas.filter(period_start__lte=starts_until)
    return _ordered(quotas, sort)
