"""Benchmark: the pipeline board page at 1,000 deals against the same page at 100,000 deals.

    python -m bench.board [--help]               # 1,000 then 100,000 deals, as the issue asks

For each database (a fresh SQLite file; then PostgreSQL, in a throw-away cluster started as
bench.collect starts one), a worker process migrates an empty database, creates three sales
teams (a manager and four reps each) and 500 companies, then bulk_creates the small number of
deals, times the board, adds deals up to the big number and times the board again, in the
same process. The deals are spread as a pipeline with history is: 60 % open over the four
open stages (more in the early ones), 25 % won, 15 % lost; close dates from 8 months ago to
10 months ahead; amounts log-normal; 88 % in EUR, 10 % in USD (converted), 2 % in CHF (no
exchange rate: shown as "not converted").

The page is GET /sales/board/, rendered through Django's test client (URL routing, session,
middleware, template) for a sales manager with the default team visibility: counts and sums
over every deal of the manager's team, 50 cards loaded per open column. Each round is timed;
the median is used. The number of database queries of both pages is counted; the goal is at
most 2x the time of the small page and exactly the same number of queries.

--index stage,stage_changed_at adds an index with raw SQL before the timing (to measure what
an index would bring; the models are not changed by the bench).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.collect import run_and_report  # noqa: E402
from bench.run import server_env  # noqa: E402

GOAL = 2.0
BATCH = 5_000
TEAMS = 3
REPS_PER_TEAM = 4
COMPANIES = 500
# (stage name, share of all deals); the rest of the open deals fall in the early stages.
SPREAD = [
    ("Qualification", 0.22),
    ("Discovery", 0.16),
    ("Proposal", 0.13),
    ("Negotiation", 0.09),
    ("Won", 0.25),
    ("Lost", 0.15),
]


# --- The worker: runs inside one database's environment ------------------------------------------


def setup_people(log: Callable[[str], None]) -> dict[str, Any]:
    from revline.core.models import Role, Team
    from revline.core.services import user_create
    from revline.people.models import Company
    from revline.quotes.models import ExchangeRate
    from revline.sales.services import pipeline_default

    pipeline = pipeline_default()
    owners, manager = [], None
    for number in range(TEAMS):
        team = Team.objects.create(name=f"Team {number + 1}")
        for rep in range(REPS_PER_TEAM + 1):
            role = Role.SALES_MANAGER if rep == 0 else Role.SALES_REP
            name = f"{'manager' if rep == 0 else 'rep'}{number + 1}{rep}"
            user = user_create(
                actor=None, username=name, email=f"{name}@bench.example", password="bench-pass-1",
                role=role, first_name=name.title(), team=team,
            )  # fmt: skip
            owners.append(user)
            if manager is None:
                manager = user
    companies = Company.objects.bulk_create(
        [Company(name=f"Company {i}", domain=f"c{i}.example") for i in range(COMPANIES)]
    )
    ExchangeRate.objects.create(
        currency="USD", rate=Decimal("0.9"), valid_from=datetime(2020, 1, 1)
    )
    log(f"  {len(owners)} users in {TEAMS} teams, {COMPANIES} companies")
    return {"pipeline": pipeline, "owners": owners, "manager": manager, "companies": companies}


def add_deals(people: dict[str, Any], count: int, start: int, seed: int, now: datetime) -> int:
    """bulk_create `count` deals numbered from `start`; returns how many were created."""
    from revline.sales.models import Deal, DealStatus, StageKind

    rng = random.Random(seed + start)
    pipeline = people["pipeline"]
    stages = {s.name: s for s in pipeline.stages.all()}
    names = [name for name, _ in SPREAD]
    weights = [share for _, share in SPREAD]
    created = 0
    batch: list[Deal] = []
    for number in range(start, start + count):
        stage = stages[rng.choices(names, weights)[0]]
        opened = now - timedelta(seconds=rng.randrange(730 * 86400))
        moved = opened + (now - opened) * rng.random()
        amount = Decimal(str(round(math.exp(rng.gauss(9.0, 1.0)), 2)))
        roll = rng.random()
        currency = "EUR" if roll < 0.88 else "USD" if roll < 0.98 else "CHF"
        base = amount if currency == "EUR" else (amount * Decimal("0.9")).quantize(Decimal("0.01"))
        closed = stage.kind != StageKind.OPEN
        batch.append(
            Deal(
                name=f"Deal {number}",
                pipeline=pipeline,
                stage=stage,
                company=rng.choice(people["companies"]),
                amount=amount,
                currency=currency,
                amount_base=base if currency != "CHF" else Decimal("0"),
                expected_close_date=(now + timedelta(days=rng.randrange(-240, 300))).date(),
                owner=rng.choice(people["owners"]),
                status=stage.kind if closed else DealStatus.OPEN,
                closed_at=moved if closed else None,
                stage_changed_at=moved,
                created_at=opened,
            )
        )
        if len(batch) == BATCH:
            Deal.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    if batch:
        Deal.objects.bulk_create(batch)
        created += len(batch)
    return created


def time_board(manager: Any, rounds: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    client.force_login(manager)
    times = []
    queries = 0
    for number in range(rounds + 1):  # round 0 warms the caches and is not counted
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get("/sales/board/")
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"the board answered {response.status_code}")
        if number:
            times.append(elapsed)
        queries = len(captured)
    html = response.content.decode()
    shown = re.search(r"<strong data-open-count>([\d,]+)</strong>", html)
    return {
        "median_ms": round(statistics.median(times), 2),
        "min_ms": round(min(times), 2),
        "queries": queries,
        "open_deals_visible": int(shown.group(1).replace(",", "")) if shown else 0,
        "cards": html.count('<article class="board-card'),
        "bytes": len(response.content),
    }


def add_index(spec: str, log: Callable[[str], None]) -> None:
    from django.db import connection

    columns = [c.strip() for c in spec.split(",") if c.strip()]
    allowed = {"pipeline", "stage", "stage_changed_at", "owner", "amount_base", "currency"}
    allowed |= {"amount", "status", "expected_close_date"}
    if not columns or set(columns) - allowed:
        raise SystemExit(f"--index takes columns among {sorted(allowed)}")
    sql_columns = ", ".join(
        f"{c}_id" if c in {"stage", "pipeline", "owner"} else c for c in columns
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX bench_board_extra ON sales_deal ({sql_columns})")
        cursor.execute("ANALYZE")
    log(f"  added index on sales_deal ({sql_columns})")


def worker_main(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    now = datetime.now(UTC)
    call_command("migrate", interactive=False, verbosity=0)
    people = setup_people(log)
    if args.index:
        add_index(args.index, log)
    sizes: dict[str, Any] = {}
    total = 0
    for size in (args.small, args.big):
        started = time.perf_counter()
        total += add_deals(people, size - total, total, args.seed, now)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        fill_s = time.perf_counter() - started
        log(f"  {total:,} deals (added in {fill_s:.1f} s); timing the board")
        sizes[str(size)] = {"deals": total, "fill_seconds": round(fill_s, 1)}
        sizes[str(size)].update(time_board(people["manager"], args.rounds))
        log(f"    median {sizes[str(size)]['median_ms']:.1f} ms, "
            f"{sizes[str(size)]['queries']} queries")  # fmt: skip
    small, big = sizes[str(args.small)], sizes[str(args.big)]
    result = {
        "vendor": connection.vendor,
        "sizes": sizes,
        "ratio": round(big["median_ms"] / max(small["median_ms"], 0.001), 2),
        "same_queries": small["queries"] == big["queries"],
    }
    print(json.dumps(result, default=str))


# --- The driver -----------------------------------------------------------------------------------


def bench_database(
    name: str, args: argparse.Namespace, data_dir: Path, database_url: str | None,
    log: Callable[[str], None], quiet: bool,
) -> dict[str, Any]:  # fmt: skip
    env = server_env(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    log(f"[{name}] {args.small:,} then {args.big:,} deals")
    command = [
        sys.executable, "-m", "bench.board", "--worker", "--small", str(args.small),
        "--big", str(args.big), "--rounds", str(args.rounds), "--seed", str(args.seed),
    ]  # fmt: skip
    if args.index:
        command += ["--index", args.index]
    done = subprocess.run(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE if quiet else None,
        text=True, timeout=args.timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"bench.board worker failed on {name}:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["database"] = name
    return result


def check(result: dict[str, Any]) -> list[str]:
    problems = []
    if not result["same_queries"]:
        counts = [size["queries"] for size in result["sizes"].values()]
        problems.append(f"the query count grows with the deals: {counts}")
    return problems


def print_result(result: dict[str, Any], small: int, big: int) -> None:
    print()
    print(f"Pipeline board — {result['database']}")
    for size in result["sizes"].values():
        print(
            f"  {size['deals']:>9,} deals: median {size['median_ms']:>8.1f} ms "
            f"(min {size['min_ms']:.1f}), {size['queries']} queries, "
            f"{size['open_deals_visible']:,} open deals visible to the manager, "
            f"{size['cards']} cards"
        )
    verdict = "met" if result["ratio"] <= GOAL else "NOT met"
    print(f"  ratio {big:,} / {small:,} deals: {result['ratio']:.2f} (goal <= {GOAL}: {verdict})")
    print(f"  same number of queries: {'yes' if result['same_queries'] else 'NO'}")
    for problem in check(result):
        print(f"PROBLEM: {problem}")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.board", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--small", type=int, default=1_000, help="deals of the small case")
    parser.add_argument("--big", type=int, default=100_000, help="deals of the big case")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (median is used)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--index", default="",
                        help="extra sales_deal index to try, e.g. stage,stage_changed_at")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per database")
    parser.add_argument("--postgres", choices=["auto", "skip", "require"], default="auto",
                        help="auto: also PostgreSQL when installed (default)")  # fmt: skip
    parser.add_argument("--pg-bin", type=Path,
                        help="directory of initdb/pg_ctl (default: the newest /usr/lib/postgresql/*/bin)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.small < 1 or args.big <= args.small or args.rounds < 1:
        parser.error("need 1 <= --small < --big and --rounds >= 1")
    return args


def main(argv: Sequence[str] | None = None, *, quiet: bool = False) -> dict[str, Any]:
    args = parse(argv)
    if args.worker:
        worker_main(args)
        return {}
    return run_and_report(
        args,
        name="board",
        bench=lambda label, data_dir, url, log: bench_database(
            label, args, data_dir, url, log, quiet
        ),
        check=check,
        print_result=lambda result: print_result(result, args.small, args.big),
        quiet=quiet,
    )


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome.get("ok", True) else 1)
