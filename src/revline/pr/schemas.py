"""API schemas for media contacts, press releases and coverage."""

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from revline.core.listing import MAX_ID
from revline.core.schemas import (
    AwareDatetime,
    Email,
    InputSchema,
    Name200,
    PatchSchema,
    Text50,
    Text100,
    Text200,
    UserRef,
    example,
)

from .metrics import COMPETITOR_NAME_MAX, COMPETITORS_PER_ENTRY_MAX
from .models import InteractionKind, ReleaseStatus, Sentiment
from .services import BODY_MAX_LENGTH, REACH_MAX


def _trimmed(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Title300 = Annotated[str, _trimmed(300, 1)]
Summary = Annotated[str, _trimmed(1000)]
Notes2000 = Annotated[str, _trimmed(2000)]
Notes10000 = Annotated[str, _trimmed(10_000)]
Note500 = Annotated[str, _trimmed(500)]
Body = Annotated[str, StringConstraints(max_length=BODY_MAX_LENGTH)]
Url = Annotated[str, _trimmed(2000)]
CompetitorName = Annotated[str, _trimmed(COMPETITOR_NAME_MAX, 1)]

MediaContactSort = Literal["name", "-name", "outlet", "-outlet", "created_at", "-created_at"]
ReleaseSort = Literal[
    "title", "-title", "created_at", "-created_at", "distributed_at", "-distributed_at"
]
CoverageSort = Literal["published_on", "-published_on", "reach", "-reach", "title", "-title"]
LoggedKind = Literal["pitch", "call", "email", "meeting"]


class PrCampaignRef(Schema):
    id: int
    name: str


class MediaContactRef(Schema):
    id: int
    name: str
    outlet: str


class ReleaseRef(Schema):
    id: int
    title: str
    status: ReleaseStatus


# --- Media contacts ----------------------------------------------------------------------------


class MediaContactIn(InputSchema):
    model_config = example(
        {
            "name": "Grace Hopper",
            "outlet": "Tech Weekly",
            "beat": "enterprise software",
            "email": "grace@techweekly.example",
        }
    )

    name: Name200
    outlet: Name200
    beat: Text100 = ""
    email: Email = ""
    phone: Text50 = ""
    notes: Notes10000 = ""
    owner_id: RecordId | None = None


class MediaContactOut(Schema):
    id: int
    name: str
    outlet: str
    beat: str
    email: str
    phone: str
    notes: str
    owner: UserRef | None
    created_at: datetime
    updated_at: datetime


class MediaContactFilters(Schema):
    q: Text200 = Field("", description="Matches name, outlet, beat or email")
    outlet: Text200 = Field("", description="Exact outlet, any case")
    beat: Text100 = Field("", description="Exact beat, any case")
    sort: MediaContactSort = "name"


class InteractionIn(InputSchema):
    model_config = example(
        {"kind": "pitch", "summary": "Pitched the launch story.", "occurred_on": "2026-03-03"}
    )

    kind: LoggedKind
    summary: Annotated[str, _trimmed(2000, 1)]
    occurred_on: date | None = Field(None, description="Defaults to today; not in the future")


class InteractionOut(Schema):
    id: int
    media_contact_id: int
    kind: InteractionKind
    occurred_on: date
    summary: str
    release_id: int | None
    coverage_id: int | None
    by: UserRef | None
    created_at: datetime


# --- Press releases ----------------------------------------------------------------------------


class ReleaseIn(InputSchema):
    """A new release is a draft. `body` is HTML; anything outside the allow-list (scripts,
    event handlers, javascript: links, styles, images…) is removed."""

    model_config = example(
        {
            "title": "Revline 2.0 launches",
            "summary": "One record from first click to closed deal.",
            "embargo_until": "2026-04-01T09:00:00Z",
        }
    )

    title: Name200
    summary: Summary = ""
    body: Body = ""
    embargo_until: AwareDatetime | None = None
    campaign_id: RecordId | None = None


class ReleaseTransitionOut(Schema):
    from_status: ReleaseStatus
    to_status: ReleaseStatus
    by: UserRef | None
    at: datetime
    note: str


class ReleaseOut(Schema):
    id: int
    title: str
    summary: str
    body: str = Field(..., description="Sanitised HTML")
    status: ReleaseStatus
    embargo_until: datetime | None
    campaign: PrCampaignRef | None
    distributed_at: datetime | None
    recipients: list[MediaContactRef]
    transitions: list[ReleaseTransitionOut]
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_recipients(obj: Any) -> list[Any]:
        return list(obj.recipients.all())

    @staticmethod
    def resolve_transitions(obj: Any) -> list[Any]:
        return list(obj.transitions.all())


class ReleaseFilters(Schema):
    q: Text200 = Field("", description="Matches the title or summary")
    status: ReleaseStatus | None = None
    campaign_id: RecordId | None = None
    sort: ReleaseSort = "-created_at"


class TransitionIn(InputSchema):
    to_status: Literal["review", "approved", "draft"] = Field(
        ..., description="draft → review, review → approved, review → draft"
    )
    note: Note500 = ""


class DistributeIn(InputSchema):
    recipient_ids: Annotated[list[RecordId], Field(min_length=1, max_length=5000)]
    note: Note500 = ""


# --- Coverage ----------------------------------------------------------------------------------


class CoverageIn(InputSchema):
    """Share of voice counts one mention for us when `about_us`, and one for each competitor."""

    model_config = example(
        {
            "title": "A CRM that closes the loop",
            "outlet": "Tech Weekly",
            "published_on": "2026-04-02",
            "url": "https://techweekly.example/revline",
            "reach": 40000,
            "sentiment": "positive",
            "about_us": True,
        }
    )

    title: Title300
    outlet: Name200
    published_on: date
    url: Url = Field("", description="http(s) address of the piece")
    reach: int = Field(0, ge=0, le=REACH_MAX, description="Estimated audience")
    sentiment: Sentiment = Sentiment.NEUTRAL
    about_us: bool = True
    competitors: Annotated[list[CompetitorName], Field(max_length=COMPETITORS_PER_ENTRY_MAX)] = []
    release_id: RecordId | None = None
    campaign_id: RecordId | None = Field(None, description="Defaults to the release's campaign")
    media_contact_id: RecordId | None = Field(None, description="The journalist who wrote it")
    notes: Notes2000 = ""


class CoverageOut(Schema):
    id: int
    title: str
    outlet: str
    url: str
    published_on: date
    reach: int
    sentiment: Sentiment
    about_us: bool
    competitors: list[str]
    release: ReleaseRef | None
    campaign: PrCampaignRef | None
    media_contact: MediaContactRef | None
    notes: str
    created_at: datetime

    @staticmethod
    def resolve_competitors(obj: Any) -> list[str]:
        return [c.name for c in obj.competitors.all()]


class CoverageFilters(Schema):
    q: Text200 = Field("", description="Matches the title, outlet or notes")
    sentiment: Sentiment | None = None
    about_us: bool | None = None
    competitor: Text100 = Field("", description="A competitor's name, any case")
    release_id: RecordId | None = None
    campaign_id: RecordId | None = None
    published_from: date | None = None
    published_to: date | None = None
    sort: CoverageSort = "-published_on"


# --- Report ------------------------------------------------------------------------------------


class PrReportFilters(Schema):
    start: date | None = Field(None, description="Defaults to 11 months before `end`'s month")
    end: date | None = Field(None, description="Defaults to today")


class MonthOut(Schema):
    month: date
    coverage: int
    reach: int
    positive: int
    neutral: int
    negative: int


class VoiceOut(Schema):
    name: str
    is_us: bool
    mentions: int
    share: float | None = Field(..., description="Percent of all mentions")
    reach: int
    reach_share: float | None


class PrReportOut(Schema):
    start: date
    end: date
    months: list[MonthOut]
    share_of_voice: list[VoiceOut]
    total_mentions: int


# --- Partial updates ---------------------------------------------------------------------------


class MediaContactPatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"beat": "Fintech", "owner_id": None}]}
    )
    clearable: ClassVar[frozenset[str]] = frozenset({"owner_id"})

    name: Name200 | None = None
    outlet: Name200 | None = None
    beat: Text100 | None = None
    email: Email | None = None
    phone: Text50 | None = None
    notes: Notes10000 | None = None
    owner_id: RecordId | None = None


class ReleasePatch(PatchSchema):
    """Only draft releases can be edited; the body is sanitised again."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"title": "Revline 2.0 is out"}]}
    )
    clearable: ClassVar[frozenset[str]] = frozenset({"embargo_until", "campaign_id"})

    title: Name200 | None = None
    summary: Summary | None = None
    body: Body | None = None
    embargo_until: AwareDatetime | None = None
    campaign_id: RecordId | None = None


class CoveragePatch(PatchSchema):
    """`competitors` replaces the list of competitor names."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reach": 120000, "sentiment": "positive"}]}
    )
    clearable: ClassVar[frozenset[str]] = frozenset(
        {"release_id", "campaign_id", "media_contact_id"}
    )

    title: Title300 | None = None
    outlet: Name200 | None = None
    published_on: date | None = None
    url: Url | None = None
    reach: int | None = Field(None, ge=0, le=REACH_MAX)
    sentiment: Sentiment | None = None
    about_us: bool | None = None
    competitors: (
        Annotated[list[CompetitorName], Field(max_length=COMPETITORS_PER_ENTRY_MAX)] | None
    ) = None
    release_id: RecordId | None = None
    campaign_id: RecordId | None = None
    media_contact_id: RecordId | None = None
    notes: Notes2000 | None = None
