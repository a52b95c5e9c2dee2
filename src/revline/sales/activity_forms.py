from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet

from revline.core.models import User

from .models import ActivityKind

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

REMINDERS: dict[str, timedelta | None] = {
    "": None,
    "0": timedelta(0),
    "15": timedelta(minutes=15),
    "60": timedelta(hours=1),
    "1440": timedelta(days=1),
}
REMINDER_CHOICES = [
    ("", "No reminder"),
    ("0", "At the due time"),
    ("15", "15 minutes before"),
    ("60", "1 hour before"),
    ("1440", "1 day before"),
]


class AssigneeField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class ActivityPanelForm(forms.Form):
    """Log something that happened ("log") or plan something to do ("plan")."""

    # Set by the submit button pressed ("Log it" / "Plan it"); Enter logs.
    action = forms.ChoiceField(
        choices=[("log", "Log"), ("plan", "Plan")], required=False, widget=forms.HiddenInput
    )
    kind = forms.ChoiceField(choices=ActivityKind.choices, initial=ActivityKind.CALL)
    subject = forms.CharField(max_length=200)
    when = forms.DateTimeField(
        required=False,
        label="When / due",
        widget=DATETIME_INPUT,
        help_text="Logging: when it happened (now if empty). Planning: when it is due.",
    )
    assigned_to = AssigneeField(
        queryset=User.objects.none(), required=False, empty_label="Me", label="Assigned to"
    )
    reminder = forms.ChoiceField(choices=REMINDER_CHOICES, required=False)
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Notes")

    def __init__(self, *args: Any, assignees: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["assigned_to"]
        field.queryset = assignees

    def clean_subject(self) -> str:
        subject = self.cleaned_data["subject"].strip()
        if not subject:
            raise forms.ValidationError("Say in a few words what it is about.")
        return subject

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["action"] = data.get("action") or "log"
        if data["action"] == "plan":
            if not data.get("when") and "when" not in self.errors:
                self.add_error("when", "Give a due date and time to plan it.")
            if data.get("kind") == ActivityKind.NOTE:
                self.add_error("kind", "Notes are logged, not planned.")
        elif data.get("reminder") or data.get("assigned_to"):
            self.add_error(
                "reminder" if data.get("reminder") else "assigned_to",
                "Only planned activities have an assignee and a reminder: use “Plan”.",
            )
        return data

    def remind_at(self) -> datetime | None:
        offset = REMINDERS.get(self.cleaned_data.get("reminder") or "")
        when = self.cleaned_data.get("when")
        return when - offset if offset is not None and when else None


class CompleteForm(forms.Form):
    outcome = forms.CharField(max_length=200, required=False, label="Outcome")
