from django.conf import settings
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
    # Page-builder blocks, in order: [{"type": "hero"|"text"|"image"|"cta"|"form"|"testimonial"|
    # "features", ...fields}]. Empty means the classic headline/body/form layout above.
    blocks = models.JSONField(default=list, blank=True)
    form = models.ForeignKey(
        "content.Form",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="landing_pages",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Form(models.Model):
    """A lead-capture form built in the form builder; shown on landing pages or embedded elsewhere."""

    name = models.CharField(max_length=200)
    submit_label = models.CharField(max_length=60, default="Submit")
    thank_you_message = models.CharField(
        max_length=300, default="Thank you! We will be in touch shortly."
    )
    # A path on this site to send the visitor to after submitting (never an arbitrary URL).
    redirect_path = models.CharField(max_length=300, blank=True)
    consent_purpose = models.CharField(max_length=50, default="marketing_email")
    consent_wording = models.CharField(
        max_length=500,
        default="I agree to receive marketing emails. I can unsubscribe at any time.",
        blank=True,
    )
    consent_wording_version = models.CharField(max_length=50, default="v1")
    # Consent counts only once the person clicks the link in a confirmation email.
    double_opt_in = models.BooleanField(default=False)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="forms"
    )
    embed_key = models.CharField(max_length=64, unique=True)
    rejected_count = models.PositiveIntegerField(
        default=0, help_text="Spam and over-limit submissions refused"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    SELECT = "select", "Select"
    CHECKBOX = "checkbox", "Checkbox"
    TEXTAREA = "textarea", "Text area"
    HIDDEN = "hidden", "Hidden"


class FormField(models.Model):
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="fields")
    name = models.SlugField(
        max_length=50,
        help_text="Key in the stored data; email, first_name, last_name, company, title and phone "
        "fill the contact's fields",
    )
    label = models.CharField(max_length=200)
    field_type = models.CharField(max_length=20, choices=FieldType.choices, default=FieldType.TEXT)
    required = models.BooleanField(default=False)
    options = models.JSONField(default=list, blank=True, help_text="Choices of a select field")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["form", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["form", "name"], name="form_field_name_unique")
        ]


class FormSubmission(models.Model):
    landing_page = models.ForeignKey(
        LandingPage, null=True, blank=True, on_delete=models.CASCADE, related_name="submissions"
    )
    form = models.ForeignKey(
        Form, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    consent_wording_version = models.CharField(max_length=50, blank=True)
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


class ContentKind(models.TextChoices):
    BLOG_POST = "blog_post", "Blog post"
    CASE_STUDY = "case_study", "Case study"
    WHITEPAPER = "whitepaper", "Whitepaper"
    VIDEO = "video", "Video"
    WEBINAR = "webinar", "Webinar"
    SOCIAL_POST = "social_post", "Social post"


class ContentStatus(models.TextChoices):
    IDEA = "idea", "Idea"
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"


class FunnelStage(models.TextChoices):
    AWARENESS = "awareness", "Awareness (top)"
    CONSIDERATION = "consideration", "Consideration (middle)"
    DECISION = "decision", "Decision (bottom)"


class ContentItem(models.Model):
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ContentKind.choices)
    status = models.CharField(
        max_length=20, choices=ContentStatus.choices, default=ContentStatus.IDEA
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    persona = models.CharField(max_length=100, blank=True)
    funnel_stage = models.CharField(max_length=20, choices=FunnelStage.choices, blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="content_items",
    )
    url = models.URLField(max_length=2000, blank=True)
    publish_date = models.DateField(
        null=True, blank=True, help_text="Planned or actual publication day"
    )
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-publish_date", "title"]
        indexes = [models.Index(fields=["publish_date"])]

    def __str__(self) -> str:
        return self.title
