"""Form builder rules: the email field, reserved keys, options, order, safe redirect paths, roles."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.content.builder_services import (
    form_create,
    form_field_delete,
    form_field_move,
    form_field_save,
    form_rejection_record,
    form_update,
)
from revline.content.models import FieldType, Form, FormField

from .builder_factories import add_field, make_form


def keys(form: Form) -> list[str]:
    return list(form.fields.order_by("position").values_list("name", flat=True))


def test_a_new_form_gets_an_embed_key_and_a_required_email_field(marketer):
    form = form_create(actor=marketer, form=Form(name="Webinar"))

    assert len(form.embed_key) == 22
    email = form.fields.get()
    assert (email.name, email.field_type, email.required, email.position) == (
        "email",
        "email",
        True,
        1,
    )
    other = form_create(actor=marketer, form=Form(name="Webinar 2"))
    assert other.embed_key != form.embed_key


def test_fields_are_added_last_in_order(marketer):
    form = make_form(marketer)

    assert keys(form) == ["email", "first_name", "company", "role", "newsletter"]
    assert list(form.fields.values_list("position", flat=True)) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("field", "errors"),
    [
        (
            {"name": "utm_source"},
            {"name": ["“utm_source” is used by the form itself; choose another key."]},
        ),
        (
            {"name": "utm_anything"},
            {"name": ["“utm_anything” is used by the form itself; choose another key."]},
        ),
        (
            {"name": "consent"},
            {"name": ["“consent” is used by the form itself; choose another key."]},
        ),
        (
            {"name": "website"},
            {"name": ["“website” is used by the form itself; choose another key."]},
        ),
        (
            {"name": "first_name"},
            {"name": ["This form already has a field with the key “first_name”."]},
        ),
        (
            {"name": "phone", "field_type": FieldType.CHECKBOX},
            {
                "field_type": [
                    "“phone” fills the contact, so it must be Text, Phone, Select or Hidden."
                ]
            },
        ),
        (
            {"name": "size", "field_type": FieldType.SELECT},
            {"options_text": ["A select field needs at least one option, one per line."]},
        ),
        (
            {"name": "size", "field_type": FieldType.SELECT, "options": ["a", "a"]},
            {"options_text": ["Each option may appear only once."]},
        ),
        (
            {"name": "size", "field_type": FieldType.SELECT, "options": ["x" * 201]},
            {"options_text": ["Each option is 200 characters at most."]},
        ),
        (
            {
                "name": "size",
                "field_type": FieldType.SELECT,
                "options": [str(i) for i in range(51)],
            },
            {"options_text": ["At most 50 options."]},
        ),
        (
            {"name": "Not A Slug!"},
            {
                "name": [
                    "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."
                ]
            },
        ),
        ({"label": ""}, {"label": ["This field cannot be blank."]}),
    ],
)
def test_field_rules_refuse_bad_fields_and_write_nothing(marketer, field, errors):
    form = make_form(marketer)
    values = {"name": "extra", "label": "Extra", "field_type": FieldType.TEXT, **field}
    options = values.pop("options", [])

    with pytest.raises(ValidationError) as caught:
        form_field_save(actor=marketer, field=FormField(form=form, options=options, **values))

    assert caught.value.message_dict == errors
    assert keys(form) == ["email", "first_name", "company", "role", "newsletter"]


def test_the_email_field_stays_a_required_email_with_its_key(marketer):
    form = make_form(marketer)
    email = form.fields.get(name="email")

    for change in ({"required": False}, {"field_type": FieldType.TEXT}):
        edited = FormField.objects.get(pk=email.pk)
        for attr, value in change.items():
            setattr(edited, attr, value)
        with pytest.raises(ValidationError) as caught:
            form_field_save(actor=marketer, field=edited)
        assert caught.value.message_dict == {
            "field_type": ["The email field identifies the contact: it stays a required Email."]
        }
    renamed = FormField.objects.get(pk=email.pk)
    renamed.name = "mail"
    with pytest.raises(ValidationError) as caught:
        form_field_save(actor=marketer, field=renamed)
    assert caught.value.message_dict == {"name": ["The email field keeps the key “email”."]}
    with pytest.raises(ValidationError):
        form_field_delete(actor=marketer, field=email)
    email.refresh_from_db()
    assert (email.name, email.field_type, email.required) == ("email", "email", True)


def test_editing_a_field_keeps_its_place_and_drops_options_it_cannot_use(marketer):
    form = make_form(marketer)
    role = FormField.objects.get(form=form, name="role")
    role.field_type = FieldType.TEXT
    role.label = "Role"

    form_field_save(actor=marketer, field=role)

    role.refresh_from_db()
    assert (role.label, role.field_type, role.options, role.position) == ("Role", "text", [], 4)


def test_a_hidden_field_keeps_one_fixed_value(marketer):
    form = make_form(marketer)

    field = add_field(marketer, form, "source", "Source", FieldType.HIDDEN, options=["web", "x"])

    assert field.options == ["web"]


def test_fields_move_up_and_down_and_stay_numbered(marketer):
    form = make_form(marketer)
    role = form.fields.get(name="role")

    form_field_move(actor=marketer, field=role, offset=-1)
    assert keys(form) == ["email", "first_name", "role", "company", "newsletter"]
    form_field_move(actor=marketer, field=role, offset=-10)
    assert keys(form) == ["role", "email", "first_name", "company", "newsletter"]
    form_field_move(actor=marketer, field=role, offset=10)
    assert keys(form) == ["email", "first_name", "company", "newsletter", "role"]
    assert list(form.fields.order_by("position").values_list("position", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_deleting_a_field(marketer):
    form = make_form(marketer)

    form_field_delete(actor=marketer, field=form.fields.get(name="company"))

    assert keys(form) == ["email", "first_name", "role", "newsletter"]


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "data:text/html,x",
        "evil.example/thanks",
        "/thanks\r\nLocation: https://evil.example",
        "/\t/evil.example",
        "http:evil.example",
    ],
)
def test_hostile_redirect_paths_are_refused(marketer, path):
    with pytest.raises(ValidationError) as caught:
        form_create(actor=marketer, form=Form(name="Hostile", redirect_path=path))

    assert list(caught.value.message_dict) == ["redirect_path"]
    assert Form.objects.count() == 0
    assert FormField.objects.count() == 0


def test_a_redirect_path_on_this_site_is_kept_and_can_be_changed_safely_only(marketer):
    form = form_create(actor=marketer, form=Form(name="Safe", redirect_path=" /lp/thank-you "))
    assert form.redirect_path == "/lp/thank-you"

    edited = Form.objects.get(pk=form.pk)
    edited.redirect_path = "//evil.example"
    with pytest.raises(ValidationError):
        form_update(actor=marketer, form=edited)

    form.refresh_from_db()
    assert form.redirect_path == "/lp/thank-you"


def test_refused_submissions_are_counted_atomically(marketer):
    form = make_form(marketer)

    form_rejection_record(form=form)
    form_rejection_record(form=form)

    form.refresh_from_db()
    assert form.rejected_count == 2


def test_sales_reps_cannot_build_forms(rep_a, marketer):
    form = make_form(marketer)
    company = form.fields.get(name="company")

    with pytest.raises(PermissionDenied):
        form_create(actor=rep_a, form=Form(name="Nope"))
    with pytest.raises(PermissionDenied):
        add_field(rep_a, form, "extra", "Extra")
    with pytest.raises(PermissionDenied):
        form_field_delete(actor=rep_a, field=company)
    with pytest.raises(PermissionDenied):
        form_field_move(actor=rep_a, field=company, offset=-1)
    assert Form.objects.count() == 1
    assert keys(form) == ["email", "first_name", "company", "role", "newsletter"]
