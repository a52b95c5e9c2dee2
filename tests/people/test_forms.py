"""People forms: parsing tags, checking input, and showing service errors on the right field."""

import pytest
from django.core.exceptions import ValidationError

from revline.core.forms import add_service_errors
from revline.people.forms import ContactForm, NoteForm, parse_tags
from revline.people.services import contact_create


def test_parse_tags_splits_on_commas_and_drops_blanks():
    assert parse_tags(" VIP, partner ,, vip ,") == ["VIP", "partner", "vip"]
    assert parse_tags("") == []


@pytest.mark.django_db
def test_service_errors_land_on_their_field_or_on_the_form():
    form = ContactForm({"email": "a@example.com"})
    assert form.is_valid()

    add_service_errors(
        form, ValidationError({"email": "Taken.", "lifecycle_stage": "Not a stage."})
    )

    assert form.errors["email"] == ["Taken."]
    assert form.non_field_errors() == ["Not a stage."]


@pytest.mark.django_db
def test_plain_service_error_is_a_form_error():
    form = ContactForm({})
    assert form.is_valid()

    add_service_errors(form, ValidationError("Something is off."))

    assert form.non_field_errors() == ["Something is off."]


@pytest.mark.django_db
def test_contact_form_flags_a_taken_email_except_the_contacts_own():
    ada = contact_create(actor=None, email="ada@example.com")

    new = ContactForm({"email": " ADA@example.com "})
    same = ContactForm({"email": "Ada@Example.com"}, instance=ada)

    assert new.is_valid() is False
    assert new.errors["email"] == ["A contact with this email already exists."]
    assert same.is_valid() is True
    assert same.cleaned_data["email"] == "ada@example.com"


@pytest.mark.parametrize(
    ("data", "subject"),
    [
        ({"body": "First line\nsecond"}, "First line"),
        ({"body": "x" * 120}, "x" * 80),
        ({"subject": "Given", "body": "Text"}, "Given"),
    ],
)
def test_note_subject_defaults_to_the_first_line(data, subject):
    form = NoteForm(data)

    assert form.is_valid()
    assert form.cleaned_data["subject"] == subject
