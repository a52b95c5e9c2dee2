"""Forms of the quote editor, approvals, price books, exchange rates and the buyer's page."""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from . import pricing
from .models import PriceBook, Product
from .quote_selectors import active_price_books

CURRENCY_FIELD = {
    "max_length": 3,
    "validators": [RegexValidator(r"^[A-Za-z]{3}$", "Use a three-letter ISO code such as EUR.")],
}
PERCENT = {
    "min_value": Decimal("0"),
    "max_value": Decimal("100"),
    "max_digits": 5,
    "decimal_places": 2,
    "widget": forms.NumberInput(attrs={"step": "0.01", "min": 0, "max": 100}),
}


def _price_book_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=active_price_books(),
        required=False,
        empty_label="List prices",
        help_text="Prices of products picked for a line come from this book first.",
    )


class QuoteNewForm(forms.Form):
    title = forms.CharField(max_length=200)
    currency = forms.CharField(**CURRENCY_FIELD)  # type: ignore[arg-type]
    price_book = forms.ModelChoiceField(queryset=PriceBook.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["price_book"] = _price_book_field()

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


class VersionForm(forms.Form):
    title = forms.CharField(max_length=200)
    currency = forms.CharField(**CURRENCY_FIELD)  # type: ignore[arg-type]
    price_book = forms.ModelChoiceField(queryset=PriceBook.objects.none(), required=False)
    discount_percent = forms.DecimalField(label="Quote discount %", **PERCENT)  # type: ignore[arg-type]
    tax_percent = forms.DecimalField(label="Tax %", **PERCENT)  # type: ignore[arg-type]
    valid_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    terms = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["price_book"] = _price_book_field()

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


class LineForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(), required=False, empty_label="Free line"
    )
    name = forms.CharField(max_length=200, required=False)
    quantity = forms.DecimalField(
        min_value=Decimal("0.01"),
        max_value=pricing.MAX_QUANTITY,
        max_digits=12,
        decimal_places=2,
        initial=Decimal("1"),
        widget=forms.NumberInput(attrs={"step": "any", "min": "0.01"}),
    )
    unit_price = forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_value=pricing.MAX_UNIT_PRICE,
        max_digits=14,
        decimal_places=2,
        help_text="Blank: the product's price",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": 0}),
    )
    discount_percent = forms.DecimalField(
        label="Discount %",
        initial=Decimal("0"),
        required=False,
        **PERCENT,  # type: ignore[arg-type]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A line keeps its product even when the product was deactivated since.
        self.fields["product"].queryset = Product.objects.order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("product") and not (data.get("name") or "").strip():
            raise forms.ValidationError("Choose a product or name the line.")
        if data.get("discount_percent") is None:
            data["discount_percent"] = Decimal("0")
        return data


LineFormSet = forms.formset_factory(
    LineForm, extra=1, can_delete=True, max_num=pricing.MAX_LINES, validate_max=True
)


class SendForm(forms.Form):
    email_to_contact = forms.BooleanField(
        required=False, label="Email the link to the deal's contact"
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AcceptForm(forms.Form):
    name = forms.CharField(max_length=200, label="Your full name")
    agree = forms.BooleanField(
        label="I accept this quote and its terms on behalf of my organisation",
        error_messages={"required": "Tick the box to accept the quote and its terms."},
    )


class ExchangeRateForm(forms.Form):
    currency = forms.CharField(**CURRENCY_FIELD)  # type: ignore[arg-type]
    rate = forms.DecimalField(
        min_value=Decimal("0.00000001"),
        max_value=pricing.MAX_RATE,
        max_digits=18,
        decimal_places=8,
        help_text=f"What one unit of the currency is worth in {settings.CURRENCY}.",
        widget=forms.NumberInput(attrs={"step": "any", "min": 0}),
    )
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


class PriceBookForm(forms.Form):
    """Name, currency and description, plus a price field per product (blank = list price)."""

    name = forms.CharField(max_length=100)
    currency = forms.CharField(**CURRENCY_FIELD)  # type: ignore[arg-type]
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, products: list[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.products = products
        for product in products:
            self.fields[f"price_{product.pk}"] = forms.DecimalField(
                required=False,
                min_value=Decimal("0"),
                max_value=pricing.MAX_UNIT_PRICE,
                max_digits=14,
                decimal_places=2,
                label=product.name,
                widget=forms.NumberInput(attrs={"step": "0.01", "min": 0}),
            )

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    def price_rows(self) -> list[tuple[Product, forms.BoundField]]:
        return [(product, self[f"price_{product.pk}"]) for product in self.products]

    def entries(self) -> dict[Product, Decimal]:
        return {
            product: self.cleaned_data[f"price_{product.pk}"]
            for product in self.products
            if self.cleaned_data.get(f"price_{product.pk}") is not None
        }
