from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from revline.core.listing import Column, build_listing
from revline.core.models import User

from . import exports, selectors
from .models import AuditAction

COLUMNS = [
    Column("occurred_at", "When", "occurred_at"),
    Column("actor", "Who", "actor_label"),
    Column("action", "Action", "action"),
    Column("object", "Record", "object_type"),
    Column("changes", "Changes"),
]
FILTER_KEYS = ("actor", "type", "object_id", "action", "from", "to")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    filters, errors = selectors.filters_from(request.GET)
    entries = selectors.audit_entries(viewer=_user(request), filters=filters)
    listing = build_listing(
        request,
        entries,
        columns=COLUMNS,
        search_fields=("object_label", "object_id"),
        default_sort="-occurred_at",
    )
    context = {
        "listing": listing,
        "errors": errors,
        "actions": AuditAction.choices,
        "object_types": selectors.object_types(),
        "filtered": bool(listing.query or any(listing.params.get(k) for k in FILTER_KEYS)),
    }
    return render(request, "audit/audit_log.html", context)


@login_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponseBase:
    """The entries matching the page's filters and search, newest first, as CSV."""
    filters, _ = selectors.filters_from(request.GET)
    entries = selectors.audit_entries(viewer=_user(request), filters=filters)
    query = request.GET.get("q", "").strip()[:200]
    return exports.audit_csv_response(entries=entries, query=query)
