"""Forms of the survey builder, the distribution and the results filters."""

from __future__ import annotations

from typing import Any

from django import forms

from revline.people.models import Company, LifecycleStage
from revline.segments.selectors import segment_choices

from .metrics import END
from .models import Question, QuestionKind, Survey
from .selectors import ResultFilters
from .services import DEFAULT_MESSAGE, DEFAULT_SUBJECT, QuestionInput

RULE_ROWS = 3
OP_CHOICES = [
    ("", "—"),
    ("eq", "is"),
    ("lte", "is at most"),
    ("gte", "is at least"),
    ("includes", "includes"),
]


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["name", "slug", "intro", "thank_you", "allow_anonymous", "allow_repeat"]
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 3}),
            "thank_you": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "slug": "The survey's address: /s/<this>/. Leave empty to make one from the name.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False

    def _post_clean(self) -> None:
        """The service validates (slug format and uniqueness), not the model form."""


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=QuestionKind.choices)
    label = forms.CharField(label="Question", max_length=300)
    help_text = forms.CharField(label="Hint", max_length=300, required=False)
    required = forms.BooleanField(label="An answer is required", required=False)
    options = forms.CharField(
        label="Options",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For choice questions: one option per line.",
    )
    scale_max = forms.IntegerField(
        label="Rating scale goes up to",
        min_value=2,
        max_value=10,
        initial=5,
        required=False,
        help_text="For rating questions (1 to this).",
    )

    def __init__(
        self,
        *args: Any,
        targets: list[tuple[str, str]],
        question: Question | None = None,
        **kw: Any,
    ) -> None:
        if question is not None and not args:
            initial = {
                "kind": question.kind,
                "label": question.label,
                "help_text": question.help_text,
                "required": question.required,
                "options": "\n".join(question.options),
                "scale_max": question.scale_max,
            }
            for i, rule in enumerate(question.logic[:RULE_ROWS]):
                initial |= {
                    f"rule{i}_op": rule.get("op", ""),
                    f"rule{i}_value": rule.get("value", ""),
                    f"rule{i}_goto": rule.get("goto", ""),
                }
            kw["initial"] = initial
        super().__init__(*args, **kw)
        goto_choices = [("", "—"), *targets, (END, "End the survey")]
        for i in range(RULE_ROWS):
            self.fields[f"rule{i}_op"] = forms.ChoiceField(
                label=f"Rule {i + 1}: if the answer", choices=OP_CHOICES, required=False
            )
            self.fields[f"rule{i}_value"] = forms.CharField(
                label=f"Rule {i + 1}: value", max_length=200, required=False
            )
            self.fields[f"rule{i}_goto"] = forms.ChoiceField(
                label=f"Rule {i + 1}: then", choices=goto_choices, required=False
            )

    def rule_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"rule{i}_op"], self[f"rule{i}_value"], self[f"rule{i}_goto"])
            for i in range(RULE_ROWS)
        ]

    def main_fields(self) -> list[Any]:
        return [
            self[name]
            for name in ("kind", "label", "help_text", "options", "scale_max", "required")
        ]

    def question_input(self) -> QuestionInput:
        data = self.cleaned_data
        logic = []
        for i in range(RULE_ROWS):
            op, value, goto = (
                data.get(f"rule{i}_op"),
                data.get(f"rule{i}_value"),
                data.get(f"rule{i}_goto"),
            )
            if op or goto or value:
                logic.append({"op": op or "", "value": (value or "").strip(), "goto": goto or ""})
        return QuestionInput(
            kind=data["kind"],
            label=data["label"],
            help_text=data.get("help_text") or "",
            required=bool(data.get("required")),
            options=(data.get("options") or "").splitlines(),
            scale_max=data.get("scale_max") or 5,
            logic=logic,
        )


class DistributeForm(forms.Form):
    segment = forms.TypedChoiceField(label="Segment", coerce=int)
    subject = forms.CharField(label="Subject", max_length=200, initial=DEFAULT_SUBJECT)
    message = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 4}),
        initial=DEFAULT_MESSAGE,
        help_text="Plain text. Each contact's personal link is added below it.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        segment = self.fields["segment"]
        assert isinstance(segment, forms.ChoiceField)
        segment.choices = [("", "Choose a segment…"), *segment_choices()]


class ResultsFilterForm(forms.Form):
    segment = forms.TypedChoiceField(label="Segment", required=False, coerce=str)
    company = forms.ModelChoiceField(
        label="Company", queryset=Company.objects.none(), required=False, empty_label="Any company"
    )
    stage = forms.ChoiceField(
        label="Lifecycle stage",
        required=False,
        choices=[("", "Any stage"), *LifecycleStage.choices],
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period = forms.ChoiceField(
        label="Trend by",
        required=False,
        choices=[("week", "Week"), ("month", "Month")],
    )

    def __init__(self, *args: Any, company_ids: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        segment, company = self.fields["segment"], self.fields["company"]
        assert isinstance(segment, forms.ChoiceField)
        assert isinstance(company, forms.ModelChoiceField)
        segment.choices = [("", "Any segment"), *segment_choices()]
        # Only companies with respondents: the list stays short.
        company.queryset = Company.objects.filter(pk__in=company_ids or []).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> ResultFilters:
        if not self.is_valid():
            return ResultFilters()
        data = self.cleaned_data
        company = data.get("company")
        return ResultFilters(
            segment=str(data.get("segment") or ""),
            company=company.pk if company is not None else None,
            stage=data.get("stage") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

    def trend_period(self) -> str:
        return (self.cleaned_data.get("period") if self.is_valid() else "") or "week"
