"""Email templates: create, edit, duplicate, delete, test-send; and the workspace's email
settings (sender, postal address for the footer)."""

from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction

from revline.audit.models import AuditAction
from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User, Workspace
from revline.core.workspace import workspace_get
from revline.people.models import Contact

from .models import EmailTemplate, TemplateFormat
from .rendering import (
    MAX_SOURCE,
    EmailContent,
    RenderedEmail,
    RenderError,
    contact_context,
    render_email,
    sample_context,
    sanitize_body,
    template_syntax_check,
)
from .template_blocks import clean_blocks
from .template_selectors import preview_footer, sender_header

MAX_NAME = 200
MAX_SUBJECT = 300
MAX_PREHEADER = 300
TEST_PREFIX = "[Test] "


@dataclass(frozen=True)
class TemplateData:
    name: str
    subject: str
    preheader: str
    body_format: str
    blocks: list[dict[str, Any]]
    html: str


def _single_line_error(label: str, value: str, limit: int, *, required: bool) -> str | None:
    if required and not value:
        return f"{label} is required."
    if len(value) > limit:
        return f"{label} is longer than {limit} characters ({len(value)})."
    if any(ord(ch) < 32 for ch in value):
        return f"{label} must be one line without control characters."
    return None


def template_validate(
    *,
    name: str,
    subject: str,
    preheader: str,
    body_format: str,
    blocks: object,
    html: str,
) -> TemplateData:
    """Check every part; ValidationError (per field) lists all problems. HTML is sanitised."""
    errors: dict[str, list[str]] = {}
    name, subject, preheader = name.strip(), subject.strip(), preheader.strip()
    for field, label, value, limit, required in (
        ("name", "Name", name, MAX_NAME, True),
        ("subject", "Subject", subject, MAX_SUBJECT, True),
        ("preheader", "Preheader", preheader, MAX_PREHEADER, False),
    ):
        if error := _single_line_error(label, value, limit, required=required):
            errors.setdefault(field, []).append(error)
        elif field != "name":
            try:
                template_syntax_check(value)
            except RenderError as exc:
                errors.setdefault(field, []).append(str(exc))
    cleaned_blocks: list[dict[str, Any]] = []
    clean_html = ""
    if body_format == TemplateFormat.BLOCKS:
        cleaned_blocks, block_errors = clean_blocks(blocks)
        if block_errors:
            errors["blocks"] = block_errors
        elif not cleaned_blocks:
            errors["blocks"] = ["Add at least one block."]
    elif body_format == TemplateFormat.HTML:
        if len(html) > MAX_SOURCE:
            errors["html"] = [f"The HTML is longer than {MAX_SOURCE} characters."]
        else:
            clean_html = sanitize_body(html).strip()
            if not clean_html:
                errors["html"] = ["The HTML body is empty."]
            else:
                try:
                    template_syntax_check(clean_html)
                except RenderError as exc:
                    errors["html"] = [str(exc)]
    else:
        errors["body_format"] = ["Choose blocks or HTML."]
    if errors:
        raise ValidationError(errors)
    return TemplateData(name, subject, preheader, body_format, cleaned_blocks, clean_html)


def _require_marketer(actor: User) -> None:
    permissions.require(
        permissions.can_manage_marketing(actor), "Only marketers and admins manage email templates."
    )


def _apply(template: EmailTemplate, data: TemplateData) -> None:
    template.name = data.name
    template.subject = data.subject
    template.preheader = data.preheader
    template.body_format = data.body_format
    # Keep the other format's content: switching back and forth loses nothing.
    if data.body_format == TemplateFormat.BLOCKS:
        template.blocks = data.blocks
    else:
        template.html = data.html


def template_create(
    *,
    actor: User,
    name: str,
    subject: str,
    preheader: str = "",
    body_format: str = TemplateFormat.BLOCKS,
    blocks: object = (),
    html: str = "",
) -> EmailTemplate:
    """A new template, or ValidationError and nothing stored."""
    _require_marketer(actor)
    data = template_validate(
        name=name,
        subject=subject,
        preheader=preheader,
        body_format=body_format,
        blocks=list(blocks) if isinstance(blocks, list | tuple) else blocks,
        html=html,
    )
    template = EmailTemplate(created_by=actor)
    _apply(template, data)
    with transaction.atomic():
        template.save()
        audit_create(actor=actor, obj=template)
    return template


def template_update(
    *,
    actor: User,
    template: EmailTemplate,
    name: str,
    subject: str,
    preheader: str,
    body_format: str,
    blocks: object,
    html: str,
) -> EmailTemplate:
    """Replace the template's content, or ValidationError and nothing changed. Emails already
    scheduled or sent keep their own frozen copy."""
    _require_marketer(actor)
    data = template_validate(
        name=name,
        subject=subject,
        preheader=preheader,
        body_format=body_format,
        blocks=blocks,
        html=html,
    )
    before = snapshot(template)
    _apply(template, data)
    with transaction.atomic():
        template.save()
        audit_update(actor=actor, obj=template, before=before)
    return template


def template_duplicate(*, actor: User, template: EmailTemplate) -> EmailTemplate:
    """A copy named "Copy of …" that the actor owns."""
    _require_marketer(actor)
    with transaction.atomic():
        copy = EmailTemplate.objects.create(
            name=f"Copy of {template.name}"[:MAX_NAME],
            subject=template.subject,
            preheader=template.preheader,
            body_format=template.body_format,
            blocks=list(template.blocks or []),
            html=template.html,
            created_by=actor,
        )
        audit_create(actor=actor, obj=copy)
    return copy


def template_delete(*, actor: User, template: EmailTemplate) -> None:
    """Delete the template. Emails made from it keep their own copy of the content (their
    template link becomes empty), so nothing sent or scheduled changes."""
    _require_marketer(actor)
    with transaction.atomic():
        audit_delete(actor=actor, obj=template)
        template.delete()


def template_render_for(*, content: EmailContent, contact: Contact | None) -> RenderedEmail:
    """The email as `contact` (or a sample contact) would get it, with a preview footer."""
    context = contact_context(contact) if contact is not None else sample_context()
    return render_email(content=content, context=context, footer=preview_footer())


def template_test_send(
    *, actor: User, content: EmailContent, to_address: str, contact: Contact | None
) -> RenderedEmail:
    """Send the rendered email (as `contact`) to one address, subject prefixed "[Test]".

    Raises ValidationError for a bad address or a template that does not render; nothing is
    sent then.
    """
    _require_marketer(actor)
    address = to_address.strip()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError({"to_address": ["Enter a valid email address."]}) from exc
    try:
        rendered = template_render_for(content=content, contact=contact)
    except RenderError as exc:
        raise ValidationError({"__all__": [f"The template does not render: {exc}"]}) from exc
    message = EmailMultiAlternatives(
        subject=(TEST_PREFIX + rendered.subject)[: MAX_SUBJECT + len(TEST_PREFIX)],
        body=rendered.text,
        from_email=sender_header(),
        to=[address],
        headers={"Message-ID": make_msgid(domain="revline.test"), "X-Revline-Test": "1"},
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send(fail_silently=False)
    return rendered


def email_settings_update(
    *, actor: User, from_name: str, from_address: str, postal_address: str
) -> Workspace:
    """Set the sender and the postal address printed in every marketing email. Admins only."""
    permissions.require(
        permissions.is_admin(actor), "Only admins can change the workspace settings."
    )
    errors: dict[str, list[str]] = {}
    from_name = from_name.strip()
    from_address = from_address.strip()
    postal_address = "\n".join(line.strip() for line in postal_address.strip().splitlines())
    if error := _single_line_error("Sender name", from_name, 100, required=False):
        errors["from_name"] = [error]
    if from_address:
        try:
            validate_email(from_address)
        except ValidationError:
            errors["from_address"] = ["Enter a valid email address."]
    if len(postal_address) > 1000:
        errors["postal_address"] = ["The postal address is longer than 1000 characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().get(pk=workspace_get().pk)
        fields = ["email_from_name", "email_from_address", "postal_address"]
        before = snapshot(workspace, fields=fields)
        workspace.email_from_name = from_name
        workspace.email_from_address = from_address
        workspace.postal_address = postal_address
        workspace.save(update_fields=[*fields, "updated_at"])
        audit_update(actor=actor, obj=workspace, before=before, action=AuditAction.SETTING_CHANGE)
    return workspace
