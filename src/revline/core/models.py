from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MARKETER = "marketer", "Marketer"
    SALES_REP = "sales_rep", "Sales rep"
    SALES_MANAGER = "sales_manager", "Sales manager"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    email = models.EmailField(unique=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.SALES_REP)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # `<area>:read` / `<area>:write` strings (core/api_scopes.py); tokens made before scopes
    # existed got every scope, which is what they could do then.
    scopes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The first answer to an API write sent with an `Idempotency-Key`, replayed on repeats.

    A row without `status_code` is a request still running: a concurrent repeat gets 409."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(blank=True, default=b"")
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_token_key_uniq")
        ]


class RecordVisibility(models.TextChoices):
    """Which records of one object type sales reps and managers see (core.visibility)."""

    ALL = "all", "All records"
    TEAM = "team", "Their team's records (and unowned ones)"
    OWN = "own", "Their own records (and unowned ones)"


DealVisibility = RecordVisibility  # the deal setting came first; older code names it so


class Workspace(models.Model):
    """Workspace-wide settings; there is exactly one row (see core.workspace.workspace_get)."""

    name = models.CharField(max_length=100, default="Revline")
    site_origins = models.TextField(
        blank=True,
        help_text="Origins of your own websites allowed to send tracking events and embed forms, "
        "one per line, e.g. https://www.example.com",
    )
    tracking_requires_consent = models.BooleanField(
        default=False,
        help_text="The website snippet sets no cookie and sends nothing until the visitor consents",
    )
    email_from_name = models.CharField(max_length=100, blank=True, help_text="Sender name")
    email_from_address = models.EmailField(blank=True, help_text="Sender address")
    postal_address = models.TextField(
        blank=True, help_text="Your postal address, printed in the footer of every marketing email"
    )
    # Record-level visibility per object type; see core.visibility and docs/permissions.md.
    deal_visibility = models.CharField(
        max_length=10, choices=RecordVisibility.choices, default=RecordVisibility.TEAM
    )
    contact_visibility = models.CharField(
        max_length=10, choices=RecordVisibility.choices, default=RecordVisibility.ALL
    )
    company_visibility = models.CharField(
        max_length=10, choices=RecordVisibility.choices, default=RecordVisibility.ALL
    )
    activity_visibility = models.CharField(
        max_length=10, choices=RecordVisibility.choices, default=RecordVisibility.ALL
    )
    quote_approval_discount = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("15"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="A quote whose overall discount exceeds this percentage needs a sales "
        "manager's approval before it can be sent",
    )
    # Set by `revline restore`: a restored copy sends no email (nor anything else outbound) on
    # its own until an admin has checked it is the live workspace and resumes sending.
    outbound_paused_at = models.DateTimeField(null=True, blank=True)
    outbound_paused_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        from .workspace import workspace_memo_forget  # the request memo of workspace_get

        super().save(*args, **kwargs)
        workspace_memo_forget()


class Notification(models.Model):
    """An in-app notice for one user (an MQL routed to them, an SLA breach, an @mention)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True, help_text="A path on this site")
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]


class TwoFactorDevice(models.Model):
    """A user's TOTP authenticator (RFC 6238). Log-in asks for a code once it is confirmed."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last accepted time step: a code cannot be used twice.
    last_used_step = models.BigIntegerField(default=0)
    # Hashes (Django password hashers) of the unused recovery codes.
    recovery_codes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"2FA of {self.user}"
