"""Sequence builder forms: the settings (with the trigger's details) and one step of a kind."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from .models import SequenceStatus, SequenceTrigger, StepKind
from .sequence_selectors import DATE_FIELD_LABELS, FIELD_LABELS, BuilderChoices

# Which settings fields belong to which trigger (the page shows only the chosen trigger's).
TRIGGER_FIELDS: dict[str, tuple[str, ...]] = {
    SequenceTrigger.FORM_SUBMITTED: ("form",),
    SequenceTrigger.JOINED_SEGMENT: ("segment",),
    SequenceTrigger.SCORE_CROSSED: ("score",),
    SequenceTrigger.DEAL_STAGE_CHANGED: ("stage",),
    SequenceTrigger.DATE_REACHED: ("date_field", "days_after"),
}
MAX_ID = 2**31 - 1


def _blank(label: str, choices: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    return [("", label), *choices]


class SequenceForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    trigger = forms.ChoiceField(choices=SequenceTrigger.choices, label="Starts when")
    form = forms.TypedChoiceField(coerce=int, required=False, label="Form")
    segment = forms.TypedChoiceField(coerce=int, required=False, label="Segment")
    score = forms.IntegerField(
        min_value=0, max_value=MAX_ID, required=False, help_text="Fit score plus engagement score"
    )
    stage = forms.TypedChoiceField(coerce=int, required=False, label="Deal stage")
    date_field = forms.ChoiceField(
        choices=list(DATE_FIELD_LABELS.items()), required=False, label="Date"
    )
    days_after = forms.IntegerField(min_value=0, max_value=3650, required=False, initial=0)
    allow_reentry = forms.BooleanField(
        required=False,
        label="Allow re-entry",
        help_text="A contact may go through again after finishing (for form and deal triggers).",
    )
    is_marketing = forms.BooleanField(
        required=False,
        initial=True,
        label="Marketing sequence",
        help_text="Contacts leave it when they unsubscribe or become customers.",
    )
    status = forms.ChoiceField(choices=SequenceStatus.choices, initial=SequenceStatus.DRAFT)

    def __init__(self, *args: Any, choices: BuilderChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, options in (
            ("form", "Choose a form", choices.forms),
            ("segment", "Choose a segment", choices.segments),
            ("stage", "Choose a stage", choices.stages),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = _blank(label, options)
        self.fields["trigger"].widget.attrs["data-trigger-select"] = "1"

    def chosen_trigger(self) -> str:
        value = self.data.get("trigger") if self.is_bound else self.initial.get("trigger")
        return value if value in SequenceTrigger.values else SequenceTrigger.FORM_SUBMITTED

    def trigger_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in TRIGGER_FIELDS[self.chosen_trigger()]]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "description", "trigger")]

    def option_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("allow_reentry", "is_marketing", "status")]

    def trigger_config(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "form_id": data.get("form"),
            "segment_id": data.get("segment"),
            "score": data.get("score"),
            "stage_id": data.get("stage"),
            "field": data.get("date_field"),
            "days_after": data.get("days_after"),
        }

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "trigger": data["trigger"],
            "trigger_config": self.trigger_config(),
            "allow_reentry": data["allow_reentry"],
            "is_marketing": data["is_marketing"],
            "status": data["status"],
        }

    @staticmethod
    def initial_for(sequence: Any) -> dict[str, Any]:
        config = sequence.trigger_config or {}
        return {
            "name": sequence.name,
            "description": sequence.description,
            "trigger": sequence.trigger,
            "form": config.get("form_id"),
            "segment": config.get("segment_id"),
            "score": config.get("score"),
            "stage": config.get("stage_id"),
            "date_field": config.get("field"),
            "days_after": config.get("days_after", 0),
            "allow_reentry": sequence.allow_reentry,
            "is_marketing": sequence.is_marketing,
            "status": sequence.status,
        }


class StepForm(forms.Form):
    """The fields of one step kind; `config()` gives what sequence_step_add/update take."""

    def __init__(
        self,
        *args: Any,
        kind: str,
        choices: BuilderChoices,
        total: int,
        position: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        add = self.fields.__setitem__
        if kind == StepKind.WAIT:
            add("days", forms.IntegerField(min_value=0, max_value=3650, initial=1, required=False))
            add("hours", forms.IntegerField(min_value=0, max_value=23, initial=0, required=False))
        elif kind == StepKind.SEND_EMAIL:
            add(
                "email",
                forms.TypedChoiceField(
                    coerce=int,
                    required=False,
                    choices=_blank("Choose an automated email", choices.emails),
                    help_text="Automated emails are sent to one contact at a time.",
                ),
            )
            add(
                "template",
                forms.TypedChoiceField(
                    coerce=int,
                    required=False,
                    label="…or create one from a template",
                    choices=_blank("No new email", choices.templates),
                ),
            )
            add(
                "email_name",
                forms.CharField(max_length=200, required=False, label="Name of the new email"),
            )
        elif kind == StepKind.UPDATE_FIELD:
            add(
                "field",
                forms.ChoiceField(
                    required=False,
                    choices=_blank("No field", list(FIELD_LABELS.items())),
                    label="Set the field",
                ),
            )
            add("value", forms.CharField(max_length=150, required=False, label="To"))
            add("add_tag", forms.CharField(max_length=50, required=False, label="…or add the tag"))
            add(
                "remove_tag",
                forms.CharField(max_length=50, required=False, label="…or remove the tag"),
            )
        elif kind == StepKind.CHANGE_LIFECYCLE:
            add(
                "stage",
                forms.ChoiceField(
                    choices=choices.lifecycle,
                    label="Move forward to",
                    help_text="Only forward moves happen; a contact already further is left as is.",
                ),
            )
        elif kind == StepKind.NOTIFY_OWNER:
            add(
                "message",
                forms.CharField(
                    max_length=2000,
                    widget=forms.Textarea(attrs={"rows": 3}),
                    help_text="Emailed to the contact's owner, with a link to the contact.",
                ),
            )
        elif kind == StepKind.CREATE_TASK:
            add("subject", forms.CharField(max_length=200))
            add(
                "due_in_days",
                forms.IntegerField(min_value=0, max_value=365, initial=2, label="Due in days"),
            )
        elif kind == StepKind.BRANCH:
            add(
                "segment",
                forms.TypedChoiceField(
                    coerce=int,
                    required=False,
                    choices=_blank("Choose a segment", choices.segments),
                    label="Contacts in segment go on",
                ),
            )
            add(
                "condition",
                forms.CharField(
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 4, "class": "code"}),
                    label="…or match this condition (JSON)",
                    help_text='A segment condition tree: {"match": "all", "conditions": [...]}',
                ),
            )
            targets = [(p, f"Step {p + 1}") for p in range(position + 1, total)]
            add(
                "else_position",
                forms.TypedChoiceField(
                    coerce=int,
                    choices=[*targets, (max(total, position + 1), "The end (finish)")],
                    label="The others jump to",
                ),
            )
        else:
            raise ValueError(f"Unknown step kind {kind!r}")

    def clean_condition(self) -> Any:
        text = (self.cleaned_data.get("condition") or "").strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError("This is not valid JSON.") from None

    def config(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if self.kind == StepKind.SEND_EMAIL:
            return {"email_id": data.get("email")}
        if self.kind == StepKind.BRANCH:
            config: dict[str, Any] = {"else_position": data.get("else_position")}
            if data.get("segment"):
                config["segment_id"] = data["segment"]
            else:
                config["condition"] = data.get("condition")
            return config
        return data

    @staticmethod
    def initial_for(kind: str, config: dict[str, Any]) -> dict[str, Any]:
        initial = dict(config)
        if kind == StepKind.SEND_EMAIL:
            initial = {"email": config.get("email_id")}
        elif kind == StepKind.BRANCH:
            initial = {
                "segment": config.get("segment_id"),
                "else_position": config.get("else_position"),
                "condition": ""
                if config.get("segment_id")
                else json.dumps(config.get("condition") or {}, indent=2),
            }
        return initial
