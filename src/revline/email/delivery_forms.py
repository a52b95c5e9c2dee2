"""Forms of the deliverability area: the suppression list and topics."""

from django import forms

from .models import Topic


class SuppressionAddForm(forms.Form):
    address = forms.EmailField(
        max_length=254, label="Email address", help_text="No marketing email will go to it."
    )
    note = forms.CharField(
        max_length=150, required=False, label="Note", help_text="Optional: why it is blocked."
    )


class SuppressionRemoveForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        label="Why may this address be emailed again?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the person unsubscribed or complained. It is kept on the "
        "contact's timeline.",
    )


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "description"]
        help_texts = {
            "name": "Shown to recipients in the preference centre, e.g. Product news.",
            "description": "One line telling recipients what they get.",
        }

    def validate_unique(self) -> None:
        # The service checks the name (case-insensitive) and names the problem.
        pass
