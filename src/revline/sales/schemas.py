"""API schemas for pipelines, deals and activities."""

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from revline.core.schemas import (
    AwareDatetime,
    CurrencyCode,
    InputSchema,
    LongText,
    MoneyIn,
    MoneyOut,
    Name200,
    PatchSchema,
    Text200,
    UserRef,
)
from revline.people.schemas import CompanyRef

from .models import ActivityKind, Deal, DealStatus, ForecastCategory, StageKind

DealSort = Literal[
    "created_at",
    "-created_at",
    "amount",
    "-amount",
    "expected_close_date",
    "-expected_close_date",
    "name",
    "-name",
    "closed_at",
    "-closed_at",
]


class StageOut(Schema):
    id: int
    name: str
    position: int
    probability: int
    kind: StageKind


class PipelineOut(Schema):
    id: int
    name: str
    is_default: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: Any) -> list[Any]:
        return list(obj.stages.all())


class ContactRef(Schema):
    id: int
    name: str
    email: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class DealOut(Schema):
    id: int
    name: str
    pipeline_id: int
    stage: StageOut
    status: DealStatus
    amount: MoneyOut
    currency: str
    contact: ContactRef | None
    company: CompanyRef | None
    owner: UserRef | None
    expected_close_date: date | None
    closed_at: datetime | None
    close_reason: str = Field(description="The reason chosen from the workspace's list")
    close_note: str
    lost_to: str = Field(description="The competitor a lost deal went to")
    next_step: str
    forecast_category: ForecastCategory
    stage_changed_at: datetime
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_close_reason(deal: Deal) -> str:
        return deal.close_reason.name if deal.close_reason else ""

    @staticmethod
    def resolve_lost_to(deal: Deal) -> str:
        return deal.lost_to.name if deal.lost_to else ""


class DealFilters(Schema):
    q: Text200 = Field("", description="Matches the deal name")
    status: DealStatus | None = None
    pipeline_id: int | None = None
    stage_id: int | None = None
    owner_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    sort: DealSort = "-created_at"


class DealIn(InputSchema):
    name: Name200
    amount: MoneyIn
    currency: CurrencyCode | None = Field(None, description="Defaults to the workspace currency")
    pipeline_id: int | None = Field(
        None, description="Defaults to the stage's or the default pipeline"
    )
    stage_id: int | None = Field(None, description="An open stage; defaults to the first one")
    contact_id: int | None = None
    company_id: int | None = Field(None, description="Defaults to the contact's company")
    owner_id: int | None = Field(None, description="Defaults to the caller")
    expected_close_date: date | None = None


class DealPatch(PatchSchema):
    """Only the fields sent are changed. Stage and status change through move/won/lost."""

    clearable = frozenset({"contact_id", "company_id", "owner_id", "expected_close_date"})

    name: Name200 | None = None
    amount: MoneyIn | None = None
    currency: CurrencyCode | None = None
    contact_id: int | None = None
    company_id: int | None = None
    owner_id: int | None = None
    expected_close_date: date | None = None


class DealMoveIn(InputSchema):
    stage_id: int


class DealCloseIn(InputSchema):
    reason_id: int | None = Field(None, description="A close reason from the workspace's list")
    note: LongText = ""
    lost_to_id: int | None = Field(None, description="Competitor (lost deals only)")


class ActivityIn(InputSchema):
    kind: ActivityKind = ActivityKind.NOTE
    subject: Name200
    body: LongText = ""
    occurred_at: AwareDatetime | None = Field(None, description="Defaults to now")


class ActivityOut(Schema):
    id: int
    kind: ActivityKind
    subject: str
    body: str
    occurred_at: datetime
    deal_id: int | None
    contact_id: int | None
    created_by: UserRef | None
