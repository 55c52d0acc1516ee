"""The Typer app, shared options and the plumbing every command uses (errors, output, language)."""

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


class LangChoice(StrEnum):
    zh = "zh"
    en = "en"


CatalogOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--catalog",
        metavar="PATH",
        help="Your own catalog file, added to the built-in one (repeatable; ~/.config/llmzh/models.yaml is read too).",
        show_default=False,
    ),
]
LangOpt = Annotated[
    LangChoice | None,
    typer.Option("--lang", help="Output language (also: LLMZH_LANG; default from the locale).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


# ---------------------------------------------------------------- plumbing


def stdout_console() -> Any:
    from rich.console import Console

    return Console(soft_wrap=False)


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def warn(message: str) -> None:
    from llmzh.untrusted import shown

    stderr_console().print(shown(message), markup=False, highlight=False)


def _fail(error: LlmzhError) -> NoReturn:
    from llmzh.untrusted import shown

    console = stderr_console()
    console.print(f"Error: {shown(error.message)}", style="bold red", markup=False, highlight=False)
    if error.hint:
        console.print(f"Hint: {shown(error.hint)}", markup=False, highlight=False)
    raise typer.Exit(error.exit_code)


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn domain errors into one line on stderr and the error's exit code; no traceback.

    Anything else is a bug: one line naming it and how to see the traceback (LLMZH_DEBUG=1), exit 1.
    """
    try:
        yield
    except LlmzhError as error:
        if os.environ.get("LLMZH_DEBUG"):
            raise
        _fail(error)
    except KeyboardInterrupt:
        warn("Interrupted.")
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise  # Typer's own exits and usage errors (exit 2)
    except Exception as error:
        if os.environ.get("LLMZH_DEBUG"):
            raise
        _fail(_unexpected(error))


def _unexpected(error: Exception) -> LlmzhError:
    """An exception llmzh does not know, as one line: its type and first line, credentials removed."""
    import re

    detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    detail = re.sub(r"//[^/@\s]*@", "//***@", detail)  # user:pass@ in a URL
    detail = re.sub(r"\bhf_[A-Za-z0-9]{6,}", "hf_***", detail)  # a Hugging Face token
    what = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return LlmzhError(f"unexpected error ({what})", hint="run with LLMZH_DEBUG=1 for details")


def lang_of(choice: LangChoice | None) -> Any:
    from llmzh.config import default_lang

    return choice.value if choice is not None else default_lang()


def positive_gb(value: float | None, option: str) -> float | None:
    if value is not None and value <= 0:
        raise typer.BadParameter(f"must be a positive number of GB, got {value:g}", param_hint=option)
    return value


def print_json(data: Any) -> None:
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


# ---------------------------------------------------------------- Hub options (every command that asks the Hub)

EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        metavar="URL",
        help="Hub endpoint, e.g. a mirror (default: HF_ENDPOINT, else https://huggingface.co).",
        show_default=False,
    ),
]
MirrorOpt = Annotated[
    str | None,
    typer.Option(
        "--mirror",
        metavar="NAME",
        help="Shortcut for a known mirror's endpoint: hf-mirror (https://hf-mirror.com).",
        show_default=False,
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token",
        metavar="TOKEN",
        help=(
            "Token for gated or private repos: Hugging Face's (default: HF_TOKEN), or ModelScope's with "
            "--source modelscope (default: MODELSCOPE_API_TOKEN). Never printed."
        ),
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float,
    typer.Option("--timeout", metavar="SECONDS", help="Give up on a Hub request after this long.", min=0.1),
]
OfflineOpt = Annotated[
    bool, typer.Option("--offline", help="No network: cached Hub figures only (also: HF_HUB_OFFLINE=1).")
]
RefreshOpt = Annotated[bool, typer.Option("--refresh", help="Fetch Hub figures even if cached less than 24 h ago.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Exit 1 if any Hub request fails.")]
SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        metavar="hf|modelscope|auto",
        help=(
            "Where to ask: Hugging Face, ModelScope (modelscope.cn), or auto: Hugging Face, falling back to "
            "ModelScope when it is unreachable (default: LLMZH_SOURCE, else auto)."
        ),
        show_default=False,
    ),
]


def choose_source(option: str | None, settings: Any, *, token: str | None, refresh: bool = False) -> Any:
    """`--source` settled for this command (`llmzh.source.choose`); a fallback is said in one line on stderr."""
    from llmzh.source import choose

    chosen = choose(option, settings, token=token, refresh=refresh, lang=lang_of(None))
    if chosen.note is not None:
        warn(chosen.note)
    return chosen


def hub_settings(
    *,
    endpoint: str | None = None,
    mirror: str | None = None,
    token: str | None = None,
    timeout: float | None = None,
    offline: bool = False,
    refresh: bool = False,
) -> Any:
    """HubSettings from options and the environment (raises UsageError on a bad endpoint or mirror)."""
    from llmzh.hub import HubSettings

    return HubSettings.from_options(
        endpoint=endpoint, mirror=mirror, token=token, timeout=timeout, offline=offline, refresh=refresh
    )


# ---------------------------------------------------------------- --vram GB|auto


def vram_option(value: str | None, option: str = "--vram") -> float | str | None:
    """A positive number of GB, or "auto" (detect this machine's GPUs)."""
    if value is None:
        return None
    if value.strip().lower() == "auto":
        return "auto"
    try:
        gb = float(value)
    except ValueError:
        raise typer.BadParameter(f"expected a number of GB or 'auto', got {value!r}", param_hint=option) from None
    if not gb > 0 or gb == float("inf"):
        raise typer.BadParameter(f"must be a positive number of GB, got {value}", param_hint=option)
    return gb


def detect_budget() -> Any:
    """Detect the hardware for `--vram auto` and say on stderr what was found."""
    from llmzh.hardware import budget, detect

    found = budget(detect())
    warn(found.summary)
    return found


VramOpt = Annotated[
    str | None,
    typer.Option(
        "--vram",
        metavar="GB|auto",
        help="GPU memory in GB, or 'auto' to read this machine's GPUs (free memory counts).",
        show_default=False,
    ),
]


def quant_levels(values: list[str] | None) -> list[Any]:
    """`--quant` values as Quant levels, in order and without repeats; a bad one is a usage error (exit 2)."""
    from llmzh.schema import Quant

    levels: list[Quant] = []
    for value in values or ():
        try:
            level = Quant(value.strip().lower())
        except ValueError:
            allowed = ", ".join(q.value for q in Quant)
            raise typer.BadParameter(
                f"unknown level {value!r}; expected one of: {allowed}", param_hint="--quant"
            ) from None
        if level not in levels:
            levels.append(level)
    return levels
