"""Contact and company imports: store the upload, check it (dry run), write it in batches.

The two passes run as background tasks (import_tasks.py) and stream the stored file; a pass
holds one chunk of rows at a time. Every chunk is written in one transaction with a handful of
queries, whatever its size: companies and tags are found or created in bulk, and the tag links,
consent records and timeline events are bulk inserts. On PostgreSQL new contacts go through a
temporary staging table (COPY, then one INSERT … SELECT … ON CONFLICT DO NOTHING that also writes
their "contact created" events), so the unique index on lower(email) itself tells new from
existing; on SQLite existing contacts are found with one query on that index first.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from revline.core import permissions
from revline.core.models import User
from revline.email.selectors import suppressed_addresses
from revline.leads.models import LifecycleTransition, TransitionCause
from revline.leads.services import lifecycle_rank

from . import import_parsing as parsing
from . import import_selectors
from .models import (
    Company,
    ConsentRecord,
    ConsentStatus,
    Contact,
    ContactImport,
    DuplicatePolicy,
    ImportKind,
    ImportStatus,
    LifecycleStage,
    Tag,
    TimelineEvent,
    TimelineEventKind,
)

logger = logging.getLogger(__name__)

CHUNK_ROWS = 1000  # dry run: rows between two progress updates (and cancel checks)
# Import: rows per transaction, and the rows a stopped import may have to redo. Each commit
# waits for the disk (~50 ms on the benchmark machine): 1,000-row transactions spent about a
# tenth of a PostgreSQL import committing; 10,000 measured no faster than 5,000.
WRITE_CHUNK_ROWS = 5000
MAX_STORED_ERRORS = 1000
CONSENT_PURPOSE = "marketing_email"
CONSENT_FROM_COLUMN = "column"
CONSENT_DECLARED = "granted"
RUNNING = {ImportStatus.CHECKING, ImportStatus.IMPORTING}
CONFIGURABLE = {ImportStatus.UPLOADED, ImportStatus.MAPPED, ImportStatus.CHECKED}


def import_max_bytes() -> int:
    return int(settings.REVLINE_IMPORT_MAX_BYTES)


def imports_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def can_change_import(user: User, contact_import: ContactImport) -> bool:
    """The person who uploaded the file, or an admin."""
    return permissions.is_admin(user) or (
        user.is_active and contact_import.created_by_id == user.pk
    )


def _require_change(actor: User, contact_import: ContactImport) -> None:
    permissions.require(
        can_change_import(actor, contact_import),
        "Only the person who uploaded this file (or an admin) can change its import.",
    )


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


# --- Upload ------------------------------------------------------------------------------------


def contact_import_create(
    *, actor: User, kind: str, file_name: str, source: IO[bytes]
) -> ContactImport:
    """Store the uploaded file under DATA_DIR/imports/ with a random name and read its headers.

    CSV files are stored as UTF-8 whatever their encoding (UTF-8 with or without a BOM, UTF-16,
    else Windows-1252). Raises ValidationError ({"file": ...}) for a file that is too large, of
    the wrong type or without usable column names; then nothing is stored.
    """
    permissions.require(permissions.can_edit_people(actor))
    if kind not in ImportKind.values:
        raise ValidationError({"kind": "Choose contacts or companies."})
    name = Path(file_name.replace("\\", "/")).name.strip()[:255] or "upload.csv"
    try:
        fmt = parsing.file_format(name)
    except parsing.ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from None
    limit = import_max_bytes()
    directory = imports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{secrets.token_hex(16)}.{fmt}"
    size = 0
    try:
        with path.open("xb") as target:
            while chunk := source.read(parsing.READ_BYTES):
                size += len(chunk)
                if size > limit:
                    raise ValidationError(
                        {"file": f"The file is larger than {parsing.size_text(limit)}."}
                    )
                target.write(chunk)
        if size == 0:
            raise ValidationError({"file": "The file is empty."})
        if fmt == "csv":
            encoding = parsing.detect_encoding(path)
            if encoding not in ("utf-8", "utf-8-sig"):
                utf8 = path.with_suffix(".utf8")
                parsing.transcode_to_utf8(path, utf8, encoding)
                utf8.replace(path)
        headers = parsing.read_headers(path, name)
    except parsing.ImportFileError as exc:
        _remove(path)
        raise ValidationError({"file": str(exc)}) from None
    except BaseException:
        _remove(path)
        raise
    return ContactImport.objects.create(
        kind=kind,
        file_name=name,
        file_path=str(path),
        file_size=size,
        headers=headers,
        mapping=parsing.suggest_mapping(kind, headers),
        created_by=actor,
    )


# --- Mapping, options and the two passes ---------------------------------------------------------


def _enqueue(task_name: str, import_id: int) -> None:
    from . import import_tasks

    task = getattr(import_tasks, task_name)
    transaction.on_commit(lambda: task.enqueue(import_id))


@transaction.atomic
def contact_import_configure(
    *,
    actor: User,
    contact_import: ContactImport,
    mapping: dict[str, str],
    duplicate_policy: str,
    declare_consent: bool = False,
    consent_wording: str = "",
    tags: Iterable[str] = (),
    import_good_rows: bool = False,
) -> ContactImport:
    """Save the column mapping and the options, then start the dry run.

    Consent comes from a column mapped to "consent", or is declared for the whole file (with
    the wording people agreed to); not both. Only marketers and admins may record consent.
    """
    _require_change(actor, contact_import)
    imp = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
    if imp.status not in CONFIGURABLE:
        raise ValidationError(f"This import is {imp.get_status_display().lower()}.")
    errors: dict[str, list[str]] = {}
    problems = parsing.mapping_errors(imp.kind, imp.headers, mapping)
    if problems:
        errors["mapping"] = problems
    if duplicate_policy not in DuplicatePolicy.values:
        errors["duplicate_policy"] = ["Choose what happens to existing records."]
    consent_column = parsing.CONSENT in mapping.values()
    wording = consent_wording.strip()
    if declare_consent and consent_column:
        errors["declare_consent"] = [
            "Consent comes either from a column or for the whole file, not both."
        ]
    if declare_consent and not wording:
        errors["consent_wording"] = ["Say what people agreed to: it is kept as the proof."]
    if len(wording) > 500:
        errors["consent_wording"] = ["At most 500 characters."]
    if (declare_consent or consent_column) and not permissions.can_manage_marketing(actor):
        errors["declare_consent"] = ["Only marketers and admins may record consent."]
    tag_names = sorted({t.strip().lower() for t in tags if t.strip()})
    if any(len(t) > parsing.TAG_MAX_LENGTH for t in tag_names):
        errors["tags"] = [f"A tag has at most {parsing.TAG_MAX_LENGTH} characters."]
    if errors:
        raise ValidationError(errors)
    imp.mapping = {h: mapping.get(h, parsing.IGNORE) for h in imp.headers}
    imp.duplicate_policy = duplicate_policy
    imp.consent_mode = (
        CONSENT_DECLARED if declare_consent else (CONSENT_FROM_COLUMN if consent_column else "")
    )
    imp.consent_wording = wording if declare_consent else ""
    imp.tags = tag_names
    imp.import_good_rows = import_good_rows
    imp.status = ImportStatus.CHECKING
    imp.rows_total = imp.rows_done = imp.rows_bad = 0
    imp.rows_created = imp.rows_updated = imp.rows_skipped = 0
    imp.errors = []
    imp.failure = ""
    imp.finished_at = None
    imp.progress_at = timezone.now()
    imp.resume_count = 0
    imp.save()
    _enqueue("contact_import_check_task", imp.pk)
    return imp


@transaction.atomic
def contact_import_start(*, actor: User, contact_import: ContactImport) -> ContactImport:
    """Start writing, after a dry run. Refused while the dry run found bad rows, unless the
    user chose to import the good rows."""
    _require_change(actor, contact_import)
    imp = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
    if imp.status != ImportStatus.CHECKED:
        raise ValidationError("Run the dry run first: the file is imported after it is checked.")
    if imp.rows_bad and not imp.import_good_rows:
        raise ValidationError(
            f"{imp.rows_bad} rows are bad. Correct the file and upload it again, or choose to "
            "import the good rows."
        )
    imp.status = ImportStatus.IMPORTING
    imp.rows_done = imp.rows_created = imp.rows_updated = imp.rows_skipped = 0
    imp.progress_at = timezone.now()
    imp.resume_count = 0
    imp.save(
        update_fields=[
            "status", "rows_done", "rows_created", "rows_updated", "rows_skipped", "progress_at",
            "resume_count",
        ]
    )  # fmt: skip
    _enqueue("contact_import_run_task", imp.pk)
    return imp


@transaction.atomic
def contact_import_cancel(*, actor: User, contact_import: ContactImport) -> ContactImport:
    """Stop the import. A running pass stops before its next chunk; chunks already written stay."""
    _require_change(actor, contact_import)
    imp = ContactImport.objects.select_for_update().get(pk=contact_import.pk)
    if imp.status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED):
        raise ValidationError(f"This import is already {imp.get_status_display().lower()}.")
    imp.status = ImportStatus.CANCELLED
    imp.finished_at = timezone.now()
    imp.save(update_fields=["status", "finished_at"])
    return imp


# --- Stalled passes ------------------------------------------------------------------------------


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _stall_reason(imp: ContactImport, *, minutes: int, resumes: int) -> str:
    if imp.status == ImportStatus.CHECKING:
        return (
            f"The dry run stopped: the background worker made no progress for {minutes} minutes, "
            f"even after {resumes} automatic restart{_s(resumes)}. Nothing was imported. Upload the file "
            "again to retry, and ask an administrator to check the worker."
        )
    return (
        f"The import stopped: the background worker wrote nothing for {minutes} minutes, even "
        f"after {resumes} automatic resume{_s(resumes)}. The {imp.rows_done} rows written so far stay "
        f"({imp.rows_created} created, {imp.rows_updated} updated, {imp.rows_skipped} skipped). "
        "Upload the file again with “skip” to import the rest without duplicates, and ask an "
        "administrator to check the worker."
    )


def contact_imports_resume_stalled(*, now: datetime | None = None) -> list[int]:
    """The scheduler's job: queue again the passes (dry runs and imports) whose worker died,
    seen as no progress for REVLINE_IMPORT_STALL_MINUTES; returns the ids queued again.

    This is the manual re-queue done automatically: the same task, which continues after the
    last chunk written (an import) or starts over (a dry run, which writes nothing). An import
    resumed REVLINE_IMPORT_MAX_RESUMES times in a row without writing a chunk is marked failed
    with the reason instead. A pass still waiting in the queue for a busy worker is left alone.
    Each change is conditional on the row as it was read, so progress committed meanwhile by a
    worker that was only slow wins."""
    now = now or timezone.now()
    minutes = int(settings.REVLINE_IMPORT_STALL_MINUTES)
    limit = int(settings.REVLINE_IMPORT_MAX_RESUMES)
    cutoff = now - timedelta(minutes=minutes)
    stale = Q(progress_at__lt=cutoff) | Q(progress_at__isnull=True, created_at__lt=cutoff)
    resumed = []
    candidates = list(ContactImport.objects.filter(stale, status__in=RUNNING).order_by("pk"))
    waiting = import_selectors.import_passes_waiting() if candidates else set()
    for imp in candidates:
        if (import_selectors.PASS_TASKS[ImportStatus(imp.status)], imp.pk) in waiting:
            continue
        unchanged = ContactImport.objects.filter(
            stale, pk=imp.pk, status=imp.status, resume_count=imp.resume_count
        )
        with transaction.atomic():
            if imp.resume_count >= limit:
                reason = _stall_reason(imp, minutes=minutes, resumes=imp.resume_count)
                if unchanged.update(
                    status=ImportStatus.FAILED, failure=reason[:500], finished_at=now
                ):
                    logger.warning("Import %s failed: no progress after resumes", imp.pk)
                continue
            if not unchanged.update(resume_count=imp.resume_count + 1, progress_at=now):
                continue
            _enqueue(import_selectors.PASS_TASKS[ImportStatus(imp.status)], imp.pk)
        logger.warning("Import %s made no progress for %s minutes: queued again", imp.pk, minutes)
        resumed.append(imp.pk)
    return resumed


# --- The passes (run by the background worker) ----------------------------------------------------


def _chunks(
    stream: Iterator[tuple[int, list[str]]], size: int
) -> Iterator[tuple[list[tuple[int, list[str]]], parsing.UnreadableRest | None]]:
    """Rows in lists of `size`; a CSV that breaks ends the stream with the error."""
    chunk: list[tuple[int, list[str]]] = []
    while True:
        try:
            item = next(stream)
        except StopIteration:
            break
        except parsing.UnreadableRest as exc:
            yield chunk, exc
            return
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk, None
            chunk = []
    if chunk:
        yield chunk, None


def _cancelled(import_id: int) -> bool:
    return ContactImport.objects.filter(pk=import_id, status=ImportStatus.CANCELLED).exists()


def _finish(import_id: int, expected: str, **fields: Any) -> None:
    # Conditional, so a cancel that arrived meanwhile is not overwritten.
    ContactImport.objects.filter(pk=import_id, status=expected).update(**fields)


def _fail(import_id: int, expected: str, reason: str) -> None:
    _finish(
        import_id,
        expected,
        status=ImportStatus.FAILED,
        failure=reason[:500],
        finished_at=timezone.now(),
    )


@dataclass
class _Report:
    total: int = 0
    bad: int = 0
    errors: list[dict[str, Any]] | None = None

    def add(self, line: int, reason: str) -> None:
        self.bad += 1
        assert self.errors is not None
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"line": line, "reason": reason})


@dataclass
class _Cleaned:
    """The good rows of one chunk, and the rows read and found bad up to its end."""

    rows: list[parsing.CleanRow]
    total: int
    bad: int


def _clean_chunk(
    plan: parsing.Plan, chunk: list[tuple[int, list[str]]], report: _Report
) -> list[parsing.CleanRow]:
    good = []
    for line, cells in chunk:
        report.total += 1
        try:
            good.append(parsing.clean_row(plan, line, cells))
        except parsing.RowError as exc:
            report.add(line, str(exc))
    return _without_erased(good, report)


ERASED_ROW = "This person asked to be erased (GDPR art. 17): their address is never imported again."


def _without_erased(rows: list[parsing.CleanRow], report: _Report) -> list[parsing.CleanRow]:
    """Rows of erased addresses become bad rows with the reason: one query per chunk."""
    from revline.privacy.selectors import erased_digests  # privacy reads people's models

    erased = erased_digests([r.values["email"] for r in rows if r.values.get("email")])
    if not erased:
        return rows
    for row in rows:
        if row.values.get("email", "").strip().lower() in erased:
            report.add(row.line, ERASED_ROW)
    return [r for r in rows if r.values.get("email", "").strip().lower() not in erased]


def contact_import_bad_rows(*, imp: ContactImport) -> Iterator[tuple[int, str, list[str]]]:
    """Every bad row of the stored file as (line, reason, its cells), read again as a stream with
    the import's current mapping, so the user can fix exactly those rows and upload them again.
    Raises parsing.ImportFileError when the file is gone or changed."""
    plan = parsing.compile_plan(imp.kind, imp.headers, imp.mapping)
    with parsing.open_rows(Path(imp.file_path), imp.file_name) as rows:
        if rows.headers != imp.headers:
            raise parsing.ImportFileError("The stored file changed since it was uploaded.")
        for chunk, broken in _chunks(rows.stream, CHUNK_ROWS):
            for line, cells in chunk:
                try:
                    parsing.clean_row(plan, line, cells)
                except parsing.RowError as exc:
                    yield line, str(exc), cells
            if broken is not None:
                yield broken.line, str(broken), []


def contact_import_check(*, import_id: int) -> None:
    """The dry run: read every row, check it, count and keep the first bad rows. Writes nothing
    but the report. Does nothing unless the import waits for its dry run."""
    imp = ContactImport.objects.filter(pk=import_id, status=ImportStatus.CHECKING).first()
    if imp is None:
        return
    plan = parsing.compile_plan(imp.kind, imp.headers, imp.mapping)
    report = _Report(errors=[])
    try:
        with parsing.open_rows(Path(imp.file_path), imp.file_name) as rows:
            if rows.headers != imp.headers:
                raise parsing.ImportFileError("The stored file changed since it was uploaded.")
            for chunk, broken in _chunks(rows.stream, CHUNK_ROWS):
                if _cancelled(import_id):
                    return
                _clean_chunk(plan, chunk, report)
                if broken is not None:
                    report.add(broken.line, str(broken))
                ContactImport.objects.filter(pk=import_id).update(
                    rows_done=report.total, progress_at=timezone.now()
                )
    except (parsing.ImportFileError, OSError) as exc:
        _fail(import_id, ImportStatus.CHECKING, str(exc))
        return
    except Exception as exc:
        _fail(import_id, ImportStatus.CHECKING, f"The dry run stopped: {exc}")
        raise
    _finish(
        import_id,
        ImportStatus.CHECKING,
        status=ImportStatus.CHECKED,
        rows_total=report.total,
        rows_done=report.total,
        rows_bad=report.bad,
        errors=report.errors,
    )


def contact_import_run(*, import_id: int) -> None:
    """The import: stream the file again and write it chunk by chunk, each chunk in one
    transaction. Bad rows are left out (the user chose so, or the dry run found none).

    A chunk's progress (rows done, counts) is saved in its own transaction, so a run that was
    stopped (the worker killed, the machine restarted) and is started again continues after the
    last chunk written instead of writing it twice."""
    imp = (
        ContactImport.objects.select_related("created_by")
        .filter(pk=import_id, status=ImportStatus.IMPORTING)
        .first()
    )
    if imp is None:
        return
    plan = parsing.compile_plan(imp.kind, imp.headers, imp.mapping)
    writer = _Writer(imp)
    writer.created, writer.updated, writer.skipped = (
        imp.rows_created, imp.rows_updated, imp.rows_skipped
    )  # fmt: skip
    report = _Report(total=imp.rows_done, errors=[])

    def cleaned(stream: Iterator[tuple[int, list[str]]]) -> Iterator[_Cleaned]:
        for chunk, _broken in _chunks(stream, WRITE_CHUNK_ROWS):
            good = _clean_chunk(plan, chunk, report)
            yield _Cleaned(good, total=report.total, bad=report.bad)

    def ahead(items: Iterator[_Cleaned]) -> AbstractContextManager[Iterator[_Cleaned]]:
        # PostgreSQL works in its own process: the next chunk is read and checked meanwhile.
        # SQLite works in this one, where a second thread only competes with it (measured).
        if connection.vendor == "postgresql":
            return parsing.read_ahead(items)
        return nullcontext(items)

    done = imp.rows_done
    try:
        with (
            parsing.open_rows(Path(imp.file_path), imp.file_name) as rows,
            ahead(cleaned(itertools.islice(rows.stream, imp.rows_done, None))) as chunks,
        ):
            for chunk in chunks:
                if _cancelled(import_id):
                    return
                if chunk.bad and not imp.import_good_rows:
                    raise parsing.ImportFileError(
                        "The file has bad rows the dry run did not find; nothing more was written."
                    )
                _write_chunk(writer, chunk.rows, import_id, chunk.total, after=done)
                done = chunk.total
    except _Superseded:
        return
    except (parsing.ImportFileError, OSError) as exc:
        _fail(import_id, ImportStatus.IMPORTING, str(exc))
        return
    except Exception as exc:
        _fail(import_id, ImportStatus.IMPORTING, f"The import stopped: {exc}")
        raise
    _finish(
        import_id,
        ImportStatus.IMPORTING,
        status=ImportStatus.DONE,
        rows_done=report.total,
        finished_at=timezone.now(),
    )
    if writer.created or writer.updated:
        # Imported rows are written in bulk, past the scoring hooks: their fit is computed after.
        from revline.leads.scoring_services import fit_scores_recompute_later

        fit_scores_recompute_later()


# --- Writing one chunk ---------------------------------------------------------------------------


def _contact_ids(emails: list[str]) -> dict[str, int]:
    """Lower-cased email -> contact id, in one query on the unique index of lower(email)."""
    if not emails:
        return {}
    quote = connection.ops.quote_name
    email, pk, table = quote("email"), quote("id"), quote(Contact._meta.db_table)
    # The index's own condition, written as in the index: SQLite matches it as text.
    if connection.vendor == "postgresql":
        # One probe of the index per email. With `lower(email) = ANY(…)` the planner scanned
        # the whole table (measured 40-200 ms per 1,000-5,000 emails on 20,000-100,000
        # contacts, against 3-15 ms for the probes): it prices lower() on every row far too
        # low. A LIMIT inside LATERAL cannot be turned into a join, so the probes are the plan.
        sql = (
            f"SELECT e.email, c.{pk} FROM unnest(%s::text[]) AS e(email) CROSS JOIN LATERAL "  # noqa: S608
            f"(SELECT {pk} FROM {table} WHERE LOWER({email}) = e.email AND NOT ({email} = '') "
            "LIMIT 1) AS c"
        )
        params: list[Any] = [emails]
    else:
        sql = (
            f"SELECT LOWER({email}), {pk} FROM {table} WHERE LOWER({email}) IN "  # noqa: S608
            f"({', '.join(['%s'] * len(emails))}) AND NOT ({email} = '')"
        )
        params = list(emails)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


STAGE_TABLE = "revline_import_contacts"
STAGE_COLUMNS = (
    "email", "first_name", "last_name", "phone", "title", "country", "source", "lifecycle_stage",
    "lifecycle_changed_at", "company_id",
)  # fmt: skip


class _ContactsOnPostgres:
    """Creates an import's new contacts on PostgreSQL, each with its "contact created" event.

    A chunk's rows are copied into a temporary table, then moved with one INSERT … SELECT that
    also writes the events: no look-up before (the unique index on lower(email) tells new from
    taken, also for contacts created meanwhile by someone else), none after (RETURNING gives
    the new ids).

    The move is first tried as a plain INSERT, in a savepoint: `ON CONFLICT DO NOTHING` costs
    one more probe of the email index per row (about a sixth of the database's work for a
    chunk of new contacts, measured). Once a chunk meets a taken email, the import's later
    chunks go straight to ON CONFLICT, so a file of mostly known contacts redoes one chunk."""

    def __init__(self, *, event_source: str, actor_id: int | None) -> None:
        self.event_source = event_source
        self.actor_id = actor_id
        self.all_new_so_far = True

    def create(self, rows: list[tuple[Any, ...]], now: Any) -> dict[str, int]:
        """Create the contacts of `rows` (values in STAGE_COLUMNS order) whose email is not
        taken; returns email -> id of those created."""
        self._stage(rows)
        if self.all_new_so_far:
            try:
                with transaction.atomic():
                    return self._move(now, skip_taken=False)
            except IntegrityError:
                self.all_new_so_far = False
        return self._move(now, skip_taken=True)

    def _stage(self, rows: list[tuple[Any, ...]]) -> None:
        names = ", ".join(connection.ops.quote_name(c) for c in STAGE_COLUMNS)
        with connection.cursor() as cursor:
            # Kept for the session and emptied at each commit; emptied here too, since several
            # chunks can share one transaction (a caller's atomic block, tests).
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} (n integer, email text, "
                "first_name text, last_name text, phone text, title text, country text, "
                "source text, lifecycle_stage text, lifecycle_changed_at timestamptz, "
                "company_id bigint) ON COMMIT DELETE ROWS"
            )
            cursor.execute(f"DELETE FROM {STAGE_TABLE}")  # noqa: S608
            with cursor.copy(f"COPY {STAGE_TABLE} (n, {names}) FROM STDIN") as copy:
                for number, row in enumerate(rows):
                    copy.write_row((number, *row))

    def _move(self, now: Any, *, skip_taken: bool) -> dict[str, int]:
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in STAGE_COLUMNS)
        contact = quote(Contact._meta.db_table)
        event = quote(TimelineEvent._meta.db_table)
        conflict = "ON CONFLICT DO NOTHING" if skip_taken else ""
        move = f"""
            WITH new AS (
                INSERT INTO {contact} ({names}, "fit_score", "engagement_score", "created_at",
                                       "updated_at")
                SELECT {names}, 0, 0, %s, %s FROM {STAGE_TABLE} ORDER BY n
                {conflict}
                RETURNING "id", "email"
            ), events AS (
                INSERT INTO {event} ("contact_id", "kind", "occurred_at", "source", "actor_id",
                                     "params")
                SELECT "id", %s, %s, %s, %s, '{{}}'::jsonb FROM new
            )
            SELECT "email", "id" FROM new
        """  # noqa: S608 - names come from the models; values are parameters
        kind = TimelineEventKind.CONTACT_CREATED.value
        with connection.cursor() as cursor:
            cursor.execute(move, [now, now, kind, now, self.event_source, self.actor_id])
            return dict(cursor.fetchall())


def _insert(model: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert many rows: COPY on PostgreSQL, one executemany on SQLite.

    The ORM's bulk_create prepares every value of every instance in Python, which was most of
    an import's time; callers pass values the database takes as they are (datetimes adapted by
    connection.ops, JSON as text)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # Table and column names come from the models, quoted; values are parameters.
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        cursor.executemany(sql, rows)


def _insert_links(model: Any, column: str, links: list[tuple[int, int]]) -> None:
    """(record id, tag id) pairs into a tags table; pairs already there are left alone."""
    if not links:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = f"{quote(column)}, {quote('tag_id')}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two array parameters: one statement, however many pairs.
            records, tags = zip(*links, strict=True)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest(%s::bigint[], "  # noqa: S608
                "%s::bigint[]) ON CONFLICT DO NOTHING",
                [list(records), list(tags)],
            )
            return
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES (%s, %s) ON CONFLICT DO NOTHING",  # noqa: S608
            links,
        )


class _Superseded(Exception):
    """Another run of the same import wrote this chunk, or the import stopped meanwhile."""


def _write_chunk(
    writer: _Writer, rows: list[parsing.CleanRow], import_id: int, done: int, *, after: int
) -> None:
    """One transaction per chunk, the rows after the first `after` rows of the file.

    The chunk first claims the import's row: only while the import is still importing with
    `after` rows done. A second run of the same import (a resumed one whose first worker was
    only slow) waits for that lock and then finds the chunk written, so every row is written
    once whatever runs at the same time; the run that lost raises _Superseded.

    On SQLite, a contact created meanwhile by someone else with an email of the chunk breaks
    the unique index: the chunk is then tried once more, finding it. (On PostgreSQL the insert
    itself skips such contacts: ON CONFLICT DO NOTHING.)"""
    for attempt in (1, 2):
        counts = (writer.created, writer.updated, writer.skipped)
        try:
            with transaction.atomic():
                claimed = ContactImport.objects.filter(
                    pk=import_id, status=ImportStatus.IMPORTING, rows_done=after
                ).update(progress_at=timezone.now())
                if not claimed:
                    raise _Superseded
                writer.write(rows)
                ContactImport.objects.filter(pk=import_id).update(
                    rows_done=done,
                    rows_created=writer.created,
                    rows_updated=writer.updated,
                    rows_skipped=writer.skipped,
                    progress_at=timezone.now(),
                    resume_count=0,
                )
            return
        except IntegrityError:
            writer.created, writer.updated, writer.skipped = counts
            if attempt == 2:
                raise


class _Writer:
    """Writes chunks of good rows of one import; counts what it did."""

    def __init__(self, imp: ContactImport) -> None:
        self.imp = imp
        self.kind = imp.kind
        self.update = imp.duplicate_policy == DuplicatePolicy.UPDATE
        self.actor = imp.created_by
        self.source = f"import: {imp.file_name}"
        self.file_tags = list(imp.tags)
        self.created = self.updated = self.skipped = 0
        self.postgres = _ContactsOnPostgres(
            event_source=self.source[:100], actor_id=self.actor.pk if self.actor else None
        )

    def _dedupe(self, rows: list[parsing.CleanRow]) -> list[parsing.CleanRow]:
        """One row per record within the chunk: the first (skip) or all merged in order (update).
        Across chunks the database decides, since earlier chunks are already written."""
        by_key: dict[str, parsing.CleanRow] = {}
        for row in rows:
            first = by_key.get(row.key)
            if first is None:
                by_key[row.key] = row
                continue
            if self.update:
                # A new row, so that the rows read from the file stay as they were.
                merged = parsing.CleanRow(
                    line=first.line,
                    values={**first.values, **row.values},
                    tags=[*first.tags, *row.tags],
                    consent=first.consent if row.consent is None else row.consent,
                )
                if row.key.startswith("name:"):
                    merged.values["name"] = first.values["name"]  # matched on it: keep it
                by_key[row.key] = merged
                self.updated += 1
            else:
                self.skipped += 1
        return list(by_key.values())

    def write(self, rows: list[parsing.CleanRow]) -> None:
        rows = self._dedupe(rows)
        if not rows:
            return
        if self.kind == ImportKind.CONTACTS:
            self._write_contacts(rows)
        else:
            self._write_companies(rows)

    # -- tags --

    def _tag_ids(self, names: set[str]) -> dict[str, int]:
        if not names:
            return {}
        Tag.objects.bulk_create([Tag(name=n) for n in sorted(names)], ignore_conflicts=True)
        return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))

    def _link_tags(self, through: Any, column: str, pairs: list[tuple[int, list[str]]]) -> None:
        names = {n for _, tags in pairs for n in tags} | set(self.file_tags)
        ids = self._tag_ids(names)
        links = [(pk, ids[name]) for pk, tags in pairs for name in {*tags, *self.file_tags}]
        _insert_links(through, column, links)

    # -- contacts --

    def _company_ids(self, names: list[str]) -> dict[str, int]:
        """Lower-cased company name (or domain) -> id; companies not found are created."""
        if not names:
            return {}
        lowered = {n.lower() for n in names}
        found: dict[str, int] = {}
        # Two queries: the name one uses the lower(name) index; domains have none, so they are
        # only looked up for the values that are domains.
        by_name = Company.objects.annotate(lname=Lower("name")).filter(lname__in=lowered)
        domains = {n for n in lowered if parsing.looks_like_domain(n)}
        by_domain = Company.objects.annotate(ldomain=Lower("domain")).filter(ldomain__in=domains)
        matches = sorted(
            [
                *by_name.order_by().values_list("pk", "name", "domain"),
                *(by_domain.order_by().values_list("pk", "name", "domain") if domains else []),
            ]
        )
        for pk, name, domain in matches:
            found.setdefault(name.lower(), pk)
            if domain:
                found.setdefault(domain.lower(), pk)
        missing: dict[str, str] = {}
        for name in names:
            if name.lower() not in found:
                missing.setdefault(name.lower(), name)
        if missing:
            created = Company.objects.bulk_create(
                [
                    Company(name=n, domain=n.lower() if parsing.looks_like_domain(n) else "")
                    for n in missing.values()
                ]
            )
            for company in created:
                assert company.pk is not None
                found[company.name.lower()] = company.pk
        return found

    def _write_contacts(self, rows: list[parsing.CleanRow]) -> None:
        now = timezone.now()
        stamp = connection.ops.adapt_datetimefield_value(now)
        companies = self._company_ids(
            list(dict.fromkeys(r.values["company"] for r in rows if r.values.get("company")))
        )
        source = self.source[:100]

        def stage_values(row: parsing.CleanRow) -> tuple[Any, ...]:
            values = row.values
            stage = values.get("lifecycle_stage")
            company = values.get("company")
            return (
                values["email"], values.get("first_name", ""), values.get("last_name", ""),
                values.get("phone", ""), values.get("title", ""), values.get("country", ""),
                values.get("source", "import"), stage or LifecycleStage.SUBSCRIBER,
                stamp if stage else None, companies[company.lower()] if company else None,
            )  # fmt: skip

        # Created: email -> id. Existing: the other rows, with their contact's id when known.
        existing_ids: dict[str, int] | None
        if connection.vendor == "postgresql":
            created = self.postgres.create([stage_values(r) for r in rows], stamp)
            self.created += len(created)
            others = [r for r in rows if r.values["email"] not in created]
            existing_ids = None
        else:
            existing_ids = _contact_ids([r.values["email"] for r in rows])
            new_rows = [r for r in rows if r.values["email"] not in existing_ids]
            new_emails = [r.values["email"] for r in new_rows]
            if new_rows:
                _insert(
                    Contact,
                    (*STAGE_COLUMNS, "fit_score", "engagement_score", "created_at", "updated_at"),
                    [(*stage_values(r), 0, 0, stamp, stamp) for r in new_rows],
                )
                self._created_events_sqlite(new_emails, source)
            self.created += len(new_rows)
            # The new ids only matter for consent records and tags.
            created = _contact_ids(new_emails) if self._need_ids(new_rows) else {}
            others = [r for r in rows if r.values["email"] in existing_ids]
        touched = [(created[r.values["email"]], r) for r in rows if r.values["email"] in created]
        if others and self.update:
            touched += self._update_contacts(others, existing_ids, companies, now)
        else:
            self.skipped += len(others)
        self._consents(
            [
                (pk, row)
                for pk, row in touched
                if row.consent is not None or self.imp.consent_mode == CONSENT_DECLARED
            ],
            now,
        )
        self._link_tags(
            Contact.tags.through,
            "contact_id",
            [(pk, r.tags) for pk, r in touched if r.tags or self.file_tags],
        )

    def _need_ids(self, rows: list[parsing.CleanRow]) -> bool:
        """Whether any of the rows gets a consent record or a tag."""
        return (
            bool(self.file_tags)
            or self.imp.consent_mode == CONSENT_DECLARED
            or any(r.tags or r.consent is not None for r in rows)
        )

    def _created_events_sqlite(self, emails: list[str], source: str) -> None:
        """The "contact created" events of the contacts just inserted, written by the database
        from the contact table: no ids fetched, no row sent from Python."""
        quote = connection.ops.quote_name
        email = quote("email")
        sql = (
            f"INSERT INTO {quote(TimelineEvent._meta.db_table)} (contact_id, kind, occurred_at, "  # noqa: S608
            f"source, actor_id, params) SELECT {quote('id')}, %s, %s, %s, %s, '{{}}' "
            f"FROM {quote(Contact._meta.db_table)} WHERE LOWER({email}) IN "
            f"({', '.join(['%s'] * len(emails))}) AND NOT ({email} = '')"
        )
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        actor_id = self.actor.pk if self.actor else None
        with connection.cursor() as cursor:
            cursor.execute(
                sql, [TimelineEventKind.CONTACT_CREATED.value, stamp, source, actor_id, *emails]
            )

    def _update_contacts(
        self,
        rows: list[parsing.CleanRow],
        ids: dict[str, int] | None,
        companies: dict[str, int],
        now: Any,
    ) -> list[tuple[int, parsing.CleanRow]]:
        """Overwrite existing contacts with the rows' non-empty values ("update"); returns the
        (id, row) pairs updated. `ids` maps emails to contact ids when already looked up."""
        if ids is None:
            ids = _contact_ids([r.values["email"] for r in rows])
        wanted = [ids[r.values["email"]] for r in rows if r.values["email"] in ids]
        contacts = {c.email.lower(): c for c in Contact.objects.filter(pk__in=wanted).order_by()}
        changed: list[Contact] = []
        changed_fields: set[str] = set()
        transitions: list[tuple[int, str, str]] = []
        touched: list[tuple[int, parsing.CleanRow]] = []
        for row in rows:
            values = row.values
            contact = contacts.get(values["email"])
            if contact is None:  # deleted meanwhile
                self.skipped += 1
                continue
            for name, value in values.items():
                if name in ("email", "company", "lifecycle_stage"):
                    continue
                setattr(contact, name, value)
                changed_fields.add(name)
            company = values.get("company")
            if company:
                contact.company_id = companies[company.lower()]
                changed_fields.add("company")
            stage = values.get("lifecycle_stage")
            if stage and _forward(contact.lifecycle_stage, stage):
                transitions.append((contact.pk, contact.lifecycle_stage, stage))
                contact.lifecycle_stage = stage
                contact.lifecycle_changed_at = now
                changed_fields.update({"lifecycle_stage", "lifecycle_changed_at"})
            contact.updated_at = now
            changed.append(contact)
            touched.append((contact.pk, row))
        if changed:
            Contact.objects.bulk_update(
                changed, [*sorted(changed_fields), "updated_at"], batch_size=500
            )
        self.updated += len(changed)
        self._transitions(transitions, now)
        return touched

    def _events(self, events: list[tuple[int, str, str, dict[str, Any]]]) -> None:
        """Timeline events (contact id, kind, source, params), all at this moment."""
        if not events:
            return
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        empty = "{}"
        actor_id = self.actor.pk if self.actor else None
        _insert(
            TimelineEvent,
            ("contact_id", "kind", "occurred_at", "source", "actor_id", "params"),
            [
                (
                    pk,
                    kind,
                    stamp,
                    source,
                    actor_id,
                    json.dumps(params, cls=DjangoJSONEncoder) if params else empty,
                )
                for pk, kind, source, params in events
            ],
        )

    def _transitions(self, transitions: list[tuple[int, str, str]], now: Any) -> None:
        if not transitions:
            return
        LifecycleTransition.objects.bulk_create(
            [
                LifecycleTransition(
                    contact_id=pk, from_stage=old, to_stage=new, occurred_at=now,
                    cause=TransitionCause.IMPORT, actor=self.actor, reason=self.source[:300],
                )
                for pk, old, new in transitions
            ]
        )  # fmt: skip
        self._events(
            [
                (pk, TimelineEventKind.LIFECYCLE_CHANGED, TransitionCause.IMPORT,
                 {"from_stage": old, "to_stage": new, "reason": self.source})
                for pk, old, new in transitions
            ]
        )  # fmt: skip

    def _consents(self, rows: list[tuple[int, parsing.CleanRow]], now: Any) -> None:
        """Consent records as the file says; never a grant to a suppressed address."""
        if not rows:
            return
        declared = self.imp.consent_mode == CONSENT_DECLARED
        suppressed = suppressed_addresses(r.values["email"] for _, r in rows)
        if declared:
            wording = self.imp.consent_wording
        else:
            column = next((h for h, t in self.imp.mapping.items() if t == parsing.CONSENT), "")
            wording = f"Column “{column}” of {self.imp.file_name}"
        stamp = connection.ops.adapt_datetimefield_value(now)
        source = self.source[:200]
        records = []
        for pk, row in rows:
            granted = True if declared else bool(row.consent)
            if granted and row.values["email"] in suppressed:
                continue
            status = ConsentStatus.GRANTED if granted else ConsentStatus.WITHDRAWN
            records.append((pk, CONSENT_PURPOSE, str(status), stamp, source, wording, ""))
        _insert(
            ConsentRecord,
            ("contact_id", "purpose", "status", "recorded_at", "source", "wording",
             "wording_version"),
            records,
        )  # fmt: skip
        self._events(
            [
                (pk, TimelineEventKind.CONSENT_CHANGED, source[:100],
                 {"purpose": CONSENT_PURPOSE, "status": status})
                for pk, _, status, *_ in records
            ]
        )  # fmt: skip

    # -- companies --

    def _write_companies(self, rows: list[parsing.CleanRow]) -> None:
        now = timezone.now()
        domains = {r.values["domain"] for r in rows if r.values.get("domain")}
        names = {r.values["name"].lower() for r in rows if not r.values.get("domain")}
        by_domain: dict[str, Company] = {}
        by_name: dict[str, Company] = {}
        matches = (
            Company.objects.annotate(lname=Lower("name"), ldomain=Lower("domain"))
            .filter(Q(ldomain__in=domains) | Q(lname__in=names))
            .order_by("pk")
        )
        for match in matches:
            if match.domain:
                by_domain.setdefault(match.domain.lower(), match)
            by_name.setdefault(match.name.lower(), match)
        new: list[Company] = []
        changed: list[Company] = []
        changed_fields: set[str] = set()
        tagged: list[tuple[Company, parsing.CleanRow]] = []
        for row in rows:
            domain = row.values.get("domain")
            company = by_domain.get(domain) if domain else by_name.get(row.values["name"].lower())
            if company is None:
                company = Company(**row.values)
                new.append(company)
            elif not self.update:
                self.skipped += 1
                continue
            else:
                for name, value in row.values.items():
                    if name == "name" and not domain:
                        continue  # matched on it: keep the stored spelling
                    setattr(company, name, value)
                    changed_fields.add(name)
                company.updated_at = now
                changed.append(company)
            tagged.append((company, row))
        Company.objects.bulk_create(new)
        if changed:
            Company.objects.bulk_update(
                changed, [*sorted(changed_fields), "updated_at"], batch_size=500
            )
        self.created += len(new)
        self.updated += len(changed)
        self._link_tags(
            Company.tags.through,
            "company_id",
            [(c.pk, r.tags) for c, r in tagged if r.tags or self.file_tags],
        )


def _forward(current: str, to_stage: str) -> bool:
    """Imports move a contact's stage forward only, like lifecycle_advance."""
    if current in (LifecycleStage.DISQUALIFIED, LifecycleStage.RECYCLED):
        return to_stage != current
    return lifecycle_rank(to_stage) > lifecycle_rank(current)
