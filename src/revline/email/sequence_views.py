"""Sequence builder pages: list, settings, steps (htmx), contacts at each step, enrollments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.listing import Column, build_listing
from revline.core.models import User

from . import sequence_selectors, sequence_services
from .models import Enrollment, Sequence, SequenceStatus, SequenceStep, SequenceTrigger, StepKind
from .sequence_forms import SequenceForm, StepForm

COLUMNS = [
    Column("name", "Sequence", "name"),
    Column("trigger", "Trigger", "trigger"),
    Column("status", "Status", "status"),
    Column("steps", "Steps", "step_count"),
    Column("active", "Active", "active_count"),
    Column("completed", "Completed", "completed_count"),
    Column("exited", "Exited", "exited_count"),
]


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.can_manage_marketing(user), "Only marketers and admins edit sequences."
    )
    return user


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@require_GET
def sequence_list(request: HttpRequest) -> HttpResponse:
    listing = build_listing(
        request,
        sequence_selectors.sequence_list_queryset(),
        columns=COLUMNS,
        search_fields=("name", "description"),
        filters={"status": "status", "trigger": "trigger"},
        default_sort="name",
    )
    rows = [(s, sequence_selectors.trigger_label(s)) for s in listing.page]
    context = {
        "listing": listing,
        "rows": rows,
        "statuses": SequenceStatus.choices,
        "triggers": SequenceTrigger.choices,
        "filtered": any(listing.params.get(k) for k in ("q", "status", "trigger")),
    }
    return render(request, "email/sequence_list.html", context)


def _settings_page(
    request: HttpRequest, form: SequenceForm, sequence: Sequence | None, status: int = 200
) -> HttpResponse:
    context = {"form": form, "sequence": sequence}
    return render(request, "email/sequence_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def sequence_create(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    choices = sequence_selectors.builder_choices()
    if request.method != "POST":
        trigger = request.GET.get("trigger", "")
        initial = {"trigger": trigger} if trigger in SequenceTrigger.values else {}
        return _settings_page(request, SequenceForm(initial=initial, choices=choices), None)
    form = SequenceForm(request.POST, choices=choices)
    if form.is_valid():
        try:
            sequence = sequence_services.sequence_create(actor=actor, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Sequence “{sequence.name}” created. Add its steps below.")
            return redirect("email:sequence_detail", pk=sequence.pk)
    return _settings_page(request, form, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def sequence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    sequence = get_object_or_404(Sequence, pk=pk)
    choices = sequence_selectors.builder_choices()
    if request.method != "POST":
        initial = SequenceForm.initial_for(sequence)
        trigger = request.GET.get("trigger", "")
        if trigger in SequenceTrigger.values:
            initial["trigger"] = trigger
        return _settings_page(request, SequenceForm(initial=initial, choices=choices), sequence)
    form = SequenceForm(request.POST, choices=choices)
    if form.is_valid():
        try:
            # A fresh copy takes the edit, so a refused one leaves the page heading as stored.
            saved = sequence_services.sequence_update(
                actor=actor, sequence=Sequence.objects.get(pk=sequence.pk), **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Sequence “{saved.name}” saved.")
            return redirect("email:sequence_detail", pk=saved.pk)
    return _settings_page(request, form, sequence, status=400)


@login_required
@require_POST
def sequence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    sequence = get_object_or_404(Sequence, pk=pk)
    sequence_services.sequence_delete(actor=actor, sequence=sequence)
    messages.success(request, f"Sequence “{sequence.name}” deleted.")
    return redirect("email:sequences")


def _detail_context(sequence: Sequence) -> dict[str, object]:
    return {
        "sequence": sequence,
        "detail": sequence_selectors.sequence_detail(sequence=sequence),
        "step_kinds": StepKind.choices,
    }


@login_required
@require_GET
def sequence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sequence = get_object_or_404(Sequence, pk=pk)
    return render(request, "email/sequence_detail.html", _detail_context(sequence))


def _steps_response(request: HttpRequest, sequence: Sequence) -> HttpResponse:
    """The page itself for htmx (it swaps in the steps and the counts), a redirect otherwise."""
    if _htmx(request):
        return render(request, "email/sequence_detail.html", _detail_context(sequence))
    return redirect("email:sequence_detail", pk=sequence.pk)


def _step_page(
    request: HttpRequest,
    sequence: Sequence,
    form: StepForm,
    step: SequenceStep | None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "sequence": sequence,
        "form": form,
        "step": step,
        "kind_label": StepKind(form.kind).label,
        "kind": form.kind,
    }
    template = "email/sequence_step_fields.html" if _htmx(request) else "email/sequence_step.html"
    return render(request, template, context, status=status)


def _new_email_args(form: StepForm) -> dict[str, object]:
    if form.kind != StepKind.SEND_EMAIL:
        return {}
    return {
        "new_email_template_id": form.cleaned_data.get("template"),
        "new_email_name": form.cleaned_data.get("email_name") or "",
    }


@login_required
@require_http_methods(["GET", "POST"])
def step_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    sequence = get_object_or_404(Sequence, pk=pk)
    source = request.POST if request.method == "POST" else request.GET
    kind = source.get("kind", "")
    if kind not in StepKind.values:
        return HttpResponse("Choose a step kind.", status=400, content_type="text/plain")
    total = sequence.steps.count()
    choices = sequence_selectors.builder_choices()
    if request.method != "POST":
        form = StepForm(kind=kind, choices=choices, total=total + 1, position=total)
        return _step_page(request, sequence, form, None)
    form = StepForm(request.POST, kind=kind, choices=choices, total=total + 1, position=total)
    if form.is_valid():
        try:
            sequence_services.sequence_step_add(
                actor=actor,
                sequence=sequence,
                kind=kind,
                config=form.config(),
                **_new_email_args(form),  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Step “{StepKind(kind).label}” added.")
            return redirect("email:sequence_detail", pk=sequence.pk)
    return _step_page(request, sequence, form, None, status=400)


def _step(pk: int, step_pk: int) -> SequenceStep:
    return get_object_or_404(
        SequenceStep.objects.select_related("sequence"), pk=step_pk, sequence_id=pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def step_edit(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    actor = _marketer(request)
    step = _step(pk, step_pk)
    sequence = step.sequence
    args = {
        "kind": step.kind,
        "choices": sequence_selectors.builder_choices(),
        "total": sequence.steps.count(),
        "position": step.position,
    }
    if request.method != "POST":
        initial = StepForm.initial_for(step.kind, step.config)
        form = StepForm(initial=initial, **args)  # type: ignore[arg-type]
        return _step_page(request, sequence, form, step)
    form = StepForm(request.POST, **args)  # type: ignore[arg-type]
    if form.is_valid():
        try:
            sequence_services.sequence_step_update(
                actor=actor,
                step=SequenceStep.objects.get(pk=step.pk),
                config=form.config(),
                **_new_email_args(form),  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Step {step.position + 1} saved.")
            return redirect("email:sequence_detail", pk=sequence.pk)
    return _step_page(request, sequence, form, step, status=400)


@login_required
@require_POST
def step_delete(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    actor = _marketer(request)
    step = _step(pk, step_pk)
    sequence_services.sequence_step_remove(actor=actor, step=step)
    if not _htmx(request):
        messages.success(request, f"Step {step.position + 1} removed.")
    return _steps_response(request, step.sequence)


@login_required
@require_POST
def step_move(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    actor = _marketer(request)
    step = _step(pk, step_pk)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        return HttpResponse("Direction must be up or down.", status=400, content_type="text/plain")
    sequence_services.sequence_step_move(actor=actor, step=step, offset=offset)
    return _steps_response(request, step.sequence)


@login_required
@require_POST
def enrollment_remove(request: HttpRequest, pk: int, enrollment_pk: int) -> HttpResponse:
    actor = _marketer(request)
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("contact"), pk=enrollment_pk, sequence_id=pk
    )
    if sequence_services.enrollment_remove(actor=actor, enrollment=enrollment):
        messages.success(request, f"{enrollment.contact} was removed from the sequence.")
    else:
        messages.error(request, f"{enrollment.contact} had already left the sequence.")
    return redirect("email:sequence_detail", pk=pk)
