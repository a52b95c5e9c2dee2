"""Imports whose worker died are resumed by the scheduler, once per stall, and failed after a
few resumes without progress; every row is still written exactly once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from revline.core.scheduler import JOBS
from revline.people import import_services
from revline.people.models import Contact, ContactImport, TimelineEvent

from .import_helpers import check, upload

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ROWS_7 = "Email,First Name\n" + "".join(f"p{i}@x.co,P{i}\n" for i in range(7))
EMAILS_7 = [f"p{i}@x.co" for i in range(7)]


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    settings.REVLINE_IMPORT_STALL_MINUTES = 10
    settings.REVLINE_IMPORT_MAX_RESUMES = 2
    monkeypatch.setattr(import_services, "WRITE_CHUNK_ROWS", 3)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


class WorkerKilled(BaseException):
    """Stands for the worker process being killed: no `except Exception` sees it."""


def started(user, capture) -> ContactImport:
    """An import of ROWS_7 after its dry run, started; its task is not run (the worker has not
    picked it up yet)."""
    imp = check(user, upload(user, ROWS_7), capture)
    import_services.contact_import_start(actor=user, contact_import=imp)
    imp.refresh_from_db()
    return imp


def killed_after_first_chunk(imp: ContactImport, monkeypatch) -> None:
    write_chunk = import_services._write_chunk
    calls: list[int] = []

    def dies_at_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise WorkerKilled
        write_chunk(*args, **kwargs)

    monkeypatch.setattr(import_services, "_write_chunk", dies_at_the_second_chunk)
    with pytest.raises(WorkerKilled):
        import_services.contact_import_run(import_id=imp.pk)
    monkeypatch.setattr(import_services, "_write_chunk", write_chunk)


def state(imp: ContactImport) -> tuple:
    imp.refresh_from_db()
    return (imp.status, imp.rows_done, imp.rows_created, imp.rows_skipped, imp.resume_count)


def test_the_job_is_scheduled_every_minute():
    assert [j.every_seconds for j in JOBS if j.path.endswith("contact_imports_resume_stalled")] == [
        60
    ]


def test_a_stalled_import_is_resumed_after_its_last_chunk_and_finishes_with_the_right_counts(
    marketer, capture, clock, monkeypatch
):
    # Given an import whose worker died after writing its first chunk of 3 rows
    imp = started(marketer, capture)
    killed_after_first_chunk(imp, monkeypatch)
    assert state(imp) == ("importing", 3, 3, 0, 0)
    assert imp.progress_at == T0

    # When the scheduler runs 10 minutes and a second later
    clock.move_to(T0 + timedelta(minutes=10, seconds=1))
    with capture(execute=True) as callbacks:
        resumed = import_services.contact_imports_resume_stalled()

    # Then the import was queued again once, and its task wrote the other 4 rows, each once
    assert resumed == [imp.pk]
    assert len(callbacks) == 1
    assert state(imp) == ("done", 7, 7, 0, 0)
    assert sorted(Contact.objects.values_list("email", flat=True)) == EMAILS_7
    assert TimelineEvent.objects.filter(kind="contact_created").count() == 7


def test_a_stalled_dry_run_is_started_again(marketer, capture, clock):
    # Given a dry run whose task never ran (its worker died before it got to it)
    imp = upload(marketer, ROWS_7)
    import_services.contact_import_configure(
        actor=marketer, contact_import=imp, mapping=imp.mapping, duplicate_policy="skip"
    )
    imp.refresh_from_db()
    assert (imp.status, imp.progress_at) == ("checking", T0)

    clock.move_to(T0 + timedelta(minutes=11))
    with capture(execute=True):
        resumed = import_services.contact_imports_resume_stalled()

    imp.refresh_from_db()
    assert resumed == [imp.pk]
    assert (imp.status, imp.rows_total, imp.rows_bad, imp.resume_count) == ("checked", 7, 0, 1)
    assert Contact.objects.count() == 0


def test_a_running_import_with_recent_progress_is_left_alone(marketer, capture, clock, monkeypatch):
    # Given an import started at T0 that wrote its first chunk at T0 + 8 minutes
    imp = started(marketer, capture)
    clock.move_to(T0 + timedelta(minutes=8))
    killed_after_first_chunk(imp, monkeypatch)
    # And one started just now, not picked up by the worker yet
    fresh_time = T0 + timedelta(minutes=15)
    clock.move_to(fresh_time)
    fresh = started(marketer, capture)

    # When the scheduler runs 15 minutes after the first start (7 after its last chunk)
    with capture(execute=True) as callbacks:
        resumed = import_services.contact_imports_resume_stalled()

    # Then nothing is queued and neither import changed
    assert resumed == []
    assert callbacks == []
    assert state(imp) == ("importing", 3, 3, 0, 0)
    assert imp.progress_at == T0 + timedelta(minutes=8)
    assert state(fresh) == ("importing", 0, 0, 0, 0)
    assert fresh.progress_at == fresh_time
    assert Contact.objects.count() == 3


def test_after_the_allowed_resumes_without_progress_the_import_fails_with_the_reason(
    marketer, capture, clock, monkeypatch
):
    # Given an import that wrote 3 rows, then its worker died
    imp = started(marketer, capture)
    killed_after_first_chunk(imp, monkeypatch)

    # When it stalls again after each of the 2 allowed resumes (the queued task never runs:
    # on_commit callbacks are captured, not executed)
    queued = []
    for attempt in (1, 2):
        clock.move_to(T0 + timedelta(minutes=11 * attempt))
        with capture() as callbacks:
            assert import_services.contact_imports_resume_stalled() == [imp.pk]
        queued.append(len(callbacks))
        assert state(imp) == ("importing", 3, 3, 0, attempt)
    # Then it is queued once per resume, not again within the stall window
    assert queued == [1, 1]
    clock.move_to(T0 + timedelta(minutes=22 + 9))
    with capture() as callbacks:
        assert import_services.contact_imports_resume_stalled() == []
    assert callbacks == []

    # And the next stall fails it, without queueing it again
    failed_at = T0 + timedelta(minutes=33)
    clock.move_to(failed_at)
    with capture() as callbacks:
        assert import_services.contact_imports_resume_stalled() == []
    assert callbacks == []
    assert state(imp) == ("failed", 3, 3, 0, 2)
    assert imp.finished_at == failed_at
    assert imp.failure == (
        "The import stopped: the background worker wrote nothing for 10 minutes, even after 2 "
        "automatic resumes. The 3 rows written so far stay (3 created, 0 updated, 0 skipped). "
        "Upload the file again with “skip” to import the rest without duplicates, and ask an "
        "administrator to check the worker."
    )
    # And a late run of the task writes nothing more
    import_services.contact_import_run(import_id=imp.pk)
    assert Contact.objects.count() == 3


def test_the_import_page_shows_the_reason(client, marketer, capture, clock, settings):
    # Given an import failed by the scheduler after its one allowed resume
    settings.REVLINE_IMPORT_MAX_RESUMES = 1
    imp = started(marketer, capture)
    for minutes in (11, 22):
        clock.move_to(T0 + timedelta(minutes=minutes))
        with capture():
            import_services.contact_imports_resume_stalled()
    client.force_login(marketer)

    page = client.get(reverse("people:import", args=[imp.pk])).content.decode()

    assert (
        '<div class="flash error" role="alert">The import stopped: the background worker wrote '
        "nothing for 10 minutes, even after 1 automatic resume. The 0 rows written so far stay"
    ) in page


def test_progress_resets_the_resume_count(marketer, capture, clock, monkeypatch):
    # Given an import resumed once that then wrote a chunk before its worker died again
    imp = started(marketer, capture)
    clock.move_to(T0 + timedelta(minutes=11))
    with capture():
        import_services.contact_imports_resume_stalled()
    assert state(imp) == ("importing", 0, 0, 0, 1)
    killed_after_first_chunk(imp, monkeypatch)
    # Then the count of resumes without progress starts again
    assert state(imp) == ("importing", 3, 3, 0, 0)


def test_a_slow_worker_and_a_resumed_one_write_each_row_once(marketer, capture, monkeypatch):
    # Given a first run that is slow: between its first and second chunk, the scheduler took it
    # for dead and a second run of the same import ran to the end
    imp = started(marketer, capture)
    write_chunk = import_services._write_chunk
    calls: list[int] = []

    def second_run_overtakes(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            monkeypatch.setattr(import_services, "_write_chunk", write_chunk)
            import_services.contact_import_run(import_id=imp.pk)
        write_chunk(*args, **kwargs)

    monkeypatch.setattr(import_services, "_write_chunk", second_run_overtakes)
    # When the first run goes on
    import_services.contact_import_run(import_id=imp.pk)

    # Then it found its chunk written and stopped: every row once, counted once
    assert state(imp) == ("done", 7, 7, 0, 0)
    assert sorted(Contact.objects.values_list("email", flat=True)) == EMAILS_7
    assert TimelineEvent.objects.filter(kind="contact_created").count() == 7


# --- with the real database task queue ----------------------------------------------------------


@pytest.fixture
def database_queue(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The worker drops connections outside autocommit; here the whole test is one transaction.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def test_an_import_waiting_behind_a_busy_worker_is_neither_resumed_nor_failed(
    marketer, capture, clock, database_queue
):
    # Given an import whose task waits in the queue while the only worker is busy for an hour
    imp = started_in_queue(marketer, capture)
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    # When the scheduler runs every ten minutes of that hour
    for minutes in range(11, 71, 10):
        clock.move_to(T0 + timedelta(minutes=minutes))
        with capture(execute=True) as callbacks:
            assert import_services.contact_imports_resume_stalled() == []
        assert callbacks == []

    # Then the import still waits, unchanged, with its one task
    assert state(imp) == ("importing", 0, 0, 0, 0)
    assert DBTaskResult.objects.count() == 1

    # And when the worker is free, it imports every row once
    work_off_the_queue()
    assert state(imp) == ("done", 7, 7, 0, 0)
    assert sorted(Contact.objects.values_list("email", flat=True)) == EMAILS_7


def test_the_import_page_says_the_import_waits_for_the_worker_until_a_worker_takes_it(
    client, marketer, capture, database_queue
):
    # Given an import whose pass waits in the database queue
    imp = started_in_queue(marketer, capture)
    client.force_login(marketer)
    waiting = "Waiting for the background worker, which is busy with other work"

    # Then its page and the polled progress say it waits
    assert waiting in client.get(reverse("people:import", args=[imp.pk])).content.decode()
    progress = client.get(reverse("people:import_progress", args=[imp.pk]))
    assert waiting in progress.content.decode()

    # And once a worker took it (running, no row written yet) they no longer do
    DBTaskResult.objects.update(status="RUNNING", worker_ids=["busy"])
    progress = client.get(reverse("people:import_progress", args=[imp.pk]))
    assert waiting not in progress.content.decode()
    assert "0 of 7 rows" in progress.content.decode()


def test_a_pass_taken_by_a_worker_that_died_is_resumed_with_the_database_queue(
    marketer, capture, clock, database_queue
):
    # Given an import whose task a worker took (status RUNNING) and then died with
    imp = started_in_queue(marketer, capture)
    DBTaskResult.objects.update(status="RUNNING", started_at=T0, worker_ids=["dead"])

    # When the scheduler runs after the stall window
    clock.move_to(T0 + timedelta(minutes=11))
    with capture(execute=True):
        resumed = import_services.contact_imports_resume_stalled()

    # Then the pass is queued again (a second task) and a worker finishes it
    assert resumed == [imp.pk]
    assert state(imp) == ("importing", 0, 0, 0, 1)
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    work_off_the_queue()
    assert state(imp) == ("done", 7, 7, 0, 0)


def started_in_queue(user, capture) -> ContactImport:
    """An import of ROWS_7 checked by a worker, then started: its pass waits in the queue."""
    imp = check(user, upload(user, ROWS_7), capture)
    work_off_the_queue()
    DBTaskResult.objects.all().delete()
    with capture(execute=True):
        import_services.contact_import_start(actor=user, contact_import=imp)
    imp.refresh_from_db()
    return imp


def work_off_the_queue() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
