"""`llmzh show`: the whole card of a project, model or variant."""

from __future__ import annotations

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
    print_json,
    reporting_errors,
    stdout_console,
    tr,
    vram_option,
    warn,
)

SHOW_EPILOG = """\
Examples:

* `llmzh show chatglm-6b` — the whole project card
* `llmzh show chinese-vicuna-7b` — one model (a LoRA adapter: which base weights it needs)
* `llmzh show chatglm-6b-int4 --lang en`
* `llmzh show 通义千问` — Chinese names work too (a family name lists its projects)
* `llmzh show https://huggingface.co/Qwen/Qwen2.5-7B-Instruct` — a pasted model page
* `llmzh show Qwen/Qwen2.5-Math-7B` — a repo the catalog lacks: live Hub figures and an estimate
* `llmzh show qwen2.5 --json` — the whole catalog record with sources (no network)
* `llmzh show chatglm-6b --offline` — Hub figures from the cache only
* `HF_ENDPOINT=https://hf-mirror.com llmzh show qwen2.5-7b-instruct` — through a mirror
* `llmzh show qwen2.5-7b-instruct --source modelscope` — live figures from ModelScope (modelscope.cn)
* `llmzh show qwen3-8b --vram 24 --ctx 32768` — the vLLM / llama.cpp / Ollama commands sized for a 24 GB card
"""

RUN_CTX = 4096  # context the printed commands are sized for when --ctx is not given (recommend's default)


@app.command(epilog=SHOW_EPILOG)
def show(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="An id, a Chinese or English name or part of one, a Hub repo id, or a pasted model page URL.",
        ),
    ],
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
    endpoint: EndpointOpt = None,
    mirror: MirrorOpt = None,
    token: TokenOpt = None,
    timeout: TimeoutOpt = 10.0,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
    strict: StrictOpt = False,
    source: SourceOpt = None,
    vram: VramOpt = None,
    ctx: Annotated[
        int, typer.Option("--ctx", metavar="TOKENS", min=1, help="Context the printed commands are sized for.")
    ] = RUN_CTX,
) -> None:
    """Show everything known about a project, model or variant: who made it, papers, data, licence, resources.

    Live figures for each Hub repo (downloads, likes, size, status) follow the card; they are cached for 24 h.
    If the Hub cannot be reached the card is still shown, with one line on stderr (exit 1 only with --strict).
    """
    language = lang_of(lang)
    with reporting_errors():
        vram_choice = vram_option(vram)
        from llmzh.catalog import Ambiguous, load_catalog, lookup, repo_index
        from llmzh.select import make_row

        cat = load_catalog(added=catalog)
        try:
            found = lookup(cat, name)
        except Ambiguous as many:
            if not many.family:
                raise
            _print_candidates(many, language, as_json=as_json)
            return
        settings = hub_settings(
            endpoint=endpoint, mirror=mirror, token=token, timeout=timeout, offline=offline, refresh=refresh
        )
        match = found.match
        if match is None:
            _print_repo(found.name.repo or "", settings, language, as_json=as_json, strict=strict)
            return
        vram_gb = detect_budget().vram_gb if vram_choice == "auto" else vram_choice
        project_entries = [e for e in cat.entries() if e.project.id == match.project.id]
        run = _run_commands(project_entries, vram_gb if isinstance(vram_gb, float) else None, ctx)
        if as_json:
            from llmzh.render import to_jsonable

            record = to_jsonable(match.project)
            for model in record["models"]:
                for variant in model["variants"]:
                    variant["commands"] = run.get(variant["id"], {})
            print_json(record)
            return
        from llmzh.cards import card

        repos = repo_index(cat)
        from llmzh.fit import default_estimator

        estimator = default_estimator(cat)  # memoized, and consistent with the published figures beside it
        entries = [e for e in cat.entries() if e.project.id == match.project.id]
        rows = {e.variant.id: make_row(e) for e in entries}
        estimates = {e.variant.id: estimator(e, "inference") for e in entries}
        from llmzh.table import terminal_width

        console = stdout_console()
        console.print(card(match, rows, language, repos, estimates, terminal_width()))
        _print_run(console, match, project_entries, run, ctx, vram_gb, language)
        chosen = choose_source(source, settings, token=token, refresh=refresh)
        if chosen.source == "modelscope":
            from llmzh.source import modelscope_index

            repos = modelscope_index(cat)
        _print_hub(console, cat, match, repos, chosen.settings, language, strict=strict)


def _run_commands(entries: Any, vram_gb: float | None, ctx: int) -> dict[str, dict[str, str]]:
    """Each variant's commands (llmzh.runtimes), sized for the card when one is given."""
    from llmzh.runtimes.report import entry_commands

    found = {}
    for e in entries:
        if cmds := entry_commands(e, vram_gb=vram_gb, ctx=ctx):
            found[e.variant.id] = cmds
    return found


def _print_run(console: Any, match: Any, entries: Any, run: Any, ctx: int, vram_gb: Any, lang: Any) -> None:
    """The commands of the variants shown, after the card."""
    from rich.text import Text

    from llmzh.i18n import t

    shown = [e.variant.id for e in entries if e.variant.id in run and match.model in (None, e.model)]
    if match.variant is not None:
        shown = [v for v in shown if v == match.variant.id]
    if not shown:
        return
    budget = f", {vram_gb:g} GB" if isinstance(vram_gb, float) else ""
    console.print(Text("\n" + t("run_title", lang).format(ctx=ctx, vram=budget), style="bold cyan"))
    for variant_id in shown:
        console.print(Text(f"  {variant_id}", style="bold"))
        for runtime, command in run[variant_id].items():
            lines = command.splitlines()
            console.print(Text(f"    {runtime}: {lines[0]}" if len(lines) == 1 else f"    {runtime}:"), soft_wrap=True)
            for line in lines if len(lines) > 1 else []:
                console.print(Text(f"      {line}"), soft_wrap=True)


def _print_candidates(many: Any, lang: Any, *, as_json: bool) -> None:
    """A name that covers several records (a family name such as 通义千问): each candidate on one line."""
    import sys

    from llmzh.render import candidates_table, match_json
    from llmzh.table import terminal_width

    if as_json:
        print_json([match_json(m) for m in many.candidates])
        return
    sys.stdout.write(candidates_table(many.candidates, lang, width=terminal_width()))
    warn(f"{many.name!r} matches {len(many.candidates)} catalog entries; `llmzh show ID` shows one card")


def _print_repo(repo: str, settings: Any, lang: Any, *, as_json: bool, strict: bool) -> None:
    """A Hub repo the catalog lacks: its live Hub figures, then an estimate from its config.json."""
    from rich.text import Text

    from llmzh.cards import hub_table
    from llmzh.errors import LlmzhError
    from llmzh.hub import check_repo_id, failure_summary, fetch_config, fetch_infos, require_ok
    from llmzh.i18n import t

    check_repo_id(repo)
    infos = fetch_infos([repo], settings)
    if strict:
        require_ok(infos.values())
    info = infos[repo]
    if info.status == "gone":
        raise LlmzhError(f"{repo} is not in the catalog, and the Hub has no such repo", hint="check the spelling")
    if as_json:
        from llmzh.render import live_json

        print_json({"repo": repo, "in_catalog": False} | live_json(info))
        return
    console = stdout_console()
    warn(f"{repo} is not in the catalog: live Hub figures and an estimate from its config.json")
    console.print(Text(f"{t('hub', lang)}  ({settings.endpoint})", style="bold cyan"))
    console.print(hub_table([info], {}, lang, console.width))
    summary = failure_summary(infos.values())
    if summary is not None:
        warn(summary)
        return
    from llmzh.cli.estimate import inference_table
    from llmzh.fit import hub_target

    try:
        target = hub_target(repo, fetch_config(repo, settings))
    except LlmzhError as error:
        warn(f"no estimate: {error.message}")
        return
    inference_table(target, list(target.levels), 2048, None, 1, None, "model", None, False, lang)


def _print_hub(console: Any, cat: Any, match: Any, repos: Any, settings: Any, lang: Any, *, strict: bool) -> None:
    """The live Hub table after the card, the disagreements it reveals, and one stderr line if anything failed."""
    from rich.text import Text

    from llmzh import modelscope
    from llmzh.audit import hub_disagreements
    from llmzh.cards import hub_table
    from llmzh.catalog import entries_of
    from llmzh.hub import failure_summary, fetch_infos, require_ok
    from llmzh.i18n import t

    on_modelscope = isinstance(settings, modelscope.MsSettings)
    source = modelscope.SOURCE if on_modelscope else "hf"

    entries = entries_of(cat, match)
    roles: dict[str, str] = {}
    for entry in entries:
        repo = repos.get(entry.variant.id)
        if repo:
            roles.setdefault(repo, "")
        base = entry.model.base_weights
        if base is not None and base.repo and not on_modelscope:
            roles.setdefault(base.repo, t("base_role", lang))
    if not roles:
        return
    infos = (modelscope.fetch_infos if on_modelscope else fetch_infos)(roles, settings)
    title = t("modelscope_live", lang) if on_modelscope else t("hub", lang)
    console.print(Text(f"\n{title}  ({settings.shown_endpoint})", style="bold cyan"))
    labels = {r: v for r, v in roles.items() if v}
    console.print(hub_table([infos[r] for r in roles], labels, lang, console.width, source=source))
    # The catalog's facts are the Hugging Face repos'; ModelScope's copies are not compared with them.
    notes = [
        n
        for e in entries
        if repos.get(e.variant.id) and not on_modelscope
        for n in hub_disagreements(e, infos[repos[e.variant.id]])
    ]
    for entry in entries:
        base = entry.model.base_weights
        if base is not None and base.repo and base.repo in infos and infos[base.repo].status == "gone":
            others = ", ".join(base.alternatives) or "none recorded"
            notes.append(f"base weights {base.repo} are gone from the Hub; alternatives in the catalog: {others}")
    if notes:
        console.print(Text(t("hub_notes", lang), style="bold yellow"))
        for note in dict.fromkeys(notes):
            console.print(Text(f"  ! {tr(note)}", style="yellow"))
    summary = failure_summary(infos.values(), source=source)
    if summary is not None:
        if strict:
            require_ok(infos.values(), source=source)
        warn(summary)
