"""The feedback inbox and the themes page. Everyone reads; marketers, sales managers and admins
shape topics (services.can_edit_feedback)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.models import User
from revline.people.exports import csv_lines, csv_response

from . import selectors, services
from .forms import FeedbackForm, FilterForm, MergeForm, RenameForm, RunForm
from .models import Topic


def _reader(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(services.can_read_feedback(user), "You cannot read feedback.")
    return user


def _editor(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(services.can_edit_feedback(user), services.EDIT_DENIED)
    return user


def _filter_form(request: HttpRequest) -> FilterForm:
    form = FilterForm(request.GET, choices=selectors.feedback_filter_choices())
    form.is_valid()
    return form


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    form = _filter_form(request)
    listing = selectors.feedback_listing(request, user=user, filters=form.filters())
    context = {
        "listing": listing,
        "filter_form": form,
        "filtered": bool(listing.params.keys() - {"sort", "page"}),
        "can_edit": services.can_edit_feedback(user),
    }
    return render(request, "feedback/inbox.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = _reader(request)
    form = _filter_form(request)
    if form.errors:
        return HttpResponse(
            "Fix the filters first: "
            + "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    items = selectors.feedback_for_export(
        user=user, filters=form.filters(), query=request.GET.get("q", "").strip()[:200]
    )
    lines = csv_lines(selectors.EXPORT_HEADER, selectors.feedback_export_rows(items))
    return csv_response(lines, f"feedback-{timezone.localdate():%Y-%m-%d}.csv")


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else None


@login_required
@require_http_methods(["GET", "POST"])
def add(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    initial = {name: _int(request.GET.get(name)) for name in ("contact", "company", "deal")}
    form = FeedbackForm(request.POST or None, initial=initial, actor=user)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.feedback_create(actor=user, **form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Feedback recorded.")
                return redirect("feedback:inbox")
        return render(request, "feedback/feedback_form.html", {"form": form}, status=400)
    return render(request, "feedback/feedback_form.html", {"form": form})


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    item = selectors.feedback_item_get(user=user, pk=pk)
    if item is None:
        raise Http404("No such feedback.")
    services.feedback_delete(actor=user, item=item)
    messages.success(request, "Feedback deleted.")
    return redirect("feedback:inbox")


def _render_themes(
    request: HttpRequest,
    user: User,
    *,
    errors: dict[int, list[str]] | None = None,
    run_form: RunForm | None = None,
    status: int = 200,
) -> HttpResponse:
    form = _filter_form(request)
    page = selectors.themes_overview(user=user, filters=form.filters())
    topics = [(row.topic.pk, row.topic.name) for row in page.rows]
    context: dict[str, Any] = {
        "page": page,
        "filter_form": form,
        "filtered": any(v for k, v in request.GET.items()),
        "merge_choices": topics,
        "errors": errors or {},
        "run_form": run_form or RunForm(),
    }
    if form.errors and status == 200:
        status = 400
    return render(request, "feedback/themes.html", context, status=status)


@login_required
@require_GET
def themes_page(request: HttpRequest) -> HttpResponse:
    return _render_themes(request, _reader(request))


@login_required
@require_POST
def themes_run(request: HttpRequest) -> HttpResponse:
    user = _editor(request)
    form = RunForm(request.POST)
    if form.is_valid():
        try:
            services.themes_request(actor=user, n_topics=form.cleaned_data["n_topics"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Finding themes in the background; reload in a moment.")
            return redirect("feedback:themes")
    return _render_themes(request, user, run_form=form, status=400)


def _topic_or_404(pk: int) -> Topic:
    topic = selectors.feedback_topic_get(pk=pk)
    if topic is None:
        raise Http404("No such topic.")
    return topic


def _topic_error(
    request: HttpRequest, user: User, topic: Topic, messages_: list[str]
) -> HttpResponse:
    return _render_themes(request, user, errors={topic.pk: messages_}, status=400)


@login_required
@require_POST
def topic_rename(request: HttpRequest, pk: int) -> HttpResponse:
    user = _editor(request)
    topic = _topic_or_404(pk)
    form = RenameForm(request.POST)
    if form.is_valid():
        try:
            services.topic_rename(actor=user, topic=topic, name=form.cleaned_data["name"])
        except ValidationError as exc:
            return _topic_error(request, user, topic, exc.messages)
        messages.success(request, f"Topic renamed to {topic.name}.")
        return redirect("feedback:themes")
    return _topic_error(
        request, user, topic, [str(e) for errs in form.errors.values() for e in errs]
    )


@login_required
@require_POST
def topic_merge(request: HttpRequest, pk: int) -> HttpResponse:
    user = _editor(request)
    topic = _topic_or_404(pk)
    form = MergeForm(request.POST, topics=[])
    if not form.is_valid():
        return _topic_error(request, user, topic, ["Choose a topic to merge into."])
    into = selectors.feedback_topic_get(pk=form.cleaned_data["into"])
    if into is None:
        return _topic_error(request, user, topic, ["That topic no longer exists."])
    name = topic.name
    try:
        services.topic_merge(actor=user, topic=topic, into=into)
    except ValidationError as exc:
        return _topic_error(request, user, topic, exc.messages)
    messages.success(request, f"Merged {name} into {into.name}.")
    return redirect("feedback:themes")


@login_required
@require_POST
def topic_split(request: HttpRequest, pk: int) -> HttpResponse:
    user = _editor(request)
    topic = _topic_or_404(pk)
    try:
        new = services.topic_split(actor=user, topic=topic)
    except ValidationError as exc:
        return _topic_error(request, user, topic, exc.messages)
    messages.success(request, f"Split {topic.name} in two: the new topic is {new.name}.")
    return redirect("feedback:themes")
