"""API schemas for the content library, landing pages, forms, their fields and submissions."""

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints
from pydantic.config import JsonDict

from revline.core.listing import MAX_ID
from revline.core.schemas import (
    AwareDatetime,
    InputSchema,
    MoneyOut,
    PatchSchema,
    Text100,
    Text200,
    UserRef,
)
from revline.people.schemas import ContactRef

from .builder_services import MAX_OPTION_LENGTH, MAX_OPTIONS
from .library_services import SUMMARY_MAX_LENGTH
from .models import ContentKind, ContentStatus, FieldType, FunnelStage


def _trimmed(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Title = Annotated[str, _trimmed(200, 1)]
Label60 = Annotated[str, _trimmed(60, 1)]
Text300 = Annotated[str, _trimmed(300)]
Text500 = Annotated[str, _trimmed(500)]
Url = Annotated[str, _trimmed(2000)]
Summary = Annotated[str, _trimmed(SUMMARY_MAX_LENGTH)]
PageBody = Annotated[str, _trimmed(10_000)]
Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[-\w]+$"),
]
FieldKey = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_-]+$"
    ),
]
Option = Annotated[str, _trimmed(MAX_OPTION_LENGTH, 1)]
Blocks = Annotated[list[dict[str, Any]], Field(max_length=100)]
FunnelStageOrBlank = FunnelStage | Literal[""]

ItemSort = Literal[
    "title",
    "-title",
    "publish_date",
    "-publish_date",
    "created_at",
    "-created_at",
    "views",
    "-views",
    "leads",
    "-leads",
    "revenue",
    "-revenue",
]
PageSort = Literal[
    "title", "-title", "slug", "-slug", "updated_at", "-updated_at", "submission_count",
    "-submission_count",
]  # fmt: skip
FormSort = Literal[
    "name", "-name", "updated_at", "-updated_at", "submission_count", "-submission_count"
]
SubmissionSort = Literal["submitted_at", "-submitted_at"]


class ContentCampaignRef(Schema):
    id: int
    name: str


class ContentFormRef(Schema):
    id: int
    name: str


# --- Content items -----------------------------------------------------------------------------


class ContentItemOut(Schema):
    id: int
    title: str
    kind: ContentKind
    status: ContentStatus
    owner: UserRef | None
    persona: str
    funnel_stage: str
    campaign: ContentCampaignRef | None
    url: str
    publish_date: date | None
    summary: str
    views: int = Field(..., description="Page views credited to the item (read only)")
    cta_clicks: int
    leads: int | None = Field(
        ...,
        description="Contacts who submitted a form at or after a touch; null for a sales rep or "
        "manager whose contact visibility is not 'all' (it counts every contact)",
    )
    revenue: MoneyOut = Field(
        ..., description="Won revenue in `revenue_currency`, of the deals the caller may see"
    )
    revenue_currency: str
    next_statuses: list[ContentStatus]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_revenue_currency(obj: Any) -> str:
        return str(settings.CURRENCY)

    @staticmethod
    def resolve_next_statuses(obj: Any) -> list[str]:
        from .library_services import status_targets

        return status_targets(obj.status)


class ContentItemFilters(Schema):
    q: Text200 = Field("", description="Matches the title, persona or URL")
    kind: ContentKind | None = None
    status: ContentStatus | None = None
    funnel_stage: FunnelStage | None = None
    owner_id: RecordId | None = None
    campaign_id: RecordId | None = None
    publish_from: date | None = Field(None, description="Calendar window start (publish date)")
    publish_to: date | None = None
    sort: ItemSort = "-publish_date"


class ContentItemIn(InputSchema):
    """A new item may start at any status; scheduled and published need a publish date."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "How to forecast a pipeline",
                    "kind": "blog_post",
                    "status": "draft",
                    "funnel_stage": "awareness",
                    "publish_date": "2026-03-02",
                }
            ]
        },
    )

    title: Title
    kind: ContentKind
    status: ContentStatus = ContentStatus.IDEA
    owner_id: RecordId | None = None
    persona: Text100 = ""
    funnel_stage: FunnelStageOrBlank = ""
    campaign_id: RecordId | None = None
    url: Url = Field("", description="http(s) address of the published piece")
    publish_date: date | None = None
    summary: Summary = ""


class ContentItemPatch(PatchSchema):
    """The status may only take an allowed workflow step (see `next_statuses`)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"title": "New title", "owner_id": None}]}
    )
    clearable: ClassVar[frozenset[str]] = frozenset({"owner_id", "campaign_id", "publish_date"})

    title: Title | None = None
    kind: ContentKind | None = None
    status: ContentStatus | None = None
    owner_id: RecordId | None = None
    persona: Text100 | None = None
    funnel_stage: FunnelStageOrBlank | None = None
    campaign_id: RecordId | None = None
    url: Url | None = None
    publish_date: date | None = None
    summary: Summary | None = None


class ContentStatusIn(InputSchema):
    status: ContentStatus = Field(..., examples=["in_review"])


class ContentMoveIn(InputSchema):
    publish_date: date = Field(..., examples=["2026-04-15"])


# --- Landing pages -----------------------------------------------------------------------------


class LandingPageOut(Schema):
    id: int
    slug: str
    public_url: str
    title: str
    headline: str
    body: str
    cta_label: str
    success_message: str
    consent_purpose: str
    consent_wording: str
    consent_wording_version: str
    campaign: ContentCampaignRef | None
    form: ContentFormRef | None
    is_published: bool
    blocks: list[dict[str, Any]] = Field(..., description="Validated and sanitised blocks")
    submission_count: int | None = Field(
        ...,
        description="Null for a sales rep or manager whose contact visibility is not 'all' "
        "(it counts every contact's submissions)",
    )
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_public_url(obj: Any) -> str:
        return f"{settings.BASE_URL}/lp/{obj.slug}"


class LandingPageFilters(Schema):
    q: Text200 = Field("", description="Matches the title, slug or headline")
    campaign_id: RecordId | None = None
    status: Literal["published", "draft"] | None = None
    sort: PageSort = "title"


_PAGE_EXAMPLE: JsonDict = {
    "slug": "spring-demo",
    "title": "Spring demo",
    "headline": "See Revline in 20 minutes",
    "blocks": [
        {"type": "hero", "headline": "See Revline in 20 minutes", "subheading": "Book a demo."},
        {"type": "form"},
    ],
    "form_id": 1,
}


class LandingPageIn(InputSchema):
    """`blocks` are validated and sanitised like in the page builder; every problem is named by
    block number. Without blocks the page shows the headline, body and form."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_PAGE_EXAMPLE]})

    slug: Slug
    title: Title
    headline: Title
    body: PageBody = ""
    cta_label: Label60 = "Get in touch"
    success_message: Annotated[str, _trimmed(300, 1)] = "Thank you! We will be in touch shortly."
    consent_purpose: Annotated[str, _trimmed(50, 1)] = "marketing_email"
    consent_wording: Annotated[str, _trimmed(500, 1)] = (
        "I agree to receive marketing emails. I can unsubscribe at any time."
    )
    consent_wording_version: Annotated[str, _trimmed(50, 1)] = "v1"
    campaign_id: RecordId | None = None
    form_id: RecordId | None = None
    is_published: bool = True
    blocks: Blocks = []


class LandingPagePatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"headline": "New headline"}]}
    )
    clearable: ClassVar[frozenset[str]] = frozenset({"campaign_id", "form_id"})

    slug: Slug | None = None
    title: Title | None = None
    headline: Title | None = None
    body: PageBody | None = None
    cta_label: Label60 | None = None
    success_message: Annotated[str, _trimmed(300, 1)] | None = None
    consent_purpose: Annotated[str, _trimmed(50, 1)] | None = None
    consent_wording: Annotated[str, _trimmed(500, 1)] | None = None
    consent_wording_version: Annotated[str, _trimmed(50, 1)] | None = None
    campaign_id: RecordId | None = None
    form_id: RecordId | None = None
    is_published: bool | None = None
    blocks: Blocks | None = None


# --- Forms -------------------------------------------------------------------------------------


class FormFieldOut(Schema):
    id: int
    form_id: int
    name: str
    label: str
    field_type: FieldType
    required: bool
    options: list[str]
    position: int


class FormOut(Schema):
    id: int
    name: str
    submit_label: str
    thank_you_message: str
    redirect_path: str
    consent_purpose: str
    consent_wording: str
    consent_wording_version: str
    double_opt_in: bool
    campaign: ContentCampaignRef | None
    embed_key: str
    embed_url: str
    rejected_count: int
    submission_count: int | None = Field(
        ...,
        description="Null for a sales rep or manager whose contact visibility is not 'all' "
        "(it counts every contact's submissions)",
    )
    fields: list[FormFieldOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_embed_url(obj: Any) -> str:
        return f"{settings.BASE_URL}/f/{obj.embed_key}"

    @staticmethod
    def resolve_fields(obj: Any) -> list[Any]:
        return list(obj.fields.all())


class FormFilters(Schema):
    q: Text200 = Field("", description="Matches the name")
    campaign_id: RecordId | None = None
    sort: FormSort = "name"


class FormIn(InputSchema):
    """A new form gets a required email field and an unguessable embed key."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Newsletter sign-up", "submit_label": "Subscribe"}]
        },
    )

    name: Title
    submit_label: Label60 = "Submit"
    thank_you_message: Annotated[str, _trimmed(300, 1)] = "Thank you! We will be in touch shortly."
    redirect_path: Text300 = Field("", description="A path on this site, e.g. /lp/thanks")
    consent_purpose: Annotated[str, _trimmed(50, 1)] = "marketing_email"
    consent_wording: Text500 = Field(
        "I agree to receive marketing emails. I can unsubscribe at any time.",
        description="Blank: the form has no consent checkbox",
    )
    consent_wording_version: Annotated[str, _trimmed(50, 1)] = "v1"
    double_opt_in: bool = False
    campaign_id: RecordId | None = None


class FormPatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"double_opt_in": True}]}
    )
    clearable: ClassVar[frozenset[str]] = frozenset({"campaign_id"})

    name: Title | None = None
    submit_label: Label60 | None = None
    thank_you_message: Annotated[str, _trimmed(300, 1)] | None = None
    redirect_path: Text300 | None = None
    consent_purpose: Annotated[str, _trimmed(50, 1)] | None = None
    consent_wording: Text500 | None = None
    consent_wording_version: Annotated[str, _trimmed(50, 1)] | None = None
    double_opt_in: bool | None = None
    campaign_id: RecordId | None = None


class FormFieldIn(InputSchema):
    """`email`, `first_name`, `last_name`, `company`, `title` and `phone` fill the contact."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "team_size",
                    "label": "Team size",
                    "field_type": "select",
                    "options": ["1-10", "11-50", "51+"],
                }
            ]
        },
    )

    name: FieldKey
    label: Title
    field_type: FieldType = FieldType.TEXT
    required: bool = False
    options: Annotated[list[Option], Field(max_length=MAX_OPTIONS)] = []


class FormFieldPatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"label": "Company size"}]}
    )

    name: FieldKey | None = None
    label: Title | None = None
    field_type: FieldType | None = None
    required: bool | None = None
    options: Annotated[list[Option], Field(max_length=MAX_OPTIONS)] | None = None


class FieldMoveIn(InputSchema):
    direction: Literal["up", "down"] = Field(..., examples=["up"])


class SubmissionOut(Schema):
    id: int
    form_id: int | None
    landing_page_id: int | None
    contact: ContactRef
    data: dict[str, Any]
    consent_wording_version: str = Field(..., description="Blank when no consent was given")
    submitted_at: datetime


class SubmissionFilters(Schema):
    submitted_from: AwareDatetime | None = None
    submitted_to: AwareDatetime | None = None
    sort: SubmissionSort = "-submitted_at"
