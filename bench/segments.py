"""Benchmark: segment evaluation against the best hand-written SQL for the same question.

    python -m bench.segments [--help]            # 20,000 contacts; --contacts 1000000 for the issue

For each database (a fresh SQLite file; then PostgreSQL, in a throw-away cluster started as
bench.collect starts one), a worker process migrates an empty database, fills it in bulk
(executemany on SQLite, COPY on PostgreSQL; never the ORM) with N contacts, about 5 touchpoints
per contact, companies and tags, runs ANALYZE, then times each question several rounds:

- segment, COUNT     segments.selectors.segment_count(definition=...): compile + one query
- segment, ids       the segment's contact ids (values_list over the same one query)
- hand-written SQL   several formulations written by hand (correlated EXISTS/COUNT, IN over a
                     GROUP BY, JOINs); the fastest one's median is the baseline. NOT IN is
                     left out: on PostgreSQL it turns quadratic once its list outgrows
                     work_mem (a 1,000,000-contact run did not finish in 15 minutes).

The ratio is segment median / best hand-written median, measured in the same run on the same
data. The "at least N page views" condition is also timed with each of the compiler's
strategies (probe, count, group), which is how the default was chosen.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.collect import run_and_report  # noqa: E402
from bench.run import server_env  # noqa: E402

GOAL = 1.5
NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
BATCH = 20_000
COUNTRIES = ["DE"] * 4 + ["FR", "GB", "US", "NL", "ES", "IT", "AT", "CH", "SE", "PL", "BE", "DK"]
STAGES = ["subscriber", "lead", "lead", "mql", "sql", "customer"]
OTHER_TAGS = [f"topic-{i:02d}" for i in range(18)]
PAGES = ["/pricing", "/pricing/enterprise", "/blog/launch", "/blog/guide", "/features", "/docs"]
PAGE_WEIGHTS = [20, 5, 25, 20, 20, 10]

QUESTIONS: dict[str, dict[str, Any]] = {
    "hot": {
        "words": "country is DE AND visited /pricing at least 3 times in the last 30 days "
        "AND has the tag vip",
        "definition": {
            "match": "all",
            "conditions": [
                {"type": "field", "field": "country", "op": "eq", "value": "DE"},
                {"type": "page_visits", "url_contains": "/pricing", "min_count": 3, "days": 30},
                {"type": "tag", "tag": "vip"},
            ],
        },
    },
    "lapsed": {
        "words": "country is one of DE, AT, CH AND has not opened any email in 90 days "
        "AND has the tag newsletter",
        "definition": {
            "match": "all",
            "conditions": [
                {"type": "field", "field": "country", "op": "in", "value": ["DE", "AT", "CH"]},
                {"type": "email_opened", "days": 90, "negate": True},
                {"type": "tag", "tag": "newsletter"},
            ],
        },
    },
}

# Hand-written formulations. {like} is LIKE on SQLite (case-insensitive for ASCII, as the
# segment's test is) and ILIKE on PostgreSQL. %(x)s parameters.
TAG = (
    "EXISTS (SELECT 1 FROM people_contact_tags ct WHERE ct.contact_id = c.id AND ct.tag_id = "
    "(SELECT id FROM people_tag WHERE name = %(tag)s))"
)
HAND: dict[str, dict[str, str]] = {
    "hot": {
        "correlated count": (
            "SELECT {select} FROM people_contact c WHERE c.country = 'DE' AND " + TAG + " AND "
            "(SELECT COUNT(*) FROM tracking_touchpoint t WHERE t.contact_id = c.id "
            "AND t.kind = 'page_view' AND t.occurred_at >= %(since)s AND t.occurred_at <= %(now)s "
            "AND t.url {like} '%%/pricing%%') >= 3"
        ),
        "in group by": (
            "SELECT {select} FROM people_contact c WHERE c.country = 'DE' AND " + TAG + " AND "
            "c.id IN (SELECT t.contact_id FROM tracking_touchpoint t WHERE t.kind = 'page_view' "
            "AND t.occurred_at >= %(since)s AND t.occurred_at <= %(now)s "
            "AND t.url {like} '%%/pricing%%' AND t.contact_id IS NOT NULL "
            "GROUP BY t.contact_id HAVING COUNT(*) >= 3)"
        ),
        "join group by": (
            "SELECT {select} FROM (SELECT c.id FROM people_contact c "
            "JOIN people_contact_tags ct ON ct.contact_id = c.id "
            "JOIN people_tag tg ON tg.id = ct.tag_id AND tg.name = %(tag)s "
            "JOIN tracking_touchpoint t ON t.contact_id = c.id AND t.kind = 'page_view' "
            "AND t.occurred_at >= %(since)s AND t.occurred_at <= %(now)s "
            "AND t.url {like} '%%/pricing%%' "
            "WHERE c.country = 'DE' GROUP BY c.id HAVING COUNT(*) >= 3) c"
        ),
    },
    "lapsed": {
        "not exists": (
            "SELECT {select} FROM people_contact c WHERE c.country IN ('DE', 'AT', 'CH') AND "
            + TAG
            + " AND NOT EXISTS (SELECT 1 FROM tracking_touchpoint t WHERE t.contact_id = c.id "
            "AND t.kind = 'email_open' AND t.occurred_at >= %(since)s AND t.occurred_at <= %(now)s)"
        ),
        "left join": (
            "SELECT {select} FROM people_contact c "
            "JOIN people_contact_tags ct ON ct.contact_id = c.id "
            "JOIN people_tag tg ON tg.id = ct.tag_id AND tg.name = %(tag)s "
            "LEFT JOIN tracking_touchpoint t ON t.contact_id = c.id AND t.kind = 'email_open' "
            "AND t.occurred_at >= %(since)s AND t.occurred_at <= %(now)s "
            "WHERE c.country IN ('DE', 'AT', 'CH') AND t.id IS NULL"
        ),
    },
}
HAND_PARAMS: dict[str, dict[str, Any]] = {
    "hot": {"tag": "vip", "days": 30},
    "lapsed": {"tag": "newsletter", "days": 90},
}


# --- The worker: runs inside one database's environment ------------------------------------------


def _generate(contacts: int, seed: int) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """(table, rows) batches: companies, tags, contacts, contact tags, touchpoints."""
    rng = random.Random(seed)
    companies = max(1, contacts // 20)
    created = NOW - timedelta(days=400)
    yield "company", [
        (i, f"Company {i}", f"c{i}.example", "Software", "11-50", rng.choice(COUNTRIES), "",
         created, created)
        for i in range(1, companies + 1)
    ]  # fmt: skip
    tags = ["vip", "newsletter", *OTHER_TAGS]
    yield "tag", [(i, name) for i, name in enumerate(tags, start=1)]
    link_id = tp_id = 0
    for start in range(1, contacts + 1, BATCH):
        ids = range(start, min(start + BATCH, contacts + 1))
        rows, links, touches = [], [], []
        for i in ids:
            country = rng.choice(COUNTRIES)
            when = NOW - timedelta(seconds=rng.randrange(400 * 86400))
            rows.append((
                i, f"First{i}", f"Last{i}", f"person{i}@example.com", "", "", rng.randrange(1, companies + 1),
                country, "import", None, rng.choice(STAGES), None, rng.randrange(100),
                rng.randrange(100), when, when,
            ))  # fmt: skip
            chosen = set()
            if rng.random() < 0.10:
                chosen.add(1)
            if rng.random() < 0.30:
                chosen.add(2)
            for _ in range(rng.randrange(3)):
                chosen.add(rng.randrange(3, len(tags) + 1))
            for tag in sorted(chosen):
                link_id += 1
                links.append((link_id, i, tag))
            for _ in range(rng.randrange(11)):  # 0..10 touchpoints, 5 on average
                tp_id += 1
                # Recent weeks are busier: 40% of touchpoints in the last 30 days.
                days = rng.uniform(0, 30) if rng.random() < 0.4 else rng.uniform(30, 365)
                at = NOW - timedelta(days=days)
                roll = rng.random()
                if roll < 0.6:
                    kind, url = (
                        "page_view",
                        "https://www.shop.example" + rng.choices(PAGES, PAGE_WEIGHTS)[0],
                    )
                elif roll < 0.8:
                    kind, url = "email_open", ""
                else:
                    kind, url = "click", "https://www.shop.example/"
                touches.append((tp_id, kind, at, i, url))
        yield "contact", rows
        yield "contact_tag", links
        yield "touchpoint", touches


INSERTS = {
    "company": (
        "people_company",
        "id, name, domain, industry, size, country, phone, created_at, updated_at",
    ),
    "tag": ("people_tag", "id, name"),
    "contact": (
        "people_contact",
        "id, first_name, last_name, email, phone, title, company_id, country, source, owner_id, "
        "lifecycle_stage, lifecycle_changed_at, fit_score, engagement_score, created_at, "
        "updated_at",
    ),
    "contact_tag": ("people_contact_tags", "id, contact_id, tag_id"),
    "touchpoint": ("tracking_touchpoint", "id, kind, occurred_at, contact_id, url"),
}
# Touchpoint columns the bench leaves at their empty value.
TOUCHPOINT_FILL = "channel, utm_source, utm_medium, utm_campaign, utm_content, utm_term, referrer, user_agent, params"


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return value


def _drop_indexes(cursor: Any, vendor: str, tables: list[str]) -> list[str]:
    """Drop the tables' secondary indexes; return the statements that create them again."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [tables],
        )
    else:
        marks = ", ".join("%s" for _ in tables)
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            tables,
        )
    found = cursor.fetchall()
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def fill(contacts: int, seed: int, log: Callable[[str], None]) -> dict[str, int]:
    from django.db import connection

    counts = {name: 0 for name in INSERTS}
    vendor = connection.vendor
    fill_values = ("", "", "", "", "", "", "", "", "{}")
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -500000")
        # Secondary indexes are built after the load (one sort each) instead of row by row.
        indexes = _drop_indexes(cursor, vendor, [table for table, _ in INSERTS.values()])
        raw = connection.connection
        for table_key, rows in _generate(contacts, seed):
            table, columns = INSERTS[table_key]
            if table_key == "touchpoint":
                columns = f"{columns}, {TOUCHPOINT_FILL}"
                rows = [row + fill_values for row in rows]
            counts[table_key] += len(rows)
            if not rows:
                continue
            if vendor == "postgresql":
                with raw.cursor() as pg, pg.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns.split(","))
                raw.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                    [tuple(_sqlite_value(v) for v in row) for row in rows],
                )
            if table_key == "touchpoint" and counts["contact"] % 100_000 < BATCH:
                log(f"  {counts['contact']:,} contacts, {counts['touchpoint']:,} touchpoints")
        raw.commit()
        log(f"  rebuilding {len(indexes)} indexes")
        for statement in indexes:
            cursor.execute(statement)
        if vendor == "postgresql":
            for table, _ in INSERTS.values():
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
        cursor.execute("ANALYZE")
    return counts


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return (time.perf_counter() - started) * 1000, value


def measure(rounds: int, log: Callable[[str], None]) -> dict[str, Any]:
    from django.db import connection

    from revline.segments import compiler

    like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
    results: dict[str, Any] = {}
    for name, question in QUESTIONS.items():
        definition = question["definition"]
        days = int(HAND_PARAMS[name]["days"])
        params: dict[str, Any] = {"tag": HAND_PARAMS[name]["tag"], "now": NOW}
        params["since"] = NOW - timedelta(days=days)
        sql = {
            variant: template.replace("{like}", like) for variant, template in HAND[name].items()
        }

        def hand(
            variant: str, select: str, sql: dict[str, str] = sql, params: dict[str, Any] = params
        ) -> Callable[[], Any]:
            query = sql[variant].replace("{select}", select)

            def run() -> Any:
                with connection.cursor() as cursor:
                    cursor.execute(query, params)
                    rows = cursor.fetchall()
                return rows[0][0] if select == "COUNT(*)" else sorted(r[0] for r in rows)

            return run

        loads: dict[str, Callable[[], Any]] = {
            "segment, COUNT": partial(_segment_count, definition),
            "segment, ids": partial(_segment_ids, definition),
        }
        for variant in sql:
            loads[f"hand: {variant}, COUNT"] = hand(variant, "COUNT(*)")
            loads[f"hand: {variant}, ids"] = hand(variant, "c.id")
        if any(c["type"] == "page_visits" for c in definition["conditions"]):
            for strategy in compiler.PAGE_VISITS_STRATEGIES:
                loads[f"segment [{strategy}], COUNT"] = partial(
                    _segment_count, definition, strategy
                )
        times: dict[str, list[float]] = {key: [] for key in loads}
        answers: dict[str, Any] = {}
        for number in range(rounds + 1):  # round 0 warms the caches and is not counted
            for key, load in loads.items():
                ms, value = _timed(load)
                if number:
                    times[key].append(ms)
                answers[key] = value
        # Every load answers the same question: the counts agree, and so do the id lists.
        counts = {k: v for k, v in answers.items() if k.endswith("COUNT")}
        ids = {k: v for k, v in answers.items() if k.endswith("ids")}
        agree = (
            len({json.dumps(v) for v in counts.values()}) == 1
            and len({json.dumps(v) for v in ids.values()}) == 1
            and answers["segment, COUNT"] == len(answers["segment, ids"])
        )
        median = {k: round(statistics.median(v), 2) for k, v in times.items()}
        ratios = {}
        for what in ("COUNT", "ids"):
            hands = {k: v for k, v in median.items() if k.startswith("hand:") and k.endswith(what)}
            best = min(hands, key=lambda k: hands[k])
            ratios[what] = {
                "segment_ms": median[f"segment, {what}"],
                "best_hand": best.removeprefix("hand: ").removesuffix(f", {what}"),
                "best_hand_ms": hands[best],
                "ratio": round(median[f"segment, {what}"] / max(hands[best], 0.001), 3),
            }
        results[name] = {
            "words": question["words"],
            "matches": answers["segment, COUNT"],
            "median_ms": median,
            "ratios": ratios,
            "answers_agree": agree,
        }
        log(f"  {name}: {answers['segment, COUNT']:,} contacts")
        for what, r in ratios.items():
            log(
                f"    {what}: segment {r['segment_ms']:.1f} ms, best hand-written "
                f"({r['best_hand']}) {r['best_hand_ms']:.1f} ms, ratio {r['ratio']:.2f}"
            )
    return results


def _segment_count(definition: dict[str, Any], strategy: str = "") -> int:
    from revline.people.models import Contact
    from revline.segments.compiler import compile_definition
    from revline.segments.selectors import segment_count

    if not strategy:
        return segment_count(definition=definition, now=NOW)
    q = compile_definition(definition, now=NOW, strategy=strategy)
    return Contact.objects.filter(q).order_by().count()


def _segment_ids(definition: dict[str, Any]) -> list[int]:
    from revline.segments.selectors import segment_contacts

    contacts = segment_contacts(definition=definition, now=NOW).order_by()
    return sorted(contacts.values_list("id", flat=True))


def worker_main(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    log(f"  migrated in {time.perf_counter() - started:.1f} s; filling")
    started = time.perf_counter()
    counts = fill(args.contacts, args.seed, log)
    fill_s = time.perf_counter() - started
    log(f"  filled in {fill_s:.1f} s: {counts}")
    result = {
        "vendor": connection.vendor,
        "rows": counts,
        "fill_seconds": round(fill_s, 1),
        "questions": measure(args.rounds, log),
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
    log(f"[{name}] {args.contacts:,} contacts")
    command = [
        sys.executable, "-m", "bench.segments", "--worker", "--contacts", str(args.contacts),
        "--rounds", str(args.rounds), "--seed", str(args.seed),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE if quiet else None,
        text=True, timeout=args.timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"bench.segments worker failed on {name}:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["database"] = name
    return result


def check(result: dict[str, Any]) -> list[str]:
    problems = []
    for name, question in result["questions"].items():
        if not question["answers_agree"]:
            problems.append(f"{name}: the segment and the hand-written SQL disagree")
    return problems


def print_result(result: dict[str, Any]) -> None:
    rows = result["rows"]
    print()
    print(
        f"Segments vs hand-written SQL — {result['database']}: {rows['contact']:,} contacts, "
        f"{rows['touchpoint']:,} touchpoints, {rows['contact_tag']:,} tag links "
        f"(filled in {result['fill_seconds']} s)"
    )
    for name, q in result["questions"].items():
        print(f"\n{name}: {q['words']} -> {q['matches']:,} contacts")
        for key, ms in q["median_ms"].items():
            print(f"  {key:<36} {ms:>10.2f} ms")
        for what, r in q["ratios"].items():
            verdict = "met" if r["ratio"] <= GOAL else "NOT met"
            print(
                f"  ratio {what}: segment {r['segment_ms']:.2f} ms / best hand-written "
                f"({r['best_hand']}) {r['best_hand_ms']:.2f} ms = {r['ratio']:.2f} "
                f"(goal <= {GOAL}: {verdict})"
            )
    for problem in check(result):
        print(f"PROBLEM: {problem}")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.segments", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--contacts", type=int, default=20_000, help="contacts to generate")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (median is used)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=6 * 3600, help="seconds per database")
    parser.add_argument("--postgres", choices=["auto", "skip", "require"], default="auto",
                        help="auto: also PostgreSQL when installed (default)")  # fmt: skip
    parser.add_argument("--pg-bin", type=Path,
                        help="directory of initdb/pg_ctl (default: the newest /usr/lib/postgresql/*/bin)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.contacts < 1 or args.rounds < 1:
        parser.error("--contacts and --rounds must be positive")
    return args


def main(argv: Sequence[str] | None = None, *, quiet: bool = False) -> dict[str, Any]:
    args = parse(argv)
    if args.worker:
        worker_main(args)
        return {}
    return run_and_report(
        args,
        name="segments",
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
