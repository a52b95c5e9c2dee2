"""Reads for objections: the library, one deal's objections, the objection report.

Every number is computed over the deals the reader may see (selectors.deals_visible_to).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet

from revline.core.models import Team, User

from . import objection_stats
from .models import (
    Deal,
    DealStatus,
    Objection,
    ObjectionResponse,
    ObjectionType,
    Pipeline,
    Stage,
)
from .objection_stats import ClosedDeal, ObjectionFact, ObjectionReport, TypeStats
from .selectors import deals_visible_to

CLOSED = [DealStatus.WON, DealStatus.LOST]
MIN_CLOSED_FOR_MARKETING = 5


def _visible_objections(user: User) -> Q:
    return Q(objections__deal__in=deals_visible_to(user, Deal.objects.all()).values("pk"))


def objection_types_with_counts(user: User) -> QuerySet[ObjectionType]:
    """The library with, per type, how often it was raised and the wins/losses of its deals."""
    visible = _visible_objections(user)
    return ObjectionType.objects.annotate(
        raised=Count("objections", filter=visible),
        deals=Count("objections__deal", filter=visible, distinct=True),
        won_deals=Count(
            "objections__deal",
            filter=visible & Q(objections__deal__status=DealStatus.WON),
            distinct=True,
        ),
        lost_deals=Count(
            "objections__deal",
            filter=visible & Q(objections__deal__status=DealStatus.LOST),
            distinct=True,
        ),
        response_count=Count("responses", distinct=True),
    )


@dataclass(frozen=True)
class ResponseRow:
    response: ObjectionResponse
    uses: int
    won_after: int
    lost_after: int

    @property
    def win_rate(self) -> float | None:
        return objection_stats.percent(self.won_after, self.won_after + self.lost_after)


def objection_type_responses(user: User, objection_type: ObjectionType) -> list[ResponseRow]:
    """The type's responses (retired ones too) with how the deals they were used on ended."""
    visible = Q(uses__deal__in=deals_visible_to(user, Deal.objects.all()).values("pk"))
    responses = objection_type.responses.annotate(
        n_uses=Count("uses", filter=visible),
        n_won=Count("uses", filter=visible & Q(uses__deal__status=DealStatus.WON)),
        n_lost=Count("uses", filter=visible & Q(uses__deal__status=DealStatus.LOST)),
    ).order_by("-is_active", "position", "pk")
    return [
        ResponseRow(response=r, uses=r.n_uses, won_after=r.n_won, lost_after=r.n_lost)
        for r in responses
    ]


def library_types() -> QuerySet[ObjectionType]:
    """Active types with their active responses and linked content, for the rep's help box."""
    return ObjectionType.objects.filter(is_active=True).prefetch_related(
        Prefetch(
            "responses",
            queryset=ObjectionResponse.objects.filter(is_active=True).order_by("position", "pk"),
            to_attr="active_responses",
        ),
        "content",
    )


def active_responses(objection_type: ObjectionType | None) -> QuerySet[ObjectionResponse]:
    if objection_type is None:
        return ObjectionResponse.objects.none()
    return objection_type.responses.filter(is_active=True).order_by("position", "pk")


def deal_objections(deal: Deal) -> list[Objection]:
    return list(deal.objections.select_related("objection_type", "stage", "response", "logged_by"))


def objection_for_deal(deal: Deal, pk: int) -> Objection | None:
    return deal.objections.select_related("objection_type", "deal__owner").filter(pk=pk).first()


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class ReportScope:
    pipeline: Pipeline | None = None
    owner: User | None = None
    team: Team | None = None
    start: datetime | None = None
    end: datetime | None = None  # exclusive


@dataclass
class ObjectionReportPage:
    report: ObjectionReport
    types: dict[int, ObjectionType]
    stages: list[Stage]  # columns of the stage table: stages where an objection came up
    responses: dict[int, ObjectionResponse]
    worst: list[TypeStats]
    stage_labels: dict[int, str]


def _scope_deals(user: User, scope: ReportScope) -> QuerySet[Deal]:
    deals = deals_visible_to(user, Deal.objects.all())
    if scope.pipeline is not None:
        deals = deals.filter(pipeline=scope.pipeline)
    if scope.owner is not None:
        deals = deals.filter(owner=scope.owner)
    if scope.team is not None:
        deals = deals.filter(owner__team=scope.team)
    return deals


def _period(field: str, scope: ReportScope) -> Q:
    condition = Q()
    if scope.start is not None:
        condition &= Q(**{f"{field}__gte": scope.start})
    if scope.end is not None:
        condition &= Q(**{f"{field}__lt": scope.end})
    return condition


def _report_numbers(user: User, scope: ReportScope) -> ObjectionReport:
    deals = _scope_deals(user, scope)
    closed = [
        ClosedDeal(deal_id=pk, won=status == DealStatus.WON)
        for pk, status in deals.filter(_period("closed_at", scope), status__in=CLOSED)
        .order_by()
        .values_list("pk", "status")
    ]
    rows = (
        Objection.objects.filter(deal__in=deals.values("pk"))
        .filter(
            _period("raised_at", scope)
            | (Q(deal__status__in=CLOSED) & _period("deal__closed_at", scope))
        )
        .order_by()
        .values_list(
            "deal_id",
            "objection_type_id",
            "stage_id",
            "response_id",
            "outcome",
            "deal__status",
            "raised_at",
        )
    )
    facts = [ObjectionFact(*row) for row in rows.iterator(chunk_size=5000)]
    type_ids = list(ObjectionType.objects.values_list("pk", flat=True))
    return objection_stats.objection_report(
        type_ids=type_ids,
        stage_ids=[],
        objections=facts,
        closed_deals=closed,
        start=scope.start,
        end=scope.end,
    )


def objection_report(user: User, scope: ReportScope) -> ObjectionReportPage:
    report = _report_numbers(user, scope)
    types = ObjectionType.objects.in_bulk()
    # Only types that came up (or are in use) are worth a row.
    report.types = [
        t for t in report.types if t.raised or t.closed_with or types[t.type_id].is_active
    ]
    stage_objects = Stage.objects.select_related("pipeline").in_bulk(report.stage_ids)
    stages = sorted(
        stage_objects.values(),
        key=lambda s: (not s.pipeline.is_default, s.pipeline.name, s.position),
    )
    several_pipelines = len({s.pipeline_id for s in stages}) > 1
    response_ids = [r.response_id for t in report.types for r in t.responses]
    return ObjectionReportPage(
        report=report,
        types=types,
        stages=stages,
        responses=ObjectionResponse.objects.in_bulk(response_ids),
        worst=objection_stats.worst_win_rates(report.types, min_closed=MIN_CLOSED_FOR_MARKETING),
        stage_labels={
            s.pk: f"{s.pipeline.name} · {s.name}" if several_pipelines else s.name for s in stages
        },
    )


@dataclass(frozen=True)
class MarketingRow:
    objection_type: ObjectionType
    stats: TypeStats


def objections_for_marketing(user: User, *, limit: int = 3) -> list[MarketingRow]:
    """The objections whose deals are won least often: what content should answer next."""
    report = _report_numbers(user, ReportScope())
    worst = objection_stats.worst_win_rates(
        report.types, min_closed=MIN_CLOSED_FOR_MARKETING, limit=limit
    )
    types = ObjectionType.objects.prefetch_related("content").in_bulk([t.type_id for t in worst])
    return [MarketingRow(objection_type=types[t.type_id], stats=t) for t in worst]
