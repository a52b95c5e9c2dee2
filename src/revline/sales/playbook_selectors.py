"""Playbook reads: a pipeline's playbooks for the editor, and the panel of one deal."""

from dataclasses import dataclass

from django.db.models import QuerySet

from revline.content.models import ContentItem
from revline.core.models import User
from revline.core.visibility import can_view_contact

from .models import (
    ContentShare,
    Deal,
    Pipeline,
    PlaybookItem,
    PlaybookItemKind,
    PlaybookTick,
    Stage,
    StageKind,
    StagePlaybook,
)


@dataclass(frozen=True)
class StagePlaybookRow:
    stage: Stage
    playbook: StagePlaybook | None
    questions: list[str]
    tasks: list[str]
    content_ids: list[int]


def pipeline_playbooks(pipeline: Pipeline) -> list[StagePlaybookRow]:
    """One row per open stage, with its playbook (or None)."""
    stages = list(pipeline.stages.filter(kind=StageKind.OPEN).order_by("position"))
    playbooks = {
        p.stage_id: p
        for p in StagePlaybook.objects.filter(stage__in=stages).prefetch_related("items", "content")
    }
    rows = []
    for stage in stages:
        playbook = playbooks.get(stage.pk)
        items = list(playbook.items.all()) if playbook else []
        rows.append(
            StagePlaybookRow(
                stage=stage,
                playbook=playbook,
                questions=[i.text for i in items if i.kind == PlaybookItemKind.QUESTION],
                tasks=[i.text for i in items if i.kind == PlaybookItemKind.TASK],
                content_ids=[c.pk for c in playbook.content.all()] if playbook else [],
            )
        )
    return rows


def content_choices() -> QuerySet[ContentItem]:
    return ContentItem.objects.order_by("title", "pk")


@dataclass(frozen=True)
class ChecklistItem:
    item: PlaybookItem
    ticked: PlaybookTick | None


@dataclass(frozen=True)
class DealPlaybook:
    deal: Deal
    playbook: StagePlaybook | None
    questions: list[ChecklistItem]
    tasks: list[ChecklistItem]
    content: list[ContentItem]
    shares: list[ContentShare]
    hidden_shares: frozenset[int] = frozenset()  # shares to a contact the viewer may not see

    @property
    def total(self) -> int:
        return len(self.questions) + len(self.tasks)

    @property
    def done(self) -> int:
        return sum(1 for c in [*self.questions, *self.tasks] if c.ticked)

    @property
    def percent(self) -> int:
        return round(self.done * 100 / self.total) if self.total else 0


def deal_playbook(deal: Deal, *, viewer: User | None = None) -> DealPlaybook:
    """The playbook of the deal's current stage, with this deal's ticks and content sent; sends
    to a contact `viewer` may not see are marked so that the panel does not name them."""
    playbook = StagePlaybook.objects.filter(stage_id=deal.stage_id).first()
    items = list(playbook.items.all()) if playbook else []
    ticks = {
        t.item_id: t
        for t in PlaybookTick.objects.filter(deal=deal, item__in=items).select_related("ticked_by")
    }
    shares = list(
        deal.content_shares.select_related("contact__owner", "content_item", "sent_by")[:20]
    )
    checklist = [ChecklistItem(item=i, ticked=ticks.get(i.pk)) for i in items]
    return DealPlaybook(
        deal=deal,
        playbook=playbook,
        questions=[c for c in checklist if c.item.kind == PlaybookItemKind.QUESTION],
        tasks=[c for c in checklist if c.item.kind == PlaybookItemKind.TASK],
        content=list(playbook.content.order_by("title")) if playbook else [],
        shares=shares,
        hidden_shares=frozenset(
            s.pk for s in shares if viewer is not None and not can_view_contact(viewer, s.contact)
        ),
    )
