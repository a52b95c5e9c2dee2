from typing import Any

from django import forms
from django.db.models import Q

from revline.content.models import LandingPage
from revline.core.models import User
from revline.quotes import selectors as quote_selectors
from revline.sales import booking_selectors

from .models import Campaign, Creative, CreativeKind, CtaAction

TARGET_FIELDS = {
    CtaAction.FORM: "landing_page",
    CtaAction.BOOK_MEETING: "booking_user",
    CtaAction.BUY_NOW: "product",
}
EDITABLE = ("name", "kind", "headline", "body", "cta_label", "booking_user", "product")


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class _ProductChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.sku})"


class CreativeForm(forms.Form):
    """Create or edit a creative. On edit the action and landing page are shown but fixed."""

    name = forms.CharField(
        max_length=200,
        help_text="Internal name, e.g. “LinkedIn carousel A”. Its slug becomes utm_content.",
    )
    kind = forms.ChoiceField(choices=CreativeKind.choices, initial=CreativeKind.AD)
    headline = forms.CharField(max_length=200, required=False)
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    cta_label = forms.CharField(
        max_length=60, label="Button label", help_text="e.g. Book a demo, Buy now, Get the guide."
    )
    cta_action = forms.ChoiceField(
        choices=CtaAction.choices, widget=forms.RadioSelect, label="When clicked"
    )
    landing_page = forms.ModelChoiceField(
        queryset=LandingPage.objects.none(),
        required=False,
        label="Landing page",
        help_text="Published pages; the CTA opens the page with its form.",
    )
    booking_user = _UserChoice(
        queryset=User.objects.none(),
        required=False,
        label="Sales rep",
        help_text="Reps and managers who have set their availability.",
    )
    product = _ProductChoice(
        queryset=quote_selectors.active_products(),
        required=False,
        label="Product",
        help_text="Active products; the order page shows its price.",
    )

    def __init__(
        self, *args: Any, campaign: Campaign, creative: Creative | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.creative = creative
        pages: Any = self.fields["landing_page"]
        pages.queryset = LandingPage.objects.filter(is_published=True).order_by("title")
        reps: Any = self.fields["booking_user"]
        reps.queryset = booking_selectors.bookable_users()
        products: Any = self.fields["product"]
        products.queryset = quote_selectors.products_for_choice()
        if creative is not None:
            self.fields["cta_action"].disabled = True
            self.fields[
                "cta_action"
            ].help_text = (
                "Fixed: the ad's link already leads there. Create a new creative to change it."
            )
            self.fields["landing_page"].disabled = True
            pages.queryset = LandingPage.objects.filter(creatives=creative)
            if creative.booking_user_id:
                reps.queryset = User.objects.filter(
                    Q(pk__in=reps.queryset.values("pk")) | Q(pk=creative.booking_user_id)
                ).order_by("first_name", "last_name", "username")
            products.queryset = quote_selectors.products_for_choice(keep=creative.product)
        self.campaign = campaign

    @classmethod
    def initial_from(cls, creative: Creative) -> dict[str, Any]:
        return {
            "name": creative.name,
            "kind": creative.kind,
            "headline": creative.headline,
            "body": creative.body,
            "cta_label": creative.cta_label,
            "cta_action": creative.cta_action,
            "landing_page": creative.landing_page_id,
            "booking_user": creative.booking_user_id,
            "product": creative.product_id,
        }

    def copy_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "kind", "headline", "body", "cta_label")]

    def target_fields(self) -> list[tuple[str, forms.BoundField]]:
        return [(action, self[field]) for action, field in TARGET_FIELDS.items()]

    def service_data(self) -> dict[str, Any]:
        """The cleaned values for creative_create, or only the editable ones on edit."""
        data = dict(self.cleaned_data)
        if self.creative is None:
            return data
        return {name: data[name] for name in EDITABLE}
