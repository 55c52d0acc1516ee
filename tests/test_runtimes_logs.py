"""llmzh.runtimes against what the runtimes do: Ollama's context override under a quantized KV cache."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from llmzh.cli import app
from llmzh.estimate import arch_from_config
from llmzh.runtimes import ollama
from llmzh.schema import Quant

sys.path.insert(0, str(Path(__file__).parent))
from test_runtimes import QWEN25_14B  # noqa: E402

runner = CliRunner()
GiB = 1 << 30


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
