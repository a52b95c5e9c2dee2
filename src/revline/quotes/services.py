"""Product writes, and buy-now orders placed on public order pages.

No payment is collected: an order is recorded as a won deal when it is placed. A payment
provider would plug in between the order form and `order_place` (see docs/ctas.md).
"""

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.campaigns.models import Creative, CtaAction
from revline.core import permissions
from revline.core.models import Role, User
from revline.people.services import contact_identify
from revline.sales.booking_services import contact_company_attach
from revline.sales.services import deal_close_won, deal_create
from revline.tracking.models import TouchpointKind
from revline.tracking.services import (
    RequestInfo,
    link_utm_values,
    touchpoint_record,
    visitor_identify,
    visitor_touch,
)

from .models import Billing, Order, Product
from .pricing import MAX_UNIT_PRICE

MAX_QUANTITY = 10
ORDER_FORM_MAX_AGE = 60 * 60 * 24  # seconds an order form stays valid after it is shown
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
PRODUCT_FIELDS = frozenset(
    {"name", "sku", "description", "price", "currency", "billing", "is_active"}
)
MANAGERS_ONLY = "Only admins and sales managers manage products."
FORM_EXPIRED = "This order form has expired or was changed. Reload the page and try again."


def can_manage_products(user: User) -> bool:
    return permissions.is_admin(user) or (user.is_active and user.role == Role.SALES_MANAGER)


def can_view_products(user: User) -> bool:
    return user.is_active


def _clean_product(product: Product) -> None:
    product.name = (product.name or "").strip()
    product.sku = (product.sku or "").strip()
    product.description = (product.description or "").strip()
    product.currency = (product.currency or "").strip().upper()
    errors: dict[str, str] = {}
    if not product.name:
        errors["name"] = "Give the product a name."
    if not product.sku:
        errors["sku"] = "Give the product a SKU (your article number)."
    elif Product.objects.filter(sku__iexact=product.sku).exclude(pk=product.pk).exists():
        errors["sku"] = "Another product already uses this SKU."
    if not CURRENCY_PATTERN.match(product.currency):
        errors["currency"] = "Use a three-letter ISO code such as EUR."
    if product.price is None or product.price < 0:
        errors["price"] = "The price cannot be negative."
    elif product.price > MAX_UNIT_PRICE:
        errors["price"] = f"The price is at most {MAX_UNIT_PRICE:,}."
    if product.billing not in Billing.values:
        errors["billing"] = "Choose one-off, monthly or yearly billing."
    if errors:
        raise ValidationError(errors)
    product.full_clean()


def _save_product(product: Product) -> Product:
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:
        raise ValidationError({"sku": "Another product already uses this SKU."}) from exc
    return product


@transaction.atomic
def product_create(
    *,
    actor: User | None,
    name: str,
    sku: str,
    price: Decimal,
    currency: str,
    description: str = "",
    billing: str = Billing.ONE_OFF,
    is_active: bool = True,
) -> Product:
    """Create a product; SKUs are unique regardless of case. `actor=None` is for system callers."""
    if actor is not None:
        permissions.require(can_manage_products(actor), MANAGERS_ONLY)
    product = Product(
        name=name,
        sku=sku,
        price=price,
        currency=currency,
        description=description,
        billing=billing,
        is_active=is_active,
    )
    _clean_product(product)
    _save_product(product)
    audit_create(actor=actor, obj=product)
    return product


@transaction.atomic
def product_update(*, actor: User | None, product: Product, **fields: Any) -> Product:
    """Change a product. Orders already placed keep the price they were placed at."""
    if actor is not None:
        permissions.require(can_manage_products(actor), MANAGERS_ONLY)
    unknown = set(fields) - PRODUCT_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    updated = Product.objects.select_for_update().get(pk=product.pk)
    before = snapshot(updated)
    for field, value in fields.items():
        setattr(updated, field, value)
    _clean_product(updated)
    _save_product(updated)
    audit_update(actor=actor, obj=updated, before=before)
    return updated


PRODUCT_IN_USE = "This product is on orders, quotes or CTAs; archive it instead (is_active false)."


@transaction.atomic
def product_delete(*, actor: User, product: Product) -> None:
    """Delete a product no order, quote or CTA uses; one in use is archived instead, so that
    history keeps pointing at it."""
    permissions.require(can_manage_products(actor), MANAGERS_ONLY)
    product = Product.objects.select_for_update().get(pk=product.pk)
    in_use = product.orders.exists() or product.quote_lines.exists()
    if in_use or product.creatives.exists():
        raise ValidationError(PRODUCT_IN_USE, code="in_use")
    audit_delete(actor=actor, obj=product)
    product.delete()


def _order_signer(creative: Creative) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"revline.quotes.order-form.{creative.pk}", sep=".")


def order_form_key(*, creative: Creative) -> str:
    """A fresh signed one-time key for an order form of this creative's page."""
    return _order_signer(creative).sign(secrets.token_hex(16))


def order_form_key_verify(*, creative: Creative, signed: str) -> str | None:
    """The raw key inside a signed order-form key, or None when forged, altered or expired."""
    try:
        raw = _order_signer(creative).unsign(signed.strip()[:200], max_age=ORDER_FORM_MAX_AGE)
    except signing.BadSignature:
        return None
    return raw if re.fullmatch(r"[0-9a-f]{32}", raw) else None


@dataclass(frozen=True)
class Buyer:
    """What the buyer typed on the order page (validated by the form)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""


@dataclass(frozen=True)
class OrderResult:
    order: Order
    created: bool
    visitor_id: uuid.UUID | None


def _buyer_errors(buyer: Buyer, quantity: int) -> dict[str, str]:
    errors = {}
    try:
        validate_email(buyer.email.strip())
    except ValidationError:
        errors["email"] = "Enter a valid email address."
    if not buyer.first_name.strip():
        errors["first_name"] = "Enter your first name."
    if len(buyer.first_name) > 100 or len(buyer.last_name) > 100:
        errors["first_name"] = "Names are at most 100 characters long."
    if len(buyer.company_name) > 200:
        errors["company_name"] = "The company name is at most 200 characters long."
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        errors["quantity"] = "Enter a whole number."
    elif not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = f"Order between 1 and {MAX_QUANTITY}."
    return errors


def order_place(
    *,
    creative: Creative,
    signed_key: str,
    quantity: int,
    buyer: Buyer,
    visitor_id: uuid.UUID | None,
    info: RequestInfo | None = None,
    now: datetime | None = None,
) -> OrderResult:
    """Place a buy-now order through a creative's order page, exactly once per order form.

    The price is the product's, never the request's. Creates (or finds) the contact, attaches
    the visitor's earlier touchpoints, records the order, opens a deal for the total and closes
    it won (the contact becomes a customer) and records an order touchpoint for the creative's
    campaign. Posting the same form key again returns the first order and writes nothing.
    A forged or expired key, or bad input, raises ValidationError and writes nothing.
    """
    raw_key = order_form_key_verify(creative=creative, signed=signed_key)
    if raw_key is None:
        raise ValidationError({"idempotency_key": ValidationError(FORM_EXPIRED, code="bad_key")})
    existing = Order.objects.filter(idempotency_key=raw_key).first()
    if existing is not None:
        return _replay(existing, creative, visitor_id)
    product = creative.product
    if creative.cta_action != CtaAction.BUY_NOW or product is None or not product.is_active:
        raise ValidationError("This product can no longer be ordered here.", code="unavailable")
    errors = _buyer_errors(buyer, quantity)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            order, visitor_id = _order_create(
                creative=creative,
                product=product,
                raw_key=raw_key,
                quantity=quantity,
                buyer=buyer,
                visitor_id=visitor_id,
                info=info or RequestInfo(),
                now=now or timezone.now(),
            )
    except IntegrityError:
        # The same form posted twice at once: the other request placed the order.
        existing = Order.objects.filter(idempotency_key=raw_key).first()
        if existing is None:
            raise
        return _replay(existing, creative, visitor_id)
    return OrderResult(order=order, created=True, visitor_id=visitor_id)


def _replay(order: Order, creative: Creative, visitor_id: uuid.UUID | None) -> OrderResult:
    if order.creative_id != creative.pk:
        raise ValidationError({"idempotency_key": ValidationError(FORM_EXPIRED, code="bad_key")})
    return OrderResult(order=order, created=False, visitor_id=visitor_id)


def _order_create(
    *,
    creative: Creative,
    product: Product,
    raw_key: str,
    quantity: int,
    buyer: Buyer,
    visitor_id: uuid.UUID | None,
    info: RequestInfo,
    now: datetime,
) -> tuple[Order, uuid.UUID]:
    visitor = visitor_touch(visitor_id=visitor_id, at=now)
    contact, _created = contact_identify(
        email=buyer.email,
        first_name=buyer.first_name.strip(),
        last_name=buyer.last_name.strip(),
        source="buy_now",
    )
    company = contact_company_attach(contact=contact, company_name=buyer.company_name)
    visitor_identify(visitor=visitor, contact=contact)
    total = product.price * quantity
    who = company.name if company is not None else str(contact)
    deal_name = f"{who}: {product.name}" + (f" ×{quantity}" if quantity > 1 else "")
    deal = deal_create(
        actor=None,
        name=deal_name[:200],
        amount=total,
        currency=product.currency,
        contact=contact,
        company=company,
        created_at=now,
    )
    deal_close_won(actor=None, deal=deal, note=f"Bought online via {creative.name}", at=now)
    order = Order.objects.create(
        product=product,
        contact=contact,
        quantity=quantity,
        unit_price=product.price,
        total=total,
        currency=product.currency,
        deal=deal,
        creative=creative,
        idempotency_key=raw_key,
        created_at=now,
    )
    link = creative.link
    touchpoint_record(
        kind=TouchpointKind.ORDER,
        visitor=visitor,
        contact=contact,
        campaign=creative.campaign,
        link=link,
        creative=creative,
        utm=link_utm_values(link) if link is not None else None,
        info=info,
        occurred_at=now,
        params={
            "order": order.pk,
            "sku": product.sku,
            "quantity": quantity,
            "total": str(total),
            "currency": product.currency,
        },
    )
    return order, visitor.id
