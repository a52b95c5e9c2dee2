"""Contacts, companies, consents and the contact timeline over the JSON API."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.core import permissions
from revline.core.api_support import active_user_or_422, api_user, related_or_422, split_relations
from revline.core.models import User
from revline.core.schemas import MAX_PAGE_SIZE, ErrorOut, LimitOffset
from revline.core.visibility import visible_companies

from . import api_selectors, services
from .models import Company, ConsentRecord, Contact
from .schemas import (
    CompanyFilters,
    CompanyIn,
    CompanyOut,
    CompanyPatch,
    ConsentIn,
    ConsentOut,
    ContactFilters,
    ContactIn,
    ContactOut,
    ContactPatch,
    TimelineItemOut,
)

router = Router()

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _editor(request: HttpRequest) -> User:
    user = api_user(request)
    permissions.require(permissions.can_edit_people(user))
    return user


def _admin(request: HttpRequest, message: str) -> User:
    user = api_user(request)
    permissions.require(permissions.is_admin(user), message)
    return user


def _resolve_people_relations(data: dict[str, Any], actor: User) -> dict[str, Any]:
    """Turn `company_id`/`owner_id` of a body into records (422 naming the field if unknown or
    hidden from `actor`)."""
    related = split_relations(data, "company", "owner")
    if "company" in related:
        data["company"] = related_or_422(
            visible_companies(Company.objects.all(), actor), related["company"], field="company_id"
        )
    if "owner" in related:
        data["owner"] = active_user_or_422(related["owner"])
    return data


@router.get("/contacts", response=list[ContactOut], tags=["contacts"])
@paginate(LimitOffset)
def list_contacts(request: HttpRequest, filters: Query[ContactFilters]) -> Any:
    return api_selectors.contact_search(viewer=api_user(request), **filters.model_dump())


@router.post("/contacts", response={201: ContactOut, **ERRORS}, tags=["contacts"])
def create_contact(request: HttpRequest, payload: ContactIn) -> Any:
    actor = _editor(request)
    data = _resolve_people_relations(payload.model_dump(), actor)
    tags = data.pop("tags")
    contact = services.contact_create(actor=actor, tags=tags, **data)
    return Status(201, api_selectors.contacts_for_api().get(pk=contact.pk))


@router.get(
    "/contacts/{int:contact_id}", response={200: ContactOut, 404: ErrorOut}, tags=["contacts"]
)
def get_contact(request: HttpRequest, contact_id: int) -> Any:
    return get_object_or_404(api_selectors.contacts_for_api(api_user(request)), pk=contact_id)


@router.patch("/contacts/{int:contact_id}", response={200: ContactOut, **ERRORS}, tags=["contacts"])
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Any:
    actor = _editor(request)
    contact = get_object_or_404(api_selectors.contacts_for_api(actor), pk=contact_id)
    data = _resolve_people_relations(payload.model_dump(exclude_unset=True), actor)
    tags = data.pop("tags", None)
    services.contact_update(actor=actor, contact=contact, tags=tags, **data)
    return api_selectors.contacts_for_api().get(pk=contact.pk)


@router.delete(
    "/contacts/{int:contact_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    tags=["contacts"],
)
def delete_contact(request: HttpRequest, contact_id: int) -> Any:
    actor = _admin(request, "Only admins can delete contacts.")
    contact = get_object_or_404(Contact.objects.all(), pk=contact_id)
    services.contact_delete(actor=actor, contact=contact)
    return Status(204, None)


@router.get(
    "/contacts/{int:contact_id}/timeline",
    response={200: list[TimelineItemOut], 404: ErrorOut},
    tags=["contacts"],
    summary="Touchpoints and timeline events, newest first",
)
def contact_timeline(
    request: HttpRequest, contact_id: int, limit: int = Query(50, ge=1, le=MAX_PAGE_SIZE)
) -> Any:
    viewer = api_user(request)
    contact = get_object_or_404(api_selectors.contacts_for_api(viewer), pk=contact_id)
    return api_selectors.contact_timeline(contact=contact, limit=limit, viewer=viewer)


@router.get(
    "/contacts/{int:contact_id}/consents",
    response={200: list[ConsentOut], 404: ErrorOut},
    tags=["contacts"],
    summary="Consent records, newest first; the newest per purpose is in force",
)
def list_consents(request: HttpRequest, contact_id: int) -> Any:
    contact = get_object_or_404(api_selectors.contacts_for_api(api_user(request)), pk=contact_id)
    return ConsentRecord.objects.filter(contact=contact).order_by("-recorded_at", "-pk")


@router.post(
    "/contacts/{int:contact_id}/consents",
    response={201: ConsentOut, **ERRORS},
    tags=["contacts"],
    summary="Record consent granted or withdrawn (append-only)",
)
def record_consent(request: HttpRequest, contact_id: int, payload: ConsentIn) -> Any:
    actor = _editor(request)
    contact = get_object_or_404(api_selectors.contacts_for_api(actor), pk=contact_id)
    record = services.consent_record(
        contact=contact,
        purpose=payload.purpose,
        granted=payload.granted,
        source=payload.source,
        wording=payload.wording,
        wording_version=payload.wording_version,
        ip_address=str(payload.ip_address) if payload.ip_address else None,
    )
    return Status(201, record)


@router.get("/companies", response=list[CompanyOut], tags=["companies"])
@paginate(LimitOffset)
def list_companies(request: HttpRequest, filters: Query[CompanyFilters]) -> Any:
    return api_selectors.company_search(viewer=api_user(request), **filters.model_dump())


@router.post("/companies", response={201: CompanyOut, **ERRORS}, tags=["companies"])
def create_company(request: HttpRequest, payload: CompanyIn) -> Any:
    actor = _editor(request)
    data = _resolve_people_relations(payload.model_dump(), actor)
    tags = data.pop("tags")
    company = services.company_create(actor=actor, tags=tags, **data)
    return Status(201, api_selectors.companies_for_api().get(pk=company.pk))


@router.get(
    "/companies/{int:company_id}", response={200: CompanyOut, 404: ErrorOut}, tags=["companies"]
)
def get_company(request: HttpRequest, company_id: int) -> Any:
    return get_object_or_404(api_selectors.companies_for_api(api_user(request)), pk=company_id)


@router.patch(
    "/companies/{int:company_id}", response={200: CompanyOut, **ERRORS}, tags=["companies"]
)
def update_company(request: HttpRequest, company_id: int, payload: CompanyPatch) -> Any:
    actor = _editor(request)
    company = get_object_or_404(api_selectors.companies_for_api(actor), pk=company_id)
    data = _resolve_people_relations(payload.model_dump(exclude_unset=True), actor)
    tags = data.pop("tags", None)
    services.company_update(actor=actor, company=company, tags=tags, **data)
    return api_selectors.companies_for_api().get(pk=company.pk)


@router.delete(
    "/companies/{int:company_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    tags=["companies"],
)
def delete_company(request: HttpRequest, company_id: int) -> Any:
    actor = _admin(request, "Only admins can delete companies.")
    company = get_object_or_404(Company.objects.all(), pk=company_id)
    services.company_delete(actor=actor, company=company)
    return Status(204, None)
