"""Template services: validation on save, duplicate, delete, test send, email settings."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from revline.core.workspace import workspace_get
from revline.email.models import Email, EmailTemplate
from revline.email.rendering import workspace_name_clear
from revline.email.template_services import (
    email_settings_update,
    template_create,
    template_delete,
    template_duplicate,
    template_test_send,
    template_update,
)
from revline.people.models import Contact

from ..smtp import smtp_sink, use_smtp_sink

BLOCKS = [
    {"type": "heading", "text": 'Hi {{ contact.first_name|default:"there" }}'},
    {"type": "button", "label": "See pricing", "url": "https://example.com/pricing"},
]


@pytest.fixture(autouse=True)
def _fresh_workspace_name():
    workspace_name_clear()


def create(actor, **changes):
    data = {"name": "Welcome", "subject": "Welcome!", "blocks": BLOCKS, **changes}
    return template_create(actor=actor, **data)


@pytest.mark.django_db
def test_a_marketer_creates_a_blocks_template(marketer):
    template = create(marketer, preheader="  A short preview  ")

    template.refresh_from_db()
    assert template.name == "Welcome"
    assert template.preheader == "A short preview"
    assert template.blocks == BLOCKS
    assert template.created_by == marketer


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"blocks": [{"type": "button", "label": "Go", "url": "javascript:alert(1)"}]},
            "blocks",
            "Block 1 (button): Link must start with https://, http:// or mailto:.",
        ),
        (
            {"blocks": [{"type": "image", "src": "data:image/png;base64,xx", "alt": ""}]},
            "blocks",
            "Block 1 (image): Image URL must start with https:// or http://.",
        ),
        (
            {"blocks": [{"type": "text", "text": "{% include 'secrets.txt' %}"}]},
            "blocks",
            "Block 1 (text): Text: Unknown or forbidden tag on line 1: 'include'.",
        ),
        ({"blocks": [{"type": "video", "src": "x"}]}, "blocks", "Block 1: unknown block type."),
        ({"blocks": []}, "blocks", "Add at least one block."),
        ({"subject": "x" * 301}, "subject", "Subject is longer than 300 characters (301)."),
        (
            {"subject": "Hi\nBcc: a@b.c"},
            "subject",
            "Subject must be one line without control characters.",
        ),
        (
            {"subject": "{{ contact.first_name|nosuch }}"},
            "subject",
            "Unknown or forbidden filter: 'nosuch'",
        ),
        ({"subject": "{% if %}"}, "subject", "Unexpected end of expression in if tag."),
        ({"name": "  "}, "name", "Name is required."),
        (
            {"body_format": "html", "html": "<script>alert(1)</script>"},
            "html",
            "The HTML body is empty.",
        ),
        ({"body_format": "pdf"}, "body_format", "Choose blocks or HTML."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(marketer, changes, field, message):
    with pytest.raises(ValidationError) as error:
        create(marketer, **changes)

    assert error.value.message_dict[field] == [message]
    assert EmailTemplate.objects.count() == 0


@pytest.mark.django_db
def test_html_is_sanitised_when_saved(marketer):
    template = create(
        marketer,
        body_format="html",
        html='<style>p{color:red}</style><p onclick="x()">Hi {{ contact.first_name }}</p>'
        '<script>alert(1)</script><a href="javascript:alert(1)">x</a>',
    )

    template.refresh_from_db()
    assert template.html == (
        '<style>p{color:red}</style><p>Hi {{ contact.first_name }}</p><a rel="noopener noreferrer">x</a>'
    )


@pytest.mark.django_db
def test_a_sales_rep_cannot_create_templates(rep_a):
    with pytest.raises(PermissionDenied):
        create(rep_a)

    assert EmailTemplate.objects.count() == 0


@pytest.mark.django_db
def test_a_failed_update_changes_nothing(marketer):
    template = create(marketer)

    with pytest.raises(ValidationError):
        template_update(
            actor=marketer,
            template=template,
            name="Renamed",
            subject="New",
            preheader="",
            body_format="blocks",
            blocks=[{"type": "button", "label": "x", "url": "javascript:x"}],
            html="",
        )

    template.refresh_from_db()
    assert (template.name, template.subject, template.blocks) == ("Welcome", "Welcome!", BLOCKS)


@pytest.mark.django_db
def test_switching_format_keeps_the_other_formats_content(marketer):
    template = create(marketer)

    template_update(
        actor=marketer,
        template=template,
        name="Welcome",
        subject="Welcome!",
        preheader="",
        body_format="html",
        blocks=[],
        html="<p>Hello</p>",
    )

    template.refresh_from_db()
    assert (template.body_format, template.html, template.blocks) == (
        "html",
        "<p>Hello</p>",
        BLOCKS,
    )


@pytest.mark.django_db
def test_duplicate_copies_the_content(marketer, admin_user):
    template = create(marketer, preheader="Pre")

    copy = template_duplicate(actor=admin_user, template=template)

    assert copy.pk != template.pk
    assert (copy.name, copy.subject, copy.preheader, copy.blocks, copy.created_by) == (
        "Copy of Welcome",
        "Welcome!",
        "Pre",
        BLOCKS,
        admin_user,
    )


@pytest.mark.django_db
def test_deleting_a_template_leaves_its_emails_with_their_own_copy(marketer):
    template = create(marketer)
    email = Email.objects.create(name="March", template=template, subject="Frozen", blocks=BLOCKS)

    template_delete(actor=marketer, template=template)

    email.refresh_from_db()
    assert EmailTemplate.objects.count() == 0
    assert (email.template, email.subject, email.blocks) == (None, "Frozen", BLOCKS)


@pytest.mark.django_db
def test_test_send_delivers_both_parts_to_a_real_smtp_server(marketer, settings):
    workspace = workspace_get()
    workspace.email_from_name = "Acme Marketing"
    workspace.email_from_address = "news@acme.example"
    workspace.postal_address = "Acme Ltd\n1 Road"
    workspace.save()
    contact = Contact.objects.create(first_name="Grace", email="grace@example.com")
    template = create(marketer, subject='Hi {{ contact.first_name|default:"there" }}')

    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        template_test_send(
            actor=marketer, content=template, to_address="qa@example.com", contact=contact
        )

    assert len(sink.messages) == 1
    mail = sink.messages[0]
    assert mail.rcpt_tos == ["qa@example.com"]
    assert mail.message["Subject"] == "[Test] Hi Grace"
    assert mail.message["From"] == "Acme Marketing <news@acme.example>"
    assert mail.message["To"] == "qa@example.com"
    assert mail.message["X-Revline-Test"] == "1"
    assert mail.message.get_content_type() == "multipart/alternative"
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert "Hi Grace</h1>" in html
    assert 'href="https://example.com/pricing"' in html
    assert "Acme Ltd<br>1 Road" in html
    assert mail.text.startswith("Hi Grace\n\nSee pricing (https://example.com/pricing)\n")
    assert "Acme Ltd\n1 Road" in mail.text


@pytest.mark.django_db
def test_test_send_as_the_sample_contact_when_none_is_chosen(marketer, mailoutbox):
    template = create(marketer, subject="Hi {{ contact.first_name }}")

    template_test_send(actor=marketer, content=template, to_address="qa@example.com", contact=None)

    assert [m.subject for m in mailoutbox] == ["[Test] Hi Alex"]


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["", "not-an-address", "a@b.c\r\nBcc: x@y.z", "a@b.c, d@e.f"])
def test_test_send_to_a_bad_address_sends_nothing(marketer, mailoutbox, address):
    template = create(marketer)

    with pytest.raises(ValidationError) as error:
        template_test_send(actor=marketer, content=template, to_address=address, contact=None)

    assert error.value.message_dict == {"to_address": ["Enter a valid email address."]}
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_rep_cannot_send_tests(marketer, rep_a, mailoutbox):
    template = create(marketer)

    with pytest.raises(PermissionDenied):
        template_test_send(actor=rep_a, content=template, to_address="a@example.com", contact=None)

    assert mailoutbox == []


@pytest.mark.django_db
def test_an_admin_sets_the_sender_and_postal_address(admin_user):
    email_settings_update(
        actor=admin_user,
        from_name=" Acme ",
        from_address="news@acme.example",
        postal_address="  Acme Ltd  \n 1 Road \n",
    )

    workspace = workspace_get()
    assert (workspace.email_from_name, workspace.email_from_address, workspace.postal_address) == (
        "Acme",
        "news@acme.example",
        "Acme Ltd\n1 Road",
    )


@pytest.mark.django_db
def test_email_settings_refuse_bad_input_and_non_admins(admin_user, marketer):
    with pytest.raises(ValidationError) as error:
        email_settings_update(
            actor=admin_user, from_name="A\nB", from_address="nope", postal_address=""
        )
    assert error.value.message_dict == {
        "from_name": ["Sender name must be one line without control characters."],
        "from_address": ["Enter a valid email address."],
    }
    with pytest.raises(PermissionDenied):
        email_settings_update(
            actor=marketer, from_name="X", from_address="x@example.com", postal_address="Y"
        )

    workspace = workspace_get()
    assert (workspace.email_from_name, workspace.email_from_address) == ("", "")
