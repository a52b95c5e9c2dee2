from typing import Any

from django import forms

from revline.content.models import ContentItem
from revline.core.models import User
from revline.people.models import Contact

from .models import Deal
from .playbook_selectors import content_choices
from .share_services import MESSAGE_MAX, deal_contacts

LINES_HELP = "One per line."


class PlaybookForm(forms.Form):
    talk_track = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Talk track",
        help_text="What to say in this stage, in plain text.",
    )
    questions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Questions to ask",
        help_text=LINES_HELP,
    )
    tasks = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Tasks",
        help_text=LINES_HELP,
    )
    content = forms.ModelMultipleChoiceField(
        queryset=ContentItem.objects.none(), required=False, label="Recommended content"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["content"]
        field.queryset = content_choices()

    def lines(self, name: str) -> list[str]:
        return str(self.cleaned_data.get(name) or "").splitlines()


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} <{obj.email}>" if obj.email else f"{obj} (no email)"


class ShareForm(forms.Form):
    content_item = forms.ModelChoiceField(queryset=ContentItem.objects.all())
    contact = ContactChoiceField(queryset=Contact.objects.none(), empty_label=None)
    message = forms.CharField(
        required=False,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Message (optional)",
    )

    def __init__(self, *args: Any, deal: Deal, viewer: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["contact"]
        offered = deal_contacts(deal, viewer=viewer)
        field.queryset = Contact.objects.filter(pk__in=[c.pk for c in offered])
