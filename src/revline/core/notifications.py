"""In-app notifications, optionally mirrored by email. Services and selectors in one module: the
area is small and every app calls `notification_send`."""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import Notification, User

logger = logging.getLogger(__name__)


def notification_send(
    *,
    user: User,
    kind: str,
    text: str,
    url: str = "",
    actor: User | None = None,
    email: bool = False,
    now: datetime | None = None,
) -> Notification | None:
    """Notify an active user in the app, and by email after commit when `email` is set.

    `url` must be a path on this site (it is shown as a link and put into the email). Inactive
    users get nothing (returns None). A failing email is logged, never raised: the notice in the
    app is what counts."""
    if not user.is_active:
        return None
    if url and not url.startswith("/"):
        raise ValueError("A notification links only to a path on this site.")
    notification = Notification.objects.create(
        user=user,
        kind=kind,
        text=text[:300],
        url=url[:300],
        actor=actor,
        created_at=now or timezone.now(),
    )
    if email and user.email:
        transaction.on_commit(lambda: _email(notification))
    return notification


def _email(notification: Notification) -> None:
    from revline.email.template_selectors import sender_header

    link = f"\n\n{settings.BASE_URL}{notification.url}" if notification.url else ""
    try:
        send_mail(
            subject=" ".join(notification.text.split())[:150],
            message=f"{notification.text}{link}\n\n— Revline",
            from_email=sender_header(),
            recipient_list=[notification.user.email],
        )
    except Exception:
        logger.exception("Emailing notification %s failed", notification.pk)


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("actor")


def notifications_unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_mark_read(
    *, user: User, ids: Iterable[int] | None = None, now: datetime | None = None
) -> int:
    """Mark the user's notifications read (all of them when `ids` is None); others' are untouched."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now or timezone.now())
