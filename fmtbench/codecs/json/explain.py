"""How ``explain`` measures JSON (docs/explain.md): the payload of a value is its JSON
spelling without quotes, brackets, commas and colons; everything else is overhead."""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from fmtbench.codecs.format import ExplainRules
from fmtbench.schema.model import Field, MapOf, MessageRef

_json = msgspec.json.encode  # as JsonCodec writes


def payload(f: Field, value: Any, alone: bytes) -> int:
    skip = isinstance(f.type, MapOf) and isinstance(f.type.value, MessageRef)
    return _payload(orjson.loads(alone)[f.name], skip)


def _payload(v: Any, skip_values: bool = False) -> int:
    if isinstance(v, str):
        return len(_json(v)) - 2
    if isinstance(v, list):
        return sum(_payload(x) for x in v)
    if isinstance(v, dict):
        keys = sum(len(_json(k)) - 2 for k in v)
        return keys + (0 if skip_values else sum(_payload(x) for x in v.values()))
    return len(_json(v))


#: How JSON spells each kind of value.
NOTES = {
    "bytes": "base64 (4 characters for every 3 bytes)",
    "timestamp": "RFC 3339 text (20-30 characters)",
    "duration": 'seconds as text ending in s ("1.5s": 2-24 characters)',
    "float64": "shortest round-trip decimal text",
    "float32": "the float32 widened to its shortest decimal text",
    "int": "decimal digits",
    "enum": "the value's name",
}

RULES = ExplainRules(payload, NOTES)
