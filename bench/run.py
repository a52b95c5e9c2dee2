"""Benchmark: the click redirect (GET /t/c/<token>) against a trivial Django view, in one run.

    make bench                       # or: .venv/bin/python bench/run.py [--help]
                                     # (run as a script, it then runs bench/collect.py too)

Starts a real gunicorn serving Revline (plus the bench-only /bench/noop view, see bench/urls.py)
on a free loopback port, with a fresh SQLite database in a temporary data directory, then drives
it from this process with keep-alive HTTP connections in several threads. Rounds alternate
between the endpoints so that both see the same machine conditions, and the result that
matters is the ratio of their throughputs, not the absolute numbers.

Measured:
- GET /bench/noop                  Django's floor: middleware, URL routing, an empty response
- GET /t/c/<token>, new visitor    no cookie: rate-limit check, link lookup, a new visitor and a
                                   touchpoint written in one transaction, the 302 redirect
- GET /t/c/<token>, known visitor  with the rl_vid cookie: the visitor is updated instead

Every request is bounded (count and time); the server listens on 127.0.0.1 only and is stopped
at the end. The public rate limit is raised for the run so that it never rejects the client.
"""

import argparse
import http.client
import itertools
import json
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
NOOP = "noop"
CLICK_NEW = "click, new visitor"
CLICK_KNOWN = "click, known visitor"


@dataclass
class Measure:
    endpoint: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p95_ms": round(self.percentile(0.95), 2),
        }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REVLINE_REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        REVLINE_DATA_DIR=str(data_dir),
        REVLINE_PUBLIC_RATE_LIMIT=str(10**9),
        REVLINE_ALLOWED_HOSTS=f"{HOST},localhost",
        REVLINE_DEBUG="0",
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH")])
        ),
    )
    return env


def prepare(env: dict[str, str], command: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.prepare", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.prepare {command} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_server(
    env: dict[str, str], port: int, workers: int, threads: int, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "gunicorn", "bench.wsgi:application",
        "--bind", f"{HOST}:{port}", "--workers", str(workers), "--threads", str(threads),
        "--chdir", str(ROOT), "--log-level", "warning", "--graceful-timeout", "5",
    ]  # fmt: skip
    with log.open("wb") as handle:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def wait_ready(port: int, server: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/bench/noop")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"gunicorn did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}"
    )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def drive(
    port: int,
    path: str,
    *,
    endpoint: str,
    total: int,
    concurrency: int,
    expect: int,
    headers: dict[str, str],
    time_limit: float,
) -> Measure:
    """Send `total` GETs from `concurrency` threads (or stop at `time_limit` seconds)."""
    tickets = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    deadline = time.monotonic() + time_limit

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        ok = errors = 0
        while next(tickets) < total and time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == expect:
                    ok += 1
                    mine.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
        conn.close()
        with lock:
            latencies.extend(mine)
            counts["ok"] += ok
            counts["errors"] += errors

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Measure(endpoint, counts["ok"], counts["errors"], elapsed, latencies)


def ratio(measures: list[Measure], endpoint: str) -> float:
    """The endpoint's throughput over the noop view's, in one round."""
    rps = {m.endpoint: m.rps for m in measures}
    return rps[endpoint] / rps[NOOP] if rps[NOOP] else 0.0


def sqlite_version() -> str:
    return sqlite3.sqlite_version


def print_table(results: dict[str, Any]) -> None:
    config = results["config"]
    print()
    print("Click redirect vs a trivial Django view: same server, same run")
    print(
        f"server: gunicorn {config['workers']} workers x {config['threads']} threads, SQLite "
        f"{results['machine']['sqlite']}, {HOST}; client: {config['concurrency']} threads with "
        f"keep-alive; machine: {results['machine']['cpus']} CPUs, Python {results['machine']['python']}"
    )
    print()
    print(
        f"{'round':<6} {'endpoint':<24} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8}"
    )
    for number, measures in enumerate(results["rounds"], start=1):
        for m in measures:
            print(
                f"{number:<6} {m['endpoint']:<24} {m['requests']:>9} {m['errors']:>7} {m['rps']:>9.1f} "
                f"{m['p50_ms']:>8.2f} {m['p95_ms']:>8.2f}"
            )
    print()
    median = results["median_rps"]
    print("median req/s: " + ", ".join(f"{name} {rps:.1f}" for name, rps in median.items()))
    for name, value in results["ratio"].items():
        rounds = ", ".join(f"{v:.3f}" for v in results["ratio_per_round"][name])
        print(f"ratio {name} / noop: {value:.3f}  (median of rounds: {rounds})")
    tp = results["touchpoints"]
    print(
        f"touchpoints recorded: {tp['recorded']} for {tp['clicks']} clicks answered with a redirect"
    )


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requests", type=int, default=2000, help="requests per endpoint per round"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured requests per endpoint")
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per measurement, at most"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if (
        min(args.requests, args.rounds, args.concurrency, args.workers, args.threads) < 1
        or args.warmup < 0
    ):
        parser.error("counts must be positive")
    return args


def main(argv: Sequence[str] | None = None, *, quiet: bool = False) -> dict[str, Any]:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="revline-bench-") as tmp:
        data_dir = Path(tmp)
        env = server_env(data_dir)
        fixtures = prepare(env, "setup")
        port = free_port()
        log = data_dir / "gunicorn.log"
        server = start_server(env, port, args.workers, args.threads, log)
        try:
            wait_ready(port, server, log)
            click = f"/t/c/{fixtures['token']}"
            plans = [
                (NOOP, "/bench/noop", 200, {}),
                (CLICK_NEW, click, 302, {}),
                (CLICK_KNOWN, click, 302, {"Cookie": f"rl_vid={fixtures['visitor']}"}),
            ]
            clicks = 0
            for endpoint, path, expect, headers in plans:
                warm = drive(
                    port, path, endpoint=endpoint, total=args.warmup, concurrency=args.concurrency,
                    expect=expect, headers=headers, time_limit=args.time_limit,
                )  # fmt: skip
                clicks += warm.requests if expect == 302 else 0
            rounds: list[list[Measure]] = []
            for _ in range(args.rounds):
                measures = []
                for endpoint, path, expect, headers in plans:
                    measure = drive(
                        port, path, endpoint=endpoint, total=args.requests, concurrency=args.concurrency,
                        expect=expect, headers=headers, time_limit=args.time_limit,
                    )  # fmt: skip
                    clicks += measure.requests if expect == 302 else 0
                    measures.append(measure)
                rounds.append(measures)
        finally:
            stop_server(server)
        recorded = prepare(env, "count")["touchpoints"]
    median = {
        endpoint: statistics.median(m.rps for r in rounds for m in r if m.endpoint == endpoint)
        for endpoint, _, _, _ in plans
    }
    # Each round's ratio compares endpoints measured a few seconds apart, so drifting load on
    # the machine cancels out; the median of those is the headline number.
    per_round = {endpoint: [ratio(r, endpoint) for r in rounds] for endpoint, _, _, _ in plans[1:]}
    results: dict[str, Any] = {
        "config": {k: v for k, v in vars(args).items() if k != "json"},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite_version(),
            "platform": platform.platform(),
        },
        "rounds": [[m.summary() for m in r] for r in rounds],
        "median_rps": {k: round(v, 1) for k, v in median.items()},
        "ratio_per_round": {k: [round(v, 4) for v in values] for k, values in per_round.items()},
        "ratio": {k: round(statistics.median(values), 4) for k, values in per_round.items()},
        "errors": sum(m.errors for r in rounds for m in r),
        "touchpoints": {"clicks": clicks, "recorded": recorded},
    }
    if not quiet:
        print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    outcome = main()
    # `make bench` runs every benchmark: the click redirect above, then /t/collect (its knobs:
    # python -m bench.collect --help).
    from bench import collect

    collected = collect.main([])
    sys.exit(1 if outcome["errors"] or not collected["ok"] else 0)
