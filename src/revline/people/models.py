from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class LifecycleStage(models.TextChoices):
    SUBSCRIBER = "subscriber", "Subscriber"
    LEAD = "lead", "Lead"
    MQL = "mql", "MQL"
    SAL = "sal", "SAL"
    SQL = "sql", "SQL"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    EVANGELIST = "evangelist", "Evangelist"
    DISQUALIFIED = "disqualified", "Disqualified"
    RECYCLED = "recycled", "Recycled"


LIFECYCLE_ORDER = [
    LifecycleStage.SUBSCRIBER,
    LifecycleStage.LEAD,
    LifecycleStage.MQL,
    LifecycleStage.SAL,
    LifecycleStage.SQL,
    LifecycleStage.OPPORTUNITY,
    LifecycleStage.CUSTOMER,
    LifecycleStage.EVANGELIST,
]


class CompanySize(models.TextChoices):
    S1_10 = "1-10", "1–10"
    S11_50 = "11-50", "11–50"
    S51_200 = "51-200", "51–200"
    S201_1000 = "201-1000", "201–1,000"
    S1001_5000 = "1001-5000", "1,001–5,000"
    S5001 = "5001+", "5,001+"


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Company(models.Model):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    size = models.CharField(max_length=20, choices=CompanySize.choices, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    phone = models.CharField(max_length=50, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="companies")
    # Rolled up from its contacts by lead scoring: the best contact fit plus all their engagement.
    score = models.IntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        indexes = [models.Index(Lower("name"), name="company_name_ci")]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    title = models.CharField(max_length=150, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    country = models.CharField(max_length=2, blank=True)
    source = models.CharField(max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.SUBSCRIBER
    )
    lifecycle_changed_at = models.DateTimeField(null=True, blank=True)
    # Kept current by lead scoring (leads app); segments and automations read them.
    fit_score = models.IntegerField(default=0)
    engagement_score = models.IntegerField(default=0)
    # Engagement before decay as of `engagement_at`: the current value is
    # engagement_points * 0.5 ** (days since engagement_at / half-life).
    engagement_points = models.FloatField(default=0, db_default=0)
    engagement_at = models.DateTimeField(null=True, blank=True)
    # Set by the newest predictive model: probability of becoming a customer, tier A-D by quartile.
    predicted_probability = models.FloatField(null=True, blank=True)
    predicted_tier = models.CharField(max_length=1, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="contact_email_unique_ci"
            )
        ]
        indexes = [
            models.Index(fields=["lifecycle_stage"]),
            models.Index(Lower("last_name"), name="contact_last_name_ci"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or f"Contact #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", "Granted"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ConsentRecord(models.Model):
    """An append-only record of consent given or withdrawn; the newest per purpose is in force."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=50)
    status = models.CharField(max_length=10, choices=ConsentStatus.choices)
    recorded_at = models.DateTimeField()
    source = models.CharField(max_length=200)
    wording = models.TextField(blank=True)
    wording_version = models.CharField(max_length=50, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["contact", "purpose", "-recorded_at"])]

    # Append-only (GDPR art. 7(1): the proof of consent): a change is a new record. Only the
    # erasure of the whole contact removes the history, through the cascade.
    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Consent records are append-only: record a new one instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Consent records are append-only and cannot be deleted one by one.")


class TimelineEventKind(models.TextChoices):
    NOTE = "note", "Note"
    CONTACT_CREATED = "contact_created", "Contact created"
    LIFECYCLE_CHANGED = "lifecycle_changed", "Lifecycle stage changed"
    CONSENT_CHANGED = "consent_changed", "Consent changed"
    DEAL_CREATED = "deal_created", "Deal created"
    DEAL_STAGE_CHANGED = "deal_stage_changed", "Deal stage changed"
    DEAL_WON = "deal_won", "Deal won"
    DEAL_LOST = "deal_lost", "Deal lost"
    ACTIVITY = "activity", "Activity"


class TimelineEvent(models.Model):
    """A sales or system event on a contact's timeline. Marketing touches live in Touchpoint."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=TimelineEventKind.choices)
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deal = models.ForeignKey(
        "sales.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["contact", "-occurred_at"])]


class ImportKind(models.TextChoices):
    CONTACTS = "contacts", "Contacts"
    COMPANIES = "companies", "Companies"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    MAPPED = "mapped", "Mapped"
    CHECKING = "checking", "Dry run running"
    CHECKED = "checked", "Dry run done"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class DuplicatePolicy(models.TextChoices):
    UPDATE = "update", "Update the existing contact"
    SKIP = "skip", "Skip the row"


class ContactImport(models.Model):
    """A CSV/XLSX import: the uploaded file on disk, its column mapping, options and progress.

    The file is read as a stream by the background worker (dry run, then import), never loaded
    whole; `errors` keeps the first bad rows for the report (all of them are counted)."""

    kind = models.CharField(max_length=20, choices=ImportKind.choices, default=ImportKind.CONTACTS)
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500, help_text="Where the upload is stored")
    file_size = models.BigIntegerField(default=0)
    headers = models.JSONField(default=list, blank=True)
    # {"Column header": "contact field" | "tag" | "consent" | ""}
    mapping = models.JSONField(default=dict, blank=True)
    duplicate_policy = models.CharField(
        max_length=10, choices=DuplicatePolicy.choices, default=DuplicatePolicy.SKIP
    )
    # "" (no consent recorded), "column" (the mapped consent column), or "granted" (declared for
    # the whole file, with the wording below as the proof).
    consent_mode = models.CharField(max_length=10, blank=True)
    consent_wording = models.CharField(max_length=500, blank=True)
    tags = models.JSONField(default=list, blank=True)
    import_good_rows = models.BooleanField(
        default=False, help_text="Import the good rows even when some rows are bad"
    )
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    rows_bad = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    failure = models.CharField(max_length=500, blank=True)
    # The heartbeat of a running pass: set when it starts, at each chunk it commits and when the
    # scheduler resumes it. A pass whose heartbeat is older than REVLINE_IMPORT_STALL_MINUTES
    # lost its worker and is resumed, at most REVLINE_IMPORT_MAX_RESUMES times in a row.
    progress_at = models.DateTimeField(null=True, blank=True)
    resume_count = models.PositiveSmallIntegerField(
        default=0, help_text="Automatic resumes since the last chunk written"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name
