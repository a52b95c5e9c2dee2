"""API schemas for campaigns and their tracked links."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints, ValidationInfo, field_validator

from revline.core.listing import MAX_ID
from revline.core.schemas import (
    CurrencyCode,
    InputSchema,
    LongText,
    MoneyIn,
    MoneyOut,
    Name200,
    PatchSchema,
    Text100,
    Text200,
    UserRef,
    example,
)

from .models import CampaignStatus, Channel, CreativeKind, CtaAction, Objective, SpendSource

CampaignSort = Literal[
    "name", "-name", "start_date", "-start_date", "created_at", "-created_at", "budget", "-budget"
]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Audience = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
GoalCount = Annotated[int, Field(ge=0, le=10_000_000)]
Count = Annotated[int, Field(ge=0, le=10**15)]
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = date  # a field named `date` would shadow the type in its own annotation


class CampaignOut(Schema):
    id: int
    name: str
    objective: Objective
    audience: str
    channel: Channel
    status: CampaignStatus
    description: str
    start_date: date | None
    end_date: date | None
    budget: MoneyOut
    currency: str
    owner: UserRef | None
    goal_leads: int | None
    goal_mqls: int | None
    goal_sqls: int | None
    goal_pipeline: MoneyOut | None
    goal_revenue: MoneyOut | None
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_content: str
    utm_term: str
    created_at: datetime
    updated_at: datetime


class CampaignFilters(Schema):
    q: Text200 = Field("", description="Matches the name or utm_campaign")
    channel: Channel | None = None
    status: CampaignStatus | None = None
    owner_id: int | None = None
    sort: CampaignSort = "-created_at"


class CampaignIn(InputSchema):
    """Blank utm_source/utm_medium/utm_campaign are filled from the channel and the name."""

    model_config = example(
        {
            "name": "Spring webinar",
            "channel": "email",
            "objective": "leads",
            "start_date": "2026-03-01",
            "end_date": "2026-03-31",
            "budget": "5000.00",
            "currency": "EUR",
            "goal_leads": 200,
        }
    )

    name: Name200
    objective: Objective = Objective.LEADS
    audience: Audience = ""
    channel: Channel
    status: CampaignStatus = CampaignStatus.PLANNED
    description: LongText = ""
    start_date: date | None = None
    end_date: date | None = None
    budget: MoneyIn = Decimal("0")
    currency: CurrencyCode | None = Field(None, description="Defaults to the workspace currency")
    owner_id: int | None = None
    goal_leads: GoalCount | None = None
    goal_mqls: GoalCount | None = None
    goal_sqls: GoalCount | None = None
    goal_pipeline: MoneyIn | None = Field(None, description="In the workspace currency")
    goal_revenue: MoneyIn | None = Field(None, description="In the workspace currency")
    utm_source: Text100 = ""
    utm_medium: Text100 = ""
    utm_campaign: Text100 = ""
    utm_content: Text100 = ""
    utm_term: Text100 = ""

    @field_validator("end_date")
    @classmethod
    def _not_before_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if start and end and end < start:
            raise ValueError("end_date must not be before start_date.")
        return end


class CampaignPatch(PatchSchema):
    """Only the fields sent are changed; `null` clears the dates and the owner."""

    clearable = frozenset(
        {
            "start_date",
            "end_date",
            "owner_id",
            "goal_leads",
            "goal_mqls",
            "goal_sqls",
            "goal_pipeline",
            "goal_revenue",
        }
    )

    name: Name200 | None = None
    objective: Objective | None = None
    audience: Audience | None = None
    channel: Channel | None = None
    status: CampaignStatus | None = None
    description: LongText | None = None
    start_date: date | None = None
    end_date: date | None = None
    budget: MoneyIn | None = None
    currency: CurrencyCode | None = None
    owner_id: int | None = None
    goal_leads: GoalCount | None = None
    goal_mqls: GoalCount | None = None
    goal_sqls: GoalCount | None = None
    goal_pipeline: MoneyIn | None = None
    goal_revenue: MoneyIn | None = None
    utm_source: Text100 | None = None
    utm_medium: Text100 | None = None
    utm_campaign: Text100 | None = None
    utm_content: Text100 | None = None
    utm_term: Text100 | None = None


class LinkIn(InputSchema):
    model_config = example(
        {
            "destination_url": "https://www.example.com/pricing",
            "label": "Newsletter CTA",
            "utm_content": "button",
        }
    )

    destination_url: Url = Field(..., description="An http(s) address; the click redirects here")
    label: Text200 = ""
    utm_content: Text100 = Field("", description="Overrides the campaign's utm_content")
    utm_term: Text100 = Field("", description="Overrides the campaign's utm_term")


class LinkPatch(PatchSchema):
    """Only the fields sent are changed; the token (the published address) never changes. A
    creative's link keeps its destination and utm_content; a link with recorded clicks keeps its
    utm_content and utm_term."""

    model_config = example({"label": "Newsletter CTA (May)", "is_active": False})

    label: Text200 | None = None
    destination_url: Url | None = Field(None, description="An http(s) address")
    utm_content: Text100 | None = None
    utm_term: Text100 | None = None
    is_active: bool | None = Field(None, description="false stops the redirect (the link 404s)")


class LinkOut(Schema):
    id: int
    campaign_id: int
    label: str
    url: str = Field(..., description="The public tracked address to publish")
    destination_url: str
    redirect_url: str = Field(..., description="Where a click lands, with the UTM values added")
    utm_content: str
    utm_term: str
    is_active: bool
    created_at: datetime


class GoalOut(Schema):
    key: str
    goal: Decimal | int | None = Field(..., description="The target; null when none is set")
    actual: Decimal | int | None = Field(
        ...,
        description="Null for the leads, MQLs and SQLs goals when whole_audience is false",
    )
    percent: Decimal | None = Field(..., description="Actual as a percent of the goal")


class CampaignMetricsOut(Schema):
    """Figures from Revline's own records; ratios are null when their denominator is zero.

    Leads, cost per lead, MQLs and SQLs count every contact of the workspace: they are null
    (and not computed) for a sales rep or manager whose contact visibility is not "all"
    (whole_audience false)."""

    cost_currency: str = Field(..., description="Currency of cost, cost per lead and CAC")
    revenue_currency: str = Field(..., description="Currency of pipeline and won revenue")
    impressions: int
    clicks: int
    ctr: Decimal | None = Field(..., description="Clicks per impression, in percent")
    cost: MoneyOut
    leads: int | None = Field(..., description="Null when whole_audience is false")
    cost_per_lead: MoneyOut | None = Field(
        ..., description="Null when there are no leads or whole_audience is false"
    )
    mqls: int | None = Field(..., description="Null when whole_audience is false")
    sqls: int | None = Field(..., description="Null when whole_audience is false")
    pipeline: MoneyOut
    won_revenue: MoneyOut
    won_deals: int
    roas: Decimal | None = Field(..., description="Won revenue divided by cost")
    new_customers: int
    cac: MoneyOut | None = Field(..., description="Cost per new customer")
    budget_used: Decimal | None = Field(..., description="Cost as a percent of the budget")
    team_only: bool = Field(
        ...,
        description=(
            "True when pipeline, won revenue, won deals, ROAS, new customers and CAC count only "
            "the caller's own and team's deals (a sales rep or manager under team visibility)"
        ),
    )
    whole_audience: bool = Field(
        ...,
        description=(
            "False when the caller sees only their own or team's contacts: leads, cost per "
            "lead, MQLs, SQLs and those goals' actuals are then null"
        ),
    )
    goals: list[GoalOut]


class CampaignDetailOut(CampaignOut):
    metrics: CampaignMetricsOut


class AdSpendOut(Schema):
    id: int
    campaign_id: int
    creative_id: int | None
    date: date
    source: SpendSource
    spend: MoneyOut
    currency: str
    impressions: int
    clicks: int
    spend_import_id: int | None
    updated_at: datetime


class AdSpendIn(InputSchema):
    """One day's spend; sending the same day (and creative) again replaces its figures."""

    model_config = example(
        {
            "date": "2026-03-02",
            "spend": "120.50",
            "currency": "EUR",
            "impressions": 15000,
            "clicks": 230,
        }
    )

    date: date
    spend: MoneyIn
    currency: CurrencyCode | None = Field(None, description="Defaults to the campaign's currency")
    impressions: Count = 0
    clicks: Count = 0
    creative_id: int | None = None


class AdSpendFilters(Schema):
    date_from: date | None = None
    date_to: date | None = None
    source: SpendSource | None = None


class AdSpendPatch(PatchSchema):
    """Correct a spend row; moving it onto a day that already has a row is refused."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"spend": "120.00", "clicks": 42}]}
    )
    clearable: ClassVar[frozenset[str]] = frozenset({"creative_id"})

    date: Day | None = None
    spend: MoneyIn | None = None
    currency: CurrencyCode | None = None
    impressions: Count | None = None
    clicks: Count | None = None
    creative_id: RecordId | None = None


class SpendImportOut(Schema):
    id: int
    file_name: str
    file_sha256: str
    layout: SpendSource
    status: Literal["draft", "committed"]
    uploaded_by: UserRef | None
    uploaded_at: datetime
    committed_at: datetime | None
    row_count: int
    error_count: int

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return "committed" if obj.committed_at else "draft"


class SpendImportFilters(Schema):
    status: Literal["draft", "committed"] | None = None
    layout: SpendSource | None = None
    sort: Literal["uploaded_at", "-uploaded_at"] = "-uploaded_at"


# --- Creatives ---------------------------------------------------------------------------------


class CreativeLandingPageRef(Schema):
    id: int
    title: str
    slug: str


class CreativeProductRef(Schema):
    id: int
    name: str


class CreativeOut(Schema):
    id: int
    campaign_id: int
    kind: CreativeKind
    name: str
    headline: str
    body: str
    cta_label: str
    cta_action: CtaAction
    landing_page: CreativeLandingPageRef | None
    booking_user: UserRef | None
    product: CreativeProductRef | None
    tracked_url: str = Field(..., description="Put this address in the ad: it records the click")
    cta_url: str = Field(..., description="Where the tracked link leads")
    created_at: datetime

    @staticmethod
    def resolve_tracked_url(obj: Any) -> str:
        from .creative_selectors import tracked_url

        return tracked_url(obj)

    @staticmethod
    def resolve_cta_url(obj: Any) -> str:
        from .creative_selectors import cta_url

        return cta_url(obj)


class CreativeFilters(Schema):
    q: Text200 = Field("", description="Matches the name or headline")
    kind: CreativeKind | None = None
    cta_action: CtaAction | None = None
    sort: Literal["name", "-name", "created_at", "-created_at"] = "name"


class CreativeIn(InputSchema):
    """The CTA target must match the action: `landing_page_id` (a published page) for `form`,
    `booking_user_id` for `book_meeting`, `product_id` for `buy_now`. Action and landing page
    are fixed once created."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Search ad A",
                    "kind": "ad",
                    "headline": "Close deals faster",
                    "cta_label": "Get the demo",
                    "cta_action": "form",
                    "landing_page_id": 1,
                }
            ]
        },
    )

    name: Name200
    kind: CreativeKind = CreativeKind.AD
    headline: Text200 = ""
    body: LongText = ""
    cta_label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    cta_action: CtaAction
    landing_page_id: RecordId | None = None
    booking_user_id: RecordId | None = None
    product_id: RecordId | None = None


class CreativePatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"headline": "Close deals 2x faster"}]}
    )

    name: Name200 | None = None
    kind: CreativeKind | None = None
    headline: Text200 | None = None
    body: LongText | None = None
    cta_label: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] | None
    ) = None
    booking_user_id: RecordId | None = None
    product_id: RecordId | None = None
