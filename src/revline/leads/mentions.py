"""@mentions in notes: who a note mentions, notifying them, and showing the mention highlighted.

A mention is `@username` (case-insensitive) of an active user; anything else that looks like one
is plain text. Notes are sales activities of kind "note" (sales.activity_services.activity_log
calls `mentions_notify`)."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING

from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from revline.core.models import User
from revline.core.notifications import notification_send

if TYPE_CHECKING:
    from revline.core.models import Notification
    from revline.sales.models import Activity

# Not after a word character, "@" or ".", so email addresses are not mentions; a name does not
# end with a dot ("thanks @maya." mentions maya).
MENTION = re.compile(r"(?<![\w@.])@([\w.+-]*[\w+-])")
SNIPPET_LENGTH = 120


def mention_names(text: str) -> list[str]:
    """The lower-cased names mentioned in `text`, each once, in order of first mention."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(text or ""):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)


def mentioned_users(names: Collection[str]) -> list[User]:
    """The active users whose username is one of `names` (lower-cased)."""
    if not names:
        return []
    return list(
        User.objects.alias(username_lower=Lower("username"))
        .filter(username_lower__in=list(names), is_active=True)
        .order_by("pk")
    )


def mentionable(texts: Collection[str]) -> frozenset[str]:
    """Of the names mentioned in `texts`, those of active users (lower-cased): one query."""
    names = {name for text in texts for name in mention_names(text)}
    return frozenset(u.username.lower() for u in mentioned_users(names))


def render_mentions(text: str, known: Collection[str]) -> SafeString:
    """`text` escaped, with each mention of a name in `known` wrapped in a highlighted span."""

    def wrap(match: re.Match[str]) -> str:
        if match.group(1).lower() not in known:
            return match.group(0)
        return f'<span class="mention">{match.group(0)}</span>'

    # Escaping keeps "@", letters, digits, ".", "+", "-" and "_" as they are, so the pattern
    # still finds the mentions and the wrapped text is already safe.
    return mark_safe(MENTION.sub(wrap, str(escape(text or ""))))  # noqa: S308


def _target(activity: Activity) -> tuple[str, str]:
    """What the note is on (for the text) and the page it links to."""
    if activity.deal_id is not None and activity.deal is not None:
        return activity.deal.name, reverse("sales:deal", args=[activity.deal_id])
    if activity.contact_id is not None and activity.contact is not None:
        return str(activity.contact), reverse("people:contact", args=[activity.contact_id])
    if activity.company is not None:
        return activity.company.name, reverse("people:company", args=[activity.company_id])
    return "a note", ""


def mentions_notify(*, activity: Activity, actor: User | None) -> list[Notification]:
    """Notify each active user the note mentions, except its author, who may see what the note
    is on (a deal of another team stays unseen). Unknown names are ignored."""
    from revline.sales.models import Deal
    from revline.sales.visibility import deals_visible_to

    text = f"{activity.subject}\n{activity.body}"
    users = [u for u in mentioned_users(mention_names(text)) if actor is None or u.pk != actor.pk]
    if not users:
        return []
    on, url = _target(activity)
    author = (actor.get_full_name() or actor.username) if actor is not None else "Someone"
    snippet = " ".join((activity.body or activity.subject).split())
    if len(snippet) > SNIPPET_LENGTH:
        snippet = snippet[: SNIPPET_LENGTH - 1] + "…"
    sent = []
    for user in users:
        if activity.deal_id is not None and not (
            deals_visible_to(user, Deal.objects.filter(pk=activity.deal_id)).exists()
        ):
            continue
        notification = notification_send(
            user=user,
            kind="mention",
            text=f"{author} mentioned you on {on}: {snippet}",
            url=url,
            actor=actor,
        )
        if notification is not None:
            sent.append(notification)
    return sent
