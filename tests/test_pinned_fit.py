"""What `list` shows where fit.py anchors estimates to published siblings, and when its estimate memo is recomputed.

Written to kill mutants of src/llmzh/fit.py (bench/mutants.py). Expected values follow the anchoring rule of
`fit._anchor_to_published` (a level that quantizes more never shows more than a published sibling that quantizes
less, plus the estimated difference between the two) applied by hand to the totals `llmzh estimate` prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmzh import fit
from llmzh.cli import app

runner = CliRunner()
GiB = 1 << 30

# Qwen2.5-0.5B-Instruct's config.json (as in data/models.yaml). Two models of it:
# - anc: bf16 published at 0.5 GiB for inference (stated for no context, so taken at 2048 tokens) and 1 GiB for
#   fine-tuning, both below the estimates; bnb-int8 and a GGUF Q4_K_M file unpublished.
# - up: bnb-nf4 published at 0.1 GiB, bf16 unpublished: a published level that quantizes *more* bounds nothing.
# Figures here are test data, not facts.
CONFIG = (
    "{model_type: qwen2, num_hidden_layers: 24, hidden_size: 896, intermediate_size: 4864, num_attention_heads: 14,"
    " num_key_value_heads: 2, vocab_size: 151936, tie_word_embeddings: true, max_position_embeddings: 32768,"
    " hidden_act: silu}"
)
CATALOG = f"""\
version: 1
projects:
- id: anc
  name: Anc
  description: Models known by their architecture, with a few published figures.
  license: {{commercial: free, code: Apache-2.0, source: https://example.org/a}}
  models:
  - id: anc-0.5b
    name: Anc-0.5B
    format: full
    tasks: [chat]
    architecture: {{source: https://example.org/a/config.json, config: {CONFIG}}}
    variants:
    - id: anc-bf16
      quant: bf16
      repo: org/anc
      vram_gb: {{value: 0.5, unit: GiB, source: https://example.org/a}}
      finetune_vram_gb: {{value: 1, unit: GiB, source: https://example.org/a}}
    - {{id: anc-int8, quant: bnb-int8, quantize_from: anc-bf16}}
    - {{id: anc-q4, quant: q4_k_m, format: gguf, repo: org/anc-gguf}}
  - id: up-0.5b
    name: Up-0.5B
    format: full
    tasks: [chat]
    architecture: {{source: https://example.org/a/config.json, config: {CONFIG}}}
    variants:
    - {{id: up-bf16, quant: bf16, repo: org/up}}
    - id: up-nf4
      quant: bnb-nf4
      quantize_from: up-bf16
      vram_gb: {{value: 0.1, unit: GiB, source: https://example.org/a}}
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    path = tmp_path / "anchored.yaml"
    path.write_text(CATALOG, encoding="utf-8")
    return path


def cli_json(catalog: Path, *args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"], env={"LLMZH_CATALOG": str(catalog)})
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def listed(catalog: Path, *args: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in cli_json(catalog, "list", *args)}


def total_gib(catalog: Path, model: str, quant: str, *args: str) -> float:
    """`llmzh estimate`'s total in GiB: the estimator alone, never anchored."""
    data = cli_json(catalog, "estimate", model, "--quant", quant, *args)
    row = data if isinstance(data, dict) else data[0]
    return float(row["total_bytes"]) / GiB


def test_an_unpublished_level_that_quantizes_more_is_anchored_to_the_published_one(catalog: Path) -> None:
    rows = listed(catalog)
    est_bf16 = total_gib(catalog, "anc-0.5b", "bf16", "--ctx", "2048")
    est_int8 = total_gib(catalog, "anc-0.5b", "bnb-int8", "--ctx", "2048")
    assert est_int8 > 0.5 + est_int8 - est_bf16  # the published 0.5 GiB is below bf16's estimate, so it binds
    assert rows["anc-bf16"]["vram_source"] == "published" and rows["anc-bf16"]["vram_gb"] == 0.5
    assert rows["anc-int8"]["vram_source"] == "estimated"
    # published bf16 0.5 GiB + (int8's estimate - bf16's estimate) at 2048 tokens
    assert rows["anc-int8"]["vram_gb"] == pytest.approx(0.5 + est_int8 - est_bf16, abs=1e-9)


def test_fine_tuning_is_anchored_at_any_context_and_each_level_trains_its_own_base(catalog: Path) -> None:
    """The int8 level fine-tunes with LoRA on its int8 base (not bf16): anchored to bf16's published 1 GiB plus the
    difference of the two LoRA estimates; fine-tuning figures hold whatever the context, so at 32768 tokens too."""
    for ctx in ("512", "32768"):
        rows = listed(catalog, "--ctx", ctx)
        ft_bf16 = total_gib(catalog, "anc-0.5b", "bf16", "--finetune", "lora", "--seq", ctx)
        ft_int8 = total_gib(catalog, "anc-0.5b", "bnb-int8", "--finetune", "lora", "--seq", ctx)
        assert ft_int8 != ft_bf16  # the base's own level counts
        assert rows["anc-bf16"]["finetune_vram_gb"] == 1
        assert rows["anc-int8"]["finetune_vram_gb"] == pytest.approx(1 + ft_int8 - ft_bf16, abs=1e-9)
    assert rows["anc-q4"]["finetune_vram_gb"] is None  # a GGUF file is not fine-tuned: no estimate, no bound


def test_a_published_figure_for_another_context_anchors_nothing(catalog: Path) -> None:
    rows = listed(catalog, "--ctx", "32768")  # bf16's 0.5 GiB (taken at 2048 tokens) says nothing about 32768
    assert rows["anc-bf16"]["vram_source"] == "estimated"
    assert rows["anc-bf16"]["vram_gb"] == pytest.approx(total_gib(catalog, "anc-0.5b", "bf16", "--ctx", "32768"))
    assert rows["anc-int8"]["vram_gb"] == pytest.approx(total_gib(catalog, "anc-0.5b", "bnb-int8", "--ctx", "32768"))


def test_a_published_level_that_quantizes_more_bounds_nothing(catalog: Path) -> None:
    rows = listed(catalog)
    est_bf16 = total_gib(catalog, "up-0.5b", "bf16", "--ctx", "2048")
    est_nf4 = total_gib(catalog, "up-0.5b", "bnb-nf4", "--ctx", "2048")
    assert 0.1 + est_bf16 - est_nf4 < est_bf16  # it would bind, were it a bound
    assert rows["up-nf4"]["vram_gb"] == 0.1
    assert rows["up-bf16"]["vram_source"] == "estimated"
    assert rows["up-bf16"]["vram_gb"] == pytest.approx(est_bf16, abs=1e-9)


def _package(root: Path) -> Path:
    """A stand-in for the installed package: fit.py, select.py, estimate/*.py and files that are not estimator code."""
    for name in ("fit.py", "select.py", "cli.py", "estimate/arch.py", "estimate/README.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"# {name}\n", encoding="utf-8")
    return root / "fit.py"


def test_the_memo_key_changes_with_the_estimators_code_and_only_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fit, "__file__", str(_package(tmp_path)))
    seen = [fit._code_fingerprint()]
    for name, counts in [
        ("cli.py", False),
        ("estimate/README.txt", False),
        ("fit.py", True),
        ("select.py", True),
        ("estimate/arch.py", True),
        ("estimate/finetune.py", True),  # a new estimator module
    ]:
        with (tmp_path / name).open("a", encoding="utf-8") as fh:
            fh.write("x = 1\n")
        now = fit._code_fingerprint()
        assert (now not in seen) is counts, name
        seen.append(now)


def test_estimates_still_show_when_the_code_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog: Path
) -> None:
    monkeypatch.setattr(fit, "__file__", str(tmp_path / "gone" / "fit.py"))  # e.g. a package run from a zip
    rows = listed(catalog)
    assert rows["anc-int8"]["vram_source"] == "estimated" and rows["anc-int8"]["vram_gb"] > 0
