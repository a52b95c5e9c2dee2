"""Reads behind the people API: filtered contact/company lists and the merged timeline."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from revline.core.models import User
from revline.core.visibility import (
    activity_q,
    contact_q,
    deal_q,
    visible_companies,
    visible_contacts,
)
from revline.sales.models import Activity
from revline.tracking.models import Touchpoint

from .models import Company, Contact, TimelineEvent


def contacts_for_api(viewer: User | None = None) -> QuerySet[Contact]:
    """Contacts as the API shows them; with `viewer`, only those `viewer` may see (every route
    passes it: a hidden contact is "not found")."""
    contacts = (
        Contact.objects.all() if viewer is None else visible_contacts(Contact.objects.all(), viewer)
    )
    return contacts.select_related("company", "owner").prefetch_related("tags")


def contact_search(
    *,
    viewer: User,
    q: str = "",
    lifecycle_stage: str | None = None,
    owner_id: int | None = None,
    company_id: int | None = None,
    tag: str | None = None,
    created_after: datetime | None = None,
    sort: str = "-created_at",
) -> QuerySet[Contact]:
    """Contacts matching every given filter, ordered by `sort` (a field name, `-` for descending)."""
    contacts = contacts_for_api(viewer)
    if q:
        contacts = contacts.filter(
            Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
            | Q(company__name__icontains=q)
        )
    if lifecycle_stage:
        contacts = contacts.filter(lifecycle_stage=lifecycle_stage)
    if owner_id is not None:
        contacts = contacts.filter(owner_id=owner_id)
    if company_id is not None:
        contacts = contacts.filter(company_id=company_id)
    if tag:
        contacts = contacts.filter(tags__name=tag.strip().lower())
    if created_after is not None:
        contacts = contacts.filter(created_at__gte=created_after)
    descending = "-pk" if sort.startswith("-") else "pk"
    return contacts.order_by(sort, descending)


def companies_for_api(viewer: User | None = None) -> QuerySet[Company]:
    """Companies as the API shows them; with `viewer`, only those `viewer` may see, and
    `contact_count` counts only the contacts `viewer` may see."""
    if viewer is None:
        return (
            Company.objects.select_related("owner")
            .prefetch_related("tags")
            .annotate(contact_count=Count("contacts", distinct=True))
        )
    counted = contact_q(viewer, "contacts__")
    count = (
        Count("contacts", filter=counted, distinct=True)
        if counted
        else Count("contacts", distinct=True)
    )
    return (
        visible_companies(Company.objects.all(), viewer)
        .select_related("owner")
        .prefetch_related("tags")
        .annotate(contact_count=count)
    )


def company_search(
    *,
    viewer: User,
    q: str = "",
    industry: str = "",
    size: str | None = None,
    owner_id: int | None = None,
    tag: str | None = None,
    created_after: datetime | None = None,
    sort: str = "name",
) -> QuerySet[Company]:
    companies = companies_for_api(viewer)
    if q:
        companies = companies.filter(Q(name__icontains=q) | Q(domain__icontains=q))
    if industry:
        companies = companies.filter(industry__iexact=industry)
    if size:
        companies = companies.filter(size=size)
    if owner_id is not None:
        companies = companies.filter(owner_id=owner_id)
    if tag:
        companies = companies.filter(tags__name=tag.strip().lower())
    if created_after is not None:
        companies = companies.filter(created_at__gte=created_after)
    descending = "-pk" if sort.startswith("-") else "pk"
    return companies.order_by(sort, descending)


@dataclass(frozen=True)
class TimelineItem:
    type: str  # "touchpoint" (marketing) or "event" (sales/system)
    id: int
    kind: str
    occurred_at: datetime
    campaign_id: int | None = None
    campaign_name: str = ""
    channel: str = ""
    url: str = ""
    deal_id: int | None = None
    actor_id: int | None = None
    source: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def contact_timeline(
    *, contact: Contact, limit: int = 50, viewer: User | None = None
) -> list[TimelineItem]:
    """The contact's touchpoints and timeline events, newest first, at most `limit` of them.

    With `viewer`, events of deals and logged activities `viewer` may not see are left out,
    as on the contact page (core.visibility)."""
    touchpoints = [
        TimelineItem(
            type="touchpoint",
            id=t.pk,
            kind=t.kind,
            occurred_at=t.occurred_at,
            campaign_id=t.campaign_id,
            campaign_name=t.campaign.name if t.campaign else "",
            channel=t.channel,
            url=t.url,
            params=t.params,
        )
        for t in Touchpoint.objects.filter(contact=contact)
        .select_related("campaign")
        .order_by("-occurred_at", "-pk")[:limit]
    ]
    events = [
        TimelineItem(
            type="event",
            id=e.pk,
            kind=e.kind,
            occurred_at=e.occurred_at,
            deal_id=e.deal_id,
            actor_id=e.actor_id,
            source=e.source,
            params=e.params,
        )
        for e in _visible_events(TimelineEvent.objects.filter(contact=contact), viewer).order_by(
            "-occurred_at", "-pk"
        )[:limit]
    ]
    # At equal times an event is listed above the touch, which usually caused it.
    merged = sorted(
        touchpoints + events,
        key=lambda item: (item.occurred_at, item.type == "event", item.id),
        reverse=True,
    )
    return _without_hidden_activities(merged[:limit], viewer)


def _visible_events(
    events: QuerySet[TimelineEvent], viewer: User | None
) -> QuerySet[TimelineEvent]:
    """Without the events of deals `viewer` may not see."""
    if viewer is None:
        return events
    deals = deal_q(viewer, "deal__")
    return events.filter(Q(deal__isnull=True) | deals) if deals else events


def _without_hidden_activities(
    items: list[TimelineItem], viewer: User | None
) -> list[TimelineItem]:
    """Without the events of logged activities `viewer` may not see (they name it in params)."""
    if viewer is None:
        return items
    named = {i.params.get("activity_id") for i in items if isinstance(i.params, dict)}
    ids = {pk for pk in named if isinstance(pk, int) and not isinstance(pk, bool)}
    condition = activity_q(viewer)
    if not ids or not condition:
        return items
    existing = Activity.objects.filter(pk__in=ids)
    hidden = set(existing.values_list("pk", flat=True)) - set(
        existing.filter(condition).values_list("pk", flat=True)
    )
    return [
        i
        for i in items
        if not (
            i.type == "event"
            and isinstance(i.params, dict)
            and i.params.get("activity_id") in hidden
        )
    ]
