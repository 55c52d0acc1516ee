"""Runtime peaks: what transformers and llama.cpp allocate on top of the weights (KV cache, prefill and decoding
intermediates, logits, buffers), the CUDA context and allocator overheads, and ``estimate_inference``.

Sources: transformers PR #31292 (last-position logits in generate, v4.45), transformers 4.36-4.44 generate and
cache code (legacy tuple caches, fp32 logits, per-layer rotary caches), each remote-code family's modelling file
(see ``_CODE``), llama.cpp at c392e5094 (n_ctx padding to 256, n_ubatch 512, F32 compute buffer, ggml-cuda's
pool), PyTorch's CUBLAS_WORKSPACE_CONFIG default and CUDA-context measurements (pytorch/pytorch #86509, #109888;
unsloth-zoo #1053). Calibrated only on bench/data/vram-measurements.yaml; bench/data/vram-validation.yaml is
reported apart.
"""

from typing import Literal, NamedTuple

from llmzh.estimate.arch import _CODE, Arch, EstimateError, Logits, MiB, _matrices, count_params
from llmzh.estimate.kvcache import KV_ELEMENT_BYTES, kv_cache_bytes, state_bytes_per_sequence
from llmzh.estimate.weights import GGUF_LEVELS, dense_bytes, weight_bytes
from llmzh.schema import Quant

# What runs the model (``_behaviour``, ``_llama_cpp_peak``):
# * "transformers": transformers >= 4.45: last-position logits in generate, DynamicCache updated in place.
# * "transformers-legacy": transformers 4.36-4.44: logits for the whole prompt upcast to fp32, legacy tuple caches
#   (old and new cache coexist every step), a rotary cos/sin cache in every layer.
# * "llama.cpp": GGUF weights, a KV cache (f16 unless --cache-type-k/-v say otherwise) for the whole context, a
#   compute buffer per 512-token micro-batch.
# Remote-code families (ChatGLM, Qwen 1st gen, Baichuan, InternLM, MiniCPM) run their own forward under either
# transformers runtime.
Runtime = Literal["transformers", "transformers-legacy", "llama.cpp"]
RUNTIMES: tuple[Runtime, ...] = ("transformers", "transformers-legacy", "llama.cpp")
Attention = Literal["sdpa", "flash", "eager"]

CUDA_CONTEXT_BYTES = 512 * MiB
"""CUDA context, outside every allocator: 287 MB right after init with lazy module loading (pytorch/pytorch PR
#86509), "around 400MB if CUDA >= 11.7" (ptrblck, pytorch/pytorch#109888), 426 MiB (unsloth-zoo PR #1053), plus
the cuBLAS and attention kernels loaded lazily at first use. nvidia-smi counts it; torch.cuda.max_memory_allocated
does not."""

WORKSPACE_BYTES = 64 * MiB
"""cuBLAS workspaces and small buffers inside the caching allocator: PyTorch's default CUBLAS_WORKSPACE_CONFIG
":4096:8" is 8 x 4 MiB per handle; the Qwen2.5 benchmark (max_memory_allocated, transformers 4.46) sits 0.02-0.13
GiB above weights + KV cache at a 1-token prompt."""

ALLOCATOR_SLACK = 0.10
"""Share of the transient allocations (KV cache and activations) the PyTorch caching allocator keeps reserved but
unused: freed blocks stay cached, large blocks are rounded to 2 MiB segments, and a KV cache rebuilt with torch.cat
every step fragments them. Counted by nvidia-smi, not by max_memory_allocated. An assumption on the safe side: the
18 device-total inference rows of bench/data/vram-measurements.yaml (ChatGLM, BELLE; short contexts) barely see it
(MAPE 3.6 / 3.5 / 3.5 / 3.5 / 3.6 % for 0 / 5 / 10 / 15 / 20 %)."""

LLAMA_CPP_UBATCH = 512  # llama.cpp default n_ubatch: prompt tokens per evaluation of the compute graph
LLAMA_CPP_CTX_PAD = 256  # llama.cpp pads n_ctx to a multiple of 256 for the KV cache


class Estimate(NamedTuple):
    """Peak GPU memory of one inference setting, as the sum of named parts (bytes).

    ``activation_bytes``: everything on top of weights and a full KV cache at the moment of the peak: prefill
    intermediates and logits, the second KV copy of tuple caches, kernel scratch, and the buffers the modelling code
    registers (rotary caches, causal masks). ``overhead_bytes`` = CUDA context + workspace + allocator slack.
    """

    quant: Quant
    ctx: int
    prompt: int
    batch: int
    runtime: str
    attention: str
    weights_bytes: int
    kv_cache_bytes: int
    activation_bytes: int
    overhead_bytes: int
    context_bytes: int  # the part of overhead_bytes outside the framework's allocator (CUDA context)
    slack_bytes: int  # the part of overhead_bytes the allocator reserves but does not hand out
    state_bytes: int = 0  # fixed recurrent + conv state of linear-attention layers (all sequences)
    kv_cache: str = "fp16"  # the KV-cache element type priced

    @property
    def total_bytes(self) -> int:
        """What the process holds on the device (nvidia-smi)."""
        return self.weights_bytes + self.kv_cache_bytes + self.state_bytes + self.activation_bytes + self.overhead_bytes

    @property
    def allocated_bytes(self) -> int:
        """Peak of the framework's allocations (torch.cuda.max_memory_allocated): total less context and slack."""
        return self.total_bytes - self.context_bytes - self.slack_bytes


def default_runtime(quant: Quant) -> Runtime:
    """GGUF/GGML levels run on llama.cpp, every other level on transformers (current, >= 4.45)."""
    return "llama.cpp" if quant in GGUF_LEVELS else "transformers"


# ---------------------------------------------------------------- activations and workspace

EAGER_SCORE_BYTES = 4 + 4
"""Per attention score of eager attention, on top of the scores in the model dtype: the fp32 upcast and the fp32
softmax (transformers' eager attention: ``softmax(attn_weights, dtype=torch.float32)``; ChatGLM-6B's attention_fn:
``attention_scores.float()`` then ``F.softmax``)."""


def _layer_transient(arch: Arch, q_tokens: int, kv_tokens: int, batch: int, act: int, attention: Attention) -> int:
    """Largest set of intermediates alive inside one block while ``q_tokens`` queries attend to ``kv_tokens`` keys.

    Residual stream and normalised input (2 x hidden) plus the larger of the MLP's live intermediates
    (``_Code.mlp_live`` x ffn, e.g. act(gate), up and their product in LLaMA's ``down(act(gate(x)) * up(x))``) and the
    attention's: q, k, v and output of the new tokens; keys and values repeated for every query head when grouped
    heads go through SDPA or eager attention (transformers' ``repeat_kv``, ChatGLM2/3's ``expand(...).contiguous()``);
    for eager attention the heads x queries x keys scores (model dtype + ``EAGER_SCORE_BYTES``). Flash attention
    reads grouped keys in place and keeps no score matrix.
    """
    q = q_tokens * batch
    mlp = _CODE[arch.family].mlp_live * arch.ffn * q * act
    attn = (2 * arch.q_dim + 2 * arch.kv_dim) * q * act
    if attention != "flash" and arch.kv_heads < arch.heads:
        attn += 2 * arch.q_dim * kv_tokens * batch * act
    if attention == "eager":
        attn += arch.heads * q_tokens * kv_tokens * batch * (act + EAGER_SCORE_BYTES)
    return 2 * arch.hidden * q * act + max(mlp, attn)


def _rotary_cache_bytes(arch: Arch, act: int) -> int:
    """transformers 4.36/4.37-era LLaMA-style attention layers each cache cos and sin for max_position_embeddings
    rows of head_dim (``_set_cos_sin_cache`` in every layer's ``rotary_emb``); later versions compute them per call.
    The Qwen1.5 benchmark shows it: layers x 2 x 32768 x head_dim x 2 bytes is 0.19 / 0.38 / 0.63 / 0.50 GiB for
    0.5B / 1.8B / 4B / 7B, and the 1-token rows sit 0.22 / 0.42 / 0.67 / 0.52 GiB above weights + two KV caches."""
    if not _CODE[arch.family].rotary or not arch.max_positions:
        return 0
    return arch.layers * 2 * arch.max_positions * arch.head_dim * act


def _code_buffers(arch: Arch) -> int:
    """Buffers the remote code registers: Qwen 1st gen's bool causal mask of max_position_embeddings squared."""
    return arch.max_positions**2 if _CODE[arch.family].mask_buffer and arch.max_positions else 0


def _kernel_scratch(arch: Arch, quant: Quant) -> int:
    """Dequantizing kernels hold the largest block matrix in fp16 while it is multiplied: ChatGLM's cpm_kernels
    (``extract_weight_to_half``) and AutoGPTQ's exllama ``temp_dq`` buffer."""
    if quant in (Quant.INT8, Quant.INT4, Quant.INT4_QE, Quant.GPTQ_INT4, Quant.GPTQ_INT8):
        return 2 * max(m.rows_in * m.rows_out for m in _matrices(arch))
    return 0


class _Behaviour(NamedTuple):
    logits: Logits
    logits_copies: int
    tuple_cache: bool  # old and new KV cache coexist during every decoding step
    keep_prev_logits: bool  # the prefill's logits are still referenced during the first decoding step
    rotary_cache: bool


def _behaviour(arch: Arch, runtime: Runtime) -> _Behaviour:
    """How a runtime runs a family under ``generate``.

    transformers (>= 4.45): native models return the last position's logits only (``num_logits_to_keep``,
    huggingface/transformers PR #31292 "Reducing memory usage: removing useless logits computation in generate()",
    merged 2024-08-23, first released in v4.45.0) and update a DynamicCache in place.

    transformers-legacy (4.36-4.44; the Qwen1.5 benchmark used this era): native models return logits for every
    prompt position and upcast them (``logits = logits.float()``), and the step's output keeps the fp32 logits alive
    through the next forward; ``generate`` hands the cache over as legacy tuples that the model wraps in a
    DynamicCache and converts back (``to_legacy_cache``), so old and new cache coexist; each attention layer holds
    its own rotary cos/sin cache. The Qwen1.5 table confirms all three: 0.5B at a 30720-token prompt needs
    W + KV(30720) + 6 bytes x 30720 x 151936 (bf16 + fp32 logits), and the 4B/7B rows peak at the first decoding
    step with two caches and the fp32 logits.

    Remote-code families behave the same under both: their own file decides the logits (``_Code.logits``) and
    rebuilds tuple caches with torch.cat.
    """
    code = _CODE[arch.family]
    if code.remote:
        return _Behaviour(code.logits, code.logits_copies, True, code.logits != "last", False)
    if runtime == "transformers-legacy":
        return _Behaviour("all" if code.logits == "all" else "all_fp32", 0, True, True, code.rotary)
    return _Behaviour(code.logits, 0, False, False, False)


def _transformers_peak(
    arch: Arch,
    quant: Quant,
    *,
    ctx: int,
    prompt: int,
    batch: int,
    runtime: Runtime,
    attention: Attention,
    kv_elem: float,
) -> tuple[int, int]:
    """KV cache and transient bytes at the peak of ``generate`` under transformers: (kv of ctx tokens, transient).

    The peak is the largest of three phases: (1) the end of prefill: the prompt's KV cache + the largest block
    intermediates or the prompt's logits; (2) the first decoding step: the prompt's cache twice for tuple caches,
    plus the prefill logits where still referenced; (3) the last decoding step: the cache of ``ctx`` tokens (twice
    for tuple caches) + one step's intermediates or the last position's logits and their fp32 copy.
    """
    act = dense_bytes(quant)
    b = _behaviour(arch, runtime)
    kv = kv_cache_bytes(arch, ctx, batch, kv_elem)
    copies = 2 if b.tuple_cache else 1
    rows = batch if b.logits == "last" else prompt * batch
    per_logit = act * (1 + b.logits_copies) + (4 if b.logits == "all_fp32" else 0)
    head = arch.hidden * prompt * batch * act + arch.vocab * rows * per_logit
    layer = _layer_transient(arch, prompt, prompt, batch, act, attention)
    prefill = kv_cache_bytes(arch, prompt, batch, kv_elem) + max(layer, head)
    first_step = 0
    if ctx > prompt and b.keep_prev_logits:
        kept = arch.vocab * rows * (4 if b.logits == "all_fp32" else act)
        first_step = copies * kv_cache_bytes(arch, prompt + 1, batch, kv_elem) + kept
    step = _layer_transient(arch, 1, ctx, batch, act, attention)
    last_step = copies * kv + max(step, arch.vocab * batch * (act + 4))
    peak = max(prefill, first_step, last_step)
    buffers = _code_buffers(arch) + (_rotary_cache_bytes(arch, act) if b.rotary_cache else 0)
    return kv, peak - kv + buffers + _kernel_scratch(arch, quant)


def _llama_cpp_peak(arch: Arch, *, ctx: int, prompt: int, batch: int, kv_elem: float) -> tuple[int, int]:
    """llama.cpp: (kv, compute buffers). The KV cache for the whole n_ctx (padded to 256) is allocated when the
    context is created; the CUDA compute buffer is sized for one micro-batch of up to n_ubatch = 512 prompt tokens
    against the full cache: the F32 KQ scores (heads x n_ubatch x n_kv without flash attention, llama.cpp's default
    at c392e5094; ggml-alloc runs the softmax in place), F32 MLP and attention intermediates, and the output logits.
    When cuBLAS runs the prompt's GEMMs on dequantized weights, ggml-cuda's pool also holds an f16 copy of the
    largest weight matrix."""
    n_ctx = -(-ctx // LLAMA_CPP_CTX_PAD) * LLAMA_CPP_CTX_PAD
    kv = kv_cache_bytes(arch, n_ctx, batch, kv_elem, runtime="llama.cpp")
    ub = min(LLAMA_CPP_UBATCH, max(prompt, 1)) * batch
    scores = arch.heads * ub * n_ctx * 4
    intermediates = ub * (3 * arch.ffn + 4 * arch.hidden + arch.q_dim + 2 * arch.kv_dim) * 4
    pool = 2 * max(m.rows_in * m.rows_out for m in _matrices(arch)) if prompt > 32 else 0
    return kv, scores + intermediates + arch.vocab * batch * 4 + pool


def _load_transient(arch: Arch, quant: Quant) -> int:
    """Memory held only while loading, on top of the weights.

    AutoAWQ checkpoints of tied-embedding models also store ``lm_head.weight``; transformers materialises it in
    fp16 before tying it to the embedding and freeing it. That makes the loading peak one embedding above the
    weights, which is the whole peak for short prompts: the Qwen2.5-0.5B/1.5B/3B AWQ rows at a 1-token prompt sit
    one embedding above GPTQ-Int4 of the same models, while at 6144+ tokens the two levels meet again.
    """
    if quant is Quant.AWQ and arch.tied:
        return count_params(arch).embedding * dense_bytes(quant)
    return 0


def _kv_element(runtime: Runtime, quant: Quant, kv_cache: str) -> tuple[str, float]:
    """The KV-cache type a runtime can hold and its bytes per element: transformers' DynamicCache holds the model's
    dtype (or Qwen 1st gen's own int8 cache); llama.cpp's ``--cache-type-k/-v`` offer f16 (default), bf16, q8_0 and
    q4_0. fp8 is a vLLM cache type (``--kv-cache-dtype fp8``)."""
    if runtime == "llama.cpp":
        allowed: tuple[str, ...] = ("fp16", "bf16", "q8_0", "q4_0")
        name = "fp16" if kv_cache == "model" else kv_cache
    else:
        allowed = ("fp16", "bf16", "int8", "fp32")
        name = ("fp32" if dense_bytes(quant) == 4 else "fp16") if kv_cache == "model" else kv_cache
    if name not in allowed:
        where = "vLLM" if name == "fp8" else ("llama.cpp" if name in ("q8_0", "q4_0") else "another runtime")
        offered = ", ".join(a for a in allowed if a not in ("int8", "fp32"))
        raise EstimateError(
            f"{runtime} has no {name} KV cache", hint=f"{runtime} offers {offered}; {name} is for {where}"
        )
    return name, KV_ELEMENT_BYTES[name]


def estimate_inference(
    arch: Arch,
    quant: Quant,
    *,
    ctx: int,
    prompt: int | None = None,
    batch: int = 1,
    runtime: Runtime | None = None,
    attention: Attention | None = None,
    kv_cache: str = "model",
) -> Estimate:
    """Estimate the peak GPU memory of generating with a model.

    ctx: tokens held in the KV cache at the end (prompt + generated); prompt: prefill length (default ctx);
    runtime: ``Runtime``, default ``default_runtime(quant)``; attention: the kernel, default SDPA for transformers'
    own models and each remote-code family's default path (eager for ChatGLM-6B, Baichuan, InternLM, and Qwen 1st
    gen unless flash-attn is installed: pass "flash"; Baichuan2-7B's SDPA is priced as eager, the safe side);
    kv_cache: "model" (the runtime's default: the model dtype, llama.cpp's f16), "fp16", "bf16", llama.cpp's
    "q8_0" / "q4_0", or "int8" (Qwen 1st gen's ``use_cache_quantization``). Linear-attention layers add their
    fixed state per sequence (``state_bytes``).
    """
    prompt = ctx if prompt is None else prompt
    if ctx < 0 or prompt < 0 or prompt > ctx or batch < 1:
        raise EstimateError(f"need 0 <= prompt <= ctx and batch >= 1, got prompt={prompt}, ctx={ctx}, batch={batch}")
    runtime = runtime or default_runtime(quant)
    if runtime not in RUNTIMES:
        raise EstimateError(f"unknown runtime {runtime!r}; expected one of: {', '.join(RUNTIMES)}")
    kv_name, kv_elem = _kv_element(runtime, quant, kv_cache)
    if runtime == "llama.cpp":
        if not _CODE[arch.family].gguf:
            raise EstimateError(f"llama.cpp does not run the {arch.family} architecture")
        attention = "eager"
        kv, transient = _llama_cpp_peak(arch, ctx=ctx, prompt=prompt, batch=batch, kv_elem=kv_elem)
        slack = 0
    else:
        if quant in GGUF_LEVELS:
            raise EstimateError(f"{quant.value} is a llama.cpp format", hint="use runtime 'llama.cpp'")
        if attention is None:
            attention = "eager" if _CODE[arch.family].eager_attention else "sdpa"
        kv, transient = _transformers_peak(
            arch, quant, ctx=ctx, prompt=prompt, batch=batch, runtime=runtime, attention=attention, kv_elem=kv_elem
        )
        # The peak may come while loading, before any KV cache exists; the parts still add up to that peak.
        transient = max(transient, _load_transient(arch, quant) - kv)
        slack = int(ALLOCATOR_SLACK * (kv + transient))
    state = batch * state_bytes_per_sequence(arch, runtime=runtime, dtype_bytes=dense_bytes(quant))
    return Estimate(
        quant=quant,
        ctx=ctx,
        prompt=prompt,
        batch=batch,
        runtime=runtime,
        attention=attention,
        weights_bytes=weight_bytes(arch, quant),
        kv_cache_bytes=kv,
        activation_bytes=transient,
        overhead_bytes=CUDA_CONTEXT_BYTES + WORKSPACE_BYTES + slack,
        context_bytes=CUDA_CONTEXT_BYTES,
        slack_bytes=slack,
        state_bytes=state,
        kv_cache=kv_name,
    )


def sensible_levels(arch: Arch, *, gguf: bool = True) -> tuple[Quant, ...]:
    """Levels worth showing for a model when the user names none, from most to least memory.

    ChatGLM-6B/2/3 ship their own ``quantize(8)`` / ``quantize(4)``: fp16, int8, int4. Every other model: the
    checkpoint's 16-bit dtype and bitsandbytes int8 / nf4 (load-time quantization of any transformers model).
    With ``gguf``, llama.cpp's q8_0 and q4_k_m where llama.cpp runs the architecture (not ChatGLM-6B). A
    checkpoint whose config.json has a ``quantization_config`` (AWQ, GPTQ, FP8) runs at that level only.
    """
    own = {("awq", 4): Quant.AWQ, ("gptq", 4): Quant.GPTQ_INT4, ("gptq", 8): Quant.GPTQ_INT8, ("fp8", 8): Quant.FP8}
    qc = arch.quant_config
    if qc is not None and (qc.method, qc.bits) in own:
        return (own[(qc.method, qc.bits)],)  # a quantized checkpoint runs at its own level
    if arch.family == "chatglm" or (arch.family == "chatglm2" and arch.dtype != "bfloat16"):
        levels = [Quant.FP16, Quant.INT8, Quant.INT4]
    else:
        levels = [Quant.FP16 if arch.dtype == "float16" else Quant.BF16, Quant.BNB_INT8, Quant.BNB_NF4]
    if gguf and _CODE[arch.family].gguf:
        levels.insert(1, Quant.Q8_0)
        levels.append(Quant.Q4_K_M)
    return tuple(levels)
