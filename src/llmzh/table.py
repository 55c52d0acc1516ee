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
MIN_FLEX = 10
GAP = "  "
BELOW = "    ↳ "


class Column(NamedTuple):
    header: str
    align: Align = "left"
    flex: bool = False  # free text that may be shortened (with "…") when the table is wider than the terminal
    # Which columns go first when the table does not fit: 0 never (ids, the figure asked for), higher sooner.
    priority: int = 0
    # Something to copy (a repo id): never shortened; when it does not fit it moves below its row instead.
    below: bool = False


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal; NO_COLOR wins, FORCE_COLOR forces it (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def terminal_width(stream: TextIO = sys.stdout) -> int | None:
    """COLUMNS if set, else the terminal's width; None when writing to a pipe or file (full values, no fitting)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if not stream.isatty():
            return None
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return None


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


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` cells, broken at spaces where there are any (Chinese text breaks anywhere)."""
    lines: list[str] = []
    line = ""
    for char in text:
        if cell_len(line + char) > width:
            cut = line.rfind(" ")
            if cut > width // 3:
                lines.append(line[:cut])
                line = line[cut + 1 :]
            else:
                lines.append(line)
                line = ""
        line += char
    return [*lines, line] if line else lines


def _pad(text: str, width: int, align: Align) -> str:
    space = " " * max(0, width - cell_len(text))
    return space + text if align == "right" else text + space


def _natural(columns: Sequence[Column], rows: Sequence[Sequence[str]], keep: Sequence[int]) -> list[int]:
    return [max([cell_len(columns[i].header), *(cell_len(row[i]) for row in rows)]) for i in keep]


def _fit(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int
) -> tuple[list[int], list[int], list[int]]:
    """Which columns to show, their widths, and which move below their row, for lines of at most `width` cells.

    Free text is shortened first (never below its header or MIN_FLEX), then the lowest-priority column goes; a
    column to copy moves below its row rather than go; ids and the figures asked for (priority 0) always stay.
    """

    def floor(i: int) -> int:
        return max(MIN_FLEX, cell_len(columns[i].header))

    keep = list(range(len(columns)))
    below: list[int] = []
    while True:
        widths = _natural(columns, rows, keep)
        excess = sum(widths) + len(GAP) * (len(keep) - 1) - width
        spare = sum(max(0, w - floor(i)) for w, i in zip(widths, keep, strict=True) if columns[i].flex)
        if excess <= 0 or excess <= spare:
            break
        candidates = [i for i in keep if columns[i].priority > 0]
        if not candidates:
            break
        worst = max(candidates, key=lambda i: (columns[i].priority, i))
        keep.remove(worst)
        if columns[worst].below:
            below.append(worst)
    flexible = [k for k, i in enumerate(keep) if columns[i].flex]
    while excess > 0:
        room = [k for k in flexible if widths[k] > floor(keep[k])]
        if not room:
            break
        widest = max(room, key=lambda k: widths[k] - floor(keep[k]))
        cut = min(excess, widths[widest] - floor(keep[widest]), max(1, widths[widest] // 4))
        widths[widest] -= cut
        excess -= cut
    return keep, widths, below


def render(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
    colour: bool = False,
    title: str | None = None,
) -> str:
    """Lay out a table, one line per row (East-Asian wide characters count two cells).

    With `width` (a terminal), columns are chosen by priority so that lines fit it (see `_fit`); without (a pipe),
    every column is shown with full values.
    """
    rows = [[cell.replace("\n", " ") for cell in row] for row in rows]
    below: list[int] = []
    if width is None:
        keep = list(range(len(columns)))
        widths = _natural(columns, rows, keep)
    else:
        keep, widths, below = _fit(columns, rows, width)
    bold, dim, reset = ("\x1b[1m", "\x1b[2m", "\x1b[0m") if colour else ("", "", "")
    out: list[str] = []
    if title:
        out.extend(f"{bold}{line}{reset}" for line in (wrap(title, width) if width else [title]))
    header = GAP.join(_pad(columns[i].header, widths[k], columns[i].align) for k, i in enumerate(keep))
    if header.strip():  # a table of label/value pairs has no header
        out.append(f"{bold}{header.rstrip()}{reset}")
        out.append(f"{dim}{'─' * cell_len(header.rstrip())}{reset}")
    for row in rows:
        parts = []
        for k, i in enumerate(keep):
            cell = _truncate(row[i], widths[k]) if columns[i].flex else row[i]
            part = _pad(cell, widths[k], columns[i].align)
            parts.append(f"{bold}{part}{reset}" if k == 0 and colour else part)
        out.append(GAP.join(parts).rstrip())
        out.extend(f"{dim}{BELOW}{reset}{row[i]}" for i in sorted(below) if row[i])
    return "\n".join(out) + "\n"
