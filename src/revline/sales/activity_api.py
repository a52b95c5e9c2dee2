"""Activities, My day, the objection library and report, objections on deals, booked meetings,
booking availability and quotas over the JSON API.

Every route asks the same services and selectors as the pages, so the API shows and changes
exactly what the caller could in the UI.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.content.models import ContentItem
from revline.core import permissions
from revline.core.api_support import active_user_or_422, api_user, related_or_422
from revline.core.dates import day_start
from revline.core.models import Team, User
from revline.core.schemas import ErrorOut, LimitOffset

from . import (
    activity_api_selectors as reads,
)
from . import (
    activity_selectors,
    activity_services,
    booking_services,
    objection_selectors,
    objection_services,
    quota_services,
)
from .activity_api_schemas import (
    ActivityCompleteIn,
    ActivityCreateIn,
    ActivityDetailOut,
    ActivityFilters,
    ActivityPatch,
    AvailabilityFilters,
    AvailabilityIn,
    AvailabilityOut,
    AvailabilityPatch,
    MeetingCancelIn,
    MeetingFilters,
    MeetingOut,
    MyDayOut,
    ObjectionFilters,
    ObjectionIn,
    ObjectionOut,
    ObjectionPatch,
    ObjectionReportFilters,
    ObjectionReportOut,
    ObjectionResponseIn,
    ObjectionResponseOut,
    ObjectionResponsePatch,
    ObjectionTypeDetailOut,
    ObjectionTypeFilters,
    ObjectionTypeIn,
    ObjectionTypeOut,
    ObjectionTypePatch,
    QuotaFilters,
    QuotaIn,
    QuotaOut,
    QuotaPatch,
)
from .models import (
    Activity,
    BookingAvailability,
    Objection,
    ObjectionResponse,
    ObjectionType,
    Pipeline,
    Quota,
    Stage,
)
from .quota_services import QuotaEntry
from .selectors import company_choices, contact_choices, deals_visible_to

router = Router()

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
DELETED: dict[int, Any] = {204: None, **ERRORS}
ACTIVITIES, OBJECTIONS, MEETINGS, QUOTAS = ["activities"], ["objections"], ["meetings"], ["quotas"]


# --- activities --------------------------------------------------------------------------------


def _activity(request: HttpRequest, activity_id: int) -> tuple[User, Activity]:
    """The activity if the caller may see it (else 404); changing it is checked by the service."""
    user = api_user(request)
    activity = activity_selectors.activity_for(user=user, pk=activity_id)
    if activity is None:
        raise Http404("No such activity.")
    return user, activity


def _fresh_activity(user: User, activity: Activity) -> Activity:
    return reads.activities_for_api(user).get(pk=activity.pk)


@router.get("/activities", response=list[ActivityDetailOut], tags=ACTIVITIES)
@paginate(LimitOffset)
def list_activities(request: HttpRequest, filters: Query[ActivityFilters]) -> Any:
    return reads.activity_search(user=api_user(request), **filters.model_dump())


@router.post(
    "/activities",
    response={201: ActivityDetailOut, **ERRORS},
    tags=ACTIVITIES,
    summary="Log an activity, or plan one (with due_at) on a deal, contact or company",
)
def create_activity(request: HttpRequest, payload: ActivityCreateIn) -> Any:
    actor = api_user(request)
    data = payload.model_dump()
    where: dict[str, Any] = {
        "deal": related_or_422(
            deals_visible_to(actor).select_related("owner"), data.pop("deal_id"), field="deal_id"
        ),
        "contact": related_or_422(
            contact_choices(actor).select_related("company"),
            data.pop("contact_id"),
            field="contact_id",
        ),
        "company": related_or_422(
            company_choices(actor), data.pop("company_id"), field="company_id"
        ),
    }
    assignee = active_user_or_422(data.pop("assigned_to_id"), field="assigned_to_id")
    if data["due_at"] is None:
        activity = activity_services.activity_log(
            actor=actor,
            kind=data["kind"],
            subject=data["subject"],
            body=data["body"],
            occurred_at=data["occurred_at"],
            **where,
        )
    else:
        activity = activity_services.activity_plan(
            actor=actor,
            kind=data["kind"],
            subject=data["subject"],
            body=data["body"],
            due_at=data["due_at"],
            assigned_to=assignee,
            remind_at=data["remind_at"],
            **where,
        )
    return Status(201, _fresh_activity(actor, activity))


@router.get(
    "/activities/{int:activity_id}",
    response={200: ActivityDetailOut, 404: ErrorOut},
    tags=ACTIVITIES,
)
def get_activity(request: HttpRequest, activity_id: int) -> Any:
    return _activity(request, activity_id)[1]


@router.patch(
    "/activities/{int:activity_id}", response={200: ActivityDetailOut, **ERRORS}, tags=ACTIVITIES
)
def update_activity(request: HttpRequest, activity_id: int, payload: ActivityPatch) -> Any:
    actor, activity = _activity(request, activity_id)
    data = payload.model_dump(exclude_unset=True)
    if "assigned_to_id" in data:
        data["assigned_to"] = active_user_or_422(data.pop("assigned_to_id"), field="assigned_to_id")
    if "remind_at" in data and data["remind_at"] is None:
        del data["remind_at"]
        data["clear_reminder"] = True
    activity_services.activity_update(actor=actor, activity=activity, **data)
    return _fresh_activity(actor, activity)


@router.post(
    "/activities/{int:activity_id}/complete",
    response={200: ActivityDetailOut, **ERRORS},
    tags=ACTIVITIES,
    summary="Mark a planned activity done, with its outcome",
)
def complete_activity(request: HttpRequest, activity_id: int, payload: ActivityCompleteIn) -> Any:
    actor, activity = _activity(request, activity_id)
    activity_services.activity_complete(actor=actor, activity=activity, outcome=payload.outcome)
    return _fresh_activity(actor, activity)


@router.post(
    "/activities/{int:activity_id}/reopen",
    response={200: ActivityDetailOut, **ERRORS},
    tags=ACTIVITIES,
    summary="Open a completed activity again",
)
def reopen_activity(request: HttpRequest, activity_id: int) -> Any:
    actor, activity = _activity(request, activity_id)
    activity_services.activity_reopen(actor=actor, activity=activity)
    return _fresh_activity(actor, activity)


@router.delete("/activities/{int:activity_id}", response=DELETED, tags=ACTIVITIES)
def delete_activity(request: HttpRequest, activity_id: int) -> Any:
    actor, activity = _activity(request, activity_id)
    activity_services.activity_delete(actor=actor, activity=activity)
    return Status(204, None)


@router.get(
    "/my-day",
    response={200: MyDayOut, **ERRORS},
    tags=ACTIVITIES,
    summary="Open tasks (overdue, today), today's meetings, stale deals, deals closing this week",
)
def my_day(request: HttpRequest, user_id: int | None = None) -> Any:
    viewer = api_user(request)
    person = viewer if user_id is None else get_object_or_404(User, pk=user_id)
    if not activity_selectors.can_view_day(viewer, person):
        raise Http404("No such person on your team.")
    return activity_selectors.my_day(viewer=viewer, user=person, now=timezone.now())


# --- objection library -------------------------------------------------------------------------


def _library_editor(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(
        objection_services.can_edit_library(user), objection_services.LIBRARY_DENIED
    )
    return user


def _content(ids: list[int]) -> list[ContentItem]:
    items = list(ContentItem.objects.filter(pk__in=set(ids)))
    missing = sorted(set(ids) - {item.pk for item in items})
    if missing:
        raise ValidationError({"content_ids": f"There is no content item with id {missing[0]}."})
    return items


def _type_detail(user: User, pk: int) -> Any:
    objection_type = get_object_or_404(reads.objection_type_search(user=user), pk=pk)
    objection_type.responses_out = [  # type: ignore[attr-defined]
        {
            "id": row.response.pk,
            "objection_type_id": row.response.objection_type_id,
            "title": row.response.title,
            "body": row.response.body,
            "position": row.response.position,
            "is_active": row.response.is_active,
            "uses": row.uses,
            "won_after": row.won_after,
            "lost_after": row.lost_after,
            "win_rate": row.win_rate,
        }
        for row in objection_selectors.objection_type_responses(user, objection_type)
    ]
    return objection_type


@router.get("/objection-types", response=list[ObjectionTypeOut], tags=OBJECTIONS)
@paginate(LimitOffset)
def list_objection_types(request: HttpRequest, filters: Query[ObjectionTypeFilters]) -> Any:
    return reads.objection_type_search(user=api_user(request), **filters.model_dump())


@router.post(
    "/objection-types",
    response={201: ObjectionTypeDetailOut, **ERRORS},
    tags=OBJECTIONS,
    summary="Add a type to the objection library (managers, marketers, admins)",
)
def create_objection_type(request: HttpRequest, payload: ObjectionTypeIn) -> Any:
    actor = _library_editor(request)
    data = payload.model_dump()
    objection_type = objection_services.objection_type_create(
        actor=actor, content=_content(data.pop("content_ids")), **data
    )
    return Status(201, _type_detail(actor, objection_type.pk))


@router.get(
    "/objection-types/{int:objection_type_id}",
    response={200: ObjectionTypeDetailOut, 404: ErrorOut},
    tags=OBJECTIONS,
    summary="An objection type with its responses and how their deals ended",
)
def get_objection_type(request: HttpRequest, objection_type_id: int) -> Any:
    return _type_detail(api_user(request), objection_type_id)


@router.patch(
    "/objection-types/{int:objection_type_id}",
    response={200: ObjectionTypeDetailOut, **ERRORS},
    tags=OBJECTIONS,
)
def update_objection_type(
    request: HttpRequest, objection_type_id: int, payload: ObjectionTypePatch
) -> Any:
    objection_type = get_object_or_404(ObjectionType, pk=objection_type_id)
    actor = _library_editor(request)
    data = payload.model_dump(exclude_unset=True)
    content = (
        _content(data.pop("content_ids"))
        if "content_ids" in data
        else list(objection_type.content.all())
    )
    objection_services.objection_type_update(
        actor=actor,
        objection_type=objection_type,
        name=data.get("name", objection_type.name),
        description=data.get("description", objection_type.description),
        content=content,
        is_active=data.get("is_active", objection_type.is_active),
        position=data.get("position", objection_type.position),
    )
    return _type_detail(actor, objection_type.pk)


@router.delete(
    "/objection-types/{int:objection_type_id}",
    response=DELETED,
    tags=OBJECTIONS,
    summary="Delete an unused objection type (one logged on deals can only be retired)",
)
def delete_objection_type(request: HttpRequest, objection_type_id: int) -> Any:
    objection_type = get_object_or_404(ObjectionType, pk=objection_type_id)
    actor = _library_editor(request)
    objection_services.objection_type_delete(actor=actor, objection_type=objection_type)
    return Status(204, None)


@router.get(
    "/objection-types/{int:objection_type_id}/responses",
    response={200: list[ObjectionResponseOut], 404: ErrorOut},
    tags=OBJECTIONS,
    summary="The recommended responses of a type, active ones first",
)
def list_objection_responses(request: HttpRequest, objection_type_id: int) -> Any:
    objection_type = get_object_or_404(ObjectionType, pk=objection_type_id)
    return objection_type.responses.order_by("-is_active", "position", "pk")


@router.post(
    "/objection-types/{int:objection_type_id}/responses",
    response={201: ObjectionResponseOut, **ERRORS},
    tags=OBJECTIONS,
)
def create_objection_response(
    request: HttpRequest, objection_type_id: int, payload: ObjectionResponseIn
) -> Any:
    objection_type = get_object_or_404(ObjectionType, pk=objection_type_id)
    actor = _library_editor(request)
    response = objection_services.objection_response_create(
        actor=actor, objection_type=objection_type, title=payload.title, body=payload.body
    )
    return Status(201, response)


@router.get(
    "/objection-responses/{int:objection_response_id}",
    response={200: ObjectionResponseOut, 404: ErrorOut},
    tags=OBJECTIONS,
)
def get_objection_response(request: HttpRequest, objection_response_id: int) -> Any:
    return get_object_or_404(ObjectionResponse, pk=objection_response_id)


@router.patch(
    "/objection-responses/{int:objection_response_id}",
    response={200: ObjectionResponseOut, **ERRORS},
    tags=OBJECTIONS,
)
def update_objection_response(
    request: HttpRequest, objection_response_id: int, payload: ObjectionResponsePatch
) -> Any:
    response = get_object_or_404(ObjectionResponse, pk=objection_response_id)
    actor = _library_editor(request)
    data = payload.model_dump(exclude_unset=True)
    return objection_services.objection_response_update(
        actor=actor,
        response=response,
        title=data.get("title", response.title),
        body=data.get("body", response.body),
        is_active=data.get("is_active", response.is_active),
    )


@router.delete(
    "/objection-responses/{int:objection_response_id}",
    response=DELETED,
    tags=OBJECTIONS,
    summary="Delete an unused response (one used on deals can only be retired)",
)
def delete_objection_response(request: HttpRequest, objection_response_id: int) -> Any:
    response = get_object_or_404(ObjectionResponse, pk=objection_response_id)
    actor = _library_editor(request)
    objection_services.objection_response_delete(actor=actor, response=response)
    return Status(204, None)


# --- objections on deals -----------------------------------------------------------------------


def _objection(request: HttpRequest, objection_id: int) -> tuple[User, Objection]:
    user = api_user(request)
    return user, get_object_or_404(reads.objections_for_api(user), pk=objection_id)


@router.get("/objections", response=list[ObjectionOut], tags=OBJECTIONS)
@paginate(LimitOffset)
def list_objections(request: HttpRequest, filters: Query[ObjectionFilters]) -> Any:
    return reads.objection_search(user=api_user(request), **filters.model_dump())


@router.post(
    "/objections",
    response={201: ObjectionOut, **ERRORS},
    tags=OBJECTIONS,
    summary="Log an objection a buyer raised on a deal",
)
def create_objection(request: HttpRequest, payload: ObjectionIn) -> Any:
    actor = api_user(request)
    deal = related_or_422(
        deals_visible_to(actor).select_related("owner", "stage"), payload.deal_id, field="deal_id"
    )
    objection_type = related_or_422(
        ObjectionType.objects.all(), payload.objection_type_id, field="objection_type_id"
    )
    assert deal is not None and objection_type is not None
    objection = objection_services.objection_log(
        actor=actor,
        deal=deal,
        objection_type=objection_type,
        buyer_words=payload.buyer_words,
        stage=related_or_422(Stage.objects.all(), payload.stage_id, field="stage_id"),
        response=related_or_422(
            ObjectionResponse.objects.all(), payload.response_id, field="response_id"
        ),
        response_notes=payload.response_notes,
        outcome=payload.outcome,
        raised_at=payload.raised_at,
    )
    return Status(201, reads.objections_for_api(actor).get(pk=objection.pk))


@router.get(
    "/objections/{int:objection_id}", response={200: ObjectionOut, 404: ErrorOut}, tags=OBJECTIONS
)
def get_objection(request: HttpRequest, objection_id: int) -> Any:
    return _objection(request, objection_id)[1]


@router.patch(
    "/objections/{int:objection_id}", response={200: ObjectionOut, **ERRORS}, tags=OBJECTIONS
)
def update_objection(request: HttpRequest, objection_id: int, payload: ObjectionPatch) -> Any:
    actor, objection = _objection(request, objection_id)
    data = payload.model_dump(exclude_unset=True)
    response = (
        related_or_422(ObjectionResponse.objects.all(), data["response_id"], field="response_id")
        if "response_id" in data
        else objection.response
    )
    objection_services.objection_update(
        actor=actor,
        objection=objection,
        outcome=data.get("outcome", objection.outcome),
        response=response,
        response_notes=data.get("response_notes", objection.response_notes),
    )
    return reads.objections_for_api(actor).get(pk=objection.pk)


@router.delete("/objections/{int:objection_id}", response=DELETED, tags=OBJECTIONS)
def delete_objection(request: HttpRequest, objection_id: int) -> Any:
    actor, objection = _objection(request, objection_id)
    objection_services.objection_delete(actor=actor, objection=objection)
    return Status(204, None)


@router.get(
    "/reports/objections",
    response={200: ObjectionReportOut, 422: ErrorOut},
    tags=OBJECTIONS,
    summary="The objection report: frequency, stages, overcome and win rates per type",
)
def objection_report(request: HttpRequest, filters: Query[ObjectionReportFilters]) -> Any:
    user = api_user(request)
    scope = objection_selectors.ReportScope(
        pipeline=related_or_422(Pipeline.objects.all(), filters.pipeline_id, field="pipeline_id"),
        owner=related_or_422(User.objects.all(), filters.owner_id, field="owner_id"),
        team=related_or_422(Team.objects.all(), filters.team_id, field="team_id"),
        start=day_start(filters.start) if filters.start else None,
        end=day_start(filters.end + timedelta(days=1)) if filters.end else None,
    )
    page = objection_selectors.objection_report(user, scope)
    return {
        "raised": page.report.raised,
        "closed_deals": page.report.closed_deals,
        "won_deals": page.report.won_deals,
        "win_rate": page.report.win_rate,
        "stages": [{"id": s.pk, "label": page.stage_labels[s.pk]} for s in page.stages],
        "types": [
            {
                "type_id": t.type_id,
                "name": page.types[t.type_id].name,
                "raised": t.raised,
                "deals": t.deals,
                "by_stage": [{"stage_id": k, "count": v} for k, v in t.by_stage.items()],
                "overcome": t.overcome,
                "not_overcome": t.not_overcome,
                "overcome_rate": t.overcome_rate,
                "won_with": t.won_with,
                "lost_with": t.lost_with,
                "win_rate_with": t.win_rate_with,
                "won_without": t.won_without,
                "lost_without": t.lost_without,
                "win_rate_without": t.win_rate_without,
                "difference": t.difference,
                "responses": [
                    {
                        "response_id": r.response_id,
                        "title": page.responses[r.response_id].title,
                        "uses": r.uses,
                        "won_after": r.won_after,
                        "lost_after": r.lost_after,
                        "overcome": r.overcome,
                        "win_rate": r.win_rate,
                    }
                    for r in t.responses
                ],
            }
            for t in page.report.types
        ],
        "worst_type_ids": [t.type_id for t in page.worst],
        "min_closed": objection_selectors.MIN_CLOSED_FOR_MARKETING,
    }


# --- meetings and availability -----------------------------------------------------------------


@router.get("/meetings", response=list[MeetingOut], tags=MEETINGS)
@paginate(LimitOffset)
def list_meetings(request: HttpRequest, filters: Query[MeetingFilters]) -> Any:
    return reads.meeting_search(user=api_user(request), **filters.model_dump())


@router.get("/meetings/{int:meeting_id}", response={200: MeetingOut, 404: ErrorOut}, tags=MEETINGS)
def get_meeting(request: HttpRequest, meeting_id: int) -> Any:
    return get_object_or_404(reads.meetings_for_api(api_user(request)), pk=meeting_id)


@router.post(
    "/meetings/{int:meeting_id}/cancel",
    response=DELETED,
    tags=MEETINGS,
    summary="Cancel a booked meeting: the slot is free again, its activity says cancelled",
)
def cancel_meeting(request: HttpRequest, meeting_id: int, payload: MeetingCancelIn) -> Any:
    actor = api_user(request)
    meeting = get_object_or_404(
        reads.meetings_for_api(actor).select_related("activity"), pk=meeting_id
    )
    booking_services.meeting_cancel(actor=actor, meeting=meeting, reason=payload.reason)
    return Status(204, None)


def _availability_user(actor: User, user_id: int | None) -> User:
    user = actor if user_id is None else get_object_or_404(User, pk=user_id)
    permissions.require(
        reads.can_read_availability(actor, user),
        "You can only see your own availability (managers: their team's).",
    )
    return user


@router.get(
    "/booking-availability",
    response={200: list[AvailabilityOut], **ERRORS},
    tags=MEETINGS,
    summary="A rep's weekly windows in which meetings can be booked",
)
def list_availability(request: HttpRequest, filters: Query[AvailabilityFilters]) -> Any:
    user = _availability_user(api_user(request), filters.user_id)
    return reads.availability_windows(user)


@router.post(
    "/booking-availability",
    response={201: AvailabilityOut, **ERRORS},
    tags=MEETINGS,
    summary="Add a weekly window (reps their own, managers their team's, admins anyone's)",
)
def create_availability(request: HttpRequest, payload: AvailabilityIn) -> Any:
    actor = api_user(request)
    data = payload.model_dump()
    user = _availability_user(actor, data.pop("user_id"))
    return Status(201, booking_services.availability_add(actor=actor, user=user, **data))


def _window(request: HttpRequest, booking_availability_id: int) -> tuple[User, BookingAvailability]:
    actor = api_user(request)
    window = get_object_or_404(
        BookingAvailability.objects.select_related("user"), pk=booking_availability_id
    )
    if not reads.can_read_availability(actor, window.user):
        raise Http404("No such availability window.")
    return actor, window


@router.get(
    "/booking-availability/{int:booking_availability_id}",
    response={200: AvailabilityOut, 404: ErrorOut},
    tags=MEETINGS,
)
def get_availability(request: HttpRequest, booking_availability_id: int) -> Any:
    return _window(request, booking_availability_id)[1]


@router.patch(
    "/booking-availability/{int:booking_availability_id}",
    response={200: AvailabilityOut, **ERRORS},
    tags=MEETINGS,
)
def update_availability(
    request: HttpRequest, booking_availability_id: int, payload: AvailabilityPatch
) -> Any:
    actor, window = _window(request, booking_availability_id)
    return booking_services.availability_update(
        actor=actor, window=window, **payload.model_dump(exclude_unset=True)
    )


@router.delete(
    "/booking-availability/{int:booking_availability_id}",
    response=DELETED,
    tags=MEETINGS,
    summary="Remove a window; meetings already booked in it stay booked",
)
def delete_availability(request: HttpRequest, booking_availability_id: int) -> Any:
    actor, window = _window(request, booking_availability_id)
    booking_services.availability_remove(actor=actor, window=window)
    return Status(204, None)


# --- quotas ------------------------------------------------------------------------------------


@router.get("/quotas", response=list[QuotaOut], tags=QUOTAS)
@paginate(LimitOffset)
def list_quotas(request: HttpRequest, filters: Query[QuotaFilters]) -> Any:
    return reads.quota_search(user=api_user(request), **filters.model_dump())


@router.post(
    "/quotas",
    response={200: QuotaOut, 201: QuotaOut, **ERRORS},
    tags=QUOTAS,
    summary="Set a rep's quota for a month or quarter (201 new, 200 changed)",
)
def set_quota(request: HttpRequest, payload: QuotaIn) -> Any:
    actor = api_user(request)
    user = active_user_or_422(payload.user_id, field="user_id")
    assert user is not None
    lookup = {"user": user, "period": payload.period, "period_start": payload.period_start}
    existed = Quota.objects.filter(**lookup).exists()
    quota_services.quotas_save(
        actor=actor,
        period=payload.period,
        entries=[QuotaEntry(user=user, period_start=payload.period_start, amount=payload.amount)],
    )
    quota = Quota.objects.select_related("user").get(**lookup)
    return Status(200 if existed else 201, (quota))


def _quota(request: HttpRequest, quota_id: int) -> tuple[User, Quota]:
    actor = api_user(request)
    return actor, get_object_or_404(reads.quotas_for_api(actor), pk=quota_id)


@router.get("/quotas/{int:quota_id}", response={200: QuotaOut, 404: ErrorOut}, tags=QUOTAS)
def get_quota(request: HttpRequest, quota_id: int) -> Any:
    return _quota(request, quota_id)[1]


@router.patch("/quotas/{int:quota_id}", response={200: QuotaOut, **ERRORS}, tags=QUOTAS)
def update_quota(request: HttpRequest, quota_id: int, payload: QuotaPatch) -> Any:
    actor, quota = _quota(request, quota_id)
    amount: Decimal | None = payload.amount
    if amount is not None:
        quota_services.quotas_save(
            actor=actor,
            period=quota.period,
            entries=[QuotaEntry(user=quota.user, period_start=quota.period_start, amount=amount)],
        )
    return Quota.objects.select_related("user").get(pk=quota.pk)


@router.delete("/quotas/{int:quota_id}", response=DELETED, tags=QUOTAS)
def delete_quota(request: HttpRequest, quota_id: int) -> Any:
    actor, quota = _quota(request, quota_id)
    quota_services.quotas_save(
        actor=actor,
        period=quota.period,
        entries=[QuotaEntry(user=quota.user, period_start=quota.period_start, amount=None)],
    )
    return Status(204, None)
