from datetime import date

import pytest
from django.utils import timezone

from revline.audit.models import AuditEntry
from revline.content.builder_services import form_create
from revline.content.library_services import content_item_create
from revline.content.models import ContentItem, Form, FormField, FormSubmission, LandingPage
from revline.content.services import landing_page_save
from revline.people.models import Contact

from .conftest import error_fields


@pytest.fixture
def item(marketer) -> ContentItem:
    return content_item_create(
        actor=marketer, title="Pipeline guide", kind="blog_post", status="draft"
    )


@pytest.fixture
def form(marketer) -> Form:
    return form_create(actor=marketer, form=Form(name="Demo request"))


@pytest.fixture
def page(marketer, form) -> LandingPage:
    return landing_page_save(
        actor=marketer,
        page=LandingPage(slug="demo", title="Demo", headline="See it", form=form),
    )


@pytest.fixture
def submission(form, page) -> FormSubmission:
    contact = Contact.objects.create(email="ann@example.com", first_name="Ann")
    return FormSubmission.objects.create(
        form=form,
        landing_page=page,
        contact=contact,
        data={"email": "ann@example.com", "consent": True},
        submitted_at=timezone.now(),
        consent_wording_version="v1",
    )


# --- Content items -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_marketer_creates_reads_updates_and_deletes_a_content_item(api_as, marketer):
    api = api_as(marketer)
    # When
    created = api.post(
        "/content/items",
        {"title": " Forecasting 101 ", "kind": "blog_post", "status": "scheduled",
         "publish_date": "2026-03-02", "owner_id": marketer.pk},
    )  # fmt: skip
    # Then
    assert created.status_code == 201
    body = created.json()
    item = ContentItem.objects.get()
    assert (body["id"], body["title"], body["status"], body["publish_date"]) == (
        item.pk, "Forecasting 101", "scheduled", "2026-03-02",
    )  # fmt: skip
    assert (body["views"], body["leads"], body["revenue"], body["next_statuses"]) == (
        0, 0, "0.00", ["draft", "published"],
    )  # fmt: skip
    assert api.get(f"/content/items/{item.pk}").json()["title"] == "Forecasting 101"
    listed = api.get("/content/items", {"status": "scheduled", "q": "forecast"}).json()
    assert [row["id"] for row in listed["items"]] == [item.pk]
    assert api.get("/content/items", {"status": "idea"}).json()["total"] == 0
    # When
    patched = api.patch(f"/content/items/{item.pk}", {"summary": "Basics", "owner_id": None})
    # Then
    assert patched.status_code == 200
    assert (patched.json()["summary"], patched.json()["owner"]) == ("Basics", None)
    assert AuditEntry.objects.filter(object_type="content.contentitem").count() == 2
    # When
    assert api.delete(f"/content/items/{item.pk}").status_code == 204
    # Then
    assert not ContentItem.objects.exists()
    assert (
        AuditEntry.objects.filter(object_type="content.contentitem", action="delete").count() == 1
    )


@pytest.mark.django_db
def test_content_item_workflow_and_move_routes(api_as, marketer, item):
    api = api_as(marketer)
    moved = api.post(f"/content/items/{item.pk}/move", {"publish_date": "2026-05-04"})
    assert (moved.status_code, moved.json()["publish_date"]) == (200, "2026-05-04")
    stepped = api.post(f"/content/items/{item.pk}/status", {"status": "in_review"})
    assert (stepped.status_code, stepped.json()["status"]) == (200, "in_review")


@pytest.mark.django_db
def test_a_workflow_step_that_skips_ahead_is_422_and_changes_nothing(api_as, marketer, item):
    response = api_as(marketer).post(f"/content/items/{item.pk}/status", {"status": "published"})
    assert response.status_code == 422
    assert error_fields(response) == ["status"]
    item.refresh_from_db()
    assert item.status == "draft"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": " ", "kind": "blog_post"}, "title"),
        ({"title": "X", "kind": "poem"}, "kind"),
        ({"title": "X", "kind": "video", "status": "published"}, "publish_date"),
        ({"title": "X", "kind": "video", "url": "javascript:alert(1)"}, "url"),
        ({"title": "X", "kind": "video", "campaign_id": 999}, "campaign_id"),
        ({"title": "X", "kind": "video", "views": 5}, "views"),
    ],
)
@pytest.mark.django_db
def test_bad_content_item_is_422_naming_the_field(api_as, marketer, body, field):
    response = api_as(marketer).post("/content/items", body)
    assert response.status_code == 422
    assert field in error_fields(response)
    assert not ContentItem.objects.exists()


@pytest.mark.django_db
def test_a_rep_reads_content_but_cannot_change_it(api_as, rep_a, item):
    api = api_as(rep_a)
    assert api.get(f"/content/items/{item.pk}").status_code == 200
    assert api.get("/content/items").json()["total"] == 1
    assert api.post("/content/items", {"title": "X", "kind": "video"}).status_code == 403
    assert api.patch(f"/content/items/{item.pk}", {"title": "Hacked"}).status_code == 403
    assert api.post(f"/content/items/{item.pk}/status", {"status": "in_review"}).status_code == 403
    move = api.post(f"/content/items/{item.pk}/move", {"publish_date": "2026-01-01"})
    assert move.status_code == 403
    assert api.delete(f"/content/items/{item.pk}").status_code == 403
    item.refresh_from_db()
    assert (item.title, item.status, item.publish_date) == ("Pipeline guide", "draft", None)


# --- Landing pages -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_marketer_manages_a_landing_page_with_sanitised_blocks(api_as, marketer, form):
    api = api_as(marketer)
    created = api.post(
        "/content/landing-pages",
        {"slug": "spring", "title": "Spring", "headline": "Hello", "form_id": form.pk,
         "blocks": [{"type": "text", "html": "<p>Hi<script>x</script></p>"}, {"type": "form"}]},
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    page = LandingPage.objects.get(slug="spring")
    assert created.json()["form"] == {"id": form.pk, "name": "Demo request"}
    assert "<script>" not in str(page.blocks)
    unpublished = api.post(f"/content/landing-pages/{page.pk}/unpublish")
    assert (unpublished.status_code, unpublished.json()["is_published"]) == (200, False)
    published = api.post(f"/content/landing-pages/{page.pk}/publish")
    assert published.json()["is_published"] is True
    patched = api.patch(f"/content/landing-pages/{page.pk}", {"headline": "Welcome"})
    assert (patched.status_code, patched.json()["headline"]) == (200, "Welcome")
    assert api.get("/content/landing-pages", {"status": "published"}).json()["total"] == 1
    assert api.delete(f"/content/landing-pages/{page.pk}").status_code == 204
    assert not LandingPage.objects.exists()
    actions = list(
        AuditEntry.objects.filter(object_type="content.landingpage")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "update", "update", "delete"]


@pytest.mark.django_db
def test_bad_blocks_are_422_and_save_nothing(api_as, marketer):
    response = api_as(marketer).post(
        "/content/landing-pages",
        {"slug": "x", "title": "X", "headline": "X", "blocks": [{"type": "marquee"}]},
    )
    assert response.status_code == 422
    assert error_fields(response) == ["blocks"]
    assert not LandingPage.objects.exists()


@pytest.mark.django_db
def test_a_page_with_submissions_cannot_be_deleted(api_as, marketer, page, submission):
    response = api_as(marketer).delete(f"/content/landing-pages/{page.pk}")
    assert response.status_code == 422
    assert LandingPage.objects.filter(pk=page.pk).exists()
    assert FormSubmission.objects.count() == 1


@pytest.mark.django_db
def test_a_rep_cannot_change_landing_pages(api_as, rep_a, page):
    api = api_as(rep_a)
    assert api.get(f"/content/landing-pages/{page.pk}").status_code == 200
    assert api.post(f"/content/landing-pages/{page.pk}/unpublish").status_code == 403
    assert api.patch(f"/content/landing-pages/{page.pk}", {"title": "H"}).status_code == 403
    assert api.delete(f"/content/landing-pages/{page.pk}").status_code == 403
    body = {"slug": "new", "title": "N", "headline": "N"}
    assert api.post("/content/landing-pages", body).status_code == 403
    page.refresh_from_db()
    assert (page.title, page.is_published) == ("Demo", True)
    assert LandingPage.objects.count() == 1


# --- Forms, fields, submissions ----------------------------------------------------------------


@pytest.mark.django_db
def test_marketer_builds_a_form_through_the_api(api_as, marketer):
    api = api_as(marketer)
    created = api.post("/content/forms", {"name": "Newsletter", "double_opt_in": True})
    assert created.status_code == 201
    form_id = created.json()["id"]
    assert [f["name"] for f in created.json()["fields"]] == ["email"]
    field = api.post(
        f"/content/forms/{form_id}/fields",
        {"name": "size", "label": "Team size", "field_type": "select", "options": ["1-10", "11+"]},
    )
    assert (field.status_code, field.json()["position"]) == (201, 2)
    field_id = field.json()["id"]
    assert api.get(f"/content/forms/{form_id}/fields/{field_id}").json()["label"] == "Team size"
    renamed = api.patch(f"/content/forms/{form_id}/fields/{field_id}", {"label": "Company size"})
    assert (renamed.status_code, renamed.json()["label"]) == (200, "Company size")
    moved = api.post(f"/content/forms/{form_id}/fields/{field_id}/move", {"direction": "up"})
    assert [f["name"] for f in moved.json()] == ["size", "email"]
    assert [f["name"] for f in api.get(f"/content/forms/{form_id}/fields").json()] == [
        "size",
        "email",
    ]
    assert api.delete(f"/content/forms/{form_id}/fields/{field_id}").status_code == 204
    patched = api.patch(f"/content/forms/{form_id}", {"submit_label": "Join"})
    assert patched.json()["submit_label"] == "Join"
    assert api.get("/content/forms", {"q": "news"}).json()["total"] == 1
    assert api.delete(f"/content/forms/{form_id}").status_code == 204
    assert not Form.objects.exists()
    assert AuditEntry.objects.filter(object_type="content.formfield", action="delete").count() == 1


@pytest.mark.django_db
def test_the_email_field_cannot_be_removed_or_retyped(api_as, marketer, form):
    api = api_as(marketer)
    email = form.fields.get(name="email")
    assert api.delete(f"/content/forms/{form.pk}/fields/{email.pk}").status_code == 422
    retyped = api.patch(f"/content/forms/{form.pk}/fields/{email.pk}", {"field_type": "text"})
    assert (retyped.status_code, error_fields(retyped)) == (422, ["field_type"])
    email.refresh_from_db()
    assert email.field_type == "email"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "F", "redirect_path": "https://evil.example/"}, "redirect_path"),
        ({"name": "F", "campaign_id": 12345}, "campaign_id"),
        ({"name": "F", "embed_key": "mine"}, "embed_key"),
    ],
)
@pytest.mark.django_db
def test_bad_form_is_422_naming_the_field(api_as, marketer, body, field):
    response = api_as(marketer).post("/content/forms", body)
    assert response.status_code == 422
    assert field in error_fields(response)
    assert not Form.objects.exists()


@pytest.mark.django_db
def test_submissions_are_read_per_form_and_page(api_as, rep_a, form, page, submission):
    api = api_as(rep_a)
    listed = api.get(f"/content/forms/{form.pk}/submissions").json()
    assert listed["total"] == 1
    row = listed["items"][0]
    assert (row["id"], row["contact"]["email"], row["data"]["email"]) == (
        submission.pk, "ann@example.com", "ann@example.com",
    )  # fmt: skip
    one = api.get(f"/content/forms/{form.pk}/submissions/{submission.pk}")
    assert (one.status_code, one.json()["landing_page_id"]) == (200, page.pk)
    by_page = api.get(f"/content/landing-pages/{page.pk}/submissions").json()
    assert by_page["total"] == 1


@pytest.mark.django_db
def test_a_form_with_submissions_cannot_be_deleted(api_as, marketer, form, submission):
    assert api_as(marketer).delete(f"/content/forms/{form.pk}").status_code == 422
    assert Form.objects.filter(pk=form.pk).exists()


@pytest.mark.django_db
def test_a_rep_cannot_change_forms(api_as, rep_a, form):
    api = api_as(rep_a)
    field = form.fields.get()
    assert api.post("/content/forms", {"name": "X"}).status_code == 403
    assert api.patch(f"/content/forms/{form.pk}", {"name": "X"}).status_code == 403
    assert api.delete(f"/content/forms/{form.pk}").status_code == 403
    body = {"name": "x", "label": "X"}
    assert api.post(f"/content/forms/{form.pk}/fields", body).status_code == 403
    assert api.patch(f"/content/forms/{form.pk}/fields/{field.pk}", body).status_code == 403
    assert api.delete(f"/content/forms/{form.pk}/fields/{field.pk}").status_code == 403
    move = api.post(f"/content/forms/{form.pk}/fields/{field.pk}/move", {"direction": "up"})
    assert move.status_code == 403
    form.refresh_from_db()
    assert form.name == "Demo request"
    assert FormField.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/content/items/999999", None),
        ("patch", "/content/items/999999", {"title": "X"}),
        ("delete", "/content/items/999999", None),
        ("post", "/content/items/999999/status", {"status": "draft"}),
        ("post", "/content/items/999999/move", {"publish_date": "2026-01-01"}),
        ("get", "/content/landing-pages/999999", None),
        ("patch", "/content/landing-pages/999999", {"title": "X"}),
        ("delete", "/content/landing-pages/999999", None),
        ("post", "/content/landing-pages/999999/publish", {}),
        ("post", "/content/landing-pages/999999/unpublish", {}),
        ("get", "/content/landing-pages/999999/submissions", None),
        ("get", "/content/forms/999999", None),
        ("patch", "/content/forms/999999", {"name": "X"}),
        ("delete", "/content/forms/999999", None),
        ("get", "/content/forms/999999/fields", None),
        ("post", "/content/forms/999999/fields", {"name": "x", "label": "X"}),
        ("get", "/content/forms/FORM/fields/999999", None),
        ("patch", "/content/forms/FORM/fields/999999", {"label": "X"}),
        ("delete", "/content/forms/FORM/fields/999999", None),
        ("post", "/content/forms/FORM/fields/999999/move", {"direction": "up"}),
        ("get", "/content/forms/999999/submissions", None),
        ("get", "/content/forms/FORM/submissions/999999", None),
    ],
)
@pytest.mark.django_db
def test_unknown_ids_are_404(api_as, marketer, form, method, path, body):
    api = api_as(marketer)
    path = path.replace("FORM", str(form.pk))
    response = getattr(api, method)(path, *([] if body is None else [body]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_field_of_another_form_is_404(api_as, marketer, form):
    other = form_create(actor=marketer, form=Form(name="Other"))
    field = other.fields.get()
    response = api_as(marketer).get(f"/content/forms/{form.pk}/fields/{field.pk}")
    assert response.status_code == 404


@pytest.mark.django_db
def test_calendar_window_filter(api_as, marketer):
    for day in (date(2026, 1, 5), date(2026, 2, 5)):
        content_item_create(
            actor=marketer, title=f"On {day}", kind="video", status="scheduled", publish_date=day
        )
    listed = api_as(marketer).get(
        "/content/items", {"publish_from": "2026-02-01", "publish_to": "2026-02-28"}
    )
    assert [row["title"] for row in listed.json()["items"]] == ["On 2026-02-05"]


@pytest.mark.django_db
def test_a_select_field_without_options_is_422_naming_options(api_as, marketer, form):
    response = api_as(marketer).post(
        f"/content/forms/{form.pk}/fields",
        {"name": "size", "label": "Size", "field_type": "select"},
    )
    assert (response.status_code, error_fields(response)) == (422, ["options"])
    assert list(form.fields.values_list("name", flat=True)) == ["email"]
