"""Reads for the sales pages: deal lists and totals, one deal's page, pipelines with their numbers."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import CharField, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Concat

from revline.core import permissions
from revline.core.models import Role, Team, User
from revline.core.visibility import (
    can_view_company,
    can_view_contact,
    company_q,
    visible_companies,
    visible_contacts,
)
from revline.people.models import Company, Contact
from revline.people.selectors import touchpoint_source
from revline.tracking.models import Touchpoint

from .models import (
    CloseReason,
    Deal,
    DealAttachment,
    DealContact,
    DealStatus,
    Pipeline,
    Stage,
    StageKind,
)
from .stages import StageEntry, StageInfo, StageSpan, StageStep, stage_spans, stage_steps
from .visibility import deals_visible_to as deals_visible_to

LOOKUP_LIMIT = 10


def deals_queryset() -> QuerySet[Deal]:
    """Deals with everything a list row or a permission check touches, joined in one query."""
    return Deal.objects.select_related("pipeline", "stage", "contact", "company", "owner")


def deal_list(
    *,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    status: str = "",
    owner: User | None = None,
    team: Team | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
) -> QuerySet[Deal]:
    deals = deals_queryset().annotate(
        contact_name=Concat(
            "contact__first_name", Value(" "), "contact__last_name", output_field=CharField()
        )
    )
    if pipeline is not None:
        deals = deals.filter(pipeline=pipeline)
    if stage is not None:
        deals = deals.filter(stage=stage)
    if status:
        deals = deals.filter(status=status)
    if owner is not None:
        deals = deals.filter(owner=owner)
    if team is not None:
        deals = deals.filter(owner__team=team)
    if close_from is not None:
        deals = deals.filter(expected_close_date__gte=close_from)
    if close_to is not None:
        deals = deals.filter(expected_close_date__lte=close_to)
    return deals


@dataclass(frozen=True)
class DealTotals:
    count: int
    amount: Decimal
    weighted: Decimal
    currency: str
    other_currency_count: int


def deal_totals(deals: QuerySet[Deal]) -> DealTotals:
    """Sum of amounts and probability-weighted amounts, in the workspace currency only.

    Deals in another currency are counted apart: adding euros to dollars would be wrong.
    """
    base = settings.CURRENCY
    rows = (
        deals.order_by()
        .values("stage__probability")
        .annotate(
            n=Count("pk"),
            total=Sum("amount", filter=Q(currency=base)),
            other=Count("pk", filter=~Q(currency=base)),
        )
    )
    count, amount, weighted, other = 0, Decimal("0"), Decimal("0"), 0
    for row in rows:
        total = row["total"] or Decimal("0")
        count += row["n"]
        other += row["other"]
        amount += total
        weighted += total * row["stage__probability"] / 100
    return DealTotals(
        count=count,
        amount=amount,
        weighted=weighted.quantize(Decimal("0.01")),
        currency=base,
        other_currency_count=other,
    )


def owner_choices() -> QuerySet[User]:
    """People who can own a deal, plus anyone who already owns one."""
    return User.objects.filter(
        Q(role__in=[Role.SALES_REP, Role.SALES_MANAGER, Role.ADMIN], is_active=True)
        | Q(is_superuser=True, is_active=True)
        | Q(pk__in=Deal.objects.filter(owner__isnull=False).values("owner_id"))
    ).order_by("first_name", "last_name", "username")


def assignable_owners(actor: User, *, keep: User | None = None) -> QuerySet[User]:
    """Who `actor` may hand a deal to: anyone for admins, else their own team (or only themselves).

    Handing a deal to another team would lock the actor out of it. `keep` (the current owner)
    stays in the list so that editing other fields never silently changes the owner.
    """
    active_sellers = User.objects.filter(is_active=True).filter(
        Q(role__in=[Role.SALES_REP, Role.SALES_MANAGER, Role.ADMIN]) | Q(is_superuser=True)
    )
    if permissions.is_admin(actor):
        users = active_sellers
    elif actor.team_id is not None:
        users = active_sellers.filter(
            Q(team_id=actor.team_id, role__in=[Role.SALES_REP, Role.SALES_MANAGER]) | Q(pk=actor.pk)
        )
    else:
        users = User.objects.filter(pk=actor.pk)
    if keep is not None:
        users = users | User.objects.filter(pk=keep.pk)
    return users.order_by("first_name", "last_name", "username")


def default_pipeline() -> Pipeline | None:
    """The pipeline new deals go to, without creating one (services.pipeline_default does that)."""
    return Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first()


def stages_with_pipeline() -> QuerySet[Stage]:
    return Stage.objects.select_related("pipeline").order_by(
        "-pipeline__is_default", "pipeline__name", "position"
    )


@dataclass(frozen=True)
class DealPage:
    deal: Deal
    steps: list[StageStep]
    open_stages: list[Stage]
    history: list[StageSpan]
    committee: list[DealContact]
    attachments: list[DealAttachment]
    touches: list["MarketingTouch"]
    days_in_stage: int | None  # None once the deal is closed
    weighted_amount: Decimal
    # The deal's contact and company the viewer may not see, with the wording shown instead.
    hidden: dict[str, str] = field(default_factory=dict)
    hidden_members: frozenset[int] = frozenset()  # committee members whose contact is hidden
    # Committee members (visible themselves) whose company the viewer may not see.
    hidden_member_companies: frozenset[int] = frozenset()


def deal_page(*, deal: Deal, now: datetime, viewer: User | None = None) -> DealPage:
    """Everything the deal page shows besides the deal itself and the htmx panels, in five
    queries whatever the size of the committee or the timeline. Contacts and companies `viewer`
    may not see (the deal's own, committee members and the members' companies) are named "a
    contact/company of another team", and hidden contacts' marketing touches are left out."""
    stages = list(deal.pipeline.stages.order_by("position"))
    infos = [
        StageInfo(
            stage_id=s.pk, name=s.name, position=s.position, probability=s.probability, kind=s.kind
        )
        for s in stages
    ]
    changes = deal.stage_changes.select_related("to_stage", "changed_by")
    entries = [
        StageEntry(stage=c.to_stage.name, at=c.changed_at, by=str(c.changed_by or ""))
        for c in changes
    ]
    is_open = deal.status == DealStatus.OPEN
    history = stage_spans(entries, until=now if is_open else None)
    history.reverse()  # newest first, like every other list on the page
    committee = list(
        deal.committee.select_related("contact__company__owner", "contact__owner").order_by(
            "role", "pk"
        )
    )
    hidden_members = frozenset(
        m.pk for m in committee if viewer is not None and not can_view_contact(viewer, m.contact)
    )
    hidden_member_companies = frozenset(
        m.pk
        for m in committee
        if viewer is not None
        and m.contact.company is not None
        and not can_view_company(viewer, m.contact.company)
    )
    hidden = hidden_related_labels(viewer, deal) if viewer is not None else {}
    contact_ids = [m.contact_id for m in committee if m.pk not in hidden_members]
    if deal.contact_id is not None and "contact" not in hidden:
        contact_ids.append(deal.contact_id)
    return DealPage(
        deal=deal,
        steps=stage_steps(infos, current_stage_id=deal.stage_id),
        open_stages=[s for s in stages if s.kind == StageKind.OPEN],
        history=history,
        committee=committee,
        attachments=list(deal.attachments.select_related("added_by")),
        touches=marketing_touches(contact_ids=contact_ids),
        days_in_stage=(now - deal.stage_changed_at).days if is_open else None,
        weighted_amount=(deal.amount * deal.stage.probability / 100).quantize(Decimal("0.01")),
        hidden=hidden,
        hidden_members=hidden_members,
        hidden_member_companies=hidden_member_companies,
    )


TOUCHES_LIMIT = 30


@dataclass(frozen=True)
class MarketingTouch:
    """One marketing interaction of a committee member: what they saw or clicked, and where."""

    occurred_at: datetime
    kind: str
    kind_label: str
    what: str
    campaign: str
    source: str
    contact_id: int
    contact_name: str


def _touch_what(touchpoint: Touchpoint) -> str:
    params = touchpoint.params if isinstance(touchpoint.params, dict) else {}
    if touchpoint.creative is not None:
        return f"{touchpoint.creative.get_kind_display()}: {touchpoint.creative.name}"
    if touchpoint.content_item is not None:
        return touchpoint.content_item.title
    if params.get("test"):
        return f"A/B test: {params['test']} (variant {params.get('variant_name') or '?'})"
    if params.get("survey"):
        return f"Survey: {params['survey']}"
    if params.get("email"):
        return f"Email: {params['email']}"
    if params.get("landing_page"):
        return f"Landing page /lp/{params['landing_page']}"
    if touchpoint.link is not None and touchpoint.link.label:
        return touchpoint.link.label
    if touchpoint.url:
        parts = urlsplit(touchpoint.url)
        return (parts.path or "/")[:200]
    return ""


def marketing_touches(
    *, contact_ids: list[int], limit: int = TOUCHES_LIMIT
) -> list[MarketingTouch]:
    """The newest marketing touchpoints (ads, pages, emails, content) of these contacts, in one
    query. Sales events of the timeline are left out: the deal page shows them itself."""
    if not contact_ids:
        return []
    touchpoints = (
        Touchpoint.objects.filter(contact_id__in=set(contact_ids))
        .select_related("campaign", "link", "creative", "content_item", "contact")
        .order_by("-occurred_at", "-pk")[:limit]
    )
    return [
        MarketingTouch(
            occurred_at=t.occurred_at,
            kind=t.kind,
            kind_label=t.get_kind_display(),
            what=_touch_what(t),
            campaign=t.campaign.name if t.campaign is not None else "",
            source=touchpoint_source(t),
            contact_id=t.contact_id,  # type: ignore[arg-type]
            contact_name=str(t.contact),
        )
        for t in touchpoints
    ]


def close_reason_choices() -> QuerySet[CloseReason]:
    return CloseReason.objects.filter(is_active=True).order_by("kind", "position", "name")


@dataclass(frozen=True)
class LookupItem:
    pk: int
    label: str
    detail: str
    company_id: int | None = None
    company_label: str = ""


def _lookup_terms(query: str) -> list[str]:
    return [term for term in query.split()[:4] if term]


HIDDEN_CONTACT = "A contact of another team"
HIDDEN_COMPANY = "A company of another team"


def contact_choices(user: User, *, keep: int | None = None) -> QuerySet[Contact]:
    """Contacts `user` may pick in a form: those they may see, plus `keep` (the value the record
    already has, so that editing other fields never drops it)."""
    visible = visible_contacts(Contact.objects.all(), user)
    return visible | Contact.objects.filter(pk=keep) if keep is not None else visible


def company_choices(user: User, *, keep: int | None = None) -> QuerySet[Company]:
    visible = visible_companies(Company.objects.all(), user)
    return visible | Company.objects.filter(pk=keep) if keep is not None else visible


def hidden_related_labels(user: User, deal: Deal) -> dict[str, str]:
    """The deal's contact and company that `user` may not see, by field, with the wording shown
    instead of their names (like "Deal activity of another team" on a contact's timeline)."""
    labels: dict[str, str] = {}
    if deal.contact is not None and not can_view_contact(user, deal.contact):
        labels["contact"] = HIDDEN_CONTACT
    if deal.company is not None and not can_view_company(user, deal.company):
        labels["company"] = HIDDEN_COMPANY
    return labels


def contact_lookup(*, query: str, user: User) -> list[LookupItem]:
    """Up to ten contacts `user` may see whose name, email or company matches every word typed.
    The company is suggested with the contact only when `user` may see it too."""
    terms = _lookup_terms(query)
    if not terms:
        return []
    contacts = visible_contacts(Contact.objects.select_related("company__owner"), user)
    for term in terms:
        contacts = contacts.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(email__icontains=term)
            | (Q(company__name__icontains=term) & company_q(user, "company__"))
        )
    return [
        LookupItem(
            pk=c.pk,
            label=str(c),
            detail=" · ".join(part for part in (c.email, company.name if company else "") if part),
            company_id=company.pk if company else None,
            company_label=company.name if company else "",
        )
        for c in contacts.order_by("last_name", "first_name", "pk")[:LOOKUP_LIMIT]
        for company in [c.company if c.company and can_view_company(user, c.company) else None]
    ]


def company_lookup(*, query: str, user: User) -> list[LookupItem]:
    """Up to ten companies `user` may see whose name or domain matches every word typed."""
    terms = _lookup_terms(query)
    if not terms:
        return []
    companies = visible_companies(Company.objects.all(), user)
    for term in terms:
        companies = companies.filter(Q(name__icontains=term) | Q(domain__icontains=term))
    return [
        LookupItem(pk=c.pk, label=c.name, detail=c.domain)
        for c in companies.order_by("name", "pk")[:LOOKUP_LIMIT]
    ]


@dataclass(frozen=True)
class StageRow:
    stage: Stage
    deals: int
    amount: Decimal
    other_currency: int
    bar_percent: int


@dataclass(frozen=True)
class PipelineRow:
    pipeline: Pipeline
    stages: list[StageRow]
    open_deals: int
    open_amount: Decimal
    weighted_amount: Decimal


def pipelines_overview() -> list[PipelineRow]:
    """Every pipeline with, per stage, its deal count and amount (workspace currency only)."""
    base = settings.CURRENCY
    # stage id -> (deals, amount in the base currency, deals in other currencies)
    per_stage: dict[int, tuple[int, Decimal, int]] = {
        row["stage_id"]: (row["n"], row["total"] or Decimal("0"), row["other"])
        for row in Deal.objects.order_by()
        .values("stage_id")
        .annotate(
            n=Count("pk"),
            total=Sum("amount", filter=Q(currency=base)),
            other=Count("pk", filter=~Q(currency=base)),
        )
    }
    rows = []
    for pipeline in Pipeline.objects.prefetch_related("stages"):
        stages = sorted(pipeline.stages.all(), key=lambda s: s.position)
        numbers = {s.pk: per_stage.get(s.pk, (0, Decimal("0"), 0)) for s in stages}
        biggest = max((numbers[s.pk][1] for s in stages if s.kind == StageKind.OPEN), default=0)
        stage_rows = [
            StageRow(
                stage=s,
                deals=numbers[s.pk][0],
                amount=numbers[s.pk][1],
                other_currency=numbers[s.pk][2],
                bar_percent=int(numbers[s.pk][1] * 100 / biggest)
                if biggest and s.kind == StageKind.OPEN
                else 0,
            )
            for s in stages
        ]
        open_rows = [r for r in stage_rows if r.stage.kind == StageKind.OPEN]
        rows.append(
            PipelineRow(
                pipeline=pipeline,
                stages=stage_rows,
                open_deals=sum(r.deals for r in open_rows),
                open_amount=sum((r.amount for r in open_rows), Decimal("0")),
                weighted_amount=sum(
                    (r.amount * r.stage.probability / 100 for r in open_rows), Decimal("0")
                ).quantize(Decimal("0.01")),
            )
        )
    return rows
