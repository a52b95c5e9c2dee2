"""Pipelines, deals and deal activities over the JSON API."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.core import permissions
from revline.core.api_support import active_user_or_422, api_user, related_or_422, split_relations
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset

from . import api_selectors, services
from .models import CloseReason, Competitor, Deal, Pipeline, Stage
from .schemas import (
    ActivityIn,
    ActivityOut,
    DealCloseIn,
    DealFilters,
    DealIn,
    DealMoveIn,
    DealOut,
    DealPatch,
)
from .selectors import company_choices, contact_choices

router = Router()

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
TEAM_ONLY = "You can only change deals of your own team."


def _deal_for_change(request: HttpRequest, deal_id: int) -> tuple[User, Deal]:
    actor = api_user(request)
    deal = get_object_or_404(api_selectors.deals_for_api(actor), pk=deal_id)
    permissions.require(permissions.can_edit_deal(actor, deal), TEAM_ONLY)
    return actor, deal


def _resolve_deal_relations(
    data: dict[str, Any], *, actor: User, deal: Deal | None = None
) -> dict[str, Any]:
    """Ids to records; a contact or company the actor may not see is a 422 like an unknown one
    (a deal keeps the ones it already has)."""
    related = split_relations(data, "contact", "company", "owner", "pipeline", "stage")
    lookups: dict[str, Any] = {
        "contact": contact_choices(actor, keep=deal.contact_id if deal else None),
        "company": company_choices(actor, keep=deal.company_id if deal else None),
        "pipeline": Pipeline.objects.all(),
        "stage": Stage.objects.select_related("pipeline"),
    }
    for name, pk in related.items():
        if name == "owner":
            data["owner"] = active_user_or_422(pk)
        else:
            data[name] = related_or_422(lookups[name], pk, field=f"{name}_id")
    return data


def _fresh(deal: Deal) -> Deal:
    return api_selectors.deal_written(deal.pk)


@router.get("/deals", response=list[DealOut], tags=["deals"])
@paginate(LimitOffset)
def list_deals(request: HttpRequest, filters: Query[DealFilters]) -> Any:
    return api_selectors.deal_search(user=api_user(request), **filters.model_dump())


@router.post(
    "/deals",
    response={201: DealOut, **ERRORS},
    tags=["deals"],
    summary="Open a deal; its contact becomes an opportunity",
)
def create_deal(request: HttpRequest, payload: DealIn) -> Any:
    actor = api_user(request)
    permissions.require(
        permissions.can_create_deals(actor), "Only sales people and admins create deals."
    )
    data = _resolve_deal_relations(payload.model_dump(), actor=actor)
    data["currency"] = data["currency"] or settings.CURRENCY
    deal = services.deal_create(actor=actor, **data)
    return Status(201, _fresh(deal))


@router.get("/deals/{int:deal_id}", response={200: DealOut, 404: ErrorOut}, tags=["deals"])
def get_deal(request: HttpRequest, deal_id: int) -> Any:
    return get_object_or_404(api_selectors.deals_for_api(api_user(request)), pk=deal_id)


@router.patch("/deals/{int:deal_id}", response={200: DealOut, **ERRORS}, tags=["deals"])
def update_deal(request: HttpRequest, deal_id: int, payload: DealPatch) -> Any:
    actor, deal = _deal_for_change(request, deal_id)
    data = _resolve_deal_relations(payload.model_dump(exclude_unset=True), actor=actor, deal=deal)
    services.deal_update(actor=actor, deal=deal, **data)
    return _fresh(deal)


@router.post(
    "/deals/{int:deal_id}/move",
    response={200: DealOut, **ERRORS},
    tags=["deals"],
    summary="Move an open deal to another open stage of its pipeline",
)
def move_deal(request: HttpRequest, deal_id: int, payload: DealMoveIn) -> Any:
    actor, deal = _deal_for_change(request, deal_id)
    stage = related_or_422(Stage.objects.all(), payload.stage_id, field="stage_id")
    assert stage is not None
    services.deal_move_stage(actor=actor, deal=deal, stage=stage)
    return _fresh(deal)


@router.post("/deals/{int:deal_id}/won", response={200: DealOut, **ERRORS}, tags=["deals"])
def win_deal(request: HttpRequest, deal_id: int, payload: DealCloseIn) -> Any:
    actor, deal = _deal_for_change(request, deal_id)
    reason = related_or_422(CloseReason.objects.all(), payload.reason_id, field="reason_id")
    services.deal_close_won(actor=actor, deal=deal, reason=reason, note=payload.note)
    return _fresh(deal)


@router.post("/deals/{int:deal_id}/lost", response={200: DealOut, **ERRORS}, tags=["deals"])
def lose_deal(request: HttpRequest, deal_id: int, payload: DealCloseIn) -> Any:
    actor, deal = _deal_for_change(request, deal_id)
    reason = related_or_422(CloseReason.objects.all(), payload.reason_id, field="reason_id")
    lost_to = related_or_422(Competitor.objects.all(), payload.lost_to_id, field="lost_to_id")
    services.deal_close_lost(
        actor=actor, deal=deal, reason=reason, note=payload.note, lost_to=lost_to
    )
    return _fresh(deal)


@router.get(
    "/deals/{int:deal_id}/activities",
    response={200: list[ActivityOut], 404: ErrorOut},
    tags=["deals"],
    summary="The deal's activities, newest first",
)
def list_activities(request: HttpRequest, deal_id: int) -> Any:
    deal = get_object_or_404(api_selectors.deals_for_api(api_user(request)), pk=deal_id)
    return api_selectors.deal_activities(deal=deal)


@router.post(
    "/deals/{int:deal_id}/activities",
    response={201: ActivityOut, **ERRORS},
    tags=["deals"],
    summary="Log a call, meeting, email, note or task on the deal",
)
def log_activity(request: HttpRequest, deal_id: int, payload: ActivityIn) -> Any:
    actor, deal = _deal_for_change(request, deal_id)
    activity = services.activity_log(actor=actor, deal=deal, **payload.model_dump())
    return Status(201, api_selectors.deal_activities(deal=deal).get(pk=activity.pk))


@router.post(
    "/deals/{int:deal_id}/reopen",
    response={200: DealOut, **ERRORS},
    tags=["deals"],
    summary="Reopen a won or lost deal in its pipeline's last open stage",
)
def reopen_deal(request: HttpRequest, deal_id: int) -> Any:
    actor, deal = _deal_for_change(request, deal_id)
    services.deal_reopen(actor=actor, deal=deal)
    return _fresh(deal)


@router.delete(
    "/deals/{int:deal_id}",
    response={204: None, **ERRORS},
    tags=["deals"],
    summary="Delete a deal that is not won; admins and managers of the deal's team",
)
def delete_deal(request: HttpRequest, deal_id: int) -> Any:
    actor = api_user(request)
    deal = get_object_or_404(api_selectors.deals_for_api(actor), pk=deal_id)
    services.deal_delete(actor=actor, deal=deal)
    return Status(204, None)
