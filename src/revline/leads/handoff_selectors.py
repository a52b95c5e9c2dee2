"""Reads for the hand-off: the queue each person may see, a hand-off's page, the contact panel."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.dateparse import parse_datetime

from revline.core import permissions
from revline.core.models import Role, User
from revline.people.models import Contact, LifecycleStage

from .handoff_services import (
    can_decide_handoff,
    can_reassign_handoff,
    can_recycle_contact,
    lead_calendar,
)
from .models import Handoff, HandoffStatus, LifecycleTransition, RoutingRule
from .sla import BusinessCalendar, SlaState, business_seconds_between, duration_text, sla_state


def handoffs_visible_to(user: User) -> QuerySet[Handoff]:
    """Admins and marketers see every hand-off; a sales manager their team's and unassigned
    ones; a rep their own."""
    handoffs = Handoff.objects.select_related(
        "contact__company", "assigned_to__team", "routing_rule", "campaign", "decided_by", "deal"
    )
    if not user.is_active:
        return handoffs.none()
    if permissions.is_admin(user) or user.role == Role.MARKETER:
        return handoffs
    if user.role == Role.SALES_MANAGER and user.team_id is not None:
        return handoffs.filter(
            Q(assigned_to__team_id=user.team_id) | Q(assigned_to__isnull=True) | Q(assigned_to=user)
        )
    return handoffs.filter(assigned_to=user)


def queue_counts(handoffs: QuerySet[Handoff]) -> dict[str, int]:
    rows = handoffs.order_by().values("status").annotate(n=Count("pk"))
    counts = {status: 0 for status in HandoffStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    counts["breached"] = handoffs.filter(
        status=HandoffStatus.OPEN, breached_at__isnull=False
    ).count()
    return counts


def queue_reps(user: User) -> QuerySet[User]:
    """Whom the rep filter offers: the manager's team, or everyone in sales for admins and
    marketers; nobody for a rep (they see only their own)."""
    sales = User.objects.filter(role__in=[Role.SALES_REP, Role.SALES_MANAGER])
    if permissions.is_admin(user) or user.role == Role.MARKETER:
        return sales
    if user.role == Role.SALES_MANAGER and user.team_id is not None:
        return sales.filter(team_id=user.team_id)
    return sales.none()


@dataclass(frozen=True)
class QueueRow:
    handoff: Handoff
    sla: SlaState | None
    response: str


def response_text(handoff: Handoff, calendar: BusinessCalendar) -> str:
    """How long the first touch took, in business time ("Touched after 1 h 5 min")."""
    if handoff.first_touch_at is None:
        return ""
    took = business_seconds_between(handoff.qualified_at, handoff.first_touch_at, calendar)
    return f"{duration_text(took)} to first touch"


def queue_rows(handoffs: Iterable[Handoff], *, now: datetime) -> list[QueueRow]:
    calendar = lead_calendar()
    return [
        QueueRow(
            handoff=handoff,
            sla=handoff_sla(handoff, now=now, calendar=calendar),
            response=response_text(handoff, calendar),
        )
        for handoff in handoffs
    ]


def handoff_sla(handoff: Handoff, *, now: datetime, calendar: BusinessCalendar) -> SlaState | None:
    """The running clock: only for open hand-offs nobody has touched yet."""
    if handoff.status != HandoffStatus.OPEN or handoff.first_touch_at is not None:
        return None
    return sla_state(handoff.due_at, now, calendar)


# Score reasons may start with their points ("+15 visited /pricing"); the page shows them apart.
POINTS_PREFIX = re.compile(r"^[+\-−]?\d+\s+")


def _when(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def handoff_explanation(handoff: Handoff) -> dict[str, Any]:
    """The stored snapshot with its times parsed back, for templates."""
    explanation = handoff.explanation if isinstance(handoff.explanation, dict) else {}
    lines = [
        {
            **line,
            "at": _when(line.get("at")),
            "text": POINTS_PREFIX.sub("", str(line.get("reason"))),
        }
        for line in explanation.get("score_lines", [])
        if isinstance(line, dict)
    ]
    touches = [
        {**touch, "at": _when(touch.get("at"))}
        for touch in explanation.get("touches", [])
        if isinstance(touch, dict)
    ]
    return {
        "fit_score": explanation.get("fit_score"),
        "engagement_score": explanation.get("engagement_score"),
        "score_lines": lines,
        "touches": touches,
    }


def handoff_page(*, handoff: Handoff, user: User, now: datetime) -> dict[str, Any]:
    calendar = lead_calendar()
    return {
        "sla": handoff_sla(handoff, now=now, calendar=calendar),
        "response": response_text(handoff, calendar),
        "explanation": handoff_explanation(handoff),
        "can_decide": handoff.status == HandoffStatus.OPEN and can_decide_handoff(user, handoff),
        "can_reassign": handoff.status == HandoffStatus.OPEN
        and can_reassign_handoff(user, handoff),
        "can_create_deals": permissions.can_create_deals(user),
        "history": list(
            LifecycleTransition.objects.filter(contact_id=handoff.contact_id).select_related(
                "actor"
            )[:20]
        ),
        "earlier": list(
            Handoff.objects.filter(contact_id=handoff.contact_id)
            .exclude(pk=handoff.pk)
            .select_related("assigned_to")[:10]
        ),
    }


def reassign_candidates(*, user: User, handoff: Handoff) -> QuerySet[User]:
    """Active sales people the user may hand this to: their own team, everyone for admins."""
    people = User.objects.filter(
        is_active=True, role__in=[Role.SALES_REP, Role.SALES_MANAGER]
    ).select_related("team")
    if handoff.assigned_to_id is not None:
        people = people.exclude(pk=handoff.assigned_to_id)
    if permissions.is_admin(user):
        return people
    return people.filter(team_id=user.team_id) if user.team_id else people.none()


def contact_handoff_panel(*, contact: Contact, user: User, now: datetime) -> dict[str, Any]:
    """The contact page's hand-off card: the latest hand-off, its clock, and (when the contact
    was sent back) the reason."""
    latest = (
        Handoff.objects.filter(contact=contact)
        .select_related("assigned_to", "decided_by", "deal", "routing_rule")
        .first()
    )
    side_move = None
    if contact.lifecycle_stage in (LifecycleStage.RECYCLED, LifecycleStage.DISQUALIFIED):
        side_move = (
            LifecycleTransition.objects.filter(contact=contact, to_stage=contact.lifecycle_stage)
            .select_related("actor")
            .first()
        )
    calendar = lead_calendar()
    final = contact.lifecycle_stage in (LifecycleStage.CUSTOMER, LifecycleStage.EVANGELIST)
    may_move = can_recycle_contact(user, contact) and not final
    return {
        "handoff": latest,
        "sla": handoff_sla(latest, now=now, calendar=calendar) if latest else None,
        "response": response_text(latest, calendar) if latest else "",
        "visible": latest is not None and handoffs_visible_to(user).filter(pk=latest.pk).exists(),
        "side_move": side_move,
        "count": Handoff.objects.filter(contact=contact).count(),
        "can_recycle": may_move and contact.lifecycle_stage != LifecycleStage.RECYCLED,
        "can_disqualify": may_move and contact.lifecycle_stage != LifecycleStage.DISQUALIFIED,
    }


def routing_rules() -> QuerySet[RoutingRule]:
    return RoutingRule.objects.select_related("user", "team", "last_assigned").order_by(
        "position", "pk"
    )
