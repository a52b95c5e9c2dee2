"""A smoke test of the board benchmark with tiny numbers: both pages render, and they need the
same number of queries. Timings are never asserted: they depend on the machine."""

import pytest
from bench.board import check, main
from bench.collect import PostgresUnavailable, postgres_bin


def postgres_installed() -> bool:
    try:
        postgres_bin()
    except PostgresUnavailable:
        return False
    return True


def assert_sound(result: dict) -> None:
    small, big = result["sizes"]["60"], result["sizes"]["400"]
    assert (small["deals"], big["deals"]) == (60, 400)
    assert small["queries"] == big["queries"]
    assert result["same_queries"] is True
    # The manager sees one team's deals of three; a column shows at most 50 cards.
    assert 0 < small["open_deals_visible"] < big["open_deals_visible"] < 400
    assert small["cards"] == small["open_deals_visible"]
    assert big["cards"] <= 4 * 50
    assert result["ratio"] > 0
    assert check(result) == []


def test_board_bench_on_sqlite(tmp_path):
    results = main(
        ["--small", "60", "--big", "400", "--rounds", "1", "--postgres", "skip", "--json",
         str(tmp_path / "out.json")],
        quiet=True,
    )  # fmt: skip
    assert results["ok"] is True
    assert list(results["databases"]) == ["sqlite"]
    assert_sound(results["databases"]["sqlite"])
    assert (tmp_path / "out.json").read_text().startswith("{")


def test_board_bench_with_an_extra_index(tmp_path):
    results = main(
        ["--small", "60", "--big", "400", "--rounds", "1", "--postgres", "skip",
         "--index", "stage,stage_changed_at"],
        quiet=True,
    )  # fmt: skip
    assert_sound(results["databases"]["sqlite"])


@pytest.mark.skipif(not postgres_installed(), reason="PostgreSQL binaries are not installed")
def test_board_bench_on_postgresql():
    results = main(
        ["--small", "60", "--big", "400", "--rounds", "1", "--postgres", "require"], quiet=True
    )
    assert results["skipped"] == {}
    assert_sound(results["databases"]["postgresql"])
