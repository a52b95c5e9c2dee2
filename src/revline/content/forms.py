from typing import Any

from django import forms
from django.forms.fields import InvalidJSONInput

from .models import Form, LandingPage


class LeadCaptureForm(forms.Form):
    first_name = forms.CharField(max_length=100, label="First name")
    last_name = forms.CharField(max_length=100, required=False, label="Last name")
    email = forms.EmailField(max_length=254, label="Work email")
    company_name = forms.CharField(max_length=200, required=False, label="Company")
    title = forms.CharField(max_length=150, required=False, label="Job title")
    consent = forms.BooleanField(required=False)
    # Honeypot: people leave it empty, naive bots fill it in.
    website = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"})
    )

    def __init__(self, *args: object, page: LandingPage, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["consent"].label = page.consent_wording

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError("Please leave this field empty.")
        return ""


class BlocksJSONField(forms.JSONField):
    """JSON whose nesting is too deep for the parser is refused like any other invalid JSON."""

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": "…"}
            ) from None

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)


class LandingPageForm(forms.ModelForm):
    """The page's settings and its builder blocks (a JSON list the block editor keeps up to date)."""

    blocks = BlocksJSONField(
        required=False,
        label="Blocks (JSON)",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="Edited with the block editor; without blocks the page shows the headline, "
        "text and form below.",
    )

    class Meta:
        model = LandingPage
        fields = [
            "title",
            "slug",
            "headline",
            "body",
            "form",
            "cta_label",
            "success_message",
            "campaign",
            "consent_purpose",
            "consent_wording",
            "consent_wording_version",
            "is_published",
            "blocks",
        ]
        labels = {"form": "Form", "cta_label": "Button label (classic form)"}
        help_texts = {
            "form": "A form from the form builder. Blank shows the classic lead form.",
            "body": "Used when the page has no blocks. Blank lines separate paragraphs.",
            "success_message": "Thank-you text of the classic form.",
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        form_field = self.fields["form"]
        assert isinstance(form_field, forms.ModelChoiceField)
        form_field.queryset = Form.objects.order_by("name")

    def clean_blocks(self) -> object:
        return [] if self.cleaned_data.get("blocks") in (None, "") else self.cleaned_data["blocks"]
