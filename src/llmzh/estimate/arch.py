"""Architecture records: ``Arch`` (what a model is, whatever its config calls it), what each family's modelling
code does at run time (``_CODE``), the weight matrices of a block (``_matrices``) and parameter counts.

Sources: the modelling files named above ``_CODE``; parameter counts follow the tensors those files create.
"""

from typing import Literal, NamedTuple

from llmzh.errors import LlmzhError

MiB = 1 << 20
GiB = 1 << 30


class EstimateError(LlmzhError):
    """A config the estimator cannot read (a missing or contradictory key), or a setting it cannot price."""


# ---------------------------------------------------------------- architecture
Logits = Literal["last", "all", "all_fp32"]
MatrixKind = Literal[
    "attn_q", "attn_k", "attn_v", "attn_qkv", "attn_output", "ffn_gate", "ffn_up", "ffn_gate_up", "ffn_down"
]


class Arch(NamedTuple):
    """Normalised architecture facts of one model, whatever its family calls them in config.json.

    ``ffn`` is the width of ONE MLP projection (Qwen 1st generation's config states twice that). ``family`` selects
    what the modelling code does at run time (``_CODE``).
    """

    family: str
    model_type: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int
    tied: bool
    gated_mlp: bool = True
    qkv_bias: bool = False
    out_bias: bool = False
    mlp_bias: bool = False
    layernorm: bool = False  # LayerNorm (weight and bias) instead of RMSNorm (weight only)
    embedding_norm: bool = False  # BLOOM normalises the embeddings
    qk_norm: bool = False  # Qwen3 normalises q and k per head
    max_positions: int | None = None
    dtype: str | None = None  # torch_dtype of the published checkpoint

    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    @property
    def remote_code(self) -> bool:
        """Runs its own modelling file (``trust_remote_code``)."""
        return _CODE[self.family].remote


class _Code(NamedTuple):
    """What a family's modelling code does at run time (not in config.json; read from the code).

    remote: runs its own modelling file (trust_remote_code). Those files pass the KV cache as tuples rebuilt with
        torch.cat every decoding step and decide themselves which logits ``forward`` returns.
    logits: for remote code, what ``forward`` returns inside ``generate``: "last" (the last position only), "all"
        (every prompt position, model dtype) or "all_fp32" (every position, plus an fp32 copy).
    logits_copies: extra full copies of the logits (ChatGLM-6B: ``lm_head(h).permute(1, 0, 2).contiguous()``).
    eager_attention: the default code path materialises heads x queries x keys scores.
    mlp_live: MLP intermediates of width ``ffn`` alive at once (3: act(gate), up, product; 4: a fused gate/up
        output, or locals that keep both inputs alive; 3 for the tanh GELU formula's temporaries).
    fused_qkv: q, k and v are one matrix in the checkpoint and in GGUF (``attn_qkv``).
    gguf: llama.cpp runs the architecture.
    mask_buffer: registers a max_positions x max_positions bool causal mask (Qwen 1st generation).
    rotary: rotary position embeddings (per-layer cos/sin caches under transformers-legacy).
    """

    remote: bool
    logits: Logits = "last"
    logits_copies: int = 0
    eager_attention: bool = False
    mlp_live: int = 3
    fused_qkv: bool = False
    gguf: bool = True
    mask_buffer: bool = False
    rotary: bool = True


# Read from: THUDM/chatglm-6b modeling_chatglm.py (attention_fn upcasts scores to fp32; lm_head output permuted and
# made contiguous; GELU MLP); THUDM/chatglm2-6b and chatglm3-6b modeling_chatglm.py (torch SDPA, prepare_inputs_for_
# generation passes return_last_logit=True, fused dense_h_to_4h + swiglu, MQA keys expanded with .contiguous());
# Qwen/Qwen-7B modeling_qwen.py (c_attn with bias, lm_logits in the model dtype, a1 = w1(x); a2 = w2(x);
# a1 * silu(a2), registered_causal_mask of max_position_embeddings**2 bools, flash-attn only when installed);
# baichuan-inc Baichuan2 modeling_baichuan.py (W_pack, full logits in the model dtype); internlm
# modeling_internlm2.py (wqkv, logits.float(), eager attention by default); openbmb MiniCPM modeling_minicpm.py (the
# transformers 4.36 LLaMA code: logits.float(), SDPA, legacy cache conversion); transformers modeling_bloom.py (ALiBi,
# baddbmm scores with fp32 softmax, tanh GELU, tied output).
_CODE: dict[str, _Code] = {
    "llama": _Code(remote=False),
    "qwen2": _Code(remote=False),
    "qwen3": _Code(remote=False),
    "glm": _Code(remote=False, mlp_live=4),
    "bloom": _Code(remote=False, logits="all", eager_attention=True, fused_qkv=True, rotary=False),
    "chatglm": _Code(remote=True, logits="all", logits_copies=1, eager_attention=True, fused_qkv=True, gguf=False),
    "chatglm2": _Code(remote=True, logits="last", mlp_live=4, fused_qkv=True),
    "qwen": _Code(remote=True, logits="all", eager_attention=True, mlp_live=4, fused_qkv=True, mask_buffer=True),
    "baichuan": _Code(remote=True, logits="all", eager_attention=True),
    "internlm": _Code(remote=True, logits="all_fp32", eager_attention=True),
    "internlm2": _Code(remote=True, logits="all_fp32", eager_attention=True),
    "minicpm": _Code(remote=True, logits="all_fp32"),
    # No model_type: unknown modelling code, priced as the costliest common behaviour (the safe side).
    "unknown": _Code(remote=True, logits="all_fp32", eager_attention=True),
}


# ---------------------------------------------------------------- parameters


class Matrix(NamedTuple):
    """One weight matrix of a transformer block: ``rows_in`` inputs (GGUF ne[0]) by ``rows_out`` outputs."""

    kind: MatrixKind
    rows_in: int
    rows_out: int

    @property
    def params(self) -> int:
        return self.rows_in * self.rows_out


def _matrices(arch: Arch) -> tuple[Matrix, ...]:
    """The weight matrices of ONE transformer block, fused the way the checkpoint (and its GGUF) stores them."""
    h, q, kv, f = arch.hidden, arch.q_dim, arch.kv_dim, arch.ffn
    if _CODE[arch.family].fused_qkv:
        attn: tuple[Matrix, ...] = (Matrix("attn_qkv", h, q + 2 * kv),)
    else:
        attn = (Matrix("attn_q", h, q), Matrix("attn_k", h, kv), Matrix("attn_v", h, kv))
    attn += (Matrix("attn_output", q, h),)
    if not arch.gated_mlp:
        mlp: tuple[Matrix, ...] = (Matrix("ffn_up", h, f), Matrix("ffn_down", f, h))
    elif arch.family in ("chatglm2", "glm"):
        mlp = (Matrix("ffn_gate_up", h, 2 * f), Matrix("ffn_down", f, h))
    else:
        mlp = (Matrix("ffn_gate", h, f), Matrix("ffn_up", h, f), Matrix("ffn_down", f, h))
    return attn + mlp


class Params(NamedTuple):
    """Parameter counts by tensor group. ``blocks`` = ``block_linear`` (the matrices quantization methods quantize)
    + ``block_small`` (biases and norms); ``norms`` = the final norm and BLOOM's embedding norm."""

    embedding: int
    blocks: int
    lm_head: int  # 0 when tied to the embedding
    norms: int
    block_linear: int
    block_small: int
    attention_per_layer: int
    mlp_per_layer: int

    @property
    def total(self) -> int:
        return self.embedding + self.blocks + self.lm_head + self.norms


def _block_small(arch: Arch) -> int:
    """Biases and norm weights of one block."""
    h = arch.hidden
    n = 2 * (2 * h if arch.layernorm else h)
    if arch.qkv_bias:
        n += arch.q_dim + 2 * arch.kv_dim
    if arch.out_bias:
        n += h
    if arch.mlp_bias:
        n += (2 * arch.ffn if arch.gated_mlp else arch.ffn) + h
    if arch.qk_norm:
        n += 2 * arch.head_dim
    return n


def count_params(arch: Arch) -> Params:
    """Count parameters from the architecture: embedding, per-layer attention (grouped KV heads, qkv bias), MLP
    (gated or not), norms and biases, and the LM head unless tied to the embedding."""
    mats = _matrices(arch)
    attn = sum(m.params for m in mats if m.kind.startswith("attn"))
    mlp = sum(m.params for m in mats if m.kind.startswith("ffn"))
    small = _block_small(arch)
    embedding = arch.vocab * arch.hidden
    return Params(
        embedding=embedding,
        blocks=arch.layers * (attn + mlp + small),
        lm_head=0 if arch.tied else embedding,
        norms=(2 if arch.layernorm else 1) * arch.hidden + (2 * arch.hidden if arch.embedding_norm else 0),
        block_linear=arch.layers * (attn + mlp),
        block_small=arch.layers * small,
        attention_per_layer=attn,
        mlp_per_layer=mlp,
    )
