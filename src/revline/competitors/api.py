"""Competitors with their battlecards, and the win/loss report by competitor, over the JSON API.

Everyone with a token reads; the numbers count only the deals the token's user may see. Sales
managers, marketers and admins edit competitors; whoever may change a deal sets its competitors.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict, StringConstraints

from revline.core import permissions
from revline.core.api_support import api_user, related_or_422
from revline.core.dates import day_start
from revline.core.models import Team, User
from revline.core.schemas import ErrorOut, InputSchema, LimitOffset, Name100, PatchSchema, Text200
from revline.sales.api_selectors import deals_for_api
from revline.sales.models import Competitor, Deal, Pipeline

from . import selectors, services
from .report import CompetitorRow, Outcomes

router = Router(tags=["competitors"])

ERRORS: dict[int, Any] = {404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {403: ErrorOut, **ERRORS}
ProfileText = Annotated[str, StringConstraints(max_length=services.TEXT_MAX)]
Website = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


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


@router.get("/competitors/{int:competitor_id}", response={200: CompetitorOut, **ERRORS})
def read_competitor(request: HttpRequest, competitor_id: int) -> Any:
    return get_object_or_404(selectors.competitors_with_counts(api_user(request)), pk=competitor_id)


class CompetitorIn(InputSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Pipedrive",
                    "website": "https://www.pipedrive.com",
                    "positioning": "Simple pipeline tool for small sales teams",
                    "how_to_win": "Show marketing and sales in one place.",
                }
            ]
        },
    )

    name: Name100
    website: Website = ""
    positioning: ProfileText = ""
    strengths: ProfileText = ""
    weaknesses: ProfileText = ""
    pricing_notes: ProfileText = ""
    how_to_win: ProfileText = ""
    landmines: ProfileText = ""
    proof_points: ProfileText = ""


class CompetitorPatch(PatchSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"landmines": "Ask about their API limits."}]},
    )

    name: Name100 | None = None
    website: Website | None = None
    positioning: ProfileText | None = None
    strengths: ProfileText | None = None
    weaknesses: ProfileText | None = None
    pricing_notes: ProfileText | None = None
    how_to_win: ProfileText | None = None
    landmines: ProfileText | None = None
    proof_points: ProfileText | None = None


class DealCompetitorIn(InputSchema):
    competitor_id: int = Field(examples=[3])


class DealCompetitorOut(Schema):
    id: int
    name: str
    website: str


def _counted(request: HttpRequest, competitor_id: int) -> Competitor:
    return selectors.competitors_with_counts(api_user(request)).get(pk=competitor_id)


def _editor(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(services.can_edit_competitors(user), services.COMPETITORS_DENIED)
    return user


@router.post(
    "/competitors",
    response={201: CompetitorOut, **WRITE_ERRORS},
    summary="Add a competitor with its profile and battlecard; managers, marketers, admins",
)
def create_competitor(request: HttpRequest, payload: CompetitorIn) -> Any:
    actor = _editor(request)
    competitor = services.competitor_create(actor=actor, **payload.model_dump())
    return Status(201, _counted(request, competitor.pk))


@router.patch(
    "/competitors/{int:competitor_id}",
    response={200: CompetitorOut, **WRITE_ERRORS},
    summary="Change a competitor's profile or battlecard (fields not sent are kept)",
)
def update_competitor(request: HttpRequest, competitor_id: int, payload: CompetitorPatch) -> Any:
    actor = _editor(request)
    competitor = get_object_or_404(Competitor.objects.all(), pk=competitor_id)
    current = {
        name: getattr(competitor, name) for name in ("name", "website", *services.PROFILE_FIELDS)
    }
    services.competitor_update(
        actor=actor, competitor=competitor, **{**current, **payload.model_dump(exclude_unset=True)}
    )
    return _counted(request, competitor.pk)


@router.delete(
    "/competitors/{int:competitor_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a competitor no deal involves; managers, marketers, admins",
)
def delete_competitor(request: HttpRequest, competitor_id: int) -> Any:
    actor = _editor(request)
    competitor = get_object_or_404(Competitor.objects.all(), pk=competitor_id)
    services.competitor_delete(actor=actor, competitor=competitor)
    return Status(204, None)


def _editable_deal(request: HttpRequest, deal_id: int) -> tuple[User, Deal]:
    actor = api_user(request)
    deal = get_object_or_404(deals_for_api(actor), pk=deal_id)
    permissions.require(permissions.can_edit_deal(actor, deal), services.DEAL_DENIED)
    return actor, deal


@router.get(
    "/deals/{int:deal_id}/competitors",
    response={200: list[DealCompetitorOut], 404: ErrorOut},
    summary="The competitors involved in a deal, by name",
)
def list_deal_competitors(request: HttpRequest, deal_id: int) -> Any:
    deal = get_object_or_404(deals_for_api(api_user(request)), pk=deal_id)
    return selectors.deal_competitors(deal)


@router.post(
    "/deals/{int:deal_id}/competitors",
    response={200: list[DealCompetitorOut], **WRITE_ERRORS},
    summary="Record that a competitor is involved in the deal (again is a no-op)",
)
def add_deal_competitor(request: HttpRequest, deal_id: int, payload: DealCompetitorIn) -> Any:
    actor, deal = _editable_deal(request, deal_id)
    competitor = related_or_422(
        Competitor.objects.all(), payload.competitor_id, field="competitor_id"
    )
    assert competitor is not None
    services.deal_competitor_add(actor=actor, deal=deal, competitor=competitor)
    return selectors.deal_competitors(deal)


@router.delete(
    "/deals/{int:deal_id}/competitors/{int:competitor_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Take a competitor off the deal (not the one a lost deal went to)",
)
def remove_deal_competitor(request: HttpRequest, deal_id: int, competitor_id: int) -> Any:
    actor, deal = _editable_deal(request, deal_id)
    competitor = get_object_or_404(Competitor.objects.all(), pk=competitor_id)
    services.deal_competitor_remove(actor=actor, deal=deal, competitor=competitor)
    return Status(204, None)
