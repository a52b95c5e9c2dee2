"""Reads for the SLA report: hand-offs qualified in a period, per rep and team, a weekly trend
and the breached ones.

The report sees exactly the hand-offs the lead queue shows the user (handoffs_visible_to):
admins and marketers all of them, a sales manager their team's and unassigned ones, a rep only
their own. Rows are grouped by the assignee's current team. Per-hand-off values are loaded as
plain tuples and computed in Python (leads.sla_report): business time cannot be summed in SQL,
and a period holds thousands of hand-offs at most for a team of this size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet

from revline.core import permissions
from revline.core.dates import days_bounds, workspace_tz
from revline.core.models import Role, Team, User

from . import sla_report
from .handoff_selectors import handoffs_visible_to
from .handoff_services import lead_calendar
from .models import Handoff
from .selectors import lead_settings_get
from .sla import BusinessCalendar, business_seconds_between, duration_text

BREACHED_PAGE_SIZE = 25
NO_TEAM = "No team"
UNASSIGNED = "Unassigned"


def report_scope(user: User) -> str:
    """What the report covers for this user: "all", "team" or "own" (as the queue)."""
    if permissions.is_admin(user) or user.role == Role.MARKETER:
        return "all"
    if user.role == Role.SALES_MANAGER and user.team_id is not None:
        return "team"
    return "own"


@dataclass(frozen=True)
class TeamGroup:
    key: str
    label: str
    rows: list[sla_report.SlaRow]
    total: sla_report.SlaRow


@dataclass(frozen=True)
class SlaReport:
    first: date
    last: date
    scope: str
    sla_hours: int
    calendar: BusinessCalendar
    groups: list[TeamGroup]
    total: sla_report.SlaRow
    weeks: list[sla_report.Week]


def _in_period(user: User, first: date, last: date) -> QuerySet[Handoff]:
    start, end = days_bounds(first, last)
    return handoffs_visible_to(user).filter(qualified_at__gte=start, qualified_at__lt=end)


def sla_report_build(*, user: User, first: date, last: date, now: datetime) -> SlaReport:
    """SLA figures of the hand-offs qualified on the days first..last that `user` may see."""
    calendar = lead_calendar()
    values = _in_period(user, first, last).values_list(
        "assigned_to_id",
        "assigned_to__team_id",
        "qualified_at",
        "due_at",
        "first_touch_at",
        "breached_at",
        "escalated_to_id",
        "status",
    )
    by_rep: dict[tuple[int | None, int | None], list[sla_report.SlaFact]] = defaultdict(list)
    everything: list[sla_report.SlaFact] = []
    for rep_id, team_id, qualified, due, touched, breached, escalated, status in values:
        fact = sla_report.SlaFact(
            qualified_at=qualified,
            due_at=due,
            first_touch_at=touched,
            breached_at=breached,
            escalated=escalated is not None,
            is_open=status == "open",
        )
        by_rep[(team_id, rep_id)].append(fact)
        everything.append(fact)

    users: dict[int | None, str] = {
        u.pk: str(u) for u in User.objects.filter(pk__in={r for _, r in by_rep if r})
    }
    teams: dict[int | None, str] = dict(
        Team.objects.filter(pk__in={t for t, _ in by_rep if t}).values_list("pk", "name")
    )

    def row(key: str, label: str, facts: list[sla_report.SlaFact]) -> sla_report.SlaRow:
        return sla_report.sla_row(facts, key=key, label=label, now=now, calendar=calendar)

    groups = []
    # Named teams alphabetically, then reps without a team and unassigned hand-offs.
    for team in sorted({t for t, _ in by_rep}, key=lambda t: (t is None, teams.get(t, ""))):
        reps = sorted(
            (r for t, r in by_rep if t == team), key=lambda r: (r is None, users.get(r, "").lower())
        )
        rows = [
            row(f"rep-{r}" if r else "unassigned", users[r] if r else UNASSIGNED, by_rep[team, r])
            for r in reps
        ]
        label = teams[team] if team else NO_TEAM
        key = f"team-{team}" if team else "team-none"
        team_facts = [f for r in reps for f in by_rep[team, r]]
        groups.append(TeamGroup(key, label, rows, row(key, f"{label} total", team_facts)))

    return SlaReport(
        first=first,
        last=last,
        scope=report_scope(user),
        sla_hours=lead_settings_get().sla_hours,
        calendar=calendar,
        groups=groups,
        total=row("total", "Total", everything),
        weeks=sla_report.weekly(everything, first=first, last=last, tz=workspace_tz(), now=now),
    )


@dataclass(frozen=True)
class BreachedRow:
    handoff: Handoff
    late: str  # business time past the deadline at the first touch, or so far


def breached_handoffs(
    *, user: User, first: date, last: date, now: datetime, page: Any = 1
) -> tuple[Page, list[BreachedRow]]:
    """The flagged hand-offs qualified on the days first..last that `user` may see, latest
    deadline first, one page."""
    calendar = lead_calendar()
    breached = (
        _in_period(user, first, last)
        .filter(breached_at__isnull=False)
        .select_related("escalated_to")
        .order_by(F("due_at").desc(), "-pk")
    )
    current = Paginator(breached, BREACHED_PAGE_SIZE).get_page(page)
    rows = [
        BreachedRow(
            handoff=h,
            late=duration_text(
                max(0.0, business_seconds_between(h.due_at, h.first_touch_at or now, calendar))
            ),
        )
        for h in current
    ]
    return current, rows
