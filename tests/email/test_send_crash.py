"""Kill -9 the real background worker in the middle of a 1,000-recipient campaign, restart it:
every recipient gets the email, and at most the chunk in flight at the kill is sent twice.

Everything runs in subprocesses against a SQLite file in a temporary data directory (the test
database of pytest-django lives in memory, which another process cannot see); the SMTP server
runs in this process. Also runnable as `python -m tests.email.test_send_crash setup|recover`,
which is how the test prepares and repairs that database.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.smtp import smtp_sink

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 1000
# 6,000 a minute: 100 messages a second, slow enough to kill the worker half-way.
RATE = 6000


def _env(data_dir: Path, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REVLINE_TASK_BACKEND"}}
    env.update(
        DJANGO_SETTINGS_MODULE="revline.settings",
        REVLINE_DATA_DIR=str(data_dir),
        REVLINE_SECRET_KEY="crash-test-secret",
        REVLINE_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        REVLINE_EMAIL_HOST="127.0.0.1",
        REVLINE_EMAIL_PORT=str(smtp_port),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "src"), env_path()])),
    )
    return env


def env_path() -> str:
    return os.environ.get("PYTHONPATH", "")


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.email.test_send_crash", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "revline.cli", "worker", "--interval", "0.1",
             "--no-startup-delay", "--no-reload"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _states(db: Path) -> dict[str, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        return dict(
            conn.execute("SELECT state, COUNT(*) FROM email_send GROUP BY state").fetchall()
        )


def _email_status(db: Path) -> str:
    with sqlite3.connect(db, timeout=30) as conn:
        return str(conn.execute("SELECT status FROM email_email").fetchone()[0])


def _wait(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_killing_the_worker_mid_campaign_loses_nobody_and_repeats_at_most_one_chunk(tmp_path):
    from revline.email.send_services import CHUNK_SIZE

    with smtp_sink() as sink:
        env = _env(tmp_path, sink.port)
        db = tmp_path / "revline.sqlite3"
        log = tmp_path / "worker.log"
        # Given a campaign of 1,000 recipients queued in the database
        _run(env, "setup")
        assert _states(db) == {"queued": RECIPIENTS}

        # When the worker is killed -9 in the middle of sending
        worker = _worker(env, log)
        try:
            _wait(lambda: len(sink.messages) >= RECIPIENTS // 3, 120, "the first third")
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
        at_kill = len(sink.messages)
        assert at_kill < RECIPIENTS, "the worker finished before it was killed"
        in_flight = _states(db).get("sending", 0)
        assert in_flight <= CHUNK_SIZE

        # And the scheduler finds the dead delivery and the worker is started again
        _run(env, "recover")
        worker = _worker(env, log)
        try:
            _wait(lambda: _email_status(db) == "sent", 120, "the campaign to finish")
        finally:
            worker.terminate()
            worker.wait(timeout=20)

    # Then every recipient received the email, and duplicates are at most the chunk in flight
    received = [m.rcpt_tos[0] for m in sink.messages]
    expected = {f"r{n}@example.com" for n in range(RECIPIENTS)}
    assert set(received) == expected
    duplicates = len(received) - len(set(received))
    assert duplicates <= in_flight <= CHUNK_SIZE
    assert _states(db) == {"sent": RECIPIENTS}
    # And every message carries its own deterministic Message-ID
    ids = {m.message["Message-ID"] for m in sink.messages}
    assert len(ids) == RECIPIENTS


# --- Run in the subprocess's environment -------------------------------------------------------


def _setup() -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from revline.core.workspace import workspace_get
    from revline.email.models import Email, EmailTemplate
    from revline.email.send_services import email_start
    from revline.people.models import ConsentRecord, ConsentStatus, Contact
    from revline.segments.models import Segment

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    workspace = workspace_get()
    workspace.email_from_address = "news@acme.example"
    workspace.postal_address = "Main Street 1, Berlin"
    workspace.save()
    contacts = Contact.objects.bulk_create(
        Contact(first_name=f"R{n}", email=f"r{n}@example.com") for n in range(RECIPIENTS)
    )
    now = timezone.now()
    ConsentRecord.objects.bulk_create(
        ConsentRecord(contact=c, purpose="marketing_email", status=ConsentStatus.GRANTED,
                      recorded_at=now, source="test")
        for c in contacts
    )  # fmt: skip
    template = EmailTemplate.objects.create(
        name="News",
        subject="Hello {{ contact.first_name }}",
        blocks=[
            {"type": "text", "text": "Hi {{ contact.first_name }}, [read](https://example.com/a)"}
        ],
    )
    segment = Segment.objects.create(name="All", definition={"match": "all", "conditions": []})
    email = Email.objects.create(
        name="Crash", template=template, segment=segment, rate_per_minute=RATE
    )
    # The delivery task waits in the database queue for the worker the test starts.
    email_start(email=email)


def _recover() -> None:
    from datetime import timedelta

    from revline.email.send_services import emails_start_due

    # The worker is known to be dead: no need to wait for its heartbeat to go stale.
    emails_start_due(stale_after=timedelta(0))


if __name__ == "__main__":
    import django

    django.setup()
    {"setup": _setup, "recover": _recover}[sys.argv[1]]()
