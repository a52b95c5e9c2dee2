"""Catalogue: product billing and prices in other currencies, price books, exchange rates."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.core import money
from revline.quotes.catalog_services import (
    exchange_rate_create,
    parse_price_lines,
    price_book_create,
)
from revline.quotes.models import ExchangeRate, PriceBook, PriceBookEntry, Product, ProductPrice
from tests.conftest import PASSWORD

D = Decimal


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_product_form_saves_billing_and_other_currency_prices(client, manager_a):
    response = login(client, manager_a).post(
        "/products/new",
        {
            "name": "Seat",
            "sku": "SEAT",
            "price": "100",
            "currency": "EUR",
            "billing": "monthly",
            "description": "",
            "prices": "usd 110.00\nGBP 85",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    product = Product.objects.get()
    assert product.billing == "monthly"
    assert sorted(product.prices.values_list("currency", "unit_price")) == [
        ("GBP", D("85")),
        ("USD", D("110")),
    ]
    edit = client.get(f"/products/{product.pk}/edit").content.decode()
    assert "GBP 85.00" in edit


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ("USD", "Line 1: write a currency and a price"),
        ("US 10", "Line 1: “US” is not a currency code."),
        ("USD ten", "is not a number"),
        ("USD -5", "Line 1: The unit price cannot be negative."),
        ("USD 1\nUSD 2", "Line 2: USD is listed twice."),
        ("EUR 5", "EUR is the product&#x27;s own currency"),
    ],
)
def test_bad_price_lines_are_refused(client, manager_a, prices, message):
    response = login(client, manager_a).post(
        "/products/new",
        {
            "name": "Seat",
            "sku": "SEAT",
            "price": "100",
            "currency": "EUR",
            "billing": "one_off",
            "prices": prices,
        },
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Product.objects.exists()


def test_parse_price_lines_skips_blank_lines():
    assert parse_price_lines("\n  usd 12.5 \n\n") == {"USD": D("12.5")}


def test_price_book_page_creates_a_book_with_per_product_prices(
    client, manager_a, seats, onboarding
):
    login(client, manager_a)
    assert client.get("/products/price-books/new").status_code == 200

    response = client.post(
        "/products/price-books/new",
        {
            "name": "Partners",
            "currency": "eur",
            "description": "Reseller prices",
            "is_active": "on",
            f"price_{seats.pk}": "80",
            f"price_{onboarding.pk}": "",
        },
    )

    assert response.status_code == 302
    book = PriceBook.objects.get()
    assert (book.name, book.currency, book.is_active) == ("Partners", "EUR", True)
    assert list(book.entries.values_list("product__sku", "unit_price")) == [("SEAT", D("80"))]
    listing = client.get("/products/price-books/").content.decode()
    assert "Partners" in listing


def test_price_book_edit_replaces_its_prices(client, manager_a, seats, onboarding):
    book = price_book_create(
        actor=manager_a, name="Partners", currency="EUR", entries={seats: D("80")}
    )

    response = login(client, manager_a).post(
        f"/products/price-books/{book.pk}/",
        {"name": "Partners", "currency": "EUR", "is_active": "", f"price_{onboarding.pk}": "2000"},
    )

    assert response.status_code == 302
    book.refresh_from_db()
    assert book.is_active is False
    assert list(book.entries.values_list("product__sku", "unit_price")) == [("ONB", D("2000"))]


def test_price_book_with_a_negative_price_is_refused(client, manager_a, seats):
    response = login(client, manager_a).post(
        "/products/price-books/new",
        {"name": "Bad", "currency": "EUR", f"price_{seats.pk}": "-1"},
    )

    assert response.status_code == 400
    assert not PriceBook.objects.exists()


def test_duplicate_price_book_names_are_refused(manager_a):
    price_book_create(actor=manager_a, name="Partners", currency="EUR")

    with pytest.raises(ValidationError, match="already has this name"):
        price_book_create(actor=manager_a, name="partners", currency="USD")


def test_reps_read_price_books_but_cannot_change_them(client, rep_a, manager_a, seats):
    book = price_book_create(actor=manager_a, name="Partners", currency="EUR")
    login(client, rep_a)

    assert client.get("/products/price-books/").status_code == 200
    page = client.get(f"/products/price-books/{book.pk}/")
    assert page.status_code == 200
    assert "Only admins and sales managers" in page.content.decode()
    assert client.get("/products/price-books/new").status_code == 403
    response = client.post(f"/products/price-books/{book.pk}/", {"name": "Mine", "currency": "EUR"})
    assert response.status_code == 403
    book.refresh_from_db()
    assert book.name == "Partners"
    with pytest.raises(PermissionDenied):
        price_book_create(actor=rep_a, name="Rep book", currency="EUR")


def test_exchange_rates_page_adds_a_rate_used_by_money(client, manager_a):
    login(client, manager_a)

    response = client.post(
        "/products/exchange-rates/", {"currency": "usd", "rate": "0.92", "valid_from": "2025-01-01"}
    )

    assert response.status_code == 302
    assert money.rate_to_base("USD", on=date(2025, 6, 1)) == D("0.92")
    assert money.rate_to_base("USD", on=date(2024, 12, 31)) is None
    assert "0.92" in client.get("/products/exchange-rates/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"currency": "USD", "rate": "0", "valid_from": "2025-01-01"}, "greater than or equal to"),
        ({"currency": "USD", "rate": "-1", "valid_from": "2025-01-01"}, "greater than or equal to"),
        ({"currency": "USD", "rate": "abc", "valid_from": "2025-01-01"}, "Enter a number."),
        (
            {"currency": "USD", "rate": "2000000", "valid_from": "2025-01-01"},
            "less than or equal to",
        ),
        ({"currency": "EUR", "rate": "1.1", "valid_from": "2025-01-01"}, "workspace currency"),
        ({"currency": "U$D", "rate": "1.1", "valid_from": "2025-01-01"}, "three-letter ISO code"),
        ({"currency": "USD", "rate": "1.1", "valid_from": "soon"}, "Enter a valid date."),
    ],
)
def test_bad_exchange_rates_are_refused(client, manager_a, data, message):
    response = login(client, manager_a).post("/products/exchange-rates/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ExchangeRate.objects.exists()


def test_a_second_rate_for_the_same_day_replaces_the_first(manager_a):
    exchange_rate_create(
        actor=manager_a, currency="USD", rate=D("0.9"), valid_from=date(2025, 1, 1)
    )
    exchange_rate_create(
        actor=manager_a, currency="USD", rate=D("0.95"), valid_from=date(2025, 1, 1)
    )

    assert list(ExchangeRate.objects.values_list("rate", flat=True)) == [D("0.95")]


def test_reps_cannot_add_exchange_rates(client, rep_a):
    login(client, rep_a)

    assert client.get("/products/exchange-rates/").status_code == 200
    response = client.post(
        "/products/exchange-rates/", {"currency": "USD", "rate": "0.9", "valid_from": "2025-01-01"}
    )

    assert response.status_code == 403
    assert not ExchangeRate.objects.exists()


def test_service_refuses_rates_out_of_bounds(manager_a):
    for rate in (D("0"), D("-2"), D("1000000.5")):
        with pytest.raises(ValidationError):
            exchange_rate_create(
                actor=manager_a, currency="GBP", rate=rate, valid_from=date(2025, 1, 1)
            )

    assert not ExchangeRate.objects.exists()
    assert not ProductPrice.objects.exists() and not PriceBookEntry.objects.exists()
