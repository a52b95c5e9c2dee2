"""`revline backup` / `revline restore`: a consistent archive that restores to the same data,
refuses damaged or foreign archives without touching the database, and leaves sending paused."""

import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from revline.core.backup import BackupError, backup_models, backup_restore, backup_write
from revline.core.demo import demo_build
from revline.core.workspace import workspace_get
from revline.people.services import contact_create
from revline.sales.models import Deal
from revline.sales.services import deal_create
from revline.tracking.models import Touchpoint

REVLINE = [sys.executable, "-m", "revline.cli"]


def _counts() -> dict[str, int]:
    return {m._meta.label_lower: m._base_manager.count() for m in backup_models()}


def _rewrite(source: Path, target: Path, change) -> None:
    """Copy an archive, passing each member's name and bytes through `change`."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info.filename, data)


@pytest.fixture
def demo(transactional_db):
    """The demo workspace fills nearly every table with realistic values of every column type."""
    demo_build(scale=0.04, today=date(2026, 6, 1))
    return _counts()


@pytest.fixture
def workspace(db, admin_user, rep_a, manager_a):
    """A few records of each kind, enough for the refusal and permission tests."""
    for i in range(3):
        contact = contact_create(actor=None, email=f"p{i}@example.com", first_name=f"P{i}")
        deal_create(
            actor=None,
            owner=rep_a,
            name=f"Deal {i}",
            amount=Decimal("100.50"),
            contact=contact,
            created_at=datetime(2026, 1, 1 + i, tzinfo=UTC),
        )
    return _counts()


def test_a_backup_restores_to_the_same_rows_and_checksums(demo, tmp_path):
    workspace = demo
    Touchpoint.objects.filter(pk=Touchpoint.objects.order_by("pk").first().pk).update(
        occurred_at=datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)
    )
    times = list(Touchpoint.objects.order_by("pk").values_list("occurred_at", flat=True))
    first = backup_write(path=tmp_path / "one.zip")

    restored = backup_restore(path=tmp_path / "one.zip")
    second = backup_write(path=tmp_path / "two.zip")

    assert restored["tables"] == first["tables"]
    assert _counts() == workspace
    tables = {t["model"]: (t["rows"], t["sha256"]) for t in first["tables"]}
    again = {t["model"]: (t["rows"], t["sha256"]) for t in second["tables"]}
    # The workspace row differs only by the pause the restore set on it.
    assert tables.pop("core.workspace")[0] == again.pop("core.workspace")[0] == 1
    assert again == tables
    assert tables["people.contact"][0] == workspace["people.contact"] > 0
    assert tables["leads.predictivemodel"][0] >= 1  # binary model artefacts survive too
    # Every microsecond survives (Django's JSON encoder would keep milliseconds only).
    assert list(Touchpoint.objects.order_by("pk").values_list("occurred_at", flat=True)) == times
    assert not (tmp_path / "one.zip.partial").exists()


def test_after_a_restore_outbound_email_waits_for_an_admin(workspace, tmp_path, admin_user, rep_a):
    backup_write(path=tmp_path / "b.zip")
    backup_restore(path=tmp_path / "b.zip")

    paused = workspace_get()
    assert paused.outbound_paused_at is not None
    assert paused.outbound_paused_reason.startswith("Restored from a backup made ")
    admin = Client()
    admin.force_login(admin_user)
    page = admin.get("/settings/workspace/")
    assert b"Email sending is paused" in page.content
    rep = Client()
    rep.force_login(rep_a)
    assert rep.post("/settings/workspace/resume-sending").status_code == 403
    assert workspace_get().outbound_paused_at is not None
    assert admin.get("/settings/workspace/resume-sending").status_code == 405
    response = admin.post("/settings/workspace/resume-sending")
    assert response.status_code == 302
    assert workspace_get().outbound_paused_at is None
    assert b"Email sending is paused" not in admin.get("/settings/workspace/").content


@pytest.mark.parametrize(
    "damage, message",
    [
        (
            lambda name, data: (
                data.replace(b"@", b"#", 1) if name.endswith("people.contact.jsonl") else data
            ),
            "people.contact: checksum mismatch",
        ),
        (
            lambda name, data: None if name.endswith("sales.deal.jsonl") else data,
            "sales.deal: missing from the archive",
        ),
        (lambda name, data: None if name == "manifest.json" else data, "has no manifest.json"),
        (
            lambda name, data: (
                data.replace(b'"version": 1', b'"version": 9') if name == "manifest.json" else data
            ),
            "backup format version 9 is not supported",
        ),
        (
            lambda name, data: (
                _edit_manifest(data, lambda m: m["migrations"]["people"].append("9999_future"))
                if name == "manifest.json"
                else data
            ),
            "made with migration people.9999_future",
        ),
        (
            lambda name, data: (
                _edit_manifest(data, lambda m: m["migrations"]["people"].pop())
                if name == "manifest.json"
                else data
            ),
            "which the backup predates",
        ),
    ],
)
def test_a_damaged_or_foreign_archive_is_refused_and_nothing_changes(
    workspace, tmp_path, damage, message
):
    backup_write(path=tmp_path / "good.zip")
    _rewrite(tmp_path / "good.zip", tmp_path / "bad.zip", damage)
    Deal.objects.filter(pk=Deal.objects.order_by("pk").first().pk).delete()
    before = _counts()

    with pytest.raises(BackupError, match=message):
        backup_restore(path=tmp_path / "bad.zip")

    assert _counts() == before
    assert workspace_get().outbound_paused_at is None


def _edit_manifest(data: bytes, change) -> bytes:
    manifest = json.loads(data)
    change(manifest)
    return json.dumps(manifest).encode()


def test_the_commands_refuse_bad_input_with_a_message(workspace, tmp_path):
    call_command("backup", "--output", str(tmp_path / "b.zip"), verbosity=0)

    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", "--output", str(tmp_path / "b.zip"), verbosity=0)
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(tmp_path / "b.zip"), verbosity=0)
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "none.zip"), "--force", verbosity=0)
    (tmp_path / "text.zip").write_text("not a zip")
    with pytest.raises(CommandError, match="not a zip archive"):
        call_command("restore", str(tmp_path / "text.zip"), "--force", verbosity=0)
    assert _counts() == workspace

    call_command("restore", str(tmp_path / "b.zip"), "--force", verbosity=0)
    # The same rows, and the workspace settings row the restore wrote its pause into.
    assert _counts() == {**workspace, "core.workspace": 1}


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["REVLINE_DATA_DIR"] = str(data_dir)
    env.pop("DATABASE_URL", None)
    return env


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="runs its own SQLite databases in subprocesses"
)
def test_backup_from_one_installation_restores_into_a_fresh_one(tmp_path):
    source, target = _env(tmp_path / "source"), _env(tmp_path / "target")
    for env in (source, target):
        Path(env["REVLINE_DATA_DIR"]).mkdir()
        subprocess.run([*REVLINE, "migrate", "--verbosity", "0"], env=env, check=True)
    count = (
        "from django.apps import apps; "
        "print(sum(m._base_manager.count() for m in apps.get_models(include_auto_created=True)"
        " if m._meta.label_lower not in ('sessions.session', 'django_tasks_database.dbtaskresult')))"
    )
    subprocess.run(
        [*REVLINE, "demo", "--scale", "0.02"], env=source, check=True, capture_output=True
    )
    archive = tmp_path / "backup.zip"
    made = subprocess.run(
        [*REVLINE, "backup", "-o", str(archive)], env=source, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    assert f"Backup written to {archive}" in made.stdout

    restored = subprocess.run(
        [*REVLINE, "restore", str(archive)], env=target, capture_output=True, text=True
    )

    assert restored.returncode == 0, restored.stderr
    assert "Outbound email is paused" in restored.stdout
    shell = [*REVLINE, "shell", "-c", count]
    assert (
        subprocess.run(shell, env=source, capture_output=True, text=True, check=True).stdout
        == subprocess.run(shell, env=target, capture_output=True, text=True, check=True).stdout
    )
