"""Surveys over the JSON API: surveys and their questions (versioned as in the builder),
publishing and closing, email distributions and invites, responses and results.

Everyone reads; marketers and admins change (the services check it too).
"""

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.core import permissions
from revline.core.api_support import api_user, related_or_422
from revline.core.audience import require_whole_audience, sees_whole_audience
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset
from revline.core.visibility import contact_q
from revline.segments.models import Segment

from . import selectors, services
from .api_schemas import (
    CsatOut,
    DistributionIn,
    DistributionOut,
    DistributionResultOut,
    InviteFilters,
    InviteOut,
    MoveIn,
    NpsOut,
    QuestionIn,
    QuestionOut,
    QuestionPatch,
    ResponseDetailOut,
    ResponseFilters,
    ResponseOut,
    ResultFiltersIn,
    SurveyDetailOut,
    SurveyFilters,
    SurveyIn,
    SurveyOut,
    SurveyPatch,
    SurveyResultsOut,
    TrendOut,
)
from .models import Question, Response, Survey, SurveyDistribution, SurveyInvite

router = Router(tags=["surveys"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
NOT_FOUND: dict[int, Any] = {404: ErrorOut}


def _marketer(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(permissions.can_manage_marketing(user), services.MARKETING_ONLY)
    return user


def _survey_or_404(survey_id: int) -> Survey:
    survey = selectors.survey_get(pk=survey_id)
    if survey is None:
        raise Http404("No such survey.")
    return survey


def _question_or_404(survey: Survey, question_id: int) -> Question:
    """A question of the survey whose key is still in the newest version (the builder's)."""
    question = selectors.question_get(pk=question_id)
    if question is None or question.version.survey_id != survey.pk:
        raise Http404("No such question.")
    if not services.latest_version(survey).questions.filter(key=question.key).exists():
        raise Http404("That question was removed from the survey.")
    return question


def _detail(survey: Survey, *, audience: bool = True) -> Survey:
    """`audience`: False for a reader narrowed by contact visibility (no response count)."""
    page = selectors.builder_page(survey=survey, audience=audience)
    survey.__dict__.update(
        version=page.version.number,
        version_locked=page.version_locked,
        response_count=page.response_count,
        questions=page.questions,
    )
    return survey


def _questions(version_id: int) -> QuerySet[Question]:
    return Question.objects.filter(version_id=version_id).select_related("version")


# --- Surveys ------------------------------------------------------------------------------------


@router.get("/surveys", response=list[SurveyOut], summary="Surveys, filtered and sorted")
@paginate(LimitOffset)
def list_surveys(request: HttpRequest, filters: Query[SurveyFilters]) -> Any:
    api_user(request)
    surveys = Survey.objects.select_related("live_version", "created_by")
    if filters.q:
        surveys = surveys.filter(Q(name__icontains=filters.q) | Q(slug__icontains=filters.q))
    if filters.status:
        surveys = surveys.filter(status=filters.status)
    sort = filters.sort
    return surveys.order_by(sort, "-pk" if sort.startswith("-") else "pk")


@router.post("/surveys", response={201: SurveyDetailOut, **ERRORS}, summary="Create a draft")
def create_survey(request: HttpRequest, payload: SurveyIn) -> Any:
    actor = _marketer(request)
    survey = services.survey_create(actor=actor, **payload.model_dump())
    return Status(201, _detail(_survey_or_404(survey.pk)))


@router.get(
    "/surveys/{int:survey_id}",
    response={200: SurveyDetailOut, **NOT_FOUND},
    summary="A survey with the questions of its newest version",
)
def get_survey(request: HttpRequest, survey_id: int) -> Any:
    audience = sees_whole_audience(api_user(request))
    return _detail(_survey_or_404(survey_id), audience=audience)


@router.patch("/surveys/{int:survey_id}", response={200: SurveyDetailOut, **ERRORS})
def update_survey(request: HttpRequest, survey_id: int, payload: SurveyPatch) -> Any:
    actor = _marketer(request)
    survey = _survey_or_404(survey_id)
    services.survey_update(actor=actor, survey=survey, **payload.model_dump(exclude_unset=True))
    return _detail(_survey_or_404(survey_id))


@router.delete(
    "/surveys/{int:survey_id}",
    response={204: None, **ERRORS},
    summary="Delete a survey nobody has answered (close one with responses instead)",
)
def delete_survey(request: HttpRequest, survey_id: int) -> Any:
    actor = _marketer(request)
    services.survey_delete(actor=actor, survey=_survey_or_404(survey_id))
    return Status(204, None)


@router.post(
    "/surveys/{int:survey_id}/publish",
    response={200: SurveyDetailOut, **ERRORS},
    summary="Open the survey with its newest version",
)
def publish_survey(request: HttpRequest, survey_id: int) -> Any:
    actor = _marketer(request)
    services.survey_publish(actor=actor, survey=_survey_or_404(survey_id))
    return _detail(_survey_or_404(survey_id))


@router.post(
    "/surveys/{int:survey_id}/close",
    response={200: SurveyDetailOut, **ERRORS},
    summary="Stop taking answers",
)
def close_survey(request: HttpRequest, survey_id: int) -> Any:
    actor = _marketer(request)
    services.survey_close(actor=actor, survey=_survey_or_404(survey_id))
    return _detail(_survey_or_404(survey_id))


# --- Questions ----------------------------------------------------------------------------------


@router.get(
    "/surveys/{int:survey_id}/questions",
    response={200: list[QuestionOut], **NOT_FOUND},
    summary="The questions of the newest version, in order",
)
def list_questions(request: HttpRequest, survey_id: int) -> Any:
    api_user(request)
    version = services.latest_version(_survey_or_404(survey_id))
    return _questions(version.pk).order_by("position")


@router.post(
    "/surveys/{int:survey_id}/questions",
    response={201: QuestionOut, **ERRORS},
    summary="Add a question at the end (in a new version when the survey has responses)",
)
def add_question(request: HttpRequest, survey_id: int, payload: QuestionIn) -> Any:
    actor = _marketer(request)
    survey = _survey_or_404(survey_id)
    data = payload.model_dump()
    question = services.question_add(
        actor=actor, survey=survey, data=services.QuestionInput(**data)
    )
    return Status(201, _questions(question.version_id).get(pk=question.pk))


@router.get(
    "/surveys/{int:survey_id}/questions/{int:question_id}",
    response={200: QuestionOut, **NOT_FOUND},
)
def get_question(request: HttpRequest, survey_id: int, question_id: int) -> Any:
    api_user(request)
    return _question_or_404(_survey_or_404(survey_id), question_id)


@router.patch(
    "/surveys/{int:survey_id}/questions/{int:question_id}",
    response={200: QuestionOut, **ERRORS},
    summary="Change a question; on a survey with responses the change goes to a new version "
    "and the question returned has a new id (same key)",
)
def update_question(
    request: HttpRequest, survey_id: int, question_id: int, payload: QuestionPatch
) -> Any:
    actor = _marketer(request)
    question = _question_or_404(_survey_or_404(survey_id), question_id)
    current: dict[str, Any] = {
        "kind": question.kind,
        "label": question.label,
        "help_text": question.help_text,
        "required": question.required,
        "options": list(question.options),
        "scale_max": question.scale_max,
        "logic": list(question.logic),
    }
    current.update(payload.model_dump(exclude_unset=True))
    updated = services.question_update(
        actor=actor, question=question, data=services.QuestionInput(**current)
    )
    return _questions(updated.version_id).get(pk=updated.pk)


@router.delete(
    "/surveys/{int:survey_id}/questions/{int:question_id}",
    response={204: None, **ERRORS},
    summary="Remove a question (from a new version when the survey has responses)",
)
def remove_question(request: HttpRequest, survey_id: int, question_id: int) -> Any:
    actor = _marketer(request)
    question = _question_or_404(_survey_or_404(survey_id), question_id)
    services.question_remove(actor=actor, question=question)
    return Status(204, None)


@router.post(
    "/surveys/{int:survey_id}/questions/{int:question_id}/move",
    response={200: list[QuestionOut], **ERRORS},
    summary="Move a question one place up or down; returns the questions in their new order",
)
def move_question(request: HttpRequest, survey_id: int, question_id: int, payload: MoveIn) -> Any:
    actor = _marketer(request)
    survey = _survey_or_404(survey_id)
    question = _question_or_404(survey, question_id)
    offset = -1 if payload.direction == "up" else 1
    services.question_move(actor=actor, question=question, offset=offset)
    return _questions(services.latest_version(survey).pk).order_by("position")


# --- Distributions and invites ------------------------------------------------------------------


@router.get(
    "/surveys/{int:survey_id}/distributions",
    response={200: list[DistributionOut], **NOT_FOUND},
    summary="Sends of the survey by email, newest first",
)
@paginate(LimitOffset)
def list_distributions(request: HttpRequest, survey_id: int) -> Any:
    api_user(request)
    survey = _survey_or_404(survey_id)
    return (
        SurveyDistribution.objects.filter(survey=survey)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


@router.post(
    "/surveys/{int:survey_id}/distributions",
    response={201: DistributionResultOut, **ERRORS},
    summary="Email the survey to a segment (in the background; nobody is invited twice)",
)
def distribute_survey(request: HttpRequest, survey_id: int, payload: DistributionIn) -> Any:
    actor = _marketer(request)
    survey = _survey_or_404(survey_id)
    segment = related_or_422(Segment.objects.all(), payload.segment_id, field="segment_id")
    assert segment is not None
    result = services.survey_distribute(
        actor=actor,
        survey=survey,
        segment=segment,
        subject=payload.subject,
        message=payload.message,
    )
    return Status(
        201,
        {
            "distribution": result.distribution,
            "invited": result.invited,
            "already": result.already,
            "skipped": result.skipped,
        },
    )


@router.get(
    "/surveys/{int:survey_id}/invites",
    response={200: list[InviteOut], **NOT_FOUND},
    summary="Personal invites, newest first",
)
@paginate(LimitOffset)
def list_invites(request: HttpRequest, survey_id: int, filters: Query[InviteFilters]) -> Any:
    user = api_user(request)
    survey = _survey_or_404(survey_id)
    invites = SurveyInvite.objects.filter(survey=survey).select_related("contact")
    # A rep reads only the entries of contacts they may see (core.visibility).
    if condition := contact_q(user, "contact__"):
        invites = invites.filter(condition)
    conditions = {
        "sent": Q(sent_at__isnull=False),
        "unsent": Q(sent_at__isnull=True),
        "failed": Q(sent_at__isnull=True) & ~Q(send_error=""),
        "answered": Q(responded_at__isnull=False),
        "unanswered": Q(responded_at__isnull=True),
    }
    if filters.state:
        invites = invites.filter(conditions[filters.state])
    return invites.order_by("-created_at", "-pk")


# --- Responses and results ----------------------------------------------------------------------


def _responses(survey: Survey) -> QuerySet[Response]:
    return Response.objects.filter(survey=survey).select_related("version", "contact")


def _day_start(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


@router.get(
    "/surveys/{int:survey_id}/responses",
    response={200: list[ResponseOut], **NOT_FOUND},
    summary="Responses, with their NPS and CSAT values",
)
@paginate(LimitOffset)
def list_responses(request: HttpRequest, survey_id: int, filters: Query[ResponseFilters]) -> Any:
    user = api_user(request)
    responses = _responses(_survey_or_404(survey_id))
    if condition := contact_q(user, "contact__"):
        responses = responses.filter(condition)
    if filters.contact_id is not None:
        responses = responses.filter(contact_id=filters.contact_id)
    if filters.date_from is not None:
        responses = responses.filter(submitted_at__gte=_day_start(filters.date_from))
    if filters.date_to is not None:
        responses = responses.filter(
            submitted_at__lt=_day_start(filters.date_to + timedelta(days=1))
        )
    sort = filters.sort
    return responses.order_by(sort, "-pk" if sort.startswith("-") else "pk")


@router.get(
    "/surveys/{int:survey_id}/responses/{int:response_id}",
    response={200: ResponseDetailOut, **NOT_FOUND},
    summary="One response with its answers",
)
def get_response(request: HttpRequest, survey_id: int, response_id: int) -> Any:
    api_user(request)
    responses = _responses(_survey_or_404(survey_id)).prefetch_related("answers__question")
    return get_object_or_404(responses, pk=response_id)


def _nps(value: Any) -> NpsOut:
    return NpsOut(
        responses=value.responses,
        promoters=value.promoters,
        passives=value.passives,
        detractors=value.detractors,
        score=value.score,
    )


@router.get(
    "/surveys/{int:survey_id}/results",
    response={200: SurveyResultsOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="NPS, CSAT and the NPS trend",
    description="Counted over every respondent: 403 for a sales rep or manager whose contact "
    "visibility is not 'all'.",
)
def survey_results(request: HttpRequest, survey_id: int, filters: Query[ResultFiltersIn]) -> Any:
    require_whole_audience(api_user(request))
    survey = _survey_or_404(survey_id)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        return Status(422, {"detail": "date_from must be on or before date_to."})
    results = selectors.survey_results(
        survey=survey,
        filters=selectors.ResultFilters(
            company=filters.company,
            stage=filters.stage or "",
            date_from=filters.date_from,
            date_to=filters.date_to,
        ),
        period=filters.period,
    )
    csat = results.csat
    return Status(
        200,
        SurveyResultsOut(
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
