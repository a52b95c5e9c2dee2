"""The weekly digest: a short email with last week's numbers, for the users who subscribe.

Each digest covers the seven days before the day it is sent (so weekly digests neither overlap
nor leave gaps) and shows only what its reader may see: deal figures through deals_visible_to,
overdue hand-offs only their own.

`digests_send_due` is the periodic job (every 15 minutes): on each subscriber's weekday, from
SEND_HOUR local time, it claims the subscription with a conditional UPDATE of last_sent_at and
sends in the same transaction, so a digest goes out once per week however many schedulers run;
a failed send rolls the claim back and is retried on the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from revline.core import permissions
from revline.core.audience import sees_whole_audience
from revline.core.dates import days_bounds
from revline.core.models import User
from revline.email.template_selectors import sender_header
from revline.leads.models import Handoff, HandoffStatus
from revline.sales.models import Deal, DealStatus
from revline.sales.visibility import deals_visible_to

from . import dashboard
from .models import DigestSubscription
from .selectors import campaign_attribution

logger = logging.getLogger(__name__)

SEND_HOUR = 7  # local time: the digest is waiting at the start of the working day
BATCH = 200
TOP_CAMPAIGNS = 5
HANDOFFS_LISTED = 10
WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


# ---------------------------------------------------------------- subscriptions


def _can_manage(actor: User, user: User) -> bool:
    return actor.pk == user.pk or permissions.is_admin(actor)


def digest_subscribe(*, actor: User, user: User, weekday: int = 0) -> DigestSubscription:
    """Subscribe `user` (themselves, or anyone by an admin) to the digest on `weekday` (0 =
    Monday). Subscribing again changes the weekday and keeps the last send, so a changed
    weekday never sends twice in a week."""
    permissions.require(_can_manage(actor, user), "Only admins can subscribe other people.")
    if weekday not in range(7):
        raise ValidationError({"weekday": "Choose a day of the week."})
    if not user.is_active:
        raise ValidationError({"user": "This user is deactivated."})
    if not user.email:
        raise ValidationError({"user": f"{user} has no email address."})
    subscription, _ = DigestSubscription.objects.update_or_create(
        user=user, defaults={"is_active": True, "weekday": weekday}
    )
    return subscription


def digest_unsubscribe(*, actor: User, user: User) -> bool:
    """Stop `user`'s digest; returns whether there was an active subscription."""
    permissions.require(_can_manage(actor, user), "Only admins can unsubscribe other people.")
    return bool(
        DigestSubscription.objects.filter(user=user, is_active=True).update(is_active=False)
    )


def digest_subscription_of(user: User) -> DigestSubscription | None:
    """The user's active subscription, if any (an unsubscribed row counts as none)."""
    return DigestSubscription.objects.filter(user=user, is_active=True).first()


def digest_subscriptions_for(
    actor: User, *, q: str = "", weekday: int | None = None
) -> QuerySet[DigestSubscription]:
    """Active subscriptions, by user name: every one for an admin, only their own otherwise."""
    rows = DigestSubscription.objects.filter(is_active=True).select_related("user")
    if not permissions.is_admin(actor):
        rows = rows.filter(user=actor)
    if q:
        rows = rows.filter(
            Q(user__username__icontains=q)
            | Q(user__email__icontains=q)
            | Q(user__first_name__icontains=q)
            | Q(user__last_name__icontains=q)
        )
    if weekday is not None:
        rows = rows.filter(weekday=weekday)
    return rows.order_by("user__username", "pk")


# ---------------------------------------------------------------- content


@dataclass(frozen=True)
class CampaignLine:
    name: str
    revenue: Decimal


@dataclass(frozen=True)
class HandoffLine:
    contact: str
    due_at: datetime
    url: str


@dataclass
class Digest:
    user: User
    first: date
    last: date  # inclusive
    currency: str
    team_only: bool
    won_revenue: Decimal = Decimal("0")
    won_deals: int = 0
    new_pipeline: Decimal = Decimal("0")
    new_deals: int = 0
    # None when the reader may not see whole-audience numbers (core.audience).
    new_leads: int | None = 0
    new_mqls: int | None = 0
    top_campaigns: list[CampaignLine] = field(default_factory=list)
    is_sales: bool = False
    overdue_handoffs: int = 0
    handoffs: list[HandoffLine] = field(default_factory=list)
    dashboard_url: str = ""
    settings_url: str = ""


def digest_week(now: datetime) -> tuple[date, date]:
    """The seven local days before `now`'s day."""
    today = timezone.localtime(now).date()
    return today - timedelta(days=7), today - timedelta(days=1)


def _money(total: Decimal | None) -> Decimal:
    return (total or Decimal("0")).quantize(Decimal("0.01"))


def digest_build(*, user: User, now: datetime) -> Digest:
    """Last week's numbers as `user` may see them."""
    first, last = digest_week(now)
    start, end = days_bounds(first, last)
    digest = Digest(
        user=user,
        first=first,
        last=last,
        currency=settings.CURRENCY,
        team_only=permissions.sees_only_team_deals(user),
        is_sales=user.role in permissions.SALES_ROLES,
        dashboard_url=settings.BASE_URL + reverse("analytics:executive"),
        settings_url=settings.BASE_URL + reverse("analytics:digest"),
    )
    deals = deals_visible_to(user, Deal.objects.all())
    won = deals.filter(status=DealStatus.WON, closed_at__gte=start, closed_at__lt=end).aggregate(
        total=Sum("amount_base"), count=Count("pk")
    )
    digest.won_revenue, digest.won_deals = _money(won["total"]), won["count"]
    created = deals.filter(
        Q(status__in=(DealStatus.OPEN, DealStatus.WON)), created_at__gte=start, created_at__lt=end
    ).aggregate(total=Sum("amount_base"), count=Count("pk"))
    digest.new_pipeline, digest.new_deals = _money(created["total"]), created["count"]
    period = dashboard.Period(start=first, end=last, bucket=dashboard.WEEK)
    if sees_whole_audience(user):
        digest.new_leads = dashboard.leads_by_channel(period)[0]
        digest.new_mqls = dashboard.mqls_by_channel(period)[0]
    else:
        digest.new_leads = digest.new_mqls = None
    attribution = campaign_attribution(viewer=user, closed_from=first, closed_to=last)
    digest.top_campaigns = [
        CampaignLine(name=row.name, revenue=row.revenue["linear"].quantize(Decimal("0.01")))
        for row in attribution.rows[:TOP_CAMPAIGNS]
        if row.revenue["linear"] > 0
    ]
    if digest.is_sales:
        overdue = Handoff.objects.filter(
            assigned_to=user,
            status=HandoffStatus.OPEN,
            first_touch_at__isnull=True,
            due_at__lte=now,
        ).order_by("due_at", "pk")
        digest.overdue_handoffs = overdue.count()
        digest.handoffs = [
            HandoffLine(
                contact=str(handoff.contact),
                due_at=handoff.due_at,
                url=settings.BASE_URL + reverse("leads:handoff", args=[handoff.pk]),
            )
            for handoff in overdue.select_related("contact")[:HANDOFFS_LISTED]
        ]
    return digest


def digest_render(digest: Digest) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the email. Templates autoescape every name in the HTML."""
    context = {"d": digest}
    subject = f"Your week in Revline: {digest.first:%b} {digest.first.day} – {digest.last:%b} {digest.last.day}"
    text = render_to_string("analytics/digest_email.txt", context)
    html = render_to_string("analytics/digest_email.html", context)
    return subject, text, html


# ---------------------------------------------------------------- sending


def _send(user: User, now: datetime) -> None:
    subject, text, html = digest_render(digest_build(user=user, now=now))
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=sender_header(), to=[user.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()


def digests_send_due(now: datetime | None = None) -> int:
    """Send the digests due at `now` (default: now); returns how many were sent.

    Due: an active subscription whose weekday is today (local), from SEND_HOUR, not sent in
    the last six days. The claim (last_sent_at set only while still not sent) and the send
    share one transaction: never twice, and a failed send is retried next run.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < SEND_HOUR:
        return 0
    today = datetime.combine(local.date(), time.min, tzinfo=local.tzinfo)
    not_recent = Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=today - timedelta(days=6))
    due = list(
        DigestSubscription.objects.filter(not_recent, is_active=True, weekday=local.weekday())
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    sent = 0
    for pk in due:
        try:
            with transaction.atomic():
                claimed = DigestSubscription.objects.filter(
                    not_recent, pk=pk, is_active=True
                ).update(last_sent_at=now)
                if not claimed:
                    continue
                user = User.objects.get(digest_subscription__pk=pk)
                if not user.is_active or not user.email:
                    continue  # claimed: nobody to send to this week
                _send(user, now)
        except Exception:
            logger.exception("Digest %s failed; will retry", pk)
            continue
        sent += 1
    return sent
