"""Builder forms and fields for the tests, created the way the form builder creates them."""

from revline.content.builder_services import form_create, form_field_save
from revline.content.models import FieldType, Form, FormField
from revline.core.models import User

CONSENT = "Email me about product news. I can unsubscribe at any time."


def make_form(actor: User, **settings: object) -> Form:
    """A form (with its required email field) plus first name, company, role and interest."""
    values = {
        "name": "Demo request",
        "submit_label": "Request my demo",
        "thank_you_message": "Thanks! We will call you within a day.",
        "consent_wording": CONSENT,
        "consent_wording_version": "2025-03",
        **settings,
    }
    form = form_create(actor=actor, form=Form(**values))
    add_field(actor, form, "first_name", "First name", required=True)
    add_field(actor, form, "company", "Company")
    add_field(actor, form, "role", "Your role", FieldType.SELECT, options=["Marketing", "Sales"])
    add_field(actor, form, "newsletter", "Send me the newsletter", FieldType.CHECKBOX)
    return form


def add_field(
    actor: User,
    form: Form,
    name: str,
    label: str,
    field_type: str = FieldType.TEXT,
    *,
    required: bool = False,
    options: list[str] | None = None,
) -> FormField:
    return form_field_save(
        actor=actor,
        field=FormField(
            form=form,
            name=name,
            label=label,
            field_type=field_type,
            required=required,
            options=options or [],
        ),
    )
