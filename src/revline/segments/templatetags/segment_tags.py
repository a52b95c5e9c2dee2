"""Segments shown in other areas' pages: the contact list's segment filter, a segment's size."""

from typing import Any

from django import template
from django.core.exceptions import ValidationError

from revline.segments.models import Segment
from revline.segments.selectors import segment_choices, segment_count

register = template.Library()


@register.inclusion_tag("segments/_filter_select.html")
def segment_filter_select(selected: Any = "") -> dict[str, Any]:
    """A `<select name="segment">` for a list page's filter bar."""
    return {"choices": segment_choices(), "selected": str(selected or "")}


@register.simple_tag
def segment_size(segment: Segment | None) -> int | None:
    """Contacts in the segment now, or None (no segment, or a definition that needs fixing)."""
    if segment is None:
        return None
    try:
        return segment_count(definition=segment.definition)
    except ValidationError:
        return None
