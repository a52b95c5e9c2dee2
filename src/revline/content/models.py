from django.db import models


class LandingPage(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200, help_text="Internal name")
    headline = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Plain text; blank lines separate paragraphs")
    cta_label = models.CharField(max_length=60, default="Get in touch")
    success_message = models.CharField(
        max_length=300, default="Thank you! We will be in touch shortly."
    )
    consent_purpose = models.CharField(max_length=50, default="marketing_email")
    consent_wording = models.CharField(
        max_length=500,
        default="I agree to receive marketing emails. I can unsubscribe at any time.",
    )
    consent_wording_version = models.CharField(max_length=50, default="v1")
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="landing_pages",
    )
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class FormSubmission(models.Model):
    landing_page = models.ForeignKey(
        LandingPage, on_delete=models.CASCADE, related_name="submissions"
    )
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="form_submissions"
    )
    visitor = models.ForeignKey(
        "tracking.Visitor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict)
    submitted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
