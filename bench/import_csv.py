"""Benchmark: importing a contact CSV against a raw bulk insert of the same rows, in one run.

    python -m bench.import_csv [--help]                 # 50,000 rows
    python -m bench.import_csv --rows 1000000           # the issue's size

Generates a CSV of N contacts (email, first and last name, phone, job title, country, lifecycle
stage), then for each database (a fresh SQLite file; then PostgreSQL, in a throw-away cluster
started here when its binaries are installed) runs, in a fresh process on a migrated database:

- raw insert   the floor: the CSV read with Python's csv module and written into the empty
               contact table in one transaction, with sqlite3 `executemany` (SQLite) or
               `COPY ... FROM STDIN` (PostgreSQL). No checks, no duplicate handling.
- Revline      the service code the UI runs, in-process (not via HTTP): upload (the file copied
               under the data directory, its encoding checked), dry run (every row checked),
               import (every row checked again, one transaction per 5,000 rows, known emails
               told apart by the unique index on lower(email), a "contact created" timeline
               event per contact; see docs/performance.md for how each database does it).
               The table is emptied between the two.

Reported: seconds and rows per second of each step, the ratio of Revline's rate to the raw
insert's (for the import step alone and for upload + dry run + import), and the process's peak
RSS, which must not grow with the file. Goal (issue 4): ratio at least 0.3.
"""

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.collect import machine_info, run_on_postgres  # noqa: E402

GOAL = 0.3
HEADER = ["Email", "First name", "Last name", "Phone", "Job title", "Country", "Lifecycle stage"]
COLUMNS = ["email", "first_name", "last_name", "phone", "title", "country", "lifecycle_stage"]
FIRST = ["Ada", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gia", "Hugo", "Ines", "Jon", "Kai", "Lena"]
LAST = ["Lee", "Moreau", "Novak", "Okafor", "Patel", "Quinn", "Rossi", "Silva", "Tanaka", "Ueda"]
TITLES = ["CTO", "Head of Marketing", "Engineer", "Founder", "Buyer", "Analyst", ""]
COUNTRIES = ["DE", "US", "FR", "GB", "NL", "ES", "IT", "JP", ""]
STAGES = ["subscriber", "lead", "mql", "sql", "customer"]
BATCH = 10_000


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """Write the CSV, streaming; returns its size in bytes."""
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow([
                f"person{i}@example{i % 97}.com", rnd.choice(FIRST), rnd.choice(LAST),
                f"+49 30 {rnd.randrange(10**6, 10**7)}", rnd.choice(TITLES),
                rnd.choice(COUNTRIES), rnd.choice(STAGES),
            ])  # fmt: skip
    return path.stat().st_size


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- The worker: one database, a fresh process -------------------------------------------------


def csv_rows(path: Path) -> Iterator[list[str]]:
    with path.open("r", encoding="utf-8", newline="") as text:
        reader = csv.reader(text)
        next(reader)
        yield from reader


def raw_insert(path: Path) -> int:
    """The floor: every row into the empty contact table, no checks, one transaction."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    columns = [*COLUMNS, "source", "fit_score", "engagement_score", "created_at", "updated_at"]
    extra = ["import", 0, 0, now, now]
    connection.ensure_connection()
    raw = connection.connection
    count = 0
    if connection.vendor == "postgresql":
        with raw.cursor() as cursor, raw.transaction():
            sql = f"COPY people_contact ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for row in csv_rows(path):
                    copy.write_row([*row, *extra])
                    count += 1
        return count
    sql = (
        f"INSERT INTO people_contact ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    stamp = now.isoformat(sep=" ")
    cursor = raw.cursor()
    cursor.execute("BEGIN")
    batch: list[list[Any]] = []
    for row in csv_rows(path):
        batch.append([*row, "import", 0, 0, stamp, stamp])
        if len(batch) >= BATCH:
            cursor.executemany(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)
        count += len(batch)
    cursor.execute("COMMIT")
    return count


def empty_tables() -> None:
    from django.db import connection

    from revline.people.models import Contact, TimelineEvent

    TimelineEvent.objects.all().delete()
    Contact.objects.all()._raw_delete(Contact.objects.db)  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("VACUUM")
        else:
            cursor.execute("VACUUM ANALYZE people_contact")


def worker_main(csv_path: Path, rows: int) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "revline.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from revline.core.models import Role
    from revline.core.services import user_create
    from revline.people import import_services
    from revline.people.models import Contact, ImportStatus, TimelineEvent

    call_command("migrate", interactive=False, verbosity=0)
    user = user_create(
        actor=None, username="bench", email="bench@example.com", password="bench-password-1",
        role=Role.MARKETER,
    )  # fmt: skip
    result: dict[str, Any] = {"rss_start_mb": peak_rss_mb()}

    started = time.perf_counter()
    inserted = raw_insert(csv_path)
    result["raw_seconds"] = time.perf_counter() - started
    result["raw_rows"] = inserted
    result["raw_stored"] = Contact.objects.count()
    result["rss_after_raw_mb"] = peak_rss_mb()
    empty_tables()

    started = time.perf_counter()
    with csv_path.open("rb") as source:
        imp = import_services.contact_import_create(
            actor=user, kind="contacts", file_name=csv_path.name, source=source
        )
    uploaded = time.perf_counter()
    # The task backend runs at once here (REVLINE_TASK_BACKEND), so each call runs its pass.
    imp = import_services.contact_import_configure(
        actor=user, contact_import=imp, mapping=imp.mapping, duplicate_policy="skip"
    )
    checked = time.perf_counter()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.CHECKED, (imp.status, imp.failure)
    import_services.contact_import_start(actor=user, contact_import=imp)
    done = time.perf_counter()
    imp.refresh_from_db()
    result.update(
        upload_seconds=uploaded - started,
        check_seconds=checked - uploaded,
        import_seconds=done - checked,
        total_seconds=done - started,
        status=imp.status,
        failure=imp.failure,
        rows_total=imp.rows_total,
        rows_bad=imp.rows_bad,
        rows_created=imp.rows_created,
        stored=Contact.objects.count(),
        events=TimelineEvent.objects.count(),
        rss_peak_mb=peak_rss_mb(),
    )
    # Again with "skip": nothing may change.
    started = time.perf_counter()
    with csv_path.open("rb") as source:
        again = import_services.contact_import_create(
            actor=user, kind="contacts", file_name=csv_path.name, source=source
        )
    import_services.contact_import_configure(
        actor=user, contact_import=again, mapping=again.mapping, duplicate_policy="skip"
    )
    import_services.contact_import_start(actor=user, contact_import=again)
    again.refresh_from_db()
    result.update(
        rerun_seconds=time.perf_counter() - started,
        rerun_created=again.rows_created,
        rerun_skipped=again.rows_skipped,
        stored_after_rerun=Contact.objects.count(),
        rss_final_mb=peak_rss_mb(),
    )
    print(json.dumps(result))


def run_worker(
    csv_path: Path, rows: int, data_dir: Path, database_url: str | None
) -> dict[str, Any]:
    env = {**os.environ, "REVLINE_DATA_DIR": str(data_dir),
           "REVLINE_TASK_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
           "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}  # fmt: skip
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    done = subprocess.run(
        [sys.executable, "-m", "bench.import_csv", "--worker", str(csv_path), "--rows", str(rows)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"import bench worker failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- Report --------------------------------------------------------------------------------------


def summarise(raw: dict[str, Any], rows: int) -> dict[str, Any]:
    def rate(seconds: float) -> float:
        return round(rows / seconds, 1) if seconds > 0 else 0.0

    raw_rate = rate(raw["raw_seconds"])
    return {
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in raw.items()},
        "raw_rows_per_s": raw_rate,
        "import_rows_per_s": rate(raw["import_seconds"]),
        "total_rows_per_s": rate(raw["total_seconds"]),
        "ratio_import": round(rate(raw["import_seconds"]) / raw_rate, 3) if raw_rate else 0.0,
        "ratio_total": round(rate(raw["total_seconds"]) / raw_rate, 3) if raw_rate else 0.0,
    }


def check(result: dict[str, Any], rows: int) -> list[str]:
    """What went wrong in one database's run, in words (empty when all is right)."""
    problems = []
    if result["raw_stored"] != rows:
        problems.append(f"raw insert stored {result['raw_stored']} of {rows} rows")
    if result["status"] != "done":
        problems.append(f"import ended {result['status']}: {result['failure']}")
    if (result["rows_total"], result["rows_bad"], result["rows_created"], result["stored"]) != (
        rows, 0, rows, rows,
    ):  # fmt: skip
        problems.append(
            f"import: {result['rows_total']} rows read, {result['rows_bad']} bad, "
            f"{result['rows_created']} created, {result['stored']} stored (expected {rows})"
        )
    if (result["rerun_created"], result["rerun_skipped"], result["stored_after_rerun"]) != (
        0, rows, rows,
    ):  # fmt: skip
        problems.append(
            f"re-run with skip: {result['rerun_created']} created, {result['rerun_skipped']} "
            f"skipped, {result['stored_after_rerun']} stored"
        )
    return problems


def print_result(name: str, r: dict[str, Any], rows: int, size: int) -> None:
    print()
    print(f"Contact import vs raw bulk insert — {name}, {rows:,} rows ({size / 1e6:.1f} MB CSV)")
    print(f"{'step':<34} {'seconds':>9} {'rows/s':>11}")
    raw_label = "raw insert (COPY)" if name == "PostgreSQL" else "raw insert (executemany)"
    lines = [
        (raw_label, r["raw_seconds"]),
        ("Revline upload (copy, encoding)", r["upload_seconds"]),
        ("Revline dry run", r["check_seconds"]),
        ("Revline import", r["import_seconds"]),
        ("Revline total", r["total_seconds"]),
        ("Revline re-run, all skipped", r["rerun_seconds"]),
    ]
    for label, seconds in lines:
        print(f"{label:<34} {seconds:>9.2f} {rows / seconds if seconds else 0:>11,.0f}")
    verdict = "met" if r["ratio_total"] >= GOAL else "NOT met"
    print(
        f"ratio Revline / raw: import step {r['ratio_import']:.2f}, upload + dry run + import "
        f"{r['ratio_total']:.2f} (goal {GOAL}: {verdict})"
    )
    print(
        f"peak RSS: {r['rss_start_mb']} MB after start-up, {r['rss_after_raw_mb']} MB after the "
        f"raw insert, {r['rss_peak_mb']} MB after the import, {r['rss_final_mb']} MB at the end"
    )
    for problem in check(r, rows):
        print(f"PROBLEM: {problem}")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.import_csv", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--rows", type=int, default=50_000, help="rows in the CSV (default 50,000)")
    parser.add_argument("--postgres", choices=["auto", "skip", "require"], default="auto",
                        help="auto: also PostgreSQL when installed (default)")  # fmt: skip
    parser.add_argument("--pg-bin", type=Path,
                        help="directory of initdb/pg_ctl (default: the newest /usr/lib/postgresql/*/bin)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be positive")
    return args


def main(argv: Sequence[str] | None = None, *, quiet: bool = False) -> dict[str, Any]:
    args = parse(argv)
    if args.worker:
        worker_main(args.worker, args.rows)
        return {}

    def log(line: str) -> None:
        if not quiet:
            print(line, flush=True)

    results: dict[str, Any] = {
        "config": {"rows": args.rows, "postgres": args.postgres},
        "machine": machine_info(),
        "databases": {},
        "skipped": {},
    }
    with tempfile.TemporaryDirectory(prefix="revline-bench-import-") as tmp:
        csv_path = Path(tmp) / "contacts.csv"
        log(f"generating {args.rows:,} rows")
        size = generate(csv_path, args.rows)
        results["csv_bytes"] = size
        sqlite_dir = Path(tmp) / "sqlite"
        sqlite_dir.mkdir()
        log("[SQLite] raw insert, then Revline's import")
        results["databases"]["sqlite"] = summarise(
            run_worker(csv_path, args.rows, sqlite_dir, None), args.rows
        )

        def postgres_part(pg_dir: Path, url: str) -> dict[str, Any]:
            log("[PostgreSQL] raw insert, then Revline's import")
            return summarise(run_worker(csv_path, args.rows, pg_dir, url), args.rows)

        run_on_postgres(Path(tmp), args, results, log, postgres_part)
    results["problems"] = {
        name: check(result, args.rows) for name, result in results["databases"].items()
    }
    results["ok"] = not any(results["problems"].values())
    if not quiet:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        for key, result in results["databases"].items():
            print_result(names[key], result, args.rows, results["csv_bytes"])
        for name, reason in results["skipped"].items():
            print(f"\n{name}: skipped ({reason})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome.get("ok", True) else 1)
