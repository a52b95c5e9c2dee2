from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from revline.sales.booking_forms import HoneypotForm

from .catalog_services import parse_price_lines
from .models import Billing, Product
from .pricing import MAX_UNIT_PRICE
from .services import FORM_EXPIRED, MAX_QUANTITY

PRODUCT_FIELDS = ("name", "sku", "price", "currency", "billing", "description", "is_active")


class ProductForm(forms.Form):
    name = forms.CharField(max_length=200)
    sku = forms.CharField(
        max_length=64, label="SKU", help_text="Your article number; unique across products."
    )
    price = forms.DecimalField(
        min_value=0, max_value=MAX_UNIT_PRICE, max_digits=14, decimal_places=2, label="List price"
    )
    currency = forms.CharField(
        max_length=3,
        validators=[RegexValidator(r"^[A-Za-z]{3}$", "Use a three-letter ISO code such as EUR.")],
        help_text="Attribution reports count orders in the base currency.",
    )
    billing = forms.ChoiceField(choices=Billing.choices, initial=Billing.ONE_OFF, required=False)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown on order pages. Plain text.",
    )
    prices = forms.CharField(
        required=False,
        label="Prices in other currencies",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "USD 59.00\nGBP 45.00"}),
        help_text="One per line: currency code and price. Quotes in these currencies use them.",
    )
    is_active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active (can be sold on order pages)",
    )

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    def clean_billing(self) -> str:
        return self.cleaned_data.get("billing") or Billing.ONE_OFF

    def clean_prices(self) -> dict[str, Decimal]:
        return parse_price_lines(self.cleaned_data.get("prices", ""))

    @classmethod
    def initial_for(cls, product: Product | None) -> dict[str, Any]:
        if product is None:
            return {"currency": settings.CURRENCY, "is_active": True, "billing": Billing.ONE_OFF}
        initial = {name: getattr(product, name) for name in PRODUCT_FIELDS}
        initial["prices"] = "\n".join(f"{p.currency} {p.unit_price}" for p in product.prices.all())
        return initial


class OrderForm(HoneypotForm):
    """The public order form. There is no price field: the price is always the product's."""

    quantity = forms.IntegerField(
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_QUANTITY, "inputmode": "numeric"}),
    )
    first_name = forms.CharField(max_length=100, label="First name")
    last_name = forms.CharField(max_length=100, required=False, label="Last name")
    email = forms.EmailField(max_length=254, label="Email")
    company_name = forms.CharField(max_length=200, required=False, label="Company")
    idempotency_key = forms.CharField(
        max_length=200,
        widget=forms.HiddenInput,
        error_messages={"required": FORM_EXPIRED, "max_length": FORM_EXPIRED},
    )

    field_order = ["quantity", "first_name", "last_name", "email", "company_name"]
