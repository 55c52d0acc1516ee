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
    StrictOpt,
    TimeoutOpt,
    TokenOpt,
    app,
    hub_settings,
    lang_of,
    print_json,
    reporting_errors,
    stdout_console,
    warn,
)

SHOW_EPILOG = """\
Examples:

* `llmzh show chatglm-6b` — the whole project card
* `llmzh show chinese-vicuna-7b` — one model (a LoRA adapter: which base weights it needs)
* `llmzh show chatglm-6b-int4 --lang en`
* `llmzh show 百川2` — Chinese names work too
* `llmzh show qwen2.5 --json` — the whole catalog record with sources (no network)
* `llmzh show chatglm-6b --offline` — Hub figures from the cache only
* `HF_ENDPOINT=https://hf-mirror.com llmzh show qwen2.5-7b-instruct` — through a mirror
"""


@app.command(epilog=SHOW_EPILOG)
def show(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="A project, model or variant id (case-insensitive) or a Chinese name.")
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
) -> None:
    """Show everything known about a project, model or variant: who made it, papers, data, licence, resources.

    Live figures for each Hub repo (downloads, likes, size, status) follow the card; they are cached for 24 h.
    If the Hub cannot be reached the card is still shown, with one line on stderr (exit 1 only with --strict).
    """
    with reporting_errors():
        from llmzh.catalog import find, load_catalog, repo_index
        from llmzh.select import make_row

        cat = load_catalog(added=catalog)
        match = find(cat, name)
        if as_json:
            from llmzh.render import to_jsonable

            print_json(to_jsonable(match.project))
            return
        from llmzh.cards import card

        settings = hub_settings(
            endpoint=endpoint, mirror=mirror, token=token, timeout=timeout, offline=offline, refresh=refresh
        )
        language = lang_of(lang)
        repos = repo_index(cat)
        from llmzh.fit import default_estimator

        estimator = default_estimator(cat)  # memoized, and consistent with the published figures beside it
        entries = [e for e in cat.entries() if e.project.id == match.project.id]
        rows = {e.variant.id: make_row(e) for e in entries}
        estimates = {e.variant.id: estimator(e, "inference") for e in entries}
        console = stdout_console()
        console.print(card(match, rows, language, repos, estimates))
        _print_hub(console, cat, match, repos, settings, language, strict=strict)


def _print_hub(console: Any, cat: Any, match: Any, repos: Any, settings: Any, lang: Any, *, strict: bool) -> None:
    """The live Hub table after the card, the disagreements it reveals, and one stderr line if anything failed."""
    from rich.text import Text

    from llmzh.audit import hub_disagreements
    from llmzh.cards import hub_table
    from llmzh.catalog import entries_of
    from llmzh.hub import failure_summary, fetch_infos, require_ok
    from llmzh.i18n import t

    entries = entries_of(cat, match)
    roles: dict[str, str] = {}
    for entry in entries:
        repo = repos.get(entry.variant.id)
        if repo:
            roles.setdefault(repo, "")
        base = entry.model.base_weights
        if base is not None and base.repo:
            roles.setdefault(base.repo, t("base_role", lang))
    if not roles:
        return
    infos = fetch_infos(roles, settings)
    console.print(Text(f"\n{t('hub', lang)}  ({settings.shown_endpoint})", style="bold cyan"))
    console.print(hub_table([infos[r] for r in roles], {r: v for r, v in roles.items() if v}, lang))
    notes = [n for e in entries if repos.get(e.variant.id) for n in hub_disagreements(e, infos[repos[e.variant.id]])]
    for entry in entries:
        base = entry.model.base_weights
        if base is not None and base.repo and infos[base.repo].status == "gone":
            others = ", ".join(base.alternatives) or "none recorded"
            notes.append(f"base weights {base.repo} are gone from the Hub; alternatives in the catalog: {others}")
    if notes:
        console.print(Text(t("hub_notes", lang), style="bold yellow"))
        for note in dict.fromkeys(notes):
            console.print(Text(f"  ! {note}", style="yellow"))
    summary = failure_summary(infos.values())
    if summary is not None:
        if strict:
            require_ok(infos.values())
        warn(summary)
