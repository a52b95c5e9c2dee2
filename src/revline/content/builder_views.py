"""Form builder pages for the team: forms list, settings, fields and their order, embed codes."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from revline.core import permissions
from revline.core.audience import sees_whole_audience
from revline.core.listing import Column, build_listing
from revline.core.models import User
from revline.tracking.services import UTM_KEYS

from . import builder_selectors, builder_services
from .builder_forms import FormFieldForm, FormSettingsForm, SubmissionForm
from .models import Form, FormField

COLUMNS = [
    Column("name", "Form", "name"),
    Column("campaign", "Campaign", "campaign__name"),
    Column("fields", "Fields", "field_count"),
    Column("submissions", "Submissions", "submission_count"),
    Column("rejected", "Refused", "rejected_count"),
    Column("updated", "Updated", "updated_at"),
]


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.can_manage_marketing(user), "Only marketers and admins build forms."
    )
    return user


def _apply_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@login_required
@require_GET
def form_list(request: HttpRequest) -> HttpResponse:
    listing = build_listing(
        request,
        builder_selectors.forms_with_counts(audience=sees_whole_audience(request.user)),  # type: ignore[arg-type]
        columns=COLUMNS,
        search_fields=("name",),
        filters={"campaign": "campaign_key"},
        default_sort="name",
    )
    context = {
        "listing": listing,
        "campaigns": builder_selectors.form_campaigns(),
        "filtered": any(listing.params.get(k) for k in ("q", "campaign")),
    }
    return render(request, "content/forms_list.html", context)


def _embed_codes(form: Form, fields: list[FormField]) -> dict[str, str]:
    base = settings.BASE_URL
    snippet = render_to_string(
        "content/form_snippet.html",
        {
            "form": form,
            "fields": fields,
            "utm_keys": UTM_KEYS,
            "action": f"{base}/f/{form.embed_key}",
        },
    )
    return {
        "script": f'<script src="{base}/f/{form.embed_key}.js" async></script>',
        "html": snippet.strip(),
    }


def _detail_page(
    request: HttpRequest, form: Form, field_form: FormFieldForm | None = None, status: int = 200
) -> HttpResponse:
    detail = builder_selectors.form_detail(form, viewer=request.user)  # type: ignore[arg-type]
    context = {
        "builder_form": form,
        "detail": detail,
        "field_form": field_form or FormFieldForm(),
        "embed": _embed_codes(form, detail.fields),
        "preview_form": SubmissionForm(form=form, fields=detail.fields, auto_id="preview_%s"),
        "pages": form.landing_pages.order_by("title"),
        "base_url": settings.BASE_URL,
    }
    return render(request, "content/forms_detail.html", context, status=status)


@login_required
@require_GET
def form_detail(request: HttpRequest, pk: int) -> HttpResponse:
    form = get_object_or_404(Form.objects.select_related("campaign"), pk=pk)
    return _detail_page(request, form)


def _settings_page(
    request: HttpRequest, settings_form: FormSettingsForm, form: Form | None, status: int = 200
) -> HttpResponse:
    context = {"settings_form": settings_form, "builder_form": form}
    return render(request, "content/forms_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def form_create(request: HttpRequest) -> HttpResponse:
    actor = _marketer(request)
    if request.method != "POST":
        campaign = request.GET.get("campaign", "")
        initial = {"campaign": int(campaign)} if campaign.isdigit() and len(campaign) < 12 else {}
        return _settings_page(request, FormSettingsForm(initial=initial), None)
    settings_form = FormSettingsForm(request.POST)
    if settings_form.is_valid():
        try:
            saved = builder_services.form_create(actor=actor, form=settings_form.instance)
        except ValidationError as exc:
            _apply_errors(settings_form, exc)
        else:
            messages.success(request, f"Form “{saved.name}” created. Add its fields below.")
            return redirect("content:form_detail", pk=saved.pk)
    return _settings_page(request, settings_form, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def form_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    form = get_object_or_404(Form, pk=pk)
    if request.method != "POST":
        return _settings_page(request, FormSettingsForm(instance=form), form)
    # A fresh copy takes the edit, so a refused one leaves `form` (the heading) as stored.
    settings_form = FormSettingsForm(request.POST, instance=Form.objects.get(pk=form.pk))
    if settings_form.is_valid():
        try:
            saved = builder_services.form_update(actor=actor, form=settings_form.instance)
        except ValidationError as exc:
            _apply_errors(settings_form, exc)
        else:
            messages.success(request, f"Form “{saved.name}” saved.")
            return redirect("content:form_detail", pk=saved.pk)
    return _settings_page(request, settings_form, form, status=400)


def _save_field(field_form: FormFieldForm, actor: User) -> FormField | None:
    if not field_form.is_valid():
        return None
    field = field_form.instance
    field.options = field_form.cleaned_data["options_text"]
    try:
        return builder_services.form_field_save(actor=actor, field=field)
    except ValidationError as exc:
        _apply_errors(field_form, exc)
        return None


@login_required
@require_POST
def field_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _marketer(request)
    form = get_object_or_404(Form, pk=pk)
    field_form = FormFieldForm(request.POST, instance=FormField(form=form))
    if (saved := _save_field(field_form, actor)) is not None:
        messages.success(request, f"Field “{saved.label}” added.")
        return redirect("content:form_detail", pk=form.pk)
    return _detail_page(request, form, field_form, status=400)


def _form_field(pk: int, field_pk: int) -> FormField:
    return get_object_or_404(FormField.objects.select_related("form"), pk=field_pk, form_id=pk)


@login_required
@require_http_methods(["GET", "POST"])
def field_edit(request: HttpRequest, pk: int, field_pk: int) -> HttpResponse:
    actor = _marketer(request)
    field = _form_field(pk, field_pk)
    status = 200
    if request.method == "POST":
        field_form = FormFieldForm(request.POST, instance=FormField.objects.get(pk=field.pk))
        if (saved := _save_field(field_form, actor)) is not None:
            messages.success(request, f"Field “{saved.label}” saved.")
            return redirect("content:form_detail", pk=pk)
        status = 400
    else:
        field_form = FormFieldForm(instance=field)
    context = {"field_form": field_form, "field": field, "builder_form": field.form}
    return render(request, "content/forms_field_edit.html", context, status=status)


@login_required
@require_POST
def field_delete(request: HttpRequest, pk: int, field_pk: int) -> HttpResponse:
    actor = _marketer(request)
    field = _form_field(pk, field_pk)
    try:
        builder_services.form_field_delete(actor=actor, field=field)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Field “{field.label}” removed.")
    return redirect("content:form_detail", pk=pk)


@login_required
@require_POST
def field_move(request: HttpRequest, pk: int, field_pk: int) -> HttpResponse:
    actor = _marketer(request)
    field = _form_field(pk, field_pk)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        return HttpResponse("Direction must be up or down.", status=400, content_type="text/plain")
    builder_services.form_field_move(actor=actor, field=field, offset=offset)
    return redirect("content:form_detail", pk=pk)
