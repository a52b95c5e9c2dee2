"""Segments over the JSON API: CRUD, live counts and the members of a segment."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.core import permissions
from revline.core.api_support import api_user, state_conflict
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset
from revline.core.visibility import visible_contacts
from revline.people.api_selectors import contacts_for_api
from revline.people.schemas import ContactOut

from . import selectors, services
from .compiler import compile_definition
from .models import Segment
from .schemas import CountOut, DefinitionIn, SegmentFilters, SegmentIn, SegmentOut, SegmentPatch

router = Router(tags=["segments"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _marketer(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(permissions.can_manage_marketing(user), services.MARKETING_ONLY)
    return user


def _count(definition: Any, viewer: User) -> int:
    """Members the viewer may see, as the segment pages count them (core.visibility)."""
    members = selectors.segment_contacts(definition=definition)
    return visible_contacts(members, viewer).order_by().count()


def _segments() -> QuerySet[Segment]:
    return Segment.objects.select_related("created_by")


@router.get("/segments", response=list[SegmentOut])
@paginate(LimitOffset)
def list_segments(request: HttpRequest, filters: Query[SegmentFilters]) -> Any:
    segments = _segments()
    if filters.q:
        segments = segments.filter(
            Q(name__icontains=filters.q) | Q(description__icontains=filters.q)
        )
    return segments.order_by(filters.sort, "-pk" if filters.sort.startswith("-") else "pk")


@router.post("/segments", response={201: SegmentOut, **ERRORS})
def create_segment(request: HttpRequest, payload: SegmentIn) -> Any:
    actor = _marketer(request)
    segment = services.segment_create(actor=actor, **payload.model_dump())
    return Status(201, _segments().get(pk=segment.pk))


@router.post(
    "/segments/count",
    response={200: CountOut, 422: ErrorOut},
    summary="Count the contacts a definition selects now (the builder's live count)",
)
def count_definition(request: HttpRequest, payload: DefinitionIn) -> Any:
    return {"count": _count(payload.definition, api_user(request))}


@router.get("/segments/{int:segment_id}", response={200: SegmentOut, 404: ErrorOut})
def get_segment(request: HttpRequest, segment_id: int) -> Any:
    return get_object_or_404(_segments(), pk=segment_id)


@router.patch("/segments/{int:segment_id}", response={200: SegmentOut, **ERRORS})
def update_segment(request: HttpRequest, segment_id: int, payload: SegmentPatch) -> Any:
    actor = _marketer(request)
    segment = get_object_or_404(Segment.objects.all(), pk=segment_id)
    services.segment_update(actor=actor, segment=segment, **payload.model_dump(exclude_unset=True))
    return _segments().get(pk=segment.pk)


@router.delete(
    "/segments/{int:segment_id}", response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def delete_segment(request: HttpRequest, segment_id: int) -> Any:
    actor = _marketer(request)
    segment = get_object_or_404(Segment.objects.all(), pk=segment_id)
    try:
        services.segment_delete(actor=actor, segment=segment)
    except ValidationError as exc:
        return state_conflict(exc)
    return Status(204, None)


@router.get(
    "/segments/{int:segment_id}/count", response={200: CountOut, 404: ErrorOut, 422: ErrorOut}
)
def count_segment(request: HttpRequest, segment_id: int) -> Any:
    segment = get_object_or_404(Segment.objects.all(), pk=segment_id)
    return {"count": _count(segment.definition, api_user(request))}


@router.get(
    "/segments/{int:segment_id}/contacts",
    response=list[ContactOut],
    summary="The contacts in the segment now, newest first",
)
@paginate(LimitOffset)
def segment_members(request: HttpRequest, segment_id: int) -> Any:
    segment = get_object_or_404(Segment.objects.all(), pk=segment_id)
    q = compile_definition(segment.definition)
    return contacts_for_api(api_user(request)).filter(q).order_by("-created_at", "-pk")
