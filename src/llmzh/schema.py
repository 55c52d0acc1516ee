"""Typed, frozen records of the catalog: projects, models, variants and their sourced facts. No I/O.

Records are `typing.NamedTuple`s rather than frozen dataclasses: they are as typed and immutable, but a class
costs about 0.2 ms to create instead of 1.2 ms, and `llmzh list` must start within 30 % of bare
`import typer, rich.table, yaml` (bench/startup.py). For the same reason annotations are evaluated eagerly
(no `from __future__ import annotations`): string annotations cost a `compile()` each in NamedTuple.
"""

import enum
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

Lang = Literal["zh", "en"]


class Quant(enum.StrEnum):
    """Precision / quantization levels a variant can be published or run at."""

    FP32 = "fp32"
    FP16 = "fp16"
    BF16 = "bf16"
    FP8 = "fp8"
    INT8 = "int8"
    INT4 = "int4"
    INT4_QE = "int4-qe"
    GPTQ_INT8 = "gptq-int8"
    GPTQ_INT4 = "gptq-int4"
    AWQ = "awq"
    BNB_INT8 = "bnb-int8"
    BNB_NF4 = "bnb-nf4"
    BNB_FP4 = "bnb-fp4"  # bitsandbytes load_in_4bit without bnb_4bit_quant_type: FP4, the library default
    GGML_Q4_0 = "ggml-q4_0"
    Q8_0 = "q8_0"
    Q6_K = "q6_k"
    Q5_K_M = "q5_k_m"
    Q4_K_M = "q4_k_m"
    Q4_0 = "q4_0"
    Q3_K_M = "q3_k_m"
    Q2_K = "q2_k"


class Format(enum.StrEnum):
    """What a repository holds: runnable weights, or something to combine with base weights."""

    FULL = "full"
    LORA = "lora"
    DELTA = "delta"
    GGML = "ggml"
    GGUF = "gguf"


class Commercial(enum.StrEnum):
    """Whether the weight licence allows commercial use."""

    FREE = "free"
    REGISTRATION = "registration"
    RESEARCH_ONLY = "research-only"
    UNKNOWN = "unknown"


class Unit(enum.StrEnum):
    """A memory unit exactly as a source prints it."""

    GB = "GB"
    GIB = "GiB"
    G = "G"
    MB = "MB"
    MIB = "MiB"


# What each printed unit means, in bytes. The sources in the catalog measure with torch.cuda
# (`max_memory_allocated() / 1024**3`) or nvidia-smi (MiB), so their "GB", "G" and "MB" count in 1024s; where the
# weights alone rule a decimal reading out, that is checked (README, "Units"). Change this table, nothing else.
UNIT_BYTES: dict[Unit, int] = {
    Unit.GB: 1 << 30,
    Unit.GIB: 1 << 30,
    Unit.G: 1 << 30,
    Unit.MB: 1 << 20,
    Unit.MIB: 1 << 20,
}
GIB = 1 << 30


def to_gib(value: float, unit: Unit) -> float:
    """The one conversion of a published memory figure into GiB, the unit llmzh computes and prints in."""
    return value * UNIT_BYTES[unit] / GIB


class Device(enum.StrEnum):
    GPU = "gpu"
    CPU = "cpu"


class FigureKind(enum.StrEnum):
    """How the source frames a memory figure."""

    MIN = "min"  # 最低 / minimum / requirement
    PEAK = "peak"  # measured peak or usage in a run
    APPROX = "approx"  # 约 / 大概 / about
    NOMINAL = "nominal"  # a size label such as "7B", not a parameter count
    WEIGHTS = "weights"  # memory of the weights alone, not what running the model needs
    ESTIMATED = "estimated"  # not published: computed by llmzh from the architecture block (shown with ≈)


class Text(NamedTuple):
    """A label in Chinese and English (a plain YAML string fills both)."""

    zh: str
    en: str

    def get(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


class Figure(NamedTuple):
    """A published number with its source and the conditions it was measured under."""

    value: float
    source: str | None = None
    condition: Text | None = None
    kind: FigureKind | None = None
    ctx: int | None = None  # tokens held in context when measured, where stated
    alt: tuple["Figure", ...] = ()  # other values published for the same fact (sources disagree)


class Memory(NamedTuple):
    """A published memory figure: the source's number and unit verbatim, its source and conditions."""

    value: float
    unit: Unit
    source: str | None = None
    condition: Text | None = None
    kind: FigureKind | None = None
    ctx: int | None = None  # tokens held in context when measured, where stated
    alt: tuple["Memory", ...] = ()  # other values published for the same fact (sources disagree)

    @property
    def gib(self) -> float:
        return to_gib(self.value, self.unit)


class Dated(NamedTuple):
    value: str  # YYYY-MM-DD or YYYY-MM
    source: str | None = None


BENCHMARKS = (
    "C-Eval",
    "CMMLU",
    "MMLU",
    "MMLU-Pro",
    "MMLU-Redux",
    "GPQA-Diamond",
    "GSM8K",
    "MATH",
    "MATH-500",
    "AIME24",
    "AIME25",
    "HumanEval",
    "MBPP",
    "LiveCodeBench",
    "LiveBench",
    "IFEval",
    "Arena-Hard",
    "BBH",
)
"""Canonical benchmark names: a score is compared with another only under the same name."""

DEVELOPER = "developer"

TASKS = ("chat", "reasoning", "code", "math", "vision", "long-context", "medical", "legal", "agent", "embedding")
"""What a model is for, from its card. A model with no task is a base model, pretrained for fine-tuning."""


class Benchmark(NamedTuple):
    """A published benchmark score, with the setting it was taken in and who measured it."""

    name: str  # one of BENCHMARKS
    value: float
    setting: str | None = None  # e.g. "5-shot, val"
    source: str | None = None
    evaluator: str = DEVELOPER  # "developer", or the third party's name (e.g. "OpenCompass")


class Ollama(NamedTuple):
    """An official Ollama library tag for a variant."""

    tag: str
    source: str | None = None


class ModelScopeRepo(NamedTuple):
    """The ModelScope repo holding a variant's own weights (a quantized repo), where a source shows it there."""

    repo: str
    source: str  # the page or README that names this ModelScope repo


class Link(NamedTuple):
    name: Text
    url: str | None = None


class Paper(NamedTuple):
    title: str
    venue: str | None = None
    url: str | None = None


class Note(NamedTuple):
    """A caveat worth showing: a discrepancy between sources, a renamed repo, a known error of the seed."""

    text: Text
    source: str | None = None


class License(NamedTuple):
    commercial: Commercial
    code: str | None = None
    code_url: str | None = None
    weights: str | None = None
    weights_url: str | None = None
    condition: Text | None = None
    hub_tag: str | None = None  # the licence tag the Hub repo is expected to carry
    source: str | None = None


class BaseWeights(NamedTuple):
    """The weights an adapter or delta must be combined with."""

    name: Text
    repo: str | None = None  # Hub repo the project's scripts name
    model: str | None = None  # catalog model id, where the base is in the catalog
    license: License | None = None
    alternatives: tuple[str, ...] = ()  # other Hub repos with the same base weights
    note: Text | None = None
    source: str | None = None


class Architecture(NamedTuple):
    """Config facts as they appear in the model's config.json, read by the estimator."""

    config: Mapping[str, Any]  # config.json as published: nested mappings (text_config) and lists kept
    source: str | None = None
    note: Text | None = None  # provenance when the source is not the model's own config.json


class Variant(NamedTuple):
    """One precision / quantization of a model, with its resource figures."""

    id: str
    quant: Quant
    repo: str | None = None  # Hub repo holding these weights
    quantize_from: str | None = None  # variant id whose weights are quantized at load time
    load_code: str | None = None  # the line that loads / quantizes it
    format: Format | None = None  # overrides the model's format
    device: Device = Device.GPU
    files: tuple[str, ...] = ()  # include patterns within a repo holding several levels (GGUF)
    vram_gb: Memory | None = None
    finetune_vram_gb: Memory | None = None
    ram_gb: Memory | None = None
    also_at: tuple[str, ...] = ()  # other Hub ids of the same weights (renamed repos)
    ollama: Ollama | None = None
    modelscope: ModelScopeRepo | None = None  # the model's `modelscope` id names its default weights only
    quantization_config: Mapping[str, Any] | None = None  # verbatim from the repo's config.json where it differs
    note: Text | None = None
    source: str | None = None  # where the repo id is published


class Model(NamedTuple):
    """One size or fine-tune of a project."""

    id: str
    name: Text
    format: Format
    variants: tuple[Variant, ...]
    params_b: Figure | None = None  # total parameters, in billions (MoE: all experts)
    active_params_b: Figure | None = None  # MoE: parameters active per token
    context_length: Figure | None = None  # native (trained) context
    max_context: Figure | None = None  # longest supported, with the method in `condition` (e.g. YaRN factor 4)
    release_date: Dated | None = None
    base_weights: BaseWeights | None = None
    architecture: Architecture | None = None
    benchmarks: tuple[Benchmark, ...] = ()
    modelscope: str | None = None
    license: License | None = None  # overrides the project's licence (per-size terms)
    description: Text | None = None
    instruction_data: tuple[Link, ...] = ()
    tasks: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # names people type
    multimodal: bool = False  # a vision or audio tower, as the card says
    notes: tuple[Note, ...] = ()

    def benchmark(self, name: str) -> Benchmark | None:
        """The developer's own score under a canonical name, else the first third party's."""
        found = [b for b in self.benchmarks if b.name == name]
        return next((b for b in found if b.evaluator == DEVELOPER), found[0] if found else None)

    @property
    def longest_context(self) -> int | None:
        """The longest context the model supports: `max_context`, else the native length."""
        figure = self.max_context or self.context_length
        return int(figure.value) if figure is not None else None


class Project(NamedTuple):
    """A project as the founding document describes it: who, what, with which data, under which licence."""

    id: str
    name: Text
    description: Text
    license: License
    models: tuple[Model, ...]
    aliases: tuple[str, ...] = ()  # names people type: 通义千问, 千问, Qwen
    developers: tuple[Text, ...] = ()
    papers: tuple[Paper, ...] = ()
    url: str | None = None
    base_model: Text | None = None
    # For these three, an empty list means "none" and a missing key means "not published".
    pretraining_data: tuple[Link, ...] | None = None
    instruction_data: tuple[Link, ...] | None = None
    extra_training: tuple[Text, ...] | None = None
    highlights: Text | None = None
    demos: tuple[Text, ...] = ()
    downloads: tuple[Link, ...] = ()
    founding: bool = False  # one of the five projects of the founding document
    sources: tuple[str, ...] = ()
    notes: tuple[Note, ...] = ()


class Entry(NamedTuple):
    """A variant with the model and project it belongs to: one row of `llmzh list`."""

    project: Project
    model: Model
    variant: Variant

    @property
    def license(self) -> License:
        return self.model.license or self.project.license

    @property
    def format(self) -> Format:
        return self.variant.format or self.model.format


class Catalog(NamedTuple):
    projects: tuple[Project, ...]
    path: str

    def entries(self) -> tuple[Entry, ...]:
        return tuple(
            Entry(project, model, variant)
            for project in self.projects
            for model in project.models
            for variant in model.variants
        )


RECORD_TYPES = (
    Text,
    Figure,
    Memory,
    Dated,
    Benchmark,
    Ollama,
    ModelScopeRepo,
    Link,
    Paper,
    Note,
    License,
    BaseWeights,
    Architecture,
    Variant,
    Model,
    Project,
    Catalog,
)
