"""`llmzh catalog check`: validate a catalog file and report every problem."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from llmzh.cli._common import (
    EndpointOpt,
    LangOpt,
    MirrorOpt,
    OfflineOpt,
    TimeoutOpt,
    TokenOpt,
    app,
    hub_settings,
    lang_of,
    reporting_errors,
    warn,
)

catalog_app = typer.Typer(
    help="Check a catalog file (`data/models.yaml` or your own); draft an entry for a Hub repo.", no_args_is_help=True
)
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("check")
def catalog_check(
    path: Annotated[
        str | None,
        typer.Argument(
            help="Catalog file (default: the built-in one or LLMZH_CATALOG, and your ~/.config/llmzh/models.yaml).",
            show_default=False,
        ),
    ] = None,
    lang: LangOpt = None,
) -> None:
    """Validate a catalog file and report every problem at once (exit 1 if any).

    Beyond the structure it checks that every figure, score, date and licence has a source, that every
    licence states commercial terms, and that each architecture block agrees with the stated parameter count
    within 10 %. Without PATH it checks the built-in catalog and your own catalog file, and that no id is used
    in both.
    """
    lang_of(lang)
    with reporting_errors():
        from llmzh.catalog import catalog_files, catalog_path, check, merge

        targets = [catalog_path(path)] if path is not None else list(catalog_files())
        failed = False
        catalogs = []
        for target in targets:
            result = check(target)
            for problem in result.problems:
                sys.stdout.write(f"{problem}\n")
            if result.catalog is None:
                warn(f"{target}: {len(result.problems)} problem(s).")
                failed = True
                continue
            catalogs.append(result.catalog)
            entries = result.catalog.entries()
            models = {e.model.id for e in entries}
            projects = len(result.catalog.projects)
            warn(f"{target}: OK — {projects} projects, {len(models)} models, {len(entries)} variants.")
        if len(catalogs) > 1:
            merge(catalogs)  # raises, naming both files, when an id is used twice
        if failed:
            raise typer.Exit(1)


DRAFT_EPILOG = """\
Examples:

* `llmzh catalog draft my-org/my-finetune -o mine.yaml` — a starting entry to complete
* `llmzh catalog check mine.yaml` then `llmzh list --catalog mine.yaml` — check it, then use it beside the
  built-in catalog (or save it as ~/.config/llmzh/models.yaml)
"""


@catalog_app.command("draft", epilog=DRAFT_EPILOG)
def catalog_draft(
    repo: Annotated[
        str, typer.Argument(help="Hub repo id, owner/name, or a pasted model page URL.", show_default=False)
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write the draft here (default: stdout).", show_default=False
        ),
    ] = None,
    endpoint: EndpointOpt = None,
    mirror: MirrorOpt = None,
    token: TokenOpt = None,
    timeout: TimeoutOpt = 10.0,
    offline: OfflineOpt = False,
    lang: LangOpt = None,
) -> None:
    """Write a starting catalog entry for a Hub repo, every fact with the URL it came from.

    Reads the repo's config.json (architecture, context length, precision, quantization_config), its card
    metadata (licence tag, base model) and the Hub's safetensors count and creation date. You complete the
    rest: description, tasks, commercial terms where unknown, benchmarks and memory figures.
    """
    from pathlib import Path

    lang_of(lang)
    with reporting_errors():
        from llmzh.draft import draft_yaml
        from llmzh.errors import LlmzhError, UsageError
        from llmzh.hub import check_repo_id, fetch_card, fetch_config
        from llmzh.names import parse_name

        parsed = parse_name(repo)
        if parsed.repo is None:
            raise UsageError(f"{repo!r} is not a Hub repo id; give it as owner/name")
        repo = parsed.repo
        check_repo_id(repo)

        settings = hub_settings(endpoint=endpoint, mirror=mirror, token=token, timeout=timeout, offline=offline)
        card = fetch_card(repo, settings)
        text = draft_yaml(repo, settings.endpoint, card, fetch_config(repo, settings, revision=card.sha))
        if output is None:
            sys.stdout.write(text)
            return
        target = Path(output)
        if target.exists():
            raise UsageError(f"{target} exists; the draft would overwrite it", hint="choose another --output file")
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as error:
            raise LlmzhError(f"cannot write {target}: {error.strerror}") from error
        warn(f"Wrote {target}: complete it, then run `llmzh catalog check {target}`.")
