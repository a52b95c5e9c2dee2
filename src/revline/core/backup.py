"""Backups: the whole workspace as one versioned, checksummed archive, and its restore.

The archive is a zip file: `manifest.json` (format version, the migrations the data was made
with, and per table its columns, row count and SHA-256) and one JSON-lines member per table,
rows in primary-key order. Reading happens in one snapshot (a REPEATABLE READ transaction on
PostgreSQL, a single read transaction on SQLite), so the archive is consistent even while the
app is in use. Values are written portably (ISO dates, decimals as strings), so an archive
made on SQLite restores on PostgreSQL and back.

A restore loads into a database migrated to exactly the same migrations, in one transaction:
the archive is checked member by member as it is read, and any error rolls everything back.
Afterwards the workspace's outbound traffic stays paused until an admin resumes it, so a copy
restored for a test never emails real customers.

Left out: web sessions (every restored user signs in again) and the background task queue
(queued sends are picked up again by the scheduler once sending is resumed).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from .database import tables_flush

FORMAT = "revline-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
EXCLUDED = {"sessions.session", "django_tasks_database.dbtaskresult"}
_CHUNK = 2000


class BackupError(Exception):
    """The archive cannot be made or restored; the message says why."""


@dataclass(frozen=True)
class TableReport:
    label: str
    rows: int


Progress = Callable[[TableReport], None]


def backup_models() -> list[type[models.Model]]:
    """Every table the archive holds, M2M link tables included, in a stable order."""
    found = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label_lower not in EXCLUDED and model._meta.managed and not model._meta.proxy
    ]
    return sorted(found, key=lambda m: m._meta.label_lower)


def applied_migrations() -> dict[str, list[str]]:
    by_app: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        by_app.setdefault(app, []).append(name)
    return by_app


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


class _Encoder(DjangoJSONEncoder):
    def default(self, o: object) -> object:
        if isinstance(o, bytes | memoryview):
            return {"$b64": base64.b64encode(bytes(o)).decode("ascii")}
        # Django's encoder cuts times to milliseconds; a backup keeps every microsecond.
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def _line(row: tuple[object, ...]) -> bytes:
    return (
        json.dumps(
            list(row), cls=_Encoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        + "\n"
    ).encode()


def _snapshot() -> None:
    """Make the enclosing transaction read one consistent snapshot of the whole database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def backup_write(*, path: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Write the archive to `path` (through a temporary file, so a failed run leaves nothing
    half-written under the name) and return its manifest."""
    partial = path.with_name(path.name + ".partial")
    tables = []
    # Inside a caller's transaction the snapshot is already the caller's.
    outermost = not connection.in_atomic_block
    try:
        with (
            zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf,
            transaction.atomic(),
        ):
            if outermost:
                _snapshot()
            migrations = applied_migrations()
            for model in backup_models():
                label = model._meta.label_lower
                fields = _columns(model)
                digest = hashlib.sha256()
                count = 0
                rows = (
                    model._base_manager.order_by("pk")
                    .values_list(*[f.attname for f in fields])
                    .iterator(chunk_size=_CHUNK)
                )
                with zf.open(f"tables/{label}.jsonl", "w", force_zip64=True) as member:
                    for row in rows:
                        data = _line(row)
                        digest.update(data)
                        member.write(data)
                        count += 1
                tables.append(
                    {
                        "model": label,
                        "table": model._meta.db_table,
                        "fields": [f.attname for f in fields],
                        "rows": count,
                        "sha256": digest.hexdigest(),
                    }
                )
                if progress:
                    progress(TableReport(label, count))
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                "database": connection.vendor,
                "migrations": migrations,
                "tables": tables,
            }
            zf.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def manifest_read(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError:
        raise BackupError("not a Revline backup: the archive has no manifest.json") from None
    except ValueError as exc:
        raise BackupError(f"the archive's manifest.json is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("not a Revline backup: the manifest does not name the format")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format version {manifest.get('version')!r} is not supported "
            f"(this Revline reads version {FORMAT_VERSION})"
        )
    return manifest


def _migration_mismatch(archived: dict[str, list[str]], current: dict[str, list[str]]) -> str:
    for app in sorted(set(archived) | set(current)):
        made, here = set(archived.get(app, [])), set(current.get(app, []))
        if made - here:
            return (
                f"the backup was made with migration {app}.{sorted(made - here)[-1]}, which this "
                "installation does not have: restore with the Revline version that made it"
            )
        if here - made:
            return (
                f"this database has migration {app}.{sorted(here - made)[0]}, which the backup "
                "predates: restore with the Revline version that made it, then upgrade"
            )
    return ""


def _decoder(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    internal = field.get_internal_type()

    def decode(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dict) and "$b64" in value and internal == "BinaryField":
            return base64.b64decode(value["$b64"])
        if internal == "JSONField":
            return value
        return field.to_python(value)

    return decode


def _rows(member: IO[bytes], expected_sha: str, label: str) -> Iterator[list[Any]]:
    digest = hashlib.sha256()
    for number, raw in enumerate(member, start=1):
        digest.update(raw)
        try:
            row = json.loads(raw)
        except ValueError:
            raise BackupError(f"{label}, line {number}: not valid JSON") from None
        if not isinstance(row, list):
            raise BackupError(f"{label}, line {number}: a row must be a list of values")
        yield row
    if digest.hexdigest() != expected_sha:
        raise BackupError(f"{label}: checksum mismatch, the archive is damaged or was edited")


def _insert(
    model: type[models.Model], fields: list[models.Field[Any, Any]], rows: list[list[Any]]
) -> None:
    decoders = [_decoder(f) for f in fields]
    prepared = []
    for row in rows:
        prepared.append(
            tuple(
                field.get_db_prep_save(decode(value), connection)
                for field, decode, value in zip(fields, decoders, row, strict=True)
            )
        )
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column or f.attname) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Table and column names come from the models (quoted), never from the archive.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def backup_restore(
    *, path: Path, progress: Progress | None = None, note: str = ""
) -> dict[str, Any]:
    """Replace every table's rows with the archive's, all or nothing, then pause outbound
    traffic. The database must be migrated to the archive's migrations."""
    from revline.core.workspace import workspace_get

    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except zipfile.BadZipFile:
        raise BackupError(f"{path}: not a zip archive (is it a Revline backup?)") from None
    with zf:
        manifest = manifest_read(zf)
        mismatch = _migration_mismatch(manifest.get("migrations", {}), applied_migrations())
        if mismatch:
            raise BackupError(mismatch)
        models_by_label = {m._meta.label_lower: m for m in backup_models()}
        entries = manifest.get("tables", [])
        unknown = [t["model"] for t in entries if t["model"] not in models_by_label]
        if unknown:
            raise BackupError(f"the backup holds tables this installation lacks: {unknown[0]}")
        with transaction.atomic():
            tables_flush(
                [m._meta.db_table for m in models_by_label.values()], reset_sequences=False
            )
            for entry in entries:
                model = models_by_label[entry["model"]]
                by_name = {f.attname: f for f in _columns(model)}
                if set(entry["fields"]) != set(by_name):
                    raise BackupError(f"{entry['model']}: columns differ from this installation")
                fields = [by_name[name] for name in entry["fields"]]
                count = 0
                batch: list[list[Any]] = []
                try:
                    member = zf.open(f"tables/{entry['model']}.jsonl")
                except KeyError:
                    raise BackupError(f"{entry['model']}: missing from the archive") from None
                with member:
                    for row in _rows(member, entry["sha256"], entry["model"]):
                        if len(row) != len(fields):
                            raise BackupError(
                                f"{entry['model']}, line {count + 1}: {len(row)} values "
                                f"for {len(fields)} columns"
                            )
                        batch.append(row)
                        count += 1
                        if len(batch) >= _CHUNK:
                            _insert(model, fields, batch)
                            batch = []
                    if batch:
                        _insert(model, fields, batch)
                if count != entry["rows"]:
                    raise BackupError(
                        f"{entry['model']}: {count} rows read, the manifest says {entry['rows']}"
                    )
                if progress:
                    progress(TableReport(entry["model"], count))
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(
                    no_style(), list(models_by_label.values())
                ):
                    cursor.execute(sql)
            connection.check_constraints()
            made = manifest.get("created_at", "an unknown date")
            workspace = workspace_get()
            workspace.outbound_paused_at = timezone.now()
            workspace.outbound_paused_reason = (note or f"Restored from a backup made {made}")[:300]
            workspace.save(update_fields=["outbound_paused_at", "outbound_paused_reason"])
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    return manifest


def backup_default_name(now: dt.datetime | None = None) -> str:
    stamp = (now or timezone.now()).strftime("%Y%m%d-%H%M%S")
    return f"revline-backup-{stamp}.zip"
