import mimetypes
import os
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import money, permissions
from revline.core.models import User
from revline.email.sequence_services import sequences_on_deal_stage_changed
from revline.leads.models import TransitionCause
from revline.leads.services import lifecycle_advance
from revline.people import events
from revline.people.models import Company, Contact, LifecycleStage
from revline.webhooks import payloads as webhook_payloads
from revline.webhooks.services import event_emit

from .activity_services import activity_log as activity_log  # moved; callers import it here
from .models import (
    CloseReason,
    CommitteeRole,
    Competitor,
    Deal,
    DealAttachment,
    DealContact,
    DealStageChange,
    DealStatus,
    Objection,
    Pipeline,
    Stage,
    StageKind,
)
from .stages import MAX_STAGES

NEXT_STEP_MAX = 200

DEFAULT_STAGES: list[tuple[str, int, str]] = [
    ("Qualification", 10, StageKind.OPEN),
    ("Discovery", 25, StageKind.OPEN),
    ("Proposal", 50, StageKind.OPEN),
    ("Negotiation", 75, StageKind.OPEN),
    ("Won", 100, StageKind.WON),
    ("Lost", 0, StageKind.LOST),
]


DEFAULT_CLOSE_REASONS: dict[str, list[str]] = {
    StageKind.WON: ["Best product fit", "Price and value", "Relationship", "Speed of delivery"],
    StageKind.LOST: [
        "Price",
        "No budget",
        "Timing",
        "Went with a competitor",
        "No decision",
        "Product fit",
    ],
}


def close_reasons_ensure_defaults() -> None:
    """Create the default won and lost reasons that are missing (migration sales.0004 does the
    same for new databases; the demo calls this after wiping every table)."""
    for kind, names in DEFAULT_CLOSE_REASONS.items():
        for position, name in enumerate(names):
            CloseReason.objects.get_or_create(kind=kind, name=name, defaults={"position": position})


@transaction.atomic
def pipeline_create(
    *, actor: User | None, name: str, stages: list[tuple[str, int, str]], is_default: bool = False
) -> Pipeline:
    if actor is not None:
        permissions.require(permissions.can_manage_pipelines(actor))
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the pipeline a name."})
    if Pipeline.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "A pipeline with this name already exists."})
    kinds = [kind for _, _, kind in stages]
    if kinds.count(StageKind.WON) != 1 or kinds.count(StageKind.LOST) != 1:
        raise ValidationError("A pipeline needs exactly one won stage and one lost stage.")
    stage_names = [stage_name.strip().lower() for stage_name, _, _ in stages]
    if "" in stage_names or len(set(stage_names)) != len(stage_names):
        raise ValidationError({"stages": "Every stage needs a name of its own."})
    if any(not 0 <= probability <= 100 for _, probability, _ in stages):
        raise ValidationError({"stages": "Probabilities are whole numbers from 0 to 100."})
    if is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline = Pipeline.objects.create(name=name, is_default=is_default)
    for position, (stage_name, probability, kind) in enumerate(stages):
        Stage.objects.create(
            pipeline=pipeline,
            name=stage_name,
            position=position,
            probability=probability,
            kind=kind,
        )
    audit_create(actor=actor, obj=pipeline)
    return pipeline


@transaction.atomic
def pipeline_update(
    *,
    actor: User,
    pipeline: Pipeline,
    name: str,
    stages: Mapping[int, tuple[str, int]],
    stale_after_days: int | None = None,
    is_default: bool | None = None,
) -> Pipeline:
    """Rename the pipeline, rename / re-weight its stages (keyed by stage id), set after how
    many days in one stage a deal is stale and whether it is the default (None keeps either);
    all or nothing.

    Stages not in `stages` keep their values. Won and lost stages may be renamed, but their
    probabilities stay fixed: reports count them as certain wins and losses.
    """
    permissions.require(
        permissions.can_manage_pipelines(actor),
        "Only sales managers and admins can edit pipelines.",
    )
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the pipeline a name."]
    elif Pipeline.objects.filter(name__iexact=name).exclude(pk=pipeline.pk).exists():
        errors["name"] = ["A pipeline with this name already exists."]
    current = {stage.pk: stage for stage in pipeline.stages.select_for_update()}
    if set(stages) - set(current):
        raise ValidationError({"stages": "Those stages belong to another pipeline."})
    final = {pk: (stage.name, stage.probability) for pk, stage in current.items()}
    final.update(
        {pk: (stage_name.strip(), probability) for pk, (stage_name, probability) in stages.items()}
    )
    stage_errors: list[str] = []
    for pk, (stage_name, probability) in final.items():
        stage = current[pk]
        if not stage_name or len(stage_name) > 100:
            stage_errors.append("Stage names are 1 to 100 characters long.")
        if not 0 <= probability <= 100:
            stage_errors.append("Probabilities are whole numbers from 0 to 100.")
        if stage.kind != StageKind.OPEN and probability != stage.probability:
            stage_errors.append(
                f"The probability of the {stage.get_kind_display().lower()} stage is fixed."
            )
    lowered = [stage_name.lower() for stage_name, _ in final.values()]
    if len(set(lowered)) != len(lowered):
        stage_errors.append("Every stage needs a name of its own.")
    if stage_errors:
        errors["stages"] = sorted(set(stage_errors))
    if stale_after_days is not None and not 1 <= stale_after_days <= 365:
        errors["stale_after_days"] = ["Use a number of days from 1 to 365."]
    if is_default is False and pipeline.is_default:
        errors["is_default"] = ["Make another pipeline the default instead: one always is."]
    if errors:
        raise ValidationError(errors)
    before = snapshot(pipeline)
    stages_before = {pk: snapshot(stage) for pk, stage in current.items()}
    if is_default and not pipeline.is_default:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
        pipeline.is_default = True
        pipeline.save(update_fields=["is_default"])
    if stale_after_days is not None:
        pipeline.stale_after_days = stale_after_days
    if pipeline.name != name or stale_after_days is not None:
        pipeline.name = name
        pipeline.save(update_fields=["name", "stale_after_days"])
    changed = [
        stage for pk, stage in current.items() if (stage.name, stage.probability) != final[pk]
    ]
    # Two passes, so that swapping two stage names never trips the unique (pipeline, name) constraint.
    for stage in changed:
        stage.name = f"~{stage.pk}~"
        stage.save(update_fields=["name"])
    for stage in changed:
        stage.name, stage.probability = final[stage.pk]
        stage.save(update_fields=["name", "probability"])
        audit_update(actor=actor, obj=stage, before=stages_before[stage.pk])
    audit_update(actor=actor, obj=pipeline, before=before)
    return pipeline


def pipeline_default() -> Pipeline:
    """The default pipeline, created with standard stages the first time it is needed."""
    pipeline = Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first()
    if pipeline is None:
        pipeline = pipeline_create(
            actor=None, name="New business", stages=DEFAULT_STAGES, is_default=True
        )
    return pipeline


PIPELINES_DENIED = "Only sales managers and admins can edit pipelines."


@transaction.atomic
def pipeline_delete(*, actor: User, pipeline: Pipeline) -> None:
    """Delete a pipeline with its stages and playbooks; refused while it holds deals (move or
    delete them first) and for the default pipeline (new deals need one)."""
    permissions.require(permissions.can_manage_pipelines(actor), PIPELINES_DENIED)
    if pipeline.is_default:
        raise ValidationError(
            {"pipeline": "This is the default pipeline: make another one the default first."}
        )
    if pipeline.deals.exists():
        raise ValidationError(
            {"pipeline": "The pipeline still has deals: move or delete them first."}
        )
    stage_ids = list(pipeline.stages.values_list("pk", flat=True))
    if _stage_history_exists(stage_ids):
        raise ValidationError(
            {"pipeline": "Deals of other pipelines passed through its stages: it stays."}
        )
    audit_delete(actor=actor, obj=pipeline)
    pipeline.delete()


def _stage_history_exists(stage_ids: list[int]) -> bool:
    return (
        Deal.objects.filter(stage_id__in=stage_ids).exists()
        or DealStageChange.objects.filter(to_stage_id__in=stage_ids).exists()
        or Objection.objects.filter(stage_id__in=stage_ids).exists()
    )


def _clean_stage(
    pipeline: Pipeline, *, name: str, probability: int, exclude_pk: int | None = None
) -> tuple[str, int]:
    errors: dict[str, str] = {}
    name = name.strip()
    if not name or len(name) > 100:
        errors["name"] = "Stage names are 1 to 100 characters long."
    else:
        clash = pipeline.stages.filter(name__iexact=name)
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["name"] = "The pipeline already has a stage with this name."
    if not 0 <= probability <= 100:
        errors["probability"] = "Probabilities are whole numbers from 0 to 100."
    if errors:
        raise ValidationError(errors)
    return name, probability


def _renumber(ordered: list[Stage]) -> None:
    """Give `ordered` (every stage of one pipeline) positions 0..n-1; two passes, so that no
    step trips the unique (pipeline, position) constraint."""
    moving = [stage for position, stage in enumerate(ordered) if stage.position != position]
    offset = max((s.position for s in ordered), default=0) + len(ordered) + 1
    for index, stage in enumerate(moving):
        stage.position = offset + index
        stage.save(update_fields=["position"])
    for position, stage in enumerate(ordered):
        if stage.position != position:
            stage.position = position
            stage.save(update_fields=["position"])


def _ordered_stages(pipeline: Pipeline) -> tuple[list[Stage], list[Stage]]:
    """(open stages, closing stages) of the pipeline in order, locked for the change."""
    stages = list(pipeline.stages.select_for_update().order_by("position"))
    return (
        [s for s in stages if s.kind == StageKind.OPEN],
        [s for s in stages if s.kind != StageKind.OPEN],
    )


@transaction.atomic
def stage_create(
    *, actor: User, pipeline: Pipeline, name: str, probability: int, position: int | None = None
) -> Stage:
    """Add an open stage at `position` among the open stages (default: the last open one);
    the won and lost stages always stay at the end."""
    permissions.require(permissions.can_manage_pipelines(actor), PIPELINES_DENIED)
    name, probability = _clean_stage(pipeline, name=name, probability=probability)
    open_stages, closing = _ordered_stages(pipeline)
    if len(open_stages) >= MAX_STAGES:
        raise ValidationError({"name": f"A pipeline can have at most {MAX_STAGES} open stages."})
    if position is not None and not 0 <= position <= len(open_stages):
        raise ValidationError(
            {"position": f"Use a position from 0 to {len(open_stages)} among the open stages."}
        )
    index = len(open_stages) if position is None else position
    top = max((s.position for s in [*open_stages, *closing]), default=0)
    stage = Stage.objects.create(
        pipeline=pipeline, name=name, probability=probability, position=top + 1
    )
    open_stages.insert(index, stage)
    _renumber([*open_stages, *closing])
    audit_create(actor=actor, obj=stage)
    return stage


@transaction.atomic
def stage_update(
    *, actor: User, stage: Stage, name: str | None = None, probability: int | None = None
) -> Stage:
    """Rename or re-weight a stage. Won and lost stages keep their probability: reports count
    them as certain wins and losses."""
    permissions.require(permissions.can_manage_pipelines(actor), PIPELINES_DENIED)
    new_name, new_probability = _clean_stage(
        stage.pipeline,
        name=stage.name if name is None else name,
        probability=stage.probability if probability is None else probability,
        exclude_pk=stage.pk,
    )
    if stage.kind != StageKind.OPEN and new_probability != stage.probability:
        raise ValidationError(
            {
                "probability": f"The probability of the {stage.get_kind_display().lower()} stage is fixed."
            }
        )
    before = snapshot(stage)
    stage.name, stage.probability = new_name, new_probability
    stage.save(update_fields=["name", "probability"])
    audit_update(actor=actor, obj=stage, before=before)
    return stage


@transaction.atomic
def stage_reorder(*, actor: User, pipeline: Pipeline, stage_ids: list[int]) -> Pipeline:
    """Put the open stages in the order of `stage_ids` (every open stage, each once)."""
    permissions.require(permissions.can_manage_pipelines(actor), PIPELINES_DENIED)
    open_stages, closing = _ordered_stages(pipeline)
    by_id = {s.pk: s for s in open_stages}
    if len(stage_ids) != len(set(stage_ids)) or set(stage_ids) != set(by_id):
        raise ValidationError({"stage_ids": "List every open stage of this pipeline exactly once."})
    befores = {s.pk: snapshot(s, fields=["position"]) for s in open_stages}
    _renumber([*(by_id[pk] for pk in stage_ids), *closing])
    for stage in open_stages:
        audit_update(actor=actor, obj=stage, before=befores[stage.pk])
    return pipeline


@transaction.atomic
def stage_delete(*, actor: User, stage: Stage) -> None:
    """Delete an open stage that no deal is in or ever was in (its history would lose it)."""
    permissions.require(permissions.can_manage_pipelines(actor), PIPELINES_DENIED)
    if stage.kind != StageKind.OPEN:
        raise ValidationError({"stage": "Every pipeline keeps its won and lost stages."})
    open_stages, closing = _ordered_stages(stage.pipeline)
    if len(open_stages) <= 1:
        raise ValidationError({"stage": "A pipeline needs at least one open stage."})
    if Deal.objects.filter(stage=stage).exists():
        raise ValidationError(
            {"stage": "The stage still has deals: move them to another stage first."}
        )
    if _stage_history_exists([stage.pk]):
        raise ValidationError(
            {"stage": "Deals passed through this stage; their history needs it. Rename it instead."}
        )
    gone = stage.pk
    audit_delete(actor=actor, obj=stage)
    stage.delete()
    _renumber([*(s for s in open_stages if s.pk != gone), *closing])


def _stage_of_kind(pipeline: Pipeline, kind: str) -> Stage:
    return pipeline.stages.get(kind=kind)


@transaction.atomic
def deal_create(
    *,
    actor: User | None,
    name: str,
    amount: Decimal,
    currency: str = "EUR",
    contact: Contact | None = None,
    company: Company | None = None,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    owner: User | None = None,
    expected_close_date: date | None = None,
    created_at: datetime | None = None,
) -> Deal:
    """Open a deal in its pipeline's first open stage (or `stage`); the contact becomes an opportunity."""
    if actor is not None:
        permissions.require(permissions.can_create_deals(actor))
        _require_assignable(actor, owner)
    pipeline = pipeline or (stage.pipeline if stage else pipeline_default())
    stage = stage or pipeline.stages.filter(kind=StageKind.OPEN).order_by("position").first()
    if stage is None or stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": "The stage must belong to the deal's pipeline."})
    if stage.kind != StageKind.OPEN:
        raise ValidationError(
            {"stage": "A new deal starts in an open stage; close it won or lost afterwards."}
        )
    now = created_at or timezone.now()
    if company is None and contact is not None:
        company = contact.company
    deal = Deal(
        name=name.strip(),
        pipeline=pipeline,
        stage=stage,
        contact=contact,
        company=company,
        amount=amount,
        currency=currency.upper(),
        owner=owner if owner is not None else actor,
        expected_close_date=expected_close_date,
        stage_changed_at=now,
        created_at=now,
    )
    deal.amount_base = deal_amount_base(deal)
    deal.full_clean()
    deal.save()
    audit_create(actor=actor, obj=deal)
    DealStageChange.objects.create(
        deal=deal, from_stage=None, to_stage=stage, changed_at=now, changed_by=actor
    )
    sequences_on_deal_stage_changed(deal=deal, stage=stage, now=now)
    if contact is not None:
        events.deal_created(contact=contact, deal=deal, actor=actor, occurred_at=now)
        lifecycle_advance(
            contact=contact,
            to_stage=LifecycleStage.OPPORTUNITY,
            cause=TransitionCause.DEAL,
            actor=actor,
            reason="A deal was opened",  # no name: reps of other teams see contacts
            occurred_at=now,
        )
    return deal


def _require_assignable(actor: User, owner: User | None) -> None:
    if owner is not None and not permissions.can_assign_deal_to(actor, owner):
        raise ValidationError({"owner": "You can only assign deals to yourself or your own team."})


@transaction.atomic
def deal_update(*, actor: User, deal: Deal, **fields: object) -> Deal:
    permissions.require(
        permissions.can_edit_deal(actor, deal), "You can only change deals of your own team."
    )
    allowed = {
        "name",
        "amount",
        "currency",
        "contact",
        "company",
        "expected_close_date",
        "owner",
        "next_step",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    if "owner" in fields:
        _require_assignable(actor, fields["owner"])  # type: ignore[arg-type]
    if "next_step" in fields:
        fields["next_step"] = str(fields["next_step"] or "").strip()
        if len(fields["next_step"]) > NEXT_STEP_MAX:  # type: ignore[arg-type]
            raise ValidationError(
                {"next_step": f"Keep the next step under {NEXT_STEP_MAX} characters."}
            )
    before = snapshot(deal)
    for field, value in fields.items():
        setattr(deal, field, value)
    deal.amount_base = deal_amount_base(deal)
    deal.full_clean()
    deal.save()
    audit_update(actor=actor, obj=deal, before=before)
    return deal


def deal_amount_base(deal: Deal) -> Decimal:
    """The deal's amount in the workspace currency at today's rate (0 while no rate is stored)."""
    converted = money.to_base(deal.amount, deal.currency, on=timezone.localdate())
    return converted if converted is not None else Decimal("0")


def _move(*, actor: User | None, deal: Deal, stage: Stage, at: datetime) -> None:
    previous = deal.stage
    deal.stage = stage
    deal.stage_changed_at = at
    DealStageChange.objects.create(
        deal=deal, from_stage=previous, to_stage=stage, changed_at=at, changed_by=actor
    )
    sequences_on_deal_stage_changed(deal=deal, stage=stage, now=at)
    if deal.contact is not None:
        events.deal_stage_changed(
            contact=deal.contact,
            deal=deal,
            from_stage=previous.name,
            to_stage=stage.name,
            actor=actor,
            occurred_at=at,
        )


@transaction.atomic
def deal_move_stage(
    *, actor: User | None, deal: Deal, stage: Stage, at: datetime | None = None
) -> Deal:
    """Move an open deal to another open stage of its pipeline. Won/lost go through deal_close_*."""
    if actor is not None:
        permissions.require(
            permissions.can_edit_deal(actor, deal), "You can only change deals of your own team."
        )
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError({"stage": "That stage belongs to another pipeline."})
    if stage.kind != StageKind.OPEN:
        raise ValidationError({"stage": "Close the deal as won or lost, with a reason."})
    if deal.status != DealStatus.OPEN:
        raise ValidationError({"stage": "This deal is closed. Reopen it first."})
    if stage.pk == deal.stage_id:
        return deal
    previous = deal.stage
    before = snapshot(deal, fields=["stage", "stage_changed_at"])
    _move(actor=actor, deal=deal, stage=stage, at=at or timezone.now())
    deal.save(update_fields=["stage", "stage_changed_at", "updated_at"])
    audit_update(actor=actor, obj=deal, before=before)
    event_emit(
        type="deal.stage_changed",
        payload=webhook_payloads.deal(deal, from_stage_id=previous.pk, from_stage=previous.name),
        occurred_at=deal.stage_changed_at,
    )
    return deal


@transaction.atomic
def _deal_close(
    *,
    actor: User | None,
    deal: Deal,
    won: bool,
    reason: CloseReason | None,
    note: str,
    lost_to: Competitor | None,
    at: datetime | None,
) -> Deal:
    if actor is not None:
        permissions.require(
            permissions.can_edit_deal(actor, deal), "You can only change deals of your own team."
        )
    note = note.strip()
    if reason is None and not note:
        raise ValidationError({"reason": "Say why the deal was won or lost."})
    kind = StageKind.WON if won else StageKind.LOST
    if reason is not None and reason.kind != kind:
        raise ValidationError(
            {"reason": f"That reason is for {reason.get_kind_display().lower()} deals."}
        )
    if won and lost_to is not None:
        raise ValidationError({"lost_to": "A won deal was not lost to a competitor."})
    if deal.status != DealStatus.OPEN:
        raise ValidationError({"status": "This deal is already closed."})
    at = at or timezone.now()
    before = snapshot(deal)
    _move(
        actor=actor,
        deal=deal,
        stage=_stage_of_kind(deal.pipeline, StageKind.WON if won else StageKind.LOST),
        at=at,
    )
    deal.status = DealStatus.WON if won else DealStatus.LOST
    deal.closed_at = at
    deal.close_reason = reason
    deal.close_note = note
    deal.lost_to = lost_to
    deal.save(
        update_fields=[
            "stage",
            "stage_changed_at",
            "status",
            "closed_at",
            "close_reason",
            "close_note",
            "lost_to",
            "updated_at",
        ]
    )
    audit_update(actor=actor, obj=deal, before=before)
    if lost_to is not None:
        deal.competitors.add(lost_to)  # the competitor that won the deal was involved in it
    event_emit(
        type="deal.won" if won else "deal.lost",
        payload=webhook_payloads.deal(deal, reason=close_summary(deal)),
        occurred_at=at,
    )
    if not won:
        from revline.feedback.services import feedback_from_lost_deal

        feedback_from_lost_deal(deal=deal)
    if deal.contact is not None:
        events.deal_closed(
            contact=deal.contact,
            deal=deal,
            won=won,
            reason=close_summary(deal),
            actor=actor,
            occurred_at=at,
        )
        if won:
            lifecycle_advance(
                contact=deal.contact,
                to_stage=LifecycleStage.CUSTOMER,
                cause=TransitionCause.DEAL,
                actor=actor,
                reason="A deal was won",
                occurred_at=at,
            )
    return deal


def close_summary(deal: Deal) -> str:
    """The reason and note of a closed deal in one line, for timelines and lists."""
    parts = [deal.close_reason.name if deal.close_reason else "", deal.close_note]
    if deal.lost_to is not None:
        parts.append(f"lost to {deal.lost_to.name}")
    return " · ".join(part for part in parts if part)


def deal_close_won(
    *,
    actor: User | None,
    deal: Deal,
    reason: CloseReason | None = None,
    note: str = "",
    at: datetime | None = None,
) -> Deal:
    """Close as won with a reason from the list, a note, or both (one of them is required)."""
    return _deal_close(
        actor=actor, deal=deal, won=True, reason=reason, note=note, lost_to=None, at=at
    )


def deal_close_lost(
    *,
    actor: User | None,
    deal: Deal,
    reason: CloseReason | None = None,
    note: str = "",
    lost_to: Competitor | None = None,
    at: datetime | None = None,
) -> Deal:
    return _deal_close(
        actor=actor, deal=deal, won=False, reason=reason, note=note, lost_to=lost_to, at=at
    )


@transaction.atomic
def deal_reopen(*, actor: User, deal: Deal) -> Deal:
    permissions.require(
        permissions.can_edit_deal(actor, deal), "You can only change deals of your own team."
    )
    if deal.status == DealStatus.OPEN:
        return deal
    stage = deal.pipeline.stages.filter(kind=StageKind.OPEN).order_by("-position").first()
    assert stage is not None
    before = snapshot(deal)
    _move(actor=actor, deal=deal, stage=stage, at=timezone.now())
    deal.status = DealStatus.OPEN
    deal.closed_at = None
    deal.close_reason = None
    deal.close_note = ""
    deal.lost_to = None
    deal.save(
        update_fields=[
            "stage",
            "stage_changed_at",
            "status",
            "closed_at",
            "close_reason",
            "close_note",
            "lost_to",
            "updated_at",
        ]
    )
    audit_update(actor=actor, obj=deal, before=before)
    return deal


DELETE_DENIED = "Only admins and sales managers of the deal's team can delete deals."


@transaction.atomic
def deal_delete(*, actor: User, deal: Deal) -> None:
    """Delete a deal with its activities, stage history and quotes. Won deals stay: revenue
    reports and attribution count them (reopen it first if it was closed by mistake)."""
    permissions.require(
        permissions.can_manage_pipelines(actor) and permissions.can_edit_deal(actor, deal),
        DELETE_DENIED,
    )
    if deal.status == DealStatus.WON:
        raise ValidationError({"deal": "Won deals are kept for revenue reports; reopen it first."})
    audit_delete(actor=actor, obj=deal)
    deal.delete()


# --- The deal page: buying committee, files and links ------------------------------------------

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
LINK_SCHEMES = ("http", "https")


def _require_deal_edit(actor: User, deal: Deal) -> None:
    permissions.require(
        permissions.can_edit_deal(actor, deal), "You can only change deals of your own team."
    )


def _committee_role(role: str) -> str:
    if role not in CommitteeRole.values:
        labels = ", ".join(str(label).lower() for label in CommitteeRole.labels)
        raise ValidationError({"role": f"Pick one of the roles: {labels}."})
    return role


@transaction.atomic
def deal_contact_add(*, actor: User, deal: Deal, contact: Contact, role: str) -> DealContact:
    """Put `contact` on the deal's buying committee; a contact sits there at most once."""
    _require_deal_edit(actor, deal)
    role = _committee_role(role)
    if DealContact.objects.filter(deal=deal, contact=contact).exists():
        raise ValidationError({"contact": f"{contact} is already on the buying committee."})
    member = DealContact.objects.create(deal=deal, contact=contact, role=role)
    audit_create(actor=actor, obj=member)
    return member


@transaction.atomic
def deal_contact_update(*, actor: User, member: DealContact, role: str) -> DealContact:
    _require_deal_edit(actor, member.deal)
    role = _committee_role(role)
    before = snapshot(member)
    member.role = role
    member.save(update_fields=["role"])
    audit_update(actor=actor, obj=member, before=before)
    return member


@transaction.atomic
def deal_contact_remove(*, actor: User, member: DealContact) -> None:
    _require_deal_edit(actor, member.deal)
    audit_delete(actor=actor, obj=member)
    member.delete()


def _attachment_title(title: str, fallback: str) -> str:
    title = title.strip() or fallback.strip()
    if not title:
        raise ValidationError({"title": "Give the file or link a title."})
    if len(title) > 200:
        raise ValidationError({"title": "Keep the title under 200 characters."})
    return title


@transaction.atomic
def deal_attachment_add_link(*, actor: User, deal: Deal, title: str, url: str) -> DealAttachment:
    """Attach a link to a document elsewhere. Only http(s) addresses: a javascript: or data:
    link on the page would run in the rep's session."""
    _require_deal_edit(actor, deal)
    url = url.strip()
    try:
        URLValidator(schemes=list(LINK_SCHEMES))(url)
    except ValidationError:
        raise ValidationError(
            {"url": "Enter a full web address starting with https:// or http://."}
        ) from None
    if len(url) > 2000:
        raise ValidationError({"url": "Web addresses are at most 2,000 characters long."})
    attachment = DealAttachment(
        deal=deal, title=_attachment_title(title, url), url=url, added_by=actor
    )
    attachment.full_clean()
    attachment.save()
    audit_create(actor=actor, obj=attachment)
    return attachment


def deal_attachment_add_file(
    *, actor: User, deal: Deal, title: str, upload: UploadedFile
) -> DealAttachment:
    """Store an uploaded file (at most 10 MB) under MEDIA_ROOT; it is only ever served through
    the permission-checked download view, never from a public URL."""
    _require_deal_edit(actor, deal)
    if upload.size is None or upload.size == 0:
        raise ValidationError({"file": "The file is empty."})
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": "Files are at most 10 MB."})
    original = os.path.basename(upload.name or "") or "file"
    try:
        safe_name = get_valid_filename(original)[-100:]
    except SuspiciousFileOperation:
        safe_name = "file"
    attachment = DealAttachment(
        deal=deal,
        title=_attachment_title(title, original),
        size=upload.size,
        content_type=mimetypes.guess_type(safe_name)[0] or "application/octet-stream",
        added_by=actor,
    )
    attachment.file.save(safe_name, upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            audit_create(actor=actor, obj=attachment)
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def deal_attachment_delete(*, actor: User, attachment: DealAttachment) -> None:
    _require_deal_edit(actor, attachment.deal)
    stored = attachment.file.name if attachment.file else ""
    audit_delete(actor=actor, obj=attachment)
    attachment.delete()
    if stored:
        # Only once the row is gone for good: a rolled-back delete keeps its file.
        transaction.on_commit(lambda: default_storage.delete(stored))
