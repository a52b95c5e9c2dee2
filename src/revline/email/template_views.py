"""Template editor pages (/email/templates/), live preview, test send, and the email settings."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from revline.core import permissions
from revline.core.listing import Column, build_listing
from revline.core.models import User
from revline.core.workspace import workspace_get

from . import template_selectors, template_services
from .backends import outbox_active
from .models import EmailTemplate, TemplateFormat
from .rendering import RenderError, sanitize_body
from .template_blocks import BLOCK_TYPES, clean_blocks
from .template_forms import (
    EmailSettingsForm,
    TemplateForm,
    TestSendForm,
    block_rows,
    blocks_apply_action,
    blocks_from_post,
)

COLUMNS = [
    Column("name", "Template", "name"),
    Column("format", "Body", "body_format"),
    Column("emails", "Used by", "email_count"),
    Column("updated", "Updated", "updated_at"),
]
TEST_SEND_RATE = "20/h"
TEMPLATE_FIELDS = ("name", "subject", "preheader", "body_format", "html")
PREVIEW_WIDTHS = ("desktop", "mobile")


def _marketer(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    permissions.require(
        permissions.can_manage_marketing(user), "Only marketers and admins work on email."
    )
    return user


def _common() -> dict[str, Any]:
    return {"outbox_active": outbox_active()}


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    _marketer(request)
    listing = build_listing(
        request,
        template_selectors.template_list_queryset(),
        columns=COLUMNS,
        search_fields=("name", "subject"),
        filters={"format": "body_format"},
        default_sort="name",
    )
    context = {
        **_common(),
        "listing": listing,
        "formats": TemplateFormat.choices,
        "filtered": any(listing.params.get(k) for k in ("q", "format")),
    }
    return render(request, "email/template_list.html", context)


def _apply_errors(form: TemplateForm, exc: ValidationError) -> list[str]:
    """Field errors onto the form; the blocks' errors returned for the blocks card."""
    block_errors: list[str] = []
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return block_errors
    for name, errors in exc.error_dict.items():
        if name == "blocks":
            block_errors.extend(m for e in errors for m in e.messages)
        else:
            form.add_error(name if name in form.fields else None, errors)
    return block_errors


def _editor(
    request: HttpRequest,
    *,
    template: EmailTemplate | None,
    form: TemplateForm,
    blocks: list[dict[str, Any]],
    block_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = {
        **_common(),
        "template": template,
        "form": form,
        "block_rows": block_rows(blocks),
        "block_count": len(blocks),
        "block_types": [(spec.type, spec.label) for spec in BLOCK_TYPES.values()],
        "block_errors": block_errors or [],
        "test_form": TestSendForm(initial={"to_address": user.email}),
        "preview_widths": PREVIEW_WIDTHS,
    }
    return render(request, "email/template_form.html", context, status=status)


def _save(
    request: HttpRequest, template: EmailTemplate | None
) -> tuple[EmailTemplate | None, TemplateForm, list[dict[str, Any]], list[str]]:
    user = _marketer(request)
    form = TemplateForm(request.POST)
    blocks = blocks_from_post(request.POST)
    if not form.is_valid():
        return None, form, blocks, []
    data = form.cleaned_data
    try:
        if template is None:
            saved = template_services.template_create(actor=user, blocks=blocks, **data)
        else:
            saved = template_services.template_update(
                actor=user, template=template, blocks=blocks, **data
            )
    except ValidationError as exc:
        return None, form, blocks, _apply_errors(form, exc)
    return saved, form, blocks, []


def _handle_editor_post(request: HttpRequest, template: EmailTemplate | None) -> HttpResponse:
    action = request.POST.get("action", "save")
    if action != "save":
        # Add/move/remove without JavaScript: the page comes back with the rows changed.
        blocks = blocks_apply_action(blocks_from_post(request.POST), action)
        form = TemplateForm(initial={k: request.POST.get(k, "") for k in TEMPLATE_FIELDS})
        return _editor(request, template=template, form=form, blocks=blocks)
    saved, form, blocks, block_errors = _save(request, template)
    if saved is None:
        return _editor(
            request,
            template=template,
            form=form,
            blocks=blocks,
            block_errors=block_errors,
            status=400,
        )
    messages.success(request, f"Template “{saved.name}” saved.")
    return redirect("email:template_edit", saved.pk)


@login_required
@require_http_methods(["GET", "POST"])
def template_create(request: HttpRequest) -> HttpResponse:
    _marketer(request)
    if request.method == "POST":
        return _handle_editor_post(request, None)
    blocks = [
        {"type": "heading", "text": 'Hello {{ contact.first_name|default:"there" }},'},
        {"type": "text", "text": "Write your message here."},
    ]
    form = TemplateForm(initial={"body_format": TemplateFormat.BLOCKS})
    return _editor(request, template=None, form=form, blocks=blocks)


def _template_or_404(pk: int) -> EmailTemplate:
    template = template_selectors.template_get(pk=pk)
    if template is None:
        raise Http404("No such template.")
    return template


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _marketer(request)
    template = _template_or_404(pk)
    if request.method == "POST":
        return _handle_editor_post(request, template)
    form = TemplateForm(
        initial={
            "name": template.name,
            "subject": template.subject,
            "preheader": template.preheader,
            "body_format": template.body_format,
            "html": template.html,
        }
    )
    blocks = [b for b in (template.blocks or []) if isinstance(b, dict)]
    return _editor(request, template=template, form=form, blocks=blocks)


@login_required
@require_POST
def template_blocks(request: HttpRequest) -> HttpResponse:
    """htmx: the block rows after an add/move/remove, from what the editor posted."""
    _marketer(request)
    blocks = blocks_apply_action(blocks_from_post(request.POST), request.POST.get("action", ""))
    context = {
        "block_rows": block_rows(blocks),
        "block_count": len(blocks),
        "block_types": [(spec.type, spec.label) for spec in BLOCK_TYPES.values()],
    }
    response = render(request, "email/template_blocks.html", context)
    response["HX-Trigger"] = "blocks-changed"
    return response


def _unsaved_content(post: QueryDict) -> tuple[EmailTemplate, list[str]]:
    """An unsaved template from the editor's fields, and the problems found in its blocks."""
    body_format = post.get("body_format", TemplateFormat.BLOCKS)
    blocks, errors = clean_blocks(blocks_from_post(post))
    html = post.get("html", "")[: 2 * 100_000]
    content = EmailTemplate(
        name=post.get("name", ""),
        subject=post.get("subject", "")[:1000],
        preheader=post.get("preheader", "")[:1000],
        body_format=body_format if body_format in TemplateFormat.values else TemplateFormat.BLOCKS,
        blocks=blocks,
        html=sanitize_body(html),
    )
    if content.body_format != TemplateFormat.BLOCKS:
        errors = []
    return content, errors


def _preview_contact(raw: str | None) -> Any:
    if raw and raw.isdigit() and len(raw) < 19:
        return template_selectors.preview_contact_get(pk=int(raw))
    return None


@login_required
@require_POST
def template_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the email rendered from the editor's current (unsaved) fields, as a contact."""
    _marketer(request)
    content, warnings = _unsaved_content(request.POST)
    contact = _preview_contact(request.POST.get("preview_contact"))
    width = request.POST.get("preview_width", "desktop")
    context: dict[str, Any] = {
        "contact": contact,
        "warnings": warnings,
        "width": width if width in PREVIEW_WIDTHS else "desktop",
    }
    try:
        context["rendered"] = template_services.template_render_for(
            content=content, contact=contact
        )
    except RenderError as exc:
        context["error"] = str(exc)
    return render(request, "email/template_preview.html", context)


@login_required
@require_GET
def template_contacts(request: HttpRequest) -> HttpResponse:
    """htmx: contacts matching the picker's search, to preview the email as one of them."""
    _marketer(request)
    selected = _preview_contact(request.GET.get("preview_contact"))
    found = template_selectors.preview_contact_search(query=request.GET.get("contact_q", ""))
    if selected is not None:
        found = [selected, *[c for c in found if c.pk != selected.pk]]
    context = {"contacts": found, "selected": selected, "query": request.GET.get("contact_q", "")}
    return render(request, "email/template_contacts.html", context)


@login_required
@require_POST
def template_test_send(request: HttpRequest) -> HttpResponse:
    """Send the editor's current content to one address, as the chosen preview contact."""
    user = _marketer(request)
    test_form = TestSendForm(request.POST)
    outcome: dict[str, Any] = {"ok": False, "message": ""}
    status = 200
    if is_ratelimited(
        request, group="email-test-send", key="user", rate=TEST_SEND_RATE, increment=True
    ):
        outcome["message"] = "You have sent many tests in the last hour. Please wait a while."
        status = 429
    elif not test_form.is_valid():
        outcome["message"] = "Enter a valid email address."
        status = 400
    else:
        form = TemplateForm(request.POST)
        blocks = blocks_from_post(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError("Fix the template's fields first.")
            data = template_services.template_validate(blocks=blocks, **form.cleaned_data)
            content = EmailTemplate(
                subject=data.subject,
                preheader=data.preheader,
                body_format=data.body_format,
                blocks=data.blocks,
                html=data.html,
            )
            template_services.template_test_send(
                actor=user,
                content=content,
                to_address=test_form.cleaned_data["to_address"],
                contact=_preview_contact(str(test_form.cleaned_data["preview_contact"] or "")),
            )
        except ValidationError as exc:
            outcome["message"] = "Not sent: " + " ".join(exc.messages)
            status = 400
        except OSError as exc:  # the mail server refused or is unreachable
            outcome["message"] = f"Not sent: the mail server answered {exc}"
            status = 502
        else:
            address = test_form.cleaned_data["to_address"].strip()
            outcome = {"ok": True, "message": f"Test sent to {address}."}
    outcome["outbox_active"] = outbox_active()
    if request.htmx:  # type: ignore[attr-defined]
        # htmx swaps only 2xx answers by default; the result says itself whether it failed.
        return render(request, "email/template_test_result.html", outcome)
    return render(request, "email/template_test_page.html", outcome, status=status)


@login_required
@require_POST
def template_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _marketer(request)
    template = get_object_or_404(EmailTemplate, pk=pk)
    copy = template_services.template_duplicate(actor=user, template=template)
    messages.success(request, f"Created “{copy.name}”.")
    return redirect("email:template_edit", copy.pk)


@login_required
@require_http_methods(["GET", "POST"])
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST deletes (emails made from it keep their own copy)."""
    user = _marketer(request)
    template = _template_or_404(pk)
    if request.method == "POST":
        name = template.name
        template_services.template_delete(actor=user, template=template)
        messages.success(request, f"Deleted “{name}”.")
        return redirect("email:templates")
    return render(request, "email/template_delete.html", {**_common(), "template": template})


@login_required
@require_http_methods(["GET", "POST"])
def email_settings(request: HttpRequest) -> HttpResponse:
    """Admins edit the sender and postal address; marketers see them read-only."""
    user = _marketer(request)
    can_edit = permissions.is_admin(user)
    workspace = workspace_get()
    if request.method == "POST":
        permissions.require(can_edit, "Only admins can change the workspace settings.")
        form = EmailSettingsForm(request.POST)
        if form.is_valid():
            try:
                template_services.email_settings_update(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(request, "Email settings saved.")
                return redirect("email:settings")
    else:
        form = EmailSettingsForm(
            initial={
                "from_name": workspace.email_from_name,
                "from_address": workspace.email_from_address,
                "postal_address": workspace.postal_address,
            }
        )
    context = {
        **_common(),
        "form": form,
        "can_edit": can_edit,
        "workspace": workspace,
        "sender": template_selectors.sender_header(),
    }
    return render(
        request, "email/template_settings.html", context, status=400 if form.errors else 200
    )
