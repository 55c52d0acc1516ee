"""llmzh.runtimes: vLLM's pool, llama.cpp's offload, Ollama's defaults, speed, GPUs and the printed commands."""

from __future__ import annotations

import json
import shlex

import pytest
from typer.testing import CliRunner

from llmzh.cli import app
from llmzh.estimate import arch_from_config
from llmzh.runtimes import RuntimeSettingError, commands, llamacpp, ollama, speed, vllm
from llmzh.runtimes.gpus import find_gpu
from llmzh.schema import Quant

runner = CliRunner()
GiB = 1 << 30
MiB = 1 << 20
TOY = {  # head_dim 128, KV width 256: 4 layers x 2 (K, V) x 256 x 2 bytes = 4096 bytes per token
    "model_type": "llama",
    "hidden_size": 1024,
    "num_hidden_layers": 4,
    "num_attention_heads": 8,
    "num_key_value_heads": 2,
    "intermediate_size": 2816,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
    "max_position_embeddings": 8192,
}
QWEN25_14B = {  # https://huggingface.co/Qwen/Qwen2.5-Coder-14B-Instruct config.json
    "model_type": "qwen2",
    "hidden_size": 5120,
    "num_hidden_layers": 48,
    "num_attention_heads": 40,
    "num_key_value_heads": 8,
    "intermediate_size": 13824,
    "vocab_size": 152064,
    "tie_word_embeddings": False,
    "max_position_embeddings": 32768,
}


def test_vllm_pool_by_hand() -> None:
    """8 GiB x 0.92 (v0.21+'s default) = 7,902,739,824; minus weights 110,633,984 params x 2, non-torch 0.25 GiB,
    activations 2048 x (3 x 2816 + 4 x 1024) x 2 + 256 x 32000 x 4 = 84,148,224, CUDA graphs 0.5 GiB:
    6,792,017,264 bytes; blocks of 16 tokens x 4096 bytes: 103,637 blocks = 1,658,192 tokens."""
    p = vllm.plan(arch_from_config(TOY), Quant.BF16, total_bytes=8 * GiB, ctx=4096)
    assert p.weights_bytes == 221_267_968
    assert p.activation_bytes == 84_148_224
    assert p.gpu_memory_utilization == 0.92
    assert p.kv_pool_bytes == 6_792_017_264
    assert p.kv_cache_tokens == 1_658_192
    assert p.max_model_len == 8192  # capped at the model's max_position_embeddings
    assert p.max_concurrency == pytest.approx(1_658_192 / 4096)
    assert p.fits
    beyond = vllm.plan(arch_from_config(TOY), Quant.BF16, total_bytes=8 * GiB, ctx=8193)
    assert not beyond.fits  # longer than max_position_embeddings
    # 0.6 GiB x 0.9 (v0.8-v0.20) - weights - non-torch - activations = 5,968,936 bytes: 91 blocks, 1456 tokens
    small = vllm.plan(arch_from_config(TOY), Quant.BF16, total_bytes=int(0.6 * GiB), ctx=2048, version="0.8-0.20")
    assert small.kv_pool_bytes == 5_968_936 and small.kv_cache_tokens == 1456
    assert not small.fits  # vLLM refuses a max_model_len the pool cannot hold


def test_vllm_fp8_cache_doubles_tokens_and_old_versions_keep_graph_memory() -> None:
    arch = arch_from_config(TOY)
    auto = vllm.plan(arch, Quant.BF16, total_bytes=8 * GiB, ctx=4096)
    fp8 = vllm.plan(arch, Quant.BF16, total_bytes=8 * GiB, ctx=4096, kv_cache_dtype="fp8")
    assert 0 <= fp8.kv_cache_tokens - 2 * auto.kv_cache_tokens <= vllm.BLOCK_SIZE  # whole blocks either way
    old = vllm.plan(arch, Quant.BF16, total_bytes=8 * GiB, ctx=4096, version="0.8-0.20", gpu_memory_utilization=0.92)
    assert old.kv_pool_bytes - auto.kv_pool_bytes == GiB // 2
    assert vllm.plan(arch, Quant.BF16, total_bytes=8 * GiB, ctx=4096, version="0.8-0.20").gpu_memory_utilization == 0.9


def test_vllm_defaults_follow_the_card() -> None:
    assert vllm.batch_defaults(24 * GiB) == (2048, 256)
    assert vllm.batch_defaults(80 * GiB, "NVIDIA H100 80GB HBM3") == (8192, 1024)
    assert vllm.batch_defaults(80 * GiB, "NVIDIA A100-SXM4-80GB") == (2048, 256)


def test_vllm_does_not_fit_when_the_pool_is_too_small() -> None:
    p = vllm.plan(arch_from_config(QWEN25_14B), Quant.BF16, total_bytes=24 * GiB, ctx=4096)
    assert p.kv_pool_bytes < 0 and p.kv_cache_tokens == 0 and not p.fits
    with pytest.raises(RuntimeSettingError, match="vLLM does not load q4_k_m"):
        vllm.plan(arch_from_config(TOY), Quant.Q4_K_M, total_bytes=8 * GiB, ctx=4096)


def test_llamacpp_buffers_match_a_logged_load() -> None:
    """ollama/ollama#9091, Qwen2.5-Coder-14B Q4_K_M, -c 8192, 49/49 layers: "CUDA0 model buffer size = 8148.38
    MiB", "CPU model buffer size = 417.66 MiB" (token_embd: 152064 x 5120 at 144 bytes per 256), "CUDA0 KV buffer
    size = 1536.00 MiB" (48 x 8192 x 2 x 1024 x 2 bytes)."""
    b = llamacpp.buffers(arch_from_config(QWEN25_14B), Quant.Q4_K_M, ctx=8192, gpu_layers=49)
    assert b.total_layers == 49
    assert b.gpu_kv_bytes == 1536 * MiB
    assert b.cpu_model_bytes == 152064 * 5120 * 144 // 256
    assert b.gpu_model_bytes / MiB == pytest.approx(8148.38, rel=0.005)
    blocks_only = llamacpp.buffers(arch_from_config(QWEN25_14B), Quant.Q4_K_M, ctx=8192, gpu_layers=48)
    output = llamacpp.parts(arch_from_config(QWEN25_14B), Quant.Q4_K_M).output
    assert b.gpu_model_bytes - blocks_only.gpu_model_bytes == output  # -ngl 48: the output layer stays in RAM
    assert blocks_only.cpu_model_bytes - b.cpu_model_bytes == output


def test_llamacpp_offloads_the_most_layers_that_fit() -> None:
    arch = arch_from_config(QWEN25_14B)
    budget = 6 * GiB
    p = llamacpp.plan(arch, Quant.Q4_K_M, ctx=4096, vram_bytes=budget, ram_bytes=32 * GiB)
    assert 0 < p.gpu_layers < p.total_layers and p.fits
    assert p.gpu_bytes <= budget
    more = llamacpp.buffers(arch, Quant.Q4_K_M, ctx=4096, gpu_layers=p.gpu_layers + 1)
    assert more.gpu_bytes > budget
    assert p.ram_bytes == p.cpu_model_bytes + p.cpu_kv_bytes
    short = llamacpp.plan(arch, Quant.Q4_K_M, ctx=4096, vram_bytes=budget, ram_bytes=1 * GiB)
    assert not short.fits
    q8 = llamacpp.buffers(arch, Quant.Q4_K_M, ctx=8192, gpu_layers=49, kv_type="q8_0")
    assert q8.gpu_kv_bytes == 48 * 8192 * 2 * 1024 * 34 // 32


@pytest.mark.parametrize(
    ("vram_gib", "version", "expected"),
    [
        (8, "<0.6.7", 2048),
        (8, "0.6.7-0.15.4", 4096),
        (80, "0.6.7-0.15.4", 4096),
        (8, "0.15.5+", 4096),
        (24, "0.15.5+", 32768),
        (47, "0.15.5+", 32768),
        (48, "0.15.5+", 262144),
    ],
)
def test_ollama_default_context(vram_gib: int, version: ollama.OllamaVersion, expected: int) -> None:
    assert ollama.default_ctx(vram_gib * GiB, version) == expected


def test_decode_speed_by_hand() -> None:
    """1e9 bytes at 0.81 x 1000 GB/s = 1.2346 ms, plus 10 layers x 116 us = 2.3946 ms: 417.6 tokens/s."""
    assert speed.decode_tps(gpu_bytes=1e9, bandwidth_gbs=1000, layers=10) == pytest.approx(417.6, abs=0.1)
    slower = speed.decode_tps(gpu_bytes=0.5e9, bandwidth_gbs=1000, layers=10, ram_bytes=0.5e9)
    assert slower < speed.decode_tps(gpu_bytes=1e9, bandwidth_gbs=1000, layers=10)


def test_prefill_speed_by_hand() -> None:
    """2 FLOPs per parameter: 1e9 parameters at 0.5 x 100 TFLOPS = 25,000 prompt tokens/s; no FLOPS figure, no
    estimate; a model's own count is its active parameters (TOY: 4 blocks of 1024-wide attention and MLP)."""
    assert speed.prefill_tps_of(1e9, 100) == pytest.approx(25_000)
    assert speed.prefill_tps_of(1e9, None) is None
    arch = arch_from_config(TOY)
    assert speed.prefill_tps(arch, 100) == pytest.approx(0.5 * 100e12 / (2 * speed.active_params(arch)))


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("4090", "GeForce RTX 4090"),
        ("NVIDIA A100-SXM4-80GB", "A100 80GB"),
        ("NVIDIA A100-PCIE-40GB", "A100 40GB"),
        ("A10", "A10"),
        ("NVIDIA H100 80GB HBM3", "H100"),
        ("4060 Ti", "GeForce RTX 4060 Ti"),
        ("M3 Max", "Apple M3 Max"),
    ],
)
def test_find_gpu(typed: str, name: str) -> None:
    gpu = find_gpu(typed)
    assert gpu is not None and gpu.name == name


def _flags_documented(command: str) -> None:
    for line in command.split(" & "):
        words = shlex.split(line)
        env = set()
        while "=" in words[0]:  # OLLAMA_CONTEXT_LENGTH=N
            env.add(words[0].split("=")[0])
            words = words[1:]
        if env:
            env_url, names = commands.DOCUMENTED_ENV[words[0]]
            assert env <= names, f"{env - names} not in {env_url}"
        program = "llama-server" if words[0] == "llama-server" else words[0]
        url, flags = commands.DOCUMENTED_FLAGS[program]
        used = {w for w in words if w.startswith("-")}
        assert used <= flags, f"{used - flags} not in {url}"


@pytest.mark.parametrize(
    "command",
    [
        commands.vllm_serve(
            "Qwen/Qwen3-8B",
            Quant.FP8,
            max_model_len=32768,
            gpu_memory_utilization=0.9,
            kv_cache_dtype="fp8",
            max_num_seqs=8,
        ),
        commands.vllm_serve("Qwen/Qwen3-8B-AWQ", Quant.AWQ, max_model_len=8192, gpu_memory_utilization=0.85),
        commands.llama_server("Qwen/Qwen3-8B-GGUF", Quant.Q4_K_M, ctx=8192, gpu_layers=37),
        commands.llama_server("Qwen/Qwen3-8B-GGUF", Quant.Q8_0, ctx=8192, gpu_layers=20, kv_type="q8_0"),
        commands.ollama_run("qwen3:8b", context_length=8192),
        commands.ollama_run("qwen3:8b"),
        commands.ollama_run("qwen3:8b", context_length=40960, kv_type="q8_0"),
    ],
)
def test_every_command_uses_documented_flags(command: str) -> None:
    _flags_documented(command)


def test_commands_carry_the_numbers() -> None:
    assert commands.vllm_serve("Qwen/Qwen3-8B", Quant.BF16, max_model_len=32768, gpu_memory_utilization=0.9) == (
        "vllm serve Qwen/Qwen3-8B --max-model-len 32768 --gpu-memory-utilization 0.9"
    )
    assert commands.llama_server("Qwen/Qwen3-8B-GGUF", Quant.Q4_K_M, ctx=8192, gpu_layers=37) == (
        "llama-server -hf Qwen/Qwen3-8B-GGUF:Q4_K_M -c 8192 -ngl 37"
    )
    assert commands.ollama_run("qwen3:8b", context_length=8192) == (
        "OLLAMA_CONTEXT_LENGTH=8192 ollama serve & ollama run qwen3:8b"
    )
    assert commands.ollama_run("qwen3:8b", kv_type="q4_0") == (
        "OLLAMA_FLASH_ATTENTION=1 OLLAMA_KV_CACHE_TYPE=q4_0 ollama serve & ollama run qwen3:8b"
    )


def test_ollama_context_is_overridden_only_when_the_default_does_not_serve() -> None:
    arch = arch_from_config(QWEN25_14B)
    # 8 GiB: Ollama's default is 4096; asking for more needs the variable
    assert ollama.context_override(arch, Quant.Q4_K_M, ctx=16384, vram_bytes=8 * GiB) == 16384
    assert ollama.context_override(arch, Quant.Q4_K_M, ctx=4096, vram_bytes=8 * GiB) is None
    # 48 GiB: the default 262144-token cache (48 GiB of f16 KV alone) would push layers off the card
    assert ollama.context_override(arch, Quant.Q4_K_M, ctx=8192, vram_bytes=48 * GiB) == 8192
    # 24 GiB: 32768 tokens (6 GiB of KV) still fit beside the 8.4 GiB of weights, so keep the default
    assert ollama.context_override(arch, Quant.Q4_K_M, ctx=8192, vram_bytes=24 * GiB) is None
    code = commands.transformers_code("Qwen/Qwen3-8B", Quant.BNB_NF4)
    compile(code, "<transformers>", "exec")
    assert "BitsAndBytesConfig(load_in_4bit=True)" in code


def test_estimate_runtime_vllm_json() -> None:
    result = runner.invoke(
        app,
        [
            "estimate",
            "qwen3-8b",
            "--quant",
            "bf16",
            "--runtime",
            "vllm",
            "--vram",
            "24",
            "--ctx",
            "16384",
            "--gpu",
            "4090",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert row["runtime"] == "vllm" and row["gpu_memory_utilization"] == 0.92
    assert row["fits"] is True and row["max_model_len"] >= 16384
    assert row["max_concurrency"] == round(row["kv_cache_tokens"] / 16384, 2)
    assert row["speed"]["estimated"] is True and row["speed"]["gpu"] == "GeForce RTX 4090"
    _flags_documented(row["commands"]["vllm"])
    assert "--max-model-len 16384" in row["commands"]["vllm"]


def test_estimate_runtime_llamacpp_offload_json() -> None:
    result = runner.invoke(
        app,
        [
            "estimate",
            "qwen2.5-7b-instruct",
            "--quant",
            "q4_k_m",
            "--runtime",
            "llama.cpp",
            "--vram",
            "3",
            "--ram",
            "16",
            "--gpu",
            "3060",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert 0 < row["gpu_layers"] < row["total_layers"] == 29
    assert row["fits"] is True and row["gpu_bytes"] <= 3 * GiB


def test_estimate_runtime_errors_are_one_line() -> None:
    result = runner.invoke(app, ["estimate", "qwen3-8b", "--runtime", "vllm"])
    assert result.exit_code == 1 and "--vram" in result.stderr and "Traceback" not in result.stderr
    result = runner.invoke(app, ["estimate", "qwen3-8b", "--runtime", "vllm", "--vram", "24", "--gpu", "Voodoo5"])
    assert result.exit_code == 2 and "Voodoo5" in result.stderr


HYBRID = {  # a Qwen3.5-style text config: 8 layers, every 4th full attention, the rest gated delta net
    "model_type": "qwen3_5_text",
    "hidden_size": 1024,
    "num_hidden_layers": 8,
    "num_attention_heads": 8,
    "num_key_value_heads": 2,
    "head_dim": 128,
    "intermediate_size": 2816,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
    "max_position_embeddings": 262144,
    "layer_types": ["linear_attention"] * 3 + ["full_attention"] + ["linear_attention"] * 3 + ["full_attention"],
    "linear_num_key_heads": 4,
    "linear_num_value_heads": 8,
    "linear_key_head_dim": 64,
    "linear_value_head_dim": 64,
    "linear_conv_kernel_dim": 4,
    "mamba_ssm_dtype": "float32",
}


def test_vllm_hybrid_caches_full_layers_and_holds_a_state_per_sequence() -> None:
    """2 full layers x 2 (K, V) x 256 x 2 bytes = 2048 bytes per token; 6 linear layers each hold a conv state
    of (2 x 4 x 64 + 8 x 64) channels x 3 taps x 2 bytes and an fp32 state of 8 x 64 x 64: 6 x (6144 + 131072)."""
    p = vllm.plan(arch_from_config(HYBRID), Quant.BF16, total_bytes=8 * GiB, ctx=32768)
    assert p.kv_bytes_per_token == 2048
    assert p.state_bytes_per_sequence == 6 * (1024 * 3 * 2 + 8 * 64 * 64 * 4)
    assert p.max_concurrency == pytest.approx(p.kv_pool_bytes / (32768 * 2048 + p.state_bytes_per_sequence))


def test_recommend_runtime_ranks_under_its_memory_model_and_prints_commands() -> None:
    result = runner.invoke(
        app, ["recommend", "--vram", "24", "--runtime", "vllm", "--ctx", "32768", "--limit", "3", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    picks = json.loads(result.stdout)
    assert picks and all(p["need_gb"] <= 24 for p in picks)
    for pick in picks:
        [command] = pick["commands"].values()
        assert command.startswith("vllm serve ") and "--max-model-len 32768" in command
        _flags_documented(command)
    gguf = runner.invoke(app, ["recommend", "--vram", "8", "--runtime", "llama.cpp", "--limit", "3", "--json"])
    assert gguf.exit_code == 0, gguf.stderr
    for pick in json.loads(gguf.stdout):
        assert pick["quant"] in ("q8_0", "q6_k", "q5_k_m", "q4_k_m", "q4_0", "q3_k_m", "q2_k")  # a GGUF level
        _flags_documented(pick["commands"]["llama.cpp"])
    cpu = runner.invoke(app, ["recommend", "--ram", "16", "--runtime", "vllm"])
    assert cpu.exit_code == 2 and "--vram" in cpu.stderr


def test_show_carries_commands_sized_for_the_card() -> None:
    result = runner.invoke(app, ["show", "qwen3-8b", "--json", "--vram", "20", "--ctx", "65536"])
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    variants = {v["id"]: v for m in record["models"] for v in m["variants"]}
    bf16 = variants["qwen3-8b-bf16"]["commands"]
    assert "--max-model-len 14880" in bf16["vllm"]  # the pool left by the bf16 weights on 20 GB holds 14880
    assert "AutoModelForCausalLM" in bf16["transformers"]
    awq = variants["qwen3-8b-awq"]["commands"]["vllm"]
    assert "--max-model-len 40960" in awq  # Qwen3-8B's max_position_embeddings
    _flags_documented(awq)


def test_vllm_without_ctx_takes_the_config_maximum_and_the_command_the_length_that_fits() -> None:
    from llmzh.runtimes.report import runtime_row

    arch = arch_from_config(QWEN25_14B)
    row = runtime_row(
        arch,
        Quant.BF16,
        "vllm",
        repos=[(Quant.BF16, "Qwen/Qwen2.5-Coder-14B-Instruct")],
        vram_bytes=34 * GiB,
        ram_bytes=None,
        ctx=None,
        gpu_memory_utilization=None,
        max_num_seqs=None,
        kv_cache=None,
        gpu=None,
    )
    # 34 GiB x 0.92 less 27.5 GiB of weights leaves ~2.5 GiB at 192 KiB per token: under the config's 32768
    assert row["ctx"] == 32768
    assert row["fits"] is False and 0 < row["max_model_len"] < 32768
    assert f"--max-model-len {row['max_model_len']}" in row["commands"]["vllm"]


def test_ollama_runs_the_official_library_tag_where_the_catalog_has_one() -> None:
    from llmzh.runtimes.report import commands_for

    arch = arch_from_config(QWEN25_14B)
    repo = "Qwen/Qwen2.5-Coder-14B-Instruct-GGUF"
    plain = commands_for(arch, Quant.Q4_K_M, repo, vram_bytes=24 * GiB, ctx=4096)
    tagged = commands_for(arch, Quant.Q4_K_M, repo, vram_bytes=24 * GiB, ctx=4096, ollama_tag="qwen2.5-coder:14b")
    assert plain["ollama"] == f"ollama run hf.co/{repo}:Q4_K_M"
    assert tagged["ollama"] == "ollama run qwen2.5-coder:14b"
    assert tagged["llama.cpp"] == plain["llama.cpp"]
