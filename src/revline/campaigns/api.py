"""Campaigns and their tracked links over the JSON API."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.content.models import LandingPage
from revline.core import permissions
from revline.core.api_support import (
    active_user_or_422,
    api_user,
    related_or_422,
    split_relations,
    state_conflict,
)
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset
from revline.quotes.models import Product
from revline.tracking.models import TrackedLink
from revline.tracking.services import link_create, link_delete, link_update, redirect_url

from . import creative_selectors, creative_services, selectors, services
from .models import AdSpend, Campaign, Creative, SpendImport
from .schemas import (
    AdSpendFilters,
    AdSpendIn,
    AdSpendOut,
    AdSpendPatch,
    CampaignDetailOut,
    CampaignFilters,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    CreativeFilters,
    CreativeIn,
    CreativeOut,
    CreativePatch,
    LinkIn,
    LinkOut,
    LinkPatch,
    SpendImportFilters,
    SpendImportOut,
)

router = Router(tags=["campaigns"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
MARKETING_ONLY = services.MARKETING_ONLY


def _marketer(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(permissions.can_manage_marketing(user), MARKETING_ONLY)
    return user


def _campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("owner")


def campaign_search(
    *,
    q: str = "",
    channel: str | None = None,
    status: str | None = None,
    owner_id: int | None = None,
    sort: str = "-created_at",
) -> QuerySet[Campaign]:
    campaigns = _campaigns()
    if q:
        campaigns = campaigns.filter(Q(name__icontains=q) | Q(utm_campaign__icontains=q))
    if channel:
        campaigns = campaigns.filter(channel=channel)
    if status:
        campaigns = campaigns.filter(status=status)
    if owner_id is not None:
        campaigns = campaigns.filter(owner_id=owner_id)
    return campaigns.order_by(sort, "-pk" if sort.startswith("-") else "pk")


def _link_out(link: TrackedLink) -> dict[str, Any]:
    return {
        "id": link.pk,
        "campaign_id": link.campaign_id,
        "label": link.label,
        "url": settings.BASE_URL + reverse("tracking:click", args=[link.token]),
        "destination_url": link.destination_url,
        "redirect_url": redirect_url(link),
        "utm_content": link.utm_content,
        "utm_term": link.utm_term,
        "is_active": link.is_active,
        "created_at": link.created_at,
    }


@router.get("/campaigns", response=list[CampaignOut])
@paginate(LimitOffset)
def list_campaigns(request: HttpRequest, filters: Query[CampaignFilters]) -> Any:
    return campaign_search(**filters.model_dump())


@router.post("/campaigns", response={201: CampaignOut, **ERRORS})
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Any:
    actor = _marketer(request)
    data = payload.model_dump()
    data["owner"] = active_user_or_422(data.pop("owner_id"))
    data["currency"] = data["currency"] or settings.CURRENCY
    campaign = services.campaign_create(actor=actor, **data)
    return Status(201, _campaigns().get(pk=campaign.pk))


def _metrics_out(campaign: Campaign, viewer: User) -> dict[str, Any]:
    m = selectors.campaign_metrics(campaign, viewer=viewer)
    f, d = m.figures, m.derived
    return {
        "cost_currency": m.cost_currency,
        "revenue_currency": m.revenue_currency,
        "impressions": f.impressions,
        "clicks": f.clicks,
        "ctr": d.ctr,
        "cost": f.cost,
        # Counted over every contact: null for a reader narrowed by contact visibility.
        "leads": f.leads if m.whole_audience else None,
        "cost_per_lead": d.cost_per_lead,
        "mqls": f.mqls if m.whole_audience else None,
        "sqls": f.sqls if m.whole_audience else None,
        "pipeline": f.pipeline,
        "won_revenue": f.won_revenue,
        "won_deals": m.won_deals,
        "roas": d.roas,
        "new_customers": f.new_customers,
        "cac": d.cac,
        "budget_used": m.budget_used,
        "team_only": m.team_only,
        "whole_audience": m.whole_audience,
        "goals": [
            {"key": g.key, "goal": g.goal, "actual": g.actual, "percent": g.percent}
            for g in m.goals
        ],
    }


@router.get(
    "/campaigns/{int:campaign_id}",
    response={200: CampaignDetailOut, 404: ErrorOut},
    summary="A campaign with its metrics, computed from Revline's own records",
)
def get_campaign(request: HttpRequest, campaign_id: int) -> Any:
    campaign = get_object_or_404(_campaigns(), pk=campaign_id)
    campaign.metrics = _metrics_out(campaign, api_user(request))  # type: ignore[attr-defined]
    return campaign


@router.patch("/campaigns/{int:campaign_id}", response={200: CampaignOut, **ERRORS})
def update_campaign(request: HttpRequest, campaign_id: int, payload: CampaignPatch) -> Any:
    actor = _marketer(request)
    campaign = get_object_or_404(_campaigns(), pk=campaign_id)
    data = payload.model_dump(exclude_unset=True)
    if "owner_id" in data:
        data["owner"] = active_user_or_422(split_relations(data, "owner")["owner"])
    start = data.get("start_date", campaign.start_date)
    end = data.get("end_date", campaign.end_date)
    if start and end and end < start:
        raise ValidationError({"end_date": "end_date must not be before start_date."})
    services.campaign_update(actor=actor, campaign=campaign, **data)
    return _campaigns().get(pk=campaign.pk)


@router.delete(
    "/campaigns/{int:campaign_id}",
    response={204: None, **ERRORS},
    summary="Delete a campaign without touchpoints or spend (otherwise mark it completed)",
)
def delete_campaign(request: HttpRequest, campaign_id: int) -> Any:
    actor = _marketer(request)
    campaign = get_object_or_404(Campaign.objects.all(), pk=campaign_id)
    services.campaign_delete(actor=actor, campaign=campaign)
    return Status(204, None)


@router.get(
    "/campaigns/{int:campaign_id}/links",
    response={200: list[LinkOut], 404: ErrorOut},
    summary="The campaign's tracked links, newest first, with their public URLs",
)
def list_links(request: HttpRequest, campaign_id: int) -> Any:
    campaign = get_object_or_404(Campaign.objects.all(), pk=campaign_id)
    links = TrackedLink.objects.filter(campaign=campaign).select_related("campaign")
    return [_link_out(link) for link in links.order_by("-created_at", "-pk")]


@router.post(
    "/campaigns/{int:campaign_id}/links",
    response={201: LinkOut, **ERRORS},
    summary="Create a tracked link; publish its `url`",
)
def create_link(request: HttpRequest, campaign_id: int, payload: LinkIn) -> Any:
    actor = _marketer(request)
    campaign = get_object_or_404(Campaign.objects.all(), pk=campaign_id)
    link = link_create(actor=actor, campaign=campaign, **payload.model_dump())
    return Status(201, _link_out(link))


def _link(campaign_id: int, link_id: int) -> TrackedLink:
    return get_object_or_404(
        TrackedLink.objects.select_related("campaign"), pk=link_id, campaign_id=campaign_id
    )


@router.get(
    "/campaigns/{int:campaign_id}/links/{int:link_id}",
    response={200: LinkOut, 404: ErrorOut},
    summary="One tracked link of the campaign",
)
def get_link(request: HttpRequest, campaign_id: int, link_id: int) -> Any:
    return _link_out(_link(campaign_id, link_id))


@router.patch(
    "/campaigns/{int:campaign_id}/links/{int:link_id}",
    response={200: LinkOut, **ERRORS},
    summary="Change a tracked link's label, destination, UTM overrides or whether it redirects",
    description="The token, and so the published `url`, never changes. A creative's link keeps "
    "the destination and utm_content its creative set, and a link with recorded clicks keeps "
    "its utm_content and utm_term: changing them answers 422 naming the field.",
)
def update_link(request: HttpRequest, campaign_id: int, link_id: int, payload: LinkPatch) -> Any:
    actor = _marketer(request)
    link = _link(campaign_id, link_id)
    updated = link_update(actor=actor, link=link, **payload.model_dump(exclude_unset=True))
    return _link_out(_link(campaign_id, updated.pk))


@router.delete(
    "/campaigns/{int:campaign_id}/links/{int:link_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Delete a tracked link without recorded clicks (otherwise deactivate it)",
    description="A link with recorded clicks, or the call to action of a creative, answers 409: "
    "set `is_active` to false instead, which stops the redirect and keeps the history.",
)
def delete_link(request: HttpRequest, campaign_id: int, link_id: int) -> Any:
    actor = _marketer(request)
    link = _link(campaign_id, link_id)
    try:
        link_delete(actor=actor, link=link)
    except ValidationError as exc:
        return state_conflict(exc)
    return Status(204, None)


def _spend_out(row: AdSpend) -> dict[str, Any]:
    return {
        "id": row.pk,
        "campaign_id": row.campaign_id,
        "creative_id": row.creative_id,
        "date": row.date,
        "source": row.source,
        "spend": row.spend,
        "currency": row.currency,
        "impressions": row.impressions,
        "clicks": row.clicks,
        "spend_import_id": row.spend_import_id,
        "updated_at": row.updated_at,
    }


@router.get(
    "/campaigns/{int:campaign_id}/spend",
    response={200: list[AdSpendOut], 404: ErrorOut},
    summary="The campaign's spend rows, newest day first",
)
@paginate(LimitOffset)
def list_spend(request: HttpRequest, campaign_id: int, filters: Query[AdSpendFilters]) -> Any:
    campaign = get_object_or_404(Campaign.objects.all(), pk=campaign_id)
    rows = AdSpend.objects.filter(campaign=campaign)
    if filters.date_from:
        rows = rows.filter(date__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(date__lte=filters.date_to)
    if filters.source:
        rows = rows.filter(source=filters.source)
    return rows.order_by("-date", "source", "pk")


@router.post(
    "/campaigns/{int:campaign_id}/spend",
    response={200: AdSpendOut, 201: AdSpendOut, **ERRORS},
    summary="Record one day's spend by hand; 201 when new, 200 when it replaced that day's row",
)
def record_spend(request: HttpRequest, campaign_id: int, payload: AdSpendIn) -> Any:
    actor = _marketer(request)
    campaign = get_object_or_404(Campaign.objects.all(), pk=campaign_id)
    creative = related_or_422(
        Creative.objects.filter(campaign=campaign), payload.creative_id, field="creative_id"
    )
    row, created = services.ad_spend_record(
        actor=actor,
        campaign=campaign,
        day=payload.date,
        spend=payload.spend,
        currency=payload.currency or "",
        impressions=payload.impressions,
        clicks=payload.clicks,
        creative=creative,
    )
    return Status(201 if created else 200, _spend_out(row))


def _spend_row(campaign_id: int, spend_id: int) -> AdSpend:
    return get_object_or_404(AdSpend.objects.all(), pk=spend_id, campaign_id=campaign_id)


@router.get(
    "/campaigns/{int:campaign_id}/spend/{int:spend_id}",
    response={200: AdSpendOut, 404: ErrorOut},
    summary="One spend row",
)
def get_spend(request: HttpRequest, campaign_id: int, spend_id: int) -> Any:
    return _spend_out(_spend_row(campaign_id, spend_id))


@router.patch(
    "/campaigns/{int:campaign_id}/spend/{int:spend_id}",
    response={200: AdSpendOut, **ERRORS},
    summary="Correct one spend row",
)
def update_spend(
    request: HttpRequest, campaign_id: int, spend_id: int, payload: AdSpendPatch
) -> Any:
    actor = _marketer(request)
    row = _spend_row(campaign_id, spend_id)
    data = payload.model_dump(exclude_unset=True)
    creative = row.creative
    if "creative_id" in data:
        creative = related_or_422(
            Creative.objects.filter(campaign_id=campaign_id),
            data["creative_id"],
            field="creative_id",
        )
    updated = services.ad_spend_update(
        actor=actor,
        ad_spend=row,
        day=data.get("date", row.date),
        spend=data.get("spend", row.spend),
        currency=data.get("currency", row.currency),
        impressions=data.get("impressions", row.impressions),
        clicks=data.get("clicks", row.clicks),
        creative=creative,
    )
    return _spend_out(updated)


@router.delete(
    "/campaigns/{int:campaign_id}/spend/{int:spend_id}",
    response={204: None, **ERRORS},
    summary="Delete one spend row",
)
def delete_spend(request: HttpRequest, campaign_id: int, spend_id: int) -> Any:
    actor = _marketer(request)
    row = get_object_or_404(AdSpend.objects.all(), pk=spend_id, campaign_id=campaign_id)
    services.ad_spend_delete(actor=actor, ad_spend=row)
    return Status(204, None)


# --- Spend imports (uploading stays in the UI: it previews before writing) --------------------


def _imports_visible_to(user: User) -> QuerySet[SpendImport]:
    """Committed imports, and drafts of the user's own (an admin sees every draft)."""
    imports = SpendImport.objects.select_related("uploaded_by")
    if permissions.is_admin(user):
        return imports
    return imports.filter(Q(committed_at__isnull=False) | Q(uploaded_by=user))


@router.get(
    "/campaigns/spend-imports",
    response={200: list[SpendImportOut], 403: ErrorOut},
    summary="Ad-platform spend imports, newest first",
)
@paginate(LimitOffset)
def list_spend_imports(request: HttpRequest, filters: Query[SpendImportFilters]) -> Any:
    imports = _imports_visible_to(_marketer(request))
    if filters.status:
        imports = imports.filter(committed_at__isnull=filters.status == "draft")
    if filters.layout:
        imports = imports.filter(layout=filters.layout)
    return imports.order_by(filters.sort, "-pk" if filters.sort.startswith("-") else "pk")


@router.get(
    "/campaigns/spend-imports/{int:import_id}",
    response={200: SpendImportOut, 403: ErrorOut, 404: ErrorOut},
    summary="One spend import",
)
def get_spend_import(request: HttpRequest, import_id: int) -> Any:
    return get_object_or_404(_imports_visible_to(_marketer(request)), pk=import_id)


# --- Creatives ---------------------------------------------------------------------------------


def _creatives() -> QuerySet[Creative]:
    return Creative.objects.select_related("link", "landing_page", "booking_user", "product")


@router.get(
    "/campaigns/{int:campaign_id}/creatives",
    response={200: list[CreativeOut], 404: ErrorOut},
    summary="The campaign's creatives",
)
@paginate(LimitOffset)
def list_creatives(request: HttpRequest, campaign_id: int, filters: Query[CreativeFilters]) -> Any:
    campaign = get_object_or_404(Campaign.objects.all(), pk=campaign_id)
    creatives = _creatives().filter(campaign=campaign)
    if filters.q:
        creatives = creatives.filter(
            Q(name__icontains=filters.q) | Q(headline__icontains=filters.q)
        )
    if filters.kind:
        creatives = creatives.filter(kind=filters.kind)
    if filters.cta_action:
        creatives = creatives.filter(cta_action=filters.cta_action)
    return creatives.order_by(filters.sort, "-pk" if filters.sort.startswith("-") else "pk")


def _creative_targets(data: dict[str, Any]) -> dict[str, Any]:
    related = split_relations(data, "landing_page", "booking_user", "product")
    if "landing_page" in related:
        data["landing_page"] = related_or_422(
            LandingPage.objects.all(), related["landing_page"], field="landing_page_id"
        )
    if "booking_user" in related:
        data["booking_user"] = active_user_or_422(related["booking_user"], field="booking_user_id")
    if "product" in related:
        data["product"] = related_or_422(
            Product.objects.all(), related["product"], field="product_id"
        )
    return data


@router.post(
    "/campaigns/{int:campaign_id}/creatives",
    response={201: CreativeOut, **ERRORS},
    summary="Create a creative with its CTA and tracked link",
)
def create_creative(request: HttpRequest, campaign_id: int, payload: CreativeIn) -> Any:
    actor = _marketer(request)
    campaign = get_object_or_404(Campaign.objects.all(), pk=campaign_id)
    data = _creative_targets(payload.model_dump())
    creative = creative_services.creative_create(actor=actor, campaign=campaign, **data)
    return Status(201, _creatives().get(pk=creative.pk))


def _creative_or_404(creative_id: int) -> Creative:
    creative = creative_selectors.creative_get(creative_id)
    if creative is None:
        raise Http404("No such creative.")
    return creative


@router.get(
    "/campaigns/creatives/{int:creative_id}",
    response={200: CreativeOut, 404: ErrorOut},
    summary="A creative",
)
def get_creative(request: HttpRequest, creative_id: int) -> Any:
    return _creative_or_404(creative_id)


@router.patch(
    "/campaigns/creatives/{int:creative_id}",
    response={200: CreativeOut, **ERRORS},
    summary="Change a creative's copy, kind, rep or product (action and page are fixed)",
)
def update_creative(request: HttpRequest, creative_id: int, payload: CreativePatch) -> Any:
    actor = _marketer(request)
    creative = _creative_or_404(creative_id)
    data = _creative_targets(payload.model_dump(exclude_unset=True))
    creative_services.creative_update(actor=actor, creative=creative, **data)
    return _creatives().get(pk=creative.pk)


@router.delete(
    "/campaigns/creatives/{int:creative_id}",
    response={204: None, **ERRORS},
    summary="Delete a creative without touchpoints or spend",
)
def delete_creative(request: HttpRequest, creative_id: int) -> Any:
    actor = _marketer(request)
    creative = _creative_or_404(creative_id)
    creative_services.creative_delete(actor=actor, creative=creative)
    return Status(204, None)
