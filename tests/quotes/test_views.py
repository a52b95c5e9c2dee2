"""Product pages, and the public order page of a 'buy now' CTA, over HTTP."""

import re
from decimal import Decimal

import pytest

from revline.campaigns.creative_selectors import creative_public_key
from revline.people.models import Contact
from revline.quotes.models import Order, Product
from revline.quotes.services import FORM_EXPIRED, product_update
from revline.sales.models import Deal
from revline.tracking.models import Touchpoint, Visitor

from .cta_fixtures import buy_creative, make_campaign, make_product

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def product(db):
    return make_product(price="49.90")


@pytest.fixture
def creative(product):
    return buy_creative(make_campaign(), product)


@pytest.fixture
def order_url(creative):
    return f"/buy/{creative_public_key(creative)}"


def _form_key(client, url) -> str:
    html = client.get(url).content.decode()
    match = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert match, "the order form carries a key"
    return match.group(1)


def _order(key, **changes):
    data = {
        "quantity": "2",
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@navy.example",
        "company_name": "Navy",
        "idempotency_key": key,
        "website": "",
    }
    data.update(changes)
    return data


def _counts():
    return (
        Order.objects.count(),
        Deal.objects.count(),
        Contact.objects.count(),
        Touchpoint.objects.count(),
        Visitor.objects.count(),
    )


# Products


def test_a_manager_lists_searches_and_filters_products(client, manager_a, product):
    make_product(name="Team plan", sku="TEAM-1", price="199", currency="USD")
    product_update(actor=None, product=make_product(name="Old plan", sku="OLD"), is_active=False)
    client.force_login(manager_a)

    def names(query: str) -> list[str]:
        response = client.get(f"/products/{query}")
        assert response.status_code == 200
        return [p.name for p in response.context["listing"].page]

    assert names("") == ["Old plan", "Starter plan", "Team plan"]
    assert names("?q=team") == ["Team plan"]
    assert names("?status=inactive") == ["Old plan"]
    assert names("?status=active&sort=-price") == ["Team plan", "Starter plan"]
    assert names("?currency=USD") == ["Team plan"]
    assert names("?status=bogus&currency=XXX") == []


def test_the_product_list_has_an_empty_state(client, manager_a):
    client.force_login(manager_a)

    html = client.get("/products/").content.decode()

    assert "No products yet." in html
    assert 'href="/products/new"' in html


def test_a_manager_creates_and_edits_a_product(client, manager_a):
    client.force_login(manager_a)
    assert client.get("/products/new").status_code == 200

    response = client.post(
        "/products/new",
        {
            "name": "Team plan",
            "sku": "TEAM-1",
            "price": "199.00",
            "currency": "usd",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    product = Product.objects.get()
    assert (product.name, product.price, product.currency, product.is_active) == (
        "Team plan",
        Decimal("199.00"),
        "USD",
        True,
    )
    response = client.post(
        f"/products/{product.pk}/edit",
        {"name": "Team plan", "sku": "TEAM-1", "price": "149", "currency": "USD"},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.price, product.is_active) == (Decimal("149.00"), False)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"price": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"currency": "EURO"}, "Ensure this value has at most 3 characters"),
        ({"currency": "E1"}, "Use a three-letter ISO code such as EUR."),
        ({"sku": "start-1"}, "Another product already uses this SKU."),
        ({"price": "abc"}, "Enter a number."),
    ],
)
def test_bad_product_input_shows_the_error_and_stores_nothing(
    client, manager_a, product, changes, message
):
    client.force_login(manager_a)
    data = {"name": "Team plan", "sku": "TEAM-1", "price": "199", "currency": "EUR"}
    data.update(changes)

    response = client.post("/products/new", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(Product.objects.values_list("sku", flat=True)) == ["START-1"]


def test_reps_and_marketers_may_read_but_not_change_products(client, rep_a, marketer, product):
    for user in (rep_a, marketer):
        client.force_login(user)
        listing = client.get("/products/")
        assert listing.status_code == 200
        assert b'href="/products/new"' not in listing.content
        assert client.get("/products/new").status_code == 403
        data = {"name": "X", "sku": "X", "price": "1", "currency": "EUR"}
        assert client.post("/products/new", data).status_code == 403
        assert client.post(f"/products/{product.pk}/edit", data).status_code == 403
    product.refresh_from_db()
    assert (Product.objects.count(), product.name) == (1, "Starter plan")


def test_hostile_product_values_are_shown_as_text(client, manager_a):
    make_product(name=XSS, sku="XSS")
    client.force_login(manager_a)

    html = client.get("/products/").content.decode()

    assert XSS not in html
    assert ESCAPED in html


# The public order page


def test_the_order_page_shows_the_products_price_and_writes_nothing(client, order_url):
    response = client.get(order_url)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<div class="price" id="unit-price">€49.90</div>' in html
    assert "Starter plan" in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert _counts() == (0, 0, 0, 0, 0)


def test_ordering_uses_the_products_price_whatever_the_request_says(client, order_url):
    key = _form_key(client, order_url)

    response = client.post(
        order_url, _order(key, price="0.01", unit_price="0.01", total="0.02", currency="USD")
    )

    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.unit_price, order.total, order.currency) == (
        Decimal("49.90"),
        Decimal("99.80"),
        "EUR",
    )
    assert Deal.objects.get().amount == Decimal("99.80")
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "2 × Starter plan · total €99.80" in thanks.content.decode()
    assert response.cookies["rl_vid"].value == str(Touchpoint.objects.get().visitor_id)


def test_posting_the_same_form_twice_shows_the_same_confirmation(client, order_url):
    key = _form_key(client, order_url)

    first = client.post(order_url, _order(key))
    second = client.post(order_url, _order(key, quantity="5"))

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Order.objects.get().quantity == 2
    assert Deal.objects.count() == 1


@pytest.mark.parametrize("key", ["", "not-a-key", "0" * 32, "x" * 500])
def test_a_missing_or_tampered_form_key_is_refused(client, order_url, key):
    response = client.post(order_url, _order(key))

    html = response.content.decode()
    assert response.status_code == 400
    assert FORM_EXPIRED in html
    # A fresh key comes with the error, so the buyer can simply try again.
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}\.[^"]+"', html)
    assert _counts() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quantity": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"quantity": "11"}, "Ensure this value is less than or equal to 10."),
        ({"quantity": "1e9"}, "Enter a whole number."),
        ({"email": "nope"}, "Enter a valid email address."),
        ({"first_name": ""}, "This field is required."),
        ({"first_name": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"website": "http://spam.example"}, "Please leave the website field empty."),
    ],
)
def test_bad_order_input_shows_the_error_keeps_the_key_and_writes_nothing(
    client, order_url, changes, message
):
    key = _form_key(client, order_url)

    response = client.post(order_url, _order(key, **changes))

    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert f'name="idempotency_key" value="{key}"' in html
    assert _counts() == (0, 0, 0, 0, 0)


def test_hostile_buyer_values_are_stored_as_text_and_shown_escaped(client, order_url):
    key = _form_key(client, order_url)

    response = client.post(order_url, _order(key, first_name=XSS, company_name=XSS))

    assert response.status_code == 302
    assert Contact.objects.get().first_name == XSS
    assert Deal.objects.get().name == f"{XSS}: Starter plan ×2"
    invalid = client.post(order_url, _order(key, email=XSS))
    assert XSS not in invalid.content.decode()


def test_unknown_or_forged_order_pages_are_not_found(client, creative, order_url):
    assert client.get(f"/buy/{creative.pk}").status_code == 404
    assert client.get(f"/buy/{creative.pk}.forged").status_code == 404
    assert client.get(f"/book/{creative_public_key(creative)}").status_code == 404
    assert client.get(f"{order_url}/thanks/1.forged").status_code == 404


def test_an_inactive_product_cannot_be_ordered(client, product, order_url):
    key = _form_key(client, order_url)
    product_update(actor=None, product=product, is_active=False)

    assert client.get(order_url).status_code == 410
    assert client.post(order_url, _order(key)).status_code == 410
    assert Order.objects.count() == 0


def test_the_order_page_is_rate_limited(client, order_url, settings):
    settings.REVLINE_PUBLIC_RATE_LIMIT = 2

    statuses = [client.get(order_url).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_the_order_page_needs_the_csrf_token(order_url, client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    key = _form_key(client, order_url)

    response = csrf_client.post(order_url, _order(key))

    assert response.status_code == 403
    assert Order.objects.count() == 0
