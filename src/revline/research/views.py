"""Research pages: personas (with the segment builder for their rule), research notes, and the
market insights report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.models import User
from revline.people.exports import csv_lines, csv_response
from revline.segments import builder
from revline.segments import definition as defs
from revline.segments.selectors import builder_options

from . import insight_selectors, selectors, services
from .forms import InsightsForm, NoteForm, PersonaForm
from .insights import THRESHOLDS
from .models import Persona, ResearchNote

PERSONA_TEXT_FIELDS = ("description", "goals", "pains", "typical_titles", "typical_industries")
NOTE_TAG_FIELDS = ("personas", "competitors", "segments", "informs")


def _reader(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(user.is_active, "Your account is inactive.")
    return user


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(permissions.can_manage_marketing(user), services.MARKETING_ONLY)
    return user


def _persona_or_404(pk: int) -> Persona:
    persona = selectors.persona_get(pk=pk)
    if persona is None:
        raise Http404("No such persona.")
    return persona


def _note_or_404(pk: int) -> ResearchNote:
    note = selectors.note_get(pk=pk)
    if note is None:
        raise Http404("No such research note.")
    return note


def _errors_by_field(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}


# --- Personas ----------------------------------------------------------------------------------


@login_required
@require_GET
def persona_list(request: HttpRequest) -> HttpResponse:
    _reader(request)
    listing, rows = selectors.persona_listing(request)
    context = {"listing": listing, "rows": rows, "filtered": bool(listing.query)}
    return render(request, "research/persona_list.html", context)


@login_required
@require_GET
def persona_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _reader(request)
    detail = selectors.persona_detail(persona=_persona_or_404(pk))
    return render(
        request, "research/persona_detail.html", {"detail": detail, "persona": detail.persona}
    )


def _persona_page(
    request: HttpRequest,
    persona: Persona | None,
    form: PersonaForm,
    root: builder.Row,
    *,
    errors: dict[tuple[int, ...], str] | None = None,
    rule_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "persona": persona,
        "form": form,
        "rule_errors": rule_errors or [],
        "root": root,
        "rows": builder.build_views(root, builder_options(), errors),
        "subjects": builder.subject_choices(),
        "can_nest": defs.MAX_DEPTH > 1,
        "max_conditions": defs.MAX_CONDITIONS,
    }
    return render(request, "research/persona_form.html", context, status=status)


def _persona_save(request: HttpRequest, persona: Persona | None) -> HttpResponse:
    actor = _marketer(request)
    form = PersonaForm(request.POST)
    root = builder.rows_from_post(request.POST)
    if action := request.POST.get("action", ""):
        # Adding or removing rows without JavaScript: show the form again, save nothing.
        builder.apply_action(root, action)
        typed = {k: request.POST.get(k, "") for k in ("name", *PERSONA_TEXT_FIELDS)}
        return _persona_page(request, persona, PersonaForm(initial=typed), root)
    definition = builder.to_definition(root)
    row_errors = defs.check(definition).errors
    if not form.is_valid():
        return _persona_page(request, persona, form, root, errors=row_errors, status=400)
    data = {k: form.cleaned_data[k] for k in ("name", *PERSONA_TEXT_FIELDS)}
    try:
        if persona is None:
            saved = services.persona_create(actor=actor, definition=definition, **data)
        else:
            saved = services.persona_update(
                actor=actor, persona=persona, definition=definition, **data
            )
    except ValidationError as exc:
        by_field = _errors_by_field(exc)
        for name, problems in by_field.items():
            if name in form.fields:
                for problem in problems:
                    form.add_error(name, problem)
        # Row problems are shown on their rows; only the rest goes above the builder.
        other = [m for m in by_field.get("definition", []) if m not in row_errors.values()]
        other += by_field.get("", [])
        return _persona_page(
            request, persona, form, root, errors=row_errors, rule_errors=other, status=400
        )
    verb = "created" if persona is None else "saved"
    messages.success(request, f"Persona “{saved.name}” {verb}.")
    return redirect("research:persona_detail", pk=saved.pk)


@login_required
@require_http_methods(["GET", "POST"])
def persona_create(request: HttpRequest) -> HttpResponse:
    _marketer(request)
    if request.method == "POST":
        return _persona_save(request, None)
    root = builder.Row(children=[builder.Row(subject="field:title", op="contains")])
    return _persona_page(request, None, PersonaForm(), root)


@login_required
@require_http_methods(["GET", "POST"])
def persona_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _marketer(request)
    persona = _persona_or_404(pk)
    if request.method == "POST":
        return _persona_save(request, persona)
    initial = {k: getattr(persona, k) for k in ("name", *PERSONA_TEXT_FIELDS)}
    root = builder.rows_from_definition(persona.definition)
    return _persona_page(request, persona, PersonaForm(initial=initial), root)


@login_required
@require_POST
def persona_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    persona = _persona_or_404(pk)
    services.persona_delete(actor=actor, persona=persona)
    messages.success(request, f"Persona “{persona.name}” deleted.")
    return redirect("research:personas")


# --- Research notes ----------------------------------------------------------------------------


@login_required
@require_GET
def note_list(request: HttpRequest) -> HttpResponse:
    _reader(request)
    listing = selectors.note_listing(request)
    filters = ("q", "kind", "persona", "competitor", "segment")
    context = {
        "listing": listing,
        "choices": selectors.note_filter_choices(),
        "filtered": any(request.GET.get(k) for k in filters),
    }
    return render(request, "research/note_list.html", context)


@login_required
@require_GET
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    note = _note_or_404(pk)
    context = {"note": note, "can_edit": services.can_edit_note(user, note)}
    return render(request, "research/note_detail.html", context)


def _note_page(
    request: HttpRequest, note: ResearchNote | None, form: NoteForm, status: int = 200
) -> HttpResponse:
    return render(request, "research/note_form.html", {"note": note, "form": form}, status=status)


def _note_save(request: HttpRequest, note: ResearchNote | None) -> HttpResponse:
    actor = _reader(request)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _note_page(request, note, form, status=400)
    data: dict[str, Any] = dict(form.cleaned_data)
    try:
        if note is None:
            saved = services.research_note_create(actor=actor, **data)
        else:
            saved = services.research_note_update(actor=actor, note=note, **data)
    except ValidationError as exc:
        for name, problems in _errors_by_field(exc).items():
            for problem in problems:
                form.add_error(name if name in form.fields else None, problem)
        return _note_page(request, note, form, status=400)
    verb = "created" if note is None else "saved"
    messages.success(request, f"Research note “{saved.title}” {verb}.")
    return redirect("research:note_detail", pk=saved.pk)


@login_required
@require_http_methods(["GET", "POST"])
def note_create(request: HttpRequest) -> HttpResponse:
    _reader(request)
    if request.method == "POST":
        return _note_save(request, None)
    initial: dict[str, Any] = {}
    for name in ("persona", "competitor", "segment"):
        value = request.GET.get(name, "")
        if value.isdigit() and len(value) < 18:
            initial[f"{name}s"] = [int(value)]
    return _note_page(request, None, NoteForm(initial=initial))


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    note = _note_or_404(pk)
    permissions.require(services.can_edit_note(user, note), services.NOTE_EDITORS_ONLY)
    if request.method == "POST":
        return _note_save(request, note)
    initial: dict[str, Any] = {
        "title": note.title,
        "kind": note.kind,
        "date": note.date,
        "body": note.body,
        **{name: [o.pk for o in getattr(note, name).all()] for name in NOTE_TAG_FIELDS},
    }
    return _note_page(request, note, NoteForm(initial=initial))


@login_required
@require_POST
def note_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _reader(request)
    note = _note_or_404(pk)
    services.research_note_delete(actor=actor, note=note)
    messages.success(request, f"Research note “{note.title}” deleted.")
    return redirect("research:notes")


# --- Market insights ---------------------------------------------------------------------------


@login_required
@require_GET
def market_insights(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = _reader(request)
    form = InsightsForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and form.errors:
        data = {}
    export = data.get("export", "")
    report = insight_selectors.market_insights(
        viewer=user,
        start=data.get("date_from"),
        end=data.get("date_to"),
        dimensions=(export,) if export else tuple(insight_selectors.DIMENSION_LABELS),
        predict=bool(data.get("predict")),
    )
    if export:
        table = report.tables[0]
        rows = insight_selectors.table_csv_rows(table, report.currency)
        lines = csv_lines(insight_selectors.CSV_HEADER, rows)
        return csv_response(lines, f"insights-{export}.csv")
    charts = {t.key: insight_selectors.chart_data(t) for t in report.tables}
    params = request.GET.copy()
    params.pop("export", None)
    context = {
        "form": form,
        "report": report,
        "charts": charts,
        "thresholds": THRESHOLDS,
        "query": params.urlencode(),
        "filtered": bool(request.GET),
    }
    return render(request, "research/insights.html", context, status=400 if form.errors else 200)
