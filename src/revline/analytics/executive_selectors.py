"""Reads of the executive dashboard: one date range, the numbers a leadership team looks at.

- Revenue: deals won in the range (their amount in the workspace currency, `amount_base`).
- Open pipeline: open deals expected to close in the range (no close date: left out, counted).
- Target: the quotas of the people whose deals the viewer sees (executive.quota_target).
- Funnel: contacts who first reached each lifecycle stage in the range (leads reports).
- CAC: ad spend in the range (workspace currency) ÷ contacts who first became customers in it.
- Top campaigns: won revenue by campaign under the first/last/linear models (attribution report).
- Win rate: won ÷ (won + lost) by close date, per month.
- Touches: marketing touches per channel and month, read from the daily pre-aggregate.

Deal figures (revenue, pipeline, target, top campaigns, win rate) are those the viewer may see
(`deals_visible_to`); the funnel, spend and touches are the company's for everyone, as on the
marketing dashboard.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from revline.campaigns.models import AdSpend, Channel
from revline.core import permissions
from revline.core.dates import days_bounds
from revline.core.models import User
from revline.leads import report_selectors
from revline.people.models import LIFECYCLE_ORDER, LifecycleStage
from revline.sales.forecast_selectors import quota_owner_filter
from revline.sales.models import Deal, DealStatus, Quota
from revline.sales.visibility import deals_visible_to

from . import aggregates, executive
from .executive import DateRange, FunnelStep, QuotaFact, WinRateMonth
from .selectors import CampaignRow, campaign_attribution

TOP_CAMPAIGNS = 10
# The funnel from the first sign of interest to the sale (subscribers and evangelists aside).
FUNNEL_STAGES = [
    str(stage)
    for stage in LIFECYCLE_ORDER[
        LIFECYCLE_ORDER.index(LifecycleStage.LEAD) : LIFECYCLE_ORDER.index(LifecycleStage.CUSTOMER)
        + 1
    ]
]
NO_CHANNEL = ""


@dataclass(frozen=True)
class TouchMonth:
    month: date
    by_channel: dict[str, int]
    total: int
    identified: int


@dataclass
class ExecutiveDashboard:
    period: DateRange
    currency: str
    team_only: bool
    won_revenue: Decimal = Decimal("0")
    won_deals: int = 0
    open_pipeline: Decimal = Decimal("0")
    open_deals: int = 0
    open_without_close_date: int = 0
    target: Decimal | None = None
    funnel: list[FunnelStep] = field(default_factory=list)
    moved_on: dict[str, Decimal | None] = field(default_factory=dict)  # stage -> percent
    spend: Decimal = Decimal("0")
    spend_other_currency: int = 0
    new_customers: int = 0
    top_campaigns: list[CampaignRow] = field(default_factory=list)
    win_rate_trend: list[WinRateMonth] = field(default_factory=list)
    won_in_range: int = 0
    lost_in_range: int = 0
    touch_channels: list[tuple[str, str]] = field(default_factory=list)  # (key, label)
    touch_months: list[TouchMonth] = field(default_factory=list)
    touches_as_of: datetime | None = None
    touches_pending: int = 0

    @property
    def attainment(self) -> Decimal | None:
        return executive.percent(self.won_revenue, self.target) if self.target else None

    @property
    def coverage(self) -> Decimal | None:
        """Won plus open pipeline against the target: can the period still make it?"""
        if not self.target:
            return None
        return executive.percent(self.won_revenue + self.open_pipeline, self.target)

    @property
    def gap(self) -> Decimal | None:
        if self.target is None:
            return None
        return max(self.target - self.won_revenue, Decimal("0"))

    @property
    def cac(self) -> Decimal | None:
        return executive.cac(self.spend, self.new_customers)

    @property
    def win_rate(self) -> Decimal | None:
        return executive.percent(self.won_in_range, self.won_in_range + self.lost_in_range)

    @property
    def funnel_total(self) -> int:
        return sum(step.count for step in self.funnel)

    @property
    def touches_total(self) -> int:
        return sum(m.total for m in self.touch_months)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the workspace time zone."""
    return days_bounds(start, end)


def _money(total: Decimal | None) -> Decimal:
    """A database sum as cents (SQLite's sums drop trailing zeros)."""
    return (total or Decimal("0")).quantize(executive.CENT)


def _deal_figures(report: ExecutiveDashboard, deals: QuerySet[Deal]) -> None:
    start, end = _bounds(report.period.start, report.period.end)
    won = deals.filter(status=DealStatus.WON, closed_at__gte=start, closed_at__lt=end).aggregate(
        total=Sum("amount_base"), count=Count("pk")
    )
    report.won_revenue = _money(won["total"])
    report.won_deals = won["count"]
    open_deals = deals.filter(status=DealStatus.OPEN)
    pipeline = open_deals.filter(
        expected_close_date__gte=report.period.start, expected_close_date__lte=report.period.end
    ).aggregate(total=Sum("amount_base"), count=Count("pk"))
    report.open_pipeline = _money(pipeline["total"])
    report.open_deals = pipeline["count"]
    report.open_without_close_date = open_deals.filter(expected_close_date__isnull=True).count()


def _target(viewer: User | None, period: DateRange) -> Decimal | None:
    quotas = Quota.objects.filter(
        period_start__lte=period.end,
        period_start__gte=executive.add_months(period.start, -2),
    )
    if viewer is not None:
        quotas = quotas.filter(quota_owner_filter(viewer))
    facts = [
        QuotaFact(user_id=user_id, kind=kind, start=start, amount=amount)
        for user_id, kind, start, amount in quotas.values_list(
            "user_id", "period", "period_start", "amount"
        )
    ]
    return executive.quota_target(facts, period.start, period.end)


def _win_rates(report: ExecutiveDashboard, deals: QuerySet[Deal]) -> None:
    months = executive.trend_months(report.period)
    start, _ = _bounds(months[0], report.period.end)
    _, end = _bounds(report.period.start, report.period.end)
    closed = [
        (timezone.localtime(closed_at).date(), status == DealStatus.WON)
        for closed_at, status in deals.filter(
            status__in=(DealStatus.WON, DealStatus.LOST), closed_at__gte=start, closed_at__lt=end
        ).values_list("closed_at", "status")
    ]
    report.win_rate_trend = executive.win_rate_by_month(closed, months)
    in_range = [won for day, won in closed if report.period.start <= day <= report.period.end]
    report.won_in_range = sum(1 for won in in_range if won)
    report.lost_in_range = len(in_range) - report.won_in_range


def _funnel(report: ExecutiveDashboard) -> None:
    conversion = report_selectors.conversion_report(
        first=report.period.start, last=report.period.end, interval="month"
    )
    labels = dict(conversion.stages)
    rows = [row for row in conversion.summary if row.stage in FUNNEL_STAGES]
    report.funnel = executive.funnel_steps(
        [(row.stage, labels[row.stage], row.reached) for row in rows]
    )
    # "Moved on" of the last step would be to a stage the funnel does not show.
    report.moved_on = {
        row.stage: executive.percent(row.converted, row.reached) if row is not rows[-1] else None
        for row in rows
    }
    report.new_customers = next(
        (row.reached for row in conversion.summary if row.stage == LifecycleStage.CUSTOMER), 0
    )


def _spend(report: ExecutiveDashboard) -> None:
    spend = AdSpend.objects.filter(date__gte=report.period.start, date__lte=report.period.end)
    report.spend = _money(spend.filter(currency=settings.CURRENCY).aggregate(t=Sum("spend"))["t"])
    report.spend_other_currency = spend.filter(~Q(currency=settings.CURRENCY)).count()


def channel_label(key: str) -> str:
    if key in Channel.values:
        return str(Channel(key).label)
    return "No channel" if key == NO_CHANNEL else key


def _touches(report: ExecutiveDashboard) -> None:
    """Touches per channel and month, from the pre-aggregate (kept current by the scheduled
    fold; the page never writes)."""
    state = aggregates.touch_stats_state()
    report.touches_as_of = state.updated_at
    report.touches_pending = state.pending
    per_month: dict[date, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    totals: dict[str, int] = defaultdict(int)
    for row in aggregates.touch_counts(
        start=report.period.start, end=report.period.end, by=("day", "channel")
    ):
        day: date = row["day"]  # type: ignore[assignment]
        channel = str(row["channel"] or NO_CHANNEL)
        cell = per_month[date(day.year, day.month, 1)][channel]
        cell[0] += int(row["touches"])  # type: ignore[call-overload]
        cell[1] += int(row["identified"])  # type: ignore[call-overload]
        totals[channel] += int(row["touches"])  # type: ignore[call-overload]
    channels = sorted(totals, key=lambda key: (-totals[key], channel_label(key)))
    report.touch_channels = [(key, channel_label(key)) for key in channels]
    report.touch_months = [
        TouchMonth(
            month=month,
            by_channel={key: per_month[month][key][0] for key in channels},
            total=sum(cell[0] for cell in per_month[month].values()),
            identified=sum(cell[1] for cell in per_month[month].values()),
        )
        for month in executive.month_starts(report.period.start, report.period.end)
    ]


def executive_dashboard(*, viewer: User | None, period: DateRange) -> ExecutiveDashboard:
    """The dashboard for `period` as `viewer` may see it (no viewer: the whole company)."""
    report = ExecutiveDashboard(
        period=period,
        currency=settings.CURRENCY,
        team_only=viewer is not None and permissions.sees_only_team_deals(viewer),
    )
    deals = Deal.objects.all()
    if viewer is not None:
        deals = deals_visible_to(viewer, deals)
    _deal_figures(report, deals)
    report.target = _target(viewer, period)
    _funnel(report)
    _spend(report)
    attribution = campaign_attribution(
        viewer=viewer, closed_from=period.start, closed_to=period.end
    )
    report.top_campaigns = attribution.rows[:TOP_CAMPAIGNS]
    _win_rates(report, deals)
    _touches(report)
    return report
