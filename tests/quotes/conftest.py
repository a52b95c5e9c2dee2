"""Fixtures of the quote tests: a deal of rep_a (team A) with a contact, products, rates."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from revline.quotes.catalog_services import exchange_rate_create
from revline.quotes.models import Product
from revline.quotes.quote_services import LineInput, quote_create, version_save
from revline.quotes.services import product_create
from revline.sales.models import Deal
from tests.sales.conftest import acme, ada, make_deal, pipeline  # noqa: F401

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
TODAY = date(2025, 3, 3)


@pytest.fixture
def deal(rep_a, ada, pipeline) -> Deal:  # noqa: F811
    return make_deal(rep_a, name="Acme rollout", amount="10000", contact=ada, pipeline=pipeline)


@pytest.fixture
def seats(db) -> Product:
    return product_create(
        actor=None,
        name="Seat licence",
        sku="SEAT",
        price=Decimal("100"),
        currency="EUR",
        billing="yearly",
    )


@pytest.fixture
def onboarding(db) -> Product:
    return product_create(
        actor=None, name="Onboarding", sku="ONB", price=Decimal("2500"), currency="EUR"
    )


@pytest.fixture
def usd_rate(db):
    return exchange_rate_create(
        actor=None, currency="USD", rate=Decimal("0.9"), valid_from=date(2025, 1, 1)
    )


def lines(*items: tuple) -> list[LineInput]:
    """(product, quantity, discount) or (name, quantity, unit price, discount) tuples."""
    result = []
    for item in items:
        if isinstance(item[0], Product):
            product, qty, disc = item
            result.append(
                LineInput(product=product, quantity=Decimal(qty), discount_percent=Decimal(disc))
            )
        else:
            name, qty, price, disc = item
            result.append(
                LineInput(
                    name=name,
                    quantity=Decimal(qty),
                    unit_price=Decimal(price),
                    discount_percent=Decimal(disc),
                )
            )
    return result


def draft_quote(deal, *line_items, discount="0", tax="0", actor=None, valid_until=None):
    """A quote with version 1 saved with these lines."""
    quote = quote_create(actor=actor, deal=deal, title="Rollout", now=NOW)
    version = quote.versions.get(number=1)
    version_save(
        actor=actor,
        version=version,
        lines=lines(*line_items),
        discount_percent=Decimal(discount),
        tax_percent=Decimal(tax),
        valid_until=valid_until,
        now=NOW,
    )
    version.refresh_from_db()
    return quote, version
