"""The import pages through HTTP: upload, mapping, dry run report, import, progress, cancel."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from revline.people.models import Contact, ContactImport, ImportStatus

from .import_helpers import upload

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def logged_in(client, marketer):
    client.force_login(marketer)
    return client


def csv_file(text: str, name: str = "fair.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def mapping_post(imp: ContactImport, **options) -> dict:
    data = {f"col_{i}": imp.mapping[h] for i, h in enumerate(imp.headers)}
    data.update({"duplicate_policy": "skip", "tags": "", "consent_wording": ""})
    data.update(options)
    return data


def test_pages_need_login(client):
    for url in (reverse("people:imports"), reverse("people:import_new"),
                reverse("people:contacts_export")):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login")


def test_upload_then_mapping_page(logged_in):
    # When a CSV is uploaded
    response = logged_in.post(
        reverse("people:import_new"),
        {"kind": "contacts", "file": csv_file("E-mail,First Name,Notes\na@x.co,Ann,hi\n")},
    )
    imp = ContactImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("people:import", args=[imp.pk])
    # Then the mapping page offers a choice per column, with suggestions selected
    page = logged_in.get(response["Location"]).content.decode()
    assert '<option value="email" selected>Email</option>' in page
    assert '<option value="first_name" selected>First name</option>' in page
    assert "Save and run the dry run" in page


def test_upload_errors_are_shown_on_the_form(logged_in):
    response = logged_in.post(
        reverse("people:import_new"), {"kind": "contacts", "file": csv_file("Email,email\n")}
    )
    assert response.status_code == 400
    assert "Two columns are named “email” (columns 1 and 2)" in response.content.decode()
    assert ContactImport.objects.count() == 0


def test_an_oversized_upload_is_refused_from_its_length(logged_in, settings):
    settings.REVLINE_IMPORT_MAX_BYTES = 10
    response = logged_in.post(
        reverse("people:import_new"),
        {"kind": "contacts", "file": csv_file("Email\n" + "a@x.co\n" * 200_000)},
    )
    assert response.status_code == 413
    assert "The file is larger than 1 KB." in response.content.decode()
    assert ContactImport.objects.count() == 0


def test_upload_needs_csrf(client, marketer):
    client = client.__class__(enforce_csrf_checks=True)
    client.force_login(marketer)
    response = client.post(
        reverse("people:import_new"), {"kind": "contacts", "file": csv_file("Email\na@x.co\n")}
    )
    assert response.status_code == 403
    assert ContactImport.objects.count() == 0


def test_dry_run_report_escapes_values_and_the_import_runs(
    logged_in, marketer, django_capture_on_commit_callbacks
):
    imp = upload(marketer, f"Email,Name\n{XSS}@x.co,Ann\nok@x.co,{XSS}\n")
    # When the mapping is saved (with "import the good rows")
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(
            reverse("people:import_configure", args=[imp.pk]),
            mapping_post(imp, import_good_rows="on", col_1="first_name"),
        )
    assert response.status_code == 302
    page = logged_in.get(reverse("people:import", args=[imp.pk])).content.decode()
    # Then the report lists the bad row, escaped
    assert XSS not in page
    assert "invalid email address “&lt;script&gt;alert(1)&lt;/script&gt;@x.co”" in page
    assert "Import the file" in page
    # When the import is started
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(reverse("people:import_start", args=[imp.pk]))
    assert response.status_code == 302
    imp.refresh_from_db()
    assert (imp.status, imp.rows_created) == (ImportStatus.DONE, 1)
    # And the imported value is shown escaped on the contact list
    listing = logged_in.get(reverse("people:contacts")).content.decode()
    assert XSS not in listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing


def test_start_is_refused_while_rows_are_bad(
    logged_in, marketer, django_capture_on_commit_callbacks
):
    imp = upload(marketer, "Email\nbad\nok@x.co\n")
    with django_capture_on_commit_callbacks(execute=True):
        logged_in.post(reverse("people:import_configure", args=[imp.pk]), mapping_post(imp))
    response = logged_in.post(reverse("people:import_start", args=[imp.pk]))
    assert response.status_code == 400
    assert "1 rows are bad." in response.content.decode()
    assert Contact.objects.count() == 0


def test_mapping_errors_are_shown_and_change_nothing(logged_in, marketer):
    imp = upload(marketer, "Email,Name\na@x.co,Ann\n")
    response = logged_in.post(
        reverse("people:import_configure", args=[imp.pk]), mapping_post(imp, col_0="")
    )
    assert response.status_code == 400
    assert "Map a column to Email: every row needs one." in response.content.decode()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.UPLOADED


def test_progress_polls_while_running_and_reloads_when_done(logged_in, marketer):
    imp = upload(marketer, "Email\na@x.co\n")
    ContactImport.objects.filter(pk=imp.pk).update(
        status=ImportStatus.IMPORTING, rows_total=400, rows_done=100
    )
    url = reverse("people:import_progress", args=[imp.pk])
    response = logged_in.get(url, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "<strong>25%</strong> · 100 of 400 rows" in page
    assert "HX-Refresh" not in response
    ContactImport.objects.filter(pk=imp.pk).update(status=ImportStatus.DONE)
    response = logged_in.get(url, headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    assert "hx-trigger" not in response.content.decode()


def test_cancel(logged_in, marketer):
    imp = upload(marketer, "Email\na@x.co\n")
    response = logged_in.post(reverse("people:import_cancel", args=[imp.pk]))
    assert response.status_code == 302
    imp.refresh_from_db()
    assert imp.status == ImportStatus.CANCELLED


def test_another_user_sees_the_import_but_cannot_change_it(client, marketer, rep_a):
    imp = upload(marketer, "Email\na@x.co\n")
    client.force_login(rep_a)
    page = client.get(reverse("people:import", args=[imp.pk])).content.decode()
    assert "Only the person who uploaded the file" in page
    assert client.post(reverse("people:import_cancel", args=[imp.pk])).status_code == 403
    imp.refresh_from_db()
    assert imp.status == ImportStatus.UPLOADED


def test_import_list(logged_in, marketer):
    upload(marketer, "Email\na@x.co\n", name="spring.csv")
    upload(marketer, "Email\na@x.co\n", name="autumn.csv")
    page = logged_in.get(reverse("people:imports"), {"q": "spring"}).content.decode()
    assert "spring.csv" in page and "autumn.csv" not in page
    empty = logged_in.get(reverse("people:imports"), {"status": "done"}).content.decode()
    assert "No imports match these filters." in empty


def test_contacts_page_links_import_and_filtered_export(logged_in):
    page = logged_in.get(reverse("people:contacts"), {"stage": "lead", "q": "ann"}).content.decode()
    assert f'href="{reverse("people:contacts_export")}?stage=lead&amp;q=ann"' in page
    assert f'href="{reverse("people:import_new")}"' in page


def test_all_bad_rows_download_as_csv_with_the_row_as_uploaded(
    logged_in, marketer, django_capture_on_commit_callbacks
):
    # Given a dry run that found two bad rows, one of them a would-be spreadsheet formula
    from .import_helpers import check

    imp = check(
        marketer,
        upload(marketer, "Email,First name\na@x.co,Ann\nnot-an-email,=cmd()\nb@x.co,Bo\n,Cy\n"),
        django_capture_on_commit_callbacks,
    )
    assert imp.rows_bad == 2
    # When the report is downloaded
    response = logged_in.get(reverse("people:import_bad_rows", args=[imp.pk]))
    # Then every bad row is there with its line, reason and cells, formulas neutralised
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="import-{imp.pk}-bad-rows.csv"'
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[0] == "line,what is wrong,Email,First name"
    assert lines[1].startswith("3,") and lines[1].endswith(",not-an-email,'=cmd()")
    assert lines[2].startswith("5,") and lines[2].endswith(",,Cy")
    assert len(lines) == 3


def test_bad_rows_download_needs_a_dry_run_and_a_people_user(logged_in, client, marketer, rep_a):
    imp = upload(marketer, "Email\na@x.co\n")
    response = logged_in.get(reverse("people:import_bad_rows", args=[imp.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("people:import", args=[imp.pk])
    assert logged_in.get(reverse("people:import_bad_rows", args=[99999])).status_code == 404
