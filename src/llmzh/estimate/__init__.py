"""Peak GPU memory to run or fine-tune a model, from its config.json: weights, KV cache, activations, overhead.

Pure arithmetic: no I/O, no printing, standard library only. Every term is a named function whose docstring
states the mechanism and its source. Byte counts are integers; 1 GiB = 2**30 bytes. Records are typed, immutable
``NamedTuple``s like llmzh.schema's (a dataclass costs about 1.2 ms to create, a NamedTuple 0.2 ms, and `llmzh list`
has a start-up budget).

Modules, in reading order
-------------------------
* ``config``: ``arch_from_config`` reads each family's own config names (ChatGLM's ``num_layers`` /
  ``multi_query_group_num`` / ``kv_channels`` / ``padded_vocab_size``, Qwen 1st generation's ``kv_channels`` and
  doubled ``intermediate_size``, BLOOM's ``n_layer`` / ``n_head`` ...) into an ``Arch``.
* ``arch``: the ``Arch`` record, what each family's modelling code does at run time, the weight matrices of a
  block, ``count_params``.
* ``weights``: ``weight_bytes`` prices every tensor at a quantization level: group scales and zeros, the tensors
  each method leaves in 16-bit, llama.cpp's per-tensor type mixes.
* ``kvcache``: the KV cache per token (grouped heads, latent attention per runtime, sliding windows) and the fixed
  state of linear-attention layers per sequence.
* ``runtime``: ``estimate_inference`` adds the KV cache, the transient tensors of prefill and decoding under a
  runtime and the runtime overhead.
* ``finetune``: ``estimate_finetune`` does the same, roughly, for training.

Stable interface (for the runtimes of issue 12 and other callers; keyword-only arguments stay keyword-only)
-----------------------------------------------------------------------------------------------------------
``arch_from_config(config: Mapping[str, object]) -> Arch``
    config.json as a mapping (nested ``text_config`` / ``vision_config`` included) to an ``Arch``; raises
    ``EstimateError`` naming a missing or out-of-range key. ``Arch.warnings`` holds one-line notes for stderr
    (an unknown model_type read LLaMA-style), ``Arch.counted`` what the weights hold beyond the text decoder.
``count_params(arch: Arch) -> Params``
    ``Params.total`` (every expert, vision tower and MTP layers included) and ``Params.active`` (what one token
    runs through: routed experts only, text decoder only), plus the groups they are made of.
``weight_bytes(arch: Arch, quant: Quant) -> int``
    Bytes of all weights at a level (GGUF levels: the text decoder as llama.cpp stores it); a checkpoint's own
    ``quantization_config`` decides when it describes that level.
``kv_bytes_per_token(arch: Arch, *, runtime: str = "transformers", kv_dtype: str = "fp16") -> float``
    Bytes per cached token summed over the layers whose cache grows with context (full attention only). Runtime
    "vllm" or "llama.cpp" caches the latent of multi-head latent attention where their code does (DeepSeek-V2
    style), "transformers" the decompressed keys and values. kv_dtype: fp16, bf16, fp8, q8_0, q4_0.
``kv_cache_bytes(arch, tokens, batch=1, elem_bytes=2, *, runtime="transformers") -> int``
    The cache of ``tokens`` tokens, sliding-window layers capped at their window.
``state_bytes_per_sequence(arch: Arch, *, runtime: str = "transformers", dtype_bytes: int = 2) -> int``
    Fixed recurrent + conv state of the linear-attention layers per sequence; 0 when there are none.
``estimate_inference(arch, quant, *, ctx, prompt=None, batch=1, runtime=None, attention=None, kv_cache="model")``
    ``-> Estimate`` with ``total_bytes`` (nvidia-smi) and ``allocated_bytes`` (torch.cuda.max_memory_allocated).
``estimate_finetune(arch, method, *, seq, batch=1, base_quant=None, ...) -> FinetuneEstimate``
"""

from llmzh.estimate.arch import (
    Arch,
    EstimateError,
    Experts,
    LatentAttention,
    LinearAttention,
    Matrix,
    Params,
    QuantConfig,
    count_params,
)
from llmzh.estimate.config import arch_from_config
from llmzh.estimate.finetune import FinetuneEstimate, FinetuneMethod, LoraTargets, estimate_finetune, lora_params
from llmzh.estimate.kvcache import (
    KV_DTYPES,
    KvDtype,
    kv_bytes_per_token,
    kv_cache_bytes,
    kv_element_bytes,
    state_bytes_per_sequence,
)
from llmzh.estimate.runtime import (
    CUDA_CONTEXT_BYTES,
    RUNTIMES,
    Attention,
    Estimate,
    Runtime,
    default_runtime,
    estimate_inference,
    sensible_levels,
)
from llmzh.estimate.weights import GGUF_LEVELS, dense_bytes, weight_bytes

__all__ = [
    "CUDA_CONTEXT_BYTES",
    "GGUF_LEVELS",
    "KV_DTYPES",
    "RUNTIMES",
    "Arch",
    "Experts",
    "KvDtype",
    "LatentAttention",
    "LinearAttention",
    "QuantConfig",
    "Attention",
    "Estimate",
    "EstimateError",
    "FinetuneEstimate",
    "FinetuneMethod",
    "LoraTargets",
    "Matrix",
    "Params",
    "Runtime",
    "arch_from_config",
    "count_params",
    "default_runtime",
    "dense_bytes",
    "estimate_finetune",
    "estimate_inference",
    "kv_bytes_per_token",
    "kv_cache_bytes",
    "kv_element_bytes",
    "lora_params",
    "sensible_levels",
    "state_bytes_per_sequence",
    "weight_bytes",
]
