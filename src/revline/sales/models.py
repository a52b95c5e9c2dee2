from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Pipeline(models.Model):
    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(default=False)
    stale_after_days = models.PositiveSmallIntegerField(
        default=21,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="An open deal that stays this many days in one stage is flagged as stale",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name"]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField()
    probability = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    kind = models.CharField(max_length=10, choices=StageKind.choices, default=StageKind.OPEN)

    class Meta:
        ordering = ["pipeline", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "position"], name="stage_position_unique"),
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CloseReason(models.Model):
    """A reason from the workspace's list, chosen when a deal is closed won or lost."""

    kind = models.CharField(
        max_length=10, choices=[(StageKind.WON, "Won"), (StageKind.LOST, "Lost")]
    )
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="close_reason_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Competitor(models.Model):
    """A vendor the buyer may choose instead of us: its profile and the battlecard reps use."""

    name = models.CharField(max_length=100, unique=True)
    website = models.URLField(max_length=300, blank=True)
    positioning = models.TextField(blank=True)
    strengths = models.TextField(blank=True)
    weaknesses = models.TextField(blank=True)
    pricing_notes = models.TextField(blank=True)
    # The battlecard, shown on every deal the competitor is involved in.
    how_to_win = models.TextField(blank=True)
    landmines = models.TextField(blank=True, help_text="Questions that expose their weak spots")
    proof_points = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    BEST_CASE = "best_case", "Best case"
    COMMIT = "commit", "Commit"
    OMITTED = "omitted", "Omitted"


class DealStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Deal(models.Model):
    name = models.CharField(max_length=200)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    contact = models.ForeignKey(
        "people.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    company = models.ForeignKey(
        "people.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(max_length=3, default="EUR")
    # The amount in the workspace currency at the exchange rate of the last save, so that
    # boards and reports can sum deals of every currency in SQL.
    amount_base = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    expected_close_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    next_step = models.CharField(max_length=200, blank=True)
    forecast_category = models.CharField(
        max_length=10, choices=ForecastCategory.choices, default=ForecastCategory.PIPELINE
    )
    status = models.CharField(max_length=10, choices=DealStatus.choices, default=DealStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.ForeignKey(
        CloseReason, null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    close_note = models.TextField(blank=True)
    lost_to = models.ForeignKey(
        Competitor, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals_won"
    )
    competitors = models.ManyToManyField(Competitor, blank=True, related_name="deals_involved")
    stage_changed_at = models.DateTimeField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "closed_at"]),
            # Covers the board: each column's cards in board order, and the per-stage counts and
            # sums, straight from the index (bench/board.py).
            models.Index(
                fields=[
                    "pipeline",
                    "stage",
                    "stage_changed_at",
                    "owner",
                    "amount_base",
                    "currency",
                    "amount",
                    "status",
                ],
                name="deal_board_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DealStageChange(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-changed_at", "-pk"]


class CommitteeRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    CHAMPION = "champion", "Champion"
    INFLUENCER = "influencer", "Influencer"
    BLOCKER = "blocker", "Blocker"
    USER = "user", "User"
    OTHER = "other", "Other"


class DealContact(models.Model):
    """A member of the deal's buying committee."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="committee")
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="deal_roles"
    )
    role = models.CharField(max_length=20, choices=CommitteeRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal", "role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "contact"], name="deal_contact_unique"),
        ]


class DealAttachment(models.Model):
    """A file uploaded to a deal or a link to a document elsewhere (one of the two)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(max_length=200)
    url = models.URLField(max_length=2000, blank=True)
    file = models.FileField(upload_to="deal_files/%Y/%m/", blank=True, max_length=300)
    size = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class StagePlaybook(models.Model):
    """How to work a deal in one stage: talk track, checklist items and recommended content."""

    stage = models.OneToOneField(Stage, on_delete=models.CASCADE, related_name="playbook")
    talk_track = models.TextField(blank=True)
    content = models.ManyToManyField("content.ContentItem", blank=True, related_name="playbooks")
    updated_at = models.DateTimeField(auto_now=True)


class PlaybookItemKind(models.TextChoices):
    QUESTION = "question", "Question to ask"
    TASK = "task", "Task"


class PlaybookItem(models.Model):
    playbook = models.ForeignKey(StagePlaybook, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(
        max_length=10, choices=PlaybookItemKind.choices, default=PlaybookItemKind.QUESTION
    )
    text = models.CharField(max_length=300)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["playbook", "position", "pk"]


class PlaybookTick(models.Model):
    """A checklist item a rep ticked off on one deal."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="playbook_ticks")
    item = models.ForeignKey(PlaybookItem, on_delete=models.CASCADE, related_name="ticks")
    ticked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deal", "item"], name="playbook_tick_unique"),
        ]


class ContentShare(models.Model):
    """A content item a rep sent to a contact; opening the tracked link records it."""

    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="content_shares"
    )
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="content_shares"
    )
    content_item = models.ForeignKey(
        "content.ContentItem", on_delete=models.CASCADE, related_name="shares"
    )
    token = models.CharField(max_length=64, unique=True)
    message = models.TextField(blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField()
    first_opened_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at", "-pk"]


class ObjectionType(models.Model):
    """An entry of the objection library (price, budget, timing, competitor, …)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    content = models.ManyToManyField("content.ContentItem", blank=True, related_name="objections")
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ObjectionResponse(models.Model):
    """A recommended answer to one objection type."""

    objection_type = models.ForeignKey(
        ObjectionType, on_delete=models.CASCADE, related_name="responses"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["objection_type", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class ObjectionOutcome(models.TextChoices):
    OPEN = "open", "Not yet answered"
    OVERCOME = "overcome", "Overcome"
    NOT_OVERCOME = "not_overcome", "Not overcome"


class Objection(models.Model):
    """An objection a buyer raised on a deal, and how the rep answered it."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="objections")
    objection_type = models.ForeignKey(
        ObjectionType, on_delete=models.PROTECT, related_name="objections"
    )
    buyer_words = models.TextField(blank=True)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    response = models.ForeignKey(
        ObjectionResponse,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uses",
    )
    response_notes = models.TextField(blank=True)
    outcome = models.CharField(
        max_length=20, choices=ObjectionOutcome.choices, default=ObjectionOutcome.OPEN
    )
    raised_at = models.DateTimeField()
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["objection_type", "raised_at"])]


class QuotaPeriod(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class Quota(models.Model):
    """A rep's target of won revenue (workspace currency) for one month or quarter."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quotas"
    )
    period = models.CharField(max_length=10, choices=QuotaPeriod.choices)
    period_start = models.DateField()
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["-period_start", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "period", "period_start"], name="quota_unique"),
        ]


class ActivityKind(models.TextChoices):
    NOTE = "note", "Note"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "Email"
    TASK = "task", "Task"


class Activity(models.Model):
    kind = models.CharField(max_length=10, choices=ActivityKind.choices, default=ActivityKind.NOTE)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    contact = models.ForeignKey(
        "people.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    company = models.ForeignKey(
        "people.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="activities"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Tasks, calls and meetings can be planned: who does it, by when, and when it was done.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_activities",
    )
    due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["assigned_to", "completed_at", "due_at"]),
            models.Index(fields=["remind_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"


class BookingAvailability(models.Model):
    """When a rep takes meetings booked from public pages: one row per weekday window."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    weekday = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(6)], help_text="0 = Monday"
    )
    start_time = models.TimeField()
    end_time = models.TimeField()
    slot_minutes = models.PositiveSmallIntegerField(default=30)
    time_zone = models.CharField(max_length=64, default="UTC")

    class Meta:
        ordering = ["user", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="availability_window_ordered",
            ),
        ]


class Meeting(models.Model):
    """A meeting booked with a rep. One rep cannot be booked twice at the same start time."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meetings"
    )
    contact = models.ForeignKey("people.Contact", on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings"
    )
    activity = models.OneToOneField(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="meeting"
    )
    creative = models.ForeignKey(
        "campaigns.Creative",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "starts_at"], name="meeting_slot_unique")
        ]

    def __str__(self) -> str:
        return f"Meeting at {self.starts_at:%Y-%m-%d %H:%M}"
