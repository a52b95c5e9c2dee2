"""Personas, research notes and market insights over the JSON API."""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.core import permissions
from revline.core.api_support import api_user
from revline.core.schemas import ErrorOut, LimitOffset

from . import insight_selectors, selectors, services
from .models import Persona, ResearchNote
from .schemas import (
    InsightFilters,
    InsightsOut,
    NoteFilters,
    NoteIn,
    NoteOut,
    PersonaFilters,
    PersonaIn,
    PersonaOut,
    group_out,
)

router = Router(tags=["research"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _personas() -> QuerySet[Persona]:
    return Persona.objects.select_related("created_by")


def _with_count(persona: Persona) -> Persona:
    persona.contact_count = selectors.persona_count(persona=persona)  # type: ignore[attr-defined]
    return persona


def _notes() -> QuerySet[ResearchNote]:
    return ResearchNote.objects.select_related("author").prefetch_related(
        "personas", "competitors", "segments", "informs"
    )


@router.get("/personas", response=list[PersonaOut])
@paginate(LimitOffset)
def list_personas(request: HttpRequest, filters: Query[PersonaFilters]) -> Any:
    api_user(request)
    personas = _personas()
    if filters.q:
        q = filters.q
        personas = personas.filter(
            Q(name__icontains=q)
            | Q(description__icontains=q)
            | Q(typical_titles__icontains=q)
            | Q(typical_industries__icontains=q)
        )
    # contact_count is left null in lists: it is one count query per persona.
    return personas.order_by("name", "pk")


@router.post("/personas", response={201: PersonaOut, **ERRORS})
def create_persona(request: HttpRequest, payload: PersonaIn) -> Any:
    actor = api_user(request)
    permissions.require(permissions.can_manage_marketing(actor), services.MARKETING_ONLY)
    persona = services.persona_create(actor=actor, **payload.model_dump())
    return Status(201, _with_count(_personas().get(pk=persona.pk)))


@router.get("/personas/{int:persona_id}", response={200: PersonaOut, 404: ErrorOut})
def get_persona(request: HttpRequest, persona_id: int) -> Any:
    api_user(request)
    return _with_count(get_object_or_404(_personas(), pk=persona_id))


@router.get("/research-notes", response=list[NoteOut])
@paginate(LimitOffset)
def list_notes(request: HttpRequest, filters: Query[NoteFilters]) -> Any:
    api_user(request)
    notes = _notes()
    if filters.q:
        notes = notes.filter(Q(title__icontains=filters.q) | Q(body__icontains=filters.q))
    if filters.kind:
        notes = notes.filter(kind=filters.kind)
    tags = Q()
    if filters.persona:
        tags &= Q(personas__id=filters.persona)
    if filters.competitor:
        tags &= Q(competitors__id=filters.competitor)
    if filters.segment:
        tags &= Q(segments__id=filters.segment)
    if tags:
        notes = notes.filter(pk__in=ResearchNote.objects.filter(tags).values("pk"))
    return notes.order_by("-date", "-pk")


@router.post("/research-notes", response={201: NoteOut, **ERRORS})
def create_note(request: HttpRequest, payload: NoteIn) -> Any:
    actor = api_user(request)
    note = services.research_note_create(actor=actor, **payload.model_dump())
    return Status(201, _notes().get(pk=note.pk))


@router.get("/research-notes/{int:note_id}", response={200: NoteOut, 404: ErrorOut})
def get_note(request: HttpRequest, note_id: int) -> Any:
    api_user(request)
    return get_object_or_404(_notes(), pk=note_id)


@router.get("/insights", response={200: InsightsOut, 422: ErrorOut})
def get_insights(request: HttpRequest, filters: Query[InsightFilters]) -> Any:
    user = api_user(request)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        return Status(422, {"detail": "date_from must be on or before date_to."})
    report = insight_selectors.market_insights(
        viewer=user, start=filters.date_from, end=filters.date_to, predict=filters.predict
    )
    return {
        "currency": report.currency,
        "date_from": report.start,
        "date_to": report.end,
        "predicted": report.predicted,
        "prediction_note": report.prediction_note,
        "dimensions": [
            {
                "key": t.key,
                "label": t.label,
                "median_contacts": t.median_contacts,
                "groups": [group_out(r) for r in t.rows],
                "overall": group_out(t.overall),
            }
            for t in report.tables
        ],
    }
