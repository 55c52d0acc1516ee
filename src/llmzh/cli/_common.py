"""The Typer app, shared options and the plumbing every command uses (errors, output, language)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer

from llmzh import __version__
from llmzh.errors import LlmzhError, UsageError

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
    """Rich output at the terminal's width; piped, lines are not wrapped (full values)."""
    from rich.console import Console

    from llmzh.table import terminal_width

    return Console(soft_wrap=False, width=terminal_width() or 100_000)


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


# The language of this run: the command's --lang, else the one given before the command, else LLMZH_LANG/locale.
_LANG: dict[str, str] = {}


def current_lang() -> Any:
    from llmzh.config import default_lang

    return _LANG.get("command") or _LANG.get("global") or default_lang()


def explicit_lang() -> Any:
    """The --lang given on the command line (after or before the command), or None."""
    return _LANG.get("command") or _LANG.get("global")


def tr(message: str) -> str:
    """A message in the language of this run (messages are written in English; zh comes from one table)."""
    if current_lang() != "zh":
        return message
    from llmzh.i18n_zh import translate

    return translate(message)


def warn(message: str) -> None:
    from llmzh.untrusted import shown

    stderr_console().print(shown(tr(message)), markup=False, highlight=False)


def _fail(error: LlmzhError) -> NoReturn:
    from llmzh.untrusted import shown

    console = stderr_console()
    zh = current_lang() == "zh"
    message = ("错误：" if zh else "Error: ") + shown(tr(error.message))
    console.print(message, style="bold red", markup=False, highlight=False)
    if error.hint:
        console.print(("提示：" if zh else "Hint: ") + shown(tr(error.hint)), markup=False, highlight=False)
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
    """The language of this run, with the command's own --lang (if given) taking over from now on."""
    if choice is not None:
        _LANG["command"] = choice.value
    return current_lang()


def positive_gb(value: str | None, option: str) -> float | None:
    """An optional memory size in GB (see `gb_value`)."""
    return None if value is None else gb_value(value, option)


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
    lang: LangOpt = None,
) -> None:
    """Pick, size and download open-source Chinese LLMs that fit your hardware."""
    _LANG.clear()
    if lang is not None:
        _LANG["global"] = lang.value


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
    typer.Option(
        "--timeout", metavar="SECONDS", help="Give up on the Hub after this long (all requests together).", min=0.1
    ),
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


_SIZE = re.compile(r"^(?P<num>[-+]?[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(?P<unit>gib|gb|g|mib|mb|m)?$")


def gb_value(value: str, option: str) -> float:
    """A positive memory size in GB of 2^30 bytes: "8", "8GB", "8G", "8 GiB" and "8192 MiB" all mean 8."""
    match = _SIZE.match(value.strip().lower())
    if match is None:
        raise UsageError(f"{option}: expected a number of GB such as 8 or 8GB, got {value!r}")
    gb = float(match["num"]) / (1024 if (match["unit"] or "g").startswith("m") else 1)
    if not 0 < gb < float("inf"):
        raise UsageError(f"{option}: must be a positive number of GB, got {value!r}")
    return gb


def vram_option(value: str | None, option: str = "--vram") -> float | str | None:
    """A positive number of GB (units GB, G, GiB, MB, MiB accepted), or "auto" (detect this machine's GPUs)."""
    if value is None:
        return None
    if value.strip().lower() == "auto":
        return "auto"
    return gb_value(value, option)


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


def quant_levels(values: list[str] | None, *, exact: bool = False) -> list[Any]:
    """`--quant` words as Quant levels, in order and without repeats: a family (int4, 4bit, int8, gguf, q4, ...)
    stands for all its levels, `=LEVEL` for that level only (with `exact`, a level's own name is that level only:
    `estimate --quant int4` sizes INT4, not every 4-bit method); a bad word is a usage error (exit 2)."""
    from llmzh.schema import Quant
    from llmzh.select import quant_family, quant_words

    levels: list[Any] = []
    for value in values or ():
        word = value.strip().lower()
        family = quant_family("=" + word if exact and word in Quant._value2member_map_ else word)
        if family is None:
            raise UsageError(f"--quant: unknown level {value!r}; expected one of: {', '.join(quant_words())}")
        levels += [q for q in Quant if q in family and q not in levels]
    return levels
