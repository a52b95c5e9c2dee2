"""Forms of the campaign email pages (parse input only; rules live in send_services)."""

from typing import Any

from django import forms

from revline.campaigns.models import Campaign
from revline.segments.models import Segment

from .models import Email, EmailTemplate, Topic
from .send_services import EDITABLE_FIELDS, MAX_RATE


class EmailForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="For you; recipients never see it.")
    template = forms.ModelChoiceField(
        queryset=EmailTemplate.objects.order_by("name"),
        help_text="Its subject and content are copied into the email until it is sent.",
    )
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.order_by("name"),
        label="Recipients (segment)",
        required=False,
        help_text="Only contacts with marketing consent who are not suppressed receive it.",
    )
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.order_by("name"),
        required=False,
        help_text="Contacts who left this topic in the preference centre are skipped.",
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.order_by("name"),
        required=False,
        help_text="Opens and clicks count as touchpoints of this campaign.",
    )
    from_name = forms.CharField(max_length=100, required=False, label="From name")
    from_email = forms.EmailField(required=False, label="From address")
    reply_to = forms.EmailField(required=False, label="Reply-to address")
    rate_per_minute = forms.IntegerField(
        min_value=0,
        max_value=MAX_RATE,
        initial=600,
        label="Sending rate (messages a minute)",
        help_text="0 sends as fast as the mail server accepts.",
    )

    @staticmethod
    def initial_from(email: Email) -> dict[str, Any]:
        return {name: getattr(email, name) for name in EDITABLE_FIELDS}


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label="Send at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class TestSendForm(forms.Form):
    to = forms.EmailField(label="Send a test to")
    contact = forms.EmailField(
        required=False,
        label="Personalise as contact (email)",
        help_text="Leave empty to use a sample contact.",
    )
