"""The estimator's totals against figures computed by hand from a config and the runtimes' documented behaviour.

Config: Qwen2.5-0.5B-Instruct's config.json (24 layers, hidden 896, 14 query heads and 2 KV heads of 64 dims,
MLP 4864, vocabulary 151936, tied embeddings). Expected values are written out, not read from the estimator.
"""

from __future__ import annotations

import pytest

from llmzh.estimate import arch_from_config, estimate_inference
from llmzh.schema import Quant

MiB = 1 << 20
CONFIG = {
    "model_type": "qwen2",
    "num_hidden_layers": 24,
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "tie_word_embeddings": True,
    "max_position_embeddings": 32768,
    "hidden_act": "silu",
}
EMBEDDING_FP16 = 151936 * 896 * 2


def test_a_hand_computed_llama_cpp_total_with_context_and_workspace() -> None:
    arch = arch_from_config(CONFIG)
    est = estimate_inference(arch, Quant.Q8_0, ctx=1000, prompt=600)
    n_ctx = 1024  # padded to a multiple of 256
    kv = 2 * 24 * (2 * 64) * n_ctx * 2  # K and V, f16, for the whole context
    ubatch = 512  # a 600-token prompt is evaluated 512 tokens at a time
    scores = 14 * ubatch * n_ctx * 4  # F32 KQ of one micro-batch against the whole cache
    intermediates = ubatch * (3 * 4864 + 4 * 896 + 14 * 64 + 2 * 2 * 64) * 4
    logits = 151936 * 4
    dequantized = 2 * 896 * 4864  # f16 copy of the largest matrix for cuBLAS (prompt over 32 tokens)
    context, workspace = 512 * MiB, 64 * MiB  # llama.cpp's buffers are exact: no allocator slack
    assert est.kv_cache_bytes == kv == 12_582_912
    assert est.activation_bytes == scores + intermediates + logits + dequantized == 78_267_904
    assert est.overhead_bytes == context + workspace
    assert (
        est.total_bytes == est.weights_bytes + kv + scores + intermediates + logits + dequantized + context + workspace
    )


@pytest.mark.parametrize(("prompt", "grows"), [(300, True), (512, False), (600, False), (1000, False)])
def test_llama_cpp_compute_buffer_stops_growing_at_the_512_token_micro_batch(prompt: int, grows: bool) -> None:
    arch = arch_from_config(CONFIG)
    at = estimate_inference(arch, Quant.Q4_K_M, ctx=1000, prompt=prompt).activation_bytes
    full = estimate_inference(arch, Quant.Q4_K_M, ctx=1000, prompt=512).activation_bytes
    assert (at < full) is grows and at <= full


def test_awq_of_a_tied_model_peaks_one_fp16_embedding_above_its_weights_while_loading() -> None:
    tied = arch_from_config(CONFIG)
    untied = arch_from_config({**CONFIG, "tie_word_embeddings": False})
    awq = estimate_inference(tied, Quant.AWQ, ctx=1, prompt=1)
    gptq = estimate_inference(tied, Quant.GPTQ_INT4, ctx=1, prompt=1)
    # AutoAWQ checkpoints of tied models store lm_head too; transformers materialises it in fp16 while loading
    assert awq.kv_cache_bytes + awq.activation_bytes >= EMBEDDING_FP16
    assert gptq.kv_cache_bytes + gptq.activation_bytes < EMBEDDING_FP16
    untied_awq = estimate_inference(untied, Quant.AWQ, ctx=1, prompt=1)
    assert untied_awq.kv_cache_bytes + untied_awq.activation_bytes < EMBEDDING_FP16  # its lm_head is in the weights
