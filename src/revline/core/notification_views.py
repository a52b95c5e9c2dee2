from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from revline.core.listing import Column, build_listing

from .models import Notification, User
from .notifications import notifications_for, notifications_mark_read, notifications_unread_count

COLUMNS = [
    Column("status", "Status", "is_read"),
    Column("created", "When", "created_at"),
]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The signed-in user's notifications, unread first, newest first."""
    user = _user(request)
    unread_only = request.GET.get("unread") == "1"
    found = notifications_for(user).annotate(
        is_read=Case(
            When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    )
    if unread_only:
        found = found.filter(read_at__isnull=True)
    listing = build_listing(
        request, found, columns=COLUMNS, search_fields=["text"], default_sort="status"
    )
    context = {
        "listing": listing,
        "unread": notifications_unread_count(user),
        "unread_only": unread_only,
    }
    return render(request, "core/notifications.html", context)


def _safe_path(url: str) -> str:
    """Notifications link to paths on this site only; anything else goes to the list."""
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return ""


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark all of the user's notifications read; with `open`, mark that one read and go to its
    page. Only the user's own notifications are ever touched."""
    user = _user(request)
    opened = request.POST.get("open", "")
    if opened:
        if not opened.isdigit():
            return HttpResponse("Unknown notification.", status=400)
        notification = get_object_or_404(Notification, pk=int(opened), user=user)
        notifications_mark_read(user=user, ids=[notification.pk])
        return redirect(_safe_path(notification.url) or "notifications")
    count = notifications_mark_read(user=user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("notifications")


@login_required
@require_GET
def notifications_badge(request: HttpRequest) -> HttpResponse:
    """The sidebar link with the unread count, loaded after the page (so pages pay no query)."""
    unread = notifications_unread_count(_user(request))
    return render(request, "core/notifications_badge.html", {"unread": unread})
