"""Surveys over the JSON API: the list and each survey's results (NPS, CSAT, trend)."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from revline.core.api_support import api_user
from revline.core.schemas import ErrorOut, LimitOffset

from . import selectors
from .models import Survey

router = Router(tags=["surveys"])


class SurveyOut(Schema):
    id: int
    name: str
    slug: str
    status: str
    allow_anonymous: bool
    allow_repeat: bool
    created_at: datetime
    updated_at: datetime


class SurveyFilters(Schema):
    q: str = ""
    status: str = ""


class ResultFiltersIn(Schema):
    company: int | None = None
    stage: str = ""
    date_from: date | None = None
    date_to: date | None = None
    period: str = "week"


class NpsOut(Schema):
    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None


class TrendOut(Schema):
    period: date
    nps: NpsOut


class CsatOut(Schema):
    responses: int
    satisfied: int
    score: float | None
    mean: float | None


class ResultsOut(Schema):
    responses: int
    nps: NpsOut | None
    csat: CsatOut | None
    trend: list[TrendOut]


def _nps(value: Any) -> NpsOut:
    return NpsOut(
        responses=value.responses,
        promoters=value.promoters,
        passives=value.passives,
        detractors=value.detractors,
        score=value.score,
    )


@router.get("/surveys", response=list[SurveyOut])
@paginate(LimitOffset)
def list_surveys(request: HttpRequest, filters: Query[SurveyFilters]) -> Any:
    api_user(request)
    surveys = Survey.objects.all()
    if filters.q:
        surveys = surveys.filter(name__icontains=filters.q[:200])
    if filters.status:
        surveys = surveys.filter(status=filters.status)
    return surveys.order_by("-updated_at", "-pk")


@router.get("/surveys/{int:survey_id}/results", response={200: ResultsOut, 404: ErrorOut})
def survey_results(request: HttpRequest, survey_id: int, filters: Query[ResultFiltersIn]) -> Any:
    api_user(request)
    survey = selectors.survey_get(pk=survey_id)
    if survey is None:
        return Status(404, {"detail": "No such survey."})
    results = selectors.survey_results(
        survey=survey,
        filters=selectors.ResultFilters(
            company=filters.company,
            stage=filters.stage[:20],
            date_from=filters.date_from,
            date_to=filters.date_to,
        ),
        period=filters.period,
    )
    csat = results.csat
    return Status(
        200,
        ResultsOut(
            responses=results.responses,
            nps=_nps(results.nps) if results.has_nps else None,
            csat=CsatOut(
                responses=csat.responses, satisfied=csat.satisfied, score=csat.score, mean=csat.mean
            )
            if results.has_csat
            else None,
            trend=[TrendOut(period=p.period, nps=_nps(p.nps)) for p in results.trend],
        ),
    )
