"""Reads for closing: the reason lists and the won/lost analysis.

Every number is computed over the deals the reader may see (selectors.deals_visible_to).
"""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet

from revline.analytics.dashboard import channel_label
from revline.campaigns.models import Campaign
from revline.core.models import User
from revline.tracking.models import Touchpoint

from . import closing_stats
from .closing_stats import ClosedDealFact, WinLossReport, WinRateRow
from .models import (
    CloseReason,
    Competitor,
    Deal,
    DealStageChange,
    DealStatus,
    Pipeline,
    Stage,
    StageKind,
)
from .selectors import deals_visible_to

CLOSED = [DealStatus.WON, DealStatus.LOST]
NO_SOURCE = "none"


def close_reasons(kind: str) -> QuerySet[CloseReason]:
    """One list (won or lost) in its order, with how many deals were closed with each reason."""
    return (
        CloseReason.objects.filter(kind=kind)
        .annotate(deal_count=Count("deals"))
        .order_by("position", "name")
    )


def _first_touches(contact_ids: set[int]) -> dict[int, tuple[str, int]]:
    """Each contact's first campaign touch: (channel, campaign id).

    The same rule as first-touch attribution (analytics.attribution): the earliest touchpoint
    that came through a campaign.
    """
    first: dict[int, tuple[datetime, str, int]] = {}
    if not contact_ids:
        return {}
    rows = (
        Touchpoint.objects.filter(contact_id__in=contact_ids, campaign__isnull=False)
        .order_by()
        .values_list("contact_id", "occurred_at", "campaign__channel", "campaign_id")
    )
    for contact_id, at, channel, campaign_id in rows.iterator(chunk_size=5000):
        if contact_id not in first or at < first[contact_id][0]:
            first[contact_id] = (at, channel, campaign_id)
    return {contact_id: (channel, campaign) for contact_id, (_, channel, campaign) in first.items()}


@dataclass
class WinLossPage:
    report: WinLossReport
    by_campaign: list[WinRateRow]


def win_loss(
    user: User,
    *,
    pipeline: Pipeline | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> WinLossPage:
    """Win rates of the deals closed in [start, end) that `user` may see."""
    deals = deals_visible_to(user, Deal.objects.filter(status__in=CLOSED))
    if pipeline is not None:
        deals = deals.filter(pipeline=pipeline)
    if start is not None:
        deals = deals.filter(closed_at__gte=start)
    if end is not None:
        deals = deals.filter(closed_at__lt=end)
    rows = list(
        deals.order_by().values_list(
            "pk", "status", "close_reason_id", "lost_to_id", "owner_id", "contact_id"
        )
    )
    entered = (
        DealStageChange.objects.filter(
            deal_id__in=deals.values("pk"), to_stage__kind=StageKind.OPEN
        )
        .order_by()
        .values_list("deal_id", "to_stage_id", "to_stage__position")
    )
    furthest = closing_stats.furthest_stages(
        (deal_id, ("stage", stage_id), position) for deal_id, stage_id, position in entered
    )
    touches = _first_touches({row[5] for row in rows if row[5] is not None})
    facts = []
    campaign_pairs: list[tuple[Hashable | None, bool]] = []
    for pk, status, reason_id, competitor_id, owner_id, contact_id in rows:
        won = status == DealStatus.WON
        touch = touches.get(contact_id) if contact_id is not None else None
        facts.append(
            ClosedDealFact(
                deal_id=pk,
                won=won,
                furthest_stage=furthest.get(pk),
                reason=("reason", reason_id) if reason_id else None,
                competitor=("competitor", competitor_id) if competitor_id else None,
                owner=("owner", owner_id) if owner_id else None,
                source=("source", touch[0] if touch else NO_SOURCE),
            )
        )
        campaign_pairs.append((("campaign", touch[1]) if touch else None, won))
    labels, stage_order = _labels(rows, furthest.values(), touches)
    report = closing_stats.win_loss_report(facts, labels=labels, stage_order=stage_order)
    return WinLossPage(
        report=report,
        by_campaign=closing_stats.win_rates(campaign_pairs, labels=labels),
    )


def _labels(
    rows: Sequence[tuple[int, str, int | None, int | None, int | None, int | None]],
    stage_keys: object,
    touches: dict[int, tuple[str, int]],
) -> tuple[dict[Hashable, str], list[Hashable]]:
    labels: dict[Hashable, str] = {}
    stage_ids = {key[1] for key in stage_keys}  # type: ignore[attr-defined]
    stages = sorted(
        Stage.objects.select_related("pipeline").filter(pk__in=stage_ids),
        key=lambda s: (not s.pipeline.is_default, s.pipeline.name, s.position),
    )
    several = len({s.pipeline_id for s in stages}) > 1
    for s in stages:
        labels[("stage", s.pk)] = f"{s.pipeline.name} · {s.name}" if several else s.name
    for reason in CloseReason.objects.filter(pk__in={r[2] for r in rows if r[2]}):
        labels[("reason", reason.pk)] = reason.name
    for competitor in Competitor.objects.filter(pk__in={r[3] for r in rows if r[3]}):
        labels[("competitor", competitor.pk)] = competitor.name
    for owner in User.objects.filter(pk__in={r[4] for r in rows if r[4]}):
        labels[("owner", owner.pk)] = str(owner)
    for channel, _ in touches.values():
        labels[("source", channel)] = channel_label(channel)
    labels[("source", NO_SOURCE)] = "No campaign touch"
    for campaign in Campaign.objects.filter(pk__in={c for _, c in touches.values()}):
        labels[("campaign", campaign.pk)] = campaign.name
    return labels, [("stage", s.pk) for s in stages]
