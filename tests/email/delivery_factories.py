"""Emails and sends for the deliverability tests, shaped like the ones the sending area makes."""

import secrets

from django.utils import timezone

from revline.email.models import Email, EmailStatus, Send, SendState
from revline.people.models import Contact
from revline.people.services import consent_record


def make_contact(email: str = "ada@example.com", first_name: str = "Ada") -> Contact:
    contact = Contact.objects.create(email=email, first_name=first_name, source="test")
    consent_record(contact=contact, purpose="marketing_email", granted=True, source="test")
    return contact


def make_send(
    contact: Contact,
    *,
    email: Email | None = None,
    message_id: str = "",
    name: str = "Spring news",
) -> Send:
    email = email or Email.objects.create(
        name=name, subject="Our spring news", status=EmailStatus.SENT
    )
    token = secrets.token_urlsafe(24)
    return Send.objects.create(
        email=email,
        contact=contact,
        to_address=contact.email,
        state=SendState.SENT,
        message_id=message_id or f"<revline.{token}@example.org>",
        token=token,
        queued_at=timezone.now(),
        sent_at=timezone.now(),
    )
