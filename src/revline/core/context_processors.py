import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from . import permissions
from .audience import hidden_note, sees_whole_audience
from .models import Workspace
from .workspace import workspace_get


def revline(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "base_currency": settings.CURRENCY,
        # Called only where a template reads it (the admins' banner in base.html).
        "outbound_paused": _outbound_paused,
        "perms_ui": {
            "manage_users": authenticated and permissions.can_manage_users(user),  # type: ignore[arg-type]
            "manage_marketing": authenticated and permissions.can_manage_marketing(user),  # type: ignore[arg-type]
            "create_deals": authenticated and permissions.can_create_deals(user),  # type: ignore[arg-type]
            "manage_pipelines": authenticated and permissions.can_manage_pipelines(user),  # type: ignore[arg-type]
            # Whole-audience marketing reports (core.audience): read once, only if a template asks.
            "whole_audience": functools.cache(
                lambda: authenticated and sees_whole_audience(user)  # type: ignore[arg-type]
            ),
            # The line partials/audience_hidden.html shows in place of those figures.
            "audience_hidden": functools.cache(
                lambda: hidden_note(user) if authenticated else ""  # type: ignore[arg-type]
            ),
        },
    }


def _outbound_paused() -> Workspace | None:
    """The workspace when a restore has paused its outbound email, else None."""
    workspace = workspace_get()
    return workspace if workspace.outbound_paused_at is not None else None
