"""`llmzh show`: the whole card of a project, model or variant."""

from __future__ import annotations

from typing import Annotated

import typer

from llmzh.cli._common import CatalogOpt, JsonOpt, LangOpt, app, lang_of, print_json, reporting_errors, stdout_console

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

            print_json(to_jsonable(match.project))
            return
        from llmzh.cards import card

        rows = {e.variant.id: make_row(e) for e in cat.entries() if e.project.id == match.project.id}
        stdout_console().print(card(match, rows, lang_of(lang), repo_index(cat)))
