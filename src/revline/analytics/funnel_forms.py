"""Filters of the funnel pages (GET forms, so a funnel can be bookmarked). A bad period falls back
to the default and is shown as a field error; bad steps are field errors and no funnel is run."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from revline.leads.report_forms import ReportPeriodForm
from revline.segments.models import Segment
from revline.segments.selectors import segment_choices, segment_contacts, segment_get
from revline.tracking.models import TouchpointKind

from . import funnels
from .funnel_selectors import BREAKDOWNS

MAX_WINDOW_DAYS = 365
# Shown until the user builds their own: ad or link click → landing page → form submission.
EXAMPLE_STEPS = [
    funnels.StepSpec(kind="click"),
    funnels.StepSpec(kind="page_view", match="contains", pattern="/lp/"),
    funnels.StepSpec(kind="form_submission"),
]
EXAMPLE_WINDOW_DAYS = 30


class LifecycleFunnelForm(ReportPeriodForm):
    interval = forms.ChoiceField(
        required=False, label="Cohorts per", choices=[("month", "Month"), ("quarter", "Quarter")]
    )
    by = forms.ChoiceField(required=False, label="Break down by", choices=list(BREAKDOWNS.items()))
    segment = forms.TypedChoiceField(required=False, label="Only contacts in", coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["segment"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "All contacts"), *segment_choices()]

    def clean_segment(self) -> Segment | None:
        pk = self.cleaned_data.get("segment")
        if pk in (None, ""):
            return None
        segment = segment_get(pk=int(pk))
        if segment is None:
            raise ValidationError("This segment no longer exists.")
        try:
            segment_contacts(definition=segment.definition)
        except ValidationError:
            raise ValidationError(
                "This segment's conditions no longer work; fix the segment first."
            ) from None
        return segment

    def chosen_segment(self) -> Segment | None:
        value = self._valid_data().get("segment")
        return value if isinstance(value, Segment) else None


KIND_CHOICES = [("", "—"), *TouchpointKind.choices]
MATCH_CHOICES = [("", "any URL"), ("contains", "URL contains"), ("regex", "URL matches pattern")]


class EventFunnelForm(ReportPeriodForm):
    """Steps 1..5 as kindN / matchN / urlN; empty trailing steps are ignored."""

    default_months = 3
    days = forms.IntegerField(
        required=False,
        label="Within (days)",
        min_value=1,
        max_value=MAX_WINDOW_DAYS,
        help_text="from the first step",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        step_keys = {f"{part}{n}" for part in ("kind", "match", "url") for n in range(1, 6)}
        if self.is_bound and not step_keys & set(self.data):
            # Only a period asked for: the example funnel over it.
            data = dict(self.data.items())
            for n, step in enumerate(EXAMPLE_STEPS, start=1):
                data.update(
                    {f"kind{n}": step.kind, f"match{n}": step.match, f"url{n}": step.pattern}
                )
            self.data = data
        for n in range(1, funnels.MAX_STEPS + 1):
            self.fields[f"kind{n}"] = forms.ChoiceField(
                required=False, label=f"Step {n}", choices=KIND_CHOICES
            )
            self.fields[f"match{n}"] = forms.ChoiceField(
                required=False, label="URL", choices=MATCH_CHOICES
            )
            self.fields[f"url{n}"] = forms.CharField(
                required=False,
                label="Text or pattern",
                max_length=funnels.MAX_PATTERN,
                strip=True,
            )
        if not self.is_bound:
            self.initial = {"days": EXAMPLE_WINDOW_DAYS}
            for n, step in enumerate(EXAMPLE_STEPS, start=1):
                self.initial.update(
                    {f"kind{n}": step.kind, f"match{n}": step.match, f"url{n}": step.pattern}
                )

    def clean(self) -> dict[str, Any]:
        try:
            data = super().clean()
        except ValidationError as exc:  # the period's: the steps are still checked
            self.add_error(None, exc)
            data = self.cleaned_data
        slots = [
            funnels.StepSpec(
                kind=data.get(f"kind{n}") or "",
                match=data.get(f"match{n}") or "",
                pattern=data.get(f"url{n}") or "",
            )
            for n in range(1, funnels.MAX_STEPS + 1)
        ]
        fields = ("kind", "match", "url")
        if any(f"{part}{n}" in self.errors for n in range(1, 6) for part in fields):
            return data
        while slots and slots[-1] == funnels.StepSpec(kind=""):
            slots.pop()
        try:
            data["steps"] = funnels.validate_steps(slots, kinds=dict(TouchpointKind.choices))
        except funnels.StepError as exc:
            if exc.step == 0:
                self.add_error(None, exc.message)
            else:
                part = {"pattern": "url"}.get(exc.part, exc.part)
                self.add_error(f"{part}{exc.step}", exc.message)
        return data

    def step_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"kind{n}"], self[f"match{n}"], self[f"url{n}"]]
            for n in range(1, funnels.MAX_STEPS + 1)
        ]

    def steps(self) -> list[funnels.StepSpec] | None:
        """The steps to run: the example when nothing was asked, None when they are invalid."""
        if not self.is_bound:
            return list(EXAMPLE_STEPS)
        if not self.is_valid() and "steps" not in self.cleaned_data:
            return None
        return self.cleaned_data.get("steps")

    def window_days(self) -> int:
        return self._valid_data().get("days") or EXAMPLE_WINDOW_DAYS
