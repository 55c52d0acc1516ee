"""`llmzh list`: one row per variant, filtered by what the hardware holds."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from llmzh.cli._common import (
    CatalogOpt,
    EndpointOpt,
    JsonOpt,
    LangOpt,
    MirrorOpt,
    OfflineOpt,
    RefreshOpt,
    SourceOpt,
    StrictOpt,
    TimeoutOpt,
    TokenOpt,
    VramOpt,
    app,
    choose_source,
    detect_budget,
    hub_settings,
    lang_of,
    positive_gb,
    print_json,
    quant_levels,
    reporting_errors,
    vram_option,
    warn,
)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"


class SortChoice(StrEnum):
    best = "best"
    vram = "vram"
    name = "name"
    params = "params"
    score = "score"
    downloads = "downloads"
    likes = "likes"
    size = "size"


LIVE_SORTS = (SortChoice.downloads, SortChoice.likes, SortChoice.size)


LIST_EPILOG = """\
Examples:

* `llmzh list --vram 6` — what runs on a 6 GB card (inference), the most capable first
* `llmzh list --vram 8GB --all-levels` — every level that fits, not only each model's best
* `llmzh list --vram auto` — what runs on this machine's GPU (or CPU, if it has none)
* `llmzh list --vram 8 --ctx 8192` — what fits 8 GB with an 8K-token context (≈ marks estimates)
* `llmzh list --vram 8 --finetune` — what can be fine-tuned (parameter-efficient) on 8 GB
* `llmzh list --cpu --ram 16` — CPU inference within 16 GB of RAM
* `llmzh list --quant int4 --commercial` — 4-bit variants (INT4, GPTQ, AWQ, NF4, Q4) you may use commercially
* `llmzh list --search 医学` / `--base llama` — by name, description or base model
* `llmzh list --json` — machine-readable rows (fields documented in the README)
* `llmzh list --format md` — the founding document's overview table
* `llmzh list --live --sort downloads` — with downloads, likes and sizes from the Hub (cached 24 h)
"""


@app.command("list", epilog=LIST_EPILOG)
def list_(
    vram: VramOpt = None,
    finetune: Annotated[
        bool, typer.Option("--finetune", help="Apply --vram to parameter-efficient fine-tuning instead.")
    ] = False,
    ram: Annotated[
        str | None,
        typer.Option(
            "--ram", metavar="GB", help="System RAM in GB: list what fits for CPU inference.", show_default=False
        ),
    ] = None,
    cpu: Annotated[bool, typer.Option("--cpu", help="Only variants that run on the CPU.")] = False,
    ctx: Annotated[
        int | None,
        typer.Option(
            "--ctx",
            metavar="TOKENS",
            min=1,
            help="Context to fit (prompt + reply); published figures taken at other lengths give way to estimates.",
            show_default=False,
        ),
    ] = None,
    quant: Annotated[
        list[str] | None,
        typer.Option(
            "--quant",
            metavar="LEVEL",
            help="Quantization (repeatable): a family (int4 = 4bit, int8 = 8bit, gguf, q4, gptq, ...) or an exact "
            "level (gptq-int4, q4_k_m, ...; =int4 for ChatGLM's own INT4 only).",
            show_default=False,
        ),
    ] = None,
    license_: Annotated[
        str | None,
        typer.Option(
            "--license",
            metavar="KEYWORD",
            help="Licence name contains this keyword (apache, gpl, ...).",
            show_default=False,
        ),
    ] = None,
    commercial: Annotated[
        bool, typer.Option("--commercial", help="Only weights licensed for commercial use (registration counted).")
    ] = False,
    base: Annotated[
        str | None,
        typer.Option(
            "--base", metavar="NAME", help="Base model contains this name (llama, bloom, ...).", show_default=False
        ),
    ] = None,
    search: Annotated[
        str | None,
        typer.Option("--search", metavar="TEXT", help="Search zh/en names and descriptions.", show_default=False),
    ] = None,
    sort: Annotated[
        SortChoice | None,
        typer.Option(
            "--sort",
            help="Sort order (default: the table puts the most capable model first, --json sorts by vram); "
            "downloads, likes and size imply --live.",
            show_default=False,
        ),
    ] = None,
    all_levels: Annotated[
        bool,
        typer.Option("--all-levels", help="Every level of each model in the table, not only the best that fits."),
    ] = False,
    include_unknown: Annotated[
        bool, typer.Option("--include-unknown", help="Also list, separately, variants whose figure is unknown.")
    ] = False,
    wide: Annotated[bool, typer.Option("--wide", help="More columns: params, context, scores, training data.")] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
    live: Annotated[bool, typer.Option("--live", help="Add downloads, likes and sizes from the Hub.")] = False,
    endpoint: EndpointOpt = None,
    mirror: MirrorOpt = None,
    token: TokenOpt = None,
    timeout: TimeoutOpt = 10.0,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
    strict: StrictOpt = False,
    source: SourceOpt = None,
) -> None:
    """List the models that fit your hardware: the most capable first, each at its best level that fits.

    --all-levels shows every precision/quantization of each model; --json always has one object per variant.
    A variant whose memory figure is unknown is never shown as fitting.
    """
    language = lang_of(lang)
    with reporting_errors():
        from llmzh.errors import UsageError

        vram_choice = vram_option(vram)
        ram_gb = positive_gb(ram, "--ram")
        if cpu and vram_choice is not None:
            raise UsageError("--cpu lists CPU inference; use --ram GB with it, not --vram")
        vram_gb = vram_choice if isinstance(vram_choice, float) else None
        if vram_choice == "auto":
            found = detect_budget()
            vram_gb = found.vram_gb
            if vram_gb is None:  # no GPU: CPU fits within the RAM that is free
                cpu, ram_gb = True, ram_gb or round(found.ram_gb, 1)
        from llmzh.catalog import load_catalog, repo_index
        from llmzh.select import Filters, select, sort_rows

        levels = quant_levels(quant)
        cat = load_catalog(added=catalog)
        filters = Filters(
            vram_gb=vram_gb,
            finetune=finetune,
            ram_gb=ram_gb,
            cpu=cpu,
            quants=frozenset(levels),
            license=license_,
            commercial=commercial,
            base=base,
            search=search,
            ctx=ctx,
        )
        from llmzh.fit import default_estimator

        selection = select(cat, filters, estimator=default_estimator(cat, ctx))
        repos = hub_repos = repo_index(cat)  # `repos`: where live figures are asked (ModelScope's ids with it)
        infos: dict[str, Any] | None = None
        live_source: dict[str, str] = {}
        if live or sort in LIVE_SORTS:
            chosen = choose_source(
                source,
                hub_settings(
                    endpoint=endpoint, mirror=mirror, token=token, timeout=timeout, offline=offline, refresh=refresh
                ),
                token=token,
                refresh=refresh,
            )
            if chosen.source == "modelscope":
                from llmzh.source import modelscope_index

                repos = modelscope_index(cat)
                warn(f"live figures: ModelScope ({chosen.settings.shown_endpoint})")
            live_source = {"live_source": chosen.source}
            infos = _live(selection, repos, chosen.settings, strict)
        cpu_listing = cpu or (ram_gb is not None and vram_gb is None)
        fmt_ = OutputFormat.json if as_json else output
        table = fmt_ is OutputFormat.table
        order = sort or (SortChoice.best if table else SortChoice.vram)
        rows = selection.rows
        if table and not all_levels:
            from llmzh.recommend import best_levels

            rows = tuple(best_levels(rows, finetune=finetune, ram=cpu_listing))
        if order is SortChoice.best:
            from llmzh.recommend import by_capability

            rows = tuple(by_capability(rows, cat))
        else:
            live_value = _live_value(infos, repos)
            key: Any = order.value  # every SortChoice but best is a select.SortKey
            rows = tuple(sort_rows(rows, key, finetune=finetune, ram=cpu_listing, live=live_value))
        unknown = sort_rows(selection.unknown, "name") if include_unknown else []
        if fmt_ is OutputFormat.json:
            from llmzh.render import live_json, row_json

            print_json(
                [
                    row_json(r, hub_repos[r.id])
                    | (live_json(infos.get(repos[r.id] or "")) | live_source if infos is not None else {})
                    for r in [*rows, *unknown]
                ]
            )
        elif fmt_ is OutputFormat.md:
            from llmzh.markdown import overview_markdown

            ids = {r.entry.project.id for r in rows}
            sys.stdout.write(overview_markdown([p for p in cat.projects if p.id in ids], language))
        else:
            from llmzh.render import list_table
            from llmzh.table import terminal_width, use_colour

            width, colour = terminal_width(), use_colour(sys.stdout)
            table_options: dict[str, Any] = {
                "wide": wide,
                "width": width,
                "finetune": finetune,
                "colour": colour,
                "live": infos,
                "repos": repos,
                "ram_listing": cpu_listing,
            }
            if rows:
                sys.stdout.write(list_table(rows, language, **table_options))
            if unknown:
                from llmzh.i18n import t

                title = t("unknown_ram_title" if cpu_listing else "unknown_vram_title", language)
                sys.stdout.write(("\n" if rows else "") + list_table(unknown, language, title=title, **table_options))
        if not rows:
            warn(_nothing_message(selection, filters))


def _live(selection: Any, repos: dict[str, str | None], settings: Any, strict: bool) -> dict[str, Any]:
    """Figures for the listed rows' repos from the chosen source; one summary line on stderr for whatever failed."""
    from llmzh import modelscope
    from llmzh.hub import failure_summary, fetch_infos, require_ok

    wanted = [repos[r.id] for r in (*selection.rows, *selection.unknown) if repos[r.id]]
    on_modelscope = isinstance(settings, modelscope.MsSettings)
    source = modelscope.SOURCE if on_modelscope else "hf"
    infos = (modelscope.fetch_infos if on_modelscope else fetch_infos)([r for r in wanted if r], settings)
    if strict:
        require_ok(infos.values(), source=source)
    summary = failure_summary(infos.values(), source=source)
    if summary is not None:
        warn(summary + "; cells it could not fill show —")
    return infos


def _live_value(infos: dict[str, Any] | None, repos: dict[str, str | None]) -> Any:
    if infos is None:
        return None

    def value(row: Any, key: str) -> float | None:
        info = infos.get(repos[row.id] or "")
        if info is None or not info.has_figures:
            return None
        figure = {"downloads": info.downloads, "likes": info.likes, "size": info.weights_bytes or info.size_bytes}
        result = figure[key]
        return float(result) if result is not None else None

    return value


def _nothing_message(selection: Any, filters: Any) -> str:
    from llmzh.render import num

    ram = filters.vram_gb is None and filters.ram_gb is not None
    miss = selection.nearest_miss(finetune=filters.finetune, ram=ram)
    if miss is None or not filters.limits_memory:
        extra = f" ({len(selection.unknown)} with an unknown figure: --include-unknown)" if selection.unknown else ""
        return f"No models match these filters.{extra}"
    limit = filters.ram_gb if ram else filters.vram_gb
    need = miss.ram if ram else miss.need(finetune=filters.finetune)
    what = "RAM" if ram else ("VRAM for fine-tuning" if filters.finetune else "VRAM")
    approx = "≈" if need.source == "estimated" else ""
    return f"Nothing fits {num(limit)} GB of {what}; the smallest is {miss.id} at {approx}{num(round(need.gb, 2))} GB."
