"""Rich renderables for the commands that show one thing in depth (`show`). Never prints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text as RichText

from llmzh.catalog import Match
from llmzh.hub import age
from llmzh.i18n import commercial, fmt, t
from llmzh.render import count, gb, human_bytes, links, memory, num, params, text, texts
from llmzh.repoinfo import HubInfo
from llmzh.schema import DEVELOPER, Device, FigureKind, Lang, Memory, Model, Project
from llmzh.select import Need, Row
from llmzh.table import Column
from llmzh.table import render as render_table


def _heading(label: str) -> RichText:
    return RichText(f"\n{label}", style="bold cyan")


def _figure_cell(need: Need, figure: Memory | None, lang: Lang) -> str:
    """The published figure as published (NA when there is none); a weights-only figure says so."""
    if figure is None:
        return gb(need, lang) if need.gb is not None else t("na", lang)
    cell = memory(figure)
    return f"{cell} {t('weights_only', lang)}" if figure.kind is FigureKind.WEIGHTS else cell


def resource_table(
    model: Model,
    rows: Mapping[str, Row],
    lang: Lang,
    repos: Mapping[str, str | None],
    estimates: Mapping[str, float | None],
    width: int | None = None,
) -> RichText:
    """Published figures (NA where the project gives none) beside the estimator's, as the founding document's
    resource table; on a narrow terminal the repo moves below its row and the least needed figures go."""
    columns = [
        Column(t("name", lang)),
        Column(t("quant", lang)),
        Column(t("ram", lang), "right", priority=3),
        Column(t("vram", lang), "right"),
        Column(t("vram_estimate", lang), "right", priority=1),
        Column(t("vram_ft", lang), "right", priority=2),
        Column(t("repo", lang), priority=4, below=True),
    ]
    cells = []
    for variant in model.variants:
        row = rows[variant.id]
        repo = variant.repo or ""
        if variant.quantize_from:
            repo = f"{t('load_time', lang)} {repos.get(variant.quantize_from) or variant.quantize_from}"
        vram = t("cpu_only", lang) if variant.device is Device.CPU else _figure_cell(row.vram, variant.vram_gb, lang)
        ft = "—" if variant.device is Device.CPU else _figure_cell(row.finetune_vram, variant.finetune_vram_gb, lang)
        estimate = estimates.get(variant.id)
        guess = f"≈{estimate:.1f} GB" if estimate is not None else "—"
        ram = _figure_cell(row.ram, variant.ram_gb, lang)
        cells.append([variant.id, variant.quant.value, ram, vram, guess, ft, repo])
    return _plain(render_table(columns, cells, width=width))


def _plain(table: str) -> RichText:
    """A laid-out text table inside a rich card: printed as is, never re-wrapped or cut."""
    return RichText(table.rstrip("\n"), no_wrap=True, overflow="ignore")


def _figure_notes(model: Model, lang: Lang) -> list[RichText]:
    out: list[RichText] = []
    for variant in model.variants:
        for key, fig in (("vram", variant.vram_gb), ("vram_ft", variant.finetune_vram_gb), ("ram", variant.ram_gb)):
            if fig is None:
                continue
            line = f"  {variant.id} · {t(key, lang)} {memory(fig)}"
            if fig.condition:
                line += f" — {fig.condition.get(lang)}"
            out.append(RichText(line))
            if fig.source:
                out.append(RichText(f"      {fig.source}", style="dim"))
            for alt in fig.alt:
                alt_line = f"      {t('other_values', lang)}: {memory(alt)}"
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
    estimates: Mapping[str, float | None],
    width: int | None = None,
) -> list[RenderableType]:
    parts: list[RenderableType] = [RichText(f"\n■ {model.name.get(lang)}  ({model.id})", style="bold green")]
    facts = []
    if model.params_b:
        facts.append(f"{t('params', lang)} {params(model)}")
    if model.context_length:
        facts.append(f"{t('context', lang)} {int(model.context_length.value)}")
    if model.max_context:
        how = f" ({model.max_context.condition.get(lang)})" if model.max_context.condition else ""
        facts.append(f"{t('max_context', lang)} {int(model.max_context.value)}{how}")
    facts.append(f"{t('format', lang)} {fmt(model.format, lang)}")
    if model.release_date:
        facts.append(f"{t('release_date', lang)} {model.release_date.value}")
    if model.modelscope:
        facts.append(f"ModelScope {model.modelscope}")
    parts.append(RichText("  " + " · ".join(facts)))
    if model.benchmarks:
        parts.append(RichText("  " + " · ".join(f"{b.name} {num(b.value)}" for b in model.benchmarks)))
        for bench in model.benchmarks:
            by = "" if bench.evaluator == DEVELOPER else f"{bench.evaluator}: "
            if bench.setting or by:
                parts.append(RichText(f"    {bench.name}: {by}{bench.setting or ''}", style="dim"))
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
    parts.append(resource_table(model, rows, lang, repos, estimates, width))
    if model.architecture is not None and all(estimates.get(v.id) is None for v in model.variants):
        parts.append(RichText("  " + t("arch_not_yet", lang), style="yellow"))
    for variant in model.variants:
        if variant.note:
            parts.append(RichText(f"  {variant.id}: {variant.note.get(lang)}", style="italic"))
        if variant.load_code:
            parts.append(RichText(f"    {t('load_code', lang)}: {variant.load_code}", style="dim"))
        if variant.ollama is not None:
            parts.append(RichText(f"    Ollama: ollama run {variant.ollama.tag}", style="dim"))
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
    estimates: Mapping[str, float | None],
    width: int | None = None,
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
        parts.extend(model_section(project, model, rows, lang, repos, estimates, width))
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


def hub_table(
    infos: Sequence[HubInfo], roles: Mapping[str, str], lang: Lang, width: int | None = None, *, source: str = "hf"
) -> RichText:
    """Live figures of a card's repos (Hub or ModelScope), each labelled live or with the age of its cached copy;
    the repo id is never cut, the least needed columns go first on a narrow terminal."""
    modelscope = source == "modelscope"  # its repo ids, and a download count over no stated period
    columns = [
        Column(t("ms_repo" if modelscope else "repo", lang)),
        Column(t("hub_status", lang)),
        Column(t("ms_downloads" if modelscope else "hub_downloads", lang), "right", priority=1),
        Column(t("hub_likes", lang), "right", priority=3),
        Column(t("hub_size", lang), "right", priority=4),
        Column(t("hub_weights", lang), "right", priority=2),
        Column(t("hub_modified", lang), priority=5),
        Column(t("hub_fetched", lang), priority=6),
    ]
    cells = []
    for info in infos:
        role = roles.get(info.repo)
        name = info.repo + (f" ({role})" if role else "")
        if info.fetched_at is None:
            fetched = t("unknown", lang)
        elif info.cached:
            fetched = t("hub_cached_ago", lang).format(age=age(info.fetched_at)) + (" ⚠" if info.stale else "")
        else:
            fetched = t("hub_live", lang)
        figures = info.has_figures
        cells.append(
            [
                name,
                t(f"status_{info.status}", lang),
                count(info.downloads) if figures else "—",
                count(info.likes) if figures else "—",
                human_bytes(info.size_bytes) if figures else "—",
                human_bytes(info.weights_bytes) if figures else "—",
                (info.last_modified or "")[:10] if figures else "—",
                fetched,
            ]
        )
    return _plain(render_table(columns, cells, width=width))
