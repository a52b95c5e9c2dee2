"""Deal file uploads and downloads over the API (revline.sales.workbench_api): the same service,
limits and storage as the deal page."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from revline.audit.models import AuditEntry
from revline.core.services import api_token_issue
from revline.people.services import contact_create
from revline.sales.models import Deal, DealAttachment
from revline.sales.services import ATTACHMENT_MAX_BYTES, deal_attachment_add_link, deal_create

from .conftest import BASE, ApiClient, error_fields


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def deal_a(rep_a) -> Deal:
    ada = contact_create(actor=None, first_name="Ada", email="ada@example.com")
    return deal_create(actor=rep_a, name="Acme rollout", amount=Decimal("1000.00"), contact=ada)


def upload(api: ApiClient, deal: Deal, data: dict[str, object]) -> object:
    return api.client.post(f"{BASE}/deals/{deal.pk}/attachments/upload", data, **api.headers)


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


@pytest.mark.django_db
def test_rep_uploads_a_file_and_downloads_the_same_bytes(api_as, rep_a, manager_a, deal_a, media):
    # Given
    body = b"%PDF-1.4 proposal \x00\xff"
    file = SimpleUploadedFile("Proposal v2.pdf", body, content_type="text/html")
    # When
    response = upload(api_as(rep_a), deal_a, {"file": file, "title": "Proposal"})
    # Then: stored under MEDIA_ROOT; the media type comes from the name, not the request
    assert response.status_code == 201
    stored = DealAttachment.objects.get()
    assert (media / stored.file.name).read_bytes() == body
    answer = response.json()
    assert {k: v for k, v in answer.items() if k not in ("added_by", "created_at")} == {
        "id": stored.pk,
        "title": "Proposal",
        "kind": "file",
        "url": f"/sales/deals/{deal_a.pk}/files/{stored.pk}/",
        "file_name": "Proposal_v2.pdf",
        "size": len(body),
        "content_type": "application/pdf",
        "download_path": f"/api/v1/deals/{deal_a.pk}/attachments/{stored.pk}/file",
    }
    assert answer["added_by"]["id"] == rep_a.pk
    assert AuditEntry.objects.filter(
        action="create", object_type="sales.dealattachment", object_id=str(stored.pk)
    ).exists()
    # When: a teammate downloads it
    download = api_as(manager_a).client.get(answer["download_path"], **api_as(manager_a).headers)
    # Then
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == body
    assert download["Content-Disposition"] == 'attachment; filename="Proposal_v2.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_title_defaults_to_the_file_name_and_unsafe_names_are_cleaned(api_as, rep_a, deal_a, media):
    file = SimpleUploadedFile("../../etc/pass wd<script>.txt", b"abc")
    response = upload(api_as(rep_a), deal_a, {"file": file})
    assert response.status_code == 201
    stored = DealAttachment.objects.get()
    assert (response.json()["title"], response.json()["file_name"]) == (
        "pass wd<script>.txt",
        "pass_wdscript.txt",
    )
    assert stored.file.name.startswith("deal_files/")
    assert (media / stored.file.name).resolve().is_relative_to(media.resolve())


@pytest.mark.django_db
def test_a_file_over_10_mb_is_422_and_nothing_is_stored(api_as, rep_a, deal_a, media):
    file = SimpleUploadedFile("big.zip", b"0" * (ATTACHMENT_MAX_BYTES + 1))
    response = upload(api_as(rep_a), deal_a, {"file": file})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "file"], "msg": "Files are at most 10 MB.", "type": "value_error"}
    ]
    assert not DealAttachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.django_db
def test_an_empty_file_is_422_and_nothing_is_stored(api_as, rep_a, deal_a, media):
    response = upload(api_as(rep_a), deal_a, {"file": SimpleUploadedFile("empty.txt", b"")})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "The file is empty."
    assert not DealAttachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.django_db
def test_a_missing_file_part_or_too_long_title_is_422(api_as, rep_a, deal_a, media):
    missing = upload(api_as(rep_a), deal_a, {"title": "Nothing"})
    long_title = upload(
        api_as(rep_a), deal_a, {"file": SimpleUploadedFile("a.txt", b"a"), "title": "x" * 201}
    )
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "file"
    assert long_title.status_code == 422
    assert error_fields(long_title) == ["title"]
    assert not DealAttachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.django_db
def test_a_rep_of_another_team_gets_404_and_nothing_changes(api_as, rep_a, rep_b, deal_a, media):
    # Given
    upload(api_as(rep_a), deal_a, {"file": SimpleUploadedFile("notes.txt", b"secret pricing")})
    stored = DealAttachment.objects.get()
    other = api_as(rep_b)
    # When
    uploaded = upload(other, deal_a, {"file": SimpleUploadedFile("x.txt", b"x")})
    downloaded = other.get(f"/deals/{deal_a.pk}/attachments/{stored.pk}/file")
    deleted = other.delete(f"/deals/{deal_a.pk}/attachments/{stored.pk}")
    # Then
    assert (uploaded.status_code, downloaded.status_code, deleted.status_code) == (404, 404, 404)
    assert b"secret pricing" not in downloaded.content
    assert list(DealAttachment.objects.values_list("pk", flat=True)) == [stored.pk]
    assert len(stored_files(media)) == 1


@pytest.mark.django_db
def test_a_file_of_another_deal_is_not_served_through_this_one(api_as, rep_a, deal_a, media):
    other = deal_create(actor=rep_a, name="Other", amount=Decimal("1.00"))
    upload(api_as(rep_a), other, {"file": SimpleUploadedFile("a.txt", b"other deal")})
    stored = DealAttachment.objects.get()
    response = api_as(rep_a).get(f"/deals/{deal_a.pk}/attachments/{stored.pk}/file")
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_token_without_sales_write_cannot_upload(rep_a, deal_a, media):
    # Given
    api = ApiClient(api_token_issue(user=rep_a, name="ro", scopes=["sales:read"]).raw)
    # When
    response = upload(api, deal_a, {"file": SimpleUploadedFile("a.txt", b"abc")})
    # Then
    assert response.status_code == 403
    assert response.json() == {"detail": "This token lacks the scope 'sales:write'."}
    assert not DealAttachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.django_db
def test_a_marketer_who_may_not_change_the_deal_gets_403(api_as, marketer, deal_a, media):
    response = upload(api_as(marketer), deal_a, {"file": SimpleUploadedFile("a.txt", b"abc")})
    assert response.status_code == 403
    assert not DealAttachment.objects.exists()
    assert stored_files(media) == []


@pytest.mark.django_db
def test_downloading_a_link_attachment_is_409_with_a_reason(api_as, rep_a, deal_a):
    link = deal_attachment_add_link(
        actor=rep_a, deal=deal_a, title="Doc", url="https://docs.example.com/a"
    )
    response = api_as(rep_a).get(f"/deals/{deal_a.pk}/attachments/{link.pk}/file")
    assert response.status_code == 409
    assert response.json() == {"detail": "This attachment is a link, not a file; follow its url."}
    listed = api_as(rep_a).get(f"/deals/{deal_a.pk}/attachments").json()["items"]
    assert [(a["kind"], a["file_name"], a["download_path"]) for a in listed] == [
        ("link", None, None)
    ]


@pytest.mark.django_db
def test_unknown_attachment_is_404(api_as, rep_a, deal_a):
    assert api_as(rep_a).get(f"/deals/{deal_a.pk}/attachments/999999/file").status_code == 404


@pytest.mark.django_db
def test_deleting_a_file_through_the_api_removes_it_from_storage(
    api_as, rep_a, deal_a, media, django_capture_on_commit_callbacks
):
    # Given
    upload(api_as(rep_a), deal_a, {"file": SimpleUploadedFile("a.txt", b"abc")})
    stored = DealAttachment.objects.get()
    path = media / stored.file.name
    assert path.exists()
    # When
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(rep_a).delete(f"/deals/{deal_a.pk}/attachments/{stored.pk}")
    # Then
    assert response.status_code == 204
    assert not DealAttachment.objects.exists()
    assert not path.exists()


@pytest.mark.django_db
def test_an_upload_larger_than_the_in_memory_limit_is_idempotent(api_as, rep_a, deal_a, media):
    # Given: 3 MB, over Django's 2.5 MB in-memory request body limit
    body = b"1" * (3 * 1024 * 1024)
    api = api_as(rep_a)

    def send(content: bytes) -> Any:
        file = SimpleUploadedFile("big.bin", content)
        return api.client.post(
            f"{BASE}/deals/{deal_a.pk}/attachments/upload",
            {"file": file},
            HTTP_IDEMPOTENCY_KEY="upload-1",
            **api.headers,
        )

    # When
    first = send(body)
    repeat = send(body)
    other = send(body[:-1] + b"2")
    # Then
    assert first.status_code == 201
    assert (repeat.status_code, repeat["Idempotent-Replayed"]) == (201, "true")
    assert repeat.json() == first.json()
    assert other.status_code == 422
    assert DealAttachment.objects.count() == 1
    assert len(stored_files(media)) == 1
