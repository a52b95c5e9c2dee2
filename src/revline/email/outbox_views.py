"""The outbox (/email/outbox/): messages the outbox backend kept instead of sending them."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from revline.core import permissions
from revline.core.listing import Column, build_listing
from revline.core.models import User

from . import outbox_selectors
from .backends import outbox_active

COLUMNS = [
    Column("to", "To", "to"),
    Column("subject", "Subject", "subject"),
    Column("created", "Kept at", "created_at"),
]


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.can_manage_marketing(user), "Only marketers and admins see the outbox."
    )
    return user


@login_required
@require_GET
def outbox_list(request: HttpRequest) -> HttpResponse:
    _marketer(request)
    listing = build_listing(
        request,
        outbox_selectors.outbox_queryset(),
        columns=COLUMNS,
        search_fields=("to", "subject"),
        default_sort="-created",
    )
    context = {
        "listing": listing,
        "outbox_active": outbox_active(),
        "filtered": bool(listing.params.get("q")),
    }
    return render(request, "email/outbox_list.html", context)


@login_required
@require_GET
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _marketer(request)
    message = outbox_selectors.outbox_get(pk=pk)
    if message is None:
        raise Http404("No such message in the outbox.")
    context = {
        "message": message,
        "parsed": outbox_selectors.outbox_parse(message),
        "outbox_active": outbox_active(),
    }
    return render(request, "email/outbox_detail.html", context)
