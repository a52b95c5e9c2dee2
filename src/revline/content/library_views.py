"""Content library pages: the list with performance, detail, create/edit, status steps, calendar."""

from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.audience import sees_whole_audience
from revline.core.forms import add_service_errors
from revline.core.listing import Column, build_listing
from revline.core.models import User

from . import calendar, library_selectors, library_services
from .library_forms import ContentItemForm, MoveForm, StatusForm
from .models import ContentItem, ContentKind, ContentStatus, FunnelStage

COLUMNS = [
    Column("title", "Title", "title"),
    Column("kind", "Type", "kind"),
    Column("status", "Status", "status"),
    Column("owner", "Owner", "owner__first_name"),
    Column("campaign", "Campaign", "campaign__name"),
    Column("publish", "Publish date", "publish_date"),
    Column("views", "Views", "views"),
    Column("leads", "Leads", "leads"),
    Column("revenue", "Revenue", "revenue"),
]
FILTERS = {
    "kind": "kind",
    "status": "status",
    "owner": "owner__username",
    "stage": "funnel_stage",
    "campaign": "campaign_key",
}
CALENDAR_VIEWS = ("month", "week")


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(permissions.can_manage_marketing(user), library_services.WRITE_DENIED)
    return user


def _first_error(exc: ValidationError) -> str:
    return next(iter(exc.messages), "That change is not allowed.")


@login_required
@require_GET
def content_library(request: HttpRequest) -> HttpResponse:
    listing = build_listing(
        request,
        library_selectors.content_items_with_performance(
            audience=sees_whole_audience(request.user),  # type: ignore[arg-type]
            viewer=request.user,  # type: ignore[arg-type]
        ),
        columns=COLUMNS,
        search_fields=("title", "persona", "url"),
        filters=FILTERS,
        default_sort="-publish",
    )
    context = {
        "listing": listing,
        "kinds": ContentKind.choices,
        "statuses": ContentStatus.choices,
        "stages": FunnelStage.choices,
        "owners": library_selectors.content_owners(),
        "campaigns": library_selectors.content_campaigns(),
        "filtered": any(listing.params.get(k) for k in ("q", *FILTERS)),
    }
    return render(request, "content/library_list.html", context)


def _render_detail(
    request: HttpRequest, item: ContentItem, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "item": item,
        "performance": library_selectors.content_item_performance(item, viewer=request.user),  # type: ignore[arg-type]
        "workflow": [
            {"value": value, "label": label, "current": value == item.status}
            for value, label in ContentStatus.choices
        ],
        "workflow_done": library_services.STATUS_ORDER.index(item.status),
        "next_statuses": [
            (s, ContentStatus(s).label) for s in library_services.status_targets(item.status)
        ],
        # Rows written outside the library (admin, imports) may hold any text: link only http(s).
        "href": item.url if library_services.url_problem(item.url) is None else "",
        "error": error,
    }
    return render(request, "content/library_detail.html", context, status=status)


@login_required
@require_GET
def content_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ContentItem.objects.select_related("owner", "campaign"), pk=pk)
    return _render_detail(request, item)


def _form_page(
    request: HttpRequest, form: ContentItemForm, item: ContentItem | None, status: int = 200
) -> HttpResponse:
    return render(request, "content/library_form.html", {"form": form, "item": item}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def content_create(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    if request.method != "POST":
        initial: dict[str, Any] = {"owner": actor.pk}
        if (campaign := request.GET.get("campaign", "")).isdigit():
            initial["campaign"] = int(campaign)
        if day := calendar.parse_day(request.GET.get("date")):
            initial["publish_date"] = day
        return _form_page(request, ContentItemForm(initial=initial), None)
    form = ContentItemForm(request.POST)
    if form.is_valid():
        try:
            item = library_services.content_item_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"“{item.title}” added to the content library.")
            return redirect("content:item", pk=item.pk)
    return _form_page(request, form, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def content_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    item = get_object_or_404(ContentItem, pk=pk)
    if request.method != "POST":
        form = ContentItemForm(initial=ContentItemForm.initial_from(item), item=item)
        return _form_page(request, form, item)
    form = ContentItemForm(request.POST, item=item)
    if form.is_valid():
        try:
            library_services.content_item_update(actor=actor, item=item, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"“{item.title}” saved.")
            return redirect("content:item", pk=item.pk)
    item.refresh_from_db()  # the heading shows the stored item, not the rejected edit
    return _form_page(request, form, item, status=400)


@login_required
@require_POST
def content_set_status(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    item = get_object_or_404(ContentItem.objects.select_related("owner", "campaign"), pk=pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, item, error="Choose a valid status.", status=400)
    try:
        library_services.content_item_set_status(
            actor=actor, item=item, status=form.cleaned_data["status"]
        )
    except ValidationError as exc:
        item.refresh_from_db()
        return _render_detail(request, item, error=_first_error(exc), status=400)
    messages.success(request, f"“{item.title}” is now {item.get_status_display().lower()}.")
    return redirect("content:item", pk=item.pk)


def _calendar_params(params: QueryDict) -> dict[str, str]:
    """The calendar's state from a query string, with junk dropped (an unknown view is month)."""
    view = params.get("view", "month")
    state = {"view": view if view in CALENDAR_VIEWS else "month"}
    for key in ("date", "kind", "campaign"):
        if value := params.get(key, "").strip()[:100]:
            state[key] = value
    return state


def _calendar_url(**params: str) -> str:
    return reverse("content:calendar") + "?" + urlencode({k: v for k, v in params.items() if v})


def _render_calendar(
    request: HttpRequest, params: QueryDict, error: str = "", status: int = 200
) -> HttpResponse:
    state = _calendar_params(params)
    today = timezone.localdate()
    day = calendar.parse_day(state.get("date")) or today
    if "date" in state and calendar.parse_day(state["date"]) is None:
        error = error or f"“{state['date']}” is not a valid date (use YYYY-MM-DD); showing today."
    view = state["view"]
    kind = state.get("kind", "")
    if kind not in ContentKind.values:
        kind = ""
    filters = {"kind": kind, "campaign": state.get("campaign", "")}
    cal = library_selectors.content_calendar(view=view, day=day, today=today, **filters)
    here = _calendar_url(view=view, date=day.isoformat(), **filters)
    context = {
        "cal": cal,
        "error": error,
        "here": here,
        "prev_url": _calendar_url(
            view=view, date=calendar.shift(view, day, -1).isoformat(), **filters
        ),
        "next_url": _calendar_url(
            view=view, date=calendar.shift(view, day, 1).isoformat(), **filters
        ),
        "today_url": _calendar_url(view=view, **filters),
        "month_url": _calendar_url(view="month", date=day.isoformat(), **filters),
        "week_url": _calendar_url(view="week", date=day.isoformat(), **filters),
        "kinds": ContentKind.choices,
        "statuses": ContentStatus.choices,
        "campaigns": library_selectors.content_campaigns(),
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "can_move": permissions.can_manage_marketing(request.user),  # type: ignore[arg-type]
    }
    return render(request, "content/calendar_page.html", context, status=status)


@login_required
@require_GET
def content_calendar(request: HttpRequest) -> HttpResponse:
    return _render_calendar(request, request.GET)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _safe_next(request: HttpRequest, target: str) -> str | None:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@login_required
@require_POST
def content_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an item to another day: JSON for the drag-and-drop script, a redirect for the form."""
    actor = _marketer(request)
    item = get_object_or_404(ContentItem, pk=pk)
    form = MoveForm(request.POST)
    next_url = _safe_next(request, request.POST.get("next", "")[:2000])
    error = ""
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        try:
            library_services.content_item_move(
                actor=actor, item=item, publish_date=form.cleaned_data["publish_date"]
            )
        except ValidationError as exc:
            error = _first_error(exc)
    if error:
        message = f"“{item.title}” was not moved: {error}"
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": message}, status=400)
        back = QueryDict(urlsplit(next_url).query) if next_url else QueryDict()
        return _render_calendar(request, back, error=message, status=400)
    day = item.publish_date
    assert day is not None
    message = f"“{item.title}” moved to {day:%a %b} {day.day}, {day.year}."
    messages.success(request, message)
    if _wants_json(request):
        return JsonResponse({"ok": True, "publish_date": day.isoformat(), "message": message})
    return redirect(next_url or _calendar_url(date=day.isoformat()))
