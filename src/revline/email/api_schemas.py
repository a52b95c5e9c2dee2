"""API schemas for email templates, campaign emails and their sends, sequences and contact
imports. Content is checked (and HTML sanitised) by the services, not here: these schemas only
bound sizes and types so that bad input is a 422, never a 500."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from revline.core.schemas import (
    AwareDatetime,
    Email,
    InputSchema,
    LongText,
    Name100,
    Name200,
    PatchSchema,
    Text100,
    Text200,
    UserRef,
)
from revline.people.models import DuplicatePolicy, ImportKind, ImportStatus

from .models import (
    EmailKind,
    EmailStatus,
    EnrollmentState,
    SendState,
    SequenceStatus,
    SequenceTrigger,
    StepKind,
    TemplateFormat,
)

MAX_HTML = 100_000
MAX_BLOCKS = 200
MAX_RATE = 100_000
# A CSV sent as JSON text; the service also applies the workspace's upload limit.
MAX_CSV_CHARS = 50_000_000

Text300 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Address = Annotated[Email, StringConstraints(min_length=3), Field(description="An email address")]
Blocks = Annotated[
    list[dict[str, Any]],
    Field(
        max_length=MAX_BLOCKS,
        description='Blocks, e.g. [{"type": "heading", "text": "Hello"}, '
        '{"type": "text", "text": "Hi {{ contact.first_name }}"}]',
    ),
]
Html = Annotated[str, Field(max_length=MAX_HTML, description="The HTML body; it is sanitised")]


class EmailRelationRef(Schema):
    id: int
    name: str


class RecipientRef(Schema):
    id: int
    full_name: str
    email: str


# --- Templates ---------------------------------------------------------------------------------

TemplateSort = Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"]


class TemplateFilters(Schema):
    q: Text200 = Field("", description="Matches the name or subject")
    body_format: TemplateFormat | None = None
    sort: TemplateSort = "name"


class TemplateIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Welcome",
                    "subject": "Welcome, {{ contact.first_name|default:'there' }}",
                    "body_format": "blocks",
                    "blocks": [{"type": "text", "text": "Thanks for signing up."}],
                }
            ]
        },
    )

    name: Name200
    subject: Text300 = Field(..., examples=["Our spring offer"])
    preheader: Text300 = ""
    body_format: TemplateFormat = TemplateFormat.BLOCKS
    blocks: Blocks = []
    html: Html = ""


class TemplatePatch(PatchSchema):
    name: Name200 | None = None
    subject: Text300 | None = None
    preheader: Text300 | None = None
    body_format: TemplateFormat | None = None
    blocks: Blocks | None = None
    html: Html | None = None


class TemplateOut(Schema):
    id: int
    name: str
    subject: str
    preheader: str
    body_format: TemplateFormat
    blocks: list[dict[str, Any]]
    html: str
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime


class TestSendIn(InputSchema):
    to: Address = Field(..., examples=["me@example.com"])
    contact_id: int | None = Field(None, description="Personalise as this contact (else a sample)")


class TestSendOut(Schema):
    to: str
    subject: str


# --- Campaign emails and sends -------------------------------------------------------------------

EmailSort = Literal[
    "name",
    "-name",
    "created_at",
    "-created_at",
    "scheduled_at",
    "-scheduled_at",
    "started_at",
    "-started_at",
]


class EmailFilters(Schema):
    q: Text200 = Field("", description="Matches the name or subject")
    status: EmailStatus | None = None
    segment_id: int | None = None
    campaign_id: int | None = None
    sort: EmailSort = "-created_at"


class EmailIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Spring newsletter", "template_id": 1, "segment_id": 2, "topic_id": 1}
            ]
        },
    )

    name: Name200
    template_id: int | None = Field(None, description="The content is copied from it")
    segment_id: int | None = Field(None, description="The audience; required to send")
    topic_id: int | None = None
    campaign_id: int | None = None
    from_name: Text100 = ""
    from_email: Email = ""
    reply_to: Email = ""
    rate_per_minute: int = Field(600, ge=0, le=MAX_RATE, description="0 means no limit")


class EmailPatch(PatchSchema):
    """Drafts only; `null` clears the template, segment, topic or campaign."""

    clearable = frozenset({"template_id", "segment_id", "topic_id", "campaign_id"})

    name: Name200 | None = None
    template_id: int | None = None
    segment_id: int | None = None
    topic_id: int | None = None
    campaign_id: int | None = None
    from_name: Text100 | None = None
    from_email: Email | None = None
    reply_to: Email | None = None
    rate_per_minute: int | None = Field(None, ge=0, le=MAX_RATE)


class EmailOut(Schema):
    id: int
    name: str
    kind: EmailKind
    status: EmailStatus
    template: EmailRelationRef | None
    segment: EmailRelationRef | None
    topic: EmailRelationRef | None
    campaign: EmailRelationRef | None
    subject: str
    preheader: str
    body_format: TemplateFormat
    from_name: str
    from_email: str
    reply_to: str
    rate_per_minute: int
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime


class ScheduleIn(InputSchema):
    scheduled_at: AwareDatetime = Field(..., examples=["2030-05-01T09:00:00+02:00"])


class LinkStatsOut(Schema):
    url: str
    clicks: int
    unique: int
    rate: float | None


class EmailStatsOut(Schema):
    recipients: int = Field(description="Sends not skipped")
    sent: int = Field(description="Handed to the mail server")
    delivered: int
    bounced: int
    opened: int = Field(description="Unique opens")
    clicked: int = Field(description="Unique clicks")
    opens_total: int
    clicks_total: int
    unsubscribed: int
    complained: int
    skipped: int
    failed: int
    queued: int
    open_rate: float | None = Field(description="Percent of delivered")
    click_rate: float | None
    bounce_rate: float | None
    unsubscribe_rate: float | None
    leads_influenced: int
    links: list[LinkStatsOut]


SendSort = Literal["queued_at", "-queued_at", "sent_at", "-sent_at", "to_address", "-to_address"]


class SendFilters(Schema):
    state: SendState | None = None
    q: Text200 = Field("", description="Part of the recipient address")
    sort: SendSort = "-queued_at"


class SendOut(Schema):
    id: int
    contact: RecipientRef
    to_address: str
    state: SendState
    reason: str
    attempts: int
    queued_at: datetime
    sent_at: datetime | None
    first_opened_at: datetime | None
    first_clicked_at: datetime | None
    open_count: int
    click_count: int
    unsubscribed_at: datetime | None
    bounced_at: datetime | None
    complained_at: datetime | None


# --- Sequences -------------------------------------------------------------------------------------

SequenceSort = Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"]
TriggerConfig = Annotated[
    dict[str, Any],
    Field(
        description='By trigger: {"form_id": 3} / {"segment_id": 5} / {"score": 50} / '
        '{"stage_id": 4} / {"field": "created_at", "days_after": 7}'
    ),
]
StepConfig = Annotated[
    dict[str, Any],
    Field(
        description='By kind: wait {"days": 2, "hours": 0}; send_email {"email_id": 9}; '
        'update_field {"field": "title", "value": "CTO"} or {"add_tag": "x"}; '
        'change_lifecycle {"stage": "mql"}; notify_owner {"message": "..."}; '
        'create_task {"subject": "...", "due_in_days": 2}; '
        'branch {"segment_id": 5, "else_position": 4}'
    ),
]


class SequenceFilters(Schema):
    q: Text200 = Field("", description="Matches the name or description")
    status: SequenceStatus | None = None
    trigger: SequenceTrigger | None = None
    sort: SequenceSort = "name"


class SequenceIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Welcome series",
                    "trigger": "score_crossed",
                    "trigger_config": {"score": 50},
                }
            ]
        },
    )

    name: Name200
    description: LongText = ""
    trigger: SequenceTrigger
    trigger_config: TriggerConfig = {}
    allow_reentry: bool = False
    is_marketing: bool = True


class SequencePatch(PatchSchema):
    """Status moves with /activate and /pause."""

    name: Name200 | None = None
    description: LongText | None = None
    trigger: SequenceTrigger | None = None
    trigger_config: TriggerConfig | None = None
    allow_reentry: bool | None = None
    is_marketing: bool | None = None


class SequenceOut(Schema):
    id: int
    name: str
    description: str
    trigger: SequenceTrigger
    trigger_config: dict[str, Any]
    allow_reentry: bool
    is_marketing: bool
    status: SequenceStatus
    step_count: int
    active_count: int
    completed_count: int
    exited_count: int
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime


class StepIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "wait", "config": {"days": 2}}]},
    )

    kind: StepKind
    config: StepConfig = {}
    position: int | None = Field(None, ge=0, le=10_000, description="Insert before; else last")
    new_email_template_id: int | None = Field(
        None, description="send_email: make the automated email from this template"
    )
    new_email_name: Text200 = ""


class StepPatch(InputSchema):
    config: StepConfig
    new_email_template_id: int | None = None
    new_email_name: Text200 = ""


class StepMoveIn(InputSchema):
    direction: Literal["up", "down"]


class StepOut(Schema):
    id: int
    position: int
    kind: StepKind
    config: dict[str, Any]


EnrollmentSort = Literal["entered_at", "-entered_at", "finished_at", "-finished_at"]


class EnrollmentFilters(Schema):
    state: EnrollmentState | None = None
    contact_id: int | None = None
    sort: EnrollmentSort = "-entered_at"


class EnrollIn(InputSchema):
    contact_id: int = Field(..., examples=[42])


class EnrollmentOut(Schema):
    id: int
    contact: RecipientRef
    state: EnrollmentState
    position: int
    next_run_at: datetime | None
    entered_at: datetime
    finished_at: datetime | None
    exit_reason: str


# --- Contact imports -------------------------------------------------------------------------------

ImportSort = Literal["created_at", "-created_at", "file_name", "-file_name"]


class ImportFilters(Schema):
    q: Text200 = Field("", description="Part of the file name")
    status: ImportStatus | None = None
    kind: ImportKind | None = None
    sort: ImportSort = "-created_at"


class ImportIn(InputSchema):
    """The CSV travels as text in the JSON body (UTF-8); the upload page takes CSV and XLSX."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "contacts",
                    "file_name": "fair-2026.csv",
                    "csv": "email,first_name\nada@example.com,Ada\n",
                }
            ]
        },
    )

    kind: ImportKind = ImportKind.CONTACTS
    file_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] = (
        "upload.csv"
    )
    csv: str = Field(..., min_length=1, max_length=MAX_CSV_CHARS)


class ImportConfigureIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "mapping": {"email": "email", "first_name": "first_name"},
                    "duplicate_policy": "skip",
                    "tags": ["fair-2026"],
                }
            ]
        },
    )

    mapping: dict[Annotated[str, StringConstraints(max_length=500)], Text100] = Field(
        ..., max_length=500, description="Column header → field ('' to ignore the column)"
    )
    duplicate_policy: DuplicatePolicy = DuplicatePolicy.SKIP
    declare_consent: bool = False
    consent_wording: Text500 = ""
    tags: list[Annotated[str, StringConstraints(max_length=100)]] = Field([], max_length=50)
    import_good_rows: bool = False


class ImportOut(Schema):
    id: int
    kind: ImportKind
    file_name: str
    file_size: int
    headers: list[str]
    mapping: dict[str, str]
    duplicate_policy: DuplicatePolicy
    consent_mode: str
    tags: list[str]
    import_good_rows: bool
    status: ImportStatus
    rows_total: int
    rows_done: int
    rows_created: int
    rows_updated: int
    rows_skipped: int
    rows_bad: int
    errors: list[Any] = Field(description="The first bad rows the dry run found")
    failure: str
    created_by: UserRef | None
    created_at: datetime
    finished_at: datetime | None


class BadRowOut(Schema):
    line: int
    reason: str
    cells: list[str]


# Used by the topic routes in delivery_api.py as well.
class EmailTopicIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Product news", "description": "Monthly"}]},
    )

    name: Name100
    description: Text300 = ""


class EmailTopicPatch(PatchSchema):
    name: Name100 | None = None
    description: Text300 | None = None
