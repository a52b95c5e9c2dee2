import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from revline.core import permissions
from revline.core.models import User
from revline.leads.models import TransitionCause
from revline.leads.services import lifecycle_advance
from revline.people.models import Company, Contact, LifecycleStage
from revline.people.services import consent_record, contact_identify
from revline.tracking.models import TouchpointKind
from revline.tracking.services import (
    RequestInfo,
    campaign_for_utm,
    touchpoint_record,
    visitor_identify,
    visitor_touch,
)

from .models import FormSubmission, LandingPage


@dataclass(frozen=True)
class LeadForm:
    email: str
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    title: str = ""
    phone: str = ""
    consent: bool = False


def landing_page_save(*, actor: User, page: LandingPage) -> LandingPage:
    permissions.require(permissions.can_manage_marketing(actor))
    page.full_clean()
    page.save()
    return page


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
    """Identify the visitor as a contact and make them a lead.

    Creates or merges the contact by email, attaches the visitor's earlier anonymous touchpoints,
    stores consent when given, and records the submission as a touchpoint.
    """
    now = timezone.now()
    visitor = visitor_touch(visitor_id=visitor_id, at=now)
    contact, _created = contact_identify(
        email=form.email,
        first_name=form.first_name,
        last_name=form.last_name,
        source=f"landing_page:{page.slug}",
        title=form.title,
        phone=form.phone,
    )
    if form.company_name and contact.company_id is None:
        company = Company.objects.filter(
            name__iexact=form.company_name
        ).first() or Company.objects.create(name=form.company_name[:200])
        contact.company = company
        contact.save(update_fields=["company", "updated_at"])
    visitor_identify(visitor=visitor, contact=contact)
    if form.consent:
        consent_record(
            contact=contact,
            purpose=page.consent_purpose,
            granted=True,
            source=f"landing_page:{page.slug}",
            wording=page.consent_wording,
            wording_version=page.consent_wording_version,
            ip_address=ip_address,
            recorded_at=now,
        )
    FormSubmission.objects.create(
        landing_page=page,
        contact=contact,
        visitor=visitor,
        data={
            "email": form.email,
            "first_name": form.first_name,
            "last_name": form.last_name,
            "company": form.company_name,
            "title": form.title,
            "phone": form.phone,
            "consent": form.consent,
        },
        submitted_at=now,
        ip_address=ip_address,
    )
    campaign = campaign_for_utm(utm) or page.campaign
    touchpoint_record(
        kind=TouchpointKind.FORM_SUBMISSION,
        visitor=visitor,
        contact=contact,
        campaign=campaign,
        utm=utm,
        info=info,
        occurred_at=now,
        params={"landing_page": page.slug},
    )
    lifecycle_advance(
        contact=contact,
        to_stage=LifecycleStage.LEAD,
        cause=TransitionCause.FORM,
        reason=f"Submitted the form on /lp/{page.slug}",
        occurred_at=now,
    )
    return contact, visitor.id
