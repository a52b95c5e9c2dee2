"""Reads behind the sales API."""

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet

from revline.content.models import ContentItem
from revline.core.models import User

from .models import (
    Activity,
    CloseReason,
    ContentShare,
    Deal,
    DealAttachment,
    DealContact,
    Pipeline,
    PlaybookItem,
    Stage,
    StagePlaybook,
)
from .playbook_selectors import deal_playbook, pipeline_playbooks
from .selectors import deals_visible_to


def pipelines_with_stages() -> QuerySet[Pipeline]:
    return Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position"))
    ).order_by("-is_default", "name")


def _with_relations() -> QuerySet[Deal]:
    return Deal.objects.select_related(
        "stage", "contact", "company", "owner", "close_reason", "lost_to"
    )


def deals_for_api(user: User) -> QuerySet[Deal]:
    """The deals `user` may see, with what a DealOut touches."""
    return deals_visible_to(user, _with_relations())


def deal_written(pk: int) -> Deal:
    """A deal just written by a permitted actor, re-read with its relations for the answer."""
    return _with_relations().get(pk=pk)


def deal_search(
    *,
    user: User,
    q: str = "",
    status: str | None = None,
    pipeline_id: int | None = None,
    stage_id: int | None = None,
    owner_id: int | None = None,
    contact_id: int | None = None,
    company_id: int | None = None,
    sort: str = "-created_at",
) -> QuerySet[Deal]:
    """Deals matching every given filter, ordered by `sort` (a field name, `-` for descending)."""
    deals = deals_for_api(user)
    if q:
        deals = deals.filter(name__icontains=q)
    if status:
        deals = deals.filter(status=status)
    for lookup, value in (
        ("pipeline_id", pipeline_id),
        ("stage_id", stage_id),
        ("owner_id", owner_id),
        ("contact_id", contact_id),
        ("company_id", company_id),
    ):
        if value is not None:
            deals = deals.filter(**{lookup: value})
    descending = "-pk" if sort.startswith("-") else "pk"
    return deals.order_by(sort, descending)


def deal_activities(*, deal: Deal) -> QuerySet[Activity]:
    return deal.activities.select_related("created_by").order_by("-occurred_at", "-pk")


# --- Set-up and deal detail (workbench_api) ---------------------------------------------------


def pipeline_one(pk: int) -> Pipeline:
    """A pipeline with its stages (DoesNotExist when unknown)."""
    return pipelines_with_stages().get(pk=pk)


def close_reason_search(
    *, kind: str | None = None, is_active: bool | None = None, q: str = "", sort: str = "position"
) -> QuerySet[CloseReason]:
    reasons = CloseReason.objects.all()
    if kind:
        reasons = reasons.filter(kind=kind)
    if is_active is not None:
        reasons = reasons.filter(is_active=is_active)
    if q:
        reasons = reasons.filter(name__icontains=q)
    order = {
        "position": ("kind", "position", "name"),
        "kind": ("kind", "position", "name"),
        "name": ("name",),
        "-name": ("-name",),
    }[sort]
    return reasons.order_by(*order, "pk")


def deal_committee(*, deal: Deal) -> QuerySet[DealContact]:
    return deal.committee.select_related("contact").order_by("role", "pk")


def deal_attachments(*, deal: Deal) -> QuerySet[DealAttachment]:
    return deal.attachments.select_related("added_by").order_by("-created_at", "-pk")


def deal_shares(*, deal: Deal) -> QuerySet[ContentShare]:
    return deal.content_shares.select_related("contact", "content_item", "sent_by").order_by(
        "-sent_at", "-pk"
    )


def _content_refs(items: Iterable[ContentItem]) -> list[dict[str, Any]]:
    return [{"id": c.pk, "title": c.title} for c in items]


def _item_out(item: PlaybookItem) -> dict[str, Any]:
    return {"id": item.pk, "kind": item.kind, "text": item.text, "position": item.position}


def stage_playbook_out(stage: Stage) -> dict[str, Any]:
    """The playbook of one stage as the API shows it (an empty one while none is saved)."""
    playbook = (
        StagePlaybook.objects.filter(stage=stage).prefetch_related("items", "content").first()
    )
    return {
        "stage_id": stage.pk,
        "stage": stage.name,
        "id": playbook.pk if playbook else None,
        "talk_track": playbook.talk_track if playbook else "",
        "items": [_item_out(i) for i in playbook.items.all()] if playbook else [],
        "content": _content_refs(playbook.content.order_by("title", "pk")) if playbook else [],
    }


def pipeline_playbooks_out(pipeline: Pipeline) -> list[dict[str, Any]]:
    return [stage_playbook_out(row.stage) for row in pipeline_playbooks(pipeline)]


def deal_playbook_out(deal: Deal) -> dict[str, Any]:
    book = deal_playbook(deal)
    items = [
        {
            **_item_out(c.item),
            "ticked": c.ticked is not None,
            "ticked_at": c.ticked.ticked_at if c.ticked else None,
            "ticked_by": c.ticked.ticked_by if c.ticked else None,
        }
        for c in sorted([*book.questions, *book.tasks], key=lambda c: (c.item.position, c.item.pk))
    ]
    return {
        "deal_id": deal.pk,
        "stage_id": deal.stage_id,
        "talk_track": book.playbook.talk_track if book.playbook else "",
        "done": book.done,
        "total": book.total,
        "percent": book.percent,
        "items": items,
        "content": _content_refs(book.content),
    }
