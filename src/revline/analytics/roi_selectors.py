"""ROI per campaign or channel under a chosen attribution model: reads for the ROI page.

How each figure is counted (docs/roi.md says the same for marketers):
- spend: the campaigns' AdSpend rows dated in the period, in the workspace currency (rows in
  another currency are counted out and reported); per channel, the spend of its campaigns.
- leads / MQLs / SQLs: contacts who first reached that stage (or a later one) in the period,
  from their recorded lifecycle changes (a contact whose stage was set without a recorded change
  counts at its creation). Each contact counts once, for the campaign (or channel) of their first
  campaign touch (first touch with a channel): one rule for every stage, so a campaign's funnel
  is a funnel. We do not use leads.Handoff's campaign for MQLs: a hand-off records the campaign
  that tipped the score, which may differ from the one that brought the lead in, and the stages
  would then no longer nest.
- customers: contacts whose first won deal closed in the period, counted like the stages above,
  and only when the viewer may see that first won deal.
- attributed revenue: won deals (amount_base) closed in the period, credited by the model.
- attributed pipeline: open deals (amount_base) created in the period, credited by the model.
Deal figures follow the viewer's deal visibility (sales.visibility); marketing counts do not.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Subquery, Sum
from django.db.models.functions import TruncMonth

from revline.campaigns.models import AdSpend, Campaign
from revline.campaigns.selectors import stages_from
from revline.core import permissions
from revline.core.models import User
from revline.leads.models import LifecycleTransition
from revline.people.models import Contact, LifecycleStage
from revline.sales.models import Deal, DealStatus
from revline.sales.visibility import deals_visible_to
from revline.tracking.models import Touchpoint

from . import roi
from .journeys import (
    DIMENSIONS,
    PIPELINE,
    WON,
    attribution_report,
    day_bounds,
    key_labels,
    keyed_touches,
)

ROI_DIMENSIONS = ("campaign", "channel")
STAGES = (
    ("leads", LifecycleStage.LEAD),
    ("mqls", LifecycleStage.MQL),
    ("sqls", LifecycleStage.SQL),
)


@dataclass(frozen=True)
class RoiRow:
    key: str
    label: str
    figures: roi.Figures
    ratios: roi.Ratios
    channel: str = ""  # a campaign's channel label


@dataclass(frozen=True)
class MonthPoint:
    month: date
    spend: Decimal
    revenue: Decimal


@dataclass(frozen=True)
class RoiReport:
    dimension: str
    model: str
    start: date
    end: date
    term_months: int
    rows: list[RoiRow]
    total: RoiRow
    months: list[MonthPoint]
    currency: str
    spend_other_currency_rows: int = 0
    unattributed_revenue: Decimal = Decimal("0")
    team_only: bool = False
    notes: list[str] = field(default_factory=list)


def _cents(amount: Decimal | None) -> Decimal:
    return (amount or Decimal("0")).quantize(roi.CENT)


def _spend(
    dimension: str, start: date, end: date
) -> tuple[dict[str, Decimal], dict[date, Decimal], int]:
    """Spend per key and per month in the workspace currency, and the rows in other currencies."""
    rows = AdSpend.objects.filter(date__gte=start, date__lte=end)
    other = rows.exclude(currency=settings.CURRENCY).count()
    rows = rows.filter(currency=settings.CURRENCY).order_by()
    group = "campaign_id" if dimension == "campaign" else "campaign__channel"
    per_key = {
        str(key): total
        for key, total in rows.values_list(group)
        .annotate(total=Sum("spend"))
        .values_list(group, "total")
    }
    per_month = {
        (month.date() if isinstance(month, datetime) else month): total
        for month, total in rows.annotate(month=TruncMonth("date"))
        .values_list("month")
        .annotate(total=Sum("spend"))
        .values_list("month", "total")
    }
    return per_key, per_month, other


def _reached(stage: str) -> Subquery:
    return Subquery(
        LifecycleTransition.objects.filter(contact=OuterRef("pk"), to_stage__in=stages_from(stage))
        .order_by("occurred_at")
        .values("occurred_at")[:1]
    )


def stage_counts(
    *, dimension: str, start: date, end: date, viewer: User | None = None
) -> dict[str, dict[str, int]]:
    """key -> {"leads", "mqls", "sqls", "customers"}: see the module docstring. One query."""
    first = Touchpoint.objects.filter(
        keyed_touches("", dimension), contact=OuterRef("pk")
    ).order_by("occurred_at", "pk")
    first_won = Deal.objects.filter(
        contact=OuterRef("pk"), status=DealStatus.WON, closed_at__isnull=False
    ).order_by("closed_at", "pk")
    contacts = Contact.objects.annotate(
        first_key=Subquery(first.values(DIMENSIONS[dimension])[:1]),
        first_won_at=Subquery(first_won.values("closed_at")[:1]),
        first_won_id=Subquery(first_won.values("pk")[:1]),
        **{f"{name}_at": _reached(stage) for name, stage in STAGES},
    ).filter(first_key__isnull=False)
    fields = ["first_key", "lifecycle_stage", "created_at", "first_won_at"]
    fields += [f"{name}_at" for name, _ in STAGES]
    if viewer is not None and permissions.sees_only_team_deals(viewer):
        visible = deals_visible_to(viewer, Deal.objects.filter(pk=OuterRef("first_won_id")))
        contacts = contacts.annotate(first_won_visible=Exists(visible))
        fields.append("first_won_visible")
    low, high = day_bounds(start, end)
    assert low is not None and high is not None
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: {"leads": 0, "mqls": 0, "sqls": 0, "customers": 0}
    )
    for row in contacts.order_by().values(*fields).iterator(chunk_size=5000):
        key = str(row["first_key"])
        if key == "":
            continue
        for name, stage in STAGES:
            reached = row[f"{name}_at"]
            if reached is None and row["lifecycle_stage"] in stages_from(stage):
                reached = row["created_at"]
            if reached is not None and low <= reached <= high:
                counts[key][name] += 1
        won_at = row["first_won_at"]
        if won_at is not None and low <= won_at <= high and row.get("first_won_visible", True):
            counts[key]["customers"] += 1
    return dict(counts)


def _campaign_channels(keys: set[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    return {
        str(c.pk): c.get_channel_display()
        for c in Campaign.objects.filter(pk__in=ids).only("channel")
    }


def roi_report(
    *,
    dimension: str,
    model: str,
    start: date,
    end: date,
    viewer: User | None = None,
    term_months: int = 12,
    markov_order: int = 1,
    half_life_days: float = 7.0,
) -> RoiReport:
    """Spend, stage counts, attributed pipeline and revenue and their ratios per key of
    `dimension` ("campaign" or "channel") in [start, end]; deal figures as `viewer` may see them.

    Rows: every key with spend, a count or a credit, sorted by attributed revenue (largest first).
    """
    if dimension not in ROI_DIMENSIONS:
        raise ValueError(f"Unknown dimension {dimension!r}.")
    common: dict[str, Any] = {
        "dimension": dimension,
        "models": [model],
        "start": start,
        "end": end,
        "viewer": viewer,
        "markov_order": markov_order,
        "half_life_days": half_life_days,
    }
    revenue = attribution_report(outcome=WON, **common)
    pipeline = attribution_report(outcome=PIPELINE, **common)
    spend, spend_by_month, other_rows = _spend(dimension, start, end)
    counts = stage_counts(dimension=dimension, start=start, end=end, viewer=viewer)
    revenue_by_key = {r.key: r.value[model] for r in revenue.rows}
    pipeline_by_key = {r.key: r.value[model] for r in pipeline.rows}
    keys = set(spend) | set(counts) | set(revenue_by_key) | set(pipeline_by_key)
    labels = key_labels(dimension, keys)
    channels = _campaign_channels(keys) if dimension == "campaign" else {}
    zero = {"leads": 0, "mqls": 0, "sqls": 0, "customers": 0}
    rows = []
    for key in keys:
        figures = roi.Figures(
            spend=_cents(spend.get(key)),
            pipeline=_cents(pipeline_by_key.get(key)),
            revenue=_cents(revenue_by_key.get(key)),
            **counts.get(key, zero),
        )
        rows.append(
            RoiRow(
                key=key,
                label=labels[key],
                figures=figures,
                ratios=roi.ratios(figures, term_months=term_months),
                channel=channels.get(key, ""),
            )
        )
    rows.sort(key=lambda r: (-r.figures.revenue, -r.figures.spend, r.label.lower(), r.key))
    total_figures = roi.Figures(
        spend=sum((r.figures.spend for r in rows), Decimal("0")),
        leads=sum(r.figures.leads for r in rows),
        mqls=sum(r.figures.mqls for r in rows),
        sqls=sum(r.figures.sqls for r in rows),
        customers=sum(r.figures.customers for r in rows),
        pipeline=sum((r.figures.pipeline for r in rows), Decimal("0")),
        revenue=sum((r.figures.revenue for r in rows), Decimal("0")),
    )
    revenue_by_month = revenue.journeys.attributed_value_by_month
    months = [
        MonthPoint(
            month=month,
            spend=_cents(spend_by_month.get(month)),
            revenue=_cents(revenue_by_month.get(month)),
        )
        for month in _months(start, end)
    ]
    return RoiReport(
        dimension=dimension,
        model=model,
        start=start,
        end=end,
        term_months=term_months,
        rows=rows,
        total=RoiRow(
            key="",
            label="Total",
            figures=total_figures,
            ratios=roi.ratios(total_figures, term_months=term_months),
        ),
        months=months,
        currency=settings.CURRENCY,
        spend_other_currency_rows=other_rows,
        unattributed_revenue=_cents(revenue.journeys.unattributed_value),
        team_only=revenue.team_only,
        notes=revenue.notes + pipeline.notes,
    )


def _months(start: date, end: date) -> list[date]:
    """The first day of every month from start's to end's."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months
