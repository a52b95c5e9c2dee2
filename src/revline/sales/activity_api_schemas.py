"""API schemas for activities, My day, objections, meetings, booking availability and quotas."""

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    ConfigDict,
    StringConstraints,
    model_validator,
)

from revline.core.schemas import (
    AwareDatetime,
    InputSchema,
    LongText,
    MoneyIn,
    MoneyOut,
    Name100,
    Name200,
    PatchSchema,
    Text50,
    Text200,
    UserRef,
)

from .models import Activity, ActivityKind, ObjectionOutcome, QuotaPeriod
from .schemas import ContactRef

Text1000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Text2000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Text5000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
# A wall-clock time without an offset: the window's time_zone says where it is.
ClockTime = Annotated[
    str,
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"),
    AfterValidator(time.fromisoformat),
    Field(description="HH:MM in the window's time zone", examples=["09:00"]),
]


def _forbid(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


# --- activities --------------------------------------------------------------------------------

ActivitySort = Literal["occurred_at", "-occurred_at", "due_at", "-due_at", "subject", "-subject"]
ActivityStatus = Literal["open", "done", "logged"]


class ActivityFilters(Schema):
    q: Text200 = Field("", description="Matches the subject or the notes")
    kind: ActivityKind | None = None
    assigned_to_id: int | None = None
    created_by_id: int | None = None
    deal_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    status: ActivityStatus | None = Field(
        None, description="open: planned, not done; done: planned and completed; logged"
    )
    overdue: bool | None = Field(None, description="Open activities whose due time has passed")
    due_after: AwareDatetime | None = None
    due_before: AwareDatetime | None = None
    sort: ActivitySort = "-occurred_at"


class ActivityDetailOut(Schema):
    id: int
    kind: ActivityKind
    subject: str
    body: str
    status: ActivityStatus
    occurred_at: datetime = Field(description="When it happened; for an open one its due time")
    due_at: datetime | None
    completed_at: datetime | None
    outcome: str
    remind_at: datetime | None
    reminded_at: datetime | None
    deal_id: int | None
    contact_id: int | None
    company_id: int | None
    assigned_to: UserRef | None
    created_by: UserRef | None

    @staticmethod
    def resolve_status(obj: Activity) -> str:
        if obj.due_at is None:
            return "logged"
        return "open" if obj.completed_at is None else "done"


class ActivityCreateIn(InputSchema):
    """Log what happened (no `due_at`), or plan what is to be done (`due_at` given)."""

    model_config = _forbid(
        {
            "kind": "call",
            "subject": "Follow-up call about the proposal",
            "deal_id": 42,
            "due_at": "2026-03-02T10:00:00+01:00",
            "remind_at": "2026-03-02T09:45:00+01:00",
        }
    )

    kind: ActivityKind = ActivityKind.NOTE
    subject: Name200
    body: LongText = ""
    deal_id: int | None = Field(None, description="One of deal, contact or company is required")
    contact_id: int | None = None
    company_id: int | None = None
    occurred_at: AwareDatetime | None = Field(None, description="Logging only; defaults to now")
    due_at: AwareDatetime | None = Field(None, description="Plans the activity (not for notes)")
    assigned_to_id: int | None = Field(None, description="Planning only; defaults to the caller")
    remind_at: AwareDatetime | None = Field(None, description="Planning only; before due_at")

    @model_validator(mode="after")
    def _log_or_plan(self) -> "ActivityCreateIn":
        if self.deal_id is None and self.contact_id is None and self.company_id is None:
            raise ValueError("Give a deal_id, a contact_id or a company_id.")
        if self.due_at is None and (self.assigned_to_id is not None or self.remind_at is not None):
            raise ValueError("Only planned activities (with due_at) have an assignee or reminder.")
        if self.due_at is not None and self.occurred_at is not None:
            raise ValueError("A planned activity happens at its due time: leave out occurred_at.")
        return self


class ActivityPatch(PatchSchema):
    """Only the fields sent are changed. `occurred_at` moves a logged activity, `due_at` a planned
    one; `null` for `remind_at` removes the reminder."""

    model_config = _forbid({"subject": "Call moved to Monday", "due_at": "2026-03-09T10:00:00Z"})
    clearable = frozenset({"remind_at"})

    kind: ActivityKind | None = None
    subject: Name200 | None = None
    body: LongText | None = None
    occurred_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    assigned_to_id: int | None = None
    remind_at: AwareDatetime | None = None


class ActivityCompleteIn(InputSchema):
    model_config = _forbid({"outcome": "Agreed to a trial"})

    outcome: Text200 = ""


# --- My day ------------------------------------------------------------------------------------


class DayMeetingOut(Schema):
    starts_at: datetime
    ends_at: datetime | None
    title: str
    contact: ContactRef | None
    deal_id: int | None
    activity_id: int | None
    booked_online: bool
    done: bool

    @staticmethod
    def resolve_activity_id(obj: Any) -> int | None:
        return obj.activity.pk if obj.activity is not None else None


class DealBriefOut(Schema):
    id: int
    name: str
    amount: MoneyOut
    currency: str
    stage: str
    expected_close_date: date | None

    @staticmethod
    def resolve_stage(obj: Any) -> str:
        return obj.stage.name


class StaleDealOut(Schema):
    deal: DealBriefOut
    days_in_stage: int
    stale_after_days: int


class MyDayOut(Schema):
    user: UserRef
    day: date
    week_start: date
    week_end: date
    overdue: list[ActivityDetailOut]
    today: list[ActivityDetailOut]
    meetings: list[DayMeetingOut]
    stale_deals: list[StaleDealOut]
    closing_deals: list[DealBriefOut] = Field(description="Expected to close this week")


# --- objection library -------------------------------------------------------------------------

ObjectionTypeSort = Literal["position", "-position", "name", "-name", "raised", "-raised"]


class ObjectionTypeFilters(Schema):
    q: Text200 = Field("", description="Matches the name or the description")
    is_active: bool | None = None
    sort: ObjectionTypeSort = "position"


class ObjectionResponseOut(Schema):
    id: int
    objection_type_id: int
    title: str
    body: str
    position: int
    is_active: bool


class ObjectionTypeOut(Schema):
    id: int
    name: str
    description: str
    position: int
    is_active: bool
    content_ids: list[int]
    raised: int = Field(description="Times raised on deals the caller may see")
    deals: int
    won_deals: int
    lost_deals: int

    @staticmethod
    def resolve_content_ids(obj: Any) -> list[int]:
        return sorted(item.pk for item in obj.content.all())


class ResponseUsageOut(ObjectionResponseOut):
    uses: int
    won_after: int
    lost_after: int
    win_rate: float | None


class ObjectionTypeDetailOut(ObjectionTypeOut):
    responses: list[ResponseUsageOut] = Field(description="Retired ones too, active ones first")

    @staticmethod
    def resolve_responses(obj: Any) -> list[dict[str, Any]]:
        return list(obj.responses_out)


class ObjectionTypeIn(InputSchema):
    model_config = _forbid(
        {"name": "Security review", "description": "IT must approve new vendors first."}
    )

    name: Name100
    description: Text2000 = ""
    content_ids: list[int] = Field([], max_length=100, description="Content items reps can send")
    position: int | None = Field(None, ge=0, le=100_000, description="Defaults to last")
    is_active: bool = True


class ObjectionTypePatch(PatchSchema):
    model_config = _forbid({"is_active": False})

    name: Name100 | None = None
    description: Text2000 | None = None
    content_ids: list[int] | None = Field(None, max_length=100)
    position: int | None = Field(None, ge=0, le=100_000)
    is_active: bool | None = None


class ObjectionResponseIn(InputSchema):
    model_config = _forbid(
        {"title": "Cost of doing nothing", "body": "Show what the delay costs per month."}
    )

    title: Name200
    body: Text5000 = ""


class ObjectionResponsePatch(PatchSchema):
    model_config = _forbid({"is_active": False})

    title: Name200 | None = None
    body: Text5000 | None = None
    is_active: bool | None = None


# --- objections on deals -----------------------------------------------------------------------

ObjectionSort = Literal["raised_at", "-raised_at", "updated_at", "-updated_at"]


class ObjectionFilters(Schema):
    deal_id: int | None = None
    objection_type_id: int | None = None
    outcome: ObjectionOutcome | None = None
    overcome: bool | None = Field(None, description="true: overcome; false: open or not overcome")
    raised_after: AwareDatetime | None = None
    raised_before: AwareDatetime | None = None
    sort: ObjectionSort = "-raised_at"


class NamedRef(Schema):
    id: int
    name: str


class ObjectionOut(Schema):
    id: int
    deal_id: int
    objection_type: NamedRef
    buyer_words: str
    stage: NamedRef
    response: ObjectionResponseOut | None
    response_notes: str
    outcome: ObjectionOutcome
    raised_at: datetime
    logged_by: UserRef | None
    updated_at: datetime


class ObjectionIn(InputSchema):
    model_config = _forbid(
        {
            "deal_id": 42,
            "objection_type_id": 1,
            "buyer_words": "Your competitor is 20% cheaper.",
            "outcome": "open",
        }
    )

    deal_id: int
    objection_type_id: int
    buyer_words: LongText = ""
    stage_id: int | None = Field(None, description="Defaults to the deal's current stage")
    response_id: int | None = Field(None, description="A response of the same objection type")
    response_notes: LongText = ""
    outcome: ObjectionOutcome = ObjectionOutcome.OPEN
    raised_at: AwareDatetime | None = Field(None, description="Defaults to now")


class ObjectionPatch(PatchSchema):
    """How the objection was answered; `null` for `response_id` clears the response."""

    model_config = _forbid({"outcome": "overcome", "response_id": 3})
    clearable = frozenset({"response_id"})

    outcome: ObjectionOutcome | None = None
    response_id: int | None = None
    response_notes: LongText | None = None


class ObjectionReportFilters(Schema):
    pipeline_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    start: date | None = Field(None, description="First day of the period (inclusive)")
    end: date | None = Field(None, description="Last day of the period (inclusive)")

    @model_validator(mode="after")
    def _ordered(self) -> "ObjectionReportFilters":
        if self.start and self.end and self.end < self.start:
            raise ValueError("The end date must not be before the start date.")
        return self


class StageCountOut(Schema):
    stage_id: int
    count: int


class ResponseStatsOut(Schema):
    response_id: int
    title: str
    uses: int
    won_after: int
    lost_after: int
    overcome: int
    win_rate: float | None


class TypeStatsOut(Schema):
    type_id: int
    name: str
    raised: int
    deals: int
    by_stage: list[StageCountOut]
    overcome: int
    not_overcome: int
    overcome_rate: float | None
    won_with: int
    lost_with: int
    win_rate_with: float | None = Field(description="Win rate of closed deals where it was raised")
    won_without: int
    lost_without: int
    win_rate_without: float | None
    difference: float | None = Field(description="win_rate_with − win_rate_without, in points")
    responses: list[ResponseStatsOut]


class StageLabelOut(Schema):
    id: int
    label: str


class ObjectionReportOut(Schema):
    raised: int
    closed_deals: int
    won_deals: int
    win_rate: float | None
    stages: list[StageLabelOut]
    types: list[TypeStatsOut]
    worst_type_ids: list[int] = Field(
        description="Types whose deals are won least often (raised on enough closed deals)"
    )
    min_closed: int


# --- meetings and availability -----------------------------------------------------------------


class MeetingFilters(Schema):
    user_id: int | None = None
    contact_id: int | None = None
    deal_id: int | None = None
    starts_after: AwareDatetime | None = None
    starts_before: AwareDatetime | None = None
    sort: Literal["starts_at", "-starts_at", "created_at", "-created_at"] = "starts_at"


class MeetingOut(Schema):
    id: int
    user: UserRef
    contact: ContactRef
    starts_at: datetime
    ends_at: datetime
    deal_id: int | None
    activity_id: int | None
    creative_id: int | None = Field(description="The booking CTA it was booked through")
    notes: str
    created_at: datetime


class MeetingCancelIn(InputSchema):
    model_config = _forbid({"reason": "The buyer asked to move it to next month."})

    reason: Text1000 = ""


class AvailabilityFilters(Schema):
    user_id: int | None = Field(None, description="Defaults to the caller")


class AvailabilityOut(Schema):
    id: int
    user_id: int
    weekday: int = Field(description="0 = Monday")
    start_time: str = Field(description="HH:MM in time_zone", examples=["09:00"])
    end_time: str = Field(description="HH:MM in time_zone", examples=["12:00"])
    slot_minutes: int
    time_zone: str

    @staticmethod
    def resolve_start_time(obj: Any) -> str:
        return f"{obj.start_time:%H:%M}"

    @staticmethod
    def resolve_end_time(obj: Any) -> str:
        return f"{obj.end_time:%H:%M}"


class AvailabilityIn(InputSchema):
    model_config = _forbid(
        {
            "weekday": 0,
            "start_time": "09:00",
            "end_time": "12:00",
            "slot_minutes": 30,
            "time_zone": "Europe/Berlin",
        }
    )

    user_id: int | None = Field(None, description="Defaults to the caller")
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    start_time: ClockTime
    end_time: ClockTime
    slot_minutes: int = Field(30, ge=1, le=1440)
    time_zone: Text50 = "UTC"


class AvailabilityPatch(PatchSchema):
    model_config = _forbid({"end_time": "13:00"})

    weekday: int | None = Field(None, ge=0, le=6)
    start_time: ClockTime | None = None
    end_time: ClockTime | None = None
    slot_minutes: int | None = Field(None, ge=1, le=1440)
    time_zone: Text50 | None = None


# --- quotas ------------------------------------------------------------------------------------


class QuotaFilters(Schema):
    user_id: int | None = None
    period: QuotaPeriod | None = None
    year: int | None = Field(None, ge=1, le=9999)
    starts_from: date | None = None
    starts_until: date | None = None
    sort: Literal["period_start", "-period_start", "amount", "-amount"] = "-period_start"


class QuotaOut(Schema):
    id: int
    user: UserRef
    period: QuotaPeriod
    period_start: date
    amount: MoneyOut
    currency: str = Field(description="The workspace currency")

    @staticmethod
    def resolve_currency(obj: Any) -> str:
        return str(settings.CURRENCY)


class QuotaIn(InputSchema):
    """Set a rep's quota for one month or quarter (creates it, or changes the existing one)."""

    model_config = _forbid(
        {"user_id": 7, "period": "quarter", "period_start": "2026-04-01", "amount": "90000.00"}
    )

    user_id: int
    period: QuotaPeriod
    period_start: date = Field(description="The first day of the month or quarter")
    amount: MoneyIn


class QuotaPatch(PatchSchema):
    model_config = _forbid({"amount": "95000.00"})

    amount: MoneyIn | None = None
