"""Reads for the People area: list pages, contact and company profiles, the unified timeline."""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Value
from django.db.models.functions import Concat, Lower
from django.http import HttpRequest

from revline.campaigns.models import Channel
from revline.content.models import ContentKind
from revline.core.listing import Column, Listing, build_listing
from revline.core.models import User
from revline.core.templatetags.revline import money
from revline.core.visibility import (
    activity_q,
    contact_q,
    users_q,
    visible_companies,
    visible_contacts,
    with_hidden_flags,
)
from revline.leads.models import LifecycleTransition
from revline.sales.models import Activity, ActivityKind, Deal, Meeting, Objection
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
COMPANY_TRANSITIONS_LIMIT = 20
OBJECTIONS_LIMIT = 50
MEETINGS_LIMIT = 10
CONTENT_LIMIT = 10

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


def contact_listing(
    request: HttpRequest, *, viewer: User | None = None, skip_filters: Collection[str] = ()
) -> Listing:
    """The contacts list page: `?q=`, the filters of CONTACT_FILTERS, `?segment=`, `?sort=`, `?page=`.

    Only contacts `viewer` may see (core.visibility); pages and exports always pass the viewer.
    `skip_filters` names parameters whose values failed validation; they are ignored.
    """
    filters = {k: v for k, v in CONTACT_FILTERS.items() if k not in skip_filters}
    contacts = contact_list_queryset()
    if viewer is not None:
        contacts = visible_contacts(contacts, viewer)
        contacts = with_hidden_flags(contacts, viewer, company="company")
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


def contact_filter_options(
    *, selected_company: int | None = None, viewer: User | None = None
) -> ContactFilterOptions:
    """Choices for the contact list filters; companies only those `viewer` may see.

    Companies are capped at COMPANY_FILTER_LIMIT (by name) so the page stays small; a company
    outside the cap that is currently selected is still offered.
    """
    people = User.objects.only("id", "username", "first_name", "last_name")
    tags = Tag.objects.order_by("name")
    if viewer is not None:
        # Only owners whose contacts `viewer` sees, and tags that occur on visible contacts: an
        # option only hidden contacts have would tell of them.
        people = people.filter(users_q(viewer, "contact"))
        if condition := contact_q(viewer, "contacts__"):
            tags = tags.filter(condition, contacts__isnull=False).distinct()
    owners = [(u.pk, str(u)) for u in people]
    visible = Company.objects.all()
    if viewer is not None:
        visible = visible_companies(visible, viewer)
    companies = list(visible.order_by("name").values_list("id", "name")[:COMPANY_FILTER_LIMIT])
    if selected_company is not None and all(pk != selected_company for pk, _ in companies):
        companies.extend(visible.filter(pk=selected_company).values_list("id", "name"))
    return ContactFilterOptions(
        owners=owners, companies=companies, tags=list(tags.values_list("name", flat=True))
    )


def company_list_queryset(viewer: User | None = None) -> QuerySet[Company]:
    """Companies with their number of contacts; with `viewer`, only the companies and (in the
    count) the contacts `viewer` may see."""
    if viewer is None:
        companies, counted = Company.objects.all(), Q()
    else:
        companies, counted = (
            visible_companies(Company.objects.all(), viewer),
            contact_q(viewer, "contacts__"),
        )
    count = (
        Count("contacts", filter=counted, distinct=True)
        if counted
        else Count("contacts", distinct=True)
    )
    return companies.select_related("owner").annotate(contact_count=count, name_sort=Lower("name"))


def company_listing(
    request: HttpRequest, *, viewer: User | None = None, skip_filters: Collection[str] = ()
) -> Listing:
    """The companies list page; only companies `viewer` may see (see contact_listing)."""
    filters = {k: v for k, v in COMPANY_FILTERS.items() if k not in skip_filters}
    return build_listing(
        request,
        company_list_queryset(viewer),
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


def _distinct_values(companies: QuerySet[Company], field: str) -> list[str]:
    rows = companies.exclude(**{field: ""}).order_by(field).values_list(field, flat=True)
    return list(rows.distinct())


def company_filter_options(viewer: User | None = None) -> CompanyFilterOptions:
    """Industries and countries of the companies `viewer` may see (a value only hidden companies
    have would tell of them)."""
    companies = Company.objects.all()
    if viewer is not None:
        companies = visible_companies(companies, viewer)
    return CompanyFilterOptions(
        industries=_distinct_values(companies, "industry"),
        sizes=list(CompanySize.choices),
        countries=_distinct_values(companies, "country"),
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
    activity_kind: str = ""  # for sales activities: note, call, meeting, email, task
    contact_id: int | None = None  # set on a company's combined timeline
    contact_name: str = ""
    activity_id: int | None = None  # for logged activities, to apply their visibility

    @property
    def is_note(self) -> bool:
        return self.activity_kind == ActivityKind.NOTE


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# Touches Revline records itself rather than from a visit: they have no traffic source.
_SOURCELESS = {
    TouchpointKind.EXPERIMENT_EXPOSURE,
    TouchpointKind.EXPERIMENT_CONVERSION,
    TouchpointKind.SURVEY_RESPONSE,
}


def touchpoint_source(touchpoint: Touchpoint) -> str:
    if touchpoint.channel:
        return _label(Channel, touchpoint.channel)
    if touchpoint.kind in _SOURCELESS:
        return touchpoint.utm_source
    return touchpoint.utm_source or "website"


def touchpoint_item(touchpoint: Touchpoint) -> TimelineItem:
    """Word a marketing touchpoint. Reads `campaign`, `link` and `content_item`: select_related
    them."""
    title = _label(TouchpointKind, touchpoint.kind)
    detail: list[str] = []
    campaign = touchpoint.campaign
    if campaign is not None:
        title = f"{title} · {campaign.name}"
        detail.append(f"Campaign: {campaign.name} ({_label(Channel, campaign.channel)})")
    link = touchpoint.link
    if link is not None and link.label:
        detail.append(f"Link: {link.label}")
    content = touchpoint.content_item
    if content is not None:
        detail.append(f"Content: {content.title} ({_label(ContentKind, content.kind)})")
    params = touchpoint.params if isinstance(touchpoint.params, dict) else {}
    if touchpoint.kind == TouchpointKind.SURVEY_RESPONSE:
        title = f"{title} · {params.get('survey', 'a survey')}"
        scores = [f"{k.upper()} {params[k]}" for k in ("nps", "csat") if params.get(k) is not None]
        detail.append("Answered the survey" + (f": {', '.join(scores)}" if scores else ""))
        params = {}
    if touchpoint.kind in (
        TouchpointKind.EXPERIMENT_EXPOSURE,
        TouchpointKind.EXPERIMENT_CONVERSION,
    ):
        title = f"{title} · {params.get('test') or 'an A/B test'}"
        variant = params.get("variant_name") or params.get("variant") or "?"
        seen = touchpoint.kind == TouchpointKind.EXPERIMENT_EXPOSURE
        detail.append(f"{'Shown' if seen else 'Reached the goal with'} variant {variant}")
        params = {}
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
        activity_kind=_activity_kind(event.kind, params),
        activity_id=_activity_id(params),
    )


def _activity_id(params: dict[str, Any]) -> int | None:
    value = params.get("activity_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _activity_kind(kind: str, params: dict[str, Any]) -> str:
    if kind == TimelineEventKind.NOTE:
        return ActivityKind.NOTE
    if kind == TimelineEventKind.ACTIVITY:
        return str(params.get("activity_kind", ActivityKind.NOTE))
    return ""


def merge_newest_first(*streams: Iterable[TimelineItem], limit: int) -> list[TimelineItem]:
    """Merge streams that are each sorted newest first. On equal times, earlier streams win."""
    merged: Iterator[TimelineItem] = heapq.merge(
        *streams, key=lambda i: i.occurred_at, reverse=True
    )
    return list(islice(merged, limit))


TIMELINE_TABS = (
    ("all", "All"),
    ("marketing", "Marketing"),
    ("sales", "Sales"),
    ("notes", "Notes"),
)
_NOTE_EVENTS = Q(kind=TimelineEventKind.NOTE) | Q(
    kind=TimelineEventKind.ACTIVITY, params__activity_kind=ActivityKind.NOTE
)


def timeline_tab(value: str | None) -> str:
    """The timeline tab asked for, "all" when unknown."""
    return value if value in dict(TIMELINE_TABS) else "all"


def _timeline_streams(
    touchpoints: QuerySet[Touchpoint],
    events: QuerySet[TimelineEvent],
    sends: Iterable[TimelineItem],
    extra: Iterable[TimelineItem],
    *,
    tab: str,
    limit: int,
    who: bool = False,
) -> list[TimelineItem]:
    """Merge the streams one tab shows; each is filtered in its query, not after the limit.
    With `who`, each item names its contact (a company's combined timeline)."""
    streams: list[Iterable[TimelineItem]] = []
    related = ("contact",) if who else ()
    if tab in ("all", "marketing"):
        rows = touchpoints.select_related("campaign", "link", "content_item", *related)
        streams.append(
            _named(touchpoint_item(t), t.contact if who else None)
            for t in rows.order_by("-occurred_at", "-pk")[:limit]
        )
    if tab != "marketing":
        if tab == "sales":
            events = events.exclude(kind__in=_SYSTEM_KINDS)
        elif tab == "notes":
            events = events.filter(_NOTE_EVENTS)
        rows_e = events.select_related("actor", *related).order_by("-occurred_at", "-pk")[:limit]
        streams.append(_named(event_item(e), e.contact if who else None) for e in rows_e)
    if tab in ("all", "marketing"):
        streams.append(sends)
    if tab in ("all", "sales"):
        streams.append(extra)
    return merge_newest_first(*streams, limit=limit)


def _named(item: TimelineItem, contact: Contact | None) -> TimelineItem:
    if contact is None:
        return item
    return replace(item, contact_id=contact.pk, contact_name=str(contact))


def contact_timeline(
    *,
    contact: Contact,
    limit: int = TIMELINE_LIMIT,
    tab: str = "all",
    extra: Iterable[TimelineItem] = (),
) -> list[TimelineItem]:
    """The contact's marketing touchpoints and sales/system events, newest first, at most `limit`,
    narrowed to one tab of TIMELINE_TABS. `extra` are more sales items, sorted newest first."""
    return _timeline_streams(
        Touchpoint.objects.filter(contact=contact),
        TimelineEvent.objects.filter(contact=contact),
        _email_sent_items(Q(contact=contact), limit) if tab in ("all", "marketing") else (),
        extra,
        tab=tab,
        limit=limit,
    )


def _email_sent_items(condition: Q, limit: int, *, who: bool = False) -> Iterator[TimelineItem]:
    """Marketing emails handed to the mail server (opens and clicks are touchpoints)."""
    from revline.email.models import Send

    sends = (
        Send.objects.filter(condition, sent_at__isnull=False)
        .select_related("email", *(("contact",) if who else ()))
        .order_by("-sent_at", "-pk")[:limit]
    )
    for send in sends:
        detail = [f"Subject: {send.email.subject}"] if send.email.subject else []
        if send.state == "bounced":
            detail.append("Bounced")
        item = TimelineItem(
            occurred_at=send.sent_at,  # type: ignore[arg-type]
            side="marketing",
            kind="email_sent",
            title=f"Email sent: {send.email.name}",
            detail=tuple(detail),
            source="Email",
        )
        yield _named(item, send.contact if who else None)


# --- Profiles ----------------------------------------------------------------------------------


def contact_get(*, pk: int, viewer: User | None = None) -> Contact | None:
    """The contact, or None when there is none or `viewer` may not see it."""
    contacts = (
        Contact.objects.all() if viewer is None else visible_contacts(Contact.objects.all(), viewer)
    )
    return (
        contacts.select_related("company", "owner").prefetch_related("tags").filter(pk=pk).first()
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


def most_advanced_stage(stages: Iterable[str]) -> str | None:
    """The furthest forward lifecycle stage among `stages`; recycled, then disqualified, when
    none is forward; None for no stages."""
    present = set(stages)
    forward = [s for s in LIFECYCLE_ORDER if s in present]
    if forward:
        return str(forward[-1].value)
    for side in (LifecycleStage.RECYCLED, LifecycleStage.DISQUALIFIED):
        if side in present:
            return str(side.value)
    return None


def company_lifecycle_stage(*, company: Company) -> str | None:
    """A company's stage: the most advanced lifecycle stage of its contacts (one query)."""
    stages = (
        Contact.objects.filter(company=company)
        .order_by()
        .values_list("lifecycle_stage", flat=True)
        .distinct()
    )
    return most_advanced_stage(stages)


@dataclass(frozen=True)
class ContentConsumed:
    content_id: int
    title: str
    kind: str
    touches: int
    last_at: datetime


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
    tab: str = "all"
    objections: list[Objection] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    content: list[ContentConsumed] = field(default_factory=list)
    mentionable: frozenset[str] = frozenset()


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


def _hide_unseen_activities(items: list[TimelineItem], *, viewer: User) -> list[TimelineItem]:
    """Items of logged activities `viewer` may not see are left out (core.visibility)."""
    ids = {item.activity_id for item in items if item.activity_id is not None}
    condition = activity_q(viewer)
    if not ids or not condition:
        return items
    existing = Activity.objects.filter(pk__in=ids)
    hidden = set(existing.values_list("pk", flat=True)) - set(
        existing.filter(condition).values_list("pk", flat=True)
    )
    return [item for item in items if item.activity_id not in hidden]


def _objections(deals: QuerySet[Deal]) -> list[Objection]:
    return list(
        Objection.objects.filter(deal__in=deals)
        .select_related("objection_type", "deal", "response", "logged_by")
        .order_by("-raised_at", "-pk")[:OBJECTIONS_LIMIT]
    )


def objection_item(objection: Objection) -> TimelineItem:
    """Word an objection. Reads its type, deal, response and author: select_related them."""
    detail = []
    if objection.buyer_words:
        detail.append(f"“{objection.buyer_words}”")
    if objection.response is not None:
        detail.append(f"Response: {objection.response.title}")
    if objection.response_notes:
        detail.append(objection.response_notes)
    detail.append(f"Outcome: {objection.get_outcome_display()}")
    return TimelineItem(
        occurred_at=objection.raised_at,
        side="sales",
        kind="objection",
        title=f"Objection: {objection.objection_type.name} · {objection.deal.name}",
        detail=tuple(detail),
        source="sales",
        actor=str(objection.logged_by) if objection.logged_by else "",
        deal_id=objection.deal_id,
    )


def _content_consumed(touchpoints: QuerySet[Touchpoint]) -> list[ContentConsumed]:
    rows = (
        touchpoints.filter(content_item__isnull=False)
        .values("content_item_id", "content_item__title", "content_item__kind")
        .annotate(touches=Count("pk"), last_at=Max("occurred_at"))
        .order_by("-last_at")[:CONTENT_LIMIT]
    )
    return [
        ContentConsumed(
            content_id=row["content_item_id"],
            title=row["content_item__title"],
            kind=_label(ContentKind, row["content_item__kind"]),
            touches=row["touches"],
            last_at=row["last_at"],
        )
        for row in rows
    ]


def _mentionable(items: Iterable[TimelineItem]) -> frozenset[str]:
    from revline.leads.mentions import mentionable

    return mentionable([line for item in items if item.is_note for line in item.detail])


def contact_profile(
    *,
    contact: Contact,
    viewer: User | None = None,
    timeline_limit: int = TIMELINE_LIMIT,
    tab: str = "all",
) -> ContactProfile:
    """Everything the contact page shows; its deal list (and the objections raised on them) only
    has deals `viewer` may see. `tab` narrows the timeline (TIMELINE_TABS)."""
    tab = timeline_tab(tab)
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
    objections = _objections(deal_rows) if deals else []
    timeline = contact_timeline(
        contact=contact,
        limit=timeline_limit + 1,
        tab=tab,
        extra=[objection_item(o) for o in objections],
    )
    if viewer is not None:
        timeline = _hide_unseen_deals(
            _hide_unseen_activities(timeline, viewer=viewer), viewer=viewer
        )
    timeline = timeline[: timeline_limit + 1]
    meetings = list(
        Meeting.objects.filter(contact=contact)
        .select_related("user")
        .order_by("-starts_at", "-pk")[:MEETINGS_LIMIT]
    )
    return ContactProfile(
        contact=contact,
        consents=current_consents(history),
        consent_history=history,
        transitions=transitions,
        steps=lifecycle_steps(contact.lifecycle_stage),
        deals=deals,
        timeline=timeline[:timeline_limit],
        timeline_truncated=len(timeline) > timeline_limit,
        tab=tab,
        objections=objections,
        meetings=meetings,
        content=_content_consumed(Touchpoint.objects.filter(contact=contact)),
        mentionable=_mentionable(timeline),
    )


def company_get(*, pk: int, viewer: User | None = None) -> Company | None:
    """The company, or None when there is none or `viewer` may not see it."""
    companies = (
        Company.objects.all()
        if viewer is None
        else visible_companies(Company.objects.all(), viewer)
    )
    return companies.select_related("owner").prefetch_related("tags").filter(pk=pk).first()


@dataclass(frozen=True)
class CompanyProfile:
    company: Company
    contacts: list[Contact]
    contact_count: int
    deals: list[Deal]
    stage: str | None = None
    steps: list[LifecycleStep] = field(default_factory=list)
    transitions: list[LifecycleTransition] = field(default_factory=list)
    timeline: list[TimelineItem] = field(default_factory=list)
    timeline_truncated: bool = False
    tab: str = "all"
    mentionable: frozenset[str] = frozenset()

    @property
    def stage_label(self) -> str:
        return _label(LifecycleStage, self.stage) if self.stage else ""


def company_profile(
    *,
    company: Company,
    viewer: User | None = None,
    timeline_limit: int = TIMELINE_LIMIT,
    tab: str = "all",
) -> CompanyProfile:
    """The company page: its stage (its most advanced contact's), contacts with their stages and
    scores, the deals `viewer` may see, its contacts' recent lifecycle moves and their combined
    timeline. Contacts `viewer` may not see are left out of all of it, stage included."""
    tab = timeline_tab(tab)
    contacts = Contact.objects.filter(company=company).select_related("owner")
    in_company = Q(contact__company=company)
    if viewer is not None:
        contacts = visible_contacts(contacts, viewer)
        in_company &= contact_q(viewer, "contact__")
    deals = Deal.objects.filter(company=company)
    if viewer is not None:
        deals = deals_visible_to(viewer, deals)
    deal_list = list(
        deals.select_related("stage", "contact", "owner").order_by("-created_at", "-pk")
    )
    contact_list = list(contacts.order_by(Lower("last_name"), "pk")[:COMPANY_CONTACTS_LIMIT])
    contact_count = len(contact_list)
    if contact_count == COMPANY_CONTACTS_LIMIT:
        contact_count = contacts.count()
    stage = (
        most_advanced_stage(c.lifecycle_stage for c in contact_list)
        if contact_count == len(contact_list)
        else company_lifecycle_stage(company=company)
    )
    objections = _objections(deals) if deal_list else []
    timeline = _timeline_streams(
        Touchpoint.objects.filter(in_company),
        TimelineEvent.objects.filter(in_company),
        _email_sent_items(in_company, timeline_limit + 1, who=True)
        if tab in ("all", "marketing")
        else (),
        [objection_item(o) for o in objections],
        tab=tab,
        limit=timeline_limit + 1,
        who=True,
    )
    if viewer is not None:
        timeline = _hide_unseen_deals(
            _hide_unseen_activities(timeline, viewer=viewer), viewer=viewer
        )
    transitions = list(
        LifecycleTransition.objects.filter(in_company)
        .select_related("contact", "actor")
        .order_by("-occurred_at", "-pk")[:COMPANY_TRANSITIONS_LIMIT]
    )
    return CompanyProfile(
        company=company,
        contacts=contact_list,
        contact_count=contact_count,
        deals=deal_list,
        stage=stage,
        steps=lifecycle_steps(stage) if stage else [],
        transitions=transitions,
        timeline=timeline[:timeline_limit],
        timeline_truncated=len(timeline) > timeline_limit,
        tab=tab,
        mentionable=_mentionable(timeline),
    )
