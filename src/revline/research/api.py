"""Personas, research notes and market insights over the JSON API.

Everyone reads. Marketers and admins manage personas; any active user writes research notes,
and a note is changed or deleted by its author, a marketer or an admin (as in the UI).
"""

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
    NotePatch,
    PersonaFilters,
    PersonaIn,
    PersonaOut,
    PersonaPatch,
    group_out,
)

router = Router(tags=["research"])

TAG_FIELDS = ("personas", "competitors", "segments", "informs")
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


def _marketer(request: HttpRequest) -> Any:
    actor = api_user(request)
    permissions.require(permissions.can_manage_marketing(actor), services.MARKETING_ONLY)
    return actor


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
    sort = filters.sort
    return personas.order_by(sort, "-pk" if sort.startswith("-") else "pk")


@router.post("/personas", response={201: PersonaOut, **ERRORS})
def create_persona(request: HttpRequest, payload: PersonaIn) -> Any:
    actor = _marketer(request)
    persona = services.persona_create(actor=actor, **payload.model_dump())
    return Status(201, _with_count(_personas().get(pk=persona.pk)))


@router.get("/personas/{int:persona_id}", response={200: PersonaOut, 404: ErrorOut})
def get_persona(request: HttpRequest, persona_id: int) -> Any:
    api_user(request)
    return _with_count(get_object_or_404(_personas(), pk=persona_id))


@router.patch(
    "/personas/{int:persona_id}",
    response={200: PersonaOut, **ERRORS},
    summary="Change a persona; only the fields sent change",
)
def update_persona(request: HttpRequest, persona_id: int, payload: PersonaPatch) -> Any:
    actor = _marketer(request)
    persona = get_object_or_404(_personas(), pk=persona_id)
    services.persona_update(actor=actor, persona=persona, **payload.model_dump(exclude_unset=True))
    return _with_count(_personas().get(pk=persona.pk))


@router.delete(
    "/personas/{int:persona_id}",
    response={204: None, **ERRORS},
    summary="Delete a persona; notes lose the tag, contacts are not touched",
)
def delete_persona(request: HttpRequest, persona_id: int) -> Any:
    actor = _marketer(request)
    services.persona_delete(actor=actor, persona=get_object_or_404(_personas(), pk=persona_id))
    return Status(204, None)


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
    sort = filters.sort
    return notes.order_by(sort, "-pk" if sort.startswith("-") else "pk")


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


@router.patch(
    "/research-notes/{int:note_id}",
    response={200: NoteOut, **ERRORS},
    summary="Change a note (its author, marketers, admins); a tag list sent replaces it",
)
def update_note(request: HttpRequest, note_id: int, payload: NotePatch) -> Any:
    actor = api_user(request)
    note = get_object_or_404(_notes(), pk=note_id)
    permissions.require(services.can_edit_note(actor, note), services.NOTE_EDITORS_ONLY)
    data: dict[str, Any] = {
        "title": note.title,
        "body": note.body,
        "kind": note.kind,
        "date": note.date,
        **{key: [tag.pk for tag in getattr(note, key).all()] for key in TAG_FIELDS},
    }
    data.update(payload.model_dump(exclude_unset=True))
    services.research_note_update(actor=actor, note=note, **data)
    return _notes().get(pk=note.pk)


@router.delete(
    "/research-notes/{int:note_id}",
    response={204: None, **ERRORS},
    summary="Delete a note (its author, marketers, admins)",
)
def delete_note(request: HttpRequest, note_id: int) -> Any:
    actor = api_user(request)
    note = get_object_or_404(ResearchNote.objects.all(), pk=note_id)
    services.research_note_delete(actor=actor, note=note)
    return Status(204, None)
