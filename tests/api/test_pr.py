from datetime import date

import pytest

from revline.audit.models import AuditEntry
from revline.pr.models import Coverage, MediaContact, PressRelease
from revline.pr.services import (
    coverage_create,
    media_contact_create,
    press_release_create,
    press_release_transition,
)

from .conftest import error_fields


@pytest.fixture
def ada(db) -> MediaContact:
    return media_contact_create(actor=None, name="Ada Lovelace", outlet="TechDaily")


@pytest.fixture
def draft(db) -> PressRelease:
    return press_release_create(actor=None, title="Launch news", body="<p>Body</p>")


@pytest.fixture
def piece(ada) -> Coverage:
    return coverage_create(
        actor=None,
        outlet="TechDaily",
        title="Revline launches",
        published_on=date(2025, 3, 3),
        reach=1000,
        media_contact=ada,
    )


@pytest.mark.django_db
def test_marketer_updates_and_deletes_a_media_contact(api_as, marketer, ada):
    api = api_as(marketer)
    response = api.patch(
        f"/pr/media-contacts/{ada.pk}", {"beat": " Fintech ", "email": "ADA@Tech.test"}
    )
    assert response.status_code == 200
    assert (response.json()["beat"], response.json()["email"]) == ("Fintech", "ada@tech.test")
    assert api.delete(f"/pr/media-contacts/{ada.pk}").status_code == 204
    assert not MediaContact.objects.exists()
    actions = list(
        AuditEntry.objects.filter(object_type="pr.mediacontact")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "delete"]


@pytest.mark.django_db
def test_bad_media_contact_patch_is_422_and_changes_nothing(api_as, marketer, ada):
    api = api_as(marketer)
    for body, field in [({"name": ""}, "name"), ({"email": "nope"}, "email"),
                        ({"owner_id": 99999}, "owner_id"), ({"outlet": None}, "outlet")]:  # fmt: skip
        response = api.patch(f"/pr/media-contacts/{ada.pk}", body)
        assert response.status_code == 422
        assert field in error_fields(response)
    ada.refresh_from_db()
    assert (ada.name, ada.outlet, ada.email) == ("Ada Lovelace", "TechDaily", "")


@pytest.mark.django_db
def test_marketer_edits_and_deletes_a_draft_release(api_as, marketer, draft):
    api = api_as(marketer)
    response = api.patch(
        f"/pr/releases/{draft.pk}", {"title": "Big news", "body": "<p onclick='x()'>Hi</p>"}
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["body"]) == ("Big news", "<p>Hi</p>")
    assert api.delete(f"/pr/releases/{draft.pk}").status_code == 204
    assert not PressRelease.objects.exists()


@pytest.mark.django_db
def test_a_release_past_draft_cannot_be_edited_or_deleted(api_as, marketer, draft):
    press_release_transition(actor=None, release=draft, to_status="review")
    api = api_as(marketer)
    assert api.patch(f"/pr/releases/{draft.pk}", {"title": "Changed"}).status_code == 422
    response = api.delete(f"/pr/releases/{draft.pk}")
    assert (response.status_code, error_fields(response)) == (422, ["status"])
    draft.refresh_from_db()
    assert (draft.title, draft.status) == ("Launch news", "review")


@pytest.mark.django_db
def test_marketer_updates_and_deletes_coverage(api_as, marketer, piece):
    api = api_as(marketer)
    response = api.patch(
        f"/pr/coverage/{piece.pk}",
        {"reach": 5000, "competitors": ["Acme"], "media_contact_id": None},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["reach"], body["competitors"], body["media_contact"]) == (5000, ["Acme"], None)
    entry = AuditEntry.objects.filter(object_type="pr.coverage", action="update").get()
    assert entry.changes["competitors"] == [[], ["Acme"]]
    assert api.delete(f"/pr/coverage/{piece.pk}").status_code == 204
    assert not Coverage.objects.exists()


@pytest.mark.django_db
def test_bad_coverage_patch_is_422_and_changes_nothing(api_as, marketer, piece):
    api = api_as(marketer)
    for body, field in [({"reach": -1}, "reach"), ({"published_on": "2999-01-01"}, "published_on"),
                        ({"release_id": 99999}, "release_id"), ({"title": None}, "title")]:  # fmt: skip
        response = api.patch(f"/pr/coverage/{piece.pk}", body)
        assert response.status_code == 422
        assert field in error_fields(response)
    piece.refresh_from_db()
    assert (piece.reach, piece.published_on) == (1000, date(2025, 3, 3))


@pytest.mark.django_db
def test_a_rep_cannot_change_or_delete_pr_records(api_as, rep_a, ada, draft, piece):
    api = api_as(rep_a)
    assert api.patch(f"/pr/media-contacts/{ada.pk}", {"beat": "X"}).status_code == 403
    assert api.delete(f"/pr/media-contacts/{ada.pk}").status_code == 403
    assert api.patch(f"/pr/releases/{draft.pk}", {"title": "X"}).status_code == 403
    assert api.delete(f"/pr/releases/{draft.pk}").status_code == 403
    assert api.patch(f"/pr/coverage/{piece.pk}", {"reach": 1}).status_code == 403
    assert api.delete(f"/pr/coverage/{piece.pk}").status_code == 403
    assert (MediaContact.objects.count(), PressRelease.objects.count()) == (1, 1)
    piece.refresh_from_db()
    assert piece.reach == 1000


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/pr/media-contacts/999999", {"beat": "X"}),
        ("delete", "/pr/media-contacts/999999", None),
        ("patch", "/pr/releases/999999", {"title": "X"}),
        ("delete", "/pr/releases/999999", None),
        ("patch", "/pr/coverage/999999", {"reach": 1}),
        ("delete", "/pr/coverage/999999", None),
    ],
)
@pytest.mark.django_db
def test_unknown_pr_ids_are_404(api_as, marketer, method, path, body):
    api = api_as(marketer)
    response = getattr(api, method)(path, *([] if body is None else [body]))
    assert response.status_code == 404
