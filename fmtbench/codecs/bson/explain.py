"""How ``explain`` measures BSON (docs/explain.md): element headers (type byte, key,
length prefixes, NUL terminators, a binary's subtype) are overhead; a value's own bytes
are payload (a string's UTF-8, a number's 4 or 8 bytes, a bool's byte), and a document's
payload is its keys' and values' (a map's keys are data)."""

from __future__ import annotations

from typing import Any

from fmtbench.codecs.format import ExplainRules
from fmtbench.schema.model import Field

#: Element types of fixed width: double, bool, datetime, int32, BSON timestamp, int64,
#: Decimal128; null, undefined, min key and max key have no value bytes.
_FIXED = {0x01: 8, 0x08: 1, 0x09: 8, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16,
          0x0A: 0, 0x06: 0, 0xFF: 0, 0x7F: 0}  # fmt: skip
_STRING, _DOCUMENT, _ARRAY, _BINARY = 0x02, 0x03, 0x04, 0x05


def _int32(data: bytes, pos: int) -> int:
    return int.from_bytes(data[pos : pos + 4], "little", signed=True)


def _element(data: bytes, pos: int, keys: bool) -> tuple[int, int]:
    """The element at ``pos``: where it ends and its payload (its key's too if ``keys``)."""
    kind = data[pos]
    end_key = data.index(b"\0", pos + 1)
    key = end_key - pos - 1 if keys else 0
    pos = end_key + 1
    if kind in _FIXED:
        return pos + _FIXED[kind], key + _FIXED[kind]
    n = _int32(data, pos)
    if kind == _STRING:
        return pos + 4 + n, key + n - 1
    if kind == _BINARY:
        return pos + 5 + n, key + n
    if kind in (_DOCUMENT, _ARRAY):
        return pos + n, key + _document(data, pos, keys=kind == _DOCUMENT)
    raise AssertionError(f"BSON element type 0x{kind:02x}")


def _document(data: bytes, pos: int, keys: bool) -> int:
    end = pos + _int32(data, pos) - 1
    pos += 4
    total = 0
    while pos < end:
        pos, p = _element(data, pos, keys)
        total += p
    return total


def payload(f: Field, value: Any, alone: bytes) -> int:
    # ``alone`` is a document of one element, the field: its key is overhead.
    return _element(alone, 4, keys=False)[1]


RULES = ExplainRules(
    payload,
    {
        "bytes": "binary subtype 0 (4-byte length and a subtype byte)",
        "timestamp": "a datetime (8 bytes, milliseconds); finer: a document of it and ns",
        "duration": "a document of seconds (int64) and nanos (int32)",
        "float64": "a fixed 8-byte double",
        "float32": "8 (a double)",
        "int": "4 (int32) or 8 (int64) bytes",
        "enum": "the value's name (a string)",
    },
)
