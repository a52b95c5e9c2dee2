"""Placing a buy-now order: the price is the product's, each form places one order, revenue is credited."""

from decimal import Decimal

import pytest
from django.core import signing
from django.core.exceptions import ValidationError

from revline.analytics.selectors import campaign_attribution
from revline.people.models import Contact
from revline.quotes.models import Order
from revline.quotes.services import (
    FORM_EXPIRED,
    Buyer,
    order_form_key,
    order_form_key_verify,
    order_place,
    product_update,
)
from revline.sales.models import Deal
from revline.tracking.models import Touchpoint, TouchpointKind, Visitor
from revline.tracking.services import RequestInfo, click_record

from .cta_fixtures import NOW, buy_creative, make_campaign, make_product

GRACE = Buyer(
    email="Grace@Navy.example", first_name="Grace", last_name="Hopper", company_name="Navy"
)


@pytest.fixture
def product(db):
    return make_product(price="49.90")


@pytest.fixture
def creative(product):
    return buy_creative(make_campaign(), product)


def _place(creative, key=None, quantity=3, buyer=GRACE, visitor_id=None, now=NOW):
    return order_place(
        creative=creative,
        signed_key=order_form_key(creative=creative) if key is None else key,
        quantity=quantity,
        buyer=buyer,
        visitor_id=visitor_id,
        now=now,
    )


def _counts() -> tuple[int, int, int, int, int]:
    return (
        Order.objects.count(),
        Deal.objects.count(),
        Contact.objects.count(),
        Touchpoint.objects.count(),
        Visitor.objects.count(),
    )


def test_an_order_is_priced_from_the_product_and_recorded_as_a_won_deal(creative, product):
    # Given a visitor who clicked the creative's link
    visitor = click_record(link=creative.link, visitor_id=None, info=RequestInfo())

    # When they order three units
    result = _place(creative, visitor_id=visitor.id)

    # Then the order is priced from the product
    order = Order.objects.get()
    assert result.order == order and result.created
    assert (order.product, order.quantity) == (product, 3)
    assert (order.unit_price, order.total, order.currency) == (
        Decimal("49.90"),
        Decimal("149.70"),
        "EUR",
    )
    assert (order.creative, order.created_at) == (creative, NOW)
    # And the contact is a customer, with its company
    contact = Contact.objects.get()
    assert order.contact == contact
    assert (contact.email, contact.first_name, contact.source) == (
        "grace@navy.example",
        "Grace",
        "buy_now",
    )
    assert contact.company is not None and contact.company.name == "Navy"
    assert contact.lifecycle_stage == "customer"
    # And the deal is won for exactly the total, with the reason naming the creative
    deal = Deal.objects.get()
    assert order.deal == deal
    assert (deal.status, deal.amount, deal.currency) == ("won", Decimal("149.70"), "EUR")
    assert deal.name == "Navy: Starter plan ×3"
    assert deal.close_note == "Bought online via Starter ad"
    assert (deal.closed_at, deal.owner, deal.stage.kind) == (NOW, None, "won")
    # And an order touchpoint credits the campaign and creative; the earlier click is Grace's
    order_touch = Touchpoint.objects.get(kind=TouchpointKind.ORDER)
    assert (order_touch.contact, order_touch.visitor_id) == (contact, visitor.id)
    assert (order_touch.campaign, order_touch.creative, order_touch.link) == (
        creative.campaign,
        creative,
        creative.link,
    )
    assert order_touch.occurred_at == NOW
    assert order_touch.params == {
        "order": order.pk,
        "sku": "START-1",
        "quantity": 3,
        "total": "149.70",
        "currency": "EUR",
    }
    assert Touchpoint.objects.get(kind=TouchpointKind.CLICK).contact == contact


def test_the_revenue_is_credited_to_the_campaign(creative):
    # Given a click on the ad and an order through its page, right now
    visitor = click_record(link=creative.link, visitor_id=None, info=RequestInfo())
    order_place(
        creative=creative,
        signed_key=order_form_key(creative=creative),
        quantity=2,
        buyer=GRACE,
        visitor_id=visitor.id,
    )

    # Then the attribution report credits the order's total to the campaign
    report = campaign_attribution()
    assert [(row.name, row.revenue["linear"]) for row in report.rows] == [
        ("Spring launch", Decimal("99.80"))
    ]


def test_posting_the_same_form_again_returns_the_first_order_and_writes_nothing(creative):
    # Given an order placed with a form key
    key = order_form_key(creative=creative)
    first = _place(creative, key=key)
    before = _counts()

    # When the same form is posted again, even with other values
    again = _place(
        creative, key=key, quantity=1, buyer=Buyer(email="x@example.com", first_name="X")
    )

    # Then it is the same order, and nothing new exists
    assert again.order == first.order
    assert not again.created
    assert _counts() == before
    assert Order.objects.get().quantity == 3


def test_a_new_form_places_a_new_order(creative):
    _place(creative)
    _place(creative)

    assert Order.objects.count() == 2
    assert Deal.objects.count() == 2
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    "tamper",
    [
        lambda key: key[:-2] + ("AA" if not key.endswith("AA") else "BB"),  # altered signature
        lambda key: key.split(".")[0],  # the raw key, unsigned
        lambda key: "0" * 32 + key[32:],  # another raw key under the same signature
        lambda key: "",
        lambda key: "<script>alert(1)</script>",
    ],
)
def test_a_tampered_form_key_is_refused_and_writes_nothing(creative, tamper):
    key = tamper(order_form_key(creative=creative))

    with pytest.raises(ValidationError) as error:
        _place(creative, key=key)

    assert error.value.message_dict == {"idempotency_key": [FORM_EXPIRED]}
    assert _counts() == (0, 0, 0, 0, 0)


def test_a_key_made_for_another_creative_is_refused(creative, product):
    other = buy_creative(creative.campaign, product, name="Other ad")
    key = order_form_key(creative=other)

    with pytest.raises(ValidationError):
        _place(creative, key=key)

    assert Order.objects.count() == 0


def test_an_expired_form_key_is_refused(creative, settings):
    # Given a key signed a day and a minute ago
    signer = signing.TimestampSigner(salt=f"revline.quotes.order-form.{creative.pk}", sep=".")
    old = signer.sign("a" * 32)
    timestamp = signing.b62_decode(old.split(".")[1]) - 24 * 60 * 60 - 60
    value = f"{'a' * 32}.{signing.b62_encode(timestamp)}"
    expired = f"{value}.{signer.signature(value)}"
    assert order_form_key_verify(creative=creative, signed=old) == "a" * 32

    # Then it no longer verifies
    assert order_form_key_verify(creative=creative, signed=expired) is None


@pytest.mark.parametrize(
    ("quantity", "buyer", "field"),
    [
        (0, GRACE, "quantity"),
        (11, GRACE, "quantity"),
        (-1, GRACE, "quantity"),
        (3, Buyer(email="not-an-email", first_name="Grace"), "email"),
        (3, Buyer(email="grace@navy.example", first_name=""), "first_name"),
        (3, Buyer(email="grace@navy.example", first_name="G" * 101), "first_name"),
    ],
)
def test_bad_order_input_is_refused_and_writes_nothing(creative, quantity, buyer, field):
    with pytest.raises(ValidationError) as error:
        _place(creative, quantity=quantity, buyer=buyer)

    assert list(error.value.message_dict) == [field]
    assert _counts() == (0, 0, 0, 0, 0)


def test_an_inactive_product_cannot_be_ordered_but_a_placed_order_still_replays(creative, product):
    key = order_form_key(creative=creative)
    first = _place(creative, key=key)
    product_update(actor=None, product=product, is_active=False)
    creative.refresh_from_db()

    assert _place(creative, key=key).order == first.order
    with pytest.raises(ValidationError, match="can no longer be ordered"):
        _place(creative)
    assert Order.objects.count() == 1


def test_a_price_change_leaves_placed_orders_alone(creative, product):
    _place(creative, quantity=1)

    product_update(actor=None, product=product, price=Decimal("99"))
    creative.refresh_from_db()
    _place(creative, quantity=1)

    assert sorted(Order.objects.values_list("unit_price", flat=True)) == [
        Decimal("49.90"),
        Decimal("99.00"),
    ]
