"""Benchmark: POST /t/collect (the website snippet's events) against a naive view, in one run.

    python -m bench.collect [--help]        # `make bench` runs it after the click bench

For each database (a fresh SQLite file; then PostgreSQL, in a throw-away cluster started here
when its binaries are installed), starts a real gunicorn serving Revline plus the bench-only
/bench/naive-collect view (bench/urls.py: one event per request, saved with Model.save()), and
drives it from this process with keep-alive connections in several threads. Rounds alternate
the three loads so that they share the machine's conditions; what matters is the ratio of
events per second, not the absolute numbers.

Measured:
- naive, 1 event/request       the baseline: parse, Touchpoint(...).save(), answer
- collect, 1 event/request     /t/collect with batches of one event (origin check, validation,
                               visitor, campaign and content lookups, de-duplication, commit)
- collect, 50 events/request   /t/collect with full batches
- floor                        bench/wsgi.py answers before Django and stores nothing: what the
                               server and this client cost per request, the ceiling of any ratio

Request bodies are made before each measurement so the client spends its CPU on sending only.
Every event has its own id; afterwards the rows are counted (nothing lost, nothing doubled) and
some batches are sent again, which must be answered as duplicates and store nothing.
"""

import argparse
import contextlib
import http.client
import itertools
import json
import os
import platform
import pwd
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    HOST,
    Measure,
    free_port,
    server_env,
    start_server,
    stop_server,
    wait_ready,
)

NAIVE = "naive, 1 event/request"
SINGLE = "collect, 1 event/request"
BATCH = "collect, 50 events/request"
FLOOR = "floor: no Django, stores nothing"
BATCH_SIZE = 50
ORIGIN = "https://www.shop.example"
PAGE = "https://www.shop.example/pricing?utm_source=google&utm_medium=cpc&utm_campaign=spring"
UTM = {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring"}
VISITORS = 64
HEADERS = {"Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN, "User-Agent": "bench"}


# --- Run in the server's environment (a subprocess): set up and count ---------------------------


def prepare_main(command: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from revline.campaigns.services import campaign_create
    from revline.core.workspace import workspace_get
    from revline.tracking.models import Touchpoint

    if command == "count":
        snippet = Touchpoint.objects.filter(visitor__isnull=False).count()
        naive = Touchpoint.objects.filter(visitor__isnull=True).count()
        distinct = Touchpoint.objects.values("event_id").distinct().count()
        print(json.dumps({"collect": snippet, "naive": naive, "distinct_ids": distinct}))
        return
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    campaign_create(actor=None, name="Spring", channel="paid_search", status="active", **UTM)
    # Trusted set-up: the bench is its own admin.
    workspace = workspace_get()
    workspace.site_origins = ORIGIN
    workspace.save(update_fields=["site_origins"])
    print(json.dumps({"ok": True}))


def prepare(env: dict[str, str], command: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.collect", "--prepare", command],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"bench.collect --prepare {command} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- A throw-away PostgreSQL cluster, as .ci/run starts one -------------------------------------


class PostgresUnavailable(Exception):
    pass


def postgres_bin() -> Path:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
        if p.parent.name.isdigit() else 0,
    )  # fmt: skip
    found = [p for p in candidates if (p / "initdb").exists() and (p / "pg_ctl").exists()]
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    raise PostgresUnavailable("PostgreSQL binaries (initdb, pg_ctl) are not installed")


class Postgres:
    """initdb in a temporary directory, a server on a free loopback port, stopped on exit.

    Run as root, it works as the postgres user (PostgreSQL refuses to run as root). The cluster
    keeps PostgreSQL's default durability (fsync, synchronous commit): a commit is on disk.
    """

    def __init__(self, directory: Path, bin_dir: Path | None = None) -> None:
        self.bin = bin_dir or postgres_bin()
        self.dir = directory
        self.port = free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no postgres user") from None
            self.user = "postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        try:
            done = subprocess.run(
                command, cwd="/", capture_output=True, text=True, timeout=timeout, check=False
            )
        except FileNotFoundError:
            raise PostgresUnavailable(f"{command[0]} is not installed") from None
        if done.returncode != 0:
            raise PostgresUnavailable(f"{args[0]} failed: {(done.stderr or done.stdout)[-2000:]}")

    def start(self) -> str:
        self.dir.mkdir(parents=True)
        if self.user:
            self.dir.parent.chmod(0o755)
            shutil.chown(self.dir, self.user, self.user)
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
                  "--auth-local=trust", "--auth-host=trust")  # fmt: skip
        options = f"-c listen_addresses={HOST} -p {self.port} -k {self.dir} -c max_connections=50"
        self._run("pg_ctl", "-D", str(data), "-l", str(self.dir / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip
        self._run("psql", "-h", str(self.dir), "-p", str(self.port), "-U", "postgres", "-q",
                  "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE bench")  # fmt: skip
        return f"postgres://postgres@{HOST}:{self.port}/bench"

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailable):
                self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def version(self) -> str:
        try:
            done = subprocess.run(
                [str(self.bin / "postgres"), "--version"], capture_output=True, text=True,
                check=False,
            )  # fmt: skip
        except FileNotFoundError:
            raise PostgresUnavailable(f"{self.bin / 'postgres'} is not installed") from None
        return done.stdout.strip()


def machine_info() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def run_on_postgres(
    tmp: Path, args: argparse.Namespace, results: dict[str, Any], log: Callable[[str], None],
    bench: Callable[[Path, str], dict[str, Any]],
) -> None:  # fmt: skip
    """Unless --postgres skip: start a throw-away cluster under `tmp`, run `bench(data dir,
    database URL)` into results["databases"]["postgresql"], stop the cluster. Without PostgreSQL
    binaries the part is recorded as skipped (an error with --postgres require)."""
    if args.postgres == "skip":
        return
    cluster: Postgres | None = None
    try:
        cluster = Postgres(tmp / "pg", args.pg_bin)
        log(f"[PostgreSQL] starting a throw-away cluster ({cluster.version()})")
        url = cluster.start()
        results["machine"]["postgresql"] = cluster.version()
        pg_dir = tmp / "pg-data"
        pg_dir.mkdir()
        results["databases"]["postgresql"] = bench(pg_dir, url)
    except PostgresUnavailable as exc:
        if args.postgres == "require":
            raise
        results["skipped"]["postgresql"] = str(exc)
        log(f"PostgreSQL part skipped: {exc}")
    finally:
        if cluster is not None:
            cluster.stop()


def run_and_report(
    args: argparse.Namespace,
    *,
    name: str,
    bench: Callable[[str, Path, str | None, Callable[[str], None]], dict[str, Any]],
    check: Callable[[dict[str, Any]], list[str]],
    print_result: Callable[[dict[str, Any]], None],
    quiet: bool,
    internal: Sequence[str] = ("json", "worker", "prepare", "pg_bin"),
) -> dict[str, Any]:
    """The part every database benchmark shares: run `bench(label, data dir, database URL or
    None, log)` on a fresh SQLite file, then on PostgreSQL (see run_on_postgres); collect each
    database's problems (`check`), print the results unless quiet, and write them to --json.

    The results carry the run's options (less the `internal` ones) and the machine."""

    def log(line: str) -> None:
        if not quiet:
            print(line, flush=True)

    config = {k: v for k, v in vars(args).items() if k not in internal}
    results: dict[str, Any] = {
        "config": config,
        "machine": machine_info(),
        "databases": {},
        "skipped": {},
    }
    with tempfile.TemporaryDirectory(prefix=f"revline-bench-{name}-") as tmp:
        sqlite_dir = Path(tmp) / "sqlite"
        sqlite_dir.mkdir()
        results["databases"]["sqlite"] = bench("SQLite", sqlite_dir, None, log)
        run_on_postgres(
            Path(tmp), args, results, log,
            lambda pg_dir, url: bench("PostgreSQL", pg_dir, url, log),
        )  # fmt: skip
    results["problems"] = {db: check(result) for db, result in results["databases"].items()}
    results["ok"] = not any(results["problems"].values())
    if not quiet:
        for result in results["databases"].values():
            print_result(result)
        for db, reason in results["skipped"].items():
            print(f"\n{db}: skipped ({reason})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return results


# --- The load ----------------------------------------------------------------------------------


def make_event(now_ms: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "page_view",
        "ts": now_ms,
        "url": PAGE,
        "referrer": "https://www.google.com/",
        "title": "Pricing – Shop",
        "utm": UTM,
    }


def make_bodies(requests: int, per_request: int, visitors: list[str]) -> list[bytes]:
    now_ms = int(time.time() * 1000)
    return [
        json.dumps(
            {
                "visitor_id": visitors[i % len(visitors)],
                "events": [make_event(now_ms) for _ in range(per_request)],
            }
        ).encode()
        for i in range(requests)
    ]


def drive_posts(
    port: int, path: str, bodies: list[bytes], *, endpoint: str, events_per_request: int,
    concurrency: int, time_limit: float,
) -> tuple[Measure, list[dict[str, Any]]]:  # fmt: skip
    """POST every body once from `concurrency` threads (or stop at `time_limit` seconds)."""
    tickets = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    answers: list[dict[str, Any]] = []
    counts = {"ok": 0, "errors": 0}
    deadline = time.monotonic() + time_limit

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        mine: list[float] = []
        replies: list[dict[str, Any]] = []
        ok = errors = 0
        while time.monotonic() < deadline:
            ticket = next(tickets)
            if ticket >= len(bodies):
                break
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=bodies[ticket], headers=HEADERS)
                response = conn.getresponse()
                payload = response.read()
                if response.status == 200:
                    ok += 1
                    mine.append((time.perf_counter() - started) * 1000)
                    replies.append(json.loads(payload))
                else:
                    errors += 1
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=60)
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
        conn.close()
        with lock:
            latencies.extend(mine)
            answers.extend(replies)
            counts["ok"] += ok
            counts["errors"] += errors

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    measure = Measure(endpoint, counts["ok"], counts["errors"], elapsed, latencies)
    return measure, answers


def events_per_second(summary: dict[str, Any], per_request: int) -> float:
    return summary["rps"] * per_request


PLANS = [
    # endpoint, path, events per request
    (NAIVE, "/bench/naive-collect", 1),
    (SINGLE, "/t/collect", 1),
    (BATCH, "/t/collect", BATCH_SIZE),
    (FLOOR, "/bench/wsgi-floor", 1),
]


def bench_database(
    name: str, args: argparse.Namespace, data_dir: Path, database_url: str | None,
    log: Callable[[str], None],
) -> dict[str, Any]:  # fmt: skip
    env = server_env(data_dir)
    env["REVLINE_COLLECT_RATE_LIMIT"] = str(10**9)
    if database_url:
        env["DATABASE_URL"] = database_url
    log(f"[{name}] migrating a fresh database")
    prepare(env, "setup")
    port = free_port()
    server_log = data_dir / "gunicorn.log"
    server = start_server(env, port, args.workers, args.threads, server_log)
    visitors = [str(uuid.uuid4()) for _ in range(VISITORS)]
    sizes = {NAIVE: args.requests, SINGLE: args.requests, BATCH: args.batches, FLOOR: args.requests}
    sent = {NAIVE: 0, SINGLE: 0, BATCH: 0, FLOOR: 0}
    accepted = {NAIVE: 0, SINGLE: 0, BATCH: 0, FLOOR: 0}
    rounds: list[list[dict[str, Any]]] = []
    try:
        wait_ready(port, server, server_log)
        for endpoint, path, per_request in PLANS:
            warm = max(1, args.warmup // per_request)
            measure, answers = drive_posts(
                port, path, make_bodies(warm, per_request, visitors), endpoint=endpoint,
                events_per_request=per_request, concurrency=args.concurrency,
                time_limit=args.time_limit,
            )  # fmt: skip
            sent[endpoint] += measure.requests * per_request
            accepted[endpoint] += sum(a["accepted"] for a in answers)
        for number in range(1, args.rounds + 1):
            measures = []
            for endpoint, path, per_request in PLANS:
                bodies = make_bodies(sizes[endpoint], per_request, visitors)
                measure, answers = drive_posts(
                    port, path, bodies, endpoint=endpoint, events_per_request=per_request,
                    concurrency=args.concurrency, time_limit=args.time_limit,
                )  # fmt: skip
                sent[endpoint] += measure.requests * per_request
                accepted[endpoint] += sum(a["accepted"] for a in answers)
                summary = measure.summary()
                summary["events_per_s"] = round(events_per_second(summary, per_request), 1)
                measures.append(summary)
                log(
                    f"[{name}] round {number}: {endpoint:<36} {summary['events_per_s']:>9.1f} "
                    f"events/s ({summary['requests']} requests, {summary['errors']} errors)"
                )
            rounds.append(measures)
        # Replays: the same batches again must store nothing and say so.
        replay_bodies = make_bodies(args.replays, BATCH_SIZE, visitors)
        first, _ = drive_posts(
            port, "/t/collect", replay_bodies, endpoint="replay", events_per_request=BATCH_SIZE,
            concurrency=min(args.concurrency, 4), time_limit=args.time_limit,
        )  # fmt: skip
        again, replay_answers = drive_posts(
            port, "/t/collect", replay_bodies, endpoint="replay", events_per_request=BATCH_SIZE,
            concurrency=min(args.concurrency, 4), time_limit=args.time_limit,
        )  # fmt: skip
    finally:
        stop_server(server)
    stored = prepare(env, "count")
    expected_collect = accepted[SINGLE] + accepted[BATCH] + first.requests * BATCH_SIZE
    collect_sent = sent[SINGLE] + sent[BATCH] + first.requests * BATCH_SIZE
    replay = {
        "batches": args.replays,
        "first_ok": first.requests,
        "again_ok": again.requests,
        "again_accepted": sum(a["accepted"] for a in replay_answers),
        "again_duplicates": sum(a["duplicates"] for a in replay_answers),
    }
    ratios = {
        endpoint: [
            round(
                next(m["events_per_s"] for m in r if m["endpoint"] == endpoint)
                / next(m["events_per_s"] for m in r if m["endpoint"] == NAIVE),
                3,
            )
            for r in rounds
        ]
        for endpoint in (SINGLE, BATCH, FLOOR)
    }
    median = {
        endpoint: round(
            statistics.median(m["events_per_s"] for r in rounds for m in r if m["endpoint"] == endpoint),
            1,
        )
        for endpoint, _, _ in PLANS
    }  # fmt: skip
    errors = sum(m["errors"] for r in rounds for m in r) + first.errors + again.errors
    return {
        "database": name,
        "rounds": rounds,
        "median_events_per_s": median,
        "ratio_per_round": ratios,
        "ratio": {k: round(statistics.median(v), 3) for k, v in ratios.items()},
        "errors": errors,
        "events": {
            "naive_sent": sent[NAIVE],
            "naive_stored": stored["naive"],
            "collect_sent": collect_sent,
            "collect_accepted": expected_collect,
            "collect_stored": stored["collect"],
            "distinct_ids": stored["distinct_ids"],
            "rows": stored["naive"] + stored["collect"],
            "lost": sent[NAIVE] - stored["naive"] + collect_sent - stored["collect"],
        },
        "replay": replay,
    }


def check(result: dict[str, Any]) -> list[str]:
    """What went wrong in one database's run, in words (empty when all is right)."""
    problems = []
    events, replay = result["events"], result["replay"]
    if result["errors"]:
        problems.append(f"{result['errors']} requests failed")
    if events["naive_stored"] != events["naive_sent"]:
        problems.append(f"naive view: {events['naive_sent']} sent, {events['naive_stored']} stored")
    if not events["collect_sent"] == events["collect_accepted"] == events["collect_stored"]:
        problems.append(
            f"collect: {events['collect_sent']} sent, {events['collect_accepted']} accepted, "
            f"{events['collect_stored']} stored"
        )
    if events["distinct_ids"] != events["rows"]:
        problems.append(f"{events['rows']} rows but {events['distinct_ids']} distinct event ids")
    if (
        replay["again_accepted"] != 0
        or replay["again_duplicates"] != replay["again_ok"] * BATCH_SIZE
    ):
        problems.append(f"replayed batches: {replay}")
    return problems


def print_result(result: dict[str, Any], config: dict[str, Any]) -> None:
    print()
    print(
        f"/t/collect vs a naive one-row-per-request view — {result['database']}, same server, same run"
    )
    print(
        f"server: gunicorn {config['workers']} workers x {config['threads']} threads; client: "
        f"{config['concurrency']} threads with keep-alive; {VISITORS} visitors"
    )
    print()
    print(f"{'round':<6} {'endpoint':<36} {'requests':>9} {'errors':>7} {'req/s':>9} "
          f"{'events/s':>10} {'p50 ms':>8} {'p95 ms':>8}")  # fmt: skip
    for number, measures in enumerate(result["rounds"], start=1):
        for m in measures:
            print(
                f"{number:<6} {m['endpoint']:<36} {m['requests']:>9} {m['errors']:>7} "
                f"{m['rps']:>9.1f} {m['events_per_s']:>10.1f} {m['p50_ms']:>8.2f} {m['p95_ms']:>8.2f}"
            )
    print()
    print(
        "median events/s: "
        + ", ".join(f"{k} {v:.1f}" for k, v in result["median_events_per_s"].items())
    )
    goals = {SINGLE: 5.0, BATCH: 30.0}
    for endpoint, value in result["ratio"].items():
        rounds = ", ".join(f"{v:.2f}" for v in result["ratio_per_round"][endpoint])
        if endpoint in goals:
            verdict = "met" if value >= goals[endpoint] else "NOT met"
            note = f"goal {goals[endpoint]:.0f}x: {verdict}"
        else:
            note = "the ceiling of any endpoint on this server and client"
        print(f"ratio {endpoint} / naive: {value:.2f}  (rounds: {rounds}; {note})")
    e, r = result["events"], result["replay"]
    print(
        f"events: naive {e['naive_sent']} sent / {e['naive_stored']} stored; collect "
        f"{e['collect_sent']} sent / {e['collect_accepted']} accepted / {e['collect_stored']} stored; "
        f"{e['distinct_ids']} distinct ids in {e['rows']} rows"
    )
    print(
        f"replay: {r['batches']} batches of {BATCH_SIZE} sent twice; second time "
        f"{r['again_accepted']} accepted, {r['again_duplicates']} duplicates"
    )
    for problem in check(result):
        print(f"PROBLEM: {problem}")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.collect", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--requests", type=int, default=1500,
                        help="single-event requests per endpoint per round")  # fmt: skip
    parser.add_argument("--batches", type=int, default=150,
                        help="50-event batches per round")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured events per endpoint")
    parser.add_argument("--replays", type=int, default=10, help="batches sent twice at the end")
    parser.add_argument("--time-limit", type=float, default=60.0,
                        help="seconds per measurement, at most")  # fmt: skip
    parser.add_argument("--postgres", choices=["auto", "skip", "require"], default="auto",
                        help="auto: also PostgreSQL when installed (default)")  # fmt: skip
    parser.add_argument("--pg-bin", type=Path,
                        help="directory of initdb/pg_ctl (default: the newest /usr/lib/postgresql/*/bin)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--prepare", choices=["setup", "count"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare is None and (
        min(args.requests, args.batches, args.rounds, args.concurrency, args.workers,
            args.threads, args.replays) < 1 or args.warmup < 0
    ):  # fmt: skip
        parser.error("counts must be positive")
    return args


def main(argv: Sequence[str] | None = None, *, quiet: bool = False) -> dict[str, Any]:
    args = parse(argv)
    if args.prepare:
        prepare_main(args.prepare)
        return {}
    return run_and_report(
        args,
        name="collect",
        bench=lambda label, data_dir, url, log: bench_database(label, args, data_dir, url, log),
        check=check,
        print_result=lambda result: print_result(result, vars(args)),
        quiet=quiet,
    )


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome.get("ok", True) else 1)
