"""Whether a library cell does the same work as the format's codec (docs/methodology.md,
"Library cells"): checked on every record before anything is timed, so that no library is
timed doing less (dropping a value, rounding a float, writing what fmtbench cannot read).

A library's bytes must read back, through fmtbench's own codec, as the records; its reading
of fmtbench's bytes must give the tree the format's reference reading gives. The first
record that does not is the cell's failure, with the place it differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import LibraryStep
from fmtbench.codecs.values.difference import difference
from fmtbench.errors import FmtbenchError


def disagreement(
    step: LibraryStep, codec: Codec, records: Sequence[Record], blobs: Sequence[bytes]
) -> str | None:
    """The first way ``step`` differs from ``codec`` on these records (``blobs``: the codec's
    bytes of each), or None when it agrees on every one."""
    expected = step.expected if step.expected is not None else step.objects
    form = step.tree_of if step.tree_of is not None else _same
    for i, (record, tree, data, want) in enumerate(
        zip(records, step.objects, blobs, expected, strict=True), 1
    ):
        if step.encode is not None:
            try:
                out = bytes(step.encode(tree))
            except Exception as exc:  # a value the library cannot write: a finding, not a crash
                return f"record {i}: cannot write it: {_error(exc)}"
            try:
                back = codec.decode(out)
            except FmtbenchError as exc:
                return f"record {i}: fmtbench cannot read what it wrote: {exc}"
            if (diff := difference(record, back)) is not None:
                return f"record {i}: what it wrote reads back otherwise: {diff}"
        if step.decode is not None:
            try:
                got = step.decode(data)
            except Exception as exc:
                return f"record {i}: cannot read fmtbench's bytes: {_error(exc)}"
            if (diff := difference(form(want), form(got))) is not None:
                return f"record {i}: reads fmtbench's bytes otherwise: {diff}"
    return None


def _same(tree: Any) -> Any:
    return tree


def _error(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
