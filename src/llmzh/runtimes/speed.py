"""Tokens per second, estimated: decode is bound by memory bandwidth, prefill by FLOPS.

Decode reads every weight the token passes through once per generated token (MoE: only the active experts) and
the KV cache of the context so far; a step also pays a fixed launch/scheduling cost per layer. With ``-ngl``
partial offload the layers left in RAM are read by the CPU at the RAM bandwidth:

    seconds per token = GPU bytes / (BANDWIDTH_EFFICIENCY x GPU bandwidth)
                      + RAM bytes / (BANDWIDTH_EFFICIENCY x RAM bandwidth) + layers x LAYER_OVERHEAD_S

Prefill runs 2 FLOPs per active parameter per prompt token at FLOPS_EFFICIENCY of the card's dense FP16 tensor
throughput. FLOPS_EFFICIENCY was set, not fitted; bench/speed_accuracy.py reports it against llama-bench's pp512
(prompt processing) results, every row held out.

BANDWIDTH_EFFICIENCY and LAYER_OVERHEAD_S were fitted (least squares on seconds per token) to the five BF16 rows of
QwenLM's Qwen2.5 vLLM speed benchmark at a 1-token prompt (A100 80GB, vLLM 0.6.3, 0.5B-14B:
https://github.com/QwenLM/Qwen2.5/blob/4da996c/docs/source/benchmark/speed_benchmark.rst) and are reported by
bench/speed_accuracy.py on the other rows (quantized vLLM rows, llama.cpp threads).
"""

from __future__ import annotations

from llmzh.estimate import Arch, count_params, kv_cache_bytes, weight_bytes
from llmzh.schema import Quant

BANDWIDTH_EFFICIENCY = 0.81
LAYER_OVERHEAD_S = 116e-6
FLOPS_EFFICIENCY = 0.5
RAM_BANDWIDTH_GBS = 51.2
"""RAM bandwidth assumed for the layers ``-ngl`` leaves on the CPU: dual-channel DDR4-3200 (2 channels x 8 bytes x
3200 MT/s, JEDEC JESD79-4), a common desktop; DDR5 machines are faster."""


def bytes_per_token(arch: Arch, quant: Quant, *, context: int, kv_elem_bytes: float = 2) -> int:
    """Bytes one decoding step reads: the weights the token passes through (MoE: the estimator's active share of
    the blocks; not the embedding table, of which one row is looked up, unless tied and so read as the LM head),
    plus the KV cache of ``context`` tokens."""
    p = count_params(arch)
    weights = weight_bytes(arch, quant)
    per_param = weights / p.total
    inactive = p.total - p.extra - p.active  # experts the router does not pick
    embedding = 0 if arch.tied else p.embedding
    read = weights - per_param * (embedding + inactive + p.extra)
    return int(read) + kv_cache_bytes(arch, context, 1, kv_elem_bytes)


def active_params(arch: Arch) -> int:
    """Parameters one token runs through: the estimator's active count for MoE, else every decoder weight."""
    return count_params(arch).active


def decode_tps(
    *,
    gpu_bytes: float,
    bandwidth_gbs: float,
    layers: int,
    ram_bytes: float = 0,
    ram_bandwidth_gbs: float = RAM_BANDWIDTH_GBS,
) -> float:
    """Tokens per second of one sequence reading ``gpu_bytes`` from the card and ``ram_bytes`` from RAM per token."""
    seconds = gpu_bytes / (BANDWIDTH_EFFICIENCY * bandwidth_gbs * 1e9)
    seconds += ram_bytes / (BANDWIDTH_EFFICIENCY * ram_bandwidth_gbs * 1e9)
    return 1 / (seconds + layers * LAYER_OVERHEAD_S)


def prefill_tps(arch: Arch, tflops: float | None) -> float | None:
    """Prompt tokens per second at FLOPS_EFFICIENCY of the card's dense FP16 throughput."""
    return prefill_tps_of(active_params(arch), tflops)


def prefill_tps_of(params: float, tflops: float | None) -> float | None:
    """Prompt tokens per second of a model running ``params`` parameters per token (2 FLOPs each)."""
    if tflops is None:
        return None
    return FLOPS_EFFICIENCY * tflops * 1e12 / (2 * params)
