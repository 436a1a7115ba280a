"""How ``explain`` measures MessagePack (docs/explain.md): type and length headers are
overhead; a value's bytes, and a one-byte value (fixint, bool, nil), are payload."""

from __future__ import annotations

from typing import Any

from fmtbench.codecs.format import ExplainRules
from fmtbench.schema.model import Field, MapOf, MessageRef

_FIXED = {0xCA: 4, 0xCB: 8, 0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4,
          0xD3: 8, 0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}  # fmt: skip
_SIZED = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4, 0xC7: 1, 0xC8: 2, 0xC9: 4}
_COUNTED = {0xDC: (2, 1), 0xDD: (4, 1), 0xDE: (2, 2), 0xDF: (4, 2)}  # width, objects an item


def _object(data: bytes, pos: int, skip_values: bool = False) -> tuple[int, int]:
    """One MessagePack object at ``pos``: where it ends and its payload.

    ``skip_values`` leaves out the values of a map (a map of messages: counted elsewhere).
    """
    b = data[pos]
    if b <= 0x7F or b >= 0xE0 or b in (0xC0, 0xC2, 0xC3):
        return pos + 1, 1
    if 0xA0 <= b <= 0xBF:
        return pos + 1 + (b & 0x1F), b & 0x1F
    if b in _FIXED:  # numbers; fixext also has a type byte after the marker
        head = 2 if b >= 0xD4 else 1
        return pos + head + _FIXED[b], _FIXED[b]
    if b in _SIZED:  # str, bin, ext (with a type byte)
        w = _SIZED[b]
        n = int.from_bytes(data[pos + 1 : pos + 1 + w], "big")
        head = 1 + w + (b in (0xC7, 0xC8, 0xC9))
        return pos + head + n, n
    if 0x80 <= b <= 0x9F:
        count, per, pos = b & 0x0F, 2 if b <= 0x8F else 1, pos + 1
    elif b in _COUNTED:
        w, per = _COUNTED[b]
        count, pos = int.from_bytes(data[pos + 1 : pos + 1 + w], "big"), pos + 1 + w
    else:
        raise AssertionError(f"MessagePack type 0x{b:02x}")
    total = 0
    for i in range(count * per):
        pos, p = _object(data, pos)
        if not (skip_values and per == 2 and i % 2):
            total += p
    return pos, total


def payload(f: Field, value: Any, alone: bytes) -> int:
    skip = isinstance(f.type, MapOf) and isinstance(f.type.value, MessageRef)
    # ``alone`` is a one-entry map: a one-byte header, the field's name, then its value.
    start, _ = _object(alone, 1)
    return _object(alone, start, skip)[1]


RULES = ExplainRules(
    payload,
    {
        "bytes": "raw",
        "timestamp": "the timestamp extension (4, 8 or 12 bytes)",
        "duration": "an array of two ints, seconds and nanos (3-19 bytes)",
        "float64": "a fixed 8-byte double",
        "float32": "8 (float 64)",
        "int": "1, 2, 3, 5 or 9 bytes",
        "enum": "the value's name",
    },
)
