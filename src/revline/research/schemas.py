"""API schemas for personas, research notes and market insights."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from revline.core.listing import MAX_ID
from revline.core.schemas import (
    InputSchema,
    LongText,
    MoneyOut,
    Name100,
    PatchSchema,
    Text200,
    UserRef,
)
from revline.segments.schemas import DEFINITION_HELP

from .models import NoteKind

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(max_length=200_000)]
Day = date  # a field named `date` hides the type in its class
Ids = Annotated[list[int], Field(max_length=100)]


PERSONA_EXAMPLE: dict[str, Any] = {
    "name": "Software VP",
    "goals": "Ship faster\nHire well",
    "typical_titles": "VP Engineering",
    "definition": {
        "match": "all",
        "conditions": [{"field": "company.industry", "op": "is", "value": "Software"}],
    },
}
NOTE_EXAMPLE: dict[str, Any] = {
    "title": "Interview with a churned customer",
    "body": "<p>They left over <strong>pricing</strong>.</p>",
    "kind": "interview",
    "date": "2026-03-05",
    "personas": [1],
}


class PersonaIn(InputSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PERSONA_EXAMPLE]})

    name: Name100
    description: LongText = ""
    goals: LongText = Field("", description="One per line")
    pains: LongText = Field("", description="One per line")
    typical_titles: LongText = Field("", description="One per line")
    typical_industries: LongText = Field("", description="One per line")
    definition: dict[str, Any] = Field(..., description="The persona's rule. " + DEFINITION_HELP)


class PersonaPatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"pains": "Slow releases"}]}
    )

    name: Name100 | None = None
    description: LongText | None = None
    goals: LongText | None = None
    pains: LongText | None = None
    typical_titles: LongText | None = None
    typical_industries: LongText | None = None
    definition: dict[str, Any] | None = Field(None, description=DEFINITION_HELP)


class PersonaOut(Schema):
    id: int
    name: str
    description: str
    goals: str
    pains: str
    typical_titles: str
    typical_industries: str
    definition: dict[str, Any]
    contact_count: int | None = Field(
        None, description="Contacts matching the rule now; null when the rule needs fixing"
    )
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime


class PersonaFilters(Schema):
    q: Text200 = Field("", description="Matches the name, description, titles or industries")
    sort: Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"] = (
        "name"
    )


class TagRef(Schema):
    id: int
    name: str


class NoteContentRef(Schema):
    id: int
    title: str


class NoteIn(InputSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [NOTE_EXAMPLE]})

    title: Title
    body: Body = Field("", description="HTML; reduced to the allow-list of docs/research-notes.md")
    kind: NoteKind = NoteKind.OTHER
    date: date
    personas: Ids = []
    competitors: Ids = []
    segments: Ids = []
    informs: Ids = Field([], description="Ids of the content items the note informs")


class NotePatch(PatchSchema):
    """Only the fields sent change; a tag list sent replaces that list."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"kind": "market_research"}]}
    )

    title: Title | None = None
    body: Body | None = None
    kind: NoteKind | None = None
    date: Day | None = None
    personas: Ids | None = None
    competitors: Ids | None = None
    segments: Ids | None = None
    informs: Ids | None = None


class NoteOut(Schema):
    id: int
    title: str
    body: str = Field(..., description="Sanitised HTML")
    kind: str
    date: date
    author: UserRef | None
    personas: list[TagRef]
    competitors: list[TagRef]
    segments: list[TagRef]
    informs: list[NoteContentRef]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_personas(obj: Any) -> list[Any]:
        return list(obj.personas.all())

    @staticmethod
    def resolve_competitors(obj: Any) -> list[Any]:
        return list(obj.competitors.all())

    @staticmethod
    def resolve_segments(obj: Any) -> list[Any]:
        return list(obj.segments.all())

    @staticmethod
    def resolve_informs(obj: Any) -> list[Any]:
        return list(obj.informs.all())


class NoteFilters(Schema):
    q: Text200 = Field("", description="Matches the title or text")
    kind: NoteKind | None = None
    persona: int | None = Field(None, ge=1, le=MAX_ID, description="Notes tagged with this persona")
    competitor: int | None = Field(None, ge=1, le=MAX_ID)
    segment: int | None = Field(None, ge=1, le=MAX_ID)
    sort: Literal["date", "-date", "title", "-title", "updated_at", "-updated_at"] = "-date"


class InsightFilters(Schema):
    date_from: date | None = Field(None, description="Contacts created on or after this day")
    date_to: date | None = Field(None, description="Contacts created on or before this day")
    predict: bool = Field(False, description="Add the predicted customer value (slower)")


class GroupOut(Schema):
    key: str
    label: str
    contacts: int
    customers: int
    conversion_rate: float | None = Field(..., description="Percent of contacts now customers")
    deals: int
    deals_per_contact: float | None
    won: int
    lost: int
    win_rate: float | None = Field(..., description="Percent of closed deals won")
    avg_won_deal: MoneyOut | None
    median_cycle_days: float | None
    revenue_per_customer: MoneyOut | None
    avg_predicted_value: MoneyOut | None
    under_served: bool
    profitable: bool


class DimensionOut(Schema):
    key: str
    label: str
    median_contacts: float | None
    groups: list[GroupOut]
    overall: GroupOut


class InsightsOut(Schema):
    currency: str
    date_from: date | None
    date_to: date | None
    predicted: bool
    prediction_note: str
    dimensions: list[DimensionOut]


def group_out(row: Any) -> dict[str, Any]:
    f = row.facts
    return {
        "key": f.key,
        "label": f.label,
        "contacts": f.contacts,
        "customers": f.customers,
        "conversion_rate": row.conversion_rate,
        "deals": f.deals,
        "deals_per_contact": row.deals_per_contact,
        "won": f.won,
        "lost": f.lost,
        "win_rate": row.win_rate,
        "avg_won_deal": row.avg_won_deal,
        "median_cycle_days": row.median_cycle_days,
        "revenue_per_customer": row.revenue_per_customer,
        "avg_predicted_value": row.avg_predicted_value,
        "under_served": row.under_served,
        "profitable": row.profitable,
    }
