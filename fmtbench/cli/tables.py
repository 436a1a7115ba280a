"""Printing rich renderables (tables) for a person, in a terminal or through a pipe.

In a terminal the console takes the terminal's width. Piped, rich would assume 80 columns;
``COLUMNS`` is honoured when set, else a wide line (``PIPE_WIDTH``) keeps every number
whole, and each line is written without the padding rich adds up to the width, so piped
output has no trailing spaces.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from rich.console import Console, RenderableType

PIPE_WIDTH = 160


def console() -> Console:
    """A console for stdout: the terminal's width, or ``COLUMNS``, or ``PIPE_WIDTH``."""
    out = Console()
    if out.is_terminal:
        return out
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() and int(columns) >= 20 else PIPE_WIDTH
    return Console(width=width)


def print_all(renderables: Iterable[RenderableType], *, blank_after: bool = True) -> None:
    """Print each renderable (and a blank line after it); piped, without trailing spaces."""
    out = console()
    if out.is_terminal:
        for r in renderables:
            out.print(r)
            if blank_after:
                out.print()
        return
    with out.capture() as captured:
        for r in renderables:
            out.print(r)
            if blank_after:
                out.print()
    text = "\n".join(line.rstrip() for line in captured.get().split("\n"))
    print(text, end="")
