from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.urls import reverse

from revline.content.models import ContentItem
from revline.core.dates import day_start
from revline.core.models import Team, User

from . import objection_selectors, selectors
from .models import (
    Deal,
    Objection,
    ObjectionOutcome,
    ObjectionResponse,
    ObjectionType,
    Pipeline,
    Stage,
    StageKind,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class ObjectionTypeForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    content = forms.ModelMultipleChoiceField(
        queryset=ContentItem.objects.order_by("title"),
        required=False,
        label="Linked content",
        help_text="Content a rep can send to answer this objection (hold Ctrl/⌘ to pick several).",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    position = forms.IntegerField(
        min_value=0, max_value=100000, initial=0, help_text="Lower comes first."
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    @staticmethod
    def initial_for(objection_type: ObjectionType) -> dict[str, Any]:
        return {
            "name": objection_type.name,
            "description": objection_type.description,
            "content": list(objection_type.content.all()),
            "position": objection_type.position,
            "is_active": objection_type.is_active,
        }


class ObjectionResponseForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What to say or do; a talk track the rep can adapt.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")


class ResponseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.title)


def _posted_type(data: Any, key: str) -> ObjectionType | None:
    raw = data.get(key, "") if data is not None else ""
    if not str(raw).isdigit():
        return None
    return ObjectionType.objects.filter(pk=int(raw)).first()


class ObjectionLogForm(forms.Form):
    objection_type = forms.ModelChoiceField(
        queryset=ObjectionType.objects.filter(is_active=True),
        label="Objection",
        empty_label="Choose a type…",
    )
    buyer_words = forms.CharField(
        required=False,
        max_length=2000,
        label="Buyer's words",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What exactly did they say?"}),
    )
    stage: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Stage.objects.none(), label="Came up in stage"
    )
    response = ResponseChoiceField(
        queryset=ObjectionResponse.objects.none(),
        required=False,
        label="Response used",
        empty_label="None / my own words",
    )
    response_notes = forms.CharField(
        required=False,
        max_length=2000,
        label="Response notes",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    outcome = forms.ChoiceField(choices=ObjectionOutcome.choices, initial=ObjectionOutcome.OPEN)

    def __init__(self, *args: Any, deal: Deal, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})["stage"] = deal.stage_id
        super().__init__(*args, **kwargs)
        stage_field: Any = self.fields["stage"]
        stage_field.queryset = deal.pipeline.stages.filter(kind=StageKind.OPEN).order_by("position")
        response_field: Any = self.fields["response"]
        response_field.queryset = objection_selectors.active_responses(
            _posted_type(self.data if self.is_bound else None, self.add_prefix("objection_type"))
        )
        response_field.widget.attrs["id"] = "objection-response"
        self.fields["objection_type"].widget.attrs.update(
            {
                "hx-get": reverse("sales:objection_response_options"),
                "hx-target": "#objection-response",
                "hx-trigger": "change",
                "hx-swap": "innerHTML",
            }
        )


class ObjectionUpdateForm(forms.Form):
    outcome = forms.ChoiceField(choices=ObjectionOutcome.choices)
    response = ResponseChoiceField(
        queryset=ObjectionResponse.objects.none(),
        required=False,
        label="Response used",
        empty_label="None / my own words",
    )
    response_notes = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, objection: Objection, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"o{objection.pk}")
        kwargs.setdefault(
            "initial",
            {
                "outcome": objection.outcome,
                "response": objection.response_id,
                "response_notes": objection.response_notes,
            },
        )
        super().__init__(*args, **kwargs)
        response_field: Any = self.fields["response"]
        # A retired response stays selectable on the objections that already used it.
        response_field.queryset = objection.objection_type.responses.filter(
            is_active=True
        ) | objection.objection_type.responses.filter(pk=objection.response_id or 0)


class ReportFilterForm(forms.Form):
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.all(), required=False, empty_label="All pipelines"
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Any owner"
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, empty_label="Any team", label="Owner's team"
    )
    date_from = forms.DateField(required=False, label="From", widget=DATE_INPUT)
    date_to = forms.DateField(required=False, label="to", widget=DATE_INPUT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field: Any = self.fields["owner"]
        owner_field.queryset = selectors.owner_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date must be on or after the start date.")
        return data

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) in the current time zone, the end date included; None when not set."""
        data = self.cleaned_data if self.is_bound and not self.errors else {}
        start = data.get("date_from")
        end = data.get("date_to")
        return (
            day_start(start) if start else None,
            day_start(end + timedelta(days=1)) if end else None,
        )

    def value(self, name: str) -> Any:
        data = self.cleaned_data if self.is_bound and not self.errors else {}
        return data.get(name)
