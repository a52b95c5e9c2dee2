"""A smoke test of the /t/collect benchmark with tiny numbers: real servers, exact counts.

Timings are never asserted: they depend on the machine.
"""

import pytest
from bench.collect import (
    BATCH,
    FLOOR,
    NAIVE,
    SINGLE,
    PostgresUnavailable,
    check,
    main,
    postgres_bin,
)

TINY = ["--requests", "12", "--batches", "3", "--rounds", "1", "--concurrency", "2",
        "--workers", "1", "--threads", "2", "--warmup", "4", "--replays", "2"]  # fmt: skip


def postgres_installed() -> bool:
    try:
        postgres_bin()
    except PostgresUnavailable:
        return False
    return True


def assert_every_event_counted_once(result: dict) -> None:
    [round_one] = result["rounds"]
    assert [m["endpoint"] for m in round_one] == [NAIVE, SINGLE, BATCH, FLOOR]
    assert [(m["requests"], m["errors"]) for m in round_one] == [(12, 0), (12, 0), (3, 0), (12, 0)]
    # The floor stores nothing: the counts below hold only the other three loads.
    assert result["errors"] == 0
    # warm-up: 4 naive + 4 single + 1 batch of 50; measured: 12 + 12 + 3 x 50; replays: 2 x 50
    assert result["events"] == {
        "naive_sent": 16,
        "naive_stored": 16,
        "collect_sent": 4 + 50 + 12 + 150 + 100,
        "collect_accepted": 316,
        "collect_stored": 316,
        "distinct_ids": 332,
        "rows": 332,
        "lost": 0,
    }
    assert result["replay"] == {
        "batches": 2,
        "first_ok": 2,
        "again_ok": 2,
        "again_accepted": 0,
        "again_duplicates": 100,
    }
    assert set(result["ratio"]) == {SINGLE, BATCH, FLOOR}
    assert all(value > 0 for value in result["ratio"].values())
    assert check(result) == []


def test_collect_bench_on_sqlite_counts_every_event_once(tmp_path):
    # Given a tiny run, PostgreSQL left out
    results = main([*TINY, "--postgres", "skip", "--json", str(tmp_path / "out.json")], quiet=True)
    # Then nothing was lost or doubled, and replayed batches stored nothing
    assert results["ok"] is True
    assert list(results["databases"]) == ["sqlite"]
    assert_every_event_counted_once(results["databases"]["sqlite"])
    assert (tmp_path / "out.json").read_text().startswith("{")


def test_missing_postgresql_binaries_skip_that_part(tmp_path):
    results = main([*TINY, "--pg-bin", str(tmp_path / "no-postgres")], quiet=True)
    assert list(results["databases"]) == ["sqlite"]
    assert results["skipped"]["postgresql"].endswith("is not installed")
    assert results["ok"] is True


@pytest.mark.skipif(not postgres_installed(), reason="PostgreSQL binaries are not installed")
def test_collect_bench_on_postgresql_counts_every_event_once():
    results = main([*TINY, "--postgres", "require"], quiet=True)
    assert results["skipped"] == {}
    assert_every_event_counted_once(results["databases"]["postgresql"])


def test_check_names_lost_doubled_and_replayed_events():
    result = {
        "errors": 1,
        "events": {
            "naive_sent": 10, "naive_stored": 9, "collect_sent": 100, "collect_accepted": 100,
            "collect_stored": 99, "distinct_ids": 107, "rows": 108,
        },
        "replay": {"batches": 1, "first_ok": 1, "again_ok": 1, "again_accepted": 50,
                   "again_duplicates": 0},
    }  # fmt: skip
    assert check(result) == [
        "1 requests failed",
        "naive view: 10 sent, 9 stored",
        "collect: 100 sent, 100 accepted, 99 stored",
        "108 rows but 107 distinct event ids",
        "replayed batches: {'batches': 1, 'first_ok': 1, 'again_ok': 1, 'again_accepted': 50, "
        "'again_duplicates': 0}",
    ]
