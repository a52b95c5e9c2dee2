"""A smoke test of the funnels benchmark with tiny numbers: the funnels and the naive self-joins
give the same answers. Timings are never asserted: they depend on the machine."""

import pytest
from bench.collect import PostgresUnavailable, postgres_bin
from bench.funnels import check, main


def postgres_installed() -> bool:
    try:
        postgres_bin()
    except PostgresUnavailable:
        return False
    return True


def assert_agrees(result: dict) -> None:
    assert result["rows"]["tracking_touchpoint"] == 4000
    assert result["rows"]["people_contact"] == 100
    assert result["rows"]["tracking_visitor"] == 400
    m = result["measure"]
    assert m["naive_sample"] == 1
    assert m["agree"] == {"lifecycle": True, "event": True}
    assert m["naive_answers"]["lifecycle"] == m["lifecycle"]["counts"]
    assert m["naive_answers"]["event"] == m["event"]["counts"]
    assert m["lifecycle"]["counts"][0] > m["lifecycle"]["counts"][1] > 0
    assert m["event"]["counts"][0] > 0
    assert all(r > 0 for r in m["ratios"].values())
    assert check(result) == []


def test_funnels_bench_on_sqlite_agrees_with_the_naive_sql(tmp_path):
    results = main(
        ["--touchpoints", "4000", "--rounds", "1", "--postgres", "skip", "--json",
         str(tmp_path / "out.json")],
        quiet=True,
    )  # fmt: skip
    assert results["ok"] is True
    assert list(results["databases"]) == ["sqlite"]
    assert_agrees(results["databases"]["sqlite"])
    assert (tmp_path / "out.json").read_text().startswith("{")


@pytest.mark.skipif(not postgres_installed(), reason="PostgreSQL binaries are not installed")
def test_funnels_bench_on_postgresql_agrees_with_the_naive_sql():
    results = main(["--touchpoints", "4000", "--rounds", "1", "--postgres", "require"], quiet=True)
    assert results["skipped"] == {}
    assert_agrees(results["databases"]["postgresql"])
