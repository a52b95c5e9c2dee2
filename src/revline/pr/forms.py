"""PR forms. Plain forms: the services validate and save, and a rejected form changes nothing."""

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from revline.core.models import User

from . import selectors
from .metrics import competitor_names_parse, period_resolve
from .models import (
    Coverage,
    InteractionKind,
    MediaContact,
    PressRelease,
    Sentiment,
)
from .services import BODY_MAX_LENGTH, REACH_MAX


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MediaContactForm(forms.Form):
    name = forms.CharField(max_length=200)
    outlet = forms.CharField(max_length=200, help_text="The publication, show or channel.")
    beat = forms.CharField(
        max_length=100, required=False, help_text="Topics they cover, e.g. fintech, SaaS."
    )
    email = forms.EmailField(max_length=254, required=False)
    phone = forms.CharField(max_length=50, required=False)
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Nobody"
    )
    notes = forms.CharField(
        max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, instance: MediaContact | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "outlet": instance.outlet,
                    "beat": instance.beat,
                    "email": instance.email,
                    "phone": instance.phone,
                    "owner": instance.owner_id,
                    "notes": instance.notes,
                },
            )
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner_id = instance.owner_id if instance is not None else None
        owner.queryset = User.objects.filter(Q(is_active=True) | Q(pk=owner_id))


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (value, label)
            for value, label in InteractionKind.choices
            if value not in (InteractionKind.RELEASE, InteractionKind.COVERAGE)
        ]
    )
    occurred_on = forms.DateField(label="Date", widget=DateInput)
    summary = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_occurred_on(self) -> date:
        day: date = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise ValidationError("The date cannot be in the future.")
        return day


class PressReleaseForm(forms.Form):
    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or two sentences for lists and pitches.",
    )
    body = forms.CharField(
        max_length=BODY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "class": "pr-body-input"}),
        help_text="HTML. Kept: paragraphs, headings (h2–h4), bold, italic, underline, lists, "
        "quotes, code, links (http, https, mailto). Everything else, including scripts, "
        "is removed when you save.",
    )
    embargo_until = forms.DateTimeField(
        required=False,
        widget=DateTimeInput(),
        label="Embargo until",
        help_text="Journalists may not publish before this moment (optional).",
    )
    campaign = forms.ModelChoiceField(
        queryset=selectors.campaigns_for_pr(), required=False, empty_label="No campaign"
    )

    @classmethod
    def initial_from(cls, release: PressRelease) -> dict[str, Any]:
        embargo = release.embargo_until
        return {
            "title": release.title,
            "summary": release.summary,
            "body": release.body,
            "embargo_until": timezone.localtime(embargo) if embargo else None,
            "campaign": release.campaign_id,
        }


class TransitionForm(forms.Form):
    to_status = forms.CharField(max_length=20)
    note = forms.CharField(max_length=500, required=False)


class DistributeForm(forms.Form):
    recipients = forms.ModelMultipleChoiceField(
        queryset=MediaContact.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one media contact."},
    )
    note = forms.CharField(
        max_length=500, required=False, help_text="Optional, e.g. how it was sent."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        recipients = self.fields["recipients"]
        assert isinstance(recipients, forms.ModelMultipleChoiceField)
        recipients.queryset = selectors.media_contacts_for_distribution()


class CoverageForm(forms.Form):
    title = forms.CharField(max_length=300)
    outlet = forms.CharField(max_length=200)
    url = forms.CharField(
        max_length=2000,
        required=False,
        label="URL",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    published_on = forms.DateField(label="Published", widget=DateInput)
    reach = forms.IntegerField(
        min_value=0,
        max_value=REACH_MAX,
        initial=0,
        label="Estimated reach",
        help_text="Readers, viewers or listeners; 0 when unknown.",
    )
    sentiment = forms.ChoiceField(choices=Sentiment.choices, initial=Sentiment.NEUTRAL)
    about_us = forms.BooleanField(required=False, initial=True, label="Mentions us", help_text="")
    competitors = forms.CharField(
        max_length=2500,
        required=False,
        label="Competitors named",
        help_text="Separate names with commas. Used for share of voice.",
    )
    release = forms.ModelChoiceField(
        queryset=PressRelease.objects.none(), required=False, empty_label="No release"
    )
    campaign = forms.ModelChoiceField(
        queryset=selectors.campaigns_for_pr(),
        required=False,
        empty_label="No campaign",
        help_text="Left empty, the release's campaign is used.",
    )
    media_contact = forms.ModelChoiceField(
        queryset=MediaContact.objects.none(),
        required=False,
        label="Journalist",
        empty_label="Not known",
    )
    notes = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        release = self.fields["release"]
        assert isinstance(release, forms.ModelChoiceField)
        release.queryset = selectors.releases_for_choice()
        author = self.fields["media_contact"]
        assert isinstance(author, forms.ModelChoiceField)
        author.queryset = selectors.media_contacts_for_distribution()

    @classmethod
    def initial_from(cls, coverage: Coverage) -> dict[str, Any]:
        return {
            "title": coverage.title,
            "outlet": coverage.outlet,
            "url": coverage.url,
            "published_on": coverage.published_on,
            "reach": coverage.reach,
            "sentiment": coverage.sentiment,
            "about_us": coverage.about_us,
            "competitors": ", ".join(c.name for c in coverage.competitors.all()),
            "release": coverage.release_id,
            "campaign": coverage.campaign_id,
            "media_contact": coverage.media_contact_id,
            "notes": coverage.notes,
        }

    def clean_competitors(self) -> list[str]:
        try:
            return competitor_names_parse(self.cleaned_data.get("competitors", ""))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class PeriodForm(forms.Form):
    """The PR page's period; left empty, the last 12 months up to today."""

    start = forms.DateField(required=False, label="From", widget=DateInput)
    end = forms.DateField(required=False, label="To", widget=DateInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            start, end = period_resolve(
                data.get("start"), data.get("end"), today=timezone.localdate()
            )
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        data["start"], data["end"] = start, end
        return data
