"""Architecture records: ``Arch`` (what a model is, whatever its config calls it), what each family's modelling
code does at run time (``_CODE``), the weight matrices of each kind of decoder layer (``_matrices``) and parameter
counts (``count_params``).

Sources: the modelling files named above ``_CODE`` (ChatGLM, Qwen 1st gen, Baichuan2, InternLM2, MiniCPM, BLOOM);
transformers' modeling_qwen3_next.py / modeling_qwen3_5.py (gated attention: q_proj of 2 x heads x head_dim; the
gated delta net's in_proj_qkv, in_proj_z, in_proj_b, in_proj_a, conv1d, dt_bias, A_log, norm, out_proj),
modeling_deepseek_v2.py / openbmb MiniCPM3 (q_a_proj, q_b_proj, kv_a_proj_with_mqa, kv_b_proj, o_proj and their
norms), modeling_qwen3_moe.py / modeling_qwen2_moe.py (gate router, experts, shared_expert and its 1-output gate).
Checks in tests/test_estimate_arch.py: Qwen3-30B-A3B 30.5B total / 3.3B active, DeepSeek-V2-Lite 15.7B / 2.4B,
Qwen2.5-VL-7B 8.29B, Qwen3.5-9B's text decoder 8.95B (its card and GGUF).
"""

from typing import Literal, NamedTuple

from llmzh.errors import LlmzhError

MiB = 1 << 20


class EstimateError(LlmzhError):
    """A config the estimator cannot read (a missing or contradictory key), or a setting it cannot price."""


# ---------------------------------------------------------------- architecture
Logits = Literal["last", "all", "all_fp32"]
MatrixKind = Literal[
    "attn_q",
    "attn_k",
    "attn_v",
    "attn_qkv",
    "attn_output",
    "attn_gate",  # a linear-attention layer's output gate (Qwen3-Next / Qwen3.5 in_proj_z)
    "attn_q_a",  # multi-head latent attention: q down- and up-projection, kv down-projection (+ shared rope key)
    "attn_q_b",
    "attn_kv_a_mqa",
    "attn_kv_b",
    "ssm_ba",  # a gated-delta-net layer's beta and alpha (decay) projections
    "ssm_out",
    "ffn_gate",
    "ffn_up",
    "ffn_gate_up",
    "ffn_down",
    "ffn_gate_exps",
    "ffn_up_exps",
    "ffn_down_exps",
    "ffn_gate_shexp",
    "ffn_up_shexp",
    "ffn_down_shexp",
]
AttentionKind = Literal["full", "linear", "sliding"]


class LinearAttention(NamedTuple):
    """A gated-delta-net linear-attention layer (Qwen3-Next, Qwen3.5): ``key_heads`` x ``key_dim`` queries and keys,
    ``value_heads`` x ``value_dim`` values, a depthwise causal conv of ``conv_kernel`` taps over q, k and v, and a
    recurrent state of value_heads x key_dim x value_dim. ``state_dtype``: config's ``mamba_ssm_dtype``."""

    key_heads: int
    value_heads: int
    key_dim: int
    value_dim: int
    conv_kernel: int
    state_dtype: str | None = None

    @property
    def conv_dim(self) -> int:
        return 2 * self.key_heads * self.key_dim + self.value_heads * self.value_dim

    @property
    def state_elems(self) -> int:
        return self.value_heads * self.key_dim * self.value_dim


class LatentAttention(NamedTuple):
    """Multi-head latent attention (DeepSeek-V2, MiniCPM3): keys and values are decompressed from a
    ``kv_lora_rank`` latent plus one ``rope_dim`` key shared by all heads; ``q_lora_rank`` 0 = a plain q_proj.
    ``latent_cached``: vLLM's and llama.cpp's MLA code paths keep the latent, not the decompressed keys/values."""

    q_lora_rank: int
    kv_lora_rank: int
    nope_dim: int
    rope_dim: int
    v_dim: int
    latent_cached: bool

    @property
    def qk_dim(self) -> int:
        return self.nope_dim + self.rope_dim


class Experts(NamedTuple):
    """Mixture of experts: ``experts`` MLPs of ``expert_ffn`` (all held in memory), ``active`` routed per token, a
    shared expert of ``shared_ffn`` (0: none; Qwen-MoE adds a 1-output sigmoid gate), and ``dense_layers`` layers
    (the first ones, or those listed in ``mlp_only_layers``) with a dense MLP of ``dense_ffn``."""

    experts: int
    active: int
    expert_ffn: int
    shared_ffn: int = 0
    shared_gate: bool = False
    dense_layers: int = 0
    dense_ffn: int = 0


class QuantConfig(NamedTuple):
    """config.json's ``quantization_config``: method ("awq", "gptq", "fp8", "compressed-tensors" ...), bits, the
    group size of scales (0: one scale per output channel), the block of FP8 block-wise scales, and the modules
    left unquantized (``modules_to_not_convert`` / ``ignored_layers`` / ``ignore``)."""

    method: str
    bits: int
    group_size: int
    not_converted: tuple[str, ...] = ()
    block: tuple[int, int] | None = None


class Block(NamedTuple):
    """What one decoder layer is: its attention kind and whether its MLP is a mixture of experts."""

    attention: AttentionKind
    moe: bool


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
    layer_types: tuple[AttentionKind, ...] = ()  # per layer; () = every layer full attention
    sliding_window: int = 0  # tokens a "sliding" layer keeps
    linear: LinearAttention | None = None
    mla: LatentAttention | None = None
    moe: Experts | None = None
    attn_gate: bool = False  # Qwen3-Next / Qwen3.5 full attention: q_proj also yields a sigmoid output gate
    extra_params: int = 0  # weights outside the text decoder: vision tower, multi-token-prediction layers
    counted: tuple[str, ...] = ()  # what extra_params holds, for people reading the estimate
    quant_config: QuantConfig | None = None
    warnings: tuple[str, ...] = ()  # one line each, for stderr (e.g. an unknown model_type read LLaMA-style)

    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    @property
    def blocks(self) -> tuple[Block, ...]:
        """Every decoder layer's kind, in order."""
        full: tuple[AttentionKind, ...] = tuple("full" for _ in range(self.layers))
        kinds = self.layer_types or full
        dense = self.moe.dense_layers if self.moe else self.layers
        return tuple(Block(kind, i >= dense) for i, kind in enumerate(kinds))

    def count_layers(self, kind: AttentionKind) -> int:
        if not self.layer_types:
            return self.layers if kind == "full" else 0
        return sum(1 for k in self.layer_types if k == kind)

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
    # transformers' own Qwen3NextForCausalLM / Qwen3_5ForConditionalGeneration and DeepseekV2/V3ForCausalLM;
    # openbmb/MiniCPM3-4B modeling_minicpm.py (the MiniCPM remote code with latent attention: logits.float()).
    "qwen3_next": _Code(remote=False),
    "deepseek_v2": _Code(remote=False),
    "minicpm3": _Code(remote=True, logits="all_fp32"),
    # No model_type: unknown modelling code, priced as the costliest common behaviour (the safe side).
    "unknown": _Code(remote=True, logits="all_fp32", eager_attention=True),
}


# ---------------------------------------------------------------- parameters


class Matrix(NamedTuple):
    """Weight matrices of a block: ``rows_in`` inputs (GGUF ne[0]) by ``rows_out`` outputs, ``copies`` of them
    (the experts of a mixture-of-experts layer, stored as one 3-D tensor in GGUF)."""

    kind: MatrixKind
    rows_in: int
    rows_out: int
    copies: int = 1

    @property
    def params(self) -> int:
        return self.rows_in * self.rows_out * self.copies


def _attention_matrices(arch: Arch, kind: AttentionKind) -> tuple[Matrix, ...]:
    h, q, kv = arch.hidden, arch.q_dim, arch.kv_dim
    lin = arch.linear
    if kind == "linear" and lin is not None:
        # Qwen3.5 Qwen3_5GatedDeltaNet: in_proj_qkv, in_proj_z, in_proj_b, in_proj_a, out_proj (Qwen3-Next fuses
        # qkvz and ba; same sizes).
        vd = lin.value_heads * lin.value_dim
        return (
            Matrix("attn_qkv", h, lin.conv_dim),
            Matrix("attn_gate", h, vd),
            Matrix("ssm_ba", h, 2 * lin.value_heads),
            Matrix("ssm_out", vd, h),
        )
    mla = arch.mla
    if mla is not None:
        # DeepSeek-V2 / MiniCPM3 attention: q_a_proj + q_b_proj (or q_proj), kv_a_proj_with_mqa, kv_b_proj, o_proj.
        qk = arch.heads * mla.qk_dim
        if mla.q_lora_rank:
            qm: tuple[Matrix, ...] = (Matrix("attn_q_a", h, mla.q_lora_rank), Matrix("attn_q_b", mla.q_lora_rank, qk))
        else:
            qm = (Matrix("attn_q", h, qk),)
        return (
            *qm,
            Matrix("attn_kv_a_mqa", h, mla.kv_lora_rank + mla.rope_dim),
            Matrix("attn_kv_b", mla.kv_lora_rank, arch.heads * (mla.nope_dim + mla.v_dim)),
            Matrix("attn_output", arch.heads * mla.v_dim, h),
        )
    if _CODE[arch.family].fused_qkv:
        attn: tuple[Matrix, ...] = (Matrix("attn_qkv", h, q + 2 * kv),)
    else:
        attn = (Matrix("attn_q", h, 2 * q if arch.attn_gate else q), Matrix("attn_k", h, kv), Matrix("attn_v", h, kv))
    return (*attn, Matrix("attn_output", q, h))


def _mlp_matrices(arch: Arch, moe: bool) -> tuple[Matrix, ...]:
    h, f = arch.hidden, arch.ffn
    e = arch.moe
    if moe and e is not None:
        mats: tuple[Matrix, ...] = (
            Matrix("ffn_gate_exps", h, e.expert_ffn, e.experts),
            Matrix("ffn_up_exps", h, e.expert_ffn, e.experts),
            Matrix("ffn_down_exps", e.expert_ffn, h, e.experts),
        )
        if e.shared_ffn:
            s = e.shared_ffn
            mats += (Matrix("ffn_gate_shexp", h, s), Matrix("ffn_up_shexp", h, s), Matrix("ffn_down_shexp", s, h))
        return mats
    if e is not None:
        f = e.dense_ffn
    if not arch.gated_mlp:
        return (Matrix("ffn_up", h, f), Matrix("ffn_down", f, h))
    if arch.family in ("chatglm2", "glm"):
        return (Matrix("ffn_gate_up", h, 2 * f), Matrix("ffn_down", f, h))
    return (Matrix("ffn_gate", h, f), Matrix("ffn_up", h, f), Matrix("ffn_down", f, h))


def _matrices(arch: Arch, block: Block | None = None) -> tuple[Matrix, ...]:
    """The weight matrices of ONE decoder layer (default: the first one), fused the way the checkpoint (and its
    GGUF) stores them."""
    block = block or arch.blocks[0]
    return _attention_matrices(arch, block.attention) + _mlp_matrices(arch, block.moe)


def block_counts(arch: Arch) -> dict[Block, int]:
    """How many decoder layers of each kind."""
    counts: dict[Block, int] = {}
    for block in arch.blocks:
        counts[block] = counts.get(block, 0) + 1
    return counts


def _block_small(arch: Arch, block: Block) -> int:
    """Biases, norm weights and other small tensors of one decoder layer (a router, a conv, decay parameters)."""
    h = arch.hidden
    n = 2 * (2 * h if arch.layernorm else h)
    lin, mla, e = arch.linear, arch.mla, arch.moe
    if block.attention == "linear" and lin is not None:
        # conv1d weight (conv_dim x 1 x kernel), dt_bias and A_log per value head, the gated RMSNorm of value_dim.
        n += lin.conv_dim * lin.conv_kernel + 2 * lin.value_heads + lin.value_dim
    else:
        if arch.qkv_bias:
            n += arch.q_dim + 2 * arch.kv_dim
        if arch.out_bias:
            n += h
        if arch.qk_norm:
            n += 2 * arch.head_dim
        if mla is not None:
            n += mla.q_lora_rank + mla.kv_lora_rank  # q_a_layernorm, kv_a_layernorm
    if block.moe and e is not None:
        n += h * e.experts + (h if e.shared_gate else 0)  # the router (kept 16-bit) and the shared expert's gate
    elif arch.mlp_bias:
        f = e.dense_ffn if e is not None else arch.ffn
        n += (2 * f if arch.gated_mlp else f) + h
    return n


class Params(NamedTuple):
    """Parameter counts by tensor group. ``blocks`` = ``block_linear`` (the matrices quantization methods quantize)
    + ``block_small`` (biases, norms, routers); ``norms`` = the final norm and BLOOM's embedding norm; ``extra`` =
    weights outside the text decoder (vision tower, multi-token-prediction layers); ``active`` = the parameters one
    token runs through (mixture of experts: the routed experts only), for speed."""

    embedding: int
    blocks: int
    lm_head: int  # 0 when tied to the embedding
    norms: int
    block_linear: int
    block_small: int
    attention_per_layer: int
    mlp_per_layer: int
    extra: int = 0
    active: int = 0

    @property
    def total(self) -> int:
        return self.embedding + self.blocks + self.lm_head + self.norms + self.extra


def count_params(arch: Arch) -> Params:
    """Count parameters from the architecture: embedding, each decoder layer's attention (grouped KV heads, qkv
    bias, latent or linear attention) and MLP (gated or not, dense or experts), norms and biases, the LM head unless
    tied to the embedding, and the weights outside the text decoder (``Arch.extra_params``).

    Total counts every expert (all are held in memory); active counts ``Experts.active`` routed experts per layer.
    """
    linear = small = inactive = 0
    for block, n in block_counts(arch).items():
        mats = _matrices(arch, block)
        linear += n * sum(m.params for m in mats)
        small += n * _block_small(arch, block)
        if block.moe and arch.moe is not None:
            e = arch.moe
            inactive += n * 3 * arch.hidden * e.expert_ffn * (e.experts - e.active)
    first = _matrices(arch)
    embedding = arch.vocab * arch.hidden
    p = Params(
        embedding=embedding,
        blocks=linear + small,
        lm_head=0 if arch.tied else embedding,
        norms=(2 if arch.layernorm else 1) * arch.hidden + (2 * arch.hidden if arch.embedding_norm else 0),
        block_linear=linear,
        block_small=small,
        attention_per_layer=sum(m.params for m in first if m.kind.startswith(("attn", "ssm"))),
        mlp_per_layer=sum(m.params for m in first if m.kind.startswith("ffn")),
        extra=arch.extra_params,
    )
    return p._replace(active=p.total - inactive - arch.extra_params)
