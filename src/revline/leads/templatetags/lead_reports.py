"""Template filters of the hand-off reports and the one view: durations and @mentions."""

from collections.abc import Collection
from datetime import timedelta

from django import template
from django.utils.safestring import SafeString

from revline.campaigns.models import Channel
from revline.leads.mentions import render_mentions

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A median duration for people: "3 h", "2.5 days"; "—" when there is none."""
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h".replace(".0 h", " h")
    days = hours / 24
    return f"{days:.1f} days".replace(".0 days", " days")


@register.filter
def channel_label(value: str) -> str:
    """A channel's name ("paid_search" → "Paid search"); unknown values as they are."""
    try:
        return str(Channel(value).label)
    except ValueError:
        return value


@register.filter
def mentions(text: str, known: Collection[str] | None) -> SafeString:
    """The note text escaped, with mentions of active users highlighted."""
    return render_mentions(text, known or ())
