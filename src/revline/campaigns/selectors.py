"""Campaign reads: the list with its lead and revenue figures, and one campaign's full picture.

Leads are distinct contacts with a form-submission touchpoint of the campaign. Won revenue is the
sum of won deals in the base currency whose contact touched the campaign at or before the close,
the same rule the attribution report uses.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (
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
from django.db.models.functions import Coalesce
from django.urls import reverse

from revline.content.models import LandingPage
from revline.core.models import User
from revline.sales.models import Deal, DealStatus
from revline.tracking.models import Touchpoint, TouchpointKind, TrackedLink
from revline.tracking.services import redirect_url

from .models import Campaign
from .services import UTM_FIELDS, utm_warnings

MONEY = DecimalField(max_digits=16, decimal_places=2)
RECENT_TOUCHPOINTS = 20


def _won_deals_touching(campaign: Campaign | OuterRef) -> QuerySet[Deal]:
    """Won deals (any currency) whose contact touched `campaign` at or before the close."""
    touched = Touchpoint.objects.filter(
        campaign=campaign, contact=OuterRef("contact"), occurred_at__lte=OuterRef("closed_at")
    )
    return Deal.objects.filter(
        status=DealStatus.WON, closed_at__isnull=False, contact__isnull=False
    ).filter(Exists(touched))


def campaigns_with_metrics() -> QuerySet[Campaign]:
    """Every campaign annotated with `leads` and `won_revenue`, in a single query."""
    leads = (
        Touchpoint.objects.filter(
            campaign=OuterRef("pk"), kind=TouchpointKind.FORM_SUBMISSION, contact__isnull=False
        )
        .order_by()
        .values("campaign")
        .annotate(n=Count("contact", distinct=True))
        .values("n")
    )
    won = (
        _won_deals_touching(OuterRef(OuterRef("pk")))
        .filter(currency=settings.CURRENCY)
        .order_by()
        .values("status")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Campaign.objects.select_related("owner").annotate(
        leads=Coalesce(Subquery(leads, output_field=IntegerField()), Value(0)),
        won_revenue=Coalesce(
            Subquery(won, output_field=MONEY), Value(Decimal("0")), output_field=MONEY
        ),
    )


def campaign_owners() -> QuerySet[User]:
    return User.objects.filter(pk__in=Campaign.objects.values("owner")).order_by(
        "first_name", "last_name", "username"
    )


def cost_per_lead(budget: Decimal, leads: int) -> Decimal | None:
    if leads <= 0:
        return None
    return (budget / leads).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CampaignMetrics:
    clicks: int
    page_views: int
    form_submissions: int
    unique_visitors: int
    contacts: int
    leads: int
    won_deals: int
    won_revenue: Decimal
    won_other_currency: int
    cost_per_lead: Decimal | None


@dataclass(frozen=True)
class LinkRow:
    link: TrackedLink
    clicks: int
    public_url: str
    redirect_url: str


@dataclass(frozen=True)
class CampaignDetail:
    campaign: Campaign
    metrics: CampaignMetrics
    links: list[LinkRow]
    landing_pages: list[LandingPage]
    recent_touchpoints: list[Touchpoint]
    currency: str


def campaign_metrics(campaign: Campaign) -> CampaignMetrics:
    touch = Touchpoint.objects.filter(campaign=campaign).aggregate(
        clicks=Count("pk", filter=Q(kind=TouchpointKind.CLICK)),
        page_views=Count("pk", filter=Q(kind=TouchpointKind.PAGE_VIEW)),
        form_submissions=Count("pk", filter=Q(kind=TouchpointKind.FORM_SUBMISSION)),
        unique_visitors=Count("visitor", distinct=True),
        contacts=Count("contact", distinct=True),
        leads=Count("contact", distinct=True, filter=Q(kind=TouchpointKind.FORM_SUBMISSION)),
    )
    base = Q(currency=settings.CURRENCY)
    won = _won_deals_touching(campaign).aggregate(
        n=Count("pk", filter=base),
        total=Sum("amount", filter=base),
        other=Count("pk", filter=~base),
    )
    return CampaignMetrics(
        clicks=touch["clicks"],
        page_views=touch["page_views"],
        form_submissions=touch["form_submissions"],
        unique_visitors=touch["unique_visitors"],
        contacts=touch["contacts"],
        leads=touch["leads"],
        won_deals=won["n"],
        won_revenue=won["total"] or Decimal("0"),
        won_other_currency=won["other"],
        cost_per_lead=cost_per_lead(campaign.budget, touch["leads"]),
    )


def public_link_url(link: TrackedLink) -> str:
    return f"{settings.BASE_URL}{reverse('tracking:click', args=[link.token])}"


def campaign_links(campaign: Campaign) -> list[LinkRow]:
    links = (
        TrackedLink.objects.filter(campaign=campaign)
        .annotate(
            click_count=Count("touchpoints", filter=Q(touchpoints__kind=TouchpointKind.CLICK))
        )
        .order_by("-created_at", "-pk")
    )
    rows = []
    for link in links:
        link.campaign = campaign  # redirect_url reads the campaign's UTM values; spare a query
        rows.append(
            LinkRow(
                link=link,
                clicks=link.click_count,
                public_url=public_link_url(link),
                redirect_url=redirect_url(link),
            )
        )
    return rows


def campaign_detail(campaign: Campaign) -> CampaignDetail:
    pages = campaign.landing_pages.annotate(submission_count=Count("submissions")).order_by("title")
    touchpoints = (
        Touchpoint.objects.filter(campaign=campaign)
        .select_related("contact", "link")
        .order_by("-occurred_at", "-pk")[:RECENT_TOUCHPOINTS]
    )
    return CampaignDetail(
        campaign=campaign,
        metrics=campaign_metrics(campaign),
        links=campaign_links(campaign),
        landing_pages=list(pages),
        recent_touchpoints=list(touchpoints),
        currency=settings.CURRENCY,
    )


def campaign_utm_warnings(campaign: Campaign) -> list[str]:
    """The UTM builder's advice for a saved campaign, including utm_campaign clashes."""
    sharing: list[str] = []
    if campaign.utm_campaign:
        sharing = list(
            Campaign.objects.filter(utm_campaign__iexact=campaign.utm_campaign)
            .exclude(pk=campaign.pk)
            .order_by("name")
            .values_list("name", flat=True)[:3]
        )
    values = {key: getattr(campaign, key) for key in UTM_FIELDS}
    return utm_warnings(channel=campaign.channel, values=values, campaigns_sharing=sharing)
