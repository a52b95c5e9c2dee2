"""Writes for segments. Everyone may read segments; marketers and admins create and change them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User

from . import definition as defs
from .models import Segment
from .selectors import missing_references

MARKETING_ONLY = "Only marketers and admins manage segments."


def _require_marketer(actor: User | None) -> None:
    if actor is not None:
        permissions.require(permissions.can_manage_marketing(actor), MARKETING_ONLY)


def _clean(name: str, definition: Any) -> tuple[str, dict[str, Any]]:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the segment a name."]
    elif len(name) > 200:
        errors["name"] = ["The name is longer than 200 characters."]
    checked = defs.check(definition)
    problems = [checked.errors[path] for path in sorted(checked.errors)]
    if not problems:
        problems = missing_references(checked.definition)
    if problems:
        errors["definition"] = problems
    if errors:
        raise ValidationError(errors)
    return name, checked.definition


@transaction.atomic
def segment_create(
    *, actor: User | None, name: str, definition: Any, description: str = ""
) -> Segment:
    """Create a segment whose definition is valid and names only existing records.

    `actor=None` is for system callers (demo data); people need can_manage_marketing."""
    _require_marketer(actor)
    name, checked = _clean(name, definition)
    segment = Segment.objects.create(
        name=name, description=(description or "").strip(), definition=checked, created_by=actor
    )
    audit_create(actor=actor, obj=segment)
    return segment


@transaction.atomic
def segment_update(
    *,
    actor: User | None,
    segment: Segment,
    name: str | None = None,
    definition: Any = None,
    description: str | None = None,
) -> Segment:
    """Change a segment; on any error nothing changes (neither the row nor `segment`)."""
    _require_marketer(actor)
    current = Segment.objects.select_for_update().get(pk=segment.pk)
    before = snapshot(current)
    new_name, checked = _clean(
        current.name if name is None else name,
        current.definition if definition is None else definition,
    )
    current.name = new_name
    current.definition = checked
    if description is not None:
        current.description = description.strip()
    current.save()
    audit_update(actor=actor, obj=current, before=before)
    segment.name, segment.definition = current.name, current.definition
    segment.description, segment.updated_at = current.description, current.updated_at
    return current


@transaction.atomic
def segment_delete(*, actor: User | None, segment: Segment) -> None:
    """Delete a segment no email uses. Campaigns that use it as audience simply lose it."""
    _require_marketer(actor)
    emails = list(segment.emails.order_by("name").values_list("name", flat=True)[:5])
    if emails:
        total = segment.emails.count()
        names = ", ".join(f"“{n}”" for n in emails) + (" and others" if total > len(emails) else "")
        raise ValidationError(
            f"This segment is the audience of {total} email{'s' if total != 1 else ''} "
            f"({names}); change their audience before deleting it."
        )
    audit_delete(actor=actor, obj=segment)
    segment.delete()
