"""Cut a JSON Lines file just after a newline (chunked convert): no scan of the file."""

from __future__ import annotations

import itertools


def line_bounds(src: str, size: int, count: int) -> list[tuple[int, int]]:
    """Cut points just after a newline near each ``size/count`` mark."""
    cuts = [0]
    with open(src, "rb") as f:
        for i in range(1, count):
            f.seek(max(size * i // count, cuts[-1]))
            f.readline()  # the rest of the line the mark fell in
            cut = f.tell()
            if cut >= size:
                break
            if cut > cuts[-1]:
                cuts.append(cut)
    cuts.append(size)
    return list(itertools.pairwise(cuts))
