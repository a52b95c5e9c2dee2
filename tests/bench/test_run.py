"""A smoke test of the benchmark with tiny numbers: it runs end to end and counts correctly.

Timings are never asserted: they depend on the machine.
"""

from bench.run import CLICK_KNOWN, CLICK_NEW, NOOP, Measure, main


def test_measure_percentiles_and_rate():
    measure = Measure("x", requests=4, errors=0, seconds=2.0, latencies_ms=[4.0, 1.0, 3.0, 2.0])
    assert measure.rps == 2.0
    assert measure.percentile(0.5) == 3.0
    assert measure.percentile(0.95) == 4.0
    assert Measure("empty", 0, 0, 0.0).rps == 0.0


def test_bench_drives_a_real_server_and_every_click_is_recorded(tmp_path):
    # Given a tiny run: one round of 15 requests per endpoint, from 2 threads, on 1 worker
    results = main(
        ["--requests", "15", "--rounds", "1", "--concurrency", "2", "--workers", "1",
         "--threads", "2", "--warmup", "3", "--json", str(tmp_path / "out.json")],
        quiet=True,
    )  # fmt: skip
    # Then every endpoint answered every request as expected
    [round_one] = results["rounds"]
    assert [m["endpoint"] for m in round_one] == [NOOP, CLICK_NEW, CLICK_KNOWN]
    assert [(m["requests"], m["errors"]) for m in round_one] == [(15, 0), (15, 0), (15, 0)]
    assert results["errors"] == 0
    # And each redirect left exactly one touchpoint (warm-up clicks included)
    assert results["touchpoints"] == {"clicks": 36, "recorded": 36}
    assert set(results["ratio"]) == {CLICK_NEW, CLICK_KNOWN}
    assert all(ratio > 0 for ratio in results["ratio"].values())
    assert (tmp_path / "out.json").read_text().startswith("{")
