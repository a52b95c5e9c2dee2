"""Forms of the research pages. They parse input; the services validate and decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from revline.pr.html import ALLOWED_TAGS

from . import selectors
from .insight_selectors import DIMENSION_LABELS
from .models import NoteKind

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
ALLOWED_TAGS_TEXT = ", ".join(f"<{t}>" for t in sorted(ALLOWED_TAGS))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _lines(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
    )


class PersonaForm(forms.Form):
    """The persona's words; its rule comes from the segment builder rows on the same page."""

    name = forms.CharField(label="Name", max_length=100)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who they are, in a few sentences.",
    )
    goals = _lines("Goals", "One per line.")
    pains = _lines("Pains", "One per line.")
    typical_titles = _lines("Typical job titles", "One per line, e.g. “VP Sales”.")
    typical_industries = _lines("Typical industries", "One per line, e.g. “Software”.")


class NoteForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    kind = forms.ChoiceField(label="Kind", choices=NoteKind.choices)
    date = forms.DateField(label="Date", widget=DateInput, help_text="When it took place.")
    body = forms.CharField(
        label="Text",
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 18, "class": "note-body-input"}),
        help_text=(
            "Formatting is HTML limited to " + ALLOWED_TAGS_TEXT + "; links may be http, https "
            "or mailto. Anything else (scripts, styles, event attributes) is removed on save."
        ),
    )
    personas = forms.TypedMultipleChoiceField(
        label="Personas", required=False, coerce=int, widget=forms.SelectMultiple(attrs={"size": 5})
    )
    competitors = forms.TypedMultipleChoiceField(
        label="Competitors",
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    segments = forms.TypedMultipleChoiceField(
        label="Segments", required=False, coerce=int, widget=forms.SelectMultiple(attrs={"size": 5})
    )
    informs = forms.TypedMultipleChoiceField(
        label="Content it informs",
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Content items this research feeds into.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = selectors.note_filter_choices()
        self.fields["personas"].choices = choices.personas  # type: ignore[attr-defined]
        self.fields["competitors"].choices = choices.competitors  # type: ignore[attr-defined]
        self.fields["segments"].choices = choices.segments  # type: ignore[attr-defined]
        self.fields["informs"].choices = selectors.content_choices()  # type: ignore[attr-defined]

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        if not EARLIEST <= day <= LATEST:
            raise forms.ValidationError("Enter a date between 2000 and 2100.")
        return day


class InsightsForm(forms.Form):
    date_from = forms.DateField(required=False, label="Contacts created from", widget=DateInput)
    date_to = forms.DateField(required=False, label="to", widget=DateInput)
    predict = forms.BooleanField(required=False, label="Predicted customer value")
    export = forms.ChoiceField(
        required=False, choices=[("", ""), *DIMENSION_LABELS.items()], widget=forms.HiddenInput
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, "Enter a date between 2000 and 2100.")
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("The start date must be on or before the end date.")
        return data
