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
from fmtbench.schema.model import (
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
)

#: The schema each field explained belongs to, by the field's id (the schema keeps the field
#: alive while it is here): ``payload`` is given a field, and walks its bytes by the schema.
_SCHEMA_OF: dict[int, Schema] = {}
_FIXED = {"float32": 4, "float64": 8, "bool": 1}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """An Avro long at ``pos``: the position after it, and its value."""
    shift = result = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return pos, (result >> 1) ^ -(result & 1)
        shift += 7


def _scalar(kind: str, data: bytes, pos: int) -> tuple[int, int]:
    if kind in _FIXED:
        return pos + _FIXED[kind], _FIXED[kind]
    if kind in ("string", "bytes", "decimal"):
        pos, n = _varint(data, pos)  # the length is overhead
        return pos + n, n
    if kind == "uint64":  # the union's index is overhead; then a long or 8 bytes
        pos, branch = _varint(data, pos)
        return _uint64(data, pos, branch)
    if kind in ("timestamp", "duration"):
        after, _ = _varint(data, pos)
        end, _ = _varint(data, after)
        return end, end - pos
    end, _ = _varint(data, pos)
    return end, end - pos


def _uint64(data: bytes, pos: int, branch: int) -> tuple[int, int]:
    """A uint64 after its union's index: ``branch`` 0 a long, 1 its 8 bytes."""
    if branch:
        return pos + 8, 8
    end, _ = _varint(data, pos)
    return end, end - pos


def _optional(schema: Schema, t: FieldType, data: bytes, pos: int) -> tuple[int, int]:
    """An optional field's value: its union's index (overhead: 0 is null), then the value.
    A uint64's union is flattened into the optional one: 1 a long, 2 its 8 bytes."""
    pos, branch = _varint(data, pos)
    if not branch:
        return pos, 0
    if isinstance(t, Scalar) and t.kind == "uint64":
        return _uint64(data, pos, branch - 1)
    return _value(schema, t, data, pos)


def _value(schema: Schema, t: FieldType, data: bytes, pos: int) -> tuple[int, int]:
    """Where the value of type ``t`` at ``pos`` ends, and its payload bytes."""
    if isinstance(t, Scalar):
        return _scalar(t.kind, data, pos)
    if isinstance(t, EnumRef):
        end, _ = _varint(data, pos)
        return end, end - pos
    if isinstance(t, MessageRef):
        total = 0
        for f in schema.messages[t.name].fields:
            read = _optional if f.optional else _value
            pos, paid = read(schema, f.type, data, pos)
            total += paid
        return pos, total
    total = 0
    while True:  # a list's or map's blocks: counts (and sizes) are overhead
        pos, count = _varint(data, pos)
        if count == 0:
            return pos, total
        if count < 0:
            pos, _ = _varint(data, pos)
            count = -count
        for _ in range(count):
            if isinstance(t, ListOf):
                pos, paid = _value(schema, t.item, data, pos)
                total += paid
                continue
            assert isinstance(t, MapOf)
            pos, paid = _scalar(t.key.kind, data, pos)
            total += paid
            pos, paid = _value(schema, t.value, data, pos)
            if not isinstance(t.value, MessageRef):  # a message's are its own rows'
                total += paid


def payload(f: Field, value: Any, alone: bytes) -> int:
    schema = _SCHEMA_OF[id(f)]
    read = _optional if f.optional else _value
    return read(schema, f.type, alone, 0)[1]


def fields_alone(codec: Codec, value: Record) -> tuple[int, dict[str, bytes]]:
    """Each set field's bytes, written alone with its type from the codec's wire schema."""
    from fmtbench.codecs.avro.codec import AvroCodec

    assert isinstance(codec, AvroCodec), codec
    wire, to_tree = codec.wire, codec.to_tree
    for msg in codec.schema.messages.values():
        for f in msg.fields:
            _SCHEMA_OF[id(f)] = codec.schema
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
