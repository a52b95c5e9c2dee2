"""Experiment pages: the list, the form, the results, start/stop and the CSV of the results."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.audience import audience_refused, sees_whole_audience
from revline.core.listing import Column, build_listing
from revline.core.models import User
from revline.people.exports import csv_lines, csv_response

from . import selectors, services
from .forms import (
    ExperimentForm,
    NameForm,
    VariantForm,
    experiment_initial,
    service_errors_show,
    spec_from,
    variant_rows,
)
from .models import Experiment, ExperimentKind, ExperimentStatus
from .presentation import results_csv_rows, results_view

COLUMNS = [
    Column("name", "Experiment", "name"),
    Column("kind", "Tests", "kind"),
    Column("status", "Status", "status"),
    Column("users", "Users", "users"),
    Column("conversions", "Conversions", "conversions"),
    Column("started", "Started", "started_at"),
    Column("created", "Created", "created_at"),
]


def _viewer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


def _manager(request: HttpRequest) -> User:
    user = _viewer(request)
    permissions.require(permissions.can_manage_marketing(user), services.MANAGE_ONLY)
    return user


def _experiment(pk: int) -> Experiment:
    return get_object_or_404(Experiment.objects.select_related("landing_page", "email"), pk=pk)


@login_required
@require_GET
def experiment_list(request: HttpRequest) -> HttpResponse:
    listing = build_listing(
        request,
        selectors.experiments_for_list(audience=sees_whole_audience(_viewer(request))),
        columns=COLUMNS,
        search_fields=("name", "hypothesis", "landing_page__title", "email__name"),
        filters={"status": "status", "kind": "kind"},
        default_sort="-created",
    )
    context = {
        "listing": listing,
        "statuses": ExperimentStatus.choices,
        "kinds": ExperimentKind.choices,
        "filtered": any(listing.params.get(k) for k in ("q", "status", "kind")),
    }
    return render(request, "experiments/list.html", context)


def _form_page(
    request: HttpRequest,
    form: ExperimentForm | NameForm,
    rows: list[VariantForm] | None,
    experiment: Experiment | None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "rows": rows,
        "experiment": experiment,
        "rows_have_errors": any(row.errors for row in rows or []),
    }
    return render(request, "experiments/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def experiment_create(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    if request.method != "POST":
        initial = {"alpha": 0.05}
        page = request.GET.get("landing_page", "")
        if page.isdigit() and len(page) < 12:
            initial["landing_page"] = int(page)
        return _form_page(request, ExperimentForm(initial=initial), variant_rows(), None)
    form, rows = ExperimentForm(request.POST), variant_rows(request.POST)
    spec = spec_from(form, rows)
    if spec is not None:
        try:
            experiment = services.experiment_create(actor=actor, spec=spec)
        except ValidationError as exc:
            service_errors_show(exc, form, rows)
        else:
            messages.success(request, f"Experiment “{experiment.name}” created as a draft.")
            return redirect("experiments:detail", pk=experiment.pk)
    return _form_page(request, form, rows, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def experiment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    experiment = _experiment(pk)
    draft = experiment.status == ExperimentStatus.DRAFT
    variants = list(experiment.variants.all())
    if request.method != "POST":
        if draft:
            form: ExperimentForm | NameForm = ExperimentForm(initial=experiment_initial(experiment))
            return _form_page(request, form, variant_rows(variants=variants), experiment)
        initial = {"name": experiment.name, "hypothesis": experiment.hypothesis}
        return _form_page(request, NameForm(initial=initial), None, experiment)
    if draft:
        form, rows = ExperimentForm(request.POST), variant_rows(request.POST, variants)
        spec = spec_from(form, rows)
    else:
        form, rows = NameForm(request.POST), None
        spec = (
            services.ExperimentSpec(
                name=form.cleaned_data["name"],
                hypothesis=form.cleaned_data["hypothesis"],
                kind=experiment.kind,
                goal=experiment.goal,
                alpha=experiment.alpha,
                landing_page=experiment.landing_page,
                email=experiment.email,
            )
            if form.is_valid()
            else None
        )
    if spec is not None:
        try:
            services.experiment_update(actor=actor, experiment=experiment, spec=spec)
        except ValidationError as exc:
            service_errors_show(exc, form, rows)
        else:
            messages.success(request, "Experiment saved.")
            return redirect("experiments:detail", pk=experiment.pk)
    return _form_page(request, form, rows, _experiment(pk), status=400)


@login_required
@require_GET
def experiment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    experiment = _experiment(pk)
    cuped = request.GET.get("cuped") == "1"
    # Results count every visitor and contact: not computed for a narrowed reader (core.audience).
    audience = sees_whole_audience(_viewer(request))
    results = selectors.experiment_results(experiment=experiment, cuped=cuped) if audience else None
    context = {
        "experiment": experiment,
        "results": results,
        "view": results_view(results) if results is not None else None,
        "days": selectors.experiment_days(experiment),
        "can_manage": permissions.can_manage_marketing(_viewer(request)),
    }
    return render(request, "experiments/detail.html", context)


@login_required
@require_GET
def experiment_export(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    if not sees_whole_audience(_viewer(request)):
        return audience_refused(request)
    experiment = _experiment(pk)
    cuped = request.GET.get("cuped") == "1"
    results = selectors.experiment_results(experiment=experiment, cuped=cuped)
    header, rows = results_csv_rows(results)
    return csv_response(csv_lines(header, rows), f"experiment-{experiment.pk}-results.csv")


def _transition(request: HttpRequest, pk: int, *, start: bool) -> HttpResponse:
    actor = _manager(request)
    experiment = _experiment(pk)
    try:
        if start:
            services.experiment_start(actor=actor, experiment=experiment)
            messages.success(
                request, "Experiment started: visitors are now split between variants."
            )
        else:
            services.experiment_stop(actor=actor, experiment=experiment)
            messages.success(request, "Experiment stopped: everyone sees the original again.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("experiments:detail", pk=experiment.pk)


@login_required
@require_POST
def experiment_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, start=True)


@login_required
@require_POST
def experiment_stop(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, start=False)
