"""Reads for the sequence builder: the list with enrollment counts, a sequence's steps with how
many contacts wait at each, recent enrollments, and the choices the builder offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from revline.people.models import LIFECYCLE_ORDER, LifecycleStage

from .models import (
    Email,
    EmailKind,
    EmailTemplate,
    Enrollment,
    EnrollmentState,
    Sequence,
    SequenceStep,
    SequenceTrigger,
    StepKind,
)

RECENT_ENROLLMENTS = 25
FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "title": "Job title",
    "phone": "Phone",
    "country": "Country",
    "source": "Source",
}
DATE_FIELD_LABELS = {"created_at": "Contact created", "lifecycle_changed_at": "Lifecycle changed"}


def sequence_list_queryset() -> QuerySet[Sequence]:
    return Sequence.objects.annotate(
        step_count=Count("steps", distinct=True),
        active_count=Count(
            "enrollments", filter=Q(enrollments__state=EnrollmentState.ACTIVE), distinct=True
        ),
        completed_count=Count(
            "enrollments", filter=Q(enrollments__state=EnrollmentState.COMPLETED), distinct=True
        ),
        exited_count=Count(
            "enrollments", filter=Q(enrollments__state=EnrollmentState.EXITED), distinct=True
        ),
    )


def _name(model: Any, pk: Any, fallback: str) -> str:
    obj = model.objects.filter(pk=pk or 0).first() if pk else None
    return str(obj) if obj is not None else fallback


def trigger_label(sequence: Sequence) -> str:
    """The trigger in words, e.g. “Form “Newsletter” submitted”."""
    from revline.content.models import Form
    from revline.sales.models import Stage
    from revline.segments.models import Segment

    config = sequence.trigger_config or {}
    if sequence.trigger == SequenceTrigger.FORM_SUBMITTED:
        return f"Form “{_name(Form, config.get('form_id'), 'deleted form')}” submitted"
    if sequence.trigger == SequenceTrigger.JOINED_SEGMENT:
        return f"Joined segment “{_name(Segment, config.get('segment_id'), 'deleted segment')}”"
    if sequence.trigger == SequenceTrigger.SCORE_CROSSED:
        return f"Score reached {config.get('score', 0)}"
    if sequence.trigger == SequenceTrigger.DEAL_STAGE_CHANGED:
        stage = Stage.objects.select_related("pipeline").filter(pk=config.get("stage_id") or 0)
        found = stage.first()
        where = f"{found.pipeline.name} › {found.name}" if found else "a deleted stage"
        return f"Deal moved to {where}"
    if sequence.trigger == SequenceTrigger.DATE_REACHED:
        field = DATE_FIELD_LABELS.get(config.get("field", ""), "a date")
        days = int(config.get("days_after", 0))
        return f"{days} day{'s' if days != 1 else ''} after {field.lower()}"
    return sequence.get_trigger_display()


def step_label(step: SequenceStep, *, emails: dict[int, str], total: int) -> str:
    """What the step does, in words."""
    config = step.config or {}
    if step.kind == StepKind.WAIT:
        parts = []
        if config.get("days"):
            parts.append(f"{config['days']} day{'s' if config['days'] != 1 else ''}")
        if config.get("hours"):
            parts.append(f"{config['hours']} hour{'s' if config['hours'] != 1 else ''}")
        return "Wait " + " and ".join(parts or ["0 hours"])
    if step.kind == StepKind.SEND_EMAIL:
        return f"Send “{emails.get(config.get('email_id', 0), 'deleted email')}”"
    if step.kind == StepKind.UPDATE_FIELD:
        if config.get("add_tag"):
            return f"Add tag “{config['add_tag']}”"
        if config.get("remove_tag"):
            return f"Remove tag “{config['remove_tag']}”"
        label = FIELD_LABELS.get(config.get("field", ""), config.get("field", "?"))
        return f"Set {label.lower()} to “{config.get('value', '')}”"
    if step.kind == StepKind.CHANGE_LIFECYCLE:
        stage = config.get("stage", "")
        label = LifecycleStage(stage).label if stage in LifecycleStage.values else stage
        return f"Move lifecycle stage to {label}"
    if step.kind == StepKind.NOTIFY_OWNER:
        return f"Email the owner: “{config.get('message', '')[:80]}”"
    if step.kind == StepKind.CREATE_TASK:
        days = int(config.get("due_in_days", 0))
        return f"Task for the owner: “{config.get('subject', '')}”, due in {days} day(s)"
    if step.kind == StepKind.BRANCH:
        target = int(config.get("else_position", total))
        where = "the end" if target >= total else f"step {target + 1}"
        return f"If the condition matches, go on; otherwise jump to {where}"
    return step.get_kind_display()


@dataclass(frozen=True)
class StepRow:
    step: SequenceStep
    number: int  # 1-based, as shown
    label: str
    waiting: int  # active enrollments at this step


@dataclass(frozen=True)
class SequenceDetail:
    sequence: Sequence
    trigger: str
    steps: list[StepRow]
    finishing: int  # active enrollments past the last step (completed on the next tick)
    counts: dict[str, int]
    recent: list[Enrollment]


def sequence_step_counts(sequence: Sequence) -> dict[int, int]:
    """Active enrollments per step position, in one query."""
    rows = (
        Enrollment.objects.filter(sequence=sequence, state=EnrollmentState.ACTIVE)
        .values("position")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["position"]: row["n"] for row in rows}


def sequence_detail(*, sequence: Sequence) -> SequenceDetail:
    steps = list(sequence.steps.all())
    email_ids = [s.config.get("email_id") for s in steps if s.kind == StepKind.SEND_EMAIL]
    emails = dict(
        Email.objects.filter(pk__in=[i for i in email_ids if i]).values_list("pk", "name")
    )
    waiting = sequence_step_counts(sequence)
    total = len(steps)
    rows = [
        StepRow(
            step=s,
            number=s.position + 1,
            label=step_label(s, emails=emails, total=total),
            waiting=waiting.get(s.position, 0),
        )
        for s in steps
    ]
    by_state = dict(
        Enrollment.objects.filter(sequence=sequence)
        .values("state")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("state", "n")
    )
    counts = {state: by_state.get(state, 0) for state in EnrollmentState.values}
    recent = list(
        Enrollment.objects.filter(sequence=sequence).select_related("contact")[:RECENT_ENROLLMENTS]
    )
    return SequenceDetail(
        sequence=sequence,
        trigger=trigger_label(sequence),
        steps=rows,
        finishing=sum(n for position, n in waiting.items() if position >= total),
        counts=counts,
        recent=recent,
    )


@dataclass(frozen=True)
class BuilderChoices:
    forms: list[tuple[int, str]]
    segments: list[tuple[int, str]]
    stages: list[tuple[int, str]]  # (stage id, pipeline and stage name)
    emails: list[tuple[int, str]]
    templates: list[tuple[int, str]]
    lifecycle: list[tuple[str, str]]


def builder_choices() -> BuilderChoices:
    from revline.content.models import Form
    from revline.sales.models import Stage
    from revline.segments.models import Segment

    return BuilderChoices(
        forms=list(Form.objects.order_by("name").values_list("pk", "name")),
        segments=list(Segment.objects.order_by("name").values_list("pk", "name")),
        stages=[
            (s.pk, f"{s.pipeline.name} › {s.name}")
            for s in Stage.objects.select_related("pipeline").order_by("pipeline__name", "position")
        ],
        emails=list(
            Email.objects.filter(kind=EmailKind.AUTOMATED)
            .order_by("name")
            .values_list("pk", "name")
        ),
        templates=list(EmailTemplate.objects.order_by("name").values_list("pk", "name")),
        lifecycle=[(stage.value, stage.label) for stage in LIFECYCLE_ORDER],
    )
