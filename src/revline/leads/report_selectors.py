"""Reads for the hand-off reports (lead quality, lifecycle conversion).

Counts per stage and period are aggregated in SQL. Medians and conversion rates need each
contact's (or hand-off's) own times, so those load plain value lists and compute in Python
(leads.reports): fine for tens of thousands of hand-offs and contacts in the range, the scale of
a demo or a small team; a larger workspace would move them into window functions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Trunc

from revline.campaigns.models import Campaign, Channel
from revline.content.models import ContentItem
from revline.core.dates import days_bounds, workspace_tz
from revline.people.models import Contact, LifecycleStage

from . import reports
from .models import Handoff, HandoffStatus, LifecycleTransition, RejectReason

GROUPINGS = {"campaign": "campaign_id", "channel": "channel", "content": "content_item_id"}
GROUP_LABELS = {"campaign": "Campaign", "channel": "Channel", "content": "Content item"}
RECYCLED_PAGE_SIZE = 25


def _rank(expression: str) -> Case:
    """A stage's position in the forward lifecycle, -1 for disqualified/recycled."""
    return Case(
        *[When(**{expression: stage}, then=Value(i)) for i, stage in enumerate(reports.FORWARD)],
        default=Value(-1),
        output_field=IntegerField(),
    )


# --- Conversion ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodRow:
    label: str
    start: date
    counts: list[int]  # per stage of reports.FORWARD


@dataclass(frozen=True)
class ConversionReport:
    first: date
    last: date
    interval: str
    stages: list[tuple[str, str]]  # (value, label) of reports.FORWARD
    periods: list[PeriodRow]
    totals: list[int]  # sum over the periods, per stage
    summary: list[reports.StageRow]


def _stage_counts_by_period(
    start: datetime, end: datetime, interval: str, tz: ZoneInfo
) -> dict[date, list[int]]:
    """Contacts reaching each stage per period, in two aggregate queries.

    A move counts for every stage it passes (lead → SQL reaches MQL, SAL and SQL); a move out of
    disqualified/recycled counts only for its target; a new contact counts for its first stage
    and every stage before it. A contact counts once per stage and period."""
    counts: dict[date, list[int]] = defaultdict(lambda: [0] * len(reports.FORWARD))
    moves = (
        LifecycleTransition.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .annotate(
            fr=_rank("from_stage"),
            tr=_rank("to_stage"),
            period=Trunc("occurred_at", interval, tzinfo=tz),
        )
        .values("period")
        .annotate(
            **{
                f"s{i}": Count(
                    "contact_id",
                    distinct=True,
                    filter=Q(tr__gte=i) & (Q(fr__gte=0, fr__lt=i) | Q(fr=-1, tr=i)),
                )
                for i in range(len(reports.FORWARD))
            }
        )
    )
    first_from = (
        LifecycleTransition.objects.filter(contact=OuterRef("pk"))
        .order_by("occurred_at", "pk")
        .values("from_stage")[:1]
    )
    created = (
        Contact.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(initial=Coalesce(Subquery(first_from), F("lifecycle_stage")))
        .annotate(ir=_rank("initial"), period=Trunc("created_at", interval, tzinfo=tz))
        .values("period")
        .annotate(
            **{f"s{i}": Count("pk", filter=Q(ir__gte=i)) for i in range(len(reports.FORWARD))}
        )
    )
    queries: tuple[Any, ...] = (moves, created)  # rows are plain dicts (typed loosely on purpose)
    for query in queries:
        for row in query:
            key = reports.bucket_start(row["period"], interval=interval, tz=tz)
            for i in range(len(reports.FORWARD)):
                counts[key][i] += row[f"s{i}"]
    return counts


def _journeys(start: datetime, end: datetime) -> list[reports.Journey]:
    """The lifecycle of every contact that moved or was created in [start, end)."""
    contacts = Contact.objects.filter(
        Q(
            pk__in=LifecycleTransition.objects.filter(
                occurred_at__gte=start, occurred_at__lt=end
            ).values("contact_id")
        )
        | Q(created_at__gte=start, created_at__lt=end)
    )
    moves: dict[int, list[reports.Move]] = defaultdict(list)
    for contact_id, from_stage, to_stage, at in (
        LifecycleTransition.objects.filter(contact__in=contacts)
        .order_by("occurred_at", "pk")
        .values_list("contact_id", "from_stage", "to_stage", "occurred_at")
        .iterator(chunk_size=5000)
    ):
        moves[contact_id].append(reports.Move(from_stage, to_stage, at))
    journeys = []
    for pk, created_at, stage in contacts.values_list(
        "pk", "created_at", "lifecycle_stage"
    ).iterator(chunk_size=5000):
        own = moves.get(pk, [])
        initial = own[0].from_stage if own else stage
        journeys.append(reports.journey(initial_stage=initial, created_at=created_at, moves=own))
    return journeys


def conversion_report(*, first: date, last: date, interval: str = "month") -> ConversionReport:
    """Lifecycle conversion for the days first..last (inclusive), by month or quarter."""
    tz = workspace_tz()
    start, end = days_bounds(first, last)
    counts = _stage_counts_by_period(start, end, interval, tz)
    periods = [
        PeriodRow(
            label=b.label,
            start=b.start,
            counts=list(counts.get(b.start, [0] * len(reports.FORWARD))),
        )
        for b in reports.period_buckets(interval=interval, first=first, last=last)
    ]
    totals = [sum(p.counts[i] for p in periods) for i in range(len(reports.FORWARD))]
    return ConversionReport(
        first=first,
        last=last,
        interval=interval,
        stages=[(s, str(LifecycleStage(s).label)) for s in reports.FORWARD],
        periods=periods,
        totals=totals,
        summary=reports.conversion_summary(_journeys(start, end), start=start, end=end),
    )


# --- Lead quality -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadQualityReport:
    first: date
    last: date
    group_by: str
    group_label: str
    rows: list[reports.QualityRow]
    total: reports.QualityRow
    reasons: list[tuple[str, str]]  # (value, label) of every reject reason, in order


def _handoffs_in(start: datetime, end: datetime) -> QuerySet[Handoff]:
    return Handoff.objects.filter(qualified_at__gte=start, qualified_at__lt=end)


def _labels(group_by: str, keys: set[Any]) -> dict[Hashable, str]:
    ids = [k for k in keys if k is not None]
    if group_by == "campaign":
        return dict(Campaign.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group_by == "content":
        return dict(ContentItem.objects.filter(pk__in=ids).values_list("pk", "title"))
    labels: dict[Hashable, str] = {}
    for key in ids:
        try:
            labels[key] = str(Channel(key).label)
        except ValueError:
            labels[key] = str(key)
    return labels


def lead_quality_report(
    *, first: date, last: date, group_by: str = "campaign"
) -> LeadQualityReport:
    """MQLs qualified on the days first..last, per campaign, channel or content item."""
    if group_by not in GROUPINGS:
        raise ValueError(f"Unknown grouping {group_by!r}.")
    start, end = days_bounds(first, last)
    handoffs = _handoffs_in(start, end)
    values = handoffs.annotate(
        won_at=Case(When(deal__status="won", then=F("deal__closed_at")))
    ).values_list(
        "pk",
        "contact_id",
        GROUPINGS[group_by],
        "status",
        "reject_reason",
        "qualified_at",
        "decided_at",
        "deal__created_at",
        "won_at",
    )
    facts = [
        reports.HandoffFact(
            handoff_id=row[0],
            contact_id=row[1],
            group=row[2] if row[2] != "" else None,
            status=row[3],
            reject_reason=row[4],
            qualified_at=row[5],
            decided_at=row[6],
            deal_created_at=row[7],
            deal_won_at=row[8],
        )
        for row in values
    ]
    contacts = handoffs.values("contact_id")
    qualified: dict[int, list[datetime]] = defaultdict(list)
    for contact_id, at in Handoff.objects.filter(contact_id__in=contacts).values_list(
        "contact_id", "qualified_at"
    ):
        qualified[contact_id].append(at)
    moves: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for contact_id, to_stage, at in LifecycleTransition.objects.filter(
        contact_id__in=contacts, to_stage__in=reports.OPPORTUNITY_STAGES
    ).values_list("contact_id", "to_stage", "occurred_at"):
        moves[contact_id].append((to_stage, at))
    outcomes = reports.handoff_outcomes(facts, qualified_times=qualified, transitions=moves)
    rows, total = reports.lead_quality(
        facts,
        outcomes=outcomes,
        labels=_labels(group_by, {f.group for f in facts}),
        none_label="No " + GROUP_LABELS[group_by].lower(),
    )
    return LeadQualityReport(
        first=first,
        last=last,
        group_by=group_by,
        group_label=GROUP_LABELS[group_by],
        rows=rows,
        total=total,
        reasons=[(str(v), str(label)) for v, label in RejectReason.choices],
    )


def recycled_leads(*, first: date, last: date, reason: str = "", page: Any = 1) -> Page:
    """Rejected hand-offs qualified on the days first..last, newest decision first, one page."""
    start, end = days_bounds(first, last)
    rejected = (
        _handoffs_in(start, end)
        .filter(status=HandoffStatus.REJECTED)
        .select_related("contact__company", "campaign", "content_item", "decided_by")
        .order_by(F("decided_at").desc(nulls_last=True), "-pk")
    )
    if reason:
        rejected = rejected.filter(reject_reason=reason)
    return Paginator(rejected, RECYCLED_PAGE_SIZE).get_page(page)
