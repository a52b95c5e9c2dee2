"""Forms behind the board's drag and drop: a move to an open stage, and a close as won/lost."""

from typing import Any

from django import forms

from .models import CloseReason, Competitor, Stage, StageKind


class BoardMoveForm(forms.Form):
    deal = forms.IntegerField(min_value=1)
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.select_related("pipeline"),
        error_messages={"invalid_choice": "That stage does not exist any more. Reload the board."},
    )


class BoardCloseForm(forms.Form):
    deal = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        choices=[(StageKind.WON, "Won"), (StageKind.LOST, "Lost")], widget=forms.HiddenInput
    )
    reason = forms.ModelChoiceField(
        queryset=CloseReason.objects.filter(is_active=True),
        required=False,
        empty_label="Pick a reason…",
        error_messages={"invalid_choice": "Pick one of the reasons in the list."},
    )
    lost_to = forms.ModelChoiceField(
        queryset=Competitor.objects.all(),
        required=False,
        empty_label="No competitor / unknown",
        label="Lost to",
        error_messages={"invalid_choice": "Pick one of the competitors in the list."},
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        outcome, reason = data.get("outcome"), data.get("reason")
        if outcome and reason is not None and reason.kind != outcome:
            self.add_error(
                "reason", f"That reason is for {reason.get_kind_display().lower()} deals."
            )
        if outcome == StageKind.WON and data.get("lost_to") is not None:
            self.add_error("lost_to", "A won deal was not lost to a competitor.")
        no_reason = reason is None and "reason" not in self.errors
        if outcome and no_reason and not str(data.get("note") or "").strip():
            self.add_error("reason", "Pick a reason, or say why in the note.")
        return data
