"""Content library reads: performance figures, the calendar, and matching a page URL to an item.

Performance of an item, the same on the list and the detail page:
- views: page-view touchpoints on the item; CTA clicks: CTA-click touchpoints on it;
- leads: distinct contacts who submitted a form at or after touching the item;
- revenue: won deals in the base currency whose contact touched the item at or before the close
  (the rule campaigns and attribution use), each deal counted once; only deals the reader may
  see (the deal setting, core.visibility), as every deal figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from revline.campaigns.models import Campaign
from revline.core.audience import whole_audience
from revline.core.models import User
from revline.core.visibility import contact_q, visible_deals
from revline.sales.models import Deal, DealStatus
from revline.tracking.models import Touchpoint, TouchpointKind

from . import calendar
from .models import ContentItem, ContentStatus

MONEY = DecimalField(max_digits=16, decimal_places=2)
RECENT_TOUCHES = 20
CREDITED_DEALS = 10
UNSCHEDULED_SHOWN = 30
DEFAULT_PORTS = {"http": 80, "https": 443}


def content_url_key(url: str) -> str | None:
    """The part of a web address that names a page: host (lower-case) and path, no trailing slash.

    Scheme case and http/https, default ports, a query string and a fragment do not matter, so
    `HTTPS://Example.com/blog/post/?utm_source=x#top` and `http://example.com/blog/post` are the
    same page. None when `url` is not an http(s) address.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.rstrip(".")
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return f"{host}{parts.path.rstrip('/')}"


def content_item_for_url(url: str, *, exclude_pk: int | None = None) -> ContentItem | None:
    """The library item whose URL names the same page as `url` (see content_url_key), if any.

    Meant for the tracking endpoint: one query narrowed to items whose URL contains the host and
    path, then an exact comparison of the normalised keys. When several items name the same page
    (the library refuses that on save, but older rows may) the oldest wins.
    """
    key = content_url_key(url)
    if key is None:
        return None
    parts = urlsplit(url.strip())
    candidates = ContentItem.objects.filter(url__icontains=parts.hostname or "")
    if path := parts.path.rstrip("/"):
        candidates = candidates.filter(url__icontains=path)
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    for item in candidates.order_by("pk").iterator(chunk_size=100):
        if content_url_key(item.url) == key:
            return item
    return None


def _deals(viewer: User | None) -> QuerySet[Deal]:
    """The deals `viewer` may see (None: all, for jobs)."""
    deals = Deal.objects.all()
    return visible_deals(deals, viewer) if viewer is not None else deals


def _won_deals_touching(item: ContentItem | OuterRef, deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """Won `deals` (any currency) whose contact touched `item` at or before the close."""
    touched = Touchpoint.objects.filter(
        content_item=item, contact=OuterRef("contact"), occurred_at__lte=OuterRef("closed_at")
    )
    return deals.filter(
        status=DealStatus.WON, closed_at__isnull=False, contact__isnull=False
    ).filter(Exists(touched))


def _touch_count(kind: str) -> Subquery:
    counted = (
        Touchpoint.objects.filter(content_item=OuterRef("pk"), kind=kind)
        .order_by()
        .values("content_item")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(counted, output_field=IntegerField())


def content_items_with_performance(
    *, audience: bool = True, viewer: User | None = None
) -> QuerySet[ContentItem]:
    """Every item with `views`, `cta_clicks`, `leads`, `revenue` (base currency), in one query.

    Also `campaign_key`, the campaign id as text, so a junk `?campaign=` filter matches nothing.
    Without `audience` (a reader who does not see every contact, core.audience) `leads` is None.
    `revenue` counts the deals `viewer` may see (None: all).
    """
    later_submission = Touchpoint.objects.filter(
        kind=TouchpointKind.FORM_SUBMISSION,
        contact=OuterRef("contact"),
        occurred_at__gte=OuterRef("occurred_at"),
    )
    leads = (
        Touchpoint.objects.filter(content_item=OuterRef("pk"), contact__isnull=False)
        .filter(Exists(later_submission))
        .order_by()
        .values("content_item")
        .annotate(n=Count("contact", distinct=True))
        .values("n")
    )
    revenue = (
        _won_deals_touching(OuterRef(OuterRef("pk")), _deals(viewer))
        .filter(currency=settings.CURRENCY)
        .order_by()
        .values("status")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return ContentItem.objects.select_related("owner", "campaign").annotate(
        views=Coalesce(_touch_count(TouchpointKind.PAGE_VIEW), Value(0)),
        cta_clicks=Coalesce(_touch_count(TouchpointKind.CTA_CLICK), Value(0)),
        leads=(
            Coalesce(Subquery(leads, output_field=IntegerField()), Value(0))
            if audience
            else Value(None, output_field=IntegerField())
        ),
        revenue=Coalesce(
            Subquery(revenue, output_field=MONEY), Value(Decimal("0")), output_field=MONEY
        ),
        campaign_key=Cast("campaign_id", CharField()),
    )


def content_owners() -> QuerySet[User]:
    return User.objects.filter(pk__in=ContentItem.objects.values("owner")).order_by(
        "first_name", "last_name", "username"
    )


def content_campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.filter(content_items__isnull=False).distinct().order_by("name")


@dataclass(frozen=True)
class ContentPerformance:
    views: int
    # None for a reader who does not see every contact (core.audience), as is leads.
    unique_visitors: int | None
    cta_clicks: int
    leads: int | None
    revenue: Decimal
    currency: str
    credited_deals: list[Deal]
    won_deals: int
    won_other_currency: int
    recent_touches: list[Touchpoint]


def content_item_performance(
    item: ContentItem, *, viewer: User | None = None
) -> ContentPerformance:
    """The item's figures; leads and unique visitors only for a viewer who sees every contact
    (None: jobs), revenue and won deals of the deals the viewer may see, and the recent touches
    of contacts the viewer may see."""
    audience = whole_audience(viewer)
    figures: Any = content_items_with_performance(audience=audience, viewer=viewer).get(pk=item.pk)
    visitors = None
    if audience:
        visitors = Touchpoint.objects.filter(
            content_item=item, kind=TouchpointKind.PAGE_VIEW, visitor__isnull=False
        ).aggregate(n=Count("visitor", distinct=True))["n"]
    won = _won_deals_touching(item, _deals(viewer))
    by_currency = won.aggregate(
        base=Count("pk", filter=Q(currency=settings.CURRENCY)),
        other=Count("pk", filter=~Q(currency=settings.CURRENCY)),
    )
    credited = won.filter(currency=settings.CURRENCY).select_related("contact")
    recent = Touchpoint.objects.filter(content_item=item)
    narrowed = contact_q(viewer, "contact__") if viewer is not None else Q()
    if narrowed:
        recent = recent.filter(Q(contact__isnull=True) | narrowed)
    recent = recent.select_related("contact", "campaign")
    return ContentPerformance(
        views=figures.views,
        unique_visitors=visitors,
        cta_clicks=figures.cta_clicks,
        leads=figures.leads,
        revenue=figures.revenue,
        currency=settings.CURRENCY,
        credited_deals=list(credited.order_by("-closed_at", "-pk")[:CREDITED_DEALS]),
        won_deals=by_currency["base"],
        won_other_currency=by_currency["other"],
        recent_touches=list(recent.order_by("-occurred_at", "-pk")[:RECENT_TOUCHES]),
    )


@dataclass(frozen=True)
class CalendarDay:
    day: date
    in_period: bool
    is_today: bool
    items: list[ContentItem]


@dataclass(frozen=True)
class CalendarWeek:
    days: list[CalendarDay]
    bars: list[calendar.Bar[Campaign]]
    lanes: int


@dataclass(frozen=True)
class ContentCalendar:
    view: str  # "month" or "week"
    day: date
    first: date
    last: date
    weeks: list[CalendarWeek]
    ongoing: list[Campaign]
    unscheduled: list[ContentItem]
    unscheduled_total: int
    item_count: int
    campaign_count: int
    filters: dict[str, str] = field(default_factory=dict)


def content_calendar(
    *, view: str, day: date, today: date, kind: str = "", campaign: str = ""
) -> ContentCalendar:
    """The month or week holding `day`: items on their publish dates, campaigns over their dates.

    A campaign without an end date runs on past the visible period (when it began before the
    period it is listed in `ongoing` instead of drawn); one without a start date is not shown.
    `kind` and `campaign` (an id as text) narrow the items shown.
    """
    grid = [calendar.week_days(day)] if view == "week" else calendar.month_weeks(day)
    first, last = grid[0][0], grid[-1][-1]
    items = ContentItem.objects.select_related("owner", "campaign").order_by("title", "pk")
    if kind:
        items = items.filter(kind=kind)
    if campaign:
        items = items.annotate(campaign_key=Cast("campaign_id", CharField())).filter(
            campaign_key=campaign
        )
    by_day: dict[date, list[ContentItem]] = {}
    for item in items.filter(publish_date__range=(first, last)):
        assert item.publish_date is not None
        by_day.setdefault(item.publish_date, []).append(item)
    campaigns = (
        Campaign.objects.filter(start_date__isnull=False, start_date__lte=last)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
        .order_by("start_date", "name", "pk")
    )
    # Always-on campaigns that began earlier would fill every week with the same bars: they are
    # listed once above the grid instead.
    ongoing: list[Campaign] = []
    spans: list[calendar.Span[Campaign]] = []
    for campaign_row in campaigns:
        start = campaign_row.start_date
        assert start is not None  # filtered above
        if campaign_row.end_date is None and start < first:
            ongoing.append(campaign_row)
        else:
            spans.append(
                calendar.Span(start=start, end=campaign_row.end_date, payload=campaign_row)
            )
    weeks = []
    for week in grid:
        bars = calendar.week_bars(week, spans)
        days = [
            CalendarDay(
                day=d,
                in_period=view == "week" or d.month == day.month,
                is_today=d == today,
                items=by_day.get(d, []),
            )
            for d in week
        ]
        weeks.append(CalendarWeek(days=days, bars=bars, lanes=calendar.lane_count(bars)))
    unscheduled = items.filter(publish_date__isnull=True).exclude(status=ContentStatus.PUBLISHED)
    return ContentCalendar(
        view=view,
        day=day,
        first=first,
        last=last,
        weeks=weeks,
        unscheduled=list(unscheduled[:UNSCHEDULED_SHOWN]),
        unscheduled_total=unscheduled.count(),
        item_count=sum(len(v) for v in by_day.values()),
        ongoing=ongoing,
        campaign_count=len(spans) + len(ongoing),
        filters={k: v for k, v in (("kind", kind), ("campaign", campaign)) if v},
    )
