from django import forms

from .models import ReceivedVia


class RequestForm(forms.Form):
    received_via = forms.ChoiceField(
        choices=ReceivedVia.choices, initial=ReceivedVia.EMAIL, label="Received by"
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Note"
    )


class ErasureForm(RequestForm):
    confirm = forms.BooleanField(
        label="I understand that this deletes the person and everything about them, for good",
        error_messages={"required": "Tick the box to confirm the erasure."},
    )
