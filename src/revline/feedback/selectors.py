"""Feedback reads: the inbox list, its export, and the themes page's numbers.

Everyone active reads feedback; an item on a deal the reader may not see (team-only deal
visibility) is left out, like the deal itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import HttpRequest
from django.utils import timezone

from revline.core import permissions
from revline.core.listing import Column, Listing, build_listing
from revline.core.models import User
from revline.people.models import Contact
from revline.sales.models import DealStatus
from revline.sales.visibility import deals_visible_to

from . import themes
from .models import FeedbackItem, FeedbackSource, RunStatus, Sentiment, ThemeRun, Topic
from .services import can_edit_feedback, theme_run_in_progress

DETRACTOR_MAX = 6
QUOTES = 3
MONTHS = 12
CHART_TOPICS = 8
EXPORT_CHUNK = 2000

FEEDBACK_COLUMNS = (
    Column("text", "Feedback"),
    Column("source", "Source", "source"),
    Column("topic", "Topic", "topic__name"),
    Column("sentiment", "Sentiment", "sentiment_score"),
    Column("score", "Score", "score"),
    Column("from", "From"),
    Column("date", "Date", "occurred_at"),
)
FEEDBACK_SEARCH_FIELDS = (
    "text",
    "contact__first_name",
    "contact__last_name",
    "contact__email",
    "company__name",
    "deal__name",
)
FEEDBACK_FILTERS = {"source": "source", "sentiment": "sentiment"}


@dataclass(frozen=True)
class FeedbackFilters:
    """The inbox and themes filters after validation (views.FilterForm)."""

    source: str = ""
    sentiment: str = ""
    topic: int | None = None
    no_topic: bool = False
    date_from: date | None = None
    date_to: date | None = None
    segment: str = ""


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def feedback_visible_to(user: User) -> QuerySet[FeedbackItem]:
    items = FeedbackItem.objects.all()
    if permissions.sees_only_team_deals(user):
        items = items.filter(Q(deal__isnull=True) | Q(deal__in=deals_visible_to(user).values("pk")))
    return items


def _filtered(items: QuerySet[FeedbackItem], filters: FeedbackFilters) -> QuerySet[FeedbackItem]:
    if filters.no_topic:
        items = items.filter(topic__isnull=True)
    elif filters.topic is not None:
        items = items.filter(topic_id=filters.topic)
    if filters.date_from is not None:
        items = items.filter(occurred_at__gte=_day_start(filters.date_from))
    if filters.date_to is not None:
        items = items.filter(occurred_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.segment:
        from revline.segments.selectors import segment_filter_q

        members = Contact.objects.filter(segment_filter_q(segment_id=filters.segment[:20]))
        items = items.filter(contact__in=members.values("pk"))
    return items


def feedback_listing(request: HttpRequest, *, user: User, filters: FeedbackFilters) -> Listing:
    """The inbox: `?q=` over the text and who it is from, the filters, `?sort=`, `?page=`."""
    items = _filtered(
        feedback_visible_to(user).select_related("contact", "company", "deal", "topic"),
        filters,
    )
    simple = {k: v for k, v in FEEDBACK_FILTERS.items() if getattr(filters, k)}
    return build_listing(
        request,
        items,
        columns=FEEDBACK_COLUMNS,
        search_fields=FEEDBACK_SEARCH_FIELDS,
        filters=simple,
        default_sort="-date",
    )


def feedback_for_export(*, user: User, filters: FeedbackFilters, query: str) -> QuerySet:
    items = _filtered(feedback_visible_to(user), filters)
    for name, lookup in FEEDBACK_FILTERS.items():
        if value := getattr(filters, name):
            items = items.filter(**{lookup: value})
    if query:
        condition = Q()
        for name in FEEDBACK_SEARCH_FIELDS:
            condition |= Q(**{f"{name}__icontains": query})
        items = items.filter(condition)
    return items.order_by("-occurred_at", "-pk")


EXPORT_HEADER = (
    "id", "occurred_at", "source", "source_id", "text", "sentiment", "sentiment_score", "score",
    "topic", "contact", "contact_email", "company", "deal", "created_by",
)  # fmt: skip


def feedback_export_rows(items: QuerySet[FeedbackItem]) -> Iterator[list[Any]]:
    queryset = items.select_related("contact", "company", "deal", "topic", "created_by")
    for item in queryset.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            item.pk, item.occurred_at.isoformat(), item.source, item.source_id or "", item.text,
            item.sentiment, item.sentiment_score, "" if item.score is None else item.score,
            item.topic.name if item.topic else "", str(item.contact) if item.contact else "",
            item.contact.email if item.contact else "", item.company.name if item.company else "",
            item.deal.name if item.deal else "", str(item.created_by) if item.created_by else "",
        ]  # fmt: skip


@dataclass(frozen=True)
class FilterChoices:
    topics: list[tuple[int, str]]
    sources: list[tuple[str, str]]
    sentiments: list[tuple[str, str]]


def feedback_filter_choices() -> FilterChoices:
    return FilterChoices(
        topics=list(Topic.objects.order_by("name", "pk").values_list("pk", "name")),
        sources=list(FeedbackSource.choices),
        sentiments=list(Sentiment.choices),
    )


def feedback_topic_get(*, pk: int) -> Topic | None:
    return Topic.objects.filter(pk=pk).first()


def feedback_item_get(*, user: User, pk: int) -> FeedbackItem | None:
    return feedback_visible_to(user).filter(pk=pk).first()


# ---- the themes page -------------------------------------------------------------------------


@dataclass
class TopicRow:
    topic: Topic
    size: int = 0
    share: float = 0.0  # percent of the items with a topic
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    lost: int = 0  # items on deals that were lost
    detractors: int = 0  # survey answers scored 0-6
    in_segment: int = 0
    monthly: list[int] = field(default_factory=list)
    quotes: list[FeedbackItem] = field(default_factory=list)

    def pct(self, part: int) -> float | None:
        return round(100 * part / self.size, 1) if self.size else None

    @property
    def lost_pct(self) -> float | None:
        return self.pct(self.lost)

    @property
    def detractor_pct(self) -> float | None:
        return self.pct(self.detractors)

    @property
    def positive_pct(self) -> float:
        return self.pct(self.positive) or 0.0

    @property
    def neutral_pct(self) -> float:
        return self.pct(self.neutral) or 0.0

    @property
    def negative_pct(self) -> float:
        return self.pct(self.negative) or 0.0

    @property
    def trend_max(self) -> int:
        return max(self.monthly, default=0)


@dataclass
class ThemesPage:
    rows: list[TopicRow]
    months: list[date]
    total: int  # items in the selection
    assigned: int  # of which with a topic
    lost_total: int
    detractor_total: int
    segment_total: int
    segment_lift: dict[int, float | None]
    top_lost: TopicRow | None
    top_detractors: TopicRow | None
    top_segment: TopicRow | None
    last_run: ThemeRun | None
    running: ThemeRun | None
    too_few: bool
    can_edit: bool
    chart: dict[str, Any]


def _months(end: date, count: int) -> list[date]:
    first = date(end.year, end.month, 1)
    months = [first]
    for _ in range(count - 1):
        previous = months[-1] - timedelta(days=1)
        months.append(date(previous.year, previous.month, 1))
    return list(reversed(months))


def _counts(items: QuerySet[FeedbackItem]) -> dict[int, int]:
    return {
        row["topic_id"]: row["n"]
        for row in items.filter(topic__isnull=False).values("topic_id").annotate(n=Count("pk"))
    }


def _top(rows: list[TopicRow], value: Any) -> TopicRow | None:
    ranked = [row for row in rows if value(row)]
    ranked.sort(key=lambda row: (-value(row), row.topic.name))
    return ranked[0] if ranked else None


def themes_overview(
    *, user: User, filters: FeedbackFilters, now: datetime | None = None
) -> ThemesPage:
    """Each topic's size, monthly trend, sentiment mix, example quotes, and how much of it comes
    from lost deals, detractors and (with filters.segment) the segment's contacts."""
    now = now or timezone.now()
    base = feedback_visible_to(user)
    if filters.source:
        base = base.filter(source=filters.source)
    segment_filter = FeedbackFilters(segment=filters.segment)
    dated = _filtered(base, FeedbackFilters(date_from=filters.date_from, date_to=filters.date_to))
    topics = list(Topic.objects.all())
    sizes = _counts(dated)
    rows = {t.pk: TopicRow(topic=t, size=sizes.get(t.pk, 0)) for t in topics}
    assigned = sum(sizes.values())
    for row in rows.values():
        row.share = round(100 * row.size / assigned, 1) if assigned else 0.0
    for entry in (
        dated.filter(topic__isnull=False).values("topic_id", "sentiment").annotate(n=Count("pk"))
    ):
        setattr(rows[entry["topic_id"]], entry["sentiment"], entry["n"])
    lost_items = dated.filter(deal__status=DealStatus.LOST)
    for topic_id, n in _counts(lost_items).items():
        rows[topic_id].lost = n
    detractor_items = dated.filter(
        source=FeedbackSource.SURVEY, score__isnull=False, score__lte=DETRACTOR_MAX
    )
    for topic_id, n in _counts(detractor_items).items():
        rows[topic_id].detractors = n
    segment_total = 0
    lift: dict[int, float | None] = {}
    if filters.segment:
        in_segment = _filtered(dated, segment_filter)
        segment_total = in_segment.filter(topic__isnull=False).count()
        for topic_id, n in _counts(in_segment).items():
            rows[topic_id].in_segment = n
        for row in rows.values():
            overall = row.size / assigned if assigned else 0
            inside = row.in_segment / segment_total if segment_total else 0
            lift[row.topic.pk] = round(inside / overall, 2) if overall and segment_total else None
    # The twelve months up to the end of the range, or up to the newest feedback.
    newest = dated.aggregate(at=Max("occurred_at"))["at"]
    end = filters.date_to or (timezone.localdate(newest) if newest else timezone.localdate(now))
    months = _months(end, MONTHS)
    index = {month: i for i, month in enumerate(months)}
    for row in rows.values():
        row.monthly = [0] * len(months)
    trend = (
        dated.filter(topic__isnull=False, occurred_at__gte=_day_start(months[0]))
        .annotate(month=TruncMonth("occurred_at"))
        .values("topic_id", "month")
        .annotate(n=Count("pk"))
    )
    for topic_id, moment, n in trend.values_list("topic_id", "month", "n"):
        month = moment.date() if isinstance(moment, datetime) else moment
        if month in index:
            rows[topic_id].monthly[index[month]] = n
    ordered = sorted(rows.values(), key=lambda r: (-r.size, r.topic.name, r.topic.pk))
    for row in ordered:
        if row.size:
            row.quotes = list(
                dated.filter(topic=row.topic)
                .select_related("contact", "deal")
                .order_by("-topic_weight", "-occurred_at", "-pk")[:QUOTES]
            )
    total = dated.count()
    last_run = ThemeRun.objects.exclude(status__in=(RunStatus.QUEUED, RunStatus.RUNNING)).first()
    shown = [row for row in ordered if row.size][:CHART_TOPICS]
    chart = {
        "labels": [f"{m:%b %Y}" for m in months],
        "series": [{"label": row.topic.name, "data": row.monthly} for row in shown],
    }
    return ThemesPage(
        rows=ordered,
        months=months,
        total=total,
        assigned=assigned,
        lost_total=lost_items.count(),
        detractor_total=detractor_items.count(),
        segment_total=segment_total,
        segment_lift=lift,
        top_lost=_top(ordered, lambda r: r.lost),
        top_detractors=_top(ordered, lambda r: r.detractors),
        top_segment=_top(ordered, lambda r: lift.get(r.topic.pk) or 0) if filters.segment else None,
        last_run=last_run,
        running=theme_run_in_progress(),
        too_few=FeedbackItem.objects.count() < themes.MIN_ITEMS,
        can_edit=can_edit_feedback(user),
        chart=chart,
    )
