"""Bytes of a model's weights at each quantization level: group scales and zeros, the tensors each method leaves in
16-bit, a checkpoint's own ``quantization_config``, llama.cpp's per-tensor type mixes.

Sources: ggml-common.h (block sizes of every ggml type), llama.cpp src/llama-quant.cpp at c392e5094
(``llama_tensor_get_type``, k-quant fallbacks), AutoGPTQ QuantLinear (qweight, scales, qzeros, g_idx), AutoAWQ
WQLinear_GEMM, bitsandbytes Linear8bitLt (SCB) and Params4bit (absmax per 64), QLoRA paper (double
quantization), ChatGLM-6B quantization.py (QuantizedLinear, QuantizedEmbedding), transformers' FineGrainedFP8
(fp8 weights + ``weight_scale_inv`` per 128 x 128 block, ``modules_to_not_convert`` left in 16-bit) for the
Qwen3/DeepSeek FP8 checkpoints.
"""

from llmzh.estimate.arch import Arch, Matrix, QuantConfig, _matrices, block_counts, count_params
from llmzh.schema import Quant

# ggml block types: (weights per block, bytes per block), from ggml/src/ggml-common.h; e.g. block_q4_K holds
# 2 fp16 scales + 12 bytes of sub-block scales + 128 bytes of 4-bit quants for 256 weights = 4.5 bits per weight.
_GGML_TYPES: dict[str, tuple[int, int]] = {
    "q8_0": (32, 34),
    "q5_1": (32, 24),
    "q5_0": (32, 22),
    "q4_0": (32, 18),
    "iq4_nl": (32, 18),
    "q6_K": (256, 210),
    "q5_K": (256, 176),
    "q4_K": (256, 144),
    "q3_K": (256, 110),
    "q2_K": (256, 84),
}
# A k-quant needs rows that are a multiple of 256; otherwise llama.cpp falls back (llama-quant.cpp,
# llama_tensor_get_type, "convert_incompatible_tensor").
_K_FALLBACK = {"q2_K": "iq4_nl", "q3_K": "iq4_nl", "q4_K": "q5_0", "q5_K": "q5_1", "q6_K": "q8_0"}
_GGUF_BASE: dict[Quant, str] = {
    Quant.Q8_0: "q8_0",
    Quant.Q6_K: "q6_K",
    Quant.Q5_K_M: "q5_K",
    Quant.Q4_K_M: "q4_K",
    Quant.Q4_0: "q4_0",
    Quant.Q3_K_M: "q3_K",
    Quant.Q2_K: "q2_K",
}
GGUF_LEVELS: frozenset[Quant] = frozenset({*_GGUF_BASE, Quant.GGML_Q4_0})

GPTQ_GROUP = 128  # group size of the published GPTQ / AWQ Int4 and Int8 checkpoints ("group_size": 128)
NF4_BLOCK = 64  # bitsandbytes 4-bit: one fp32 absmax per 64 weights (BitsAndBytesConfig default, no double quant)
NF4_DOUBLE_QUANT_BITS = 8 / 64 + 32 / (64 * 256)  # QLoRA double quantization: 8-bit absmax + fp32 per 256 of them


def _ggml_bytes(n: int, ggml_type: str) -> int:
    per, size = _GGML_TYPES[ggml_type]
    return -(-n // per) * size


def _use_more_bits(i: int, n: int) -> bool:
    """llama.cpp's ``use_more_bits``: the first and last eighth of the layers and every third one between."""
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def _gguf_matrix_type(quant: Quant, m: Matrix, layer: int, layers: int, n_gqa: int) -> str:
    """ggml type of one block matrix under a llama.cpp ftype, as ``llama_tensor_get_type`` chooses it.

    Source: ggml-org/llama.cpp src/llama-quant.cpp at c392e5094 (2025-02). Q4_K_M and Q5_K_M give attn_v and
    ffn_down of the ``use_more_bits`` layers Q6_K and a fused attn_qkv Q5_K / Q6_K. Q3_K_M gives attn_v Q5_K in
    the first two layers and Q4_K after, ffn_down Q5_K in the first sixteenth and Q4_K after, attn_output and
    attn_qkv Q4_K. Q2_K gives attn_v Q4_K when 4+ query heads share a KV head (else Q3_K), ffn_down and
    attn_output Q3_K. A k-quant on rows that are not a multiple of 256 then falls back (Q4_K -> Q5_0, ...).
    """
    t = _GGUF_BASE[quant]
    k = m.kind
    if quant in (Quant.Q4_K_M, Quant.Q5_K_M):
        if (k == "attn_v" or k.startswith("ffn_down")) and _use_more_bits(layer, layers):
            t = "q6_K"
        elif k == "attn_qkv":
            t = "q5_K" if quant is Quant.Q4_K_M else "q6_K"
    elif quant is Quant.Q3_K_M:
        if k == "attn_v":
            t = "q5_K" if layer < 2 else "q4_K"
        elif k.startswith("ffn_down"):
            t = "q5_K" if layer < layers // 16 else "q4_K"
        elif k in ("attn_output", "attn_qkv"):
            t = "q4_K"
    elif quant is Quant.Q2_K:
        if k == "attn_v":
            t = "q4_K" if n_gqa >= 4 else "q3_K"
        elif k.startswith("ffn_down") or k == "attn_output":
            t = "q3_K"
    return _K_FALLBACK[t] if t in _K_FALLBACK and m.rows_in % 256 else t


def _gguf_bytes(arch: Arch, quant: Quant) -> int:
    """Bytes of a model's tensors in a GGUF file at a llama.cpp ftype; 1-D tensors (norms, biases) stay F32.

    The output tensor is Q6_K (Q8_0 for the Q8_0 ftype, or when its rows are not a multiple of 256); the token
    embedding takes the base type, or the output's type when tied (llama.cpp quantizes a shared tensor as output).
    ``ggml-q4_0`` is the 2023 GGML format (early llama.cpp, chatglm.cpp): every 2-D tensor in q4_0, 4.5 bits.
    Check: for Llama-2-7B this gives 4.84 / 5.68 / 6.56 / 3.91 bits per weight for Q4_K_M / Q5_K_M / Q6_K / Q3_K_M
    (examples/quantize/README.md: 4.84 / 5.68 / 6.56 / 3.91), and for Qwen2-7B 3.01 / 3.80 / 4.43 / 4.68 / 5.44 /
    6.25 / 8.09 GB for Q2_K ... Q8_0 (the published GGUF files: 3.02 / 3.81 / 4.43 / 4.68 / 5.44 / 6.25 / 8.10 GB).
    """
    p = count_params(arch)
    small = 4 * (p.block_small + p.norms)
    if quant is Quant.GGML_Q4_0:
        return _ggml_bytes(p.block_linear + p.embedding + p.lm_head, "q4_0") + small
    n_gqa = arch.heads // arch.kv_heads
    total = small
    for layer, block in enumerate(arch.blocks):
        for m in _matrices(arch, block):
            total += _ggml_bytes(m.params, _gguf_matrix_type(quant, m, layer, arch.layers, n_gqa))
    out_type = "q8_0" if quant is Quant.Q8_0 or arch.hidden % 256 else "q6_K"
    emb_type = out_type if arch.tied else _GGUF_BASE[quant]
    if emb_type in _K_FALLBACK and arch.hidden % 256:
        emb_type = _K_FALLBACK[emb_type]
    total += _ggml_bytes(p.embedding, emb_type)
    return total + (0 if arch.tied else _ggml_bytes(p.lm_head, out_type))


def _matrix_bytes(quant: Quant, rows_in: int, rows_out: int, dense: int) -> int:
    """Bytes of one block matrix at a level, with the metadata each method stores.

    * int8 / int4 (ChatGLM ``quantize()``, cpm_kernels): packed weights + one fp16 scale per output row.
    * gptq-int8 / gptq-int4: packed weights + per group of 128 inputs an fp16 scale and a packed zero per output
      + an int32 ``g_idx`` per input (AutoGPTQ QuantLinear: qweight, scales, qzeros, g_idx).
    * awq: 4-bit weights + an fp16 scale and a 4-bit zero per group of 128 (AutoAWQ WQLinear_GEMM).
    * bnb-int8: int8 weights + one fp32 row statistic (SCB) per output row (LLM.int8()).
    * bnb-nf4 / bnb-fp4: 4-bit weights + one fp32 absmax per 64 weights.
    * fp8: 8-bit weights + one fp32 scale per output row (per-channel FP8 checkpoints).
    """
    n = rows_in * rows_out
    groups = -(-rows_in // GPTQ_GROUP) * rows_out
    if quant is Quant.INT8:
        return n + 2 * rows_out
    if quant in (Quant.INT4, Quant.INT4_QE):
        return n // 2 + 2 * rows_out
    if quant is Quant.GPTQ_INT8:
        return n + 3 * groups + 4 * rows_in
    if quant is Quant.GPTQ_INT4:
        return n // 2 + 2 * groups + groups // 2 + 4 * rows_in
    if quant is Quant.AWQ:
        return n // 2 + 2 * groups + groups // 2
    if quant is Quant.BNB_INT8:
        return n + 4 * rows_out
    if quant in (Quant.BNB_NF4, Quant.BNB_FP4):  # same storage: 4-bit codes + an fp32 absmax per block of 64
        return n // 2 + 4 * -(-n // NF4_BLOCK)
    if quant is Quant.FP8:
        return n + 4 * rows_out
    return n * dense


def dense_bytes(quant: Quant) -> int:
    """Bytes per element of what a level leaves unquantized, of activations and of the KV cache: 4 for fp32,
    else 2 (quantized levels compute in fp16/bf16)."""
    return 4 if quant is Quant.FP32 else 2


def _config_matrix_bytes(qc: QuantConfig, rows_in: int, rows_out: int) -> int:
    """Bytes of one block matrix as a checkpoint's ``quantization_config`` stores it.

    * awq / gptq (AutoAWQ WQLinear_GEMM, AutoGPTQ QuantLinear): ``bits``-bit weights + per group of ``group_size``
      inputs an fp16 scale and a ``bits``-bit zero per output; GPTQ adds an int32 ``g_idx`` per input.
    * fp8 with ``weight_block_size`` [128, 128] (Qwen3 / DeepSeek-V3 FP8 checkpoints: ``weight_scale_inv`` of
      ceil(out/128) x ceil(in/128) fp32); without a block, one fp32 scale per output channel (compressed-tensors
      channel strategy) or per tensor.
    """
    n = rows_in * rows_out
    if qc.method == "fp8":
        if qc.block:
            bo, bi = qc.block
            return n + 4 * -(-rows_out // bo) * -(-rows_in // bi)
        return n + 4 * rows_out
    group = qc.group_size if qc.group_size > 0 else rows_in
    groups = -(-rows_in // group) * rows_out
    packed = n * qc.bits // 8
    zeros = groups * qc.bits // 8
    g_idx = 4 * rows_in if qc.method == "gptq" else 0
    return packed + 2 * groups + zeros + g_idx


_CONFIG_METHOD: dict[Quant, tuple[str, int]] = {
    Quant.AWQ: ("awq", 4),
    Quant.GPTQ_INT4: ("gptq", 4),
    Quant.GPTQ_INT8: ("gptq", 8),
    Quant.FP8: ("fp8", 8),
}


def config_quantization(arch: Arch, quant: Quant) -> QuantConfig | None:
    """The checkpoint's own ``quantization_config`` when it describes ``quant`` (same method and bits)."""
    qc = arch.quant_config
    if qc is None or _CONFIG_METHOD.get(quant) != (qc.method, qc.bits):
        return None
    return qc


def _not_converted(qc: QuantConfig | None, kind: str) -> bool:
    """Whether a block matrix is left in 16-bit by ``modules_to_not_convert``; the names in those lists are module
    name fragments ("mlp.gate", "shared_expert_gate", "visual", "linear_attn"); a matrix kind is matched to the
    module names the Qwen/DeepSeek modelling files give it."""
    if qc is None or not qc.not_converted:
        return False
    names = {
        "attn_gate": "linear_attn",
        "ssm_ba": "linear_attn",
        "ssm_out": "linear_attn",
        "ffn_gate_shexp": "shared_expert",
        "ffn_up_shexp": "shared_expert",
        "ffn_down_shexp": "shared_expert",
    }
    fragment = names.get(kind, "")
    return bool(fragment) and any(fragment in n for n in qc.not_converted)


def weight_bytes(arch: Arch, quant: Quant) -> int:
    """Bytes of all weights at a quantization level.

    GPTQ, AWQ, bitsandbytes and FP8 quantize the block matrices and leave embedding, LM head, norms, biases and
    routers in 16-bit; ChatGLM ``int8`` / ``int4`` quantize only the transformer blocks; ``int4-qe`` also the
    embedding and the output layer (ChatGLM-6B's ``quantize(..., quantize_embeddings=True)`` builds a
    QuantizedEmbedding and its own QuantizedLinear lm_head, so a tied model holds two int4 copies). When the
    checkpoint's config.json has a ``quantization_config`` for this level, its bits, group size and unconverted
    modules decide (``_config_matrix_bytes``). Weights outside the text decoder (``Arch.extra_params``: vision
    tower, MTP layers) stay 16-bit in every non-GGUF level; GGUF files hold the text decoder only (llama.cpp keeps a
    vision tower in a separate mmproj file and drops MTP layers). GGUF levels: ``_gguf_bytes``.
    """
    if quant in GGUF_LEVELS:
        return _gguf_bytes(arch, quant)
    p = count_params(arch)
    d = dense_bytes(quant)
    qc = config_quantization(arch, quant)
    total = (p.block_small + p.norms + p.extra) * d
    for block, n in block_counts(arch).items():
        for m in _matrices(arch, block):
            if _not_converted(qc, m.kind):
                size = m.params * d
            elif qc is not None:
                size = m.copies * _config_matrix_bytes(qc, m.rows_in, m.rows_out)
            else:
                size = m.copies * _matrix_bytes(quant, m.rows_in, m.rows_out, d)
            total += n * size
    if quant is Quant.INT4_QE:
        return total + 2 * _matrix_bytes(Quant.INT4, arch.hidden, arch.vocab, d)
    return total + (p.embedding + p.lm_head) * d
