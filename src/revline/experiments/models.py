"""A/B tests on a landing page's button label, on a whole landing page, or on an email's subject.

Who sees which variant is decided by a hash of the experiment's salt and the subject's key (a
visitor id or a contact id), so the same person always sees the same variant without a lookup;
an Exposure row is written the first time they see it, and marked converted when they reach the
experiment's goal. Exposures and conversions are also recorded as touchpoints for the timeline.
"""

from django.conf import settings
from django.db import models


class ExperimentKind(models.TextChoices):
    CTA_LABEL = "cta_label", "CTA label"
    LANDING_PAGE = "landing_page", "Landing page variant"
    EMAIL_SUBJECT = "email_subject", "Email subject line"


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"


class ExperimentGoal(models.TextChoices):
    FORM_SUBMISSION = "form_submission", "Form submitted on the page"
    EMAIL_OPEN = "email_open", "Email opened"
    EMAIL_CLICK = "email_click", "Link in the email clicked"


class Experiment(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ExperimentKind.choices)
    status = models.CharField(
        max_length=10, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT
    )
    hypothesis = models.TextField(blank=True)
    goal = models.CharField(max_length=20, choices=ExperimentGoal.choices)
    # The page under test (CTA label and landing-page experiments): its URL stays the same and
    # each visitor is served their variant there.
    landing_page = models.ForeignKey(
        "content.LandingPage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="experiments",
    )
    email = models.ForeignKey(
        "email.Email", null=True, blank=True, on_delete=models.PROTECT, related_name="experiments"
    )
    salt = models.CharField(max_length=32)
    alpha = models.FloatField(default=0.05)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    key = models.SlugField(max_length=20)
    name = models.CharField(max_length=100)
    weight = models.PositiveIntegerField(default=1)
    is_control = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    # What this variant changes; which field is used depends on the experiment's kind.
    cta_label = models.CharField(max_length=60, blank=True)
    landing_page = models.ForeignKey(
        "content.LandingPage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="experiment_variants",
    )
    subject = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "key"], name="experiments_variant_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Exposure(models.Model):
    """One person's first sight of an experiment, and whether they reached its goal after it."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="exposures")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="exposures")
    # "v:<visitor uuid>" or "c:<contact id>": the key the assignment hash was computed from.
    subject_key = models.CharField(max_length=64)
    visitor = models.ForeignKey(
        "tracking.Visitor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "people.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="experiment_exposures",
    )
    exposed_at = models.DateTimeField()
    converted_at = models.DateTimeField(null=True, blank=True)
    # Pre-period activity of the subject (touches in the 30 days before exposure), the CUPED
    # covariate; counted once, when the exposure is written.
    pre_period_touches = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-exposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "subject_key"], name="experiments_exposure_subject_unique"
            ),
        ]
        indexes = [models.Index(fields=["experiment", "variant"])]
