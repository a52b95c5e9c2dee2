"""Activity panels (deal, contact, company pages load them with htmx) and the My day page."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User
from revline.people.models import Company, Contact

from . import activity_selectors, activity_services, selectors
from .activity_forms import ActivityEditForm, ActivityPanelForm, CompleteForm
from .models import Activity, Deal

PANEL_KINDS = ("deal", "contact", "company")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _deal_or_404(request: HttpRequest, pk: int) -> Deal:
    deals = selectors.deals_visible_to(_user(request), selectors.deals_queryset())
    return get_object_or_404(deals.select_related("owner__team"), pk=pk)


def _target(request: HttpRequest, kind: str, pk: int) -> Model:
    """The deal, contact or company a panel belongs to, if the user may see it."""
    permissions.require(permissions.can_edit_people(_user(request)))
    if kind == "deal":
        return _deal_or_404(request, pk)
    if kind == "contact":
        return get_object_or_404(Contact.objects.select_related("company"), pk=pk)
    if kind == "company":
        return get_object_or_404(Company, pk=pk)
    raise Http404("No such panel.")


def _can_add(user: User, kind: str, target: Model) -> bool:
    if kind == "deal":
        assert isinstance(target, Deal)
        return permissions.can_edit_deal(user, target)
    return user.is_active


def _page_url(kind: str, target: Model) -> str:
    name = {"deal": "sales:deal", "contact": "people:contact", "company": "people:company"}[kind]
    return reverse(name, args=[target.pk])


def _panel_url(kind: str, target: Model) -> str:
    return reverse(f"sales:{kind}_activities_panel", args=[target.pk])


def _render_panel(
    request: HttpRequest,
    kind: str,
    target: Model,
    *,
    form: ActivityPanelForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    if kind == "deal":
        panel = activity_selectors.deal_activity_panel(user=user, deal=target)  # type: ignore[arg-type]
    elif kind == "contact":
        panel = activity_selectors.contact_activity_panel(user=user, contact=target)  # type: ignore[arg-type]
    else:
        panel = activity_selectors.company_activity_panel(user=user, company=target)  # type: ignore[arg-type]
    context: dict[str, Any] = {
        "kind": kind,
        "target": target,
        "panel": panel,
        "panel_url": _panel_url(kind, target),
        "can_add": _can_add(user, kind, target),
        "form": form or ActivityPanelForm(assignees=selectors.assignable_owners(user)),
        "error": error,
        "now": timezone.now(),
    }
    return render(request, "sales/partials/activity_panel.html", context, status=status)


def _panel_view(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    target = _target(request, kind, pk)
    if request.method == "GET":
        return _render_panel(request, kind, target)
    user = _user(request)
    if kind == "deal":
        permissions.require(
            permissions.can_edit_deal(user, target),  # type: ignore[arg-type]
            activity_services.EDIT_DENIED,
        )
    form = ActivityPanelForm(request.POST, assignees=selectors.assignable_owners(user))
    if form.is_valid():
        data = form.cleaned_data
        where: dict[str, Any] = {kind: target}
        try:
            if data["action"] == "plan":
                activity_services.activity_plan(
                    actor=user,
                    kind=data["kind"],
                    subject=data["subject"],
                    body=data["body"],
                    due_at=data["when"],
                    assigned_to=data["assigned_to"],
                    remind_at=form.remind_at(),
                    **where,
                )
            else:
                activity_services.activity_log(
                    actor=user,
                    kind=data["kind"],
                    subject=data["subject"],
                    body=data["body"],
                    occurred_at=data["when"],
                    **where,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not _is_htmx(request):
                messages.success(request, "Activity saved.")
                return redirect(_page_url(kind, target))
            return _render_panel(request, kind, target)
    return _render_panel(request, kind, target, form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def deal_activities_panel(request: HttpRequest, pk: int) -> HttpResponse:
    return _panel_view(request, "deal", pk)


@login_required
@require_http_methods(["GET", "POST"])
def contact_activities_panel(request: HttpRequest, pk: int) -> HttpResponse:
    return _panel_view(request, "contact", pk)


@login_required
@require_http_methods(["GET", "POST"])
def company_activities_panel(request: HttpRequest, pk: int) -> HttpResponse:
    return _panel_view(request, "company", pk)


def _back_url(request: HttpRequest, data: QueryDict) -> str:
    """Where an activity action returns: the page of the panel it came from, or My day."""
    back_kind = data.get("panel", "")
    back_id = data.get("panel_id", "")
    if back_kind in PANEL_KINDS and back_id.isdigit():
        return _page_url(back_kind, _target(request, back_kind, int(back_id)))
    day_user = data.get("day_user", "")
    return reverse("sales:my_day") + (f"?user={day_user}" if day_user.isdigit() else "")


def _editable_activity(request: HttpRequest, pk: int) -> Activity:
    """The activity if the user may change it: one they may not see is a 404, one they may see
    but not change (a marketer on a deal's activity) a 403."""
    user = _user(request)
    activity = activity_selectors.activity_for(user=user, pk=pk)
    if activity is None:
        raise Http404("No such activity.")
    permissions.require(
        activity_services.can_edit_activity(user, activity), activity_services.EDIT_DENIED
    )
    return activity


def _activity_change(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Complete, reopen or delete; then re-render the panel it came from, or go back."""
    user = _user(request)
    activity = activity_selectors.activity_for(user=user, pk=pk)
    if activity is None:
        raise Http404("No such activity.")
    back_kind = request.POST.get("panel", "")
    back_id = request.POST.get("panel_id", "")
    error = ""
    try:
        if action == "complete":
            form = CompleteForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors["outcome"][0])
            activity_services.activity_complete(
                actor=user, activity=activity, outcome=form.cleaned_data["outcome"]
            )
        elif action == "reopen":
            activity_services.activity_reopen(actor=user, activity=activity)
        else:
            activity_services.activity_delete(actor=user, activity=activity)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if back_kind in PANEL_KINDS and back_id.isdigit() and _is_htmx(request):
        target = _target(request, back_kind, int(back_id))
        return _render_panel(request, back_kind, target, error=error, status=400 if error else 200)
    back = _back_url(request, request.POST)
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, {"complete": "Done.", "reopen": "Reopened."}.get(action, "Deleted.")
        )
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The edit page (linked from the activity panels and My day); back where it came from."""
    user = _user(request)
    activity = _editable_activity(request, pk)
    source = request.POST if request.method == "POST" else request.GET
    back = _back_url(request, source)
    assignees = selectors.assignable_owners(user, keep=activity.assigned_to)
    form = ActivityEditForm(request.POST or None, activity=activity, assignees=assignees)
    if request.method == "POST" and form.is_valid():
        try:
            activity_services.activity_update(actor=user, activity=activity, **form.changes())
        except ValidationError as exc:
            add_service_errors(form, exc)
            activity = _editable_activity(request, pk)  # as stored, not as half-changed
        else:
            messages.success(request, "Activity saved.")
            return redirect(back)
    context = {
        "activity": activity,
        "form": form,
        "back": back,
        "back_fields": {
            key: source[key] for key in ("panel", "panel_id", "day_user") if source.get(key)
        },
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "sales/activity_edit.html", context, status=status)


@login_required
@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _activity_change(request, pk, "complete")


@login_required
@require_POST
def activity_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _activity_change(request, pk, "reopen")


@login_required
@require_POST
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _activity_change(request, pk, "delete")


@login_required
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    viewer = _user(request)
    raw = request.GET.get("user", "")
    if raw and not raw.isdigit():
        return HttpResponseBadRequest("The user must be a number.")
    person = get_object_or_404(User, pk=int(raw)) if raw else viewer
    if not activity_selectors.can_view_day(viewer, person):
        raise Http404("No such person on your team.")
    now = timezone.now()
    day = activity_selectors.my_day(viewer=viewer, user=person, now=now)
    context = {
        "day": day,
        "person": person,
        "is_self": person.pk == viewer.pk,
        "people": activity_selectors.day_people(viewer),
        "now": now,
    }
    return render(request, "sales/my_day.html", context)
