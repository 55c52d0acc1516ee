"""Pure filtering and sorting of catalog rows, and the memory each row needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal, NamedTuple

from llmzh.schema import Catalog, Commercial, Device, Entry, FigureKind, Format, Memory, Quant

VramSource = Literal["published", "estimated"]
SortKey = Literal["vram", "name", "params", "score", "downloads", "likes", "size"]
COMMERCIAL_OK = (Commercial.FREE, Commercial.REGISTRATION)
# A published figure that does not state its context is taken to have been measured at this many tokens; it is
# also the context a listing assumes when the user gives none.
UNSTATED_FIGURE_CTX = 2048
COMPARABLE_CTX_RATIO = 4


_Q = Quant
_FOUR_BIT = frozenset(
    {_Q.INT4, _Q.INT4_QE, _Q.GPTQ_INT4, _Q.AWQ, _Q.BNB_NF4, _Q.BNB_FP4, _Q.GGML_Q4_0, _Q.Q4_K_M, _Q.Q4_0}
)
_EIGHT_BIT_INT = frozenset({_Q.INT8, _Q.GPTQ_INT8, _Q.BNB_INT8, _Q.Q8_0})
# Words people filter by, each standing for every level it covers; an exact level is itself, `=LEVEL` only itself
# (so ChatGLM's own INT4 stays selectable: `--quant =int4`).
QUANT_FAMILIES: dict[str, frozenset[Quant]] = {
    "int4": _FOUR_BIT,
    "4bit": _FOUR_BIT,
    "int8": _EIGHT_BIT_INT,
    "8bit": _EIGHT_BIT_INT | {_Q.FP8},
    "16bit": frozenset({_Q.FP16, _Q.BF16}),
    "gguf": frozenset({_Q.Q8_0, _Q.Q6_K, _Q.Q5_K_M, _Q.Q4_K_M, _Q.Q4_0, _Q.Q3_K_M, _Q.Q2_K}),
    "ggml": frozenset({_Q.GGML_Q4_0}),
    "gptq": frozenset({_Q.GPTQ_INT4, _Q.GPTQ_INT8}),
    "bnb": frozenset({_Q.BNB_INT8, _Q.BNB_NF4, _Q.BNB_FP4}),
    "q8": frozenset({_Q.Q8_0}),
    "q6": frozenset({_Q.Q6_K}),
    "q5": frozenset({_Q.Q5_K_M}),
    "q4": frozenset({_Q.Q4_K_M, _Q.Q4_0, _Q.GGML_Q4_0}),
    "q3": frozenset({_Q.Q3_K_M}),
    "q2": frozenset({_Q.Q2_K}),
}


def quant_words() -> list[str]:
    """Every word `--quant` accepts, families first."""
    return [*QUANT_FAMILIES, *(q.value for q in Quant if q.value not in QUANT_FAMILIES)]


def quant_family(word: str) -> frozenset[Quant] | None:
    """The levels a `--quant` word covers ("4-bit", "INT4" and "int4" alike); None for an unknown word."""
    text = word.strip().lower().replace(" ", "")
    if text.startswith("="):
        exact = text[1:]
        return frozenset({Quant(exact)}) if exact in Quant._value2member_map_ else None
    text = text.replace("-bit", "bit")
    if text in QUANT_FAMILIES:
        return QUANT_FAMILIES[text]
    return frozenset({Quant(text)}) if text in Quant._value2member_map_ else None


class Need(NamedTuple):
    """Memory a row needs, in GB (GiB: 2**30 bytes), and where the number comes from (None when unknown)."""

    gb: float | None = None
    source: VramSource | None = None
    figure: Memory | None = None

    @classmethod
    def published(cls, figure: Memory | None) -> Need:
        return cls(figure.gib, "published", figure) if figure is not None else cls()


# What an estimate is for: GPU inference, GPU fine-tuning, or RAM for CPU inference.
Purpose = Literal["inference", "finetune", "ram"]
# Given an entry and a purpose, return an estimated need in GB or None.
Estimator = Callable[[Entry, Purpose], float | None]


class Row(NamedTuple):
    entry: Entry
    vram: Need
    finetune_vram: Need
    ram: Need

    @property
    def id(self) -> str:
        return self.entry.variant.id

    def need(self, *, finetune: bool) -> Need:
        return self.finetune_vram if finetune else self.vram


class Filters(NamedTuple):
    vram_gb: float | None = None
    finetune: bool = False
    ram_gb: float | None = None
    cpu: bool = False
    quants: frozenset[Quant] = frozenset()
    license: str | None = None
    commercial: bool = False
    base: str | None = None
    search: str | None = None
    ctx: int | None = None  # tokens of context the user wants; published figures hold for theirs only

    @property
    def limits_memory(self) -> bool:
        return self.vram_gb is not None or self.ram_gb is not None


class Selection(NamedTuple):
    rows: tuple[Row, ...]  # what passes every filter
    unknown: tuple[Row, ...]  # passes every filter but the memory limit, whose figure is unknown
    misses: tuple[Row, ...]  # passes every filter but needs more memory than the limit

    def nearest_miss(self, *, finetune: bool, ram: bool) -> Row | None:
        def gb(row: Row) -> float:
            need = row.ram if ram else row.need(finetune=finetune)
            return need.gb if need.gb is not None else float("inf")

        return min(self.misses, key=gb, default=None)


def runs_on_cpu(entry: Entry) -> bool:
    """CPU inference: a CPU mode the project publishes, or a llama.cpp (GGML/GGUF) file."""
    return entry.variant.device is Device.CPU or entry.format in (Format.GGML, Format.GGUF)


def comparable(figure: Memory, ctx: int) -> bool:
    """A published figure holds for `ctx` tokens if it was taken at a context at least that long, but not so much
    longer that it would grossly overstate the need (a 200K-token measurement says little about 2K). Figures of the
    weights alone never hold."""
    if figure.kind is FigureKind.WEIGHTS:
        return False
    measured = figure.ctx or UNSTATED_FIGURE_CTX
    return ctx <= measured <= COMPARABLE_CTX_RATIO * ctx


def make_row(entry: Entry, *, ctx: int | None = None, estimator: Estimator | None = None) -> Row:
    """Published figures where the catalog has them for comparable conditions, else the estimator's."""
    variant = entry.variant
    wanted = ctx or UNSTATED_FIGURE_CTX

    def pick(figure: Memory | None, purpose: Purpose) -> Need:
        if figure is not None and (purpose != "inference" or comparable(figure, wanted)):
            return Need.published(figure)
        if estimator is not None:
            estimate = estimator(entry, purpose)
            if estimate is not None:
                return Need(estimate, "estimated")
        return Need()

    gpu = variant.device is Device.GPU
    return Row(
        entry=entry,
        vram=pick(variant.vram_gb, "inference") if gpu else Need(),
        finetune_vram=pick(variant.finetune_vram_gb, "finetune") if gpu else Need(),
        ram=pick(variant.ram_gb, "ram") if runs_on_cpu(entry) else Need.published(variant.ram_gb),
    )


def fits_context(entry: Entry, ctx: int | None) -> bool:
    """Whether the model supports `ctx` tokens: its `max_context` (YaRN and the like), else its native length.
    A model whose context the catalog does not know is not ruled out."""
    longest = entry.model.longest_context
    return ctx is None or longest is None or ctx <= longest


def _haystack(entry: Entry) -> str:
    project, model, variant = entry.project, entry.model, entry.variant
    parts: list[str] = [project.id, model.id, variant.id]
    for text in (project.name, model.name, project.description, model.description, project.highlights):
        if text is not None:
            parts += [text.zh, text.en]
    return "\n".join(parts).casefold()


def _license_text(entry: Entry) -> str:
    lic = entry.license
    return " ".join(x for x in (lic.code, lic.weights, lic.hub_tag, lic.commercial.value) if x).casefold()


def _base_text(entry: Entry) -> str:
    parts: list[str] = []
    if entry.project.base_model is not None:
        parts += [entry.project.base_model.zh, entry.project.base_model.en]
    base = entry.model.base_weights
    if base is not None:
        parts += [base.name.zh, base.name.en, base.repo or "", base.model or "", *base.alternatives]
    return " ".join(parts).casefold()


def _passes_non_memory(entry: Entry, f: Filters) -> bool:
    if f.quants and entry.variant.quant not in f.quants:
        return False
    if f.commercial and entry.license.commercial not in COMMERCIAL_OK:
        return False
    if f.license and f.license.casefold() not in _license_text(entry):
        return False
    if f.base and f.base.casefold() not in _base_text(entry):
        return False
    if f.search and f.search.casefold() not in _haystack(entry):
        return False
    if (f.cpu or f.ram_gb is not None) and not runs_on_cpu(entry):
        return False
    return fits_context(entry, f.ctx)


def select(
    catalog: Catalog,
    filters: Filters,
    *,
    estimator: Estimator | None = None,
) -> Selection:
    """Apply the filters; rows with an unknown figure never count as fitting a memory limit."""
    rows: list[Row] = []
    unknown: list[Row] = []
    misses: list[Row] = []
    for entry in catalog.entries():
        if not _passes_non_memory(entry, filters):
            continue
        row = make_row(entry, ctx=filters.ctx, estimator=estimator)
        if filters.vram_gb is not None:
            if entry.variant.device is not Device.GPU:
                continue
            need = row.need(finetune=filters.finetune)
            if need.gb is None:
                unknown.append(row)
                continue
            if need.gb > filters.vram_gb:
                misses.append(row)
                continue
        if filters.ram_gb is not None:
            if row.ram.gb is None:
                unknown.append(row)
                continue
            if row.ram.gb > filters.ram_gb:
                misses.append(row)
                continue
        rows.append(row)
    return Selection(tuple(rows), tuple(unknown), tuple(misses))


def _by_benchmarks(rows: list[Row]) -> list[Row]:
    """Strongest first on the benchmarks the listed models share (llmzh.ranking); models sharing none last."""
    from llmzh.ranking import standings

    found = standings(r.entry.model for r in rows)

    def key(row: Row) -> tuple[bool, float, str]:
        strength = found[row.entry.model.id].strength
        return (strength is None, -(strength or 0.0), row.id)

    return sorted(rows, key=key)


def sort_rows(
    rows: Iterable[Row],
    key: SortKey,
    *,
    finetune: bool = False,
    ram: bool = False,
    live: Callable[[Row, str], float | None] | None = None,
) -> list[Row]:
    """Sort rows; unknown values go last. Scores and Hub counts sort high to low, sizes low to high.

    `vram` sorts by the RAM figure instead when `ram` is set (CPU inference listings).
    """
    inf = float("inf")
    items = list(rows)
    if key == "name":
        return sorted(items, key=lambda r: r.id)
    if key == "vram":
        return sorted(items, key=lambda r: ((r.ram if ram else r.need(finetune=finetune)).gb or inf, r.id))
    if key == "params":
        return sorted(
            items,
            key=lambda r: (r.entry.model.params_b.value if r.entry.model.params_b else inf, r.id),
        )
    if key == "score":
        return _by_benchmarks(items)
    if live is None:
        return items
    if key == "size":
        return sorted(items, key=lambda r: (_or(live(r, key), inf), r.id))
    return sorted(items, key=lambda r: (-_or(live(r, key), -1.0), r.id))


def _or(value: float | None, default: float) -> float:
    return default if value is None else value
