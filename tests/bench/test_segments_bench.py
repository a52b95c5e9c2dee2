"""A smoke test of the segments benchmark with tiny numbers: the segment and every hand-written
query give the same answers. Timings are never asserted: they depend on the machine."""

import pytest
from bench.collect import PostgresUnavailable, postgres_bin
from bench.segments import QUESTIONS, check, main


def postgres_installed() -> bool:
    try:
        postgres_bin()
    except PostgresUnavailable:
        return False
    return True


def assert_agrees(result: dict) -> None:
    assert result["rows"]["contact"] == 300
    assert result["rows"]["company"] == 15
    assert result["rows"]["tag"] == 20
    assert 0 < result["rows"]["touchpoint"] <= 300 * 10
    assert set(result["questions"]) == set(QUESTIONS)
    for question in result["questions"].values():
        assert question["answers_agree"] is True
        assert set(question["ratios"]) == {"COUNT", "ids"}
        assert all(r["ratio"] > 0 for r in question["ratios"].values())
    assert check(result) == []


def test_segments_bench_on_sqlite_agrees_with_hand_written_sql(tmp_path):
    results = main(
        ["--contacts", "300", "--rounds", "1", "--postgres", "skip", "--json",
         str(tmp_path / "out.json")],
        quiet=True,
    )  # fmt: skip
    assert results["ok"] is True
    assert list(results["databases"]) == ["sqlite"]
    assert_agrees(results["databases"]["sqlite"])
    assert (tmp_path / "out.json").read_text().startswith("{")


@pytest.mark.skipif(not postgres_installed(), reason="PostgreSQL binaries are not installed")
def test_segments_bench_on_postgresql_agrees_with_hand_written_sql():
    results = main(["--contacts", "300", "--rounds", "1", "--postgres", "require"], quiet=True)
    assert results["skipped"] == {}
    assert_agrees(results["databases"]["postgresql"])
