"""config.json -> ``Arch``: each family's own key names, nested configs, and bounds on every count.

Key names and defaults are those of each family's configuration class: transformers' LlamaConfig, Qwen2Config,
Qwen3MoeConfig, Qwen3NextConfig, Qwen3_5TextConfig / Qwen3_5Config (layer_types, full_attention_interval,
linear_* keys, attn_output_gate default true, mtp_num_hidden_layers), Qwen2_5_VLConfig / Qwen3VLConfig
(text_config + vision_config), DeepseekV2Config / DeepseekV3Config (kv_lora_rank, q_lora_rank, qk_nope_head_dim,
qk_rope_head_dim, v_head_dim, n_routed_experts, n_shared_experts, first_k_dense_replace, num_nextn_predict_layers),
and the remote-code configs of ChatGLM, Qwen 1st gen, Baichuan, InternLM and MiniCPM3 (openbmb/MiniCPM3-4B
configuration_minicpm.py: v_head_dim = hidden_size / num_attention_heads).
"""

import math
from collections.abc import Mapping

from llmzh.estimate.arch import (
    Arch,
    AttentionKind,
    Block,
    EstimateError,
    Experts,
    LatentAttention,
    LinearAttention,
    QuantConfig,
    _block_small,
    _matrices,
)

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
    # transformers-native families added for 2025-2026 models (mixture of experts, latent or linear attention and
    # nested multimodal configs are read from their own keys below).
    "qwen2_moe": ("qwen2", False),
    "qwen3_moe": ("qwen3", False),
    "qwen3_next": ("qwen3_next", False),
    "qwen3_5_text": ("qwen3_next", False),
    "qwen3_5_moe_text": ("qwen3_next", False),
    "qwen2_vl": ("qwen2", False),
    "qwen2_5_vl": ("qwen2", False),
    "qwen2_5_vl_text": ("qwen2", False),
    "qwen3_vl_text": ("qwen3", False),
    "qwen3_vl_moe_text": ("qwen3", False),
    "deepseek_v2": ("deepseek_v2", False),
    "deepseek_v3": ("deepseek_v2", False),
    "minicpm3": ("minicpm3", True),
}

# Largest value any published model uses, with headroom; anything above is a broken or hostile config, refused in
# one line before any loop runs over it (a 1e30-layer config would otherwise never finish pricing its GGUF mix).
_BOUNDS: dict[str, int] = {
    "layers": 1_024,
    "hidden": 1 << 17,
    "heads": 1 << 12,
    "head_dim": 1 << 12,
    "ffn": 1 << 20,
    "vocab": 1 << 23,
    "experts": 1 << 14,
    "positions": 1 << 27,
    "rank": 1 << 16,
    "other": 1 << 24,
}
_KEY_BOUND: dict[str, str] = {
    "num_hidden_layers": "layers",
    "num_layers": "layers",
    "n_layer": "layers",
    "depth": "layers",
    "mtp_num_hidden_layers": "layers",
    "num_nextn_predict_layers": "layers",
    "hidden_size": "hidden",
    "n_embd": "hidden",
    "n_embed": "hidden",
    "d_model": "hidden",
    "out_hidden_size": "hidden",
    "num_attention_heads": "heads",
    "n_head": "heads",
    "num_heads": "heads",
    "num_key_value_heads": "heads",
    "multi_query_group_num": "heads",
    "linear_num_key_heads": "heads",
    "linear_num_value_heads": "heads",
    "head_dim": "head_dim",
    "kv_channels": "head_dim",
    "linear_key_head_dim": "head_dim",
    "linear_value_head_dim": "head_dim",
    "qk_nope_head_dim": "head_dim",
    "qk_rope_head_dim": "head_dim",
    "v_head_dim": "head_dim",
    "intermediate_size": "ffn",
    "ffn_hidden_size": "ffn",
    "inner_hidden_size": "ffn",
    "moe_intermediate_size": "ffn",
    "shared_expert_intermediate_size": "ffn",
    "vocab_size": "vocab",
    "padded_vocab_size": "vocab",
    "num_experts": "experts",
    "n_routed_experts": "experts",
    "num_local_experts": "experts",
    "moe_num_experts": "experts",
    "num_experts_per_tok": "experts",
    "moe_k": "experts",
    "n_shared_experts": "experts",
    "max_position_embeddings": "positions",
    "seq_length": "positions",
    "max_sequence_length": "positions",
    "model_max_length": "positions",
    "sliding_window": "positions",
    "kv_lora_rank": "rank",
    "q_lora_rank": "rank",
}


class _Reader:
    """Typed, bounded access to a config mapping; errors name the key and the family being read."""

    def __init__(self, config: Mapping[str, object], family: str) -> None:
        self.config = config
        self.family = family

    def has(self, key: str) -> bool:
        return self.config.get(key) is not None

    def count(self, *keys: str, default: int | None = None) -> int:
        """The first of ``keys`` present, as a positive whole number no larger than any real model's."""
        for key in keys:
            value = self.config.get(key)
            if value is None:
                continue
            return self._number(key, value)
        if default is not None:
            return default
        names = " or ".join(f"'{k}'" for k in keys)
        raise EstimateError(f"{self.family} config is missing {names}")

    def _number(self, key: str, value: object) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value != int(value)
            or value <= 0
        ):
            raise EstimateError(f"{self.family} config: '{key}' must be a positive whole number, got {value!r}")
        limit = _BOUNDS[_KEY_BOUND.get(key, "other")]
        if value > limit:
            raise EstimateError(f"{self.family} config: '{key}' = {value!r} is beyond any real model (at most {limit})")
        return int(value)

    def optional(self, key: str) -> int:
        """A count that may be absent, null or 0 (q_lora_rank, first_k_dense_replace): 0 then."""
        value = self.config.get(key)
        return 0 if value is None or value == 0 else self._number(key, value)

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

    def strings(self, key: str) -> tuple[str, ...] | None:
        value = self.config.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise EstimateError(f"{self.family} config: '{key}' must be a list of names")
        return tuple(value)

    def mapping(self, key: str) -> Mapping[str, object] | None:
        value = self.config.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise EstimateError(f"{self.family} config: '{key}' must be an object")
        return value


_NESTED_TEXT = ("text_config", "llm_config", "language_config")


def arch_from_config(config: Mapping[str, object]) -> Arch:
    """Normalise a config.json mapping into an ``Arch``, reading each family's own key names.

    A multimodal wrapper (``text_config`` + ``vision_config``) is read from its text model, with the outer keys as
    defaults; the vision tower's and multi-token-prediction layers' parameters go to ``Arch.extra_params`` (named in
    ``Arch.counted``). A ``model_type`` the estimator has no reader for is read LLaMA-style from the standard keys,
    with a warning in ``Arch.warnings``; a config without model_type is read LLaMA-style as family "unknown" (see
    ``_CODE``). Raises ``EstimateError`` naming the missing or out-of-range key.
    """
    model_type = config.get("model_type")
    if model_type is not None and (not isinstance(model_type, str) or not model_type):
        raise EstimateError(f"config: 'model_type' must be a name, got {model_type!r}")
    outer = _Reader(config, model_type or "(no model_type)")
    text: Mapping[str, object] = config
    for key in _NESTED_TEXT:
        nested = outer.mapping(key)
        if nested is not None:
            inner = {k: v for k, v in config.items() if k not in (*_NESTED_TEXT, "vision_config", "model_type")}
            text = {**inner, **nested}
            break
    vision = outer.mapping("vision_config")
    text_type = text.get("model_type", model_type)
    if text_type is not None and (not isinstance(text_type, str) or not text_type):
        raise EstimateError(f"config: 'model_type' must be a name, got {text_type!r}")
    arch = _text_arch(text, text_type)
    extra, counted = 0, list(arch.counted)
    if vision is not None:
        tower = _vision_params(vision, f"{model_type} vision_config")
        extra += tower
        counted.append(f"vision tower: {tower / 1e6:,.0f}M parameters (16-bit)")
    tr = _Reader(text, arch.model_type or "config")
    mtp = tr.optional("mtp_num_hidden_layers") or tr.optional("num_nextn_predict_layers")
    if mtp:
        layer = _mtp_layer_params(arch)
        extra += mtp * layer
        counted.append(f"{mtp} multi-token-prediction layer(s): {mtp * layer / 1e6:,.0f}M parameters")
    quant = _quant_config(outer.mapping("quantization_config") or tr.mapping("quantization_config"))
    return arch._replace(extra_params=extra, counted=tuple(counted), quant_config=quant)


def _text_arch(config: Mapping[str, object], model_type: str | None) -> Arch:
    if model_type is None:
        # Catalog entries leave model_type out when the stored config.json page did not show it. Read the standard
        # keys LLaMA-style, with transformers' PretrainedConfig default (tied embeddings) and unknown code.
        return _llama_like(config, "(no model_type)", "unknown", True)
    mt = model_type.lower()
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
    arch = _llama_like(config, mt, "unknown", False)
    return arch._replace(model_type=mt, warnings=(f"model_type {mt}: read as a LLaMA-style decoder",))


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
    layers = r.count("num_hidden_layers", "num_layers", "n_layer")
    ffn = r.count("intermediate_size", "ffn_hidden_size", "moe_intermediate_size")
    moe = _experts(r, layers, ffn)
    mla = _latent(r, model_type, hidden, heads)
    linear = _linear(r) if family == "qwen3_next" or r.has("linear_num_value_heads") else None
    layer_types = _layer_types(r, model_type, family, layers, linear is not None)
    head_dim = mla.qk_dim if mla else r.count("head_dim", default=hidden // heads)
    return Arch(
        family=family,
        model_type=model_type if family != "unknown" else "",
        layers=layers,
        hidden=hidden,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        ffn=max(moe.dense_ffn if moe.dense_layers else 0, moe.active * moe.expert_ffn + moe.shared_ffn) if moe else ffn,
        vocab=r.count("vocab_size", "padded_vocab_size"),
        tied=r.flag("shared_input_output_embedding" if open_llama else "tie_word_embeddings", tied_default),
        qkv_bias=qkv_bias,
        out_bias=out_bias,
        mlp_bias=r.flag("mlp_bias", False),
        embedding_norm=open_llama and r.flag("use_stable_embedding", True),
        qk_norm=family in ("qwen3", "qwen3_next"),
        max_positions=r.count("max_position_embeddings", "seq_length", "model_max_length", default=0) or None,
        dtype=r.text("torch_dtype") or r.text("dtype"),
        layer_types=layer_types,
        sliding_window=r.count("sliding_window", default=0) if "sliding" in layer_types else 0,
        linear=linear,
        mla=mla,
        moe=moe,
        attn_gate=r.flag("attn_output_gate", family == "qwen3_next"),
    )


def _experts(r: _Reader, layers: int, ffn: int) -> Experts | None:
    """Mixture of experts, from Qwen-MoE's ``num_experts`` / ``moe_intermediate_size`` /
    ``shared_expert_intermediate_size`` / ``mlp_only_layers`` / ``decoder_sparse_step``, DeepSeek's
    ``n_routed_experts`` / ``n_shared_experts`` / ``first_k_dense_replace``, Mixtral's ``num_local_experts`` and
    ERNIE-4.5's ``moe_num_experts`` / ``moe_k`` / ``moe_num_shared_experts`` / ``moe_layer_start_index``."""
    experts = 0
    for key in ("num_experts", "n_routed_experts", "num_local_experts", "moe_num_experts"):
        if r.config.get(key):
            experts = r.count(key)
            break
    if not experts:
        return None
    active = r.count("num_experts_per_tok", "moe_k", "moe_topk", "top_k")
    if active > experts:
        raise EstimateError(f"{r.family} config: {active} experts per token exceed the {experts} experts")
    expert_ffn = r.count("moe_intermediate_size", default=ffn)
    shared_gate = r.has("shared_expert_intermediate_size")
    shared = r.optional("shared_expert_intermediate_size")
    if not shared:
        shared = expert_ffn * (r.optional("n_shared_experts") or r.optional("moe_num_shared_experts"))
    dense = r.optional("first_k_dense_replace") or r.optional("moe_layer_start_index")
    only = r.config.get("mlp_only_layers")
    if isinstance(only, list) and only:
        dense = len(only)
    step = r.optional("decoder_sparse_step")
    if step > 1:
        dense = layers - layers // step
    return Experts(
        experts=experts,
        active=active,
        expert_ffn=expert_ffn,
        shared_ffn=shared,
        shared_gate=shared_gate and shared > 0,
        dense_layers=min(dense, layers),
        dense_ffn=r.count("intermediate_size", "ffn_hidden_size", default=expert_ffn),
    )


def _latent(r: _Reader, model_type: str, hidden: int, heads: int) -> LatentAttention | None:
    """Multi-head latent attention (DeepSeek-V2/V3 ``kv_lora_rank`` ...; MiniCPM3 leaves out ``v_head_dim``, which
    its modelling file sets to hidden_size / num_attention_heads). vLLM's deepseek_v2.py and llama.cpp's deepseek2
    graph cache the latent (kv_lora_rank + qk_rope_head_dim per token and layer); vLLM's minicpm3.py and llama.cpp's
    minicpm3 graph decompress keys and values before the cache, as transformers does for both."""
    if not r.config.get("kv_lora_rank"):
        return None
    return LatentAttention(
        q_lora_rank=r.optional("q_lora_rank"),
        kv_lora_rank=r.count("kv_lora_rank"),
        nope_dim=r.count("qk_nope_head_dim"),
        rope_dim=r.count("qk_rope_head_dim"),
        v_dim=r.count("v_head_dim", default=hidden // heads),
        latent_cached=model_type != "minicpm3",
    )


def _linear(r: _Reader) -> LinearAttention:
    """Gated-delta-net layers of Qwen3-Next / Qwen3.5 (``linear_*`` keys, ``mamba_ssm_dtype``)."""
    return LinearAttention(
        key_heads=r.count("linear_num_key_heads"),
        value_heads=r.count("linear_num_value_heads"),
        key_dim=r.count("linear_key_head_dim"),
        value_dim=r.count("linear_value_head_dim"),
        conv_kernel=r.count("linear_conv_kernel_dim"),
        state_dtype=r.text("mamba_ssm_dtype"),
    )


_LAYER_TYPE: dict[str, AttentionKind] = {
    "full_attention": "full",
    "attention": "full",
    "linear_attention": "linear",
    "sliding_attention": "sliding",
}


def _layer_types(r: _Reader, model_type: str, family: str, layers: int, linear: bool) -> tuple[AttentionKind, ...]:
    """Each layer's attention: config's ``layer_types`` (Qwen3.5, Qwen3-Next, Gemma-2/3 style), else Qwen3-Next's
    ``full_attention_interval`` (every n-th layer full, the others linear), Qwen2's ``use_sliding_window`` from
    ``max_window_layers`` on, or Mistral's ``sliding_window`` on every layer. () = all full attention."""
    names = r.strings("layer_types")
    if names is not None:
        if len(names) != layers:
            raise EstimateError(f"{r.family} config: 'layer_types' lists {len(names)} layers, not {layers}")
        unknown = sorted({n for n in names if n not in _LAYER_TYPE})
        if unknown:
            raise EstimateError(f"{r.family} config: unknown layer type {unknown[0]!r} in 'layer_types'")
        kinds = tuple(_LAYER_TYPE[n] for n in names)
        if "linear" in kinds and not linear:
            # Without them a linear layer would be priced as attention with no cache: an under-estimate.
            raise EstimateError(
                f"{r.family} config: 'layer_types' lists linear_attention layers but not their "
                "'linear_num_value_heads' and other linear_* keys"
            )
        return () if all(k == "full" for k in kinds) else kinds
    if linear:
        every = r.count("full_attention_interval")
        return tuple(_kind(i % every == every - 1, "full", "linear") for i in range(layers))
    if family == "qwen2" and r.flag("use_sliding_window", False) and r.has("sliding_window"):
        start = r.count("max_window_layers", default=0)
        return tuple(_kind(i >= start, "sliding", "full") for i in range(layers))
    if model_type == "mistral" and r.has("sliding_window"):
        return tuple(_kind(True, "sliding", "full") for _ in range(layers))
    return ()


def _kind(condition: bool, yes: AttentionKind, no: AttentionKind) -> AttentionKind:
    return yes if condition else no


def _vision_params(config: Mapping[str, object], name: str) -> int:
    """Parameters of a Qwen-VL-style vision tower (Qwen2-VL, Qwen2.5-VL, Qwen3-VL, Qwen3.5 ``vision_config``):
    a Conv3d patch embedding (in_channels x temporal_patch_size x patch_size^2 -> hidden), learned position
    embeddings where ``num_position_embeddings`` is given, ``depth`` blocks of fused qkv + proj (with biases) and an
    MLP (gated with SiLU in Qwen2.5-VL, GELU otherwise), and a merger of spatial_merge_size^2 patches into
    ``out_hidden_size`` (one more per ``deepstack_visual_indexes`` entry in Qwen3-VL). Other towers with these
    standard keys are read the same way; the count is reported in ``Arch.counted``."""
    r = _Reader(config, name)
    depth = r.count("depth", "num_hidden_layers")
    # Qwen2-VL names the tower's width embed_dim and its output (the LLM's width) hidden_size; later towers name
    # them hidden_size and out_hidden_size.
    qwen2_vl = r.has("embed_dim")
    h = r.count("embed_dim" if qwen2_vl else "hidden_size")
    mlp_ratio = config.get("mlp_ratio")
    ratio_ffn = int(h * mlp_ratio) if isinstance(mlp_ratio, int | float) and 0 < mlp_ratio < 64 else 4 * h
    ffn = r.count("intermediate_size", default=ratio_ffn)
    out = r.count("hidden_size" if qwen2_vl else "out_hidden_size", default=h)
    patch = r.count("patch_size", default=14)
    temporal = r.count("temporal_patch_size", default=1)
    channels = r.count("in_channels", "in_chans", default=3)
    merge = r.count("spatial_merge_size", default=1)
    gated = r.text("hidden_act") == "silu"
    mlp = 3 * h * ffn + 2 * ffn + h if gated else 2 * h * ffn + ffn + h
    norms = 2 * h if gated else 4 * h
    block = 4 * h * h + 4 * h + mlp + norms
    merged = h * merge * merge
    projection = merged * merged + merged + merged * out + out
    # the merger normalises the h-wide patches first: Qwen2.5-VL's RMSNorm, Qwen2-VL's and Qwen3-VL's LayerNorm;
    # Qwen3-VL's deepstack mergers normalise after merging (LayerNorm of h x merge^2)
    merger = projection + (h if gated else 2 * h)
    deepstack = config.get("deepstack_visual_indexes")
    deepstack_mergers = len(deepstack) if isinstance(deepstack, list) else 0
    positions = r.optional("num_position_embeddings")
    # the patch embedding's Conv3d has a bias only in Qwen3-VL (the tower with learned position embeddings)
    embed = channels * temporal * patch * patch * h + (h if positions else 0) + positions * h
    return embed + depth * block + merger + deepstack_mergers * (projection + 2 * merged)


def _mtp_layer_params(arch: Arch) -> int:
    """One multi-token-prediction module (Qwen3-Next/Qwen3.5 ``mtp.*``, DeepSeek-V3 layer 61): a full-attention
    decoder layer, a 2 x hidden -> hidden projection and three norms; it shares the embedding and LM head."""
    block = Block("full", arch.moe is not None)
    layer = sum(m.params for m in _matrices(arch, block)) + _block_small(arch, block)
    return layer + 2 * arch.hidden * arch.hidden + 3 * arch.hidden


def _quant_config(qc: Mapping[str, object] | None) -> QuantConfig | None:
    """config.json's ``quantization_config``: AutoAWQ / AutoGPTQ (``bits`` or ``w_bit``, ``group_size`` or
    ``q_group_size``, -1 = per channel, ``modules_to_not_convert``), FP8 (``weight_block_size``, ``ignored_layers``
    or ``modules_to_not_convert``) and compressed-tensors FP8 (``config_groups.*.weights`` num_bits 8, type float,
    ``block_structure``, ``ignore``). Other methods: None (the level's generic pricing applies)."""
    if qc is None:
        return None
    method = str(qc.get("quant_method", "")).lower()
    r = _Reader(qc, "quantization_config")
    skip = tuple(str(n) for key in ("modules_to_not_convert", "ignored_layers", "ignore") for n in _names(qc.get(key)))
    if method in ("awq", "gptq"):
        bits = r.count("bits", "w_bit", default=4)
        group = qc.get("group_size", qc.get("q_group_size", 128))
        size = 0 if group == -1 else r.count("group_size", "q_group_size", default=128)
        return QuantConfig(method, bits, size, skip)
    if method == "fp8":
        return QuantConfig("fp8", 8, 0, skip, _block(r, qc.get("weight_block_size")))
    if method == "compressed-tensors":
        groups = qc.get("config_groups")
        if isinstance(groups, Mapping):
            for group_config in groups.values():
                weights = group_config.get("weights") if isinstance(group_config, Mapping) else None
                if isinstance(weights, Mapping) and weights.get("type") == "float" and weights.get("num_bits") == 8:
                    return QuantConfig("fp8", 8, 0, skip, _block(r, weights.get("block_structure")))
    return None


def _names(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _block(r: _Reader, value: object) -> tuple[int, int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise EstimateError("quantization_config: a weight block size must be two numbers, e.g. [128, 128]")
    return (r._number("weight_block_size", value[0]), r._number("weight_block_size", value[1]))


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
