"""Benchmark: the lifecycle funnel and a three-step event funnel against naive SQL self-joins.

    python -m bench.funnels [--help]     # 200,000 touchpoints; --touchpoints 5000000 for the issue

For each database (a fresh SQLite file; then PostgreSQL, in a throw-away cluster started as
bench.collect starts one), a worker process migrates an empty database and generates the data
in SQL (INSERT … SELECT over a recursive CTE on SQLite, generate_series on PostgreSQL; values
are arithmetic hashes of the row number, so both databases get the same rows):

- contacts (touchpoints / 40), created over two years, each with lifecycle moves subscriber →
  lead → … up to a stage chosen by hash (about one in seven never moves);
- anonymous visitors (touchpoints / 10);
- touchpoints: 60 % on contacts (about 24 each), 40 % on anonymous visitors (about 4 each);
  60 % page views (a fifth of them /pricing), then email opens, clicks, form submissions and
  booked meetings; a third carry one of six campaigns.

Then it times, several rounds each (median), on the same data:

- lifecycle funnel   analytics.funnel_selectors.lifecycle_funnel_report over the last 12 months,
                     broken down by first-touch campaign (cohort contacts, anonymous visitors,
                     first touches, moves, medians)
  naive              per stage, touchpoints joined to the chain of lifecycle moves
                     (t JOIN move1 ON same contact AND move1 after t JOIN move2 …), COUNT
                     DISTINCT; anonymous visitors by COUNT DISTINCT; the first-touch campaign
                     by the classic self-join (t1 LEFT JOIN t2 ON same contact AND t2 earlier,
                     WHERE t2 IS NULL)
- event funnel       analytics.funnel_selectors.event_funnel_counts: /pricing view → form
                     submission → meeting within 14 days; ONE query, a CTE per step
  naive              per step, touchpoints t1 JOIN t2 ON same person AND t2 after t1 JOIN t3 …
                     within the window, COUNT DISTINCT person (t1 the person's first /pricing
                     view in the range, so it answers the same question); joined on contact_id
                     and on visitor_id separately, so the (contact|visitor, occurred_at) indexes
                     serve it

The naive queries can take very long at millions of rows: --naive-sample K runs them on 1/K of
the people (contact id or touchpoint id divisible by K) and multiplies their time by K — an
extrapolation, printed as such; their answers are then not compared. With K = 1 (the default
below 1,000,000 touchpoints) the answers must agree with the funnels'.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.collect import run_and_report  # noqa: E402
from bench.run import server_env  # noqa: E402

GOAL = 0.05
BASE = datetime(2023, 7, 1, tzinfo=UTC)
SPAN_DAYS = 730
FIRST, LAST = date(2024, 7, 1), date(2025, 6, 30)
WINDOW_DAYS = 14
STAGES = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer")
CAMPAIGNS = 6


# --- Generation (SQL; the same hashes on both databases) ----------------------------------------


def _sql(vendor: str) -> dict[str, str]:
    if vendor == "postgresql":
        series = "SELECT g::bigint AS i FROM generate_series(0, %(n)s - 1) AS g"
        at = "(timestamptz '2023-07-01 00:00:00+00' + ({secs}) * interval '1 second')"
        visitor = "lpad(to_hex({v}), 32, '0')::uuid"
        later = "(c.created_at + ({days}) * interval '1 day')"
    else:
        series = (
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %(n)s - 1) "
            "SELECT i FROM n"
        )
        at = "datetime('2023-07-01 00:00:00', '+' || ({secs}) || ' seconds')"
        visitor = "printf('%%032x', {v})"
        later = "datetime(c.created_at, '+' || ({days}) || ' days')"
    span = SPAN_DAYS * 86400
    contacts = (
        "INSERT INTO people_contact (id, first_name, last_name, email, phone, title, country, "
        "source, lifecycle_stage, fit_score, engagement_score, created_at, updated_at) "
        "SELECT i + 1, 'First', 'Last', '', '', '', 'DE', 'bench', "
        "CASE (i * 40503) %% 7 WHEN 0 THEN 'subscriber' WHEN 1 THEN 'lead' WHEN 2 THEN 'mql' "
        "WHEN 3 THEN 'sal' WHEN 4 THEN 'sql' WHEN 5 THEN 'opportunity' ELSE 'customer' END, 0, 0, "
        f"{at.format(secs=f'(i * 2654435761) %% {span}')}, "
        f"{at.format(secs=f'(i * 2654435761) %% {span}')} FROM ({series}) s"
    )
    stage_of = "(((c.id - 1) * 40503) %% 7)"
    moves = (
        "INSERT INTO leads_lifecycletransition (contact_id, from_stage, to_stage, occurred_at, "
        "cause, reason) SELECT c.id, k.from_stage, k.to_stage, "
        f"{later.format(days='k.rank * 3 + (c.id %% 5)')}, 'rule', '' "
        "FROM people_contact c JOIN bench_stage k ON k.rank <= " + stage_of
    )
    visitors = (
        "INSERT INTO tracking_visitor (id, first_seen_at, last_seen_at) "
        f"SELECT {visitor.format(v='i + 1')}, {at.format(secs='0')}, {at.format(secs=str(span))} "
        f"FROM ({series}) s"
    )
    # Hashes modulo large primes, so that kind, page and person do not depend on each other.
    roll = "((i * 2246822519) %% 1000003) %% 100"
    kind = (
        f"CASE WHEN {roll} < 60 THEN 'page_view' "
        f"WHEN {roll} < 75 THEN 'email_open' WHEN {roll} < 85 THEN 'click' "
        f"WHEN {roll} < 95 THEN 'form_submission' ELSE 'meeting_booked' END"
    )
    url = (
        f"CASE WHEN {roll} >= 60 THEN '' WHEN ((i * 7919) %% 1000033) %% 5 = 0 "
        "THEN 'https://www.shop.example/pricing' ELSE 'https://www.shop.example/blog/post' END"
    )
    # Rows i = 10q … 10q+9 belong to one contact (the first six) and one visitor (the last
    # four), within 60 days of each other: journeys, not noise.
    burst = 60 * 86400
    when = f"((i / 10) * 2654435761) %% {span - burst} + (i * 40503) %% {burst}"
    touchpoints = (
        "INSERT INTO tracking_touchpoint (id, kind, occurred_at, contact_id, visitor_id, "
        "campaign_id, channel, utm_source, utm_medium, utm_campaign, utm_content, utm_term, url, "
        "referrer, user_agent, params) "
        f"SELECT i + 1, {kind}, {at.format(secs=when)}, "
        "CASE WHEN i %% 10 < 6 THEN ((i / 10) * 7919) %% %(contacts)s + 1 END, "
        f"CASE WHEN i %% 10 >= 6 THEN {visitor.format(v='((i / 10) * 7919) %% %(visitors)s + 1')} END, "
        f"CASE WHEN i %% 3 = 0 THEN i %% {CAMPAIGNS} + 1 END, '', '', '', '', '', '', {url}, "
        f"'', '', '{{}}' FROM ({series}) s"
    )
    return {
        "contacts": contacts,
        "moves": moves,
        "visitors": visitors,
        "touchpoints": touchpoints,
    }


def fill(touchpoints: int, log: Callable[[str], None]) -> dict[str, int]:
    from django.db import connection

    from bench.segments import _drop_indexes
    from revline.campaigns.models import Campaign

    vendor = connection.vendor
    contacts = max(1, touchpoints // 40)
    visitors = max(1, touchpoints // 10)
    for n in range(1, CAMPAIGNS + 1):
        Campaign.objects.create(id=n, name=f"Campaign {n}", channel="paid_search")
    sql = _sql(vendor)
    params = {"contacts": contacts, "visitors": visitors}
    tables = ["people_contact", "leads_lifecycletransition", "tracking_visitor",
              "tracking_touchpoint"]  # fmt: skip
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -500000")
        indexes = _drop_indexes(cursor, vendor, tables)
        cursor.execute(
            "CREATE TEMP TABLE bench_stage (rank INTEGER, from_stage TEXT, to_stage TEXT)"
        )
        for rank in range(1, len(STAGES)):
            cursor.execute(
                "INSERT INTO bench_stage VALUES (%s, %s, %s)",
                [rank, STAGES[rank - 1], STAGES[rank]],
            )
        for name, n in (("contacts", contacts), ("moves", 0), ("visitors", visitors),
                        ("touchpoints", touchpoints)):  # fmt: skip
            started = time.perf_counter()
            cursor.execute(sql[name], {**params, "n": n})
            log(f"  {name}: {time.perf_counter() - started:.1f} s")
        log(f"  rebuilding {len(indexes)} indexes")
        for statement in indexes:
            cursor.execute(statement)
        if vendor == "postgresql":
            for table in tables:
                if table == "tracking_visitor":
                    continue
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
        cursor.execute("ANALYZE")
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


# --- The naive formulations ---------------------------------------------------------------------

RANK_SQL = (
    "CASE {col} WHEN 'subscriber' THEN 0 WHEN 'lead' THEN 1 WHEN 'mql' THEN 2 WHEN 'sal' THEN 3 "
    "WHEN 'sql' THEN 4 WHEN 'opportunity' THEN 5 WHEN 'customer' THEN 6 WHEN 'evangelist' THEN 7 "
    "ELSE -1 END"
)


def naive_lifecycle(start: Any, end: Any, sample: int) -> dict[str, Any]:
    """Stage counts and first-touch campaign counts, the straightforward way."""
    from django.db import connection

    keep = f" AND c.id %% {sample} = 0" if sample > 1 else ""
    keep_v = f" AND t.id %% {sample} = 0" if sample > 1 else ""
    stages: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM people_contact c WHERE c.created_at >= %s AND c.created_at < %s"
            + keep,
            [start, end],
        )
        cohort = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(DISTINCT t.visitor_id) FROM tracking_touchpoint t "
            "JOIN tracking_visitor v ON v.id = t.visitor_id WHERE v.contact_id IS NULL "
            "AND t.contact_id IS NULL AND t.occurred_at >= %s AND t.occurred_at < %s" + keep_v,
            [start, end],
        )
        stages.append(cohort + cursor.fetchone()[0])
        for k in range(1, 7):
            joins = "".join(
                f" JOIN leads_lifecycletransition m{j} ON m{j}.contact_id = c.id "
                f"AND {RANK_SQL.format(col=f'm{j}.to_stage')} >= {j} AND "
                + (f"m{j}.occurred_at >= m{j - 1}.occurred_at" if j > 1 else "1 = 1")
                for j in range(1, k + 1)
            )
            cursor.execute(
                "SELECT COUNT(DISTINCT c.id) FROM people_contact c "
                "JOIN tracking_touchpoint t ON t.contact_id = c.id"
                + joins
                + " WHERE c.created_at >= %s AND c.created_at < %s"
                + keep,
                [start, end],
            )
            stages.append(cursor.fetchone()[0])
        cursor.execute(
            "SELECT t1.campaign_id, COUNT(DISTINCT c.id) FROM people_contact c "
            "JOIN tracking_touchpoint t1 ON t1.contact_id = c.id AND t1.campaign_id IS NOT NULL "
            "LEFT JOIN tracking_touchpoint t2 ON t2.contact_id = c.id "
            "AND t2.campaign_id IS NOT NULL AND (t2.occurred_at < t1.occurred_at "
            "OR (t2.occurred_at = t1.occurred_at AND t2.id < t1.id)) "
            "WHERE t2.id IS NULL AND c.created_at >= %s AND c.created_at < %s"
            + keep
            + " GROUP BY t1.campaign_id",
            [start, end],
        )
        campaigns = dict(cursor.fetchall())
    return {"stages": stages, "campaign_contacts": campaigns}


def naive_event(start: Any, end: Any, window_days: int, sample: int) -> list[int]:
    from django.db import connection

    pg = connection.vendor == "postgresql"
    like = "ILIKE" if pg else "LIKE"

    def until(alias: str) -> str:
        if pg:
            return f"{alias}.occurred_at + make_interval(days => {window_days})"
        return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {alias}.occurred_at, '+{window_days} days')"

    steps = [
        f"t1.kind = 'page_view' AND t1.url {like} '%%/pricing%%'",
        "t2.kind = 'form_submission'",
        "t3.kind = 'meeting_booked'",
    ]
    counts = []
    with connection.cursor() as cursor:
        for k in range(1, 4):
            parts = []
            for key, prefix in (("contact_id", "c"), ("visitor_id", "v")):
                other = "contact_id IS NULL" if key == "visitor_id" else "contact_id IS NOT NULL"
                first = (
                    f"t1.occurred_at = (SELECT MIN(x.occurred_at) FROM tracking_touchpoint x "
                    f"WHERE x.{key} = t1.{key} AND x.kind = 'page_view' "
                    f"AND x.url {like} '%%/pricing%%' AND x.occurred_at >= %s "
                    "AND x.occurred_at < %s"
                    + (" AND x.contact_id IS NULL)" if key == "visitor_id" else ")")
                )
                joins = "".join(
                    f" JOIN tracking_touchpoint t{j} ON t{j}.{key} = t1.{key} "
                    f"AND t{j}.occurred_at >= t{j - 1}.occurred_at "
                    f"AND t{j}.occurred_at <= {until('t1')} AND {steps[j - 1]}"
                    + (f" AND t{j}.contact_id IS NULL" if key == "visitor_id" else "")
                    for j in range(2, k + 1)
                )
                keep = f" AND t1.id %% {sample} = 0" if sample > 1 else ""
                parts.append(
                    f"SELECT DISTINCT '{prefix}' || CAST(t1.{key} AS TEXT) AS p "
                    f"FROM tracking_touchpoint t1{joins} WHERE {steps[0]} AND t1.{other} "
                    f"AND t1.occurred_at >= %s AND t1.occurred_at < %s AND {first}{keep}"
                )
            cursor.execute(
                f"SELECT COUNT(*) FROM ({parts[0]} UNION ALL {parts[1]}) people",
                [start, end, start, end] * 2,
            )
            counts.append(cursor.fetchone()[0])
    return counts


# --- The worker ---------------------------------------------------------------------------------


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return (time.perf_counter() - started) * 1000, value


def measure(rounds: int, sample: int, log: Callable[[str], None]) -> dict[str, Any]:
    from django.db import connection

    from revline.analytics.funnel_selectors import event_funnel_counts, lifecycle_funnel_report
    from revline.analytics.funnels import StepSpec
    from revline.core.dates import days_bounds

    start, end = days_bounds(FIRST, LAST)
    adapt = connection.ops.adapt_datetimefield_value
    steps = [
        StepSpec("page_view", "contains", "/pricing"),
        StepSpec("form_submission"),
        StepSpec("meeting_booked"),
    ]
    loads: dict[str, Callable[[], Any]] = {
        "lifecycle funnel": lambda: lifecycle_funnel_report(
            first=FIRST, last=LAST, interval="month", breakdown="campaign"
        ),
        "lifecycle naive": lambda: naive_lifecycle(adapt(start), adapt(end), sample),
        "event funnel": lambda: event_funnel_counts(
            steps=steps, start=start, end=end, window_days=WINDOW_DAYS
        ),
        "event naive": lambda: naive_event(adapt(start), adapt(end), WINDOW_DAYS, sample),
    }
    times: dict[str, list[float]] = {key: [] for key in loads}
    answers: dict[str, Any] = {}
    naive_rounds = 1 if sample > 1 else rounds
    for number in range(rounds + 1):  # round 0 warms the caches and is not counted
        for key, load in loads.items():
            if "naive" in key and number > naive_rounds:
                continue
            ms, value = _timed(load)
            if number:
                times[key].append(ms)
            answers[key] = value
            log(f"  round {number}: {key} {ms:,.0f} ms")
    median = {k: round(statistics.median(v), 1) for k, v in times.items()}
    report = answers["lifecycle funnel"]
    lifecycle_counts = [s.count for s in report.steps]
    result: dict[str, Any] = {
        "naive_sample": sample,
        "median_ms": median,
        "lifecycle": {
            "counts": lifecycle_counts,
            "cohort_contacts": report.contacts,
            "anonymous_visitors": report.anonymous_visitors,
        },
        "event": {"counts": answers["event funnel"]},
    }
    naive_l = median["lifecycle naive"] * sample
    naive_e = median["event naive"] * sample
    result["ratios"] = {
        "lifecycle": round(median["lifecycle funnel"] / max(naive_l, 0.001), 4),
        "event": round(median["event funnel"] / max(naive_e, 0.001), 4),
    }
    result["naive_ms_full"] = {"lifecycle": naive_l, "event": naive_e}
    if sample == 1:
        naive = answers["lifecycle naive"]
        result["agree"] = {
            "lifecycle": naive["stages"] == lifecycle_counts,
            "event": answers["event naive"] == answers["event funnel"],
        }
        result["naive_answers"] = {"lifecycle": naive["stages"], "event": answers["event naive"]}
        result["naive_first_touch_campaigns"] = {
            str(k): v for k, v in sorted(naive["campaign_contacts"].items())
        }
    return result


def worker_main(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    counts = fill(args.touchpoints, log)
    fill_s = time.perf_counter() - started
    log(f"  filled in {fill_s:.1f} s: {counts}")
    sample = args.naive_sample or (1 if args.touchpoints < 1_000_000 else 20)
    result = {
        "vendor": connection.vendor,
        "rows": counts,
        "fill_seconds": round(fill_s, 1),
        "measure": measure(args.rounds, sample, log),
    }
    print(json.dumps(result, default=str))


# --- The driver ---------------------------------------------------------------------------------


def bench_database(
    name: str, args: argparse.Namespace, data_dir: Path, database_url: str | None,
    log: Callable[[str], None], quiet: bool,
) -> dict[str, Any]:  # fmt: skip
    env = server_env(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    log(f"[{name}] {args.touchpoints:,} touchpoints")
    command = [
        sys.executable, "-m", "bench.funnels", "--worker", "--touchpoints", str(args.touchpoints),
        "--rounds", str(args.rounds), "--naive-sample", str(args.naive_sample or 0),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE if quiet else None,
        text=True, timeout=args.timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"bench.funnels worker failed on {name}:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["database"] = name
    return result


def check(result: dict[str, Any]) -> list[str]:
    agree = result["measure"].get("agree")
    if agree is None:
        return []
    return [
        f"{what}: the funnel and the naive SQL disagree" for what, ok in agree.items() if not ok
    ]


def print_result(result: dict[str, Any]) -> None:
    rows, m = result["rows"], result["measure"]
    print()
    print(
        f"Funnels vs naive self-joins — {result['database']}: "
        f"{rows['tracking_touchpoint']:,} touchpoints, {rows['people_contact']:,} contacts, "
        f"{rows['tracking_visitor']:,} visitors, {rows['leads_lifecycletransition']:,} moves "
        f"(filled in {result['fill_seconds']} s)"
    )
    print(f"  lifecycle counts {m['lifecycle']['counts']}; event counts {m['event']['counts']}")
    sample = m["naive_sample"]
    for what in ("lifecycle", "event"):
        ours = m["median_ms"][f"{what} funnel"]
        naive = m["naive_ms_full"][what]
        note = f" (timed on 1/{sample} of the people, x{sample})" if sample > 1 else ""
        verdict = "met" if m["ratios"][what] <= GOAL else "NOT met"
        print(
            f"  {what}: funnel {ours:,.1f} ms / naive {naive:,.1f} ms{note} = "
            f"{m['ratios'][what]:.4f} (goal <= {GOAL}: {verdict})"
        )
    for problem in check(result):
        print(f"PROBLEM: {problem}")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.funnels", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--touchpoints", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (median is used)")
    parser.add_argument("--naive-sample", type=int, default=0,
                        help="time the naive SQL on 1/K of the people and multiply by K "
                        "(default: 1 below 1,000,000 touchpoints, else 20)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=6 * 3600, help="seconds per database")
    parser.add_argument("--postgres", choices=["auto", "skip", "require"], default="auto",
                        help="auto: also PostgreSQL when installed (default)")  # fmt: skip
    parser.add_argument("--pg-bin", type=Path,
                        help="directory of initdb/pg_ctl (default: the newest /usr/lib/postgresql/*/bin)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.touchpoints < 100 or args.rounds < 1 or args.naive_sample < 0:
        parser.error("--touchpoints must be at least 100, --rounds positive")
    return args


def main(argv: Sequence[str] | None = None, *, quiet: bool = False) -> dict[str, Any]:
    args = parse(argv)
    if args.worker:
        worker_main(args)
        return {}
    return run_and_report(
        args,
        name="funnels",
        bench=lambda label, data_dir, url, log: bench_database(
            label, args, data_dir, url, log, quiet
        ),
        check=check,
        print_result=print_result,
        quiet=quiet,
    )


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome.get("ok", True) else 1)
