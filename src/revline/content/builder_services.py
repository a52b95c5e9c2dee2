"""Form builder writes: forms, their fields and their order, and counting refused submissions."""

import secrets
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max

from revline.audit.services import audit_create, audit_delete, audit_update, snapshot
from revline.core import permissions
from revline.core.models import User

from .blocks import site_path_error
from .builder_forms import CONTACT_FIELDS, RESERVED_NAMES
from .models import FieldType, Form, FormField

MAX_FIELDS = 30
MAX_OPTIONS = 50
MAX_OPTION_LENGTH = 200
# Contact columns hold short text: these names take only single-line types.
CONTACT_FIELD_TYPES = {FieldType.TEXT, FieldType.PHONE, FieldType.SELECT, FieldType.HIDDEN}


def _require_marketer(actor: User) -> None:
    permissions.require(
        permissions.can_manage_marketing(actor), "Only marketers and admins build forms."
    )


def _check_redirect_path(form: Form) -> None:
    form.redirect_path = form.redirect_path.strip()
    if form.redirect_path and (message := site_path_error(form.redirect_path)):
        raise ValidationError({"redirect_path": message})


@transaction.atomic
def form_create(*, actor: User, form: Form) -> Form:
    """Save a new form with an unguessable embed key and its required email field."""
    _require_marketer(actor)
    _check_redirect_path(form)
    form.embed_key = secrets.token_urlsafe(16)
    form.full_clean()
    form.save()
    FormField.objects.create(
        form=form,
        name="email",
        label="Work email",
        field_type=FieldType.EMAIL,
        required=True,
        position=1,
    )
    audit_create(actor=actor, obj=form)
    return form


@transaction.atomic
def form_update(*, actor: User, form: Form) -> Form:
    _require_marketer(actor)
    _check_redirect_path(form)
    form.full_clean()
    stored = Form.objects.get(pk=form.pk)
    form.save()
    audit_update(actor=actor, obj=form, before=snapshot(stored))
    return form


@transaction.atomic
def form_delete(*, actor: User, form: Form) -> None:
    """Delete a form that has never been submitted; one with submissions is kept as evidence."""
    _require_marketer(actor)
    if form.submissions.exists():
        raise ValidationError(
            {"form": "This form has submissions, which hold consent records; it cannot be deleted."}
        )
    audit_delete(actor=actor, obj=form)
    form.delete()


def _field_errors(field: FormField, existing: Sequence[FormField]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if field.name in RESERVED_NAMES or field.name.startswith("utm_"):
        errors["name"] = f"“{field.name}” is used by the form itself; choose another key."
    elif any(other.name == field.name for other in existing):
        errors["name"] = f"This form already has a field with the key “{field.name}”."
    if field.name == "email" and (field.field_type != FieldType.EMAIL or not field.required):
        errors["field_type"] = "The email field identifies the contact: it stays a required Email."
    elif field.name in CONTACT_FIELDS and field.field_type not in CONTACT_FIELD_TYPES:
        errors["field_type"] = (
            f"“{field.name}” fills the contact, so it must be Text, Phone, Select or Hidden."
        )
    if field.field_type == FieldType.SELECT and not field.options:
        errors["options_text"] = "A select field needs at least one option, one per line."
    if len(field.options) > MAX_OPTIONS:
        errors["options_text"] = f"At most {MAX_OPTIONS} options."
    elif any(len(option) > MAX_OPTION_LENGTH for option in field.options):
        errors["options_text"] = f"Each option is {MAX_OPTION_LENGTH} characters at most."
    elif len(set(field.options)) != len(field.options):
        errors["options_text"] = "Each option may appear only once."
    return errors


@transaction.atomic
def form_field_save(*, actor: User, field: FormField) -> FormField:
    """Create or update a field after the builder's rules; new fields go last.

    The email field keeps its key and stays a required Email: it is how a visitor becomes a
    contact. Raises ValidationError (keyed by field) and writes nothing when a rule is broken.
    """
    _require_marketer(actor)
    form = Form.objects.select_for_update().get(pk=field.form_id)
    existing = list(form.fields.exclude(pk=field.pk))
    if field.pk is not None:
        stored = FormField.objects.get(pk=field.pk, form=form)
        if stored.name == "email" and field.name != "email":
            raise ValidationError({"name": "The email field keeps the key “email”."})
    elif len(existing) >= MAX_FIELDS:
        raise ValidationError(f"A form has at most {MAX_FIELDS} fields.")
    if field.field_type not in (FieldType.SELECT, FieldType.HIDDEN):
        field.options = []
    if field.field_type == FieldType.HIDDEN:
        field.options = field.options[:1]
    if errors := _field_errors(field, existing):
        raise ValidationError(errors)
    created = field.pk is None
    before = {} if created else snapshot(FormField.objects.get(pk=field.pk))
    if created:
        last = form.fields.aggregate(last=Max("position"))["last"] or 0
        field.position = last + 1
    field.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            field.save()
    except IntegrityError as exc:
        raise ValidationError({"name": "This form already has a field with that key."}) from exc
    if created:
        audit_create(actor=actor, obj=field)
    else:
        audit_update(actor=actor, obj=field, before=before)
    return field


@transaction.atomic
def form_field_delete(*, actor: User, field: FormField) -> None:
    _require_marketer(actor)
    if field.name == "email":
        raise ValidationError("The email field cannot be removed: it identifies the contact.")
    audit_delete(actor=actor, obj=field)
    field.delete()


@transaction.atomic
def form_field_move(*, actor: User, field: FormField, offset: int) -> None:
    """Move a field `offset` places up (negative) or down; positions become 1..n."""
    _require_marketer(actor)
    form = Form.objects.select_for_update().get(pk=field.form_id)
    ordered = list(form.fields.order_by("position", "pk"))
    index = next(i for i, f in enumerate(ordered) if f.pk == field.pk)
    target = max(0, min(len(ordered) - 1, index + offset))
    ordered.insert(target, ordered.pop(index))
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


def form_rejection_record(*, form: Form) -> None:
    """Count a refused submission (honeypot, rate limit, foreign origin); nothing else is stored."""
    Form.objects.filter(pk=form.pk).update(rejected_count=F("rejected_count") + 1)
