"""Reads of the pipeline board: the filtered deals, per-stage totals and the cards of each column.

The board costs the same number of queries whatever the number of deals: the pipeline's
stages, one aggregate for every column's count and sum, and one query for the cards, where
each open stage contributes at most MAX_CARDS ids (a LIMIT per stage, joined by UNION ALL).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL

from revline.core import permissions
from revline.core.models import User
from revline.core.visibility import with_hidden_flags

from . import selectors
from .board import MAX_CARDS, days_in_stage, is_stale
from .models import CloseReason, Competitor, Deal, DealStatus, Pipeline, Stage, StageKind

# Longest in the stage first: the deals that need attention are on top.
CARD_ORDER = ("stage_changed_at", "pk")
KIND_ORDER: dict[str, int] = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}


def deals_matching(*, user: User, filters: dict[str, Any]) -> QuerySet[Deal]:
    """The deals `user` may see that pass the list/board filters (see DealFilterForm.filters),
    ready for the deal list (joined, with the contact's name for the search)."""
    filters = dict(filters)
    amounts = {key: filters.pop(key, None) for key in ("amount_min", "amount_max")}
    return selectors.deals_visible_to(user, _by_amount(selectors.deal_list(**filters), **amounts))


def _by_amount(
    deals: QuerySet[Deal], amount_min: Decimal | None = None, amount_max: Decimal | None = None
) -> QuerySet[Deal]:
    # Compared in the workspace currency, as the board sums them.
    if amount_min is not None:
        deals = deals.filter(amount_base__gte=amount_min)
    if amount_max is not None:
        deals = deals.filter(amount_base__lte=amount_max)
    return deals


def _board_deals(*, user: User, pipeline: Pipeline, filters: dict[str, Any]) -> QuerySet[Deal]:
    """The pipeline's deals passing the board's filters, without joins: the board aggregates
    over all of them and picks its cards by id."""
    deals = Deal.objects.filter(pipeline=pipeline)
    if (owner := filters.get("owner")) is not None:
        deals = deals.filter(owner=owner)
    if (team := filters.get("team")) is not None:
        deals = deals.filter(owner__team=team)
    if (close_from := filters.get("close_from")) is not None:
        deals = deals.filter(expected_close_date__gte=close_from)
    if (close_to := filters.get("close_to")) is not None:
        deals = deals.filter(expected_close_date__lte=close_to)
    deals = _by_amount(deals, filters.get("amount_min"), filters.get("amount_max"))
    return selectors.deals_visible_to(user, deals)


@dataclass
class Card:
    deal: Deal
    days_in_stage: int
    stale: bool
    can_edit: bool


@dataclass
class Column:
    stage: Stage
    count: int = 0
    amount: Decimal = Decimal("0")
    unconverted: int = 0
    stale: int = 0
    cards: list[Card] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.stage.kind == StageKind.OPEN

    @property
    def hidden(self) -> int:
        """Deals in the column that are counted but not loaded as cards."""
        return max(0, self.count - len(self.cards)) if self.is_open else 0


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[Column]
    currency: str

    @property
    def open_count(self) -> int:
        return sum(c.count for c in self.columns if c.is_open)

    @property
    def open_amount(self) -> Decimal:
        return sum((c.amount for c in self.columns if c.is_open), Decimal("0"))

    @property
    def unconverted(self) -> int:
        return sum(c.unconverted for c in self.columns if c.is_open)

    @property
    def stale_count(self) -> int:
        return sum(c.stale for c in self.columns if c.is_open)


def board_pipelines() -> list[Pipeline]:
    return list(Pipeline.objects.all())


def _card_ids_sql(deals: QuerySet[Deal], stage_ids: list[int]) -> tuple[str, list[Any]]:
    """One SQL selecting up to MAX_CARDS deal ids per stage, each part able to use an index."""
    parts: list[str] = []
    params: list[Any] = []
    for number, stage_id in enumerate(stage_ids):
        part = deals.filter(stage_id=stage_id).order_by(*CARD_ORDER).values("pk")[:MAX_CARDS]
        sql, part_params = part.query.sql_with_params()
        # Django compiled `sql`; every value stays a parameter.
        parts.append(f"SELECT * FROM ({sql}) board_part_{number}")  # noqa: S608
        params.extend(part_params)
    return " UNION ALL ".join(parts), params


def pipeline_board(
    *, user: User, pipeline: Pipeline, filters: dict[str, Any], now: datetime
) -> Board:
    """Columns of the pipeline's stages (open ones first, then won and lost) with their numbers.

    Counts and sums cover every matching deal; `amount` adds Deal.amount_base, and deals whose
    currency had no stored exchange rate are counted in `unconverted` instead of summed as 0.
    """
    deals = _board_deals(user=user, pipeline=pipeline, filters=filters)
    stages = sorted(pipeline.stages.all(), key=lambda s: (KIND_ORDER.get(s.kind, 3), s.position))
    columns = {stage.pk: Column(stage=stage) for stage in stages}
    base = settings.CURRENCY
    not_converted = ~Q(currency=base) & Q(amount_base=0) & ~Q(amount=0)
    # days_in_stage > stale_after_days, counted in whole days as the cards show it
    stale_since = now - timedelta(days=pipeline.stale_after_days + 1)
    totals = (
        deals.order_by()
        .values("stage_id")
        .annotate(
            n=Count("pk"),
            total=Sum("amount_base"),
            unconverted=Count("pk", filter=not_converted),
            stale=Count("pk", filter=Q(stage_changed_at__lte=stale_since, status=DealStatus.OPEN)),
        )
    )
    for row in totals:
        column = columns.get(row["stage_id"])
        if column is not None:
            column.count = row["n"]
            column.amount = row["total"] or Decimal("0")
            column.unconverted = row["unconverted"]
            column.stale = row["stale"]
    open_ids = [s.pk for s in stages if s.kind == StageKind.OPEN and columns[s.pk].count]
    if open_ids:
        ids_sql, params = _card_ids_sql(deals, open_ids)
        cards = with_hidden_flags(
            Deal.objects.filter(pk__in=RawSQL(ids_sql, params))  # noqa: S611
            .select_related("company", "owner", "stage")
            .order_by(*CARD_ORDER),
            user,
            company="company",
        )
        for deal in cards:
            days = days_in_stage(deal.stage_changed_at, now)
            columns[deal.stage_id].cards.append(
                Card(
                    deal=deal,
                    days_in_stage=days,
                    stale=deal.status == DealStatus.OPEN
                    and is_stale(days, pipeline.stale_after_days),
                    can_edit=permissions.can_edit_deal(user, deal),
                )
            )
    return Board(pipeline=pipeline, columns=list(columns.values()), currency=base)


@dataclass(frozen=True)
class CloseChoices:
    won_reasons: list[CloseReason]
    lost_reasons: list[CloseReason]
    competitors: list[Competitor]


def close_choices() -> CloseChoices:
    """What the won/lost dialog offers: the active reasons of each kind and the competitors."""
    reasons = list(CloseReason.objects.filter(is_active=True))
    return CloseChoices(
        won_reasons=[r for r in reasons if r.kind == StageKind.WON],
        lost_reasons=[r for r in reasons if r.kind == StageKind.LOST],
        competitors=list(Competitor.objects.all()),
    )


def board_deal(*, user: User, pk: int) -> Deal | None:
    """A deal for a move from the board, if `user` may see it (None looks like a missing deal)."""
    deals = selectors.deals_visible_to(user, selectors.deals_queryset())
    return deals.select_related("owner__team").filter(pk=pk).first()
