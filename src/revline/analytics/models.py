from django.conf import settings
from django.db import models


class DailyTouchStats(models.Model):
    """Touchpoints per day, campaign, channel and kind: a pre-aggregate that heavy reports read
    instead of scanning touchpoints. Kept current incrementally from `AggregateWatermark`."""

    day = models.DateField()
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=20)
    touches = models.PositiveIntegerField(default=0)
    identified = models.PositiveIntegerField(default=0, help_text="Touches of identified contacts")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "campaign", "channel", "kind"],
                condition=models.Q(campaign__isnull=False),
                name="daily_touch_stats_unique",
            ),
            models.UniqueConstraint(
                fields=["day", "channel", "kind"],
                condition=models.Q(campaign__isnull=True),
                name="daily_touch_stats_unique_no_campaign",
            ),
        ]
        indexes = [models.Index(fields=["day"]), models.Index(fields=["campaign", "day"])]


class AggregateWatermark(models.Model):
    """How far an incremental aggregate has read its source (the highest source id folded in)."""

    name = models.CharField(max_length=50, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)


class DigestSubscription(models.Model):
    """A user who gets the weekly report digest by email."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscription"
    )
    is_active = models.BooleanField(default=True)
    weekday = models.PositiveSmallIntegerField(default=0, help_text="0 = Monday")
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
