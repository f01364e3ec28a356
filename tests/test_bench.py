"""The benchmark harness works (figures, table, JSON) and a real benchmark runs end to end."""

import json

import pytest

from bench import serving
from bench.harness import Figure, interleaved_rates, table, write_json


def test_figures_table_and_json(tmp_path):
    figures = [Figure("fast", 2.0, 1.8, ">=", detail={"img/s": 512.0}), Figure("slow_s", 9.5, 8, "<=", " s")]
    assert [f.passed for f in figures] == [True, False]
    text = table(figures)
    assert "fast" in text and "pass" in text and "FAIL" in text and "img/s 512" in text
    write_json(figures, tmp_path / "b.json", {"quick": True})
    data = json.loads((tmp_path / "b.json").read_text())
    assert data["figures"] == {"fast": 2.0, "slow_s": 9.5} and data["details"]["slow_s"]["passed"] is False


def test_interleaved_rates_counts_items_per_second():
    rates = interleaved_rates({"a": lambda: 10, "b": lambda: 20}, rounds=3)
    assert rates["b"] > rates["a"] > 0


@pytest.mark.slow
def test_predict_overhead_benchmark_runs():
    (figure,) = serving.predict_overhead(quick=True)
    assert figure.key == "predict_overhead" and figure.value > 0
    assert figure.detail["end-to-end ms"] >= figure.detail["forward ms"] * 0.5
