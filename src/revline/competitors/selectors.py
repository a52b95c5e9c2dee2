"""Reads for competitors: the list with its numbers, one competitor's page, the deal card, the
win/loss report by competitor, and mentions in PR coverage and customer feedback.

Every number is computed over the deals the reader may see (sales.visibility.deals_visible_to),
grouped in SQL; report.py turns the grouped counts into rows.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import NullIf

from revline.core import permissions
from revline.core.models import Team, User
from revline.pr.models import Coverage
from revline.sales.models import Competitor, Deal, DealStatus, Pipeline
from revline.sales.visibility import deals_visible_to

from . import report
from .report import CompetitorReport, CompetitorRow, LabelCount, StatusTotal

CLOSED = [DealStatus.WON, DealStatus.LOST]
MENTIONS_LIMIT = 10
Involvement = Deal.competitors.through


# ---------------------------------------------------------------- the list


def competitors_with_counts(user: User) -> QuerySet[Competitor]:
    """Every competitor with the deals `user` may see that it was involved in: `involved`,
    `won_deals`, `lost_deals`, `win_rate` (percent of the closed ones; None: none closed)."""
    seen = Q()
    if permissions.sees_only_team_deals(user):
        seen = Q(deals_involved__in=deals_visible_to(user, Deal.objects.all()).values("pk"))
    won = Count("deals_involved", filter=seen & Q(deals_involved__status=DealStatus.WON))
    lost = Count("deals_involved", filter=seen & Q(deals_involved__status=DealStatus.LOST))
    return Competitor.objects.annotate(
        involved=Count("deals_involved", filter=seen),
        won_deals=won,
        lost_deals=lost,
    ).annotate(
        win_rate=ExpressionWrapper(
            F("won_deals") * 100.0 / NullIf(F("won_deals") + F("lost_deals"), 0),
            output_field=FloatField(),
        )
    )


def competitors_search(competitors: QuerySet[Competitor], query: str) -> QuerySet[Competitor]:
    query = query.strip()
    return competitors.filter(
        Q(name__icontains=query) | Q(website__icontains=query) | Q(positioning__icontains=query)
    )


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class ReportScope:
    pipeline: Pipeline | None = None
    owner: User | None = None
    team: Team | None = None
    start: datetime | None = None  # closed at or after
    end: datetime | None = None  # closed before


def scope_deals(user: User, scope: ReportScope) -> QuerySet[Deal]:
    """The deals of the report: visible, in the pipeline/owner/team, open now or closed in the
    period (a period limits closed deals only: open deals have no close date)."""
    deals = deals_visible_to(user, Deal.objects.all())
    if scope.pipeline is not None:
        deals = deals.filter(pipeline=scope.pipeline)
    if scope.owner is not None:
        deals = deals.filter(owner=scope.owner)
    if scope.team is not None:
        deals = deals.filter(owner__team=scope.team)
    closed = Q(status__in=CLOSED)
    if scope.start is not None:
        closed &= Q(closed_at__gte=scope.start)
    if scope.end is not None:
        closed &= Q(closed_at__lt=scope.end)
    return deals.filter(Q(status=DealStatus.OPEN) | closed)


def win_loss_report(
    user: User,
    scope: ReportScope,
    *,
    competitor: Competitor | None = None,
    top: int | None = 3,
) -> CompetitorReport:
    """Win/loss by competitor over the scope's deals, in six queries whatever their number
    (`competitor`: that competitor's row only)."""
    deals = scope_deals(user, scope).values("pk")
    links = Involvement.objects.filter(deal_id__in=deals)
    lost = Deal.objects.filter(pk__in=deals, status=DealStatus.LOST, lost_to__isnull=False)
    if competitor is not None:
        links = links.filter(competitor_id=competitor.pk)
        lost = lost.filter(lost_to=competitor)
    totals = (
        links.values_list("competitor_id", "deal__status")
        .annotate(n=Count("deal_id"), amount=Sum("deal__amount_base"))
        .order_by()
    )
    reasons = (
        links.filter(deal__status=DealStatus.LOST)
        .values_list("competitor_id", "deal__close_reason__name")
        .annotate(n=Count("deal_id"))
        .order_by()
    )
    raised = (
        links.values_list("competitor_id", "deal__objections__objection_type__name")
        .annotate(n=Count("deal_id", distinct=True))
        .order_by()
    )
    lost_to = dict(lost.values_list("lost_to_id").annotate(n=Count("pk")).order_by())
    overall_deals = Deal.objects.filter(pk__in=links.values("deal_id"))
    overall = (
        overall_deals.values_list("status")
        .annotate(n=Count("pk"), amount=Sum("amount_base"))
        .order_by()
    )
    names = dict(Competitor.objects.values_list("pk", "name"))
    return report.report_build(
        names=names,
        totals=[StatusTotal(c, s, n, amount or Decimal("0")) for c, s, n, amount in totals],
        lost_to=lost_to,
        reasons=[LabelCount(c, label, n) for c, label, n in reasons],
        objections=[LabelCount(c, label, n) for c, label, n in raised],
        overall=[StatusTotal(0, s, n, amount or Decimal("0")) for s, n, amount in overall],
        top=top,
    )


# ---------------------------------------------------------------- one competitor


@dataclass
class CompetitorPage:
    competitor: Competitor
    numbers: CompetitorRow
    coverage: list[Coverage]
    coverage_total: int
    feedback: list[Any] | None  # None: the feedback inbox is not installed
    feedback_total: int


def competitor_deals(user: User, competitor: Competitor) -> QuerySet[Deal]:
    """The deals `user` may see that `competitor` was involved in (or won)."""
    deals = Deal.objects.filter(Q(competitors=competitor) | Q(lost_to=competitor)).distinct()
    return deals_visible_to(user, deals).select_related("owner", "stage", "company", "close_reason")


def coverage_mentioning(competitor: Competitor) -> QuerySet[Coverage]:
    """PR coverage naming the competitor (PR keeps its own names; matched in any case)."""
    return Coverage.objects.filter(competitors__name__iexact=competitor.name).order_by(
        "-published_on", "-pk"
    )


def feedback_model() -> Any:
    """The feedback inbox's item model, or None while that app has none."""
    try:
        return apps.get_model("feedback", "FeedbackItem")
    except LookupError:
        return None


def feedback_mentioning(user: User, competitor: Competitor) -> QuerySet[Any] | None:
    """Feedback whose text names the competitor; items of deals `user` may not see are left out."""
    model = feedback_model()
    if model is None:
        return None
    items = model.objects.filter(text__icontains=competitor.name)
    if permissions.sees_only_team_deals(user):
        visible = deals_visible_to(user, Deal.objects.all()).values("pk")
        items = items.filter(Q(deal__isnull=True) | Q(deal__in=visible))
    return items.select_related("contact", "deal").order_by("-occurred_at", "-pk")


def competitor_page(user: User, competitor: Competitor) -> CompetitorPage:
    rows = win_loss_report(user, ReportScope(), competitor=competitor, top=None).rows
    coverage = coverage_mentioning(competitor)
    feedback = feedback_mentioning(user, competitor)
    return CompetitorPage(
        competitor=competitor,
        numbers=rows[0]
        if rows
        else CompetitorRow(competitor_id=competitor.pk, name=competitor.name),
        coverage=list(coverage[:MENTIONS_LIMIT]),
        coverage_total=coverage.count(),
        feedback=list(feedback[:MENTIONS_LIMIT]) if feedback is not None else None,
        feedback_total=feedback.count() if feedback is not None else 0,
    )


# ---------------------------------------------------------------- on a deal


def deal_competitors(deal: Deal) -> list[Competitor]:
    return list(deal.competitors.order_by("name"))


def competitors_to_add(deal: Deal) -> QuerySet[Competitor]:
    return Competitor.objects.exclude(pk__in=deal.competitors.values("pk")).order_by("name")
