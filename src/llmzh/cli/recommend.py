"""`llmzh recommend`: the best models this machine runs, ranked, each with the reason."""

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
    TimeoutOpt,
    TokenOpt,
    VramOpt,
    app,
    detect_budget,
    hub_settings,
    lang_of,
    positive_gb,
    print_json,
    reporting_errors,
    vram_option,
    warn,
)


class RuntimeChoice(StrEnum):
    transformers = "transformers"
    vllm = "vllm"
    llama_cpp = "llama.cpp"
    ollama = "ollama"


class TaskChoice(StrEnum):
    chat = "chat"
    reasoning = "reasoning"
    code = "code"
    math = "math"
    vision = "vision"
    long_context = "long-context"
    medical = "medical"
    legal = "legal"
    agent = "agent"
    embedding = "embedding"


RECOMMEND_EPILOG = """\
Examples:

* `llmzh recommend` — for this machine's GPU (or its RAM, without a GPU), 4K context
* `llmzh recommend --vram 8 --ctx 8192 --commercial` — an 8 GB card, 8K context, commercial use allowed
* `llmzh recommend --task medical --lang zh` — medical models, explained in Chinese
* `llmzh recommend --vram 24 --live --json` — ranking with Hub downloads, as data
* `llmzh recommend --vram 24 --runtime vllm --ctx 32768` — what vLLM serves at 32K on a 24 GB card, with commands
"""


@app.command(epilog=RECOMMEND_EPILOG)
def recommend(
    vram: VramOpt = "auto",
    ram: Annotated[
        str | None,
        typer.Option("--ram", metavar="GB", help="Judge CPU fits within this much RAM instead.", show_default=False),
    ] = None,
    ctx: Annotated[int, typer.Option("--ctx", metavar="TOKENS", min=1, help="Context to fit (prompt + reply).")] = 4096,
    task: Annotated[
        TaskChoice | None, typer.Option("--task", help="What the model is for.", show_default=False)
    ] = None,
    commercial: Annotated[bool, typer.Option("--commercial", help="Only weights licensed for commercial use.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many picks to show.")] = 10,
    live: Annotated[
        bool, typer.Option("--live", help="Use Hub downloads (fetched, cached 24 h) to break ties.")
    ] = False,
    runtime: Annotated[
        RuntimeChoice | None,
        typer.Option(
            "--runtime",
            help="Rank under this runtime's memory model (vllm, llama.cpp, ollama: GPU only); default: transformers "
            "figures, GGUF on llama.cpp.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
    endpoint: EndpointOpt = None,
    mirror: MirrorOpt = None,
    token: TokenOpt = None,
    timeout: TimeoutOpt = 10.0,
    offline: OfflineOpt = False,
) -> None:
    """Recommend the best models that fit: ranked by published C-Eval / CMMLU, then recency, then popularity.

    Each model appears once, at the highest-precision level that fits; a fit with little headroom is marked.
    Memory is the published figure where one holds for the context, else the estimate (≈).
    """
    language = lang_of(lang)
    with reporting_errors():
        ram_given = positive_gb(ram, "--ram")
        vram_choice = None if ram_given is not None and vram == "auto" else vram_option(vram)
        from llmzh.catalog import load_catalog, repo_index
        from llmzh.fit import default_estimator
        from llmzh.recommend import passes, pick_json
        from llmzh.recommend import recommend as rank

        vram_gb = vram_choice if isinstance(vram_choice, float) else None
        ram_gb = ram_given
        if vram_choice == "auto":
            found = detect_budget()
            vram_gb = found.vram_gb
            if vram_gb is None:
                ram_gb = found.ram_gb
        cat = load_catalog(added=catalog)
        repos = repo_index(cat)
        downloads = _downloads(cat, repos, live, endpoint, mirror, token, timeout, offline)
        serve = runtime if runtime not in (None, RuntimeChoice.transformers) else None
        if serve is not None and vram_gb is None:
            from llmzh.errors import UsageError

            raise UsageError(f"--runtime {serve.value} ranks GPU fits", hint="give --vram GB (or run on a GPU)")
        estimator = default_estimator(cat, ctx)
        task_name = task.value if task else None
        need_of = _need_of(serve.value, ctx, vram_gb) if serve is not None and vram_gb is not None else None

        def ranked(*, task: str | None, commercial: bool) -> list[Any]:
            return rank(
                cat,
                vram_gb=vram_gb,
                ram_gb=ram_gb,
                ctx=ctx,
                estimator=estimator,
                task=task,
                commercial=commercial,
                downloads=downloads,
                need_of=need_of,
            )

        picks = ranked(task=task_name, commercial=commercial)[:limit]
        run = _commands(picks, runtime.value if runtime else None, ctx, vram_gb)
        if as_json:
            from llmzh.render import pick_reason

            print_json(
                [
                    pick_json(i, p, repos) | {"reason": pick_reason(p, language), "commands": run[p.entry.variant.id]}
                    for i, p in enumerate(picks, 1)
                ]
            )
        elif picks:
            _print(picks, language, run)
        if not picks:
            what = f"{vram_gb:.1f} GB of GPU memory" if vram_gb is not None else f"{ram_gb or 0:.1f} GB of RAM"
            filters = " ".join([f"--task {task_name}"] * bool(task_name) + ["--commercial"] * commercial)
            if not filters:
                warn(f"No model in the catalog fits {what} at a {ctx}-token context.")
            elif not any(passes(e, task=task_name, commercial=commercial) for e in cat.entries()):
                warn(f"No model in the catalog passes {filters}, whatever the memory.")
            elif ranked(task=None, commercial=False):
                warn(
                    f"Models fit {what} at a {ctx}-token context, but none of those that pass {filters} "
                    "(their memory is larger or unknown)."
                )
            else:
                warn(f"No model in the catalog fits {what} at a {ctx}-token context, even without {filters}.")


def _need_of(runtime: str, ctx: int, vram_gb: float) -> Any:
    """GB each catalog variant needs under a serving runtime (llmzh.runtimes.report.runtime_need_bytes)."""
    from llmzh.fit import model_arch
    from llmzh.runtimes.report import runtime_need_bytes

    def need(entry: Any) -> float | None:
        arch = model_arch(entry)
        if arch is None:
            return None
        found = runtime_need_bytes(
            arch,
            entry.variant.quant,
            runtime,  # type: ignore[arg-type]  # a RuntimeChoice value other than transformers
            ctx=ctx,
            vram_bytes=int(vram_gb * 2**30),
        )
        return found / 2**30 if found is not None else None

    return need


def _commands(picks: list[Any], runtime: str | None, ctx: int, vram_gb: float | None) -> dict[str, dict[str, str]]:
    """Each pick's commands, sized for the budget; only the chosen runtime's when --runtime is given."""
    from llmzh.runtimes.report import entry_commands

    found = {}
    for pick in picks:
        cmds = entry_commands(pick.entry, vram_gb=vram_gb, ctx=ctx)
        found[pick.entry.variant.id] = {k: v for k, v in cmds.items() if runtime is None or k == runtime}
    return found


def _downloads(
    cat: Any,
    repos: dict[str, str | None],
    live: bool,
    endpoint: Any,
    mirror: Any,
    token: Any,
    timeout: float,
    offline: bool,
) -> Any:
    """Downloads per variant from the Hub: fetched with --live, else whatever the cache already holds."""
    from llmzh.hub import failure_summary, fetch_infos
    from llmzh.repoinfo import read_cached

    settings = hub_settings(endpoint=endpoint, mirror=mirror, token=token, timeout=timeout, offline=offline)
    wanted = sorted({r for r in repos.values() if r})
    if live:
        infos = fetch_infos(wanted, settings)
        summary = failure_summary(infos.values())
        if summary:
            warn(summary)
    else:
        infos = {r: i for r in wanted if (i := read_cached(settings, r)) is not None}

    def downloads(entry: Any) -> int | None:
        info = infos.get(repos.get(entry.variant.id) or "")
        return info.downloads if info is not None and info.has_figures else None

    return downloads


def _print(picks: list[Any], lang: Any, run: dict[str, dict[str, str]]) -> None:
    """Each pick: its id, the reason wrapped to the terminal (never cut; the id is whole), its one-line commands."""
    from llmzh.render import pick_reason
    from llmzh.table import terminal_width, use_colour, wrap

    bold, reset = ("\x1b[1m", "\x1b[0m") if use_colour(sys.stdout) else ("", "")
    width = len(str(len(picks)))
    indent = " " * (width + 2)
    columns = terminal_width()
    lines = []
    for i, pick in enumerate(picks, 1):
        lines.append(f"{i:>{width}}. {bold}{pick.entry.variant.id}{reset}")
        reason = pick_reason(pick, lang)
        parts = wrap(reason, columns - len(indent)) if columns else [reason]
        lines += [f"{indent}{part}" for part in parts]
        for command in run[pick.entry.variant.id].values():
            if "\n" not in command:
                lines.append(f"{indent}$ {command}")  # a command to copy: whole, on its own line
    sys.stdout.write("\n".join(lines) + "\n")
