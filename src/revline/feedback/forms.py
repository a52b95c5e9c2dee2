from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from revline.core.listing import MAX_ID
from revline.core.models import User
from revline.core.visibility import visible_companies, visible_contacts, visible_deals
from revline.people.models import Company, Contact
from revline.sales.models import Deal

from .models import FeedbackSource, Sentiment
from .selectors import FeedbackFilters, FilterChoices
from .services import MAX_TEXT, TOPIC_NAME_MAX

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def _blank(label: str) -> list[tuple[str, str]]:
    return [("", label)]


class FilterForm(forms.Form):
    """The inbox and themes filter bars. Only checks that values are well formed."""

    source = forms.ChoiceField(
        required=False, choices=[*_blank("All sources"), *FeedbackSource.choices]
    )
    sentiment = forms.ChoiceField(
        required=False, choices=[*_blank("Any sentiment"), *Sentiment.choices]
    )
    topic = forms.CharField(required=False, max_length=20, widget=forms.Select)
    date_from = forms.DateField(required=False, label="From", widget=DATE_INPUT)
    date_to = forms.DateField(required=False, label="To", widget=DATE_INPUT)
    segment = forms.CharField(required=False, max_length=20)

    def __init__(self, *args: Any, choices: FilterChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["topic"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = [
            *_blank("All topics"),
            ("none", "No topic yet"),
            *((str(pk), name) for pk, name in choices.topics),
        ]
        for name, field in self.fields.items():
            field.widget.attrs["aria-label"] = f"Filter by {field.label or name}".lower()

    def clean_topic(self) -> str:
        value = self.cleaned_data["topic"].strip()
        if value and value != "none" and not (value.isdigit() and 0 < int(value) <= MAX_ID):
            raise forms.ValidationError("Choose a topic from the list.")
        return value

    def clean_segment(self) -> str:
        value = self.cleaned_data["segment"].strip()
        if value and not (value.isdigit() and 0 < int(value) <= MAX_ID):
            raise forms.ValidationError("Choose a segment from the list.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date comes before the start date.")
        return data

    def filters(self) -> FeedbackFilters:
        """The valid values; a field with an error is ignored (it is not in cleaned_data)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        topic = data.get("topic", "")
        return FeedbackFilters(
            source=data.get("source", "") or "",
            sentiment=data.get("sentiment", "") or "",
            topic=int(topic) if topic and topic != "none" else None,
            no_topic=topic == "none",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            segment=data.get("segment", "") or "",
        )


class FeedbackForm(forms.Form):
    """Feedback entered by hand. Contact, company and deal are given by id (prefilled when the
    form is opened from their page)."""

    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_TEXT,
        label="What the customer said",
    )
    occurred_at = forms.DateTimeField(
        label="When",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Empty: now.",
    )
    contact = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, label="Contact id")
    company = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, label="Company id")
    deal = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, label="Deal id")
    score = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=10,
        label="Score (0-10)",
        help_text="If they gave one, e.g. how likely they are to recommend us.",
    )

    def __init__(self, *args: Any, actor: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Ids of records the actor may not see are refused like unknown ones (core.visibility).
        self.actor = actor

    def _narrow(self, records: QuerySet[Any], narrow: Any) -> QuerySet[Any]:
        return records if self.actor is None else narrow(records, self.actor)

    def clean_contact(self) -> Contact | None:
        pk = self.cleaned_data["contact"]
        if pk is None:
            return None
        contacts = self._narrow(Contact.objects.select_related("company"), visible_contacts)
        contact = contacts.filter(pk=pk).first()
        if contact is None:
            raise forms.ValidationError(f"There is no contact with id {pk}.")
        return contact

    def clean_company(self) -> Company | None:
        pk = self.cleaned_data["company"]
        if pk is None:
            return None
        company = self._narrow(Company.objects.all(), visible_companies).filter(pk=pk).first()
        if company is None:
            raise forms.ValidationError(f"There is no company with id {pk}.")
        return company

    def clean_deal(self) -> Deal | None:
        pk = self.cleaned_data["deal"]
        if pk is None:
            return None
        deals = Deal.objects.select_related("contact", "company", "owner")
        deal = self._narrow(deals, visible_deals).filter(pk=pk).first()
        if deal is None:
            raise forms.ValidationError(f"There is no deal with id {pk}.")
        return deal

    def clean_occurred_at(self) -> Any:
        value = self.cleaned_data["occurred_at"]
        if value is not None and value > timezone.now():
            raise forms.ValidationError("Feedback cannot come from the future.")
        return value

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}


class RenameForm(forms.Form):
    name = forms.CharField(max_length=TOPIC_NAME_MAX, label="New name")


class MergeForm(forms.Form):
    into = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.Select, label="Into")

    def __init__(self, *args: Any, topics: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["into"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = [("", "Merge into…"), *((str(pk), name) for pk, name in topics)]


class RunForm(forms.Form):
    n_topics = forms.IntegerField(
        required=False, min_value=2, max_value=20, label="Number of topics"
    )
