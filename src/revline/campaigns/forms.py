from typing import Any

from django import forms
from django.core.validators import RegexValidator

from revline.core.models import User

from .models import Campaign, CampaignStatus, Channel

MAIN_FIELDS = (
    "name",
    "channel",
    "status",
    "owner",
    "start_date",
    "end_date",
    "budget",
    "currency",
    "description",
)
UTM_HELP = {
    "utm_source": "Where the traffic comes from, e.g. google, linkedin, newsletter.",
    "utm_medium": "The kind of traffic, e.g. cpc, email, organic.",
    "utm_campaign": "Defaults to a slug of the campaign name.",
    "utm_content": "Tells apart ads or links of the same campaign (optional).",
    "utm_term": "Paid keywords (optional).",
}


class DateInput(forms.DateInput):
    input_type = "date"


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    channel = forms.ChoiceField(choices=Channel.choices)
    status = forms.ChoiceField(choices=CampaignStatus.choices, initial=CampaignStatus.PLANNED)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    start_date = forms.DateField(required=False, widget=DateInput, label="Start")
    end_date = forms.DateField(required=False, widget=DateInput, label="End")
    budget = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, initial=0)
    currency = forms.CharField(
        max_length=3,
        validators=[RegexValidator(r"^[A-Za-z]{3}$", "Use a three-letter ISO code such as EUR.")],
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    utm_source = forms.CharField(max_length=100, required=False, label="Source")
    utm_medium = forms.CharField(max_length=100, required=False, label="Medium")
    utm_campaign = forms.CharField(max_length=100, required=False, label="Campaign")
    utm_content = forms.CharField(max_length=100, required=False, label="Content")
    utm_term = forms.CharField(max_length=100, required=False, label="Term")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = User.objects.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        )
        for name, text in UTM_HELP.items():
            self.fields[name].help_text = text
            self.fields[name].widget.attrs["autocomplete"] = "off"

    @classmethod
    def initial_from(cls, campaign: Campaign) -> dict[str, Any]:
        names = [*MAIN_FIELDS, *UTM_HELP]
        initial = {name: getattr(campaign, name) for name in names if name != "owner"}
        initial["owner"] = campaign.owner_id
        return initial

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in MAIN_FIELDS]

    def utm_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in UTM_HELP]

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date must be on or after the start date.")
        return data


class TrackedLinkForm(forms.Form):
    # A plain CharField: link_create validates the destination (http/https only) and its error
    # is shown on this field.
    destination_url = forms.CharField(
        max_length=2000,
        label="Destination URL",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/lp/offer"}),
    )
    label = forms.CharField(max_length=200, required=False, help_text="Where the link is used.")
    utm_content = forms.CharField(
        max_length=100, required=False, label="utm_content", help_text="Overrides the campaign's."
    )
    utm_term = forms.CharField(
        max_length=100, required=False, label="utm_term", help_text="Overrides the campaign's."
    )
