# ruff: noqa: F811  (fixtures imported from tests.quotes.conftest are redefined as arguments)
"""The quotes API: products, price books, exchange rates, quotes, versions, approvals, orders."""

from datetime import date
from decimal import Decimal

import pytest

from revline.audit.models import AuditEntry
from revline.core.workspace import workspace_get
from revline.quotes.catalog_services import exchange_rate_create, price_book_create
from revline.quotes.models import (
    ExchangeRate,
    Order,
    PriceBook,
    Product,
    ProductPrice,
    Quote,
    QuoteApproval,
    QuoteStatus,
    QuoteVersion,
)
from revline.quotes.quote_services import (
    version_accept,
    version_request_approval,
    version_save,
    version_send,
)
from revline.quotes.services import product_create
from tests.quotes.conftest import (  # noqa: F401 (fixtures)
    acme,
    ada,
    deal,
    draft_quote,
    lines,
    onboarding,
    pipeline,
    seats,
    usd_rate,
)

from .conftest import error_fields

D = Decimal
pytestmark = pytest.mark.django_db


def product_row(product: Product) -> tuple:
    product.refresh_from_db()
    return (product.name, product.sku, product.price, product.currency, product.is_active)


def version_row(version: QuoteVersion) -> tuple:
    version.refresh_from_db()
    return (
        version.status,
        version.discount_percent,
        version.total,
        [(x.name, x.quantity) for x in version.lines.all()],
    )


@pytest.fixture
def quote(deal, rep_a, seats):
    """Draft v1 of rep_a's deal: 10 seats at 100 with 5% off the line (950.00)."""
    quote, _version = draft_quote(deal, (seats, "10", "5"), actor=rep_a)
    return quote


@pytest.fixture
def pending(quote, rep_a, seats):
    """v1 with 40% off, waiting for approval."""
    version = quote.versions.get(number=1)
    version_save(
        actor=rep_a, version=version, lines=lines((seats, "10", "0")), discount_percent=D("40")
    )
    version_request_approval(actor=rep_a, version=version)
    return version


# --- products ---------------------------------------------------------------------------------


def test_anyone_lists_products_filtered_and_sorted(api_as, marketer, seats, onboarding):
    product_create(actor=None, name="Old", sku="OLD", price=D("1"), currency="USD", is_active=False)

    response = api_as(marketer).get("/products", {"status": "active", "sort": "-price"})

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    assert [(p["sku"], p["price"], p["billing"]) for p in body["items"]] == [
        ("ONB", "2500.00", "one_off"),
        ("SEAT", "100.00", "yearly"),
    ]
    assert api_as(marketer).get("/products", {"q": "old"}).json()["total"] == 1


def test_list_products_refuses_an_unknown_sort(api_as, marketer):
    response = api_as(marketer).get("/products", {"sort": "password"})
    assert response.status_code == 422
    assert error_fields(response) == ["sort"]


def test_manager_creates_a_product_with_prices_and_it_is_audited(api_as, manager_a):
    response = api_as(manager_a).post(
        "/products",
        {
            "name": "Seat",
            "sku": "S1",
            "price": "99.5",
            "currency": "eur",
            "billing": "monthly",
            "prices": [{"currency": "USD", "unit_price": "109"}],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["sku"], body["price"], body["currency"], body["billing"]) == (
        "S1",
        "99.50",
        "EUR",
        "monthly",
    )
    assert body["prices"] == [{"currency": "USD", "unit_price": "109.00"}]
    product = Product.objects.get(sku="S1")
    entries = AuditEntry.objects.filter(object_type="quotes.product", object_id=str(product.pk))
    assert sorted(entries.values_list("action", flat=True)) == ["create", "update"]
    assert entries.get(action="update").changes == {"prices": [{}, {"USD": "109.00"}]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": "-1"}, "price"),
        ({"price": "10000000001"}, "price"),
        ({"currency": "EURO"}, "currency"),
        ({"name": "  "}, "name"),
        ({"billing": "weekly"}, "billing"),
        ({"id": 5}, "id"),
        ({"prices": [{"currency": "EUR", "unit_price": "1"}]}, "prices"),
        ({"prices": [{"currency": "USD", "unit_price": "1"}] * 2}, "prices"),
        ({"prices": [{"currency": "USD", "unit_price": "-1"}]}, "unit_price"),
    ],
)
def test_create_product_refuses_bad_input(api_as, manager_a, body, field):
    payload = {"name": "Seat", "sku": "S1", "price": "1", "currency": "EUR", **body}
    response = api_as(manager_a).post("/products", payload)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert not Product.objects.exists()


def test_duplicate_sku_is_refused_whatever_the_case(api_as, manager_a, seats):
    response = api_as(manager_a).post(
        "/products", {"name": "Other", "sku": "seat", "price": "1", "currency": "EUR"}
    )
    assert response.status_code == 422
    assert error_fields(response) == ["sku"]
    assert Product.objects.count() == 1


@pytest.mark.parametrize("who", ["rep_a", "marketer"])
def test_only_managers_and_admins_write_products(api_as, request, who, seats):
    client = api_as(request.getfixturevalue(who))
    before = product_row(seats)

    created = client.post("/products", {"name": "X", "sku": "X", "price": "1", "currency": "EUR"})
    changed = client.patch(f"/products/{seats.pk}", {"price": "1"})
    deleted = client.delete(f"/products/{seats.pk}")

    assert [created.status_code, changed.status_code, deleted.status_code] == [403, 403, 403]
    assert created.json() == {"detail": "Only admins and sales managers manage products."}
    assert product_row(seats) == before
    assert Product.objects.count() == 1


def test_read_a_product(api_as, rep_a, seats):
    ProductPrice.objects.create(product=seats, currency="USD", unit_price=D("110"))
    response = api_as(rep_a).get(f"/products/{seats.pk}")
    assert response.status_code == 200
    assert response.json()["prices"] == [{"currency": "USD", "unit_price": "110.00"}]


def test_manager_archives_a_product_and_prices_stay_unless_sent(api_as, manager_a, seats):
    ProductPrice.objects.create(product=seats, currency="USD", unit_price=D("110"))

    response = api_as(manager_a).patch(f"/products/{seats.pk}", {"is_active": False})

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["prices"] == [{"currency": "USD", "unit_price": "110.00"}]
    entry = AuditEntry.objects.get(object_type="quotes.product", action="update")
    assert entry.changes == {"is_active": [True, False]}


@pytest.mark.parametrize(
    ("body", "field"), [({"price": "-0.01"}, "price"), ({"name": None}, "name")]
)
def test_update_product_refuses_bad_input(api_as, manager_a, seats, body, field):
    before = product_row(seats)
    response = api_as(manager_a).patch(f"/products/{seats.pk}", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert product_row(seats) == before


def test_delete_an_unused_product_but_not_a_quoted_one(
    api_as, admin_user, seats, onboarding, quote
):
    client = api_as(admin_user)

    refused = client.delete(f"/products/{seats.pk}")
    deleted = client.delete(f"/products/{onboarding.pk}")

    assert refused.status_code == 422
    assert "archive it instead" in refused.json()["detail"][0]["msg"]
    assert deleted.status_code == 204
    assert list(Product.objects.values_list("sku", flat=True)) == ["SEAT"]
    assert AuditEntry.objects.filter(object_type="quotes.product", action="delete").count() == 1


@pytest.mark.parametrize(
    ("method", "body"), [("get", None), ("patch", {"price": "1"}), ("delete", None)]
)
def test_unknown_product_is_404(api_as, admin_user, method, body):
    client = api_as(admin_user)
    args = (body,) if body is not None else ()
    assert getattr(client, method)("/products/999", *args).status_code == 404


# --- price books ------------------------------------------------------------------------------


def test_manager_creates_reads_and_lists_a_price_book(api_as, manager_a, rep_a, seats):
    response = api_as(manager_a).post(
        "/price-books",
        {
            "name": "Partners",
            "currency": "EUR",
            "entries": [{"product_id": seats.pk, "unit_price": "80"}],
        },
    )

    assert response.status_code == 201
    book = PriceBook.objects.get()
    assert response.json()["entries"] == [
        {"product_id": seats.pk, "product_name": "Seat licence", "unit_price": "80.00"}
    ]
    read = api_as(rep_a).get(f"/price-books/{book.pk}").json()
    assert (read["name"], read["currency"], read["is_active"]) == ("Partners", "EUR", True)
    listed = api_as(rep_a).get("/price-books", {"currency": "EUR", "q": "part"}).json()
    assert [b["id"] for b in listed["items"]] == [book.pk]
    assert AuditEntry.objects.filter(object_type="quotes.pricebook").count() == 2


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        ([{"product_id": 999, "unit_price": "1"}], "entries"),
        ([{"product_id": "SEAT", "unit_price": "1"}], "product_id"),
        ([{"product_id": 0, "unit_price": "-5"}], "unit_price"),
    ],
)
def test_create_price_book_refuses_bad_entries(api_as, manager_a, entries, field):
    response = api_as(manager_a).post(
        "/price-books", {"name": "P", "currency": "EUR", "entries": entries}
    )
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert not PriceBook.objects.exists()


def test_price_book_patch_keeps_entries_unless_sent(api_as, admin_user, seats, onboarding):
    book = price_book_create(actor=None, name="P", currency="EUR", entries={seats: D("80")})
    client = api_as(admin_user)

    renamed = client.patch(f"/price-books/{book.pk}", {"name": "Partners"})
    replaced = client.patch(
        f"/price-books/{book.pk}", {"entries": [{"product_id": onboarding.pk, "unit_price": "1"}]}
    )

    assert renamed.status_code == 200
    assert [e["product_id"] for e in renamed.json()["entries"]] == [seats.pk]
    assert replaced.status_code == 200
    assert [(e["product_id"], e["unit_price"]) for e in replaced.json()["entries"]] == [
        (onboarding.pk, "1.00")
    ]
    assert replaced.json()["name"] == "Partners"


def test_price_book_name_clash_and_rights(api_as, manager_a, rep_a):
    book = price_book_create(actor=None, name="P", currency="EUR")
    price_book_create(actor=None, name="Q", currency="EUR")

    clash = api_as(manager_a).patch(f"/price-books/{book.pk}", {"name": "q"})
    denied = api_as(rep_a).patch(f"/price-books/{book.pk}", {"name": "R"})
    denied_delete = api_as(rep_a).delete(f"/price-books/{book.pk}")

    assert clash.status_code == 422
    assert error_fields(clash) == ["name"]
    assert (denied.status_code, denied_delete.status_code) == (403, 403)
    assert api_as(rep_a).post("/price-books", {"name": "Z", "currency": "EUR"}).status_code == 403
    assert sorted(PriceBook.objects.values_list("name", flat=True)) == ["P", "Q"]


def test_deleting_a_price_book_leaves_quotes_their_prices(api_as, manager_a, quote):
    book = price_book_create(actor=None, name="P", currency="EUR")
    QuoteVersion.objects.filter(quote=quote).update(price_book=book)

    response = api_as(manager_a).delete(f"/price-books/{book.pk}")

    assert response.status_code == 204
    version = quote.versions.get()
    assert (version.price_book_id, version.total) == (None, D("950.00"))
    assert AuditEntry.objects.filter(object_type="quotes.pricebook", action="delete").count() == 1


@pytest.mark.parametrize(
    ("method", "body"), [("get", None), ("patch", {"name": "X"}), ("delete", None)]
)
def test_unknown_price_book_is_404(api_as, admin_user, method, body):
    args = (body,) if body is not None else ()
    assert getattr(api_as(admin_user), method)("/price-books/999", *args).status_code == 404


# --- exchange rates ---------------------------------------------------------------------------


def test_rates_are_created_replaced_corrected_and_deleted(api_as, manager_a, rep_a):
    client = api_as(manager_a)

    first = client.post(
        "/exchange-rates", {"currency": "usd", "rate": "0.9", "valid_from": "2025-01-01"}
    )
    again = client.post(
        "/exchange-rates", {"currency": "USD", "rate": "0.91", "valid_from": "2025-01-01"}
    )
    rate_id = first.json()["id"]
    corrected = client.patch(f"/exchange-rates/{rate_id}", {"rate": "0.92"})

    assert first.status_code == 201
    assert (first.json()["currency"], first.json()["rate"]) == ("USD", "0.9")
    assert (again.json()["id"], again.json()["rate"]) == (rate_id, "0.91")
    assert corrected.status_code == 200 and corrected.json()["rate"] == "0.92"
    assert api_as(rep_a).get(f"/exchange-rates/{rate_id}").json()["rate"] == "0.92"
    listed = api_as(rep_a).get("/exchange-rates", {"currency": "USD"}).json()
    assert [r["id"] for r in listed["items"]] == [rate_id]
    assert client.delete(f"/exchange-rates/{rate_id}").status_code == 204
    assert not ExchangeRate.objects.exists()
    actions = AuditEntry.objects.filter(object_type="quotes.exchangerate")
    assert sorted(actions.values_list("action", flat=True)) == [
        "create",
        "delete",
        "update",
        "update",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rate": "0"}, "rate"),
        ({"rate": "-1"}, "rate"),
        ({"rate": "1e9"}, "rate"),
        ({"rate": "0.000000001"}, "rate"),
        ({"currency": "EUR"}, "currency"),
        ({"valid_from": "yesterday"}, "valid_from"),
    ],
)
def test_create_rate_refuses_bad_input(api_as, admin_user, body, field):
    payload = {"currency": "USD", "rate": "0.9", "valid_from": "2025-01-01", **body}
    response = api_as(admin_user).post("/exchange-rates", payload)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert not ExchangeRate.objects.exists()


def test_rates_are_managed_by_managers_only(api_as, rep_a, usd_rate):
    client = api_as(rep_a)
    body = {"currency": "GBP", "rate": "1.1", "valid_from": "2025-01-01"}
    assert client.post("/exchange-rates", body).status_code == 403
    assert client.patch(f"/exchange-rates/{usd_rate.pk}", {"rate": "2"}).status_code == 403
    assert client.delete(f"/exchange-rates/{usd_rate.pk}").status_code == 403
    usd_rate.refresh_from_db()
    assert (ExchangeRate.objects.count(), usd_rate.rate) == (1, D("0.9"))


def test_rate_patch_refuses_bad_rate_and_unknown_ids(api_as, admin_user, usd_rate):
    client = api_as(admin_user)
    bad = client.patch(f"/exchange-rates/{usd_rate.pk}", {"rate": "-2"})
    assert bad.status_code == 422 and error_fields(bad) == ["rate"]
    assert client.get("/exchange-rates/999").status_code == 404
    assert client.patch("/exchange-rates/999", {"rate": "1"}).status_code == 404
    assert client.delete("/exchange-rates/999").status_code == 404


# --- quotes: create, read, list ---------------------------------------------------------------


def test_rep_creates_a_quote_with_lines_and_reads_it(api_as, rep_a, deal, seats):
    response = api_as(rep_a).post(
        "/quotes",
        {
            "deal_id": deal.pk,
            "title": "Rollout",
            "lines": [
                {"product_id": seats.pk, "quantity": "10", "discount_percent": "10"},
                {"name": "Travel", "quantity": "1", "unit_price": "333.33"},
            ],
            "discount_percent": "5",
            "tax_percent": "19",
            "terms": "Net 30",
        },
    )

    assert response.status_code == 201
    body = response.json()
    quote = Quote.objects.get()
    assert (body["id"], body["number"], body["status"], body["accepted_at"]) == (
        quote.pk,
        f"Q-{quote.pk:05d}",
        "draft",
        None,
    )
    current = body["current_version"]
    assert [
        (x["name"], x["quantity"], x["unit_price"], x["line_total"]) for x in current["lines"]
    ] == [
        ("Seat licence", "10", "100.00", "900.00"),
        ("Travel", "1", "333.33", "333.33"),
    ]
    assert (
        current["subtotal"],
        current["discount_amount"],
        current["tax_amount"],
        current["total"],
    ) == ("1233.33", "61.67", "222.62", "1394.28")
    assert current["public_path"] is None
    assert api_as(rep_a).get(f"/quotes/{quote.pk}").json() == body
    actions = AuditEntry.objects.filter(object_type__startswith="quotes.quote")
    assert sorted(actions.values_list("object_type", "action")) == [
        ("quotes.quote", "create"),
        ("quotes.quoteversion", "update"),
    ]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"name": "X", "quantity": "-1", "unit_price": "1"}, "quantity"),
        ({"name": "X", "quantity": "0", "unit_price": "1"}, "quantity"),
        ({"name": "X", "quantity": "1e12", "unit_price": "1"}, "quantity"),
        ({"name": "X", "quantity": "1", "unit_price": "-1"}, "unit_price"),
        (
            {"name": "X", "quantity": "1", "unit_price": "1", "discount_percent": "101"},
            "discount_percent",
        ),
        ({"name": "X", "quantity": "1"}, "lines"),
        ({"product_id": 999, "quantity": "1"}, "lines"),
        ({"name": "X", "quantity": "NaN", "unit_price": "1"}, "quantity"),
    ],
)
def test_create_quote_refuses_bad_lines(api_as, rep_a, deal, line, field):
    response = api_as(rep_a).post(
        "/quotes", {"deal_id": deal.pk, "title": "Rollout", "lines": [line]}
    )
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert not Quote.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"discount_percent": "-5"}, "discount_percent"),
        ({"tax_percent": "100.01"}, "tax_percent"),
        ({"currency": "GBP"}, "currency"),
        ({"title": ""}, "title"),
        ({"valid_until": "2000-01-01"}, "valid_until"),
        ({"price_book_id": 999}, "price_book_id"),
        ({"deal_id": 999}, "deal_id"),
    ],
)
def test_create_quote_refuses_bad_fields(api_as, rep_a, deal, body, field):
    response = api_as(rep_a).post("/quotes", {"deal_id": deal.pk, "title": "Rollout", **body})
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert not Quote.objects.exists()


def test_quotes_of_hidden_deals_are_invisible_and_cannot_be_created(
    api_as, rep_b, marketer, quote, deal
):
    assert workspace_get().deal_visibility == "team"
    client = api_as(rep_b)

    assert client.get("/quotes").json()["total"] == 0
    assert client.get(f"/quotes/{quote.pk}").status_code == 404
    created = client.post("/quotes", {"deal_id": deal.pk, "title": "Mine"})
    assert created.status_code == 422 and error_fields(created) == ["deal_id"]
    assert api_as(marketer).get("/quotes").json()["total"] == 1
    refused = api_as(marketer).post("/quotes", {"deal_id": deal.pk, "title": "Mine"})
    assert refused.status_code == 403
    assert Quote.objects.count() == 1


def test_list_quotes_filters_by_deal_status_and_text(api_as, rep_a, quote, deal):
    client = api_as(rep_a)
    listed = client.get("/quotes", {"deal_id": deal.pk, "status": "draft", "q": "roll"}).json()
    assert [(q["id"], q["status"], q["total"], q["version_number"]) for q in listed["items"]] == [
        (quote.pk, "draft", "950.00", 1)
    ]
    assert client.get("/quotes", {"status": "sent"}).json()["total"] == 0
    bad = client.get("/quotes", {"status": "won"})
    assert bad.status_code == 422 and error_fields(bad) == ["status"]


def test_unknown_quote_is_404(api_as, rep_a, quote):
    client = api_as(rep_a)
    assert client.get("/quotes/999").status_code == 404
    assert client.get(f"/quotes/{quote.pk}/versions/9").status_code == 404
    assert client.patch(f"/quotes/{quote.pk}/versions/9", {"terms": "x"}).status_code == 404
    for action in ("revise", "request-approval", "approve", "send"):
        assert client.post(f"/quotes/999/versions/1/{action}").status_code == 404
    assert client.post("/quotes/999/versions/1/reject", {"comment": "no"}).status_code == 404
    assert client.get("/quotes/999/diff").status_code == 404
    assert client.delete("/quotes/999").status_code == 404


# --- quotes: edit, revise, approve, send ------------------------------------------------------


def test_patch_a_draft_changes_only_what_is_sent(api_as, rep_a, quote):
    response = api_as(rep_a).patch(
        f"/quotes/{quote.pk}/versions/1", {"discount_percent": "10", "terms": "Net 30"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["discount_percent"], body["terms"], body["total"]) == ("10", "Net 30", "855.00")
    assert [(x["name"], x["discount_percent"]) for x in body["lines"]] == [("Seat licence", "5")]
    entry = AuditEntry.objects.filter(object_type="quotes.quoteversion").latest("pk")
    assert entry.changes["discount_percent"] == ["0.00", "10"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"discount_percent": "150"}, "discount_percent"),
        ({"lines": [{"name": "X", "quantity": "-2", "unit_price": "1"}]}, "quantity"),
        ({"lines": [{"name": "X", "quantity": "1", "unit_price": "99999999999"}]}, "unit_price"),
        ({"lines": None}, "lines"),
        ({"status": "approved"}, "status"),
    ],
)
def test_patch_a_draft_refuses_bad_input(api_as, rep_a, quote, body, field):
    version = quote.versions.get()
    before = version_row(version)
    response = api_as(rep_a).patch(f"/quotes/{quote.pk}/versions/1", body)
    assert response.status_code == 422
    assert error_fields(response) == [field]
    assert version_row(version) == before


def test_a_sent_version_cannot_be_patched_and_revising_makes_v2(api_as, rep_a, quote):
    version_send(actor=rep_a, version=quote.versions.get())
    client = api_as(rep_a)

    refused = client.patch(f"/quotes/{quote.pk}/versions/1", {"terms": "x"})
    revised = client.post(f"/quotes/{quote.pk}/versions/1/revise")

    assert refused.status_code == 422
    assert "revise it" in refused.json()["detail"][0]["msg"]
    assert revised.status_code == 201
    assert (revised.json()["number"], revised.json()["status"], revised.json()["total"]) == (
        2,
        "draft",
        "950.00",
    )
    again = client.post(f"/quotes/{quote.pk}/versions/1/revise")
    assert again.status_code == 422
    assert quote.versions.count() == 2


def test_rep_of_another_team_cannot_change_a_visible_quote(api_as, rep_b, quote):
    workspace = workspace_get()
    workspace.deal_visibility = "all"
    workspace.save()
    version = quote.versions.get()
    before = version_row(version)
    client = api_as(rep_b)

    responses = [
        client.patch(f"/quotes/{quote.pk}/versions/1", {"terms": "x"}),
        client.post(f"/quotes/{quote.pk}/versions/1/request-approval"),
        client.post(f"/quotes/{quote.pk}/versions/1/send"),
        client.post(f"/quotes/{quote.pk}/versions/1/revise"),
        client.delete(f"/quotes/{quote.pk}"),
    ]

    assert [r.status_code for r in responses] == [403] * 5
    assert responses[0].json() == {
        "detail": "You can only change quotes on deals of your own team."
    }
    assert version_row(version) == before
    assert Quote.objects.count() == 1


def test_submit_for_approval_then_the_team_manager_approves(api_as, rep_a, manager_a, quote):
    client = api_as(rep_a)
    client.patch(f"/quotes/{quote.pk}/versions/1", {"discount_percent": "40"})

    submitted = client.post(f"/quotes/{quote.pk}/versions/1/request-approval")
    inbox = api_as(manager_a).get("/quote-approvals").json()
    approved = api_as(manager_a).post(
        f"/quotes/{quote.pk}/versions/1/approve", {"comment": "Three-year term"}
    )

    assert submitted.status_code == 200 and submitted.json()["status"] == "pending_approval"
    assert [
        (a["quote_id"], a["version_number"], a["effective_discount_percent"])
        for a in inbox["items"]
    ] == [(quote.pk, 1, "43")]
    assert approved.status_code == 200
    body = approved.json()
    assert body["status"] == "approved"
    assert [(a["decision"], a["comment"], a["decided_by"]["id"]) for a in body["approvals"]] == [
        ("approved", "Three-year term", manager_a.pk)
    ]
    assert AuditEntry.objects.filter(object_type="quotes.quoteapproval").count() == 2


def test_a_small_discount_needs_no_approval(api_as, rep_a, quote):
    response = api_as(rep_a).post(f"/quotes/{quote.pk}/versions/1/request-approval")
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "This discount needs no approval; send the quote."
    assert not QuoteApproval.objects.exists()


def test_rejecting_needs_a_comment_and_the_right_manager(api_as, rep_a, rep_b, admin_user, pending):
    quote = pending.quote
    url = f"/quotes/{quote.pk}/versions/1"
    other_manager = rep_b
    other_manager.role = "sales_manager"
    other_manager.save()
    workspace = workspace_get()
    workspace.deal_visibility = "all"
    workspace.save()

    by_rep = api_as(rep_a).post(f"{url}/approve", {})
    by_other_team = api_as(other_manager).post(f"{url}/reject", {"comment": "No"})
    blank = api_as(admin_user).post(f"{url}/reject", {"comment": ""})
    rejected = api_as(admin_user).post(f"{url}/reject", {"comment": "Too deep"})
    twice = api_as(admin_user).post(f"{url}/approve", {})

    assert (by_rep.status_code, by_other_team.status_code) == (403, 403)
    assert by_rep.json() == {
        "detail": "Only a sales manager of the deal owner's team, or an admin, approves this quote."
    }
    assert blank.status_code == 422 and error_fields(blank) == ["comment"]
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert twice.status_code == 422
    assert QuoteApproval.objects.get().comment == "Too deep"


def test_approve_a_draft_that_waits_for_nothing_is_422(api_as, manager_a, quote):
    response = api_as(manager_a).post(f"/quotes/{quote.pk}/versions/1/approve", {})
    assert response.status_code == 422
    assert quote.versions.get().status == QuoteStatus.DRAFT


def test_send_gives_the_buyer_page_and_shows_no_acceptance_yet(api_as, rep_a, quote):
    response = api_as(rep_a).post(
        f"/quotes/{quote.pk}/versions/1/send", {"email_to_contact": False}
    )

    assert response.status_code == 200
    body = response.json()
    version = quote.versions.get()
    assert (body["status"], body["accepted_at"]) == ("sent", None)
    assert body["public_path"] == f"/q/{version.public_token}"
    assert api_as(rep_a).get(f"/quotes/{quote.pk}").json()["status"] == "sent"


def test_send_refuses_an_unapproved_big_discount_and_unknown_fields(api_as, rep_a, pending):
    quote = pending.quote
    client = api_as(rep_a)
    assert client.post(f"/quotes/{quote.pk}/versions/1/send").status_code == 422
    bad = client.post(f"/quotes/{quote.pk}/versions/1/send", {"accept": True})
    assert bad.status_code == 422 and error_fields(bad) == ["accept"]
    assert pending.quote.versions.get().status == QuoteStatus.PENDING_APPROVAL


def test_no_api_route_accepts_a_quote(api_as, admin_user, quote):
    version_send(actor=None, version=quote.versions.get())
    response = api_as(admin_user).post(f"/quotes/{quote.pk}/versions/1/accept", {"name": "Ada"})
    assert response.status_code in (404, 405)
    assert quote.versions.get().status == QuoteStatus.SENT


def test_accepted_at_shows_after_the_buyer_accepts(api_as, rep_a, quote):
    version = version_send(actor=rep_a, version=quote.versions.get())
    version_accept(version=version, name="Ada Lovelace", agreed=True, ip="203.0.113.5")

    body = api_as(rep_a).get(f"/quotes/{quote.pk}").json()

    version.refresh_from_db()
    assert body["status"] == "accepted"
    assert body["accepted_at"] == body["current_version"]["accepted_at"]
    assert body["current_version"]["accepted_name"] == "Ada Lovelace"
    listed = api_as(rep_a).get("/quotes", {"status": "accepted"}).json()
    assert [q["accepted_at"] is not None for q in listed["items"]] == [True]


def test_diff_between_versions(api_as, rep_a, quote, onboarding):
    client = api_as(rep_a)
    version_send(actor=rep_a, version=quote.versions.get())
    client.post(f"/quotes/{quote.pk}/versions/1/revise")
    client.patch(
        f"/quotes/{quote.pk}/versions/2",
        {
            "lines": [
                {
                    "product_id": quote.versions.get(number=1).lines.get().product_id,
                    "quantity": "12",
                    "discount_percent": "5",
                },
                {"product_id": onboarding.pk, "quantity": "1"},
            ]
        },
    )

    response = client.get(f"/quotes/{quote.pk}/diff")

    assert response.status_code == 200
    body = response.json()
    assert (body["old_number"], body["new_number"]) == (1, 2)
    assert [(x["name"], x["line_total"]) for x in body["added"]] == [("Onboarding", "2500.00")]
    assert body["removed"] == []
    assert body["changed"] == [
        {
            "name": "Seat licence",
            "changes": [
                {"field": "Quantity", "old": "10.00", "new": "12.00"},
                {"field": "Line total", "old": "950.00", "new": "1140.00"},
            ],
        }
    ]
    assert {c["field"] for c in body["quote_changes"]} == {"Total"}
    assert client.get(f"/quotes/{quote.pk}/diff", {"a": 1, "b": 1}).status_code == 404
    bad = client.get(f"/quotes/{quote.pk}/diff", {"a": "x"})
    assert bad.status_code == 422 and error_fields(bad) == ["a"]


def test_delete_a_never_sent_quote_but_not_a_sent_one(api_as, rep_a, deal, quote):
    other, _v = draft_quote(deal, ("Travel", "1", "10", "0"), actor=rep_a)
    version_send(actor=rep_a, version=quote.versions.get())
    client = api_as(rep_a)

    refused = client.delete(f"/quotes/{quote.pk}")
    deleted = client.delete(f"/quotes/{other.pk}")

    assert refused.status_code == 422
    assert deleted.status_code == 204
    assert list(Quote.objects.values_list("pk", flat=True)) == [quote.pk]
    assert AuditEntry.objects.filter(object_type="quotes.quote", action="delete").count() == 1


# --- orders -----------------------------------------------------------------------------------


@pytest.fixture
def order(ada, seats):
    from django.utils import timezone

    return Order.objects.create(
        product=seats,
        contact=ada,
        quantity=2,
        unit_price=D("100"),
        total=D("200"),
        currency="EUR",
        idempotency_key="k1",
        created_at=timezone.now(),
    )


def test_orders_are_listed_and_read(api_as, marketer, order, seats, ada):
    client = api_as(marketer)
    listed = client.get("/orders", {"product_id": seats.pk}).json()
    assert [
        (o["id"], o["total"], o["product"]["sku"], o["contact"]["email"]) for o in listed["items"]
    ] == [(order.pk, "200.00", "SEAT", ada.email)]
    assert client.get("/orders", {"product_id": seats.pk + 1}).json()["total"] == 0
    assert client.get(f"/orders/{order.pk}").json()["quantity"] == 2
    assert client.get("/orders/999").status_code == 404
    bad = client.get("/orders", {"sort": "contact"})
    assert bad.status_code == 422 and error_fields(bad) == ["sort"]


def test_orders_of_hidden_deals_are_invisible(api_as, rep_b, order, deal):
    Order.objects.filter(pk=order.pk).update(deal=deal)
    assert api_as(rep_b).get("/orders").json()["total"] == 0
    assert api_as(rep_b).get(f"/orders/{order.pk}").status_code == 404


def test_orders_have_no_write_routes(api_as, admin_user, order):
    assert api_as(admin_user).delete(f"/orders/{order.pk}").status_code == 405
    assert Order.objects.count() == 1


def test_usd_quote_uses_the_stored_rate(api_as, rep_a, deal, seats):
    exchange_rate_create(actor=None, currency="USD", rate=D("0.5"), valid_from=date(2020, 1, 1))
    response = api_as(rep_a).post(
        "/quotes",
        {
            "deal_id": deal.pk,
            "title": "US",
            "currency": "USD",
            "lines": [{"product_id": seats.pk, "quantity": "1"}],
        },
    )
    assert response.status_code == 201
    current = response.json()["current_version"]
    assert (current["currency"], current["exchange_rate"], current["total"]) == (
        "USD",
        "0.5",
        "200.00",
    )
