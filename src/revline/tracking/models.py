import uuid

from django.db import models


class TouchpointKind(models.TextChoices):
    CLICK = "click", "Link click"
    PAGE_VIEW = "page_view", "Page view"
    CTA_CLICK = "cta_click", "CTA click"
    FORM_SUBMISSION = "form_submission", "Form submission"
    EMAIL_OPEN = "email_open", "Email open"
    EMAIL_CLICK = "email_click", "Email click"
    EVENT_ATTENDANCE = "event_attendance", "Event attendance"
    PR_VISIT = "pr_visit", "PR coverage visit"
    MEETING_BOOKED = "meeting_booked", "Meeting booked"
    ORDER = "order", "Order"
    EXPERIMENT_EXPOSURE = "experiment_exposure", "Experiment exposure"
    EXPERIMENT_CONVERSION = "experiment_goal", "Experiment goal reached"
    SURVEY_RESPONSE = "survey_response", "Survey response"


class TrackedLink(models.Model):
    """A campaign link. Its token is unguessable; the redirect only ever goes to `destination_url`."""

    token = models.CharField(max_length=64, unique=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="links"
    )
    label = models.CharField(max_length=200, blank=True)
    destination_url = models.URLField(max_length=2000)
    utm_content = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label or self.destination_url


class Visitor(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey(
        "people.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="visitors"
    )
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()


class Touchpoint(models.Model):
    kind = models.CharField(max_length=20, choices=TouchpointKind.choices)
    occurred_at = models.DateTimeField()
    # visitor, contact and campaign lead a composite index each (Meta.indexes), which serves
    # their joins too; a single-column index more would slow every insert (/t/collect).
    visitor = models.ForeignKey(
        Visitor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        db_index=False,
    )
    contact = models.ForeignKey(
        "people.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="touchpoints",
        db_index=False,
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        db_index=False,
    )
    link = models.ForeignKey(
        TrackedLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="touchpoints"
    )
    creative = models.ForeignKey(
        "campaigns.Creative",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
    )
    content_item = models.ForeignKey(
        "content.ContentItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
    )
    # Set for events sent by the website snippet: the client's id makes a retried batch idempotent.
    # Unique through Meta.constraints rather than unique=True, which on PostgreSQL would add a
    # second, LIKE-pattern index that no query uses.
    event_id = models.CharField(max_length=64, null=True, blank=True)
    channel = models.CharField(max_length=20, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    referrer = models.CharField(max_length=2000, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["contact", "occurred_at"]),
            models.Index(fields=["visitor", "occurred_at"]),
            models.Index(fields=["campaign", "occurred_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id"], name="tracking_touchpoint_event_id_unique"
            ),
        ]
