"""Cut a delimited-Protobuf file between messages without parsing them (chunked convert)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import BinaryIO


def frame_bounds(src: str, size: int, count: int) -> list[tuple[int, int]]:
    """Cut points between delimited messages: walk the length prefixes, skip the bodies.

    A malformed or truncated prefix ends the walk; the rest goes to the last chunk, whose
    worker then reports the problem exactly as a one-process run would.
    """
    step = max(1, size // count)
    cuts = [0]
    with open(src, "rb", buffering=0) as f:
        for pos in _frame_starts(f, size):
            if pos - cuts[-1] >= step and len(cuts) < count:
                cuts.append(pos)
    cuts.append(size)
    return list(itertools.pairwise(cuts))


def _frame_starts(f: BinaryIO, size: int) -> Iterator[int]:
    """Offsets where a message starts, read from the prefixes in blocks (bodies are skipped)."""
    block_start, block = 0, b""
    pos = 0
    while pos < size:
        if pos + 10 > block_start + len(block):  # a varint is at most 10 bytes
            f.seek(pos)
            block_start, block = pos, f.read(1 << 16)
        i = pos - block_start
        length = shift = 0
        while True:
            if i >= len(block):
                return
            byte = block[i]
            i += 1
            length |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
            if shift > 63:
                return
        nxt = block_start + i + length
        if nxt > size:
            return
        yield pos
        pos = nxt
