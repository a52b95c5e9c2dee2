"""Form builder pages: list, create, fields, order, embed codes; only marketers and admins build."""

import pytest

from revline.campaigns.models import Campaign, Channel
from revline.content.models import Form, FormField
from revline.content.services import form_submission_create
from revline.tracking.services import RequestInfo

from .builder_factories import CONSENT, make_form

SETTINGS = {
    "name": "Ebook download",
    "submit_label": "Send me the ebook",
    "thank_you_message": "Check your inbox.",
    "redirect_path": "",
    "campaign": "",
    "consent_purpose": "marketing_email",
    "consent_wording": "Email me.",
    "consent_wording_version": "v1",
}
FIELD = {"label": "Job title", "name": "title", "field_type": "text", "options_text": ""}


def field_keys(form: Form) -> list[str]:
    return list(form.fields.order_by("position").values_list("name", flat=True))


def test_list_searches_filters_sorts_and_shows_counts(client, marketer):
    campaign = Campaign.objects.create(name="Spring", channel=Channel.EMAIL)
    demo = make_form(marketer, campaign=campaign)
    make_form(marketer, name="Newsletter")
    form_submission_create(
        page=None,
        form=demo,
        values={"email": "a@example.com"},
        consent=False,
        visitor_id=None,
        ip_address=None,
        utm={},
        info=RequestInfo(),
    )
    client.force_login(marketer)

    listing = client.get("/forms/").context["listing"]
    assert [(f.name, f.field_count, f.submission_count) for f in listing.page] == [
        ("Demo request", 5, 1),
        ("Newsletter", 5, 0),
    ]
    names = lambda url: [f.name for f in client.get(url).context["listing"].page]  # noqa: E731
    assert names("/forms/?q=news") == ["Newsletter"]
    assert names(f"/forms/?campaign={campaign.pk}") == ["Demo request"]
    assert names("/forms/?sort=-submissions") == ["Demo request", "Newsletter"]
    assert names("/forms/?campaign=junk") == []
    assert "New form" in client.get("/forms/").content.decode()


def test_empty_list_has_an_empty_state(client, marketer):
    client.force_login(marketer)

    assert "No forms yet." in client.get("/forms/").content.decode()


def test_marketer_creates_a_form_and_lands_on_its_builder(client, marketer):
    client.force_login(marketer)

    response = client.post("/forms/new", SETTINGS)

    form = Form.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/forms/{form.pk}/"
    assert (form.name, form.submit_label, field_keys(form)) == (
        "Ebook download",
        "Send me the ebook",
        ["email"],
    )
    html = client.get(response["Location"]).content.decode()
    assert (
        f"&lt;script src=&quot;http://127.0.0.1:8000/f/{form.embed_key}.js&quot; async&gt;&lt;/script&gt;"
        in html
    )
    assert (
        f"&lt;form method=&quot;post&quot; action=&quot;http://127.0.0.1:8000/f/{form.embed_key}&quot;"
        in html
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"redirect_path": "https://evil.example"}, "redirect_path"),
        ({"redirect_path": "//evil.example"}, "redirect_path"),
        ({"redirect_path": "/\\evil.example"}, "redirect_path"),
        ({"redirect_path": "javascript:alert(1)"}, "redirect_path"),
        ({"campaign": "999"}, "campaign"),
    ],
)
def test_invalid_settings_show_errors_and_create_nothing(client, marketer, change, field):
    client.force_login(marketer)

    response = client.post("/forms/new", {**SETTINGS, **change})

    assert response.status_code == 400
    assert response.context["settings_form"].errors[field]
    assert Form.objects.count() == 0
    assert FormField.objects.count() == 0


def test_editing_settings_with_a_hostile_path_changes_nothing(client, marketer):
    form = make_form(marketer)
    client.force_login(marketer)

    response = client.post(
        f"/forms/{form.pk}/edit", {**SETTINGS, "redirect_path": "//evil.example"}
    )

    assert response.status_code == 400
    assert "Demo request" in response.content.decode()  # the heading shows the stored name
    form.refresh_from_db()
    assert (form.name, form.redirect_path) == ("Demo request", "")


def test_marketer_edits_settings(client, marketer):
    form = make_form(marketer)
    client.force_login(marketer)

    response = client.post(
        f"/forms/{form.pk}/edit",
        {**SETTINGS, "redirect_path": "/lp/welcome", "consent_wording_version": "v2"},
    )

    assert response.status_code == 302
    form.refresh_from_db()
    assert (form.name, form.redirect_path, form.consent_wording_version) == (
        "Ebook download",
        "/lp/welcome",
        "v2",
    )


def test_fields_are_added_edited_moved_and_removed(client, marketer):
    form = make_form(marketer)
    client.force_login(marketer)

    added = client.post(f"/forms/{form.pk}/fields/new", FIELD)
    assert added.status_code == 302
    assert field_keys(form) == ["email", "first_name", "company", "role", "newsletter", "title"]

    title = form.fields.get(name="title")
    edit = f"/forms/{form.pk}/fields/{title.pk}/edit"
    assert client.get(edit).context["field_form"]["label"].value() == "Job title"
    client.post(
        edit, {**FIELD, "label": "Size", "field_type": "select", "options_text": "S\n\nM\n"}
    )
    title.refresh_from_db()
    assert (title.label, title.field_type, title.options) == ("Size", "select", ["S", "M"])

    client.post(f"/forms/{form.pk}/fields/{title.pk}/move", {"direction": "up"})
    assert field_keys(form) == ["email", "first_name", "company", "role", "title", "newsletter"]
    assert (
        client.post(
            f"/forms/{form.pk}/fields/{title.pk}/move", {"direction": "sideways"}
        ).status_code
        == 400
    )

    client.post(f"/forms/{form.pk}/fields/{title.pk}/delete")
    assert field_keys(form) == ["email", "first_name", "company", "role", "newsletter"]


def test_a_bad_field_shows_its_error_on_the_builder_and_adds_nothing(client, marketer):
    form = make_form(marketer)
    client.force_login(marketer)

    response = client.post(f"/forms/{form.pk}/fields/new", {**FIELD, "name": "utm_source"})

    assert response.status_code == 400
    assert response.context["field_form"].errors["name"] == [
        "“utm_source” is used by the form itself; choose another key."
    ]
    assert field_keys(form) == ["email", "first_name", "company", "role", "newsletter"]


def test_the_email_field_cannot_be_removed(client, marketer):
    form = make_form(marketer)
    email = form.fields.get(name="email")
    client.force_login(marketer)

    response = client.post(f"/forms/{form.pk}/fields/{email.pk}/delete", follow=True)

    assert "The email field cannot be removed" in response.content.decode()
    assert FormField.objects.filter(pk=email.pk).exists()


def test_a_field_of_another_form_is_404(client, marketer):
    form = make_form(marketer)
    other = make_form(marketer, name="Other")
    foreign = other.fields.get(name="company")
    client.force_login(marketer)

    assert client.get(f"/forms/{form.pk}/fields/{foreign.pk}/edit").status_code == 404
    assert client.post(f"/forms/{form.pk}/fields/{foreign.pk}/delete").status_code == 404
    assert FormField.objects.filter(pk=foreign.pk).exists()


def test_detail_shows_fields_preview_and_escapes_everything(client, marketer):
    form = make_form(marketer, name="<b>Bold</b>", consent_wording="<script>alert(1)</script>")
    client.force_login(marketer)

    html = client.get(f"/forms/{form.pk}/").content.decode()

    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert CONSENT not in html
    assert 'name="role"' in html  # the preview
    assert " inert" in html


def test_sales_reps_read_forms_but_cannot_build_them(client, rep_a, marketer):
    form = make_form(marketer)
    company = form.fields.get(name="company")
    client.force_login(rep_a)

    assert client.get("/forms/").status_code == 200
    detail = client.get(f"/forms/{form.pk}/")
    assert detail.status_code == 200
    assert "Add a field" not in detail.content.decode()
    assert client.get("/forms/new").status_code == 403
    assert client.post("/forms/new", SETTINGS).status_code == 403
    assert client.get(f"/forms/{form.pk}/edit").status_code == 403
    assert client.post(f"/forms/{form.pk}/edit", SETTINGS).status_code == 403
    assert client.post(f"/forms/{form.pk}/fields/new", FIELD).status_code == 403
    assert client.get(f"/forms/{form.pk}/fields/{company.pk}/edit").status_code == 403
    assert client.post(f"/forms/{form.pk}/fields/{company.pk}/delete").status_code == 403
    assert (
        client.post(f"/forms/{form.pk}/fields/{company.pk}/move", {"direction": "up"}).status_code
        == 403
    )
    assert Form.objects.count() == 1
    form.refresh_from_db()
    assert form.name == "Demo request"
    assert field_keys(form) == ["email", "first_name", "company", "role", "newsletter"]


def test_anonymous_visitors_are_sent_to_log_in(client, marketer):
    form = make_form(marketer)

    assert client.get("/forms/")["Location"].startswith("/login/")
    assert client.post(f"/forms/{form.pk}/fields/new", FIELD)["Location"].startswith("/login/")
    assert FormField.objects.filter(form=form).count() == 5


def test_builder_pages_refuse_get_for_writes(client, marketer):
    form = make_form(marketer)
    company = form.fields.get(name="company")
    client.force_login(marketer)

    assert client.get(f"/forms/{form.pk}/fields/{company.pk}/delete").status_code == 405
    assert client.get(f"/forms/{form.pk}/fields/{company.pk}/move").status_code == 405
    assert FormField.objects.filter(pk=company.pk).exists()
