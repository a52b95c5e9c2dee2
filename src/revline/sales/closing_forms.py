from typing import Any

from django import forms

from .models import StageKind
from .objection_forms import ReportFilterForm


class CloseReasonForm(forms.Form):
    kind = forms.ChoiceField(choices=[(StageKind.WON, "Won"), (StageKind.LOST, "Lost")])
    name = forms.CharField(max_length=100)


class CloseReasonRenameForm(forms.Form):
    name = forms.CharField(max_length=100)


class WinLossFilterForm(ReportFilterForm):
    """Pipeline and the period the deals closed in (the analysis itself groups by owner)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["owner"], self.fields["team"]
        self.fields["date_from"].label = "Closed from"
