"""API schemas for the feedback inbox, its topics (themes) and theme runs."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from revline.core.listing import MAX_ID
from revline.core.schemas import AwareDatetime, InputSchema, PatchSchema, Text200, UserRef

from .models import FeedbackSource, RunStatus, Sentiment
from .services import MAX_TEXT, TOPIC_NAME_MAX

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
FeedbackText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
]
Score = Annotated[int, Field(ge=0, le=10, description="E.g. how likely they are to recommend us")]
TopicName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TOPIC_NAME_MAX)
]
FeedbackSort = Literal[
    "occurred_at", "-occurred_at", "sentiment_score", "-sentiment_score", "score", "-score"
]


class FeedbackFilters(Schema):
    q: Text200 = Field("", description="Matches the text, the contact, company or deal")
    source: FeedbackSource | None = None
    sentiment: Sentiment | None = None
    topic_id: Id | None = None
    no_topic: bool = Field(False, description="Only items no theme run has placed yet")
    date_from: date | None = Field(None, description="Given on or after this day")
    date_to: date | None = Field(None, description="Given on or before this day")
    segment_id: Id | None = Field(None, description="Only feedback of the segment's contacts")
    sort: FeedbackSort = "-occurred_at"


class FeedbackIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "The reports are great but exporting is slow.",
                    "contact_id": 12,
                    "score": 8,
                }
            ]
        },
    )

    text: FeedbackText
    occurred_at: AwareDatetime | None = Field(None, description="Empty: now; never in the future")
    contact_id: Id | None = None
    company_id: Id | None = Field(None, description="Empty: the contact's or the deal's")
    deal_id: Id | None = None
    score: Score | None = None


class FeedbackPatch(PatchSchema):
    """`text`, `score` and `occurred_at` change feedback entered by hand (by its author or an
    editor); `topic_id` moves any item to a topic, or out of topics with null (editors)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"topic_id": 3}, {"score": 9}]}
    )
    clearable = frozenset({"score", "topic_id"})

    text: FeedbackText | None = None
    occurred_at: AwareDatetime | None = None
    score: Score | None = None
    topic_id: Id | None = None


class Ref(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class FeedbackOut(Schema):
    id: int
    source: FeedbackSource
    source_id: int | None
    text: str
    sentiment: Sentiment
    sentiment_score: float
    score: int | None
    topic: Ref | None
    contact: Ref | None
    company: Ref | None
    deal: Ref | None
    url: str = Field(description="Where to read it in context: a path inside the app, or empty")
    occurred_at: datetime
    created_by: UserRef | None
    created_at: datetime


class TopicOut(Schema):
    id: int
    name: str
    top_terms: list[str]
    is_renamed: bool = Field(description="Named by a person: later runs keep the name")
    items: int = Field(description="Items in the topic that the caller may see")
    run_id: int | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_items(obj: Any) -> int:
        return int(obj.item_count)


class TopicFilters(Schema):
    q: Text200 = Field("", description="Matches the name")
    sort: Literal["name", "-name", "items", "-items", "created_at", "-created_at"] = Field(
        "name", description="`items`: by the number of items"
    )


class TopicPatch(InputSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Slow exports"}]}
    )

    name: TopicName


class MergeIn(InputSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"into_id": 4}]})

    into_id: Id = Field(description="The topic that receives the items; this one is deleted")


class ThemeRunIn(InputSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"n_topics": 8}]})

    n_topics: Annotated[int, Field(ge=2, le=20)] | None = Field(
        None, description="Empty: the best number from 2 to 20 is chosen"
    )


class ThemeRunOut(Schema):
    id: int
    status: RunStatus
    requested_by: UserRef | None
    requested_at: datetime
    finished_at: datetime | None
    parameters: dict[str, Any]
    item_count: int
    topic_count: int
    message: str
