"""Creative reads: public keys of CTA pages, a campaign's creatives with their numbers, one creative.

Bookings are meetings booked through the creative's page; orders are buy-now orders placed
through it. Revenue is what the creative brought in directly, in the base currency: its orders'
totals plus the won deals opened by its bookings (only the deals the viewer may see: a rep or
manager under team visibility gets their team's share).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse

from revline.core import permissions
from revline.core.models import User
from revline.quotes.models import Order
from revline.sales.models import Deal, DealStatus, Meeting
from revline.sales.visibility import deals_visible_to
from revline.tracking.models import Touchpoint, TouchpointKind
from revline.tracking.services import redirect_url

from .models import Campaign, Creative, CtaAction

MONEY = DecimalField(max_digits=16, decimal_places=2)
RECENT = 10
# The signature makes public page keys unguessable; the salt keeps them useless elsewhere.
# Rotating SECRET_KEY invalidates them unless the old key is kept in SECRET_KEY_FALLBACKS.
_SIGNER_SALT = "revline.campaigns.creative-cta"


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SIGNER_SALT, sep=".")


def creative_public_key(creative: Creative) -> str:
    """The key in a creative's public booking or order page address, e.g. '12.Xy3…'."""
    return _signer().sign(str(creative.pk))


def creative_for_public_key(key: str, *, action: str) -> Creative | None:
    """The creative a public page key names, if the signature holds and its CTA is `action`."""
    try:
        raw = _signer().unsign(key[:200])
    except signing.BadSignature:
        return None
    if not raw.isdigit():
        return None
    return (
        Creative.objects.select_related(
            "campaign", "link", "link__campaign", "booking_user", "product", "landing_page"
        )
        .filter(pk=int(raw), cta_action=action)
        .first()
    )


def cta_path(creative: Creative) -> str:
    """The site path the creative's CTA leads to (its tracked link's destination)."""
    if creative.cta_action == CtaAction.FORM:
        slug = creative.landing_page.slug if creative.landing_page else ""
        return reverse("content:landing_page", args=[slug]) if slug else ""
    name = "quotes:book" if creative.cta_action == CtaAction.BOOK_MEETING else "quotes:buy"
    return reverse(name, args=[creative_public_key(creative)])


def cta_url(creative: Creative) -> str:
    path = cta_path(creative)
    return f"{settings.BASE_URL}{path}" if path else ""


def tracked_url(creative: Creative) -> str:
    """The address to put in the ad: the tracked link, which records the click and redirects."""
    if creative.link is None:
        return ""
    return f"{settings.BASE_URL}{reverse('tracking:click', args=[creative.link.token])}"


def _with_numbers(creatives: QuerySet[Creative], viewer: User | None) -> QuerySet[Creative]:
    clicks = (
        Touchpoint.objects.filter(creative=OuterRef("pk"), kind=TouchpointKind.CLICK)
        .order_by()
        .values("creative")
        .annotate(n=Count("pk"))
        .values("n")
    )
    bookings = (
        Meeting.objects.filter(creative=OuterRef("pk"))
        .order_by()
        .values("creative")
        .annotate(n=Count("pk"))
        .values("n")
    )
    orders = (
        Order.objects.filter(creative=OuterRef("pk"))
        .order_by()
        .values("creative")
        .annotate(n=Count("pk"))
        .values("n")
    )
    order_revenue = (
        Order.objects.filter(creative=OuterRef("pk"), currency=settings.CURRENCY)
        .order_by()
        .values("creative")
        .annotate(total=Sum("total"))
        .values("total")
    )
    won_meetings = Meeting.objects.filter(
        creative=OuterRef("pk"), deal__status=DealStatus.WON, deal__currency=settings.CURRENCY
    )
    if viewer is not None:
        won_meetings = won_meetings.filter(
            deal__in=deals_visible_to(viewer, Deal.objects.all()).values("pk")
        )
    meeting_revenue = (
        won_meetings.order_by()
        .values("creative")
        .annotate(total=Sum("deal__amount"))
        .values("total")
    )
    zero = Value(Decimal("0"))
    return creatives.annotate(
        click_count=Coalesce(Subquery(clicks, output_field=IntegerField()), Value(0)),
        booking_count=Coalesce(Subquery(bookings, output_field=IntegerField()), Value(0)),
        order_count=Coalesce(Subquery(orders, output_field=IntegerField()), Value(0)),
        order_revenue=Coalesce(
            Subquery(order_revenue, output_field=MONEY), zero, output_field=MONEY
        ),
        meeting_revenue=Coalesce(
            Subquery(meeting_revenue, output_field=MONEY), zero, output_field=MONEY
        ),
    )


@dataclass(frozen=True)
class CreativeRow:
    creative: Creative
    tracked_url: str
    cta_url: str
    target: str
    clicks: int
    bookings: int
    orders: int
    revenue: Decimal


def cta_target_label(creative: Creative) -> str:
    """What the CTA opens: the landing page, the rep whose calendar, or the product and price."""
    if creative.cta_action == CtaAction.FORM:
        return creative.landing_page.title if creative.landing_page else "(landing page removed)"
    if creative.cta_action == CtaAction.BOOK_MEETING:
        return str(creative.booking_user) if creative.booking_user else "(no rep)"
    return creative.product.name if creative.product else "(product removed)"


def _row(creative: Creative) -> CreativeRow:
    return CreativeRow(
        creative=creative,
        tracked_url=tracked_url(creative),
        cta_url=cta_url(creative),
        target=cta_target_label(creative),
        clicks=creative.click_count,  # type: ignore[attr-defined]
        bookings=creative.booking_count,  # type: ignore[attr-defined]
        orders=creative.order_count,  # type: ignore[attr-defined]
        revenue=creative.order_revenue + creative.meeting_revenue,  # type: ignore[attr-defined]
    )


def creatives_for_campaign(*, campaign: Campaign, viewer: User | None = None) -> list[CreativeRow]:
    """The campaign's creatives with their links and numbers (won deals: those `viewer` may see)."""
    creatives = _with_numbers(
        Creative.objects.filter(campaign=campaign).select_related(
            "link", "landing_page", "booking_user", "product"
        ),
        viewer,
    ).order_by("name", "pk")
    return [_row(creative) for creative in creatives]


@dataclass(frozen=True)
class CreativeDetail:
    row: CreativeRow
    redirect_url: str
    unique_visitors: int
    recent_meetings: list[Meeting]
    recent_orders: list[Order]
    currency: str
    # The deals of recent meetings and orders the viewer may open; others show no link.
    visible_deal_ids: frozenset[int] = frozenset()
    team_only: bool = False


def creative_get(pk: int) -> Creative | None:
    return (
        Creative.objects.select_related(
            "campaign", "link", "link__campaign", "landing_page", "booking_user", "product"
        )
        .filter(pk=pk)
        .first()
    )


def creative_detail(creative: Creative, *, viewer: User | None = None) -> CreativeDetail:
    annotated = _with_numbers(
        Creative.objects.filter(pk=creative.pk).select_related(
            "campaign", "link", "link__campaign", "landing_page", "booking_user", "product"
        ),
        viewer,
    ).get()
    visitors = (
        Touchpoint.objects.filter(creative=creative, visitor__isnull=False)
        .values("visitor")
        .distinct()
        .count()
    )
    meetings = list(
        Meeting.objects.filter(creative=creative)
        .select_related("contact", "user", "deal")
        .order_by("-starts_at")[:RECENT]
    )
    orders = list(
        Order.objects.filter(creative=creative)
        .select_related("contact", "product", "deal")
        .order_by("-created_at")[:RECENT]
    )
    deal_ids = {m.deal_id for m in meetings if m.deal_id} | {o.deal_id for o in orders if o.deal_id}
    visible = Deal.objects.filter(pk__in=deal_ids)
    if viewer is not None:
        visible = deals_visible_to(viewer, visible)
    return CreativeDetail(
        row=_row(annotated),
        redirect_url=redirect_url(creative.link) if creative.link is not None else "",
        unique_visitors=visitors,
        recent_meetings=meetings,
        recent_orders=orders,
        currency=settings.CURRENCY,
        visible_deal_ids=frozenset(visible.values_list("pk", flat=True))
        if deal_ids
        else frozenset(),
        team_only=viewer is not None and permissions.sees_only_team_deals(viewer),
    )
