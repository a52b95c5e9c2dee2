"""Segment pages: list, detail, the htmx builder (rows re-rendered by the server), export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.models import User
from revline.people.exports import contacts_csv_response

from . import builder, selectors, services
from . import definition as defs
from .models import Segment

MARKETING_ONLY = services.MARKETING_ONLY


def _reader(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(user.is_active, "Your account is inactive.")
    return user


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(permissions.can_manage_marketing(user), MARKETING_ONLY)
    return user


def _segment_or_404(pk: int) -> Segment:
    segment = selectors.segment_get(pk=pk)
    if segment is None:
        raise Http404("No such segment.")
    return segment


@login_required
@require_GET
def segment_list(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    listing, rows = selectors.segment_listing(request, viewer=user)
    context = {"listing": listing, "rows": rows, "filtered": bool(listing.query)}
    return render(request, "segments/list.html", context)


@login_required
@require_GET
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    detail = selectors.segment_detail(segment=_segment_or_404(pk), viewer=user)
    return render(request, "segments/detail.html", {"detail": detail, "segment": detail.segment})


# --- Builder -----------------------------------------------------------------------------------


def _builder_context(
    root: builder.Row, *, errors: dict[tuple[int, ...], str] | None = None
) -> dict[str, Any]:
    return {
        "root": root,
        "rows": builder.build_views(root, selectors.builder_options(), errors),
        "subjects": builder.subject_choices(),
        "can_nest": defs.MAX_DEPTH > 1,
        "max_conditions": defs.MAX_CONDITIONS,
    }


def _posted(data: QueryDict) -> tuple[builder.Row, dict[tuple[int, ...], str], dict[str, Any]]:
    root = builder.rows_from_post(data)
    if action := data.get("action", ""):
        builder.apply_action(root, action)
    definition = builder.to_definition(root)
    # The raw tree goes on to the service, which validates it again: the checked copy drops
    # bad conditions, which must never be saved silently.
    return root, defs.check(definition).errors, definition


def _form_page(
    request: HttpRequest,
    segment: Segment | None,
    root: builder.Row,
    *,
    name: str,
    description: str,
    errors: dict[tuple[int, ...], str] | None = None,
    form_errors: list[str] | None = None,
    name_error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "segment": segment,
        "name": name,
        "description": description,
        "name_error": name_error,
        "form_errors": form_errors or [],
        **_builder_context(root, errors=errors),
    }
    return render(request, "segments/form.html", context, status=status)


def _save(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    actor = _marketer(request)
    name = request.POST.get("name", "")[:300]
    description = request.POST.get("description", "")[:5000]
    root, errors, definition = _posted(request.POST)
    if request.POST.get("action"):
        # Adding/removing rows without JavaScript: show the form again, save nothing.
        return _form_page(request, segment, root, name=name, description=description)
    try:
        if segment is None:
            saved = services.segment_create(
                actor=actor, name=name, description=description, definition=definition
            )
        else:
            saved = services.segment_update(
                actor=actor,
                segment=segment,
                name=name,
                description=description,
                definition=definition,
            )
    except ValidationError as exc:
        by_field = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        name_error = " ".join(by_field.pop("name", []))
        # Row problems are shown on their rows; only the rest goes above the form.
        other = [m for m in by_field.get("definition", []) if m not in errors.values()]
        other += by_field.get("", [])
        return _form_page(
            request, segment, root, name=name, description=description, errors=errors,
            form_errors=other, name_error=name_error, status=400,
        )  # fmt: skip
    verb = "created" if segment is None else "saved"
    messages.success(request, f"Segment “{saved.name}” {verb}.")
    return redirect("segments:detail", pk=saved.pk)


@login_required
@require_http_methods(["GET", "POST"])
def segment_create(request: HttpRequest) -> HttpResponse:
    _marketer(request)
    if request.method == "POST":
        return _save(request, None)
    root = builder.Row(children=[builder.Row()])
    return _form_page(request, None, root, name="", description="")


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _marketer(request)
    segment = _segment_or_404(pk)
    if request.method == "POST":
        return _save(request, segment)
    root = builder.rows_from_definition(segment.definition)
    return _form_page(request, segment, root, name=segment.name, description=segment.description)


@login_required
@require_POST
def segment_builder(request: HttpRequest) -> HttpResponse:
    """The builder's rows again after a change of structure (htmx); saves nothing."""
    _marketer(request)
    root, _, _ = _posted(request.POST)
    # No row errors here: a row just added or switched is not wrong yet. The live count names
    # what is incomplete, and saving marks the rows.
    response = render(request, "segments/_builder.html", _builder_context(root))
    response["HX-Trigger"] = "segment-changed"
    return response


@login_required
@require_POST
def segment_live_count(request: HttpRequest) -> HttpResponse:
    """The live count of the builder's current conditions; reads only."""
    _reader(request)
    _, errors, definition = _posted(request.POST)
    context: dict[str, Any] = {"errors": [errors[p] for p in sorted(errors)], "count": None}
    if not errors:
        context["count"] = selectors.segment_count(definition=definition)
    return render(request, "segments/_count.html", context)


@login_required
@require_POST
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    segment = _segment_or_404(pk)
    try:
        services.segment_delete(actor=actor, segment=segment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("segments:detail", pk=segment.pk)
    messages.success(request, f"Segment “{segment.name}” deleted.")
    return redirect("segments:list")


@login_required
@require_GET
def segment_export(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    user = _reader(request)
    segment = _segment_or_404(pk)
    try:
        contacts = selectors.segment_members_for_export(segment=segment)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=409, content_type="text/plain")
    filename = f"segment-{segment.pk}.csv"
    return contacts_csv_response(contacts=contacts, viewer=user, filename=filename)
