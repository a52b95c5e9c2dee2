"""Reads for surveys: the list page, the builder, the public page, results and the export."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncMonth, TruncWeek
from django.http import HttpRequest
from django.utils import timezone

from revline.core.listing import Column, Listing, build_listing
from revline.people.models import Contact
from revline.segments.selectors import segment_filter_q

from . import metrics
from .answering import number_range
from .models import (
    Answer,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyDistribution,
    SurveyInvite,
    SurveyStatus,
    SurveyVersion,
)

SURVEY_COLUMNS = (
    Column("name", "Name", "name"),
    Column("status", "Status", "status"),
    Column("responses", "Responses", "response_count"),
    Column("updated", "Updated", "updated_at"),
)
TEXTS_SHOWN = 100


def survey_get(*, pk: int) -> Survey | None:
    return Survey.objects.select_related("live_version", "created_by").filter(pk=pk).first()


def question_get(*, pk: int) -> Question | None:
    return Question.objects.select_related("version__survey").filter(pk=pk).first()


def survey_listing(request: HttpRequest, *, audience: bool = True) -> Listing:
    """Without `audience` (a reader narrowed by contact visibility) response counts are None."""
    surveys = Survey.objects.annotate(
        response_count=(
            Count("responses") if audience else Value(None, output_field=IntegerField())
        )
    )
    return build_listing(
        request,
        surveys,
        columns=SURVEY_COLUMNS,
        search_fields=("name", "slug"),
        filters={"status": "status"},
        default_sort="-updated",
    )


# --- Builder ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuilderPage:
    survey: Survey
    version: SurveyVersion  # the newest: what the builder shows and publishing makes live
    questions: list[Question]
    # The counts below are None for a reader narrowed by contact visibility (core.audience).
    response_count: int | None
    version_locked: bool  # has responses: the next edit starts a new version
    unpublished_changes: bool
    distributions: list[SurveyDistribution]
    invites: int | None
    invites_sent: int | None
    invites_answered: int | None
    targets: dict[str, str]  # key -> "Q3. label" for describing logic


def builder_page(*, survey: Survey, audience: bool = True) -> BuilderPage:
    """Without `audience` (a reader narrowed by contact visibility) the response and invite
    counts are not computed (None)."""
    version = survey.versions.order_by("-number").first()
    assert version is not None
    questions = list(version.questions.order_by("position"))
    invites: dict[str, int | None] = dict.fromkeys(("total", "sent", "answered"))
    if audience:
        invites = SurveyInvite.objects.filter(survey=survey).aggregate(
            total=Count("pk"),
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            answered=Count("pk", filter=Q(responded_at__isnull=False)),
        )
    return BuilderPage(
        survey=survey,
        version=version,
        questions=questions,
        response_count=survey.responses.count() if audience else None,
        version_locked=version.responses.exists(),
        unpublished_changes=survey.live_version_id != version.pk,
        distributions=list(survey.distributions.select_related("created_by")[:20]),
        invites=invites["total"],
        invites_sent=invites["sent"],
        invites_answered=invites["answered"],
        targets={q.key: f"Q{q.position}. {q.label}" for q in questions},
    )


def logic_text(question: Question, targets: dict[str, str]) -> list[str]:
    """Each rule of a question in words, for the builder."""
    words = {"eq": "is", "lte": "is at most", "gte": "is at least", "includes": "includes"}
    out = []
    for rule in metrics.rules_from_json(question.logic):
        goto = (
            "end the survey" if rule.goto == metrics.END else f"go to {targets.get(rule.goto, '?')}"
        )
        out.append(f"If the answer {words[rule.op]} {rule.value}, {goto}")
    return out


# --- Public page --------------------------------------------------------------------------------


def survey_public(*, slug: str) -> Survey | None:
    """A survey the public may see: open or closed (a closed one says so), never a draft."""
    return (
        Survey.objects.select_related("live_version")
        .filter(slug=slug, live_version__isnull=False)
        .exclude(status=SurveyStatus.DRAFT)
        .first()
    )


def invite_by_token(*, survey: Survey, token: str) -> SurveyInvite | None:
    if not token or len(token) > 64:
        return None
    return SurveyInvite.objects.select_related("contact").filter(survey=survey, token=token).first()


def version_questions(version: SurveyVersion) -> list[Question]:
    return list(version.questions.order_by("position"))


# --- Results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultFilters:
    segment: str = ""
    company: int | None = None
    stage: str = ""
    date_from: date | None = None
    date_to: date | None = None


def responses_filtered(*, survey: Survey, filters: ResultFilters) -> QuerySet[Response]:
    responses = Response.objects.filter(survey=survey)
    if filters.segment:
        members = Contact.objects.filter(segment_filter_q(segment_id=filters.segment))
        responses = responses.filter(contact__in=members.values("pk"))
    if filters.company is not None:
        responses = responses.filter(contact__company_id=filters.company)
    if filters.stage:
        responses = responses.filter(contact__lifecycle_stage=filters.stage)
    tz = timezone.get_current_timezone()
    if filters.date_from:
        responses = responses.filter(
            submitted_at__gte=datetime.combine(filters.date_from, time.min, tzinfo=tz)
        )
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=tz)
        responses = responses.filter(submitted_at__lt=end)
    return responses


@dataclass(frozen=True)
class TrendPoint:
    period: date
    nps: metrics.Nps


@dataclass(frozen=True)
class TextAnswer:
    text: str
    submitted_at: datetime
    contact: Contact | None
    nps: int | None


@dataclass
class QuestionResult:
    key: str
    label: str
    kind: str
    kind_label: str
    answered: int = 0
    bars: list[metrics.Bar] = field(default_factory=list)
    mean: float | None = None
    texts: list[TextAnswer] = field(default_factory=list)
    removed: bool = False  # not in the newest version


@dataclass(frozen=True)
class Results:
    responses: int
    nps: metrics.Nps
    csat: metrics.Csat
    trend: list[TrendPoint]
    period: str
    questions: list[QuestionResult]
    has_nps: bool
    has_csat: bool


def _questions_by_key(survey: Survey) -> list[tuple[Question, bool]]:
    """One question per key, newest wording first, in the newest version's order; keys removed
    in later versions follow (their old answers stay readable)."""
    seen: dict[str, tuple[Question, bool]] = {}
    newest = None
    for q in Question.objects.filter(version__survey=survey).order_by(
        "-version__number", "position"
    ):
        newest = q.version_id if newest is None else newest
        seen.setdefault(q.key, (q, q.version_id != newest))
    current = [v for v in seen.values() if not v[1]]
    removed = [v for v in seen.values() if v[1]]
    return current + removed


def _number_labels(question: Question) -> list[str]:
    low, high = number_range(question)
    return [str(n) for n in range(low, high + 1)]


def survey_results(*, survey: Survey, filters: ResultFilters, period: str = "week") -> Results:
    responses = responses_filtered(survey=survey, filters=filters)
    totals = responses.aggregate(
        n=Count("pk"),
        promoters=Count("pk", filter=Q(nps__gte=metrics.PROMOTER_MIN)),
        passives=Count("pk", filter=Q(nps__gte=metrics.PASSIVE_MIN, nps__lt=metrics.PROMOTER_MIN)),
        detractors=Count("pk", filter=Q(nps__lt=metrics.PASSIVE_MIN)),
        csat_n=Count("csat"),
        satisfied=Count("pk", filter=Q(csat__gte=metrics.SATISFIED_MIN)),
        csat_total=Sum("csat"),
    )
    nps = metrics.nps_from_counts(
        promoters=totals["promoters"], passives=totals["passives"], detractors=totals["detractors"]
    )
    csat = metrics.Csat(
        responses=totals["csat_n"], satisfied=totals["satisfied"], total=totals["csat_total"] or 0
    )
    trunc = TruncMonth if period == "month" else TruncWeek
    trend = [
        TrendPoint(
            period=row["p"].date() if isinstance(row["p"], datetime) else row["p"],
            nps=metrics.nps_from_counts(
                promoters=row["promoters"], passives=row["passives"], detractors=row["detractors"]
            ),
        )
        for row in responses.filter(nps__isnull=False)
        .annotate(p=trunc("submitted_at"))
        .values("p")
        .annotate(
            promoters=Count("pk", filter=Q(nps__gte=metrics.PROMOTER_MIN)),
            passives=Count(
                "pk", filter=Q(nps__gte=metrics.PASSIVE_MIN, nps__lt=metrics.PROMOTER_MIN)
            ),
            detractors=Count("pk", filter=Q(nps__lt=metrics.PASSIVE_MIN)),
        )
        .order_by("p")
    ]
    answers = Answer.objects.filter(response__in=responses.values("pk"))
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    answered: dict[str, int] = {}
    sums: dict[str, int] = {}
    for row in answers.values("question__key", "number", "choice").annotate(n=Count("pk")):
        label = str(row["number"]) if row["number"] is not None else row["choice"]
        if label:
            counts[row["question__key"]][label] = row["n"]
        if row["number"] is not None:
            sums[row["question__key"]] = (
                sums.get(row["question__key"], 0) + row["number"] * row["n"]
            )
    for key, n in answers.values_list("question__key").annotate(n=Count("response", distinct=True)):
        answered[key] = n
    questions: list[QuestionResult] = []
    kinds = dict(QuestionKind.choices)
    has_nps = has_csat = False
    for question, removed in _questions_by_key(survey):
        result = QuestionResult(
            key=question.key,
            label=question.label,
            kind=question.kind,
            kind_label=kinds.get(question.kind, question.kind),
            answered=answered.get(question.key, 0),
            removed=removed,
        )
        has_nps |= question.kind == QuestionKind.NPS
        has_csat |= question.kind == QuestionKind.CSAT
        if question.kind == QuestionKind.TEXT:
            result.texts = [
                TextAnswer(
                    text=a.text,
                    submitted_at=a.response.submitted_at,
                    contact=a.response.contact,
                    nps=a.response.nps,
                )
                for a in answers.filter(question__key=question.key)
                .exclude(text="")
                .select_related("response__contact")
                .order_by("-response__submitted_at", "-pk")[:TEXTS_SHOWN]
            ]
        else:
            order = (
                _number_labels(question)
                if question.kind in (QuestionKind.NPS, QuestionKind.CSAT, QuestionKind.RATING)
                else list(question.options)
            )
            result.bars = metrics.distribution(
                counts.get(question.key, {}), order=order, base=result.answered
            )
            if question.key in sums and result.answered:
                result.mean = sums[question.key] / result.answered
        questions.append(result)
    return Results(
        responses=totals["n"],
        nps=nps,
        csat=csat,
        trend=trend,
        period="month" if period == "month" else "week",
        questions=questions,
        has_nps=has_nps,
        has_csat=has_csat,
    )


# --- Export -------------------------------------------------------------------------------------


def export_rows(*, survey: Survey, filters: ResultFilters) -> tuple[list[str], Iterator[list[Any]]]:
    """The CSV header and one row per response (oldest first), one column per question."""
    questions = [q for q, _ in _questions_by_key(survey)]
    header = [
        "response_id", "submitted_at", "version", "anonymous", "contact_id", "email",
        "first_name", "last_name", "company", "lifecycle_stage", "nps", "csat",
        *[q.label for q in questions],
    ]  # fmt: skip
    responses = (
        responses_filtered(survey=survey, filters=filters)
        .select_related("contact__company", "version")
        .prefetch_related("answers__question")
        .order_by("submitted_at", "pk")
    )

    def rows() -> Iterator[list[Any]]:
        for r in responses.iterator(chunk_size=500):
            values: dict[str, list[str]] = defaultdict(list)
            for a in r.answers.all():
                cell = str(a.number) if a.number is not None else (a.choice or a.text)
                values[a.question.key].append(cell)
            c = r.contact
            yield [
                r.pk, r.submitted_at.isoformat(), r.version.number, "yes" if r.is_anonymous else "no",
                c.pk if c else "", c.email if c else "", c.first_name if c else "",
                c.last_name if c else "", c.company.name if c and c.company else "",
                c.lifecycle_stage if c else "", "" if r.nps is None else r.nps,
                "" if r.csat is None else r.csat,
                *["; ".join(values.get(q.key, [])) for q in questions],
            ]  # fmt: skip

    return header, rows()


def response_count(*, survey: Survey) -> int:
    return Response.objects.filter(survey=survey).count()


def respondent_company_ids(*, survey: Survey) -> list[int]:
    return list(
        Response.objects.filter(survey=survey, contact__company__isnull=False)
        .values_list("contact__company_id", flat=True)
        .distinct()
    )
