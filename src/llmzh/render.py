"""Text tables, JSON objects and Markdown built from catalog rows, without rich.console. Never prints."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llmzh.i18n import commercial, t
from llmzh.schema import Device, Entry, FigureKind, Lang, Link, Memory, Model, Quant, Text, Unit
from llmzh.select import Need, Row
from llmzh.source import modelscope_repo
from llmzh.table import Column
from llmzh.table import render as render_table

if TYPE_CHECKING:
    from llmzh.catalog import Match
    from llmzh.recommend import Pick
    from llmzh.repoinfo import HubInfo

UNQUANTIZED = (Quant.FP32, Quant.FP16, Quant.BF16)


# ---------------------------------------------------------------- small formatters


def num(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def memory(figure: Memory) -> str:
    """A published figure as its source prints it; MB and MiB also in GB, the unit llmzh compares in."""
    shown = f"{num(figure.value)} {figure.unit.value}"
    if figure.unit in (Unit.MB, Unit.MIB):
        shown += f" (≈{num(round(figure.gib, 2))} GB)"
    return shown


def gb(need: Need, lang: Lang) -> str:
    if need.gb is None:
        return t("unknown", lang)
    prefix = "≈" if need.source == "estimated" else ""
    return f"{prefix}{num(round(need.gb, 1))} GB"


def vram_cell(row: Row, lang: Lang, *, finetune: bool = False) -> str:
    if row.entry.variant.device is Device.CPU:
        return t("cpu_only", lang)
    return gb(row.need(finetune=finetune), lang)


def human_bytes(size: int | None) -> str:
    """Sizes in the unit of the rest of the tool, GB of 2^30 bytes (MB of 2^20, ...): 13.5 GB, 812 MB."""
    if size is None:
        return "—"
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} B"


def count(value: int | None) -> str:
    """12.3k, 1.2M: download and like counts."""
    if value is None:
        return "—"
    if value >= 1_000_000:
        return f"{value / 1e6:.1f}M"
    if value >= 100_000:
        return f"{value / 1e3:.0f}k"
    if value >= 1_000:
        return f"{value / 1e3:.1f}k"
    return str(value)


def join(items: Iterable[str], lang: Lang) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def texts(items: Sequence[Text] | None, lang: Lang) -> str:
    """A list that may be unpublished (NA) or empty (❌)."""
    if items is None:
        return "NA"
    return join((x.get(lang) for x in items), lang) if items else "❌"


def text(value: Text | None, lang: Lang, default: str = "") -> str:
    return value.get(lang) if value is not None else default


def links(items: Sequence[Link] | None, lang: Lang, *, markdown: bool = False) -> str:
    if items is None:
        return "NA"
    if not items:
        return "❌"
    if markdown:
        return ", ".join(f"[{i.name.get(lang)}]({i.url})" if i.url else i.name.get(lang) for i in items)
    return ", ".join(i.name.get(lang) for i in items)


def params(model: Model) -> str:
    if not model.params_b:
        return ""
    prefix = "≈" if model.params_b.kind is FigureKind.ESTIMATED else ""
    return f"{prefix}{num(model.params_b.value)}B"


def context(model: Model) -> str:
    """Native context, and the longest supported after a slash where the card names a method (32K/128K)."""
    native = ctx_label(int(model.context_length.value)) if model.context_length else ""
    if model.max_context is None:
        return native
    return f"{native or '?'}/{ctx_label(int(model.max_context.value))}"


def license_cell(entry: Entry, lang: Lang) -> str:
    lic = entry.license
    name = lic.weights or lic.code or t("unknown", lang)
    return f"{name} · {commercial(lic.commercial, lang)}"


def base_cell(entry: Entry, lang: Lang) -> str:
    if entry.model.base_weights is not None:
        return entry.model.base_weights.name.get(lang)
    return text(entry.project.base_model, lang)


def score_value(model: Model, name: str) -> float | None:
    found = model.benchmark(name)
    return found.value if found is not None else None


def score_cell(model: Model) -> str:
    ceval, cmmlu = (score_value(model, name) for name in ("C-Eval", "CMMLU"))
    return f"{num(ceval) if ceval is not None else '—'} / {num(cmmlu) if cmmlu is not None else '—'}"


# ---------------------------------------------------------------- list


def list_table(
    rows: Sequence[Row],
    lang: Lang,
    *,
    wide: bool = False,
    width: int | None = None,
    finetune: bool = False,
    colour: bool = False,
    title: str | None = None,
    live: Mapping[str, HubInfo] | None = None,
    repos: Mapping[str, str | None] | None = None,
    ram_listing: bool = False,
) -> str:
    """The `llmzh list` table as text, columns chosen by priority for `width` (all of them when None).

    With `live` (Hub figures by repo), downloads, likes and download size follow the memory columns.
    """
    asked, other = 0, 3  # the figure the listing is about always stays, the other may go
    columns = [
        Column(t("id", lang)),
        Column(t("quant", lang)),
        Column(t("vram_ft" if finetune else "vram", lang), "right", priority=other if ram_listing else asked),
        Column(t("ram", lang), "right", priority=asked if ram_listing else other),
    ]
    if live is not None:
        columns += [
            Column(t("hub_downloads", lang), "right", priority=2),
            Column(t("hub_likes", lang), "right", priority=5),
            Column(t("hub_weights", lang), "right", priority=4),
        ]
    columns += [
        Column(t("license" if wide else "commercial", lang), flex=wide, priority=1),
        Column(t("base", lang), flex=True, priority=4),
        Column(t("highlights", lang), flex=True, priority=6),
    ]
    if wide:
        columns += [
            Column(t("params", lang), "right", priority=3),
            Column(t("context", lang), "right", priority=4),
            Column(t("vram" if finetune else "vram_ft", lang), "right", priority=5),
            Column(t("score", lang), "right", priority=3),
            Column(t("pretraining", lang), flex=True, priority=7),
            Column(t("instruction", lang), flex=True, priority=7),
        ]
    cells: list[list[str]] = []
    for row in rows:
        entry = row.entry
        line = [
            entry.variant.id,
            entry.variant.quant.value,
            vram_cell(row, lang, finetune=finetune),
            gb(row.ram, lang) if row.ram.gb is not None else "—",
        ]
        if live is not None:
            info = live.get((repos or {}).get(entry.variant.id) or "")
            ok = info is not None and info.has_figures
            line += [
                count(info.downloads)
                if info is not None and ok
                else t("status_gone", lang)
                if info and info.status == "gone"
                else "—",
                count(info.likes) if info is not None and ok else "—",
                human_bytes(info.weights_bytes or info.size_bytes) if info is not None and ok else "—",
            ]
        line += [
            license_cell(entry, lang) if wide else commercial(entry.license.commercial, lang, short=True),
            base_cell(entry, lang),
        ]
        line.append(text(entry.project.highlights, lang))
        if wide:
            model = entry.model
            line += [
                params(model),
                context(model),
                vram_cell(row, lang, finetune=not finetune),
                score_cell(model),
                links(entry.project.pretraining_data, lang),
                links(model.instruction_data or entry.project.instruction_data, lang),
            ]
        cells.append(line)
    return render_table(columns, cells, width=width, colour=colour, title=title)


def live_json(info: HubInfo | None) -> dict[str, Any]:
    """The fields `list --live --json` adds to a row; figures are null where the Hub did not answer."""
    ok = info is not None and info.has_figures
    return {
        "downloads": info.downloads if info is not None and ok else None,
        "likes": info.likes if info is not None and ok else None,
        "size_bytes": info.size_bytes if info is not None and ok else None,
        "weights_bytes": info.weights_bytes if info is not None and ok else None,
        "last_modified": info.last_modified if info is not None and ok else None,
        "hub_status": info.status if info is not None else "unavailable",
    }


def row_json(row: Row, repo: str | None) -> dict[str, Any]:
    """One variant of `llmzh list --json`; the field set is a public contract (README)."""
    entry = row.entry
    model, variant, lic = entry.model, entry.variant, entry.license
    base = model.base_weights
    return {
        "id": variant.id,
        "project": entry.project.id,
        "model": model.id,
        "name": model.name.en,
        "name_zh": model.name.zh,
        "repo": repo,
        "quantize_from": variant.quantize_from,
        "quant": variant.quant.value,
        "format": entry.format.value,
        "device": variant.device.value,
        "vram_gb": row.vram.gb,
        "vram_source": row.vram.source,
        "finetune_vram_gb": row.finetune_vram.gb,
        "finetune_vram_source": row.finetune_vram.source,
        "ram_gb": row.ram.gb,
        "license": lic.weights,
        "code_license": lic.code,
        "commercial": lic.commercial.value,
        "base_model": base.repo if base is not None else None,
        "params_b": model.params_b.value if model.params_b else None,
        "context_length": int(model.context_length.value) if model.context_length else None,
        "max_context": int(model.max_context.value) if model.max_context else None,
        "release_date": model.release_date.value if model.release_date else None,
        "ceval": score_value(model, "C-Eval"),
        "cmmlu": score_value(model, "CMMLU"),
        "modelscope": model.modelscope,
        "modelscope_repo": modelscope_repo(entry, repo),
        "ollama": {"tag": variant.ollama.tag, "source": variant.ollama.source} if variant.ollama else None,
    }


# ---------------------------------------------------------------- JSON of records


def to_jsonable(value: Any) -> Any:
    """Catalog records as plain JSON values: enums by value, tuples as lists, Text as {zh, en}."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {name: to_jsonable(item) for name, item in value._asdict().items()}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------- recommend


def ctx_label(tokens: int) -> str:
    return f"{tokens // 1024}K" if tokens >= 1024 and tokens % 1024 == 0 else str(tokens)


def pick_reason(pick: Pick, lang: Lang) -> str:
    """One line: fits how much at which level and context, with how much to spare, and the published scores."""
    entry = pick.entry
    quant = entry.variant.quant.value
    need = gb(pick.need, lang)
    budget = num(round(pick.budget_gb, 1))
    spare = f"{pick.spare_gb:.1f}"
    basis = pick.standing
    scores = [f"{name} {num(value)}" for name in basis.benchmarks[:3] if (value := score_value(entry.model, name))]
    more = "…" if len(basis.benchmarks) > 3 else ""
    if lang == "zh":
        where = f"{budget} GB 显存" if pick.device == "gpu" else f"{budget} GB 内存（CPU）"
        line = f"可放入 {where}（{quant}，{ctx_label(pick.ctx)} 上下文，需 {need}），余 {spare} GB"
        if pick.tight:
            line += "，余量偏紧"
        if basis.strength is None:
            line += "；没有与其他模型共有的基准成绩，按发布日期排在后面"
        else:
            line += f"；排名依据（与 {basis.opponents} 个模型共有的基准）：{'，'.join(scores)}{more}"
    else:
        where = f"{budget} GB" if pick.device == "gpu" else f"{budget} GB of RAM (CPU)"
        line = f"fits {where} at {quant} with {ctx_label(pick.ctx)} context (needs {need}), {spare} GB to spare"
        if pick.tight:
            line += " — tight"
        if basis.strength is None:
            line += "; no benchmark shared with another model: placed after those ranked, by release date"
        else:
            models = "model" if basis.opponents == 1 else "models"
            line += f"; ranked on benchmarks shared with {basis.opponents} {models}: {', '.join(scores)}{more}"
    return line


# ---------------------------------------------------------------- candidates of a family name


def _newest(match: Match) -> str:
    models = (match.model,) if match.model is not None else match.project.models
    dates = [m.release_date.value for m in models if m is not None and m.release_date is not None]
    return max(dates) if dates else "—"


def candidates_table(matches: Sequence[Match], lang: Lang, *, width: int | None = None) -> str:
    """The records a family name (通义千问) covers: id, name, how many models, newest release."""
    columns = [
        Column(t("id", lang)),
        Column(t("name", lang), flex=True),
        Column(t("models", lang), "right"),
        Column(t("release_date", lang)),
    ]
    cells = [
        [
            m.id,
            (m.model.name if m.model is not None else m.project.name).get(lang),
            str(len(m.project.models)) if m.model is None else "1",
            _newest(m),
        ]
        for m in matches
    ]
    return render_table(columns, cells, width=width)


def match_json(match: Match) -> dict[str, Any]:
    """One candidate of an ambiguous name, as `show --json` prints it."""
    name = match.model.name if match.model is not None else match.project.name
    return {"id": match.id, "kind": match.kind, "project": match.project.id, "name": name.en, "name_zh": name.zh}
