from collections.abc import Iterable
from datetime import datetime
from types import ModuleType
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User
from revline.webhooks import payloads as webhook_payloads
from revline.webhooks.services import event_emit

from . import events
from .models import Company, ConsentRecord, ConsentStatus, Contact, Tag
from .selectors import contacts_by_email

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company",
    "country",
    "source",
    "owner",
)
COMPANY_FIELDS = ("name", "domain", "industry", "size", "country", "phone", "owner")


def _scoring() -> ModuleType:
    # Imported late: lead scoring reaches email and qualification code that imports this module.
    from revline.leads import scoring_services

    return scoring_services


# Neutral on purpose: a public form must not tell a stranger that this person was erased.
ERASED_ADDRESS = "This email address cannot be used here."


def _erased(email: str) -> bool:
    from revline.privacy.selectors import email_is_erased  # privacy reads people's models

    return email_is_erased(email)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def tags_from_names(names: Iterable[str]) -> list[Tag]:
    cleaned = sorted({n.strip().lower()[:50] for n in names if n and n.strip()})
    existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    for name in cleaned:
        if name not in existing:
            existing[name], _ = Tag.objects.get_or_create(name=name)
    return [existing[n] for n in cleaned]


def _tag_names(instance: Contact | Company) -> list[str]:
    return sorted(instance.tags.values_list("name", flat=True))


def _tag_change(instance: Contact | Company, before: list[str] | None) -> dict[str, list[Any]]:
    """Tags for the audit log: [old, new] when the edit set them to something else."""
    if before is None:
        return {}
    after = _tag_names(instance)
    return {"tags": [before, after]} if after != before else {}


def _apply(instance: Any, fields: tuple[str, ...], data: dict[str, Any]) -> None:
    for field in fields:
        if field in data:
            value = data[field]
            if field == "email" and isinstance(value, str):
                value = normalize_email(value)
            if field == "country" and isinstance(value, str):
                value = value.strip().upper()
            setattr(instance, field, value)


@transaction.atomic
def contact_create(
    *, actor: User | None, source: str = "manual", tags: Iterable[str] = (), **data: Any
) -> Contact:
    """Create a contact. Raises ValidationError (with the field named) on bad or duplicate data."""
    if actor is not None:
        permissions.require(permissions.can_edit_people(actor))
    contact = Contact(source=source.strip() or "manual")
    _apply(contact, CONTACT_FIELDS, data)
    contact.full_clean(validate_constraints=False)
    if contact.email and contacts_by_email(contact.email).exists():
        raise ValidationError({"email": "A contact with this email already exists."})
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        raise ValidationError({"email": "A contact with this email already exists."}) from exc
    if tags:
        contact.tags.set(tags_from_names(tags))
    audit_create(actor=actor, obj=contact)
    events.contact_created(contact=contact, source=contact.source, actor=actor)
    event_emit(type="contact.created", payload=webhook_payloads.contact(contact))
    _scoring().contact_fit_refresh(contact=contact)
    return contact


@transaction.atomic
def contact_update(
    *, actor: User, contact: Contact, tags: Iterable[str] | None = None, **data: Any
) -> Contact:
    permissions.require(permissions.can_edit_people(actor))
    before = snapshot(contact)
    tags_before = _tag_names(contact) if tags is not None else None
    previous_company_id = contact.company_id
    _apply(contact, CONTACT_FIELDS, data)
    contact.full_clean(validate_constraints=False)
    if contact.email and contacts_by_email(contact.email).exclude(pk=contact.pk).exists():
        raise ValidationError({"email": "A contact with this email already exists."})
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        raise ValidationError({"email": "A contact with this email already exists."}) from exc
    if tags is not None:
        contact.tags.set(tags_from_names(tags))
    audit_update(actor=actor, obj=contact, before=before, extra=_tag_change(contact, tags_before))
    _scoring().contact_fit_refresh(contact=contact, previous_company_id=previous_company_id)
    event_emit(type="contact.updated", payload=webhook_payloads.contact(contact))
    return contact


@transaction.atomic
def contact_update_by_automation(*, contact: Contact, **data: Any) -> Contact:
    """A write by an automation (a sequence step), not a person: plain contact fields only,
    validated like a person's edit (ValidationError when a value is not allowed); the fit score
    follows the change."""
    if not set(data) <= set(CONTACT_FIELDS) - {"email", "company", "owner"}:
        raise ValidationError("An automation may only set plain contact fields.")
    _apply(contact, CONTACT_FIELDS, data)
    contact.full_clean(validate_constraints=False)
    contact.save()
    _scoring().contact_fit_refresh(contact=contact)
    return contact


@transaction.atomic
def company_create(*, actor: User | None, tags: Iterable[str] = (), **data: Any) -> Company:
    if actor is not None:
        permissions.require(permissions.can_edit_people(actor))
    company = Company()
    _apply(company, COMPANY_FIELDS, data)
    company.full_clean()
    company.save()
    if tags:
        company.tags.set(tags_from_names(tags))
    audit_create(actor=actor, obj=company)
    _scoring().company_fit_refresh(company=company)
    return company


@transaction.atomic
def company_update(
    *, actor: User, company: Company, tags: Iterable[str] | None = None, **data: Any
) -> Company:
    permissions.require(permissions.can_edit_people(actor))
    before = snapshot(company)
    tags_before = _tag_names(company) if tags is not None else None
    _apply(company, COMPANY_FIELDS, data)
    company.full_clean()
    company.save()
    if tags is not None:
        company.tags.set(tags_from_names(tags))
    audit_update(actor=actor, obj=company, before=before, extra=_tag_change(company, tags_before))
    _scoring().company_fit_refresh(company=company)
    return company


@transaction.atomic
def contact_identify(
    *, email: str, first_name: str = "", last_name: str = "", source: str, **extra: str
) -> tuple[Contact, bool]:
    """Find the contact by email (case-insensitive) or create it. Blank fields are filled, never overwritten.

    Safe against two concurrent submissions of the same email: the unique index decides, and the
    loser re-reads the winner's row.
    """
    email = normalize_email(email)
    if not email:
        raise ValidationError({"email": "An email address is required."})
    if _erased(email):
        raise ValidationError({"email": ERASED_ADDRESS})
    contact = contacts_by_email(email).select_for_update().first()
    created = False
    if contact is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    email=email,
                    first_name=first_name,
                    last_name=last_name,
                    source=source,
                    **{k: v for k, v in extra.items() if v},
                )
                created = True
        except IntegrityError:
            contact = contacts_by_email(email).get()
    if created:
        events.contact_created(contact=contact, source=source)
        _scoring().contact_fit_refresh(contact=contact)
    else:
        changed = []
        for field, value in {"first_name": first_name, "last_name": last_name, **extra}.items():
            if value and not getattr(contact, field):
                setattr(contact, field, value)
                changed.append(field)
        if changed:
            contact.save(update_fields=[*changed, "updated_at"])
            _scoring().contact_fit_refresh(contact=contact)
    return contact, created


def consent_record(
    *,
    contact: Contact,
    purpose: str,
    granted: bool,
    source: str,
    wording: str = "",
    wording_version: str = "",
    ip_address: str | None = None,
    recorded_at: datetime | None = None,
) -> ConsentRecord:
    record = ConsentRecord.objects.create(
        contact=contact,
        purpose=purpose,
        status=ConsentStatus.GRANTED if granted else ConsentStatus.WITHDRAWN,
        recorded_at=recorded_at or timezone.now(),
        source=source,
        wording=wording,
        wording_version=wording_version,
        ip_address=ip_address,
    )
    events.consent_changed(
        contact=contact,
        purpose=purpose,
        status=record.status,
        source=source,
        occurred_at=record.recorded_at,
    )
    return record


@transaction.atomic
def contact_delete(*, actor: User, contact: Contact) -> None:
    """Erase the person and all recorded about them (touchpoints, timeline, consents, activities,
    form submissions, lifecycle history). Their deals stay, without a contact."""
    permissions.require(permissions.is_admin(actor), "Only admins can delete contacts.")
    company_id = contact.company_id
    audit_delete(actor=actor, obj=contact)
    contact.delete()
    _scoring().companies_score_refresh(company_ids=[company_id])


@transaction.atomic
def company_delete(*, actor: User, company: Company) -> None:
    """Delete the company; its contacts and deals stay, without a company."""
    permissions.require(permissions.is_admin(actor), "Only admins can delete companies.")
    audit_delete(actor=actor, obj=company)
    company.delete()
