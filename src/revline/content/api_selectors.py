"""Reads for the content API: the same querysets the list pages use, filtered and sorted."""

from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from revline.core.models import User
from revline.core.visibility import contact_q

from . import builder_selectors, library_selectors, selectors
from .models import ContentItem, Form, FormField, FormSubmission, LandingPage


def _ordered(queryset: QuerySet[Any], sort: str) -> QuerySet[Any]:
    return queryset.order_by(sort, "-pk" if sort.startswith("-") else "pk")


def content_items_for_api(
    *, audience: bool = True, viewer: User | None = None
) -> QuerySet[ContentItem]:
    """`audience`: False for a reader narrowed by contact visibility (leads are then None);
    revenue counts the deals `viewer` may see (None: all)."""
    return library_selectors.content_items_with_performance(audience=audience, viewer=viewer)


def content_item_search(
    *,
    q: str = "",
    kind: str | None = None,
    status: str | None = None,
    funnel_stage: str | None = None,
    owner_id: int | None = None,
    campaign_id: int | None = None,
    publish_from: date | None = None,
    publish_to: date | None = None,
    sort: str = "-publish_date",
    audience: bool = True,
    viewer: User | None = None,
) -> QuerySet[ContentItem]:
    items = content_items_for_api(audience=audience, viewer=viewer)
    if q:
        items = items.filter(Q(title__icontains=q) | Q(persona__icontains=q) | Q(url__icontains=q))
    exact = {
        "kind": kind,
        "status": status,
        "funnel_stage": funnel_stage,
        "owner_id": owner_id,
        "campaign_id": campaign_id,
    }
    items = items.filter(**{k: v for k, v in exact.items() if v is not None})
    if publish_from:
        items = items.filter(publish_date__gte=publish_from)
    if publish_to:
        items = items.filter(publish_date__lte=publish_to)
    return _ordered(items, sort)


def landing_pages_for_api(*, audience: bool = True) -> QuerySet[LandingPage]:
    return selectors.landing_pages_with_counts(audience=audience).select_related("form")


def landing_page_search(
    *,
    q: str = "",
    campaign_id: int | None = None,
    status: str | None = None,
    sort: str = "title",
    audience: bool = True,
) -> QuerySet[LandingPage]:
    pages = landing_pages_for_api(audience=audience)
    if q:
        pages = pages.filter(
            Q(title__icontains=q) | Q(slug__icontains=q) | Q(headline__icontains=q)
        )
    if campaign_id is not None:
        pages = pages.filter(campaign_id=campaign_id)
    if status:
        pages = pages.filter(is_published=status == "published")
    return _ordered(pages, sort)


def forms_for_api(*, audience: bool = True) -> QuerySet[Form]:
    return builder_selectors.forms_with_counts(audience=audience).prefetch_related(
        Prefetch("fields", queryset=FormField.objects.order_by("position", "pk"))
    )


def form_search(
    *, q: str = "", campaign_id: int | None = None, sort: str = "name", audience: bool = True
) -> QuerySet[Form]:
    forms = forms_for_api(audience=audience)
    if q:
        forms = forms.filter(name__icontains=q)
    if campaign_id is not None:
        forms = forms.filter(campaign_id=campaign_id)
    return _ordered(forms, sort)


def submission_search(
    *,
    form: Form | None = None,
    page: LandingPage | None = None,
    submitted_from: datetime | None = None,
    submitted_to: datetime | None = None,
    sort: str = "-submitted_at",
    viewer: User | None = None,
) -> QuerySet[FormSubmission]:
    """Submissions, without those of contacts `viewer` may not see (anonymous ones stay)."""
    rows = FormSubmission.objects.select_related("contact")
    if viewer is not None and (condition := contact_q(viewer, "contact__")):
        rows = rows.filter(condition)
    if form is not None:
        rows = rows.filter(form=form)
    if page is not None:
        rows = rows.filter(landing_page=page)
    if submitted_from:
        rows = rows.filter(submitted_at__gte=submitted_from)
    if submitted_to:
        rows = rows.filter(submitted_at__lte=submitted_to)
    return _ordered(rows, sort)
