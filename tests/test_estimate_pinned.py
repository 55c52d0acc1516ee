"""The estimator pinned to values computed by hand from the sources, not from the code: bytes of GGUF tensors from
ggml's block sizes and llama.cpp's type rules, KV caches from each config's numbers, llama.cpp's compute buffer past
one micro-batch, the transformers logits of a whole prompt, AWQ's loading peak on a tied-embedding model, and the
overheads nvidia-smi sees. Each test is there because a mutation of the estimator survived without it
(bench/mutants.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from published_configs import QWEN2_5_0_5B, QWEN2_5_7B

from llmzh.estimate import (
    EstimateError,
    Matrix,
    QuantConfig,
    arch_from_config,
    count_params,
    estimate_inference,
    kv_bytes_per_token,
    kv_cache_bytes,
    lora_params,
    sensible_levels,
    state_bytes_per_sequence,
    weight_bytes,
)
from llmzh.estimate.weights import _gguf_matrix_type
from llmzh.schema import Quant

MiB = 1 << 20
CONFIGS = Path(__file__).parent / "fixtures" / "configs"

# Published configs: tests/published_configs.py.
QWEN2_5_0_5B_PARAMS = 494_032_768  # Qwen/Qwen2.5-0.5B safetensors: "494M params"
QWEN2_5_0_5B_EMBEDDING = 151936 * 896

# A two-layer LLaMA-style model whose rows are all multiples of 256, so every k-quant applies as llama.cpp chooses
# it: q 256->256, k and v 256->128, o 256->256, gate and up 256->512, down 512->256; RMSNorms only.
TINY = {
    "model_type": "llama",
    "num_hidden_layers": 2,
    "hidden_size": 256,
    "intermediate_size": 512,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 1000,
}
TINY_F32 = 4 * (2 * 2 * 256 + 256)  # two RMSNorm weights per layer and the final norm, F32 in GGUF


def _config(name: str) -> dict[str, object]:
    data = json.loads((CONFIGS / f"{name}.json").read_text())
    assert isinstance(data, dict)
    return data


def _k(weights: int, block_bytes: int) -> int:
    """Bytes of ``weights`` weights in a k-quant type: 256 weights per block (ggml-common.h)."""
    assert weights % 256 == 0
    return weights // 256 * block_bytes


Q2_K, Q3_K, Q4_K, Q5_K, Q6_K = 84, 110, 144, 176, 210  # sizeof(block_q*_K), ggml-common.h


# ---------------------------------------------------------------- GGUF: llama.cpp's per-tensor types


def test_q4_k_m_gives_more_bits_to_the_layers_llama_cpp_names() -> None:
    # llama-quant.cpp use_more_bits(i, n): i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2; for 32 layers:
    more = [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]
    v = Matrix("attn_v", 4096, 1024)
    down = Matrix("ffn_down", 14336, 4096)
    assert [i for i in range(32) if _gguf_matrix_type(Quant.Q4_K_M, v, i, 32, 4) == "q6_K"] == more
    assert [i for i in range(32) if _gguf_matrix_type(Quant.Q5_K_M, down, i, 32, 4) == "q6_K"] == more
    assert _gguf_matrix_type(Quant.Q4_K_M, v, 4, 32, 4) == "q4_K"
    assert _gguf_matrix_type(Quant.Q5_K_M, v, 4, 32, 4) == "q5_K"
    # Q3_K_M: attn_v Q5_K in the first two layers only; ffn_down Q5_K in the first sixteenth (2 of 32 layers)
    assert [_gguf_matrix_type(Quant.Q3_K_M, v, i, 32, 4) for i in (0, 1, 2)] == ["q5_K", "q5_K", "q4_K"]
    assert [_gguf_matrix_type(Quant.Q3_K_M, down, i, 32, 4) for i in (1, 2)] == ["q5_K", "q4_K"]


def test_q4_k_m_bytes_of_every_tensor_of_a_two_layer_model() -> None:
    # Layer 1 of 2 is a use_more_bits layer (i >= 7 x 2 / 8): its attn_v and ffn_down are Q6_K; layer 0 is all
    # Q4_K. Token embedding Q4_K (untied), output Q6_K, norms F32.
    layer0 = _k(65536 + 32768 + 32768 + 65536 + 3 * 131072, Q4_K)
    layer1 = _k(65536 + 32768 + 65536 + 2 * 131072, Q4_K) + _k(32768 + 131072, Q6_K)
    expected = layer0 + layer1 + _k(256_000, Q4_K) + _k(256_000, Q6_K) + TINY_F32
    assert expected == 1_064_912
    assert weight_bytes(arch_from_config(TINY), Quant.Q4_K_M) == expected


def test_q5_k_m_q3_k_m_and_q2_k_bytes_of_a_two_layer_model() -> None:
    tiny = arch_from_config(TINY)
    layer0 = _k(589_824, Q5_K)
    layer1 = _k(425_984, Q5_K) + _k(32768 + 131072, Q6_K)
    assert weight_bytes(tiny, Quant.Q5_K_M) == layer0 + layer1 + _k(256_000, Q5_K) + _k(256_000, Q6_K) + TINY_F32
    # Q3_K_M: attn_v Q5_K (layers 0 and 1), ffn_down and attn_output Q4_K, the rest Q3_K; embedding Q3_K
    layer = _k(65536 + 32768 + 2 * 131072, Q3_K) + _k(32768, Q5_K) + _k(65536 + 131072, Q4_K)
    assert weight_bytes(tiny, Quant.Q3_K_M) == 2 * layer + _k(256_000, Q3_K) + _k(256_000, Q6_K) + TINY_F32
    # Q2_K with 2 query heads per KV head: attn_v, attn_output and ffn_down Q3_K, the rest Q2_K
    layer = _k(65536 + 32768 + 2 * 131072, Q2_K) + _k(32768 + 65536 + 131072, Q3_K)
    assert weight_bytes(tiny, Quant.Q2_K) == 2 * layer + _k(256_000, Q2_K) + _k(256_000, Q6_K) + TINY_F32


def test_q2_k_gives_attn_v_q4_k_from_four_query_heads_per_kv_head() -> None:
    mqa = arch_from_config({**TINY, "num_key_value_heads": 1})  # k and v 256 -> 64; 4 query heads share one
    layer = _k(65536 + 16384 + 2 * 131072, Q2_K) + _k(16384, Q4_K) + _k(65536 + 131072, Q3_K)
    assert weight_bytes(mqa, Quant.Q2_K) == 2 * layer + _k(256_000, Q2_K) + _k(256_000, Q6_K) + TINY_F32


def test_a_fused_qkv_and_a_tied_embedding_in_gguf() -> None:
    # BLOOM-style: fused query_key_value 256 -> 768, dense 256 -> 256, 4h MLP 256 -> 1024 -> 256, biases and
    # LayerNorms everywhere (F32), tied output: the one shared tensor is quantized as the output, Q6_K.
    bloom = arch_from_config({"model_type": "bloom", "n_layer": 2, "n_head": 4, "hidden_size": 256, "vocab_size": 1000})
    qkv = _k(196_608, Q5_K)  # Q4_K_M gives a fused attn_qkv Q5_K
    layer0 = qkv + _k(65536 + 262_144 + 262_144, Q4_K)
    layer1 = qkv + _k(65536 + 262_144, Q4_K) + _k(262_144, Q6_K)
    per_layer_f32 = 2 * 2 * 256 + 768 + 256 + 1024 + 256  # 2 LayerNorms, qkv/dense biases, MLP biases
    f32 = 4 * (2 * per_layer_f32 + 2 * 256 + 2 * 256)  # + final LayerNorm + embedding LayerNorm
    assert weight_bytes(bloom, Quant.Q4_K_M) == layer0 + layer1 + _k(256_000, Q6_K) + f32 == 1_242_192
    # Q5_K_M gives it Q6_K, Q3_K_M Q4_K (with attn_output)
    layer = _k(196_608, Q6_K) + _k(65536 + 262_144, Q5_K)
    assert weight_bytes(bloom, Quant.Q5_K_M) == 2 * layer + _k(262_144, Q5_K + Q6_K) + _k(256_000, Q6_K) + f32


# ---------------------------------------------------------------- KV cache and recurrent state


def test_a_bf16_kv_cache_is_two_bytes_per_element_on_every_runtime() -> None:
    a = arch_from_config(QWEN2_5_7B)
    # 28 layers x 2 (K, V) x 4 KV heads x 128 x 2 bytes, for n_ctx 4000 padded to 4096 by llama.cpp
    per_token = 28 * 2 * 4 * 128 * 2
    gguf = estimate_inference(a, Quant.Q4_K_M, ctx=4000, prompt=100, kv_cache="bf16")
    assert (gguf.kv_cache, gguf.kv_cache_bytes) == ("bf16", per_token * 4096)
    hf = estimate_inference(a, Quant.BF16, ctx=4000, kv_cache="bf16")
    assert (hf.kv_cache, hf.kv_cache_bytes) == ("bf16", per_token * 4000)


def test_vllm_holds_the_recurrent_state_in_mamba_ssm_dtype_else_the_model_dtype() -> None:
    c = _config("qwen3.5-9b")
    conv_dim, state = 2 * 16 * 128 + 32 * 128, 32 * 128 * 128  # 24 linear layers; vLLM keeps 3 conv taps
    for ssm_dtype, state_bytes in (("float32", 4), ("bfloat16", 2), ("float16", 2)):
        c["text_config"] = {**c["text_config"], "mamba_ssm_dtype": ssm_dtype}  # type: ignore[dict-item]
        a = arch_from_config(c)
        assert state_bytes_per_sequence(a, runtime="vllm") == 24 * (conv_dim * 3 * 2 + state * state_bytes)
        # whatever the activations' dtype (fp32 here: 4-byte conv taps)
        assert state_bytes_per_sequence(a, runtime="vllm", dtype_bytes=4) == 24 * (conv_dim * 12 + state * state_bytes)
    # Qwen3-Next's config names no mamba_ssm_dtype: the state is in the model dtype (here fp32 activations)
    nxt = arch_from_config(_config("qwen3-next-80b-a3b-instruct"))
    assert nxt.linear is not None and nxt.linear.state_dtype is None
    assert state_bytes_per_sequence(nxt, runtime="vllm", dtype_bytes=4) == 36 * (conv_dim * 3 * 4 + state * 4)
    assert state_bytes_per_sequence(nxt, runtime="vllm") == 36 * (conv_dim * 3 * 2 + state * 2)


def test_kv_per_token_of_each_published_architecture() -> None:
    # 2 (K, V) x KV heads x head_dim x layers x 2 bytes, from each config's numbers
    assert kv_bytes_per_token(arch_from_config(QWEN2_5_0_5B)) == 2 * 2 * 64 * 24 * 2 == 12_288
    assert kv_bytes_per_token(arch_from_config(QWEN2_5_7B), kv_dtype="q8_0") == 2 * 4 * 128 * 28 * 34 / 32


# ---------------------------------------------------------------- llama.cpp compute buffer


def test_llama_cpp_compute_buffer_past_one_micro_batch() -> None:
    a = arch_from_config(QWEN2_5_7B)
    est = estimate_inference(a, Quant.Q4_K_M, ctx=4000, prompt=2000)
    n_ctx, ubatch = 4096, 512  # n_ctx padded to 256; a 2000-token prompt is evaluated 512 tokens at a time
    scores = 28 * ubatch * n_ctx * 4  # F32 KQ of 28 heads, one micro-batch against the whole cache
    ffn_attn = ubatch * (3 * 18944 + 4 * 3584 + 3584 + 2 * 512) * 4  # F32 MLP and attention intermediates
    logits = 152064 * 4
    dequant = 2 * 3584 * 18944  # f16 copy of the largest matrix (gate/up) for cuBLAS
    assert est.activation_bytes == scores + ffn_attn + logits + dequant == 526_469_120
    assert est.kv_cache_bytes == 28 * 2 * 4 * 128 * 2 * n_ctx
    assert est.slack_bytes == 0 and est.overhead_bytes == 512 * MiB + 64 * MiB
    # up to 32 prompt tokens run on the quantized kernels (no dequantized copy) and in one micro-batch
    short = estimate_inference(a, Quant.Q4_K_M, ctx=4000, prompt=32)
    assert short.activation_bytes == 28 * 32 * n_ctx * 4 + 32 * (3 * 18944 + 4 * 3584 + 3584 + 2 * 512) * 4 + logits


# ---------------------------------------------------------------- transformers: logits, loading, overheads


def test_legacy_transformers_holds_the_whole_prompt_logits_in_bf16_and_fp32() -> None:
    a = arch_from_config(QWEN2_5_0_5B)
    old = estimate_inference(a, Quant.BF16, ctx=4096, runtime="transformers-legacy")
    logits = 4096 * 151936 * (2 + 4)  # every prompt position, in bf16 and upcast to fp32
    hidden = 4096 * 896 * 2  # the last hidden states the LM head reads
    rotary = 24 * 2 * 32768 * 64 * 2  # cos and sin for 32768 positions in each of the 24 layers
    assert old.activation_bytes == logits + hidden + rotary == 3_942_645_760
    # transformers >= 4.45: only the last position's logits; the peak is one block's prefill intermediates
    new = estimate_inference(a, Quant.BF16, ctx=4096)
    residual = 2 * 4096 * 896 * 2  # the residual stream and its normalised copy
    mlp = 3 * 4096 * 4864 * 2  # act(gate), up and their product
    assert new.activation_bytes == residual + mlp == 134_217_728


def test_one_total_by_hand_with_context_workspace_and_slack() -> None:
    est = estimate_inference(arch_from_config(QWEN2_5_0_5B), Quant.BF16, ctx=4096)
    weights = 2 * QWEN2_5_0_5B_PARAMS
    kv = 12_288 * 4096
    activations = 134_217_728  # test above
    slack = int(0.10 * (kv + activations))  # the caching allocator's reserve on the transient tensors
    assert est.total_bytes == weights + kv + activations + 512 * MiB + 64 * MiB + slack == 1_795_049_625
    assert est.allocated_bytes == weights + kv + activations + 64 * MiB  # no CUDA context, no slack


def test_awq_of_a_tied_embedding_model_peaks_while_loading() -> None:
    a = arch_from_config(QWEN2_5_0_5B)
    awq = estimate_inference(a, Quant.AWQ, ctx=1)
    # The AWQ checkpoint also stores lm_head.weight: loaded in fp16 before being tied, one embedding above the
    # weights; at a 1-token prompt nothing later is larger.
    assert awq.allocated_bytes - awq.weights_bytes == 2 * QWEN2_5_0_5B_EMBEDDING + 64 * MiB
    # Without that checkpoint quirk the peak is the last step: the last position's fp16 logits and their fp32 copy,
    # plus (GPTQ) the exllama kernel's fp16 copy of the largest matrix, gate/up 896 x 4864.
    logits = 151936 * (2 + 4)
    untied = estimate_inference(arch_from_config({**QWEN2_5_0_5B, "tie_word_embeddings": False}), Quant.AWQ, ctx=1)
    assert (untied.kv_cache_bytes, untied.activation_bytes) == (12_288, logits)
    gptq = estimate_inference(a, Quant.GPTQ_INT4, ctx=1)
    assert (gptq.kv_cache_bytes, gptq.activation_bytes) == (12_288, logits + 2 * 896 * 4864)


@pytest.mark.parametrize("quant", [Quant.AWQ, Quant.GPTQ_INT4])
def test_tied_weights_hold_one_embedding(quant: Quant) -> None:
    tied = arch_from_config(QWEN2_5_0_5B)
    untied = arch_from_config({**QWEN2_5_0_5B, "tie_word_embeddings": False})
    assert weight_bytes(untied, quant) - weight_bytes(tied, quant) == 2 * QWEN2_5_0_5B_EMBEDDING


# ---------------------------------------------------------------- configs refused


def test_linear_attention_layers_without_their_keys_are_refused() -> None:
    # priced as attention without a cache they would under-estimate; qwen3_next already refuses the missing keys
    config = {**TINY, "model_type": "qwen3", "layer_types": ["linear_attention", "full_attention"]}
    with pytest.raises(EstimateError, match="'layer_types' lists linear_attention layers but not their"):
        arch_from_config(config)


# ---------------------------------------------------------------- what each family's modelling code does

DEEPSEEK_V2_LITE, MINICPM3_4B, QWEN3_NEXT = "deepseek-v2-lite", "minicpm3-4b", "qwen3-next-80b-a3b-instruct"
# Two layers of hidden 256, 4 heads of 64, MLP projections of 512, vocabulary 1000, in each family's own key names.
_BASE = {"num_hidden_layers": 2, "hidden_size": 256, "intermediate_size": 512, "num_attention_heads": 4}
FAMILIES: dict[str, dict[str, object]] = {
    "llama": {**_BASE, "model_type": "llama", "vocab_size": 1000},
    "glm": {**_BASE, "model_type": "glm", "head_dim": 64, "vocab_size": 1000},
    "chatglm2": {
        "model_type": "chatglm",
        "num_layers": 2,
        "hidden_size": 256,
        "ffn_hidden_size": 512,
        "num_attention_heads": 4,
        "kv_channels": 64,
        "padded_vocab_size": 1000,
    },
    "chatglm": {
        "model_type": "chatglm",
        "num_layers": 2,
        "hidden_size": 256,
        "inner_hidden_size": 512,
        "num_attention_heads": 4,
        "vocab_size": 1000,
    },
    # Qwen 1st gen states both halves of its MLP: 1024 = 2 x 512
    "qwen": {**_BASE, "model_type": "qwen", "intermediate_size": 1024, "vocab_size": 1000, "seq_length": 512},
    "baichuan": {**_BASE, "model_type": "baichuan", "vocab_size": 4000},
    "internlm": {**_BASE, "model_type": "internlm", "bias": True, "vocab_size": 1000},
    "internlm2": {**_BASE, "model_type": "internlm2", "num_key_value_heads": 4, "vocab_size": 1000},
    "qwen2": {**_BASE, "model_type": "qwen2", "vocab_size": 1000},
    "qwen3": {**_BASE, "model_type": "qwen3", "vocab_size": 1000},
    "minicpm": {**_BASE, "model_type": "minicpm", "vocab_size": 1000},
    "unknown": {**_BASE, "vocab_size": 1000},  # no model_type: unknown modelling code
    "bloom": {
        "model_type": "bloom",
        "n_layer": 2,
        "n_head": 4,
        "hidden_size": 256,
        "vocab_size": 4000,
        "seq_length": 512,
    },
}


@pytest.mark.parametrize(
    ("family", "remote", "attention"),
    [
        # trust_remote_code: the repos whose config.json has an auto_map to their own modelling file
        ("chatglm", True, "eager"),  # ChatGLM-6B attention_fn: explicit fp32 scores
        ("chatglm2", True, "sdpa"),  # ChatGLM2/3 CoreAttention: torch SDPA
        ("qwen", True, "eager"),  # Qwen-7B: flash-attn only when installed
        ("baichuan", True, "eager"),
        ("internlm", True, "eager"),  # InternLM-7B modeling_internlm.py
        ("internlm2", True, "eager"),
        ("minicpm", True, "sdpa"),
        ("unknown", True, "eager"),  # the costliest common behaviour, the safe side
        ("llama", False, "sdpa"),
        ("glm", False, "sdpa"),
        ("qwen2", False, "sdpa"),  # Qwen1.5 / Qwen2 / Qwen2.5 run transformers' own Qwen2 code
        ("qwen3", False, "sdpa"),
        ("bloom", False, "eager"),  # transformers' BloomAttention: baddbmm scores, fp32 softmax
    ],
)
def test_remote_code_and_default_attention_per_family(family: str, remote: bool, attention: str) -> None:
    a = arch_from_config(FAMILIES[family])
    assert a.family == family
    assert a.remote_code is remote
    assert estimate_inference(a, Quant.FP16, ctx=16).attention == attention


@pytest.mark.parametrize(
    ("name", "remote"), [(DEEPSEEK_V2_LITE, False), (MINICPM3_4B, True), (QWEN3_NEXT, False), ("xverse-7b", True)]
)
def test_remote_code_of_the_published_configs(name: str, remote: bool) -> None:
    assert arch_from_config(_config(name)).remote_code is remote


# Prompt = context = 256 tokens, fp16, flash attention (no score matrix): the peak is the end of prefill, the
# prompt's cache plus the larger of one block's intermediates and the LM head's output. By hand:
#   block = residual + normed input (2 x 256 x 256 x 2 = 262,144) + MLP intermediates alive at once
#           (3 or 4 x 512 x 256 x 2 = 786,432 or 1,048,576); attention's q, k, v, out (524,288) is smaller
#   head  = last hidden states (256 x 256 x 2 = 131,072) + logits: the last position only (1000 x 2), or every
#           prompt position (256 x vocab) in fp16 (x 2), plus a contiguous copy (x 4) or an fp32 copy (x 6)
@pytest.mark.parametrize(
    ("family", "runtime", "activation"),
    [
        ("llama", "transformers", 262_144 + 786_432),  # act(gate), up, product
        ("glm", "transformers", 262_144 + 1_048_576),  # fused gate_up output + its halves: 4 alive
        ("chatglm2", "transformers", 262_144 + 1_048_576),  # dense_h_to_4h + swiglu; last logit only
        ("chatglm", "transformers", 131_072 + 1000 * 256 * 4),  # all logits, fp16, permuted contiguous copy
        # a1, a2, silu(a2), product; + the registered causal mask of seq_length^2 bools
        ("qwen", "transformers", 262_144 + 1_048_576 + 512 * 512),
        ("baichuan", "transformers", 131_072 + 4000 * 256 * 2),  # all logits in fp16
        ("internlm", "transformers", 131_072 + 1000 * 256 * 6),  # logits.float()
        ("internlm2", "transformers", 131_072 + 1000 * 256 * 6),
        ("minicpm", "transformers", 131_072 + 1000 * 256 * 6),  # logits.float()
        ("unknown", "transformers", 131_072 + 1000 * 256 * 6),
        # BLOOM under 4.36-era transformers: all logits, kept in fp16 (no upcast in BloomForCausalLM); ALiBi, so no
        # rotary cache
        ("bloom", "transformers-legacy", 131_072 + 4000 * 256 * 2),
    ],
)
def test_prefill_peak_per_family(family: str, runtime: str, activation: int) -> None:
    a = arch_from_config(FAMILIES[family])
    est = estimate_inference(a, Quant.FP16, ctx=256, runtime=runtime, attention="flash")  # type: ignore[arg-type]
    assert est.kv_cache_bytes == 2 * 2 * 256 * 2 * 256  # 2 layers x (K, V) x 4 heads of 64 x 2 bytes x 256
    assert est.activation_bytes == activation


# ---------------------------------------------------------------- exact parameter counts


@pytest.mark.parametrize(
    ("name", "text_decoder"),
    [
        # GGUF general.parameter_count / llama.cpp's n_params (and the safetensors totals of the text-only repos)
        ("qwen3-8b-fp8", 8_190_735_360),  # Qwen/Qwen3-8B: q/k RMSNorms of 128 in every layer
        ("qwen3-30b-a3b", 30_532_122_624),  # a 2048 x 128 router in each of 48 layers
        ("qwen3-next-80b-a3b-instruct", 79_674_391_296),  # convs, decay, shared-expert gates
        ("deepseek-v2-lite", 15_706_484_224),  # q/kv latent norms, dense first layer
        # Qwen3.5-9B's GGUF holds the text decoder only; the vision tower and MTP layer are counted apart
        ("qwen3.5-9b", 8_953_803_264),
    ],
)
def test_exact_parameter_counts(name: str, text_decoder: int) -> None:
    p = count_params(arch_from_config(_config(name)))
    assert p.total - p.extra == text_decoder
    assert (p.extra > 0) is (name == "qwen3.5-9b")


def test_active_parameters_of_qwen3_30b_a3b() -> None:
    # 8 of 128 experts per token: 30,532,122,624 - 48 layers x 120 idle experts x 3 x 2048 x 768
    assert count_params(arch_from_config(_config("qwen3-30b-a3b"))).active == 3_353_032_704


def test_mlp_biases_of_a_gated_mlp() -> None:
    # LlamaMLP with mlp_bias: gate_proj and up_proj biases of 512, down_proj's of 256, in each of 2 layers
    plain, biased = arch_from_config(TINY), arch_from_config({**TINY, "mlp_bias": True})
    assert count_params(biased).total - count_params(plain).total == 2 * (2 * 512 + 256)


def test_llama_cpp_dequantizes_the_largest_matrix_of_the_whole_model() -> None:
    # DeepSeek-V2-Lite's first layer is dense (ffn 10944) and larger than any expert: past 32 prompt tokens
    # ggml-cuda's pool holds its gate/up matrix in f16
    a = arch_from_config(_config("deepseek-v2-lite"))
    short = estimate_inference(a, Quant.Q4_K_M, ctx=512, prompt=32)
    longer = estimate_inference(a, Quant.Q4_K_M, ctx=512, prompt=33)
    # one more token's F32 scores (16 heads x 512) and intermediates: the MLP width is that of 6 routed + 2 shared
    # experts of 1408 (11264, wider than the dense 10944), queries and keys of 16 heads x 192
    one_token = 16 * 512 * 4 + (3 * 11264 + 4 * 2048 + 16 * 192 + 2 * 16 * 192) * 4
    assert longer.activation_bytes - short.activation_bytes == 2 * 2048 * 10944 + one_token


@pytest.mark.parametrize(
    ("key", "limit"),
    [
        ("num_hidden_layers", 1024),
        ("num_nextn_predict_layers", 1024),  # each one is priced as a whole decoder layer
        ("hidden_size", 1 << 17),
        ("num_attention_heads", 1 << 12),
        ("head_dim", 1 << 12),
        ("intermediate_size", 1 << 20),
        ("vocab_size", 1 << 23),
        ("max_position_embeddings", 1 << 27),
    ],
)
def test_a_count_is_read_up_to_its_bound_and_refused_past_it(key: str, limit: int) -> None:
    config = _config("xverse-7b")
    arch_from_config({**config, key: limit})
    with pytest.raises(EstimateError, match=f"'{key}' = {limit + 1} is beyond any real model \\(at most {limit}\\)"):
        arch_from_config({**config, key: limit + 1})


def test_expert_latent_and_other_counts_are_bounded_too() -> None:
    config = _config("xverse-7b")
    with pytest.raises(EstimateError, match="'num_experts' = 16385 is beyond any real model \\(at most 16384\\)"):
        arch_from_config({**config, "num_experts": 16385, "num_experts_per_tok": 2})
    latent = {**config, "kv_lora_rank": 65537, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64}
    with pytest.raises(EstimateError, match="'kv_lora_rank' = 65537 is beyond any real model \\(at most 65536\\)"):
        arch_from_config(latent)
    vision = _config("qwen3.5-9b")
    vision["vision_config"] = {**vision["vision_config"], "patch_size": (1 << 24) + 1}  # type: ignore[dict-item]
    with pytest.raises(EstimateError, match="'patch_size' = 16777217 is beyond any real model \\(at most 16777216\\)"):
        arch_from_config(vision)


# ---------------------------------------------------------------- GGUF: k-quant fallbacks on rows not a multiple of 256

# hidden 384 (not a multiple of 256, as Qwen2.5-0.5B's 896), 6 heads of 64, 2 KV heads, MLP 768
ODD = {**TINY, "hidden_size": 384, "intermediate_size": 768, "num_attention_heads": 6}
ODD_F32 = 4 * (2 * 2 * 384 + 384)


def _b32(weights: int, block_bytes: int) -> int:
    """Bytes of ``weights`` weights in a 32-weight block type: q8_0 34, q5_1 24, q5_0 22, iq4_nl 18 bytes."""
    assert weights % 32 == 0
    return weights // 32 * block_bytes


def test_k_quants_fall_back_on_rows_of_384() -> None:
    odd = arch_from_config(ODD)
    q, kv, gate = 384 * 384, 384 * 128, 384 * 768  # q and o; k and v; gate, up and down (768 -> 384)
    emb = 1000 * 384
    # Q4_K_M: Q4_K -> Q5_0 (22 bytes per 32), Q6_K -> Q8_0 (34); ffn_down reads 768 rows and keeps its k-quant;
    # the output is Q8_0 and the embedding Q5_0
    layer0 = _b32(2 * q + 2 * kv + 2 * gate, 22) + _k(gate, Q4_K)
    layer1 = _b32(2 * q + kv + 2 * gate, 22) + _b32(kv, 34) + _k(gate, Q6_K)
    assert weight_bytes(odd, Quant.Q4_K_M) == layer0 + layer1 + _b32(emb, 22) + _b32(emb, 34) + ODD_F32 == 2_457_600
    # Q5_K_M: Q5_K -> Q5_1 (24 bytes per 32)
    layer0 = _b32(2 * q + 2 * kv + 2 * gate, 24) + _k(gate, Q5_K)
    layer1 = _b32(2 * q + kv + 2 * gate, 24) + _b32(kv, 34) + _k(gate, Q6_K)
    assert weight_bytes(odd, Quant.Q5_K_M) == layer0 + layer1 + _b32(emb, 24) + _b32(emb, 34) + ODD_F32
    # Q3_K_M: Q3_K -> IQ4_NL (18 bytes per 32), attn_v Q5_K -> Q5_1, attn_output Q4_K -> Q5_0, ffn_down Q4_K
    layer = _b32(q + kv + 2 * gate, 18) + _b32(kv, 24) + _b32(q, 22) + _k(gate, Q4_K)
    assert weight_bytes(odd, Quant.Q3_K_M) == 2 * layer + _b32(emb, 18) + _b32(emb, 34) + ODD_F32
    # Q4_0 and Q8_0 are not k-quants: no fallback; the output stays Q8_0 on 384 rows
    linear = 2 * (2 * q + 2 * kv + 3 * gate)
    assert weight_bytes(odd, Quant.Q4_0) == _b32(linear + emb, 18) + _b32(emb, 34) + ODD_F32


def test_lora_default_targets_the_fused_attention_projection() -> None:
    # PEFT's default LoRA targets: ChatGLM's query_key_value and Qwen 1st gen's c_attn, hidden -> 3 x hidden (one
    # matrix, rank x (inputs + outputs)); LLaMA's q_proj and v_proj (two matrices)
    glm = arch_from_config({**FAMILIES["chatglm"], "num_layers": 28, "hidden_size": 4096, "num_attention_heads": 32})
    assert lora_params(glm, 8) == 28 * 8 * (4096 + 3 * 4096)
    qwen7b = {"num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32, "kv_channels": 128}
    qwen = arch_from_config({**FAMILIES["qwen"], **qwen7b})
    assert lora_params(qwen, 8) == 32 * 8 * (4096 + 3 * 4096)
    assert lora_params(arch_from_config(TINY), 8) == 2 * 8 * ((256 + 256) + (256 + 128))


# ---------------------------------------------------------------- runtimes: decoding steps, batches, settings

QWEN1_5_7B = {**QWEN2_5_7B, "hidden_size": 4096, "intermediate_size": 11008, "num_attention_heads": 32}
QWEN1_5_7B.update(num_hidden_layers=32, num_key_value_heads=32, vocab_size=151936)


def test_legacy_transformers_peaks_at_the_first_decoding_step_with_two_caches() -> None:
    # Qwen1.5-7B, 30720-token prompt, 2048 generated: generate() hands the cache over as tuples, so the prompt's
    # cache exists twice (old and new, 32 layers x 2 x 4096 x 2 bytes per token) while the prefill's fp32 logits
    # (30720 x 151936 x 4) are still referenced; each layer also holds a rotary cos/sin cache of 32768 x 128.
    est = estimate_inference(
        arch_from_config(QWEN1_5_7B), Quant.BF16, ctx=32768, prompt=30720, runtime="transformers-legacy"
    )
    per_token = 32 * 2 * 4096 * 2
    first_step = 2 * per_token * 30721 + 30720 * 151936 * 4
    rotary = 32 * 2 * 32768 * 128 * 2
    assert est.kv_cache_bytes == per_token * 32768
    assert est.activation_bytes == first_step - per_token * 32768 + rotary == 34_240_200_704


def test_a_batch_multiplies_the_cache_and_the_intermediates() -> None:
    a = arch_from_config(QWEN2_5_0_5B)
    two = estimate_inference(a, Quant.BF16, ctx=4096, batch=2)
    assert (two.kv_cache_bytes, two.activation_bytes) == (2 * 12_288 * 4096, 2 * 134_217_728)
    # llama.cpp: a micro-batch of 2 x 512 tokens, 2 rows of logits; one dequantized matrix whatever the batch
    q = arch_from_config(QWEN2_5_7B)
    est = estimate_inference(q, Quant.Q4_K_M, ctx=4000, prompt=2000, batch=2)
    per_ubatch = 28 * 512 * 4096 * 4 + 512 * (3 * 18944 + 4 * 3584 + 3584 + 2 * 512) * 4 + 152064 * 4
    assert est.activation_bytes == 2 * per_ubatch + 2 * 3584 * 18944
    assert est.kv_cache_bytes == 2 * 28 * 2 * 4 * 128 * 2 * 4096


def test_empty_prompt_and_empty_context() -> None:
    a = arch_from_config(TINY)
    # ctx 0: weights only, the cache empty; a 0-token prompt still decodes one token at a time
    assert estimate_inference(a, Quant.BF16, ctx=0).kv_cache_bytes == 0
    est = estimate_inference(a, Quant.BF16, ctx=10, prompt=0)
    # one step at 10 tokens: residual + norm (2 x 256 x 2) + q, k, v, out (768 x 2 x 2) + keys and values repeated
    # for the 4 query heads over 10 tokens (2 x 256 x 10 x 2)
    assert (est.kv_cache_bytes, est.activation_bytes) == (2 * 2 * 128 * 2 * 10, 1024 + 1536 + 10240)
    # llama.cpp evaluates at least one token: 28 heads x 1 x 4096 F32 scores, one row of intermediates and logits
    q = estimate_inference(arch_from_config(QWEN2_5_7B), Quant.Q4_K_M, ctx=4000, prompt=0)
    assert q.activation_bytes == 28 * 4096 * 4 + (3 * 18944 + 4 * 3584 + 3584 + 2 * 512) * 4 + 152064 * 4
    assert q.attention == "eager"  # no flash attention by default at c392e5094


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ctx": -1}, "need 0 <= prompt <= ctx and batch >= 1, got prompt=-1, ctx=-1, batch=1"),
        ({"ctx": 10, "prompt": -1}, "got prompt=-1, ctx=10"),
        ({"ctx": 10, "prompt": 11}, "got prompt=11, ctx=10"),
        ({"ctx": 10, "batch": 0}, "batch=0"),
    ],
)
def test_impossible_settings_are_refused_in_one_line(settings: dict[str, int], message: str) -> None:
    with pytest.raises(EstimateError, match=message):
        estimate_inference(arch_from_config(TINY), Quant.BF16, **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("quant", "kv_cache", "message", "hint"),
    [
        (
            Quant.BF16,
            "q8_0",
            "transformers has no q8_0 KV cache",
            "transformers offers fp16, bf16; q8_0 is for llama.cpp",
        ),
        (Quant.BF16, "fp8", "transformers has no fp8 KV cache", "transformers offers fp16, bf16; fp8 is for vLLM"),
        (
            Quant.Q4_K_M,
            "int8",
            "llama.cpp has no int8 KV cache",
            "llama.cpp offers fp16, bf16, q8_0, q4_0; int8 is for another runtime",
        ),
    ],
)
def test_a_kv_cache_type_the_runtime_lacks_names_what_it_offers(
    quant: Quant, kv_cache: str, message: str, hint: str
) -> None:
    with pytest.raises(EstimateError) as err:
        estimate_inference(arch_from_config(TINY), quant, ctx=10, kv_cache=kv_cache)
    assert (err.value.message, err.value.hint) == (message, hint)


def test_runtime_errors_name_the_fix() -> None:
    a = arch_from_config(TINY)
    with pytest.raises(EstimateError) as err:
        estimate_inference(a, Quant.Q4_K_M, ctx=10, runtime="transformers-legacy")
    assert (err.value.message, err.value.hint) == ("q4_k_m is a llama.cpp format", "use runtime 'llama.cpp'")
    with pytest.raises(EstimateError, match="unknown runtime 'vllm'; expected one of: transformers, transformers-leg"):
        estimate_inference(a, Quant.BF16, ctx=10, runtime="vllm")  # type: ignore[arg-type]
    with pytest.raises(EstimateError, match="llama.cpp does not run the chatglm architecture"):
        estimate_inference(arch_from_config(FAMILIES["chatglm"]), Quant.Q8_0, ctx=10)
    # an fp32 model caches fp32 keys and values unless told otherwise
    fp32 = estimate_inference(a, Quant.FP32, ctx=10)
    assert (fp32.kv_cache, fp32.kv_cache_bytes) == ("fp32", 2 * 2 * 128 * 4 * 10)


def test_levels_offered_follow_the_checkpoint_dtype() -> None:
    fp16 = arch_from_config({**TINY, "torch_dtype": "float16"})
    assert sensible_levels(fp16) == (Quant.FP16, Quant.Q8_0, Quant.BNB_INT8, Quant.BNB_NF4, Quant.Q4_K_M)
    # GLM-4-9B (chatglm code, bfloat16) has no quantize(8)/quantize(4) of its own worth offering: bitsandbytes
    glm4 = arch_from_config({**FAMILIES["chatglm2"], "torch_dtype": "bfloat16"})
    assert sensible_levels(glm4) == (Quant.BF16, Quant.Q8_0, Quant.BNB_INT8, Quant.BNB_NF4, Quant.Q4_K_M)
    chatglm2 = arch_from_config({**FAMILIES["chatglm2"], "torch_dtype": "float16"})
    assert sensible_levels(chatglm2, gguf=False) == (Quant.FP16, Quant.INT8, Quant.INT4)


# ---------------------------------------------------------------- config.json reading

_LINEAR = {
    "linear_num_key_heads": 2,
    "linear_num_value_heads": 4,
    "linear_key_head_dim": 64,
    "linear_value_head_dim": 64,
    "linear_conv_kernel_dim": 4,
    "full_attention_interval": 2,
}
# tie_word_embeddings when config.json leaves it out: the default of each configuration class (transformers'
# GemmaConfig and OpenLlamaConfig's shared_input_output_embedding, openbmb's MiniCPMConfig: True; LlamaConfig,
# MistralConfig, Qwen2/Qwen3/MoE/Next/VL configs, GlmConfig, Glm4Config, DeepseekV2/V3Config, InternLM, Baichuan: False)
TIED_BY_DEFAULT = {"open-llama", "gemma", "minicpm", "minicpm3"}


@pytest.mark.parametrize(
    "model_type",
    [
        "llama",
        "mistral",
        "yi",
        "deepseek",
        "internlm3",
        "open-llama",
        "gemma",
        "qwen2",
        "qwen3",
        "glm",
        "glm4",
        "minicpm",
        "internlm",
        "internlm2",
        "baichuan",
        "qwen2_moe",
        "qwen3_moe",
        "qwen3_next",
        "qwen3_5_text",
        "qwen3_5_moe_text",
        "qwen2_vl",
        "qwen2_5_vl",
        "qwen2_5_vl_text",
        "qwen3_vl_text",
        "qwen3_vl_moe_text",
        "deepseek_v2",
        "deepseek_v3",
        "minicpm3",
    ],
)
def test_untied_unless_the_config_class_ties_by_default(model_type: str) -> None:
    config = {**TINY, **_LINEAR, "model_type": model_type}
    a = arch_from_config(config)
    tied = model_type in TIED_BY_DEFAULT
    assert a.tied is tied
    assert count_params(a).lm_head == (0 if tied else 1000 * 256)
    assert a.warnings == ()  # a family the estimator knows, not read as an unknown LLaMA-style decoder


@pytest.mark.parametrize(
    ("value", "shown"),
    [(True, "True"), (2.5, "2.5"), (0, "0"), (-32, "-32"), ("32", "'32'"), ([32], "\\[32\\]"), (float("nan"), "nan")],
)
def test_a_count_must_be_a_positive_whole_number(value: object, shown: str) -> None:
    with pytest.raises(
        EstimateError, match=f"llama config: 'num_hidden_layers' must be a positive whole number, got {shown}"
    ):
        arch_from_config({**TINY, "num_hidden_layers": value})


def test_whole_floats_and_optional_zeros_are_read() -> None:
    assert arch_from_config({**TINY, "num_hidden_layers": 2.0}).layers == 2  # JSON writers that print 2.0
    a = arch_from_config({**_config("deepseek-v2-lite"), "q_lora_rank": 0})  # 0 or null: a plain q_proj
    assert a.mla is not None and a.mla.q_lora_rank == 0
    with pytest.raises(EstimateError, match="'q_lora_rank' must be a positive whole number, got -1"):
        arch_from_config({**_config("deepseek-v2-lite"), "q_lora_rank": -1})


# Four layers of hidden 256 (attention 196,608 + two RMSNorms 512 each), 4 experts of 3 x 256 x 128 = 98,304,
# 2 routed per token, a 256 x 4 router; dense MLPs of 3 x 256 x 512 = 393,216; embedding and LM head 256,000 each.
MOE = {**TINY, "num_hidden_layers": 4, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 128}
MOE_OUTSIDE = 2 * 256_000 + 256
MOE_LAYER = 4 * 98_304 + 1024  # experts and router


@pytest.mark.parametrize(
    "dense_keys",
    [
        {"model_type": "qwen2_moe", "decoder_sparse_step": 2},  # every 2nd layer sparse: 2 of 4 dense
        {"model_type": "qwen2_moe", "mlp_only_layers": [0, 1]},
        {"model_type": "deepseek_v2", "first_k_dense_replace": 2},
    ],
)
def test_dense_and_sparse_layers_of_a_mixture_of_experts(dense_keys: dict[str, object]) -> None:
    a = arch_from_config({**MOE, **dense_keys})
    p = count_params(a)
    bias = 4 * (256 + 2 * 128) if a.family == "qwen2" else 0  # Qwen2-MoE's q/k/v biases
    assert p.total == MOE_OUTSIDE + 4 * (196_608 + 512) + bias + 2 * 393_216 + 2 * MOE_LAYER
    assert p.total - p.active == 2 * 2 * 98_304  # 2 idle experts in each of the 2 sparse layers


def test_shared_experts_with_and_without_a_gate() -> None:
    # Qwen-MoE: shared_expert_intermediate_size 256 (3 x 256 x 256) with a 256 -> 1 sigmoid gate, in all 4 layers
    qwen = count_params(arch_from_config({**MOE, "model_type": "qwen2_moe", "shared_expert_intermediate_size": 256}))
    shared = 3 * 256 * 256
    assert qwen.total == MOE_OUTSIDE + 4 * (196_608 + 512 + 512) + 4 * (MOE_LAYER + shared + 256)
    # DeepSeek: n_shared_experts 2 of moe_intermediate_size 128, no gate
    deepseek = count_params(arch_from_config({**MOE, "model_type": "deepseek_v2", "n_shared_experts": 2}))
    assert deepseek.total == MOE_OUTSIDE + 4 * (196_608 + 512) + 4 * (MOE_LAYER + shared)
    assert deepseek.total - deepseek.active == 4 * 2 * 98_304  # shared experts always run
    with pytest.raises(EstimateError, match="qwen2_moe config: 5 experts per token exceed the 4 experts"):
        arch_from_config({**MOE, "model_type": "qwen2_moe", "num_experts_per_tok": 5})


# ---------------------------------------------------------------- sliding windows, quantization_config

TINY_MATRICES = [(256, 256), (256, 128), (256, 128), (256, 256), (256, 512), (256, 512), (512, 256)]
TINY_16BIT = 2 * (1280 + 2 * 256_000)  # norms, embedding and LM head stay 16-bit


def test_qwen2_slides_from_max_window_layers_and_mistral_everywhere() -> None:
    per_layer = 2 * 128 * 2  # K and V of 2 heads of 64, fp16, per token and layer
    qwen2 = {**TINY, "model_type": "qwen2", "sliding_window": 4096, "max_window_layers": 1}
    a = arch_from_config({**qwen2, "use_sliding_window": True})  # layer 0 full, layer 1 holds its last 4096
    assert kv_cache_bytes(a, 8192) == per_layer * (8192 + 4096)
    assert kv_cache_bytes(arch_from_config(qwen2), 8192) == per_layer * 2 * 8192  # use_sliding_window false
    mistral = arch_from_config({**TINY, "model_type": "mistral", "sliding_window": 4096})
    assert kv_cache_bytes(mistral, 8192) == per_layer * 2 * 4096
    assert kv_bytes_per_token(mistral) == 0  # nothing grows past the window
    every = arch_from_config({**TINY, "layer_types": ["full_attention", "attention"]})
    assert every.layer_types == () and kv_cache_bytes(every, 100) == per_layer * 2 * 100
    with pytest.raises(EstimateError, match="unknown layer type 'chunked_attention' in 'layer_types'"):
        arch_from_config({**TINY, "layer_types": ["full_attention", "chunked_attention"]})


def _packed(i: int, o: int, bits: int, group: int, g_idx: bool) -> int:
    """AutoAWQ WQLinear_GEMM / AutoGPTQ QuantLinear: qweight (bits per weight), qzeros (bits per group and output),
    fp16 scales per group and output, and GPTQ's int32 g_idx per input."""
    groups = i // group * o
    return i * o * bits // 8 + groups * bits // 8 + 2 * groups + (4 * i if g_idx else 0)


def test_quantization_config_names_of_each_tool() -> None:
    awq = {"quant_method": "awq", "w_bit": 4, "q_group_size": 64, "zero_point": True}  # AutoAWQ's own names
    a = arch_from_config({**TINY, "quantization_config": awq})
    assert weight_bytes(a, Quant.AWQ) == 2 * sum(_packed(i, o, 4, 64, False) for i, o in TINY_MATRICES) + TINY_16BIT
    # GPTQ 8-bit with group_size -1: one scale and zero per output channel
    gptq = {"quant_method": "gptq", "bits": 8, "group_size": -1, "desc_act": False}
    g = arch_from_config({**TINY, "quantization_config": gptq})
    assert weight_bytes(g, Quant.GPTQ_INT8) == 2 * sum(_packed(i, o, 8, i, True) for i, o in TINY_MATRICES) + TINY_16BIT
    # compressed-tensors FP8 with 128 x 128 blocks: one fp32 scale per block
    fp8 = {
        "quant_method": "compressed-tensors",
        "config_groups": {"group_0": {"weights": {"num_bits": 8, "type": "float", "block_structure": [128, 128]}}},
        "ignore": ["lm_head"],
    }
    f = arch_from_config({**TINY, "quantization_config": fp8})
    blocks = sum(-(-o // 128) * -(-i // 128) for i, o in TINY_MATRICES)
    assert weight_bytes(f, Quant.FP8) == 2 * sum(i * o for i, o in TINY_MATRICES) + 2 * 4 * blocks + TINY_16BIT
    # a method the estimator has no pricing for: the level's generic pricing
    assert arch_from_config({**TINY, "quantization_config": {"quant_method": "bitnet"}}).quant_config is None
    with pytest.raises(EstimateError, match="a weight block size must be two numbers, e.g. \\[128, 128\\]"):
        arch_from_config({**TINY, "quantization_config": {"quant_method": "fp8", "weight_block_size": [128]}})


@pytest.mark.parametrize(
    ("family", "quant"), [("chatglm", Quant.INT8), ("chatglm", Quant.INT4), ("qwen", Quant.GPTQ_INT4)]
)
def test_dequantizing_kernels_hold_the_fused_qkv_matrix_in_fp16(family: str, quant: Quant) -> None:
    # ChatGLM's cpm_kernels (extract_weight_to_half) and AutoGPTQ's exllama temp_dq hold the largest quantized
    # matrix in fp16: here the fused query_key_value / c_attn, 256 -> 768, wider than the MLP's 256 -> 512
    plain = {"chatglm": 131_072 + 1000 * 256 * 4, "qwen": 262_144 + 1_048_576 + 512 * 512}[family]  # see above
    est = estimate_inference(arch_from_config(FAMILIES[family]), quant, ctx=256, attention="flash")
    assert est.activation_bytes == plain + 2 * 256 * 768


def test_nested_text_configs_take_the_outer_keys_as_defaults() -> None:
    # InternVL's llm_config; the vocabulary stated only on the outer config
    inner = {k: v for k, v in TINY.items() if k != "vocab_size"}
    a = arch_from_config({"model_type": "internvl_chat", "vocab_size": 1000, "llm_config": inner})
    assert (a.family, a.vocab, a.layers) == ("llama", 1000, 2)
    # the quantization_config may sit on either level
    awq = {"quant_method": "awq", "bits": 4, "group_size": 128}
    for outer, nested in (({"quantization_config": awq}, {}), ({}, {"quantization_config": awq})):
        wrapped = arch_from_config(
            {"model_type": "w", **outer, "text_config": {**TINY, "model_type": "qwen2", **nested}}
        )
        assert (wrapped.family, wrapped.quant_config) == ("qwen2", QuantConfig("awq", 4, 128))
    with pytest.raises(EstimateError, match="config: 'model_type' must be a name, got 5"):
        arch_from_config({"model_type": "w", "text_config": {**TINY, "model_type": 5}})
    with pytest.raises(EstimateError, match="config: 'model_type' must be a name, got ''"):
        arch_from_config({**TINY, "model_type": ""})
    with pytest.raises(EstimateError, match="w config: 'text_config' must be an object"):
        arch_from_config({"model_type": "w", "text_config": [1]})


def test_a_multi_token_prediction_layer_is_a_decoder_layer_plus_its_projection() -> None:
    # DeepSeek-V3's num_nextn_predict_layers: one decoder layer (589,824 + two norms of 256), eh_proj 2 x 256 -> 256
    # and three norms (enorm, hnorm, the shared head's norm); embedding and LM head are shared
    a = arch_from_config({**TINY, "num_nextn_predict_layers": 1})
    assert a.extra_params == 589_824 + 512 + 2 * 256 * 256 + 3 * 256 == 722_176
    assert a.counted == ("1 multi-token-prediction layer(s): 1M parameters",)
    assert weight_bytes(a, Quant.BF16) - weight_bytes(arch_from_config(TINY), Quant.BF16) == 2 * 722_176


# ---------------------------------------------------------------- attention kernels, decoding, logits kept

TINY_MHA = {**TINY, "num_key_value_heads": 4}


def test_eager_scores_cost_ten_bytes_each() -> None:
    # 4 heads x 256 x 256 scores in fp16 (2), their fp32 upcast (4) and fp32 softmax (4), on top of q, k, v, out
    # (524,288) and the residual stream and normalised input (262,144)
    est = estimate_inference(arch_from_config(TINY_MHA), Quant.FP16, ctx=256, attention="eager")
    assert est.activation_bytes == 262_144 + 524_288 + 4 * 256 * 256 * 10 == 3_407_872


def test_grouped_keys_are_repeated_per_query_head_except_under_flash_attention() -> None:
    # one decoding step at 1000 cached tokens: SDPA repeats the 2 KV heads' keys and values for the 4 query heads
    # (2 x 256 x 1000 x 2 bytes); flash attention reads them in place, multi-head attention has nothing to repeat,
    # and the step's peak is then the last position's logits in fp16 and fp32 (1000 x 6)
    gqa, mha = arch_from_config(TINY), arch_from_config(TINY_MHA)
    sdpa = estimate_inference(gqa, Quant.FP16, ctx=1000, prompt=1, attention="sdpa")
    assert sdpa.activation_bytes == 2 * 256 * 2 + 768 * 2 + 2 * 256 * 1000 * 2 == 1_026_560
    assert estimate_inference(gqa, Quant.FP16, ctx=1000, prompt=1, attention="flash").activation_bytes == 6000
    assert estimate_inference(mha, Quant.FP16, ctx=1000, prompt=1, attention="sdpa").activation_bytes == 6000


def test_legacy_transformers_without_max_position_embeddings_has_no_rotary_cache() -> None:
    # all prompt logits in fp16 and fp32; nothing to size a cos/sin cache with
    est = estimate_inference(
        arch_from_config(TINY), Quant.FP16, ctx=256, runtime="transformers-legacy", attention="flash"
    )
    assert est.activation_bytes == 256 * 256 * 2 + 256 * 1000 * 6


def test_remote_code_keeps_the_prefill_logits_into_the_first_step() -> None:
    # Baichuan's own forward returns every position's logits (4000 x 256 x 2 bytes); they are still referenced when
    # the first decoding step rebuilds the tuple cache with torch.cat: two caches of 257 tokens (2048 bytes each)
    est = estimate_inference(arch_from_config(FAMILIES["baichuan"]), Quant.FP16, ctx=257, prompt=256, attention="flash")
    assert est.activation_bytes == 2 * 2048 * 257 + 4000 * 256 * 2 - 2048 * 257 == 2_574_336


def test_bloom_under_current_transformers_returns_all_logits_once() -> None:
    est = estimate_inference(arch_from_config(FAMILIES["bloom"]), Quant.FP16, ctx=256, attention="flash")
    assert est.activation_bytes == 256 * 256 * 2 + 4000 * 256 * 2  # no copy, no fp32 upcast


def test_a_gptq_int4_checkpoint_runs_at_its_own_level() -> None:
    gptq = {"quant_method": "gptq", "bits": 4, "group_size": 128}
    assert sensible_levels(arch_from_config({**TINY, "quantization_config": gptq})) == (Quant.GPTQ_INT4,)


# ---------------------------------------------------------------- each family's biases, norms and defaults


def _extra(base: dict[str, object], **change: object) -> int:
    """Parameters a config change adds."""
    return count_params(arch_from_config({**base, **change})).total - count_params(arch_from_config(base)).total


def test_bias_keys_of_each_family() -> None:
    # per layer of TINY: q/k/v biases 256 + 128 + 128, o_proj bias 256; two layers
    assert _extra(TINY, attention_bias=True) == 2 * (512 + 256)  # LlamaAttention: q, k, v and o biases
    glm = {**TINY, "model_type": "glm", "attention_bias": False}
    assert _extra(glm, attention_bias=True) == 2 * 512  # GlmAttention: q, k, v only; GlmConfig defaults to True
    assert _extra(glm, attention_bias=None) == 2 * 512
    assert _extra({**TINY, "model_type": "qwen2"}, attention_bias=True) == 0  # Qwen2 always has q/k/v biases
    # InternLM-7B (multi-head: no num_key_value_heads, else it is InternLM2 code): "bias" true by default, q/k/v/o
    internlm = {**FAMILIES["internlm"], "bias": False}
    assert _extra(internlm, bias=None) == 2 * (3 * 256 + 256)
    # OpenLlamaConfig: use_stable_embedding (an embedding LayerNorm) and tied embeddings unless told otherwise
    open_llama = {**TINY, "model_type": "open-llama", "use_stable_embedding": False}
    assert _extra(open_llama, use_stable_embedding=None) == 2 * 256
    assert count_params(arch_from_config(open_llama)).lm_head == 0


def test_chatglm2_bias_and_norm_switches() -> None:
    base = {**FAMILIES["chatglm2"], "add_qkv_bias": False}
    assert _extra(base, add_qkv_bias=True) == 2 * 768  # fused query_key_value 256 -> 768
    # add_bias_linear: the qkv, dense and MLP biases (dense_h_to_4h 2 x 512, dense_4h_to_h 256)
    assert _extra(base, add_bias_linear=True) == 2 * (768 + 256 + 1280)
    assert _extra(base, rmsnorm=False) == 2 * 2 * 256 + 256  # LayerNorm biases: 2 per layer + the final one
    assert count_params(arch_from_config(base)).lm_head == 1000 * 256  # output_layer is not tied


def test_chatglm6b_and_qwen1_defaults() -> None:
    glm = {k: v for k, v in FAMILIES["chatglm"].items() if k != "inner_hidden_size"}
    assert arch_from_config(glm).ffn == 4 * 256  # inner_hidden_size defaults to 4 x hidden
    # ChatGLM-6B: biases on every linear layer and LayerNorms: qkv 768, dense 256, MLP 1024 + 256, 2 x (256 + 256)
    p = count_params(arch_from_config(FAMILIES["chatglm"]))
    assert p.block_small == 2 * (768 + 256 + 512 + 256 + 2 * 512) and p.lm_head == 0
    qwen = {**FAMILIES["qwen"], "no_bias": True}
    assert _extra(qwen, no_bias=False) == 2 * (256 + 2 * 512 + 256)  # c_proj, w1, w2 and mlp.c_proj biases
    assert _extra(qwen, no_bias=None) == 0  # no_bias defaults to true


@pytest.mark.parametrize(
    ("family", "key"),
    [
        ("chatglm", "max_sequence_length"),
        ("chatglm2", "seq_length"),
        ("qwen", "seq_length"),
        ("qwen", "max_position_embeddings"),
        ("bloom", "seq_length"),
        ("llama", "max_position_embeddings"),
        ("llama", "model_max_length"),
    ],
)
def test_native_context_from_each_familys_key(family: str, key: str) -> None:
    config = {k: v for k, v in FAMILIES[family].items() if k not in ("seq_length", "max_position_embeddings")}
    assert arch_from_config(config).max_positions is None
    assert arch_from_config({**config, key: 8192}).max_positions == 8192


def test_quantization_config_defaults() -> None:
    assert arch_from_config({**TINY, "quantization_config": {"quant_method": "GPTQ"}}).quant_config == QuantConfig(
        "gptq", 4, 128
    )  # AutoGPTQ's defaults: 4 bits, groups of 128
    per_channel = {"quant_method": "awq", "bits": 4, "group_size": -1, "modules_to_not_convert": ["visual"]}
    assert arch_from_config({**TINY, "quantization_config": per_channel}).quant_config == QuantConfig(
        "awq", 4, 0, ("visual",)
    )
    int8 = {"quant_method": "compressed-tensors", "config_groups": {"g": {"weights": {"num_bits": 8, "type": "int"}}}}
    assert arch_from_config({**TINY, "quantization_config": int8}).quant_config is None
    fp8 = {"quant_method": "fp8", "ignored_layers": ["lm_head"]}  # no weight_block_size: per-channel scales
    assert arch_from_config({**TINY, "quantization_config": fp8}).quant_config == QuantConfig("fp8", 8, 0, ("lm_head",))


def test_dtype_key_of_newer_configs() -> None:
    # transformers 4.56+ writes "dtype" instead of "torch_dtype"
    assert sensible_levels(arch_from_config({**TINY, "dtype": "float16"}), gguf=False)[0] is Quant.FP16


def test_layer_kinds_from_intervals_and_windows() -> None:
    # transformers' Qwen3NextConfig: layer i is full attention when (i + 1) % full_attention_interval == 0
    nxt = arch_from_config(_config("qwen3-next-80b-a3b-instruct"))
    assert nxt.layer_types[:8] == ("linear", "linear", "linear", "full") * 2
    # Qwen2 with use_sliding_window and no max_window_layers: every layer slides
    slides = arch_from_config({**TINY, "model_type": "qwen2", "use_sliding_window": True, "sliding_window": 4096})
    assert kv_cache_bytes(slides, 8192) == 2 * 128 * 2 * 2 * 4096


def test_expert_edge_cases() -> None:
    assert arch_from_config({**MOE, "model_type": "qwen2_moe", "num_experts_per_tok": 4}).moe is not None  # all 4
    # a shared_expert_intermediate_size of 0 is no shared expert, and no gate for it
    none = {**MOE, "model_type": "qwen2_moe"}
    assert _extra(none, shared_expert_intermediate_size=0) == 0
    # DeepSeek-V3's MTP layer is a MoE layer: attention, 4 experts and their router, 2 norms, eh_proj, 3 norms
    deepseek = arch_from_config({**MOE, "model_type": "deepseek_v2", "num_nextn_predict_layers": 1})
    assert deepseek.extra_params == 196_608 + MOE_LAYER + 512 + 2 * 256 * 256 + 3 * 256


def test_fp8_blocks_are_read_rows_then_columns() -> None:
    qc = {"quant_method": "fp8", "weight_block_size": [128, 64]}
    a = arch_from_config({**TINY, "quantization_config": qc})
    assert a.quant_config is not None and a.quant_config.block == (128, 64)
    blocks = sum(-(-o // 128) * -(-i // 64) for i, o in TINY_MATRICES)  # output rows / 128 x input columns / 64
    assert weight_bytes(a, Quant.FP8) == 2 * sum(i * o for i, o in TINY_MATRICES) + 2 * 4 * blocks + TINY_16BIT


# ---------------------------------------------------------------- vision towers

QWEN2_VL_VISION = {  # Qwen/Qwen2-VL-7B-Instruct config.json: embed_dim is the tower, hidden_size the LLM's width
    "depth": 32,
    "embed_dim": 1280,
    "mlp_ratio": 4,
    "num_heads": 16,
    "in_chans": 3,
    "hidden_size": 3584,
    "patch_size": 14,
    "spatial_merge_size": 2,
    "spatial_patch_size": 14,
    "temporal_patch_size": 2,
}


def test_vision_towers_count_as_their_checkpoints() -> None:
    # Qwen2.5-VL-7B-Instruct: 8,292,166,656 parameters, of which the visual module 676,550,144 (transformers'
    # num_parameters of the loaded model, and of model.visual)
    vl25 = count_params(arch_from_config(_config("qwen2.5-vl-7b-instruct")))
    assert (vl25.total, vl25.extra) == (8_292_166_656, 676_550_144)
    # Qwen2-VL-7B-Instruct: 8,291,375,616 (a GELU MLP of mlp_ratio x embed_dim, LayerNorms); same text decoder
    qwen2_vl = {**QWEN2_5_7B, "model_type": "qwen2_vl", "vision_config": QWEN2_VL_VISION}
    assert count_params(arch_from_config(qwen2_vl)).total == 8_291_375_616


def test_current_transformers_frees_the_prefill_logits_before_the_next_step() -> None:
    # BLOOM-7B1 returns all 5 prompt positions' logits (250880 x 5 x 2 bytes); generate's _sample deletes the
    # step's outputs ("del outputs") before the next forward, so the first decoding step holds the cache of 6
    # tokens (30 layers x 2 x 4096 x 2 bytes each) and one position's logits, not the prompt's as well
    bloom = {"model_type": "bloom", "n_layer": 30, "n_head": 32, "hidden_size": 4096, "vocab_size": 250880}
    est = estimate_inference(arch_from_config(bloom), Quant.FP16, ctx=6, prompt=5, attention="flash")
    prefill = 491_520 * 5 + 4096 * 5 * 2 + 250_880 * 5 * 2  # cache of 5 tokens, hidden states and logits
    assert est.activation_bytes == prefill - 491_520 * 6 == 2_058_240
