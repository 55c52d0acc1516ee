"""Which model to run, not only which fit: the best-fitting variant of each model, ranked by published benchmarks
compared only where two models share them (llmzh.ranking), then recency, then popularity, with the reasons as data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from llmzh.ranking import Standing, standings
from llmzh.schema import Catalog, Device, Entry, Quant
from llmzh.select import COMMERCIAL_OK, Estimator, Need, Row, fits_context, make_row, runs_on_cpu

# Headroom below which a fit is marked tight: runtimes, drivers and other programs take some memory too.
TIGHT_GB = 0.5
TIGHT_SHARE = 0.10

# Quality of a level, best first: what to prefer when several variants of a model fit.
_QUALITY = [
    (Quant.FP32, Quant.FP16, Quant.BF16),
    (Quant.FP8, Quant.Q8_0),
    (Quant.INT8, Quant.GPTQ_INT8, Quant.BNB_INT8),
    (Quant.Q6_K,),
    (Quant.Q5_K_M,),
    (Quant.AWQ, Quant.GPTQ_INT4, Quant.Q4_K_M, Quant.BNB_NF4),
    (Quant.INT4, Quant.BNB_FP4, Quant.Q4_0, Quant.GGML_Q4_0),
    (Quant.INT4_QE, Quant.Q3_K_M),
    (Quant.Q2_K,),
]
QUALITY = {quant: rank for rank, group in enumerate(_QUALITY) for quant in group}


class Pick(NamedTuple):
    """One recommended variant and why."""

    entry: Entry
    need: Need  # memory it needs, published or estimated
    budget_gb: float
    device: str  # "gpu" or "cpu" (RAM)
    ctx: int
    downloads: int | None
    standing: Standing = Standing(None, 0, 0, ())  # what its rank rests on

    @property
    def spare_gb(self) -> float:
        return self.budget_gb - (self.need.gb or 0.0)

    @property
    def tight(self) -> bool:
        return self.spare_gb < max(TIGHT_GB, TIGHT_SHARE * self.budget_gb)


def _tasks(entry: Entry) -> tuple[str, ...]:
    return entry.model.tasks


def _rank(picks: list[Pick]) -> list[Pick]:
    """By benchmark strength (models sharing no benchmark with another come after the rest), then newer, then
    more downloaded; the id keeps the order stable.

    Stable sorts from the least to the most significant key, so each key keeps its natural direction.
    """
    ranked = sorted(picks, key=lambda p: p.entry.variant.id)
    ranked.sort(key=lambda p: p.downloads or 0, reverse=True)
    ranked.sort(key=lambda p: p.entry.model.release_date.value if p.entry.model.release_date else "", reverse=True)
    ranked.sort(key=lambda p: (p.standing.strength is not None, p.standing.strength or 0.0), reverse=True)
    return ranked


def recommend(
    catalog: Catalog,
    *,
    vram_gb: float | None,
    ram_gb: float | None,
    ctx: int,
    estimator: Estimator,
    task: str | None = None,
    commercial: bool = False,
    downloads: Callable[[Entry], int | None] | None = None,
    need_of: Callable[[Entry], float | None] | None = None,
) -> list[Pick]:
    """The best-fitting variant of every model that fits, ranked. With no `vram_gb`, fits are judged in RAM (CPU).

    ``need_of``: GB a variant needs under a serving runtime (llmzh.runtimes), replacing published and estimated
    transformers figures; None from it means the runtime does not run the variant."""
    gpu = vram_gb is not None
    budget = vram_gb if gpu else ram_gb
    if budget is None:
        return []
    best: dict[str, Pick] = {}
    standing = standings(model for project in catalog.projects for model in project.models)
    for entry in catalog.entries():
        if not passes(entry, task=task, commercial=commercial):
            continue
        if not fits_context(entry, ctx):
            continue
        if gpu and entry.variant.device is not Device.GPU:
            continue
        if not gpu and not runs_on_cpu(entry):
            continue
        if need_of is not None:
            need = Need(need_of(entry), "estimated")
        else:
            row = make_row(entry, ctx=ctx, estimator=estimator)
            need = row.vram if gpu else row.ram
        if need.gb is None or need.gb > budget:
            continue
        pick = Pick(
            entry,
            need,
            budget,
            "gpu" if gpu else "cpu",
            ctx,
            downloads(entry) if downloads else None,
            standing[entry.model.id],
        )
        current = best.get(entry.model.id)
        if current is None or _better(pick, current):
            best[entry.model.id] = pick
    return _rank(list(best.values()))


def passes(entry: Entry, *, task: str | None, commercial: bool) -> bool:
    """The filters of `recommend` that are not about memory: a model to run (base models are pretrained for
    fine-tuning), what it is for, commercial use."""
    if not _tasks(entry):
        return False
    if task and task not in _tasks(entry):
        return False
    return not commercial or entry.license.commercial in COMMERCIAL_OK


def _better(new: Pick, old: Pick) -> bool:
    """Higher quality wins; at equal quality, the one that leaves more room."""
    q_new, q_old = quality(new.entry.variant.quant), quality(old.entry.variant.quant)
    if q_new != q_old:
        return q_new < q_old
    return new.spare_gb > old.spare_gb


def quality(quant: Quant) -> int:
    """0 for full precision, growing as a level loses more; what to prefer when several levels fit."""
    return QUALITY.get(quant, len(_QUALITY))


def best_levels(rows: Iterable[Row], *, finetune: bool = False, ram: bool = False) -> list[Row]:
    """One row per model among rows that all fit: its highest-quality level, the smaller need at equal quality."""
    best: dict[str, Row] = {}
    for row in rows:
        current = best.get(row.entry.model.id)
        if current is None or _row_key(row, finetune, ram) < _row_key(current, finetune, ram):
            best[row.entry.model.id] = row
    return list(best.values())


def _row_key(row: Row, finetune: bool, ram: bool) -> tuple[int, float]:
    need = row.ram if ram else row.need(finetune=finetune)
    return quality(row.entry.variant.quant), need.gb if need.gb is not None else float("inf")


def by_capability(rows: Iterable[Row], catalog: Catalog) -> list[Row]:
    """Most capable first, by the same benchmark standings `recommend` ranks on; then newer, then by id. Models
    with no standing (no benchmark shared with another model) come last."""
    strength = strengths(catalog)
    ranked = sorted(rows, key=lambda r: r.id)
    ranked.sort(key=lambda r: r.entry.model.release_date.value if r.entry.model.release_date else "", reverse=True)
    ranked.sort(key=lambda r: _first(strength.get(r.entry.model.id)), reverse=True)
    return ranked


def _first(strength: float | None) -> tuple[bool, float]:
    return strength is not None, strength or 0.0


def strengths(catalog: Catalog) -> dict[str, float | None]:
    """Each model's benchmark strength (llmzh.ranking), memoized beside the cached catalog: fitting it takes
    longer than the rest of `llmzh list`, and it changes only with the catalog file or the ranking's code."""
    import zlib
    from pathlib import Path

    from llmzh import ranking
    from llmzh.catalog import read_memo, write_memo

    path = Path(catalog.path)
    try:
        code = zlib.crc32(Path(ranking.__file__).read_bytes())
    except OSError:
        code = -1
    stored = read_memo(path, "strengths", (code,))
    if isinstance(stored, dict) and all(v is None or isinstance(v, (int, float)) for v in stored.values()):
        return {str(k): (float(v) if v is not None else None) for k, v in stored.items()}
    found = {i: s.strength for i, s in standings(m for p in catalog.projects for m in p.models).items()}
    write_memo(path, "strengths", found, (code,))
    return found


def pick_json(rank: int, pick: Pick, repos: Mapping[str, str | None]) -> dict[str, object]:
    """One ranked pick with its reasons as data."""
    entry = pick.entry
    ceval, cmmlu = (entry.model.benchmark(name) for name in ("C-Eval", "CMMLU"))
    return {
        "rank": rank,
        "id": entry.variant.id,
        "model": entry.model.id,
        "project": entry.project.id,
        "repo": repos.get(entry.variant.id),
        "quant": entry.variant.quant.value,
        "device": pick.device,
        "ctx": pick.ctx,
        "need_gb": round(pick.need.gb or 0.0, 2),
        "need_source": pick.need.source,
        "budget_gb": round(pick.budget_gb, 2),
        "spare_gb": round(pick.spare_gb, 2),
        "tight": pick.tight,
        "ceval": ceval.value if ceval else None,
        "cmmlu": cmmlu.value if cmmlu else None,
        "strength": round(pick.standing.strength, 3) if pick.standing.strength is not None else None,
        "rank_basis": {
            "benchmarks": list(pick.standing.benchmarks),
            "games": pick.standing.games,
            "opponents": pick.standing.opponents,
        },
        "release_date": entry.model.release_date.value if entry.model.release_date else None,
        "downloads": pick.downloads,
        "commercial": entry.license.commercial.value,
        "tasks": list(_tasks(entry)),
    }
