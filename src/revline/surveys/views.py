"""Survey pages for the team: list, builder (questions and logic), preview, publish/close,
distribution by email, results and the CSV export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.audience import audience_refused, sees_whole_audience
from revline.core.models import User
from revline.people.exports import csv_lines, csv_response
from revline.segments.selectors import segment_get

from . import selectors, services
from .forms import DistributeForm, QuestionForm, ResultsFilterForm, SurveyForm
from .models import Question, Survey, SurveyStatus
from .public_views import logic_map, question_views


def _reader(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(user.is_active, "Your account is inactive.")
    return user


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(permissions.can_manage_marketing(user), services.MARKETING_ONLY)
    return user


def _survey_or_404(pk: int) -> Survey:
    survey = selectors.survey_get(pk=pk)
    if survey is None:
        raise Http404("No such survey.")
    return survey


def _question_or_404(survey: Survey, pk: int) -> Question:
    question = selectors.question_get(pk=pk)
    if question is None or question.version.survey_id != survey.pk:
        raise Http404("No such question.")
    return question


def _form_errors(form: BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    reader = _reader(request)
    listing = selectors.survey_listing(request, audience=sees_whole_audience(reader))
    context = {
        "listing": listing,
        "statuses": SurveyStatus.choices,
        "filtered": bool(listing.query or listing.params.get("status")),
    }
    return render(request, "surveys/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"Survey “{survey.name}” created. Now add its questions.")
            return redirect("surveys:detail", pk=survey.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "surveys/form.html", {"form": form, "survey": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    survey = _survey_or_404(pk)
    form = SurveyForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(actor=actor, survey=survey, **form.cleaned_data)
        except ValidationError as exc:
            survey.refresh_from_db()
            _form_errors(form, exc)
        else:
            messages.success(request, "Survey saved.")
            return redirect("surveys:detail", pk=survey.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "surveys/form.html", {"form": form, "survey": survey}, status=status)


@login_required
@require_GET
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reader = _reader(request)
    survey = _survey_or_404(pk)
    page = selectors.builder_page(survey=survey, audience=sees_whole_audience(reader))
    rows = [(q, selectors.logic_text(q, page.targets)) for q in page.questions]
    public_url = request.build_absolute_uri(reverse("surveys:public", kwargs={"slug": survey.slug}))
    embed_url = request.build_absolute_uri(
        reverse("surveys:public_embed", kwargs={"slug": survey.slug})
    )
    context = {
        "survey": survey,
        "page": page,
        "rows": rows,
        "public_url": public_url,
        "embed_url": embed_url,
        "distribute_form": DistributeForm(),
    }
    return render(request, "surveys/detail.html", context)


def _targets(survey: Survey, after: int) -> list[tuple[str, str]]:
    version = services.latest_version(survey)
    return [
        (q.key, f"Q{q.position}. {q.label}"[:80])
        for q in version.questions.filter(position__gt=after).order_by("position")
    ]


@login_required
@require_http_methods(["GET", "POST"])
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    survey = _survey_or_404(pk)
    form = QuestionForm(request.POST or None, targets=[])
    if request.method == "POST" and form.is_valid():
        try:
            services.question_add(actor=actor, survey=survey, data=form.question_input())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "Question added.")
            return redirect("surveys:detail", pk=survey.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "survey": survey, "question": None}
    return render(request, "surveys/question_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    actor = _marketer(request)
    survey = _survey_or_404(pk)
    question = _question_or_404(survey, question_pk)
    targets = _targets(survey, question.position)
    if request.method == "POST":
        form = QuestionForm(request.POST, targets=targets)
    else:
        form = QuestionForm(targets=targets, question=question)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(actor=actor, question=question, data=form.question_input())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "Question saved.")
            return redirect("surveys:detail", pk=survey.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "survey": survey, "question": question}
    return render(request, "surveys/question_form.html", context, status=status)


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    actor = _marketer(request)
    survey = _survey_or_404(pk)
    question = _question_or_404(survey, question_pk)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, "Move a question up or down.")
    else:
        services.question_move(actor=actor, question=question, offset=offset)
    return redirect("surveys:detail", pk=survey.pk)


@login_required
@require_POST
def question_remove(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    actor = _marketer(request)
    survey = _survey_or_404(pk)
    question = _question_or_404(survey, question_pk)
    services.question_remove(actor=actor, question=question)
    messages.success(request, f"Question “{question.label}” removed.")
    return redirect("surveys:detail", pk=survey.pk)


@login_required
@require_POST
def survey_publish(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    survey = _survey_or_404(pk)
    try:
        services.survey_publish(actor=actor, survey=survey)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Survey published: its link now takes answers.")
    return redirect("surveys:detail", pk=survey.pk)


@login_required
@require_POST
def survey_close(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    survey = _survey_or_404(pk)
    try:
        services.survey_close(actor=actor, survey=survey)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Survey closed: it takes no more answers.")
    return redirect("surveys:detail", pk=survey.pk)


@login_required
@require_GET
def survey_preview(request: HttpRequest, pk: int) -> HttpResponse:
    _reader(request)
    survey = _survey_or_404(pk)
    questions = selectors.version_questions(services.latest_version(survey))
    context = {
        "survey": survey,
        "questions": question_views(questions, values={}, errors={}),
        "logic": logic_map(questions),
        "preview": True,
    }
    return render(request, "surveys/public.html", context)


@login_required
@require_POST
def survey_distribute(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    survey = _survey_or_404(pk)
    form = DistributeForm(request.POST)
    segment = None
    if form.is_valid():
        segment = segment_get(pk=form.cleaned_data["segment"])
        if segment is None:
            form.add_error("segment", "Choose a segment.")
    if form.is_valid() and segment is not None:
        try:
            result = services.survey_distribute(
                actor=actor,
                survey=survey,
                segment=segment,
                subject=form.cleaned_data["subject"],
                message=form.cleaned_data["message"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(result.skipped.items()))
            note = f" Not sent: {skipped}." if skipped else ""
            if result.already:
                note += f" {result.already} invited before (not sent again)."
            messages.success(request, f"Sending the survey to {result.invited} contacts.{note}")
            return redirect("surveys:detail", pk=survey.pk)
    page = selectors.builder_page(survey=survey)
    context: dict[str, Any] = {
        "survey": survey,
        "page": page,
        "rows": [(q, selectors.logic_text(q, page.targets)) for q in page.questions],
        "public_url": request.build_absolute_uri(
            reverse("surveys:public", kwargs={"slug": survey.slug})
        ),
        "embed_url": request.build_absolute_uri(
            reverse("surveys:public_embed", kwargs={"slug": survey.slug})
        ),
        "distribute_form": form,
    }
    return render(request, "surveys/detail.html", context, status=400)


def _results_form(request: HttpRequest, survey: Survey) -> ResultsFilterForm:
    company_ids = selectors.respondent_company_ids(survey=survey)
    return ResultsFilterForm(request.GET or None, company_ids=company_ids)


@login_required
@require_GET
def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    reader = _reader(request)
    survey = _survey_or_404(pk)
    if not sees_whole_audience(reader):
        # Counted over every respondent: the page says why instead (core.audience).
        return render(request, "surveys/results.html", {"survey": survey, "results": None})
    form = _results_form(request, survey)
    results = selectors.survey_results(
        survey=survey, filters=form.filters(), period=form.trend_period()
    )
    chart = {
        "labels": [p.period.isoformat() for p in results.trend],
        "nps": [None if p.nps.score is None else round(p.nps.score, 1) for p in results.trend],
        "responses": [p.nps.responses for p in results.trend],
    }
    context = {
        "survey": survey,
        "form": form,
        "results": results,
        "chart": chart,
        "export_query": request.GET.urlencode(),
    }
    return render(request, "surveys/results.html", context)


@login_required
@require_GET
def survey_export(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    if not sees_whole_audience(_reader(request)):
        return audience_refused(request)
    survey = _survey_or_404(pk)
    form = _results_form(request, survey)
    header, rows = selectors.export_rows(survey=survey, filters=form.filters())
    return csv_response(csv_lines(header, rows), f"survey-{survey.slug}-responses.csv")
