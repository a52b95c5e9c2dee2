from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from revline.core.models import Team, User
from revline.people.models import Company, Contact

from . import board, selectors
from .models import (
    ActivityKind,
    CloseReason,
    CommitteeRole,
    Competitor,
    Deal,
    DealStatus,
    ForecastCategory,
    Pipeline,
    Stage,
    StageKind,
)
from .services import ATTACHMENT_MAX_BYTES
from .stages import StageLinesError, parse_stage_lines

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.pipeline.name} · {obj.name}"


class DealFilterForm(forms.Form):
    """The filters of the deal list and the pipeline board (they share their query string)."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.all(), required=False, empty_label="All pipelines"
    )
    stage = StageChoiceField(
        queryset=selectors.stages_with_pipeline(), required=False, empty_label="All stages"
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *DealStatus.choices], required=False)
    owner = UserChoiceField(queryset=User.objects.none(), required=False, empty_label="Any owner")
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(), required=False, empty_label="Any team", label="Owner's team"
    )
    period = forms.ChoiceField(
        choices=[("", "Any close date"), *board.CLOSE_PERIODS],
        required=False,
        label="Close period",
    )
    close_from = forms.DateField(required=False, label="Expected close from", widget=DATE_INPUT)
    close_to = forms.DateField(required=False, label="to", widget=DATE_INPUT)
    amount_min = forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_digits=16,
        decimal_places=2,
        label="Amount from",
        widget=forms.NumberInput(attrs={"placeholder": "Min", "step": "any", "min": "0"}),
    )
    amount_max = forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_digits=16,
        decimal_places=2,
        label="Amount to",
        widget=forms.NumberInput(attrs={"placeholder": "Max", "step": "any", "min": "0"}),
    )

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        owner_field: Any = self.fields["owner"]
        owner_field.queryset = selectors.owner_choices()
        currency = settings.CURRENCY
        self.fields["amount_min"].label = f"Amount ({currency}) from"
        self.fields["amount_max"].label = f"Amount ({currency}) to"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        span = board.close_period_range(data.get("period") or "", self.today)
        if span is not None:
            # A named period wins over dates typed before it was chosen.
            data["close_from"], data["close_to"] = span
        start, end = data.get("close_from"), data.get("close_to")
        if start and end and start > end:
            self.add_error("close_to", "The end date must be on or after the start date.")
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", "The maximum must be at least the minimum.")
        return data

    def filters(self) -> dict[str, Any]:
        """The valid filters only: a bad value is reported on the form and otherwise ignored."""
        data = self.cleaned_data if self.is_bound else {}
        keys = (
            "pipeline",
            "stage",
            "status",
            "owner",
            "team",
            "close_from",
            "close_to",
            "amount_min",
            "amount_max",
        )
        return {key: data[key] for key in keys if data.get(key) not in (None, "")}


class LookupInput(forms.Widget):
    """A search-as-you-type picker: a visible text box and a hidden id.

    Suggestions come from an htmx GET to `lookup_url`; picking one fills the hidden id. Typing
    again clears the id, so a half-edited name is never saved as the old record.
    """

    template_name = "sales/widgets/lookup.html"

    def __init__(self, *, lookup_url_name: str, placeholder: str) -> None:
        super().__init__()
        self.lookup_url_name = lookup_url_name
        self.placeholder = placeholder
        self.label = ""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"].update(
            label=self.label,
            lookup_url=reverse(self.lookup_url_name),
            placeholder=self.placeholder,
        )
        return context

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_label" if id_ else id_

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


def _lookup_field(model: type[Any], url_name: str, placeholder: str, noun: str) -> Any:
    return forms.ModelChoiceField(
        queryset=model.objects.all(),
        required=False,
        widget=LookupInput(lookup_url_name=url_name, placeholder=placeholder),
        error_messages={"invalid_choice": f"Pick a {noun} from the suggestions."},
    )


class DealForm(forms.Form):
    """Edit a deal's properties. The pipeline and stage change through moves, not here."""

    name = forms.CharField(max_length=200)
    contact = _lookup_field(Contact, "sales:lookup_contacts", "Type a name or email…", "contact")
    company = _lookup_field(Company, "sales:lookup_companies", "Type a company name…", "company")
    amount = forms.DecimalField(
        min_value=Decimal("0"), max_digits=14, decimal_places=2, initial=Decimal("0")
    )
    currency = forms.CharField(
        max_length=3,
        min_length=3,
        validators=[RegexValidator(r"^[A-Za-z]{3}$", "Use a 3-letter currency code, e.g. EUR.")],
        help_text="3-letter ISO code, e.g. EUR, USD, GBP.",
    )
    expected_close_date = forms.DateField(required=False, widget=DATE_INPUT)
    owner = UserChoiceField(queryset=User.objects.none(), required=False, empty_label="Me")

    lookup_fields = ("contact", "company")

    def __init__(self, *args: Any, actor: User, deal: Deal | None = None, **kwargs: Any) -> None:
        if deal is not None:
            kwargs["initial"] = {**deal_initial(deal), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = settings.CURRENCY
        owner_field: Any = self.fields["owner"]
        owner_field.queryset = selectors.assignable_owners(actor, keep=deal.owner if deal else None)
        if deal is None:
            owner_field.help_text = "Leave on “Me” to own the deal yourself."
        else:
            owner_field.empty_label = "Nobody"
        # Only records the actor may see; a deal keeps the contact and company it already has.
        choices: dict[str, Any] = {
            "contact": selectors.contact_choices(
                actor, keep=deal.contact_id if deal is not None else None
            ),
            "company": selectors.company_choices(
                actor, keep=deal.company_id if deal is not None else None
            ),
        }
        self.hidden_labels = selectors.hidden_related_labels(actor, deal) if deal else {}
        for name in self.lookup_fields:
            field: Any = self.fields[name]
            field.queryset = choices[name]
            field.widget.label = self._lookup_label(name)

    def _lookup_label(self, name: str) -> str:
        if self.is_bound:
            return str(self.data.get(f"{name}_label", ""))[:200]
        if name in self.hidden_labels:
            return self.hidden_labels[name]
        value = self.initial.get(name)
        return str(value) if value is not None else ""

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the deal a name.")
        return name

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.lookup_fields:
            typed = str(self.data.get(f"{name}_label", "")).strip()
            if name in data and data[name] is None and typed:
                self.add_error(name, f"Pick a {name} from the suggestions, or clear the field.")
        return data


class DealCreateForm(DealForm):
    # Optional only for a fresh workspace: the standard pipeline is created with its first deal.
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.all(), required=False, empty_label="Default pipeline"
    )
    stage = StageChoiceField(
        queryset=selectors.stages_with_pipeline().filter(kind=StageKind.OPEN),
        required=False,
        empty_label="First stage",
        help_text="Where the deal starts; the pipeline's first stage if left empty.",
    )

    field_order = ["name", "pipeline", "stage", "contact", "company", "amount", "currency"]

    def __init__(self, *args: Any, default_pipeline: Pipeline | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if default_pipeline is not None:
            self.fields["pipeline"].initial = default_pipeline.pk

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        pipeline, stage = data.get("pipeline"), data.get("stage")
        if pipeline is not None and stage is not None and stage.pipeline_id != pipeline.pk:
            self.add_error(
                "stage", f"“{stage.name}” is not a stage of the {pipeline.name} pipeline."
            )
        return data


def deal_initial(deal: Deal) -> dict[str, Any]:
    return {
        "name": deal.name,
        "contact": deal.contact,
        "company": deal.company,
        "amount": deal.amount,
        "currency": deal.currency,
        "expected_close_date": deal.expected_close_date,
        "owner": deal.owner,
    }


def changed_deal_fields(deal: Deal, data: dict[str, Any]) -> dict[str, Any]:
    """Only what the form changed, so an edit never rewrites fields it did not show."""
    editable = deal_initial(deal)
    return {key: value for key, value in data.items() if key in editable and value != editable[key]}


class MoveStageForm(forms.Form):
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(),
        error_messages={"invalid_choice": "Pick one of this pipeline's open stages."},
    )

    def __init__(self, *args: Any, deal: Deal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stage_field: Any = self.fields["stage"]
        stage_field.queryset = deal.pipeline.stages.filter(kind=StageKind.OPEN)


class CloseDealForm(forms.Form):
    """Won or lost, with a reason from the workspace's list, the competitor lost to and a note.

    A reason is required whenever the list has active reasons of that outcome; with an empty
    list the note carries the reason.
    """

    outcome = forms.ChoiceField(
        choices=[("won", "Won"), ("lost", "Lost")],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether the deal was won or lost.",
            "invalid_choice": "Choose whether the deal was won or lost.",
        },
    )
    reason = forms.ModelChoiceField(
        queryset=CloseReason.objects.none(),
        required=False,
        error_messages={"invalid_choice": "Pick a reason from the list."},
    )
    lost_to = forms.ModelChoiceField(
        queryset=Competitor.objects.all(),
        required=False,
        label="Lost to",
        empty_label="No competitor / unknown",
        error_messages={"invalid_choice": "Pick a competitor from the list."},
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What should the team learn from this deal?",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Own ids: the deal page also holds the forms of htmx panels (note, reason, …).
        kwargs.setdefault("auto_id", "close_%s")
        super().__init__(*args, **kwargs)
        self.reasons = list(selectors.close_reason_choices())
        reason_field: Any = self.fields["reason"]
        reason_field.queryset = selectors.close_reason_choices()
        groups = [
            (label, [(r.pk, r.name) for r in self.reasons if r.kind == kind])
            for kind, label in (("won", "Won"), ("lost", "Lost"))
        ]
        reason_field.choices = [("", "Choose a reason…"), *[g for g in groups if g[1]]]
        if not self.reasons:
            reason_field.help_text = "No reasons are set up: say why in the note."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        outcome, reason = data.get("outcome"), data.get("reason")
        if outcome is None:
            return data
        if reason is not None and reason.kind != outcome:
            self.add_error("reason", f"“{reason.name}” is a reason for {reason.kind} deals.")
        elif reason is None and "reason" not in self.errors:
            if any(r.kind == outcome for r in self.reasons):
                self.add_error("reason", f"Pick the reason the deal was {outcome}.")
            elif not data.get("note", "").strip():
                self.add_error("note", "Say why the deal was won or lost.")
        if outcome == "won" and data.get("lost_to") is not None:
            self.add_error("lost_to", "A won deal was not lost to a competitor.")
        return data


class NextStepForm(forms.Form):
    next_step = forms.CharField(
        required=False,
        max_length=200,
        label="Next step",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Send the security questionnaire"}),
        error_messages={"max_length": "Keep the next step under 200 characters."},
    )


class ForecastCategoryForm(forms.Form):
    forecast_category = forms.ChoiceField(
        choices=ForecastCategory.choices,
        label="Forecast category",
        error_messages={"invalid_choice": "Choose a forecast category from the list."},
    )


ROLE_ERRORS = {
    "required": "Pick the contact's role.",
    "invalid_choice": "Pick one of the roles: "
    + ", ".join(str(label).lower() for label in CommitteeRole.labels)
    + ".",
}


class CommitteeAddForm(forms.Form):
    """Add a contact to the buying committee; the form is prefixed "member" on the deal page."""

    contact = forms.ModelChoiceField(
        queryset=Contact.objects.all(),
        widget=LookupInput(lookup_url_name="sales:lookup_contacts", placeholder="Type a name…"),
        error_messages={
            "required": "Pick a contact from the suggestions.",
            "invalid_choice": "Pick a contact from the suggestions.",
        },
    )
    role = forms.ChoiceField(
        choices=CommitteeRole.choices, initial=CommitteeRole.INFLUENCER, error_messages=ROLE_ERRORS
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "member")
        super().__init__(*args, **kwargs)
        contact: Any = self.fields["contact"]
        contact.queryset = selectors.contact_choices(actor)
        widget: Any = contact.widget
        widget.label = (
            str(self.data.get(f"{self.add_prefix('contact')}_label", ""))[:200]
            if self.is_bound
            else ""
        )


class CommitteeRoleForm(forms.Form):
    role = forms.ChoiceField(choices=CommitteeRole.choices, error_messages=ROLE_ERRORS)


class AttachmentLinkForm(forms.Form):
    title = forms.CharField(
        required=False, max_length=200, help_text="The address is used when left empty."
    )
    url = forms.CharField(
        max_length=2000,
        label="Web address",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        error_messages={"required": "Enter the web address of the document."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "link")
        super().__init__(*args, **kwargs)


class AttachmentFileForm(forms.Form):
    title = forms.CharField(
        required=False, max_length=200, help_text="The file name is used when left empty."
    )
    file = forms.FileField(
        help_text="At most 10 MB.",
        error_messages={"required": "Choose a file to upload.", "empty": "The file is empty."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "upload")
        super().__init__(*args, **kwargs)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError("Files are at most 10 MB.")
        return upload


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=ActivityKind.choices, initial=ActivityKind.CALL)
    subject = forms.CharField(max_length=200)
    occurred_at = forms.DateTimeField(
        required=False,
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Now if left empty.",
    )
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Notes")

    def clean_subject(self) -> str:
        subject = self.cleaned_data["subject"].strip()
        if not subject:
            raise forms.ValidationError("Say what happened in a few words.")
        return subject


STAGES_HELP = (
    "One open stage per line, written “Name, probability”, e.g. “Discovery, 25”. "
    "The Won (100 %) and Lost (0 %) stages are added automatically."
)


class PipelineCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    stages = forms.CharField(
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "Qualification, 10\nDemo, 40\nProposal, 60"}
        ),
        help_text=STAGES_HELP,
        label="Open stages",
    )
    is_default = forms.BooleanField(required=False, label="Make it the default pipeline")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Pipeline.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("A pipeline with this name already exists.")
        return name

    def clean_stages(self) -> list[tuple[str, int]]:
        try:
            return parse_stage_lines(self.cleaned_data["stages"])
        except StageLinesError as exc:
            raise forms.ValidationError(exc.errors) from exc


class PipelineEditForm(forms.Form):
    """The pipeline's name, and a name and probability field per stage (closing stages: name only)."""

    name = forms.CharField(max_length=100, label="Pipeline name")
    stale_after_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        required=False,  # left out: unchanged
        label="Stale after (days)",
        help_text="The board flags an open deal that stays longer than this in one stage.",
    )

    def __init__(
        self, *args: Any, pipeline: Pipeline, stages: QuerySet[Stage], **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {})["name"] = pipeline.name
        kwargs["initial"]["stale_after_days"] = pipeline.stale_after_days
        super().__init__(*args, **kwargs)
        self.pipeline = pipeline
        self.stages = list(stages)
        self.stage_rows: list[dict[str, Any]] = []
        for stage in self.stages:
            name_key, probability_key = f"stage_{stage.pk}_name", f"stage_{stage.pk}_probability"
            label = f"Stage {stage.position + 1} name"
            self.fields[name_key] = forms.CharField(
                max_length=100,
                initial=stage.name,
                label=label,
                widget=forms.TextInput(attrs={"aria-label": label}),
            )
            if stage.kind == StageKind.OPEN:
                label = f"Stage {stage.position + 1} probability"
                self.fields[probability_key] = forms.IntegerField(
                    min_value=0,
                    max_value=100,
                    initial=stage.probability,
                    label=label,
                    widget=forms.NumberInput(attrs={"aria-label": label}),
                )
            self.stage_rows.append(
                {
                    "stage": stage,
                    "name": self[name_key],
                    "probability": self[probability_key] if stage.kind == StageKind.OPEN else None,
                }
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        names = {s.pk: str(data.get(f"stage_{s.pk}_name") or "").strip() for s in self.stages}
        by_name: dict[str, list[Stage]] = {}
        for stage in self.stages:
            if names[stage.pk]:
                by_name.setdefault(names[stage.pk].lower(), []).append(stage)
        for same in by_name.values():
            if len(same) < 2:
                continue
            # Blame the stages that were renamed, not the one that already had the name.
            renamed = [s for s in same if names[s.pk] != s.name] or same[1:]
            for stage in renamed:
                self.add_error(
                    f"stage_{stage.pk}_name", f"“{names[stage.pk]}” is used by another stage."
                )
        return data

    def stage_changes(self) -> dict[int, tuple[str, int]]:
        data = self.cleaned_data
        return {
            stage.pk: (
                data[f"stage_{stage.pk}_name"].strip(),
                data.get(f"stage_{stage.pk}_probability", stage.probability),
            )
            for stage in self.stages
        }
