"""What the Avro codecs know of a schema beyond the ``.avsc``: the fewest bytes each message
takes, and the first difference between a file's schema and the one expected."""

from __future__ import annotations

import json
from typing import Any

import fastavro

from fmtbench.schema.model import EnumRef, ListOf, MapOf, MessageRef, Scalar, Schema

#: The fewest bytes a value of each kind takes (timestamps and durations: two longs; a
#: uint64: its union's index and a long).
_SCALAR_SIZES = {"float32": 4, "float64": 8, "timestamp": 2, "duration": 2, "uint64": 2}


def min_sizes(schema: Schema) -> dict[str, int]:
    """The fewest bytes a datum of each message takes: 0 for a message of no fields (or of
    such messages only), which a list may then hold any number of in no bytes at all."""
    out: dict[str, int] = {}

    def size(name: str) -> int:
        if name not in out:
            total = 0
            for f in schema.messages[name].fields:
                t = f.type
                if f.optional or isinstance(t, ListOf | MapOf | EnumRef):
                    total += 1  # a union index, a block count, an enum index
                elif isinstance(t, Scalar):
                    total += _SCALAR_SIZES.get(t.kind, 1)
                elif isinstance(t, MessageRef):
                    total += size(t.name)  # required cycles are refused by the loader
            out[name] = total
        return out[name]

    for name in schema.messages:
        size(name)
    return out


def schema_difference(text: bytes, expected: str) -> str | None:
    """How a container's ``avro.schema`` differs from ``expected`` (a Parsing Canonical
    Form), or None when they are the same schema. Docs, defaults and aliases do not count:
    the Parsing Canonical Form leaves them out, as Avro's fingerprints do."""
    try:
        found = fastavro.schema.to_parsing_canonical_form(fastavro.parse_schema(json.loads(text)))
    except Exception as exc:  # JSON or fastavro's parser: the schema is unusable either way
        return f"its avro.schema is not a valid Avro schema ({type(exc).__name__}: {exc})"
    if found == expected:
        return None
    path, theirs, ours = _first_difference(json.loads(found), json.loads(expected), "$")
    return f"at {path} the file has {_show(theirs)} where the schema has {_show(ours)}"


def _first_difference(a: Any, b: Any, path: str) -> tuple[str, Any, Any]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in b:
            if key not in a:
                return f"{path}.{key}", None, b[key]
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], _step(path, key, b))
        extra = next(k for k in a if k not in b)
        return f"{path}.{extra}", a[extra], None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
        return f"{path}[{min(len(a), len(b))}]", a[len(b) :] or None, b[len(a) :] or None
    return path, a, b


def _step(path: str, key: str, where: dict[str, Any]) -> str:
    name = where.get("name")
    return f"{path}.{key}" if not isinstance(name, str) else f"{path}({name}).{key}"


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
