"""The VRAM estimator: config reading per family, parameter counts, weight bytes per level, KV cache, runtimes,
fine-tuning, and the accuracy benchmark on a small fixture."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from published_configs import CHATGLM_6B, LLAMA_7B, QWEN2_5_0_5B, QWEN2_5_7B

from llmzh.errors import LlmzhError
from llmzh.estimate import (
    CUDA_CONTEXT_BYTES,
    GGUF_LEVELS,
    Arch,
    EstimateError,
    arch_from_config,
    count_params,
    default_runtime,
    estimate_finetune,
    estimate_inference,
    kv_cache_bytes,
    lora_params,
    sensible_levels,
    weight_bytes,
)
from llmzh.estimate.weights import _gguf_matrix_type
from llmzh.schema import Quant

GiB = 1 << 30
ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- published configs (copied from config.json)

CHATGLM2_6B = {
    "model_type": "chatglm",
    "num_layers": 28,
    "hidden_size": 4096,
    "ffn_hidden_size": 13696,
    "num_attention_heads": 32,
    "multi_query_attention": True,
    "multi_query_group_num": 2,
    "kv_channels": 128,
    "padded_vocab_size": 65024,
    "seq_length": 32768,
    "add_qkv_bias": True,
    "add_bias_linear": False,
    "rmsnorm": True,
    "tie_word_embeddings": False,
    "torch_dtype": "float16",
}
CHATGLM3_6B = {**CHATGLM2_6B, "seq_length": 8192}
GLM4_9B = {
    "model_type": "chatglm",
    "num_layers": 40,
    "hidden_size": 4096,
    "ffn_hidden_size": 13696,
    "num_attention_heads": 32,
    "multi_query_attention": True,
    "multi_query_group_num": 2,
    "kv_channels": 128,
    "padded_vocab_size": 151552,
    "seq_length": 131072,
    "add_qkv_bias": True,
    "add_bias_linear": False,
    "torch_dtype": "bfloat16",
}
QWEN_7B = {
    "model_type": "qwen",
    "hidden_size": 4096,
    "intermediate_size": 22016,
    "kv_channels": 128,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "max_position_embeddings": 8192,
    "seq_length": 8192,
    "no_bias": True,
    "vocab_size": 151936,
    "tie_word_embeddings": False,
}
QWEN1_5_7B = {
    "model_type": "qwen2",
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "vocab_size": 151936,
    "tie_word_embeddings": False,
    "max_position_embeddings": 32768,
}
QWEN3_8B = {
    "model_type": "qwen3",
    "hidden_size": 4096,
    "intermediate_size": 12288,
    "num_attention_heads": 32,
    "num_hidden_layers": 36,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "vocab_size": 151936,
    "tie_word_embeddings": False,
}
BAICHUAN_7B = {
    "model_type": "baichuan",
    "num_hidden_layers": 32,
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_attention_heads": 32,
    "vocab_size": 64000,
}
BAICHUAN2_7B = {**BAICHUAN_7B, "vocab_size": 125696, "tie_word_embeddings": False}
INTERNLM2_7B = {
    "model_type": "internlm2",
    "num_hidden_layers": 32,
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 92544,
    "bias": False,
    "tie_word_embeddings": False,
}
BLOOM_7B1 = {"model_type": "bloom", "n_layer": 30, "n_head": 32, "hidden_size": 4096, "vocab_size": 250880}
LLAMA2_7B = {**LLAMA_7B, "max_position_embeddings": 4096}
YI_6B = {**LLAMA_7B, "num_key_value_heads": 4, "vocab_size": 64000, "tie_word_embeddings": False}
DEEPSEEK_7B = {**LLAMA_7B, "num_hidden_layers": 30, "num_key_value_heads": 32, "vocab_size": 102400}
MINICPM_2B = {
    "model_type": "minicpm",
    "num_hidden_layers": 40,
    "hidden_size": 2304,
    "intermediate_size": 5760,
    "num_attention_heads": 36,
    "num_key_value_heads": 36,
    "vocab_size": 122753,
    "scale_emb": 12,
    "dim_model_base": 256,
}


def arch(config: Mapping[str, object]) -> Arch:
    return arch_from_config(config)


# ---------------------------------------------------------------- config names and parameter counts


@pytest.mark.parametrize(
    ("config", "family", "layers", "heads", "kv_heads", "head_dim", "ffn", "vocab", "tied"),
    [
        (CHATGLM_6B, "chatglm", 28, 32, 32, 128, 16384, 130528, True),
        (CHATGLM2_6B, "chatglm2", 28, 32, 2, 128, 13696, 65024, False),
        (CHATGLM3_6B, "chatglm2", 28, 32, 2, 128, 13696, 65024, False),
        (GLM4_9B, "chatglm2", 40, 32, 2, 128, 13696, 151552, False),
        (QWEN_7B, "qwen", 32, 32, 32, 128, 11008, 151936, False),
        (QWEN2_5_7B, "qwen2", 28, 28, 4, 128, 18944, 152064, False),
        (QWEN2_5_0_5B, "qwen2", 24, 14, 2, 64, 4864, 151936, True),
        (QWEN3_8B, "qwen3", 36, 32, 8, 128, 12288, 151936, False),
        (BAICHUAN2_7B, "baichuan", 32, 32, 32, 128, 11008, 125696, False),
        (INTERNLM2_7B, "internlm2", 32, 32, 8, 128, 14336, 92544, False),
        (BLOOM_7B1, "bloom", 30, 32, 32, 128, 16384, 250880, True),
        (LLAMA_7B, "llama", 32, 32, 32, 128, 11008, 32000, False),
        (YI_6B, "llama", 32, 32, 4, 128, 11008, 64000, False),
        (DEEPSEEK_7B, "llama", 30, 32, 32, 128, 11008, 102400, False),
        (MINICPM_2B, "minicpm", 40, 36, 36, 64, 5760, 122753, True),
    ],
)
def test_config_names_per_family(
    config: Mapping[str, object],
    family: str,
    layers: int,
    heads: int,
    kv_heads: int,
    head_dim: int,
    ffn: int,
    vocab: int,
    tied: bool,
) -> None:
    a = arch(config)
    assert (a.family, a.layers, a.heads, a.kv_heads, a.head_dim, a.ffn, a.vocab, a.tied) == (
        family,
        layers,
        heads,
        kv_heads,
        head_dim,
        ffn,
        vocab,
        tied,
    )


@pytest.mark.parametrize(
    ("config", "published"),
    [
        (QWEN2_5_7B, 7.61e9),  # Qwen2.5-7B model card
        (QWEN2_5_0_5B, 0.49e9),
        (CHATGLM2_6B, 6.24e9),  # ChatGLM2-6B (6,243,584,000)
        (CHATGLM_6B, 6.2e9),
        (GLM4_9B, 9.4e9),
        (BAICHUAN2_7B, 7.5e9),
        (BAICHUAN_7B, 7.0e9),
        (DEEPSEEK_7B, 6.9e9),
        (YI_6B, 6.06e9),
        (LLAMA_7B, 6.74e9),
        (QWEN3_8B, 8.2e9),
        (INTERNLM2_7B, 7.74e9),
        (MINICPM_2B, 2.7e9),
        (BLOOM_7B1, 7.07e9),
        (QWEN_7B, 7.7e9),
    ],
)
def test_parameter_counts_match_published(config: Mapping[str, object], published: float) -> None:
    assert count_params(arch(config)).total == pytest.approx(published, rel=0.02)


def test_exact_counts_and_groups() -> None:
    bloom = count_params(arch(BLOOM_7B1))
    assert bloom.total == 7_069_016_064  # bigscience/bloom-7b1
    assert bloom.lm_head == 0  # tied
    llama = count_params(arch(LLAMA_7B))
    assert llama.embedding == llama.lm_head == 32000 * 4096
    assert llama.total == 6_738_415_616  # LLaMA-7B
    glm2 = count_params(arch(CHATGLM2_6B))
    # qkv: 4096 -> 4096 + 2 x 2 x 128 (MQA), dense 4096 x 4096, fused h_to_4h 4096 x 27392, 4h_to_h 13696 x 4096
    assert glm2.attention_per_layer == 4096 * 4608 + 4096 * 4096
    assert glm2.mlp_per_layer == 4096 * 2 * 13696 + 13696 * 4096
    assert glm2.total == 6_243_584_000


def test_qwen_first_generation_halves_intermediate_size() -> None:
    a = arch(QWEN_7B)
    assert a.ffn == 22016 // 2
    assert a.qkv_bias and not a.out_bias  # c_attn has a bias; no_bias removes the others


def test_internlm_config_with_grouped_heads_reads_as_internlm2() -> None:
    a = arch({**INTERNLM2_7B, "model_type": "internlm"})
    assert a.family == "internlm2"
    assert (a.kv_heads, a.qkv_bias) == (8, False)


def test_config_without_model_type_reads_llama_style_as_unknown_code() -> None:
    config = {k: v for k, v in MINICPM_2B.items() if k != "model_type"}
    a = arch(config)
    assert (a.family, a.tied) == ("unknown", True)  # transformers' PretrainedConfig default
    assert count_params(a).total == count_params(arch(MINICPM_2B)).total
    known = estimate_inference(arch(MINICPM_2B), Quant.BF16, ctx=4096)
    assert estimate_inference(a, Quant.BF16, ctx=4096).total_bytes >= known.total_bytes


def test_chatglm2_without_multi_query_is_full_attention() -> None:
    a = arch({**CHATGLM2_6B, "multi_query_attention": False})
    assert a.kv_heads == 32


def test_open_llama_names() -> None:
    config = {**LLAMA_7B, "model_type": "open-llama", "vocab_size": 68762, "shared_input_output_embedding": False}
    config["use_stable_embedding"] = False
    assert count_params(arch(config)).total == 7_039_569_920  # s-JoL/Open-Llama README


# ---------------------------------------------------------------- errors


def test_missing_key_names_key_and_family() -> None:
    config = dict(CHATGLM2_6B)
    del config["ffn_hidden_size"]
    with pytest.raises(EstimateError) as err:
        arch(config)
    assert "ffn_hidden_size" in err.value.message and "ChatGLM2" in err.value.message
    assert isinstance(err.value, LlmzhError)


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ({"hidden_size": 4096}, "no model_type.*num_attention_heads"),
        ({**LLAMA_7B, "model_type": 7}, "model_type"),
        ({**QWEN2_5_7B, "num_experts": 64}, "qwen2 config is missing 'num_experts_per_tok'"),
        ({**LLAMA_7B, "num_hidden_layers": 1e30}, "'num_hidden_layers' = 1e\\+30 is beyond any real model"),
        ({**LLAMA_7B, "vocab_size": float("inf")}, "'vocab_size' must be a positive whole number"),
        ({**LLAMA_7B, "hidden_size": "4096"}, "hidden_size"),
        ({**LLAMA_7B, "tie_word_embeddings": "yes"}, "tie_word_embeddings"),
        ({**YI_6B, "num_key_value_heads": 5}, "multiple"),
        (
            {k: v for k, v in QWEN_7B.items() if k != "kv_channels" and k != "num_attention_heads"},
            "num_attention_heads",
        ),
    ],
)
def test_config_errors(config: Mapping[str, object], needle: str) -> None:
    with pytest.raises(EstimateError, match=needle):
        arch(config)


def test_bad_settings() -> None:
    a = arch(LLAMA_7B)
    with pytest.raises(EstimateError):
        estimate_inference(a, Quant.FP16, ctx=10, prompt=20)
    with pytest.raises(EstimateError):
        estimate_inference(arch(CHATGLM_6B), Quant.Q4_K_M, ctx=10)  # llama.cpp does not run ChatGLM-6B
    with pytest.raises(EstimateError):
        estimate_inference(a, Quant.Q4_K_M, ctx=10, runtime="transformers")
    with pytest.raises(EstimateError):
        estimate_finetune(a, "lora", seq=0)


# ---------------------------------------------------------------- KV cache


def test_kv_cache_chatglm2_multi_query() -> None:
    # 2 (K, V) x 28 layers x 2 groups x 128 channels x 2 bytes per token: not 32 heads' worth (16x more).
    per_token = 2 * 28 * 2 * 128 * 2
    a = arch(CHATGLM2_6B)
    assert kv_cache_bytes(a, 1) == per_token == 28672
    assert kv_cache_bytes(a, 8192, batch=3) == per_token * 8192 * 3
    assert kv_cache_bytes(arch({**CHATGLM2_6B, "multi_query_attention": False}), 1) == 16 * per_token


def test_kv_cache_qwen2_grouped_and_llama_full() -> None:
    assert kv_cache_bytes(arch(QWEN2_5_7B), 1) == 2 * 28 * 4 * 128 * 2
    assert kv_cache_bytes(arch(LLAMA_7B), 1) == 2 * 32 * 32 * 128 * 2
    assert kv_cache_bytes(arch(CHATGLM_6B), 1) == 2 * 28 * 32 * 128 * 2
    assert kv_cache_bytes(arch(LLAMA_7B), 10, elem_bytes=4) == 2 * 32 * 4096 * 10 * 4


def test_estimate_reports_the_kv_cache_of_ctx_tokens() -> None:
    a = arch(CHATGLM2_6B)
    est = estimate_inference(a, Quant.FP16, ctx=4096, prompt=1024)
    assert est.kv_cache_bytes == 28672 * 4096
    fp32 = estimate_inference(a, Quant.FP32, ctx=4096, prompt=1024)
    assert fp32.kv_cache_bytes == 2 * est.kv_cache_bytes


# ---------------------------------------------------------------- weight bytes per level

TINY = {
    "model_type": "llama",
    "num_hidden_layers": 2,
    "hidden_size": 256,
    "intermediate_size": 512,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 1000,
}
# (inputs, outputs) of one block: q, k, v, o, gate, up, down.
TINY_MATRICES = [(256, 256), (256, 128), (256, 128), (256, 256), (256, 512), (256, 512), (512, 256)]
TINY_LINEAR = 2 * sum(i * o for i, o in TINY_MATRICES)  # 1,179,648
TINY_OUTPUTS = 2 * sum(o for _, o in TINY_MATRICES)  # 4,096 output rows
TINY_SMALL = 2 * 2 * 256 + 256  # two RMSNorms per block + the final norm
TINY_EMBED = 2 * 1000 * 256  # embedding + untied LM head


def _groups(i: int, o: int) -> int:
    return -(-i // 128) * o


@pytest.mark.parametrize(
    ("quant", "expected"),
    [
        (Quant.FP32, 4 * (TINY_LINEAR + TINY_SMALL + TINY_EMBED)),
        (Quant.FP16, 2 * (TINY_LINEAR + TINY_SMALL + TINY_EMBED)),
        (Quant.BF16, 2 * (TINY_LINEAR + TINY_SMALL + TINY_EMBED)),
        # blocks quantized, one scale per output row; embedding and LM head stay 16-bit
        (Quant.INT8, TINY_LINEAR + 2 * TINY_OUTPUTS + 2 * (TINY_SMALL + TINY_EMBED)),
        (Quant.INT4, TINY_LINEAR // 2 + 2 * TINY_OUTPUTS + 2 * (TINY_SMALL + TINY_EMBED)),
        # int4-qe: embedding and LM head int4 too, each with an fp16 scale per vocabulary row
        (Quant.INT4_QE, TINY_LINEAR // 2 + 2 * TINY_OUTPUTS + 2 * TINY_SMALL + 2 * (1000 * 256 // 2 + 2 * 1000)),
        (Quant.FP8, TINY_LINEAR + 4 * TINY_OUTPUTS + 2 * (TINY_SMALL + TINY_EMBED)),
        (Quant.BNB_INT8, TINY_LINEAR + 4 * TINY_OUTPUTS + 2 * (TINY_SMALL + TINY_EMBED)),
        (Quant.BNB_NF4, TINY_LINEAR // 2 + 4 * (TINY_LINEAR // 64) + 2 * (TINY_SMALL + TINY_EMBED)),
        (
            Quant.GPTQ_INT4,
            2 * sum(i * o // 2 + 2 * _groups(i, o) + _groups(i, o) // 2 + 4 * i for i, o in TINY_MATRICES)
            + 2 * (TINY_SMALL + TINY_EMBED),
        ),
        (
            Quant.GPTQ_INT8,
            2 * sum(i * o + 3 * _groups(i, o) + 4 * i for i, o in TINY_MATRICES) + 2 * (TINY_SMALL + TINY_EMBED),
        ),
        (
            Quant.AWQ,
            2 * sum(i * o // 2 + 2 * _groups(i, o) + _groups(i, o) // 2 for i, o in TINY_MATRICES)
            + 2 * (TINY_SMALL + TINY_EMBED),
        ),
        # every 2-D tensor in q4_0 (18 bytes per 32 weights), 1-D tensors f32
        (Quant.GGML_Q4_0, (TINY_LINEAR + TINY_EMBED) // 32 * 18 + 4 * TINY_SMALL),
        # q8_0 everywhere, output included (34 bytes per 32)
        (Quant.Q8_0, (TINY_LINEAR + TINY_EMBED) // 32 * 34 + 4 * TINY_SMALL),
        # q4_0 blocks and embedding, output q6_K (210 bytes per 256)
        (Quant.Q4_0, (TINY_LINEAR + 256000) // 32 * 18 + 256000 // 256 * 210 + 4 * TINY_SMALL),
        # q6_K everywhere
        (Quant.Q6_K, (TINY_LINEAR + TINY_EMBED) // 256 * 210 + 4 * TINY_SMALL),
    ],
)
def test_weight_bytes_per_level(quant: Quant, expected: int) -> None:
    assert weight_bytes(arch(TINY), quant) == expected


def test_every_level_is_priced() -> None:
    a = arch(QWEN2_5_7B)
    sizes = {q: weight_bytes(a, q) for q in Quant}
    assert sizes[Quant.FP32] == 2 * sizes[Quant.BF16]
    assert sizes[Quant.Q2_K] < sizes[Quant.Q3_K_M] < sizes[Quant.Q4_K_M] < sizes[Quant.Q5_K_M] < sizes[Quant.Q6_K]
    assert sizes[Quant.AWQ] < sizes[Quant.GPTQ_INT8] < sizes[Quant.BF16]


def test_gguf_mixes_match_llama_cpp() -> None:
    a = arch(LLAMA2_7B)
    n = count_params(a).total
    # examples/quantize/README.md, Llama 2 7B bits per weight
    for quant, bpw in [(Quant.Q3_K_M, 3.91), (Quant.Q4_K_M, 4.84), (Quant.Q5_K_M, 5.68), (Quant.Q6_K, 6.56)]:
        assert weight_bytes(a, quant) * 8 / n == pytest.approx(bpw, abs=0.01)
    # published GGUF files of Qwen2-7B-Instruct (same architecture as Qwen2.5-7B), bytes
    q = arch(QWEN2_5_7B)
    for quant, size in [(Quant.Q2_K, 3.02e9), (Quant.Q4_K_M, 4.68e9), (Quant.Q8_0, 8.10e9)]:
        assert weight_bytes(q, quant) == pytest.approx(size, rel=0.01)


def test_gguf_k_quant_falls_back_on_rows_not_multiple_of_256() -> None:
    a = arch(QWEN2_5_0_5B)  # hidden 896
    from llmzh.estimate import Matrix

    assert _gguf_matrix_type(Quant.Q4_K_M, Matrix("attn_q", 896, 896), 5, 24, 7) == "q5_0"
    assert _gguf_matrix_type(Quant.Q4_K_M, Matrix("ffn_down", 4864, 896), 0, 24, 7) == "q6_K"
    assert _gguf_matrix_type(Quant.Q6_K, Matrix("attn_q", 896, 896), 5, 24, 7) == "q8_0"
    assert weight_bytes(a, Quant.Q4_K_M) > 0


# ---------------------------------------------------------------- runtimes and parts


def test_default_runtime() -> None:
    assert default_runtime(Quant.BF16) == "transformers"
    assert default_runtime(Quant.GPTQ_INT4) == "transformers"
    for quant in GGUF_LEVELS:
        assert default_runtime(quant) == "llama.cpp"


def test_total_is_the_sum_of_parts() -> None:
    est = estimate_inference(arch(QWEN2_5_7B), Quant.BF16, ctx=8192, prompt=6144)
    parts = est.weights_bytes + est.kv_cache_bytes + est.activation_bytes + est.overhead_bytes
    assert est.total_bytes == parts
    assert est.allocated_bytes == parts - est.context_bytes - est.slack_bytes
    assert est.context_bytes == CUDA_CONTEXT_BYTES
    assert est.runtime == "transformers" and est.attention == "sdpa"


def test_legacy_transformers_keeps_full_prompt_logits_in_fp32() -> None:
    a = arch(QWEN1_5_7B)
    new = estimate_inference(a, Quant.BF16, ctx=32768, prompt=30720, runtime="transformers")
    old = estimate_inference(a, Quant.BF16, ctx=32768, prompt=30720, runtime="transformers-legacy")
    fp32_logits = 30720 * 151936 * 4
    assert old.activation_bytes - new.activation_bytes > fp32_logits
    # Qwen1.5 benchmark (transformers 4.37 era, max_memory_allocated): 62.29 GB at 30720 + 2048 tokens
    assert old.allocated_bytes / GiB == pytest.approx(62.29, rel=0.05)
    # Qwen2.5-7B under transformers 4.46: 19.97 GB at 30720 + 2048 tokens
    q25 = estimate_inference(arch(QWEN2_5_7B), Quant.BF16, ctx=32768, prompt=30720, attention="flash")
    assert q25.allocated_bytes / GiB == pytest.approx(19.97, rel=0.05)


def test_remote_code_tuple_cache_holds_two_copies_while_decoding() -> None:
    a = arch(QWEN_7B)  # Qwen 1st gen: tuple cache rebuilt with torch.cat every step
    est = estimate_inference(a, Quant.BF16, ctx=8193, prompt=1, attention="flash")
    assert est.activation_bytes >= est.kv_cache_bytes
    native = estimate_inference(arch(LLAMA_7B), Quant.FP16, ctx=8193, prompt=1, attention="flash")
    assert native.activation_bytes < native.kv_cache_bytes / 4


def test_eager_attention_materialises_scores() -> None:
    a = arch(LLAMA_7B)
    eager = estimate_inference(a, Quant.FP16, ctx=4097, prompt=4096, attention="eager")
    flash = estimate_inference(a, Quant.FP16, ctx=4097, prompt=4096, attention="flash")
    assert eager.activation_bytes - flash.activation_bytes >= 32 * 4096 * 4096 * 2


def test_chatglm2_returns_last_logits_chatglm_6b_all() -> None:
    glm2 = estimate_inference(arch(CHATGLM2_6B), Quant.FP16, ctx=2049, prompt=2048)
    assert glm2.activation_bytes < 1 * GiB
    glm1 = estimate_inference(arch(CHATGLM_6B), Quant.FP16, ctx=2049, prompt=2048)
    assert glm1.activation_bytes > 2048 * 130528 * 2 * 2  # fp16 logits and their contiguous copy


def test_llama_cpp_allocates_the_whole_context() -> None:
    a = arch(QWEN2_5_7B)
    est = estimate_inference(a, Quant.Q4_K_M, ctx=4000, prompt=100)
    assert est.runtime == "llama.cpp"
    assert est.kv_cache_bytes == kv_cache_bytes(a, 4096)  # padded to 256
    assert est.slack_bytes == 0
    assert est.weights_bytes == weight_bytes(a, Quant.Q4_K_M)


def test_quantized_kv_cache() -> None:
    a = arch(QWEN_7B)
    full = estimate_inference(a, Quant.BF16, ctx=1025, prompt=1, batch=32, attention="flash")
    int8 = estimate_inference(a, Quant.BF16, ctx=1025, prompt=1, batch=32, attention="flash", kv_cache="int8")
    assert int8.kv_cache_bytes == pytest.approx(full.kv_cache_bytes * (1 + 8 / 128) / 2, rel=1e-6)


def test_batch_scales_kv() -> None:
    a = arch(QWEN2_5_7B)
    one = estimate_inference(a, Quant.BF16, ctx=2048, batch=1)
    four = estimate_inference(a, Quant.BF16, ctx=2048, batch=4)
    assert four.kv_cache_bytes == 4 * one.kv_cache_bytes
    assert four.weights_bytes == one.weights_bytes


def test_sensible_levels() -> None:
    assert sensible_levels(arch(CHATGLM_6B)) == (Quant.FP16, Quant.INT8, Quant.INT4)
    assert sensible_levels(arch(CHATGLM2_6B)) == (Quant.FP16, Quant.Q8_0, Quant.INT8, Quant.INT4, Quant.Q4_K_M)
    qwen = sensible_levels(arch(QWEN2_5_7B), gguf=False)
    assert qwen == (Quant.BF16, Quant.BNB_INT8, Quant.BNB_NF4)
    for level in sensible_levels(arch(QWEN2_5_7B)):
        estimate_inference(arch(QWEN2_5_7B), level, ctx=2048)


# ---------------------------------------------------------------- fine-tuning


def test_full_finetune_is_sixteen_bytes_per_parameter_plus_activations() -> None:
    a = arch(QWEN2_5_0_5B)
    est = estimate_finetune(a, "full", seq=4096)  # long enough for backward, not the optimizer step, to peak
    n = count_params(a).total
    assert est.weights_bytes + est.grads_optimizer_bytes == 16 * n
    assert est.trainable_params == n
    assert est.activation_checkpointed_bytes < est.activation_bytes
    assert est.total_checkpointed < est.total


def test_lora_adapter_counts() -> None:
    a = arch(LLAMA_7B)
    # PEFT's default for LLaMA: q_proj and v_proj, rank 8: 32 layers x 2 x 8 x (4096 + 4096)
    assert lora_params(a, 8) == 32 * 2 * 8 * 8192
    assert lora_params(a, 8, "attention") == 32 * 4 * 8 * 8192
    est = estimate_finetune(a, "lora", seq=512)
    assert est.adapter_bytes == 4 * lora_params(a, 8)
    assert est.grads_optimizer_bytes == 12 * lora_params(a, 8)
    glm = arch(CHATGLM2_6B)  # fused query_key_value: 4096 -> 4608
    assert lora_params(glm, 8) == 28 * 8 * (4096 + 4608)


def test_qlora_is_smaller_than_lora_and_ptuning_trains_a_prefix() -> None:
    a = arch(QWEN2_5_7B)
    lora = estimate_finetune(a, "lora", seq=1024)
    qlora = estimate_finetune(a, "qlora", seq=1024)
    # 4-bit blocks, but PEFT holds the untied embedding and LM head in fp32: twice their bf16 size (exact figures:
    # tests/test_pinned_finetune.py)
    assert qlora.weights_bytes < lora.weights_bytes
    ptuning = estimate_finetune(arch(CHATGLM_6B), "ptuning", seq=128, base_quant=Quant.INT4, prefix_len=128)
    assert ptuning.trainable_params == 128 * 28 * 2 * 4096
    emb = estimate_finetune(a, "lora", seq=1024, train_embeddings=True)
    assert emb.total > lora.total + count_params(a).embedding * 2 * 11


def test_long_sequences_cost_the_vocabulary_loss() -> None:
    a = arch(QWEN2_5_7B)
    short = estimate_finetune(a, "lora", seq=256)
    long = estimate_finetune(a, "lora", seq=8192)
    assert long.activation_checkpointed_bytes - short.activation_checkpointed_bytes > 7936 * 152064 * 12


# ---------------------------------------------------------------- accuracy benchmark on a fixture


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("estimate_accuracy", ROOT / "bench" / "estimate_accuracy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["estimate_accuracy"] = module
    spec.loader.exec_module(module)
    return module


CATALOG = """\
version: 1
projects:
- id: demo-qwen
  name: DemoQwen
  description: A test project.
  license: {commercial: free, source: https://example.org/license}
  models:
  - id: demo-qwen-7b
    name: DemoQwen-7B
    format: full
    architecture:
      source: https://example.org/config.json
      config: {model_type: qwen2, hidden_size: 3584, intermediate_size: 18944, num_attention_heads: 28,
               num_hidden_layers: 28, num_key_value_heads: 4, vocab_size: 152064, tie_word_embeddings: false}
    variants:
    - {id: demo-qwen-7b-bf16, quant: bf16, repo: demo/qwen-7b}
    - {id: demo-qwen-7b-awq, quant: awq, repo: demo/qwen-7b-awq}
- id: demo-glm
  name: DemoGLM
  description: A test project.
  license: {commercial: free, source: https://example.org/license}
  models:
  - id: demo-glm-6b
    name: DemoGLM-6B
    format: full
    architecture:
      config: {model_type: chatglm, num_layers: 28, hidden_size: 4096, ffn_hidden_size: 13696,
               num_attention_heads: 32, multi_query_attention: true, multi_query_group_num: 2, kv_channels: 128,
               padded_vocab_size: 65024, add_qkv_bias: true, torch_dtype: float16}
    variants:
    - {id: demo-glm-6b-fp16, quant: fp16, repo: demo/glm-6b}
    - {id: demo-glm-6b-int4, quant: int4, quantize_from: demo-glm-6b-fp16}
"""

MEASUREMENTS = """\
- {model: Q7, hf_repo: demo/qwen-7b, precision: BF16, purpose: inference, input_tokens: 6144, output_tokens: 2048,
   batch: 1, gpu: 1x A100, framework: null, memory_value: 15.38, memory_unit: GB, kind: peak,
   source: "QwenLM/Qwen2.5:docs/source/benchmark/speed_benchmark.rst@a912d23", note: "test row"}
- {model: Q7-AWQ, hf_repo: demo/qwen-7b-awq, precision: AWQ, purpose: inference, input_tokens: 1, output_tokens: 2048,
   batch: 1, gpu: null, framework: null, memory_value: 5.39, memory_unit: GB, kind: peak,
   source: "QwenLM/Qwen2.5:docs/source/benchmark/speed_benchmark.rst@a912d23", note: "test row"}
- {model: G6, hf_repo: demo/glm-6b, precision: INT4, purpose: inference, input_tokens: 2048, output_tokens: null,
   batch: null, gpu: null, framework: null, memory_value: 6, memory_unit: GB, kind: min-required,
   source: "THUDM/demo:README.md@abc", note: "test row"}
- {model: G6, hf_repo: demo/glm-6b, precision: null, purpose: finetune-lora, input_tokens: 256, output_tokens: null,
   batch: 4, gpu: null, framework: null, memory_value: 14082, memory_unit: MiB, kind: peak,
   source: "THUDM/ChatGLM3:finetune_demo/README.md@732294f", note: "test row"}
- {model: Q7, hf_repo: demo/qwen-7b, precision: BF16, purpose: inference, input_tokens: 1, output_tokens: 2048,
   batch: 1, gpu: 2x A100-SXM4-80G, framework: null, memory_value: 30, memory_unit: GB, kind: peak,
   source: "x", note: "two GPUs"}
- {model: Other, hf_repo: demo/not-in-catalog, precision: BF16, purpose: inference, input_tokens: 1,
   output_tokens: 1, batch: 1, gpu: null, framework: null, memory_value: 1, memory_unit: GB, kind: peak,
   source: "x", note: "no config"}
"""


def test_benchmark_runs_on_a_fixture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG, encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nprojects: 3\n", encoding="utf-8")
    rows = tmp_path / "rows.yaml"
    rows.write_text(MEASUREMENTS, encoding="utf-8")
    bench = _bench()
    args = ["--no-default-catalog", "--catalog", str(catalog), "--catalog", str(broken), "--measurements", str(rows)]
    assert bench.main([*args, "--rows"]) == 0
    out = capsys.readouterr().out
    assert "used: 3 inference, 1 fine-tuning" in out
    assert "multi-GPU figure" in out
    assert "no catalog model with an architecture config for demo/not-in-catalog" in out
    assert "warning: skipped catalog" in out and "broken.yaml" in out
    assert "== inference: 3 rows" in out and "MAPE" in out and "worst under-estimate" in out
    assert "per family" in out
    assert "int4" in out  # a bare INT4 on ChatGLM's fp16 variant is its own quantize(4)

    assert bench.main([*args, "--subset", "2"]) == 0
    assert "== inference: 2 rows" in capsys.readouterr().out

    assert bench.main([*args, "--subset", "1", "--validation", str(rows)]) == 0
    out = capsys.readouterr().out
    calibration, validation = out.split("== VALIDATION SET")
    assert "== inference: 1 rows" in calibration
    assert "(no constant is tuned on these)" in validation and "== validation inference: 3 rows" in validation


def test_benchmark_reads_units_and_rounded_requirements() -> None:
    bench = _bench()
    assert bench._published_gib({"memory_value": 14082, "memory_unit": "MiB"}) == pytest.approx(14082 / 1024)
    assert bench._published_gib({"memory_value": 6, "memory_unit": "G"}) == 6
    row = {"memory_value": 6, "kind": "min-required"}
    assert bench._compare(5.4, 6.0, row) == (0.0, pytest.approx(-0.1))  # inside (5, 6]: a rounded requirement
    assert bench._compare(4.5, 6.0, row)[0] == pytest.approx(-0.5 / 6)
    assert bench._compare(6.6, 6.0, {"memory_value": 6.0, "kind": "peak"})[0] == pytest.approx(0.1)
    assert bench._gpu_count("2 nodes x 2 A100-SXM4-80G") == 4
    assert bench._gpu_count("1x A100-SXM4-80G") == 1
    assert bench._gpu_count("4 GPUs (H100 or A100 class)") == 4
    assert bench._gpu_count(None) == 1


def test_shipped_measurements_keep_header_and_sources() -> None:
    text = (ROOT / "bench" / "data" / "vram-measurements.yaml").read_text(encoding="utf-8")
    assert text.startswith("# vram-measurements.yaml") and "Record counts by source" in text
    rows = yaml.safe_load(text)
    assert len(rows) == 321 and all(row["source"] for row in rows)
    text = (ROOT / "bench" / "data" / "vram-validation.yaml").read_text(encoding="utf-8")
    assert text.startswith("# vram-validation.yaml - VALIDATION set")
    assert all(row["source"] and row["memory_unit"] for row in yaml.safe_load(text))


def test_rows_apart_match_on_their_fields_too() -> None:
    bench = _bench()
    row = {"source": "QwenLM/Qwen:README.md@2df8e8a", "precision": "BF16", "batch": 4, "memory_value": 24.1}
    assert "affine in batch" in bench._apart(row)
    # the same table's batch-4 cell with KV-cache quantization (17.2 GB) and its batch-1 cell stay in the MAPE
    assert bench._apart({**row, "memory_value": 17.2}) is None
    assert bench._apart({**row, "batch": 1, "memory_value": 16.3}) is None
    assert "ChatGLM-6B's figure" in bench._apart({"source": "THUDM/ChatGLM2-6B:ptuning/README.md@cb8e8b4"})


def test_finetune_settings_follow_the_scripts_of_the_commit_that_wrote_the_figure() -> None:
    bench = _bench()
    source = "THUDM/ChatGLM3:finetune_demo/README.md@9484f82"
    lora = bench._finetune_settings(source, "finetune-lora")
    ptuning = bench._finetune_settings(source, "finetune-ptuning")
    # 9484f82's configs: lora.yaml 128 + 256 at batch 1, ptuning_v2.yaml 256 + 512 at batch 4 with 64 virtual
    # tokens; finetune_hf.py enabled no gradient checkpointing then
    assert (lora.seq, lora.target_len, lora.batch, lora.checkpointing) == (128, 256, 1, False)
    assert (ptuning.seq, ptuning.target_len, ptuning.batch, ptuning.prefix_len) == (256, 512, 4, 64)
    # ChatGLM-6B's P-tuning figures date from 2023-03-31, when train.sh set PRE_SEQ_LEN=8
    assert bench._finetune_settings("THUDM/ChatGLM-6B:ptuning/README.md@401bf3a", "finetune-ptuning").prefix_len == 8
    qwen = bench._finetune_settings("QwenLM/Qwen:README.md@2df8e8a", "finetune-full")
    assert qwen.zero3 == ("full",) and "full" not in qwen.zero2  # finetune_ds.sh passes ds_config_zero3.json
    assert qwen.foreach_intermediates == 2  # "we use CUDA 11.8 and Pytorch 2.0"


def test_chatglm_6b_figures_are_priced_on_the_march_2023_checkpoint() -> None:
    bench = _bench()
    # every THUDM/ChatGLM-6B figure was written before the 2023-04-06 update that removed 20,000 image tokens
    assert bench._config_of_the_time("THUDM/ChatGLM-6B:README.md@401bf3a") == {"vocab_size": 150528}
    assert bench._config_of_the_time("THUDM/ChatGLM-6B:ptuning/README.md@401bf3a") == {"vocab_size": 150528}
    assert bench._config_of_the_time("THUDM/ChatGLM2-6B:README.md@cb8e8b4") == {}
