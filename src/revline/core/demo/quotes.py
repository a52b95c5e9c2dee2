"""Demo catalogue and quotes, on top of the demo's deals and products (run after write_sales and
write_ctas).

Exchange rates for USD and GBP, subscription products with prices in those currencies, three
price books, and about twenty quotes on open deals in every state: drafts, waiting for approval,
approved, rejected, sent, accepted, and negotiations with two or three versions.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from revline.core.models import Role, User
from revline.quotes.catalog_services import (
    exchange_rate_create,
    price_book_create,
    product_prices_set,
)
from revline.quotes.models import Product
from revline.quotes.quote_services import (
    LineInput,
    approval_decide,
    quote_create,
    version_accept,
    version_request_approval,
    version_revise,
    version_save,
    version_send,
)
from revline.quotes.services import product_create
from revline.sales.models import Deal, DealStatus

D = Decimal
# name, SKU, EUR list price, billing, USD, GBP
SUBSCRIPTIONS = [
    ("Revline Team seat", "RL-SEAT-M", "49", "monthly", "54", "42"),
    ("Revline Business seat", "RL-SEAT-Y", "490", "yearly", "540", "420"),
    ("Enterprise platform fee", "RL-PLATFORM-Y", "12000", "yearly", "13200", "10300"),
    ("Premium support", "RL-SUPPORT-Y", "3600", "yearly", "3960", "3100"),
    ("Onboarding package", "RL-ONBOARD", "4500", "one_off", "4950", "3850"),
    ("Data migration", "RL-MIGRATE", "2800", "one_off", "3080", "2400"),
]
TERMS = (
    "Prices exclude VAT unless shown. Subscriptions are billed in advance; payment within 30 "
    "days of invoice. Either party may cancel at the end of a subscription year."
)
BUYERS = ["Lena Wagner", "Tom Becker", "Priya Shah", "Jonas Meyer", "Claire Dubois"]
STATES = (
    ["draft"] * 4
    + ["pending"] * 3
    + ["sent"] * 5
    + ["accepted"] * 3
    + ["revised"] * 3
    + ["approved", "rejected"]
)


def _approver(owner: User | None) -> User:
    managers = User.objects.filter(role=Role.SALES_MANAGER, is_active=True)
    if owner is not None and owner.team_id is not None:
        manager = managers.filter(team_id=owner.team_id).order_by("pk").first()
        if manager is not None:
            return manager
    return User.objects.filter(role=Role.ADMIN).order_by("pk").first() or managers.first()  # type: ignore[return-value]


def _catalogue(now: datetime) -> list[Product]:
    start = (now - timedelta(days=400)).date()
    recent = (now - timedelta(days=30)).date()
    for currency, old, new in (("USD", "0.9100", "0.9240"), ("GBP", "1.1650", "1.1720")):
        exchange_rate_create(actor=None, currency=currency, rate=D(old), valid_from=start)
        exchange_rate_create(actor=None, currency=currency, rate=D(new), valid_from=recent)
    products = []
    for name, sku, price, billing, usd, gbp in SUBSCRIPTIONS:
        product = product_create(
            actor=None, name=name, sku=sku, price=D(price), currency="EUR", billing=billing
        )
        product_prices_set(actor=None, product=product, prices={"USD": D(usd), "GBP": D(gbp)})
        products.append(product)
    by_sku = {p.sku: p for p in products}
    price_book_create(
        actor=None,
        name="Partner resellers (EUR)",
        currency="EUR",
        description="20 % below list for certified partners.",
        entries={p: (p.price * D("0.8")).quantize(D("0.01")) for p in products},
    )
    price_book_create(
        actor=None,
        name="Nonprofit (EUR)",
        currency="EUR",
        description="Seats at half price for registered nonprofits.",
        entries={by_sku["RL-SEAT-M"]: D("24.50"), by_sku["RL-SEAT-Y"]: D("245")},
    )
    price_book_create(
        actor=None,
        name="Legacy 2024 (EUR)",
        currency="EUR",
        description="Prices of customers who signed in 2024.",
        entries={by_sku["RL-SEAT-Y"]: D("450")},
        is_active=False,
    )
    return products


def _lines(rng: random.Random, products: list[Product], discount: int) -> list[LineInput]:
    seat = rng.choice(products[:2])
    chosen = [seat, *rng.sample(products[2:], rng.randint(1, 3))]
    result = []
    for product in chosen:
        quantity = D(rng.choice([5, 10, 15, 25, 40, 60])) if product in products[:2] else D(1)
        result.append(LineInput(product=product, quantity=quantity, discount_percent=D(discount)))
    return result


def build_quotes(*, rng: random.Random, now: datetime) -> None:
    products = _catalogue(now)
    deals = list(
        Deal.objects.filter(status=DealStatus.OPEN, owner__isnull=False, currency="EUR")
        .select_related("owner", "contact", "pipeline", "stage")
        .order_by("pk")
    )
    rng.shuffle(deals)
    valid_until = (now + timedelta(days=30)).date()
    for index, (deal, state) in enumerate(zip(deals, STATES, strict=False)):
        owner = deal.owner
        assert owner is not None
        created = now - timedelta(days=rng.randint(10, 30), hours=rng.randint(0, 8))
        sent_at = created + timedelta(hours=rng.randint(2, 30))
        big = state in ("pending", "approved", "rejected")
        discount = rng.choice([20, 25, 30]) if big else rng.choice([0, 0, 5, 10])
        quote = quote_create(
            actor=owner, deal=deal, title=f"{deal.name}: subscription offer", now=created
        )
        version = quote.versions.get()
        version_save(
            actor=owner,
            version=version,
            lines=_lines(rng, products, discount),
            tax_percent=D("19"),
            terms=TERMS,
            valid_until=valid_until,
            now=created,
        )
        if state == "draft":
            continue
        if big:
            approval = version_request_approval(actor=owner, version=version, now=created)
            if state == "pending":
                continue
            approval_decide(
                actor=_approver(owner),
                approval=approval,
                approve=state == "approved",
                comment="OK for this quarter." if state == "approved" else "Max 15 % on seats.",
                now=sent_at,
            )
            if state == "approved":
                version_send(actor=owner, version=version, now=sent_at)
            continue
        version_send(actor=owner, version=version, now=sent_at)
        if state == "accepted":
            version.refresh_from_db()
            version_accept(
                version=version,
                name=BUYERS[index % len(BUYERS)],
                agreed=True,
                ip=f"198.51.100.{10 + index}",
                now=sent_at + timedelta(days=2),
            )
        elif state == "revised":
            rounds = 2 if index % 2 else 1
            at = sent_at
            for round_number in range(rounds):
                at += timedelta(days=3)
                version.refresh_from_db()
                version = version_revise(actor=owner, version=version, now=at)
                new_lines = _lines(rng, products, rng.choice([5, 10]))
                version_save(
                    actor=owner,
                    version=version,
                    lines=new_lines,
                    discount_percent=D(rng.choice([0, 3, 5])),
                    tax_percent=D("19"),
                    terms=TERMS,
                    valid_until=valid_until,
                    now=at,
                )
                version.refresh_from_db()
                if not (round_number == rounds - 1 and index % 3 == 0):
                    version_send(actor=owner, version=version, now=at)
