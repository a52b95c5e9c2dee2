"""Outbound webhooks: endpoints that subscribe to event types, the event outbox, deliveries."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models


class EventType(models.TextChoices):
    CONTACT_CREATED = "contact.created", "Contact created"
    CONTACT_UPDATED = "contact.updated", "Contact updated"
    CONTACT_LIFECYCLE_CHANGED = "contact.lifecycle_changed", "Contact lifecycle stage changed"
    FORM_SUBMITTED = "form.submitted", "Form submitted"
    DEAL_STAGE_CHANGED = "deal.stage_changed", "Deal stage changed"
    DEAL_WON = "deal.won", "Deal won"
    DEAL_LOST = "deal.lost", "Deal lost"
    QUOTE_ACCEPTED = "quote.accepted", "Quote accepted"
    EMAIL_UNSUBSCRIBED = "email.unsubscribed", "Email unsubscribed"
    # Sent only by the "Send test event" button, to the one endpoint it was pressed for.
    WEBHOOK_TEST = "webhook.test", "Test event"


def secret_generate() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class Endpoint(models.Model):
    url = models.URLField("URL", max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    # Kept in clear: it signs every delivery. Shown to admins only (on creation and on request).
    secret = models.CharField(max_length=100, default=secret_generate)
    # After a rotation the old secret still signs (as a second signature) until it expires, so
    # receivers can switch to the new one without dropping deliveries.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["url", "pk"]

    def __str__(self) -> str:
        return self.description or self.url


class Event(models.Model):
    """The outbox: written in the transaction of the change it reports; its id never changes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=60, choices=EventType.choices)
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["type", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"  # refused by the receiver (4xx) or the SSRF check: not retried
    DEAD = "dead", "Dead"  # retried until the 3-day limit without success


class Delivery(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # Pending: when the next attempt is due (also pushed ahead while an attempt is in flight).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replays = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"
