"""`llmzh catalog check`: validate a catalog file and report every problem."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from llmzh.cli._common import LangOpt, app, lang_of, reporting_errors, warn

catalog_app = typer.Typer(help="Check the catalog file (`data/models.yaml` or your own).", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("check")
def catalog_check(
    path: Annotated[
        str | None,
        typer.Argument(
            help="Catalog file (default: --catalog / LLMZH_CATALOG / the built-in one).", show_default=False
        ),
    ] = None,
    lang: LangOpt = None,
) -> None:
    """Validate a catalog file and report every problem at once (exit 1 if any).

    Beyond the structure it checks that every figure, score, date and licence has a source, that every
    licence states commercial terms, and that each architecture block agrees with the stated parameter count
    within 10 %.
    """
    lang_of(lang)
    with reporting_errors():
        from llmzh.catalog import catalog_path, check

        target = catalog_path(path)
        result = check(target)
        for problem in result.problems:
            sys.stdout.write(f"{problem}\n")
        if result.catalog is None:
            warn(f"{target}: {len(result.problems)} problem(s).")
            raise typer.Exit(1)
        entries = result.catalog.entries()
        models = {e.model.id for e in entries}
        warn(f"{target}: OK — {len(result.catalog.projects)} projects, {len(models)} models, {len(entries)} variants.")
