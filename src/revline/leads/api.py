"""The hand-off over the JSON API: hand-offs and their decisions, contact scores and lifecycle,
scoring rules and predictive model runs. Routes call the same services as the pages."""

from collections.abc import Callable
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.campaigns.models import Campaign
from revline.content.models import Form
from revline.core import permissions
from revline.core.api_support import api_user, related_or_422, state_conflict
from revline.core.models import Team, User
from revline.core.schemas import ErrorOut, LimitOffset
from revline.people.models import Contact

from . import (
    api_selectors,
    handoff_selectors,
    handoff_services,
    predictive_services,
    scoring_services,
)
from .models import EngagementRule, FitRule, Handoff, RoutingRule
from .schemas import (
    ContactMoveIn,
    ContactScoreOut,
    EngagementRuleIn,
    EngagementRuleOut,
    EngagementRulePatch,
    FitRuleIn,
    FitRuleOut,
    FitRulePatch,
    HandoffAcceptIn,
    HandoffDetailOut,
    HandoffFilters,
    HandoffPage,
    HandoffReassignIn,
    HandoffRejectIn,
    LeadSettingsOut,
    LeadSettingsPatch,
    LifecycleOut,
    ModelRunOut,
    RoutingRuleFilters,
    RoutingRuleIn,
    RoutingRuleMoveIn,
    RoutingRuleOut,
    RoutingRulePatch,
    ScoringRulesOut,
)

router = Router()

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
DECIDE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
REASSIGN_DENIED = "Only the rep's sales manager or an admin can reassign this hand-off."
MOVE_DENIED = "Only marketers, sales managers, admins and the contact's owner can do that."


def _conflict(exc: ValidationError) -> Status | None:
    """A ValidationError without fields is about the record's state (already decided, already
    recycled): 409 with the service's message. Field errors go on to the 422 handler."""
    if hasattr(exc, "error_dict"):
        return None
    return state_conflict(exc)


# --- hand-offs ----------------------------------------------------------------------------------


def _visible(request: HttpRequest, handoff_id: int) -> tuple[User, Handoff]:
    """404 for a hand-off the caller may not see, as on the page."""
    user = api_user(request)
    return user, get_object_or_404(api_selectors.handoffs_for_api(user), pk=handoff_id)


def _decidable(request: HttpRequest, handoff_id: int) -> tuple[User, Handoff]:
    user, handoff = _visible(request, handoff_id)
    permissions.require(
        handoff_services.can_decide_handoff(user, handoff), handoff_services.NOT_PERMITTED
    )
    return user, handoff


@router.get(
    "/handoffs",
    response=HandoffPage,
    tags=["handoffs"],
    summary="Hand-offs the caller may see, newest first, with their SLA clocks",
    description="A rep sees the hand-offs assigned to them, a sales manager their team's (and "
    "unassigned ones), admins and marketers all. Paginated with `limit` and `offset`.",
)
def list_handoffs(
    request: HttpRequest, filters: Query[HandoffFilters], page: Query[LimitOffset.Input]
) -> Any:
    return api_selectors.handoff_list(
        user=api_user(request), limit=page.limit, offset=page.offset, **filters.model_dump()
    )


@router.get(
    "/handoffs/{int:handoff_id}",
    response={200: HandoffDetailOut, 404: ErrorOut},
    tags=["handoffs"],
    summary="A hand-off: why it qualified, the score explanation, routing and its SLA",
)
def get_handoff(request: HttpRequest, handoff_id: int) -> Any:
    user, handoff = _visible(request, handoff_id)
    return api_selectors.handoff_detail(user=user, handoff=handoff)


def _decided(user: User, handoff: Handoff, decide: Callable[[], object]) -> Any:
    """Run the decision; a hand-off already decided answers 409, other refusals raise (422)."""
    try:
        decide()
    except ValidationError as exc:
        if (conflict := _conflict(exc)) is None:
            raise
        return conflict
    return api_selectors.handoff_fresh(user=user, handoff=handoff)


@router.post(
    "/handoffs/{int:handoff_id}/accept",
    response={200: HandoffDetailOut, **DECIDE_ERRORS},
    tags=["handoffs"],
    summary="Accept the lead (SAL); with create_deal, open a deal (opportunity)",
    description="409 when the hand-off was already decided.",
)
def accept_handoff(request: HttpRequest, handoff_id: int, payload: HandoffAcceptIn) -> Any:
    user, handoff = _decidable(request, handoff_id)
    return _decided(
        user,
        handoff,
        lambda: handoff_services.handoff_accept(
            actor=user, handoff=handoff, **payload.model_dump()
        ),
    )


@router.post(
    "/handoffs/{int:handoff_id}/reject",
    response={200: HandoffDetailOut, **DECIDE_ERRORS},
    tags=["handoffs"],
    summary="Reject the lead with a reason; the contact goes back to marketing (recycled)",
    description="409 when the hand-off was already decided.",
)
def reject_handoff(request: HttpRequest, handoff_id: int, payload: HandoffRejectIn) -> Any:
    user, handoff = _decidable(request, handoff_id)
    return _decided(
        user,
        handoff,
        lambda: handoff_services.handoff_reject(
            actor=user, handoff=handoff, reason=payload.reason, note=payload.note
        ),
    )


@router.post(
    "/handoffs/{int:handoff_id}/reassign",
    response={200: HandoffDetailOut, **DECIDE_ERRORS},
    tags=["handoffs"],
    summary="Give an open hand-off to another rep of the team (sales managers, admins)",
    description="The SLA deadline stays. 409 when the hand-off was already decided.",
)
def reassign_handoff(request: HttpRequest, handoff_id: int, payload: HandoffReassignIn) -> Any:
    user, handoff = _visible(request, handoff_id)
    permissions.require(handoff_services.can_reassign_handoff(user, handoff), REASSIGN_DENIED)
    assignee = related_or_422(User.objects.all(), payload.user_id, field="user_id")
    assert assignee is not None
    try:
        handoff_services.handoff_reassign(actor=user, handoff=handoff, assignee=assignee)
    except ValidationError as exc:
        if (conflict := _conflict(exc)) is None:
            # The service names the form's field; the API's is user_id.
            message = exc.message_dict.get("assignee", exc.messages)
            raise ValidationError({"user_id": message}) from exc
        return conflict
    return api_selectors.handoff_fresh(user=user, handoff=handoff)


# --- contacts: score and lifecycle --------------------------------------------------------------


@router.get(
    "/contacts/{int:contact_id}/score",
    response={200: ContactScoreOut, 404: ErrorOut},
    tags=["contacts"],
    summary="Fit and engagement scores with their newest changes, and the predictive score",
)
def contact_score(request: HttpRequest, contact_id: int) -> Any:
    contact = get_object_or_404(Contact.objects.select_related("company"), pk=contact_id)
    return api_selectors.contact_score(user=api_user(request), contact=contact)


@router.get(
    "/contacts/{int:contact_id}/lifecycle",
    response={200: LifecycleOut, 404: ErrorOut},
    tags=["contacts"],
    summary="The lifecycle stage and every transition, newest first",
)
def contact_lifecycle(request: HttpRequest, contact_id: int) -> Any:
    contact = get_object_or_404(Contact.objects.all(), pk=contact_id)
    return api_selectors.contact_lifecycle(contact=contact)


def _contact_move(request: HttpRequest, contact_id: int, payload: ContactMoveIn, move: Any) -> Any:
    user = api_user(request)
    contact = get_object_or_404(Contact.objects.all(), pk=contact_id)
    permissions.require(handoff_services.can_recycle_contact(user, contact), MOVE_DENIED)
    try:
        move(actor=user, contact=contact, reason=payload.reason, note=payload.note)
    except ValidationError as exc:
        if (conflict := _conflict(exc)) is None:
            raise
        return conflict
    contact.refresh_from_db()
    return api_selectors.contact_lifecycle(contact=contact)


@router.post(
    "/contacts/{int:contact_id}/recycle",
    response={200: LifecycleOut, **DECIDE_ERRORS},
    tags=["contacts"],
    summary="Send the contact back to marketing for nurturing, with a reason",
    description="An open hand-off of the contact is closed as rejected. 409 when the contact "
    "is already recycled or is a customer.",
)
def recycle_contact(request: HttpRequest, contact_id: int, payload: ContactMoveIn) -> Any:
    return _contact_move(request, contact_id, payload, handoff_services.contact_recycle)


@router.post(
    "/contacts/{int:contact_id}/disqualify",
    response={200: LifecycleOut, **DECIDE_ERRORS},
    tags=["contacts"],
    summary="Take the contact out of the funnel, with a reason",
    description="409 when the contact is already disqualified or is a customer.",
)
def disqualify_contact(request: HttpRequest, contact_id: int, payload: ContactMoveIn) -> Any:
    return _contact_move(request, contact_id, payload, handoff_services.contact_disqualify)


# --- scoring rules ------------------------------------------------------------------------------


def _configurer(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(
        scoring_services.can_configure_scoring(user), scoring_services.SETTINGS_DENIED
    )
    return user


@router.get(
    "/scoring/rules",
    response=ScoringRulesOut,
    tags=["scoring"],
    summary="The fit and engagement rules, in their order, and the engagement half-life",
)
def list_scoring_rules(request: HttpRequest) -> Any:
    return api_selectors.scoring_rules()


@router.post(
    "/scoring/fit-rules",
    response={201: FitRuleOut, **ERRORS},
    tags=["scoring"],
    summary="Add a fit rule (admins, marketers); every fit score is then recomputed",
)
def create_fit_rule(request: HttpRequest, payload: FitRuleIn) -> Any:
    actor = _configurer(request)
    rule = scoring_services.fit_rule_create(actor=actor, **payload.model_dump())
    return Status(201, api_selectors.fit_rule_out(rule))


@router.get(
    "/scoring/fit-rules/{int:rule_id}",
    response={200: FitRuleOut, 404: ErrorOut},
    tags=["scoring"],
    summary="A fit rule with its readable label",
)
def get_fit_rule(request: HttpRequest, rule_id: int) -> Any:
    return api_selectors.fit_rule_out(get_object_or_404(FitRule.objects.all(), pk=rule_id))


@router.patch(
    "/scoring/fit-rules/{int:rule_id}",
    response={200: FitRuleOut, **ERRORS},
    tags=["scoring"],
    summary="Change a fit rule (admins, marketers); only the fields sent change",
)
def update_fit_rule(request: HttpRequest, rule_id: int, payload: FitRulePatch) -> Any:
    actor = _configurer(request)
    rule = get_object_or_404(FitRule.objects.all(), pk=rule_id)
    current = {
        name: getattr(rule, name) for name in ("field", "operator", "value", "points", "is_active")
    }
    values = {**current, **payload.model_dump(exclude_unset=True)}
    scoring_services.fit_rule_update(actor=actor, rule=rule, **values)
    return api_selectors.fit_rule_out(rule)


@router.delete(
    "/scoring/fit-rules/{int:rule_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    tags=["scoring"],
    summary="Delete a fit rule (admins, marketers); the points it gave are taken back",
)
def delete_fit_rule(request: HttpRequest, rule_id: int) -> Any:
    actor = _configurer(request)
    rule = get_object_or_404(FitRule.objects.all(), pk=rule_id)
    scoring_services.fit_rule_delete(actor=actor, rule=rule)
    return Status(204, None)


def _campaign(data: dict[str, Any]) -> dict[str, Any]:
    if "campaign_id" in data:
        pk = data.pop("campaign_id")
        data["campaign"] = related_or_422(Campaign.objects.all(), pk, field="campaign_id")
    return data


@router.post(
    "/scoring/engagement-rules",
    response={201: EngagementRuleOut, **ERRORS},
    tags=["scoring"],
    summary="Add an engagement rule (admins, marketers); it scores touches from now on",
)
def create_engagement_rule(request: HttpRequest, payload: EngagementRuleIn) -> Any:
    actor = _configurer(request)
    rule = scoring_services.engagement_rule_create(actor=actor, **_campaign(payload.model_dump()))
    return Status(201, api_selectors.engagement_rule_out(rule))


@router.get(
    "/scoring/engagement-rules/{int:rule_id}",
    response={200: EngagementRuleOut, 404: ErrorOut},
    tags=["scoring"],
    summary="An engagement rule with how often it scored in the last 30 days",
)
def get_engagement_rule(request: HttpRequest, rule_id: int) -> Any:
    rule = get_object_or_404(EngagementRule.objects.all(), pk=rule_id)
    return api_selectors.engagement_rule_out(rule)


@router.patch(
    "/scoring/engagement-rules/{int:rule_id}",
    response={200: EngagementRuleOut, **ERRORS},
    tags=["scoring"],
    summary="Change an engagement rule (admins, marketers); points already given stay",
)
def update_engagement_rule(request: HttpRequest, rule_id: int, payload: EngagementRulePatch) -> Any:
    actor = _configurer(request)
    rule = get_object_or_404(EngagementRule.objects.select_related("campaign"), pk=rule_id)
    names = (
        "name",
        "touchpoint_kind",
        "points",
        "url_pattern",
        "campaign",
        "max_per_period",
        "period_days",
        "is_active",
    )
    current = {name: getattr(rule, name) for name in names}
    values = {**current, **_campaign(payload.model_dump(exclude_unset=True))}
    scoring_services.engagement_rule_update(actor=actor, rule=rule, **values)
    return api_selectors.engagement_rule_out(rule)


@router.delete(
    "/scoring/engagement-rules/{int:rule_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    tags=["scoring"],
    summary="Delete an engagement rule (admins, marketers); points already given stay",
)
def delete_engagement_rule(request: HttpRequest, rule_id: int) -> Any:
    actor = _configurer(request)
    rule = get_object_or_404(EngagementRule.objects.all(), pk=rule_id)
    scoring_services.engagement_rule_delete(actor=actor, rule=rule)
    return Status(204, None)


# --- routing rules ------------------------------------------------------------------------------


CONFIGURE_DENIED = "Only admins and marketers change routing and hand-off settings."
_RULE_FIELDS = ("name", "method", "countries", "industries", "user", "team", "is_active")


def _routing_configurer(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(handoff_services.can_configure_leads(user), CONFIGURE_DENIED)
    return user


def _api_fields(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    """The services name the form's fields (`user`); the API's are `user_id`."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {names.get(field, field): messages for field, messages in exc.message_dict.items()}
    )


_RULE_NAMES = {"user": "user_id", "team": "team_id"}


def _rule_targets(data: dict[str, Any]) -> dict[str, Any]:
    if "user_id" in data:
        data["user"] = related_or_422(User.objects.all(), data.pop("user_id"), field="user_id")
    if "team_id" in data:
        data["team"] = related_or_422(Team.objects.all(), data.pop("team_id"), field="team_id")
    return data


@router.get(
    "/routing-rules",
    response=list[RoutingRuleOut],
    tags=["routing"],
    summary="Routing rules, in the order they are tried (admins, marketers, sales managers)",
)
@paginate(LimitOffset)
def list_routing_rules(request: HttpRequest, filters: Query[RoutingRuleFilters]) -> Any:
    return api_selectors.routing_rule_list(user=api_user(request), **filters.model_dump())


@router.get(
    "/routing-rules/{int:rule_id}",
    response={200: RoutingRuleOut, 403: ErrorOut, 404: ErrorOut},
    tags=["routing"],
    summary="A routing rule (admins, marketers, sales managers)",
)
def get_routing_rule(request: HttpRequest, rule_id: int) -> Any:
    rules = api_selectors.routing_rules_for_api(user=api_user(request))
    return get_object_or_404(rules, pk=rule_id)


@router.post(
    "/routing-rules",
    response={201: RoutingRuleOut, **ERRORS},
    tags=["routing"],
    summary="Add a routing rule at the end of the order (admins, marketers)",
)
def create_routing_rule(request: HttpRequest, payload: RoutingRuleIn) -> Any:
    actor = _routing_configurer(request)
    values = _rule_targets(payload.model_dump())
    try:
        rule = handoff_services.routing_rule_create(actor=actor, **values)
    except ValidationError as exc:
        raise _api_fields(exc, _RULE_NAMES) from exc
    return Status(201, rule)


@router.patch(
    "/routing-rules/{int:rule_id}",
    response={200: RoutingRuleOut, **ERRORS},
    tags=["routing"],
    summary="Change a routing rule (admins, marketers); only the fields sent change",
)
def update_routing_rule(request: HttpRequest, rule_id: int, payload: RoutingRulePatch) -> Any:
    actor = _routing_configurer(request)
    rule = get_object_or_404(RoutingRule.objects.all(), pk=rule_id)
    current = {name: getattr(rule, name) for name in _RULE_FIELDS}
    values = {**current, **_rule_targets(payload.model_dump(exclude_unset=True))}
    try:
        handoff_services.routing_rule_update(actor=actor, rule=rule, **values)
    except ValidationError as exc:
        raise _api_fields(exc, _RULE_NAMES) from exc
    return handoff_selectors.routing_rules().get(pk=rule.pk)


@router.delete(
    "/routing-rules/{int:rule_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    tags=["routing"],
    summary="Delete a routing rule (admins, marketers); open hand-offs keep their rep",
)
def delete_routing_rule(request: HttpRequest, rule_id: int) -> Any:
    actor = _routing_configurer(request)
    rule = get_object_or_404(RoutingRule.objects.all(), pk=rule_id)
    handoff_services.routing_rule_delete(actor=actor, rule=rule)
    return Status(204, None)


@router.post(
    "/routing-rules/{int:rule_id}/move",
    response={200: list[RoutingRuleOut], **ERRORS},
    tags=["routing"],
    summary="Swap a rule with its neighbour (admins, marketers); returns every rule in order",
    description="Moving the first rule up or the last down changes nothing.",
)
def move_routing_rule(request: HttpRequest, rule_id: int, payload: RoutingRuleMoveIn) -> Any:
    actor = _routing_configurer(request)
    rule = get_object_or_404(RoutingRule.objects.all(), pk=rule_id)
    handoff_services.routing_rule_move(actor=actor, rule=rule, up=payload.direction == "up")
    return list(handoff_selectors.routing_rules())


# --- lead settings ------------------------------------------------------------------------------


@router.get(
    "/lead-settings",
    response={200: LeadSettingsOut, 403: ErrorOut},
    tags=["routing"],
    summary="MQL thresholds, SLA, business hours and fallback owner (admins, marketers, "
    "sales managers)",
)
def get_lead_settings(request: HttpRequest) -> Any:
    return api_selectors.lead_settings_out(user=api_user(request))


@router.patch(
    "/lead-settings",
    response={200: LeadSettingsOut, 403: ErrorOut, 422: ErrorOut},
    tags=["routing"],
    summary="Change the qualification and hand-off settings (admins, marketers)",
    description="Only the fields sent change; the result is checked as a whole (the business "
    "day must end after it starts). A refusal changes nothing.",
)
def update_lead_settings(request: HttpRequest, payload: LeadSettingsPatch) -> Any:
    actor = api_user(request)
    permissions.require(
        handoff_services.can_configure_leads(actor),
        "Only admins and marketers change the lead settings.",
    )
    values = payload.model_dump(exclude_unset=True)
    forms = None
    if "hand_raiser_form_ids" in values:
        wanted = set(values.pop("hand_raiser_form_ids"))
        forms = list(Form.objects.filter(pk__in=wanted))
        missing = sorted(wanted - {form.pk for form in forms})
        if missing:
            raise ValidationError(
                {"hand_raiser_form_ids": f"There is no form with id {missing[0]}."}
            )
    for key in ("business_day_start", "business_day_end"):
        if key in values:
            values[key] = time.fromisoformat(values[key])
    if "business_days" in values:
        values["business_days"] = ",".join(str(day) for day in sorted(set(values["business_days"])))
    if "fallback_owner_id" in values:
        values["fallback_owner"] = related_or_422(
            User.objects.all(), values.pop("fallback_owner_id"), field="fallback_owner_id"
        )
    try:
        handoff_services.lead_settings_update(actor=actor, hand_raiser_forms=forms, **values)
    except ValidationError as exc:
        raise _api_fields(exc, {"fallback_owner": "fallback_owner_id"}) from exc
    return api_selectors.lead_settings_out(user=actor)


# --- predictive model runs ----------------------------------------------------------------------


@router.get(
    "/predictive/models",
    response=list[ModelRunOut],
    tags=["predictive"],
    summary="Training runs of the predictive score, newest first (admins, marketers)",
)
@paginate(LimitOffset)
def list_model_runs(request: HttpRequest) -> Any:
    return api_selectors.predictive_runs(user=api_user(request))


@router.post(
    "/predictive/models",
    response={202: ModelRunOut, 403: ErrorOut, 409: ErrorOut},
    tags=["predictive"],
    summary="Queue a retraining in the background (admins, marketers)",
    description="Returns the queued run at once; poll GET /predictive/models for its status. "
    "409 while another run is queued or training.",
)
def retrain_model(request: HttpRequest) -> Any:
    user = api_user(request)
    permissions.require(
        predictive_services.can_manage_predictive(user),
        "Only admins and marketers retrain the model.",
    )
    try:
        run = predictive_services.predictive_retrain_request(actor=user)
    except ValidationError as exc:
        return state_conflict(exc)
    return Status(202, run)
