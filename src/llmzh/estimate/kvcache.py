"""KV cache: bytes held per cached token."""

from llmzh.estimate.arch import Arch


def kv_cache_bytes(arch: Arch, tokens: int, batch: int = 1, elem_bytes: float = 2) -> int:
    """2 (K and V) x layers x KV heads x head dim x tokens x batch x bytes per element.

    KV heads come from each family's own keys (``arch_from_config``): ``num_key_value_heads`` (absent: = heads),
    ChatGLM2/3/GLM-4's ``multi_query_group_num`` of ``kv_channels``; ChatGLM-6B, BLOOM, Qwen 1st gen and Baichuan
    are full multi-head attention.
    """
    return int(2 * arch.layers * arch.kv_dim * tokens * batch * elem_bytes)


KV_INT8_BYTES = 1 + 8 / 128
"""Qwen 1st gen's ``use_cache_quantization``: int8 keys/values + an fp32 scale and zero per token and head of 128."""
