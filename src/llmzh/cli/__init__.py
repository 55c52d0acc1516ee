"""The `llmzh` command line: parse options, call the domain modules, print what they return.

Each command lives in its own module; importing them registers them on the shared Typer app.
"""

from llmzh.cli import catalog_cmd, doctor, download, estimate, export, listing, recommend, show  # noqa: F401 - registers the commands
from llmzh.cli._common import app


def main() -> None:
    app()


__all__ = ["app", "main"]
