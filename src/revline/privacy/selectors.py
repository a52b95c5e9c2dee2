"""Reads for privacy requests: the erased-address check and the request list."""

from __future__ import annotations

import hashlib

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import SHA256, Lower, Trim

from revline.core import permissions
from revline.core.models import Role, User

from .models import ErasedEmail, PrivacyRequest


def email_digest(email: str) -> str:
    """SHA-256 (hex) of the normalised address: the only trace an erasure keeps."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def email_is_erased(email: str) -> bool:
    """Whether the address belonged to a person who was erased at their request."""
    if not email or not email.strip():
        return False
    return ErasedEmail.objects.filter(digest=email_digest(email)).exists()


def erased_digests(emails: list[str]) -> set[str]:
    """The addresses among `emails` (normalised) that were erased, in one query."""
    by_digest = {email_digest(e): e.strip().lower() for e in emails if e and e.strip()}
    found = ErasedEmail.objects.filter(digest__in=list(by_digest)).values_list("digest", flat=True)
    return {by_digest[d] for d in found}


def erased_email_exists(email_ref: str = "email") -> Exists:
    """`Exists` for querysets: the row's `email_ref` column is an erased address."""
    return Exists(ErasedEmail.objects.filter(digest=SHA256(Lower(Trim(OuterRef(email_ref))))))


def can_view_requests(user: User) -> bool:
    return permissions.is_admin(user) or (user.is_active and user.role == Role.MARKETER)


def privacy_requests(
    *, actor: User, search: str = "", status: str = ""
) -> QuerySet[PrivacyRequest]:
    permissions.require(can_view_requests(actor))
    qs = PrivacyRequest.objects.select_related("contact", "handled_by")
    if status in ("open", "completed"):
        qs = qs.filter(status=status)
    elif status == "overdue":
        from django.utils import timezone

        qs = qs.filter(status="open", due_at__lt=timezone.now())
    search = search.strip()
    if search:
        q = (
            Q(subject_label__icontains=search)
            | Q(contact__email__icontains=search)
            | Q(contact__first_name__icontains=search)
            | Q(contact__last_name__icontains=search)
            | Q(note__icontains=search)
        )
        if "@" in search:
            q |= Q(email_digest=email_digest(search))
        qs = qs.filter(q)
    return qs


def privacy_request_get(*, actor: User, pk: int) -> PrivacyRequest | None:
    permissions.require(can_view_requests(actor))
    return PrivacyRequest.objects.select_related("contact", "handled_by").filter(pk=pk).first()


def contact_privacy_requests(*, contact_id: int) -> QuerySet[PrivacyRequest]:
    return PrivacyRequest.objects.filter(contact_id=contact_id).select_related("handled_by")
