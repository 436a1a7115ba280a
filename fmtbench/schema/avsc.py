"""Compile a schema into an Avro schema (``.avsc``) of fmtbench's Avro mapping.

``avro_schema`` is what ``schema export --to avro`` writes and what the Avro codecs put in a
container file's header: named records for messages (recursive ones referred to by name),
Avro enums of the canonical value names, ``["null", T]`` for optional fields and oneof
members, ``map`` for maps keyed by strings and an array of ``{key, value}`` records for the
others, records of seconds and nanoseconds for timestamps and durations, which Avro's
logical types cannot hold losslessly, and for ``uint64`` the union of ``long`` and a
fixed(8) for the values above 2^63-1 (docs/formats.md, "Avro").

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
from fmtbench.schema.avro_hint import LOGICAL
from fmtbench.schema.model import (
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    Message,
    MessageRef,
    Oneof,
    Scalar,
    Schema,
)

#: The namespace of the records that hold timestamps and durations, apart from any schema's.
TIME_NAMESPACE = "fmtbench.avro"
#: The fixed(8) of the uint64 values above 2^63-1, in that namespace.
UINT64 = "UInt64"

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
    """The schema fastavro reads and writes the record type's datums with (``wire_form``)."""
    from fmtbench.schema.avro_wire import wire_form

    wire: dict[str, Any] = wire_form(avro_schema(schema, type_name))
    return wire


def full_name(schema: Schema, name: str) -> str:
    """The Avro full name of a message or enum of ``schema``: an imported type's own, else
    the type's name in the schema's namespace (where the exported root puts it)."""
    t = schema.messages.get(name) or schema.enums[name]
    if t.avro and "name" in t.avro:
        return str(t.avro["name"])
    return f"{schema.name}.{name}"


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
        self.fixed_sizes: dict[str, int] = {}
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
        if schema.name == TIME_NAMESPACE and {"Timestamp", "Duration", UINT64} & taken:
            raise SchemaError(
                f"schema {schema.name}: its namespace is the one fmtbench's Avro mapping keeps"
                " for timestamps, durations and uint64; rename the schema"
            )

    def record(self, name: str) -> dict[str, Any]:
        msg = self.schema.messages[name]
        root = not self.defined
        self.defined.add(name)
        out: dict[str, Any] = {"type": "record", **self.named(msg.avro, name)}
        if root and "namespace" not in out and "." not in out["name"]:
            out["namespace"] = self.namespace  # the root carries the namespace (and doc)
        if doc := msg.doc or (self.schema.doc if root else None):
            out["doc"] = doc
        if msg.avro and msg.avro.get("aliases"):
            out["aliases"] = list(msg.avro["aliases"])
        groups = {g.name: g for g in msg.oneofs}
        fields = []
        for f in msg.fields:
            group = groups.get(f.oneof) if f.oneof is not None else None
            if group is not None and group.avro:  # one Avro union of the members' types
                if f.name == group.members[0]:
                    fields.append(self.union(msg, group))
                continue
            entry: dict[str, Any] = {"name": f.name, "type": self.field_type(msg.name, f)}
            doc = f.doc
            if group is not None:
                members = ", ".join(group.members)
                note = f"Member of oneof {group.name}: at most one of {members} is set."
                doc = f"{doc} {note}" if doc else note
            if doc:
                entry["doc"] = doc
            hint = f.avro or {}
            if "default" in hint:
                entry["default"] = hint["default"]
            elif f.optional:
                entry["default"] = None
            elif (default := self.default(f, entry["type"])) is not _NONE:
                entry["default"] = default
            if hint.get("aliases"):
                entry["aliases"] = list(hint["aliases"])
            fields.append(entry)
        out["fields"] = fields
        return out

    def named(self, hint: dict[str, Any] | None, name: str) -> dict[str, Any]:
        """The ``name`` of a type: an imported one's Avro full name (``namespace: ""`` when
        it has none, so that it does not take the enclosing one), else the schema's."""
        if not hint or "name" not in hint:
            return {"name": name}
        full = str(hint["name"])
        return {"name": full} if "." in full else {"name": full, "namespace": ""}

    def union(self, msg: Message, group: Oneof) -> dict[str, Any]:
        """An imported union of several types: one field, a branch a member."""
        hint = group.avro or {}
        branches = [self.leaf(msg.field(m)) for m in group.members]
        if hint.get("null") is not None:
            branches.insert(int(hint["null"]), "null")
        entry: dict[str, Any] = {"name": group.name, "type": branches}
        if group.doc:
            entry["doc"] = group.doc
        if "default" in hint:
            entry["default"] = hint["default"]
        if hint.get("aliases"):
            entry["aliases"] = list(hint["aliases"])
        return entry

    def field_type(self, message: str, f: Field) -> Any:
        hint = f.avro or {}
        if isinstance(f.type, MapOf):
            t = self.map(message, f.name, f.type, hint)
        elif isinstance(f.type, ListOf):
            t = {"type": "array", "items": self.type(f.type.item, hint)}
        else:
            t = self.type(f.type, hint)
        if not f.optional:
            return t
        branches = t if isinstance(t, list) else [t]  # a union is not nested: it grows
        return [*branches, "null"] if hint.get("null") == "last" else ["null", *branches]

    def leaf(self, f: Field) -> Any:
        """The Avro type of a union member (a scalar, enum or message)."""
        return self.type(f.type, f.avro or {})

    def type(self, t: FieldType, hint: dict[str, Any] | None = None) -> Any:
        if isinstance(t, Scalar):
            if hint and ("fixed" in hint or "logical" in hint):
                return self.hinted(t, hint)
            if hint and "other" in hint:  # an unknown logical type, kept as it was spelled
                return {"type": _PRIMITIVES[t.kind], "logicalType": hint["other"]}
            if t.kind in ("timestamp", "duration"):
                return self.time(t.kind)
            if t.kind == "decimal":
                return self.decimal(t)
            if t.kind == "uint64":
                return self.uint64()
            return _PRIMITIVES[t.kind]
        if isinstance(t, EnumRef):
            enum = self.schema.enums[t.name]
            if t.name in self.defined:
                return self.ref(enum.avro, t.name)
            self.defined.add(t.name)
            out: dict[str, Any] = {"type": "enum", **self.named(enum.avro, t.name)}
            if enum.doc:
                out["doc"] = enum.doc
            if enum.avro and enum.avro.get("aliases"):
                out["aliases"] = list(enum.avro["aliases"])
            out["symbols"] = list(enum.canonical_names)
            if enum.avro and "default" in enum.avro:
                out["default"] = enum.canonical()[enum.avro["default"]]
            return out
        if isinstance(t, MessageRef):
            if t.name in self.defined:
                return self.ref(self.schema.messages[t.name].avro, t.name)
            return self.record(t.name)
        if isinstance(t, ListOf):
            return {"type": "array", "items": self.type(t.item)}
        raise AssertionError(t)  # maps are compiled by ``map``, which knows the field

    def ref(self, hint: dict[str, Any] | None, name: str) -> str:
        return str(hint["name"]) if hint and "name" in hint else name

    def hinted(self, t: Scalar, hint: dict[str, Any]) -> Any:
        """A scalar Avro spells with a logical type or as a ``fixed`` (avro_hint.py)."""
        logical = hint.get("logical")
        if "fixed" in hint:
            name = str(hint["fixed"])
            if name in self.defined:
                if self.fixed_sizes[name] != hint["size"]:
                    raise SchemaError(
                        f"schema {self.schema.name}: the fixed {name} is given the sizes"
                        f" {self.fixed_sizes[name]} and {hint['size']}"
                    )
                return name
            self.defined.add(name)
            self.fixed_sizes[name] = hint["size"]
            out: dict[str, Any] = {"type": "fixed", **self.named({"name": name}, name)}
            out["size"] = hint["size"]
        else:
            out = {"type": LOGICAL[str(logical)][1]}
        if logical is not None:
            out["logicalType"] = logical
        if logical == "decimal":
            out["precision"] = hint["precision"]
            out["scale"] = hint.get("scale", 0)
        if t.kind == "decimal" and not self.entries_for_maps:  # an imported fixed decimal
            out |= {"logicalType": "decimal", "precision": t.precision, "scale": t.scale}
        return out

    def map(self, message: str, field: str, t: MapOf, hint: dict[str, Any] | None = None) -> Any:
        if t.key.kind == "string" and not self.entries_for_maps:
            return {"type": "map", "values": self.type(t.value, hint)}
        name = self.entry_names[(message, field)]
        self.defined.add(name)
        entry = {
            "type": "record",
            "name": name,
            "fields": [
                {"name": "key", "type": self.type(t.key)},
                {"name": "value", "type": self.type(t.value, hint)},
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

    def uint64(self) -> Any:
        """A ``uint64``: the union of ``long`` (up to 2^63-1, what every reader shows as the
        number) and ``fmtbench.avro.UInt64``, a fixed(8) of the big-endian value, for the
        values above, which no Avro type holds."""
        full = f"{TIME_NAMESPACE}.{UINT64}"
        if full in self.defined:
            return ["long", full]
        self.defined.add(full)
        return [
            "long",
            {
                "type": "fixed",
                "name": UINT64,
                "namespace": TIME_NAMESPACE,
                "doc": "A uint64 above 2^63-1 (no Avro long holds it): its 8 bytes, big-endian.",
                "size": 8,
            },
        ]

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
        if f.avro and ("fixed" in f.avro or "logical" in f.avro) and not isinstance(f.type, ListOf):
            return _NONE  # a fixed or logical type: no zero of its own to spell
        if not isinstance(f.type, Scalar) or f.type.kind not in _PRIMITIVES:
            return _NONE  # messages, timestamps and durations: records, left without one
        if f.default is None:
            return _ZEROS[_PRIMITIVES[f.type.kind]]
        value = f.default
        if f.type.kind == "uint64" and value >= 2**63:
            return _NONE  # a union's default is of its first branch, the long
        if isinstance(value, bytes):
            return value.decode("latin-1")  # Avro's form: a code point a byte
        if isinstance(value, float) and not math.isfinite(value):
            return _NONE  # JSON has no NaN or infinity
        return value


#: No default (a sentinel: ``None`` is Avro's null).
_NONE: Any = object()
