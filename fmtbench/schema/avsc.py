"""Compile a schema into an Avro schema (``.avsc``) of fmtbench's Avro mapping.

``avro_schema`` is what ``schema export --to avro`` writes and what the Avro codecs put in a
container file's header: named records for messages (recursive ones referred to by name),
Avro enums of the canonical value names, ``["null", T]`` for optional fields and oneof
members, ``map`` for maps keyed by strings and an array of ``{key, value}`` records for the
others, and records of seconds and nanoseconds for timestamps and durations, which Avro's
logical types cannot hold losslessly (docs/formats.md, "Avro").

``wire_schema`` is the same schema as the codecs hand it to fastavro: every map spelled as
the array of ``{key, value}`` records its bytes also are (an Avro map is blocks of key and
value pairs, byte for byte an array of two-field records), so that a key written twice is
seen and refused instead of kept once by a dict.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fmtbench.errors import SchemaError
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

#: The namespace of the records that hold timestamps and durations, apart from any schema's.
TIME_NAMESPACE = "fmtbench.avro"

_PRIMITIVES = {
    "bool": "boolean",
    "int32": "int",
    "int64": "long",
    "uint32": "long",
    "uint64": "long",
    "float32": "float",
    "float64": "double",
    "string": "string",
    "bytes": "bytes",
}
_ZEROS: dict[str, Any] = {
    "boolean": False,
    "int": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "string": "",
    "bytes": "",
}
_TIME_DOCS = {
    "timestamp": "An instant: seconds since 1970-01-01T00:00:00Z (floor) and 0..999999999"
    " nanoseconds after them; years 1 to 9999.",
    "duration": "A signed span: seconds and nanoseconds of one sign, within"
    " +-315576000000.999999999 seconds.",
}


def avro_schema(schema: Schema, type_name: str | None = None) -> dict[str, Any]:
    """The Avro schema (as JSON data) of the record type, as the Avro codecs write it."""
    return _Compiler(schema, entries_for_maps=False).record(schema.message(type_name).name)


def wire_schema(schema: Schema, type_name: str | None = None) -> dict[str, Any]:
    """``avro_schema`` with every map spelled as the array of entry records of its bytes."""
    return _Compiler(schema, entries_for_maps=True).record(schema.message(type_name).name)


def avsc_file(schema: Schema, type_name: str | None) -> str:
    """The ``.avsc`` text: ``avro_schema`` as indented JSON."""
    return json.dumps(avro_schema(schema, type_name), indent=2, ensure_ascii=False) + "\n"


def entry_name(message: str, field: str) -> str:
    """The record an entry of a map field is (before ``_Compiler`` makes it unique)."""
    return f"{message}_{field}_Entry"


class _Compiler:
    """One depth-first walk from the root: a named type is defined where it is first met
    (Avro needs a definition before any reference) and named afterwards."""

    def __init__(self, schema: Schema, *, entries_for_maps: bool) -> None:
        self.schema = schema
        self.entries_for_maps = entries_for_maps
        self.namespace = schema.name
        self.defined: set[str] = set()
        taken = {*schema.messages, *schema.enums}
        self.entry_names: dict[tuple[str, str], str] = {}
        for msg in schema.messages.values():
            for f in msg.fields:
                if isinstance(f.type, MapOf):
                    name, n = entry_name(msg.name, f.name), 2
                    while name in taken:
                        name, n = f"{entry_name(msg.name, f.name)}{n}", n + 1
                    taken.add(name)
                    self.entry_names[(msg.name, f.name)] = name
        if schema.name == TIME_NAMESPACE and {"Timestamp", "Duration"} & taken:
            raise SchemaError(
                f"schema {schema.name}: its namespace is the one fmtbench's Avro mapping keeps"
                " for timestamps and durations; rename the schema"
            )

    def record(self, name: str) -> dict[str, Any]:
        msg = self.schema.messages[name]
        self.defined.add(name)
        out: dict[str, Any] = {"type": "record", "name": name}
        if not self.defined - {name}:  # the root carries the namespace (and the schema's doc)
            out["namespace"] = self.namespace
        if doc := msg.doc or (self.schema.doc if "namespace" in out else None):
            out["doc"] = doc
        groups = {g.name: g for g in msg.oneofs}
        fields = []
        for f in msg.fields:
            entry: dict[str, Any] = {"name": f.name, "type": self.field_type(msg.name, f)}
            doc = f.doc
            if f.oneof is not None:
                members = ", ".join(groups[f.oneof].members)
                note = f"Member of oneof {f.oneof}: at most one of {members} is set."
                doc = f"{doc} {note}" if doc else note
            if doc:
                entry["doc"] = doc
            if f.optional:
                entry["default"] = None
            elif (default := self.default(f, entry["type"])) is not _NONE:
                entry["default"] = default
            fields.append(entry)
        out["fields"] = fields
        return out

    def field_type(self, message: str, f: Field) -> Any:
        t = self.map(message, f.name, f.type) if isinstance(f.type, MapOf) else self.type(f.type)
        return ["null", t] if f.optional else t

    def type(self, t: FieldType) -> Any:
        if isinstance(t, Scalar):
            if t.kind in ("timestamp", "duration"):
                return self.time(t.kind)
            if t.kind == "decimal":
                return self.decimal(t)
            return _PRIMITIVES[t.kind]
        if isinstance(t, EnumRef):
            if t.name in self.defined:
                return t.name
            self.defined.add(t.name)
            enum = self.schema.enums[t.name]
            out: dict[str, Any] = {"type": "enum", "name": t.name}
            if enum.doc:
                out["doc"] = enum.doc
            out["symbols"] = list(enum.canonical_names)
            return out
        if isinstance(t, MessageRef):
            return t.name if t.name in self.defined else self.record(t.name)
        if isinstance(t, ListOf):
            return {"type": "array", "items": self.type(t.item)}
        raise AssertionError(t)  # maps are compiled by ``map``, which knows the field

    def map(self, message: str, field: str, t: MapOf) -> Any:
        if t.key.kind == "string" and not self.entries_for_maps:
            return {"type": "map", "values": self.type(t.value)}
        name = self.entry_names[(message, field)]
        self.defined.add(name)
        entry = {
            "type": "record",
            "name": name,
            "fields": [
                {"name": "key", "type": self.type(t.key)},
                {"name": "value", "type": self.type(t.value)},
            ],
        }
        return {"type": "array", "items": entry}

    def decimal(self, t: Scalar) -> Any:
        """Avro's ``decimal`` logical type on bytes (the unscaled integer, big-endian two's
        complement). fastavro is handed plain bytes (the wire schema): the codec converts
        them itself, exactly, and refuses an unscaled integer of too many digits, where
        fastavro's own reader would round it to the precision."""
        if self.entries_for_maps:
            return "bytes"
        return {
            "type": "bytes",
            "logicalType": "decimal",
            "precision": t.precision,
            "scale": t.scale,
        }

    def time(self, kind: str) -> Any:
        name = "Timestamp" if kind == "timestamp" else "Duration"
        full = f"{TIME_NAMESPACE}.{name}"
        if full in self.defined:
            return full
        self.defined.add(full)
        return {
            "type": "record",
            "name": name,
            "namespace": TIME_NAMESPACE,
            "doc": _TIME_DOCS[kind],
            "fields": [{"name": "seconds", "type": "long"}, {"name": "nanos", "type": "int"}],
        }

    def default(self, f: Field, avro_type: Any) -> Any:
        """A plain field's Avro default: the proto2 default of a required field, else its
        zero value (what an absent field reads as); _NONE where JSON cannot spell one."""
        if isinstance(f.type, ListOf | MapOf):
            return [] if isinstance(avro_type, dict) and avro_type["type"] == "array" else {}
        if isinstance(f.type, EnumRef):
            value = f.default if f.default is not None else self.schema.enums[f.type.name].zero
            return self.schema.enums[f.type.name].canonical()[value]
        if isinstance(f.type, Scalar) and f.type.kind == "decimal":
            return "\u0000"  # the unscaled zero: one byte 0, a code point a byte
        if not isinstance(f.type, Scalar) or f.type.kind not in _PRIMITIVES:
            return _NONE  # messages, timestamps and durations: records, left without one
        if f.default is None:
            return _ZEROS[_PRIMITIVES[f.type.kind]]
        value = f.default
        if f.type.kind == "uint64" and value >= 2**63:
            return value - 2**64  # the long of the same bits, as the value is written
        if isinstance(value, bytes):
            return value.decode("latin-1")  # Avro's form: a code point a byte
        if isinstance(value, float) and not math.isfinite(value):
            return _NONE  # JSON has no NaN or infinity
        return value


#: No default (a sentinel: ``None`` is Avro's null).
_NONE: Any = object()
