"""`llmzh download` and `llmzh verify`: the right weights, checked before a byte moves, resumable, through mirrors."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from llmzh.cli._common import (
    CatalogOpt,
    EndpointOpt,
    JsonOpt,
    LangOpt,
    MirrorOpt,
    SourceOpt,
    TimeoutOpt,
    TokenOpt,
    app,
    choose_source,
    hub_settings,
    lang_of,
    print_json,
    reporting_errors,
    stderr_console,
    tr,
    warn,
)

DOWNLOAD_EPILOG = """\
Examples:

* `llmzh download chatglm-6b --quant int4` — the INT4 weights (THUDM/chatglm-6b-int4) into the Hugging Face cache
* `llmzh download chatglm-6b --quant int8` — INT8 is made at load time: fetches FP16, prints the line that quantizes
* `llmzh download chinese-vicuna-7b --with-base --base-repo yahma/llama-7b-hf` — a LoRA adapter and base weights
* `llmzh download THUDM/chatglm-6b --local-dir ./chatglm-6b` — any Hub repo, as a plain copy in a folder
* `llmzh download Qwen/Qwen2.5-7B-Instruct --include "*.json" --include "*.safetensors"` — only some files
* `llmzh download chatglm-6b --dry-run` — the plan: files, sizes, free space; nothing is written
* `llmzh download chatglm-6b --mirror hf-mirror` — through https://hf-mirror.com (or set `HF_ENDPOINT`)
* `llmzh download qwen2.5-7b-instruct --source modelscope` — from ModelScope (modelscope.cn), into its own cache
* Interrupted or cut off? Run the same command again: it resumes from the partial file.
"""

VERIFY_EPILOG = """\
Examples:

* `llmzh verify chatglm-6b-int4` — the copy in the Hugging Face cache
* `llmzh verify THUDM/chatglm-6b --local-dir ./chatglm-6b` — a plain copy in a folder
* `llmzh verify qwen2.5-7b-instruct --source modelscope` — against ModelScope's sha256 of each file
* `llmzh download chatglm-6b --verify` — download, then verify
"""

QuantOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--quant",
        metavar="LEVEL",
        help="Which variant of a catalog model: fp16, int8, int4, gptq-int4, ... (default: the first the catalog "
        "lists); one level per run.",
        show_default=False,
    ),
]


def _one_quant(values: list[str] | None) -> str | None:
    """Downloading two levels at once would double the disk check's stakes silently: one --quant per run."""
    from llmzh.errors import UsageError

    if values and len(values) > 1:
        raise UsageError(
            f"--quant was given {len(values)} times ({', '.join(values)}); a download takes one level",
            hint="run llmzh download once per level",
        )
    return values[0] if values else None


RevisionOpt = Annotated[
    str | None,
    typer.Option("--revision", metavar="REV", help="Branch, tag or commit (default: main).", show_default=False),
]
LocalDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--local-dir",
        metavar="DIR",
        help="A plain copy in DIR instead of the shared Hugging Face cache (where transformers looks).",
        show_default=False,
    ),
]
IncludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--include",
        metavar="PATTERN",
        help="Only files matching this glob, e.g. '*.safetensors' (repeatable).",
        show_default=False,
    ),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude", metavar="PATTERN", help="Skip files matching this glob (repeatable).", show_default=False
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no plan on stderr.")]


def _on_terminal() -> bool:
    return sys.stdout.isatty() and sys.stderr.isatty()


@contextmanager
def _progress(total: int, label: str, *, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A bar on stderr with bytes, speed and time left, fed from download threads; None when there is none."""
    if not enabled or total <= 0:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, TimeRemainingColumn(), console=stderr_console()) as bar:
        task = bar.add_task(tr(label), total=total)
        yield lambda count: bar.advance(task, count)


def _local_dir(path: Path | None) -> Path | None:
    return Path(os.path.abspath(path.expanduser())) if path is not None else None


def _settings(endpoint: str | None, mirror: str | None, token: str | None, timeout: float) -> Any:
    from llmzh.errors import HubError

    settings = hub_settings(endpoint=endpoint, mirror=mirror, token=token, timeout=timeout)
    if settings.offline:
        raise HubError("offline mode (HF_HUB_OFFLINE) is on: nothing can be fetched", hint="unset HF_HUB_OFFLINE")
    return settings


def _target(
    name: str,
    *,
    quant: list[str] | None,
    source: str | None,
    catalog: list[str] | None,
    endpoint: str | None,
    mirror: str | None,
    token: str | None,
    timeout: float,
) -> tuple[Any, Any]:
    """What `download` and `verify` work on, and the settings of the source it comes from."""
    from llmzh.catalog import load_catalog
    from llmzh.download import resolve
    from llmzh.names import parse_name
    from llmzh.source import on_modelscope

    typed = parse_name(name)  # a pasted modelscope.cn page means ModelScope unless --source says otherwise
    wanted = source or ("modelscope" if typed.source == "modelscope" else None)
    chosen = choose_source(wanted, _settings(endpoint, mirror, token, timeout), token=token)
    on_ms = chosen.source == "modelscope"
    target = resolve(load_catalog(added=catalog), name, quant=_one_quant(quant), hub_rules=not on_ms)
    if on_ms:
        target = on_modelscope(target, typed.repo or name)
    return target, chosen.settings


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"


def _plan_lines(plan: Any, *, files: bool) -> list[str]:
    from llmzh.render import human_bytes

    lines = []
    for part in plan.repos:
        role = " (base weights)" if part.role == "base" else ""
        head = f"{part.repo}{role} @ {part.listing.revision} ({part.listing.commit[:8]}): "
        head += f"{_files(len(part.files))}, {human_bytes(part.total_bytes)}; "
        head += f"{human_bytes(part.missing_bytes)} to download" if part.missing_bytes else "all present"
        lines.append(head)
        for f in part.files if files else ():
            state = " (present)" if f.present else (f" ({human_bytes(f.partial)} kept)" if f.partial else "")
            lines.append(f"  {human_bytes(f.size):>9}  {f.path}{state}")
    cache = "ModelScope" if plan.repos[0].listing.source == "modelscope" else "Hugging Face"
    where = f"the {cache} cache " if all(p.local_dir is None for p in plan.repos) else ""
    lines.append(f"destination: {where}{plan.root} ({human_bytes(plan.free_bytes)} free)")
    return lines


def _fetched_lines(fetched: list[Any]) -> list[str]:
    from llmzh.render import human_bytes

    lines = []
    for f in fetched:
        what = "base weights " if f.role == "base" else ""
        lines.append(f"{what}{f.repo}: {_files(f.files)}, {human_bytes(f.total_bytes)} in {f.path}")
    return lines


def _write(lines: list[str]) -> None:
    from llmzh.untrusted import shown

    sys.stdout.write("".join(f"{shown(tr(line))}\n" for line in lines))


def _tell(licence: str | None, notes: list[str]) -> None:
    """The licence and what to do with the files, on stderr: advice, not data."""
    if licence:
        warn(f"licence: {licence}")
    for line in notes:
        warn(line)


def _check_lines(result: Any) -> list[str]:
    lines = []
    for d in result.mismatched:
        lines.append(f"MISMATCH  {d.path}: {d.kind} {d.actual} differs from the Hub's {d.expected}")
    for d in result.missing:
        lines.append(f"MISSING   {d.path}")
    verdict = "all match" if result.ok else f"{len(result.mismatched)} differ, {len(result.missing)} missing"
    where = f"{result.repo} ({result.commit[:8]}) in {result.where}"
    lines.append(f"verified {_files(len(result.digests))} of {where}: {verdict}")
    return lines


def _raise_if_bad(results: list[Any]) -> None:
    from llmzh.errors import LlmzhError

    bad = [r for r in results if not r.ok]
    if bad:
        names = ", ".join(d.path for r in bad for d in (*r.mismatched, *r.missing))
        raise LlmzhError(
            f"files do not match the Hub's checksums: {names}",
            hint="delete them and run `llmzh download` again, or run it with the same --include/--exclude",
        )


@app.command(epilog=DOWNLOAD_EPILOG)
def download(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="A catalog project, model or variant id (llmzh list), or a Hub repo id org/name."
        ),
    ],
    quant: QuantOpt = None,
    revision: RevisionOpt = None,
    local_dir: LocalDirOpt = None,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    max_workers: Annotated[int, typer.Option("--max-workers", metavar="N", min=1, help="Files fetched at once.")] = 8,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan (files, sizes, free space); write nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Download even if the disk check says it will not fit.")
    ] = False,
    with_base: Annotated[
        bool, typer.Option("--with-base", help="For a LoRA adapter or delta weights: download the base weights too.")
    ] = False,
    base_repo: Annotated[
        str | None,
        typer.Option(
            "--base-repo",
            metavar="REPO",
            help="The base weights to download instead of the recorded repo (implies --with-base).",
            show_default=False,
        ),
    ] = None,
    verify_files: Annotated[
        bool, typer.Option("--verify", help="Then check every file's checksum against the Hub (exit 1 if any differ).")
    ] = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
    endpoint: EndpointOpt = None,
    mirror: MirrorOpt = None,
    token: TokenOpt = None,
    timeout: TimeoutOpt = 10.0,
    source: SourceOpt = None,
) -> None:
    """Download a model's weights safely: the plan and a disk check first, then a resumable transfer.

    Files go into the shared Hugging Face cache (reused by transformers) or, with --local-dir, into a folder.
    For a LoRA adapter or delta weights it says which base weights are needed and how to combine them.
    Every request goes to the chosen endpoint (--endpoint, --mirror or HF_ENDPOINT); the token never leaves it.
    """
    language = lang_of(lang)
    with reporting_errors():
        from llmzh.download import base_gone, check_space, license_line, lineage, make_plan, run, verify_part
        from llmzh.download import to_json as download_json

        target, settings = _target(
            name,
            quant=quant,
            source=source,
            catalog=catalog,
            endpoint=endpoint,
            mirror=mirror,
            token=token,
            timeout=timeout,
        )
        folder = _local_dir(local_dir)
        plan = make_plan(
            target,
            settings,
            revision=revision,
            include=include or (),
            exclude=exclude or (),
            local_dir=folder,
            with_base=with_base,
            base_repo=base_repo,
        )
        with_base_part = any(p.role == "base" for p in plan.repos)
        gone = None if with_base_part else base_gone(target, settings)
        licence = license_line(target, language)
        if dry_run:
            notes = lineage(target, language, gone=gone)
            if as_json:
                print_json(download_json(plan, notes=notes, license=licence, dry_run=True))
            else:
                _write(_plan_lines(plan, files=True))
                _tell(licence, notes)
            if not plan.fits:
                warn("The disk does not hold what is still to download; the download would be refused.")
            return
        check_space(plan, force=force)
        if not quiet:
            for line in _plan_lines(plan, files=False):
                warn(line)
        bar = not quiet and _on_terminal()
        try:
            with _progress(plan.missing_bytes, "downloading", enabled=bar) as on_bytes:
                fetched = run(plan, settings, max_workers=max_workers, on_bytes=on_bytes)
        except KeyboardInterrupt:
            warn("Interrupted: what arrived is kept; run the same command again to resume.")
            raise typer.Exit(130) from None
        checked = []
        if verify_files:
            with _progress(sum(p.total_bytes for p in plan.repos), "verifying", enabled=bar) as on_bytes:
                checked = [verify_part(p, on_bytes=on_bytes) for p in plan.repos]
        paths = {f.role: str(f.path) for f in fetched}
        notes = lineage(target, language, gone=gone, adapter_at=paths.get("weights"), base_at=paths.get("base"))
        if as_json:
            print_json(download_json(plan, notes=notes, license=licence, fetched=fetched, verified=checked))
        else:
            _write(_fetched_lines(fetched) + [line for result in checked for line in _check_lines(result)])
            _tell(licence, notes)
        _raise_if_bad(checked)


@app.command(epilog=VERIFY_EPILOG)
def verify(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="A catalog project, model or variant id, or a Hub repo id org/name.")
    ],
    quant: QuantOpt = None,
    revision: RevisionOpt = None,
    local_dir: LocalDirOpt = None,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
    catalog: CatalogOpt = None,
    endpoint: EndpointOpt = None,
    mirror: MirrorOpt = None,
    token: TokenOpt = None,
    timeout: TimeoutOpt = 10.0,
    source: SourceOpt = None,
) -> None:
    """Check downloaded files against the Hub: sha256 of every LFS file, git blob id of the others.

    Lists each file that differs or is missing, and exits 1 if any does.
    """
    lang_of(lang)
    with reporting_errors():
        from llmzh.download import plan_verify, verification_json, verify_part

        target, settings = _target(
            name,
            quant=quant,
            source=source,
            catalog=catalog,
            endpoint=endpoint,
            mirror=mirror,
            token=token,
            timeout=timeout,
        )
        part = plan_verify(
            target,
            settings,
            revision=revision,
            include=include or (),
            exclude=exclude or (),
            local_dir=_local_dir(local_dir),
        )
        with _progress(part.total_bytes, "verifying", enabled=not quiet and _on_terminal()) as on_bytes:
            result = verify_part(part, on_bytes=on_bytes)
        if as_json:
            print_json(verification_json(result))
        else:
            _write(_check_lines(result))
        _raise_if_bad([result])
