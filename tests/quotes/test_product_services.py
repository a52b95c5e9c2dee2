"""Products: who may manage them, and what a valid product is."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.quotes.models import Product
from revline.quotes.services import product_create, product_update

from .cta_fixtures import make_product


def _create(actor, **changes):
    values = {
        "name": "  Team plan ",
        "sku": " TEAM-1 ",
        "price": Decimal("199.00"),
        "currency": "eur",
        "description": " Up to 10 seats. ",
    }
    values.update(changes)
    return product_create(actor=actor, **values)


def test_a_sales_manager_creates_a_product_with_trimmed_values(manager_a):
    product = _create(manager_a)

    stored = Product.objects.get()
    assert stored == product
    assert (stored.name, stored.sku, stored.price, stored.currency) == (
        "Team plan",
        "TEAM-1",
        Decimal("199.00"),
        "EUR",
    )
    assert (stored.description, stored.is_active) == ("Up to 10 seats.", True)


def test_an_admin_may_and_reps_and_marketers_may_not_manage_products(admin_user, rep_a, marketer):
    _create(admin_user)
    product = Product.objects.get()

    for actor in (rep_a, marketer):
        with pytest.raises(PermissionDenied):
            _create(actor, sku="OTHER")
        with pytest.raises(PermissionDenied):
            product_update(actor=actor, product=product, price=Decimal("1"))

    product.refresh_from_db()
    assert Product.objects.count() == 1
    assert product.price == Decimal("199.00")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sku": "start-1"}, "sku"),  # taken by the Starter plan, in another case
        ({"sku": "  "}, "sku"),
        ({"name": ""}, "name"),
        ({"price": Decimal("-0.01")}, "price"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "E1R"}, "currency"),
        ({"currency": ""}, "currency"),
    ],
)
def test_bad_products_are_refused_and_nothing_is_stored(admin_user, changes, field):
    make_product()

    with pytest.raises(ValidationError) as error:
        _create(admin_user, **changes)

    assert field in error.value.message_dict
    assert list(Product.objects.values_list("sku", flat=True)) == ["START-1"]


def test_a_product_update_is_validated_and_all_or_nothing(manager_a):
    starter = make_product()
    team = _create(manager_a)

    with pytest.raises(ValidationError) as error:
        product_update(actor=manager_a, product=team, sku="START-1", price=Decimal("5"))

    assert list(error.value.message_dict) == ["sku"]
    team.refresh_from_db()
    assert (team.sku, team.price) == ("TEAM-1", Decimal("199.00"))

    product_update(actor=manager_a, product=team, price=Decimal("0"), is_active=False)
    team.refresh_from_db()
    assert (team.price, team.is_active) == (Decimal("0"), False)
    starter.refresh_from_db()
    assert starter.price == Decimal("49.90")


def test_unknown_fields_cannot_be_updated(admin_user):
    product = make_product()

    with pytest.raises(ValidationError, match="cannot be changed here: created_at"):
        product_update(actor=admin_user, product=product, created_at=None)
