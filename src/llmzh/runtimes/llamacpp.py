"""llama.cpp: which layers ``-ngl`` puts on the GPU, and the model, KV and compute buffers on each side.

From llama.cpp's loader and context (``src/llama-model.cpp`` ``load_tensors``, ``src/llama-context.cpp``, and the
load log they print: "offloaded 29/29 layers to GPU", "CUDA0 model buffer size", "CUDA0 KV buffer size",
"CUDA0 compute buffer size"):

* ``-ngl L`` (``--n-gpu-layers``) puts the LAST ``min(L, n_layer)`` repeating blocks on the GPU; ``L > n_layer``
  also puts the output layer (norm + LM head) there, so a model has ``n_layer + 1`` offloadable layers. The token
  embedding always stays in RAM (a CPU model buffer: "CPU_Mapped model buffer size = 417.66 MiB" for the
  Qwen2.5-14B Q4_K_M embedding, 152064 x 5120 at Q4_K). A tied LM head is loaded a second time for the GPU.
* The KV cache has one K and one V row of ``n_embd_k_gqa`` per token for every layer, for the whole ``-c`` context
  (padded to 256), on the device of its layer: "KV buffer size = 1536.00 MiB" for 48 layers x 8192 x 2 x 1024 x
  2 bytes. ``-ctk/-ctv q8_0`` stores 34 bytes per 32 values, ``q4_0`` 18 (ggml block sizes); a quantized V cache
  needs flash attention (``-fa``).
* The compute buffer holds one micro-batch (``-ub``, 512 tokens) of the graph: the estimator's llama.cpp term
  (``llmzh.estimate``: F32 attention scores against the whole cache, MLP intermediates, logits).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from llmzh.estimate import (
    CUDA_CONTEXT_BYTES,
    GGUF_LEVELS,
    Arch,
    count_params,
    estimate_inference,
    kv_cache_bytes,
    state_bytes_per_sequence,
    weight_bytes,
)
from llmzh.runtimes import RuntimeSettingError
from llmzh.schema import Quant

CTX_PAD = 256  # llama.cpp pads n_ctx to a multiple of 256
KvType = Literal["f16", "q8_0", "q4_0"]
KV_TYPE_BYTES: dict[str, float] = {"f16": 2, "q8_0": 34 / 32, "q4_0": 18 / 32}
Q6_K_BYTES, Q8_0_BYTES = 210 / 256, 34 / 32
_BASE_TYPE_BYTES: dict[Quant, float] = {  # ggml block bytes / values of each ftype's base type (ggml.c type traits)
    Quant.Q8_0: 34 / 32,
    Quant.Q6_K: 210 / 256,
    Quant.Q5_K_M: 176 / 256,
    Quant.Q4_K_M: 144 / 256,
    Quant.Q4_0: 18 / 32,
    Quant.Q3_K_M: 110 / 256,
    Quant.Q2_K: 84 / 256,
    Quant.GGML_Q4_0: 18 / 32,
}


class Parts(NamedTuple):
    """A GGUF file's tensors by where ``-ngl`` can put them (bytes)."""

    embedding: int  # token_embd: always in RAM
    layer: int  # one repeating block (the mean over blocks)
    output: int  # output norm + LM head: on the GPU only when every block is


class LlamaCppPlan(NamedTuple):
    """llama.cpp's buffers for one model, context and ``-ngl`` (bytes)."""

    gpu_layers: int  # the -ngl value
    total_layers: int  # n_layer + 1 (the output layer)
    n_ctx: int
    kv_type: str
    gpu_model_bytes: int
    gpu_kv_bytes: int
    gpu_compute_bytes: int
    cpu_model_bytes: int
    cpu_kv_bytes: int
    gpu_bytes: int  # what the card needs: buffers + CUDA context
    ram_bytes: int  # what stays in RAM: CPU model buffers (embedding, blocks not offloaded) and their KV
    fits: bool


def parts(arch: Arch, quant: Quant) -> Parts:
    """Split the estimator's GGUF size into embedding, repeating blocks and output layer.

    llama.cpp's quantizer (``llama_tensor_get_type``) stores the output tensor as Q6_K (Q8_0 for the Q8_0 ftype or
    rows that are not a multiple of 256) and the token embedding at the ftype's base type, or as the output when
    tied; the blocks are the rest of the file."""
    if quant not in GGUF_LEVELS:
        raise RuntimeSettingError(
            f"llama.cpp runs GGUF files, not {quant.value}", hint="pick a GGUF level (q4_k_m, q8_0, ...)"
        )
    whole = weight_bytes(arch, quant)
    table = count_params(arch).embedding
    out_bytes = Q8_0_BYTES if quant is Quant.Q8_0 or arch.hidden % 256 else Q6_K_BYTES
    output = int(table * out_bytes) + 4 * arch.hidden  # + the F32 output norm
    embedding = int(table * (out_bytes if arch.tied else _BASE_TYPE_BYTES[quant]))
    blocks = whole - output - (0 if arch.tied else embedding)
    return Parts(embedding, blocks // arch.layers, output)


def _kv_per_layer(arch: Arch, n_ctx: int, kv_type: KvType) -> int:
    """KV cache and recurrent state of one layer, averaged over the layers (hybrid models hold a context-long cache
    only in their full-attention layers and a fixed state in the others)."""
    cache = kv_cache_bytes(arch, n_ctx, 1, KV_TYPE_BYTES[kv_type], runtime="llama.cpp")
    return (cache + state_bytes_per_sequence(arch, runtime="llama.cpp")) // arch.layers


def buffers(arch: Arch, quant: Quant, *, ctx: int, gpu_layers: int, kv_type: KvType = "f16") -> LlamaCppPlan:
    """The buffers llama.cpp allocates with ``-c ctx -ngl gpu_layers`` (fits is left True: no limit given)."""
    n = arch.layers
    ngl = max(0, min(gpu_layers, n + 1))
    on_gpu = min(ngl, n)
    p = parts(arch, quant)
    n_ctx = -(-ctx // CTX_PAD) * CTX_PAD
    kv_layer = _kv_per_layer(arch, n_ctx, kv_type)
    gpu_model = on_gpu * p.layer + (p.output if ngl > n else 0)
    # A GPU build reserves its compute buffer even at -ngl 0 (it runs the prompt's large matrix products there):
    # "offloaded 0/29 layers" still logs "CUDA0 compute buffer size = 1480.00 MiB" (ggml-org/llama.cpp#12614).
    compute = estimate_inference(arch, quant, ctx=ctx, runtime="llama.cpp").activation_bytes
    gpu_kv = on_gpu * kv_layer
    cpu_model = p.embedding + (n - on_gpu) * p.layer + (0 if ngl > n else p.output)
    cpu_kv = (n - on_gpu) * kv_layer
    return LlamaCppPlan(
        gpu_layers=ngl,
        total_layers=n + 1,
        n_ctx=n_ctx,
        kv_type=kv_type,
        gpu_model_bytes=gpu_model,
        gpu_kv_bytes=gpu_kv,
        gpu_compute_bytes=compute,
        cpu_model_bytes=cpu_model,
        cpu_kv_bytes=cpu_kv,
        gpu_bytes=gpu_model + gpu_kv + compute + CUDA_CONTEXT_BYTES,
        ram_bytes=cpu_model + cpu_kv,
        fits=True,
    )


def plan(
    arch: Arch,
    quant: Quant,
    *,
    ctx: int,
    vram_bytes: int | None,
    ram_bytes: int | None = None,
    kv_type: KvType = "f16",
) -> LlamaCppPlan:
    """The largest ``-ngl`` whose GPU buffers fit ``vram_bytes`` (all layers when no limit is given), and whether
    what stays in RAM fits ``ram_bytes`` (not judged when None)."""
    total = arch.layers + 1
    best = buffers(arch, quant, ctx=ctx, gpu_layers=total, kv_type=kv_type)
    if vram_bytes is not None:
        for layers in range(total, -1, -1):
            best = buffers(arch, quant, ctx=ctx, gpu_layers=layers, kv_type=kv_type)
            if best.gpu_bytes <= vram_bytes:
                break
    fits = (vram_bytes is None or best.gpu_bytes <= vram_bytes) and (ram_bytes is None or best.ram_bytes <= ram_bytes)
    return best._replace(fits=fits)
