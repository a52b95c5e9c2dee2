"""The marketing dashboard's numbers, for one period.

- Spend vs budget: each campaign's budget, its spend in the period and to date (in its currency).
- Leads by channel: a contact counts once per channel, in the week or month of their first form
  submission of the period; the channel is the submission's campaign's (or "No campaign").
- MQLs by channel: a contact counts in the week or month when they first reached MQL or a later
  stage (a recorded lifecycle change), if that is in the period; the channel is that of the last
  campaign they touched before it.
- Top campaigns: pipeline is open and won deals created in the period whose contact touched the
  campaign by the deal's creation; won revenue is deals won in the period whose contact touched it
  by the close. A deal counts in full for each campaign its contact touched. Base currency only.
- Top content: page views and leads (contacts with a form submission) on touchpoints that carry
  the content item, in the period.
- Recent coverage: PR coverage published in the period, when the PR app is installed.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from revline.campaigns.metrics import cost_per, share
from revline.campaigns.models import AdSpend, Campaign, Channel
from revline.content.models import ContentItem
from revline.core import permissions
from revline.core.dates import days_bounds
from revline.core.models import User
from revline.leads.models import LifecycleTransition
from revline.people.models import LIFECYCLE_ORDER, LifecycleStage
from revline.sales.models import Deal, DealStatus
from revline.sales.visibility import deals_visible_to
from revline.tracking.models import Touchpoint, TouchpointKind

WEEK = "week"
MONTH = "month"
NO_CAMPAIGN = "none"
TOP = 10
SPEND_ROWS = 50
MQL_STAGES = [str(s) for s in LIFECYCLE_ORDER[LIFECYCLE_ORDER.index(LifecycleStage.MQL) :]]


def channel_label(key: str) -> str:
    if key in Channel.values:
        return str(Channel(key).label)
    return "No campaign" if key == NO_CAMPAIGN else key


# ---------------------------------------------------------------- periods (pure)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    bucket: str = WEEK

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def auto_bucket(start: date, end: date) -> str:
    """Weeks up to about four months, months beyond: a chart of 5 to 20 points either way."""
    return WEEK if (end - start).days < 120 else MONTH


def default_period(today: date) -> Period:
    start = today - timedelta(days=89)
    return Period(start=start, end=today, bucket=auto_bucket(start, today))


def bucket_of(day: date, bucket: str) -> date:
    if bucket == MONTH:
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


def bucket_starts(period: Period) -> list[date]:
    """The first day of every week (Monday) or month touching the period, in order."""
    starts = []
    current = bucket_of(period.start, period.bucket)
    while current <= period.end:
        starts.append(current)
        if period.bucket == MONTH:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            current += timedelta(days=7)
    return starts


def bucket_label(start: date, bucket: str) -> str:
    return start.strftime("%b %Y") if bucket == MONTH else f"{start:%b} {start.day}"


@dataclass(frozen=True)
class Series:
    """Counts per bucket for each channel; `channels` holds (key, label, counts, total)."""

    labels: list[str]
    channels: list[tuple[str, str, list[int], int]]
    totals: list[int]

    @property
    def total(self) -> int:
        return sum(self.totals)

    @property
    def rows(self) -> list[tuple[str, list[int], int]]:
        """Per bucket: label, count per channel (in `channels` order), total."""
        return [
            (label, [counts[i] for _, _, counts, _ in self.channels], self.totals[i])
            for i, label in enumerate(self.labels)
        ]


def series(events: Iterable[tuple[date, str]], period: Period) -> Series:
    """Count (day, channel) events per bucket and channel; channels ordered by total, largest first."""
    starts = bucket_starts(period)
    index = {start: i for i, start in enumerate(starts)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(starts))
    for day, channel in events:
        position = index.get(bucket_of(day, period.bucket))
        if position is not None:
            counts[channel][position] += 1
    channels = sorted(
        ((key, channel_label(key), values, sum(values)) for key, values in counts.items()),
        key=lambda item: (-item[3], item[1]),
    )
    totals = [sum(values[i] for _, _, values, _ in channels) for i in range(len(starts))]
    return Series(
        labels=[bucket_label(start, period.bucket) for start in starts],
        channels=channels,
        totals=totals,
    )


def first_per_key(events: Iterable[tuple[Any, datetime, str]]) -> list[tuple[datetime, str]]:
    """The earliest (moment, channel) of each key; events need not be sorted."""
    first: dict[Any, tuple[datetime, str]] = {}
    for key, at, channel in events:
        if key not in first or at < first[key][0]:
            first[key] = (at, channel)
    return list(first.values())


def credit_campaigns(
    deals: Sequence[tuple[int, Decimal, datetime]],
    touches: dict[int, list[tuple[datetime, int]]],
) -> dict[int, tuple[Decimal, int]]:
    """(amount, deals) per campaign: each deal (contact, amount, moment) credits in full every
    campaign its contact touched at or before the moment."""
    credit: dict[int, tuple[Decimal, int]] = {}
    for contact_id, amount, moment in deals:
        campaigns = {campaign for at, campaign in touches.get(contact_id, []) if at <= moment}
        for campaign_id in campaigns:
            total, count = credit.get(campaign_id, (Decimal("0"), 0))
            credit[campaign_id] = (total + amount, count + 1)
    return credit


def last_channel_before(
    moment: datetime, touches: Sequence[tuple[datetime, str]], default: str = NO_CAMPAIGN
) -> str:
    """The channel of the latest touch at or before `moment` (touches sorted by time)."""
    channel = default
    for at, touch_channel in touches:
        if at > moment:
            break
        channel = touch_channel
    return channel


# ---------------------------------------------------------------- reads


@dataclass(frozen=True)
class SpendRow:
    campaign: Campaign
    spend_period: Decimal
    spend_to_date: Decimal
    used: Decimal | None  # percent of budget spent to date


@dataclass(frozen=True)
class SpendTotal:
    currency: str
    budget: Decimal
    spend_period: Decimal
    spend_to_date: Decimal


@dataclass(frozen=True)
class RankRow:
    campaign: Campaign
    amount: Decimal
    deals: int


@dataclass(frozen=True)
class ContentRow:
    item: ContentItem
    views: int
    leads: int


@dataclass(frozen=True)
class CoverageRow:
    title: str
    outlet: str
    url: str
    published_on: date | None
    reach: int | None
    sentiment: str


@dataclass
class MarketingDashboard:
    period: Period
    currency: str
    spend: Decimal = Decimal("0")
    leads: int = 0
    mqls: int = 0
    pipeline: Decimal = Decimal("0")
    won_revenue: Decimal = Decimal("0")
    spend_rows: list[SpendRow] = field(default_factory=list)
    spend_totals: list[SpendTotal] = field(default_factory=list)
    leads_by_channel: Series | None = None
    mqls_by_channel: Series | None = None
    top_pipeline: list[RankRow] = field(default_factory=list)
    top_revenue: list[RankRow] = field(default_factory=list)
    top_content: list[ContentRow] = field(default_factory=list)
    coverage_available: bool = False
    coverage: list[CoverageRow] = field(default_factory=list)
    # Pipeline and revenue count only the viewer's team's deals (a sales role under team
    # visibility); spend, leads, MQLs and content are the company's for everyone.
    team_only: bool = False

    @property
    def cost_per_lead(self) -> Decimal | None:
        return cost_per(self.spend, self.leads)


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """[start, end) as aware datetimes in the current time zone."""
    return days_bounds(period.start, period.end)


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def spend_vs_budget(period: Period) -> tuple[list[SpendRow], list[SpendTotal]]:
    """Campaigns running in the period (with a budget) or with spend in it, largest spend in the
    period first, and totals per currency. Spend in another currency than the campaign's is left
    out (the spend rules refuse it; older data may have it)."""
    in_period = Q(spend__date__gte=period.start, spend__date__lte=period.end)
    same_currency = Q(spend__currency=F("currency"))
    running = (
        (Q(start_date__isnull=True) | Q(start_date__lte=period.end))
        & (Q(end_date__isnull=True) | Q(end_date__gte=period.start))
        & Q(budget__gt=0)
    )
    with_spend = AdSpend.objects.filter(date__gte=period.start, date__lte=period.end).values(
        "campaign"
    )
    campaigns = (
        Campaign.objects.filter(running | Q(pk__in=with_spend))
        .annotate(
            spend_period=Coalesce(
                Sum("spend__spend", filter=in_period & same_currency), Decimal("0")
            ),
            spend_to_date=Coalesce(Sum("spend__spend", filter=same_currency), Decimal("0")),
        )
        .order_by("-spend_period", "-budget", "name")
    )
    rows: list[SpendRow] = []
    totals: dict[str, SpendTotal] = {}
    for campaign in campaigns:
        spend_period: Decimal = campaign.spend_period
        spend_to_date: Decimal = campaign.spend_to_date
        before = totals.get(campaign.currency) or SpendTotal(
            currency=campaign.currency,
            budget=Decimal("0"),
            spend_period=Decimal("0"),
            spend_to_date=Decimal("0"),
        )
        totals[campaign.currency] = SpendTotal(
            currency=campaign.currency,
            budget=before.budget + campaign.budget,
            spend_period=before.spend_period + spend_period,
            spend_to_date=before.spend_to_date + spend_to_date,
        )
        rows.append(
            SpendRow(
                campaign=campaign,
                spend_period=spend_period,
                spend_to_date=spend_to_date,
                used=share(spend_to_date, campaign.budget),
            )
        )
    return rows, [totals[currency] for currency in sorted(totals)]


def leads_by_channel(period: Period) -> tuple[int, Series]:
    """Distinct contacts with a form submission in the period, and the series by channel."""
    start, end = _bounds(period)
    submissions = Touchpoint.objects.filter(
        kind=TouchpointKind.FORM_SUBMISSION,
        contact__isnull=False,
        occurred_at__gte=start,
        occurred_at__lt=end,
    ).values_list("contact_id", "occurred_at", "campaign__channel")
    contacts: set[int] = set()
    events = []
    for contact_id, at, channel in submissions.iterator(chunk_size=5000):
        contacts.add(contact_id)
        events.append(((contact_id, channel or NO_CAMPAIGN), at, channel or NO_CAMPAIGN))
    firsts = first_per_key(events)
    return len(contacts), series(((_local_day(at), channel) for at, channel in firsts), period)


def mqls_by_channel(period: Period) -> tuple[int, Series]:
    """Contacts who first reached MQL or later in the period, by their last campaign's channel."""
    start, end = _bounds(period)
    firsts = dict(
        LifecycleTransition.objects.filter(to_stage__in=MQL_STAGES)
        .values("contact_id")
        .annotate(first=Min("occurred_at"))
        .filter(first__gte=start, first__lt=end)
        .values_list("contact_id", "first")
    )
    touches: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    if firsts:
        for contact_id, at, channel in (
            Touchpoint.objects.filter(
                contact_id__in=list(firsts), campaign__isnull=False, occurred_at__lt=end
            )
            .order_by("occurred_at", "pk")
            .values_list("contact_id", "occurred_at", "campaign__channel")
            .iterator(chunk_size=5000)
        ):
            touches[contact_id].append((at, channel))
    events = [
        (_local_day(moment), last_channel_before(moment, touches.get(contact_id, [])))
        for contact_id, moment in firsts.items()
    ]
    return len(firsts), series(events, period)


def _campaign_touches(contact_ids: Iterable[int]) -> dict[int, list[tuple[datetime, int]]]:
    touches: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    ids = list(set(contact_ids))
    if ids:
        for contact_id, at, campaign_id in (
            Touchpoint.objects.filter(contact_id__in=ids, campaign__isnull=False)
            .values_list("contact_id", "occurred_at", "campaign_id")
            .iterator(chunk_size=5000)
        ):
            touches[contact_id].append((at, campaign_id))
    return touches


def _ranked(credit: dict[int, tuple[Decimal, int]]) -> list[RankRow]:
    campaigns = Campaign.objects.in_bulk(list(credit))
    rows = [
        RankRow(campaign=campaigns[pk], amount=amount, deals=deals)
        for pk, (amount, deals) in credit.items()
        if pk in campaigns
    ]
    rows.sort(key=lambda row: (-row.amount, row.campaign.name.casefold()))
    return rows[:TOP]


def top_campaigns(
    period: Period, *, viewer: User | None = None
) -> tuple[Decimal, list[RankRow], Decimal, list[RankRow]]:
    """Marketing pipeline and won revenue of the period (deals whose contact touched any campaign
    first) and the top campaigns by each, over the deals `viewer` may see (all without one)."""
    start, end = _bounds(period)
    base = Deal.objects.filter(currency=settings.CURRENCY, contact__isnull=False)
    if viewer is not None:
        base = deals_visible_to(viewer, base)
    created: list[tuple[int, Decimal, datetime]] = list(
        base.filter(
            status__in=(DealStatus.OPEN, DealStatus.WON), created_at__gte=start, created_at__lt=end
        ).values_list("contact_id", "amount", "created_at")
    )
    won: list[tuple[int, Decimal, datetime]] = list(
        base.filter(status=DealStatus.WON, closed_at__gte=start, closed_at__lt=end).values_list(
            "contact_id", "amount", "closed_at"
        )  # type: ignore[arg-type]
    )
    touches = _campaign_touches(contact for contact, _, _ in created + won)

    def touched(contact_id: int, moment: datetime) -> bool:
        return any(at <= moment for at, _ in touches.get(contact_id, []))

    pipeline = sum((amount for c, amount, at in created if touched(c, at)), Decimal("0"))
    revenue = sum((amount for c, amount, at in won if touched(c, at)), Decimal("0"))
    return (
        pipeline,
        _ranked(credit_campaigns(created, touches)),
        revenue,
        _ranked(credit_campaigns(won, touches)),
    )


def top_content(period: Period) -> list[ContentRow]:
    start, end = _bounds(period)
    window = Q(touchpoints__occurred_at__gte=start, touchpoints__occurred_at__lt=end)
    items = (
        ContentItem.objects.annotate(
            views=Count(
                "touchpoints", filter=window & Q(touchpoints__kind=TouchpointKind.PAGE_VIEW)
            ),
            leads=Count(
                "touchpoints__contact",
                distinct=True,
                filter=window & Q(touchpoints__kind=TouchpointKind.FORM_SUBMISSION),
            ),
        )
        .filter(Q(views__gt=0) | Q(leads__gt=0))
        .order_by("-views", "-leads", "title")[:TOP]
    )
    return [ContentRow(item=item, views=item.views, leads=item.leads) for item in items]


def _field(model: Any, *names: str) -> str | None:
    for name in names:
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        return name
    return None


def _safe_url(url: str) -> str:
    """Only http(s) addresses become links."""
    return url if url.lower().startswith(("http://", "https://")) else ""


def recent_coverage(period: Period) -> tuple[bool, list[CoverageRow]]:
    """(whether the PR app records coverage, its latest pieces published in the period)."""
    try:
        model = apps.get_model("pr", "Coverage")
    except LookupError:
        return False, []
    day_field = _field(model, "published_on", "published_at", "date")
    if day_field is None:
        return False, []
    pieces = model.objects.filter(
        **{f"{day_field}__gte": period.start, f"{day_field}__lte": period.end}
    ).order_by(f"-{day_field}", "-pk")[:TOP]
    try:
        with transaction.atomic():
            found = list(pieces)
    except DatabaseError:  # the PR app's tables are not migrated yet
        return False, []
    rows = []
    for piece in found:
        day = getattr(piece, day_field, None)
        sentiment = getattr(piece, "get_sentiment_display", None)
        rows.append(
            CoverageRow(
                title=str(getattr(piece, "title", "") or piece),
                outlet=str(getattr(piece, "outlet", "") or ""),
                url=_safe_url(str(getattr(piece, "url", "") or "")),
                published_on=day.date() if isinstance(day, datetime) else day,
                reach=getattr(piece, "reach", None),
                sentiment=str(sentiment()) if callable(sentiment) else "",
            )
        )
    return True, rows


def marketing_dashboard(period: Period, *, viewer: User | None = None) -> MarketingDashboard:
    """The dashboard as `viewer` may see it: deal figures narrowed like every deal read."""
    dashboard = MarketingDashboard(
        period=period,
        currency=settings.CURRENCY,
        team_only=viewer is not None and permissions.sees_only_team_deals(viewer),
    )
    dashboard.spend_rows, dashboard.spend_totals = spend_vs_budget(period)
    base_total = next((t for t in dashboard.spend_totals if t.currency == settings.CURRENCY), None)
    dashboard.spend = base_total.spend_period if base_total else Decimal("0")
    dashboard.leads, dashboard.leads_by_channel = leads_by_channel(period)
    dashboard.mqls, dashboard.mqls_by_channel = mqls_by_channel(period)
    (
        dashboard.pipeline,
        dashboard.top_pipeline,
        dashboard.won_revenue,
        dashboard.top_revenue,
    ) = top_campaigns(period, viewer=viewer)
    dashboard.top_content = top_content(period)
    dashboard.coverage_available, dashboard.coverage = recent_coverage(period)
    return dashboard
