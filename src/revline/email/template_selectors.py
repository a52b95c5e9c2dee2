"""Reads for the template pages: lists, the sender header, the preview footer, contact lookup."""

from email.utils import formataddr

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from revline.core.workspace import workspace_get
from revline.people.models import Contact

from .models import EmailTemplate
from .rendering import Footer

CONTACT_CHOICES = 10


def template_list_queryset() -> QuerySet[EmailTemplate]:
    return EmailTemplate.objects.select_related("created_by").annotate(email_count=Count("emails"))


def template_get(*, pk: int) -> EmailTemplate | None:
    return template_list_queryset().filter(pk=pk).first()


def sender_header() -> str:
    """The From header: the workspace's sender, else DEFAULT_FROM_EMAIL."""
    workspace = workspace_get()
    if workspace.email_from_address:
        return formataddr((workspace.email_from_name, workspace.email_from_address))
    return str(settings.DEFAULT_FROM_EMAIL)


def preview_footer() -> Footer:
    """The footer of previews and test sends: the real postal address, example links."""
    workspace = workspace_get()
    base = settings.BASE_URL
    return Footer(
        postal_address=workspace.postal_address
        or "Your postal address goes here (Email settings).",
        unsubscribe_url=f"{base}/e/preview/unsubscribe",
        preferences_url=f"{base}/e/preview/preferences",
    )


def preview_contact_get(*, pk: int) -> Contact | None:
    return Contact.objects.select_related("company", "owner").filter(pk=pk).first()


def preview_contact_search(*, query: str) -> list[Contact]:
    """Contacts with an email whose name, email or company matches, for the preview picker."""
    query = query.strip()[:100]
    if not query:
        return []
    condition = (
        Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
        | Q(email__icontains=query)
        | Q(company__name__icontains=query)
    )
    if query.isdigit():
        condition |= Q(pk=int(query))
    return list(
        Contact.objects.select_related("company")
        .filter(condition)
        .order_by("last_name", "first_name", "pk")[:CONTACT_CHOICES]
    )
