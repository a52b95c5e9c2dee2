"""Demo hand-offs: lead settings, routing rules, and ~90 days of MQLs handed to sales.

Run after the scoring demo (contacts have fit and engagement scores). Every hand-off goes through
the real services with `now` passed explicitly, so the lifecycle history, SLA clocks, decisions,
deals and notifications line up in time: most MQLs were accepted (some with a deal), some
rejected with a reason and recycled, a few are still open with time left and a few breached
their SLA and were escalated. Nothing is emailed.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from revline.core.models import Role, Team, User
from revline.leads.handoff_services import (
    handoff_accept,
    handoff_reject,
    handoffs_check_breaches,
    lead_calendar,
)
from revline.leads.models import Handoff, RejectReason, RoutingMethod, RoutingRule, TransitionCause
from revline.leads.qualification_services import contact_qualify, score_rule_reason
from revline.leads.selectors import lead_settings_get
from revline.leads.sla import business_add
from revline.people.models import Contact, LifecycleStage

from .catalog import TEAM_ENTERPRISE, TEAM_MIDMARKET

WINDOW_DAYS = 90
MAX_HANDOFFS = 160
OPEN_COUNT = 4
BREACHED_COUNT = 3
REJECT_SHARE = 0.28
# Decided after the SLA deadline (flagged and escalated first); the rest in time.
LATE_SHARE = 0.12
DEAL_SHARE = 0.45
REJECT_WEIGHTS = (
    (RejectReason.NOT_A_FIT, 30),
    (RejectReason.NO_BUDGET, 22),
    (RejectReason.NOT_NOW, 18),
    (RejectReason.WRONG_CONTACT, 12),
    (RejectReason.NO_RESPONSE, 12),
    (RejectReason.DUPLICATE, 6),
)
REJECT_NOTES = {
    RejectReason.NOT_A_FIT: "Too small for our product today.",
    RejectReason.NO_BUDGET: "Budget frozen until next fiscal year.",
    RejectReason.NOT_NOW: "Re-evaluating tools in two quarters.",
    RejectReason.WRONG_CONTACT: "Not the decision maker; asked for an intro to the CFO.",
    RejectReason.NO_RESPONSE: "Three calls and two emails, no answer.",
    RejectReason.DUPLICATE: "Already in talks via a colleague.",
}
AMOUNTS = (Decimal("4800"), Decimal("9600"), Decimal("14400"), Decimal("24000"), Decimal("36000"))


def _percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0


def _thresholds(candidates: list[Contact]) -> tuple[int, int]:
    """20 / 40 (the defaults) when enough contacts reach them, lower otherwise, so a good share
    of the demo's leads qualify whatever the scoring rules make of them."""
    fit = min(20, _percentile([c.fit_score for c in candidates], 0.5))
    engagement = min(40, _percentile([c.engagement_score for c in candidates], 0.6))
    return max(5, fit - fit % 5), max(5, engagement - engagement % 5)


def _rules(users: dict[str, User]) -> None:
    teams = {team.name: team for team in Team.objects.all()}
    RoutingRule.objects.all().delete()
    # Territory and industry before the company owner: nearly every demo company has an owner,
    # and the demo should show every kind of rule at work.
    specs = [
        ("DACH → Enterprise team", RoutingMethod.TERRITORY, "DE, AT, CH", "", None,
         teams.get(TEAM_ENTERPRISE)),
        ("Software → Lena", RoutingMethod.INDUSTRY, "", "Software", users.get("lena"), None),
        ("Company owner", RoutingMethod.COMPANY_OWNER, "", "", None, None),
        ("Everyone else → Mid-market team", RoutingMethod.ROUND_ROBIN, "", "", None,
         teams.get(TEAM_MIDMARKET)),
    ]  # fmt: skip
    RoutingRule.objects.bulk_create(
        RoutingRule(
            name=name,
            method=method,
            countries=countries,
            industries=industries,
            user=user,
            team=team,
            position=position,
        )
        for position, (name, method, countries, industries, user, team) in enumerate(specs)
    )


def _qualified_at(
    contact: Contact, *, rng: random.Random, start: datetime, end: datetime
) -> datetime:
    earliest = max(start, contact.lifecycle_changed_at or start, contact.created_at)
    if earliest >= end:
        return end
    span = (end - earliest).total_seconds()
    return earliest + timedelta(seconds=rng.uniform(0, span))


def build_handoff(*, rng: random.Random, now: datetime) -> None:
    """Lead settings, routing rules and the demo's hand-offs as of `now` (see the module doc)."""
    users = {user.username: user for user in User.objects.all()}
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    Handoff.objects.all().delete()
    _rules(users)
    candidates = list(
        Contact.objects.filter(
            lifecycle_stage__in=[LifecycleStage.SUBSCRIBER, LifecycleStage.LEAD]
        ).order_by("pk")
    )
    fit_min, engagement_min = _thresholds(candidates)
    lead_settings = lead_settings_get()
    lead_settings.mql_fit_min = fit_min
    lead_settings.mql_engagement_min = engagement_min
    lead_settings.mql_on_meeting_booked = True
    lead_settings.sla_hours = 4
    lead_settings.business_days = "0,1,2,3,4"
    lead_settings.business_timezone = "Europe/Berlin"
    lead_settings.fallback_owner = users.get("priya")
    # No email while building; turned on at the end, as a real workspace would have it.
    lead_settings.notify_by_email = False
    lead_settings.save()
    calendar = lead_calendar(lead_settings)

    qualifying = [
        c
        for c in candidates
        if score_rule_reason(
            fit=c.fit_score, engagement=c.engagement_score, lead_settings=lead_settings
        )
    ]
    rng.shuffle(qualifying)
    qualifying = qualifying[:MAX_HANDOFFS]
    window_start = now - timedelta(days=WINDOW_DAYS)
    plans: list[tuple[datetime, Contact, str]] = []
    for index, contact in enumerate(qualifying):
        if index < OPEN_COUNT:
            at, fate = now - timedelta(minutes=rng.randint(30, 300)), "open"
        elif index < OPEN_COUNT + BREACHED_COUNT:
            at = now - timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 8))
            # Far enough back that the deadline has passed, weekends included.
            while business_add(at, lead_settings.sla_hours, calendar) >= now:
                at -= timedelta(days=1)
            fate = "breach"
        else:
            last = now - timedelta(days=3)
            at = _qualified_at(contact, rng=rng, start=window_start, end=last)
            fate = "reject" if rng.random() < REJECT_SHARE else "accept"
        plans.append((at, contact, fate))
    plans.sort(key=lambda plan: (plan[0], plan[1].pk))

    for at, contact, fate in plans:
        at = max(at, contact.lifecycle_changed_at or at, contact.created_at)
        if at > now:
            continue
        reason = score_rule_reason(
            fit=contact.fit_score, engagement=contact.engagement_score, lead_settings=lead_settings
        )
        handoff = contact_qualify(
            contact=contact, cause=TransitionCause.SCORE, reason=reason or "", now=at
        )
        if handoff is None or fate in ("open", "breach"):
            continue
        decider = handoff.assigned_to or admin
        if decider is None:
            continue
        late = rng.random() < LATE_SHARE
        hours = rng.uniform(4.3, 8.0) if late else rng.uniform(0.2, 3.8)
        decided_at = business_add(at, hours, calendar)
        if decided_at >= now:
            continue
        if late:
            # The minute job saw the deadline pass before the rep got to the lead.
            handoffs_check_breaches(now=handoff.due_at + timedelta(minutes=1), email=False)
        if fate == "reject":
            reject = rng.choices(
                [r for r, _ in REJECT_WEIGHTS], weights=[w for _, w in REJECT_WEIGHTS]
            )[0]
            handoff_reject(
                actor=decider,
                handoff=handoff,
                reason=reject,
                note=REJECT_NOTES[reject] if rng.random() < 0.7 else "",
                now=decided_at,
            )
            continue
        with_deal = decider.role in (Role.SALES_REP, Role.SALES_MANAGER, Role.ADMIN) and (
            rng.random() < DEAL_SHARE
        )
        who = contact.company.name if contact.company else str(contact)
        handoff_accept(
            actor=decider,
            handoff=handoff,
            create_deal=with_deal,
            deal_name=f"{who}: inbound" if with_deal else "",
            amount=rng.choice(AMOUNTS) if with_deal else Decimal("0"),
            now=decided_at,
        )
    handoffs_check_breaches(now=now, email=False)
    lead_settings.notify_by_email = True
    lead_settings.save(update_fields=["notify_by_email", "updated_at"])
