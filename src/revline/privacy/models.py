"""Privacy requests (GDPR art. 15, 17, 20, 21) and the hashed trace an erasure leaves behind."""

from django.conf import settings
from django.db import models


class RequestKind(models.TextChoices):
    EXPORT = "export", "Access / export (art. 15, 20)"
    ERASURE = "erasure", "Erasure (art. 17)"
    OBJECTION = "objection", "Objection to direct marketing (art. 21)"


class RequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"


class ReceivedVia(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    LETTER = "letter", "Letter"
    FORM = "form", "Web form"
    IN_PERSON = "in_person", "In person"
    OTHER = "other", "Other"


class PrivacyRequest(models.Model):
    """A data subject's request and when it was answered. Kept after an erasure (without the
    contact) as the proof that the request was honoured in time; only the email's digest stays."""

    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    contact = models.ForeignKey(
        "people.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="privacy_requests",
    )
    # SHA-256 of the normalised email: links the request to the person after the contact is gone.
    email_digest = models.CharField(max_length=64, blank=True, db_index=True)
    # "Contact #12" at the time of the request: never the name, which an erasure must remove.
    subject_label = models.CharField(max_length=100, blank=True)
    requested_at = models.DateTimeField()
    received_via = models.CharField(
        max_length=20, choices=ReceivedVia.choices, default=ReceivedVia.EMAIL
    )
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.subject_label}"


class ErasedEmail(models.Model):
    """The SHA-256 of an erased person's normalised email address: never emailed, never
    re-created by an import, a form, a booking or an order. The address itself is not kept."""

    digest = models.CharField(max_length=64, unique=True)
    erased_at = models.DateTimeField()

    class Meta:
        ordering = ["-erased_at"]
