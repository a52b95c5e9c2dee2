"""Public relations: media contacts and their history, press releases, and the coverage log."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models.functions import Lower


class MediaContact(models.Model):
    """A journalist, editor, analyst or influencer we pitch to."""

    name = models.CharField(max_length=200)
    outlet = models.CharField(max_length=200, help_text="The publication or channel")
    beat = models.CharField(max_length=100, blank=True, help_text="The topics they cover")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    notes = models.TextField(max_length=10_000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["outlet"])]

    def __str__(self) -> str:
        return self.name


class InteractionKind(models.TextChoices):
    PITCH = "pitch", "Pitch"
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    RELEASE = "release", "Press release sent"
    COVERAGE = "coverage", "Coverage"


class MediaInteraction(models.Model):
    """One entry of the relationship history with a media contact (append-only)."""

    media_contact = models.ForeignKey(
        MediaContact, on_delete=models.CASCADE, related_name="interactions"
    )
    occurred_on = models.DateField()
    kind = models.CharField(max_length=20, choices=InteractionKind.choices)
    summary = models.TextField(max_length=2000)
    release = models.ForeignKey(
        "pr.PressRelease",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    coverage = models.ForeignKey(
        "pr.Coverage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-created_at", "-pk"]


class ReleaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    APPROVED = "approved", "Approved"
    DISTRIBUTED = "distributed", "Distributed"


class PressRelease(models.Model):
    """A press release. `body` holds HTML that the services sanitise before every save."""

    title = models.CharField(max_length=200)
    summary = models.TextField(max_length=1000, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=ReleaseStatus.choices, default=ReleaseStatus.DRAFT
    )
    embargo_until = models.DateTimeField(
        null=True, blank=True, help_text="Not for publication before this moment"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="press_releases",
    )
    recipients = models.ManyToManyField(MediaContact, blank=True, related_name="releases_received")
    distributed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ReleaseTransition(models.Model):
    """Who moved a release from one status to another, and when (append-only)."""

    release = models.ForeignKey(PressRelease, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=ReleaseStatus.choices)
    to_status = models.CharField(max_length=20, choices=ReleaseStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class PrCompetitor(models.Model):
    """A competitor named in coverage; names are matched case-insensitively."""

    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="pr_competitor_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class Coverage(models.Model):
    """One published piece (article, post, broadcast) that mentions us or a competitor."""

    outlet = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    url = models.CharField(
        "URL",
        max_length=2000,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"], message="Enter an http(s) address.")],
    )
    published_on = models.DateField()
    reach = models.PositiveBigIntegerField(default=0, help_text="Estimated audience")
    sentiment = models.CharField(
        max_length=20, choices=Sentiment.choices, default=Sentiment.NEUTRAL
    )
    about_us = models.BooleanField(
        default=True, help_text="The piece mentions us (not only competitors)"
    )
    competitors = models.ManyToManyField(PrCompetitor, blank=True, related_name="coverage")
    release = models.ForeignKey(
        PressRelease, null=True, blank=True, on_delete=models.SET_NULL, related_name="coverage"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pr_coverage",
    )
    media_contact = models.ForeignKey(
        MediaContact, null=True, blank=True, on_delete=models.SET_NULL, related_name="coverage"
    )
    notes = models.TextField(max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_on", "-pk"]
        indexes = [models.Index(fields=["published_on"])]
        constraints = [
            # The same article logged twice would count twice in share of voice.
            models.UniqueConstraint(
                fields=["url"],
                condition=~models.Q(url=""),
                name="pr_coverage_url_unique",
                violation_error_message="This address is already in the coverage log.",
            ),
        ]

    def __str__(self) -> str:
        return self.title
