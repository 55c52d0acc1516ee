"""llmzh.runtimes against what the runtimes do: Ollama's context override under a quantized KV cache, and the
start-up logs bench/runtime_accuracy.py compares with (each record quotes the figures it is compared on)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from llmzh.cli import app
from llmzh.estimate import arch_from_config
from llmzh.runtimes import ollama
from llmzh.schema import Quant

sys.path.insert(0, str(Path(__file__).parent))
from test_runtimes import QWEN25_14B  # noqa: E402

runner = CliRunner()
GiB = 1 << 30
ROOT = Path(__file__).parent.parent
BENCH_DATA = ROOT / "bench" / "data"


def test_ollama_override_prices_the_quantized_cache() -> None:
    """Qwen2.5-14B Q4_K_M on 48 GiB: Ollama's default 262144 tokens hold 48 GiB of f16 KV (layers leave the card,
    so the command must shorten the context) but 13.5 GiB at q4_0 (18 bytes per 32 values), which fit beside the
    weights: the default serves, no override."""
    arch = arch_from_config(QWEN25_14B)
    assert ollama.context_override(arch, Quant.Q4_K_M, ctx=8192, vram_bytes=48 * GiB) == 8192
    assert ollama.context_override(arch, Quant.Q4_K_M, ctx=8192, vram_bytes=48 * GiB, kv_type="q8_0") == 8192
    assert ollama.context_override(arch, Quant.Q4_K_M, ctx=8192, vram_bytes=48 * GiB, kv_type="q4_0") is None


def _ollama_command(kv_cache: str) -> str:
    result = runner.invoke(
        app,
        ["estimate", "qwen1.5-7b-chat", "--quant", "q5_k_m", "--runtime", "ollama", "--vram", "64"]
        + ["--ctx", "8192", "--kv-cache", kv_cache, "--json"],
    )
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    return str(row["commands"]["ollama"])


def test_ollama_command_keeps_the_default_context_a_q4_0_cache_holds() -> None:
    """Qwen1.5-7B (32 layers of 4096-wide K and V) on 64 GiB: 262144 tokens are 128 GiB of f16 KV, 36 GiB at q4_0."""
    assert _ollama_command("fp16") == (
        "OLLAMA_CONTEXT_LENGTH=8192 ollama serve & ollama run hf.co/Qwen/Qwen1.5-7B-Chat-GGUF:Q5_K_M"
    )
    assert _ollama_command("q4_0") == (
        "OLLAMA_FLASH_ATTENTION=1 OLLAMA_KV_CACHE_TYPE=q4_0 ollama serve & "
        "ollama run hf.co/Qwen/Qwen1.5-7B-Chat-GGUF:Q5_K_M"
    )


def _quoted(key: str, value: float, lines: str) -> bool:
    """A logged figure appears in its lines as printed: tokens with or without thousands separators or as vLLM's
    blocks of 16 tokens; GiB and MiB with two decimals; a file size (``model_total``, MiB) as the GiB it prints."""
    if key == "kv_cache_tokens":
        forms = {f"{value:,.0f}", f"{value:.0f}", f"blocks: {value / 16:.0f}"}
    elif key == "model_total":
        forms = {f"{value / 1024:.2f} GiB"}
    else:
        forms = {f"{value:.2f}"}
    return any(form in lines for form in forms)


def test_every_log_record_quotes_the_figures_it_is_compared_on() -> None:
    """bench/runtime_accuracy.py compares each record's figures; each must be in the log lines the record quotes,
    and each record must say where it comes from and what model it is."""
    data = yaml.safe_load((BENCH_DATA / "runtime-logs.yaml").read_text(encoding="utf-8"))
    assert len(data["vllm"]) >= 12 and len(data["llama.cpp"]) >= 12
    for record in data["vllm"] + data["llama.cpp"]:
        assert record["url"].startswith("https://github.com/"), record["url"]
        assert ("model" in record) != ("model_name" in record), record["url"]
        assert "model" in record or "config" in record or (ROOT / record["config_file"]).is_file(), record["url"]
        lines = "\n".join(record["lines"])
        figures = dict(record.get("buffers_mib", {}))
        figures |= {k: record[k] for k in ("kv_cache_tokens", "kv_pool_gib", "kv_needed_gib") if record.get(k)}
        figures |= {"logged_pool_gib": record["logged_pool_gib"]} if "logged_pool_gib" in record else {}
        assert figures, record["url"]
        for key, value in figures.items():
            assert _quoted(key, float(value), lines), (record["url"], key, value)
