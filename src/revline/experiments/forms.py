"""The experiment form and its fixed variant rows. The rules live in services.experiment_validate;
these forms only parse, and the service's errors are shown on the field they name."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from revline.content.models import LandingPage
from revline.email.models import Email

from .models import Experiment, ExperimentGoal, ExperimentKind, Variant
from .services import (
    EMAIL_OPEN_STATES,
    MAX_VARIANTS,
    ExperimentSpec,
    VariantSpec,
)

ROW_PREFIX = "v{}"


def _published_pages() -> QuerySet[LandingPage]:
    return LandingPage.objects.filter(is_published=True).order_by("title")


class ExperimentForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(label="What is tested", choices=ExperimentKind.choices)
    goal = forms.ChoiceField(
        label="Goal",
        choices=ExperimentGoal.choices,
        help_text="Page tests count form submissions; subject tests count opens or clicks.",
    )
    landing_page = forms.ModelChoiceField(
        label="Landing page",
        queryset=LandingPage.objects.none(),
        required=False,
        help_text="For button-label and page tests: the page whose address stays the same.",
    )
    email = forms.ModelChoiceField(
        label="Email",
        queryset=Email.objects.none(),
        required=False,
        help_text="For subject-line tests: an email that is still to be sent (or sending).",
    )
    alpha = forms.FloatField(
        label="Significance level (alpha)",
        initial=0.05,
        help_text="The false-positive risk you accept; 0.05 is usual.",
    )
    hypothesis = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text="What you expect, and why: e.g. “A specific label gets more sign-ups.”",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["landing_page"].queryset = _published_pages()  # type: ignore[attr-defined]
        self.fields["email"].queryset = Email.objects.filter(  # type: ignore[attr-defined]
            status__in=EMAIL_OPEN_STATES
        ).order_by("-created_at")


class NameForm(forms.Form):
    """What may still change once an experiment has started."""

    name = forms.CharField(max_length=200)
    hypothesis = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )


class VariantForm(forms.Form):
    """One row; a row left entirely blank is not a variant."""

    name = forms.CharField(max_length=100, required=False)
    weight = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=10_000,
        widget=forms.NumberInput(attrs={"min": 1, "class": "weight"}),
    )
    cta_label = forms.CharField(label="Button label", max_length=60, required=False)
    subject = forms.CharField(label="Subject line", max_length=300, required=False)
    landing_page = forms.ModelChoiceField(
        label="Page shown", queryset=LandingPage.objects.none(), required=False
    )

    def __init__(self, *args: Any, is_control: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_control = is_control
        self.fields["landing_page"].queryset = _published_pages()  # type: ignore[attr-defined]
        if is_control:
            self.fields["landing_page"].disabled = True
            self.fields["landing_page"].help_text = "The tested page itself"

    @property
    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any(data.get(name) for name in ("name", "cta_label", "subject", "landing_page"))

    def spec(self) -> VariantSpec:
        data = self.cleaned_data
        return VariantSpec(
            name=data.get("name") or "",
            weight=data["weight"] if data.get("weight") is not None else 1,
            is_control=self.is_control,
            cta_label=data.get("cta_label") or "",
            subject=data.get("subject") or "",
            landing_page=data.get("landing_page"),
        )


def variant_rows(data: Any = None, variants: list[Variant] | None = None) -> list[VariantForm]:
    """MAX_VARIANTS rows, the first the control; filled from `variants` when editing."""
    initial: list[dict[str, Any]] = [
        {
            "name": v.name,
            "weight": v.weight,
            "cta_label": v.cta_label,
            "subject": v.subject,
            "landing_page": v.landing_page_id,
        }
        for v in (variants or [])
    ]
    if not initial:
        initial = [{"name": "Control", "weight": 1}, {"name": "Variant B", "weight": 1}]
    initial += [{"weight": 1}] * (MAX_VARIANTS - len(initial))
    return [
        VariantForm(
            data, prefix=ROW_PREFIX.format(index), initial=initial[index], is_control=index == 0
        )
        for index in range(MAX_VARIANTS)
    ]


def spec_from(form: ExperimentForm, rows: list[VariantForm]) -> ExperimentSpec | None:
    """The spec the service validates, or None when a field could not even be parsed (its
    error is then on the form or row)."""
    valid = form.is_valid()
    rows_valid = all(row.is_valid() for row in rows)
    if not (valid and rows_valid):
        return None
    data = form.cleaned_data
    return ExperimentSpec(
        name=data["name"],
        kind=data["kind"],
        goal=data["goal"],
        hypothesis=data.get("hypothesis") or "",
        landing_page=data.get("landing_page"),
        email=data.get("email"),
        alpha=data["alpha"],
        variants=[row.spec() for row in rows if not row.is_blank],
    )


def service_errors_show(
    exc: ValidationError, form: forms.Form, rows: list[VariantForm] | None = None
) -> None:
    """Put each error of the service on the field it names ("variants.<i>.<field>" on row i of
    the entered, non-blank rows), the rest above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    filled = [row for row in rows or [] if not row.is_blank]
    for key, errors in exc.error_dict.items():
        if key.startswith("variants.") and rows is not None:
            _prefix, index, name = key.split(".", 2)
            target = filled[int(index)] if int(index) < len(filled) else None
            if target is not None and name in target.fields:
                target.add_error(name, errors)
                continue
        if key in form.fields:
            form.add_error(key, errors)
        else:
            form.add_error(None, errors)


def experiment_initial(experiment: Experiment) -> dict[str, Any]:
    return {
        "name": experiment.name,
        "kind": experiment.kind,
        "goal": experiment.goal,
        "landing_page": experiment.landing_page_id,
        "email": experiment.email_id,
        "alpha": experiment.alpha,
        "hypothesis": experiment.hypothesis,
    }
