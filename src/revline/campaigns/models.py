from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


class Channel(models.TextChoices):
    PAID_SEARCH = "paid_search", "Paid search"
    PAID_SOCIAL = "paid_social", "Paid social"
    DISPLAY = "display", "Display"
    EMAIL = "email", "Email"
    ORGANIC_SOCIAL = "organic_social", "Organic social"
    CONTENT = "content", "Content / SEO"
    PR = "pr", "PR"
    EVENTS = "events", "Events"
    REFERRAL = "referral", "Referral"
    DIRECT = "direct", "Direct"
    PARTNER = "partner", "Partner"


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"


class Objective(models.TextChoices):
    AWARENESS = "awareness", "Awareness"
    LEADS = "leads", "Leads"
    PIPELINE = "pipeline", "Pipeline"
    REVENUE = "revenue", "Revenue"


class Campaign(models.Model):
    name = models.CharField(max_length=200)
    objective = models.CharField(max_length=20, choices=Objective.choices, default=Objective.LEADS)
    audience = models.TextField(blank=True, help_text="Who the campaign is for")
    audience_segment = models.ForeignKey(
        "segments.Segment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    status = models.CharField(
        max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED
    )
    description = models.TextField(blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    budget = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(max_length=3, default="EUR")
    goal_leads = models.PositiveIntegerField(null=True, blank=True)
    goal_mqls = models.PositiveIntegerField(null=True, blank=True)
    goal_sqls = models.PositiveIntegerField(null=True, blank=True)
    goal_pipeline = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    goal_revenue = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="campaign_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CreativeKind(models.TextChoices):
    AD = "ad", "Ad"
    POST = "post", "Social post"
    BANNER = "banner", "Banner"
    EMAIL_BLOCK = "email_block", "Email block"


class CtaAction(models.TextChoices):
    FORM = "form", "Open a form"
    BOOK_MEETING = "book_meeting", "Book a meeting"
    BUY_NOW = "buy_now", "Buy now"


class Creative(models.Model):
    """An ad, post, banner or email block of a campaign, with one call to action and its own link."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="creatives")
    kind = models.CharField(max_length=20, choices=CreativeKind.choices, default=CreativeKind.AD)
    name = models.CharField(max_length=200)
    headline = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    cta_label = models.CharField(max_length=60)
    cta_action = models.CharField(max_length=20, choices=CtaAction.choices)
    landing_page = models.ForeignKey(
        "content.LandingPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="creatives",
    )
    booking_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The sales rep whose free slots a 'book a meeting' CTA offers",
    )
    product = models.ForeignKey(
        "quotes.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="creatives"
    )
    link = models.OneToOneField(
        "tracking.TrackedLink",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="creative",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "name"]

    def __str__(self) -> str:
        return self.name


class SpendSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    GOOGLE_ADS = "google_ads", "Google Ads"
    META_ADS = "meta_ads", "Meta Ads Manager"
    LINKEDIN_ADS = "linkedin_ads", "LinkedIn Campaign Manager"
    GENERIC = "generic", "Other (CSV)"


class AdSpend(models.Model):
    """Spend and reach of one campaign (and creative, when known) on one day from one source.

    Unique per (campaign, creative, date, source): re-importing a file updates, never doubles.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="spend")
    creative = models.ForeignKey(
        Creative, null=True, blank=True, on_delete=models.CASCADE, related_name="spend"
    )
    date = models.DateField()
    source = models.CharField(
        max_length=20, choices=SpendSource.choices, default=SpendSource.MANUAL
    )
    spend = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="EUR")
    impressions = models.PositiveBigIntegerField(default=0)
    clicks = models.PositiveBigIntegerField(default=0)
    spend_import = models.ForeignKey(
        "campaigns.SpendImport",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rows",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "creative", "date", "source"],
                condition=models.Q(creative__isnull=False),
                name="adspend_unique_creative_day",
            ),
            models.UniqueConstraint(
                fields=["campaign", "date", "source"],
                condition=models.Q(creative__isnull=True),
                name="adspend_unique_campaign_day",
            ),
            models.CheckConstraint(
                condition=models.Q(spend__gte=0), name="adspend_spend_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "date"])]


class SpendImport(models.Model):
    """One uploaded ad-platform CSV: previewed first, written only when committed."""

    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    layout = models.CharField(max_length=20, choices=SpendSource.choices)
    column_map = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-uploaded_at"]
