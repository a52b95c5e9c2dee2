"""Reads of campaign emails: the list, the per-email report and the sending progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.http import HttpRequest

from revline.core.listing import Column, Listing, build_listing
from revline.core.models import User
from revline.core.visibility import contact_q
from revline.leads.models import LifecycleTransition
from revline.people.models import LIFECYCLE_ORDER, LifecycleStage
from revline.sales.models import Deal, DealStatus
from revline.tracking.models import Touchpoint, TouchpointKind

from .models import Email, EmailKind, EmailLink, Send, SendState

EMAIL_COLUMNS = (
    Column("name", "Email", "name"),
    Column("status", "Status", "status"),
    Column("sent", "Sent", "started_at"),
    Column("recipients", "Recipients"),
    Column("opens", "Open rate"),
    Column("clicks", "Click rate"),
)
HANDED_OVER = (SendState.SENT, SendState.BOUNCED)
# Stages from "lead" on: a recipient who reached one after the send counts as influenced.
LEAD_STAGES = [str(s) for s in LIFECYCLE_ORDER[LIFECYCLE_ORDER.index(LifecycleStage.LEAD) :]]


def email_listing(request: HttpRequest) -> Listing:
    return build_listing(
        request,
        Email.objects.filter(kind=EmailKind.CAMPAIGN).select_related("segment", "campaign"),
        columns=EMAIL_COLUMNS,
        search_fields=("name", "subject"),
        filters={"status": "status"},
        default_sort="-sent",
    )


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class EmailStats:
    recipients: int = 0
    handed_over: int = 0
    bounced: int = 0
    opened: int = 0
    clicked: int = 0

    @property
    def delivered(self) -> int:
        return self.handed_over - self.bounced

    @property
    def open_rate(self) -> float | None:
        return _rate(self.opened, self.delivered)

    @property
    def click_rate(self) -> float | None:
        return _rate(self.clicked, self.delivered)


def _stats_aggregates() -> dict[str, Any]:
    return {
        "recipients": Count("pk", filter=~Q(state=SendState.SKIPPED)),
        "handed_over": Count("pk", filter=Q(state__in=HANDED_OVER)),
        "bounced": Count("pk", filter=Q(state=SendState.BOUNCED)),
        "opened": Count("pk", filter=Q(first_opened_at__isnull=False)),
        "clicked": Count("pk", filter=Q(first_clicked_at__isnull=False)),
    }


def email_list_stats(email_ids: Iterable[int]) -> dict[int, EmailStats]:
    """Stats of the emails on one list page, in one query."""
    rows = (
        Send.objects.filter(email_id__in=list(email_ids))
        .values("email_id")
        .annotate(**_stats_aggregates())
        .order_by()
    )
    fields = ("recipients", "handed_over", "bounced", "opened", "clicked")
    found: dict[int, EmailStats] = {}
    for row in rows:
        values: dict[str, Any] = dict(row)
        found[values["email_id"]] = EmailStats(**{k: values[k] for k in fields})
    return found


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    queued: int

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100


def email_progress(email: Email) -> Progress:
    counts = dict(
        Send.objects.filter(email=email)
        .exclude(state=SendState.SKIPPED)
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total = sum(counts.values())
    pending = counts.get(SendState.QUEUED, 0) + counts.get(SendState.SENDING, 0)
    return Progress(total=total, done=total - pending, queued=pending)


@dataclass(frozen=True)
class LinkRow:
    url: str
    clicks: int
    unique: int
    rate: float | None


@dataclass
class EmailReport:
    stats: EmailStats
    segment_size: int
    skipped: int
    failed: int
    queued: int
    opens_total: int
    clicks_total: int
    unsubscribed: int
    complained: int
    leads_influenced: int
    revenue: list[tuple[str, Decimal]]
    failure_reasons: list[tuple[str, int]]
    skip_reasons: list[tuple[str, int]]
    links: list[LinkRow] = field(default_factory=list)

    @property
    def unsubscribe_rate(self) -> float | None:
        return _rate(self.unsubscribed, self.stats.delivered)

    @property
    def bounce_rate(self) -> float | None:
        return _rate(self.stats.bounced, self.stats.handed_over)

    def chart(self) -> dict[str, Any]:
        return {
            "labels": ["Recipients", "Delivered", "Opened", "Clicked"],
            "values": [
                self.stats.recipients,
                self.stats.delivered,
                self.stats.opened,
                self.stats.clicked,
            ],
        }


def _reasons(sends: Any) -> list[tuple[str, int]]:
    rows = sends.values("reason").annotate(n=Count("pk")).order_by("-n", "reason")[:10]
    return [(row["reason"] or "No reason recorded", row["n"]) for row in rows]


def email_report(email: Email) -> EmailReport:
    """Everything the report page shows, in a fixed number of queries."""
    sends = Send.objects.filter(email=email)
    totals = sends.aggregate(
        **_stats_aggregates(),
        segment_size=Count("pk"),
        skipped=Count("pk", filter=Q(state=SendState.SKIPPED)),
        failed=Count("pk", filter=Q(state=SendState.FAILED)),
        queued=Count("pk", filter=Q(state__in=[SendState.QUEUED, SendState.SENDING])),
        opens_total=Sum("open_count"),
        clicks_total=Sum("click_count"),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
        complained=Count("pk", filter=Q(complained_at__isnull=False)),
    )
    stats = EmailStats(**{k: totals[k] for k in ("recipients", "handed_over", "bounced",
                                                  "opened", "clicked")})  # fmt: skip
    handed = sends.filter(state__in=HANDED_OVER, sent_at__isnull=False)
    became_lead = LifecycleTransition.objects.filter(
        contact=OuterRef("contact"), to_stage__in=LEAD_STAGES, occurred_at__gt=OuterRef("sent_at")
    )
    submitted = Touchpoint.objects.filter(
        contact=OuterRef("contact"),
        kind=TouchpointKind.FORM_SUBMISSION,
        occurred_at__gt=OuterRef("sent_at"),
    )
    leads = handed.filter(Exists(became_lead) | Exists(submitted)).count()
    won_after = Send.objects.filter(
        email=email,
        state__in=HANDED_OVER,
        contact=OuterRef("contact"),
        sent_at__lt=OuterRef("closed_at"),
    )
    revenue = [
        (row["currency"], row["total"])
        for row in Deal.objects.filter(Exists(won_after), status=DealStatus.WON)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    ]
    links = [
        LinkRow(url=link.url, clicks=link.n, unique=link.unique,
                rate=_rate(link.unique, stats.delivered))
        for link in EmailLink.objects.filter(email=email)
        .annotate(n=Count("clicks"), unique=Count("clicks__send", distinct=True))
        .order_by("-n", "position")
    ]  # fmt: skip
    return EmailReport(
        stats=stats,
        segment_size=totals["segment_size"],
        skipped=totals["skipped"],
        failed=totals["failed"],
        queued=totals["queued"],
        opens_total=totals["opens_total"] or 0,
        clicks_total=totals["clicks_total"] or 0,
        unsubscribed=totals["unsubscribed"],
        complained=totals["complained"],
        leads_influenced=leads,
        revenue=revenue,
        failure_reasons=_reasons(sends.filter(state=SendState.FAILED)),
        skip_reasons=_reasons(sends.filter(state=SendState.SKIPPED)),
        links=links,
    )


def email_recent_sends(email: Email, limit: int = 20, *, viewer: User | None = None) -> list[Send]:
    """The latest sends, to contacts `viewer` may see (None: all)."""
    sends = Send.objects.filter(email=email)
    narrowed = contact_q(viewer, "contact__") if viewer is not None else Q()
    if narrowed:
        sends = sends.filter(narrowed)
    return list(sends.select_related("contact").order_by("-sent_at", "-pk")[:limit])
