"""Architecture paths of the estimator on published configs (tests/fixtures/configs, sources in SOURCES.md): hybrid
linear attention, latent attention, mixture of experts, multimodal wrappers, sliding windows, quantization_config,
unknown model types and bounds. Every KV size below is computed by hand from the config's numbers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from llmzh.estimate import (
    EstimateError,
    arch_from_config,
    count_params,
    estimate_inference,
    kv_bytes_per_token,
    kv_cache_bytes,
    sensible_levels,
    state_bytes_per_sequence,
    weight_bytes,
)
from llmzh.schema import Quant

CONFIGS = Path(__file__).parent / "fixtures" / "configs"


def config(name: str) -> dict[str, object]:
    data = json.loads((CONFIGS / f"{name}.json").read_text())
    assert isinstance(data, dict)
    return data


# ---------------------------------------------------------------- hybrid linear attention (Qwen3.5, Qwen3-Next)


def test_qwen3_5_caches_only_its_full_attention_layers() -> None:
    a = arch_from_config(config("qwen3.5-9b"))
    assert a.count_layers("full") == 8 and a.count_layers("linear") == 24
    # 8 full layers x 2 (K, V) x 4 KV heads x 256 x 2 bytes; a 32-layer cache would be 4x this
    assert kv_bytes_per_token(a) == 8 * 2 * 4 * 256 * 2 == 32_768
    assert kv_cache_bytes(a, 131_072) == 4 << 30
    assert kv_bytes_per_token(a, runtime="vllm", kv_dtype="fp8") == 16_384


def test_qwen3_5_linear_layers_hold_a_fixed_state_per_runtime() -> None:
    a = arch_from_config(config("qwen3.5-9b"))
    conv_dim = 2 * 16 * 128 + 32 * 128  # q and k of 16 key heads, v of 32 value heads
    state = 32 * 128 * 128  # value heads x key dim x value dim
    # transformers: 4 conv taps in bf16, fp32 state; vLLM: 3 taps in bf16, state in mamba_ssm_dtype (float32);
    # llama.cpp: 3 taps and the state in F32
    assert state_bytes_per_sequence(a) == 24 * (conv_dim * 4 * 2 + state * 4) == 51_904_512
    assert state_bytes_per_sequence(a, runtime="vllm") == 24 * (conv_dim * 3 * 2 + state * 4)
    assert state_bytes_per_sequence(a, runtime="llama.cpp") == 24 * (conv_dim * 3 * 4 + state * 4)
    est = estimate_inference(a, Quant.BF16, ctx=131_072, prompt=1)
    assert est.kv_cache_bytes == 4 << 30 and est.state_bytes == 51_904_512
    assert est.total_bytes == est.weights_bytes + est.kv_cache_bytes + est.state_bytes + est.activation_bytes + (
        est.overhead_bytes
    )


def test_qwen3_5_weights_include_vision_tower_and_mtp() -> None:
    a = arch_from_config(config("qwen3.5-9b"))
    p = count_params(a)
    # text decoder: the card's 8.95B (= the GGUF's 8.95B); vision tower and one MTP layer on top
    assert round(p.active / 1e9, 2) == 8.95
    assert 9.6e9 < p.total < 9.7e9
    assert [c.split(":")[0] for c in a.counted] == ["vision tower", "1 multi-token-prediction layer(s)"]
    assert weight_bytes(a, Quant.BF16) == 2 * p.total
    # llama.cpp holds the text decoder only (the vision tower is a separate mmproj file)
    assert weight_bytes(a, Quant.Q8_0) < 1.1 * p.active


def test_qwen3_next_interval_experts_and_state() -> None:
    a = arch_from_config(config("qwen3-next-80b-a3b-instruct"))
    assert a.count_layers("full") == 12  # full_attention_interval 4 over 48 layers
    assert kv_bytes_per_token(a) == 12 * 2 * 2 * 256 * 2
    assert state_bytes_per_sequence(a) == 36 * ((2 * 16 * 128 + 32 * 128) * 4 * 2 + 32 * 128 * 128 * 4)
    p = count_params(a)
    assert 79e9 < p.total < 81e9 and 3e9 < p.active < 4e9  # "80B total, 3B activated"


# ---------------------------------------------------------------- multi-head latent attention


def test_minicpm3_decompresses_everywhere_and_vllm_pads_values() -> None:
    a = arch_from_config(config("minicpm3-4b"))
    assert a.mla is not None and a.mla.v_dim == 64  # hidden 2560 / 40 heads: MiniCPM3 has no v_head_dim key
    # transformers and llama.cpp: 40 heads x (64 + 32) keys + 40 x 64 values, 62 layers, 2 bytes
    assert kv_bytes_per_token(a) == 62 * 40 * (96 + 64) * 2 == 793_600
    assert kv_bytes_per_token(a, runtime="llama.cpp") == 793_600
    # vLLM's minicpm3.py pads values to the 96-wide key heads
    assert kv_bytes_per_token(a, runtime="vllm") == 62 * 2 * 40 * 96 * 2
    assert round(count_params(a).total / 1e9, 1) == 4.1


def test_deepseek_v2_latent_under_vllm_and_llama_cpp() -> None:
    a = arch_from_config(config("deepseek-v2-lite"))
    latent = 27 * (512 + 64) * 2  # kv_lora_rank + qk_rope_head_dim per layer
    assert kv_bytes_per_token(a, runtime="vllm") == latent == 31_104
    assert kv_bytes_per_token(a, runtime="llama.cpp") == latent
    assert kv_bytes_per_token(a) == 27 * 16 * (128 + 64 + 128) * 2  # transformers: decompressed keys and values
    p = count_params(a)
    assert round(p.total / 1e9, 1) == 15.7  # DeepSeek-V2-Lite: 15.7B total
    assert 2.4e9 < p.active - p.embedding < 2.5e9  # "2.4B activated" (without the input embedding)


# ---------------------------------------------------------------- mixture of experts


def test_qwen3_moe_holds_every_expert_and_reports_active() -> None:
    a = arch_from_config(config("qwen3-30b-a3b"))
    assert kv_bytes_per_token(a) == 48 * 2 * 4 * 128 * 2
    p = count_params(a)
    assert round(p.total / 1e9, 1) == 30.5 and 3.3e9 < p.active < 3.4e9  # Qwen3-30B-A3B: 30.5B, 3.3B activated
    assert weight_bytes(a, Quant.BF16) == 2 * p.total
    assert weight_bytes(a, Quant.Q4_K_M) < weight_bytes(a, Quant.Q8_0) < weight_bytes(a, Quant.BF16)


def test_experts_without_a_routing_width_are_refused_by_name() -> None:
    c = config("qwen3-30b-a3b")
    del c["num_experts_per_tok"]
    with pytest.raises(EstimateError, match="qwen3_moe config is missing 'num_experts_per_tok'"):
        arch_from_config(c)


# ---------------------------------------------------------------- multimodal wrappers


def test_qwen2_5_vl_text_from_top_level_vision_counted() -> None:
    a = arch_from_config(config("qwen2.5-vl-7b-instruct"))
    assert kv_bytes_per_token(a) == 28 * 2 * 4 * 128 * 2  # the text model's cache
    p = count_params(a)
    assert round(p.total / 1e9, 2) == 8.29  # Qwen2.5-VL-7B-Instruct: 8.29B parameters in its safetensors
    assert a.counted and a.counted[0].startswith("vision tower")


# ---------------------------------------------------------------- sliding windows


def test_sliding_layers_stop_growing_at_their_window() -> None:
    base = {k: v for k, v in config("qwen3-30b-a3b").items() if "expert" not in k and k != "mlp_only_layers"}
    kinds = ["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"] * 12
    a = arch_from_config({**base, "model_type": "qwen3", "layer_types": kinds, "sliding_window": 1024})
    per_layer = 2 * 4 * 128 * 2
    assert kv_bytes_per_token(a) == 12 * per_layer  # only full layers grow with context
    assert kv_cache_bytes(a, 8192) == per_layer * (12 * 8192 + 36 * 1024)
    assert kv_cache_bytes(a, 512) == per_layer * 48 * 512


# ---------------------------------------------------------------- quantization_config


def test_awq_config_prices_group_scales_and_zeros() -> None:
    a = arch_from_config(config("qwen2.5-7b-instruct-awq"))
    assert sensible_levels(a) == (Quant.AWQ,)
    # the config states what AutoAWQ's defaults already are
    assert weight_bytes(a._replace(quant_config=None), Quant.AWQ) == weight_bytes(a, Quant.AWQ)
    # group 64 instead of 128: one more fp16 scale and 4-bit zero (2.5 bytes) per 128 weights of every matrix
    wider = a._replace(quant_config=a.quant_config._replace(group_size=64))  # type: ignore[union-attr]
    p = count_params(a)
    assert weight_bytes(wider, Quant.AWQ) - weight_bytes(a, Quant.AWQ) == p.block_linear // 128 * 5 // 2
    eight = a._replace(quant_config=a.quant_config._replace(method="gptq", bits=8))  # type: ignore[union-attr]
    assert sensible_levels(eight) == (Quant.GPTQ_INT8,)


def test_fp8_block_scales_and_unconverted_modules() -> None:
    a = arch_from_config(config("qwen3-8b-fp8"))
    assert a.quant_config is not None and a.quant_config.block == (128, 128)
    assert sensible_levels(a) == (Quant.FP8,)
    p = count_params(a)
    # fp8 block matrices: 1 byte per weight + one fp32 scale per 128 x 128 block; q_proj 4096 -> 4096 has 32 x 32
    blocks = sum(-(-m_out // 128) * -(-m_in // 128) for m_in, m_out in _qwen3_8b_matrices()) * 36
    expected = p.block_linear + 4 * blocks + 2 * (p.block_small + p.norms + p.embedding + p.lm_head)
    assert weight_bytes(a, Quant.FP8) == expected
    per_channel = weight_bytes(a._replace(quant_config=None), Quant.FP8)  # one fp32 scale per output row
    assert per_channel - expected == 4 * (sum(out for _, out in _qwen3_8b_matrices()) * 36 - blocks)


def _qwen3_8b_matrices() -> list[tuple[int, int]]:
    h, q, kv, f = 4096, 32 * 128, 8 * 128, 12288
    return [(h, q), (h, kv), (h, kv), (q, h), (h, f), (h, f), (f, h)]


# ---------------------------------------------------------------- unknown model types, bounds


def test_unknown_model_type_with_standard_keys_is_read_llama_style() -> None:
    a = arch_from_config(config("xverse-7b"))
    assert a.warnings == ("model_type xverse: read as a LLaMA-style decoder",)
    assert kv_bytes_per_token(a) == 32 * 2 * 4096 * 2


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"num_hidden_layers": None}, "xverse config is missing 'num_hidden_layers'"),
        ({"num_hidden_layers": 1e30}, "'num_hidden_layers' = 1e\\+30 is beyond any real model"),
        ({"vocab_size": 10**12}, "'vocab_size' = 1000000000000 is beyond"),
        ({"hidden_size": float("nan")}, "'hidden_size' must be a positive whole number"),
    ],
)
def test_refusals_name_the_key(change: Mapping[str, object], needle: str) -> None:
    c = {**config("xverse-7b"), **change}
    with pytest.raises(EstimateError, match=needle):
        arch_from_config(c)


def test_absurd_nested_counts_are_refused_too() -> None:
    c = config("qwen3.5-9b")
    text = dict(c["text_config"])  # type: ignore[call-overload]
    c["text_config"] = {**text, "linear_num_value_heads": 1e9}
    with pytest.raises(EstimateError, match="'linear_num_value_heads' = 1000000000.0 is beyond"):
        arch_from_config(c)
    c = config("qwen3.5-9b")
    c["vision_config"] = {**c["vision_config"], "depth": 10**9}  # type: ignore[dict-item]
    with pytest.raises(EstimateError, match="'depth' = 1000000000 is beyond"):
        arch_from_config(c)
    c = config("qwen3.5-9b")
    c["text_config"] = {**text, "layer_types": ["full_attention"] * 3}
    with pytest.raises(EstimateError, match="'layer_types' lists 3 layers, not 32"):
        arch_from_config(c)


# ---------------------------------------------------------------- KV-cache types and consistency


def test_kv_cache_types_per_runtime() -> None:
    a = arch_from_config(config("qwen3-30b-a3b"))
    f16 = estimate_inference(a, Quant.Q4_K_M, ctx=8192, prompt=1)
    q8 = estimate_inference(a, Quant.Q4_K_M, ctx=8192, prompt=1, kv_cache="q8_0")
    q4 = estimate_inference(a, Quant.Q4_K_M, ctx=8192, prompt=1, kv_cache="q4_0")
    assert f16.kv_cache == "fp16" and q8.kv_cache == "q8_0"
    assert q8.kv_cache_bytes * 32 == f16.kv_cache_bytes * 17  # 34 bytes per 32 values vs 64
    assert q4.kv_cache_bytes * 32 == f16.kv_cache_bytes * 9  # 18 bytes per 32 values
    with pytest.raises(EstimateError, match="transformers has no fp8 KV cache"):
        estimate_inference(a, Quant.BF16, ctx=8192, kv_cache="fp8")
    with pytest.raises(EstimateError, match="llama.cpp has no fp8 KV cache"):
        estimate_inference(a, Quant.Q4_K_M, ctx=8192, kv_cache="fp8")


# ---------------------------------------------------------------- fine-tuning under DeepSpeed ZeRO-2, GPTQ bases


def test_peft_keeps_a_gptq_base_in_fp16_but_upcasts_bitsandbytes() -> None:
    from llmzh.estimate import estimate_finetune

    a = arch_from_config(config("qwen3-8b-fp8"))._replace(quant_config=None)
    p = count_params(a)
    gptq = estimate_finetune(a, "qlora", seq=256, base_quant=Quant.GPTQ_INT4)
    assert gptq.weights_bytes == weight_bytes(a, Quant.GPTQ_INT4)  # prepare_model_for_kbit_training skips GPTQ
    nf4 = estimate_finetune(a, "qlora", seq=256, base_quant=Quant.BNB_NF4)
    upcast = (p.embedding + p.lm_head + p.block_small + p.norms) * 2  # 16-bit -> fp32
    assert nf4.weights_bytes - upcast < weight_bytes(a, Quant.BNB_NF4)


def test_zero2_on_one_gpu_holds_16_bytes_per_trainable_parameter_and_two_buckets_in_backward() -> None:
    from llmzh.estimate import estimate_finetune

    a = arch_from_config(config("qwen3-8b-fp8"))._replace(quant_config=None)
    p = count_params(a)
    amp = estimate_finetune(a, "full", seq=1024)
    zero = estimate_finetune(a, "full", seq=1024, zero2_bucket=200_000_000)
    assert amp.weights_bytes + amp.grads_optimizer_bytes == 16 * p.total
    assert zero.weights_bytes + zero.grads_optimizer_bytes == 16 * p.total + 2 * 200_000_000 * 2
    assert zero.step_bytes == 6 * p.total - 2 * 200_000_000 * 2  # the fp32 gradient exists in step() only
    # no autocast under DeepSpeed's bf16 engine: the loss stays in bf16 (6 bytes per logit instead of 12)
    assert amp.activation_checkpointed_bytes - zero.activation_checkpointed_bytes == 1024 * a.vocab * 6
