"""`llmzh export`: the catalog as a document (Markdown, like the founding document) or as JSON."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from llmzh.cli._common import CatalogOpt, LangOpt, app, explicit_lang, lang_of, reporting_errors, warn


class ExportFormat(StrEnum):
    md = "md"
    json = "json"


EXPORT_EPILOG = """\
Examples:

* `llmzh export --format md -o docs/catalog.md` — regenerate the catalog document (Chinese by default)
* `llmzh export --format md --lang en` — the same in English, on stdout
* `llmzh export --format json > catalog.json` — every record with its sources
"""


@app.command(epilog=EXPORT_EPILOG)
def export(
    output_format: Annotated[ExportFormat, typer.Option("--format", help="Document format.")] = ExportFormat.md,
    output: Annotated[
        str,
        typer.Option("--output", "-o", metavar="PATH", help="Write here instead of stdout ('-')."),
    ] = "-",
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Export the whole catalog: the founding document's overview table extended to every model, and one
    section per project (Markdown), or every record with its sources (JSON).

    Markdown defaults to Chinese, like the founding document; --lang en writes English.
    """
    lang_of(lang)
    with reporting_errors():
        from llmzh.catalog import load_catalog

        cat = load_catalog(added=catalog)
        if output_format is ExportFormat.md:
            from llmzh.markdown import catalog_markdown

            document = catalog_markdown(cat, explicit_lang() or "zh")
        else:
            import json

            from llmzh.render import to_jsonable

            document = json.dumps(to_jsonable(cat.projects), ensure_ascii=False, indent=2) + "\n"
        if output == "-":
            sys.stdout.write(document)
            return
        try:
            Path(output).write_text(document, encoding="utf-8")
        except OSError as error:
            from llmzh.errors import LlmzhError

            raise LlmzhError(f"cannot write {output}: {error.strerror or error}") from error
        warn(f"Wrote {output} ({len(document.splitlines())} lines).")
