"""The content library, landing pages, forms, form fields and submissions over the JSON API.

Everyone with a token reads (as in the UI); marketers and admins write. Submitting a form stays
on the public pages (/lp/<slug>, /f/<key>); the API reads submissions only.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.pagination import paginate

from revline.campaigns.models import Campaign
from revline.core import permissions
from revline.core.api_support import active_user_or_422, api_user, related_or_422, split_relations
from revline.core.audience import require_whole_audience, sees_whole_audience, whole_audience
from revline.core.models import User
from revline.core.schemas import ErrorOut, LimitOffset

from . import api_selectors, builder_services, library_services, services
from .api_schemas import (
    ContentItemFilters,
    ContentItemIn,
    ContentItemOut,
    ContentItemPatch,
    ContentMoveIn,
    ContentStatusIn,
    FieldMoveIn,
    FormFieldIn,
    FormFieldOut,
    FormFieldPatch,
    FormFilters,
    FormIn,
    FormOut,
    FormPatch,
    LandingPageFilters,
    LandingPageIn,
    LandingPageOut,
    LandingPagePatch,
    SubmissionFilters,
    SubmissionOut,
)
from .models import ContentItem, Form, FormField, LandingPage

router = Router(tags=["content"])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
SUBMISSIONS_403 = (
    "Submissions are those of every contact: 403 for a sales rep or manager whose contact "
    "visibility is not 'all'."
)
WRITE_DENIED = "Only marketers and admins manage content, landing pages and forms."
ITEM_FIELDS = (
    "title",
    "kind",
    "status",
    "owner",
    "persona",
    "funnel_stage",
    "campaign",
    "url",
    "publish_date",
    "summary",
)


def _marketer(request: HttpRequest) -> User:
    """Refuse other roles before any body field is looked at (the services check again)."""
    user = api_user(request)
    permissions.require(permissions.can_manage_marketing(user), WRITE_DENIED)
    return user


def _campaign_or_422(pk: int | None) -> Campaign | None:
    return related_or_422(Campaign.objects.all(), pk, field="campaign_id")


def _resolve(data: dict[str, Any]) -> dict[str, Any]:
    """Turn `owner_id`/`campaign_id`/`form_id` that were sent into records (422 if unknown)."""
    related = split_relations(data, "owner", "campaign", "form")
    if "owner" in related:
        data["owner"] = active_user_or_422(related["owner"])
    if "campaign" in related:
        data["campaign"] = _campaign_or_422(related["campaign"])
    if "form" in related:
        data["form"] = related_or_422(Form.objects.all(), related["form"], field="form_id")
    return data


# --- Content items -----------------------------------------------------------------------------


def _audience(request: HttpRequest) -> bool:
    """Whether the caller sees counts over every contact (leads, submissions; core.audience)."""
    return sees_whole_audience(api_user(request))


def _item(item_id: int, *, viewer: User | None = None) -> ContentItem:
    """The item as `viewer` sees it: leads only for a whole-audience reader, revenue of the
    deals they may see (None: a marketer's write, who sees everything)."""
    audience = whole_audience(viewer)
    items = api_selectors.content_items_for_api(audience=audience, viewer=viewer)
    return get_object_or_404(items, pk=item_id)


@router.get("/content/items", response=list[ContentItemOut], summary="The content library")
@paginate(LimitOffset)
def list_content_items(request: HttpRequest, filters: Query[ContentItemFilters]) -> Any:
    viewer = api_user(request)
    return api_selectors.content_item_search(
        **filters.model_dump(), audience=sees_whole_audience(viewer), viewer=viewer
    )


@router.post(
    "/content/items", response={201: ContentItemOut, **ERRORS}, summary="Add a content item"
)
def create_content_item(request: HttpRequest, payload: ContentItemIn) -> Any:
    actor = _marketer(request)
    data = _resolve(payload.model_dump())
    item = library_services.content_item_create(actor=actor, **data)
    return Status(201, _item(item.pk))


@router.get(
    "/content/items/{int:item_id}",
    response={200: ContentItemOut, 404: ErrorOut},
    summary="A content item with its performance",
)
def get_content_item(request: HttpRequest, item_id: int) -> Any:
    return _item(item_id, viewer=api_user(request))


@router.patch(
    "/content/items/{int:item_id}",
    response={200: ContentItemOut, **ERRORS},
    summary="Change a content item; the status may only take an allowed step",
)
def update_content_item(request: HttpRequest, item_id: int, payload: ContentItemPatch) -> Any:
    actor = _marketer(request)
    item = get_object_or_404(ContentItem.objects.all(), pk=item_id)
    values = {name: getattr(item, name) for name in ITEM_FIELDS}
    values.update(_resolve(payload.model_dump(exclude_unset=True)))
    library_services.content_item_update(actor=actor, item=item, **values)
    return _item(item.pk)


@router.delete(
    "/content/items/{int:item_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove a content item from the library",
)
def delete_content_item(request: HttpRequest, item_id: int) -> Any:
    actor = _marketer(request)
    item = get_object_or_404(ContentItem.objects.all(), pk=item_id)
    library_services.content_item_delete(actor=actor, item=item)
    return Status(204, None)


@router.post(
    "/content/items/{int:item_id}/status",
    response={200: ContentItemOut, **ERRORS},
    summary="Take one workflow step: idea → draft → in review → scheduled → published",
)
def set_content_item_status(request: HttpRequest, item_id: int, payload: ContentStatusIn) -> Any:
    actor = _marketer(request)
    item = get_object_or_404(ContentItem.objects.all(), pk=item_id)
    library_services.content_item_set_status(actor=actor, item=item, status=payload.status)
    return _item(item.pk)


@router.post(
    "/content/items/{int:item_id}/move",
    response={200: ContentItemOut, **ERRORS},
    summary="Put an unpublished item on another day of the calendar",
)
def move_content_item(request: HttpRequest, item_id: int, payload: ContentMoveIn) -> Any:
    actor = _marketer(request)
    item = get_object_or_404(ContentItem.objects.all(), pk=item_id)
    library_services.content_item_move(actor=actor, item=item, publish_date=payload.publish_date)
    return _item(item.pk)


# --- Landing pages -----------------------------------------------------------------------------


def _page(page_id: int, *, audience: bool = True) -> LandingPage:
    return get_object_or_404(api_selectors.landing_pages_for_api(audience=audience), pk=page_id)


@router.get("/content/landing-pages", response=list[LandingPageOut], summary="Landing pages")
@paginate(LimitOffset)
def list_landing_pages(request: HttpRequest, filters: Query[LandingPageFilters]) -> Any:
    return api_selectors.landing_page_search(**filters.model_dump(), audience=_audience(request))


@router.post(
    "/content/landing-pages",
    response={201: LandingPageOut, **ERRORS},
    summary="Create a landing page (blocks validated and sanitised)",
)
def create_landing_page(request: HttpRequest, payload: LandingPageIn) -> Any:
    actor = _marketer(request)
    page = LandingPage(**_resolve(payload.model_dump()))
    services.landing_page_save(actor=actor, page=page)
    return Status(201, _page(page.pk))


@router.get(
    "/content/landing-pages/{int:page_id}",
    response={200: LandingPageOut, 404: ErrorOut},
    summary="A landing page",
)
def get_landing_page(request: HttpRequest, page_id: int) -> Any:
    return _page(page_id, audience=_audience(request))


@router.patch(
    "/content/landing-pages/{int:page_id}",
    response={200: LandingPageOut, **ERRORS},
    summary="Change a landing page",
)
def update_landing_page(request: HttpRequest, page_id: int, payload: LandingPagePatch) -> Any:
    actor = _marketer(request)
    page = get_object_or_404(LandingPage.objects.all(), pk=page_id)
    for name, value in _resolve(payload.model_dump(exclude_unset=True)).items():
        setattr(page, name, value)
    services.landing_page_save(actor=actor, page=page)
    return _page(page.pk)


@router.delete(
    "/content/landing-pages/{int:page_id}",
    response={204: None, **ERRORS},
    summary="Delete a page without submissions or creatives (otherwise unpublish it)",
)
def delete_landing_page(request: HttpRequest, page_id: int) -> Any:
    actor = _marketer(request)
    page = get_object_or_404(LandingPage.objects.all(), pk=page_id)
    services.landing_page_delete(actor=actor, page=page)
    return Status(204, None)


@router.post(
    "/content/landing-pages/{int:page_id}/publish",
    response={200: LandingPageOut, **ERRORS},
    summary="Publish a page at /lp/<slug>",
)
def publish_landing_page(request: HttpRequest, page_id: int) -> Any:
    actor = _marketer(request)
    page = get_object_or_404(LandingPage.objects.all(), pk=page_id)
    services.landing_page_set_published(actor=actor, page=page, published=True)
    return _page(page.pk)


@router.post(
    "/content/landing-pages/{int:page_id}/unpublish",
    response={200: LandingPageOut, **ERRORS},
    summary="Take a page offline (its URL answers 404)",
)
def unpublish_landing_page(request: HttpRequest, page_id: int) -> Any:
    actor = _marketer(request)
    page = get_object_or_404(LandingPage.objects.all(), pk=page_id)
    services.landing_page_set_published(actor=actor, page=page, published=False)
    return _page(page.pk)


@router.get(
    "/content/landing-pages/{int:page_id}/submissions",
    response={200: list[SubmissionOut], 403: ErrorOut, 404: ErrorOut},
    summary="Submissions sent from this page, newest first",
    description=SUBMISSIONS_403,
)
@paginate(LimitOffset)
def list_page_submissions(
    request: HttpRequest, page_id: int, filters: Query[SubmissionFilters]
) -> Any:
    require_whole_audience(api_user(request))
    page = get_object_or_404(LandingPage.objects.all(), pk=page_id)
    return api_selectors.submission_search(
        page=page, viewer=api_user(request), **filters.model_dump()
    )


# --- Forms -------------------------------------------------------------------------------------


def _form(form_id: int, *, audience: bool = True) -> Form:
    return get_object_or_404(api_selectors.forms_for_api(audience=audience), pk=form_id)


@router.get("/content/forms", response=list[FormOut], summary="Forms of the form builder")
@paginate(LimitOffset)
def list_forms(request: HttpRequest, filters: Query[FormFilters]) -> Any:
    return api_selectors.form_search(**filters.model_dump(), audience=_audience(request))


@router.post(
    "/content/forms",
    response={201: FormOut, **ERRORS},
    summary="Create a form (with its required email field)",
)
def create_form(request: HttpRequest, payload: FormIn) -> Any:
    actor = _marketer(request)
    form = Form(**_resolve(payload.model_dump()))
    builder_services.form_create(actor=actor, form=form)
    return Status(201, _form(form.pk))


@router.get(
    "/content/forms/{int:form_id}", response={200: FormOut, 404: ErrorOut}, summary="A form"
)
def get_form(request: HttpRequest, form_id: int) -> Any:
    return _form(form_id, audience=_audience(request))


@router.patch(
    "/content/forms/{int:form_id}", response={200: FormOut, **ERRORS}, summary="Change a form"
)
def update_form(request: HttpRequest, form_id: int, payload: FormPatch) -> Any:
    actor = _marketer(request)
    form = get_object_or_404(Form.objects.all(), pk=form_id)
    for name, value in _resolve(payload.model_dump(exclude_unset=True)).items():
        setattr(form, name, value)
    builder_services.form_update(actor=actor, form=form)
    return _form(form.pk)


@router.delete(
    "/content/forms/{int:form_id}",
    response={204: None, **ERRORS},
    summary="Delete a form that has no submissions",
)
def delete_form(request: HttpRequest, form_id: int) -> Any:
    actor = _marketer(request)
    form = get_object_or_404(Form.objects.all(), pk=form_id)
    builder_services.form_delete(actor=actor, form=form)
    return Status(204, None)


@router.get(
    "/content/forms/{int:form_id}/fields",
    response={200: list[FormFieldOut], 404: ErrorOut},
    summary="The form's fields, in order",
)
def list_form_fields(request: HttpRequest, form_id: int) -> Any:
    form = get_object_or_404(Form.objects.all(), pk=form_id)
    return list(form.fields.order_by("position", "pk"))


@router.post(
    "/content/forms/{int:form_id}/fields",
    response={201: FormFieldOut, **ERRORS},
    summary="Add a field (it goes last)",
)
def create_form_field(request: HttpRequest, form_id: int, payload: FormFieldIn) -> Any:
    actor = _marketer(request)
    form = get_object_or_404(Form.objects.all(), pk=form_id)
    field = FormField(form=form, **payload.model_dump())
    return Status(201, _field_save(actor, field))


def _field_save(actor: User, field: FormField) -> FormField:
    """Save through the builder's service; its `options_text` (the UI's box) is `options` here."""
    try:
        return builder_services.form_field_save(actor=actor, field=field)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "options_text" in exc.error_dict:
            exc.error_dict["options"] = exc.error_dict.pop("options_text")
        raise


def _field(form_id: int, field_id: int) -> FormField:
    return get_object_or_404(FormField.objects.all(), pk=field_id, form_id=form_id)


@router.get(
    "/content/forms/{int:form_id}/fields/{int:field_id}",
    response={200: FormFieldOut, 404: ErrorOut},
    summary="A form field",
)
def get_form_field(request: HttpRequest, form_id: int, field_id: int) -> Any:
    return _field(form_id, field_id)


@router.patch(
    "/content/forms/{int:form_id}/fields/{int:field_id}",
    response={200: FormFieldOut, **ERRORS},
    summary="Change a field; the email field stays a required Email",
)
def update_form_field(
    request: HttpRequest, form_id: int, field_id: int, payload: FormFieldPatch
) -> Any:
    actor = _marketer(request)
    field = _field(form_id, field_id)
    for name, value in payload.model_dump(exclude_unset=True).items():
        setattr(field, name, value)
    return _field_save(actor, field)


@router.delete(
    "/content/forms/{int:form_id}/fields/{int:field_id}",
    response={204: None, **ERRORS},
    summary="Remove a field (not the email field)",
)
def delete_form_field(request: HttpRequest, form_id: int, field_id: int) -> Any:
    actor = _marketer(request)
    field = _field(form_id, field_id)
    builder_services.form_field_delete(actor=actor, field=field)
    return Status(204, None)


@router.post(
    "/content/forms/{int:form_id}/fields/{int:field_id}/move",
    response={200: list[FormFieldOut], **ERRORS},
    summary="Move a field one place up or down; returns the fields in their new order",
)
def move_form_field(request: HttpRequest, form_id: int, field_id: int, payload: FieldMoveIn) -> Any:
    actor = _marketer(request)
    field = _field(form_id, field_id)
    offset = -1 if payload.direction == "up" else 1
    builder_services.form_field_move(actor=actor, field=field, offset=offset)
    return list(FormField.objects.filter(form_id=form_id).order_by("position", "pk"))


@router.get(
    "/content/forms/{int:form_id}/submissions",
    response={200: list[SubmissionOut], 403: ErrorOut, 404: ErrorOut},
    summary="Submissions of this form, newest first (read only)",
    description=SUBMISSIONS_403,
)
@paginate(LimitOffset)
def list_form_submissions(
    request: HttpRequest, form_id: int, filters: Query[SubmissionFilters]
) -> Any:
    require_whole_audience(api_user(request))
    form = get_object_or_404(Form.objects.all(), pk=form_id)
    return api_selectors.submission_search(
        form=form, viewer=api_user(request), **filters.model_dump()
    )


@router.get(
    "/content/forms/{int:form_id}/submissions/{int:submission_id}",
    response={200: SubmissionOut, 403: ErrorOut, 404: ErrorOut},
    summary="One submission with every value sent",
    description=SUBMISSIONS_403,
)
def get_form_submission(request: HttpRequest, form_id: int, submission_id: int) -> Any:
    require_whole_audience(api_user(request))
    form = get_object_or_404(Form.objects.all(), pk=form_id)
    return get_object_or_404(api_selectors.submission_search(form=form), pk=submission_id)
