"""Competitors with their battlecards, and the win/loss report by competitor, over the JSON API.

Everyone with a token reads; the numbers count only the deals the token's user may see.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from revline.core.api_support import api_user, related_or_422
from revline.core.dates import day_start
from revline.core.models import Team, User
from revline.core.schemas import ErrorOut, LimitOffset, Text200
from revline.sales.models import Pipeline

from . import selectors
from .report import CompetitorRow, Outcomes

router = Router(tags=["competitors"])

ERRORS: dict[int, Any] = {404: ErrorOut, 422: ErrorOut}


class CompetitorFilters(Schema):
    q: Text200 = Field("", description="Matches the name, website or positioning")


class CompetitorOut(Schema):
    id: int
    name: str
    website: str
    positioning: str
    strengths: str
    weaknesses: str
    pricing_notes: str
    how_to_win: str = Field(description="Battlecard: the plays that beat them")
    landmines: str = Field(description="Battlecard: questions that expose their weak spots")
    proof_points: str = Field(description="Battlecard: customers, numbers, reviews")
    deals_involved: int = Field(description="Deals you may see that it was involved in")
    won: int
    lost: int
    win_rate: float | None = Field(description="Percent of those closed that were won")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_deals_involved(obj: Any) -> int:
        return int(obj.involved)

    @staticmethod
    def resolve_won(obj: Any) -> int:
        return int(obj.won_deals)

    @staticmethod
    def resolve_lost(obj: Any) -> int:
        return int(obj.lost_deals)

    @staticmethod
    def resolve_win_rate(obj: Any) -> float | None:
        return None if obj.win_rate is None else round(obj.win_rate, 1)


class ReportFilters(Schema):
    pipeline_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = Field(None, description="The deal owner's team")
    closed_from: date | None = Field(None, description="Closed deals from this day (included)")
    closed_to: date | None = Field(None, description="Closed deals up to this day (included)")


class RankedOut(Schema):
    label: str
    count: int


class OutcomesOut(Schema):
    involved: int
    open: int
    won: int
    lost: int
    win_rate: float | None
    average_won: Decimal | None
    average_lost: Decimal | None


class ReportRowOut(OutcomesOut):
    competitor_id: int
    name: str
    lost_to: int = Field(description="Lost deals whose buyer chose this competitor")
    reasons: list[RankedOut] = Field(description="Top close reasons of the lost deals")
    objections: list[RankedOut] = Field(description="Top objections: deals where raised")


class ReportOut(Schema):
    currency: str
    overall: OutcomesOut = Field(description="Deals against any competitor, each counted once")
    rows: list[ReportRowOut]


def _outcomes(o: Outcomes) -> dict[str, Any]:
    return {
        "involved": o.involved,
        "open": o.open,
        "won": o.won,
        "lost": o.lost,
        "win_rate": o.win_rate,
        "average_won": o.average_won,
        "average_lost": o.average_lost,
    }


def _row(r: CompetitorRow) -> dict[str, Any]:
    return {
        **_outcomes(r),
        "competitor_id": r.competitor_id,
        "name": r.name,
        "lost_to": r.lost_to,
        "reasons": [{"label": x.label, "count": x.count} for x in r.reasons],
        "objections": [{"label": x.label, "count": x.count} for x in r.objections],
    }


@router.get("/competitors", response=list[CompetitorOut], summary="Competitors by name")
@paginate(LimitOffset)
def list_competitors(request: HttpRequest, filters: Query[CompetitorFilters]) -> Any:
    competitors = selectors.competitors_with_counts(api_user(request)).order_by("name", "pk")
    if filters.q:
        competitors = selectors.competitors_search(competitors, filters.q)
    return competitors


@router.get(
    "/competitors/report",
    response={200: ReportOut, 422: ErrorOut},
    summary="Win/loss by competitor over the deals you may see",
)
def competitor_report(request: HttpRequest, filters: Query[ReportFilters]) -> Any:
    if filters.closed_from and filters.closed_to and filters.closed_from > filters.closed_to:
        raise ValidationError({"closed_to": "The end date must be on or after the start date."})
    scope = selectors.ReportScope(
        pipeline=related_or_422(Pipeline.objects.all(), filters.pipeline_id, field="pipeline_id"),
        owner=related_or_422(User.objects.all(), filters.owner_id, field="owner_id"),
        team=related_or_422(Team.objects.all(), filters.team_id, field="team_id"),
        start=day_start(filters.closed_from) if filters.closed_from else None,
        end=day_start(filters.closed_to + timedelta(days=1)) if filters.closed_to else None,
    )
    result = selectors.win_loss_report(api_user(request), scope)
    return {
        "currency": settings.CURRENCY,
        "overall": _outcomes(result.overall),
        "rows": [_row(r) for r in result.rows],
    }


@router.get("/competitors/{competitor_id}", response={200: CompetitorOut, **ERRORS})
def read_competitor(request: HttpRequest, competitor_id: int) -> Any:
    return get_object_or_404(selectors.competitors_with_counts(api_user(request)), pk=competitor_id)
