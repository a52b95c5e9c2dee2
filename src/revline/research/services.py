"""Writes for personas and research notes.

Everyone reads both. Marketers and admins manage personas; any active user writes research notes,
and a note is changed or deleted by its author, a marketer or an admin.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.content.models import ContentItem
from revline.core import permissions
from revline.core.models import User
from revline.pr.html import html_sanitize
from revline.sales.models import Competitor
from revline.segments import definition as defs
from revline.segments.models import Segment
from revline.segments.selectors import missing_references

from .models import NoteKind, Persona, ResearchNote

MARKETING_ONLY = "Only marketers and admins manage personas."
NOTE_EDITORS_ONLY = "Only the author of a note, marketers and admins change it."
MAX_NAME = 100
MAX_TITLE = 200
MAX_TEXT = 5000
MAX_BODY = 200_000
MAX_TAGS = 100


def can_edit_note(user: User, note: ResearchNote) -> bool:
    if not user.is_active:
        return False
    return permissions.can_manage_marketing(user) or (
        note.author_id is not None and note.author_id == user.pk
    )


def _require_marketer(actor: User | None) -> None:
    if actor is not None:
        permissions.require(permissions.can_manage_marketing(actor), MARKETING_ONLY)


# --- Personas ----------------------------------------------------------------------------------


def _persona_clean(
    *, name: str, definition: Any, fields: dict[str, str], exclude_pk: int | None
) -> tuple[str, dict[str, Any], dict[str, str]]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Give the persona a name."]
    elif len(name) > MAX_NAME:
        errors["name"] = [f"The name is longer than {MAX_NAME} characters."]
    elif Persona.objects.filter(name__iexact=name).exclude(pk=exclude_pk or 0).exists():
        errors["name"] = [f"There is already a persona called “{name}”."]
    cleaned: dict[str, str] = {}
    for key, value in fields.items():
        text = (value or "").strip()
        if len(text) > MAX_TEXT:
            errors[key] = [f"At most {MAX_TEXT:,} characters."]
        cleaned[key] = text
    checked = defs.check(definition)
    problems = [checked.errors[path] for path in sorted(checked.errors)]
    if not problems and not checked.definition["conditions"]:
        problems = ["Add at least one condition: a persona without a rule would match everyone."]
    if not problems:
        problems = missing_references(checked.definition)
    if problems:
        errors["definition"] = problems
    if errors:
        raise ValidationError(errors)
    return name, checked.definition, cleaned


@transaction.atomic
def persona_create(
    *,
    actor: User | None,
    name: str,
    definition: Any,
    description: str = "",
    goals: str = "",
    pains: str = "",
    typical_titles: str = "",
    typical_industries: str = "",
) -> Persona:
    """Create a persona whose rule is a valid, non-empty segment definition naming only existing
    records. `actor=None` is for system callers (demo data)."""
    _require_marketer(actor)
    fields = {
        "description": description,
        "goals": goals,
        "pains": pains,
        "typical_titles": typical_titles,
        "typical_industries": typical_industries,
    }
    name, checked, cleaned = _persona_clean(
        name=name, definition=definition, fields=fields, exclude_pk=None
    )
    persona = Persona.objects.create(name=name, definition=checked, created_by=actor, **cleaned)
    audit_create(actor=actor, obj=persona)
    return persona


@transaction.atomic
def persona_update(
    *,
    actor: User | None,
    persona: Persona,
    name: str | None = None,
    definition: Any = None,
    description: str | None = None,
    goals: str | None = None,
    pains: str | None = None,
    typical_titles: str | None = None,
    typical_industries: str | None = None,
) -> Persona:
    """Change a persona; arguments left None keep their value. On any error nothing changes."""
    _require_marketer(actor)
    current = Persona.objects.select_for_update().get(pk=persona.pk)
    before = snapshot(current)
    given = {
        "description": description,
        "goals": goals,
        "pains": pains,
        "typical_titles": typical_titles,
        "typical_industries": typical_industries,
    }
    fields = {k: getattr(current, k) if v is None else v for k, v in given.items()}
    new_name, checked, cleaned = _persona_clean(
        name=current.name if name is None else name,
        definition=current.definition if definition is None else definition,
        fields=fields,
        exclude_pk=current.pk,
    )
    current.name, current.definition = new_name, checked
    for key, value in cleaned.items():
        setattr(current, key, value)
    current.save()
    audit_update(actor=actor, obj=current, before=before)
    persona.refresh_from_db()
    return current


@transaction.atomic
def persona_delete(*, actor: User | None, persona: Persona) -> None:
    """Delete a persona. Notes tagged with it lose the tag; contacts are not touched."""
    _require_marketer(actor)
    audit_delete(actor=actor, obj=persona)
    persona.delete()


# --- Research notes ----------------------------------------------------------------------------


def _ids(values: Iterable[Any] | None, what: str, errors: dict[str, list[str]]) -> list[int]:
    out: list[int] = []
    for value in list(values or [])[: MAX_TAGS + 1]:
        try:
            number = int(value)
        except (TypeError, ValueError):
            errors.setdefault(what, []).append(f"“{value}” is not an id.")
            continue
        if not 1 <= number <= 2**63 - 1:
            errors.setdefault(what, []).append(f"“{value}” is not an id.")
            continue
        out.append(number)
    if len(out) > MAX_TAGS:
        errors.setdefault(what, []).append(f"At most {MAX_TAGS} tags.")
    return sorted(set(out))


_TAG_MODELS: dict[str, tuple[Any, str]] = {
    "personas": (Persona, "persona"),
    "competitors": (Competitor, "competitor"),
    "segments": (Segment, "segment"),
    "informs": (ContentItem, "content item"),
}


def _note_clean(
    *, title: str, body: str, kind: str, day: date | None, tags: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["Give the note a title."]
    elif len(title) > MAX_TITLE:
        errors["title"] = [f"The title is longer than {MAX_TITLE} characters."]
    if kind not in NoteKind.values:
        errors["kind"] = [f"Choose one of {', '.join(NoteKind.values)}."]
    if day is None:
        errors["date"] = ["Enter the date of the research."]
    if len(body or "") > MAX_BODY:
        errors["body"] = [f"The text is longer than {MAX_BODY:,} characters."]
    ids = {key: _ids(tags.get(key), key, errors) for key in _TAG_MODELS}
    for key, found_ids in ids.items():
        model, label = _TAG_MODELS[key]
        found = set(model.objects.filter(pk__in=found_ids).values_list("pk", flat=True))
        for pk in found_ids:
            if pk not in found:
                errors.setdefault(key, []).append(f"There is no {label} with id {pk}.")
    if errors:
        raise ValidationError(errors)
    clean = {"title": title, "body": html_sanitize(body or "").strip(), "kind": kind, "date": day}
    return clean, ids


def _tag_ids(note: ResearchNote) -> dict[str, list[int]]:
    return {key: sorted(getattr(note, key).values_list("pk", flat=True)) for key in _TAG_MODELS}


def _set_tags(note: ResearchNote, ids: dict[str, list[int]]) -> None:
    note.personas.set(ids["personas"])
    note.competitors.set(ids["competitors"])
    note.segments.set(ids["segments"])
    note.informs.set(ids["informs"])


@transaction.atomic
def research_note_create(
    *,
    actor: User | None,
    title: str,
    body: str,
    kind: str,
    date: date | None,
    personas: Iterable[Any] = (),
    competitors: Iterable[Any] = (),
    segments: Iterable[Any] = (),
    informs: Iterable[Any] = (),
    author: User | None = None,
) -> ResearchNote:
    """Create a note by `actor` (its author). The body is sanitised to the allow-list before it
    is stored; every tag must exist. `actor=None` (demo data) stores `author` as the author."""
    if actor is not None:
        permissions.require(actor.is_active, "Your account is inactive.")
    tags = {"personas": personas, "competitors": competitors, "segments": segments}
    clean, ids = _note_clean(
        title=title, body=body, kind=kind, day=date, tags={**tags, "informs": informs}
    )
    note = ResearchNote.objects.create(author=actor or author, **clean)
    _set_tags(note, ids)
    audit_create(actor=actor, obj=note)
    return note


@transaction.atomic
def research_note_update(
    *,
    actor: User,
    note: ResearchNote,
    title: str,
    body: str,
    kind: str,
    date: date | None,
    personas: Iterable[Any] = (),
    competitors: Iterable[Any] = (),
    segments: Iterable[Any] = (),
    informs: Iterable[Any] = (),
) -> ResearchNote:
    """Replace a note's text and tags (author, marketer or admin). On any error nothing changes."""
    current = ResearchNote.objects.select_for_update().get(pk=note.pk)
    permissions.require(can_edit_note(actor, current), NOTE_EDITORS_ONLY)
    before, tags_before = snapshot(current), _tag_ids(current)
    tags = {"personas": personas, "competitors": competitors, "segments": segments}
    clean, ids = _note_clean(
        title=title, body=body, kind=kind, day=date, tags={**tags, "informs": informs}
    )
    for key, value in clean.items():
        setattr(current, key, value)
    current.save()
    _set_tags(current, ids)
    # Tags are many-to-many: a snapshot of the row cannot see them.
    changed_tags = {k: [tags_before[k], ids[k]] for k in ids if tags_before[k] != ids[k]}
    audit_update(actor=actor, obj=current, before=before, extra=changed_tags)
    return current


@transaction.atomic
def research_note_delete(*, actor: User, note: ResearchNote) -> None:
    permissions.require(can_edit_note(actor, note), NOTE_EDITORS_ONLY)
    audit_delete(actor=actor, obj=note)
    note.delete()
