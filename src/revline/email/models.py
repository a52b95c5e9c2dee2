"""Email: templates, marketing emails and their per-contact sends, suppression, topics,
automation sequences, delivery events, and the local outbox used without SMTP."""

from django.conf import settings
from django.db import models


class TemplateFormat(models.TextChoices):
    BLOCKS = "blocks", "Blocks"
    HTML = "html", "HTML"


class EmailTemplate(models.Model):
    """What an email says. Subject and body may use {{ contact.first_name|default:"there" }}."""

    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=300)
    preheader = models.CharField(max_length=300, blank=True)
    body_format = models.CharField(
        max_length=10, choices=TemplateFormat.choices, default=TemplateFormat.BLOCKS
    )
    # blocks: [{"type": "heading" | "text" | "button" | "image" | "divider", ...}]
    blocks = models.JSONField(default=list, blank=True)
    # Sanitised HTML when body_format is html (the <body> content; CSS may be in <style>).
    html = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    """A subscription topic in the preference centre (e.g. Product news, Events)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TopicOptOut(models.Model):
    """A contact who left one topic but not every email (unsubscribing from all is Suppression)."""

    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="topic_opt_outs"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="opt_outs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "topic"], name="topic_opt_out_unique")
        ]


class EmailKind(models.TextChoices):
    CAMPAIGN = "campaign", "Campaign email"
    AUTOMATED = "automated", "Automated (sequence step)"


class EmailStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"


class Email(models.Model):
    """A marketing email: a template sent to a segment (campaign email) or, for an automated
    email, to one contact at a time by a sequence step. Content is frozen into the email when it
    is scheduled or sent, so that editing the template later changes nothing already sent."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=EmailKind.choices, default=EmailKind.CAMPAIGN)
    template = models.ForeignKey(
        EmailTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    # The frozen copy (filled from the template when scheduled/sent; editable while draft).
    subject = models.CharField(max_length=300, blank=True)
    preheader = models.CharField(max_length=300, blank=True)
    body_format = models.CharField(
        max_length=10, choices=TemplateFormat.choices, default=TemplateFormat.BLOCKS
    )
    blocks = models.JSONField(default=list, blank=True)
    html = models.TextField(blank=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
    )
    segment = models.ForeignKey(
        "segments.Segment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="emails",
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    from_name = models.CharField(max_length=100, blank=True)
    from_email = models.EmailField(blank=True)
    reply_to = models.EmailField(blank=True)
    status = models.CharField(max_length=20, choices=EmailStatus.choices, default=EmailStatus.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    # Messages per minute handed to the mail server; 0 means no limit.
    rate_per_minute = models.PositiveIntegerField(default=600)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "scheduled_at"])]

    def __str__(self) -> str:
        return self.name


class EmailLink(models.Model):
    """A link in an email's body, rewritten to /e/c/<send token>/<link id> when sent."""

    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=2000)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["email", "url"], name="email_link_unique_url")
        ]


class SendState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    BOUNCED = "bounced", "Bounced"
    SKIPPED = "skipped", "Skipped"


class Send(models.Model):
    """One email to one contact. Unique per (email, contact): a restart never sends it twice.

    `message_id` is deterministic (from the email, the contact and the secret key), so a message
    handed to the mail server before a crash can be recognised; `token` is the unforgeable part of
    this send's tracking, unsubscribe and preference-centre links.
    """

    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="sends")
    contact = models.ForeignKey("people.Contact", on_delete=models.CASCADE, related_name="sends")
    to_address = models.EmailField()
    state = models.CharField(max_length=10, choices=SendState.choices, default=SendState.QUEUED)
    message_id = models.CharField(max_length=200, unique=True)
    token = models.CharField(max_length=64, unique=True)
    # Why a send failed or was skipped (template error, suppressed, no consent, SMTP reply).
    reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    first_clicked_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    click_count = models.PositiveIntegerField(default=0)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["email", "contact"], name="send_unique_per_contact")
        ]
        indexes = [
            models.Index(fields=["email", "state"]),
            models.Index(fields=["contact", "-queued_at"]),
        ]


class SendClick(models.Model):
    """A click on a link of a send (the per-link report); the touchpoint is on the contact."""

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="clicks")
    link = models.ForeignKey(EmailLink, on_delete=models.CASCADE, related_name="clicks")
    clicked_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["link"])]


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    HARD_BOUNCE = "hard_bounce", "Hard bounce"
    COMPLAINT = "complaint", "Spam complaint"
    MANUAL = "manual", "Added by hand"


class Suppression(models.Model):
    """An address no marketing email may go to, whatever a send, an import or a form says."""

    address = models.CharField(max_length=254, unique=True, help_text="Lower-case email address")
    reason = models.CharField(max_length=20, choices=SuppressionReason.choices)
    source = models.CharField(max_length=200, blank=True)
    send = models.ForeignKey(
        Send, null=True, blank=True, on_delete=models.SET_NULL, related_name="suppressions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.address


class DeliveryEventKind(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", "Hard bounce"
    SOFT_BOUNCE = "soft_bounce", "Soft bounce"
    COMPLAINT = "complaint", "Complaint"
    DELIVERED = "delivered", "Delivered"


class DeliveryEvent(models.Model):
    """A bounce, complaint or delivery report (from a DSN message, IMAP or a provider webhook)."""

    kind = models.CharField(max_length=20, choices=DeliveryEventKind.choices)
    send = models.ForeignKey(
        Send, null=True, blank=True, on_delete=models.SET_NULL, related_name="delivery_events"
    )
    address = models.CharField(max_length=254, blank=True)
    source = models.CharField(max_length=50)
    # Provider event id or the DSN's Message-ID: the same report processed twice is ignored.
    external_id = models.CharField(max_length=300, unique=True)
    detail = models.CharField(max_length=1000, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at", "-pk"]


class SequenceTrigger(models.TextChoices):
    FORM_SUBMITTED = "form_submitted", "Form submitted"
    JOINED_SEGMENT = "joined_segment", "Joined a segment"
    SCORE_CROSSED = "score_crossed", "Score crossed a value"
    DEAL_STAGE_CHANGED = "deal_stage_changed", "Deal stage changed"
    DATE_REACHED = "date_reached", "Date field reached"


class SequenceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"


class Sequence(models.Model):
    """An automation (nurture flow): a trigger, then steps in order."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    trigger = models.CharField(max_length=30, choices=SequenceTrigger.choices)
    # Trigger details: {"form_id": 3} / {"segment_id": 5} / {"score": 50} /
    # {"pipeline_id": 1, "stage_id": 4} / {"field": "created_at", "days_after": 7}.
    trigger_config = models.JSONField(default=dict, blank=True)
    allow_reentry = models.BooleanField(default=False)
    # Marketing sequences stop for contacts who unsubscribe or become customers.
    is_marketing = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=SequenceStatus.choices, default=SequenceStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StepKind(models.TextChoices):
    WAIT = "wait", "Wait"
    SEND_EMAIL = "send_email", "Send email"
    UPDATE_FIELD = "update_field", "Update a field or tag"
    CHANGE_LIFECYCLE = "change_lifecycle", "Change lifecycle stage"
    NOTIFY_OWNER = "notify_owner", "Notify the owner"
    CREATE_TASK = "create_task", "Create a task for sales"
    BRANCH = "branch", "Branch on a condition"


class SequenceStep(models.Model):
    """One step. `config` by kind: wait {"days": 2, "hours": 0}; send_email {"email_id": 9};
    update_field {"field": "title", "value": "..."} or {"add_tag": "x"} / {"remove_tag": "x"};
    change_lifecycle {"stage": "mql"}; notify_owner {"message": "..."};
    create_task {"subject": "...", "due_in_days": 2}; branch {"condition": <segment condition
    tree>, "else_position": 7} (contacts matching go on to the next step, the others jump)."""

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["sequence", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["sequence", "position"], name="sequence_step_unique_position"
            )
        ]


class EnrollmentState(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    EXITED = "exited", "Exited"


class Enrollment(models.Model):
    """A contact's way through a sequence: the step it waits at and when it runs next."""

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="enrollments")
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="enrollments"
    )
    position = models.PositiveIntegerField(default=0)
    state = models.CharField(
        max_length=10, choices=EnrollmentState.choices, default=EnrollmentState.ACTIVE
    )
    next_run_at = models.DateTimeField(null=True, blank=True)
    entered_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    exit_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-entered_at", "-pk"]
        constraints = [
            # At most one active enrollment per contact and sequence, whatever re-entry allows.
            models.UniqueConstraint(
                fields=["sequence", "contact"],
                condition=models.Q(state="active"),
                name="enrollment_one_active",
            )
        ]
        indexes = [models.Index(fields=["state", "next_run_at"])]


class OutboxMessage(models.Model):
    """A message kept by the outbox email backend instead of being sent (demo mode, no SMTP)."""

    to = models.TextField()
    from_email = models.CharField(max_length=300)
    subject = models.CharField(max_length=998)
    message_id = models.CharField(max_length=300, blank=True)
    raw = models.TextField(help_text="The whole RFC 5322 message as it would have been sent")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
