"""How ``explain`` measures ProtoJSON (docs/explain.md): as JSON, the payload of a value is
its spelling without quotes, brackets, commas and colons. A field at its default is not
written at all (implicit presence), so it costs nothing."""

from __future__ import annotations

from typing import Any

import orjson

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import ExplainRules
from fmtbench.codecs.json.explain import _payload
from fmtbench.codecs.protojson.codec import ProtoJsonCodec
from fmtbench.codecs.protojson.compile import wire_name
from fmtbench.schema.model import Field, MapOf, MessageRef

#: The tree may hold UTC datetimes, which the codec's msgspec writes with 'Z'.
_UTC_Z = orjson.OPT_UTC_Z


def payload(f: Field, value: Any, alone: bytes) -> int:
    tree = orjson.loads(alone)
    key = wire_name(f)
    if key not in tree:
        return 0
    skip = isinstance(f.type, MapOf) and isinstance(f.type.value, MessageRef)
    return _payload(tree[key], skip)


def fields_alone(codec: Codec, record: Record) -> tuple[int, dict[str, bytes]]:
    """The empty message, and each field's message holding only it (``{}`` when it is
    at its default and so left out)."""
    assert isinstance(codec, ProtoJsonCodec)
    tree = codec.to_tree(record)
    out = {}
    fields = {f.name: f for f in codec.message.fields}
    for name in record:
        key = wire_name(fields[name])
        out[name] = orjson.dumps({key: tree[key]}, option=_UTC_Z) if key in tree else b"{}"
    return 2, out


#: How ProtoJSON spells each kind of value.
NOTES = {
    "bytes": "base64 (4 characters for every 3 bytes)",
    "timestamp": "RFC 3339 text (20-24 characters; 0, 3 or 6 fraction digits)",
    "float64": "shortest round-trip decimal text",
    "float32": "the shortest decimal that reads back as the same float32",
    "int": "decimal digits (64-bit ones in quotes)",
    "enum": "the value's protobuf name (ENUM_VALUE)",
}

RULES = ExplainRules(payload, NOTES, fields_alone)
