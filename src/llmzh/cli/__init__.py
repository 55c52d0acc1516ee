"""The `llmzh` command line: parse options, call the domain modules, print what they return.

Each command lives in its own module; importing it registers it on the shared Typer app. `main()` imports only
the module of the command being run (Typer builds every registered command on each start, and `llmzh list` must
start fast); `--help`, a bare `llmzh` or an unknown command get all of them.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

# command name -> module that defines it
COMMANDS = {
    "list": "listing",
    "show": "show",
    "estimate": "estimate",
    "recommend": "recommend",
    "download": "download",
    "verify": "download",
    "doctor": "doctor",
    "export": "export",
    "catalog": "catalog_cmd",
}


def _register(modules: set[str]) -> Any:
    for module in sorted(modules):
        importlib.import_module(f"llmzh.cli.{module}")
    from llmzh.cli._common import app

    return app


def _command(argv: list[str]) -> str | None:
    """The command word: the first argument that is not an option or the value of the app's --lang."""
    after_lang = False
    for arg in argv:
        if after_lang:
            after_lang = False
        elif arg == "--lang":
            after_lang = True
        elif not arg.startswith("-"):
            return arg
    return None


def _lang(argv: list[str]) -> str:
    """The language asked for anywhere on the command line (`--lang zh`, `--lang=zh`), else LLMZH_LANG/locale."""
    from llmzh.config import default_lang

    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else arg.removeprefix("--lang=")
        if (arg == "--lang" or arg.startswith("--lang=")) and value in ("zh", "en"):
            return value
    return default_lang()


def localize(command: Any) -> None:
    """Put every help text of a built command tree (commands, options, examples) into Chinese, in place.

    It runs on what Typer built, once, and only under zh: English costs nothing, the table is not even imported.
    """
    from llmzh.i18n_zh import translate_help

    command.help = translate_help(command.help)
    command.epilog = translate_help(command.epilog)
    if getattr(command, "short_help", None):
        command.short_help = translate_help(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = translate_help(param.help)
    for sub in getattr(command, "commands", {}).values():
        localize(sub)


def main() -> None:
    argv = sys.argv[1:]
    command = _command(argv)
    asks_help = "--help" in argv or "-h" in argv
    wanted = {COMMANDS[command]} if command in COMMANDS and not asks_help else set(COMMANDS.values())
    app = _register(wanted)
    if _lang(argv) != "zh":
        app()
        return
    import typer.main

    built = typer.main.get_command(app)
    if asks_help or command is None:  # a bare `llmzh` prints the help too
        localize(built)
    _run_in_chinese(built)


def _run_in_chinese(command: Any) -> None:
    """Run the built command so that Typer's own usage errors (an unknown option, a bad choice, a missing
    argument) come back here instead of being printed in English, and say them in Chinese: exit 2 as before."""
    import typer

    from llmzh.i18n_zh import translate

    # The parser's UsageError, which Typer raises but does not export (BadParameter is one of its subclasses).
    usage_error: Any = typer.BadParameter.__mro__[1]
    try:
        code = command.main(prog_name="llmzh", standalone_mode=False)
    except usage_error as error:
        context = getattr(error, "ctx", None)
        where = context.command_path if context is not None else "llmzh"
        sys.stderr.write(f"错误：{translate(error.format_message())}\n提示：运行 `{where} --help` 查看用法\n")
        sys.exit(2)
    except typer.Abort:
        sys.stderr.write("已中断。\n")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def __getattr__(name: str) -> Any:
    """`from llmzh.cli import app` gives the app with every command registered."""
    if name == "app":
        return _register(set(COMMANDS.values()))
    raise AttributeError(name)


__all__ = ["app", "main"]
