from django import forms

from .models import LandingPage


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


class LandingPageForm(forms.ModelForm):
    class Meta:
        model = LandingPage
        fields = [
            "title",
            "slug",
            "headline",
            "body",
            "cta_label",
            "success_message",
            "campaign",
            "consent_purpose",
            "consent_wording",
            "consent_wording_version",
            "is_published",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}
