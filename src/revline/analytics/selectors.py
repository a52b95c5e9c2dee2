from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from revline.campaigns.models import Campaign
from revline.core import permissions
from revline.core.models import User
from revline.sales.models import Deal, DealStatus
from revline.sales.visibility import deals_visible_to
from revline.tracking.models import Touchpoint

from .attribution import MODEL_LABELS, AttributionResult, Credit, Journey, Model, attribute

_NO_CREDIT = Credit()


@dataclass(frozen=True)
class CampaignRow:
    campaign_id: int
    name: str
    channel: str
    revenue: dict[str, Decimal]
    conversions: dict[str, float]


@dataclass(frozen=True)
class AttributionReport:
    models: list[Model]
    rows: list[CampaignRow]
    won_deals: int
    won_revenue: Decimal
    unattributed_revenue: dict[str, Decimal]
    currency: str
    excluded_other_currency: int
    # True when the viewer sees only their team's deals (a sales rep or manager under the
    # workspace's team visibility): the numbers are then theirs, not the company's.
    team_only: bool = False


def won_deal_journeys(
    *,
    viewer: User | None = None,
    closed_from: date | None = None,
    closed_to: date | None = None,
) -> tuple[list[Journey], int]:
    """One journey per won deal in the base currency: its contact's campaign touches before the close.

    Only the deals `viewer` may see (admins and marketers see all: marketing measures the whole
    company's revenue); no viewer means the whole workspace, for jobs and exports.
    Returns the journeys and how many won deals were left out for being in another currency.
    """
    deals = Deal.objects.filter(status=DealStatus.WON, closed_at__isnull=False)
    if viewer is not None:
        deals = deals_visible_to(viewer, deals)
    tz = timezone.get_current_timezone()
    if closed_from:
        deals = deals.filter(closed_at__gte=datetime.combine(closed_from, time.min, tzinfo=tz))
    if closed_to:
        deals = deals.filter(closed_at__lte=datetime.combine(closed_to, time.max, tzinfo=tz))
    excluded = deals.exclude(currency=settings.CURRENCY).count()
    rows: list[tuple[int | None, Decimal, datetime]] = list(
        deals.filter(currency=settings.CURRENCY).values_list("contact_id", "amount", "closed_at")  # type: ignore[arg-type]
    )
    contact_ids = {contact_id for contact_id, _, _ in rows if contact_id}
    touches: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    if contact_ids:
        for toucher_id, occurred_at, campaign_id in (
            Touchpoint.objects.filter(contact_id__in=contact_ids, campaign__isnull=False)
            .order_by("occurred_at", "pk")
            .values_list("contact_id", "occurred_at", "campaign_id")
            .iterator(chunk_size=5000)
        ):
            touches[toucher_id].append((occurred_at, campaign_id))
    journeys = []
    for contact_id, amount, closed_at in rows:
        contact_touches = touches.get(contact_id, []) if contact_id is not None else []
        path = [campaign for at, campaign in contact_touches if at <= closed_at]
        journeys.append(Journey(value=amount, touches=path))
    return journeys, excluded


def campaign_attribution(
    *,
    viewer: User | None = None,
    closed_from: date | None = None,
    closed_to: date | None = None,
) -> AttributionReport:
    """Won revenue per campaign by each model, over the won deals `viewer` may see."""
    journeys, excluded = won_deal_journeys(
        viewer=viewer, closed_from=closed_from, closed_to=closed_to
    )
    models = list(MODEL_LABELS)
    results: dict[Model, AttributionResult] = {m: attribute(journeys, m) for m in models}
    campaign_ids = {int(key) for r in results.values() for key in r.credits}  # type: ignore[call-overload]
    campaigns = {c.pk: c for c in Campaign.objects.filter(pk__in=campaign_ids)}
    rows = []
    for campaign_id in campaign_ids:
        campaign = campaigns.get(campaign_id)
        if campaign is None:
            continue
        rows.append(
            CampaignRow(
                campaign_id=campaign.pk,
                name=campaign.name,
                channel=campaign.get_channel_display(),
                revenue={
                    m.value: results[m].credits.get(campaign_id, _NO_CREDIT).revenue for m in models
                },
                conversions={
                    m.value: results[m].credits.get(campaign_id, _NO_CREDIT).conversions
                    for m in models
                },
            )
        )
    rows.sort(key=lambda r: (-r.revenue[Model.LINEAR.value], r.name))
    return AttributionReport(
        models=models,
        rows=rows,
        won_deals=len(journeys),
        won_revenue=sum((j.value for j in journeys), Decimal("0")),
        unattributed_revenue={m.value: results[m].unattributed_revenue for m in models},
        currency=settings.CURRENCY,
        excluded_other_currency=excluded,
        team_only=viewer is not None and permissions.sees_only_team_deals(viewer),
    )
