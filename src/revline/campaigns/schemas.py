"""API schemas for campaigns and their tracked links."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints, ValidationInfo, field_validator

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
)

from .models import CampaignStatus, Channel, Objective, SpendSource

CampaignSort = Literal[
    "name", "-name", "start_date", "-start_date", "created_at", "-created_at", "budget", "-budget"
]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Audience = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
GoalCount = Annotated[int, Field(ge=0, le=10_000_000)]
Count = Annotated[int, Field(ge=0, le=10**15)]


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
    destination_url: Url = Field(..., description="An http(s) address; the click redirects here")
    label: Text200 = ""
    utm_content: Text100 = Field("", description="Overrides the campaign's utm_content")
    utm_term: Text100 = Field("", description="Overrides the campaign's utm_term")


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
    actual: Decimal | int
    percent: Decimal | None = Field(..., description="Actual as a percent of the goal")


class CampaignMetricsOut(Schema):
    """Figures from Revline's own records; ratios are null when their denominator is zero."""

    cost_currency: str = Field(..., description="Currency of cost, cost per lead and CAC")
    revenue_currency: str = Field(..., description="Currency of pipeline and won revenue")
    impressions: int
    clicks: int
    ctr: Decimal | None = Field(..., description="Clicks per impression, in percent")
    cost: MoneyOut
    leads: int
    cost_per_lead: MoneyOut | None
    mqls: int
    sqls: int
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
