from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from revline.core.models import User
from revline.segments.models import Segment

from . import spend_import as parsing
from .currencies import currency_error
from .models import Campaign, CampaignStatus, Channel, Creative, Objective, SpendSource

MAX_GOAL_COUNT = 10_000_000
MAX_COUNT = parsing.MAX_COUNT
MAX_MONEY = parsing.MAX_SPEND

MAIN_FIELDS = (
    "name",
    "objective",
    "channel",
    "status",
    "owner",
    "start_date",
    "end_date",
    "budget",
    "currency",
    "audience",
    "audience_segment",
    "description",
)
GOAL_FIELDS = ("goal_leads", "goal_mqls", "goal_sqls", "goal_pipeline", "goal_revenue")
UTM_HELP = {
    "utm_source": "Where the traffic comes from, e.g. google, linkedin, newsletter.",
    "utm_medium": "The kind of traffic, e.g. cpc, email, organic.",
    "utm_campaign": "Defaults to a slug of the campaign name.",
    "utm_content": "Tells apart ads or links of the same campaign (optional).",
    "utm_term": "Paid keywords (optional).",
}


class DateInput(forms.DateInput):
    input_type = "date"


def _currency(value: str) -> str:
    code = value.strip().upper()
    if (reason := currency_error(code)) is not None:
        raise forms.ValidationError(reason)
    return code


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    objective = forms.ChoiceField(choices=Objective.choices, initial=Objective.LEADS)
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
    audience = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Who the campaign is for, e.g. “IT leads at logistics firms, 50–500 staff”.",
    )
    audience_segment = forms.ModelChoiceField(
        queryset=Segment.objects.none(),
        required=False,
        label="Audience segment",
        empty_label="No segment",
        help_text="The contacts this campaign targets, as a live segment.",
    )
    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    goal_leads = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_GOAL_COUNT, label="Leads"
    )
    goal_mqls = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_GOAL_COUNT, label="MQLs"
    )
    goal_sqls = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_GOAL_COUNT, label="SQLs"
    )
    goal_pipeline = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        label="Pipeline",
        help_text="Deal value, in the workspace currency.",
    )
    goal_revenue = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        label="Won revenue",
        help_text="In the workspace currency.",
    )
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
        segment = self.fields["audience_segment"]
        assert isinstance(segment, forms.ModelChoiceField)
        segment.queryset = Segment.objects.order_by("name")
        for name, text in UTM_HELP.items():
            self.fields[name].help_text = text
            self.fields[name].widget.attrs["autocomplete"] = "off"

    @classmethod
    def initial_from(cls, campaign: Campaign) -> dict[str, Any]:
        names = [*MAIN_FIELDS, *GOAL_FIELDS, *UTM_HELP]
        initial = {name: getattr(campaign, name) for name in names if name != "owner"}
        initial["owner"] = campaign.owner_id
        initial["audience_segment"] = campaign.audience_segment_id
        return initial

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in MAIN_FIELDS]

    def utm_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in UTM_HELP]

    def goal_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in GOAL_FIELDS]

    def clean_currency(self) -> str:
        return _currency(self.cleaned_data["currency"])

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


class AdSpendForm(forms.Form):
    """One day's spend and reach, entered by hand."""

    date = forms.DateField(widget=DateInput)
    spend = forms.DecimalField(min_value=0, max_value=MAX_MONEY, max_digits=14, decimal_places=2)
    currency = forms.CharField(
        max_length=3, help_text="Must be the campaign's currency (Revline does not convert)."
    )
    impressions = forms.IntegerField(min_value=0, max_value=MAX_COUNT, initial=0, required=False)
    clicks = forms.IntegerField(min_value=0, max_value=MAX_COUNT, initial=0, required=False)
    creative = forms.ModelChoiceField(
        queryset=Creative.objects.none(), required=False, empty_label="(whole campaign)"
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        creative = self.fields["creative"]
        assert isinstance(creative, forms.ModelChoiceField)
        creative.queryset = Creative.objects.filter(campaign=campaign).order_by("name")
        if not self.is_bound and not self.initial.get("currency"):
            self.initial["currency"] = campaign.currency

    def clean_currency(self) -> str:
        return _currency(self.cleaned_data["currency"])

    def clean_impressions(self) -> int:
        return self.cleaned_data.get("impressions") or 0

    def clean_clicks(self) -> int:
        return self.cleaned_data.get("clicks") or 0

    @classmethod
    def initial_from(cls, row: Any) -> dict[str, Any]:
        return {
            "date": row.date,
            "spend": row.spend,
            "currency": row.currency,
            "impressions": row.impressions,
            "clicks": row.clicks,
            "creative": row.creative_id,
        }


LAYOUT_CHOICES = [
    ("auto", "Recognise automatically"),
    (SpendSource.GOOGLE_ADS, "Google Ads"),
    (SpendSource.META_ADS, "Meta Ads Manager"),
    (SpendSource.LINKEDIN_ADS, "LinkedIn Campaign Manager"),
    (SpendSource.GENERIC, "Other (CSV): map the columns myself"),
]


class SpendUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV export",
        help_text=f"At most {parsing.MAX_FILE_BYTES // 1024 // 1024} MB and "
        f"{parsing.MAX_ROWS:,} rows; UTF-8 or UTF-16, comma, semicolon or tab separated.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}),
    )
    layout = forms.ChoiceField(choices=LAYOUT_CHOICES, initial="auto", label="Layout")
    currency = forms.CharField(
        max_length=3,
        initial=settings.CURRENCY,
        help_text="The file's currency when it has no currency column.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > parsing.MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                f"{parsing.MAX_FILE_BYTES // 1024 // 1024} MB. Export a shorter date range."
            )
        return upload

    def clean_currency(self) -> str:
        return _currency(self.cleaned_data["currency"])


DECIMAL_CHOICES = [
    ("", "Work it out from the file"),
    (".", "Point: 1,234.50"),
    (",", "Comma: 1.234,50"),
]
MAPPABLE = ("date", "campaign", "spend", "impressions", "clicks", "currency", "creative")


class ColumnMappingForm(forms.Form):
    """Which column of a generic file holds which figure; choices are column positions."""

    date_format = forms.ChoiceField(
        choices=[(key, label) for key, (_, label) in parsing.DATE_FORMATS.items()],
        label="Date format",
    )
    decimal_mark = forms.ChoiceField(choices=DECIMAL_CHOICES, required=False, label="Decimal mark")

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = [("", "(not in the file)")] + [
            (str(index), f"{index + 1}: {header[:60] or '(no header)'}")
            for index, header in enumerate(headers)
        ]
        for name in MAPPABLE:
            self.fields[f"col_{name}"] = forms.TypedChoiceField(
                choices=options,
                coerce=int,
                empty_value=None,
                required=name in parsing.GENERIC_REQUIRED,
                label=parsing.FIELD_LABELS[name],
            )

    def columns(self) -> dict[str, int | None]:
        return {name: self.cleaned_data.get(f"col_{name}") for name in MAPPABLE}

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{name}"] for name in MAPPABLE]
