"""Compile a schema into a JSON Schema (draft 2020-12) of fmtbench's JSON mapping.

It describes the documents fmtbench writes: every non-optional field present, no nulls.
fmtbench reads a little more leniently (absent non-optional fields take zero values, null
means an absent optional), as docs/formats.md says.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from fmtbench.schema.model import (
    INT_RANGES,
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    Message,
    MessageRef,
    Scalar,
    Schema,
)

DIALECT = "https://json-schema.org/draft/2020-12/schema"
FLOAT32_MAX = 3.4028234663852886e38
_SPECIAL_FLOATS = {"enum": ["NaN", "Infinity", "-Infinity"]}
_TIMESTAMP = r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$"
# ProtoJSON's Duration: seconds with up to nine fraction digits, then "s" ("-1.500s").
_DURATION = r"^-?[0-9]{1,20}(\.[0-9]{1,9})?s$"
_BASE64 = r"^[A-Za-z0-9+/]*={0,2}$"
_INT_KEY = r"^-?(0|[1-9][0-9]*)$"


def json_schema(schema: Schema, type_name: str | None = None) -> dict[str, Any]:
    root = schema.message(type_name)
    doc: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"{schema.namespace}:{root.name}",
        "title": f"{schema.name}.{root.name}",
        "$ref": f"#/$defs/{root.name}",
        "$defs": {},
    }
    if schema.doc:
        doc["description"] = schema.doc
    defs = doc["$defs"]
    for name, enum in schema.enums.items():
        defs[name] = {"enum": list(enum.names), **_described(enum.doc)}
    for name, msg in schema.messages.items():
        defs[name] = _message(msg)
    return doc


def _described(text: str | None) -> dict[str, str]:
    return {"description": text} if text else {}


def _message(msg: Message) -> dict[str, Any]:
    properties = {f.name: {**_type(f.type), **_described(f.doc), **_default(f)} for f in msg.fields}
    out = {
        "type": "object",
        **_described(msg.doc),
        "properties": properties,
        "required": [f.name for f in msg.fields if not f.optional],
        "additionalProperties": False,
    }
    # A oneof: its members are properties like optional fields, and no two may be present.
    rules = [
        {
            "description": f"oneof {g.name}: at most one of {', '.join(g.members)}",
            "not": {
                "anyOf": [
                    {"required": [a, b]}
                    for i, a in enumerate(g.members)
                    for b in g.members[i + 1 :]
                ]
            },
        }
        for g in msg.oneofs
        if len(g.members) > 1
    ]
    if rules:
        out["allOf"] = rules
    return out


def _default(f: Field) -> dict[str, Any]:
    """proto2's ``[default = X]``, as fmtbench's JSON spells the value (annotation only:
    fmtbench reads an absent field as absent, as json_format does)."""
    v = f.default
    if v is None:
        return {}
    if isinstance(v, float) and not math.isfinite(v):
        v = "NaN" if math.isnan(v) else "Infinity" if v > 0 else "-Infinity"
    elif isinstance(v, bytes):
        v = base64.b64encode(v).decode("ascii")
    return {"default": v}


def _type(t: FieldType) -> dict[str, Any]:
    if isinstance(t, Scalar) and t.kind == "decimal":
        return _decimal(t.precision, t.scale)
    if isinstance(t, Scalar):
        return _scalar(t.kind)
    if isinstance(t, EnumRef | MessageRef):
        return {"$ref": f"#/$defs/{t.name}"}
    if isinstance(t, ListOf):
        return {"type": "array", "items": _type(t.item)}
    if isinstance(t, MapOf):
        return {
            "type": "object",
            "propertyNames": _key(t.key.kind),
            "additionalProperties": _type(t.value),
        }
    raise AssertionError(t)


def _decimal(p: int, s: int) -> dict[str, Any]:
    """A decimal is a JSON string of its digits (docs/formats.md): the pattern takes what
    the reader takes, an xs:decimal (sign, point, leading and trailing zeros as it likes)
    of at most p - s digits before the point and s after it, not counting those zeros."""
    fraction = rf"(\.[0-9]{{0,{s}}}0*)?" if s else r"(\.0*)?"
    return {
        "type": "string",
        "pattern": rf"^[+-]?(?=\.?[0-9])0*[0-9]{{0,{p - s}}}{fraction}$",
        "description": f'decimal({p}, {s}) as text, such as "-12.50"',
    }


def _scalar(kind: str) -> dict[str, Any]:
    if kind in INT_RANGES:
        lo, hi = INT_RANGES[kind]
        return {"type": "integer", "minimum": lo, "maximum": hi}
    if kind == "float64":
        return {"anyOf": [{"type": "number"}, _SPECIAL_FLOATS]}
    if kind == "float32":
        bounded = {"type": "number", "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX}
        return {"anyOf": [bounded, _SPECIAL_FLOATS]}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "string":
        return {"type": "string"}
    if kind == "bytes":
        return {"type": "string", "contentEncoding": "base64", "pattern": _BASE64}
    if kind == "timestamp":
        return {"type": "string", "format": "date-time", "pattern": _TIMESTAMP}
    if kind == "duration":
        return {"type": "string", "pattern": _DURATION}
    raise AssertionError(kind)


def _key(kind: str) -> dict[str, Any]:
    if kind == "string":
        return {"type": "string"}
    if kind == "bool":
        return {"enum": ["true", "false"]}
    return {"pattern": _INT_KEY}
