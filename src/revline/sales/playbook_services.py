"""Playbook writes: a stage's talk track, checklist and recommended content; ticks on a deal."""

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

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
    playbook, _ = StagePlaybook.objects.get_or_create(stage=stage)
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
    playbook.items.exclude(pk__in=keep).delete()
    playbook.content.set(content)
    return playbook


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
