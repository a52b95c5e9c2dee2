"""Ad spend pages: correcting and deleting a spend row, and the CSV import
(upload → column mapping for generic files → preview with campaign mapping → commit)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from revline.core.forms import add_service_errors
from revline.core.models import User

from . import services, spend_selectors
from . import spend_import as parsing
from .forms import AdSpendForm, ColumnMappingForm, SpendUploadForm
from .models import AdSpend, Campaign, SpendImport
from .views import _marketer


def _spend_row(campaign_pk: int, pk: int) -> AdSpend:
    return get_object_or_404(
        AdSpend.objects.select_related("campaign", "creative"), pk=pk, campaign_id=campaign_pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def spend_edit(request: HttpRequest, pk: int, spend_pk: int) -> HttpResponse:
    actor = _marketer(request)
    row = _spend_row(pk, spend_pk)
    campaign = row.campaign
    if request.method != "POST":
        form = AdSpendForm(initial=AdSpendForm.initial_from(row), campaign=campaign)
        return _edit_page(request, form, row)
    form = AdSpendForm(request.POST, campaign=campaign)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.ad_spend_update(
                actor=actor,
                ad_spend=row,
                day=data["date"],
                spend=data["spend"],
                currency=data["currency"],
                impressions=data["impressions"],
                clicks=data["clicks"],
                creative=data["creative"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Spend row saved.")
            return redirect(reverse("campaigns:detail", args=[campaign.pk]) + "#spend")
    return _edit_page(request, form, row, status=400)


def _edit_page(
    request: HttpRequest, form: AdSpendForm, row: AdSpend, status: int = 200
) -> HttpResponse:
    context = {"form": form, "row": row, "campaign": row.campaign}
    return render(request, "campaigns/spend_form.html", context, status=status)


@login_required
@require_POST
def spend_delete(request: HttpRequest, pk: int, spend_pk: int) -> HttpResponse:
    actor = _marketer(request)
    row = _spend_row(pk, spend_pk)
    services.ad_spend_delete(actor=actor, ad_spend=row)
    messages.success(request, f"Spend row of {row.date:%Y-%m-%d} deleted.")
    return redirect(reverse("campaigns:detail", args=[pk]) + "#spend")


# ---------------------------------------------------------------- import


def _draft_or_404(user: User, pk: int) -> SpendImport:
    found = spend_selectors.spend_import_get(user=user, pk=pk, committed=False)
    if found is None:
        raise Http404("No such draft import.")
    return found


@login_required
@require_http_methods(["GET", "POST"])
def spend_import_upload(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    form = SpendUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            draft = services.spend_import_start(
                actor=actor,
                file_name=upload.name or "",
                data=upload.read(parsing.MAX_FILE_BYTES + 1),
                layout=form.cleaned_data["layout"],
                default_currency=form.cleaned_data["currency"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not draft.column_map.get("mapped"):
                return redirect("campaigns:spend_import_columns", pk=draft.pk)
            return redirect("campaigns:spend_import_preview", pk=draft.pk)
    context = {
        "form": form,
        "recent": spend_selectors.recent_spend_imports(),
        "layouts": parsing.LAYOUTS,
    }
    status = 400 if form.errors else 200
    return render(request, "campaigns/spend_import.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def spend_import_columns(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    draft = _draft_or_404(actor, pk)
    step = spend_selectors.spend_import_columns(draft)
    if request.method == "POST":
        form = ColumnMappingForm(request.POST, headers=step.headers)
        if form.is_valid():
            try:
                services.spend_import_set_columns(
                    actor=actor,
                    spend_import=draft,
                    columns=form.columns(),
                    date_format=form.cleaned_data["date_format"],
                    decimal_mark=form.cleaned_data["decimal_mark"] or "",
                )
            except ValidationError as exc:
                _column_errors(form, exc)
            else:
                return redirect("campaigns:spend_import_preview", pk=draft.pk)
    else:
        options = draft.column_map.get("options") or {}
        initial = {f"col_{name}": index for name, index in step.guess.items()}
        initial["date_format"] = options.get("date_format", "iso")
        initial["decimal_mark"] = options.get("decimal_mark", "")
        form = ColumnMappingForm(initial=initial, headers=step.headers)
    context = {"form": form, "draft": draft, "step": step}
    status = 400 if form.errors else 200
    return render(request, "campaigns/spend_import_columns.html", context, status=status)


def _column_errors(form: ColumnMappingForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        target = f"col_{name}" if f"col_{name}" in form.fields else name
        form.add_error(target if target in form.fields else None, errors)


class CampaignMapForm(forms.Form):
    """One choice per platform campaign name that matched no Revline campaign."""

    def __init__(self, *args: object, unknown: list[tuple[str, str, int]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [("", "Choose…"), (str(parsing.SKIP), "Skip these rows")] + [
            (str(c.pk), c.name) for c in Campaign.objects.order_by("name").only("pk", "name")
        ]
        self.rows = []
        for index, (key, name, count) in enumerate(unknown):
            self.fields[f"map_{index}"] = forms.TypedChoiceField(
                choices=choices, coerce=int, required=False, empty_value=None, label=name
            )
            self.rows.append((key, name, count, self[f"map_{index}"]))

    def choices_by_key(self) -> dict[str, int]:
        return {
            key: self.cleaned_data[f"map_{index}"]
            for index, (key, _, _, _) in enumerate(self.rows)
            if self.cleaned_data.get(f"map_{index}") is not None
        }


@login_required
@require_http_methods(["GET", "POST"])
def spend_import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    draft = _draft_or_404(actor, pk)
    preview = spend_selectors.spend_import_preview(draft)
    if preview.needs_columns:
        return redirect("campaigns:spend_import_columns", pk=draft.pk)
    if request.method == "POST":
        map_form = CampaignMapForm(request.POST, unknown=preview.unknown)
        if map_form.is_valid():
            try:
                services.spend_import_map_campaigns(
                    actor=actor, spend_import=draft, choices=map_form.choices_by_key()
                )
            except ValidationError as exc:
                map_form.add_error(None, exc)
            else:
                return redirect("campaigns:spend_import_preview", pk=draft.pk)
        return _preview_page(request, preview, map_form, status=400)
    return _preview_page(request, preview, CampaignMapForm(unknown=preview.unknown))


def _preview_page(
    request: HttpRequest,
    preview: spend_selectors.SpendPreview,
    map_form: CampaignMapForm,
    status: int = 200,
) -> HttpResponse:
    context = {"preview": preview, "draft": preview.spend_import, "map_form": map_form}
    return render(request, "campaigns/spend_import_preview.html", context, status=status)


@login_required
@require_POST
def spend_import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    draft = _draft_or_404(actor, pk)
    try:
        done = services.spend_import_commit(actor=actor, spend_import=draft)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("campaigns:spend_import_preview", pk=draft.pk)
    created, replaced = done.column_map.get("created", 0), done.column_map.get("replaced", 0)
    messages.success(
        request,
        f"Imported “{done.file_name}”: {created} new day figure{'s' if created != 1 else ''}, "
        f"{replaced} replaced, {done.error_count} row{'s' if done.error_count != 1 else ''} "
        "left out.",
    )
    return redirect("campaigns:spend_import")


@login_required
@require_POST
def spend_import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    draft = _draft_or_404(actor, pk)
    services.spend_import_discard(actor=actor, spend_import=draft)
    messages.success(request, f"Discarded “{draft.file_name}”; nothing was imported.")
    return redirect("campaigns:spend_import")
