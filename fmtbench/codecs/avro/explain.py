"""How ``explain`` measures Avro (docs/explain.md): a datum has no names, tags or envelope;
union indexes, length prefixes and block counts are overhead, the rest is payload.

Avro writes every field of a record, so a field "alone" is its own bytes within the datum,
as fastavro writes them with the field's type (``fields_alone``); the record itself adds
nothing (an empty message is 0 bytes).
"""

from __future__ import annotations

import io
from typing import Any

from fastavro import parse_schema, schemaless_writer

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import ExplainRules
from fmtbench.schema.model import EnumRef, Field, ListOf, MapOf, MessageRef, Scalar


def _varint_size(n: int) -> int:
    u, size = (n << 1) ^ (n >> 63), 1
    while u > 0x7F:
        u >>= 7
        size += 1
    return size


def payload(f: Field, value: Any, alone: bytes) -> int:
    overhead = 1 if f.optional else 0  # the union's branch index
    t = f.type
    if isinstance(t, Scalar) and t.kind in ("string", "bytes"):
        size = len(value.encode("utf-8")) if isinstance(value, str) else len(value)
        return size  # what is left is its length prefix (and the index)
    if isinstance(t, ListOf | MapOf):
        # The block's count and the end-of-blocks zero; an item's own prefixes stay in.
        count = len(value)
        overhead += 1 + (_varint_size(count) if count else 0)
    elif isinstance(t, MessageRef | EnumRef | Scalar):
        pass
    return max(len(alone) - overhead, 0)


def fields_alone(codec: Codec, value: Record) -> tuple[int, dict[str, bytes]]:
    """Each set field's bytes, written alone with its type from the codec's wire schema."""
    from fmtbench.codecs.avro.codec import AvroCodec

    assert isinstance(codec, AvroCodec), codec
    wire, to_tree = codec.wire, codec.to_tree
    named = _named(wire)
    tree = to_tree(value)
    types = {f["name"]: f["type"] for f in _record(wire, codec.message.name)["fields"]}
    out = {}
    for name in value:
        single = {"type": "record", "name": "Alone", "fields": [{"name": "v", "type": types[name]}]}
        schema = parse_schema(single, named_schemas=dict(named))
        buf = io.BytesIO()
        schemaless_writer(buf, schema, {"v": tree[name]})
        out[name] = buf.getvalue()
    return 0, out


def _record(wire: Any, name: str) -> Any:
    """The parsed record of a message (by its short name) in a parsed wire schema."""
    found = _find(wire, name, set())
    assert found is not None, name
    return found


def _find(s: Any, name: str, seen: set[int]) -> Any:
    if isinstance(s, dict):
        if id(s) in seen:
            return None
        seen.add(id(s))
        if s.get("type") == "record" and s.get("name", "").rsplit(".", 1)[-1] == name:
            return s
        for v in s.values():
            if (found := _find(v, name, seen)) is not None:
                return found
    elif isinstance(s, list):
        for v in s:
            if (found := _find(v, name, seen)) is not None:
                return found
    return None


def _named(wire: Any) -> dict[str, Any]:
    """Every named type of a parsed schema, by full name: what a field's type may refer to."""
    out: dict[str, Any] = {}

    def walk(s: Any) -> None:
        if isinstance(s, dict):
            if s.get("type") in ("record", "enum", "fixed") and s.get("name") not in out:
                out[s["name"]] = s
                for v in s.values():
                    walk(v)
            else:
                for v in s.values():
                    walk(v)
        elif isinstance(s, list):
            for v in s:
                walk(v)

    walk(wire)
    return out


RULES = ExplainRules(
    payload,
    {
        "bytes": "raw, after a varint length",
        "timestamp": "a record of two zigzag varints, seconds and nanos (2-15 bytes)",
        "duration": "a record of two zigzag varints, seconds and nanos (2-15 bytes)",
        "float64": "a fixed 8-byte double",
        "float32": "a fixed 4-byte float",
        "int": "a zigzag varint, 1 to 10 bytes",
        "enum": "the value's index, a zigzag varint",
    },
    fields_alone,
)
