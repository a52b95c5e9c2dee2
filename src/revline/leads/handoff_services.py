"""The hand-off from marketing to sales: open it (route, SLA clock, notify), touch it, decide it
(accept → SAL and maybe a deal; reject → recycled), reassign it, escalate breaches, recycle or
disqualify contacts; and the routing rules and lead settings that drive it.

Who may do what (checked here and in the views):
- admins and marketers configure routing and the lead settings; sales managers may look at them;
- the assignee, a sales manager of the assignee's team, and admins decide a hand-off; managers
  also pick up unassigned ones and reassign within their team;
- admins, marketers, sales managers and the contact's owner recycle or disqualify a contact.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone

from revline.audit.models import AuditAction
from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import Role, Team, User
from revline.core.notifications import notification_send
from revline.people import events
from revline.people.models import Contact, LifecycleStage
from revline.tracking.models import Touchpoint

from . import routing
from .models import (
    Handoff,
    HandoffStatus,
    LeadSettings,
    LifecycleTransition,
    RejectReason,
    RoutingMethod,
    RoutingRule,
    ScoreChange,
    TransitionCause,
)
from .selectors import lead_settings_get
from .services import lifecycle_advance, lifecycle_rank
from .sla import BusinessCalendar, business_add, parse_days

logger = logging.getLogger(__name__)

EXPLANATION_LINES = 10
EXPLANATION_TOUCHES = 10
NOTE_MAX = 500
NOT_PERMITTED = "Only the assigned rep, their sales manager or an admin can decide this hand-off."
# Recycling or disqualifying a customer would rewrite history; those stages are final.
FINAL_STAGES = {LifecycleStage.CUSTOMER, LifecycleStage.EVANGELIST}


# ---- permissions -------------------------------------------------------------------------------


def can_configure_leads(user: User) -> bool:
    return permissions.can_manage_marketing(user)


def can_view_lead_settings(user: User) -> bool:
    return can_configure_leads(user) or (user.is_active and user.role == Role.SALES_MANAGER)


def _manages(user: User, assignee: User | None) -> bool:
    """A sales manager manages their team's members, and unassigned hand-offs (nobody else would
    pick those up)."""
    if not user.is_active or user.role != Role.SALES_MANAGER or user.team_id is None:
        return False
    return assignee is None or assignee.team_id == user.team_id


def can_view_handoff(user: User, handoff: Handoff) -> bool:
    if not user.is_active:
        return False
    if permissions.is_admin(user) or user.role == Role.MARKETER:
        return True
    return handoff.assigned_to_id == user.pk or _manages(user, handoff.assigned_to)


def can_decide_handoff(user: User, handoff: Handoff) -> bool:
    if not user.is_active:
        return False
    if permissions.is_admin(user):
        return True
    return handoff.assigned_to_id == user.pk or _manages(user, handoff.assigned_to)


def can_reassign_handoff(user: User, handoff: Handoff) -> bool:
    return permissions.is_admin(user) or _manages(user, handoff.assigned_to)


def can_reassign_to(user: User, assignee: User) -> bool:
    if not assignee.is_active or assignee.role not in permissions.SALES_ROLES:
        return False
    return permissions.is_admin(user) or (
        user.team_id is not None and assignee.team_id == user.team_id
    )


def can_recycle_contact(user: User, contact: Contact) -> bool:
    if not user.is_active:
        return False
    if permissions.is_admin(user) or user.role in (Role.MARKETER, Role.SALES_MANAGER):
        return True
    return contact.owner_id == user.pk


# ---- calendar ----------------------------------------------------------------------------------


def lead_calendar(lead_settings: LeadSettings | None = None) -> BusinessCalendar:
    """The business calendar of the SLA clock; a broken setting falls back to Mon-Fri 9-17 UTC
    rather than stopping hand-offs (the settings form refuses broken values)."""
    lead_settings = lead_settings or lead_settings_get()
    try:
        return BusinessCalendar(
            days=parse_days(lead_settings.business_days),
            start=lead_settings.business_day_start,
            end=lead_settings.business_day_end,
            timezone=ZoneInfo(lead_settings.business_timezone),
        )
    except (ValueError, ZoneInfoNotFoundError):
        logger.error("Lead settings hold an invalid business calendar; using Mon-Fri 9-17 UTC")
        return BusinessCalendar(frozenset(range(5)), time(9), time(17), ZoneInfo("UTC"))


# ---- opening a hand-off ------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteResult:
    user: User | None
    rule: RoutingRule | None
    fallback: bool
    note: str


def _lead_facts(contact: Contact) -> routing.LeadFacts:
    company = contact.company
    return routing.LeadFacts(
        country=contact.country or "",
        company_country=company.country if company else "",
        industry=company.industry if company else "",
        company_owner_id=company.owner_id if company else None,
    )


def _round_robin(rule: RoutingRule) -> User | None:
    """The next active rep of the rule's team; the rule row is locked so two MQLs arriving at
    once never go to the same rep by accident (PostgreSQL; SQLite serialises writes anyway)."""
    locked = RoutingRule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
    members = list(
        User.objects.filter(team=rule.team_id, role=Role.SALES_REP).values_list("pk", "is_active")
    )
    pick = routing.round_robin_pick(
        [pk for pk, _ in members], locked.last_assigned_id, {pk for pk, active in members if active}
    )
    if pick is None:
        return None
    locked.last_assigned_id = pick
    locked.save(update_fields=["last_assigned"])
    rule.last_assigned_id = pick
    return User.objects.get(pk=pick)


def handoff_route(*, contact: Contact, lead_settings: LeadSettings) -> RouteResult:
    """Try the active rules in order; the first that matches and yields an active user wins.
    No match: the fallback owner (when active), flagged; otherwise nobody, flagged."""
    facts = _lead_facts(contact)
    for rule in RoutingRule.objects.filter(is_active=True).select_related("user"):
        if not routing.rule_matches(
            rule.method, countries=rule.countries, industries=rule.industries, lead=facts
        ):
            continue
        is_owner_rule = rule.method == RoutingMethod.COMPANY_OWNER
        wanted = facts.company_owner_id if is_owner_rule else rule.user_id
        active = (
            set(User.objects.filter(pk=wanted, is_active=True).values_list("pk", flat=True))
            if wanted is not None
            else set()
        )
        picked = routing.direct_pick(rule.method, rule_user=rule.user_id, lead=facts, active=active)
        if picked is not None:
            return RouteResult(User.objects.get(pk=picked), rule, False, f"Rule “{rule.name}”")
        if rule.method != RoutingMethod.COMPANY_OWNER and rule.team_id is not None:
            user = _round_robin(rule)
            if user is not None:
                return RouteResult(user, rule, False, f"Rule “{rule.name}”, round-robin")
    fallback = lead_settings.fallback_owner
    if fallback is not None and fallback.is_active:
        return RouteResult(
            fallback, None, True, "No routing rule matched: sent to the fallback owner."
        )
    return RouteResult(
        None, None, True, "No routing rule matched and no active fallback owner is set."
    )


def _touch_line(touch: Touchpoint) -> dict[str, object]:
    return {
        "kind": touch.kind,
        "label": touch.get_kind_display(),
        "url": touch.url[:300],
        "campaign": touch.campaign.name if touch.campaign else "",
        "at": touch.occurred_at.isoformat(),
    }


def _explanation(contact: Contact, now: datetime) -> dict[str, object]:
    changes = ScoreChange.objects.filter(contact=contact, occurred_at__lte=now)[:EXPLANATION_LINES]
    touches = (
        Touchpoint.objects.filter(contact=contact, occurred_at__lte=now)
        .select_related("campaign")
        .order_by("-occurred_at", "-pk")[:EXPLANATION_TOUCHES]
    )
    return {
        "fit_score": contact.fit_score,
        "engagement_score": contact.engagement_score,
        "score_lines": [
            {
                "kind": change.kind,
                "points": change.points,
                "reason": change.reason,
                "at": change.occurred_at.isoformat(),
            }
            for change in changes
        ],
        "touches": [_touch_line(touch) for touch in touches],
    }


def _source(contact: Contact, now: datetime) -> tuple[Touchpoint | None, Touchpoint | None]:
    """The latest touch with a campaign, and the latest with a content item, before `now`."""
    touches = Touchpoint.objects.filter(contact=contact, occurred_at__lte=now).order_by(
        "-occurred_at", "-pk"
    )
    with_campaign = touches.filter(campaign__isnull=False).select_related("campaign").first()
    with_content = touches.filter(content_item__isnull=False).first()
    return with_campaign, with_content


def _handoff_path(handoff: Handoff) -> str:
    return reverse("leads:handoff", args=[handoff.pk])


def _notify_assignee(handoff: Handoff, *, email: bool, now: datetime, actor: User | None) -> None:
    assert handoff.assigned_to is not None
    notification_send(
        user=handoff.assigned_to,
        kind="mql_routed",
        text=f"New MQL for you: {handoff.contact} ({handoff.qualification_reason})",
        url=_handoff_path(handoff),
        actor=actor,
        email=email,
        now=now,
    )


@transaction.atomic
def handoff_open(
    *,
    contact: Contact,
    cause: str,
    reason: str,
    now: datetime,
    actor: User | None = None,
    assignee: User | None = None,
) -> Handoff | None:
    """Make the contact an MQL and hand it to sales: lifecycle transition, a hand-off with the
    explanation snapshot and source, routing (or `assignee`, when active), the SLA deadline and
    a notification. Returns None, changing nothing, when the contact is already at or past MQL
    (unless recycled), is disqualified (except for a person's decision), or has an open
    hand-off."""
    # Lock the row, and refresh the caller's own object: callers go on using it (a form
    # submission then moves it to "lead", which must see the MQL and do nothing).
    Contact.objects.select_for_update(of=("self",)).filter(pk=contact.pk).values("pk").first()
    contact.refresh_from_db(
        fields=["lifecycle_stage", "lifecycle_changed_at", "owner", "company", "country"]
    )
    stage = contact.lifecycle_stage
    if stage == LifecycleStage.DISQUALIFIED and cause != TransitionCause.PERSON:
        return None
    if stage not in (LifecycleStage.RECYCLED, LifecycleStage.DISQUALIFIED) and lifecycle_rank(
        stage
    ) >= lifecycle_rank(LifecycleStage.MQL):
        return None
    if Handoff.objects.filter(contact=contact, status=HandoffStatus.OPEN).exists():
        return None
    lead_settings = lead_settings_get()
    lifecycle_advance(
        contact=contact,
        to_stage=LifecycleStage.MQL,
        cause=cause,
        actor=actor,
        reason=reason[:300],
        occurred_at=now,
    )
    with_campaign, with_content = _source(contact, now)
    campaign = with_campaign.campaign if with_campaign else None
    if assignee is not None and assignee.is_active:
        route = RouteResult(assignee, None, False, f"Assigned to {assignee}: {reason}"[:300])
    else:
        route = handoff_route(contact=contact, lead_settings=lead_settings)
    handoff = Handoff.objects.create(
        contact=contact,
        status=HandoffStatus.OPEN,
        qualified_at=now,
        qualified_by=cause,
        qualification_reason=reason[:300],
        explanation=_explanation(contact, now),
        campaign=campaign,
        channel=(with_campaign.channel or (campaign.channel if campaign else ""))
        if with_campaign
        else "",
        content_item=with_content.content_item if with_content else None,
        assigned_to=route.user,
        routing_rule=route.rule,
        routed_to_fallback=route.fallback,
        routing_note=route.note[:300],
        due_at=business_add(now, lead_settings.sla_hours, lead_calendar(lead_settings)),
    )
    if route.user is not None:
        if contact.owner_id != route.user.pk:
            contact.owner = route.user
            contact.save(update_fields=["owner", "updated_at"])
        _notify_assignee(handoff, email=lead_settings.notify_by_email, now=now, actor=actor)
    else:
        for admin in User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True):
            notification_send(
                user=admin,
                kind="mql_unrouted",
                text=f"Nobody could be assigned the new MQL {contact}: {route.note}",
                url=_handoff_path(handoff),
                now=now,
            )
    return handoff


# ---- first touch, decisions --------------------------------------------------------------------


def _late(handoff: Handoff, at: datetime) -> None:
    """A first response after the deadline is a breach too, even if the job has not run yet."""
    if handoff.breached_at is None and at > handoff.due_at:
        handoff.breached_at = handoff.due_at


def handoffs_touch(*, contact: Contact, actor: User | None, at: datetime | None = None) -> int:
    """The assignee did something with the contact (logged an activity): the SLA clock of their
    open, untouched hand-offs of that contact stops. Returns how many were touched."""
    if actor is None:
        return 0
    at = at or timezone.now()
    touched = 0
    for handoff in Handoff.objects.filter(
        contact=contact,
        assigned_to=actor,
        status=HandoffStatus.OPEN,
        first_touch_at__isnull=True,
        qualified_at__lte=at,
    ):
        handoff.first_touch_at = at
        _late(handoff, at)
        handoff.save(update_fields=["first_touch_at", "breached_at"])
        touched += 1
    return touched


def _lock(handoff: Handoff) -> Handoff:
    return (
        Handoff.objects.select_for_update(of=("self",))
        .select_related("contact__company", "assigned_to", "decided_by")
        .get(pk=handoff.pk)
    )


def _require_open(handoff: Handoff) -> None:
    if handoff.status != HandoffStatus.OPEN:
        who = f" by {handoff.decided_by}" if handoff.decided_by else ""
        when = (
            f" on {timezone.localtime(handoff.decided_at):%d %b %Y}" if handoff.decided_at else ""
        )
        raise ValidationError(
            f"This hand-off was already {handoff.get_status_display().lower()}{who}{when}."
        )


def _decide(handoff: Handoff, *, actor: User, status: str, now: datetime) -> None:
    handoff.status = status
    handoff.decided_at = now
    handoff.decided_by = actor
    if handoff.first_touch_at is None:
        handoff.first_touch_at = now
        _late(handoff, now)


@transaction.atomic
def handoff_accept(
    *,
    actor: User,
    handoff: Handoff,
    create_deal: bool = False,
    deal_name: str = "",
    amount: Decimal = Decimal("0"),
    now: datetime | None = None,
) -> Handoff:
    """Sales accepts the lead: the contact becomes an SAL; with `create_deal`, a deal opens in the
    default pipeline's first stage (the contact becomes an opportunity) and is linked."""
    handoff = _lock(handoff)
    permissions.require(can_decide_handoff(actor, handoff), NOT_PERMITTED)
    _require_open(handoff)
    now = now or timezone.now()
    contact = handoff.contact
    if create_deal:
        permissions.require(
            permissions.can_create_deals(actor), "Only sales and admins open deals."
        )
        if amount < 0:
            raise ValidationError({"amount": "The amount cannot be negative."})
    _decide(handoff, actor=actor, status=HandoffStatus.ACCEPTED, now=now)
    lifecycle_advance(
        contact=contact,
        to_stage=LifecycleStage.SAL,
        cause=TransitionCause.PERSON,
        actor=actor,
        reason=f"Accepted by {actor}",
        occurred_at=now,
    )
    if create_deal:
        # Imported here: the sales app imports the leads app's lifecycle services.
        from revline.sales.services import deal_create

        owner = handoff.assigned_to or actor
        who = contact.company.name if contact.company else str(contact)
        handoff.deal = deal_create(
            actor=actor,
            name=(deal_name.strip() or f"{who}: new business")[:200],
            amount=amount,
            currency=django_settings.CURRENCY,
            contact=contact,
            company=contact.company,
            owner=owner,
            created_at=now,
        )
    handoff.save()
    return handoff


def _reject_reason(reason: str, note: str) -> tuple[str, str]:
    if reason not in RejectReason.values:
        raise ValidationError({"reason": "Pick a reason from the list."})
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"Keep the note under {NOTE_MAX} characters."})
    if reason == RejectReason.OTHER and not note:
        raise ValidationError({"note": "Say in a few words why, when the reason is “Other”."})
    return reason, note


def _reason_text(reason: str, note: str) -> str:
    label = str(RejectReason(reason).label)
    return f"{label}: {note}"[:300] if note else label


def _set_stage(*, contact: Contact, to_stage: str, actor: User, reason: str, now: datetime) -> None:
    """The explicit side moves (recycled, disqualified), which lifecycle_advance refuses."""
    from_stage = contact.lifecycle_stage
    contact.lifecycle_stage = to_stage
    contact.lifecycle_changed_at = now
    contact.save(update_fields=["lifecycle_stage", "lifecycle_changed_at", "updated_at"])
    LifecycleTransition.objects.create(
        contact=contact,
        from_stage=from_stage,
        to_stage=to_stage,
        occurred_at=now,
        cause=TransitionCause.PERSON,
        actor=actor,
        reason=reason,
    )
    events.lifecycle_changed(
        contact=contact,
        from_stage=from_stage,
        to_stage=to_stage,
        source=TransitionCause.PERSON,
        actor=actor,
        reason=reason,
        occurred_at=now,
    )


def _close_open_handoffs(
    *, contact: Contact, actor: User, reason: str, note: str, now: datetime
) -> None:
    for handoff in Handoff.objects.select_for_update(of=("self",)).filter(
        contact=contact, status=HandoffStatus.OPEN
    ):
        _decide(handoff, actor=actor, status=HandoffStatus.REJECTED, now=now)
        handoff.reject_reason, handoff.reject_note = reason, note
        handoff.save()


@transaction.atomic
def handoff_reject(
    *, actor: User, handoff: Handoff, reason: str, note: str = "", now: datetime | None = None
) -> Handoff:
    """Sales rejects the lead with a reason: the contact goes back to marketing (recycled), and
    the reason stays on the hand-off and in the contact's lifecycle history."""
    handoff = _lock(handoff)
    permissions.require(can_decide_handoff(actor, handoff), NOT_PERMITTED)
    _require_open(handoff)
    reason, note = _reject_reason(reason, note)
    now = now or timezone.now()
    _decide(handoff, actor=actor, status=HandoffStatus.REJECTED, now=now)
    handoff.reject_reason, handoff.reject_note = reason, note
    handoff.save()
    contact = handoff.contact
    if contact.lifecycle_stage not in FINAL_STAGES | {LifecycleStage.RECYCLED}:
        _set_stage(
            contact=contact,
            to_stage=LifecycleStage.RECYCLED,
            actor=actor,
            reason=f"Rejected by sales: {_reason_text(reason, note)}"[:300],
            now=now,
        )
    return handoff


def _side_move(
    *, actor: User, contact: Contact, to_stage: str, reason: str, note: str, now: datetime | None
) -> LifecycleTransition:
    contact = Contact.objects.select_for_update(of=("self",)).get(pk=contact.pk)
    permissions.require(
        can_recycle_contact(actor, contact),
        "Only marketers, sales managers, admins and the contact's owner can do that.",
    )
    reason, note = _reject_reason(reason, note)
    if contact.lifecycle_stage in FINAL_STAGES:
        raise ValidationError("A customer cannot be recycled or disqualified.")
    if contact.lifecycle_stage == to_stage:
        raise ValidationError(f"This contact is already {LifecycleStage(to_stage).label.lower()}.")
    now = now or timezone.now()
    _close_open_handoffs(contact=contact, actor=actor, reason=reason, note=note, now=now)
    _set_stage(
        contact=contact, to_stage=to_stage, actor=actor, reason=_reason_text(reason, note), now=now
    )
    return LifecycleTransition.objects.filter(contact=contact).first()  # type: ignore[return-value]


@transaction.atomic
def contact_recycle(
    *, actor: User, contact: Contact, reason: str, note: str = "", now: datetime | None = None
) -> LifecycleTransition:
    """Send the contact back to marketing for nurturing (lifecycle: recycled), with a reason;
    an open hand-off of the contact is closed as rejected. It can qualify again later."""
    return _side_move(
        actor=actor,
        contact=contact,
        to_stage=LifecycleStage.RECYCLED,
        reason=reason,
        note=note,
        now=now,
    )


@transaction.atomic
def contact_disqualify(
    *, actor: User, contact: Contact, reason: str, note: str = "", now: datetime | None = None
) -> LifecycleTransition:
    """Take the contact out of the funnel (lifecycle: disqualified), with a reason; scores and
    forms no longer make it an MQL, only a person can."""
    return _side_move(
        actor=actor,
        contact=contact,
        to_stage=LifecycleStage.DISQUALIFIED,
        reason=reason,
        note=note,
        now=now,
    )


@transaction.atomic
def handoff_reassign(
    *, actor: User, handoff: Handoff, assignee: User, now: datetime | None = None
) -> Handoff:
    """Give an open hand-off to another active rep of the manager's team (any, for admins).
    The SLA deadline stays: the lead has been waiting all along."""
    handoff = _lock(handoff)
    permissions.require(
        can_reassign_handoff(actor, handoff),
        "Only the rep's sales manager or an admin can reassign this hand-off.",
    )
    _require_open(handoff)
    if not can_reassign_to(actor, assignee):
        raise ValidationError({"assignee": "Pick an active sales rep of your team."})
    if assignee.pk == handoff.assigned_to_id:
        raise ValidationError({"assignee": f"{assignee} already has this hand-off."})
    now = now or timezone.now()
    handoff.assigned_to = assignee
    handoff.routing_note = f"Reassigned to {assignee} by {actor}"[:300]
    handoff.save(update_fields=["assigned_to", "routing_note"])
    contact = handoff.contact
    contact.owner = assignee
    contact.save(update_fields=["owner", "updated_at"])
    _notify_assignee(handoff, email=lead_settings_get().notify_by_email, now=now, actor=actor)
    return handoff


# ---- SLA breaches (periodic job) ---------------------------------------------------------------


def _escalation_targets(assignee: User | None) -> list[User]:
    if assignee is not None and assignee.team_id is not None:
        managers = list(
            User.objects.filter(
                team_id=assignee.team_id, role=Role.SALES_MANAGER, is_active=True
            ).exclude(pk=assignee.pk)
        )
        if managers:
            return managers
    return list(User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True))


def handoffs_check_breaches(now: datetime | None = None, *, email: bool = True) -> int:
    """Flag open hand-offs nobody touched by their deadline and escalate each to the assignee's
    sales manager(s) (admins when the team has none), in the app and by email (`email=False`:
    the demo). Idempotent: a breach is flagged and escalated once. Returns how many were
    flagged. Runs every minute."""
    now = now or timezone.now()
    flagged = 0
    overdue = Handoff.objects.filter(
        status=HandoffStatus.OPEN,
        first_touch_at__isnull=True,
        breached_at__isnull=True,
        due_at__lte=now,
    ).values_list("pk", flat=True)
    for pk in list(overdue[:500]):
        with transaction.atomic():
            # The conditional update is the once-only guard, also against a parallel run.
            if not Handoff.objects.filter(pk=pk, breached_at__isnull=True).update(
                breached_at=F("due_at")
            ):
                continue
            handoff = Handoff.objects.select_related("contact", "assigned_to").get(pk=pk)
            targets = _escalation_targets(handoff.assigned_to)
            rep = handoff.assigned_to or "nobody"
            for target in targets:
                notification_send(
                    user=target,
                    kind="sla_breach",
                    text=f"SLA missed: {rep} has not touched the MQL {handoff.contact} in time",
                    url=_handoff_path(handoff),
                    email=email,
                    now=now,
                )
            if targets:
                Handoff.objects.filter(pk=pk).update(escalated_to=targets[0])
            flagged += 1
    return flagged


# ---- settings ----------------------------------------------------------------------------------


LEAD_SETTINGS_FIELDS = (
    "mql_fit_min",
    "mql_engagement_min",
    "mql_on_meeting_booked",
    "sla_hours",
    "business_day_start",
    "business_day_end",
    "business_days",
    "business_timezone",
    "fallback_owner",
    "notify_by_email",
)


def _clean_settings(values: dict[str, object]) -> dict[str, object]:
    errors: dict[str, str] = {}
    try:
        days = parse_days(str(values["business_days"]))
        values["business_days"] = ",".join(str(d) for d in sorted(days))
    except ValueError as exc:
        errors["business_days"] = str(exc)
    try:
        ZoneInfo(str(values["business_timezone"]))
    except (ValueError, ZoneInfoNotFoundError):
        errors["business_timezone"] = "Unknown timezone; use a name like Europe/Berlin."
    start, end = values["business_day_start"], values["business_day_end"]
    if not isinstance(start, time) or not isinstance(end, time) or start >= end:
        errors["business_day_end"] = "The business day must end after it starts."
    sla_hours = values["sla_hours"]
    if not isinstance(sla_hours, int) or not 1 <= sla_hours <= 24 * 30:
        errors["sla_hours"] = "Give between 1 and 720 business hours."
    for key in ("mql_fit_min", "mql_engagement_min"):
        value = values[key]
        if value is not None and (not isinstance(value, int) or abs(value) > 1_000_000):
            errors[key] = "Give a whole number, or leave it empty."
    fallback = values["fallback_owner"]
    if fallback is not None and (not isinstance(fallback, User) or not fallback.is_active):
        errors["fallback_owner"] = "The fallback owner must be an active user."
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def lead_settings_update(
    *, actor: User, hand_raiser_forms: list | None = None, **values: object
) -> LeadSettings:
    """Change the qualification and hand-off settings (only these fields: scoring and prediction
    settings belong to their own pages). All or nothing."""
    permissions.require(
        can_configure_leads(actor), "Only admins and marketers change the lead settings."
    )
    unknown = set(values) - set(LEAD_SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Unknown lead settings: {sorted(unknown)}")
    lead_settings = lead_settings_get()
    current = {key: getattr(lead_settings, key) for key in LEAD_SETTINGS_FIELDS}
    merged = _clean_settings({**current, **values})
    before = snapshot(lead_settings, fields=values)
    for key in values:
        setattr(lead_settings, key, merged[key])
    lead_settings.save(update_fields=[*values, "updated_at"])
    extra: dict[str, list[object]] = {}
    if hand_raiser_forms is not None:
        old_ids = sorted(lead_settings.hand_raiser_forms.values_list("pk", flat=True))
        lead_settings.hand_raiser_forms.set(hand_raiser_forms)
        new_ids = sorted(form.pk for form in hand_raiser_forms)
        if old_ids != new_ids:
            extra["hand_raiser_forms"] = [old_ids, new_ids]
    audit_update(
        actor=actor,
        obj=lead_settings,
        before=before,
        action=AuditAction.SETTING_CHANGE,
        extra=extra,
    )
    return lead_settings


def _clean_rule(
    *,
    name: str,
    method: str,
    countries: str,
    industries: str,
    user: User | None,
    team: Team | None,
) -> dict[str, object]:
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = "Give the rule a name."
    if method not in RoutingMethod.values:
        errors["method"] = "Pick a routing method."
    codes = routing.split_codes(countries)
    bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
    if bad:
        errors["countries"] = f"Use 2-letter country codes (ISO 3166), e.g. DE, AT; not {bad[0]}."
    elif method == RoutingMethod.TERRITORY and not codes:
        errors["countries"] = "A territory rule needs at least one country code."
    names = [part.strip() for part in industries.split(",") if part.strip()]
    if method == RoutingMethod.INDUSTRY and not names:
        errors["industries"] = "An industry rule needs at least one industry."
    if user is not None and not user.is_active:
        errors["user"] = f"{user} is inactive; routing never assigns to inactive users."
    if method == RoutingMethod.ROUND_ROBIN and team is None:
        errors["team"] = "A round-robin rule needs a team."
    elif method in (RoutingMethod.TERRITORY, RoutingMethod.INDUSTRY) and not (user or team):
        errors["user"] = "Assign the rule to a rep, or to a team to round-robin in."
    if errors:
        raise ValidationError(errors)
    keep_targets = method != RoutingMethod.COMPANY_OWNER
    return {
        "name": name[:200],
        "method": method,
        "countries": ", ".join(codes) if method == RoutingMethod.TERRITORY else "",
        "industries": ", ".join(names)[:500] if method == RoutingMethod.INDUSTRY else "",
        "user": user if keep_targets and method != RoutingMethod.ROUND_ROBIN else None,
        "team": team if keep_targets else None,
    }


def _require_configure(actor: User) -> None:
    permissions.require(
        can_configure_leads(actor), "Only admins and marketers change the routing rules."
    )


@transaction.atomic
def routing_rule_create(
    *,
    actor: User,
    name: str,
    method: str,
    countries: str = "",
    industries: str = "",
    user: User | None = None,
    team: Team | None = None,
    is_active: bool = True,
) -> RoutingRule:
    """Add a rule at the end of the order."""
    _require_configure(actor)
    values = _clean_rule(
        name=name, method=method, countries=countries, industries=industries, user=user, team=team
    )
    last = RoutingRule.objects.aggregate(last=Max("position"))["last"]
    rule = RoutingRule.objects.create(
        **values, is_active=is_active, position=0 if last is None else last + 1
    )
    audit_create(actor=actor, obj=rule)
    return rule


@transaction.atomic
def routing_rule_update(
    *,
    actor: User,
    rule: RoutingRule,
    name: str,
    method: str,
    countries: str = "",
    industries: str = "",
    user: User | None = None,
    team: Team | None = None,
    is_active: bool = True,
) -> RoutingRule:
    _require_configure(actor)
    values = _clean_rule(
        name=name, method=method, countries=countries, industries=industries, user=user, team=team
    )
    before = snapshot(rule)
    if values["team"] != rule.team:
        rule.last_assigned = None
    for key, value in values.items():
        setattr(rule, key, value)
    rule.is_active = is_active
    rule.save()
    audit_update(actor=actor, obj=rule, before=before)
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    _require_configure(actor)
    audit_delete(actor=actor, obj=rule)
    rule.delete()


@transaction.atomic
def routing_rule_move(*, actor: User, rule: RoutingRule, up: bool) -> None:
    """Swap the rule with its neighbour (up: tried earlier); positions are renumbered 0..n."""
    _require_configure(actor)
    rules = list(RoutingRule.objects.select_for_update(of=("self",)).order_by("position", "pk"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
    for position, item in enumerate(rules):
        if item.position != position:
            before = snapshot(item, fields=["position"])
            item.position = position
            item.save(update_fields=["position"])
            audit_update(actor=actor, obj=item, before=before)
