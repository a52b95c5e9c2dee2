"""Privacy requests over the JSON API: record, carry out, and download an export archive.

The same rules as the pages: admins and marketers read the list; exports and erasures are for
admins; an objection may be recorded by admins and marketers."""

import tempfile
from typing import Any

from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.core.api_support import api_user, related_or_422
from revline.core.schemas import ErrorOut, LimitOffset
from revline.people.models import Contact

from . import selectors, services
from .api_schemas import (
    PrivacyRequestFilters,
    PrivacyRequestIn,
    PrivacyRequestOut,
    PrivacyRequestPatch,
)
from .models import PrivacyRequest, RequestKind

router = Router(tags=["privacy"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _request_or_404(request: HttpRequest, privacy_request_id: int) -> PrivacyRequest:
    found = selectors.privacy_request_get(actor=api_user(request), pk=privacy_request_id)
    if found is None:
        raise Http404("No such privacy request.")
    return found


@router.get(
    "/privacy-requests",
    response={200: list[PrivacyRequestOut], 403: ErrorOut},
    summary="Privacy requests",
)
@paginate(LimitOffset)
def list_requests(request: HttpRequest, filters: Query[PrivacyRequestFilters]) -> Any:
    data = filters.model_dump()
    requests = selectors.privacy_requests(
        actor=api_user(request), search=data["q"], status=data["status"] or ""
    )
    if data["kind"]:
        requests = requests.filter(kind=data["kind"])
    if data["contact_id"] is not None:
        requests = requests.filter(contact_id=data["contact_id"])
    sort = data["sort"]
    return requests.order_by(sort, "-pk" if sort.startswith("-") else "pk")


@router.post(
    "/privacy-requests",
    response={201: PrivacyRequestOut, **ERRORS},
    summary="Record a request; an objection or erasure is carried out at once",
)
def create_request(request: HttpRequest, payload: PrivacyRequestIn) -> Any:
    actor = api_user(request)
    contact = related_or_422(Contact.objects.all(), payload.contact_id, field="contact_id")
    assert contact is not None
    create = {
        RequestKind.EXPORT: services.export_request_create,
        RequestKind.OBJECTION: services.objection_record,
        RequestKind.ERASURE: services.contact_erase,
    }[payload.kind]
    created = create(
        actor=actor,
        contact=contact,
        received_via=payload.received_via,
        requested_at=payload.requested_at,
        note=payload.note,
    )
    return Status(201, selectors.privacy_request_get(actor=actor, pk=created.pk))


@router.get(
    "/privacy-requests/{int:privacy_request_id}",
    response={200: PrivacyRequestOut, 403: ErrorOut, 404: ErrorOut},
    summary="One privacy request",
)
def get_request(request: HttpRequest, privacy_request_id: int) -> Any:
    return _request_or_404(request, privacy_request_id)


@router.patch(
    "/privacy-requests/{int:privacy_request_id}",
    response={200: PrivacyRequestOut, **ERRORS},
    summary="Change a request's note",
)
def update_request(
    request: HttpRequest, privacy_request_id: int, payload: PrivacyRequestPatch
) -> Any:
    actor = api_user(request)
    found = _request_or_404(request, privacy_request_id)
    if payload.note is not None:
        services.privacy_request_note(actor=actor, request=found, note=payload.note)
    return selectors.privacy_request_get(actor=actor, pk=found.pk)


@router.post(
    "/privacy-requests/{int:privacy_request_id}/archive",
    response={200: bytes, **ERRORS},
    summary="Download the export archive (a ZIP); the first download completes the request",
    openapi_extra={
        "responses": {
            200: {
                "description": "The contact's data as a ZIP archive",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_archive(request: HttpRequest, privacy_request_id: int) -> HttpResponseBase:
    actor = api_user(request)
    found = _request_or_404(request, privacy_request_id)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    try:
        services.export_request_fulfil(actor=actor, request=found, out=out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    name = f"revline-contact-{found.contact_id}-{timezone.now():%Y%m%d}.zip"
    return FileResponse(out, as_attachment=True, filename=name, content_type="application/zip")
