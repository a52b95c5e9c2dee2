"""Sending content-library items to a deal's contacts, and recording when the link is opened."""

import secrets
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from revline.content.models import ContentItem
from revline.core import permissions
from revline.core.models import User
from revline.core.visibility import can_view_contact
from revline.email.selectors import address_suppressed
from revline.email.template_selectors import sender_header
from revline.people import events
from revline.people.models import Contact

from .activity_services import EDIT_DENIED, activity_log
from .models import ActivityKind, ContentShare, Deal

MESSAGE_MAX = 2000
TOKEN_MAX = 64
SUPPRESSED = (
    "This address is on the email suppression list (it bounced, complained or unsubscribed "
    "from all email): nothing was sent. Reach this contact another way."
)


def deal_contacts(deal: Deal, *, viewer: User | None = None) -> list[Contact]:
    """The deal's primary contact, then its buying committee, each once; with `viewer`, only
    those `viewer` may see (core.visibility): a hidden contact is neither offered nor sent to."""
    contacts: dict[int, Contact] = {}
    if deal.contact is not None:
        contacts[deal.contact.pk] = deal.contact
    for member in deal.committee.select_related("contact__owner").order_by("pk"):
        contacts.setdefault(member.contact.pk, member.contact)
    if viewer is None:
        return list(contacts.values())
    return [c for c in contacts.values() if can_view_contact(viewer, c)]


def share_url(share: ContentShare) -> str:
    return settings.BASE_URL + reverse("share_open", args=[share.token])


@transaction.atomic
def content_share_send(
    *,
    actor: User,
    deal: Deal,
    contact: Contact,
    content_item: ContentItem,
    message: str = "",
    now: datetime | None = None,
) -> ContentShare:
    """Email `contact` a tracked link to `content_item`, record the send on the deal and the
    contact's timeline. All or nothing: a mail server that refuses leaves no share behind.

    A one-to-one sales email needs no marketing consent, but an address on the suppression
    list (bounced, complained, unsubscribed from all email) never gets one."""
    permissions.require(permissions.can_edit_deal(actor, deal), EDIT_DENIED)
    message = message.strip()
    errors: dict[str, str] = {}
    if contact.pk not in {c.pk for c in deal_contacts(deal, viewer=actor)}:
        errors["contact"] = "Send content only to the deal's contact or its buying committee."
    elif not contact.email:
        errors["contact"] = "This contact has no email address."
    elif address_suppressed(contact.email):
        errors["contact"] = SUPPRESSED
    if len(message) > MESSAGE_MAX:
        errors["message"] = f"Keep the message under {MESSAGE_MAX} characters."
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    share = ContentShare.objects.create(
        deal=deal,
        contact=contact,
        content_item=content_item,
        token=secrets.token_urlsafe(32),
        message=message,
        sent_by=actor,
        sent_at=now,
    )
    activity_log(
        actor=actor,
        kind=ActivityKind.EMAIL,
        subject=f"Sent content: {content_item.title}"[:200],
        body=message,
        deal=deal,
        contact=contact,
        occurred_at=now,
    )
    context = {
        "share": share,
        "contact": contact,
        "item": content_item,
        "sender": actor,
        "url": share_url(share),
    }
    mail = EmailMultiAlternatives(
        subject=f"{actor.get_full_name() or actor.username} sent you: {content_item.title}"[:200],
        body=render_to_string("sales/share_email.txt", context),
        from_email=sender_header(),
        to=[contact.email],
        reply_to=[actor.email] if actor.email else None,
    )
    mail.attach_alternative(render_to_string("sales/share_email.html", context), "text/html")
    try:
        mail.send()
    except Exception as exc:  # any backend failure: nothing is recorded
        raise ValidationError(f"The email could not be sent ({exc.__class__.__name__}).") from exc
    return share


def content_share_open(*, token: str, now: datetime | None = None) -> ContentShare | None:
    """Count one open of the link with this token; None for an unknown token."""
    if not token or len(token) > TOKEN_MAX:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        updated = ContentShare.objects.filter(token=token).update(
            open_count=F("open_count") + 1,
            first_opened_at=Coalesce(F("first_opened_at"), now),
            last_opened_at=now,
        )
        if not updated:
            return None
        share = ContentShare.objects.select_related("contact", "content_item", "deal").get(
            token=token
        )
        events.content_share_opened(contact=share.contact, share=share, occurred_at=now)
    return share
