"""Plain-text tables that align Chinese text, for the commands that must start fast.

`rich.console` alone costs about as much as the whole start-up budget of `llmzh list` (bench/startup.py),
so listings are laid out here with rich's cell-width function and printed as text; cards and progress bars,
which are not start-up critical, use rich proper.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Literal, NamedTuple, TextIO

from rich.cells import cell_len

Align = Literal["left", "right"]
MIN_FLEX = 8
GAP = "  "


class Column(NamedTuple):
    header: str
    align: Align = "left"
    flex: bool = False  # may be shortened (with "…") when the table is wider than the terminal


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal; NO_COLOR wins, FORCE_COLOR forces it (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def terminal_width(stream: TextIO = sys.stdout) -> int:
    """COLUMNS if set, else the terminal's width, else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 80


def _truncate(text: str, width: int) -> str:
    """Cut text to `width` cells, ending in an ellipsis when something was cut."""
    if cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…"


def _pad(text: str, width: int, align: Align) -> str:
    space = " " * max(0, width - cell_len(text))
    return space + text if align == "right" else text + space


def render(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
    colour: bool = False,
    title: str | None = None,
) -> str:
    """Lay out a table, one line per row; with `width`, flexible columns are shortened so that lines fit it."""
    rows = [[cell.replace("\n", " ") for cell in row] for row in rows]
    widths = [cell_len(c.header) for c in columns]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell_len(cell))
    if width is not None:
        excess = sum(widths) + len(GAP) * (len(columns) - 1) - width
        flexible = [i for i, c in enumerate(columns) if c.flex]
        while excess > 0 and flexible:
            widest = max(flexible, key=lambda i: widths[i])
            if widths[widest] <= MIN_FLEX:
                break
            cut = min(excess, widths[widest] - MIN_FLEX, max(1, widths[widest] // 4))
            widths[widest] -= cut
            excess -= cut
    bold, dim, reset = ("\x1b[1m", "\x1b[2m", "\x1b[0m") if colour else ("", "", "")
    out: list[str] = []
    if title:
        out.append(f"{bold}{title}{reset}")
    header = GAP.join(_pad(c.header, widths[i], c.align) for i, c in enumerate(columns))
    if header.strip():  # a table of label/value pairs has no header
        out.append(f"{bold}{header.rstrip()}{reset}")
        out.append(f"{dim}{'─' * cell_len(header.rstrip())}{reset}")
    for row in rows:
        parts = []
        for i, cell in enumerate(row):
            part = _pad(_truncate(cell, widths[i]) if columns[i].flex else cell, widths[i], columns[i].align)
            parts.append(f"{bold}{part}{reset}" if i == 0 and colour else part)
        out.append(GAP.join(parts).rstrip())
    return "\n".join(out) + "\n"
