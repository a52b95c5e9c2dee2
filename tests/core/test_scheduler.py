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
