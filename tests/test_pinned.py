"""What users see from list, recommend and the selection underneath, pinned against values computed by hand.

Written to kill mutants (bench/mutants.py): every boundary is tested on both sides, every sort order with
unknown values mixed in, every filter alone. Expected values come from the fixture catalogs, not from the code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmzh import fit
from llmzh.catalog import load_catalog
from llmzh.cli import app
from llmzh.recommend import Pick, pick_json, recommend
from llmzh.schema import Catalog, Entry, Figure, FigureKind, Quant
from llmzh.select import Filters, Need, comparable, make_row, runs_on_cpu, select, sort_rows

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "catalog_small.yaml"
RANK = FIXTURES / "catalog_rank.yaml"
runner = CliRunner()

# Qwen2.5-0.5B-Instruct's config.json (as in data/models.yaml); no published figure, so every need is estimated.
ESTIMATED = """\
version: 1
projects:
- id: est
  name: Est
  description: A model known only by its architecture.
  license: {commercial: free, code: Apache-2.0, source: https://example.org/e}
  models:
  - id: est-0.5b
    name: Est-0.5B
    format: full
    tasks: [chat]
    architecture:
      source: https://example.org/e/config.json
      config: {model_type: qwen2, num_hidden_layers: 24, hidden_size: 896, intermediate_size: 4864,
               num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, tie_word_embeddings: true,
               max_position_embeddings: 32768, hidden_act: silu}
    variants:
    - {id: est-0.5b-bf16, quant: bf16, repo: org/est-0.5b}
    - {id: est-0.5b-q4, quant: q4_k_m, format: gguf, repo: org/est-0.5b-gguf}
    - {id: est-0.5b-cpu, quant: fp32, device: cpu, quantize_from: est-0.5b-bf16}
"""
# KV cache per token of that config: K and V x 24 layers x 2 KV heads x 64 dims x 2 bytes (bf16).
KV_BYTES_PER_TOKEN = 2 * 24 * 2 * (896 // 14) * 2
GiB = 1 << 30
GLM_GPU = ["glm-demo-fp16", "glm-demo-int8", "glm-demo-int4", "glm-demo-int4-qe"]


@pytest.fixture(scope="module")
def small() -> Catalog:
    return load_catalog(SMALL)


@pytest.fixture(scope="module")
def rank() -> Catalog:
    return load_catalog(RANK)


@pytest.fixture
def estimated(tmp_path: Path) -> Path:
    path = tmp_path / "estimated.yaml"
    path.write_text(ESTIMATED, encoding="utf-8")
    return path


def entry(catalog: Catalog, variant_id: str) -> Entry:
    return next(e for e in catalog.entries() if e.variant.id == variant_id)


def invoke(*args: str) -> object:
    """Run llmzh; `--catalog PATH` here replaces the built-in catalog (LLMZH_CATALOG) instead of adding to it."""
    argv = list(args)
    env = {}
    if "--catalog" in argv:
        at = argv.index("--catalog")
        env["LLMZH_CATALOG"] = argv[at + 1]
        del argv[at : at + 2]
    return runner.invoke(app, argv, env=env)


def cli_json(*args: str) -> list[dict[str, object]]:
    result: Any = invoke(*args, "--json")
    assert result.exit_code == 0, result.stderr
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


# ---------------------------------------------------------------- estimates at two contexts


def test_list_shows_a_larger_estimate_for_a_longer_context(estimated: Path) -> None:
    short = {r["id"]: r for r in cli_json("list", "--catalog", str(estimated), "--ctx", "2048")}
    long = {r["id"]: r for r in cli_json("list", "--catalog", str(estimated), "--ctx", "32768")}
    for row in (short["est-0.5b-bf16"], long["est-0.5b-bf16"]):
        assert row["vram_source"] == "estimated"
    grown = float(long["est-0.5b-bf16"]["vram_gb"]) - float(short["est-0.5b-bf16"]["vram_gb"])  # type: ignore[arg-type]
    # at least the KV cache of the 30720 more tokens, computed by hand from the config
    assert grown >= (32768 - 2048) * KV_BYTES_PER_TOKEN / GiB - 0.01
    assert short["est-0.5b-cpu"]["vram_gb"] is None  # a CPU mode is never given a GPU estimate
    result: Any = invoke("list", "--catalog", str(estimated), "--ctx", "32768", "--lang", "en")
    line = next(line for line in result.stdout.splitlines() if line.startswith("est-0.5b-bf16"))
    assert f"≈{long['est-0.5b-bf16']['vram_gb']:.1f} GB" in line or "≈" in line.split()[2]


def test_recommend_needs_more_at_a_longer_context(estimated: Path) -> None:
    def need(ctx: str) -> float:
        (pick,) = cli_json("recommend", "--catalog", str(estimated), "--vram", "80", "--ctx", ctx)
        assert pick["id"] == "est-0.5b-bf16" and pick["need_source"] == "estimated" and pick["ctx"] == int(ctx)
        return float(pick["need_gb"])  # type: ignore[arg-type]

    assert need("32768") - need("2048") >= (32768 - 2048) * KV_BYTES_PER_TOKEN / GiB - 0.01


def estimate_json(catalog: Path, *args: str) -> dict[str, object]:
    data: object = cli_json("estimate", "est-0.5b", "--catalog", str(catalog), "--quant", "bf16", *args)
    if isinstance(data, dict):  # --finetune prints one object
        return data
    (row,) = data  # type: ignore[misc]
    return row  # type: ignore[no-any-return]


def test_list_estimates_are_the_estimate_commands_totals(estimated: Path) -> None:
    """`list` (through fit's memo) and `estimate` (straight from the estimator) agree, in GiB, at each context."""
    for ctx in ("2048", "32768"):
        (row,) = [r for r in cli_json("list", "--catalog", str(estimated), "--ctx", ctx) if r["id"] == "est-0.5b-bf16"]
        total = estimate_json(estimated, "--ctx", ctx)["total_bytes"]
        assert row["vram_gb"] == pytest.approx(total / GiB, rel=1e-12)  # type: ignore[operator]
    (default,) = [r for r in cli_json("list", "--catalog", str(estimated)) if r["id"] == "est-0.5b-bf16"]
    assert default["vram_gb"] == pytest.approx(estimate_json(estimated, "--ctx", "2048")["total_bytes"] / GiB)  # type: ignore[operator]
    finetune = estimate_json(estimated, "--finetune", "lora", "--seq", "512")["total_bytes"]
    assert default["finetune_vram_gb"] == pytest.approx(finetune / GiB)  # type: ignore[operator]
    (gguf,) = [r for r in cli_json("list", "--catalog", str(estimated)) if r["id"] == "est-0.5b-q4"]
    # RAM of a llama.cpp run is the GPU estimate less the 512 MiB CUDA context
    assert gguf["vram_gb"] - gguf["ram_gb"] == pytest.approx(0.5)  # type: ignore[operator]


def test_cpu_mode_recommends_by_ram_and_gpu_mode_by_vram(estimated: Path) -> None:
    cpu = cli_json("recommend", "--catalog", str(estimated), "--ram", "64")
    # the GGUF file, by its estimated RAM; the fp32 CPU mode has no published or estimated figure
    assert [(p["id"], p["device"], p["need_source"]) for p in cpu] == [("est-0.5b-q4", "cpu", "estimated")]
    gpu = cli_json("recommend", "--catalog", str(estimated), "--vram", "80")
    assert [(p["id"], p["device"]) for p in gpu] == [("est-0.5b-bf16", "gpu")]


# ---------------------------------------------------------------- select: comparable figures


@pytest.mark.parametrize(
    ("measured", "ctx", "holds"),
    [
        (None, 2048, True),  # unstated: taken at 2048
        (None, 512, True),  # 2048 <= 4 x 512
        (None, 511, False),  # 2048 > 4 x 511: would overstate
        (None, 2049, False),  # measured at less than wanted
        (8192, 8192, True),
        (8192, 2048, True),
        (8192, 2047, False),
        (8192, 8193, False),
    ],
)
def test_a_published_figure_holds_only_for_comparable_contexts(measured: int | None, ctx: int, holds: bool) -> None:
    assert comparable(Figure(5.0, ctx=measured), ctx) is holds


def test_a_figure_of_the_weights_alone_never_holds() -> None:
    assert comparable(Figure(5.0, kind=FigureKind.WEIGHTS, ctx=2048), 2048) is False
    assert comparable(Figure(5.0, kind=FigureKind.MIN, ctx=2048), 2048) is True


def test_make_row_prefers_published_figures_then_the_estimator(small: Catalog) -> None:
    def estimator(e: Entry, purpose: str) -> float | None:
        return {"inference": 1.5, "finetune": 2.5, "ram": 3.5}[purpose]

    row = make_row(entry(small, "glm-demo-fp16"), ctx=2048, estimator=estimator)
    assert (row.vram, row.finetune_vram.gb, row.ram.gb) == (Need(13.0, "published", row.vram.figure), 14.0, 13.0)
    longer = make_row(entry(small, "glm-demo-fp16"), ctx=4096, estimator=estimator)
    assert longer.vram == Need(1.5, "estimated")  # 13 GB at 2048 says nothing about 4096 tokens
    assert longer.finetune_vram.gb == 14.0  # fine-tuning figures hold whatever the context
    assert make_row(entry(small, "glm-demo-fp16"), ctx=4096).vram == Need()  # no estimator: unknown
    cpu = make_row(entry(small, "glm-demo-cpu"), estimator=estimator)
    assert (cpu.vram, cpu.finetune_vram, cpu.ram.gb) == (Need(), Need(), 32.0)
    ggml = make_row(entry(small, "llama-zh-demo-7b-q4"), estimator=estimator)
    assert (ggml.ram.gb, ggml.ram.source) == (5.0, "published")
    fp16 = make_row(entry(small, "llama-zh-demo-7b-fp16"), estimator=estimator)
    assert fp16.ram == Need()  # not a CPU runtime: no RAM estimate


def test_runs_on_cpu(small: Catalog) -> None:
    assert [e.variant.id for e in small.entries() if runs_on_cpu(e)] == ["glm-demo-cpu", "llama-zh-demo-7b-q4"]


# ---------------------------------------------------------------- select: filters, each alone


def ids(rows: object) -> list[str]:
    return [r.id for r in rows]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(quants=frozenset({Quant.INT4, Quant.INT4_QE})), ["glm-demo-int4", "glm-demo-int4-qe"]),
        (
            Filters(commercial=True),
            ["glm-demo-fp16", "glm-demo-int8", "glm-demo-int4", "glm-demo-int4-qe", "glm-demo-cpu"],
        ),
        (Filters(license="gpl"), ["llama-zh-demo-7b-fp16", "llama-zh-demo-7b-q4"]),
        (Filters(base="llama-7b-alt"), ["vicuna-demo-7b"]),
        (Filters(base="demo/llama-7b-hf"), ["vicuna-demo-7b"]),  # the base repo itself
        (Filters(base="glm"), [*GLM_GPU, "glm-demo-cpu"]),  # the project's base model
        (Filters(search="医学"), ["vicuna-demo-medical"]),
        (Filters(cpu=True), ["glm-demo-cpu", "llama-zh-demo-7b-q4"]),
    ],
)
def test_each_filter_alone(small: Catalog, filters: Filters, expected: list[str]) -> None:
    selection = select(small, filters)
    assert ids(selection.rows) == expected
    assert selection.unknown == () and selection.misses == ()


def test_limits_memory() -> None:
    assert (Filters().limits_memory, Filters(vram_gb=1).limits_memory, Filters(ram_gb=1).limits_memory) == (
        False,
        True,
        True,
    )


def test_a_vram_limit_fits_at_equality_and_sorts_unknown_and_misses_apart(small: Catalog) -> None:
    selection = select(small, Filters(vram_gb=8.0))
    assert ids(selection.rows) == ["glm-demo-int8", "glm-demo-int4", "glm-demo-int4-qe"]  # 8 GB fits 8 GB
    assert ids(selection.misses) == ["glm-demo-fp16"]
    assert ids(selection.unknown) == [
        "vicuna-demo-7b",
        "vicuna-demo-medical",
        "llama-zh-demo-7b-fp16",
        "llama-zh-demo-7b-q4",  # a GGML file on the GPU: no figure
    ]
    assert selection.nearest_miss(finetune=False, ram=False).id == "glm-demo-fp16"  # type: ignore[union-attr]
    assert ids(select(small, Filters(vram_gb=7.99)).misses) == ["glm-demo-fp16", "glm-demo-int8"]


def test_a_finetune_limit_reads_the_finetune_figures(small: Catalog) -> None:
    selection = select(small, Filters(vram_gb=9.0, finetune=True))
    assert ids(selection.rows) == ["glm-demo-int8", "glm-demo-int4", "vicuna-demo-7b"]
    assert ids(selection.misses) == ["glm-demo-fp16"]
    assert selection.nearest_miss(finetune=True, ram=False).id == "glm-demo-fp16"  # type: ignore[union-attr]


def test_a_ram_limit_reads_the_ram_figures(small: Catalog) -> None:
    selection = select(small, Filters(ram_gb=5.0))
    assert ids(selection.rows) == ["llama-zh-demo-7b-q4"]  # 5 GB fits 5 GB
    assert ids(selection.misses) == ["glm-demo-cpu"]
    assert selection.nearest_miss(finetune=False, ram=True).id == "glm-demo-cpu"  # type: ignore[union-attr]
    assert ids(select(small, Filters(ram_gb=4.99)).misses) == ["glm-demo-cpu", "llama-zh-demo-7b-q4"]
    assert select(small, Filters(ram_gb=100.0, search="nothing-matches")).nearest_miss(finetune=False, ram=True) is None


def test_the_nearest_miss_is_the_smallest_even_after_larger_ones(small: Catalog) -> None:
    selection = select(small, Filters(vram_gb=1.0))
    assert selection.nearest_miss(finetune=False, ram=False).id == "glm-demo-int4-qe"  # type: ignore[union-attr]


# ---------------------------------------------------------------- sort orders, unknown rows mixed in


@pytest.fixture
def rows(small: Catalog) -> list[object]:
    return list(select(small, Filters()).rows)


def test_sort_by_vram_puts_unknown_last_and_breaks_ties_by_id(rows: list[object]) -> None:
    assert ids(sort_rows(rows, "vram")) == [  # type: ignore[arg-type]
        "glm-demo-int4-qe",
        "glm-demo-int4",
        "glm-demo-int8",
        "glm-demo-fp16",
        "glm-demo-cpu",  # the unknown ones, by id
        "llama-zh-demo-7b-fp16",
        "llama-zh-demo-7b-q4",
        "vicuna-demo-7b",
        "vicuna-demo-medical",
    ]


def test_sort_by_ram_and_by_finetune_figure(rows: list[object]) -> None:
    by_ram = ids(sort_rows(rows, "vram", ram=True))  # type: ignore[arg-type]
    assert by_ram[:4] == ["llama-zh-demo-7b-q4", "glm-demo-int4", "glm-demo-fp16", "glm-demo-cpu"]
    by_ft = ids(sort_rows(rows, "vram", finetune=True))  # type: ignore[arg-type]
    assert by_ft[:5] == ["glm-demo-int4", "glm-demo-int8", "vicuna-demo-7b", "glm-demo-fp16", "glm-demo-cpu"]


def test_sort_by_name_params_and_score(rows: list[object]) -> None:
    assert ids(sort_rows(rows, "name")) == sorted(ids(rows))  # type: ignore[arg-type]
    by_params = ids(sort_rows(rows, "params"))  # type: ignore[arg-type]
    assert by_params[:5] == ["glm-demo-cpu", "glm-demo-fp16", "glm-demo-int4", "glm-demo-int4-qe", "glm-demo-int8"]
    assert by_params[5:] == ["vicuna-demo-7b", "llama-zh-demo-7b-fp16", "llama-zh-demo-7b-q4", "vicuna-demo-medical"]
    by_score = ids(sort_rows(rows, "score"))  # type: ignore[arg-type]
    assert by_score[:5] == by_params[:5]  # C-Eval 38.9: the only scored model first
    assert by_score[5:] == sorted(by_score[5:])


def test_sort_by_live_figures(rows: list[object]) -> None:
    figures = {"glm-demo-fp16": 10.0, "glm-demo-int4": 30.0, "glm-demo-int8": 20.0, "vicuna-demo-medical": 0.0}

    def live(row: object, key: str) -> float | None:
        return figures.get(row.id)  # type: ignore[attr-defined]

    by_downloads = ids(sort_rows(rows, "downloads", live=live))  # type: ignore[arg-type]
    # high to low, none (0) before unknown
    assert by_downloads[:4] == ["glm-demo-int4", "glm-demo-int8", "glm-demo-fp16", "vicuna-demo-medical"]
    assert by_downloads[4:] == sorted(by_downloads[4:])  # unknown last, by id
    by_likes = ids(sort_rows(rows, "likes", live=live))  # type: ignore[arg-type]
    assert by_likes == by_downloads
    by_size = ids(sort_rows(rows, "size", live=live))  # type: ignore[arg-type]
    assert by_size[:4] == ["vicuna-demo-medical", "glm-demo-fp16", "glm-demo-int8", "glm-demo-int4"]  # low to high
    assert by_size[4:] == sorted(by_size[4:])
    assert ids(sort_rows(rows, "downloads")) == ids(rows)  # type: ignore[arg-type]  # no live figures: as listed


def test_sort_by_score_puts_the_best_first_whatever_the_ids(rank: Catalog) -> None:
    scored = ids(sort_rows(select(rank, Filters()).rows, "score"))
    assert scored == [
        "beta-6b-fp16",  # C-Eval 85
        "beta-6b-int4",
        "alpha-7b-awq",  # C-Eval 80, CMMLU 82
        "alpha-7b-bf16",
        "alpha-7b-gptq-int8",
        "gamma-1b-bf16",  # no scores: by id
        "gamma-1b-q4",
        "gamma-2b-bf16",
    ]


def test_list_default_order_and_every_sort_through_the_cli() -> None:
    default = [r["id"] for r in cli_json("list", "--catalog", str(SMALL))]
    assert default[:4] == ["glm-demo-int4-qe", "glm-demo-int4", "glm-demo-int8", "glm-demo-fp16"]
    assert default[4:] == sorted(default[4:])  # unknown VRAM after every known one
    assert [r["id"] for r in cli_json("list", "--catalog", str(SMALL), "--sort", "name")] == sorted(default)


# ---------------------------------------------------------------- recommend


def test_commercial_keeps_only_rows_whose_licence_allows_it(rank: Catalog) -> None:
    picks = recommend(rank, vram_gb=16, ram_gb=None, ctx=4096, estimator=lambda e, p: None, commercial=True)
    assert [(p.entry.variant.id, p.need.gb) for p in picks] == [
        ("alpha-7b-bf16", 15.5),
        ("gamma-1b-bf16", 2.5),
        ("gamma-2b-bf16", 5.5),
    ]


def test_a_pick_fits_at_equality_and_takes_the_best_level(rank: Catalog) -> None:
    def ids_at(vram: float) -> list[str]:
        picks = recommend(rank, vram_gb=vram, ram_gb=None, ctx=4096, estimator=lambda e, p: None)
        return [p.entry.variant.id for p in picks]

    assert ids_at(15.5) == ["beta-6b-fp16", "alpha-7b-bf16", "gamma-1b-bf16", "gamma-2b-bf16"]
    assert ids_at(15.49) == ["beta-6b-fp16", "alpha-7b-gptq-int8", "gamma-1b-bf16", "gamma-2b-bf16"]
    assert ids_at(5.0) == ["beta-6b-int4", "gamma-1b-bf16"]
    assert recommend(rank, vram_gb=None, ram_gb=None, ctx=4096, estimator=lambda e, p: None) == []


def test_cpu_mode_judges_ram_and_ignores_gpu_only_rows(rank: Catalog) -> None:
    picks = recommend(rank, vram_gb=None, ram_gb=1.5, ctx=4096, estimator=lambda e, p: None)
    assert [(p.entry.variant.id, p.device, p.need.gb) for p in picks] == [("gamma-1b-q4", "cpu", 1.5)]
    assert recommend(rank, vram_gb=None, ram_gb=1.49, ctx=4096, estimator=lambda e, p: None) == []


def test_task_filter(rank: Catalog) -> None:
    picks = recommend(rank, vram_gb=16, ram_gb=None, ctx=4096, estimator=lambda e, p: None, task="code")
    assert [p.entry.model.id for p in picks] == ["alpha-7b"]


def test_ties_are_broken_by_date_then_downloads_then_id(tmp_path: Path) -> None:
    models = []
    for name, date in (
        ("c-new", "2024-05-01"),
        ("b-old-popular", "2023-01-01"),
        ("a-old-quiet", "2023-01-01"),
        ("d-old-quiet", "2023-01-01"),
        ("e-old-unknown", "2023-01-01"),
        ("f-old-one", "2023-01-01"),
    ):
        models.append(
            f"""  - id: {name}
    name: {name}
    format: full
    tasks: [chat]
    release_date: {{value: {date}, source: https://example.org/t}}
    variants:
    - {{id: {name}-fp16, quant: fp16, repo: org/{name}, vram_gb: {{value: 4, unit: GB, ctx: 4096, source: https://example.org/t}}}}
"""
        )
    text = (
        "version: 1\nprojects:\n- id: tie\n  name: Tie\n  description: Ties.\n"
        "  license: {commercial: free, code: MIT, source: https://example.org/t}\n  models:\n" + "".join(models)
    )
    path = tmp_path / "tie.yaml"
    path.write_text(text, encoding="utf-8")
    catalog = load_catalog(path)
    counts = {
        "c-new": 1,
        "b-old-popular": 500,
        "a-old-quiet": 5,
        "d-old-quiet": 5,
        "e-old-unknown": None,
        "f-old-one": 1,
    }
    picks = recommend(
        catalog, vram_gb=8, ram_gb=None, ctx=4096, estimator=lambda e, p: None, downloads=lambda e: counts[e.model.id]
    )
    assert [p.entry.model.id for p in picks] == [
        "c-new",  # newest
        "b-old-popular",  # then the most downloaded
        "a-old-quiet",  # equal downloads: by id
        "d-old-quiet",
        "f-old-one",
        "e-old-unknown",  # unknown downloads count as none
    ]


LEVELS = """\
version: 1
projects:
- id: lv
  name: Levels
  description: Variants listed worst first.
  license: {commercial: free, code: MIT, source: https://example.org/l}
  models:
  - id: lv-7b
    name: Lv-7B
    format: full
    tasks: [chat]
    variants:
    - {id: lv-awq-a, quant: awq, repo: org/a, vram_gb: {value: 6, unit: GB, ctx: 4096, source: https://example.org/l}}
    - {id: lv-gptq-b, quant: gptq-int4, repo: org/b, vram_gb: {value: 5, unit: GB, ctx: 4096, source: https://example.org/l}}
    - {id: lv-awq-c, quant: awq, repo: org/c, vram_gb: {value: 5, unit: GB, ctx: 4096, source: https://example.org/l}}
    - {id: lv-bf16, quant: bf16, repo: org/d, vram_gb: {value: 9, unit: GB, ctx: 4096, source: https://example.org/l}}
"""


@pytest.mark.parametrize(
    ("vram", "expected"),
    [
        (16.0, "lv-bf16"),  # the best level, though listed last
        (8.0, "lv-gptq-b"),  # equal quality: the one with more room; equal room: the first listed
    ],
)
def test_the_best_level_of_a_model_wins_then_the_most_room(tmp_path: Path, vram: float, expected: str) -> None:
    path = tmp_path / "levels.yaml"
    path.write_text(LEVELS, encoding="utf-8")
    (pick,) = recommend(load_catalog(path), vram_gb=vram, ram_gb=None, ctx=4096, estimator=lambda e, p: None)
    assert pick.entry.variant.id == expected


def test_models_with_a_shared_benchmark_rank_above_the_others(rank: Catalog) -> None:
    picks = recommend(rank, vram_gb=16, ram_gb=None, ctx=4096, estimator=lambda e, p: None)
    assert [(p.entry.model.id, p.standing.benchmarks) for p in picks] == [
        ("beta-6b", ("C-Eval",)),  # 85 against alpha's 80 on the one benchmark both publish
        ("alpha-7b", ("C-Eval",)),  # though older than the gammas
        ("gamma-1b", ()),  # no benchmark: newer first
        ("gamma-2b", ()),
    ]
    beta, alpha = picks[0].standing.strength, picks[1].standing.strength
    assert beta is not None and alpha is not None and beta > 0 > alpha


@pytest.mark.parametrize(
    ("budget", "need", "tight"),
    [(10.0, 9.0, False), (10.0, 9.01, True), (4.0, 3.5, False), (4.0, 3.51, True)],
)
def test_tight_below_a_tenth_of_the_budget_or_half_a_gigabyte(
    rank: Catalog, budget: float, need: float, tight: bool
) -> None:
    pick = Pick(entry(rank, "alpha-7b-awq"), Need(need, "published"), budget, "gpu", 4096, None)
    assert pick.tight is tight
    assert pick.spare_gb == pytest.approx(budget - need)


def test_pick_json_carries_the_reasons(rank: Catalog) -> None:
    pick = Pick(entry(rank, "alpha-7b-awq"), Need(7.6049, "published"), 8.12345, "gpu", 4096, 1234)
    assert pick_json(2, pick, {"alpha-7b-awq": "org/alpha-7b-awq"}) == {
        "rank": 2,
        "id": "alpha-7b-awq",
        "model": "alpha-7b",
        "project": "alpha",
        "repo": "org/alpha-7b-awq",
        "quant": "awq",
        "device": "gpu",
        "ctx": 4096,
        "need_gb": 7.6,
        "need_source": "published",
        "budget_gb": 8.12,
        "spare_gb": 0.52,
        "tight": True,
        "ceval": 80,
        "cmmlu": 82,
        "strength": None,  # a Pick made by hand carries no standing
        "rank_basis": {"benchmarks": [], "games": 0, "opponents": 0},
        "release_date": "2024-09-01",
        "downloads": 1234,
        "commercial": "free",
        "tasks": ["chat", "code"],
    }


# ---------------------------------------------------------------- fit


@pytest.mark.parametrize(
    ("quant", "method"),
    [
        (Quant.INT4, "ptuning"),
        (Quant.INT8, "ptuning"),
        (Quant.INT4_QE, "ptuning"),
        (Quant.AWQ, "qlora"),
        (Quant.GPTQ_INT4, "qlora"),
        (Quant.BNB_NF4, "qlora"),
        (Quant.BF16, "lora"),
        (Quant.GPTQ_INT8, "lora"),
    ],
)
def test_finetune_method(quant: Quant, method: str) -> None:
    assert fit.finetune_method(quant) == method


def test_estimate_gb_by_purpose(estimated: Path) -> None:
    catalog = load_catalog(estimated)
    bf16, q4, cpu = (entry(catalog, v) for v in ("est-0.5b-bf16", "est-0.5b-q4", "est-0.5b-cpu"))
    inference = fit.estimate_gb(bf16)
    assert inference is not None and inference == fit.estimate_gb(bf16, ctx=fit.DEFAULT_CTX)
    assert fit.estimate_gb(bf16, ctx=8192) > inference  # type: ignore[operator]
    finetune = fit.estimate_gb(bf16, "finetune")
    assert finetune is not None and finetune > inference
    assert fit.estimate_gb(bf16, "ram") is None  # RAM estimates are for llama.cpp files only
    assert fit.estimate_gb(q4, "finetune") is None  # GGUF files are not fine-tuned
    ram = fit.estimate_gb(q4, "ram")
    gpu = fit.estimate_gb(q4)
    assert ram is not None and gpu is not None and 0 < ram < gpu  # the same run without the CUDA context
    assert fit.estimate_gb(cpu) is None and fit.estimate_gb(cpu, "finetune") is None


def test_catalog_target_levels_and_published_figures(small: Catalog, estimated: Path) -> None:
    glm = [e for e in small.entries() if e.model.id == "glm-demo"]
    catalog = load_catalog(estimated)
    est = [e for e in catalog.entries() if e.model.id == "est-0.5b"]
    arch = fit.model_arch(est[0])
    assert arch is not None
    target = fit.catalog_target(glm, "glm-demo", arch)
    assert target.levels == (Quant.FP16, Quant.INT8, Quant.INT4, Quant.INT4_QE)  # the GPU levels, CPU mode left out
    assert {q: f.value for q, f in target.published.items()} == {
        Quant.FP16: 13,
        Quant.INT8: 8,
        Quant.INT4: 6,
        Quant.INT4_QE: 4.3,
    }
    assert target.repos == (
        (Quant.FP16, "demo/glm-demo"),
        (Quant.INT4, "demo/glm-demo-int4"),
        (Quant.INT4_QE, "demo/glm-demo-int4-qe"),
    )  # INT8 and the CPU mode are made at load time: no repo of their own
    assert target.native_ctx == 2048  # the catalog's context_length
    own = fit.catalog_target(est, "est-0.5b", arch)
    assert own.published == {} and own.native_ctx == 32768  # none in the catalog: the config's
    assert own.repos == ((Quant.BF16, "org/est-0.5b"), (Quant.Q4_K_M, "org/est-0.5b-gguf"))


def test_memoized_estimates_are_used_and_a_tampered_memo_is_recomputed(estimated: Path, tmp_path: Path) -> None:
    catalog = load_catalog(estimated)
    bf16 = entry(catalog, "est-0.5b-bf16")
    first = fit.default_estimator(catalog, 4096)(bf16, "inference")
    assert first == fit.estimate_gb(bf16, ctx=4096)
    (memo,) = (tmp_path / "_sandbox" / "llmzh_cache" / "catalog").glob("*.estimates-4096.json")
    stored = json.loads(memo.read_text(encoding="utf-8"))
    for item in stored["value"]:
        if item[:2] == ["est-0.5b-bf16", "inference"]:
            item[2] = 42.0
    memo.write_text(json.dumps(stored), encoding="utf-8")
    assert fit.default_estimator(catalog, 4096)(bf16, "inference") == 42.0  # read from the memo
    good = ["est-0.5b-bf16", "inference", 42.0]
    for bad in (
        [good, ["est-0.5b-bf16", "inference", "big"]],
        [good, ["est-0.5b-bf16", "colour", 1.0]],
        [good, [7, "inference", 1.0]],
        [good, ["est-0.5b-bf16", "inference", True]],
        [["est-0.5b-bf16", "inference", 0.0]],
        [["est-0.5b-bf16", "inference", 1e9]],
        [good, [1, 2]],
        [good, "item"],
        {"a": 1},
    ):
        memo.write_text(json.dumps({**stored, "value": bad}), encoding="utf-8")
        assert fit.default_estimator(catalog, 4096)(bf16, "inference") == first  # refused, recomputed
    assert fit.default_estimator(catalog, 8192)(bf16, "inference") != first  # keyed by the context


def test_list_commercial_drops_rows_with_known_vram_whose_licence_forbids_it() -> None:
    rows = cli_json("list", "--catalog", str(RANK), "--vram", "16", "--commercial")
    assert [r["id"] for r in rows] == [
        "gamma-1b-bf16",
        "gamma-2b-bf16",
        "alpha-7b-awq",
        "alpha-7b-gptq-int8",
        "alpha-7b-bf16",
    ]
    everything = [r["id"] for r in cli_json("list", "--catalog", str(RANK), "--vram", "16")]
    assert {"beta-6b-fp16", "beta-6b-int4"} <= set(everything)  # research-only: fits, but not for commercial use


@pytest.mark.parametrize(("ctx", "fits"), [(None, True), (2047, True), (2048, True), (2049, False)])
def test_a_model_holds_its_context_length_and_no_more(small: Catalog, ctx: int | None, fits: bool) -> None:
    from llmzh.select import fits_context

    glm = entry(small, "glm-demo-int4")  # context_length 2048
    assert fits_context(glm, ctx) is fits
    assert fits_context(entry(small, "vicuna-demo-7b"), 10**6) is True  # unknown context: not ruled out


def test_pick_json_rounds_the_benchmark_strength_to_three_places(rank: Catalog) -> None:
    beta = recommend(rank, vram_gb=16, ram_gb=None, ctx=4096, estimator=lambda e, p: None)[0]
    strength = beta.standing.strength
    assert strength is not None and strength != round(strength, 3)  # more digits than shown
    data = pick_json(1, beta, {})
    assert data["strength"] == round(strength, 3) and len(str(data["strength"]).split(".")[1]) == 3
    assert data["rank_basis"] == {"benchmarks": ["C-Eval"], "games": 1, "opponents": 1}
