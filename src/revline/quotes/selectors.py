"""Product and order reads, and the signed references of order confirmation pages."""

from decimal import Decimal

from django.core import signing
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from revline.campaigns.models import Creative

from .models import Order, Product

MONEY = DecimalField(max_digits=16, decimal_places=2)
_REF_SALT = "revline.quotes.order-ref"


def products_with_numbers(*, status: str = "") -> QuerySet[Product]:
    """Products with `order_count` and `order_revenue` (in each product's own currency)."""
    products = Product.objects.annotate(
        order_count=Count("orders"),
        order_revenue=Coalesce(Sum("orders__total"), Value(Decimal("0")), output_field=MONEY),
    )
    if status == "active":
        products = products.filter(is_active=True)
    elif status == "inactive":
        products = products.filter(is_active=False)
    return products


def product_currencies() -> list[str]:
    return list(Product.objects.order_by("currency").values_list("currency", flat=True).distinct())


def active_products() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).order_by("name")


def products_for_choice(*, keep: Product | None = None) -> QuerySet[Product]:
    """Active products, plus `keep` (a creative's current product) even when it was deactivated."""
    condition = Q(is_active=True)
    if keep is not None:
        condition |= Q(pk=keep.pk)
    return Product.objects.filter(condition).order_by("name")


def _ref_signer(creative: Creative) -> signing.Signer:
    return signing.Signer(salt=f"{_REF_SALT}.{creative.pk}", sep=".")


def order_ref(order: Order) -> str:
    """The unguessable reference in an order's confirmation page address."""
    assert order.creative is not None
    return _ref_signer(order.creative).sign(str(order.pk))


def order_for_ref(*, creative: Creative, ref: str) -> Order | None:
    try:
        raw = _ref_signer(creative).unsign(ref[:200])
    except signing.BadSignature:
        return None
    if not raw.isdigit():
        return None
    return (
        Order.objects.select_related("product", "contact")
        .filter(pk=int(raw), creative=creative)
        .first()
    )
