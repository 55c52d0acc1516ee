"""Official Ollama library tags in the shipped catalog: each one is sourced, and users see it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from llmzh.catalog import default_catalog_path, load_catalog
from llmzh.cli import app

runner = CliRunner()

# Variant -> the tag its Q4_K_M GGUF is served under (bench/data/ollama-tags.yaml says which sources name them).
ATTACHED = {
    "qwen3-8b-q4_k_m": "qwen3:8b",
    "qwen2.5-0.5b-instruct-gguf-q4_k_m": "qwen2.5:0.5b",
    "qwen2.5-3b-instruct-gguf-q4_k_m": "qwen2.5:3b",
    "qwen2.5-7b-instruct-gguf-q4_k_m": "qwen2.5:7b",
}


def test_every_catalog_ollama_tag_has_a_source() -> None:
    tags = {e.variant.id: e.variant.ollama for e in load_catalog(default_catalog_path()).entries() if e.variant.ollama}
    for vid, o in tags.items():
        assert o.source and o.source.startswith("https://"), vid
    # the Qwen tags sit on the official Q4_K_M GGUF variant, the level Ollama's tags serve
    assert {vid: tags[vid].tag for vid in ATTACHED if vid in tags} == ATTACHED


def test_list_json_carries_the_tag_and_its_source() -> None:
    result = runner.invoke(app, ["list", "--json", "--quant", "q4_k_m"])
    assert result.exit_code == 0, result.stderr
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert rows["qwen2.5-7b-instruct-gguf-q4_k_m"]["ollama"] == {
        "tag": "qwen2.5:7b",
        "source": "https://github.com/QwenLM/Qwen3/blob/7a2f61f/docs/source/run_locally/ollama.md",
    }
    assert rows["qwen2.5-7b-instruct-gguf-q4_k_m"]["repo"] == "Qwen/Qwen2.5-7B-Instruct-GGUF"


@pytest.mark.parametrize(
    ("model", "tag"),
    [
        ("qwen2.5-0.5b-instruct", "qwen2.5:0.5b"),
        ("qwen2.5-3b-instruct", "qwen2.5:3b"),
        ("qwen2.5-7b-instruct", "qwen2.5:7b"),
    ],
)
def test_show_prints_the_official_ollama_command(model: str, tag: str) -> None:
    result = runner.invoke(app, ["show", model])
    assert result.exit_code == 0, result.stderr
    assert f"ollama run {tag}" in result.stdout
