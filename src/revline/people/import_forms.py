from typing import Any

from django import forms

from . import import_parsing as parsing
from .import_services import import_max_bytes
from .models import ContactImport, DuplicatePolicy, ImportKind


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        choices=ImportKind.choices, initial=ImportKind.CONTACTS, label="The file holds"
    )
    file = forms.FileField(
        label="CSV or Excel file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"CSV (UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab) or .xlsx, at most "
            f"{parsing.size_text(import_max_bytes())}. The first row names the columns."
        )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            parsing.file_format(upload.name or "")
        except parsing.ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        if upload.size > import_max_bytes():
            raise forms.ValidationError(
                f"The file is larger than {parsing.size_text(import_max_bytes())}."
            )
        return upload


class ImportMappingForm(forms.Form):
    """One choice per column of the file, then the options of the import."""

    duplicate_policy = forms.ChoiceField(
        choices=DuplicatePolicy.choices,
        widget=forms.RadioSelect,
        label="When a record already exists",
        help_text="Contacts are matched on email (any case), companies on domain, else name.",
    )
    tags = forms.CharField(
        required=False,
        max_length=500,
        label="Tags for every row",
        help_text="Separate tags with commas.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. trade-fair-2025"}),
    )
    declare_consent = forms.BooleanField(
        required=False,
        label="Everyone in this file agreed to receive marketing email",
        help_text="Suppressed addresses (unsubscribed, bounced, complained) never get consent.",
    )
    consent_wording = forms.CharField(
        required=False,
        max_length=500,
        label="What they agreed to",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The exact wording people saw; it is stored as the proof of consent.",
    )
    import_good_rows = forms.BooleanField(
        required=False,
        label="Import the good rows even if some rows are bad",
        help_text="Otherwise nothing is imported while the dry run finds a bad row.",
    )

    def __init__(self, *args: Any, contact_import: ContactImport, **kwargs: Any) -> None:
        imp = contact_import
        initial = {
            "duplicate_policy": imp.duplicate_policy,
            "tags": ", ".join(imp.tags),
            "declare_consent": imp.consent_mode == "granted",
            "consent_wording": imp.consent_wording,
            "import_good_rows": imp.import_good_rows,
        }
        for index, header in enumerate(imp.headers):
            initial[f"col_{index}"] = imp.mapping.get(header, parsing.IGNORE)
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.headers = list(imp.headers)
        choices = parsing.target_choices(imp.kind)
        self.column_fields = []
        for index, header in enumerate(self.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(choices=choices, required=False, label=header)
            self.column_fields.append(name)
        if imp.kind != ImportKind.CONTACTS:
            del self.fields["declare_consent"]
            del self.fields["consent_wording"]

    def columns(self) -> list[forms.BoundField]:
        return [self[name] for name in self.column_fields]

    def options(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.column_fields]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "mapping": {
                header: data.get(f"col_{index}") or parsing.IGNORE
                for index, header in enumerate(self.headers)
            },
            "duplicate_policy": data["duplicate_policy"],
            "declare_consent": bool(data.get("declare_consent")),
            "consent_wording": data.get("consent_wording", ""),
            "tags": [t for t in data.get("tags", "").split(",") if t.strip()],
            "import_good_rows": bool(data.get("import_good_rows")),
        }
