"""A smoke test of the contact import benchmark with tiny numbers: exact counts, no timings."""

import pytest
from bench.import_csv import check, main

from .test_collect import postgres_installed


def assert_counts(result: dict, rows: int) -> None:
    assert result["raw_stored"] == rows
    assert (result["status"], result["rows_total"], result["rows_bad"]) == ("done", rows, 0)
    assert (result["rows_created"], result["stored"], result["events"]) == (rows, rows, rows)
    assert (result["rerun_created"], result["rerun_skipped"], result["stored_after_rerun"]) == (
        0, rows, rows,
    )  # fmt: skip
    assert result["ratio_import"] > 0 and result["ratio_total"] > 0
    assert result["rss_peak_mb"] > 0
    assert check(result, rows) == []


def test_import_bench_on_sqlite(tmp_path):
    result = main(["--rows", "1500", "--postgres", "skip", "--json", str(tmp_path / "r.json")],
                  quiet=True)  # fmt: skip
    assert set(result["databases"]) == {"sqlite"}
    assert_counts(result["databases"]["sqlite"], 1500)
    assert result["ok"] is True
    assert (tmp_path / "r.json").exists()


@pytest.mark.skipif(not postgres_installed(), reason="PostgreSQL binaries are not installed")
def test_import_bench_on_postgresql():
    result = main(["--rows", "1200", "--postgres", "require"], quiet=True)
    assert set(result["databases"]) == {"sqlite", "postgresql"}
    assert_counts(result["databases"]["postgresql"], 1200)
