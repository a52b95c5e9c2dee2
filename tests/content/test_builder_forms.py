"""The visitor's form, built from FormField rows: Django validation per field type, hidden values."""

import pytest

from revline.content.builder_forms import SubmissionForm
from revline.content.models import FieldType, Form, FormField

FORM = Form(name="Demo", consent_wording="Email me news.", consent_wording_version="v2")
FIELDS = [
    FormField(name="email", label="Email", field_type=FieldType.EMAIL, required=True),
    FormField(name="first_name", label="First name", field_type=FieldType.TEXT, required=True),
    FormField(name="phone", label="Phone", field_type=FieldType.PHONE),
    FormField(
        name="size", label="Team size", field_type=FieldType.SELECT, options=["1-10", "11-50"]
    ),
    FormField(
        name="terms", label="I accept the terms", field_type=FieldType.CHECKBOX, required=True
    ),
    FormField(name="message", label="Message", field_type=FieldType.TEXTAREA),
    FormField(name="partner", label="Partner", field_type=FieldType.HIDDEN, options=["direct"]),
]
VALID = {
    "email": "ada@example.com",
    "first_name": "Ada",
    "phone": "+49 (30) 123-4567",
    "size": "11-50",
    "terms": "on",
    "message": "Call me <b>tomorrow</b>.",
    "partner": "acme",
    "utm_source": "linkedin",
    "utm_campaign": "spring",
    "consent": "on",
    "website": "",
}


def bound(**changes: str) -> SubmissionForm:
    return SubmissionForm({**VALID, **changes}, form=FORM, fields=FIELDS)


def test_a_valid_submission_splits_into_values_utm_and_consent():
    form = bound()

    assert form.is_valid(), form.errors
    submission = form.submission()
    assert submission.values == {
        "email": "ada@example.com",
        "first_name": "Ada",
        "phone": "+49 (30) 123-4567",
        "size": "11-50",
        "terms": True,
        "message": "Call me <b>tomorrow</b>.",
        "partner": "acme",
    }
    assert submission.utm == {"utm_source": "linkedin", "utm_campaign": "spring"}
    assert submission.consent is True


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": "a@b.c\r\nBcc: x@evil.example"}, "email", "Enter a valid email address."),
        ({"first_name": ""}, "first_name", "This field is required."),
        (
            {"first_name": "x" * 101},
            "first_name",
            "Ensure this value has at most 100 characters (it has 101).",
        ),
        ({"first_name": "Ada\x00"}, "first_name", "Null characters are not allowed."),
        (
            {"phone": "call me maybe"},
            "phone",
            "Enter a phone number: digits, spaces and + ( ) . - / only.",
        ),
        (
            {"phone": "<script>alert(1)</script>"},
            "phone",
            "Enter a phone number: digits, spaces and + ( ) . - / only.",
        ),
        (
            {"size": "1000+"},
            "size",
            "Select a valid choice. 1000+ is not one of the available choices.",
        ),
        ({"terms": ""}, "terms", "Please tick this box."),
        (
            {"message": "x" * 5001},
            "message",
            "Ensure this value has at most 5000 characters (it has 5001).",
        ),
        ({"website": "https://spam.example"}, "website", "Please leave this field empty."),
    ],
)
def test_each_field_type_is_validated(change, field, message):
    form = bound(**change)

    assert not form.is_valid()
    assert form.errors[field] == [message]


def test_optional_fields_may_be_left_empty():
    form = bound(phone="", size="", message="", consent="")

    assert form.is_valid(), form.errors
    assert form.submission().consent is False


def test_hidden_and_utm_values_never_fail_they_are_cut_and_cleaned():
    form = bound(partner="a\x00b\x07c" + "x" * 600, utm_source="s" * 150, utm_term="\u202etrick")

    assert form.is_valid(), form.errors
    submission = form.submission()
    assert submission.values["partner"] == "abc" + "x" * 497
    assert submission.utm["utm_source"] == "s" * 100
    assert submission.utm["utm_term"] == "trick"


def test_hidden_fields_start_from_the_query_string_or_their_fixed_value():
    with_query = SubmissionForm(
        form=FORM,
        fields=FIELDS,
        query={"utm_source": "google", "utm_medium": "cpc", "partner": "acme", "other": "x"},
    )
    without = SubmissionForm(form=FORM, fields=FIELDS)

    assert with_query.initial == {
        "partner": "acme",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "",
        "utm_content": "",
        "utm_term": "",
    }
    assert without.initial["partner"] == "direct"
    html = str(with_query["utm_source"])
    assert 'type="hidden"' in html
    assert 'value="google"' in html
    assert "data-query-param" in html


def test_consent_checkbox_shows_the_forms_wording_and_only_when_there_is_one():
    with_consent = SubmissionForm(form=FORM, fields=FIELDS)
    without = SubmissionForm(form=Form(name="No consent", consent_wording=""), fields=FIELDS)

    assert with_consent.consent_field().label == "Email me news."
    assert without.consent_field() is None


def test_visible_and_hidden_fields_keep_the_builder_order():
    form = SubmissionForm(form=FORM, fields=FIELDS)

    assert [f.name for f in form.visible_builder_fields()] == [
        "email",
        "first_name",
        "phone",
        "size",
        "terms",
        "message",
    ]
    assert [f.name for f in form.hidden_builder_fields()] == [
        "partner",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
    ]
    assert form.honeypot_filled is False
    assert bound(website="x").honeypot_filled is True
