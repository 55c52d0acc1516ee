"""The `llmzh` command line: parse options, call the domain modules, print what render builds."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer

from llmzh import __version__
from llmzh.errors import LlmzhError

app = typer.Typer(
    name="llmzh",
    help=(
        "Pick, size and download open-source Chinese LLMs that fit your hardware.\n\n"
        "挑选能在你的显卡上运行的开源中文大模型：显存、量化、许可，一目了然。"
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)
catalog_app = typer.Typer(help="Check the catalog file (`data/models.yaml` or your own).", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


class LangChoice(StrEnum):
    zh = "zh"
    en = "en"


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"


class SortChoice(StrEnum):
    vram = "vram"
    name = "name"
    params = "params"
    score = "score"


CatalogOpt = Annotated[
    str | None,
    typer.Option(
        "--catalog",
        metavar="PATH",
        help="Catalog file to read instead of the built-in one (also: LLMZH_CATALOG).",
        show_default=False,
    ),
]
LangOpt = Annotated[
    LangChoice | None,
    typer.Option("--lang", help="Output language (also: LLMZH_LANG; default from the locale).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


# ---------------------------------------------------------------- plumbing


def _stdout() -> Any:
    from rich.console import Console

    return Console(soft_wrap=False)


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def _warn(message: str) -> None:
    _stderr().print(message, markup=False, highlight=False)


def _fail(error: LlmzhError) -> NoReturn:
    console = _stderr()
    console.print(f"Error: {error.message}", style="bold red", markup=False, highlight=False)
    if error.hint:
        console.print(f"Hint: {error.hint}", markup=False, highlight=False)
    raise typer.Exit(error.exit_code)


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn domain errors into one line on stderr and the error's exit code; no traceback."""
    try:
        yield
    except LlmzhError as error:
        if os.environ.get("LLMZH_DEBUG"):
            raise
        _fail(error)
    except KeyboardInterrupt:
        _warn("Interrupted.")
        raise typer.Exit(130) from None


def _lang(choice: LangChoice | None) -> Any:
    from llmzh.config import default_lang

    return choice.value if choice is not None else default_lang()


def _positive_gb(value: float | None, option: str) -> float | None:
    if value is not None and value <= 0:
        raise typer.BadParameter(f"must be a positive number of GB, got {value:g}", param_hint=option)
    return value


def _print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"llmzh {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Pick, size and download open-source Chinese LLMs that fit your hardware."""


# ---------------------------------------------------------------- list

LIST_EPILOG = """\
Examples:

* `llmzh list --vram 6` — what runs on a 6 GB card (inference)
* `llmzh list --vram 8 --finetune` — what can be fine-tuned (parameter-efficient) on 8 GB
* `llmzh list --cpu --ram 16` — CPU inference within 16 GB of RAM
* `llmzh list --quant int4 --commercial` — INT4 variants you may use commercially
* `llmzh list --search 医学` / `--base llama` — by name, description or base model
* `llmzh list --json` — machine-readable rows (fields documented in the README)
* `llmzh list --format md` — the founding document's overview table
"""


@app.command("list", epilog=LIST_EPILOG)
def list_(
    vram: Annotated[
        float | None,
        typer.Option(
            "--vram", metavar="GB", help="GPU memory in GB: list what fits for inference.", show_default=False
        ),
    ] = None,
    finetune: Annotated[
        bool, typer.Option("--finetune", help="Apply --vram to parameter-efficient fine-tuning instead.")
    ] = False,
    ram: Annotated[
        float | None,
        typer.Option(
            "--ram", metavar="GB", help="System RAM in GB: list what fits for CPU inference.", show_default=False
        ),
    ] = None,
    cpu: Annotated[bool, typer.Option("--cpu", help="Only variants that run on the CPU.")] = False,
    quant: Annotated[
        list[str] | None,
        typer.Option(
            "--quant",
            help="Quantization level (repeatable): fp16, int8, int4, gptq-int4, q4_k_m, ...",
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
    sort: Annotated[SortChoice, typer.Option("--sort", help="Sort order.")] = SortChoice.vram,
    include_unknown: Annotated[
        bool, typer.Option("--include-unknown", help="Also list, separately, variants whose figure is unknown.")
    ] = False,
    wide: Annotated[bool, typer.Option("--wide", help="More columns: params, context, scores, training data.")] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """List catalog variants, one row per precision/quantization, filtered by what your hardware holds.

    A variant whose memory figure is unknown is never shown as fitting.
    """
    _positive_gb(vram, "--vram")
    _positive_gb(ram, "--ram")
    if cpu and vram is not None:
        raise typer.BadParameter("--cpu lists CPU inference; use --ram GB with it, not --vram", param_hint="--cpu")
    with reporting_errors():
        from llmzh.catalog import load_catalog, repo_index
        from llmzh.schema import Quant
        from llmzh.select import Filters, select, sort_rows

        levels = set()
        for level in quant or ():
            try:
                levels.add(Quant(level.strip().lower()))
            except ValueError:
                allowed = ", ".join(q.value for q in Quant)
                raise typer.BadParameter(
                    f"unknown level {level!r}; expected one of: {allowed}", param_hint="--quant"
                ) from None
        language = _lang(lang)
        cat = load_catalog(catalog)
        filters = Filters(
            vram_gb=vram,
            finetune=finetune,
            ram_gb=ram,
            cpu=cpu,
            quants=frozenset(levels),
            license=license_,
            commercial=commercial,
            base=base,
            search=search,
        )
        selection = select(cat, filters)
        rows = sort_rows(selection.rows, sort.value, finetune=finetune, ram=cpu or (ram is not None and vram is None))
        unknown = sort_rows(selection.unknown, "name") if include_unknown else []
        fmt_ = OutputFormat.json if as_json else output
        if fmt_ is OutputFormat.json:
            from llmzh.render import row_json

            repos = repo_index(cat)
            _print_json([row_json(r, repos[r.id]) for r in [*rows, *unknown]])
        elif fmt_ is OutputFormat.md:
            from llmzh.render import overview_markdown

            ids = {r.entry.project.id for r in rows}
            sys.stdout.write(overview_markdown([p for p in cat.projects if p.id in ids], language))
        else:
            from llmzh.render import list_table
            from llmzh.table import terminal_width, use_colour

            width, colour = terminal_width(), use_colour(sys.stdout)
            if rows:
                sys.stdout.write(list_table(rows, language, wide=wide, width=width, finetune=finetune, colour=colour))
            if unknown:
                from llmzh.i18n import t

                title = t("unknown_ram_title" if ram is not None and vram is None else "unknown_vram_title", language)
                table = list_table(
                    unknown, language, wide=wide, width=width, finetune=finetune, colour=colour, title=title
                )
                sys.stdout.write(("\n" if rows else "") + table)
        if not rows:
            _warn(_nothing_message(selection, filters))


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
    return f"Nothing fits {num(limit)} GB of {what}; the smallest is {miss.id} at {approx}{num(need.gb)} GB."


# ---------------------------------------------------------------- show

SHOW_EPILOG = """\
Examples:

* `llmzh show chatglm-6b` — the whole project card
* `llmzh show chinese-vicuna-7b` — one model (a LoRA adapter: which base weights it needs)
* `llmzh show chatglm-6b-int4 --lang en`
* `llmzh show 百川2` — Chinese names work too
* `llmzh show qwen2.5 --json` — the whole catalog record with sources
"""


@app.command(epilog=SHOW_EPILOG)
def show(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="A project, model or variant id (case-insensitive) or a Chinese name.")
    ],
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Show everything known about a project, model or variant: who made it, papers, data, licence, resources."""
    with reporting_errors():
        from llmzh.catalog import find, load_catalog, repo_index
        from llmzh.select import make_row

        cat = load_catalog(catalog)
        match = find(cat, name)
        if as_json:
            from llmzh.render import to_jsonable

            _print_json(to_jsonable(match.project))
            return
        from llmzh.cards import card

        rows = {e.variant.id: make_row(e) for e in cat.entries() if e.project.id == match.project.id}
        _stdout().print(card(match, rows, _lang(lang), repo_index(cat)))


# ---------------------------------------------------------------- catalog check


@catalog_app.command("check")
def catalog_check(
    path: Annotated[
        str | None,
        typer.Argument(
            help="Catalog file (default: --catalog / LLMZH_CATALOG / the built-in one).", show_default=False
        ),
    ] = None,
) -> None:
    """Validate a catalog file and report every problem at once (exit 1 if any)."""
    with reporting_errors():
        from llmzh.catalog import catalog_path, validate

        target = catalog_path(path)
        result = validate(target)
        for problem in result.problems:
            sys.stdout.write(f"{problem}\n")
        if result.catalog is None:
            _warn(f"{target}: {len(result.problems)} problem(s).")
            raise typer.Exit(1)
        entries = result.catalog.entries()
        models = {e.model.id for e in entries}
        _warn(f"{target}: OK — {len(result.catalog.projects)} projects, {len(models)} models, {len(entries)} variants.")


def main() -> None:
    app()
