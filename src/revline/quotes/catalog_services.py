"""Catalogue writes: a product's prices in other currencies, price books and exchange rates.

Only admins and sales managers change them (`services.can_manage_products`); everyone reads.
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User

from . import pricing
from .models import ExchangeRate, PriceBook, PriceBookEntry, Product, ProductPrice
from .services import (
    CURRENCY_PATTERN,
    MANAGERS_ONLY,
    can_manage_products,
    product_create,
    product_update,
)


def _require_manager(actor: User | None) -> None:
    if actor is not None:
        permissions.require(can_manage_products(actor), MANAGERS_ONLY)


def _currency(value: str, field: str = "currency") -> str:
    code = (value or "").strip().upper()
    if not CURRENCY_PATTERN.match(code):
        raise ValidationError({field: "Use a three-letter ISO code such as EUR."})
    return code


def parse_price_lines(text: str) -> dict[str, Decimal]:
    """'USD 59.00' per line → {'USD': Decimal('59.00')}; raises ValidationError naming the line."""
    prices: dict[str, Decimal] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValidationError(f"Line {number}: write a currency and a price, like “USD 59.00”.")
        code = parts[0].upper()
        if not CURRENCY_PATTERN.match(code):
            raise ValidationError(f"Line {number}: “{parts[0][:10]}” is not a currency code.")
        try:
            price = pricing.parse_decimal(parts[1], label="price")
        except ValueError as exc:
            raise ValidationError(f"Line {number}: {exc}") from None
        if message := pricing.unit_price_error(price):
            raise ValidationError(f"Line {number}: {message}")
        if code in prices:
            raise ValidationError(f"Line {number}: {code} is listed twice.")
        prices[code] = price
    return prices


@transaction.atomic
def product_prices_set(
    *, actor: User | None, product: Product, prices: Mapping[str, Decimal]
) -> list[ProductPrice]:
    """Replace the product's prices in other currencies (its own currency is its list price)."""
    _require_manager(actor)
    rows = []
    for code, price in prices.items():
        code = _currency(code, "prices")
        if code == product.currency:
            raise ValidationError(
                {"prices": f"{code} is the product's own currency; change its price instead."}
            )
        if message := pricing.unit_price_error(price):
            raise ValidationError({"prices": f"{code}: {message}"})
        rows.append(ProductPrice(product=product, currency=code, unit_price=price))
    old = _price_texts(ProductPrice.objects.filter(product=product))
    ProductPrice.objects.filter(product=product).delete()
    created = ProductPrice.objects.bulk_create(rows)
    new = _price_texts(created)
    if old != new:
        audit_update(actor=actor, obj=product, before={}, extra={"prices": [old, new]})
    return created


def _price_texts(prices: Any) -> dict[str, str]:
    return {p.currency: f"{p.unit_price:.2f}" for p in sorted(prices, key=lambda p: p.currency)}


def _price_book_fields(name: str, currency: str) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the price book a name."})
    if len(name) > 100:
        raise ValidationError({"name": "The name is at most 100 characters long."})
    return name, _currency(currency)


def _entry_texts(book: PriceBook) -> dict[str, str]:
    entries = PriceBookEntry.objects.filter(price_book=book).order_by("product_id")
    return {str(e.product_id): str(e.unit_price) for e in entries}


def _entries_set(book: PriceBook, entries: Mapping[Product, Decimal]) -> None:
    rows = []
    for product, price in entries.items():
        if message := pricing.unit_price_error(price):
            raise ValidationError({"entries": f"{product.name}: {message}"})
        rows.append(PriceBookEntry(price_book=book, product=product, unit_price=price))
    PriceBookEntry.objects.filter(price_book=book).delete()
    PriceBookEntry.objects.bulk_create(rows)


def _save_book(book: PriceBook) -> None:
    try:
        with transaction.atomic():
            book.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "Another price book already has this name."}) from exc


@transaction.atomic
def price_book_create(
    *,
    actor: User | None,
    name: str,
    currency: str,
    description: str = "",
    is_active: bool = True,
    entries: Mapping[Product, Decimal] | None = None,
) -> PriceBook:
    """A price book in one currency; `entries` are its per-product prices (others use list)."""
    _require_manager(actor)
    name, currency = _price_book_fields(name, currency)
    if PriceBook.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "Another price book already has this name."})
    book = PriceBook(name=name, currency=currency, description=description.strip())
    book.is_active = is_active
    _save_book(book)
    _entries_set(book, entries or {})
    audit_create(actor=actor, obj=book)
    entry_texts = _entry_texts(book)
    if entry_texts:
        audit_update(actor=actor, obj=book, before={}, extra={"entries": [{}, entry_texts]})
    return book


@transaction.atomic
def price_book_update(
    *,
    actor: User | None,
    book: PriceBook,
    name: str,
    currency: str,
    description: str = "",
    is_active: bool = True,
    entries: Mapping[Product, Decimal] | None = None,
) -> PriceBook:
    """Change a price book. Quotes already built keep the prices on their lines."""
    _require_manager(actor)
    name, currency = _price_book_fields(name, currency)
    if PriceBook.objects.filter(name__iexact=name).exclude(pk=book.pk).exists():
        raise ValidationError({"name": "Another price book already has this name."})
    book = PriceBook.objects.select_for_update().get(pk=book.pk)
    before, old_entries = snapshot(book), _entry_texts(book)
    book.name, book.currency = name, currency
    book.description, book.is_active = description.strip(), is_active
    _save_book(book)
    _entries_set(book, entries or {})
    new_entries = _entry_texts(book)
    extra = {"entries": [old_entries, new_entries]} if old_entries != new_entries else {}
    audit_update(actor=actor, obj=book, before=before, extra=extra)
    return book


@transaction.atomic
def price_book_delete(*, actor: User, book: PriceBook) -> None:
    """Delete a price book and its entries. Quote versions built with it keep their line prices
    and simply no longer name a price book."""
    _require_manager(actor)
    audit_delete(actor=actor, obj=book)
    book.delete()


@transaction.atomic
def exchange_rate_create(
    *, actor: User | None, currency: str, rate: Decimal, valid_from: date
) -> ExchangeRate:
    """Record what one unit of `currency` is worth in the workspace currency from `valid_from`.

    A second rate for the same currency and day replaces the first.
    """
    _require_manager(actor)
    currency = _currency(currency)
    if currency == settings.CURRENCY:
        raise ValidationError(
            {"currency": f"{currency} is the workspace currency; its rate is always 1."}
        )
    if message := pricing.rate_error(rate):
        raise ValidationError({"rate": message})
    row = (
        ExchangeRate.objects.select_for_update()
        .filter(currency=currency, valid_from=valid_from)
        .first()
    )
    if row is not None:
        return exchange_rate_update(actor=actor, row=row, rate=rate)
    row = ExchangeRate.objects.create(currency=currency, valid_from=valid_from, rate=rate)
    audit_create(actor=actor, obj=row)
    return row


@transaction.atomic
def exchange_rate_update(*, actor: User | None, row: ExchangeRate, rate: Decimal) -> ExchangeRate:
    """Correct a stored rate. Quote versions keep the rate fixed when they were made."""
    _require_manager(actor)
    if message := pricing.rate_error(rate):
        raise ValidationError({"rate": message})
    row = ExchangeRate.objects.select_for_update().get(pk=row.pk)
    before = snapshot(row)
    row.rate = rate
    row.save(update_fields=["rate"])
    audit_update(actor=actor, obj=row, before=before)
    return row


@transaction.atomic
def exchange_rate_delete(*, actor: User, row: ExchangeRate) -> None:
    """Remove a rate; quote versions keep the rate fixed when they were made."""
    _require_manager(actor)
    audit_delete(actor=actor, obj=row)
    row.delete()


@transaction.atomic
def product_create_priced(
    *, actor: User | None, prices: Mapping[str, Decimal], **fields: Any
) -> Product:
    """product_create and its prices in other currencies, all or nothing."""
    product = product_create(actor=actor, **fields)
    product_prices_set(actor=actor, product=product, prices=prices)
    return product


@transaction.atomic
def product_update_priced(
    *,
    actor: User | None,
    product: Product,
    prices: Mapping[str, Decimal] | None,
    **fields: Any,
) -> Product:
    """product_update and its prices in other currencies (None keeps them), all or nothing."""
    product = product_update(actor=actor, product=product, **fields)
    if prices is not None:
        product_prices_set(actor=actor, product=product, prices=prices)
    return product
