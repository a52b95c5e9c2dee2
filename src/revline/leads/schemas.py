"""API schemas for the hand-off: hand-offs, contact scores and lifecycle, scoring rules and
predictive model runs."""

from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, PlainSerializer, StringConstraints

from revline.core.schemas import (
    InputSchema,
    MoneyIn,
    Name200,
    PatchSchema,
    TeamRef,
    Text200,
    UserRef,
)
from revline.people.models import LifecycleStage
from revline.tracking.models import TouchpointKind

from .models import (
    FitField,
    FitOperator,
    HandoffStatus,
    ModelStatus,
    RejectReason,
    RoutingMethod,
    ScoreKind,
)


def _note() -> Any:
    return Field("", max_length=500, description="Why, in a few words; required for `other`")


# --- hand-offs --------------------------------------------------------------------------------


class HandoffFilters(Schema):
    status: HandoffStatus | None = None
    assigned_to: int | None = Field(None, description="A user id: hand-offs assigned to them")
    breached: bool | None = Field(
        None, description="true: flagged as past their SLA deadline; false: not flagged"
    )


class ContactBrief(Schema):
    id: int
    name: str
    email: str
    company: str
    lifecycle_stage: LifecycleStage
    fit_score: int
    engagement_score: int

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)

    @staticmethod
    def resolve_company(obj: Any) -> str:
        return obj.company.name if obj.company_id else ""


class SlaOut(Schema):
    """The running clock of an open, untouched hand-off."""

    seconds_left: int = Field(description="Business seconds to the deadline; negative when late")
    overdue: bool
    label: str = Field(examples=["2 h 10 min left"])


class HandoffOut(Schema):
    id: int
    contact: ContactBrief
    status: HandoffStatus
    qualified_at: datetime
    qualified_by: str = Field(description="What qualified the contact: score, form, meeting, …")
    qualification_reason: str = Field(examples=["Fit 25 ≥ 20 and engagement 44 ≥ 40"])
    assigned_to: UserRef | None
    routed_to_fallback: bool
    due_at: datetime
    sla: SlaOut | None = Field(description="Only while open and not yet touched")
    first_touch_at: datetime | None
    response: str = Field(description="How long the first touch took, in business time")
    breached_at: datetime | None
    decided_at: datetime | None
    decided_by: UserRef | None
    reject_reason: str
    reject_note: str
    deal_id: int | None


class HandoffPage(Schema):
    items: list[HandoffOut]
    total: int
    limit: int
    offset: int


class ScoreLineOut(Schema):
    kind: str
    points: int | None
    reason: str
    at: datetime | None


class TouchOut(Schema):
    kind: str
    label: str = ""
    url: str = ""
    campaign: str = ""
    at: datetime | None


class ExplanationOut(Schema):
    """The snapshot taken when the contact qualified: its scores and the lines and touches that
    led there."""

    fit_score: int | None
    engagement_score: int | None
    score_lines: list[ScoreLineOut]
    touches: list[TouchOut]


class RoutingOut(Schema):
    rule_id: int | None
    rule_name: str
    method: str
    fallback: bool
    note: str


class HandoffDetailOut(HandoffOut):
    explanation: ExplanationOut
    routing: RoutingOut
    campaign_id: int | None
    campaign_name: str
    channel: str
    content_item_id: int | None
    escalated_to: UserRef | None
    can_decide: bool = Field(description="Whether the caller may accept or reject it now")
    can_reassign: bool


class HandoffAcceptIn(InputSchema):
    create_deal: bool = False
    deal_name: Text200 = Field("", description="Empty: named after the company")
    amount: MoneyIn = Decimal("0")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"create_deal": True, "deal_name": "Acme rollout", "amount": "5000.00"}]
        },
    )


class HandoffRejectIn(InputSchema):
    reason: RejectReason
    note: str = _note()

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "no_budget", "note": "Budget in Q3"}]},
    )


class HandoffReassignIn(InputSchema):
    user_id: int = Field(description="An active sales rep or manager of your team")


# --- contacts: score and lifecycle --------------------------------------------------------------


class ScoreChangeOut(Schema):
    id: int
    kind: ScoreKind
    points: int
    worth_now: int | None = Field(description="Engagement points after decay; null for fit")
    reason: str = Field(examples=["+15 visited /pricing"])
    occurred_at: datetime
    score_after: int


class FactorOut(Schema):
    label: str = Field(examples=["Title: VP"])
    effect: float = Field(description="Change in probability this factor makes")
    up: bool


class PredictionOut(Schema):
    model_id: int | None = Field(description="The model run behind the factors; null if none")
    probability: float | None = Field(description="As stored by the last scoring run")
    tier: str = Field(description="A (top quartile) to D; empty when not scored")
    live_probability: float | None = Field(description="From today's features")
    factors: list[FactorOut]
    is_customer: bool
    error: str


class ContactScoreOut(Schema):
    contact_id: int
    fit: int
    engagement: int = Field(description="Engagement decayed to now")
    engagement_stored: int = Field(description="As stored at the last change or decay refresh")
    total: int
    half_life_days: int | None
    change_count: int
    changes: list[ScoreChangeOut] = Field(description="The newest 50 changes")
    prediction: PredictionOut


class TransitionOut(Schema):
    id: int
    from_stage: LifecycleStage
    to_stage: LifecycleStage
    occurred_at: datetime
    cause: str
    actor: UserRef | None
    reason: str


class LifecycleOut(Schema):
    contact_id: int
    stage: LifecycleStage
    changed_at: datetime | None
    transitions: list[TransitionOut] = Field(description="Newest first")


class ContactMoveIn(InputSchema):
    reason: RejectReason
    note: str = _note()

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "not_now", "note": "Retry next year"}]},
    )


# --- scoring rules ------------------------------------------------------------------------------


class FitRuleOut(Schema):
    id: int
    field: FitField
    operator: FitOperator
    value: str
    points: int
    is_active: bool
    position: int
    label: str


class CampaignRef(Schema):
    id: int
    name: str


class EngagementRuleOut(Schema):
    id: int
    name: str
    touchpoint_kind: str
    url_pattern: str
    campaign: CampaignRef | None
    points: int
    max_per_period: int | None
    period_days: int
    is_active: bool
    position: int
    hits_30_days: int


class ScoringRulesOut(Schema):
    half_life_days: int | None = Field(description="Engagement half-life; null for no decay")
    fit: list[FitRuleOut]
    engagement: list[EngagementRuleOut]


class FitRuleIn(InputSchema):
    field: FitField
    operator: FitOperator
    value: str = Field("", max_length=500, description="Empty for is_set / is_empty")
    points: int
    is_active: bool = True

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"field": "contact.title", "operator": "matches", "value": "VP|Head"}]
        },
    )


class FitRulePatch(PatchSchema):
    field: FitField | None = None
    operator: FitOperator | None = None
    value: str | None = Field(None, max_length=500)
    points: int | None = None
    is_active: bool | None = None


class EngagementRuleIn(InputSchema):
    name: Name200
    touchpoint_kind: TouchpointKind
    points: int
    url_pattern: str = Field("", max_length=300, description="A regular expression")
    campaign_id: int | None = None
    max_per_period: int | None = Field(None, description="Empty: no limit")
    period_days: int = 1
    is_active: bool = True

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Pricing page",
                    "touchpoint_kind": "page_view",
                    "url_pattern": "/pricing",
                    "points": 15,
                    "max_per_period": 1,
                    "period_days": 7,
                }
            ]
        },
    )


class EngagementRulePatch(PatchSchema):
    """Only the fields sent are changed; `null` clears `campaign_id` and `max_per_period`."""

    clearable = frozenset({"campaign_id", "max_per_period"})

    name: Name200 | None = None
    touchpoint_kind: TouchpointKind | None = None
    points: int | None = None
    url_pattern: str | None = Field(None, max_length=300)
    campaign_id: int | None = None
    max_per_period: int | None = None
    period_days: int | None = None
    is_active: bool | None = None


# --- predictive model runs ----------------------------------------------------------------------


class CandidateOut(Schema):
    algorithm: str
    label: str
    auc: float


class ModelRunOut(Schema):
    id: int
    status: ModelStatus
    requested_at: datetime
    requested_by: UserRef | None
    finished_at: datetime | None
    horizon_days: int
    algorithm: str = Field(description="The chosen candidate; empty unless ready")
    auc: float | None = Field(description="The chosen candidate's held-out AUC")
    message: str
    candidates: list[CandidateOut]
    sizes: dict[str, int] = Field(description="examples, positives, train, test, …")
    base_rate: float | None
    warnings: list[str]

    @staticmethod
    def resolve_candidates(obj: Any) -> list[Any]:
        return list(_report(obj).get("candidates", []))

    @staticmethod
    def resolve_sizes(obj: Any) -> dict[str, int]:
        return dict(_report(obj).get("sizes", {}))

    @staticmethod
    def resolve_base_rate(obj: Any) -> float | None:
        return _report(obj).get("base_rate")

    @staticmethod
    def resolve_warnings(obj: Any) -> list[str]:
        return list(_report(obj).get("warnings", []))


def _report(obj: Any) -> dict[str, Any]:
    return obj.report if isinstance(obj.report, dict) else {}


# --- routing rules and lead settings ------------------------------------------------------------


RoutingRuleSort = Literal["position", "-position", "name", "-name", "created_at", "-created_at"]


class RoutingRuleFilters(Schema):
    method: RoutingMethod | None = None
    is_active: bool | None = None
    q: str | None = Field(None, max_length=200, description="Part of the rule's name")
    sort: RoutingRuleSort = Field("position", description="position: the order rules are tried")


class RoutingRuleOut(Schema):
    id: int
    name: str
    method: RoutingMethod
    countries: str = Field(examples=["DE, AT, CH"])
    industries: str
    user: UserRef | None = Field(description="The rep every match goes to")
    team: TeamRef | None = Field(description="The team to round-robin in")
    last_assigned: UserRef | None = Field(description="The last rep the round-robin picked")
    position: int = Field(description="Rules are tried in this order, lowest first")
    is_active: bool
    created_at: datetime


_ROUTING_EXAMPLE: dict[str, Any] = {
    "name": "DACH",
    "method": "territory",
    "countries": "DE, AT, CH",
    "user_id": 3,
}


class RoutingRuleIn(InputSchema):
    name: Name200
    method: RoutingMethod
    countries: str = Field(
        "", max_length=500, description="Territory rules: 2-letter ISO codes, comma-separated"
    )
    industries: str = Field(
        "", max_length=500, description="Industry rules: company industries, comma-separated"
    )
    user_id: int | None = Field(None, description="An active user: every match goes to them")
    team_id: int | None = Field(None, description="Or a team to round-robin among its reps")
    is_active: bool = True

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_ROUTING_EXAMPLE]})


class RoutingRulePatch(PatchSchema):
    """Only the fields sent change; `null` clears `user_id` and `team_id`. The merged rule is
    checked as a whole (e.g. a territory rule still needs countries and a rep or team)."""

    clearable = frozenset({"user_id", "team_id"})

    name: Name200 | None = None
    method: RoutingMethod | None = None
    countries: str | None = Field(None, max_length=500)
    industries: str | None = Field(None, max_length=500)
    user_id: int | None = None
    team_id: int | None = None
    is_active: bool | None = None

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"countries": "DE, AT"}]}
    )


class RoutingRuleMoveIn(InputSchema):
    direction: Literal["up", "down"] = Field(description="up: tried earlier")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"direction": "up"}]})


ScoreThreshold = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday")]


# A wall-clock time in the business timezone: "HH:MM", no offset (JSON Schema's "time" format
# would demand one).
ClockTimeIn = Annotated[
    str,
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"),
    Field(description="HH:MM in the business timezone", examples=["09:00"]),
]
ClockTimeOut = Annotated[
    time,
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str, when_used="always"),
    Field(description="HH:MM in the business timezone"),
]


class FormRef(Schema):
    id: int
    name: str


class LeadSettingsOut(Schema):
    mql_fit_min: int | None = Field(description="Fit score needed for MQL; null: any")
    mql_engagement_min: int | None = Field(description="Engagement score needed; null: any")
    mql_on_meeting_booked: bool
    hand_raiser_forms: list[FormRef] = Field(description="Submitting one makes the contact an MQL")
    sla_hours: int = Field(description="Business hours a rep has to first touch a new MQL")
    business_days: list[int] = Field(description="Weekdays, 0 = Monday")
    business_day_start: ClockTimeOut
    business_day_end: ClockTimeOut
    business_timezone: str = Field(examples=["Europe/Berlin"])
    fallback_owner: UserRef | None = Field(description="Gets MQLs no routing rule matches")
    notify_by_email: bool
    updated_at: datetime
    can_edit: bool = Field(description="Whether the caller may change these settings")


class LeadSettingsPatch(PatchSchema):
    """Only the fields sent change; `null` clears the thresholds and the fallback owner."""

    clearable = frozenset({"mql_fit_min", "mql_engagement_min", "fallback_owner_id"})

    mql_fit_min: ScoreThreshold | None = None
    mql_engagement_min: ScoreThreshold | None = None
    mql_on_meeting_booked: bool | None = None
    hand_raiser_form_ids: list[int] | None = Field(None, max_length=200)
    sla_hours: int | None = Field(None, ge=1, le=720, description="1 to 720 business hours")
    business_days: list[Weekday] | None = Field(None, min_length=1, max_length=7)
    business_day_start: ClockTimeIn | None = None
    business_day_end: ClockTimeIn | None = None
    business_timezone: str | None = Field(None, min_length=1, max_length=64)
    fallback_owner_id: int | None = Field(None, description="An active user")
    notify_by_email: bool | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "mql_fit_min": 25,
                    "sla_hours": 8,
                    "business_days": [0, 1, 2, 3, 4],
                    "business_day_start": "08:00",
                    "business_timezone": "Europe/Vienna",
                }
            ]
        },
    )
