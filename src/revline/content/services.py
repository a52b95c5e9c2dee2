import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User
from revline.email.delivery_services import double_opt_in_request
from revline.email.sequence_services import sequences_on_form_submitted
from revline.leads.models import TransitionCause
from revline.leads.qualification_services import contact_form_submitted
from revline.leads.services import lifecycle_advance
from revline.people.models import Company, Contact, LifecycleStage
from revline.people.services import consent_record, contact_identify
from revline.tracking.models import TouchpointKind, TrackedLink
from revline.tracking.services import (
    RequestInfo,
    campaign_for_utm,
    touchpoint_record,
    visitor_identify,
    visitor_touch,
)
from revline.webhooks import payloads as webhook_payloads
from revline.webhooks.services import event_emit

from .blocks import link_tokens_in, validate_blocks
from .models import Form, FormSubmission, LandingPage

CONTACT_KEYS = ("email", "first_name", "last_name", "company", "title", "phone")


@dataclass(frozen=True)
class LeadForm:
    email: str
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    title: str = ""
    phone: str = ""
    consent: bool = False


def active_link_tokens(raw_blocks: object) -> set[str]:
    """The tracked links that the blocks' buttons refer to and that exist and are active."""
    tokens = link_tokens_in(raw_blocks)
    if not tokens:
        return set()
    return set(
        TrackedLink.objects.filter(token__in=tokens, is_active=True).values_list("token", flat=True)
    )


def landing_page_save(*, actor: User, page: LandingPage) -> LandingPage:
    """Validate (blocks included: sanitised, every problem named by block number) and save.

    Raises ValidationError with every problem and writes nothing when anything is wrong.
    """
    permissions.require(permissions.can_manage_marketing(actor))
    errors: dict[str, list[str]] = {}
    try:
        page.blocks = validate_blocks(
            page.blocks,
            has_form=page.form_id is not None,
            link_tokens=active_link_tokens(page.blocks),
        )
    except ValidationError as exc:
        errors["blocks"] = exc.messages
    try:
        page.full_clean(exclude=["blocks"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    stored = LandingPage.objects.filter(pk=page.pk).first() if page.pk else None
    page.save()
    if stored is None:
        audit_create(actor=actor, obj=page)
    else:
        audit_update(actor=actor, obj=page, before=snapshot(stored))
    return page


LANDING_PAGE_DENIED = "Only marketers and admins manage landing pages."


@transaction.atomic
def landing_page_set_published(*, actor: User, page: LandingPage, published: bool) -> LandingPage:
    """Publish or unpublish a page; the public URL answers 404 while it is unpublished."""
    permissions.require(permissions.can_manage_marketing(actor), LANDING_PAGE_DENIED)
    before = snapshot(page)
    page.is_published = published
    page.save(update_fields=["is_published", "updated_at"])
    audit_update(actor=actor, obj=page, before=before)
    return page


@transaction.atomic
def landing_page_delete(*, actor: User, page: LandingPage) -> None:
    """Delete a page nobody has used yet. A page with submissions (they cascade, and hold
    consent evidence) or with creatives whose links lead to it is refused: unpublish it."""
    permissions.require(permissions.can_manage_marketing(actor), LANDING_PAGE_DENIED)
    if page.submissions.exists():
        raise ValidationError(
            {"page": "This page has form submissions, which hold consent records; unpublish it."}
        )
    if page.creatives.exists():
        raise ValidationError(
            {"page": "Creatives' tracked links lead to this page; unpublish it instead."}
        )
    audit_delete(actor=actor, obj=page)
    page.delete()


def page_view_record(
    *, page: LandingPage, visitor_id: uuid.UUID | None, utm: dict[str, str], info: RequestInfo
) -> uuid.UUID:
    now = timezone.now()
    visitor = visitor_touch(visitor_id=visitor_id, at=now)
    campaign = campaign_for_utm(utm) or page.campaign
    touchpoint_record(
        kind=TouchpointKind.PAGE_VIEW,
        visitor=visitor,
        campaign=campaign,
        utm=utm,
        info=info,
        occurred_at=now,
        params={"landing_page": page.slug},
    )
    return visitor.id


def form_view_record(
    *, form: Form, visitor_id: uuid.UUID | None, utm: dict[str, str], info: RequestInfo
) -> uuid.UUID:
    """A view of an embedded form on another site: a page-view touch of the embedding page
    (`info.url`), tagged with the form, so journeys and funnels see the form before its
    submission."""
    now = timezone.now()
    visitor = visitor_touch(visitor_id=visitor_id, at=now)
    touchpoint_record(
        kind=TouchpointKind.PAGE_VIEW,
        visitor=visitor,
        campaign=campaign_for_utm(utm) or form.campaign,
        utm=utm,
        info=info,
        occurred_at=now,
        params={"form": form.pk, "embedded": True},
    )
    return visitor.id


@transaction.atomic
def form_submit(
    *,
    page: LandingPage,
    form: LeadForm,
    visitor_id: uuid.UUID | None,
    ip_address: str | None,
    utm: dict[str, str],
    info: RequestInfo,
) -> tuple[Contact, uuid.UUID]:
    """A submission of a page's classic lead form; see form_submission_create."""
    values = {
        "email": form.email,
        "first_name": form.first_name,
        "last_name": form.last_name,
        "company": form.company_name,
        "title": form.title,
        "phone": form.phone,
    }
    return form_submission_create(
        page=page,
        form=None,
        values=values,
        consent=form.consent,
        visitor_id=visitor_id,
        ip_address=ip_address,
        utm=utm,
        info=info,
    )


@transaction.atomic
def form_submission_create(
    *,
    page: LandingPage | None,
    form: Form | None,
    values: Mapping[str, Any],
    consent: bool,
    visitor_id: uuid.UUID | None,
    ip_address: str | None,
    utm: dict[str, str],
    info: RequestInfo,
) -> tuple[Contact, uuid.UUID]:
    """Identify the visitor as a contact and make them a lead. All or nothing.

    `form` is a builder form (None for a page's classic form), `page` the landing page it was
    sent from (None when embedded on another site). `values` keys email, first_name, last_name,
    company, title and phone fill the contact (blank contact fields only); every value is kept
    on the FormSubmission. Creates or merges the contact by email, attaches the visitor's
    earlier anonymous touchpoints, stores consent (and its wording version) when given (for a
    double opt-in form: sends the confirmation email instead, consent is stored on
    confirmation), and records the submission as a touchpoint.
    """
    consent_from: LandingPage | Form
    if form is not None:
        consent_from = form
    elif page is not None:
        consent_from = page
    else:
        raise ValueError("A submission needs a landing page or a form.")
    if page is not None:
        source, where = f"landing_page:{page.slug}", f"/lp/{page.slug}"
    else:
        source, where = f"embedded_form:{consent_from.pk}", f"the embedded form “{consent_from}”"
    text = {k: str(values.get(k) or "").strip() for k in CONTACT_KEYS}
    now = timezone.now()
    visitor = visitor_touch(visitor_id=visitor_id, at=now)
    contact, _created = contact_identify(
        email=text["email"],
        first_name=text["first_name"][:100],
        last_name=text["last_name"][:100],
        source=source[:100],
        title=text["title"][:150],
        phone=text["phone"][:50],
    )
    if text["company"] and contact.company_id is None:
        company = Company.objects.filter(
            name__iexact=text["company"]
        ).first() or Company.objects.create(name=text["company"][:200])
        contact.company = company
        contact.save(update_fields=["company", "updated_at"])
    visitor_identify(visitor=visitor, contact=contact)
    # Double opt-in: consent stays pending until the person confirms from the email we send.
    pending = consent and form is not None and form.double_opt_in
    if pending:
        assert form is not None
        double_opt_in_request(contact=contact, form=form)
    elif consent:
        consent_record(
            contact=contact,
            purpose=consent_from.consent_purpose,
            granted=True,
            source=source,
            wording=consent_from.consent_wording,
            wording_version=consent_from.consent_wording_version,
            ip_address=ip_address,
            recorded_at=now,
        )
    submission = FormSubmission.objects.create(
        landing_page=page,
        form=form,
        contact=contact,
        visitor=visitor,
        data={
            **values,
            **utm,
            "consent": consent,
            **({"consent_confirmation": "pending"} if pending else {}),
        },
        consent_wording_version=consent_from.consent_wording_version if consent else "",
        submitted_at=now,
        ip_address=ip_address,
    )
    event_emit(
        type="form.submitted",
        payload=webhook_payloads.form_submitted(
            submission=submission, contact_=contact, values=values
        ),
        occurred_at=now,
    )
    campaign = (
        campaign_for_utm(utm)
        or (page.campaign if page is not None else None)
        or (form.campaign if form is not None else None)
    )
    params: dict[str, Any] = {}
    if page is not None:
        params["landing_page"] = page.slug
    if form is not None:
        params["form"] = form.pk
    touchpoint_record(
        kind=TouchpointKind.FORM_SUBMISSION,
        visitor=visitor,
        contact=contact,
        campaign=campaign,
        utm=utm,
        info=info,
        occurred_at=now,
        params=params,
    )
    lifecycle_advance(
        contact=contact,
        to_stage=LifecycleStage.LEAD,
        cause=TransitionCause.FORM,
        reason=f"Submitted the form on {where}",
        occurred_at=now,
    )
    if form is not None:
        sequences_on_form_submitted(contact=contact, form=form, now=now)
        contact_form_submitted(contact=contact, form_id=form.pk, form_name=form.name, now=now)
    return contact, visitor.id
