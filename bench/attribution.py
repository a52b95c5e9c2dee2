"""Benchmark: every attribution model on 1,000,000 journey rows, and the Markov model against a
straightforward pure-Python implementation, in one run.

    python -m bench.attribution [--rows 1000000] [--channels 10] [--order 1] [--json FILE]

Generates aggregated journey rows (random paths of 1-8 touches over the channels, with
conversions, value, nulls and touch times), then times:
- encoding the rows into arrays (what every model shares),
- each model on the encoded rows, and attribute() with all seven models end to end,
- the Markov model end to end (encoding included), and on the encoded rows alone, against
  `naive_markov` below: counts in a dict of dicts, absorption probabilities by repeated sweeps
  until they stop changing, once for the full chain and once per removed channel. Both must give
  the same credits.
No database: the engine is pure computation.
"""

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "src"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import numpy as np  # noqa: E402

from bench.collect import machine_info  # noqa: E402
from revline.analytics.engine import (  # noqa: E402
    MODELS,
    PathRow,
    attribute,
    heuristic,
)
from revline.analytics.engine.markov import markov  # noqa: E402
from revline.analytics.engine.paths import encode  # noqa: E402
from revline.analytics.engine.shapley import shapley  # noqa: E402

DAY = 86_400.0


def generate(rows: int, channels: int, seed: int) -> list[PathRow]:
    rng = np.random.default_rng(seed)
    names = np.array([f"channel_{i:02d}" for i in range(channels)], dtype=object)
    lengths = np.minimum(rng.geometric(0.3, rows), 8)
    flat = names[rng.integers(0, channels, int(lengths.sum()))]
    conversions = rng.binomial(3, 0.2, rows).astype(float)
    nulls = rng.integers(0, 20, rows).astype(float)
    nulls[(conversions == 0) & (nulls == 0)] = 1.0
    value = np.round(conversions * rng.uniform(50, 5000, rows), 2)
    ages = np.round(rng.exponential(5 * DAY, int(lengths.sum())))
    result = []
    start = 0
    for i, length in enumerate(lengths.tolist()):
        end = start + length
        times = np.sort(ages[start:end])[::-1]
        result.append(
            PathRow(
                tuple(flat[start:end]),
                float(conversions[i]),
                float(value[i]),
                float(nulls[i]),
                tuple(times.tolist()),
            )
        )
        start = end
    return result


# --- The straightforward implementation the engine is compared with ---------------------------


def naive_markov(rows: Sequence[PathRow], order: int = 1, tolerance: float = 1e-13) -> dict:
    """Markov credits the plain way: dicts of counts and Gauss-Seidel sweeps. Order 1 only."""
    if order != 1:
        raise ValueError("the naive implementation is first order only")
    counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    total_conversions = total_value = 0.0
    for row in rows:
        if not row.path:
            continue
        through = row.conversions + row.nulls
        previous = "(start)"
        for channel in row.path:
            counts[previous][channel] += through
            previous = channel
        counts[previous]["(conversion)"] += row.conversions
        counts[previous]["(null)"] += row.nulls
        total_conversions += row.conversions
        total_value += row.value
    probabilities = {}
    for state, targets in counts.items():
        out = sum(targets.values())
        probabilities[state] = {t: n / out for t, n in targets.items()} if out else {}
    channels = sorted(s for s in counts if s != "(start)")

    def conversion_probability(removed: str | None) -> float:
        h = {state: 0.0 for state in probabilities}
        h["(conversion)"] = 1.0
        h["(null)"] = 0.0
        while True:
            change = 0.0
            for state, targets in probabilities.items():
                if state == removed:
                    continue
                new = sum(p * (0.0 if t == removed else h.get(t, 0.0)) for t, p in targets.items())
                change = max(change, abs(new - h[state]))
                h[state] = new
            if change < tolerance:
                return h["(start)"]

    baseline = conversion_probability(None)
    effects = {c: max(0.0, 1 - conversion_probability(c) / baseline) for c in channels}
    total_effect = sum(effects.values())
    return {
        "removal_effects": effects,
        "credits": {
            c: (e / total_effect * total_conversions, e / total_effect * total_value)
            for c, e in effects.items()
        },
    }


# --- The measurement --------------------------------------------------------------------------


def timed(function: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    outcome = function()
    return outcome, time.perf_counter() - started


def measure(args: argparse.Namespace, log: Any) -> dict[str, Any]:
    log(f"generating {args.rows:,} journey rows over {args.channels} channels")
    rows, generate_s = timed(lambda: generate(args.rows, args.channels, args.seed))
    distinct = len({r.path for r in rows})
    log(f"  {distinct:,} distinct paths, generated in {generate_s:.1f} s")
    (paths, _), encode_s = timed(lambda: encode(rows))
    model_seconds = {
        "first_touch": timed(lambda: heuristic.first_touch(paths))[1],
        "last_touch": timed(lambda: heuristic.last_touch(paths))[1],
        "linear": timed(lambda: heuristic.linear(paths))[1],
        "position_based": timed(lambda: heuristic.position_based(paths))[1],
        "time_decay": timed(lambda: heuristic.time_decay(paths, 7.0))[1],
        "markov": timed(lambda: markov(paths, args.order))[1],
        "shapley": timed(lambda: shapley(paths))[1],
    }
    result, all_s = timed(lambda: attribute(rows, models=MODELS, markov_order=args.order))
    log(f"  attribute(), all models: {all_s:.2f} s (encoding {encode_s:.2f} s)")
    engine_markov, engine_markov_s = timed(lambda: attribute(rows, models=["markov"]))
    log(f"  engine Markov end to end: {engine_markov_s:.2f} s; running the naive one…")
    naive, naive_s = timed(lambda: naive_markov(rows))
    agree = set(naive["credits"]) == set(engine_markov.credits["markov"]) and all(
        abs(naive["credits"][c][0] - credit.conversions) <= 1e-6 * max(1.0, credit.conversions)
        and abs(naive["credits"][c][1] - credit.value) <= 1e-6 * max(1.0, credit.value)
        for c, credit in engine_markov.credits["markov"].items()
    )
    sums = {
        model: round(sum(c.conversions for c in credits.values()), 6)
        for model, credits in result.credits.items()
    }
    return {
        "rows": args.rows,
        "touches": len(paths.touch_channel),
        "distinct_paths": distinct,
        "channels": args.channels,
        "order": args.order,
        "seconds": {
            "encode": round(encode_s, 3),
            **{model: round(s, 3) for model, s in model_seconds.items()},
            "attribute_all_models": round(all_s, 3),
            "engine_markov_end_to_end": round(engine_markov_s, 3),
            "naive_markov": round(naive_s, 3),
        },
        "ratio_naive_over_engine_markov": round(naive_s / max(engine_markov_s, 1e-9), 1),
        # The model alone, on rows already encoded (as when several models share one encoding).
        "ratio_naive_over_markov_model": round(naive_s / max(model_seconds["markov"], 1e-9), 1),
        "total_conversions": result.total_conversions,
        "credited_conversions": sums,
        "answers_agree": agree,
    }


def check(result: dict[str, Any]) -> list[str]:
    problems = []
    if not result["answers_agree"]:
        problems.append("the engine's and the naive Markov credits disagree")
    for model, credited in result["credited_conversions"].items():
        if abs(credited - result["total_conversions"]) > 1e-6 * max(1.0, credited):
            problems.append(f"{model}: credits {credited} != total {result['total_conversions']}")
    return problems


def print_result(result: dict[str, Any]) -> None:
    print(
        f"\nAttribution — {result['rows']:,} rows, {result['touches']:,} touches, "
        f"{result['distinct_paths']:,} distinct paths, {result['channels']} channels"
    )
    for name, seconds in result["seconds"].items():
        print(f"  {name:<28} {seconds:>9.3f} s")
    print(
        f"  naive Markov / engine Markov end to end = {result['ratio_naive_over_engine_markov']}x; "
        f"/ the Markov model on encoded rows = {result['ratio_naive_over_markov_model']}x "
        f"(answers agree: {result['answers_agree']})"
    )
    for problem in check(result):
        print(f"PROBLEM: {problem}")


def main(argv: Sequence[str] | None = None, *, quiet: bool = False) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.attribution", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--order", type=int, default=1, help="Markov order for the model timings")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.channels < 2 or args.order < 1:
        parser.error("--rows must be positive, --channels at least 2, --order at least 1")

    def log(line: str) -> None:
        if not quiet:
            print(line, flush=True)

    result = measure(args, log)
    results: dict[str, Any] = {
        "config": vars(args) | {"json": str(args.json) if args.json else None},
        "machine": machine_info(),
        "result": result,
        "problems": check(result),
    }
    results["ok"] = not results["problems"]
    if not quiet:
        print_result(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return results


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome["ok"] else 1)
