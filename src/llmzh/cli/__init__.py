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
    """The command word: the first argument that is not an option (the app itself takes only flags)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main() -> None:
    command = _command(sys.argv[1:])
    wanted = {COMMANDS[command]} if command in COMMANDS and "--help" not in sys.argv else set(COMMANDS.values())
    _register(wanted)()


def __getattr__(name: str) -> Any:
    """`from llmzh.cli import app` gives the app with every command registered."""
    if name == "app":
        return _register(set(COMMANDS.values()))
    raise AttributeError(name)


__all__ = ["app", "main"]
