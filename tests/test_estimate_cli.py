"""`llmzh estimate`, and the estimator where list/show use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakehub import FakeHub
from typer.testing import CliRunner

from llmzh.cli import app

runner = CliRunner()
QWEN2_CONFIG = {
    "model_type": "qwen2",
    "num_hidden_layers": 28,
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
    "vocab_size": 152064,
    "tie_word_embeddings": False,
    "max_position_embeddings": 32768,
    "torch_dtype": "bfloat16",
}
REQUIRED = {
    "quant",
    "ctx",
    "prompt",
    "batch",
    "runtime",
    "weights_bytes",
    "kv_cache_bytes",
    "activation_bytes",
    "overhead_bytes",
    "total_bytes",
    "allocated_bytes",
    "state_bytes",
    "kv_cache",
    "params",
    "active_params",
    "weights_include",
}
CONFIGS = Path(__file__).parent / "fixtures" / "configs"


def estimate_json(*args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["estimate", *args, "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    return data if isinstance(data, list) else [data]


def test_catalog_model_levels_parts_and_published_figures() -> None:
    rows = estimate_json("qwen2.5-7b-instruct")
    assert [r["quant"] for r in rows][:4] == ["bf16", "gptq-int8", "gptq-int4", "awq"]
    for row in rows:
        assert REQUIRED <= row.keys()
        parts = ("weights_bytes", "kv_cache_bytes", "state_bytes", "activation_bytes", "overhead_bytes")
        assert row["total_bytes"] == sum(row[k] for k in parts)  # type: ignore[misc]
        # no CUDA context (512 MiB) nor allocator slack in what torch.cuda.max_memory_allocated reports
        assert row["total_bytes"] - row["allocated_bytes"] >= 512 << 20  # type: ignore[operator]
    bf16 = rows[0]
    assert bf16["ctx"] == 2048 and bf16["prompt"] == 2048 and bf16["batch"] == 1
    assert bf16["runtime"] == "transformers" and bf16["published_gb"] == 14.38
    gguf = next(r for r in rows if r["quant"] == "q2_k")
    assert gguf["runtime"] == "llama.cpp"


def test_context_grows_the_kv_cache_linearly_and_glm_reads_its_groups() -> None:
    (short,) = estimate_json("chatglm2-6b", "--quant", "fp16", "--ctx", "1000")
    (long,) = estimate_json("chatglm2-6b", "--quant", "fp16", "--ctx", "2000")
    # 2 (K,V) x 28 layers x 2 groups x 128 x 2 bytes per token: multi-query groups, not 32 full heads
    assert long["kv_cache_bytes"] - short["kv_cache_bytes"] == 1000 * 2 * 28 * 2 * 128 * 2  # type: ignore[operator]


def test_prompt_batch_runtime_and_vram_fit() -> None:
    (row,) = estimate_json(
        "qwen-7b-chat", "--quant", "gptq-int4", "--ctx", "8192", "--prompt", "512", "--batch", "2", "--vram", "8"
    )
    assert row["prompt"] == 512 and row["ctx"] == 8192 and row["batch"] == 2
    assert row["fits"] is False  # 23.8 GB does not fit 8 GB
    total_gb = row["total_bytes"] / 2**30  # type: ignore[operator]
    for vram, fits in ((total_gb + 0.01, True), (total_gb - 0.01, False)):
        (at,) = estimate_json(
            "qwen-7b-chat",
            "--quant",
            "gptq-int4",
            "--ctx",
            "8192",
            "--prompt",
            "512",
            "--batch",
            "2",
            "--vram",
            f"{vram}",
        )
        assert at["fits"] is fits
    (legacy,) = estimate_json("qwen1.5-0.5b-chat", "--quant", "bf16", "--runtime", "transformers-legacy")
    (current,) = estimate_json("qwen1.5-0.5b-chat", "--quant", "bf16")
    assert legacy["activation_bytes"] > current["activation_bytes"]  # type: ignore[operator]  # fp32 logits of the prompt


def test_table_output_labels_estimates() -> None:
    result = runner.invoke(app, ["estimate", "chatglm-6b-int4", "--vram", "6", "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    assert "memory estimate" in result.stdout and "≈" in result.stdout
    assert "6 GB" in result.stdout  # the published figure beside the estimate
    assert "Fits 6 GB" in result.stdout


def test_finetune_is_labelled_rough() -> None:
    result = runner.invoke(app, ["estimate", "qwen-7b-chat", "--finetune", "qlora", "--seq", "256", "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    assert "rough estimate" in result.stdout
    (row,) = estimate_json("qwen-7b-chat", "--finetune", "lora", "--seq", "1024")
    assert row["rough"] is True and row["method"] == "lora"
    assert row["total_checkpointed_bytes"] < row["total_bytes"]  # type: ignore[operator]


def test_hub_repo_config_is_fetched_and_cached(fakehub: FakeHub) -> None:
    fakehub.add_repo("someone/qwen2-like", {"config.json": json.dumps(QWEN2_CONFIG).encode()})
    rows = estimate_json("someone/qwen2-like", "--quant", "bf16", "--quant", "q4_k_m")
    assert [r["quant"] for r in rows] == ["bf16", "q4_k_m"]
    assert fakehub.count("GET", "*config.json") == 1
    estimate_json("someone/qwen2-like", "--quant", "bf16")
    assert fakehub.count("GET", "*config.json") == 1  # cached


def test_qwen3_5_from_the_hub_hybrid_cache_and_whole_checkpoint(fakehub: FakeHub) -> None:
    fakehub.add_repo("Qwen/Qwen3.5-9B", {"config.json": (CONFIGS / "qwen3.5-9b.json").read_bytes()})
    result = runner.invoke(
        app, ["estimate", "Qwen/Qwen3.5-9B", "--quant", "bf16", "--ctx", "131072", "--json", "--lang", "en"]
    )
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["kv_cache_bytes"] == 131072 * 8 * 2 * 4 * 256 * 2  # the 8 full-attention layers only: 4 GiB
    conv_dim = 2 * 16 * 128 + 32 * 128
    assert row["state_bytes"] == 24 * (conv_dim * 4 * 2 + 32 * 128 * 128 * 4)  # 24 linear layers, fixed
    assert row["weights_bytes"] == 2 * row["params"] and 9.6e9 < row["params"] < 9.7e9
    assert [w.split(":")[0] for w in row["weights_include"]] == ["vision tower", "1 multi-token-prediction layer(s)"]
    assert "weights include the vision tower" in result.stderr


def test_unknown_model_type_warns_in_one_line(fakehub: FakeHub) -> None:
    fakehub.add_repo("xverse/XVERSE-7B", {"config.json": (CONFIGS / "xverse-7b.json").read_bytes()})
    result = runner.invoke(app, ["estimate", "xverse/XVERSE-7B", "--quant", "bf16", "--json", "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == "model_type xverse: read as a LLaMA-style decoder"
    (row,) = json.loads(result.stdout)
    assert row["kv_cache_bytes"] == 2048 * 32 * 2 * 4096 * 2


def test_kv_cache_option_and_context_warning(fakehub: FakeHub) -> None:
    rows = estimate_json("qwen2.5-7b-instruct", "--quant", "q4_k_m", "--quant", "bf16", "--kv-cache", "q8_0")
    gguf, bf16 = rows
    assert gguf["kv_cache"] == "q8_0" and gguf["kv_cache_bytes"] == 2048 * 28 * 2 * 512 * 34 // 32
    assert "transformers has no q8_0 KV cache" in bf16["error"]  # type: ignore[operator]
    fakehub.add_repo("someone/qwen2-like", {"config.json": json.dumps(QWEN2_CONFIG).encode()})
    result = runner.invoke(app, ["estimate", "someone/qwen2-like", "--quant", "bf16", "--ctx", "65536", "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    assert "someone/qwen2-like was trained for 32768 tokens; 65536 is beyond its native context" in result.stderr


def test_context_beyond_the_longest_supported_is_refused() -> None:
    (row,) = estimate_json("qwen2.5-7b-instruct", "--quant", "bf16", "--ctx", "131072")
    assert row["ctx"] == 131072  # YaRN reaches 131072 (max_context), a warning only
    result = runner.invoke(app, ["estimate", "qwen2.5-7b-instruct", "--ctx", "131073", "--lang", "en"])
    assert result.exit_code == 2
    assert "beyond the longest context qwen2.5-7b-instruct supports (131072 tokens)" in result.stderr


def test_errors() -> None:
    result = runner.invoke(app, ["estimate", "no-such-model"])
    assert result.exit_code == 1 and "no project, model or variant" in result.stderr
    result = runner.invoke(app, ["estimate", "qwen2.5"])
    assert result.exit_code == 2 and "models; estimate one of them: qwen2.5-0.5b-instruct" in result.stderr
    result = runner.invoke(app, ["estimate", "qwen2.5-7b-instruct", "--quant", "int3"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["estimate", "qwen2.5-7b-instruct", "--ctx", "100", "--prompt", "200"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["estimate", "org/absent", "--endpoint", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "Traceback" not in result.stderr


def test_list_uses_estimates_where_nothing_comparable_is_published(tmp_path: Path) -> None:
    rows = {r["id"]: r for r in json.loads(runner.invoke(app, ["list", "--json"]).stdout)}
    assert rows["chatglm3-6b-int4"]["vram_source"] == "estimated"  # no published figure
    assert rows["qwen2.5-7b-instruct-bf16"]["vram_source"] == "published"
    assert rows["chatglm-6b-int4-qe"]["vram_source"] == "estimated"  # its 4.3 GB is the weights alone
    long = {r["id"]: r for r in json.loads(runner.invoke(app, ["list", "--json", "--ctx", "32768"]).stdout)}
    assert long["qwen2.5-7b-instruct-bf16"]["vram_source"] == "estimated"  # published at 2K only
    assert long["qwen2.5-7b-instruct-bf16"]["vram_gb"] > rows["qwen2.5-7b-instruct-bf16"]["vram_gb"]
    table = runner.invoke(app, ["list", "--vram", "8", "--lang", "en"]).stdout
    assert "≈" in table


@pytest.mark.parametrize("value", ["-1", "0", "lots", "inf"])
def test_bad_vram_values(value: str) -> None:
    for command in (["list"], ["estimate", "qwen2.5-7b-instruct"]):
        result = runner.invoke(app, [*command, "--vram", value])
        assert result.exit_code == 2, (command, value)


def test_a_level_that_quantizes_more_never_shows_more_than_a_published_sibling() -> None:
    rows = {r["id"]: r for r in json.loads(runner.invoke(app, ["list", "--json"]).stdout)}
    qe, int4, fp16 = rows["chatglm-6b-int4-qe"], rows["chatglm-6b-int4"], rows["chatglm-6b-fp16"]
    assert int4["vram_source"] == "published" and qe["vram_source"] == "estimated"
    assert qe["vram_gb"] < int4["vram_gb"] < fp16["vram_gb"]
    # anchored: fp16's published 13 GB plus the estimated difference between int4-qe and fp16 at 2048 tokens
    (est_qe,) = estimate_json("chatglm-6b", "--quant", "int4-qe")
    (est_fp16,) = estimate_json("chatglm-6b", "--quant", "fp16")
    assert abs(qe["vram_gb"] - (13 + (est_qe["total_bytes"] - est_fp16["total_bytes"]) / 2**30)) < 1e-9  # type: ignore[operator]
