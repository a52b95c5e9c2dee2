from typing import Any

from django.conf import settings
from django.http import HttpRequest

from . import permissions


def revline(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "base_currency": settings.CURRENCY,
        "perms_ui": {
            "manage_users": authenticated and permissions.can_manage_users(user),  # type: ignore[arg-type]
            "manage_marketing": authenticated and permissions.can_manage_marketing(user),  # type: ignore[arg-type]
            "create_deals": authenticated and permissions.can_create_deals(user),  # type: ignore[arg-type]
            "manage_pipelines": authenticated and permissions.can_manage_pipelines(user),  # type: ignore[arg-type]
        },
    }
