"""Builders shared by the creative, booking and order tests (plain functions, no magic)."""

from datetime import UTC, datetime, time
from decimal import Decimal

from revline.campaigns.creative_services import creative_create
from revline.campaigns.models import Campaign, Channel, Creative, CtaAction
from revline.core.models import User
from revline.quotes.models import Product
from revline.quotes.services import product_create
from revline.sales.models import BookingAvailability

BERLIN = "Europe/Berlin"
# Monday 3 March 2025, 07:00 UTC = 08:00 in Berlin.
NOW = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)
# The first Monday slot of the Berlin 09:00-11:00 window, and the ones after it.
SLOT_0900 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
SLOT_0930 = datetime(2025, 3, 3, 8, 30, tzinfo=UTC)


def make_campaign(name: str = "Spring launch") -> Campaign:
    return Campaign.objects.create(
        name=name,
        channel=Channel.PAID_SOCIAL,
        utm_source="linkedin",
        utm_medium="paid_social",
        utm_campaign="spring-launch",
    )


def monday_mornings(user: User, time_zone: str = BERLIN) -> BookingAvailability:
    return BookingAvailability.objects.create(
        user=user,
        weekday=0,
        start_time=time(9, 0),
        end_time=time(11, 0),
        slot_minutes=30,
        time_zone=time_zone,
    )


def every_day(user: User) -> list[BookingAvailability]:
    """Working hours every day in UTC, so a page rendered at any real time has free slots."""
    return [
        BookingAvailability.objects.create(
            user=user,
            weekday=day,
            start_time=time(8, 0),
            end_time=time(18, 0),
            slot_minutes=30,
            time_zone="UTC",
        )
        for day in range(7)
    ]


def make_product(
    name: str = "Starter plan", sku: str = "START-1", price: str = "49.90", currency: str = "EUR"
) -> Product:
    return product_create(actor=None, name=name, sku=sku, price=Decimal(price), currency=currency)


def booking_creative(campaign: Campaign, rep: User, name: str = "Demo ad") -> Creative:
    return creative_create(
        actor=None,
        campaign=campaign,
        name=name,
        headline="See Revline in 30 minutes",
        body="Pick a time that suits you.",
        cta_label="Book a demo",
        cta_action=CtaAction.BOOK_MEETING,
        booking_user=rep,
    )


def buy_creative(campaign: Campaign, product: Product, name: str = "Starter ad") -> Creative:
    return creative_create(
        actor=None,
        campaign=campaign,
        name=name,
        headline="Start today",
        cta_label="Buy now",
        cta_action=CtaAction.BUY_NOW,
        product=product,
    )
