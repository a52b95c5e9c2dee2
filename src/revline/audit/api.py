"""The audit log over the JSON API: read-only, for admins (entries are append-only)."""

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from revline.core.api_support import api_user
from revline.core.schemas import ErrorOut, LimitOffset

from . import selectors
from .api_schemas import AuditEntryOut, AuditFilters

router = Router(tags=["audit"])


@router.get(
    "/audit-entries",
    response={200: list[AuditEntryOut], 403: ErrorOut},
    summary="Audit log entries, newest first, with the audit page's filters",
)
@paginate(LimitOffset)
def list_entries(request: HttpRequest, filters: Query[AuditFilters]) -> Any:
    data = filters.model_dump()
    entries = selectors.audit_entries(
        viewer=api_user(request),
        filters=selectors.AuditFilters(
            actor=data["actor"],
            object_type=data["object_type"].lower(),
            object_id=data["object_id"],
            action=data["action"] or "",
            date_from=data["date_from"],
            date_to=data["date_to"],
        ),
    )
    if data["q"]:
        entries = entries.filter(
            Q(object_label__icontains=data["q"]) | Q(object_id__icontains=data["q"])
        )
    sort = data["sort"]
    return entries.order_by(sort, "-pk" if sort.startswith("-") else "pk")


@router.get(
    "/audit-entries/{int:audit_entry_id}",
    response={200: AuditEntryOut, 403: ErrorOut, 404: ErrorOut},
    summary="One audit entry",
)
def get_entry(request: HttpRequest, audit_entry_id: int) -> Any:
    entry = (
        selectors.audit_entries(viewer=api_user(request), filters=selectors.AuditFilters())
        .filter(pk=audit_entry_id)
        .first()
    )
    if entry is None:
        raise Http404("No such audit entry.")
    return entry
