"""Surveys: versioned questions, per-contact invites, responses and their answers.

Questions belong to a SurveyVersion. A version that has responses is never edited: the builder
edits a copy (the next version), and publishing makes it the live one. A question keeps its
`key` across versions, so results add up the same question over every version.

Each response also carries its NPS and CSAT value (the first question of that kind), so scores,
trends and filters by contact are one indexed query on Response.
"""

from django.conf import settings
from django.db import models


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Survey(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    intro = models.TextField(blank=True, help_text="Shown above the questions")
    thank_you = models.TextField(
        blank=True, default="Thank you for your answers!", help_text="Shown after submitting"
    )
    status = models.CharField(
        max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    allow_anonymous = models.BooleanField(
        default=False,
        help_text="Anyone with the survey's link may answer, without a personal invite",
    )
    allow_repeat = models.BooleanField(
        default=False, help_text="A personal link may be used to answer more than once"
    )
    # The version the public page shows; set by publishing.
    live_version = models.ForeignKey(
        "SurveyVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class SurveyVersion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["survey", "number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="survey_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"


class QuestionKind(models.TextChoices):
    NPS = "nps", "Net Promoter Score (0–10)"
    CSAT = "csat", "Satisfaction (CSAT, 1–5)"
    RATING = "rating", "Rating (1–N)"
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    TEXT = "text", "Free text"


class Question(models.Model):
    version = models.ForeignKey(SurveyVersion, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(max_length=16, help_text="Stable across versions")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    label = models.CharField(max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=False)
    options = models.JSONField(default=list, blank=True)  # choice labels, in order
    scale_max = models.PositiveSmallIntegerField(default=5)  # rating questions: 1..scale_max
    # [{"op": "eq" | "lte" | "gte" | "includes", "value": 6 | "Price", "goto": <key> | "end"}]
    logic = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="question_key_unique"),
            models.UniqueConstraint(
                fields=["version", "position"], name="question_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class SurveyDistribution(models.Model):
    """One send of a survey by email to a segment: what it said and how many it reached."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="distributions")
    segment = models.ForeignKey(
        "segments.Segment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    segment_name = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    message = models.TextField()
    invited = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]


class SurveyInvite(models.Model):
    """A contact's personal link to a survey. One per (survey, contact); emailed at most once."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invites")
    contact = models.ForeignKey(
        "people.Contact", on_delete=models.CASCADE, related_name="survey_invites"
    )
    distribution = models.ForeignKey(
        SurveyDistribution,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invites",
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)  # taken by a sending task
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.CharField(max_length=500, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "contact"], name="survey_invite_unique")
        ]
        indexes = [models.Index(fields=["distribution", "claimed_at"])]


class Response(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="responses")
    contact = models.ForeignKey(
        "people.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    invite = models.ForeignKey(
        SurveyInvite, null=True, blank=True, on_delete=models.SET_NULL, related_name="responses"
    )
    submitted_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    is_anonymous = models.BooleanField(default=False)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["survey", "submitted_at"])]


class Answer(models.Model):
    """One answer; a multiple-choice answer is one row per option chosen, so distributions are
    a GROUP BY."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    number = models.SmallIntegerField(null=True, blank=True)
    choice = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["response", "question__position", "pk"]
        indexes = [models.Index(fields=["question", "number"])]
