"""The feedback inbox over the JSON API: items (list, read, record by hand, change, delete),
their topics (rename, merge, split) and theme runs (queued in the background).

Everyone active reads, and records feedback by hand; feedback on a deal the caller may not see
is hidden like the deal. Topics and theme runs belong to marketers, sales managers and admins;
hand-entered feedback is changed or deleted by its author or one of them (as in the UI).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.core import permissions
from revline.core.api_support import api_user, related_or_422
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset
from revline.people.models import Company, Contact
from revline.sales.models import Deal

from . import api_selectors, selectors, services
from .api_schemas import (
    FeedbackFilters,
    FeedbackIn,
    FeedbackOut,
    FeedbackPatch,
    MergeIn,
    ThemeRunIn,
    ThemeRunOut,
    TopicFilters,
    TopicOut,
    TopicPatch,
)
from .models import ThemeRun, Topic

router = Router(tags=["feedback"])

FUTURE = "Feedback cannot come from the future."
ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _reader(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(services.can_read_feedback(user), "You cannot read feedback.")
    return user


def _editor(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(services.can_edit_feedback(user), services.EDIT_DENIED)
    return user


def _item(user: User, item_id: int) -> Any:
    return get_object_or_404(api_selectors.feedback_for_api(user), pk=item_id)


def _topics(user: User) -> QuerySet[Topic]:
    return api_selectors.topics_for_api(user)


# --- Items --------------------------------------------------------------------------------------


@router.get("/feedback", response=list[FeedbackOut], summary="The feedback inbox, filtered")
@paginate(LimitOffset)
def list_feedback(request: HttpRequest, filters: Query[FeedbackFilters]) -> Any:
    user = _reader(request)
    return api_selectors.feedback_search(
        user=user,
        filters=selectors.FeedbackFilters(
            source=filters.source or "",
            sentiment=filters.sentiment or "",
            topic=filters.topic_id,
            no_topic=filters.no_topic,
            date_from=filters.date_from,
            date_to=filters.date_to,
            segment=str(filters.segment_id or ""),
        ),
        query=filters.q,
        sort=filters.sort,
    )


@router.post(
    "/feedback",
    response={201: FeedbackOut, **ERRORS},
    summary="Record feedback by hand, e.g. from a call",
)
def create_feedback(request: HttpRequest, payload: FeedbackIn) -> Any:
    user = _reader(request)
    if payload.occurred_at is not None and payload.occurred_at > timezone.now():
        raise ValidationError({"occurred_at": FUTURE})
    item = services.feedback_create(
        actor=user,
        text=payload.text,
        occurred_at=payload.occurred_at,
        contact=related_or_422(
            Contact.objects.select_related("company"), payload.contact_id, field="contact_id"
        ),
        company=related_or_422(Company.objects.all(), payload.company_id, field="company_id"),
        deal=related_or_422(
            Deal.objects.select_related("contact", "company", "owner"),
            payload.deal_id,
            field="deal_id",
        ),
        score=payload.score,
    )
    return Status(201, _item(user, item.pk))


@router.get("/feedback/{int:feedback_item_id}", response={200: FeedbackOut, 404: ErrorOut})
def get_feedback(request: HttpRequest, feedback_item_id: int) -> Any:
    return _item(_reader(request), feedback_item_id)


@router.patch(
    "/feedback/{int:feedback_item_id}",
    response={200: FeedbackOut, **ERRORS},
    summary="Change hand-entered feedback, or move an item to another topic",
)
def update_feedback(request: HttpRequest, feedback_item_id: int, payload: FeedbackPatch) -> Any:
    user = _reader(request)
    item = _item(user, feedback_item_id)
    data = payload.model_dump(exclude_unset=True)
    if "occurred_at" in data and data["occurred_at"] > timezone.now():
        raise ValidationError({"occurred_at": FUTURE})
    if "topic_id" in data:
        data["topic"] = related_or_422(Topic.objects.all(), data.pop("topic_id"), field="topic_id")
    services.feedback_update(actor=user, item=item, **data)
    return _item(user, item.pk)


@router.delete(
    "/feedback/{int:feedback_item_id}",
    response={204: None, **ERRORS},
    summary="Delete hand-entered feedback (its author or an editor)",
)
def delete_feedback(request: HttpRequest, feedback_item_id: int) -> Any:
    user = _reader(request)
    services.feedback_delete(actor=user, item=_item(user, feedback_item_id))
    return Status(204, None)


# --- Topics -------------------------------------------------------------------------------------


@router.get("/feedback/topics", response=list[TopicOut], summary="Topics found by theme runs")
@paginate(LimitOffset)
def list_topics(request: HttpRequest, filters: Query[TopicFilters]) -> Any:
    topics = _topics(_reader(request))
    if filters.q:
        topics = topics.filter(name__icontains=filters.q)
    sort = filters.sort.replace("items", "item_count")
    return topics.order_by(sort, "-pk" if sort.startswith("-") else "pk")


@router.get("/feedback/topics/{int:topic_id}", response={200: TopicOut, 404: ErrorOut})
def get_topic(request: HttpRequest, topic_id: int) -> Any:
    return get_object_or_404(_topics(_reader(request)), pk=topic_id)


@router.patch(
    "/feedback/topics/{int:topic_id}",
    response={200: TopicOut, **ERRORS},
    summary="Rename a topic; later runs keep the name",
)
def rename_topic(request: HttpRequest, topic_id: int, payload: TopicPatch) -> Any:
    user = _editor(request)
    topic = get_object_or_404(Topic.objects.all(), pk=topic_id)
    services.topic_rename(actor=user, topic=topic, name=payload.name)
    return _topics(user).get(pk=topic.pk)


@router.post(
    "/feedback/topics/{int:topic_id}/merge",
    response={200: TopicOut, **ERRORS},
    summary="Move the topic's items into another topic and delete this one",
)
def merge_topic(request: HttpRequest, topic_id: int, payload: MergeIn) -> Any:
    user = _editor(request)
    topic = get_object_or_404(Topic.objects.all(), pk=topic_id)
    into = related_or_422(Topic.objects.all(), payload.into_id, field="into_id")
    assert into is not None
    services.topic_merge(actor=user, topic=topic, into=into)
    return _topics(user).get(pk=into.pk)


@router.post(
    "/feedback/topics/{int:topic_id}/split",
    response={201: TopicOut, **ERRORS},
    summary="Split a topic's items in two; returns the new topic",
)
def split_topic(request: HttpRequest, topic_id: int) -> Any:
    user = _editor(request)
    topic = get_object_or_404(Topic.objects.all(), pk=topic_id)
    new = services.topic_split(actor=user, topic=topic)
    return Status(201, _topics(user).get(pk=new.pk))


# --- Theme runs ---------------------------------------------------------------------------------


def _runs() -> QuerySet[ThemeRun]:
    return ThemeRun.objects.select_related("requested_by")


@router.get("/feedback/theme-runs", response=list[ThemeRunOut], summary="Theme runs, newest first")
@paginate(LimitOffset)
def list_theme_runs(request: HttpRequest) -> Any:
    _reader(request)
    return _runs().order_by("-requested_at", "-pk")


@router.post(
    "/feedback/theme-runs",
    response={202: ThemeRunOut, **ERRORS},
    summary="Find themes again over every item, in the background (one run at a time)",
)
def request_theme_run(request: HttpRequest, payload: ThemeRunIn) -> Any:
    user = _editor(request)
    run = services.themes_request(actor=user, n_topics=payload.n_topics)
    return Status(202, _runs().get(pk=run.pk))


@router.get("/feedback/theme-runs/{int:theme_run_id}", response={200: ThemeRunOut, 404: ErrorOut})
def get_theme_run(request: HttpRequest, theme_run_id: int) -> Any:
    _reader(request)
    return get_object_or_404(_runs(), pk=theme_run_id)
