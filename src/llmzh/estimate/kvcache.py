"""KV cache and recurrent state: bytes held per cached token, and per sequence for linear-attention layers.

Sources
-------
* Grouped KV heads: each family's own keys (``arch_from_config``): ``num_key_value_heads`` (absent: = heads),
  ChatGLM2/3/GLM-4's ``multi_query_group_num`` of ``kv_channels``; ChatGLM-6B, BLOOM, Qwen 1st gen and Baichuan are
  full multi-head attention.
* Multi-head latent attention: transformers' DeepseekV2/V3 attention caches ``key_states`` (heads x
  (qk_nope_head_dim + qk_rope_head_dim)) and ``value_states`` (heads x v_head_dim) before any padding; vLLM's
  MLA backend caches one (kv_lora_rank + qk_rope_head_dim) vector per token and layer (``MLACommonBackend.
  get_kv_cache_shape`` has no K/V axis), as does llama.cpp's deepseek2 graph (K holds the latent, V is a view of
  it). vLLM's minicpm3.py decompresses and pads values to the key head size (``F.pad(v, [0, qk_head_dim -
  v_head_dim])``), so it caches 2 x heads x qk_head_dim; llama.cpp's minicpm3 graph caches decompressed K and V.
* Gated delta net (Qwen3-Next, Qwen3.5): per sequence and linear layer a recurrent state of value_heads x key_dim
  x value_dim and a conv state over conv_dim = 2 x key_heads x key_dim + value_heads x value_dim channels.
  transformers keeps ``conv_kernel`` taps in the model dtype and the state in fp32 (torch_chunk_gated_delta_rule
  computes in float32 and returns its final state); vLLM keeps kernel - 1 taps in the model dtype and the state in
  ``mamba_ssm_dtype`` (float32 in the Qwen3.5 configs), else the model dtype; llama.cpp's recurrent memory holds
  both in F32 (kernel - 1 taps).
* Sliding-window layers hold at most ``sliding_window`` tokens (transformers' sliding-window cache layers,
  llama.cpp's SWA cache, vLLM's sliding-window manager).
* Cache element sizes: ggml block_q8_0 (32 values in 34 bytes) and block_q4_0 (32 in 18) from ggml-common.h for
  llama.cpp's ``--cache-type-k/-v``; fp8 (e4m3/e5m2) in vLLM's ``--kv-cache-dtype fp8``.
"""

from typing import Literal

from llmzh.estimate.arch import Arch, EstimateError

KvDtype = Literal["fp16", "bf16", "fp8", "q8_0", "q4_0", "fp32", "int8"]
KV_DTYPES: tuple[KvDtype, ...] = ("fp16", "bf16", "fp8", "q8_0", "q4_0")
KV_INT8_BYTES = 1 + 8 / 128
"""Qwen 1st gen's ``use_cache_quantization``: int8 keys/values + an fp32 scale and zero per token and head of 128."""

KV_ELEMENT_BYTES: dict[str, float] = {
    "fp32": 4,
    "fp16": 2,
    "bf16": 2,
    "fp8": 1,
    "q8_0": 34 / 32,
    "q4_0": 18 / 32,
    "int8": KV_INT8_BYTES,
}
_DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}


def kv_element_bytes(kv_dtype: str) -> float:
    """Bytes per cached key or value element of a cache type."""
    if kv_dtype not in KV_ELEMENT_BYTES:
        raise EstimateError(f"unknown KV-cache type {kv_dtype!r}; expected one of: {', '.join(KV_DTYPES)}")
    return KV_ELEMENT_BYTES[kv_dtype]


def _elems_per_layer(arch: Arch, runtime: str) -> int:
    """Key and value elements one attention layer caches per token under a runtime."""
    mla = arch.mla
    if mla is None:
        return 2 * arch.kv_dim
    if runtime in ("vllm", "llama.cpp") and mla.latent_cached:
        return mla.kv_lora_rank + mla.rope_dim
    if runtime == "vllm":
        return 2 * arch.heads * mla.qk_dim
    return arch.heads * (mla.qk_dim + mla.v_dim)


def kv_bytes_per_token(arch: Arch, *, runtime: str = "transformers", kv_dtype: str = "fp16") -> float:
    """Bytes one more token of context adds to the cache, summed over the layers whose cache grows with context
    (full attention; not linear-attention layers, whose state is fixed, nor sliding-window layers once full)."""
    return _elems_per_layer(arch, runtime) * arch.count_layers("full") * kv_element_bytes(kv_dtype)


def kv_cache_bytes(
    arch: Arch, tokens: int, batch: int = 1, elem_bytes: float = 2, *, runtime: str = "transformers"
) -> int:
    """Bytes of the KV cache holding ``tokens`` tokens for ``batch`` sequences: full-attention layers x tokens,
    sliding-window layers x min(tokens, window), ``elem_bytes`` per cached element (2 for fp16/bf16)."""
    per_layer = _elems_per_layer(arch, runtime) * elem_bytes
    full = arch.count_layers("full") * tokens
    sliding = arch.count_layers("sliding") * min(tokens, arch.sliding_window or tokens)
    return int(per_layer * (full + sliding) * batch)


def state_bytes_per_sequence(arch: Arch, *, runtime: str = "transformers", dtype_bytes: int = 2) -> int:
    """Fixed recurrent + conv state of the linear-attention layers for one sequence (0 when there are none);
    ``dtype_bytes``: the model's activation dtype (2 for fp16/bf16)."""
    lin = arch.linear
    layers = arch.count_layers("linear")
    if lin is None or not layers:
        return 0
    configured = _DTYPE_BYTES.get(lin.state_dtype or "", 0)
    if runtime == "llama.cpp":
        conv, state = (lin.conv_kernel - 1) * 4, 4
    elif runtime == "vllm":
        conv, state = (lin.conv_kernel - 1) * dtype_bytes, configured or dtype_bytes
    else:
        conv, state = lin.conv_kernel * dtype_bytes, 4
    return layers * (lin.conv_dim * conv + lin.state_elems * state)
