from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.listing import Column, build_listing
from revline.core.models import User
from revline.people.models import Contact

from . import selectors, services
from .forms import (
    ActivityForm,
    CloseDealForm,
    DealCreateForm,
    DealFilterForm,
    DealForm,
    MoveStageForm,
    PipelineCreateForm,
    PipelineEditForm,
    changed_deal_fields,
)
from .models import Deal, DealStatus, Pipeline
from .stages import with_closing_stages

DEAL_COLUMNS = [
    Column("name", "Deal", "name"),
    Column("company", "Company", "company__name"),
    Column("stage", "Stage", "stage__position"),
    Column("amount", "Amount", "amount"),
    Column("close", "Expected close", "expected_close_date"),
    Column("owner", "Owner", "owner__first_name"),
    Column("created", "Created", "created_at"),
]
DEAL_SEARCH_FIELDS = ["name", "company__name", "contact_name", "contact__email"]
EDIT_DENIED = "You can only change deals of your own team."


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    filter_form = DealFilterForm(request.GET or None)
    filter_form.is_valid()
    deals = selectors.deal_list(**filter_form.filters())
    listing = build_listing(
        request,
        deals,
        columns=DEAL_COLUMNS,
        search_fields=DEAL_SEARCH_FIELDS,
        default_sort="-created",
    )
    context = {
        "filter_form": filter_form,
        "listing": listing,
        "totals": selectors.deal_totals(listing.page.paginator.object_list),  # type: ignore[arg-type]
        "filtered": bool(listing.query or filter_form.filters()),
    }
    return render(
        request, "sales/deal_list.html", context, status=400 if filter_form.errors else 200
    )


def _deal_or_404(pk: int) -> Deal:
    return get_object_or_404(selectors.deals_queryset().select_related("owner__team"), pk=pk)


def _editable_deal(request: HttpRequest, pk: int) -> Deal:
    deal = _deal_or_404(pk)
    permissions.require(permissions.can_edit_deal(_user(request), deal), EDIT_DENIED)
    return deal


def _render_deal(
    request: HttpRequest,
    deal: Deal,
    *,
    move_form: MoveStageForm | None = None,
    close_form: CloseDealForm | None = None,
    activity_form: ActivityForm | None = None,
    status: int = 200,
) -> HttpResponse:
    page = selectors.deal_page(deal=deal, now=timezone.now())
    move_form = move_form or MoveStageForm(deal=deal)
    close_form = close_form or CloseDealForm()
    activity_form = activity_form or ActivityForm()
    # Errors that no visible field shows (a refused move, a deal already closed) go on top.
    action_errors = [
        *(error for errors in move_form.errors.values() for error in errors),
        *close_form.non_field_errors(),
        *(["Choose whether the deal was won or lost."] if close_form.errors.get("outcome") else []),
    ]
    context: dict[str, Any] = {
        "deal": deal,
        "page": page,
        "can_edit": permissions.can_edit_deal(_user(request), deal),
        "is_open": deal.status == DealStatus.OPEN,
        "move_form": move_form,
        "close_form": close_form,
        "activity_form": activity_form,
        "action_errors": action_errors,
    }
    return render(request, "sales/deal_detail.html", context, status=status)


@login_required
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_deal(request, _deal_or_404(pk))


@login_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    form = MoveStageForm(request.POST, deal=deal)
    if form.is_valid():
        try:
            services.deal_move_stage(
                actor=_user(request), deal=deal, stage=form.cleaned_data["stage"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Moved to {deal.stage.name}.")
            return redirect("sales:deal", pk=deal.pk)
    deal = _deal_or_404(pk)
    return _render_deal(request, deal, move_form=form, status=400)


@login_required
@require_POST
def deal_close(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    form = CloseDealForm(request.POST)
    if form.is_valid():
        close = (
            services.deal_close_won
            if form.cleaned_data["outcome"] == "won"
            else services.deal_close_lost
        )
        try:
            close(actor=_user(request), deal=deal, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Deal closed as {deal.get_status_display().lower()}.")
            return redirect("sales:deal", pk=deal.pk)
    deal = _deal_or_404(pk)
    return _render_deal(request, deal, close_form=form, status=400)


@login_required
@require_POST
def deal_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    services.deal_reopen(actor=_user(request), deal=deal)
    messages.success(request, f"Deal reopened in {deal.stage.name}.")
    return redirect("sales:deal", pk=deal.pk)


@login_required
@require_POST
def deal_activity(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    form = ActivityForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.activity_log(
                actor=_user(request),
                deal=deal,
                kind=data["kind"],
                subject=data["subject"],
                body=data["body"],
                occurred_at=data["occurred_at"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Activity logged.")
            return redirect("sales:deal", pk=deal.pk)
    return _render_deal(request, deal, activity_form=form, status=400)


def _prefill_contact(request: HttpRequest) -> Contact | None:
    raw = request.GET.get("contact", "")
    if not raw.isdigit():
        return None
    return Contact.objects.select_related("company").filter(pk=int(raw)).first()


@login_required
@require_http_methods(["GET", "POST"])
def deal_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    permissions.require(
        permissions.can_create_deals(actor), "Only sales people and admins can create deals."
    )
    contact = _prefill_contact(request)
    initial = {"contact": contact, "company": contact.company if contact else None}
    form = DealCreateForm(
        request.POST or None,
        actor=actor,
        initial=initial,
        default_pipeline=selectors.default_pipeline(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deal = services.deal_create(
                actor=actor,
                name=data["name"],
                pipeline=data["pipeline"],
                stage=data["stage"],
                contact=data["contact"],
                company=data["company"],
                amount=data["amount"],
                currency=data["currency"],
                expected_close_date=data["expected_close_date"],
                owner=data["owner"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Deal “{deal.name}” created.")
            return redirect("sales:deal", pk=deal.pk)
    context = {"form": form, "deal": None, "from_contact": contact}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "sales/deal_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable_deal(request, pk)
    form = DealForm(request.POST or None, actor=_user(request), deal=deal)
    if request.method == "POST" and form.is_valid():
        changes = changed_deal_fields(deal, form.cleaned_data)
        try:
            if changes:
                services.deal_update(actor=_user(request), deal=deal, **changes)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Deal saved." if changes else "Nothing changed.")
            return redirect("sales:deal", pk=deal.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "sales/deal_form.html", {"form": form, "deal": deal}, status=status)


@login_required
@require_GET
def lookup_contacts(request: HttpRequest) -> HttpResponse:
    items = selectors.contact_lookup(query=request.GET.get("q", "")[:100])
    return render(request, "sales/partials/lookup_results.html", {"items": items})


@login_required
@require_GET
def lookup_companies(request: HttpRequest) -> HttpResponse:
    items = selectors.company_lookup(query=request.GET.get("q", "")[:100])
    return render(request, "sales/partials/lookup_results.html", {"items": items})


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_list(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    can_manage = permissions.can_manage_pipelines(actor)
    form = PipelineCreateForm(request.POST or None)
    if request.method == "POST":
        permissions.require(can_manage, "Only sales managers and admins can create pipelines.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                pipeline = services.pipeline_create(
                    actor=actor,
                    name=data["name"],
                    stages=with_closing_stages(data["stages"]),
                    is_default=data["is_default"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Pipeline “{pipeline.name}” created.")
                return redirect("sales:pipelines")
    context = {"rows": selectors.pipelines_overview(), "form": form, "can_manage": can_manage}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "sales/pipeline_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    permissions.require(
        permissions.can_manage_pipelines(actor),
        "Only sales managers and admins can edit pipelines.",
    )
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = PipelineEditForm(
        request.POST or None, pipeline=pipeline, stages=pipeline.stages.order_by("position")
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.pipeline_update(
                actor=actor,
                pipeline=pipeline,
                name=form.cleaned_data["name"],
                stages=form.stage_changes(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Pipeline “{pipeline.name}” saved.")
            return redirect("sales:pipelines")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "sales/pipeline_edit.html", {"form": form, "pipeline": pipeline}, status=status
    )
