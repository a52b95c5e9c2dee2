"""The periodic-job runner: each job runs when its interval has passed, and a failing job
neither stops the others nor the runner."""

from revline.core.scheduler import Job, run_due

CALLS: list[str] = []


def job_a() -> None:
    CALLS.append("a")


def job_broken() -> None:
    raise RuntimeError("boom")


def resolve(path: str) -> object:
    return {"a": job_a, "broken": job_broken}[path]


def test_jobs_run_only_when_their_interval_has_passed(db) -> None:
    CALLS.clear()
    jobs = [Job("a", 10), Job("broken", 5)]
    last: dict[str, float] = {}

    assert run_due(jobs, last, 100.0, resolve=resolve) == ["a", "broken"]
    assert run_due(jobs, last, 104.0, resolve=resolve) == []
    assert run_due(jobs, last, 105.0, resolve=resolve) == ["broken"]
    assert run_due(jobs, last, 110.0, resolve=resolve) == ["a", "broken"]
    assert CALLS == ["a", "a"]


def test_outbound_jobs_wait_while_sending_is_paused_and_run_once_it_resumes(db) -> None:
    CALLS.clear()
    jobs = [Job("a", 10, outbound=True), Job("broken", 5)]
    last: dict[str, float] = {}
    paused = [True]

    assert run_due(jobs, last, 100.0, resolve=resolve, outbound_paused=lambda: paused[0]) == [
        "broken"
    ]
    paused[0] = False
    assert run_due(jobs, last, 101.0, resolve=resolve, outbound_paused=lambda: paused[0]) == ["a"]
    assert CALLS == ["a"]


def test_a_restore_pause_is_read_from_the_workspace(db, admin_user) -> None:
    from django.utils import timezone

    from revline.core.scheduler import outbound_is_paused
    from revline.core.workspace import workspace_get, workspace_outbound_resume

    workspace = workspace_get()
    assert outbound_is_paused() is False
    workspace.outbound_paused_at = timezone.now()
    workspace.save()
    assert outbound_is_paused() is True
    workspace_outbound_resume(actor=admin_user)
    assert outbound_is_paused() is False
