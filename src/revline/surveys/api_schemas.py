"""API schemas for surveys: the survey, its questions (of the newest version), distributions,
invites, responses and results."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from revline.core.listing import MAX_ID
from revline.core.schemas import (
    InputSchema,
    LongText,
    Name200,
    PatchSchema,
    Text200,
    UserRef,
)
from revline.people.models import LifecycleStage
from revline.people.schemas import ContactRef

from .models import QuestionKind, SurveyStatus

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=80, pattern=r"^[a-z0-9-]*$"),
    Field(description="The public address /s/<slug>/; lower-case letters, digits, hyphens"),
]
SetSlug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[a-z0-9-]+$"),
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
HelpText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]

SurveySort = Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"]


class SurveyIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Customer NPS, Q3",
                    "intro": "Two minutes, three questions.",
                    "allow_anonymous": True,
                }
            ]
        },
    )

    name: Name200
    slug: Slug = Field("", description="Empty: made from the name")
    intro: LongText = ""
    thank_you: LongText = "Thank you for your answers!"
    allow_anonymous: bool = False
    allow_repeat: bool = False


class SurveyPatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"intro": "It takes a minute."}]}
    )

    name: Name200 | None = None
    slug: SetSlug | None = None
    intro: LongText | None = None
    thank_you: LongText | None = None
    allow_anonymous: bool | None = None
    allow_repeat: bool | None = None


class SurveyOut(Schema):
    id: int
    name: str
    slug: str
    status: SurveyStatus
    intro: str
    thank_you: str
    allow_anonymous: bool
    allow_repeat: bool
    live_version: int | None = Field(description="The number of the version the public page shows")
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_live_version(obj: Any) -> int | None:
        return obj.live_version.number if obj.live_version_id else None


class LogicRule(Schema):
    model_config = ConfigDict(extra="forbid")

    op: Literal["eq", "lte", "gte", "includes"]
    value: (
        Annotated[int, Field(ge=-1000, le=1000)] | Annotated[str, StringConstraints(max_length=200)]
    )
    goto: Annotated[str, StringConstraints(min_length=1, max_length=16)] = Field(
        description='The key of a later question, or "end"'
    )


class QuestionOut(Schema):
    id: int
    key: str = Field(description="Stable across versions")
    version: int = Field(description="The number of the version the question belongs to")
    position: int
    kind: QuestionKind
    label: str
    help_text: str
    required: bool
    options: list[str]
    scale_max: int
    logic: list[dict[str, Any]]

    @staticmethod
    def resolve_version(obj: Any) -> int:
        return int(obj.version.number)


class SurveyDetailOut(SurveyOut):
    version: int = Field(description="The newest version: the one the questions below are of")
    version_locked: bool = Field(description="Has responses: the next edit starts a new version")
    response_count: int | None = Field(
        description="Null for a sales rep or manager whose contact visibility is not 'all' "
        "(it counts every respondent)"
    )
    questions: list[QuestionOut]


class QuestionIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "nps", "label": "How likely are you to recommend us?", "required": True},
                {"kind": "single", "label": "Which plan?", "options": ["Free", "Team"]},
            ]
        },
    )

    kind: QuestionKind
    label: Label
    help_text: HelpText = ""
    required: bool = False
    options: Annotated[list[Option], Field(max_length=50)] = Field(
        [], description="Choice questions: 2 to 20 options"
    )
    scale_max: Annotated[int, Field(ge=2, le=10)] = Field(5, description="Rating questions: 1..N")
    logic: Annotated[list[LogicRule], Field(max_length=10)] = []


class QuestionPatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"label": "Would you recommend us?"}]}
    )

    kind: QuestionKind | None = None
    label: Label | None = None
    help_text: HelpText | None = None
    required: bool | None = None
    options: Annotated[list[Option], Field(max_length=50)] | None = None
    scale_max: Annotated[int, Field(ge=2, le=10)] | None = None
    logic: Annotated[list[LogicRule], Field(max_length=10)] | None = None


class MoveIn(InputSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"direction": "up"}]})

    direction: Literal["up", "down"]


class SurveyFilters(Schema):
    q: Text200 = Field("", description="Matches the name or the slug")
    status: SurveyStatus | None = None
    sort: SurveySort = "-updated_at"


class DistributionIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "segment_id": 3,
                    "subject": "A quick question from {workspace}",
                    "message": "We would love to hear what you think.",
                }
            ]
        },
    )

    segment_id: Id
    subject: Subject
    message: Message


class DistributionOut(Schema):
    id: int
    segment_id: int | None
    segment_name: str
    subject: str
    message: str
    invited: int
    skipped: int
    created_by: UserRef | None
    created_at: datetime


class DistributionResultOut(Schema):
    distribution: DistributionOut
    invited: int = Field(description="New invites, emailed in the background")
    already: int = Field(description="Contacts invited before (never emailed twice)")
    skipped: dict[str, int] = Field(description="Contacts not invited, by reason")


class InviteOut(Schema):
    id: int
    contact: ContactRef
    distribution_id: int | None
    created_at: datetime
    sent_at: datetime | None
    send_error: str
    responded_at: datetime | None


class InviteFilters(Schema):
    state: Literal["sent", "unsent", "failed", "answered", "unanswered"] | None = None


class AnswerOut(Schema):
    question_key: str
    question: str
    kind: QuestionKind
    number: int | None
    choice: str
    text: str

    @staticmethod
    def resolve_question_key(obj: Any) -> str:
        return str(obj.question.key)

    @staticmethod
    def resolve_question(obj: Any) -> str:
        return str(obj.question.label)

    @staticmethod
    def resolve_kind(obj: Any) -> str:
        return str(obj.question.kind)


class ResponseOut(Schema):
    id: int
    version: int
    contact: ContactRef | None
    submitted_at: datetime
    is_anonymous: bool
    nps: int | None
    csat: int | None

    @staticmethod
    def resolve_version(obj: Any) -> int:
        return int(obj.version.number)


class ResponseDetailOut(ResponseOut):
    answers: list[AnswerOut]

    @staticmethod
    def resolve_answers(obj: Any) -> list[Any]:
        return list(obj.answers.all())


class ResponseFilters(Schema):
    contact_id: Id | None = None
    date_from: date | None = Field(None, description="Submitted on or after this day")
    date_to: date | None = Field(None, description="Submitted on or before this day")
    sort: Literal["submitted_at", "-submitted_at"] = "-submitted_at"


class ResultFiltersIn(Schema):
    company: Id | None = None
    stage: LifecycleStage | None = None
    date_from: date | None = None
    date_to: date | None = None
    period: Literal["week", "month"] = "week"


class NpsOut(Schema):
    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None


class TrendOut(Schema):
    period: date
    nps: NpsOut


class CsatOut(Schema):
    responses: int
    satisfied: int
    score: float | None
    mean: float | None


class SurveyResultsOut(Schema):
    responses: int
    nps: NpsOut | None
    csat: CsatOut | None
    trend: list[TrendOut]
