"""How ``explain`` measures Protobuf (docs/explain.md): a field alone is the codec's own
message with every other field cleared (proto3 writes nothing for a cleared field); tags
and length prefixes are overhead, the rest payload."""

from __future__ import annotations

from typing import Any

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import ExplainRules
from fmtbench.codecs.protobuf.codec import ProtobufCodec, ProtobufDelimitedCodec
from fmtbench.codecs.protobuf.frames import read_varint
from fmtbench.schema.model import Field, MapOf, MessageRef


def fields_alone(codec: Codec, value: Record) -> tuple[int, dict[str, bytes]]:
    assert isinstance(codec, ProtobufCodec | ProtobufDelimitedCodec)
    full = codec.to_message(value)
    names = [f.name for f in codec.message.fields]
    out = {}
    for name in names:
        if name not in value:
            continue
        only = type(full)()
        only.CopyFrom(full)
        for other in names:
            if other != name:
                only.ClearField(other)
        # Partial: a required field (proto2) of the others is cleared too.
        out[name] = only.SerializePartialToString(deterministic=True)
    return len(type(full)().SerializePartialToString()), out


def payload(f: Field, value: Any, alone: bytes) -> int:
    t = f.type
    if isinstance(t, MapOf):
        skip = 2 if isinstance(t.value, MessageRef) else None
        return _payload(alone, entries=True, skip=skip)
    return _payload(alone)


def _varint(data: bytes, pos: int) -> int:
    """Where the varint at ``pos`` ends."""
    while data[pos] & 0x80:
        pos += 1
    return pos + 1


def _payload(data: bytes, *, entries: bool = False, skip: int | None = None) -> int:
    """Protobuf records: tags and length prefixes are overhead, the rest payload.

    ``entries`` opens each record as a map entry (its key and value tags are overhead too);
    ``skip`` is a field number whose bytes are not counted (a map's message values).
    """
    total, pos = 0, 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        wire, start = key & 7, pos
        if wire == 0:
            pos = _varint(data, pos)
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        elif wire == 2:
            n, start = read_varint(data, pos)
            pos = start + n
            if entries:
                total += _payload(data[start:pos], skip=skip)
                continue
        else:
            raise AssertionError(f"wire type {wire}")
        if key >> 3 != skip:
            total += pos - start
    return total


RULES = ExplainRules(
    payload,
    {
        "bytes": "raw",
        "timestamp": "a Timestamp message (seconds, nanos varints)",
        "duration": "a Duration message (seconds, nanos varints)",
        "float64": "a fixed 8-byte double",
        "float32": "4 bytes",
        "int": "a varint (7 bits a byte, 10 for a negative int32/int64)",
        "enum": "its number as a varint",
    },
    fields_alone,
)
