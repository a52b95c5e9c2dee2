"""Who may see whole-audience marketing numbers.

Marketing reports count every contact of the workspace (leads, MQLs, SQLs, funnels, customers,
form submissions, email recipients, ...), mostly from pre-aggregated tables that cannot be
narrowed to the contacts one person may see. So the rule is all or nothing: a person sees
these numbers only when they may see every contact (core.visibility). Admins and marketers
always do; sales reps and managers only while the workspace's contact setting is "all".
Deal and revenue figures are not concerned: they follow the deal setting wherever they appear.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import RecordVisibility, User

REFUSAL = (
    "These reports count every contact of the workspace; your workspace shows you only {whose} "
    "contacts. Ask a marketer or an admin."
)

# Pages that show a whole-audience figure beside others: the one line in place of that block.
HIDDEN = (
    "Hidden: these figures count every contact; your workspace shows you only {whose} contacts."
)


def sees_whole_audience(user: User) -> bool:
    """True when `user` may see numbers counted over every contact of the workspace."""
    from .visibility import scope_for  # visibility imports permissions, keep the import lazy

    return user.is_active and scope_for(user, "contact") == RecordVisibility.ALL


def _whose(user: User) -> str:
    from .visibility import scope_for

    return "your team's" if scope_for(user, "contact") == RecordVisibility.TEAM else "your own"


def whole_audience(viewer: User | None) -> bool:
    """Like sees_whole_audience, with None for callers that are no person (jobs, exports, a
    marketer's write), which see everything."""
    return viewer is None or sees_whole_audience(viewer)


def refusal_reason(user: User) -> str:
    return REFUSAL.format(whose=_whose(user))


def hidden_note(user: User) -> str:
    """The muted line a page shows in place of whole-audience figures it leaves out."""
    return HIDDEN.format(whose=_whose(user))


def require_whole_audience(user: User) -> None:
    """For API routes and services: PermissionDenied (403 with the reason) when narrowed."""
    if not sees_whole_audience(user):
        raise PermissionDenied(refusal_reason(user))


def audience_report(view: Callable[..., Any]) -> Callable[..., Any]:
    """Guard for whole-audience report pages: a narrowed reader gets a 403 page saying why.
    Put it under @login_required so that anonymous visitors are sent to the log-in page."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        user = request.user
        if not sees_whole_audience(user):  # type: ignore[arg-type]
            return audience_refused(request)
        return view(request, *args, **kwargs)

    return guarded


def audience_refused(request: HttpRequest) -> HttpResponse:
    reason = refusal_reason(request.user)  # type: ignore[arg-type]
    return render(request, "core/audience_refused.html", {"reason": reason}, status=403)
