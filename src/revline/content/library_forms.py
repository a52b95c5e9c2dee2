from datetime import date
from typing import Any

from django import forms

from revline.campaigns.models import Campaign
from revline.core.models import User

from .calendar import EARLIEST, LATEST
from .library_services import SUMMARY_MAX_LENGTH, status_targets
from .models import ContentItem, ContentKind, ContentStatus, FunnelStage


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        bounds = {"min": EARLIEST.isoformat(), "max": LATEST.isoformat()}
        super().__init__(attrs={**bounds, **(attrs or {})}, format="%Y-%m-%d")


class ContentItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ContentKind.choices, label="Type")
    status = forms.ChoiceField(choices=ContentStatus.choices, initial=ContentStatus.IDEA)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, help_text="The campaign it serves"
    )
    publish_date = forms.DateField(
        required=False,
        widget=DateInput,
        label="Publish date",
        help_text="Planned or actual day; needed once scheduled",
    )
    persona = forms.CharField(
        max_length=100, required=False, help_text="Who it is written for, e.g. Head of Sales"
    )
    funnel_stage = forms.ChoiceField(
        choices=[("", "—"), *FunnelStage.choices], required=False, label="Funnel stage"
    )
    url = forms.URLField(
        max_length=2000,
        required=False,
        label="URL",
        assume_scheme="https",
        help_text="Where it lives; page views on this address are credited to the item",
    )
    summary = forms.CharField(
        max_length=SUMMARY_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, item: ContentItem | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        campaign = self.fields["campaign"]
        status = self.fields["status"]
        assert isinstance(owner, forms.ModelChoiceField)
        assert isinstance(campaign, forms.ModelChoiceField)
        assert isinstance(status, forms.ChoiceField)
        owner.queryset = User.objects.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        )
        campaign.queryset = Campaign.objects.order_by("name")
        if item is not None:
            allowed = [item.status, *status_targets(item.status)]
            status.choices = [(s, ContentStatus(s).label) for s in allowed]
            status.help_text = "Steps forward one at a time; in review or scheduled can go back"
        self.fields["url"].widget.attrs["placeholder"] = "https://example.com/blog/post"

    @staticmethod
    def initial_from(item: ContentItem) -> dict[str, Any]:
        return {
            "title": item.title,
            "kind": item.kind,
            "status": item.status,
            "owner": item.owner_id,
            "campaign": item.campaign_id,
            "publish_date": item.publish_date,
            "persona": item.persona,
            "funnel_stage": item.funnel_stage,
            "url": item.url,
            "summary": item.summary,
        }


class MoveForm(forms.Form):
    publish_date = forms.DateField(widget=DateInput, label="Move to")
    next = forms.CharField(max_length=2000, required=False)

    def clean_publish_date(self) -> date:
        day: date = self.cleaned_data["publish_date"]
        if not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(f"Choose a date between {EARLIEST.year} and {LATEST.year}.")
        return day


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ContentStatus.choices)
