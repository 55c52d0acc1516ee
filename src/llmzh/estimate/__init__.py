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
* ``kvcache``: the KV cache per token.
* ``runtime``: ``estimate_inference`` adds the KV cache, the transient tensors of prefill and decoding under a
  runtime and the runtime overhead.
* ``finetune``: ``estimate_finetune`` does the same, roughly, for training.
"""

from llmzh.estimate.arch import Arch, EstimateError, Matrix, Params, count_params
from llmzh.estimate.config import arch_from_config
from llmzh.estimate.finetune import FinetuneEstimate, FinetuneMethod, LoraTargets, estimate_finetune, lora_params
from llmzh.estimate.kvcache import kv_cache_bytes
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
    "RUNTIMES",
    "Arch",
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
    "kv_cache_bytes",
    "lora_params",
    "sensible_levels",
    "weight_bytes",
]
