"""How ``explain`` measures CBOR (docs/explain.md): heads (type, length, tag) are overhead;
a value's bytes, and a value held in its head alone (0..23, -1..-24, true, false, null),
are payload."""

from __future__ import annotations

from typing import Any

from fmtbench.codecs.format import ExplainRules
from fmtbench.schema.model import Field, MapOf, MessageRef


def _item(data: bytes, pos: int, skip_values: bool = False) -> tuple[int, int]:
    """One CBOR item at ``pos`` (as fmtbench writes them: definite lengths): where it ends
    and its payload. ``skip_values`` leaves out a map's values (messages: counted
    elsewhere)."""
    ib = data[pos]
    major, info = ib >> 5, ib & 0x1F
    width = 0 if info < 24 else 1 << (info - 24)
    arg = info if info < 24 else int.from_bytes(data[pos + 1 : pos + 1 + width], "big")
    at = pos + 1 + width
    if major in (0, 1) or (major == 7 and info < 24):
        return at, width or 1
    if major == 7:  # floats: their bytes
        return at, width
    if major in (2, 3):
        return at + arg, arg
    if major == 6:
        return _item(data, at)
    total = 0
    for i in range(arg * (2 if major == 5 else 1)):
        at, p = _item(data, at)
        if not (skip_values and major == 5 and i % 2):
            total += p
    return at, total


def payload(f: Field, value: Any, alone: bytes) -> int:
    skip = isinstance(f.type, MapOf) and isinstance(f.type.value, MessageRef)
    # ``alone`` is a one-entry map: a one-byte head, the field's name, then its value.
    start, _ = _item(alone, 1)
    return _item(alone, start, skip)[1]


RULES = ExplainRules(
    payload,
    {
        "bytes": "raw",
        "timestamp": "tag 1 and integer seconds (1-9 bytes), or tag 1001 and a map of seconds"
        " and nanoseconds (11-23 bytes)",
        "duration": "tag 1002 and a map of seconds and nanoseconds (6-23 bytes)",
        "float64": "the shortest exact of 2, 4 or 8 bytes",
        "float32": "the shortest exact of 2 or 4 bytes",
        "int": "1, 2, 3, 5 or 9 bytes",
        "enum": "the value's name",
    },
)
