from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from revline.sales.booking_forms import HoneypotForm

from .models import Product
from .services import FORM_EXPIRED, MAX_QUANTITY

PRODUCT_FIELDS = ("name", "sku", "price", "currency", "description", "is_active")


class ProductForm(forms.Form):
    name = forms.CharField(max_length=200)
    sku = forms.CharField(
        max_length=64, label="SKU", help_text="Your article number; unique across products."
    )
    price = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)
    currency = forms.CharField(
        max_length=3,
        validators=[RegexValidator(r"^[A-Za-z]{3}$", "Use a three-letter ISO code such as EUR.")],
        help_text="Attribution reports count orders in the base currency.",
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown on order pages. Plain text.",
    )
    is_active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active (can be sold on order pages)",
    )

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    @classmethod
    def initial_for(cls, product: Product | None) -> dict[str, Any]:
        if product is None:
            return {"currency": settings.CURRENCY, "is_active": True}
        return {name: getattr(product, name) for name in PRODUCT_FIELDS}


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
