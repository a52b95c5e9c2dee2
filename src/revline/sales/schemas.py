"""API schemas for pipelines, deals and activities."""

import os
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.urls import reverse
from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from revline.core.schemas import (
    AwareDatetime,
    CurrencyCode,
    InputSchema,
    LongText,
    MoneyIn,
    MoneyOut,
    Name100,
    Name200,
    PatchSchema,
    Text100,
    Text200,
    UserRef,
    example,
)
from revline.people.schemas import CompanyRef, ContactRef

from .models import (
    ActivityKind,
    CommitteeRole,
    Deal,
    DealStatus,
    ForecastCategory,
    PlaybookItemKind,
    StageKind,
)
from .stages import MAX_STAGES

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
    model_config = example(
        {
            "name": "Engines Ltd — 50 seats",
            "amount": "24000.00",
            "currency": "EUR",
            "contact_id": 42,
            "company_id": 12,
            "expected_close_date": "2026-12-15",
        }
    )

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
    next_step: Text200 | None = Field(None, examples=["Send the security questionnaire"])


class DealMoveIn(InputSchema):
    model_config = example({"stage_id": 3})

    stage_id: int


class DealCloseIn(InputSchema):
    model_config = example({"reason_id": 2, "note": "Chose the annual plan."})

    reason_id: int | None = Field(None, description="A close reason from the workspace's list")
    note: LongText = ""
    lost_to_id: int | None = Field(None, description="Competitor (lost deals only)")


class ActivityIn(InputSchema):
    model_config = example(
        {"kind": "call", "subject": "Discovery call", "body": "Budget confirmed for Q1."}
    )

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


# --- Set-up and deal detail (workbench_api) ---------------------------------------------------

ProbabilityIn = Annotated[int, Field(ge=0, le=100, description="Win probability in percent")]
PositionIn = Annotated[int, Field(ge=0, le=10_000)]
StageNameIn = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class OpenStageIn(InputSchema):
    name: StageNameIn = Field(examples=["Discovery"])
    probability: ProbabilityIn = Field(examples=[25])


class PipelineIn(InputSchema):
    """The open stages in order; every pipeline ends with a Won (100 %) and a Lost (0 %) stage."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Renewals",
                    "is_default": False,
                    "stages": [
                        {"name": "Check-in", "probability": 30},
                        {"name": "Renewal offer", "probability": 70},
                    ],
                }
            ]
        },
    )

    name: Name100
    is_default: bool = False
    stages: list[OpenStageIn] = Field(min_length=1, max_length=MAX_STAGES)


class PipelinePatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Enterprise", "stale_after_days": 30}]},
    )

    name: Name100 | None = None
    is_default: bool | None = Field(None, description="true makes it the default; false is refused")
    stale_after_days: int | None = Field(None, ge=1, le=365)


class PipelineDetailOut(PipelineOut):
    stale_after_days: int
    created_at: datetime


class StageIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Demo", "probability": 40, "position": 2}]},
    )

    name: StageNameIn
    probability: ProbabilityIn
    position: PositionIn | None = Field(
        None, description="0-based place among the open stages; defaults to the last"
    )


class StagePatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Demo", "probability": 45}]}
    )

    name: StageNameIn | None = None
    probability: ProbabilityIn | None = None


class StageOrderIn(InputSchema):
    stage_ids: list[int] = Field(
        max_length=MAX_STAGES,
        description="Every open stage of the pipeline, in the new order",
        examples=[[12, 10, 11]],
    )


CloseReasonKind = Literal["won", "lost"]


class CloseReasonOut(Schema):
    id: int
    kind: CloseReasonKind
    name: str
    position: int
    is_active: bool


class CloseReasonFilters(Schema):
    kind: CloseReasonKind | None = None
    is_active: bool | None = None
    q: Text100 = Field("", description="Matches the name")
    sort: Literal["position", "name", "-name", "kind"] = "position"


class CloseReasonIn(InputSchema):
    kind: CloseReasonKind = Field(examples=["lost"])
    name: Name100 = Field(examples=["Chose to build in-house"])


class CloseReasonPatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Price too high"}]}
    )

    name: Name100 | None = None
    is_active: bool | None = Field(None, description="false retires it from the closing form")
    move: Literal["up", "down"] | None = Field(None, description="Swap with its neighbour")


class DealContactOut(Schema):
    id: int
    contact: ContactRef
    role: CommitteeRole
    created_at: datetime


class DealContactIn(InputSchema):
    contact_id: int = Field(examples=[42])
    role: CommitteeRole = Field(examples=["champion"])


class DealContactPatch(InputSchema):
    role: CommitteeRole = Field(examples=["decision_maker"])


class AttachmentOut(Schema):
    """A link (`kind` "link": `url` is the address; the file fields are null) or an uploaded
    file (`kind` "file": name, size and type, fetched from `download_path` with the token)."""

    id: int
    title: str
    kind: Literal["link", "file"]
    url: str = Field(description="The link, or the file's download page in the app")
    file_name: str | None = Field(description="The stored file's name; null for a link")
    size: int = Field(description="Bytes of the file; 0 for a link")
    content_type: str = Field(description="The file's media type; empty for a link")
    download_path: str | None = Field(
        description="API path that streams the file; null for a link",
        examples=["/api/v1/deals/12/attachments/7/file"],
    )
    added_by: UserRef | None
    created_at: datetime

    @staticmethod
    def resolve_kind(obj: Any) -> str:
        return "file" if obj.file else "link"

    @staticmethod
    def resolve_url(obj: Any) -> str:
        if obj.file:
            return reverse("sales:deal_attachment_download", args=[obj.deal_id, obj.pk])
        return str(obj.url)

    @staticmethod
    def resolve_file_name(obj: Any) -> str | None:
        return os.path.basename(obj.file.name) if obj.file else None

    @staticmethod
    def resolve_download_path(obj: Any) -> str | None:
        if not obj.file:
            return None
        return reverse("api:deal_attachment_file", args=[obj.deal_id, obj.pk])


class AttachmentLinkIn(InputSchema):
    title: Text200 = Field("", description="Defaults to the address", examples=["Security review"])
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)] = (
        Field(examples=["https://docs.example.com/acme/security-review"])
    )


class ContentRef(Schema):
    id: int
    title: str


class PlaybookItemOut(Schema):
    id: int
    kind: PlaybookItemKind
    text: str
    position: int


class PlaybookOut(Schema):
    stage_id: int
    stage: str
    id: int | None = Field(description="None while the stage has no playbook")
    talk_track: str
    items: list[PlaybookItemOut]
    content: list[ContentRef]


class PlaybookIn(InputSchema):
    """Replaces the stage's playbook; lines kept unchanged keep the ticks reps gave them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "talk_track": "Open with the customer's last quarter numbers.",
                    "questions": ["Who signs off on the budget?"],
                    "tasks": ["Send the ROI calculator"],
                    "content_ids": [],
                }
            ]
        },
    )

    talk_track: LongText = ""
    questions: list[Text200] = Field(default_factory=list, max_length=40)
    tasks: list[Text200] = Field(default_factory=list, max_length=40)
    content_ids: list[int] = Field(default_factory=list, max_length=100)


class PlaybookItemIn(InputSchema):
    kind: PlaybookItemKind = Field(PlaybookItemKind.QUESTION, examples=["question"])
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] = (
        Field(examples=["What happens if you do nothing?"])
    )
    position: PositionIn | None = Field(None, description="Defaults to the end")


class PlaybookItemPatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"text": "Who else is evaluating?"}]}
    )

    kind: PlaybookItemKind | None = None
    text: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
        | None
    ) = None
    position: PositionIn | None = None


class ChecklistItemOut(PlaybookItemOut):
    ticked: bool
    ticked_at: datetime | None
    ticked_by: UserRef | None


class DealPlaybookOut(Schema):
    deal_id: int
    stage_id: int
    talk_track: str
    done: int
    total: int
    percent: int
    items: list[ChecklistItemOut]
    content: list[ContentRef]


class TickOut(Schema):
    item_id: int
    ticked: bool


class ShareOut(Schema):
    id: int
    deal_id: int | None
    contact: ContactRef
    content_item: ContentRef
    message: str
    sent_by: UserRef | None
    sent_at: datetime
    first_opened_at: datetime | None
    last_opened_at: datetime | None
    open_count: int


class ShareIn(InputSchema):
    contact_id: int = Field(description="The deal's contact or a buying-committee member")
    content_item_id: int = Field(examples=[7])
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = Field(
        "", examples=["Here is the case study we talked about."]
    )
