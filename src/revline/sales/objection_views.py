from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.listing import Column, build_listing
from revline.core.models import User

from . import objection_selectors, objection_services, selectors
from .models import Deal, ObjectionResponse, ObjectionType
from .objection_forms import (
    ObjectionLogForm,
    ObjectionResponseForm,
    ObjectionTypeForm,
    ObjectionUpdateForm,
    ReportFilterForm,
    _posted_type,
)

TYPE_COLUMNS = [
    Column("name", "Objection", "name"),
    Column("responses", "Responses", "response_count"),
    Column("raised", "Times raised", "raised"),
    Column("deals", "Deals", "deals"),
    Column("win_rate", "Win rate of its closed deals", None),
    Column("active", "Status", "is_active"),
    Column("position", "Order", "position"),
]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _library_editor(request: HttpRequest) -> User:
    user = _user(request)
    permissions.require(
        objection_services.can_edit_library(user), objection_services.LIBRARY_DENIED
    )
    return user


# ---------------------------------------------------------------- the library


@login_required
@require_GET
def objection_library(request: HttpRequest) -> HttpResponse:
    objection_services.objection_types_ensure_defaults()
    user = _user(request)
    status = request.GET.get("status", "")
    listing = build_listing(
        request,
        objection_selectors.objection_types_with_counts(user).filter(
            **({"is_active": status == "active"} if status in ("active", "inactive") else {})
        ),
        columns=TYPE_COLUMNS,
        search_fields=("name", "description"),
        default_sort="position",
    )
    context = {
        "listing": listing,
        "status": status,
        "filtered": bool(listing.query or status),
        "can_edit": objection_services.can_edit_library(user),
    }
    return render(request, "sales/objection_library.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def objection_type_create(request: HttpRequest) -> HttpResponse:
    user = _library_editor(request)
    form = ObjectionTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            objection_type = objection_services.objection_type_create(
                actor=user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                content=form.cleaned_data["content"],
                is_active=form.cleaned_data["is_active"],
                position=form.cleaned_data["position"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Objection type “{objection_type.name}” created.")
            return redirect("sales:objection_type", pk=objection_type.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "sales/objection_type_form.html", {"form": form, "item": None}, status=status
    )


def _render_type(
    request: HttpRequest,
    objection_type: ObjectionType,
    *,
    form: ObjectionTypeForm | None = None,
    response_form: ObjectionResponseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    context: dict[str, Any] = {
        "item": objection_type,
        "form": form or ObjectionTypeForm(initial=ObjectionTypeForm.initial_for(objection_type)),
        "response_form": response_form or ObjectionResponseForm(),
        "responses": objection_selectors.objection_type_responses(user, objection_type),
        "content": list(objection_type.content.all()),
        "can_edit": objection_services.can_edit_library(user),
    }
    return render(request, "sales/objection_type_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def objection_type_detail(request: HttpRequest, pk: int) -> HttpResponse:
    objection_type = get_object_or_404(ObjectionType, pk=pk)
    if request.method == "GET":
        return _render_type(request, objection_type)
    user = _library_editor(request)
    form = ObjectionTypeForm(request.POST)
    if form.is_valid():
        try:
            objection_services.objection_type_update(
                actor=user, objection_type=objection_type, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Objection type saved.")
            return redirect("sales:objection_type", pk=objection_type.pk)
    objection_type.refresh_from_db()
    return _render_type(request, objection_type, form=form, status=400)


@login_required
@require_POST
def objection_response_create(request: HttpRequest, pk: int) -> HttpResponse:
    objection_type = get_object_or_404(ObjectionType, pk=pk)
    user = _library_editor(request)
    form = ObjectionResponseForm(request.POST)
    if form.is_valid():
        try:
            objection_services.objection_response_create(
                actor=user,
                objection_type=objection_type,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Response added.")
            return redirect("sales:objection_type", pk=objection_type.pk)
    return _render_type(request, objection_type, response_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def objection_response_edit(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_object_or_404(ObjectionResponse.objects.select_related("objection_type"), pk=pk)
    user = _library_editor(request)
    form = ObjectionResponseForm(
        request.POST or None,
        initial={"title": response.title, "body": response.body, "is_active": response.is_active},
    )
    if request.method == "POST" and form.is_valid():
        try:
            objection_services.objection_response_update(
                actor=user, response=response, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Response saved.")
            return redirect("sales:objection_type", pk=response.objection_type_id)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "sales/objection_response_form.html",
        {"form": form, "response": response},
        status=status,
    )


@login_required
@require_GET
def objection_response_options(request: HttpRequest) -> HttpResponse:
    """The response <option>s of the chosen type, plus its help box (out of band), for htmx."""
    objection_type = _posted_type(request.GET, "objection_type")
    if objection_type is not None and not objection_type.is_active:
        objection_type = None
    help_type = None
    if objection_type is not None:
        help_type = objection_selectors.library_types().filter(pk=objection_type.pk).first()
    context = {
        "responses": objection_selectors.active_responses(objection_type),
        "help_type": help_type,
    }
    return render(request, "sales/partials/objection_response_options.html", context)


# ---------------------------------------------------------------- on a deal


def _deal_or_404(request: HttpRequest, pk: int) -> Deal:
    deals = selectors.deals_visible_to(_user(request), selectors.deals_queryset())
    return get_object_or_404(deals.select_related("owner__team"), pk=pk)


def _render_panel(
    request: HttpRequest,
    deal: Deal,
    *,
    log_form: ObjectionLogForm | None = None,
    update_forms: dict[int, ObjectionUpdateForm] | None = None,
    open_form: bool = False,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    objections = objection_selectors.deal_objections(deal)
    update_forms = update_forms or {}
    can_edit = permissions.can_edit_deal(user, deal)
    help_by_type = {t.pk: t for t in objection_selectors.library_types()}
    log_form = log_form or ObjectionLogForm(deal=deal)
    chosen = log_form["objection_type"].value()
    context = {
        "deal": deal,
        "rows": [
            (
                o,
                (update_forms.get(o.pk) or ObjectionUpdateForm(objection=o)) if can_edit else None,
                help_by_type.get(o.objection_type_id),
            )
            for o in objections
        ],
        "log_form": log_form,
        "log_help": help_by_type.get(int(chosen)) if str(chosen or "").isdigit() else None,
        "open_form": open_form or bool(log_form.errors),
        "can_edit": can_edit,
    }
    template = (
        "sales/partials/objection_panel.html" if _is_htmx(request) else "sales/objection_deal.html"
    )
    # htmx swaps only 2xx answers: a form with errors comes back as 200 to be shown in place.
    if _is_htmx(request):
        status = 200
    return render(request, template, context, status=status)


@login_required
@require_GET
def deal_objections_panel(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_panel(request, _deal_or_404(request, pk))


def _editable(request: HttpRequest, pk: int) -> Deal:
    deal = _deal_or_404(request, pk)
    permissions.require(
        permissions.can_edit_deal(_user(request), deal), objection_services.DEAL_DENIED
    )
    return deal


@login_required
@require_POST
def deal_objection_log(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable(request, pk)
    form = ObjectionLogForm(request.POST, deal=deal)
    if form.is_valid():
        data = form.cleaned_data
        try:
            objection_services.objection_log(
                actor=_user(request),
                deal=deal,
                objection_type=data["objection_type"],
                buyer_words=data["buyer_words"],
                stage=data["stage"],
                response=data["response"],
                response_notes=data["response_notes"],
                outcome=data["outcome"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not _is_htmx(request):
                messages.success(request, "Objection logged.")
                return redirect("sales:deal", pk=deal.pk)
            return _render_panel(request, deal)
    return _render_panel(request, deal, log_form=form, status=400)


@login_required
@require_POST
def deal_objection_update(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    deal = _editable(request, pk)
    objection = objection_selectors.objection_for_deal(deal, objection_pk)
    if objection is None:
        raise Http404("No such objection on this deal.")
    form = ObjectionUpdateForm(request.POST, objection=objection)
    if form.is_valid():
        try:
            objection_services.objection_update(
                actor=_user(request), objection=objection, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not _is_htmx(request):
                messages.success(request, "Objection updated.")
                return redirect("sales:deal", pk=deal.pk)
            return _render_panel(request, deal)
    return _render_panel(request, deal, update_forms={objection.pk: form}, status=400)


# ---------------------------------------------------------------- reports


@login_required
@require_GET
def objection_report(request: HttpRequest) -> HttpResponse:
    form = ReportFilterForm(request.GET or None)
    form.is_valid()
    start, end = form.bounds()
    scope = objection_selectors.ReportScope(
        pipeline=form.value("pipeline"),
        owner=form.value("owner"),
        team=form.value("team"),
        start=start,
        end=end,
    )
    page = objection_selectors.objection_report(_user(request), scope)
    chart = {
        "labels": [page.types[t.type_id].name for t in page.report.types],
        "with": [t.win_rate_with for t in page.report.types],
        "without": [t.win_rate_without for t in page.report.types],
    }
    context = {
        "form": form,
        "page": page,
        "chart": chart,
        "min_closed": objection_selectors.MIN_CLOSED_FOR_MARKETING,
        "filtered": any(form.value(k) for k in form.fields),
    }
    return render(
        request, "sales/objection_report.html", context, status=400 if form.errors else 200
    )


@login_required
@require_GET
def objections_for_marketing(request: HttpRequest) -> HttpResponse:
    rows = objection_selectors.objections_for_marketing(_user(request))
    return render(
        request,
        "sales/partials/objection_marketing_card.html",
        {"rows": rows, "min_closed": objection_selectors.MIN_CLOSED_FOR_MARKETING},
    )
