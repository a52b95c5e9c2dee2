"""Template pages: list, editor (blocks rows, save, errors), preview, contact picker, test send,
duplicate, delete, email settings."""

import pytest

from revline.core.workspace import workspace_get
from revline.email.models import EmailTemplate
from revline.email.rendering import workspace_name_clear
from revline.email.template_services import template_create
from revline.people.models import Contact

from ..smtp import smtp_sink, use_smtp_sink

BLOCKS = [
    {"type": "heading", "text": 'Hi {{ contact.first_name|default:"there" }}'},
    {"type": "button", "label": "See pricing", "url": "https://example.com/pricing"},
]


@pytest.fixture(autouse=True)
def _fresh_workspace_name():
    workspace_name_clear()


def editor_post(**changes):
    data = {
        "name": "Welcome",
        "subject": "Welcome {{ contact.first_name }}",
        "preheader": "",
        "body_format": "blocks",
        "html": "",
        "block_count": "2",
        "block-0-type": "heading",
        "block-0-text": 'Hi {{ contact.first_name|default:"there" }}',
        "block-1-type": "button",
        "block-1-label": "See pricing",
        "block-1-url": "https://example.com/pricing",
        "action": "save",
    }
    data.update(changes)
    return data


@pytest.fixture
def template(marketer):
    return template_create(actor=marketer, name="Welcome", subject="Welcome!", blocks=BLOCKS)


@pytest.mark.django_db
def test_list_searches_and_shows_an_empty_state(client, marketer, template):
    template_create(actor=marketer, name="Webinar invite", subject="Join us", blocks=BLOCKS)
    client.force_login(marketer)

    page = client.get("/email/templates/?q=webinar").content.decode()
    empty = client.get("/email/templates/?q=nothing-matches").content.decode()
    none = client.get("/email/templates/?format=html").content.decode()

    assert "Webinar invite" in page and ">Welcome<" not in page
    assert "No templates match these filters." in empty
    assert "No templates match these filters." in none


@pytest.mark.django_db
def test_list_is_empty_for_a_new_workspace(client, marketer):
    client.force_login(marketer)

    page = client.get("/email/templates/").content.decode()

    assert "No email templates yet." in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/email/templates/",
        "/email/templates/new/",
        "/email/outbox/",
        "/email/settings/",
    ],
)
def test_sales_reps_cannot_open_email_pages(client, rep_a, url):
    client.force_login(rep_a)

    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_a_rep_posting_a_template_creates_nothing(client, rep_a):
    client.force_login(rep_a)

    response = client.post("/email/templates/new/", editor_post())

    assert response.status_code == 403
    assert EmailTemplate.objects.count() == 0


@pytest.mark.django_db
def test_creating_a_template_through_the_editor(client, marketer):
    client.force_login(marketer)

    response = client.post("/email/templates/new/", editor_post())

    template = EmailTemplate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/email/templates/{template.pk}/"
    assert template.subject == "Welcome {{ contact.first_name }}"
    assert template.blocks == BLOCKS


@pytest.mark.django_db
def test_editor_shows_every_error_and_saves_nothing(client, marketer):
    client.force_login(marketer)

    response = client.post(
        "/email/templates/new/",
        editor_post(subject="x" * 301, **{"block-1-url": "javascript:alert(1)"}),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Subject is longer than 300 characters (301)." in page
    assert "Block 2 (button): Link must start with https://, http:// or mailto:." in page
    assert EmailTemplate.objects.count() == 0


@pytest.mark.django_db
def test_editor_reports_template_syntax_errors(client, marketer, template):
    client.force_login(marketer)

    response = client.post(
        f"/email/templates/{template.pk}/", editor_post(subject="Hi {% load static %}")
    )

    assert response.status_code == 400
    assert "Unknown or forbidden tag on line 1: &#x27;load&#x27;." in response.content.decode()
    template.refresh_from_db()
    assert template.subject == "Welcome!"


@pytest.mark.django_db
def test_block_actions_without_javascript_change_rows_but_save_nothing(client, marketer, template):
    client.force_login(marketer)

    response = client.post(
        f"/email/templates/{template.pk}/", editor_post(action="add:divider", name="Changed")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="block-2-type" value="divider"' in page
    assert 'name="block_count" value="3"' in page
    assert 'value="Changed"' in page
    template.refresh_from_db()
    assert (template.name, template.blocks) == ("Welcome", BLOCKS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "types"),
    [
        ("add:image", ["heading", "button", "image"]),
        ("up:1", ["button", "heading"]),
        ("down:0", ["button", "heading"]),
        ("remove:0", ["button"]),
        ("up:0", ["heading", "button"]),
        ("remove:9", ["heading", "button"]),
        ("add:script", ["heading", "button"]),
    ],
)
def test_htmx_block_actions_return_the_rows(client, marketer, action, types):
    client.force_login(marketer)

    response = client.post(
        "/email/templates/blocks/", editor_post(action=action), HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Trigger"] == "blocks-changed"
    assert [
        page.split(f'name="block-{i}-type" value="')[1].split('"')[0] for i in range(len(types))
    ] == types
    assert f'name="block-{len(types)}-type"' not in page


@pytest.mark.django_db
def test_preview_renders_in_a_sandboxed_iframe_as_the_chosen_contact(client, marketer):
    contact = Contact.objects.create(first_name="Grace", email="grace@example.com")
    client.force_login(marketer)

    response = client.post(
        "/email/templates/preview/",
        editor_post(preview_contact=str(contact.pk), preview_width="mobile"),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert '<iframe sandbox="" referrerpolicy="no-referrer" title="Email preview" srcdoc="' in page
    assert "allow-scripts" not in page
    assert "<strong>Welcome Grace</strong>" in page
    assert "Hi Grace&lt;/h1&gt;" in page  # the email's HTML, escaped into the srcdoc attribute
    assert "email-frame-mobile" in page
    assert "Hi Grace\n\nSee pricing (https://example.com/pricing)" in page


@pytest.mark.django_db
def test_preview_uses_the_sample_contact_by_default(client, marketer):
    client.force_login(marketer)

    page = client.post("/email/templates/preview/", editor_post()).content.decode()

    assert "<strong>Welcome Alex</strong>" in page
    assert "Sample contact (Alex Sample)" in page


@pytest.mark.django_db
def test_preview_shows_a_template_error_instead_of_the_email(client, marketer):
    client.force_login(marketer)

    page = client.post(
        "/email/templates/preview/", editor_post(subject="{{ contact|nosuch }}")
    ).content.decode()

    assert "Template error:</strong> Unknown or forbidden filter: &#x27;nosuch&#x27;" in page
    assert "<iframe" not in page


@pytest.mark.django_db
def test_preview_warns_about_blocks_that_would_be_refused(client, marketer):
    client.force_login(marketer)

    page = client.post(
        "/email/templates/preview/", editor_post(**{"block-1-url": "javascript:alert(1)"})
    ).content.decode()

    assert "Block 2 (button): Link must start with https://, http:// or mailto:." in page
    assert "href=&quot;javascript" not in page  # the button is left out of the preview


@pytest.mark.django_db
def test_contact_picker_finds_contacts(client, marketer):
    Contact.objects.create(first_name="Grace", last_name="Hopper", email="grace@example.com")
    Contact.objects.create(first_name="Alan", email="alan@example.com")
    client.force_login(marketer)

    page = client.get("/email/templates/contacts/?contact_q=hopper").content.decode()

    assert "Grace Hopper" in page
    assert "Alan" not in page


@pytest.mark.django_db
def test_test_send_from_the_editor_reaches_the_smtp_server(client, marketer, settings):
    contact = Contact.objects.create(first_name="Grace", email="grace@example.com")
    client.force_login(marketer)

    with smtp_sink() as sink:
        use_smtp_sink(settings, sink)
        response = client.post(
            "/email/templates/test/",
            editor_post(to_address="qa@example.com", preview_contact=str(contact.pk)),
            HTTP_HX_REQUEST="true",
        )

    assert response.status_code == 200
    assert "Test sent to qa@example.com." in response.content.decode()
    assert [m.message["Subject"] for m in sink.messages] == ["[Test] Welcome Grace"]
    html = sink.messages[0].message.get_body(preferencelist=("html",)).get_content()
    assert "Hi Grace</h1>" in html


@pytest.mark.django_db
def test_test_send_refuses_a_bad_address(client, marketer, mailoutbox):
    client.force_login(marketer)

    response = client.post("/email/templates/test/", editor_post(to_address="nope"))

    assert response.status_code == 400
    assert "Not sent: Enter a valid email address." in response.content.decode()
    assert mailoutbox == []


@pytest.mark.django_db
def test_test_send_refuses_a_broken_template(client, marketer, mailoutbox):
    client.force_login(marketer)

    response = client.post(
        "/email/templates/test/",
        editor_post(to_address="qa@example.com", subject="{% include 'x' %}"),
    )

    assert response.status_code == 400
    assert "Unknown or forbidden tag on line 1: &#x27;include&#x27;." in response.content.decode()
    assert mailoutbox == []


@pytest.mark.django_db
def test_test_sends_are_rate_limited_per_user(client, marketer, admin_user, mailoutbox):
    client.force_login(marketer)
    for _ in range(20):
        assert (
            client.post(
                "/email/templates/test/", editor_post(to_address="qa@example.com")
            ).status_code
            == 200
        )

    refused = client.post("/email/templates/test/", editor_post(to_address="qa@example.com"))
    client.force_login(admin_user)
    other_user = client.post("/email/templates/test/", editor_post(to_address="qa@example.com"))

    assert refused.status_code == 429
    assert "You have sent many tests in the last hour." in refused.content.decode()
    assert other_user.status_code == 200
    assert len(mailoutbox) == 21


@pytest.mark.django_db
def test_duplicate_and_delete(client, marketer, template):
    client.force_login(marketer)

    response = client.post(f"/email/templates/{template.pk}/duplicate/")
    copy = EmailTemplate.objects.exclude(pk=template.pk).get()
    assert response["Location"] == f"/email/templates/{copy.pk}/"
    assert copy.name == "Copy of Welcome"

    confirm = client.get(f"/email/templates/{template.pk}/delete/")
    assert confirm.status_code == 200
    assert EmailTemplate.objects.filter(pk=template.pk).exists()  # GET deletes nothing

    response = client.post(f"/email/templates/{template.pk}/delete/")
    assert response["Location"] == "/email/templates/"
    assert list(EmailTemplate.objects.values_list("pk", flat=True)) == [copy.pk]


@pytest.mark.django_db
def test_get_never_duplicates(client, marketer, template):
    client.force_login(marketer)

    assert client.get(f"/email/templates/{template.pk}/duplicate/").status_code == 405
    assert EmailTemplate.objects.count() == 1


@pytest.mark.django_db
def test_editor_page_renders_for_an_existing_template(client, marketer, template):
    client.force_login(marketer)

    page = client.get(f"/email/templates/{template.pk}/").content.decode()

    assert 'name="block-1-url" type="text" value="https://example.com/pricing"' in page
    assert 'hx-post="/email/templates/preview/"' in page
    assert client.get("/email/templates/99999/").status_code == 404


@pytest.mark.django_db
def test_email_settings_admin_edits_marketer_reads(client, admin_user, marketer):
    client.force_login(marketer)
    assert client.get("/email/settings/").status_code == 200
    assert client.post("/email/settings/", {"from_name": "X"}).status_code == 403

    client.force_login(admin_user)
    bad = client.post("/email/settings/", {"from_address": "nope", "postal_address": ""})
    assert bad.status_code == 400
    response = client.post(
        "/email/settings/",
        {"from_name": "Acme", "from_address": "news@acme.example", "postal_address": "1 Road"},
    )

    assert response.status_code == 302
    workspace = workspace_get()
    assert (workspace.email_from_name, workspace.email_from_address, workspace.postal_address) == (
        "Acme",
        "news@acme.example",
        "1 Road",
    )
