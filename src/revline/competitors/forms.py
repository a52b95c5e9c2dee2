from typing import Any

from django import forms

from revline.sales.models import Competitor
from revline.sales.objection_forms import ReportFilterForm

from .services import TEXT_MAX


def _text(label: str, help_text: str = "", rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=TEXT_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class CompetitorForm(forms.Form):
    name = forms.CharField(max_length=100)
    website = forms.URLField(
        max_length=300, required=False, assume_scheme="https", help_text="e.g. https://example.com"
    )
    positioning = _text("Positioning", "How they describe themselves, and to whom they sell.", 3)
    strengths = _text("Strengths", "One per line.")
    weaknesses = _text("Weaknesses", "One per line.")
    pricing_notes = _text("Pricing notes", "List prices, discounting habits, contract terms.", 3)
    how_to_win = _text("How to win", "The plays that beat them: what to lead with.", 5)
    landmines = _text("Landmines", "Questions to ask the buyer that expose their weak spots.")
    proof_points = _text("Proof points", "Customers who switched, numbers, reviews.")

    @staticmethod
    def initial_for(competitor: Competitor) -> dict[str, Any]:
        return {name: getattr(competitor, name) for name in CompetitorForm.base_fields}


class DealCompetitorForm(forms.Form):
    competitor = forms.ModelChoiceField(
        queryset=Competitor.objects.all(),
        label="Competitor",
        empty_label="Choose a competitor…",
        error_messages={
            "required": "Choose a competitor.",
            "invalid_choice": "Pick a competitor from the list.",
        },
    )

    def __init__(self, *args: Any, choices: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if choices is not None:
            field: Any = self.fields["competitor"]
            field.queryset = choices


class CompetitorReportForm(ReportFilterForm):
    """Pipeline, owner or team, and the period the deals closed in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date_from"].label = "Closed from"
