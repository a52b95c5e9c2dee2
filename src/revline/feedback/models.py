"""Voice of the customer: free-text feedback from every source, its sentiment and its topic.

Topics come from theme runs (themes.py over every item); a person may rename, merge or split
them. A renamed topic keeps its name through later runs when a new cluster overlaps it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class FeedbackSource(models.TextChoices):
    SURVEY = "survey", "Survey answer"
    LOST_REASON = "lost_reason", "Lost deal"
    DEAL_NOTE = "deal_note", "Deal note"
    OBJECTION = "objection", "Objection"
    MANUAL = "manual", "Entered by hand"


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    REFUSED = "refused", "Too few items"
    FAILED = "failed", "Failed"


class ThemeRun(models.Model):
    """One theme extraction over all items: what it was asked, what it found, when."""

    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # The parameters given to themes.extract (k asked or range searched, min_df, random_state).
    parameters = models.JSONField(default=dict, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    topic_count = models.PositiveIntegerField(default=0)
    # The number of topics chosen and the quality score of each candidate.
    report = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Theme run {self.pk} ({self.status})"


class Topic(models.Model):
    name = models.CharField(max_length=100)
    top_terms = models.JSONField(default=list, blank=True)
    is_renamed = models.BooleanField(default=False)
    run = models.ForeignKey(
        ThemeRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="topics"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class FeedbackItem(models.Model):
    source = models.CharField(max_length=20, choices=FeedbackSource.choices)
    # The id of the survey answer, deal, objection or activity it came from; empty for manual.
    source_id = models.BigIntegerField(null=True, blank=True)
    text = models.TextField()
    contact = models.ForeignKey(
        "people.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_items",
    )
    company = models.ForeignKey(
        "people.Company",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_items",
    )
    deal = models.ForeignKey(
        "sales.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    # The score given with it, e.g. the NPS (0-10) of the survey response.
    score = models.SmallIntegerField(null=True, blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices)
    sentiment_score = models.FloatField(default=0.0)
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    # How strongly the item belongs to its topic (its NMF weight): picks the example quotes.
    topic_weight = models.FloatField(default=0.0)
    # Where to read it in context (e.g. the survey's results), a path inside the app.
    url = models.CharField(max_length=300, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=Q(source_id__isnull=False),
                name="feedback_unique_source_id",
            )
        ]
        indexes = [models.Index(fields=["source", "occurred_at"])]

    def __str__(self) -> str:
        return self.text[:60]
