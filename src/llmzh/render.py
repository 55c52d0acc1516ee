"""Rich renderables, JSON objects and Markdown built from catalog rows. Never prints."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text as RichText

from llmzh.catalog import Match
from llmzh.i18n import commercial, fmt, t
from llmzh.schema import (
    Device,
    Entry,
    Figure,
    Lang,
    Link,
    Model,
    Project,
    Quant,
    Text,
)
from llmzh.select import Need, Row

UNQUANTIZED = (Quant.FP32, Quant.FP16, Quant.BF16)


# ---------------------------------------------------------------- small formatters


def num(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def gb(need: Need, lang: Lang) -> str:
    if need.gb is None:
        return t("unknown", lang)
    prefix = "≈" if need.source == "estimated" else ""
    return f"{prefix}{num(round(need.gb, 1))} GB"


def vram_cell(row: Row, lang: Lang, *, finetune: bool = False) -> str:
    if row.entry.variant.device is Device.CPU:
        return t("cpu_only", lang)
    return gb(row.need(finetune=finetune), lang)


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
    return f"{num(model.params_b.value)}B" if model.params_b else ""


def context(model: Model) -> str:
    if not model.context_length:
        return ""
    tokens = int(model.context_length.value)
    return f"{tokens // 1024}K" if tokens % 1024 == 0 and tokens >= 1024 else str(tokens)


def license_cell(entry: Entry, lang: Lang) -> str:
    lic = entry.license
    name = lic.weights or lic.code or t("unknown", lang)
    return f"{name} · {commercial(lic.commercial, lang)}"


def base_cell(entry: Entry, lang: Lang) -> str:
    if entry.model.base_weights is not None:
        return entry.model.base_weights.name.get(lang)
    return text(entry.project.base_model, lang)


def score_cell(model: Model) -> str:
    scores = model.scores
    ceval = num(scores.ceval.value) if scores and scores.ceval else "—"
    cmmlu = num(scores.cmmlu.value) if scores and scores.cmmlu else "—"
    return f"{ceval} / {cmmlu}"


# ---------------------------------------------------------------- list


def list_table(
    rows: Sequence[Row],
    lang: Lang,
    *,
    wide: bool = False,
    compact: bool = False,
    finetune: bool = False,
    title: str | None = None,
) -> Table:
    """The `llmzh list` table; `compact` (narrow terminals) drops the highlights column."""
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False)
    table.add_column(t("id", lang), no_wrap=True, style="bold")
    table.add_column(t("quant", lang), no_wrap=True)
    table.add_column(t("vram_ft" if finetune else "vram", lang), justify="right", no_wrap=True)
    table.add_column(t("ram", lang), justify="right", no_wrap=True)
    table.add_column(t("license" if wide else "commercial", lang), no_wrap=not wide)
    table.add_column(t("base", lang))
    if wide or not compact:
        table.add_column(t("highlights", lang), ratio=1)
    if wide:
        table.add_column(t("params", lang), justify="right", no_wrap=True)
        table.add_column(t("context", lang), justify="right", no_wrap=True)
        table.add_column(t("vram" if finetune else "vram_ft", lang), justify="right", no_wrap=True)
        table.add_column(t("score", lang), justify="right", no_wrap=True)
        table.add_column(t("pretraining", lang), ratio=1)
        table.add_column(t("instruction", lang), ratio=1)
    for row in rows:
        entry = row.entry
        cells = [
            entry.variant.id,
            entry.variant.quant.value,
            vram_cell(row, lang, finetune=finetune),
            gb(row.ram, lang) if row.ram.gb is not None else "—",
            license_cell(entry, lang) if wide else commercial(entry.license.commercial, lang, short=True),
            base_cell(entry, lang),
        ]
        if wide or not compact:
            cells.append(text(entry.project.highlights, lang))
        if wide:
            model = entry.model
            cells += [
                params(model),
                context(model),
                vram_cell(row, lang, finetune=not finetune),
                score_cell(model),
                links(entry.project.pretraining_data, lang),
                links(model.instruction_data or entry.project.instruction_data, lang),
            ]
        table.add_row(*cells)
    return table


def row_json(row: Row, repo: str | None) -> dict[str, Any]:
    """One variant of `llmzh list --json`; the field set is a public contract (README)."""
    entry = row.entry
    model, variant, lic = entry.model, entry.variant, entry.license
    scores = model.scores
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
        "release_date": model.release_date.value if model.release_date else None,
        "ceval": scores.ceval.value if scores and scores.ceval else None,
        "cmmlu": scores.cmmlu.value if scores and scores.cmmlu else None,
        "modelscope": model.modelscope,
    }


# ---------------------------------------------------------------- markdown overview


def _md(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def overview_markdown(projects: Iterable[Project], lang: Lang) -> str:
    """The founding document's overview table, one row per project."""
    keys = ("base", "pretraining", "instruction", "extra_training", "quant_support", "highlights")
    head = ["", *(t(k, lang) for k in keys)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for project in projects:
        quantized = any(v.quant not in UNQUANTIZED for m in project.models for v in m.variants)
        cells = [
            project.name.get(lang),
            text(project.base_model, lang, "NA"),
            links(project.pretraining_data, lang, markdown=True),
            links(project.instruction_data, lang, markdown=True),
            texts(project.extra_training, lang),
            "✔" if quantized else "❌",
            text(project.highlights, lang),
        ]
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- show


def _heading(label: str) -> RichText:
    return RichText(f"\n{label}", style="bold cyan")


def _figure_cell(need: Need, figure: Figure | None, lang: Lang) -> str:
    if figure is None and need.gb is None:
        return t("na", lang)
    return gb(need, lang) if need.gb is not None else f"{num(figure.value)} GB" if figure else t("na", lang)


def resource_table(model: Model, rows: Mapping[str, Row], lang: Lang, repos: Mapping[str, str | None]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(t("name", lang), no_wrap=True, style="bold")
    table.add_column(t("quant", lang), no_wrap=True)
    table.add_column(t("ram", lang), justify="right", no_wrap=True)
    table.add_column(t("vram", lang), justify="right", no_wrap=True)
    table.add_column(t("vram_ft", lang), justify="right", no_wrap=True)
    table.add_column(t("repo", lang))
    for variant in model.variants:
        row = rows[variant.id]
        repo = variant.repo or ""
        if variant.quantize_from:
            repo = f"{t('load_time', lang)} {repos.get(variant.quantize_from) or variant.quantize_from}"
        vram = t("cpu_only", lang) if variant.device is Device.CPU else _figure_cell(row.vram, variant.vram_gb, lang)
        ft = "-" if variant.device is Device.CPU else _figure_cell(row.finetune_vram, variant.finetune_vram_gb, lang)
        table.add_row(variant.id, variant.quant.value, _figure_cell(row.ram, variant.ram_gb, lang), vram, ft, repo)
    return table


def _figure_notes(model: Model, lang: Lang) -> list[RichText]:
    out: list[RichText] = []
    for variant in model.variants:
        for key, fig in (("vram", variant.vram_gb), ("vram_ft", variant.finetune_vram_gb), ("ram", variant.ram_gb)):
            if fig is None:
                continue
            line = f"  {variant.id} · {t(key, lang)} {num(fig.value)} GB"
            if fig.condition:
                line += f" — {fig.condition.get(lang)}"
            out.append(RichText(line))
            if fig.source:
                out.append(RichText(f"      {fig.source}", style="dim"))
            for alt in fig.alt:
                alt_line = f"      {t('other_values', lang)}: {num(alt.value)} GB"
                if alt.condition:
                    alt_line += f" — {alt.condition.get(lang)}"
                out.append(RichText(alt_line, style="yellow"))
                if alt.source:
                    out.append(RichText(f"        {alt.source}", style="dim"))
    return out


def _kv(label: str, value: str) -> RichText:
    line = RichText(f"{label}: ", style="bold")
    line.append(value)
    return line


def model_section(
    project: Project,
    model: Model,
    rows: Mapping[str, Row],
    lang: Lang,
    repos: Mapping[str, str | None],
) -> list[RenderableType]:
    parts: list[RenderableType] = [RichText(f"\n■ {model.name.get(lang)}  ({model.id})", style="bold green")]
    facts = []
    if model.params_b:
        facts.append(f"{t('params', lang)} {params(model)}")
    if model.context_length:
        facts.append(f"{t('context', lang)} {int(model.context_length.value)}")
    facts.append(f"{t('format', lang)} {fmt(model.format, lang)}")
    if model.release_date:
        facts.append(f"{t('release_date', lang)} {model.release_date.value}")
    if model.scores and (model.scores.ceval or model.scores.cmmlu):
        bits = []
        for label, score in (("C-Eval", model.scores.ceval), ("CMMLU", model.scores.cmmlu)):
            if score:
                bits.append(f"{label} {num(score.value)}" + (f" ({score.setting})" if score.setting else ""))
        facts.append(" · ".join(bits))
    if model.modelscope:
        facts.append(f"ModelScope {model.modelscope}")
    parts.append(RichText("  " + " · ".join(facts)))
    if model.description:
        parts.append(RichText("  " + model.description.get(lang)))
    if model.instruction_data:
        parts.append(_kv("  " + t("instruction", lang), links(model.instruction_data, lang)))
    base = model.base_weights
    if base is not None:
        line = f"{base.name.get(lang)}" + (f" — {base.repo}" if base.repo else "")
        parts.append(_kv("  " + t("needs_base", lang), line))
        if base.alternatives:
            parts.append(_kv("    " + t("base_alternatives", lang), ", ".join(base.alternatives)))
        if base.license:
            parts.append(_kv("    " + t("base_license", lang), _license_line(base.license, lang)))
        if base.note:
            parts.append(RichText("    " + base.note.get(lang), style="yellow"))
    if model.license is not None:
        parts.append(_kv("  " + t("licence", lang), _license_line(model.license, lang)))
    parts.append(resource_table(model, rows, lang, repos))
    for variant in model.variants:
        if variant.note:
            parts.append(RichText(f"  {variant.id}: {variant.note.get(lang)}", style="italic"))
        if variant.load_code:
            parts.append(RichText(f"    {t('load_code', lang)}: {variant.load_code}", style="dim"))
    parts.extend(_figure_notes(model, lang))
    for note in model.notes:
        parts.append(RichText(f"  ! {note.text.get(lang)}", style="yellow"))
    return parts


def _license_line(lic: Any, lang: Lang) -> str:
    bits = []
    if lic.code:
        bits.append(f"{t('code_license', lang)} {lic.code}")
    if lic.weights:
        bits.append(f"{t('weights_license', lang)} {lic.weights}")
    bits.append(commercial(lic.commercial, lang))
    line = " · ".join(bits)
    if lic.condition:
        line += f"（{lic.condition.get(lang)}）" if lang == "zh" else f" ({lic.condition.get(lang)})"
    return line


def card(
    match: Match,
    rows: Mapping[str, Row],
    lang: Lang,
    repos: Mapping[str, str | None],
) -> Group:
    """The whole card of a project, model or variant, laid out like the founding document."""
    project = match.project
    title = project.name.get(lang)
    other = project.name.en if lang == "zh" else project.name.zh
    parts: list[RenderableType] = [RichText(title + (f"  {other}" if other != title else ""), style="bold magenta")]
    if project.developers:
        parts += [_heading(t("developers", lang)), RichText(texts(project.developers, lang))]
    if project.papers:
        parts.append(_heading(t("papers", lang)))
        for i, paper in enumerate(project.papers, 1):
            line = f"[{i}] {paper.title}" + (f". {paper.venue}" if paper.venue else "")
            parts.append(RichText(line))
            if paper.url:
                parts.append(RichText(f"    {paper.url}", style="dim"))
    if project.url:
        parts += [_heading(t("url", lang)), RichText(project.url)]
    parts += [_heading(t("description", lang)), RichText(project.description.get(lang))]
    facts = [
        (t("base", lang), text(project.base_model, lang, "NA")),
        (t("pretraining", lang), links(project.pretraining_data, lang)),
        (t("instruction", lang), links(project.instruction_data, lang)),
        (t("extra_training", lang), texts(project.extra_training, lang)),
        (t("highlights", lang), text(project.highlights, lang, "—")),
    ]
    for label, value in facts:
        parts.append(_kv(label, value))
    parts.append(_heading(t("downloads", lang)))
    for model in project.models:
        for variant in model.variants:
            if variant.repo:
                renamed = f"  (= {', '.join(variant.also_at)})" if variant.also_at else ""
                parts.append(RichText(f"  {variant.id}: {variant.repo}{renamed}"))
    for link in project.downloads:
        parts.append(RichText(f"  {link.name.get(lang)}: {link.url or ''}"))
    parts.append(_heading(f"{t('resources', lang)}  ({t('na_note', lang)}; {t('estimate_note', lang)})"))
    models = [m for m in project.models if match.model is None or m.id == match.model.id]
    for model in models:
        parts.extend(model_section(project, model, rows, lang, repos))
    if project.demos:
        parts += [_heading(t("demos", lang))] + [RichText(f"  • {d.get(lang)}") for d in project.demos]
    parts += [_heading(t("licence", lang)), RichText(_license_line(project.license, lang))]
    if project.license.source:
        parts.append(RichText(f"  {project.license.source}", style="dim"))
    if project.notes:
        parts.append(_heading(t("notes", lang)))
        for note in project.notes:
            parts.append(RichText(f"  ! {note.text.get(lang)}", style="yellow"))
            if note.source:
                parts.append(RichText(f"    {note.source}", style="dim"))
    if project.sources:
        parts += [_heading(t("sources", lang))] + [RichText(f"  {s}", style="dim") for s in project.sources]
    return Group(*parts)


# ---------------------------------------------------------------- JSON of records


def to_jsonable(value: Any) -> Any:
    """Catalog records as plain JSON values: enums by value, tuples as lists, Text as {zh, en}."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value
