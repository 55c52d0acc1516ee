"""Ranking by published benchmarks: models are compared only on the benchmarks both publish."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from llmzh.cli import app
from llmzh.ranking import standings
from llmzh.schema import Benchmark, Format, Model, Text

runner = CliRunner()


def model(ident: str, **scores: float) -> Model:
    benches = tuple(Benchmark(name.replace("_", "-"), value) for name, value in scores.items())
    return Model(ident, Text(ident, ident), Format.FULL, (), benchmarks=benches)


def test_strength_follows_shared_benchmarks_and_carries_across_them() -> None:
    old = model("old-2023", C_Eval=80.0)  # a high C-Eval score, nothing else published
    bridge = model("bridge-2025", C_Eval=83.0, MMLU_Pro=50.0)
    new = model("new-2026", MMLU_Pro=60.0)  # never reports C-Eval
    alone = model("alone", BBH=99.0)  # shares nothing with anyone
    got = standings([old, bridge, new, alone])
    order = sorted((i for i in got if got[i].strength is not None), key=lambda i: -(got[i].strength or 0.0))
    assert order == ["new-2026", "bridge-2025", "old-2023"]  # new beats old through the bridge, never met
    assert got["alone"].strength is None and got["alone"].games == 0
    assert got["bridge-2025"].benchmarks == ("C-Eval", "MMLU-Pro")
    assert (got["bridge-2025"].games, got["bridge-2025"].opponents) == (2, 2)


def test_a_missing_score_counts_neither_for_nor_against() -> None:
    a = model("a", C_Eval=70.0, CMMLU=70.0)
    b = model("b", C_Eval=60.0)  # no CMMLU: it is not a loss
    c = model("c", C_Eval=50.0, CMMLU=80.0)
    got = standings([a, b, c])
    assert got["b"].games == 2 and got["b"].benchmarks == ("C-Eval",)
    strengths = {i: got[i].strength for i in got}
    assert strengths["a"] is not None and strengths["b"] is not None and strengths["c"] is not None
    assert strengths["a"] > strengths["b"]  # a beat b on the one benchmark they share


def test_reason_line_says_what_the_rank_rests_on() -> None:
    from pathlib import Path

    rank = Path(__file__).parent / "fixtures" / "catalog_rank.yaml"
    result = runner.invoke(app, ["recommend", "--vram", "16", "--json"], env={"LLMZH_CATALOG": str(rank)})
    picks = {p["model"]: p for p in json.loads(result.stdout)}
    assert "ranked on benchmarks shared with 1 model: C-Eval 85" in picks["beta-6b"]["reason"]
    assert picks["beta-6b"]["rank_basis"] == {"benchmarks": ["C-Eval"], "games": 1, "opponents": 1}
    assert "no benchmark shared with another model" in picks["gamma-2b"]["reason"]
    assert picks["gamma-2b"]["strength"] is None


def test_recommend_on_the_shipped_catalog_puts_a_recent_model_first() -> None:
    result = runner.invoke(app, ["recommend", "--vram", "8", "--json"])
    assert result.exit_code == 0, result.stderr
    first = json.loads(result.stdout)[0]
    assert first["release_date"] >= "2025-01", first


def test_the_higher_score_wins_whatever_the_ids() -> None:
    for low, high in (("a-low", "z-high"), ("z-low", "a-high")):
        got = standings([model(low, C_Eval=60.0), model(high, C_Eval=70.0)])
        assert (got[high].strength or 0.0) > (got[low].strength or 0.0), (low, high)
    tie = standings([model("x", C_Eval=65.0), model("y", C_Eval=65.0)])
    assert tie["x"].strength == tie["y"].strength


def test_list_sort_score_uses_the_same_ranking() -> None:
    from pathlib import Path

    rank = Path(__file__).parent / "fixtures" / "catalog_rank.yaml"
    result = runner.invoke(app, ["list", "--sort", "score", "--json"], env={"LLMZH_CATALOG": str(rank)})
    models = list(dict.fromkeys(r["model"] for r in json.loads(result.stdout)))
    assert models == ["beta-6b", "alpha-7b", "gamma-1b", "gamma-2b"]  # gamma shares no benchmark: last
