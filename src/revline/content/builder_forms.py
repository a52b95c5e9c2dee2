"""Form builder: the team's settings and field forms, and the visitor's form built from FormField rows."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.validators import RegexValidator

from revline.campaigns.models import Campaign
from revline.tracking.services import UTM_KEYS

from .models import FieldType, Form, FormField

HONEYPOT = "website"
CONSENT = "consent"
RESERVED_NAMES = frozenset({*UTM_KEYS, HONEYPOT, CONSENT, "csrfmiddlewaretoken"})
# Field names that fill the contact, with the contact's column length.
CONTACT_FIELDS: dict[str, int] = {
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "company": 200,
    "title": 150,
    "phone": 50,
}
MAX_TEXT = 200
MAX_TEXTAREA = 5000
MAX_HIDDEN = 500
MAX_UTM = 100

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ().\-/]{4,48}$",
    "Enter a phone number: digits, spaces and + ( ) . - / only.",
)


class FormSettingsForm(forms.ModelForm):
    class Meta:
        model = Form
        fields = [
            "name",
            "submit_label",
            "thank_you_message",
            "redirect_path",
            "campaign",
            "consent_purpose",
            "consent_wording",
            "consent_wording_version",
            "double_opt_in",
        ]
        labels = {
            "double_opt_in": "Double opt-in: consent counts only once confirmed by email",
            "submit_label": "Button label",
            "thank_you_message": "Thank-you message",
            "redirect_path": "After submitting, go to",
            "consent_wording_version": "Wording version",
        }
        help_texts = {
            "redirect_path": "Optional path on this site, e.g. /lp/thank-you. Blank shows the "
            "thank-you message.",
            "consent_wording": "Blank means the form has no consent checkbox.",
            "consent_wording_version": "Change it whenever you change the wording; each "
            "submission stores the version the visitor agreed to.",
            "double_opt_in": "A person who ticks the consent box gets an email with a "
            "confirmation link; their consent is stored (with IP and time) when they confirm.",
        }
        widgets = {"consent_wording": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaign = self.fields["campaign"]
        assert isinstance(campaign, forms.ModelChoiceField)
        campaign.queryset = Campaign.objects.order_by("name")


class FormFieldForm(forms.ModelForm):
    options_text = forms.CharField(
        required=False,
        label="Options",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Select: one choice per line. Hidden: an optional fixed value; a ?name=… "
        "in the page address fills it too.",
    )

    class Meta:
        model = FormField
        fields = ["label", "name", "field_type", "required"]
        labels = {"name": "Key", "field_type": "Type"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["options_text"] = "\n".join(str(o) for o in self.instance.options)

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip().lower()

    def clean_options_text(self) -> list[str]:
        return [
            line.strip() for line in self.cleaned_data["options_text"].splitlines() if line.strip()
        ]


class PrintableField(forms.CharField):
    """A value the visitor does not see (UTM, hidden): cut to length, never an invisible error."""

    def __init__(self, *, limit: int, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(required=False, strip=True, **kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return "".join(ch for ch in text if ch.isprintable())[: self.limit]


@dataclass(frozen=True)
class Submission:
    values: dict[str, Any]
    utm: dict[str, str]
    consent: bool


def _field_for(field: FormField) -> forms.Field:
    label = field.label
    max_length = CONTACT_FIELDS.get(field.name, MAX_TEXT)
    kind = field.field_type
    if kind == FieldType.EMAIL:
        return forms.EmailField(
            label=label,
            required=field.required,
            max_length=254,
            widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        )
    if kind == FieldType.PHONE:
        return forms.CharField(
            label=label,
            required=field.required,
            max_length=CONTACT_FIELDS["phone"],
            validators=[phone_validator],
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        )
    if kind == FieldType.SELECT:
        choices = [("", "Choose…"), *((str(o), str(o)) for o in field.options)]
        return forms.ChoiceField(label=label, required=field.required, choices=choices)
    if kind == FieldType.CHECKBOX:
        return forms.BooleanField(
            label=label,
            required=field.required,
            error_messages={"required": "Please tick this box."},
        )
    if kind == FieldType.TEXTAREA:
        return forms.CharField(
            label=label,
            required=field.required,
            max_length=MAX_TEXTAREA,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
    if kind == FieldType.HIDDEN:
        return PrintableField(
            limit=MAX_HIDDEN, label=label, widget=forms.HiddenInput(attrs={"data-query-param": ""})
        )
    return forms.CharField(label=label, required=field.required, max_length=max_length)


class SubmissionForm(forms.Form):
    """The visitor's form: one Django field per FormField, hidden UTM fields, consent, honeypot.

    Hidden fields and UTM values start from the page address's query string (`query`); the
    browser script fills them too when the page is cached or the form is embedded elsewhere.
    """

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        form: Form,
        fields: Sequence[FormField],
        query: Mapping[str, str] | None = None,
        auto_id: str = "id_%s",
    ) -> None:
        super().__init__(data, auto_id=auto_id)
        self.builder_form = form
        self.field_names = [f.name for f in fields]
        query = query or {}
        for field in fields:
            self.fields[field.name] = _field_for(field)
            if field.field_type == FieldType.HIDDEN:
                fixed = str(field.options[0]) if field.options else ""
                self.initial[field.name] = str(query.get(field.name, "") or fixed)[:MAX_HIDDEN]
        for key in UTM_KEYS:
            self.fields[key] = PrintableField(
                limit=MAX_UTM, widget=forms.HiddenInput(attrs={"data-query-param": ""})
            )
            self.initial[key] = str(query.get(key, ""))[:MAX_UTM]
        if form.consent_wording:
            self.fields[CONSENT] = forms.BooleanField(required=False, label=form.consent_wording)
        # Honeypot: people never see it, naive bots fill it in.
        self.fields[HONEYPOT] = forms.CharField(
            required=False,
            label="Leave this empty",
            widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
        )

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.is_bound and str(self.data.get(HONEYPOT, "")).strip())

    def clean_website(self) -> str:
        if self.cleaned_data.get(HONEYPOT):
            raise forms.ValidationError("Please leave this field empty.")
        return ""

    def consent_field(self) -> forms.BoundField | None:
        return self[CONSENT] if CONSENT in self.fields else None

    def honeypot_field(self) -> forms.BoundField:
        return self[HONEYPOT]

    def visible_builder_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.field_names if not self[name].is_hidden]

    def hidden_builder_fields(self) -> list[forms.BoundField]:
        hidden = [self[name] for name in self.field_names if self[name].is_hidden]
        return hidden + [self[key] for key in UTM_KEYS]

    def submission(self) -> Submission:
        """The cleaned values, split into the form's fields, UTM values and consent."""
        data = self.cleaned_data
        return Submission(
            values={name: data[name] for name in self.field_names},
            utm={key: data[key] for key in UTM_KEYS if data.get(key)},
            consent=bool(data.get(CONSENT)),
        )
