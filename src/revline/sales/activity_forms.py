from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from revline.core.models import User

from .models import Activity, ActivityKind

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


def _to_minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


class ActivityEditForm(forms.Form):
    """Change an activity: the logging fields; a planned one also has its assignee and reminder.

    A time left as shown (the browser sends minutes only) keeps the stored one, so that saving
    an unchanged form never moves the activity or re-arms a reminder already sent."""

    kind = forms.ChoiceField(choices=ActivityKind.choices)
    subject = forms.CharField(max_length=200)
    when = forms.DateTimeField(label="When", widget=DATETIME_INPUT)
    assigned_to = AssigneeField(queryset=User.objects.none(), label="Assigned to")
    reminder = forms.ChoiceField(choices=REMINDER_CHOICES, required=False)
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Notes")

    def __init__(
        self, *args: Any, activity: Activity, assignees: QuerySet[User], **kwargs: Any
    ) -> None:
        self.activity = activity
        self.planned = activity.due_at is not None
        when = activity.due_at if activity.due_at is not None else activity.occurred_at
        kwargs["initial"] = {
            "kind": activity.kind,
            "subject": activity.subject,
            "when": when,
            "assigned_to": activity.assigned_to_id,
            "reminder": self._reminder_initial(),
            "body": activity.body,
        }
        super().__init__(*args, **kwargs)
        if not self.planned:
            del self.fields["assigned_to"], self.fields["reminder"]
            return
        fields: Any = self.fields
        fields["when"].label = "Due"
        fields["kind"].choices = [c for c in ActivityKind.choices if c[0] != ActivityKind.NOTE]
        fields["assigned_to"].queryset = assignees
        if kwargs["initial"]["reminder"] == "keep":
            assert activity.remind_at is not None
            local = timezone.localtime(activity.remind_at)
            fields["reminder"].choices = [
                ("keep", f"As set ({local:%b %d %H:%M})"),
                *REMINDER_CHOICES,
            ]

    def _reminder_initial(self) -> str:
        activity = self.activity
        if activity.remind_at is None or activity.due_at is None:
            return ""
        for key, offset in REMINDERS.items():
            if offset is not None and activity.due_at - offset == activity.remind_at:
                return key
        return "keep"

    def clean_subject(self) -> str:
        subject = self.cleaned_data["subject"].strip()
        if not subject:
            raise forms.ValidationError("Say in a few words what it is about.")
        return subject

    def changes(self) -> dict[str, Any]:
        """The keyword arguments of activity_update for the cleaned data."""
        data = self.cleaned_data
        activity = self.activity
        stored = activity.due_at if activity.due_at is not None else activity.occurred_at
        when = data["when"] if _to_minute(data["when"]) != _to_minute(stored) else stored
        changes: dict[str, Any] = {
            "kind": data["kind"],
            "subject": data["subject"],
            "body": data["body"],
        }
        if not self.planned:
            changes["occurred_at"] = when
            return changes
        changes["due_at"] = when
        changes["assigned_to"] = data["assigned_to"]
        reminder = data.get("reminder") or ""
        if reminder == "":
            changes["clear_reminder"] = activity.remind_at is not None
        elif reminder != "keep":
            offset = REMINDERS[reminder]
            assert offset is not None
            changes["remind_at"] = when - offset
        return changes
