"""Reads for tracking: the website snippet's install code and whether events are arriving."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from .models import Touchpoint, TouchpointKind


def snippet_url() -> str:
    return f"{settings.BASE_URL}{reverse('tracking:snippet')}"


def snippet_install_code(*, requires_consent: bool) -> str:
    """The tag a customer pastes into every page of their site (shown escaped, never rendered)."""
    consent = ' data-consent="required"' if requires_consent else ""
    return f'<script async src="{snippet_url()}"{consent}></script>'


@dataclass(frozen=True)
class SnippetActivity:
    last_event: Touchpoint | None


def snippet_activity() -> SnippetActivity:
    """The newest event sent by the snippet, to tell whether the install works.

    Snippet events are the touchpoints with a client event id; the newest by primary key is found
    walking the primary-key index backwards, cheap while the site sends events.
    """
    last = (
        Touchpoint.objects.filter(
            event_id__isnull=False, kind__in=[TouchpointKind.PAGE_VIEW, TouchpointKind.CTA_CLICK]
        )
        .only("kind", "occurred_at", "url")
        .order_by("-pk")
        .first()
    )
    return SnippetActivity(last_event=last)
