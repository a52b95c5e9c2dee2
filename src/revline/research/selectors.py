"""Reads for personas and research notes.

A persona's contacts are never stored: each read compiles its rule with the segment compiler, so
the match is one SQL query over the contacts as they are now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest

from revline.content.models import ContentItem
from revline.core.listing import Column, Listing, build_listing
from revline.people.models import Contact
from revline.sales.models import Competitor
from revline.segments import definition as defs
from revline.segments.compiler import compile_definition
from revline.segments.models import Segment
from revline.segments.selectors import segment_labels

from .models import NoteKind, Persona, ResearchNote

SAMPLE_SIZE = 20

PERSONA_COLUMNS = (
    Column("name", "Persona", "name"),
    Column("contacts", "Matching contacts"),
    Column("notes", "Research notes"),
    Column("updated", "Updated", "updated_at"),
)
NOTE_COLUMNS = (
    Column("title", "Title", "title"),
    Column("kind", "Kind", "kind"),
    Column("tags", "Tags"),
    Column("author", "Author", "author__username"),
    Column("date", "Date", "date"),
)


def lines(text: str) -> list[str]:
    """The non-empty lines of a one-item-per-line field."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def persona_get(*, pk: int) -> Persona | None:
    return Persona.objects.select_related("created_by").filter(pk=pk).first()


def persona_contacts(*, persona: Persona, now: datetime | None = None) -> QuerySet[Contact]:
    """The contacts the persona's rule matches now, as one query (ValidationError if the stored
    rule no longer validates)."""
    return Contact.objects.filter(compile_definition(persona.definition, now=now))


def persona_count(*, persona: Persona) -> int | None:
    """How many contacts match; None when the stored rule no longer validates."""
    try:
        return persona_contacts(persona=persona).order_by().count()
    except ValidationError:
        return None


def definition_count(*, definition: Any) -> int:
    """The live count of the persona form (ValidationError if the rule is incomplete)."""
    return Contact.objects.filter(compile_definition(definition)).order_by().count()


def persona_choices() -> list[tuple[int, str]]:
    return list(Persona.objects.order_by("name", "pk").values_list("id", "name"))


@dataclass(frozen=True)
class PersonaRow:
    persona: Persona
    count: int | None
    notes: int


def persona_listing(request: HttpRequest) -> tuple[Listing, list[PersonaRow]]:
    """The list page: `?q=` over name, description, titles and industries; `?sort=`; `?page=`."""
    listing = build_listing(
        request,
        Persona.objects.all(),
        columns=PERSONA_COLUMNS,
        search_fields=("name", "description", "typical_titles", "typical_industries"),
        default_sort="name",
    )
    personas = list(listing.page)
    counted = (
        ResearchNote.personas.through.objects.filter(persona_id__in=[p.pk for p in personas])
        .order_by()
        .values("persona_id")
        .annotate(n=Count("pk"))
    )
    note_counts = {row["persona_id"]: row["n"] for row in counted}
    rows = [PersonaRow(p, persona_count(persona=p), note_counts.get(p.pk, 0)) for p in personas]
    return listing, rows


@dataclass(frozen=True)
class PersonaDetail:
    persona: Persona
    goals: list[str]
    pains: list[str]
    titles: list[str]
    industries: list[str]
    rule: list[defs.Line]
    error: str
    count: int | None
    sample: list[Contact]
    notes: list[ResearchNote]


def persona_detail(*, persona: Persona) -> PersonaDetail:
    checked = defs.check(persona.definition)
    error, rule, count, sample = "", [], None, []
    if checked.errors:
        error = " ".join(checked.errors[path] for path in sorted(checked.errors))
    else:
        rule = defs.describe(checked.definition, segment_labels(checked.definition))
        contacts = persona_contacts(persona=persona)
        count = contacts.order_by().count()
        sample = list(
            contacts.select_related("company").order_by("-created_at", "-pk")[:SAMPLE_SIZE]
        )
    notes = list(persona.notes.select_related("author").order_by("-date", "-pk")[:50])
    return PersonaDetail(
        persona=persona,
        goals=lines(persona.goals),
        pains=lines(persona.pains),
        titles=lines(persona.typical_titles),
        industries=lines(persona.typical_industries),
        rule=rule,
        error=error,
        count=count,
        sample=sample,
        notes=notes,
    )


# --- Research notes ----------------------------------------------------------------------------


def note_get(*, pk: int) -> ResearchNote | None:
    return (
        ResearchNote.objects.select_related("author")
        .prefetch_related("personas", "competitors", "segments", "informs")
        .filter(pk=pk)
        .first()
    )


def _tagged(param: str, lookup: str, request: HttpRequest) -> Q:
    value = request.GET.get(param, "")
    if not value:
        return Q()
    if not value.isdigit() or len(value) > 18:
        return Q(pk__in=[])
    return Q(**{lookup: int(value)})


def note_listing(request: HttpRequest) -> Listing:
    """The list page: `?q=` over title and text, `?kind=`, `?persona=`, `?competitor=`,
    `?segment=` (ids), `?sort=`, `?page=`."""
    notes = ResearchNote.objects.select_related("author").prefetch_related(
        Prefetch("personas", queryset=Persona.objects.order_by("name")),
        Prefetch("competitors", queryset=Competitor.objects.order_by("name")),
        Prefetch("segments", queryset=Segment.objects.order_by("name")),
    )
    tag_filter = (
        _tagged("persona", "personas__id", request)
        & _tagged("competitor", "competitors__id", request)
        & _tagged("segment", "segments__id", request)
    )
    if tag_filter:
        # The tag joins may repeat a note; filter by id instead of DISTINCT over the whole row.
        notes = notes.filter(pk__in=ResearchNote.objects.filter(tag_filter).values("pk"))
    return build_listing(
        request,
        notes,
        columns=NOTE_COLUMNS,
        search_fields=("title", "body"),
        filters={"kind": "kind"},
        default_sort="-date",
    )


@dataclass(frozen=True)
class NoteFilterChoices:
    kinds: list[tuple[str, str]]
    personas: list[tuple[int, str]]
    competitors: list[tuple[int, str]]
    segments: list[tuple[int, str]]


def note_filter_choices() -> NoteFilterChoices:
    return NoteFilterChoices(
        kinds=list(NoteKind.choices),
        personas=persona_choices(),
        competitors=list(Competitor.objects.order_by("name").values_list("id", "name")[:500]),
        segments=list(Segment.objects.order_by("name").values_list("id", "name")[:500]),
    )


def content_choices() -> list[tuple[int, str]]:
    """Content items a note may inform, newest first (the form's list)."""
    return list(ContentItem.objects.order_by("-created_at", "-pk").values_list("id", "title")[:500])
