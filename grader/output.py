"""The CLI's console: rich on a terminal, plain text when piped; NO_COLOR honoured (by rich)."""

from __future__ import annotations

import os
import sys
from typing import IO

from rich import box
from rich.console import Console
from rich.table import Table

PIPED_WIDTH = 160  # lines of a table are not wrapped at 80 columns when nobody's terminal is that narrow


def console(file: IO[str] | None = None) -> Console:
    file = file or sys.stdout
    terminal = hasattr(file, "isatty") and file.isatty()
    width = None if terminal or os.environ.get("COLUMNS") else PIPED_WIDTH
    return Console(file=file, highlight=False, width=width, soft_wrap=not terminal)  # piped: lines stay whole


def table(out: Console, *columns: str) -> Table:
    """Lines around the header on a terminal; bare aligned columns when piped."""
    grid = Table(box=box.SIMPLE_HEAD if out.is_terminal else None, pad_edge=False, show_edge=False)
    for column in columns:
        grid.add_column(column)
    return grid
