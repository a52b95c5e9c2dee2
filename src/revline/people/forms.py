import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms.models import fields_for_model, model_to_dict

from revline.core.listing import MAX_ID
from revline.core.models import User
from revline.core.visibility import visible_companies

from .models import Company, CompanySize, Contact, LifecycleStage
from .selectors import CompanyFilterOptions, ContactFilterOptions, contact_email_taken
from .services import COMPANY_FIELDS, CONTACT_FIELDS

TAG_MAX_LENGTH = 50
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def parse_tags(text: str) -> list[str]:
    """'VIP, partner ,,vip' -> ['VIP', 'partner', 'vip']: split on commas, drop blanks."""
    return [part.strip() for part in text.split(",") if part.strip()]


class _RecordForm(forms.Form):
    """Fields taken from the model (so lengths and choices match) plus tags as text.

    A plain Form rather than a ModelForm: the services do the saving and the model checks, and
    the record being edited must stay untouched when the input is rejected.
    """

    model: type[Contact] | type[Company]
    model_fields: tuple[str, ...]

    tags = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Separate tags with commas.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. vip, partner"}),
    )

    def __init__(
        self, *args: Any, instance: Contact | Company | None = None, **kwargs: Any
    ) -> None:
        if instance is not None:
            initial = model_to_dict(instance, fields=list(self.model_fields))
            initial["tags"] = ", ".join(t.name for t in instance.tags.all())
            kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        tags = self.fields.pop("tags")
        self.fields.update(fields_for_model(self.model, fields=list(self.model_fields)))
        self.fields["tags"] = tags
        owner_id = getattr(instance, "owner_id", None)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        # Inactive users cannot be given records, but an existing inactive owner stays valid.
        owner_field.queryset = User.objects.filter(Q(is_active=True) | Q(pk=owner_id))
        owner_field.empty_label = "Unassigned"
        country = self.fields["country"]
        country.help_text = "Two-letter ISO code, e.g. DE or US."
        country.widget.attrs["placeholder"] = "DE"

    def clean_country(self) -> str:
        value: str = self.cleaned_data.get("country", "").strip()
        if value and not _COUNTRY.match(value):
            raise ValidationError("Use a two-letter country code, e.g. DE or US.")
        return value.upper()

    def clean_tags(self) -> list[str]:
        names = parse_tags(self.cleaned_data.get("tags", ""))
        too_long = [n for n in names if len(n) > TAG_MAX_LENGTH]
        if too_long:
            raise ValidationError(f"Each tag can be at most {TAG_MAX_LENGTH} characters.")
        return names

    def service_data(self) -> dict[str, Any]:
        """cleaned_data split for the services: model fields as keywords, tags apart."""
        data = {k: v for k, v in self.cleaned_data.items() if k in self.model_fields}
        return {"tags": self.cleaned_data.get("tags", []), **data}


class ContactForm(_RecordForm):
    model = Contact
    model_fields = CONTACT_FIELDS

    def __init__(
        self,
        *args: Any,
        instance: Contact | None = None,
        actor: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, instance=instance, **kwargs)
        self.instance_pk = instance.pk if instance is not None else None
        company = self.fields["company"]
        assert isinstance(company, forms.ModelChoiceField)
        company.queryset, hidden_pk = _company_choices(actor, instance)
        if hidden_pk is not None:
            company.label_from_instance = (  # type: ignore[method-assign]
                lambda obj: HIDDEN_COMPANY if obj.pk == hidden_pk else str(obj.name)
            )
        company.empty_label = "No company"
        self.fields["title"].label = "Job title"
        self.fields["source"].help_text = "Where the contact came from; 'manual' when left empty."

    def clean_email(self) -> str:
        # Checked here too so it shows with the other errors; the service still has the last word.
        email: str = self.cleaned_data.get("email", "").strip().lower()
        if contact_email_taken(email=email, exclude_pk=self.instance_pk):
            raise ValidationError("A contact with this email already exists.")
        return email


HIDDEN_COMPANY = "A company of another team"


def _company_choices(actor: User | None, contact: Contact | None) -> tuple[QuerySet[Company], Any]:
    """Companies `actor` may see (all without an actor) plus the contact's own company, and the
    id of that company when `actor` may not see it (offered, but not by name)."""
    companies = Company.objects.only("id", "name", "owner_id").order_by("name")
    if actor is None:
        return companies, None
    visible = visible_companies(companies, actor)
    keep = contact.company_id if contact is not None else None
    if keep is None or visible.filter(pk=keep).exists():
        return visible, None
    return (visible | companies.filter(pk=keep)).order_by("name"), keep


class CompanyForm(_RecordForm):
    model = Company
    model_fields = COMPANY_FIELDS

    def __init__(self, *args: Any, instance: Company | None = None, **kwargs: Any) -> None:
        super().__init__(*args, instance=instance, **kwargs)
        self.fields["domain"].widget.attrs["placeholder"] = "example.com"


class NoteForm(forms.Form):
    subject = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Subject (optional)"}),
    )
    body = forms.CharField(
        label="Note",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What happened? What was agreed?"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        body = cleaned.get("body", "").strip()
        if body and not cleaned.get("subject", "").strip():
            # An activity needs a subject; the note's first line stands in for it.
            cleaned["subject"] = body.splitlines()[0][:80]
        return cleaned


def _blank(label: str) -> list[tuple[str, str]]:
    return [("", label)]


class ContactFilterForm(forms.Form):
    """The contact list's filter bar. Only checks that values are well formed."""

    stage = forms.ChoiceField(
        required=False, choices=[*_blank("All stages"), *LifecycleStage.choices]
    )
    owner = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.Select)
    company = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.Select)
    tag = forms.CharField(required=False, max_length=TAG_MAX_LENGTH, widget=forms.Select)

    def __init__(self, *args: Any, options: ContactFilterOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = {
            "owner": [*_blank("All owners"), *((str(pk), name) for pk, name in options.owners)],
            "company": [
                *_blank("All companies"),
                *((str(pk), name) for pk, name in options.companies),
            ],
            "tag": [*_blank("All tags"), *((name, name) for name in options.tags)],
        }
        for name, field_choices in choices.items():
            widget = self.fields[name].widget
            assert isinstance(widget, forms.Select)
            widget.choices = field_choices
        for name, field in self.fields.items():
            field.widget.attrs["aria-label"] = f"Filter by {name}"


class CompanyFilterForm(forms.Form):
    industry = forms.ChoiceField(required=False)
    size = forms.ChoiceField(required=False, choices=[*_blank("All sizes"), *CompanySize.choices])
    country = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, options: CompanyFilterOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        industry = self.fields["industry"]
        country = self.fields["country"]
        assert isinstance(industry, forms.ChoiceField) and isinstance(country, forms.ChoiceField)
        industry.choices = [*_blank("All industries"), *((i, i) for i in options.industries)]
        country.choices = [*_blank("All countries"), *((c, c) for c in options.countries)]
        for name, field in self.fields.items():
            field.widget.attrs["aria-label"] = f"Filter by {name}"
