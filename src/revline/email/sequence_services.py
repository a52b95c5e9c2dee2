"""Automation sequences: building them (trigger, steps) and running them (enrolment, steps).

The engine is driven by `sequences_tick` (every 30 s from core.scheduler) and by the event hooks
`sequences_on_*` that other apps call. An enrollment is claimed with a conditional UPDATE on its
(position, next_run_at) before its steps run, so two ticks running at once never run a step twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User
from revline.people.models import Contact, LifecycleStage
from revline.people.services import contact_update_by_automation, tags_from_names

from .models import (
    Email,
    EmailKind,
    Enrollment,
    EnrollmentState,
    Sequence,
    SequenceStatus,
    SequenceStep,
    SequenceTrigger,
    StepKind,
    Suppression,
)

if TYPE_CHECKING:
    from revline.content.models import Form
    from revline.sales.models import Deal, Stage

logger = logging.getLogger(__name__)

# Enrollments whose step is due, handled per tick; the rest wait for the next tick.
RUN_BATCH = 200
# New enrollments per sequence per tick (segment, score and date triggers).
ENROL_BATCH = 1000
# A claimed enrollment is hidden from other ticks this long; if its process dies mid-step the
# step is retried after the lease.
CLAIM_LEASE = timedelta(minutes=10)
# Steps run back to back for one enrollment in one tick (waits end a run earlier).
MAX_STEPS_PER_RUN = 50

CUSTOMER_STAGES = (LifecycleStage.CUSTOMER, LifecycleStage.EVANGELIST)
UPDATABLE_FIELDS = {
    "first_name": 100,
    "last_name": 100,
    "title": 150,
    "phone": 50,
    "country": 2,
    "source": 100,
}
DATE_FIELDS = ("created_at", "lifecycle_changed_at")
TICK_TRIGGERS = (
    SequenceTrigger.JOINED_SEGMENT,
    SequenceTrigger.SCORE_CROSSED,
    SequenceTrigger.DATE_REACHED,
)


class StepError(Exception):
    """A step that cannot run for this contact; the enrollment exits with this reason."""


# --- building ---------------------------------------------------------------------------------


def _require_marketer(actor: User) -> None:
    permissions.require(
        permissions.can_manage_marketing(actor), "Only marketers and admins edit sequences."
    )


def _positive_int(value: Any, field: str, message: str, *, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: message}) from None
    if number < minimum or number > 10**9:
        raise ValidationError({field: message})
    return number


def trigger_config_clean(*, trigger: str, config: dict[str, Any]) -> dict[str, Any]:
    """The trigger's config reduced to the keys it uses, checked; raises ValidationError."""
    from revline.content.models import Form
    from revline.sales.models import Stage
    from revline.segments.models import Segment

    if trigger == SequenceTrigger.FORM_SUBMITTED:
        form_id = config.get("form_id")
        if not form_id or not Form.objects.filter(pk=form_id).exists():
            raise ValidationError({"form": "Choose the form that starts this sequence."})
        return {"form_id": int(form_id)}
    if trigger == SequenceTrigger.JOINED_SEGMENT:
        segment_id = config.get("segment_id")
        if not segment_id or not Segment.objects.filter(pk=segment_id).exists():
            raise ValidationError({"segment": "Choose the segment that starts this sequence."})
        return {"segment_id": int(segment_id)}
    if trigger == SequenceTrigger.SCORE_CROSSED:
        score = _positive_int(
            config.get("score"), "score", "The score is a whole number from 0 upwards."
        )
        return {"score": score}
    if trigger == SequenceTrigger.DEAL_STAGE_CHANGED:
        stage = Stage.objects.filter(pk=config.get("stage_id") or 0).first()
        if stage is None:
            raise ValidationError({"stage": "Choose the deal stage that starts this sequence."})
        return {"pipeline_id": stage.pipeline_id, "stage_id": stage.pk}
    if trigger == SequenceTrigger.DATE_REACHED:
        field = config.get("field")
        if field not in DATE_FIELDS:
            raise ValidationError(
                {"date_field": "Choose the contact date the sequence counts from."}
            )
        days = _positive_int(
            config.get("days_after"), "days_after", "Days after is a whole number from 0 upwards."
        )
        return {"field": field, "days_after": days}
    raise ValidationError({"trigger": "Choose a trigger."})


def _sequence_clean(sequence: Sequence) -> None:
    sequence.name = sequence.name.strip()
    if not sequence.name:
        raise ValidationError({"name": "Give the sequence a name."})
    if sequence.status not in SequenceStatus.values:
        raise ValidationError({"status": "Choose a status."})
    sequence.trigger_config = trigger_config_clean(
        trigger=sequence.trigger, config=sequence.trigger_config or {}
    )


@transaction.atomic
def sequence_create(
    *,
    actor: User,
    name: str,
    trigger: str,
    trigger_config: dict[str, Any],
    allow_reentry: bool = False,
    is_marketing: bool = True,
    status: str = SequenceStatus.DRAFT,
    description: str = "",
) -> Sequence:
    _require_marketer(actor)
    sequence = Sequence(
        name=name,
        description=description,
        trigger=trigger,
        trigger_config=trigger_config,
        allow_reentry=allow_reentry,
        is_marketing=is_marketing,
        status=status,
        created_by=actor,
    )
    _sequence_clean(sequence)
    sequence.save()
    audit_create(actor=actor, obj=sequence)
    return sequence


@transaction.atomic
def sequence_update(*, actor: User, sequence: Sequence, **fields: Any) -> Sequence:
    """Change settings (name, description, trigger, trigger_config, allow_reentry, is_marketing,
    status). Enrollments already made are kept; pausing holds them where they are."""
    _require_marketer(actor)
    allowed = {
        "name",
        "description",
        "trigger",
        "trigger_config",
        "allow_reentry",
        "is_marketing",
        "status",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    before = snapshot(sequence)
    for field, value in fields.items():
        setattr(sequence, field, value)
    _sequence_clean(sequence)
    sequence.save()
    audit_update(actor=actor, obj=sequence, before=before)
    return sequence


@transaction.atomic
def sequence_delete(*, actor: User, sequence: Sequence) -> None:
    _require_marketer(actor)
    audit_delete(actor=actor, obj=sequence)
    sequence.delete()


def step_config_clean(
    *, kind: str, config: dict[str, Any], sequence: Sequence, position: int
) -> dict[str, Any]:
    """The step's config reduced to the keys its kind uses, checked; raises ValidationError."""
    if kind == StepKind.WAIT:
        days = _positive_int(config.get("days") or 0, "days", "Days is a whole number.")
        hours = _positive_int(config.get("hours") or 0, "hours", "Hours is a whole number.")
        if days == 0 and hours == 0:
            raise ValidationError({"days": "Wait at least one hour."})
        return {"days": days, "hours": hours}
    if kind == StepKind.SEND_EMAIL:
        email_id = config.get("email_id")
        if not email_id or not Email.objects.filter(pk=email_id, kind=EmailKind.AUTOMATED).exists():
            raise ValidationError({"email": "Choose an automated email to send."})
        return {"email_id": int(email_id)}
    if kind == StepKind.UPDATE_FIELD:
        add_tag = str(config.get("add_tag") or "").strip().lower()[:50]
        remove_tag = str(config.get("remove_tag") or "").strip().lower()[:50]
        if add_tag:
            return {"add_tag": add_tag}
        if remove_tag:
            return {"remove_tag": remove_tag}
        field = config.get("field")
        if field not in UPDATABLE_FIELDS:
            raise ValidationError({"field": "Choose a field to set, or a tag to add or remove."})
        value = str(config.get("value") or "").strip()
        if len(value) > UPDATABLE_FIELDS[field]:
            raise ValidationError(
                {"value": f"At most {UPDATABLE_FIELDS[field]} characters for this field."}
            )
        if field == "country":
            value = value.upper()
        return {"field": field, "value": value}
    if kind == StepKind.CHANGE_LIFECYCLE:
        from revline.people.models import LIFECYCLE_ORDER

        stage = config.get("stage")
        if stage not in LIFECYCLE_ORDER:
            raise ValidationError({"stage": "Choose a lifecycle stage."})
        return {"stage": stage}
    if kind == StepKind.NOTIFY_OWNER:
        message = str(config.get("message") or "").strip()
        if not message:
            raise ValidationError({"message": "Write what the owner should know."})
        return {"message": message[:2000]}
    if kind == StepKind.CREATE_TASK:
        subject = str(config.get("subject") or "").strip()
        if not subject:
            raise ValidationError({"subject": "Give the task a subject."})
        due = _positive_int(
            config.get("due_in_days") or 0, "due_in_days", "Due in days is a whole number."
        )
        return {"subject": subject[:200], "due_in_days": due}
    if kind == StepKind.BRANCH:
        return _branch_config_clean(config=config, position=position)
    raise ValidationError({"kind": "Choose a step kind."})


def _branch_config_clean(*, config: dict[str, Any], position: int) -> dict[str, Any]:
    from revline.segments.models import Segment

    else_position = _positive_int(
        config.get("else_position"), "else_position", "Choose where the others go."
    )
    if else_position <= position:
        raise ValidationError({"else_position": "The others can only jump to a later step."})
    cleaned: dict[str, Any] = {"else_position": else_position}
    segment_id = config.get("segment_id")
    if segment_id:
        segment = Segment.objects.filter(pk=segment_id).first()
        if segment is None:
            raise ValidationError({"segment": "That segment no longer exists."})
        cleaned["segment_id"] = segment.pk
        cleaned["condition"] = segment.definition
        return cleaned
    from revline.segments.definition import validate

    condition = validate(config.get("condition"))
    if not condition["conditions"]:
        raise ValidationError({"segment": "Choose a segment, or give at least one condition."})
    cleaned["condition"] = condition
    return cleaned


def _with_new_email(
    actor: User, kind: str, config: dict[str, Any], template_id: int | None, name: str
) -> dict[str, Any]:
    if kind != StepKind.SEND_EMAIL or not template_id or config.get("email_id"):
        return config
    email = sequence_email_create(actor=actor, template_id=template_id, name=name)
    return {**config, "email_id": email.pk}


def _steps(sequence: Sequence) -> list[SequenceStep]:
    return list(SequenceStep.objects.select_for_update().filter(sequence=sequence))


@transaction.atomic
def sequence_step_add(
    *,
    actor: User,
    sequence: Sequence,
    kind: str,
    config: dict[str, Any],
    position: int | None = None,
    new_email_template_id: int | None = None,
    new_email_name: str = "",
) -> SequenceStep:
    """Add a step at the end (or before `position`); later steps and waiting contacts move with it.

    A send-email step may create its automated email from a template in the same transaction."""
    _require_marketer(actor)
    config = _with_new_email(actor, kind, config, new_email_template_id, new_email_name)
    steps = _steps(sequence)
    end = len(steps)
    position = end if position is None else max(0, min(position, end))
    cleaned = step_config_clean(kind=kind, config=config, sequence=sequence, position=position)
    step = SequenceStep(sequence=sequence, position=end + 10**6, kind=kind, config=cleaned)
    step.save()
    order = [s.pk for s in steps]
    order.insert(position, step.pk)
    _renumber(sequence, order, inserted=step.pk)
    step.refresh_from_db()
    audit_create(actor=actor, obj=step)
    return step


@transaction.atomic
def sequence_step_update(
    *,
    actor: User,
    step: SequenceStep,
    config: dict[str, Any],
    new_email_template_id: int | None = None,
    new_email_name: str = "",
) -> SequenceStep:
    _require_marketer(actor)
    config = _with_new_email(actor, step.kind, config, new_email_template_id, new_email_name)
    before = snapshot(step, fields=["config"])
    step.config = step_config_clean(
        kind=step.kind, config=config, sequence=step.sequence, position=step.position
    )
    step.save(update_fields=["config"])
    audit_update(actor=actor, obj=step, before=before)
    return step


@transaction.atomic
def sequence_step_remove(*, actor: User, step: SequenceStep) -> None:
    """Remove a step. Contacts waiting at it go on with the step that takes its place."""
    _require_marketer(actor)
    sequence = step.sequence
    order = [s.pk for s in _steps(sequence) if s.pk != step.pk]
    audit_delete(actor=actor, obj=step)
    step.delete()
    _renumber(sequence, order)


@transaction.atomic
def sequence_step_move(*, actor: User, step: SequenceStep, offset: int) -> None:
    """Move a step up (-1) or down (+1). Contacts waiting at a step stay with that step."""
    _require_marketer(actor)
    if offset not in (-1, 1):
        raise ValidationError("A step moves one place up or down.")
    order = [s.pk for s in _steps(step.sequence)]
    index = order.index(step.pk)
    target = index + offset
    if not 0 <= target < len(order):
        return
    order[index], order[target] = order[target], order[index]
    _renumber(step.sequence, order)


def _renumber(
    sequence: Sequence,
    order: list[int],
    *,
    inserted: int | None = None,
) -> None:
    """Give the steps in `order` positions 0..n-1, and move with them the enrollments waiting at
    a step and the branches' else-targets, so nothing points at another step than before."""
    steps = {s.pk: s for s in SequenceStep.objects.filter(sequence=sequence)}
    old_to_new: dict[int, int] = {}
    for new, pk in enumerate(order):
        if pk != inserted:
            old_to_new[steps[pk].position] = new
    total = len(order)

    def moved(old: int) -> int:
        if old in old_to_new:
            return old_to_new[old]
        # The removed step (or the end): the first surviving step after it, else the end.
        later = [new for was, new in old_to_new.items() if was > old]
        return min(later) if later else total

    # Two passes, so that swapping positions never trips the unique (sequence, position).
    for pk in order:
        SequenceStep.objects.filter(pk=pk).update(position=F("position") + 10**7)
    for new, pk in enumerate(order):
        step = steps[pk]
        changes: dict[str, Any] = {"position": new}
        if step.kind == StepKind.BRANCH and pk != inserted:
            config = dict(step.config)
            target = moved(int(config.get("else_position", total)))
            config["else_position"] = max(target, new + 1)
            changes["config"] = config
        SequenceStep.objects.filter(pk=pk).update(**changes)
    active = Enrollment.objects.filter(sequence=sequence, state=EnrollmentState.ACTIVE)
    for position in sorted(set(active.values_list("position", flat=True))):
        new_position = moved(position)
        if new_position != position:
            active.filter(position=position).update(position=new_position + 10**7)
    active.filter(position__gte=10**7).update(position=F("position") - 10**7)


# --- enrolment --------------------------------------------------------------------------------


def _suppressed(contact: Contact) -> bool:
    return (
        bool(contact.email)
        and Suppression.objects.filter(address=contact.email.strip().lower()).exists()
    )


def _marketing_exit_reason(contact: Contact) -> str:
    """Why a contact may not be (or stay) in a marketing sequence; "" when it may."""
    if contact.lifecycle_stage in CUSTOMER_STAGES:
        return "Became a customer"
    if _suppressed(contact):
        return "Unsubscribed"
    return ""


def enrollment_create(
    *, sequence: Sequence, contact: Contact, now: datetime | None = None
) -> Enrollment | None:
    """Enrol the contact if the sequence is active and the contact may enter: once, unless
    re-entry is allowed, never twice at a time, and for marketing sequences never a customer or
    an unsubscribed contact. Returns None (and changes nothing) otherwise."""
    if sequence.status != SequenceStatus.ACTIVE:
        return None
    if sequence.is_marketing and _marketing_exit_reason(contact):
        return None
    past = Enrollment.objects.filter(sequence=sequence, contact=contact)
    if past.filter(state=EnrollmentState.ACTIVE).exists():
        return None
    if not sequence.allow_reentry and past.exists():
        return None
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return Enrollment.objects.create(
                sequence=sequence, contact=contact, position=0, next_run_at=now, entered_at=now
            )
    except IntegrityError:
        return None  # a concurrent enrolment won


def _hand_exit(enrollment: Enrollment, *, reason: str, now: datetime) -> bool:
    updated = Enrollment.objects.filter(pk=enrollment.pk, state=EnrollmentState.ACTIVE).update(
        state=EnrollmentState.EXITED, exit_reason=reason[:200], finished_at=now, next_run_at=None
    )
    return updated == 1


def enrollment_remove(*, actor: User, enrollment: Enrollment, now: datetime | None = None) -> bool:
    """End an active enrollment by hand; False if it had already ended."""
    _require_marketer(actor)
    name = actor.get_full_name() or actor.get_username()
    return _hand_exit(enrollment, reason=f"Removed by {name}", now=now or timezone.now())


def enrollment_add(
    *, actor: User, sequence: Sequence, contact: Contact, now: datetime | None = None
) -> Enrollment:
    """Enrol a contact by hand, under the same rules as a trigger (active sequence, re-entry,
    no customers or unsubscribed contacts in marketing sequences); ValidationError says why not."""
    _require_marketer(actor)
    if sequence.status != SequenceStatus.ACTIVE:
        raise ValidationError("Only an active sequence takes new contacts: activate it first.")
    if sequence.is_marketing and (reason := _marketing_exit_reason(contact)):
        raise ValidationError({"contact_id": f"This contact cannot enter: {reason.lower()}."})
    enrollment = enrollment_create(sequence=sequence, contact=contact, now=now)
    if enrollment is None:
        raise ValidationError(
            {"contact_id": "This contact is in the sequence now, or was and may not re-enter."}
        )
    return enrollment


def enrollments_exit_marketing(
    *, contact: Contact, reason: str, now: datetime | None = None
) -> int:
    """End every active enrollment of the contact in marketing sequences; returns how many."""
    return Enrollment.objects.filter(
        contact=contact, state=EnrollmentState.ACTIVE, sequence__is_marketing=True
    ).update(
        state=EnrollmentState.EXITED,
        exit_reason=reason[:200],
        finished_at=now or timezone.now(),
        next_run_at=None,
    )


def _active_sequences(trigger: str) -> QuerySet[Sequence]:
    return Sequence.objects.filter(status=SequenceStatus.ACTIVE, trigger=trigger)


def sequences_on_form_submitted(
    *, contact: Contact, form: Form, now: datetime | None = None
) -> None:
    """Enrol the contact in the active sequences started by this form."""
    for sequence in _active_sequences(SequenceTrigger.FORM_SUBMITTED):
        if sequence.trigger_config.get("form_id") == form.pk:
            enrollment_create(sequence=sequence, contact=contact, now=now)


def sequences_on_deal_stage_changed(
    *, deal: Deal, stage: Stage, now: datetime | None = None
) -> None:
    """Enrol the deal's contact in the active sequences started by the deal entering `stage`."""
    if deal.contact_id is None:
        return
    contact = Contact.objects.get(pk=deal.contact_id)
    for sequence in _active_sequences(SequenceTrigger.DEAL_STAGE_CHANGED):
        if sequence.trigger_config.get("stage_id") == stage.pk:
            enrollment_create(sequence=sequence, contact=contact, now=now)


def sequences_on_score_changed(
    *, contact: Contact, old_score: int, new_score: int, now: datetime | None = None
) -> None:
    """Enrol the contact in sequences whose threshold the score crossed upwards."""
    for sequence in _active_sequences(SequenceTrigger.SCORE_CROSSED):
        threshold = int(sequence.trigger_config.get("score", 0))
        if old_score < threshold <= new_score:
            enrollment_create(sequence=sequence, contact=contact, now=now)


def _not_suppressed() -> Exists:
    return Exists(Suppression.objects.filter(address=OuterRef("email")))


def _tick_candidates(sequence: Sequence, now: datetime) -> QuerySet[Contact] | None:
    """Contacts the sequence's trigger selects now (None when the config is broken)."""
    config = sequence.trigger_config
    if sequence.trigger == SequenceTrigger.JOINED_SEGMENT:
        from revline.segments.models import Segment

        segment = Segment.objects.filter(pk=config.get("segment_id") or 0).first()
        if segment is None:
            return None
        from revline.segments.selectors import segment_contacts

        return segment_contacts(definition=segment.definition, now=now)
    if sequence.trigger == SequenceTrigger.SCORE_CROSSED:
        threshold = int(config.get("score", 0))
        return Contact.objects.alias(score=F("fit_score") + F("engagement_score")).filter(
            score__gte=threshold
        )
    if sequence.trigger == SequenceTrigger.DATE_REACHED:
        field = config.get("field")
        if field not in DATE_FIELDS:
            return None
        delay = timedelta(days=int(config.get("days_after", 0)))
        # Only dates reached since the sequence exists: an old contact list is not flooded in.
        return Contact.objects.filter(
            **{f"{field}__lte": now - delay, f"{field}__gte": sequence.created_at - delay}
        )
    return None


def sequence_enrol_due(*, sequence: Sequence, now: datetime, limit: int = ENROL_BATCH) -> int:
    """Enrol up to `limit` contacts selected by a segment, score or date trigger who were never
    in this sequence (staying in a segment is not joining it again). Returns how many."""
    candidates = _tick_candidates(sequence, now)
    if candidates is None:
        return 0
    candidates = candidates.exclude(
        Exists(Enrollment.objects.filter(sequence=sequence, contact=OuterRef("pk")))
    )
    if sequence.is_marketing:
        candidates = candidates.exclude(lifecycle_stage__in=CUSTOMER_STAGES).exclude(
            _not_suppressed()
        )
    ids = list(candidates.order_by("pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return 0
    created = Enrollment.objects.bulk_create(
        [
            Enrollment(
                sequence=sequence, contact_id=pk, position=0, next_run_at=now, entered_at=now
            )
            for pk in ids
        ],
        ignore_conflicts=True,
    )
    return len(created)


# --- running ----------------------------------------------------------------------------------


def sequences_tick(*, now: datetime | None = None) -> None:
    """Enrol contacts for segment, score and date triggers, then run the due steps, in batches."""
    now = now or timezone.now()
    for sequence in Sequence.objects.filter(
        status=SequenceStatus.ACTIVE, trigger__in=TICK_TRIGGERS
    ):
        try:
            with transaction.atomic():
                sequence_enrol_due(sequence=sequence, now=now)
        except Exception:
            logger.exception("Enrolling contacts in sequence %s failed", sequence.pk)
    enrollments_run_due(now=now)


def enrollments_run_due(*, now: datetime | None = None, limit: int = RUN_BATCH) -> int:
    """Run the steps of up to `limit` enrollments that are due; returns how many were claimed."""
    now = now or timezone.now()
    due = list(
        Enrollment.objects.filter(
            state=EnrollmentState.ACTIVE,
            next_run_at__lte=now,
            sequence__status=SequenceStatus.ACTIVE,
        )
        .order_by("next_run_at", "pk")
        .values_list("pk", "position", "next_run_at")[:limit]
    )
    claimed = 0
    for pk, position, next_run_at in due:
        # Only the tick whose UPDATE matches the row as it read it runs the steps.
        won = Enrollment.objects.filter(
            pk=pk, state=EnrollmentState.ACTIVE, position=position, next_run_at=next_run_at
        ).update(next_run_at=now + CLAIM_LEASE)
        if not won:
            continue
        claimed += 1
        enrollment = Enrollment.objects.select_related("sequence", "contact").get(pk=pk)
        _run(enrollment, now=now)
    return claimed


def _run(enrollment: Enrollment, *, now: datetime) -> None:
    steps = {s.position: s for s in enrollment.sequence.steps.all()}
    for _ in range(MAX_STEPS_PER_RUN):
        try:
            with transaction.atomic():
                done = _run_one(enrollment, steps, now=now)
        except StepError as exc:
            _fail(enrollment, steps, str(exc), now=now)
            return
        except Exception as exc:
            logger.exception("Sequence step failed for enrollment %s", enrollment.pk)
            _fail(enrollment, steps, f"{type(exc).__name__}: {exc}", now=now)
            return
        if done:
            return
    # A long run of instant steps: go on at the next tick.
    Enrollment.objects.filter(pk=enrollment.pk, state=EnrollmentState.ACTIVE).update(
        next_run_at=now
    )


def _fail(
    enrollment: Enrollment, steps: dict[int, SequenceStep], reason: str, *, now: datetime
) -> None:
    step = steps.get(enrollment.position)
    label = f"Step {enrollment.position + 1} ({step.get_kind_display()})" if step else "A step"
    _hand_exit(enrollment, reason=f"{label} failed: {reason}", now=now)


def _run_one(enrollment: Enrollment, steps: dict[int, SequenceStep], *, now: datetime) -> bool:
    """Run the step the enrollment is at and move it on; True when this run is over."""
    current = Enrollment.objects.filter(pk=enrollment.pk).values_list("state", flat=True).first()
    if current != EnrollmentState.ACTIVE:
        return True  # ended meanwhile (unsubscribed, removed by hand)
    contact = Contact.objects.get(pk=enrollment.contact_id)
    enrollment.contact = contact
    sequence = enrollment.sequence
    if sequence.is_marketing and (reason := _marketing_exit_reason(contact)):
        _hand_exit(enrollment, reason=reason, now=now)
        return True
    step = steps.get(enrollment.position)
    if step is None:
        _finish(enrollment, now=now)
        return True
    next_position = enrollment.position + 1
    next_run_at: datetime | None = now
    run = STEP_RUNNERS[step.kind]
    outcome = run(step=step, enrollment=enrollment, contact=contact, now=now)
    if isinstance(outcome, datetime):
        next_run_at = outcome
    elif isinstance(outcome, int):
        next_position = outcome
    still = Enrollment.objects.filter(pk=enrollment.pk, state=EnrollmentState.ACTIVE).update(
        position=next_position, next_run_at=next_run_at
    )
    if not still:
        return True  # the step itself ended it (the contact became a customer)
    enrollment.position = next_position
    enrollment.next_run_at = next_run_at
    return next_run_at is not None and next_run_at > now


def _finish(enrollment: Enrollment, *, now: datetime) -> None:
    Enrollment.objects.filter(pk=enrollment.pk, state=EnrollmentState.ACTIVE).update(
        state=EnrollmentState.COMPLETED, finished_at=now, next_run_at=None
    )


# Each runner returns None (go on to the next step now), a datetime (wait until then before the
# next step) or an int (the position to go to instead of the next).
StepResult = datetime | int | None


def _step_wait(*, step: SequenceStep, now: datetime, **_: Any) -> StepResult:
    config = step.config
    return now + timedelta(days=int(config.get("days", 0)), hours=int(config.get("hours", 0)))


def _step_send_email(
    *, step: SequenceStep, contact: Contact, now: datetime, **_: Any
) -> StepResult:
    email = Email.objects.filter(pk=step.config.get("email_id") or 0).first()
    if email is None:
        raise StepError("the email of this step was deleted")
    try:
        from revline.email.send_services import send_to_contact
    except ImportError:
        raise StepError("sending email is not available") from None
    send_to_contact(email=email, contact=contact, now=now)
    return None


def _step_update_field(
    *, step: SequenceStep, contact: Contact, now: datetime, **_: Any
) -> StepResult:
    config = step.config
    # Limited to plain text fields (through people's automation write, so scoring follows) and tags.
    if config.get("add_tag"):
        contact.tags.add(*tags_from_names([config["add_tag"]]))
        return None
    if config.get("remove_tag"):
        contact.tags.remove(*contact.tags.filter(name=config["remove_tag"]))
        return None
    field = config.get("field")
    if field not in UPDATABLE_FIELDS:
        raise StepError(f"the field {field!r} cannot be set by a sequence")
    value = str(config.get("value", ""))[: UPDATABLE_FIELDS[field]]
    try:
        contact_update_by_automation(contact=contact, **{field: value})
    except ValidationError as exc:
        raise StepError(
            f"the value {value!r} is not allowed for {field}: {exc.messages[0]}"
        ) from None
    return None


def _step_change_lifecycle(
    *, step: SequenceStep, enrollment: Enrollment, contact: Contact, now: datetime, **_: Any
) -> StepResult:
    from revline.leads.models import TransitionCause
    from revline.leads.services import lifecycle_advance

    try:
        lifecycle_advance(
            contact=contact,
            to_stage=step.config.get("stage", ""),
            cause=TransitionCause.RULE,
            reason=f"Sequence “{enrollment.sequence.name}”"[:300],
            occurred_at=now,
        )
    except ValueError as exc:
        raise StepError(str(exc)) from None
    return None


def _contact_url(contact: Contact) -> str:
    return f"{settings.BASE_URL}{reverse('people:contact', args=[contact.pk])}"


def _step_notify_owner(
    *, step: SequenceStep, enrollment: Enrollment, contact: Contact, **_: Any
) -> StepResult:
    owner = contact.owner
    if owner is None or not owner.email:
        return None  # nobody to tell; not a failure of the contact's way through
    body = (
        f"{step.config.get('message', '')}\n\n"
        f"Contact: {contact} <{contact.email}>\n{_contact_url(contact)}\n\n"
        f"Sent by the sequence “{enrollment.sequence.name}”."
    )
    send_mail(
        subject=f"{contact}: {enrollment.sequence.name}"[:200],
        message=body,
        from_email=None,
        recipient_list=[owner.email],
    )
    return None


def _step_create_task(
    *, step: SequenceStep, enrollment: Enrollment, contact: Contact, now: datetime, **_: Any
) -> StepResult:
    from revline.sales.models import ActivityKind
    from revline.sales.services import activity_log

    days = int(step.config.get("due_in_days", 0))
    # Tasks belong to whoever created them; the contact's owner is who should do this one.
    activity_log(
        actor=contact.owner,
        kind=ActivityKind.TASK,
        subject=step.config.get("subject", "Follow up"),
        body=f"Created by the sequence “{enrollment.sequence.name}”.",
        contact=contact,
        occurred_at=now + timedelta(days=days),
    )
    return None


def _step_branch(*, step: SequenceStep, contact: Contact, now: datetime, **_: Any) -> StepResult:
    from revline.segments.models import Segment

    config = step.config
    definition = config.get("condition")
    if config.get("segment_id"):
        segment = Segment.objects.filter(pk=config["segment_id"]).first()
        if segment is not None:
            definition = segment.definition
    if not isinstance(definition, dict):
        raise StepError("the branch has no condition")
    from revline.segments.selectors import contact_matches

    if contact_matches(definition=definition, contact_id=contact.pk, now=now):
        return None
    return int(config.get("else_position", step.position + 1))


STEP_RUNNERS: dict[str, Callable[..., StepResult]] = {
    StepKind.WAIT: _step_wait,
    StepKind.SEND_EMAIL: _step_send_email,
    StepKind.UPDATE_FIELD: _step_update_field,
    StepKind.CHANGE_LIFECYCLE: _step_change_lifecycle,
    StepKind.NOTIFY_OWNER: _step_notify_owner,
    StepKind.CREATE_TASK: _step_create_task,
    StepKind.BRANCH: _step_branch,
}


def sequence_email_create(*, actor: User, template_id: int, name: str = "") -> Email:
    """An automated email made from a template, for a send-email step."""
    from .models import EmailTemplate

    _require_marketer(actor)
    template = EmailTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise ValidationError({"template": "Choose a template."})
    return Email.objects.create(
        name=(name.strip() or template.name)[:200],
        kind=EmailKind.AUTOMATED,
        template=template,
        subject=template.subject,
        preheader=template.preheader,
        body_format=template.body_format,
        blocks=template.blocks,
        html=template.html,
        created_by=actor,
    )
