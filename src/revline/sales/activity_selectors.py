"""Activity reads: the activity panels of deals, contacts and companies, and a rep's My day."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from revline.core import permissions
from revline.core.models import Role, User
from revline.core.visibility import (
    contact_q,
    deal_or_contact_q,
    visible_activities,
    with_hidden_flags,
)
from revline.people.models import Company, Contact

from .activity_services import can_edit_activity
from .models import Activity, ActivityKind, Deal, DealStatus, Meeting, Pipeline
from .selectors import deals_queryset, deals_visible_to

HISTORY_LIMIT = 50


def activity_queryset() -> QuerySet[Activity]:
    return Activity.objects.select_related(
        "deal__owner", "contact", "company", "assigned_to", "created_by"
    )


@dataclass(frozen=True)
class ActivityPanel:
    open: list[Activity]
    history: list[Activity]
    history_truncated: bool
    editable_ids: set[int] = field(default_factory=set)


def _panel(user: User, activities: QuerySet[Activity]) -> ActivityPanel:
    planned = list(
        activities.filter(due_at__isnull=False, completed_at__isnull=True).order_by("due_at", "pk")
    )
    history = list(
        activities.filter(Q(due_at__isnull=True) | Q(completed_at__isnull=False)).order_by(
            "-occurred_at", "-pk"
        )[: HISTORY_LIMIT + 1]
    )
    shown = history[:HISTORY_LIMIT]
    editable = {a.pk for a in [*planned, *shown] if can_edit_activity(user, a)}
    return ActivityPanel(
        open=planned,
        history=shown,
        history_truncated=len(history) > HISTORY_LIMIT,
        editable_ids=editable,
    )


def _visible(user: User, activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """Activities `user` may see (core.visibility: by their owner, and on a deal they may see)."""
    return visible_activities(activities, user)


def deal_activity_panel(*, user: User, deal: Deal) -> ActivityPanel:
    """The caller has checked that `user` may see the deal; its activities still follow the
    activity visibility setting."""
    return _panel(user, _visible(user, activity_queryset().filter(deal=deal)))


def contact_activity_panel(*, user: User, contact: Contact) -> ActivityPanel:
    return _panel(user, _visible(user, activity_queryset().filter(contact=contact)))


def company_activity_panel(*, user: User, company: Company) -> ActivityPanel:
    """Activities on the company, its deals and its contacts; those about a contact `user` may
    not see stay out, like that contact stays out of the company page."""
    related = Q(company=company) | Q(contact__company=company) | Q(deal__company=company)
    activities = _visible(user, activity_queryset().filter(related))
    contacts = contact_q(user, "contact__")
    # Never OR an empty Q: Q(a) | Q() is Q(a), not "everything".
    if contacts:
        activities = activities.filter(Q(contact__isnull=True) | contacts)
    return _panel(user, activities)


def activity_for(*, user: User, pk: int) -> Activity | None:
    """The activity if `user` may see it (core.visibility.activity_q)."""
    return _visible(user, activity_queryset()).filter(pk=pk).first()


# --- My day ------------------------------------------------------------------------------------


def can_view_day(viewer: User, user: User) -> bool:
    """Everyone sees their own day; managers their team's; admins everyone's."""
    if viewer.pk == user.pk or permissions.is_admin(viewer):
        return True
    return (
        viewer.role == Role.SALES_MANAGER
        and viewer.team_id is not None
        and user.team_id == viewer.team_id
    )


def day_people(viewer: User) -> list[User]:
    """Whose day `viewer` may open, for the picker (empty when only their own)."""
    if permissions.is_admin(viewer):
        users = User.objects.filter(is_active=True, role__in=[Role.SALES_REP, Role.SALES_MANAGER])
    elif viewer.role == Role.SALES_MANAGER and viewer.team_id is not None:
        users = User.objects.filter(is_active=True, team_id=viewer.team_id)
    else:
        return []
    people = list((users | User.objects.filter(pk=viewer.pk)).order_by("first_name", "username"))
    return people if len(people) > 1 else []


@dataclass(frozen=True)
class DayMeeting:
    starts_at: datetime
    ends_at: datetime | None
    title: str
    contact: Contact | None
    deal_id: int | None
    activity: Activity | None
    booked_online: bool
    done: bool


@dataclass(frozen=True)
class StaleDeal:
    deal: Deal
    days_in_stage: int
    stale_after_days: int


@dataclass(frozen=True)
class MyDay:
    user: User
    day: date
    overdue: list[Activity]
    today: list[Activity]
    meetings: list[DayMeeting]
    stale_deals: list[StaleDeal]
    closing_deals: list[Deal]
    week_start: date
    week_end: date
    editable_ids: set[int]

    @property
    def empty(self) -> bool:
        return not (
            self.overdue or self.today or self.meetings or self.stale_deals or self.closing_deals
        )


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start and end of `now`'s day in the workspace time zone."""
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def week_bounds(day: date) -> tuple[date, date]:
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)


def _stale_filter(now: datetime) -> Q:
    """Per pipeline, deals whose stage changed longer ago than the pipeline's threshold."""
    condition = Q(pk__in=[])
    for pk, days in Pipeline.objects.values_list("pk", "stale_after_days"):
        condition |= Q(pipeline_id=pk, stage_changed_at__lt=now - timedelta(days=days))
    return condition


def my_day(*, viewer: User, user: User, now: datetime) -> MyDay:
    """`user`'s day as `viewer` may see it: open tasks (overdue, today), today's meetings,
    stale deals and deals expected to close this week. The caller checked can_view_day."""
    start, end = day_bounds(now)
    mine = _visible(viewer, activity_queryset()).filter(assigned_to=user, completed_at__isnull=True)
    tasks = mine.exclude(kind=ActivityKind.MEETING).filter(due_at__isnull=False)
    overdue = list(tasks.filter(due_at__lt=start).order_by("due_at", "pk"))
    today = list(tasks.filter(due_at__gte=start, due_at__lt=end).order_by("due_at", "pk"))

    meeting_activities = list(
        _visible(viewer, activity_queryset())
        .filter(kind=ActivityKind.MEETING)
        .filter(Q(assigned_to=user) | Q(assigned_to__isnull=True, created_by=user))
        .filter(
            Q(due_at__gte=start, due_at__lt=end)
            | Q(due_at__isnull=True, occurred_at__gte=start, occurred_at__lt=end)
        )
    )
    booked = list(
        Meeting.objects.select_related("contact", "activity")
        .filter(user=user, starts_at__gte=start, starts_at__lt=end)
        .filter(deal_or_contact_q(viewer))
        .order_by("starts_at")
    )
    booked_activity_ids = {m.activity_id for m in booked if m.activity_id}
    meetings = [
        DayMeeting(
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            title=m.activity.subject if m.activity else f"Meeting with {m.contact}",
            contact=m.contact,
            deal_id=m.deal_id,
            activity=m.activity,
            booked_online=m.creative_id is not None,
            done=bool(m.activity and m.activity.completed_at),
        )
        for m in booked
    ] + [
        DayMeeting(
            starts_at=a.due_at or a.occurred_at,
            ends_at=None,
            title=a.subject,
            contact=a.contact,
            deal_id=a.deal_id,
            activity=a,
            booked_online=False,
            done=a.due_at is None or a.completed_at is not None,
        )
        for a in meeting_activities
        if a.pk not in booked_activity_ids
    ]
    meetings.sort(key=lambda m: m.starts_at)

    deals = with_hidden_flags(
        deals_visible_to(viewer, deals_queryset()).filter(owner=user, status=DealStatus.OPEN),
        viewer,
        company="company",
    )
    stale = [
        StaleDeal(
            deal=deal,
            days_in_stage=(now - deal.stage_changed_at).days,
            stale_after_days=deal.pipeline.stale_after_days,
        )
        for deal in deals.filter(_stale_filter(now)).order_by("stage_changed_at", "pk")[:50]
    ]
    week_start, week_end = week_bounds(start.date())
    closing = list(
        deals.filter(
            expected_close_date__gte=week_start, expected_close_date__lte=week_end
        ).order_by("expected_close_date", "-amount_base", "pk")[:50]
    )
    listed = [*overdue, *today, *(m.activity for m in meetings if m.activity)]
    return MyDay(
        user=user,
        day=start.date(),
        overdue=overdue,
        today=today,
        meetings=meetings,
        stale_deals=stale,
        closing_deals=closing,
        week_start=week_start,
        week_end=week_end,
        editable_ids={a.pk for a in listed if can_edit_activity(viewer, a)},
    )
