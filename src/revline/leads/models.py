from datetime import time

from django.conf import settings
from django.db import models

from revline.people.models import LifecycleStage


class TransitionCause(models.TextChoices):
    PERSON = "person", "Person"
    RULE = "rule", "Rule"
    SCORE = "score", "Score"
    FORM = "form", "Form submission"
    DEAL = "deal", "Deal"
    IMPORT = "import", "Import"
    MEETING = "meeting", "Meeting booked"
    PREDICTION = "prediction", "Predictive score"


class LifecycleTransition(models.Model):
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="lifecycle_transitions"
    )
    from_stage = models.CharField(max_length=20, choices=LifecycleStage.choices)
    to_stage = models.CharField(max_length=20, choices=LifecycleStage.choices)
    occurred_at = models.DateTimeField()
    cause = models.CharField(max_length=20, choices=TransitionCause.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["contact", "-occurred_at"])]


class FitField(models.TextChoices):
    CONTACT_TITLE = "contact.title", "Contact: job title"
    CONTACT_COUNTRY = "contact.country", "Contact: country"
    CONTACT_SOURCE = "contact.source", "Contact: source"
    CONTACT_EMAIL_DOMAIN = "contact.email_domain", "Contact: email domain"
    COMPANY_INDUSTRY = "company.industry", "Company: industry"
    COMPANY_SIZE = "company.size", "Company: size"
    COMPANY_COUNTRY = "company.country", "Company: country"


class FitOperator(models.TextChoices):
    EQUALS = "equals", "is"
    CONTAINS = "contains", "contains"
    IN_LIST = "in_list", "is one of (comma-separated)"
    MATCHES = "matches", "matches the regular expression"
    IS_SET = "is_set", "is filled in"
    IS_EMPTY = "is_empty", "is empty"


class FitRule(models.Model):
    """Points for a contact or company field value; the fit score is the sum of matching rules."""

    field = models.CharField(max_length=40, choices=FitField.choices)
    operator = models.CharField(max_length=20, choices=FitOperator.choices)
    value = models.CharField(max_length=500, blank=True)
    points = models.IntegerField()
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.get_operator_display()} {self.value}".strip()


class EngagementRule(models.Model):
    """Points for a kind of touchpoint (optionally only URLs matching a pattern, or one campaign),
    limited to `max_per_period` times per `period_days`; points decay with the half-life set in
    LeadSettings."""

    name = models.CharField(max_length=200)
    touchpoint_kind = models.CharField(max_length=20)
    url_pattern = models.CharField(
        max_length=300, blank=True, help_text="A regular expression the page URL must contain"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    points = models.IntegerField()
    max_per_period = models.PositiveIntegerField(null=True, blank=True)
    period_days = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class ScoreKind(models.TextChoices):
    FIT = "fit", "Fit"
    ENGAGEMENT = "engagement", "Engagement"


class ScoreChange(models.Model):
    """One explainable change of a contact's score ("+15 visited /pricing on 3 Nov")."""

    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="score_changes"
    )
    kind = models.CharField(max_length=20, choices=ScoreKind.choices)
    points = models.IntegerField()
    reason = models.CharField(max_length=300)
    fit_rule = models.ForeignKey(
        FitRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    engagement_rule = models.ForeignKey(
        EngagementRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    touchpoint = models.ForeignKey(
        "tracking.Touchpoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField()
    score_after = models.IntegerField()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["contact", "-occurred_at"]),
            models.Index(fields=["engagement_rule", "contact", "occurred_at"]),
        ]


class LeadSettings(models.Model):
    """Scoring, qualification and hand-off settings; there is exactly one row (lead_settings_get)."""

    engagement_half_life_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=30,
        help_text="Engagement points lose half their value in this many days; empty for no decay",
    )
    mql_fit_min = models.IntegerField(
        null=True, blank=True, default=20, help_text="Fit score needed for MQL (empty: any)"
    )
    mql_engagement_min = models.IntegerField(
        null=True, blank=True, default=40, help_text="Engagement score needed for MQL"
    )
    mql_on_meeting_booked = models.BooleanField(
        default=True, help_text="A meeting booked through a CTA makes the contact an MQL"
    )
    hand_raiser_forms = models.ManyToManyField(
        "content.Form",
        blank=True,
        related_name="+",
        help_text="Submitting one of these forms (e.g. 'Contact sales') makes the contact an MQL",
    )
    sla_hours = models.PositiveIntegerField(
        default=4, help_text="Business hours a rep has to first touch a new MQL"
    )
    business_day_start = models.TimeField(default=time(9, 0))
    business_day_end = models.TimeField(default=time(17, 0))
    business_days = models.CharField(
        max_length=20, default="0,1,2,3,4", help_text="Weekdays, 0 = Monday"
    )
    business_timezone = models.CharField(max_length=64, default="Europe/Berlin")
    fallback_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Gets MQLs no routing rule matches",
    )
    notify_by_email = models.BooleanField(
        default=True, help_text="Also email reps when an MQL is routed to them"
    )
    prediction_horizon_days = models.PositiveIntegerField(default=90)
    retrain_every_days = models.PositiveIntegerField(
        null=True, blank=True, default=7, help_text="Retrain the predictive model this often"
    )
    updated_at = models.DateTimeField(auto_now=True)


class RoutingMethod(models.TextChoices):
    COMPANY_OWNER = "company_owner", "Owner of the contact's company"
    TERRITORY = "territory", "Territory (countries)"
    INDUSTRY = "industry", "Industry"
    ROUND_ROBIN = "round_robin", "Round-robin within a team"


class RoutingRule(models.Model):
    """One routing rule; rules are tried in `position` order and the first that yields an active
    user wins. Territory/industry rules assign to `user`, or round-robin within `team`."""

    name = models.CharField(max_length=200)
    method = models.CharField(max_length=20, choices=RoutingMethod.choices)
    countries = models.CharField(
        max_length=500, blank=True, help_text="ISO country codes, comma-separated"
    )
    industries = models.CharField(max_length=500, blank=True, help_text="Comma-separated")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "core.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class HandoffStatus(models.TextChoices):
    OPEN = "open", "Waiting for the rep"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class RejectReason(models.TextChoices):
    NOT_A_FIT = "not_a_fit", "Not a fit"
    NO_BUDGET = "no_budget", "No budget"
    WRONG_CONTACT = "wrong_contact", "Wrong contact"
    DUPLICATE = "duplicate", "Duplicate"
    NO_RESPONSE = "no_response", "No response"
    NOT_NOW = "not_now", "Not now (timing)"
    OTHER = "other", "Other"


class Handoff(models.Model):
    """One MQL handed to sales: why it qualified, who got it and how, its SLA clock, and the
    rep's decision (accept → SAL, reject → recycled back to marketing)."""

    contact = models.ForeignKey("people.Contact", on_delete=models.CASCADE, related_name="handoffs")
    status = models.CharField(
        max_length=20, choices=HandoffStatus.choices, default=HandoffStatus.OPEN
    )
    qualified_at = models.DateTimeField()
    qualified_by = models.CharField(max_length=20, choices=TransitionCause.choices)
    qualification_reason = models.CharField(max_length=300)
    # A snapshot of the score lines and touches that led to qualification.
    explanation = models.JSONField(default=dict, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=20, blank=True)
    content_item = models.ForeignKey(
        "content.ContentItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handoffs",
    )
    routing_rule = models.ForeignKey(
        RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    routed_to_fallback = models.BooleanField(default=False)
    routing_note = models.CharField(max_length=300, blank=True)
    due_at = models.DateTimeField()
    first_touch_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reject_reason = models.CharField(max_length=20, choices=RejectReason.choices, blank=True)
    reject_note = models.CharField(max_length=500, blank=True)
    deal = models.ForeignKey(
        "sales.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-qualified_at", "-pk"]
        indexes = [
            models.Index(fields=["assigned_to", "status"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["contact", "-qualified_at"]),
        ]


class ModelStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    TRAINING = "training", "Training"
    READY = "ready", "Ready"
    REFUSED = "refused", "Not enough history"
    FAILED = "failed", "Failed"


class PredictiveModel(models.Model):
    """One training run of the predictive score; the newest READY one scores contacts."""

    status = models.CharField(
        max_length=20, choices=ModelStatus.choices, default=ModelStatus.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    horizon_days = models.PositiveIntegerField(default=90)
    algorithm = models.CharField(max_length=40, blank=True)
    auc = models.FloatField(null=True, blank=True)
    # Sizes, both candidates' AUCs, lift by decile, calibration bins, feature weights, warnings.
    report = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=500, blank=True)
    artifact = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-requested_at", "-pk"]
