"""Reads for the People area: list pages, contact and company profiles, the unified timeline."""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from typing import Any

from django.db.models import Count, QuerySet, Value
from django.db.models.functions import Concat, Lower
from django.http import HttpRequest

from revline.campaigns.models import Channel
from revline.core.listing import Column, Listing, build_listing
from revline.core.models import User
from revline.core.templatetags.revline import money
from revline.leads.models import LifecycleTransition
from revline.sales.models import ActivityKind, Deal
from revline.sales.visibility import deals_visible_to
from revline.tracking.models import Touchpoint, TouchpointKind

from .models import (
    LIFECYCLE_ORDER,
    Company,
    CompanySize,
    ConsentRecord,
    ConsentStatus,
    Contact,
    LifecycleStage,
    Tag,
    TimelineEvent,
    TimelineEventKind,
)

TIMELINE_LIMIT = 200
COMPANY_FILTER_LIMIT = 500
COMPANY_CONTACTS_LIMIT = 100

CONTACT_COLUMNS = (
    Column("name", "Name", "name_sort"),
    Column("email", "Email", "email"),
    Column("company", "Company", "company__name"),
    Column("stage", "Lifecycle stage", "lifecycle_stage"),
    Column("owner", "Owner", "owner__first_name"),
    Column("created", "Created", "created_at"),
)
CONTACT_SEARCH_FIELDS = ("search_name", "email", "company__name")
# Query parameter -> ORM lookup. Integer parameters are validated by ContactFilterForm first.
CONTACT_FILTERS = {
    "stage": "lifecycle_stage",
    "owner": "owner_id",
    "company": "company_id",
    "tag": "tags__name",
}

COMPANY_COLUMNS = (
    Column("name", "Name", "name_sort"),
    Column("domain", "Domain", "domain"),
    Column("industry", "Industry", "industry"),
    Column("size", "Size", "size"),
    Column("country", "Country", "country"),
    Column("contacts", "Contacts", "contact_count"),
    Column("created", "Created", "created_at"),
)
COMPANY_SEARCH_FIELDS = ("name", "domain")
COMPANY_FILTERS = {"industry": "industry", "size": "size", "country": "country"}


# --- Lists -------------------------------------------------------------------------------------


def contact_list_queryset() -> QuerySet[Contact]:
    return (
        Contact.objects.select_related("company", "owner")
        .prefetch_related("tags")
        .annotate(
            search_name=Concat("first_name", Value(" "), "last_name"),
            name_sort=Lower("last_name"),
        )
    )


def contact_listing(request: HttpRequest, *, skip_filters: Collection[str] = ()) -> Listing:
    """The contacts list page: `?q=`, the filters of CONTACT_FILTERS, `?segment=`, `?sort=`, `?page=`.

    `skip_filters` names parameters whose values failed validation; they are ignored.
    """
    filters = {k: v for k, v in CONTACT_FILTERS.items() if k not in skip_filters}
    contacts = contact_list_queryset()
    if segment_id := request.GET.get("segment", "").strip():
        # A segment as a report filter: its compiled condition joins the list's one query.
        from revline.segments.selectors import segment_filter_q

        contacts = contacts.filter(segment_filter_q(segment_id=segment_id[:20]))
    return build_listing(
        request,
        contacts,
        columns=CONTACT_COLUMNS,
        search_fields=CONTACT_SEARCH_FIELDS,
        filters=filters,
        default_sort="-created",
    )


@dataclass(frozen=True)
class ContactFilterOptions:
    owners: list[tuple[int, str]]
    companies: list[tuple[int, str]]
    tags: list[str]


def contact_filter_options(*, selected_company: int | None = None) -> ContactFilterOptions:
    """Choices for the contact list filters.

    Companies are capped at COMPANY_FILTER_LIMIT (by name) so the page stays small; a company
    outside the cap that is currently selected is still offered.
    """
    owners = [
        (u.pk, str(u)) for u in User.objects.only("id", "username", "first_name", "last_name")
    ]
    companies = list(
        Company.objects.order_by("name").values_list("id", "name")[:COMPANY_FILTER_LIMIT]
    )
    if selected_company is not None and all(pk != selected_company for pk, _ in companies):
        companies.extend(Company.objects.filter(pk=selected_company).values_list("id", "name"))
    tags = list(Tag.objects.values_list("name", flat=True))
    return ContactFilterOptions(owners=owners, companies=companies, tags=tags)


def company_list_queryset() -> QuerySet[Company]:
    return Company.objects.select_related("owner").annotate(
        contact_count=Count("contacts", distinct=True), name_sort=Lower("name")
    )


def company_listing(request: HttpRequest, *, skip_filters: Collection[str] = ()) -> Listing:
    filters = {k: v for k, v in COMPANY_FILTERS.items() if k not in skip_filters}
    return build_listing(
        request,
        company_list_queryset(),
        columns=COMPANY_COLUMNS,
        search_fields=COMPANY_SEARCH_FIELDS,
        filters=filters,
        default_sort="name",
    )


@dataclass(frozen=True)
class CompanyFilterOptions:
    industries: list[str]
    sizes: list[tuple[str, str]]
    countries: list[str]


def _distinct_values(field: str) -> list[str]:
    rows = Company.objects.exclude(**{field: ""}).order_by(field).values_list(field, flat=True)
    return list(rows.distinct())


def company_filter_options() -> CompanyFilterOptions:
    return CompanyFilterOptions(
        industries=_distinct_values("industry"),
        sizes=list(CompanySize.choices),
        countries=_distinct_values("country"),
    )


# --- Timeline ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    """One line of a contact's unified timeline, already worded for display."""

    occurred_at: datetime
    side: str  # "marketing", "sales" or "system"
    kind: str
    title: str
    detail: tuple[str, ...] = ()
    technical: tuple[str, ...] = ()  # request details, shown folded away
    source: str = ""
    actor: str = ""
    deal_id: int | None = None


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def touchpoint_source(touchpoint: Touchpoint) -> str:
    if touchpoint.channel:
        return _label(Channel, touchpoint.channel)
    return touchpoint.utm_source or "website"


def touchpoint_item(touchpoint: Touchpoint) -> TimelineItem:
    """Word a marketing touchpoint. Reads `campaign` and `link`: select_related them."""
    title = _label(TouchpointKind, touchpoint.kind)
    detail: list[str] = []
    campaign = touchpoint.campaign
    if campaign is not None:
        title = f"{title} · {campaign.name}"
        detail.append(f"Campaign: {campaign.name} ({_label(Channel, campaign.channel)})")
    link = touchpoint.link
    if link is not None and link.label:
        detail.append(f"Link: {link.label}")
    params = touchpoint.params if isinstance(touchpoint.params, dict) else {}
    for key, value in sorted(params.items()):
        if key == "landing_page":
            detail.append(f"Landing page: /lp/{value}")
        elif value not in (None, ""):
            detail.append(f"{key.replace('_', ' ').capitalize()}: {value}")
    utm = [
        f"{name}={value}"
        for name, value in (
            ("source", touchpoint.utm_source),
            ("medium", touchpoint.utm_medium),
            ("campaign", touchpoint.utm_campaign),
            ("content", touchpoint.utm_content),
            ("term", touchpoint.utm_term),
        )
        if value
    ]
    if utm:
        detail.append("UTM: " + " · ".join(utm))
    technical = tuple(
        f"{label}: {value}"
        for label, value in (
            ("URL", touchpoint.url),
            ("Referrer", touchpoint.referrer),
            ("User agent", touchpoint.user_agent),
        )
        if value
    )
    return TimelineItem(
        technical=technical,
        occurred_at=touchpoint.occurred_at,
        side="marketing",
        kind=touchpoint.kind,
        title=title,
        detail=tuple(detail),
        source=touchpoint_source(touchpoint),
    )


_SYSTEM_KINDS = {
    TimelineEventKind.CONTACT_CREATED,
    TimelineEventKind.LIFECYCLE_CHANGED,
    TimelineEventKind.CONSENT_CHANGED,
}


def _event_wording(kind: str, p: dict[str, Any]) -> tuple[str, list[str]]:
    deal = p.get("deal_name", "")
    amount = money(p["amount"], p.get("currency", "")) if p.get("amount") not in (None, "") else ""
    if kind == TimelineEventKind.CONTACT_CREATED:
        return "Contact created", []
    if kind == TimelineEventKind.LIFECYCLE_CHANGED:
        title = "Lifecycle stage: {} → {}".format(
            _label(LifecycleStage, p.get("from_stage", "")),
            _label(LifecycleStage, p.get("to_stage", "")),
        )
        return title, [p["reason"]] if p.get("reason") else []
    if kind == TimelineEventKind.CONSENT_CHANGED:
        status = _label(ConsentStatus, p.get("status", "")).lower()
        return f"Consent {status}: {p.get('purpose', '')}", []
    if kind == TimelineEventKind.DEAL_CREATED:
        return f"Deal created: {deal}", [f"Amount: {amount}"] if amount else []
    if kind == TimelineEventKind.DEAL_STAGE_CHANGED:
        return f"Deal stage changed: {deal}", [
            f"{p.get('from_stage', '')} → {p.get('to_stage', '')}"
        ]
    if kind in (TimelineEventKind.DEAL_WON, TimelineEventKind.DEAL_LOST):
        verb = "won" if kind == TimelineEventKind.DEAL_WON else "lost"
        detail = [f"Amount: {amount}"] if amount else []
        if p.get("reason"):
            detail.append(f"Reason: {p['reason']}")
        return f"Deal {verb}: {deal}", detail
    if kind in (TimelineEventKind.ACTIVITY, TimelineEventKind.NOTE):
        label = _label(ActivityKind, p.get("activity_kind", ActivityKind.NOTE))
        subject = p.get("subject", "")
        body = p.get("body") or p.get("text") or ""
        return (f"{label}: {subject}" if subject else label), [body] if body else []
    return _label(TimelineEventKind, kind), []


def event_item(event: TimelineEvent) -> TimelineItem:
    """Word a sales/system event. Reads `actor`: select_related it."""
    params = event.params if isinstance(event.params, dict) else {}
    title, detail = _event_wording(event.kind, params)
    return TimelineItem(
        occurred_at=event.occurred_at,
        side="system" if event.kind in _SYSTEM_KINDS else "sales",
        kind=event.kind,
        title=title,
        detail=tuple(str(line) for line in detail),
        source=event.source,
        actor=str(event.actor) if event.actor_id and event.actor else "",
        deal_id=event.deal_id,
    )


def merge_newest_first(*streams: Iterable[TimelineItem], limit: int) -> list[TimelineItem]:
    """Merge streams that are each sorted newest first. On equal times, earlier streams win."""
    merged: Iterator[TimelineItem] = heapq.merge(
        *streams, key=lambda i: i.occurred_at, reverse=True
    )
    return list(islice(merged, limit))


def contact_timeline(*, contact: Contact, limit: int = TIMELINE_LIMIT) -> list[TimelineItem]:
    """The contact's marketing touchpoints and sales/system events, newest first, at most `limit`."""
    touchpoints = (
        Touchpoint.objects.filter(contact=contact)
        .select_related("campaign", "link")
        .order_by("-occurred_at", "-pk")[:limit]
    )
    events = (
        TimelineEvent.objects.filter(contact=contact)
        .select_related("actor")
        .order_by("-occurred_at", "-pk")[:limit]
    )
    return merge_newest_first(
        (touchpoint_item(t) for t in touchpoints),
        (event_item(e) for e in events),
        _email_sent_items(contact, limit),
        limit=limit,
    )


def _email_sent_items(contact: Contact, limit: int) -> Iterator[TimelineItem]:
    """Marketing emails handed to the mail server (opens and clicks are touchpoints)."""
    from revline.email.models import Send

    sends = (
        Send.objects.filter(contact=contact, sent_at__isnull=False)
        .select_related("email")
        .order_by("-sent_at", "-pk")[:limit]
    )
    for send in sends:
        detail = [f"Subject: {send.email.subject}"] if send.email.subject else []
        if send.state == "bounced":
            detail.append("Bounced")
        yield TimelineItem(
            occurred_at=send.sent_at,  # type: ignore[arg-type]
            side="marketing",
            kind="email_sent",
            title=f"Email sent: {send.email.name}",
            detail=tuple(detail),
            source="Email",
        )


# --- Profiles ----------------------------------------------------------------------------------


def contact_get(*, pk: int) -> Contact | None:
    return (
        Contact.objects.select_related("company", "owner")
        .prefetch_related("tags")
        .filter(pk=pk)
        .first()
    )


def contacts_by_email(email: str) -> QuerySet[Contact]:
    """Contacts whose email is `email`, ignoring case. Written to match the unique index on
    lower(email) (its condition included), which `email__iexact` cannot use: a look-up, not a
    scan of every contact."""
    return (
        Contact.objects.alias(email_lower=Lower("email"))
        .filter(email_lower=email.strip().lower())
        .exclude(email="")
    )


def contact_email_taken(*, email: str, exclude_pk: int | None = None) -> bool:
    """Whether another contact already has this email (case-insensitive)."""
    others = contacts_by_email(email)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return bool(email.strip()) and others.exists()


def current_consents(history: Iterable[ConsentRecord]) -> list[ConsentRecord]:
    """The record in force per purpose (the newest), sorted by purpose. `history` is newest first."""
    current: dict[str, ConsentRecord] = {}
    for record in history:
        current.setdefault(record.purpose, record)
    return [current[purpose] for purpose in sorted(current)]


@dataclass(frozen=True)
class LifecycleStep:
    value: str
    label: str
    state: str  # "done", "current" or ""


def lifecycle_steps(stage: str) -> list[LifecycleStep]:
    """The forward lifecycle as a progress bar. Disqualified/recycled contacts mark no step."""
    position = LIFECYCLE_ORDER.index(LifecycleStage(stage)) if stage in LIFECYCLE_ORDER else -1
    return [
        LifecycleStep(
            value=s.value,
            label=str(s.label),
            state="current" if i == position else ("done" if i < position else ""),
        )
        for i, s in enumerate(LIFECYCLE_ORDER)
    ]


@dataclass(frozen=True)
class ContactProfile:
    contact: Contact
    consents: list[ConsentRecord]
    consent_history: list[ConsentRecord]
    transitions: list[LifecycleTransition]
    steps: list[LifecycleStep]
    deals: list[Deal]
    timeline: list[TimelineItem]
    timeline_truncated: bool


def _hide_unseen_deals(items: list[TimelineItem], *, viewer: User) -> list[TimelineItem]:
    """Timeline items of deals `viewer` may not see keep their date but lose the deal's details."""
    deal_ids = {item.deal_id for item in items if item.deal_id is not None}
    if not deal_ids:
        return items
    seen = set(
        deals_visible_to(viewer, Deal.objects.filter(pk__in=deal_ids)).values_list("pk", flat=True)
    )
    return [
        item
        if item.deal_id is None or item.deal_id in seen
        else replace(item, title="Deal activity of another team", detail=(), deal_id=None)
        for item in items
    ]


def contact_profile(
    *, contact: Contact, viewer: User | None = None, timeline_limit: int = TIMELINE_LIMIT
) -> ContactProfile:
    """Everything the contact page shows; its deal list only has deals `viewer` may see."""
    history = list(ConsentRecord.objects.filter(contact=contact).order_by("-recorded_at", "-pk"))
    transitions = list(
        LifecycleTransition.objects.filter(contact=contact)
        .select_related("actor")
        .order_by("-occurred_at", "-pk")
    )
    deal_rows = Deal.objects.filter(contact=contact)
    if viewer is not None:
        deal_rows = deals_visible_to(viewer, deal_rows)
    deals = list(
        deal_rows.select_related("stage", "pipeline", "owner").order_by("-created_at", "-pk")
    )
    timeline = contact_timeline(contact=contact, limit=timeline_limit + 1)
    if viewer is not None:
        timeline = _hide_unseen_deals(timeline, viewer=viewer)
    return ContactProfile(
        contact=contact,
        consents=current_consents(history),
        consent_history=history,
        transitions=transitions,
        steps=lifecycle_steps(contact.lifecycle_stage),
        deals=deals,
        timeline=timeline[:timeline_limit],
        timeline_truncated=len(timeline) > timeline_limit,
    )


def company_get(*, pk: int) -> Company | None:
    return Company.objects.select_related("owner").prefetch_related("tags").filter(pk=pk).first()


@dataclass(frozen=True)
class CompanyProfile:
    company: Company
    contacts: list[Contact]
    contact_count: int
    deals: list[Deal]


def company_profile(*, company: Company, viewer: User | None = None) -> CompanyProfile:
    contacts = Contact.objects.filter(company=company).select_related("owner")
    deals = Deal.objects.filter(company=company)
    if viewer is not None:
        deals = deals_visible_to(viewer, deals)
    return CompanyProfile(
        company=company,
        contacts=list(contacts.order_by(Lower("last_name"), "pk")[:COMPANY_CONTACTS_LIMIT]),
        contact_count=contacts.count(),
        deals=list(
            deals.select_related("stage", "contact", "owner").order_by("-created_at", "-pk")
        ),
    )
