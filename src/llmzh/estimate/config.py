"""config.json -> ``Arch``: each family's own key names, read with typed, bounded access."""

from collections.abc import Mapping

from llmzh.estimate.arch import Arch, EstimateError

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
