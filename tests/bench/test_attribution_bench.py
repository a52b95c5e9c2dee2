"""A smoke test of the attribution benchmark with tiny numbers: the engine's Markov credits agree
with the pure-Python implementation and every model credits all conversions. Timings are never
asserted."""

import pytest
from bench.attribution import check, generate, main, naive_markov

from revline.analytics.engine import attribute


def test_attribution_bench_runs_and_agrees(tmp_path):
    results = main(["--rows", "3000", "--json", str(tmp_path / "out.json")], quiet=True)

    result = results["result"]
    assert results["ok"] is True
    assert result["rows"] == 3000
    assert result["answers_agree"] is True
    assert set(result["credited_conversions"]) == {
        "first_touch", "last_touch", "linear", "position_based", "time_decay", "markov",
        "shapley",
    }  # fmt: skip
    assert result["ratio_naive_over_engine_markov"] > 0
    assert result["ratio_naive_over_markov_model"] > 0
    assert check(result) == []
    assert (tmp_path / "out.json").read_text().startswith("{")


def test_naive_markov_matches_the_engine_on_the_classic_example():
    rows = generate(500, 4, seed=3)

    naive = naive_markov(rows)
    engine = attribute(rows, models=["markov"])

    for channel, effect in engine.removal_effects.items():
        assert naive["removal_effects"][channel] == pytest.approx(effect, abs=1e-9)
