"""Reads for the hand-off API: the same visibility rules and computations as the pages, shaped
for the schemas in schemas.py."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from revline.core import permissions
from revline.core.models import User
from revline.people.models import Contact

from . import handoff_selectors, handoff_services, predictive_services, scoring, scoring_selectors
from .models import (
    EngagementRule,
    FitRule,
    Handoff,
    HandoffStatus,
    LifecycleTransition,
    PredictiveModel,
    RoutingRule,
)
from .selectors import lead_settings_get
from .sla import BusinessCalendar, SlaState, parse_days


@dataclass(frozen=True)
class HandoffItem:
    """A hand-off with its running clock; other attributes are the hand-off's own."""

    handoff: Handoff
    sla: dict[str, Any] | None
    response: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handoff, name)


def _sla(state: SlaState | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {
        "seconds_left": round(state.seconds_left),
        "overdue": state.overdue,
        "label": state.label,
    }


def _item(handoff: Handoff, *, now: datetime, calendar: BusinessCalendar) -> HandoffItem:
    return HandoffItem(
        handoff=handoff,
        sla=_sla(handoff_selectors.handoff_sla(handoff, now=now, calendar=calendar)),
        response=handoff_selectors.response_text(handoff, calendar),
    )


def handoffs_for_api(user: User) -> QuerySet[Handoff]:
    """The hand-offs the user may see, as on the queue page."""
    return handoff_selectors.handoffs_visible_to(user).select_related("escalated_to")


def handoff_list(
    *,
    user: User,
    status: str | None = None,
    assigned_to: int | None = None,
    breached: bool | None = None,
    limit: int,
    offset: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One page of the visible hand-offs matching the filters, newest first, with their clocks."""
    handoffs = handoffs_for_api(user)
    if status is not None:
        handoffs = handoffs.filter(status=status)
    if assigned_to is not None:
        handoffs = handoffs.filter(assigned_to_id=assigned_to)
    if breached is not None:
        handoffs = handoffs.filter(breached_at__isnull=not breached)
    handoffs = handoffs.order_by("-qualified_at", "-pk")
    now = now or timezone.now()
    calendar = handoff_services.lead_calendar()
    return {
        "items": [_item(h, now=now, calendar=calendar) for h in handoffs[offset : offset + limit]],
        "total": handoffs.count(),
        "limit": limit,
        "offset": offset,
    }


def handoff_detail(*, user: User, handoff: Handoff, now: datetime | None = None) -> dict[str, Any]:
    """A hand-off with why it qualified, how it was routed and what the caller may do with it."""
    item = _item(handoff, now=now or timezone.now(), calendar=handoff_services.lead_calendar())
    rule = handoff.routing_rule
    is_open = handoff.status == HandoffStatus.OPEN
    return {
        **{name: getattr(item, name) for name in _HANDOFF_FIELDS},
        "sla": item.sla,
        "response": item.response,
        "explanation": handoff_selectors.handoff_explanation(handoff),
        "routing": {
            "rule_id": rule.pk if rule else None,
            "rule_name": rule.name if rule else "",
            "method": rule.method if rule else "",
            "fallback": handoff.routed_to_fallback,
            "note": handoff.routing_note,
        },
        "campaign_name": handoff.campaign.name if handoff.campaign else "",
        "can_decide": is_open and handoff_services.can_decide_handoff(user, handoff),
        "can_reassign": is_open and handoff_services.can_reassign_handoff(user, handoff),
    }


_HANDOFF_FIELDS = (
    "id",
    "contact",
    "status",
    "qualified_at",
    "qualified_by",
    "qualification_reason",
    "assigned_to",
    "routed_to_fallback",
    "due_at",
    "first_touch_at",
    "breached_at",
    "decided_at",
    "decided_by",
    "reject_reason",
    "reject_note",
    "deal_id",
    "campaign_id",
    "channel",
    "content_item_id",
    "escalated_to",
)


def handoff_fresh(*, user: User, handoff: Handoff) -> dict[str, Any]:
    """The hand-off as stored after a write, for the response."""
    return handoff_detail(user=user, handoff=handoffs_for_api(user).get(pk=handoff.pk))


def contact_score(*, user: User, contact: Contact, now: datetime | None = None) -> dict[str, Any]:
    """Fit, decayed engagement, the newest score changes and the prediction with its factors."""
    now = now or timezone.now()
    score = scoring_selectors.contact_score(contact=contact, now=now)
    prediction = predictive_services.contact_prediction(user=user, contact=contact, now=now)
    return {
        "contact_id": contact.pk,
        "fit": score.fit,
        "engagement": score.engagement,
        "engagement_stored": contact.engagement_score,
        "total": score.total,
        "half_life_days": score.half_life_days,
        "change_count": score.line_count,
        "changes": [
            {
                "id": line.change.pk,
                "kind": line.change.kind,
                "points": line.change.points,
                "worth_now": line.worth_now,
                "reason": line.change.reason,
                "occurred_at": line.change.occurred_at,
                "score_after": line.change.score_after,
            }
            for line in score.lines
        ],
        "prediction": {
            "model_id": prediction.model.pk if prediction.model else None,
            "probability": contact.predicted_probability,
            "tier": contact.predicted_tier,
            "live_probability": prediction.live_probability,
            "factors": [
                {"label": f["label"], "effect": round(f["effect"], 4), "up": f["up"]}
                for f in prediction.factors
            ],
            "is_customer": prediction.is_customer,
            "error": prediction.error,
        },
    }


def contact_lifecycle(*, contact: Contact) -> dict[str, Any]:
    return {
        "contact_id": contact.pk,
        "stage": contact.lifecycle_stage,
        "changed_at": contact.lifecycle_changed_at,
        "transitions": list(
            LifecycleTransition.objects.filter(contact=contact)
            .select_related("actor")
            .order_by("-occurred_at", "-pk")
        ),
    }


def fit_rule_out(rule: FitRule) -> dict[str, Any]:
    label = scoring.fit_rule_label(field=rule.field, operator=rule.operator, value=rule.value)
    return {**_fields(rule, _FIT_FIELDS), "label": label}


def engagement_rule_out(rule: EngagementRule) -> dict[str, Any]:
    row = next(r for r in scoring_selectors.engagement_rule_rows() if r.rule.pk == rule.pk)
    return {**_fields(row.rule, _ENGAGEMENT_FIELDS), "hits_30_days": row.hits_30_days}


def scoring_rules() -> dict[str, Any]:
    return {
        "half_life_days": lead_settings_get().engagement_half_life_days,
        "fit": [
            {**_fields(row.rule, _FIT_FIELDS), "label": row.label}
            for row in scoring_selectors.fit_rule_rows()
        ],
        "engagement": [
            {**_fields(row.rule, _ENGAGEMENT_FIELDS), "hits_30_days": row.hits_30_days}
            for row in scoring_selectors.engagement_rule_rows()
        ],
    }


_FIT_FIELDS = ("id", "field", "operator", "value", "points", "is_active", "position")
_ENGAGEMENT_FIELDS = (
    "id",
    "name",
    "touchpoint_kind",
    "url_pattern",
    "campaign",
    "points",
    "max_per_period",
    "period_days",
    "is_active",
    "position",
)


def _fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def predictive_runs(*, user: User) -> QuerySet[PredictiveModel]:
    """Training runs, newest first (admins and marketers, as the model report)."""
    permissions.require(
        predictive_services.can_manage_predictive(user),
        "Only admins and marketers see the predictive model runs.",
    )
    return (
        PredictiveModel.objects.select_related("requested_by")
        .defer("artifact")
        .order_by("-requested_at", "-pk")
    )


_ROUTING_SORTS = {
    "position": ("position", "pk"),
    "-position": ("-position", "-pk"),
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "created_at": ("created_at", "pk"),
    "-created_at": ("-created_at", "-pk"),
}


def _require_view_lead_settings(user: User) -> None:
    permissions.require(
        handoff_services.can_view_lead_settings(user),
        "Only admins, marketers and sales managers see the routing settings.",
    )


def routing_rules_for_api(*, user: User) -> QuerySet[RoutingRule]:
    """Every routing rule, for those who may see the routing page."""
    _require_view_lead_settings(user)
    return handoff_selectors.routing_rules()


def routing_rule_list(
    *,
    user: User,
    method: str | None = None,
    is_active: bool | None = None,
    q: str | None = None,
    sort: str = "position",
) -> QuerySet[RoutingRule]:
    rules = routing_rules_for_api(user=user)
    if method is not None:
        rules = rules.filter(method=method)
    if is_active is not None:
        rules = rules.filter(is_active=is_active)
    if q and q.strip():
        rules = rules.filter(name__icontains=q.strip())
    return rules.order_by(*_ROUTING_SORTS[sort])


def lead_settings_out(*, user: User) -> dict[str, Any]:
    """The qualification and hand-off settings, as the lead settings page shows them."""
    _require_view_lead_settings(user)
    current = lead_settings_get()
    return {
        **_fields(
            current,
            (
                "mql_fit_min",
                "mql_engagement_min",
                "mql_on_meeting_booked",
                "sla_hours",
                "business_day_start",
                "business_day_end",
                "business_timezone",
                "notify_by_email",
                "updated_at",
            ),
        ),
        "hand_raiser_forms": list(current.hand_raiser_forms.order_by("name", "pk")),
        "business_days": sorted(parse_days(current.business_days)),
        "fallback_owner": current.fallback_owner,
        "can_edit": handoff_services.can_configure_leads(user),
    }
