"""vLLM (V1 engine): how much of the card the KV-cache pool gets, how many tokens it holds, how many users fit.

Modelled on vLLM's own start-up accounting (``vllm/v1/worker/gpu_worker.py``, ``Worker.determine_available_memory``
at 35d5cda; ``vllm/utils/mem_utils.py``, ``memory_profiling``), which logs it as "Available KV cache memory":

    requested   = total GPU memory x gpu_memory_utilization   (default 0.9; 0.92 since v0.21)
    non-KV      = weights ("Model loading took X GiB")
                + non-torch memory (cuBLAS/NCCL/CUDA allocations outside PyTorch's allocator, measured)
                + the PyTorch activation peak of ``profile_run``: one forward pass over max_num_batched_tokens dummy
                  tokens, then the sampler over max_num_seqs rows of logits
                + since v0.21.0, the CUDA graphs' estimated memory ("CUDA graph memory profiling is enabled (default
                  since v0.21.0)"; before, graphs were captured after the pool, out of the 1 - utilization margin)
    KV pool     = requested - non-KV, cut into blocks of 16 tokens for every attention layer
                  ("GPU KV cache size: N tokens" = blocks x 16; ``vllm/v1/core/kv_cache_utils.py``)
    concurrency = pool tokens / max_model_len ("Maximum concurrency for N tokens per request: X"), and start-up
                  fails when one max_model_len sequence does not fit the pool. Hybrid models (Qwen3-Next,
                  Qwen3.5) cache tokens only in their full-attention layers and hold one fixed gated-delta-net
                  state per sequence (``llmzh.estimate.state_bytes_per_sequence``); MLA models cache the latent.

Versions followed: V1 engine, v0.8 to v0.20 (no CUDA-graph term) and v0.21+ (the default here). Defaults for
``vllm serve`` (``EngineArgs`` batch defaults, ``vllm/engine/arg_utils.py``): max_num_batched_tokens 2048 and
max_num_seqs 256, or 8192 and 1024 on cards of 70 GiB and more other than the A100.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from llmzh.estimate import GGUF_LEVELS, Arch, state_bytes_per_sequence, weight_bytes
from llmzh.estimate import kv_bytes_per_token as _kv_bytes_per_token
from llmzh.runtimes import RuntimeSettingError
from llmzh.schema import Quant

GiB = 1 << 30

VllmVersion = Literal["0.8-0.20", "0.21+"]
CURRENT: VllmVersion = "0.21+"
GPU_MEMORY_UTILIZATION: dict[VllmVersion, float] = {"0.8-0.20": 0.9, "0.21+": 0.92}
"""CacheConfig's default: 0.9, raised to 0.92 in v0.21 together with CUDA-graph profiling (vllm-project/vllm PR
#38284, "Enable CUDAGraph memory profiling by default ... increases the default --gpu-memory-utilization to
0.92"; vllm/config/cache.py ``gpu_memory_utilization: float = Field(default=0.92, gt=0, le=1)``)."""
BLOCK_SIZE = 16  # tokens per KV-cache block on CUDA (CacheConfig.block_size default)
LARGE_CARD_BYTES = 70 * GiB  # EngineArgs: "device_memory >= 70 * GiB_bytes and 'a100' not in device_name"

NON_TORCH_BYTES = GiB // 4
"""Memory allocated outside PyTorch on one GPU: "non_torch_memory takes" 0.20 / 0.25 / 0.30 GiB in the single-node
start-up logs of vllm-project/vllm PR #14447 (3090), issues #13061 (4090) and #15815 (L40S); 0.03 GiB on a WSL 4060
(#13882). The 1.79 GiB of PR #10511's H100 sanity check predates V1's profiler rework and is left out."""

CUDA_GRAPH_BYTES = GiB // 2
"""What v0.21+ reserves for CUDA graphs before sizing the pool: "Estimated CUDA graph memory: 0.52 GiB total" for
Qwen3-8B on a 24 GB card (LMCache issue #3430), 0.41 GiB for a 27B model (Tanguille/cluster PR #4670)."""

LOGIT_BYTES = 4  # the sampler runs on fp32 logits
MLP_LIVE = 3  # gate/up output (2 x ffn) and the activated product (1 x ffn) are alive together
HIDDEN_LIVE = 4  # residual, normalised input, attention output and the MLP's down projection, hidden wide

KvDtype = Literal["auto", "fp8"]


class VllmPlan(NamedTuple):
    """vLLM's start-up accounting for one model on one card (bytes unless named otherwise)."""

    gpu_memory_utilization: float
    total_bytes: int
    requested_bytes: int
    weights_bytes: int
    non_torch_bytes: int
    activation_bytes: int
    cuda_graph_bytes: int
    kv_pool_bytes: int  # "Available KV cache memory" (negative: "No available memory for the cache blocks")
    kv_bytes_per_token: int
    state_bytes_per_sequence: int  # hybrid models: the linear-attention layers' fixed state of one sequence
    kv_cache_tokens: int  # "GPU KV cache size: N tokens"
    max_model_len: int  # the longest single sequence the pool holds, capped at the model's own maximum
    ctx: int  # the --max-model-len asked for
    max_concurrency: float  # sequences of ctx tokens held at once
    max_num_seqs: int
    max_num_batched_tokens: int
    kv_cache_dtype: str
    fits: bool  # vLLM starts: the pool holds one sequence of ctx tokens, and ctx is within the model's maximum


def batch_defaults(total_bytes: int, gpu_name: str = "") -> tuple[int, int]:
    """``vllm serve``'s (max_num_batched_tokens, max_num_seqs) for a card (EngineArgs.get_batch_defaults)."""
    if total_bytes >= LARGE_CARD_BYTES and "a100" not in gpu_name.lower():
        return 8192, 1024
    return 2048, 256


def serves(quant: Quant) -> bool:
    """Levels vLLM loads: 16-bit, FP8, GPTQ, AWQ and bitsandbytes checkpoints (not GGUF/GGML, not ChatGLM's own
    cpm_kernels int8/int4)."""
    return quant not in GGUF_LEVELS and quant not in (Quant.INT8, Quant.INT4, Quant.INT4_QE, Quant.FP32)


def kv_bytes_per_token(arch: Arch, kv_cache_dtype: KvDtype = "auto") -> int:
    """Bytes one token takes in the pool: K and V of every full-attention layer (MLA: the latent vLLM caches), 2
    bytes each ("auto" keeps the model's 16-bit dtype), 1 with ``--kv-cache-dtype fp8``."""
    return int(_kv_bytes_per_token(arch, runtime="vllm", kv_dtype="fp8" if kv_cache_dtype == "fp8" else "bf16"))


def activation_bytes(arch: Arch, *, batched_tokens: int, num_seqs: int) -> int:
    """PyTorch peak of ``profile_run`` above the weights: the MLP and hidden-wide tensors of one forward pass over
    ``batched_tokens`` tokens in 16-bit, plus fp32 logits for ``num_seqs`` rows in the dummy sampler run.

    Against the logged "PyTorch activation peak memory": 1.03 vs 1.26 GiB (Llama-3-8B, 8192 tokens, PR #10511),
    1.30 vs 1.26 GiB (Qwen2.5-32B, TP 2, 10000 tokens, issue #15815), 0.30 vs 0.19 GiB (DeepSeek-R1-Distill-Qwen-14B,
    TP 2, 2048 tokens, issue #13061): within a quarter of a GiB, a few percent of the pool on a 24 GB card.
    """
    forward = batched_tokens * (MLP_LIVE * arch.ffn + HIDDEN_LIVE * arch.hidden) * 2
    return forward + num_seqs * arch.vocab * LOGIT_BYTES


def plan(
    arch: Arch,
    quant: Quant,
    *,
    total_bytes: int,
    ctx: int,
    gpu_memory_utilization: float | None = None,
    max_num_seqs: int | None = None,
    max_num_batched_tokens: int | None = None,
    kv_cache_dtype: KvDtype = "auto",
    gpu_name: str = "",
    version: VllmVersion = CURRENT,
    weights: int | None = None,
    tensor_parallel_size: int = 1,
) -> VllmPlan:
    """vLLM's start-up accounting for ``arch`` at ``quant`` on a card of ``total_bytes``, serving ``ctx`` tokens.

    ``weights``: what "Model loading took" reports (per GPU), when known; otherwise the estimator's weight bytes.
    ``tensor_parallel_size``: every figure is per GPU; each of the ``tp`` cards holds 1/tp of the weights, of the
    KV heads (at least one: vLLM replicates KV heads when there are fewer than cards; an MLA latent is replicated
    whole) and of the MLP width, and the same pool of tokens.
    """
    if not serves(quant):
        raise RuntimeSettingError(
            f"vLLM does not load {quant.value} weights", hint="use --runtime llama.cpp for GGUF levels"
        )
    if gpu_memory_utilization is None:
        gpu_memory_utilization = GPU_MEMORY_UTILIZATION[version]
    if not 0 < gpu_memory_utilization <= 1:
        raise RuntimeSettingError(f"--gpu-memory-utilization must be in (0, 1], got {gpu_memory_utilization}")
    default_tokens, default_seqs = batch_defaults(total_bytes, gpu_name)
    seqs = max_num_seqs or default_seqs
    tokens = max_num_batched_tokens or default_tokens
    tp = tensor_parallel_size
    requested = int(total_bytes * gpu_memory_utilization)
    w = weight_bytes(arch, quant) // tp if weights is None else weights
    act = activation_bytes(arch._replace(ffn=arch.ffn // tp), batched_tokens=tokens, num_seqs=min(seqs, tokens))
    graphs = CUDA_GRAPH_BYTES if version == "0.21+" else 0
    pool = requested - w - NON_TORCH_BYTES - act - graphs
    per_token = kv_bytes_per_token(arch, kv_cache_dtype)
    if arch.mla is None and tp > 1:
        per_token = per_token * max(1, arch.kv_heads // tp) // arch.kv_heads
    state = state_bytes_per_sequence(arch, runtime="vllm") // tp
    kv_tokens = max(pool, 0) // (per_token * BLOCK_SIZE) * BLOCK_SIZE
    # A hybrid model's sequence holds its context's KV blocks and one fixed state (vLLM pads the state to whole
    # pages of the same pool), so users at once = pool / (ctx x per-token + state).
    sequences = max(pool, 0) / (ctx * per_token + state) if state else kv_tokens / ctx
    longest = (max(pool, 0) - state) // (per_token * BLOCK_SIZE) * BLOCK_SIZE if state else kv_tokens
    model_max = arch.max_positions or ctx
    return VllmPlan(
        gpu_memory_utilization=gpu_memory_utilization,
        total_bytes=total_bytes,
        requested_bytes=requested,
        weights_bytes=w,
        non_torch_bytes=NON_TORCH_BYTES,
        activation_bytes=act,
        cuda_graph_bytes=graphs,
        kv_pool_bytes=pool,
        kv_bytes_per_token=per_token,
        state_bytes_per_sequence=state,
        kv_cache_tokens=kv_tokens,
        max_model_len=max(0, min(longest, model_max)),
        ctx=ctx,
        max_concurrency=sequences,
        max_num_seqs=seqs,
        max_num_batched_tokens=tokens,
        kv_cache_dtype=kv_cache_dtype,
        fits=pool > 0 and sequences >= 1 and ctx <= model_max,
    )
