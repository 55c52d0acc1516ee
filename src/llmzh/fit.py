"""The estimator applied to catalog variants: what `list`, `show` and `recommend` use where no published figure
holds for the user's conditions. Estimates are labelled as such everywhere they appear (≈, `estimated`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from llmzh.errors import LlmzhError
from llmzh.schema import Catalog, Device, Entry, Figure, Memory, Quant
from llmzh.select import UNSTATED_FIGURE_CTX, Estimator, Purpose, comparable

if TYPE_CHECKING:  # the estimator is imported only when an estimate must be computed (see default_estimator)
    from llmzh.estimate import Arch, FinetuneMethod

GiB = 1 << 30
PURPOSES: tuple[Purpose, ...] = ("inference", "finetune", "ram")

DEFAULT_CTX = 2048  # tokens in context when the user gives none: the length most published figures were taken at
DEFAULT_FINETUNE_SEQ = 512  # training sequence length for a fine-tuning estimate when none is given
FOUR_BIT = (Quant.BNB_NF4, Quant.BNB_FP4, Quant.GPTQ_INT4, Quant.AWQ)
CHATGLM_OWN = (Quant.INT8, Quant.INT4, Quant.INT4_QE)
DENSE = (Quant.FP32, Quant.FP16, Quant.BF16)
# Levels that quantize strictly less of the same model than a level does (fewer tensors, or more bits with the
# same method); every quantized level also quantizes more than the model's 16/32-bit weights.
_QUANTIZES_LESS: dict[Quant, tuple[Quant, ...]] = {
    Quant.INT4_QE: (Quant.INT4, Quant.INT8),
    Quant.INT4: (Quant.INT8,),
    Quant.GPTQ_INT4: (Quant.GPTQ_INT8,),
    Quant.BNB_NF4: (Quant.BNB_INT8,),
    Quant.BNB_FP4: (Quant.BNB_INT8,),
    Quant.Q2_K: (Quant.Q3_K_M, Quant.Q4_0, Quant.Q4_K_M, Quant.Q5_K_M, Quant.Q6_K, Quant.Q8_0),
    Quant.Q3_K_M: (Quant.Q4_0, Quant.Q4_K_M, Quant.Q5_K_M, Quant.Q6_K, Quant.Q8_0),
    Quant.Q4_0: (Quant.Q5_K_M, Quant.Q6_K, Quant.Q8_0),
    Quant.Q4_K_M: (Quant.Q5_K_M, Quant.Q6_K, Quant.Q8_0),
    Quant.Q5_K_M: (Quant.Q6_K, Quant.Q8_0),
    Quant.Q6_K: (Quant.Q8_0,),
}


def quantizes_less(quant: Quant) -> tuple[Quant, ...]:
    """The levels of the same model that quantize strictly less than ``quant``."""
    if quant is Quant.FP32:
        return ()
    if quant in DENSE:
        return (Quant.FP32,)
    return (*_QUANTIZES_LESS.get(quant, ()), *DENSE)


@lru_cache(maxsize=512)
def _arch(config_json: str) -> Arch | None:
    import json

    from llmzh.estimate import arch_from_config

    try:
        return arch_from_config(json.loads(config_json))
    except LlmzhError:
        return None


def model_arch(entry: Entry) -> Arch | None:
    """The architecture the estimator reads, from the catalog's config facts (None when unknown or unreadable)."""
    import json

    architecture = entry.model.architecture
    # Keyed by the config's JSON text: configs nest mappings and lists (text_config, layer_types), unhashable.
    return _arch(json.dumps(architecture.config, sort_keys=True)) if architecture is not None else None


def finetune_method(quant: Quant) -> FinetuneMethod:
    """How a variant is fine-tuned parameter-efficiently: ChatGLM's own quantized levels with P-Tuning v2 (the
    projects' documented method), 4-bit bases with QLoRA, everything else with LoRA."""
    if quant in CHATGLM_OWN:
        return "ptuning"
    return "qlora" if quant in FOUR_BIT else "lora"


def estimate_gb(entry: Entry, purpose: Purpose = "inference", *, ctx: int | None = None) -> float | None:
    """Estimated peak memory of a variant in GB (GiB), or None when it cannot be estimated.

    inference / finetune: GPU memory. ram: memory of CPU inference with llama.cpp (GGUF/GGML files), which is the
    llama.cpp estimate without the CUDA context; other CPU modes only have the projects' published figures.
    """
    from llmzh.estimate import GGUF_LEVELS, estimate_finetune, estimate_inference

    arch = model_arch(entry)
    if arch is None:
        return None
    quant = entry.variant.quant
    try:
        if purpose == "ram":
            if quant not in GGUF_LEVELS:
                return None
            est = estimate_inference(arch, quant, ctx=ctx or DEFAULT_CTX, runtime="llama.cpp")
            return (est.total_bytes - est.context_bytes) / GiB
        if entry.variant.device is not Device.GPU:
            return None
        if purpose == "finetune":
            if quant in GGUF_LEVELS:
                return None
            method = finetune_method(quant)
            seq = ctx or DEFAULT_FINETUNE_SEQ
            base = quant if quant not in (Quant.FP32, Quant.FP16, Quant.BF16) else None
            return estimate_finetune(arch, method, seq=seq, base_quant=base).total / GiB
        return estimate_inference(arch, quant, ctx=ctx or DEFAULT_CTX).total_bytes / GiB
    except LlmzhError:
        return None


class Target(NamedTuple):
    """What `llmzh estimate NAME` sizes: an architecture, the levels worth showing, and published figures."""

    name: str
    arch: Arch
    levels: tuple[Quant, ...]
    published: dict[Quant, Memory]  # the catalog's published inference figure per level, where it has one
    native_ctx: int | None = None  # the catalog model's native context, where known
    max_context: Figure | None = None  # its longest context and the method that reaches it
    repos: tuple[tuple[Quant, str], ...] = ()  # the Hub repo of each level, for the commands that run it


def catalog_target(entries: Sequence[Entry], name: str, arch: Arch) -> Target:
    """Levels: the catalog variants' own (in catalog order), or the estimator's sensible ones when it has none."""
    from llmzh.estimate import sensible_levels

    levels = tuple(dict.fromkeys(e.variant.quant for e in entries if e.variant.device is Device.GPU))
    published = {e.variant.quant: e.variant.vram_gb for e in entries if e.variant.vram_gb is not None}
    repos = tuple((e.variant.quant, e.variant.repo) for e in entries if e.variant.repo)
    model = entries[0].model
    native = int(model.context_length.value) if model.context_length else arch.max_positions
    return Target(name, arch, levels or sensible_levels(arch), published, native, model.max_context, repos)


def hub_target(repo: str, config: Mapping[str, object]) -> Target:
    from llmzh.estimate import arch_from_config, sensible_levels

    arch = arch_from_config(config)
    levels = sensible_levels(arch)
    return Target(repo, arch, levels, {}, arch.max_positions, repos=tuple((q, repo) for q in levels))


def _code_fingerprint() -> int:
    """Changes whenever the estimator's code does, so memoized estimates never outlive it."""
    import zlib

    here = Path(__file__)
    files = [here, here.with_name("select.py"), *sorted(here.with_name("estimate").glob("*.py"))]
    crc = 0
    for file in files:
        try:
            crc = zlib.crc32(file.read_bytes(), crc)
        except OSError:
            return -1
    return crc


def _anchor_to_published(catalog: Catalog, memo: dict[tuple[str, str], float | None], ctx: int | None) -> None:
    """Keep estimates consistent with the published figures shown beside them: a level that quantizes strictly
    more than a sibling with a published figure never shows more than that figure plus the estimated difference
    between the two levels (ChatGLM-6B INT4-QE, estimated ≈6.27 GB at 2048 tokens, sits beside INT4's published
    6 GB: its estimate becomes 6 + (6.27 - 6.77) GB)."""
    wanted = ctx or UNSTATED_FIGURE_CTX
    for project in catalog.projects:
        for model in project.models:
            for purpose in ("inference", "finetune"):
                # CPU modes and GGUF fine-tuning have no estimate (estimate_gb), so they neither bound nor are bounded
                shown: dict[Quant, tuple[float, float]] = {}  # quant -> (published, estimated) of published levels
                estimated: list[tuple[str, Quant, float]] = []  # variants that show their estimate
                for v in model.variants:
                    figure = v.vram_gb if purpose == "inference" else v.finetune_vram_gb
                    estimate = memo.get((v.id, purpose))
                    if estimate is None:
                        continue
                    if figure is not None and (purpose != "inference" or comparable(figure, wanted)):
                        shown[v.quant] = (figure.gib, estimate)  # what make_row shows: the published figure
                    else:
                        estimated.append((v.id, v.quant, estimate))
                for vid, quant, estimate in estimated:
                    bounds = [pub + estimate - est for q, (pub, est) in shown.items() if q in quantizes_less(quant)]
                    memo[(vid, purpose)] = min([estimate, *bounds])


def _memo_from_json(stored: object) -> dict[tuple[str, str], float | None] | None:
    """Memoized estimates read back from the cache, or None unless every item is [variant id, purpose, GB]."""
    if not isinstance(stored, list):
        return None
    memo: dict[tuple[str, str], float | None] = {}
    for item in stored:
        if not (isinstance(item, list) and len(item) == 3):
            return None
        vid, purpose, gb = item
        if not isinstance(vid, str) or purpose not in PURPOSES:
            return None
        if gb is not None and (isinstance(gb, bool) or not isinstance(gb, (int, float)) or not 0 < gb < 1e9):
            return None
        memo[(vid, purpose)] = gb
    return memo


def default_estimator(catalog: Catalog, ctx: int | None = None) -> Estimator:
    """Estimates for every variant at a context, memoized beside the cached catalog.

    Estimating the whole catalog takes longer than the rest of `llmzh list`, and the answers only change with the
    catalog file, the context or the estimator's code, which all key the memo.
    """
    from llmzh.catalog import read_memo, write_memo

    path = Path(catalog.path)
    kind, extra = f"estimates-{ctx or 'default'}", (_code_fingerprint(),)
    memo = _memo_from_json(read_memo(path, kind, extra))
    if memo is None:
        memo = {(e.variant.id, p): estimate_gb(e, p, ctx=ctx) for e in catalog.entries() for p in PURPOSES}
        _anchor_to_published(catalog, memo, ctx)
        write_memo(path, kind, [[vid, purpose, gb] for (vid, purpose), gb in memo.items()], extra)

    def estimator(entry: Entry, purpose: Purpose) -> float | None:
        key = (entry.variant.id, purpose)
        return memo[key] if key in memo else estimate_gb(entry, purpose, ctx=ctx)

    return estimator
