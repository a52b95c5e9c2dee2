"""Contact and company imports, from the stored file to the written rows, as the UI runs them."""

import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revline.email.models import Suppression, SuppressionReason
from revline.leads.models import LifecycleTransition
from revline.people import import_services
from revline.people.models import (
    Company,
    ConsentRecord,
    Contact,
    ImportStatus,
    Tag,
    TimelineEvent,
)
from revline.people.services import contact_create

from .import_helpers import check, import_file, run, upload


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def emails() -> list[str]:
    return sorted(Contact.objects.values_list("email", flat=True))


GOOD = (
    "Email,First Name,Last Name,Company,Country,Lifecycle stage,Tags\n"
    'Ann@Example.com,Ann,Lee,Acme,de,lead,"vip, fair"\n'
    "bob@example.com,Bob,Ray,ACME,,MQL,\n"
    "cy@example.com,Cy,,Initech,US,,fair\n"
)


# --- Upload ------------------------------------------------------------------------------------


def test_upload_stores_the_file_under_the_data_dir_with_a_random_name(marketer, tmp_path):
    imp = upload(marketer, GOOD, name="../../etc/Fair 2025.csv")
    path = Path(imp.file_path)
    assert path.parent == tmp_path / "imports"
    assert path.suffix == ".csv" and len(path.stem) == 32
    assert imp.file_name == "Fair 2025.csv"
    assert imp.file_size == len(GOOD.encode())
    assert imp.status == ImportStatus.UPLOADED
    assert imp.headers == [
        "Email", "First Name", "Last Name", "Company", "Country", "Lifecycle stage", "Tags"
    ]  # fmt: skip
    assert imp.mapping == {
        "Email": "email", "First Name": "first_name", "Last Name": "last_name",
        "Company": "company", "Country": "country", "Lifecycle stage": "lifecycle_stage",
        "Tags": "tag",
    }  # fmt: skip


def test_upload_in_cp1252_is_stored_as_utf8(marketer):
    imp = upload(marketer, "Email,Name\nzoe@example.com,Zoë\n".encode("cp1252"))
    assert Path(imp.file_path).read_text(encoding="utf-8") == "Email,Name\nzoe@example.com,Zoë\n"


def test_upload_in_utf16_is_stored_as_utf8(marketer):
    imp = upload(marketer, "Email,Name\nzoe@example.com,Zoë\n".encode("utf-16"))
    assert imp.headers == ["Email", "Name"]
    assert "Zoë" in Path(imp.file_path).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("", "a.csv", "The file is empty."),
        ("\n\n", "a.csv", "first row is blank"),
        ("Email,Email\n", "a.csv", "Two columns are named"),
        ("a@b.co,Ann\n", "a.csv", "The first row looks like data"),
        ("Email\n", "a.pdf", "Upload a CSV file"),
        ("not a zip", "a.xlsx", "not a readable Excel workbook"),
    ],
)
def test_unusable_upload_is_refused_and_nothing_is_stored(
    marketer, tmp_path, content, name, message
):
    with pytest.raises(ValidationError) as info:
        upload(marketer, content, name=name)
    assert message in info.value.message_dict["file"][0]
    assert import_services.ContactImport.objects.count() == 0
    assert list(tmp_path.glob("imports/*")) == []


def test_upload_over_the_size_limit_is_refused(marketer, settings, tmp_path):
    settings.REVLINE_IMPORT_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as info:
        upload(marketer, "Email\n" + "a@example.com\n" * 100)
    assert info.value.message_dict == {"file": ["The file is larger than 1 KB."]}
    assert list(tmp_path.glob("imports/*")) == []


# --- Dry run and import --------------------------------------------------------------------------


def test_import_creates_contacts_companies_tags_and_timeline(marketer, capture):
    imp = import_file(marketer, GOOD, capture, tags=["Fair-2025"])
    assert (imp.status, imp.rows_total, imp.rows_done, imp.rows_bad) == ("done", 3, 3, 0)
    assert (imp.rows_created, imp.rows_updated, imp.rows_skipped) == (3, 0, 0)
    assert imp.finished_at is not None
    rows = Contact.objects.order_by("email").values_list(
        "email", "first_name", "company__name", "country", "lifecycle_stage", "source"
    )
    assert list(rows) == [
        ("ann@example.com", "Ann", "Acme", "DE", "lead", "import"),
        ("bob@example.com", "Bob", "Acme", "", "mql", "import"),
        ("cy@example.com", "Cy", "Initech", "US", "subscriber", "import"),
    ]
    # Company names are matched case-insensitively: one Acme
    assert sorted(Company.objects.values_list("name", flat=True)) == ["Acme", "Initech"]
    ann = Contact.objects.get(email="ann@example.com")
    assert sorted(ann.tags.values_list("name", flat=True)) == ["fair", "fair-2025", "vip"]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["fair", "fair-2025", "vip"]
    assert list(ann.events.values_list("kind", "source")) == [
        ("contact_created", "import: list.csv")
    ]
    assert ConsentRecord.objects.count() == 0


def test_existing_companies_are_found_by_name_or_domain(marketer, capture):
    acme = Company.objects.create(name="ACME Inc", domain="acme.com")
    import_file(marketer, "Email,Company\na@x.co,acme inc\nb@x.co,Acme.com\n", capture)
    assert set(Contact.objects.values_list("company_id", flat=True)) == {acme.pk}
    assert Company.objects.count() == 1


def test_bad_rows_are_reported_and_nothing_is_written(marketer, capture):
    # Given a file with errors sprinkled among good rows
    content = (
        "Email,First Name,Country,Lifecycle stage\n"
        "good1@example.com,Ann,DE,lead\n"
        "not-an-email,Bob,,\n"
        "good2@example.com,Cy,Germany,\n"
        "good3@example.com," + "x" * 101 + ",,\n"
        "good4@example.com,Dee,,hot\n"
        "good5@example.com,Eve,,\n"
    )
    imp = check(marketer, upload(marketer, content), capture)
    # Then the dry run names every bad row with its line
    assert (imp.status, imp.rows_total, imp.rows_bad) == ("checked", 6, 4)
    assert imp.errors == [
        {"line": 3, "reason": "Email: invalid email address “not-an-email”"},
        {
            "line": 4,
            "reason": "Country: bad country code “Germany”: use two letters, e.g. DE or US",
        },
        {"line": 5, "reason": "First Name: longer than 100 characters (101)"},
        {"line": 6, "reason": "Lifecycle stage: unknown lifecycle stage “hot”"},
    ]
    # And the import is refused: nothing half-imported
    with pytest.raises(ValidationError, match="4 rows are bad"):
        run(marketer, imp, capture)
    imp.refresh_from_db()
    assert imp.status == ImportStatus.CHECKED
    assert Contact.objects.count() == 0


def test_good_rows_are_imported_when_the_user_chooses_so(marketer, capture):
    content = "Email\ngood1@example.com\nbad\ngood2@example.com\n"
    imp = import_file(marketer, content, capture, import_good_rows=True)
    assert (imp.status, imp.rows_bad, imp.rows_created) == ("done", 1, 2)
    assert emails() == ["good1@example.com", "good2@example.com"]


def test_only_the_first_thousand_errors_are_kept_but_all_are_counted(marketer, capture):
    content = "Email\n" + "bad\n" * 1205
    imp = check(marketer, upload(marketer, content), capture)
    assert (imp.rows_total, imp.rows_bad, len(imp.errors)) == (1205, 1205, 1000)
    assert imp.errors[-1] == {"line": 1001, "reason": "Email: invalid email address “bad”"}


def test_a_broken_quote_is_reported_and_stops_the_file(marketer, capture):
    content = 'Email,Name\na@example.com,Ann\nb@example.com,"Bob\n' + "c@example.com,C\n" * 9000
    imp = check(marketer, upload(marketer, content), capture)
    assert imp.rows_bad == 1
    assert imp.errors[0]["line"] == 3
    assert "the rest was not read" in imp.errors[0]["reason"]


# --- Duplicates ----------------------------------------------------------------------------------


def test_skip_leaves_existing_contacts_alone_and_a_rerun_changes_nothing(marketer, capture):
    contact_create(actor=marketer, email="ann@example.com", first_name="Annie")
    imp = import_file(marketer, GOOD, capture, duplicate_policy="skip")
    assert (imp.rows_created, imp.rows_updated, imp.rows_skipped) == (2, 0, 1)
    assert Contact.objects.get(email="ann@example.com").first_name == "Annie"
    counts = (Contact.objects.count(), Company.objects.count(), TimelineEvent.objects.count(),
              Contact.tags.through.objects.count())  # fmt: skip
    # When the same file is imported again with "skip"
    again = import_file(marketer, GOOD, capture, duplicate_policy="skip")
    # Then nothing changes
    assert (again.rows_created, again.rows_updated, again.rows_skipped) == (0, 0, 3)
    assert (Contact.objects.count(), Company.objects.count(), TimelineEvent.objects.count(),
            Contact.tags.through.objects.count()) == counts  # fmt: skip


def test_update_overwrites_with_non_empty_values_and_adds_tags(marketer, capture):
    ann = contact_create(
        actor=marketer, email="ANN@example.com", first_name="Annie", last_name="Keep",
        tags=["old"],
    )  # fmt: skip
    content = "Email,First Name,Last Name,Lifecycle stage,Tags\nann@EXAMPLE.com,Ann,,mql,new\n"
    imp = import_file(marketer, content, capture, duplicate_policy="update")
    assert (imp.rows_created, imp.rows_updated, imp.rows_skipped) == (0, 1, 0)
    ann.refresh_from_db()
    assert (ann.first_name, ann.last_name, ann.lifecycle_stage) == (
        "Ann",
        "Keep",
        "mql",
    )
    assert sorted(ann.tags.values_list("name", flat=True)) == ["new", "old"]
    transition = LifecycleTransition.objects.get(contact=ann)
    assert (transition.from_stage, transition.to_stage, transition.cause) == (
        "subscriber", "mql", "import"
    )  # fmt: skip


def test_update_never_moves_the_lifecycle_stage_backwards(marketer, capture):
    ann = contact_create(actor=marketer, email="ann@example.com")
    ann.lifecycle_stage = "customer"
    ann.save()
    import_file(marketer, "Email,Stage\nann@example.com,lead\n", capture, duplicate_policy="update")
    ann.refresh_from_db()
    assert ann.lifecycle_stage == "customer"
    assert LifecycleTransition.objects.count() == 0


@pytest.mark.parametrize(
    ("policy", "first_name", "counts"), [("skip", "Ann", (1, 0, 1)), ("update", "Annie", (1, 1, 0))]
)
def test_duplicates_within_the_file(marketer, capture, policy, first_name, counts):
    content = "Email,First Name\nann@example.com,Ann\nANN@example.com,Annie\n"
    imp = import_file(marketer, content, capture, duplicate_policy=policy)
    assert (imp.rows_created, imp.rows_updated, imp.rows_skipped) == counts
    assert list(Contact.objects.values_list("email", "first_name")) == [
        ("ann@example.com", first_name)
    ]


def test_duplicates_across_chunks_of_the_file(marketer, capture, monkeypatch):
    monkeypatch.setattr(import_services, "WRITE_CHUNK_ROWS", 2)
    content = "Email,First Name\na@x.co,A\nb@x.co,B\nc@x.co,C\nA@x.co,Again\n"
    imp = import_file(marketer, content, capture, duplicate_policy="skip")
    assert (imp.rows_created, imp.rows_skipped) == (3, 1)
    assert Contact.objects.get(email="a@x.co").first_name == "A"


ROWS_7 = "Email,First Name\n" + "".join(f"p{i}@x.co,P{i}\n" for i in range(7))


def test_chunk_boundaries_write_every_row_once_with_its_event(marketer, capture, monkeypatch):
    # Given transactions of 3 rows: chunks of 3, 3 and 1
    monkeypatch.setattr(import_services, "WRITE_CHUNK_ROWS", 3)
    imp = import_file(marketer, ROWS_7, capture, tags=["fair"])
    assert (imp.status, imp.rows_done, imp.rows_created, imp.rows_skipped) == ("done", 7, 7, 0)
    # Then every contact is there once, in the file's order, with its event and tag
    in_order = list(Contact.objects.order_by("pk").values_list("email", flat=True))
    assert in_order == [f"p{i}@x.co" for i in range(7)]
    assert TimelineEvent.objects.filter(kind="contact_created").count() == 7
    assert Contact.tags.through.objects.count() == 7


def test_a_known_contact_in_a_later_chunk_is_skipped_and_the_rest_created(
    marketer, capture, monkeypatch
):
    # Given a contact that is the 5th row of the file (its second chunk)
    monkeypatch.setattr(import_services, "WRITE_CHUNK_ROWS", 3)
    known = contact_create(actor=marketer, email="P4@x.co", first_name="Known")
    events_before = TimelineEvent.objects.count()
    imp = import_file(marketer, ROWS_7, capture, duplicate_policy="skip")
    # Then it is left alone, and the rows around it (and after it) are created
    assert (imp.rows_created, imp.rows_updated, imp.rows_skipped) == (6, 0, 1)
    known.refresh_from_db()
    assert known.first_name == "Known"
    assert Contact.objects.count() == 7
    assert TimelineEvent.objects.count() - events_before == 6
    assert not known.events.filter(source="import: list.csv").exists()


def test_update_reaches_a_contact_created_by_an_earlier_chunk(marketer, capture, monkeypatch):
    monkeypatch.setattr(import_services, "WRITE_CHUNK_ROWS", 2)
    content = "Email,First Name,Stage\na@x.co,A,lead\nb@x.co,B,\nA@X.CO,Again,customer\n"
    imp = import_file(marketer, content, capture, duplicate_policy="update")
    assert (imp.rows_created, imp.rows_updated, imp.rows_skipped) == (2, 1, 0)
    a = Contact.objects.get(email="a@x.co")
    assert (a.first_name, a.lifecycle_stage) == ("Again", "customer")
    transitions = LifecycleTransition.objects.values_list(
        "contact__email", "from_stage", "to_stage"
    )
    assert list(transitions) == [("a@x.co", "lead", "customer")]
    assert TimelineEvent.objects.filter(kind="contact_created").count() == 2


LARGE_WITH_BAD_ROWS = "Email\n" + "".join(
    ("bad-address" if i in (1500, 2999, 3000) else f"p{i}@x.co") + "\n" for i in range(5000)
)


def test_bad_rows_in_the_middle_of_a_large_file_are_left_out_when_chosen(
    marketer, capture, monkeypatch
):
    monkeypatch.setattr(import_services, "WRITE_CHUNK_ROWS", 1000)
    imp = import_file(marketer, LARGE_WITH_BAD_ROWS, capture, import_good_rows=True)
    assert (imp.status, imp.rows_total, imp.rows_bad, imp.rows_done, imp.rows_created) == (
        "done", 5000, 3, 5000, 4997,
    )  # fmt: skip
    assert [e["line"] for e in imp.errors] == [1502, 3001, 3002]
    assert Contact.objects.count() == 4997
    assert not Contact.objects.filter(email="bad-address").exists()


def test_bad_rows_in_the_middle_of_a_large_file_stop_it_whole_by_default(marketer, capture):
    imp = check(marketer, upload(marketer, LARGE_WITH_BAD_ROWS), capture)
    with pytest.raises(ValidationError, match="3 rows are bad"):
        run(marketer, imp, capture)
    assert Contact.objects.count() == 0
    assert TimelineEvent.objects.count() == 0


def test_a_bad_row_the_dry_run_did_not_see_stops_the_import_after_the_chunks_written(
    marketer, capture, monkeypatch
):
    monkeypatch.setattr(import_services, "WRITE_CHUNK_ROWS", 2)
    imp = check(marketer, upload(marketer, ROWS_7), capture)
    # Given the stored file changed after its dry run (nothing in Revline does that)
    Path(imp.file_path).write_text(ROWS_7.replace("p3@x.co", "broken"))
    imp = run(marketer, imp, capture)
    # Then the chunk with the bad row and the rest are not written, and the import says so
    assert (imp.status, imp.rows_done, imp.rows_created) == ("failed", 2, 2)
    assert imp.failure == (
        "The file has bad rows the dry run did not find; nothing more was written."
    )
    assert emails() == ["p0@x.co", "p1@x.co"]


class WorkerKilled(BaseException):
    """Stands for the worker process being killed: no `except Exception` sees it."""


def test_an_import_stopped_midway_continues_after_its_last_written_chunk(
    marketer, capture, monkeypatch
):
    monkeypatch.setattr(import_services, "WRITE_CHUNK_ROWS", 3)
    imp = check(marketer, upload(marketer, ROWS_7), capture)
    import_services.contact_import_start(actor=marketer, contact_import=imp)  # run by hand below
    write_chunk = import_services._write_chunk
    chunks: list[int] = []

    def killed_before_the_second_chunk(*args, **kwargs):
        chunks.append(1)
        if len(chunks) == 2:
            raise WorkerKilled
        write_chunk(*args, **kwargs)

    # Given a run killed after its first chunk was written
    monkeypatch.setattr(import_services, "_write_chunk", killed_before_the_second_chunk)
    with pytest.raises(WorkerKilled):
        import_services.contact_import_run(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, imp.rows_done, imp.rows_created) == ("importing", 3, 3)
    # When the task runs again
    monkeypatch.setattr(import_services, "_write_chunk", write_chunk)
    import_services.contact_import_run(import_id=imp.pk)
    # Then it continues after the rows written: each contact once, counted once
    imp.refresh_from_db()
    assert (imp.status, imp.rows_done, imp.rows_created, imp.rows_skipped) == ("done", 7, 7, 0)
    assert Contact.objects.count() == 7
    assert TimelineEvent.objects.filter(kind="contact_created").count() == 7


# --- Consent -------------------------------------------------------------------------------------


def test_consent_from_a_column(marketer, capture):
    content = "Email,Opt-in\na@x.co,yes\nb@x.co,no\nc@x.co,\n"
    import_file(marketer, content, capture)
    records = ConsentRecord.objects.order_by("contact__email").values_list(
        "contact__email", "purpose", "status", "source", "wording"
    )
    assert list(records) == [
        ("a@x.co", "marketing_email", "granted", "import: list.csv", "Column “Opt-in” of list.csv"),
        ("b@x.co", "marketing_email", "withdrawn", "import: list.csv", "Column “Opt-in” of list.csv"),
    ]  # fmt: skip
    assert TimelineEvent.objects.filter(kind="consent_changed").count() == 2


def test_consent_declared_for_the_file_is_never_given_to_suppressed_addresses(marketer, capture):
    # Given an address that unsubscribed earlier
    Suppression.objects.create(address="gone@x.co", reason=SuppressionReason.UNSUBSCRIBED)
    content = "Email\nkeen@x.co\nGONE@x.co\n"
    imp = import_file(
        marketer, content, capture, declare_consent=True,
        consent_wording="I agree to receive the Revline newsletter.",
    )  # fmt: skip
    # Then both are imported, only the other one with consent
    assert imp.rows_created == 2
    assert list(ConsentRecord.objects.values_list("contact__email", "status", "wording")) == [
        ("keen@x.co", "granted", "I agree to receive the Revline newsletter.")
    ]


def test_consent_options_are_checked(marketer, rep_a, capture):
    imp = upload(marketer, "Email,Consent\na@x.co,yes\n")
    with pytest.raises(ValidationError) as info:
        check(marketer, imp, capture, declare_consent=True)
    assert info.value.message_dict == {
        "declare_consent": ["Consent comes either from a column or for the whole file, not both."],
        "consent_wording": ["Say what people agreed to: it is kept as the proof."],
    }
    # A sales rep may import, but not record consent
    mine = upload(rep_a, "Email,Consent\na@x.co,yes\n")
    with pytest.raises(ValidationError) as info:
        check(rep_a, mine, capture)
    assert info.value.message_dict == {
        "declare_consent": ["Only marketers and admins may record consent."]
    }
    mine.refresh_from_db()
    assert mine.status == ImportStatus.UPLOADED


def test_mapping_errors_change_nothing(marketer, capture):
    imp = upload(marketer, "Email,Name\na@x.co,Ann\n")
    with pytest.raises(ValidationError) as info:
        check(marketer, imp, capture, mapping={"Email": "first_name", "Name": "first_name"})
    assert info.value.message_dict["mapping"] == [
        "Columns “Email” and “Name” are both mapped to First name; choose one.",
        "Map a column to Email: every row needs one.",
    ]
    imp.refresh_from_db()
    assert (imp.status, imp.mapping) == ("uploaded", {"Email": "email", "Name": ""})


# --- Who, cancel, companies, queries -------------------------------------------------------------


def test_only_the_uploader_or_an_admin_changes_an_import(marketer, rep_a, admin_user, capture):
    imp = upload(marketer, GOOD)
    with pytest.raises(PermissionDenied):
        check(rep_a, imp, capture)
    assert check(admin_user, imp, capture).status == ImportStatus.CHECKED


def test_cancel_stops_a_running_import_before_its_next_chunk(marketer, capture):
    imp = check(marketer, upload(marketer, GOOD), capture)
    # The worker has not picked up the import yet (not run on commit here)
    import_services.contact_import_start(actor=marketer, contact_import=imp)
    import_services.contact_import_cancel(actor=marketer, contact_import=imp)
    import_services.contact_import_run(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, imp.rows_done) == ("cancelled", 0)
    assert Contact.objects.count() == 0
    with pytest.raises(ValidationError, match="already cancelled"):
        import_services.contact_import_cancel(actor=marketer, contact_import=imp)


def test_company_import(marketer, capture):
    Company.objects.create(name="Old Name", domain="acme.com", industry="Retail")
    content = (
        "Company,Website,Industry,Employees,Tags\n"
        "Acme,https://acme.com,Software,11-50,key\n"
        "Initech,,Consulting,5001+,\n"
        "initech,,Banking,,\n"
    )
    imp = import_file(marketer, content, capture, kind="companies", duplicate_policy="update")
    assert (imp.rows_created, imp.rows_updated, imp.rows_skipped) == (1, 2, 0)
    rows = Company.objects.order_by("name").values_list("name", "domain", "industry", "size")
    assert list(rows) == [
        ("Acme", "acme.com", "Software", "11-50"),
        ("Initech", "", "Banking", "5001+"),
    ]
    assert list(Company.objects.get(name="Acme").tags.values_list("name", flat=True)) == ["key"]


def test_queries_do_not_grow_with_the_rows_of_a_chunk(marketer, capture):
    def queries_for(rows: int) -> tuple[int, int]:
        Contact.objects.all().delete()
        Company.objects.all().delete()
        body = "".join(f"p{i}@x.co,P{i},Co{i % 3},t{i % 2}\n" for i in range(rows))
        imp = check(marketer, upload(marketer, "Email,Name,Company,Tags\n" + body), capture)
        with CaptureQueriesContext(connection) as queries:
            run(marketer, imp, capture)
        assert Contact.objects.count() == rows
        inserts = [q for q in queries if q["sql"].startswith("INSERT")]
        return len(queries) - len(inserts), len(inserts)

    # Given 5 and then 300 rows in one chunk
    few_reads, _ = queries_for(5)
    many_reads, many_inserts = queries_for(300)
    # Then the other statements are the same few, and the inserts are batched (the database's
    # limit of parameters per statement splits large ones)
    assert many_reads == few_reads
    assert many_inserts < 300 / 10


def test_source_can_be_any_binary_stream(marketer):
    imp = import_services.contact_import_create(
        actor=marketer, kind="contacts", file_name="x.csv", source=io.BytesIO(b"Email\na@b.co\n")
    )
    assert imp.headers == ["Email"]


def test_imported_contacts_get_their_fit_score_after_the_import(marketer, capture):
    # Given a fit rule on job titles
    from revline.leads.scoring_services import fit_rule_create

    with capture(execute=True):
        fit_rule_create(actor=marketer, field="contact.title", operator="contains", value="VP",
                        points=15)  # fmt: skip
    # When contacts are imported in bulk
    import_file(marketer, "Email,Title\nvp@x.co,VP Sales\nintern@x.co,Intern\n", capture)
    # Then the background recompute scored them with the rule
    scores = dict(Contact.objects.values_list("email", "fit_score"))
    assert scores == {"vp@x.co": 15, "intern@x.co": 0}
