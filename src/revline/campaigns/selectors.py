"""Campaign reads: the list with its figures, and one campaign's full picture.

The rules every figure follows (docs/marketing.md repeats them for marketers):
- cost, impressions, clicks: sums of the campaign's AdSpend rows (cost in the campaign's currency);
- leads: distinct contacts with a form-submission touchpoint of the campaign;
- MQLs / SQLs: contacts who touched the campaign and reached that stage or a later one at or
  after their first touch of it (a recorded lifecycle change); a contact whose stage was set
  without a recorded change counts when their current stage is that stage or later;
- pipeline: open and won deals in the base currency whose contact touched the campaign at or
  before the deal was created;
- won revenue: won deals in the base currency whose contact touched the campaign at or before
  the close, the same rule the attribution report uses;
- new customers: contacts whose first won deal closed at or after their first touch.
A deal counts in full for every campaign its contact touched: campaign figures do not add up to
company totals (the attribution report splits credit instead).

Deal-derived figures (pipeline, won revenue, ROAS, new customers, CAC) count only the deals the
viewer may see (sales.visibility): a rep or manager under team visibility sees their team's
share; admins, marketers and viewer=None (jobs, exports) see the whole company's. A new customer
counts for whoever may see that customer's first won deal.

Contact-derived figures (leads, cost per lead, MQLs, SQLs, form submissions, unique visitors,
contacts, landing-page submissions) count every contact, so a reader who does not see every
contact (core.audience) gets None for them: they are not computed.
"""

from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
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
from revline.core import permissions
from revline.core.audience import whole_audience
from revline.core.models import User
from revline.core.visibility import contact_q
from revline.leads.models import LifecycleTransition
from revline.people.models import LIFECYCLE_ORDER, Contact, LifecycleStage
from revline.sales.models import Deal, DealStatus
from revline.sales.visibility import deals_visible_to
from revline.tracking.models import Touchpoint, TouchpointKind, TrackedLink
from revline.tracking.services import redirect_url

from . import metrics
from .metrics import Derived, Figures, Progress
from .models import AdSpend, Campaign
from .services import UTM_FIELDS, utm_warnings
from .spend_selectors import campaign_spend_totals

MONEY = DecimalField(max_digits=16, decimal_places=2)
# Goals counted over contacts: hidden from readers who do not see every contact.
CONTACT_GOALS = ("leads", "mqls", "sqls")
RECENT_TOUCHPOINTS = 20
PIPELINE_STATUSES = (DealStatus.OPEN, DealStatus.WON)


def stages_from(stage: str) -> list[str]:
    """The stage and every later forward stage."""
    return [str(s) for s in LIFECYCLE_ORDER[LIFECYCLE_ORDER.index(LifecycleStage(stage)) :]]


def team_only(viewer: User | None) -> bool:
    """Whether `viewer` sees deal figures of their own team only (then the page says so)."""
    return viewer is not None and permissions.sees_only_team_deals(viewer)


def _deals(viewer: User | None) -> QuerySet[Deal]:
    deals = Deal.objects.all()
    return deals_visible_to(viewer, deals) if viewer is not None else deals


def _won_deals_touching(campaign: Campaign | OuterRef, deals: QuerySet[Deal]) -> QuerySet[Deal]:
    """Won `deals` (any currency) whose contact touched `campaign` at or before the close."""
    touched = Touchpoint.objects.filter(
        campaign=campaign, contact=OuterRef("contact"), occurred_at__lte=OuterRef("closed_at")
    )
    return deals.filter(
        status=DealStatus.WON, closed_at__isnull=False, contact__isnull=False
    ).filter(Exists(touched))


def _pipeline_deals_touching(
    campaign: Campaign | OuterRef, deals: QuerySet[Deal]
) -> QuerySet[Deal]:
    """Open and won `deals` (any currency) whose contact touched `campaign` by their creation."""
    touched = Touchpoint.objects.filter(
        campaign=campaign, contact=OuterRef("contact"), occurred_at__lte=OuterRef("created_at")
    )
    return deals.filter(status__in=PIPELINE_STATUSES, contact__isnull=False).filter(Exists(touched))


def campaigns_with_metrics(*, viewer: User | None = None) -> QuerySet[Campaign]:
    """Every campaign annotated with `leads`, `cost`, `pipeline` and `won_revenue`, in one query.

    Pipeline and won revenue count only the deals `viewer` may see (None: all); `leads` is None
    for a viewer who does not see every contact.
    """
    deals = _deals(viewer)
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
        _won_deals_touching(OuterRef(OuterRef("pk")), deals)
        .filter(currency=settings.CURRENCY)
        .order_by()
        .values("status")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    pipeline = (
        _pipeline_deals_touching(OuterRef(OuterRef("pk")), deals)
        .filter(currency=settings.CURRENCY)
        .order_by()
        .values("currency")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    cost = (
        AdSpend.objects.filter(campaign=OuterRef("pk"), currency=OuterRef("currency"))
        .order_by()
        .values("campaign")
        .annotate(total=Sum("spend"))
        .values("total")
    )
    zero = Value(Decimal("0"))
    lead_count = (
        Coalesce(Subquery(leads, output_field=IntegerField()), Value(0))
        if whole_audience(viewer)
        else Value(None, output_field=IntegerField())
    )
    return Campaign.objects.select_related("owner").annotate(
        leads=lead_count,
        cost=Coalesce(Subquery(cost, output_field=MONEY), zero, output_field=MONEY),
        pipeline=Coalesce(Subquery(pipeline, output_field=MONEY), zero, output_field=MONEY),
        won_revenue=Coalesce(Subquery(won, output_field=MONEY), zero, output_field=MONEY),
    )


@dataclass(frozen=True)
class ListRatios:
    cost_per_lead: Decimal | None
    roas: Decimal | None


def list_ratios(campaigns: list[Campaign]) -> dict[int, ListRatios]:
    """Cost per lead and ROAS of campaigns annotated by campaigns_with_metrics()."""
    ratios = {}
    for campaign in campaigns:
        cost: Decimal = campaign.cost  # type: ignore[attr-defined]
        same_currency = campaign.currency == settings.CURRENCY
        ratios[campaign.pk] = ListRatios(
            cost_per_lead=(
                metrics.cost_per(cost, campaign.leads)  # type: ignore[attr-defined]
                if campaign.leads is not None  # type: ignore[attr-defined]
                else None
            ),
            roas=metrics.roas(campaign.won_revenue, cost) if same_currency else None,  # type: ignore[attr-defined]
        )
    return ratios


def campaign_owners() -> QuerySet[User]:
    return User.objects.filter(pk__in=Campaign.objects.values("owner")).order_by(
        "first_name", "last_name", "username"
    )


@dataclass(frozen=True)
class CampaignMetrics:
    """Tracking counts, the campaign's figures and their ratios, and plan against actuals."""

    link_clicks: int
    page_views: int
    # None for a reader who does not see every contact (core.audience), as are figures.leads,
    # .mqls, .sqls, derived.cost_per_lead and the goals' actuals in CONTACT_GOALS.
    form_submissions: int | None
    unique_visitors: int | None
    contacts: int | None
    figures: Figures
    derived: Derived
    won_deals: int
    won_other_currency: int
    pipeline_deals: int
    pipeline_other_currency: int
    spend_rows: int
    spend_other_currency_rows: int
    cost_currency: str
    revenue_currency: str
    budget_used: Decimal | None
    goals: list[Progress]
    # True when the deal figures are the viewer's team's only (sales role, team visibility).
    team_only: bool = False
    whole_audience: bool = True

    @property
    def leads(self) -> int | None:
        return self.figures.leads if self.whole_audience else None

    @property
    def won_revenue(self) -> Decimal:
        return self.figures.won_revenue

    @property
    def cost_per_lead(self) -> Decimal | None:
        return self.derived.cost_per_lead if self.whole_audience else None


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


def _money(amount: Decimal | None) -> Decimal:
    return (amount or Decimal("0")).quantize(metrics.CENT)


def _reached(stages: list[str]) -> Q:
    """For an annotated Contact queryset with `first_touch`: reached one of `stages` after it."""
    after_touch = LifecycleTransition.objects.filter(
        contact=OuterRef("pk"), to_stage__in=stages, occurred_at__gte=OuterRef("first_touch")
    )
    ever = LifecycleTransition.objects.filter(contact=OuterRef("pk"), to_stage__in=stages)
    return Q(Exists(after_touch)) | (Q(lifecycle_stage__in=stages) & ~Q(Exists(ever)))


def _contact_progress(
    campaign: Campaign, visible: QuerySet[Deal] | None, *, audience: bool = True
) -> dict[str, int]:
    """MQLs, SQLs and new customers among the contacts who touched the campaign.

    With `visible` deals (a viewer limited to their team's), a new customer counts only when
    their first won deal is one of them: a customer another team won first is not new to this one.
    Without `audience` (a reader narrowed by contact visibility) only new customers are counted.
    """
    touches = Touchpoint.objects.filter(campaign=campaign, contact=OuterRef("pk"))
    first_won = Deal.objects.filter(
        contact=OuterRef("pk"), status=DealStatus.WON, closed_at__isnull=False
    ).order_by("closed_at", "pk")
    contacts = (
        Contact.objects.filter(Exists(touches))
        .annotate(
            first_touch=Subquery(touches.order_by("occurred_at").values("occurred_at")[:1]),
            first_won=Subquery(first_won.values("closed_at")[:1]),
            first_won_deal=Subquery(first_won.values("pk")[:1]),
        )
        .order_by()
    )
    new_customer = Q(first_won__gte=F("first_touch"))
    if visible is not None:
        new_customer &= Q(first_won_deal__in=visible.values("pk"))
    flags = contacts.annotate(
        is_mql=ExpressionWrapper(
            _reached(stages_from(LifecycleStage.MQL)), output_field=BooleanField()
        ),
        is_sql=ExpressionWrapper(
            _reached(stages_from(LifecycleStage.SQL)), output_field=BooleanField()
        ),
        is_new_customer=ExpressionWrapper(new_customer, output_field=BooleanField()),
    )
    if not audience:
        return {
            "mqls": 0,
            "sqls": 0,
            **flags.aggregate(new_customers=Count("pk", filter=Q(is_new_customer=True))),
        }
    return flags.aggregate(
        mqls=Count("pk", filter=Q(is_mql=True)),
        sqls=Count("pk", filter=Q(is_sql=True)),
        new_customers=Count("pk", filter=Q(is_new_customer=True)),
    )


def campaign_metrics(campaign: Campaign, *, viewer: User | None = None) -> CampaignMetrics:
    """The campaign's figures; deal-derived ones over the deals `viewer` may see (None: all),
    contact-derived ones only for a viewer who sees every contact (else None, not computed)."""
    audience = whole_audience(viewer)
    counts = {
        "link_clicks": Count("pk", filter=Q(kind=TouchpointKind.CLICK)),
        "page_views": Count("pk", filter=Q(kind=TouchpointKind.PAGE_VIEW)),
    }
    if audience:
        counts |= {
            "form_submissions": Count("pk", filter=Q(kind=TouchpointKind.FORM_SUBMISSION)),
            "unique_visitors": Count("visitor", distinct=True),
            "contacts": Count("contact", distinct=True),
            "leads": Count("contact", distinct=True, filter=Q(kind=TouchpointKind.FORM_SUBMISSION)),
        }
    touch = Touchpoint.objects.filter(campaign=campaign).aggregate(**counts)
    limited = team_only(viewer)
    deals = _deals(viewer) if limited else Deal.objects.all()
    base = Q(currency=settings.CURRENCY)
    won = _won_deals_touching(campaign, deals).aggregate(
        n=Count("pk", filter=base),
        total=Sum("amount", filter=base),
        other=Count("pk", filter=~base),
    )
    pipeline = _pipeline_deals_touching(campaign, deals).aggregate(
        n=Count("pk", filter=base),
        total=Sum("amount", filter=base),
        other=Count("pk", filter=~base),
    )
    spend = campaign_spend_totals(campaign)
    progress = _contact_progress(campaign, deals if limited else None, audience=audience)
    figures = Figures(
        impressions=spend.impressions,
        clicks=spend.clicks,
        cost=_money(spend.spend),
        leads=touch.get("leads", 0),
        mqls=progress["mqls"],
        sqls=progress["sqls"],
        pipeline=_money(pipeline["total"]),
        won_revenue=_money(won["total"]),
        new_customers=progress["new_customers"],
    )
    goals: dict[str, Decimal | int | None] = {
        "leads": campaign.goal_leads,
        "mqls": campaign.goal_mqls,
        "sqls": campaign.goal_sqls,
        "pipeline": campaign.goal_pipeline,
        "won_revenue": campaign.goal_revenue,
    }
    derived = metrics.derive(figures, same_currency=campaign.currency == settings.CURRENCY)
    progress_rows = metrics.plan_vs_actual(goals, figures)
    if not audience:
        derived = replace(derived, cost_per_lead=None)
        progress_rows = [
            replace(row, actual=None, percent=None) if row.key in CONTACT_GOALS else row
            for row in progress_rows
        ]
    return CampaignMetrics(
        link_clicks=touch["link_clicks"],
        page_views=touch["page_views"],
        form_submissions=touch.get("form_submissions"),
        unique_visitors=touch.get("unique_visitors"),
        contacts=touch.get("contacts"),
        figures=figures,
        derived=derived,
        won_deals=won["n"],
        won_other_currency=won["other"],
        pipeline_deals=pipeline["n"],
        pipeline_other_currency=pipeline["other"],
        spend_rows=spend.rows,
        spend_other_currency_rows=spend.other_currency_rows,
        cost_currency=campaign.currency,
        revenue_currency=settings.CURRENCY,
        budget_used=metrics.share(spend.spend, campaign.budget),
        goals=progress_rows,
        team_only=limited,
        whole_audience=audience,
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


def campaign_detail(campaign: Campaign, *, viewer: User | None = None) -> CampaignDetail:
    pages = campaign.landing_pages.order_by("title")
    if whole_audience(viewer):
        pages = pages.annotate(submission_count=Count("submissions"))
    touchpoints = Touchpoint.objects.filter(campaign=campaign)
    narrowed = contact_q(viewer, "contact__") if viewer is not None else Q()
    if narrowed:
        # Anonymous visits stay; a known contact's touchpoint only when the viewer sees them.
        touchpoints = touchpoints.filter(Q(contact__isnull=True) | narrowed)
    touchpoints = touchpoints.select_related("contact", "link").order_by("-occurred_at", "-pk")[
        :RECENT_TOUCHPOINTS
    ]
    return CampaignDetail(
        campaign=campaign,
        metrics=campaign_metrics(campaign, viewer=viewer),
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
