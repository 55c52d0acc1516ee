"""Peak GPU memory to run or fine-tune a model, from its config.json: weights, KV cache, activations, overhead.

Pure arithmetic: no I/O, no printing, standard library only. Every term is a named function whose docstring
states the mechanism and its source. Byte counts are integers; 1 GiB = 2**30 bytes. Records are typed, immutable
``NamedTuple``s like llmzh.schema's (a dataclass costs about 1.2 ms to create, a NamedTuple 0.2 ms, and `llmzh list`
has a start-up budget), with eagerly evaluated annotations for the same reason.

Reading guide
-------------
* ``arch_from_config`` reads each family's own config names (ChatGLM's ``num_layers`` / ``multi_query_group_num`` /
  ``kv_channels`` / ``padded_vocab_size``, Qwen 1st generation's ``kv_channels`` and doubled ``intermediate_size``,
  BLOOM's ``n_layer`` / ``n_head`` ...) into an ``Arch``.
* ``count_params`` lists the weight matrices of a block (``_matrices``) and counts embedding, blocks and LM head.
* ``weight_bytes`` prices every tensor at a quantization level: group scales and zeros, the tensors each method
  leaves in 16-bit, llama.cpp's per-tensor type mixes.
* ``estimate_inference`` adds the KV cache, the transient tensors of prefill and decoding under a runtime
  (``Runtime``) and the runtime overhead; ``estimate_finetune`` does the same, roughly, for training.
"""

from collections.abc import Mapping
from typing import Literal, NamedTuple

from llmzh.errors import LlmzhError
from llmzh.schema import Quant

MiB = 1 << 20
GiB = 1 << 30


class EstimateError(LlmzhError):
    """A config the estimator cannot read (a missing or contradictory key), or a setting it cannot price."""


# ================================================================ architecture

# What runs the model (``_behaviour``, ``_llama_cpp_peak``):
# * "transformers": transformers >= 4.45: last-position logits in generate, DynamicCache updated in place.
# * "transformers-legacy": transformers 4.36-4.44: logits for the whole prompt upcast to fp32, legacy tuple caches
#   (old and new cache coexist every step), a rotary cos/sin cache in every layer.
# * "llama.cpp": GGUF weights, an f16 KV cache for the whole context, a compute buffer per 512-token micro-batch.
# Remote-code families (ChatGLM, Qwen 1st gen, Baichuan, InternLM, MiniCPM) run their own forward under either
# transformers runtime.
Runtime = Literal["transformers", "transformers-legacy", "llama.cpp"]
RUNTIMES: tuple[Runtime, ...] = ("transformers", "transformers-legacy", "llama.cpp")
Attention = Literal["sdpa", "flash", "eager"]
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

# model_type -> (family, default of tie_word_embeddings in that config class: LlamaConfig, Qwen2Config,
# MistralConfig False; MiniCPMConfig, GemmaConfig True).
_LLAMA_LIKE: dict[str, tuple[str, bool]] = {
    "llama": ("llama", False),
    "mistral": ("llama", False),
    "yi": ("llama", False),
    "deepseek": ("llama", False),
    "internlm3": ("llama", False),
    "open-llama": ("llama", True),
    "gemma": ("llama", True),
    "qwen2": ("qwen2", False),
    "qwen3": ("qwen3", False),
    "glm": ("glm", False),
    "glm4": ("glm", False),
    "minicpm": ("minicpm", True),
    "internlm": ("internlm", False),
    "internlm2": ("internlm2", False),
    "baichuan": ("baichuan", False),
}


class _Reader:
    """Typed access to a config mapping; errors name the key and the family being read."""

    def __init__(self, config: Mapping[str, object], family: str) -> None:
        self.config = config
        self.family = family

    def has(self, key: str) -> bool:
        return self.config.get(key) is not None

    def count(self, *keys: str, default: int | None = None) -> int:
        """The first of ``keys`` present, as a positive whole number."""
        for key in keys:
            value = self.config.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or value <= 0:
                raise EstimateError(f"{self.family} config: '{key}' must be a positive whole number, got {value!r}")
            return int(value)
        if default is not None:
            return default
        names = " or ".join(f"'{k}'" for k in keys)
        raise EstimateError(
            f"{self.family} config is missing {names}",
            hint="copy the key verbatim from the model's config.json into architecture.config",
        )

    def flag(self, key: str, default: bool) -> bool:
        value = self.config.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise EstimateError(f"{self.family} config: '{key}' must be true or false, got {value!r}")
        return value

    def text(self, key: str) -> str | None:
        value = self.config.get(key)
        return value if isinstance(value, str) else None


def arch_from_config(config: Mapping[str, object]) -> Arch:
    """Normalise a config.json mapping into an ``Arch``, reading each family's own key names.

    Raises ``EstimateError`` naming the missing key and the family, or the unsupported feature (mixture of
    experts, multi-head latent attention, an unknown model_type). A config without model_type is read LLaMA-style
    as family "unknown" (see ``_CODE``).
    """
    model_type = config.get("model_type")
    if model_type is None:
        # Catalog entries leave model_type out when the stored config.json page did not show it. Read the standard
        # keys LLaMA-style, with transformers' PretrainedConfig default (tied embeddings) and unknown code.
        return _llama_like(config, "(no model_type)", "unknown", True)
    if not isinstance(model_type, str) or not model_type:
        raise EstimateError(f"config: 'model_type' must be a name, got {model_type!r}")
    mt = model_type.lower()
    for key in ("num_experts", "n_routed_experts", "num_local_experts", "moe_num_experts"):
        if config.get(key):
            raise EstimateError(f"{model_type} config has '{key}': mixture-of-experts models are not supported")
    if config.get("kv_lora_rank"):
        raise EstimateError(f"{model_type} config has 'kv_lora_rank': multi-head latent attention is not supported")
    if mt == "chatglm":
        glm2 = any(k in config for k in ("multi_query_attention", "padded_vocab_size", "ffn_hidden_size"))
        return _chatglm2(config) if glm2 else _chatglm6b(config)
    if mt == "qwen":
        return _qwen1(config)
    if mt == "bloom":
        return _bloom(config)
    if mt in _LLAMA_LIKE:
        family, tied_default = _LLAMA_LIKE[mt]
        return _llama_like(config, mt, family, tied_default)
    raise EstimateError(
        f"model_type '{model_type}' is not a family the estimator knows",
        hint="supported: " + ", ".join(sorted({*_LLAMA_LIKE, "chatglm", "qwen", "bloom"})),
    )


def _llama_like(config: Mapping[str, object], model_type: str, family: str, tied_default: bool) -> Arch:
    """LLaMA, Qwen2/2.5/3, Yi, DeepSeek-LLM, Mistral, Baichuan, InternLM/InternLM2, MiniCPM, GLM-4 (transformers).

    ``num_key_value_heads`` absent means multi-head attention (= heads); ``head_dim`` when given (Qwen3, GLM)
    overrides hidden / heads. Qwen2-family q/k/v always carry a bias (Qwen2Attention); InternLM's ``bias`` key and
    ``attention_bias`` / ``mlp_bias`` elsewhere switch biases on. An InternLM config stating
    ``num_key_value_heads`` is InternLM2 code (wqkv, grouped heads). Open-Llama (transformers' OpenLlamaConfig)
    names its tying ``shared_input_output_embedding`` and its embedding LayerNorm ``use_stable_embedding``.
    """
    r = _Reader(config, model_type)
    hidden = r.count("hidden_size", "n_embd", "d_model")
    heads = r.count("num_attention_heads", "n_head")
    kv_heads = r.count("num_key_value_heads", "multi_query_group_num", default=heads)
    if heads % kv_heads:
        raise EstimateError(f"{model_type} config: {heads} attention heads are not a multiple of {kv_heads} KV heads")
    if family == "internlm" and r.has("num_key_value_heads"):
        family = "internlm2"
    attention_bias = r.flag("attention_bias", family == "glm")
    qkv_bias = family == "qwen2" or attention_bias
    out_bias = attention_bias and family not in ("glm", "qwen2")
    if family in ("internlm", "internlm2"):
        qkv_bias = out_bias = r.flag("bias", family == "internlm")
    open_llama = model_type == "open-llama"
    return Arch(
        family=family,
        model_type=model_type if family != "unknown" else "",
        layers=r.count("num_hidden_layers", "num_layers", "n_layer"),
        hidden=hidden,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=r.count("head_dim", default=hidden // heads),
        ffn=r.count("intermediate_size", "ffn_hidden_size"),
        vocab=r.count("vocab_size", "padded_vocab_size"),
        tied=r.flag("shared_input_output_embedding" if open_llama else "tie_word_embeddings", tied_default),
        qkv_bias=qkv_bias,
        out_bias=out_bias,
        mlp_bias=r.flag("mlp_bias", False),
        embedding_norm=open_llama and r.flag("use_stable_embedding", True),
        qk_norm=family == "qwen3",
        max_positions=r.count("max_position_embeddings", "seq_length", "model_max_length", default=0) or None,
        dtype=r.text("torch_dtype"),
    )


def _chatglm2(config: Mapping[str, object]) -> Arch:
    """ChatGLM2-6B, ChatGLM3-6B, GLM-4-9B (model_type "chatglm", remote code).

    ``multi_query_attention`` true means ``multi_query_group_num`` KV heads of ``kv_channels`` each (2 x 128 on
    ChatGLM2/3: one sixteenth of the 32 query heads); ``padded_vocab_size`` is the embedding/output row count;
    ``ffn_hidden_size`` one half of the fused ``dense_h_to_4h``; ``add_qkv_bias`` / ``add_bias_linear`` the biases.
    """
    r = _Reader(config, "ChatGLM2/3/GLM-4")
    heads = r.count("num_attention_heads")
    hidden = r.count("hidden_size")
    bias_linear = r.flag("add_bias_linear", False)
    return Arch(
        family="chatglm2",
        model_type="chatglm",
        layers=r.count("num_layers", "num_hidden_layers"),
        hidden=hidden,
        heads=heads,
        kv_heads=r.count("multi_query_group_num") if r.flag("multi_query_attention", False) else heads,
        head_dim=r.count("kv_channels", default=hidden // heads),
        ffn=r.count("ffn_hidden_size"),
        vocab=r.count("padded_vocab_size", "vocab_size"),
        tied=r.flag("tie_word_embeddings", False),
        qkv_bias=r.flag("add_qkv_bias", False) or bias_linear,
        out_bias=bias_linear,
        mlp_bias=bias_linear,
        layernorm=not r.flag("rmsnorm", True),
        max_positions=r.count("seq_length", default=0) or None,
        dtype=r.text("torch_dtype"),
    )


def _chatglm6b(config: Mapping[str, object]) -> Arch:
    """ChatGLM-6B (first generation: model_type "chatglm" with ``position_encoding_2d``, ``inner_hidden_size``).

    Full multi-head attention (KV heads = heads), GELU MLP of ``inner_hidden_size`` (default 4 x hidden),
    LayerNorm, biases on every linear layer, output layer tied to the word embeddings.
    """
    r = _Reader(config, "ChatGLM-6B")
    hidden = r.count("hidden_size")
    heads = r.count("num_attention_heads")
    return Arch(
        family="chatglm",
        model_type="chatglm",
        layers=r.count("num_layers"),
        hidden=hidden,
        heads=heads,
        kv_heads=heads,
        head_dim=hidden // heads,
        ffn=r.count("inner_hidden_size", default=4 * hidden),
        vocab=r.count("vocab_size"),
        tied=r.flag("tie_word_embeddings", True),
        gated_mlp=False,
        qkv_bias=True,
        out_bias=True,
        mlp_bias=True,
        layernorm=True,
        max_positions=r.count("max_sequence_length", default=0) or None,
        dtype=r.text("torch_dtype"),
    )


def _qwen1(config: Mapping[str, object]) -> Arch:
    """Qwen first generation (model_type "qwen", remote code): full multi-head attention, ``kv_channels`` per head.

    Its ``intermediate_size`` counts both halves: QWenMLP builds w1 and w2 of ``intermediate_size // 2`` each.
    ``c_attn`` always has a bias; ``no_bias`` removes the others.
    """
    r = _Reader(config, "Qwen (1st generation)")
    hidden = r.count("hidden_size")
    heads = r.count("num_attention_heads")
    no_bias = r.flag("no_bias", True)
    return Arch(
        family="qwen",
        model_type="qwen",
        layers=r.count("num_hidden_layers"),
        hidden=hidden,
        heads=heads,
        kv_heads=heads,
        head_dim=r.count("kv_channels", default=hidden // heads),
        ffn=r.count("intermediate_size") // 2,
        vocab=r.count("vocab_size", "padded_vocab_size"),
        tied=r.flag("tie_word_embeddings", False),
        qkv_bias=True,
        out_bias=not no_bias,
        mlp_bias=not no_bias,
        max_positions=r.count("max_position_embeddings", "seq_length", default=0) or None,
        dtype=r.text("torch_dtype"),
    )


def _bloom(config: Mapping[str, object]) -> Arch:
    """BLOOM (BELLE-7B): ``n_layer`` / ``n_head`` / ``hidden_size`` (or ``n_embed``), 4 x hidden GELU MLP,
    ALiBi (no rotary), biases everywhere, LayerNorm plus an embedding LayerNorm, tied output layer."""
    r = _Reader(config, "BLOOM")
    hidden = r.count("hidden_size", "n_embed")
    heads = r.count("n_head", "num_attention_heads")
    return Arch(
        family="bloom",
        model_type="bloom",
        layers=r.count("n_layer", "num_hidden_layers"),
        hidden=hidden,
        heads=heads,
        kv_heads=heads,
        head_dim=hidden // heads,
        ffn=4 * hidden,
        vocab=r.count("vocab_size"),
        tied=r.flag("tie_word_embeddings", True),
        gated_mlp=False,
        qkv_bias=True,
        out_bias=True,
        mlp_bias=True,
        layernorm=True,
        embedding_norm=True,
        max_positions=r.count("seq_length", "max_position_embeddings", default=0) or None,
        dtype=r.text("torch_dtype"),
    )


# ================================================================ parameters


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


# ================================================================ quantization and weight bytes

# ggml block types: (weights per block, bytes per block), from ggml/src/ggml-common.h; e.g. block_q4_K holds
# 2 fp16 scales + 12 bytes of sub-block scales + 128 bytes of 4-bit quants for 256 weights = 4.5 bits per weight.
_GGML_TYPES: dict[str, tuple[int, int]] = {
    "f32": (1, 4),
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
        if k in ("attn_v", "ffn_down") and _use_more_bits(layer, layers):
            t = "q6_K"
        elif k == "attn_qkv":
            t = "q5_K" if quant is Quant.Q4_K_M else "q6_K"
    elif quant is Quant.Q3_K_M:
        if k == "attn_v":
            t = "q5_K" if layer < 2 else "q4_K"
        elif k == "ffn_down":
            t = "q5_K" if layer < layers // 16 else "q4_K"
        elif k in ("attn_output", "attn_qkv"):
            t = "q4_K"
    elif quant is Quant.Q2_K:
        if k == "attn_v":
            t = "q4_K" if n_gqa >= 4 else "q3_K"
        elif k in ("ffn_down", "attn_output"):
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
    for layer in range(arch.layers):
        for m in _matrices(arch):
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


def weight_bytes(arch: Arch, quant: Quant) -> int:
    """Bytes of all weights at a quantization level.

    GPTQ, AWQ, bitsandbytes and FP8 quantize the block matrices and leave embedding, LM head, norms and biases in
    16-bit; ChatGLM ``int8`` / ``int4`` quantize only the transformer blocks; ``int4-qe`` also the embedding and the
    output layer (ChatGLM-6B's ``quantize(..., quantize_embeddings=True)`` builds a QuantizedEmbedding and its own
    QuantizedLinear lm_head, so a tied model holds two int4 copies). GGUF levels: ``_gguf_bytes``.
    """
    if quant in GGUF_LEVELS:
        return _gguf_bytes(arch, quant)
    p = count_params(arch)
    d = dense_bytes(quant)
    total = (p.block_small + p.norms) * d
    total += arch.layers * sum(_matrix_bytes(quant, m.rows_in, m.rows_out, d) for m in _matrices(arch))
    if quant is Quant.INT4_QE:
        return total + 2 * _matrix_bytes(Quant.INT4, arch.hidden, arch.vocab, d)
    return total + (p.embedding + p.lm_head) * d


# ================================================================ KV cache


def kv_cache_bytes(arch: Arch, tokens: int, batch: int = 1, elem_bytes: float = 2) -> int:
    """2 (K and V) x layers x KV heads x head dim x tokens x batch x bytes per element.

    KV heads come from each family's own keys (``arch_from_config``): ``num_key_value_heads`` (absent: = heads),
    ChatGLM2/3/GLM-4's ``multi_query_group_num`` of ``kv_channels``; ChatGLM-6B, BLOOM, Qwen 1st gen and Baichuan
    are full multi-head attention.
    """
    return int(2 * arch.layers * arch.kv_dim * tokens * batch * elem_bytes)


KV_INT8_BYTES = 1 + 8 / 128
"""Qwen 1st gen's ``use_cache_quantization``: int8 keys/values + an fp32 scale and zero per token and head of 128."""


# ================================================================ runtime overhead

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

    @property
    def total_bytes(self) -> int:
        """What the process holds on the device (nvidia-smi)."""
        return self.weights_bytes + self.kv_cache_bytes + self.activation_bytes + self.overhead_bytes

    @property
    def allocated_bytes(self) -> int:
        """Peak of the framework's allocations (torch.cuda.max_memory_allocated): total less context and slack."""
        return self.total_bytes - self.context_bytes - self.slack_bytes


def default_runtime(quant: Quant) -> Runtime:
    """GGUF/GGML levels run on llama.cpp, every other level on transformers (current, >= 4.45)."""
    return "llama.cpp" if quant in GGUF_LEVELS else "transformers"


# ================================================================ activations and workspace

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
        return 2 * max(m.params for m in _matrices(arch))
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


def _llama_cpp_peak(arch: Arch, *, ctx: int, prompt: int, batch: int) -> tuple[int, int]:
    """llama.cpp: (kv, compute buffers). The f16 KV cache for the whole n_ctx (padded to 256) is allocated when the
    context is created; the CUDA compute buffer is sized for one micro-batch of up to n_ubatch = 512 prompt tokens
    against the full cache: the F32 KQ scores (heads x n_ubatch x n_kv without flash attention, llama.cpp's default
    at c392e5094; ggml-alloc runs the softmax in place), F32 MLP and attention intermediates, and the output logits.
    When cuBLAS runs the prompt's GEMMs on dequantized weights, ggml-cuda's pool also holds an f16 copy of the
    largest weight matrix."""
    n_ctx = -(-ctx // LLAMA_CPP_CTX_PAD) * LLAMA_CPP_CTX_PAD
    kv = kv_cache_bytes(arch, n_ctx, batch, 2)
    ub = min(LLAMA_CPP_UBATCH, max(prompt, 1)) * batch
    scores = arch.heads * ub * n_ctx * 4
    intermediates = ub * (3 * arch.ffn + 4 * arch.hidden + arch.q_dim + 2 * arch.kv_dim) * 4
    pool = 2 * max(m.params for m in _matrices(arch)) if prompt > 32 else 0
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


def estimate_inference(
    arch: Arch,
    quant: Quant,
    *,
    ctx: int,
    prompt: int | None = None,
    batch: int = 1,
    runtime: Runtime | None = None,
    attention: Attention | None = None,
    kv_cache: Literal["model", "int8"] = "model",
) -> Estimate:
    """Estimate the peak GPU memory of generating with a model.

    ctx: tokens held in the KV cache at the end (prompt + generated); prompt: prefill length (default ctx);
    runtime: ``Runtime``, default ``default_runtime(quant)``; attention: the kernel, default SDPA for transformers'
    own models and each remote-code family's default path (eager for ChatGLM-6B, Baichuan, InternLM, and Qwen 1st
    gen unless flash-attn is installed: pass "flash"; Baichuan2-7B's SDPA is priced as eager, the safe side);
    kv_cache "int8": Qwen 1st gen's ``use_cache_quantization``.
    """
    prompt = ctx if prompt is None else prompt
    if ctx < 0 or prompt < 0 or prompt > ctx or batch < 1:
        raise EstimateError(f"need 0 <= prompt <= ctx and batch >= 1, got prompt={prompt}, ctx={ctx}, batch={batch}")
    runtime = runtime or default_runtime(quant)
    if runtime not in RUNTIMES:
        raise EstimateError(f"unknown runtime {runtime!r}; expected one of: {', '.join(RUNTIMES)}")
    if runtime == "llama.cpp":
        if not _CODE[arch.family].gguf:
            raise EstimateError(f"llama.cpp does not run the {arch.family} architecture")
        attention = "eager"
        kv, transient = _llama_cpp_peak(arch, ctx=ctx, prompt=prompt, batch=batch)
        slack = 0
    else:
        if quant in GGUF_LEVELS:
            raise EstimateError(f"{quant.value} is a llama.cpp format", hint="use runtime 'llama.cpp'")
        if attention is None:
            attention = "eager" if _CODE[arch.family].eager_attention else "sdpa"
        kv_elem = KV_INT8_BYTES if kv_cache == "int8" else dense_bytes(quant)
        kv, transient = _transformers_peak(
            arch, quant, ctx=ctx, prompt=prompt, batch=batch, runtime=runtime, attention=attention, kv_elem=kv_elem
        )
        # The peak may come while loading, before any KV cache exists; the parts still add up to that peak.
        transient = max(transient, _load_transient(arch, quant) - kv)
        slack = int(ALLOCATOR_SLACK * (kv + transient))
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
    )


def sensible_levels(arch: Arch, *, gguf: bool = True) -> tuple[Quant, ...]:
    """Levels worth showing for a model when the user names none, from most to least memory.

    ChatGLM-6B/2/3 ship their own ``quantize(8)`` / ``quantize(4)``: fp16, int8, int4. Every other model: the
    checkpoint's 16-bit dtype and bitsandbytes int8 / nf4 (load-time quantization of any transformers model).
    With ``gguf``, llama.cpp's q8_0 and q4_k_m where llama.cpp runs the architecture (not ChatGLM-6B).
    """
    if arch.family == "chatglm" or (arch.family == "chatglm2" and arch.dtype != "bfloat16"):
        levels = [Quant.FP16, Quant.INT8, Quant.INT4]
    else:
        levels = [Quant.FP16 if arch.dtype == "float16" else Quant.BF16, Quant.BNB_INT8, Quant.BNB_NF4]
    if gguf and _CODE[arch.family].gguf:
        levels.insert(1, Quant.Q8_0)
        levels.append(Quant.Q4_K_M)
    return tuple(levels)


# ================================================================ fine-tuning

FinetuneMethod = Literal["lora", "qlora", "full", "ptuning"]
LoraTargets = Literal["default", "attention", "all"]

ADAMW_STATE_BYTES = 8  # AdamW exp_avg and exp_avg_sq in fp32 per trainable parameter
LOSS_BYTES_PER_LOGIT = 12
"""Loss over the vocabulary in training, per position and vocabulary entry: the logits in bf16 (2), their fp32
upcast (4), the fp32 log-softmax saved for backward (4) and the bf16 gradient (2). Check: Qwen-7B LoRA grows
16.5 GiB from 256 to 8192 tokens (QwenLM/Qwen README), of which 7936 x 151936 x 12 bytes = 13.5 GiB."""


class FinetuneEstimate(NamedTuple):
    """Peak GPU memory of one training step (bytes), roughly: AdamW, mixed precision, one device."""

    method: FinetuneMethod
    seq: int
    batch: int
    base_quant: Quant
    trainable_params: int
    weights_bytes: int  # the model's own weights as held during training (frozen, or trained for full)
    adapter_bytes: int  # LoRA matrices / prefix (fp32), and modules_to_save copies
    grads_optimizer_bytes: int  # gradients + AdamW states (+ fp32 master weights for full fine-tuning)
    activation_bytes: int  # saved activations + loss, without gradient checkpointing
    activation_checkpointed_bytes: int  # with gradient checkpointing (one block recomputed at a time)
    overhead_bytes: int

    @property
    def total(self) -> int:
        return self._static + self.activation_bytes

    @property
    def total_checkpointed(self) -> int:
        return self._static + self.activation_checkpointed_bytes

    @property
    def _static(self) -> int:
        return self.weights_bytes + self.adapter_bytes + self.grads_optimizer_bytes + self.overhead_bytes


def _lora_matrices(arch: Arch, targets: LoraTargets) -> list[Matrix]:
    if targets == "all":
        return list(_matrices(arch))
    if targets == "attention":
        return [m for m in _matrices(arch) if m.kind.startswith("attn")]
    return [m for m in _matrices(arch) if m.kind in ("attn_q", "attn_v", "attn_qkv")]


def lora_params(arch: Arch, rank: int, targets: LoraTargets = "default") -> int:
    """LoRA adds rank x (inputs + outputs) per adapted matrix. Targets: "default" = PEFT's default target modules
    per family (q_proj and v_proj, or the fused query_key_value / c_attn / W_pack), "attention" = every attention
    projection, "all" = every block matrix (QLoRA paper; Qwen's finetune.py: c_attn, c_proj, w1, w2)."""
    return arch.layers * sum(rank * (m.rows_in + m.rows_out) for m in _lora_matrices(arch, targets))


def _saved_per_token(arch: Arch, act: int) -> int:
    """Activations one block saves for backward per token (bytes), after Korthikanti et al. 2022 ("Reducing
    Activation Recomputation in Large Transformer Models", sec. 4.1) adapted to RMSNorm, grouped KV heads and gated
    MLPs: norm inputs and outputs (4 x hidden), q/k/v and the attention output (2 x q_dim + 2 x kv_dim), the MLP's
    matmul and elementwise inputs (4 x ffn gated, 2 x ffn GELU); no dropout masks."""
    mlp = 4 * arch.ffn if arch.gated_mlp else 2 * arch.ffn
    return (4 * arch.hidden + 2 * arch.q_dim + 2 * arch.kv_dim + mlp) * act


def estimate_finetune(
    arch: Arch,
    method: FinetuneMethod,
    *,
    seq: int,
    batch: int = 1,
    base_quant: Quant | None = None,
    lora_rank: int = 8,
    lora_targets: LoraTargets = "default",
    train_embeddings: bool = False,
    prefix_len: int = 128,
    attention: Attention = "flash",
) -> FinetuneEstimate:
    """Rough peak GPU memory of fine-tuning with AdamW in mixed precision on one device.

    * full: 16 bytes per parameter (ZeRO paper, Rajbhandari et al. 2020, sec. 3.1: fp16 weights and gradients,
      fp32 master weights, momentum and variance: 2 + 2 + 12). DeepSpeed's own buffers are not modelled.
    * lora: frozen 16-bit base (or ``base_quant``); LoRA matrices in fp32 (PEFT creates them in fp32) with fp32
      gradients and AdamW states: 16 bytes per adapter parameter. Default: rank 8 on PEFT's default targets.
    * qlora: the base quantized (default NF4 with double quantization, QLoRA paper; or a GPTQ checkpoint). PEFT's
      ``prepare_model_for_kbit_training`` casts every unquantized parameter (embedding, LM head, norms) to fp32;
      the same applies to ``lora`` on any quantized base.
    * ptuning: P-Tuning v2 (ChatGLM's ptuning/, ChatGLM3's PREFIX_TUNING): frozen base at ``base_quant``, a prefix of
      ``prefix_len`` key and value vectors per layer trained in fp32; every attention also attends to the prefix.
    * ``train_embeddings``: embedding and LM head trained as copies in the model dtype (PEFT ``modules_to_save``,
      Qwen's "LoRA (emb)"): copy 2 + gradient 2 + fp32 AdamW states 8 bytes per parameter.

    Activations: ``_saved_per_token`` per block and token (+ scores for eager attention) and the loss over the
    vocabulary (``LOSS_BYTES_PER_LOGIT``); with gradient checkpointing only each block's input is kept, plus one
    block's full set while it is recomputed. Overhead: CUDA context + workspace + allocator slack on the
    checkpointed activations.
    """
    if seq < 1 or batch < 1:
        raise EstimateError(f"need seq >= 1 and batch >= 1, got seq={seq}, batch={batch}")
    p = count_params(arch)
    if base_quant is None:
        base_quant = Quant.BNB_NF4 if method == "qlora" else Quant.BF16
    act = 2
    tokens = seq * batch
    adapter = 0
    if method == "full":
        trainable = p.total
        weights = p.total * act
        grads_opt = p.total * (act + 4 + ADAMW_STATE_BYTES)
    else:
        weights = weight_bytes(arch, base_quant)
        if method == "qlora" and base_quant in (Quant.BNB_NF4, Quant.BNB_FP4):
            weights -= int(p.block_linear * (0.5 - NF4_DOUBLE_QUANT_BITS / 8))
        if method != "ptuning" and base_quant not in (Quant.FP16, Quant.BF16, Quant.FP32):
            weights += (p.embedding + p.lm_head + p.block_small + p.norms) * (4 - dense_bytes(base_quant))
        if method == "ptuning":
            trainable = prefix_len * arch.layers * 2 * arch.kv_dim
        else:
            trainable = lora_params(arch, lora_rank, lora_targets)
        adapter = trainable * 4
        grads_opt = trainable * (4 + ADAMW_STATE_BYTES)
        if train_embeddings:
            copies = p.embedding + p.lm_head
            trainable += copies
            adapter += copies * act
            grads_opt += copies * (act + ADAMW_STATE_BYTES)
    per_block = _saved_per_token(arch, act) * tokens
    if attention == "eager":
        prefix = prefix_len if method == "ptuning" else 0
        per_block += arch.heads * seq * (seq + prefix) * batch * (act + 4)
    loss = tokens * arch.vocab * LOSS_BYTES_PER_LOGIT
    checkpointed = arch.layers * arch.hidden * tokens * act + per_block + loss
    return FinetuneEstimate(
        method=method,
        seq=seq,
        batch=batch,
        base_quant=base_quant,
        trainable_params=trainable,
        weights_bytes=weights,
        adapter_bytes=adapter,
        grads_optimizer_bytes=grads_opt,
        activation_bytes=arch.layers * per_block + loss,
        activation_checkpointed_bytes=checkpointed,
        overhead_bytes=CUDA_CONTEXT_BYTES + WORKSPACE_BYTES + int(ALLOCATOR_SLACK * checkpointed),
    )


__all__ = [
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
