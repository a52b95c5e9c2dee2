"""API schemas for contacts, companies, consents and the timeline."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, IPvAnyAddress, StringConstraints, model_validator

from revline.core.api_support import HIDDEN_NAMES, hidden_from_reader
from revline.core.schemas import (
    AwareDatetime,
    CountryCode,
    Email,
    InputSchema,
    LongText,
    Name200,
    PatchSchema,
    TagList,
    TagName,
    Text50,
    Text100,
    Text150,
    Text200,
    UserRef,
    example,
)

from .models import CompanySize, ConsentStatus, LifecycleStage

ContactSort = Literal[
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "last_name",
    "-last_name",
    "email",
    "-email",
    "lifecycle_stage",
    "-lifecycle_stage",
]
CompanySort = Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"]


Purpose = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
    Field(description="What the consent covers, e.g. marketing_email"),
]


def _size_or_blank(value: str) -> str:
    if value and value not in CompanySize.values:
        raise ValueError(f"Choose one of {', '.join(CompanySize.values)}, or leave it empty.")
    return value


SizeOrBlank = Annotated[
    str,
    AfterValidator(_size_or_blank),
    Field(json_schema_extra={"enum": ["", *CompanySize.values]}),
]


class ContactRef(Schema):
    """A contact named inside another record's answer (an order, an invite, a deal's committee).
    A contact the reader may not see keeps its id but not its name or email (docs/permissions)."""

    id: int
    name: str
    email: str

    @staticmethod
    def resolve_name(obj: Any, context: Any) -> str:
        if hidden_from_reader(context, obj, "contact"):
            return HIDDEN_NAMES["contact"]
        return str(obj)

    @staticmethod
    def resolve_email(obj: Any, context: Any) -> str:
        return "" if hidden_from_reader(context, obj, "contact") else str(obj.email)


class CompanyRef(Schema):
    """A company named inside another record's answer; see ContactRef."""

    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any, context: Any) -> str:
        if hidden_from_reader(context, obj, "company"):
            return HIDDEN_NAMES["company"]
        return str(obj.name)


class CompanyIn(InputSchema):
    model_config = example(
        {
            "name": "Analytical Engines Ltd",
            "domain": "engines.example",
            "industry": "Software",
            "size": "51-200",
            "country": "GB",
        }
    )

    name: Name200
    domain: Text200 = ""
    industry: Text100 = ""
    size: SizeOrBlank = ""
    country: CountryCode = ""
    phone: Text50 = ""
    owner_id: int | None = None
    tags: TagList = []


class CompanyPatch(PatchSchema):
    """Only the fields sent are changed; `null` clears `owner_id`."""

    clearable = frozenset({"owner_id"})

    name: Name200 | None = None
    domain: Text200 | None = None
    industry: Text100 | None = None
    size: SizeOrBlank | None = None
    country: CountryCode | None = None
    phone: Text50 | None = None
    owner_id: int | None = None
    tags: TagList | None = None


class CompanyOut(Schema):
    id: int
    name: str
    domain: str
    industry: str
    size: str
    country: str
    phone: str
    owner: UserRef | None
    tags: list[str]
    contact_count: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return [tag.name for tag in obj.tags.all()]

    @staticmethod
    def resolve_contact_count(obj: Any) -> int:
        count = getattr(obj, "contact_count", None)
        return obj.contacts.count() if count is None else int(count)


class CompanyFilters(Schema):
    q: Text200 = Field("", description="Matches name or domain")
    industry: Text100 = ""
    size: CompanySize | None = None
    owner_id: int | None = None
    tag: TagName | None = None
    created_after: AwareDatetime | None = None
    sort: CompanySort = "name"


class ContactIn(InputSchema):
    model_config = example(
        {
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "title": "CTO",
            "company_id": 12,
            "country": "GB",
            "tags": ["webinar"],
        }
    )

    first_name: Text100 = ""
    last_name: Text100 = ""
    email: Email = ""
    phone: Text50 = ""
    title: Text150 = ""
    company_id: int | None = None
    country: CountryCode = ""
    source: Text100 = "api"
    owner_id: int | None = None
    tags: TagList = []

    @model_validator(mode="after")
    def _identifiable(self) -> "ContactIn":
        if not (self.email or self.first_name or self.last_name):
            raise ValueError("Give at least an email, a first name or a last name.")
        return self


class ContactPatch(PatchSchema):
    """Only the fields sent are changed; `null` clears `company_id` and `owner_id`.

    The lifecycle stage is not set here: it moves forward through the lead and deal flows.
    """

    clearable = frozenset({"company_id", "owner_id"})

    first_name: Text100 | None = None
    last_name: Text100 | None = None
    email: Email | None = None
    phone: Text50 | None = None
    title: Text150 | None = None
    company_id: int | None = None
    country: CountryCode | None = None
    owner_id: int | None = None
    tags: TagList | None = None


class ContactOut(Schema):
    id: int
    first_name: str
    last_name: str
    full_name: str
    email: str
    phone: str
    title: str
    company: CompanyRef | None
    country: str
    source: str
    owner: UserRef | None
    tags: list[str]
    lifecycle_stage: LifecycleStage
    lifecycle_changed_at: datetime | None
    # Read-only: the scoring rules and the predictive model set these (ContactIn and
    # ContactPatch refuse them).
    fit_score: int
    engagement_score: int = Field(description="As stored at its last change; decayed daily")
    predicted_probability: float | None
    predicted_tier: str = Field(description="A (top quartile) to D; empty when not scored")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


class ContactFilters(Schema):
    q: Text200 = Field("", description="Matches name, email or company name")
    lifecycle_stage: LifecycleStage | None = None
    owner_id: int | None = None
    company_id: int | None = None
    tag: TagName | None = None
    created_after: AwareDatetime | None = Field(
        None, description="Contacts created at or after this time (ISO 8601; a date means midnight)"
    )
    sort: ContactSort = "-created_at"


class ConsentIn(InputSchema):
    model_config = example(
        {
            "purpose": "email_marketing",
            "granted": True,
            "source": "webinar sign-up",
            "wording": "Send me product news.",
            "wording_version": "2026-01",
        }
    )

    purpose: Purpose
    granted: bool
    source: Name200 = "api"
    wording: LongText = ""
    wording_version: Text50 = ""
    ip_address: IPvAnyAddress | None = None


class ConsentOut(Schema):
    id: int
    purpose: str
    status: ConsentStatus
    recorded_at: datetime
    source: str
    wording: str
    wording_version: str
    ip_address: str | None


class TimelineItemOut(Schema):
    type: Literal["touchpoint", "event"]
    id: int
    kind: str
    occurred_at: datetime
    campaign_id: int | None
    campaign_name: str
    channel: str
    url: str
    deal_id: int | None
    actor_id: int | None
    source: str
    params: dict[str, Any]
