"""Reads for the sales dashboard: one function per widget, each a fixed number of queries, each
over the deals the user may see (selectors.deals_visible_to)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from revline.core.models import User
from revline.core.visibility import users_q, visible_activities, with_hidden_flags

from . import selectors
from .dashboard import ClosedRow, TrendMonth, last_months, monthly_trend
from .forecast import attainment
from .forecast_selectors import local_midnight, quota_owner_filter
from .models import (
    Activity,
    ActivityKind,
    Deal,
    DealStatus,
    Objection,
    ObjectionOutcome,
    Pipeline,
    Quota,
    QuotaPeriod,
    StageKind,
)

ZERO = Decimal("0")
CLOSING_LIMIT = 10
OBJECTION_DAYS = 90
TREND_MONTHS = 12


def _visible(user: User) -> QuerySet[Deal]:
    return selectors.deals_visible_to(user, Deal.objects.all())


def _not_converted() -> Q:
    return ~Q(currency=settings.CURRENCY) & Q(amount_base=0) & Q(amount__gt=0)


@dataclass(frozen=True)
class StageBar:
    name: str
    probability: int
    deals: int
    amount: Decimal
    not_converted: int
    bar: int  # percent of the largest stage's amount


@dataclass(frozen=True)
class PipelineByStage:
    pipeline: Pipeline | None
    stages: list[StageBar]
    deals: int
    amount: Decimal
    not_converted: int


def pipeline_by_stage(*, user: User, pipeline: Pipeline | None) -> PipelineByStage:
    """Open deals per open stage of one pipeline (the default one when None), in two queries."""
    pipeline = pipeline or selectors.default_pipeline()
    if pipeline is None:
        return PipelineByStage(pipeline=None, stages=[], deals=0, amount=ZERO, not_converted=0)
    numbers: dict[int, dict[str, Any]] = {
        row["stage_id"]: dict(row)
        for row in _visible(user)
        .filter(pipeline=pipeline, status=DealStatus.OPEN)
        .order_by()
        .values("stage_id")
        .annotate(
            n=Count("pk"), total=Sum("amount_base"), other=Count("pk", filter=_not_converted())
        )
    }
    stages = list(pipeline.stages.filter(kind=StageKind.OPEN).order_by("position"))
    biggest = max((numbers.get(s.pk, {}).get("total") or ZERO for s in stages), default=ZERO)
    bars = []
    for stage in stages:
        row: dict[str, Any] = numbers.get(stage.pk, {})
        amount = row.get("total") or ZERO
        bars.append(
            StageBar(
                name=stage.name,
                probability=stage.probability,
                deals=row.get("n", 0),
                amount=amount,
                not_converted=row.get("other", 0),
                bar=int(amount * 100 / biggest) if biggest else 0,
            )
        )
    return PipelineByStage(
        pipeline=pipeline,
        stages=bars,
        deals=sum(b.deals for b in bars),
        amount=sum((b.amount for b in bars), ZERO),
        not_converted=sum(b.not_converted for b in bars),
    )


@dataclass(frozen=True)
class Closing:
    deals: list[Deal]
    count: int
    amount: Decimal


def deals_closing(*, user: User, start: date, end: date) -> Closing:
    """Open deals expected to close in [start, end): the first ten by date, and the totals."""
    deals = _visible(user).filter(
        status=DealStatus.OPEN, expected_close_date__gte=start, expected_close_date__lt=end
    )
    totals = deals.aggregate(n=Count("pk"), total=Sum("amount_base"))
    first = list(
        with_hidden_flags(
            deals.select_related("stage", "company", "owner"), user, company="company"
        ).order_by("expected_close_date", "-amount_base", "pk")[:CLOSING_LIMIT]
    )
    return Closing(deals=first, count=totals["n"] or 0, amount=totals["total"] or ZERO)


def win_trend(*, user: User, today: date) -> list[TrendMonth]:
    """Win rate and sales cycle per month over the last twelve months, in one query."""
    months = last_months(today, TREND_MONTHS)
    since = local_midnight(months[0])
    rows = [
        ClosedRow(
            won=status == DealStatus.WON,
            created_at=created_at,
            closed_at=closed_at,
            closed_on=timezone.localdate(closed_at),
        )
        for status, created_at, closed_at in _visible(user)
        .filter(status__in=[DealStatus.WON, DealStatus.LOST], closed_at__gte=since)
        .values_list("status", "created_at", "closed_at")
        if closed_at is not None
    ]
    return monthly_trend(rows, months)


@dataclass
class ActivityRow:
    user_id: int | None
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0


def activity_by_rep(*, user: User, start: datetime, end: datetime) -> list[ActivityRow]:
    """Activities logged per person and kind in [start, end), in one query: only those the
    user may see (core.visibility), and only by people whose deals the user sees."""
    activities = visible_activities(
        Activity.objects.filter(occurred_at__gte=start, occurred_at__lt=end), user
    )
    if people := users_q(user, "deal", prefix="created_by__"):
        activities = activities.filter(people)
    rows: dict[int | None, ActivityRow] = {}
    for row in (
        activities.order_by()
        .values(
            "created_by_id",
            "created_by__first_name",
            "created_by__last_name",
            "created_by__username",
            "kind",
        )
        .annotate(n=Count("pk"))
    ):
        key = row["created_by_id"]
        if key not in rows:
            name = " ".join(
                p for p in (row["created_by__first_name"], row["created_by__last_name"]) if p
            )
            rows[key] = ActivityRow(
                user_id=key,
                name=name or row["created_by__username"] or "Nobody (imported or automatic)",
                counts={kind: 0 for kind in ActivityKind.values},
            )
        rows[key].counts[row["kind"]] = row["n"]
        rows[key].total += row["n"]
    return sorted(rows.values(), key=lambda r: (-r.total, r.name))


@dataclass(frozen=True)
class ObjectionCount:
    type_id: int
    name: str
    count: int
    overcome: int


def top_objections(*, user: User, now: datetime, limit: int = 8) -> list[ObjectionCount]:
    """The objection types raised most often in the last 90 days on deals `user` may see."""
    since = now - timedelta(days=OBJECTION_DAYS)
    return [
        ObjectionCount(
            type_id=row["objection_type_id"],
            name=row["objection_type__name"],
            count=row["n"],
            overcome=row["overcome"],
        )
        for row in Objection.objects.filter(
            raised_at__gte=since, deal_id__in=_visible(user).values("pk")
        )
        .order_by()
        .values("objection_type_id", "objection_type__name")
        .annotate(
            n=Count("pk"),
            overcome=Count("pk", filter=Q(outcome=ObjectionOutcome.OVERCOME)),
        )
        .order_by("-n", "objection_type__name")[:limit]
    ]


@dataclass(frozen=True)
class Attainment:
    user: User
    quota: Decimal
    won: Decimal
    attainment: Decimal | None
    bar: int


def quota_attainment(*, user: User, start: date, end: date) -> list[Attainment]:
    """Each visible rep's monthly quota starting `start` against what they won by `end`, in two
    queries."""
    quotas = list(
        Quota.objects.filter(quota_owner_filter(user), period=QuotaPeriod.MONTH, period_start=start)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )
    won: dict[int, Decimal] = defaultdict(Decimal)
    for owner_id, total in (
        _visible(user)
        .filter(
            status=DealStatus.WON,
            closed_at__gte=local_midnight(start),
            closed_at__lt=local_midnight(end),
            owner_id__in=[q.user_id for q in quotas],
        )
        .order_by()
        .values("owner_id")
        .annotate(total=Sum("amount_base"))
        .values_list("owner_id", "total")
    ):
        won[owner_id] = total or ZERO
    rows = []
    for quota in quotas:
        got = won.get(quota.user_id, ZERO)
        pct = attainment(got, quota.amount)
        rows.append(
            Attainment(
                user=quota.user,
                quota=quota.amount,
                won=got,
                attainment=pct,
                bar=min(int(pct), 100) if pct is not None else 0,
            )
        )
    return rows
