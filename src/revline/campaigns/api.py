"""Campaigns and their tracked links over the JSON API."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.core import permissions
from revline.core.api_support import active_user_or_422, api_user, split_relations
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset
from revline.tracking.models import TrackedLink
from revline.tracking.services import link_create, redirect_url

from . import services
from .models import Campaign
from .schemas import CampaignFilters, CampaignIn, CampaignOut, CampaignPatch, LinkIn, LinkOut

router = Router(tags=["campaigns"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
MARKETING_ONLY = "Only marketers and admins manage campaigns."


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


@router.get("/campaigns/{int:campaign_id}", response={200: CampaignOut, 404: ErrorOut})
def get_campaign(request: HttpRequest, campaign_id: int) -> Any:
    return get_object_or_404(_campaigns(), pk=campaign_id)


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
