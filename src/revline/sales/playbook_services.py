"""Playbook writes: a stage's talk track, checklist and recommended content; ticks on a deal."""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.content.models import ContentItem
from revline.core import permissions
from revline.core.models import User

from .activity_services import EDIT_DENIED
from .models import (
    Deal,
    PlaybookItem,
    PlaybookItemKind,
    PlaybookTick,
    Stage,
    StageKind,
    StagePlaybook,
)

ITEM_MAX = 300
ITEMS_MAX = 40
TALK_TRACK_MAX = 10_000


def _clean_lines(lines: Sequence[str], label: str, errors: dict[str, str]) -> list[str]:
    cleaned: list[str] = []
    for line in lines:
        text = " ".join(line.split())
        if text and text.lower() not in (c.lower() for c in cleaned):
            cleaned.append(text)
    if any(len(text) > ITEM_MAX for text in cleaned):
        errors[label] = f"Keep each line under {ITEM_MAX} characters."
    elif len(cleaned) > ITEMS_MAX:
        errors[label] = f"At most {ITEMS_MAX} lines."
    return cleaned


@transaction.atomic
def playbook_save(
    *,
    actor: User,
    stage: Stage,
    talk_track: str,
    questions: Sequence[str],
    tasks: Sequence[str],
    content: Sequence[ContentItem],
) -> StagePlaybook:
    """Set the playbook of an open stage. Lines kept unchanged keep the ticks reps gave them."""
    permissions.require(
        permissions.can_manage_pipelines(actor),
        "Only sales managers and admins can edit playbooks.",
    )
    errors: dict[str, str] = {}
    if stage.kind != StageKind.OPEN:
        errors["stage"] = "Playbooks are for open stages."
    talk_track = talk_track.strip()
    if len(talk_track) > TALK_TRACK_MAX:
        errors["talk_track"] = f"Keep the talk track under {TALK_TRACK_MAX} characters."
    wanted = [
        *((PlaybookItemKind.QUESTION, t) for t in _clean_lines(questions, "questions", errors)),
        *((PlaybookItemKind.TASK, t) for t in _clean_lines(tasks, "tasks", errors)),
    ]
    if errors:
        raise ValidationError(errors)
    playbook, created = StagePlaybook.objects.get_or_create(stage=stage)
    before = snapshot(playbook)
    content_before = sorted(playbook.content.values_list("pk", flat=True))
    playbook.talk_track = talk_track
    playbook.save()
    existing = {(item.kind, item.text): item for item in playbook.items.all()}
    keep: set[int] = set()
    for position, (kind, text) in enumerate(wanted):
        item = existing.get((kind, text))
        if item is None:
            item = PlaybookItem.objects.create(
                playbook=playbook, kind=kind, text=text, position=position
            )
        elif item.position != position:
            item.position = position
            item.save(update_fields=["position"])
        keep.add(item.pk)
    removed = list(playbook.items.exclude(pk__in=keep))
    for item in removed:
        audit_delete(actor=actor, obj=item)
    playbook.items.exclude(pk__in=keep).delete()
    playbook.content.set(content)
    content_after = sorted(c.pk for c in content)
    if created:
        audit_create(actor=actor, obj=playbook)
    else:
        extra = (
            {"content": [content_before, content_after]} if content_before != content_after else {}
        )
        audit_update(actor=actor, obj=playbook, before=before, extra=extra)
    return playbook


PLAYBOOKS_DENIED = "Only sales managers and admins can edit playbooks."


def _require_manager(actor: User) -> None:
    permissions.require(permissions.can_manage_pipelines(actor), PLAYBOOKS_DENIED)


@transaction.atomic
def playbook_delete(*, actor: User, playbook: StagePlaybook) -> None:
    """Remove a stage's playbook with its checklist (and the ticks reps gave it)."""
    _require_manager(actor)
    audit_delete(actor=actor, obj=playbook)
    playbook.delete()


def _item_text(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValidationError({"text": "Write the question or task."})
    if len(text) > ITEM_MAX:
        raise ValidationError({"text": f"Keep each line under {ITEM_MAX} characters."})
    return text


def _item_kind(kind: str) -> str:
    if kind not in PlaybookItemKind.values:
        raise ValidationError({"kind": "A checklist item is a question or a task."})
    return kind


@transaction.atomic
def playbook_item_add(
    *, actor: User, stage: Stage, kind: str, text: str, position: int | None = None
) -> PlaybookItem:
    """Add a question or task to the checklist of an open stage (its playbook is created if
    needed); `position` defaults to the end."""
    _require_manager(actor)
    if stage.kind != StageKind.OPEN:
        raise ValidationError({"stage": "Playbooks are for open stages."})
    kind, text = _item_kind(kind), _item_text(text)
    playbook, created = StagePlaybook.objects.get_or_create(stage=stage)
    if created:
        audit_create(actor=actor, obj=playbook)
    items = playbook.items.all()
    if items.filter(kind=kind).count() >= ITEMS_MAX:
        raise ValidationError({"text": f"At most {ITEMS_MAX} lines of each kind."})
    if items.filter(kind=kind, text__iexact=text).exists():
        raise ValidationError({"text": "This line is already in the checklist."})
    if position is None:
        position = max((i.position for i in items), default=-1) + 1
    item = PlaybookItem.objects.create(playbook=playbook, kind=kind, text=text, position=position)
    audit_create(actor=actor, obj=item)
    return item


@transaction.atomic
def playbook_item_update(
    *,
    actor: User,
    item: PlaybookItem,
    kind: str | None = None,
    text: str | None = None,
    position: int | None = None,
) -> PlaybookItem:
    """Change a checklist line; ticks reps gave it stay."""
    _require_manager(actor)
    new_kind = item.kind if kind is None else _item_kind(kind)
    new_text = item.text if text is None else _item_text(text)
    clash = item.playbook.items.filter(kind=new_kind, text__iexact=new_text).exclude(pk=item.pk)
    if clash.exists():
        raise ValidationError({"text": "This line is already in the checklist."})
    before = snapshot(item)
    item.kind, item.text = new_kind, new_text
    if position is not None:
        item.position = position
    item.save()
    audit_update(actor=actor, obj=item, before=before)
    return item


@transaction.atomic
def playbook_item_delete(*, actor: User, item: PlaybookItem) -> None:
    _require_manager(actor)
    audit_delete(actor=actor, obj=item)
    item.delete()


@transaction.atomic
def playbook_tick_toggle(
    *, actor: User, deal: Deal, item: PlaybookItem, at: datetime | None = None
) -> bool:
    """Tick the item on the deal, or untick it if it was ticked; returns whether it is ticked."""
    permissions.require(permissions.can_edit_deal(actor, deal), EDIT_DENIED)
    if item.playbook.stage.pipeline_id != deal.pipeline_id:
        raise ValidationError("That checklist item belongs to another pipeline.")
    deleted, _ = PlaybookTick.objects.filter(deal=deal, item=item).delete()
    if deleted:
        return False
    PlaybookTick.objects.create(
        deal=deal, item=item, ticked_by=actor, ticked_at=at or timezone.now()
    )
    return True
