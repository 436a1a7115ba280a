"""What one reader makes of one value written under another schema version, per family.

A ``Read`` answers: data written with type W, read with type R (or a field the writer has
and the reader lacks, ...): ``ok`` (every record read, values kept), ``error`` (the reader
refuses records: fmtbench is lossless or an error) or ``changed`` (read, with other values:
the cases where the format's own rules misread silently). ``some``: only some values are
hit (out of range, zero values Protobuf leaves out, bytes that are not UTF-8). Each verdict
here was tried on fmtbench's codecs (tests/test_schema_diff.py; ``--prove`` runs them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fmtbench.schema.diff.changes import scalar_detail
from fmtbench.schema.model import INT_RANGES, EnumRef, FieldType, ListOf, MessageRef, Scalar

Status = Literal["ok", "error", "changed"]


@dataclass(frozen=True)
class Read:
    status: Status
    reason: str
    some: bool = False


OK = "ok"


def ok(reason: str) -> Read:
    return Read("ok", reason)


def error(reason: str, some: bool = False) -> Read:
    return Read("error", reason, some)


def changed(reason: str, some: bool = False) -> Read:
    return Read("changed", reason, some)


# Protobuf's wire types of the scalar kinds (an encoding changes them: zigzag, fixed).
_WIRE = {
    "bool": "varint",
    "int32": "varint",
    "int64": "varint",
    "uint32": "varint",
    "uint64": "varint",
    "float32": "fixed32",
    "float64": "fixed64",
    "string": "length-delimited",
    "bytes": "length-delimited",
}


def _wire(t: FieldType) -> str:
    if isinstance(t, Scalar):
        if t.encoding == "zigzag":
            return "zigzag"
        if t.encoding == "fixed":
            return "fixed64" if t.kind.endswith("64") else "fixed32"
        return _WIRE.get(t.kind, "length-delimited")
    if isinstance(t, EnumRef):
        return "varint"
    return "length-delimited"


def _int_read(w: str, r: str, family: str) -> Read:
    lo, hi = INT_RANGES[w]
    rlo, rhi = INT_RANGES[r]
    if rlo <= lo and hi <= rhi:
        return ok(f"every {w} fits {r}")
    if family == "protobuf" and w.endswith("64") and r.endswith("64"):
        # A 64-bit varint is read as the reader's type, two's complement: no range to check.
        return changed(
            f"{_a(w)} beyond {r}'s range reads as another number (two's complement)", True
        )
    if family == "protobuf" and w == "int32" and r == "uint64":
        return changed("a negative int32 is a 64-bit varint, read as a large uint64", True)
    return error(f"{_a(w)} value beyond {r}'s range is an error (never truncated)", True)


def _a(kind: str) -> str:
    """``a int32``, ``an int64``: the article of a type name."""
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def scalar_read(w: FieldType, r: FieldType, family: str) -> Read:
    """Data of type ``w`` read as type ``r`` (scalars, enums, messages: one value)."""
    if isinstance(w, MessageRef) or isinstance(r, MessageRef):
        return error(f"{w} and {r} are not the same kind of value")
    if isinstance(w, EnumRef) or isinstance(r, EnumRef):
        return _enum_read(w, r, family)
    if not isinstance(w, Scalar) or not isinstance(r, Scalar):
        return error(f"{w} and {r} are not the same kind of value")  # a list, a map
    if family == "protobuf":
        return _protobuf_read(w, r)
    if family == "avro":
        return _avro_read(w, r)
    return _keyed_read(w, r, family)


def _enum_read(w: FieldType, r: FieldType, family: str) -> Read:
    scalars = isinstance(w, Scalar | EnumRef) and isinstance(r, Scalar | EnumRef)
    if family == "protobuf" and scalars and _wire(w) == _wire(r) == "varint":
        # Protobuf's guide: enums share the varint with the integers; the number is kept.
        if isinstance(w, EnumRef) and isinstance(r, Scalar) and r.kind in INT_RANGES:
            return _int_read("int32", r.kind, family)  # an enum's numbers are int32s
        if isinstance(r, EnumRef) and isinstance(w, Scalar) and w.kind in INT_RANGES:
            return error("a number the enum lacks is an error (a closed enum)", True)
        return changed("bool and enums share the varint: values change type")
    names = family in ("json", "binary", "bson", "xml")
    if names and isinstance(w, EnumRef) and isinstance(r, Scalar) and r.kind == "string":
        return ok("the enum is written as its value's name: a string")
    if names and isinstance(r, EnumRef) and isinstance(w, Scalar) and w.kind == "string":
        return error("a string that names no value of the enum is an error", True)
    return error(f"{w} is not read as {r}")


def _protobuf_read(w: Scalar, r: Scalar) -> Read:
    ww, rw = _wire(w), _wire(r)
    if ww != rw:
        return error(f"{w} is {ww} on the wire, {r} {rw}: the reader refuses the wire type")
    if w.kind == r.kind:
        return ok("the same type")
    if w.kind in INT_RANGES and r.kind in INT_RANGES:
        if ww == "fixed32" or ww == "fixed64":
            return changed(f"{w} and {r} share fixed bytes read with another sign", True)
        return _int_read(w.kind, r.kind, "protobuf")
    if (w.kind, r.kind) == ("string", "bytes"):
        return ok("a string's bytes are its UTF-8 (Protobuf: string and bytes are compatible)")
    if (w.kind, r.kind) == ("bytes", "string"):
        return error("bytes that are not UTF-8 are an error as a string", True)
    if "bool" in (w.kind, r.kind):
        return changed("bool and integers share the varint: values change type")
    return changed(f"{w} and {r} share the {ww} wire type, read as another value")


def _keyed_read(w: Scalar, r: Scalar, family: str) -> Read:
    """json (json, jsonl), protojson, binary (msgpack, cbor), bson, xml: values by type."""
    text = family in ("json", "protojson", "xml")
    if w.kind == r.kind:
        return ok("the same value: integer encodings are Protobuf's alone")
    if w.kind in INT_RANGES and r.kind in INT_RANGES:
        return _int_read(w.kind, r.kind, family)
    detail = scalar_detail(w, r)
    if (w.kind, r.kind) == ("float32", "float64"):
        if family == "protojson":
            return changed(
                "ProtoJSON writes a float32 as its shortest text, read as another float64"
            )
        return ok("every float32 is a float64")
    if (w.kind, r.kind) == ("float64", "float32"):
        return changed("a float64 is rounded to the nearest float32 on reading", True)
    if w.kind in INT_RANGES and r.kind in ("float32", "float64"):
        if detail == "widening" and (family != "bson" or w.kind == "int32"):
            return ok(f"every {w} is exactly a float64")
        if family == "bson":
            return error(
                f"BSON writes {_a(str(w))} beyond int32 as an int64, which a double reader refuses",
                True,
            )
        if family in ("protojson", "xml"):
            return changed(
                f"{_a(str(w))} beyond the float's 53 bits is rounded as text is parsed", True
            )
        return error(f"{_a(str(w))} the float cannot hold exactly is an error", True)
    if w.kind in ("float32", "float64") and r.kind in INT_RANGES:
        return error(f"{_a(str(w))} is not an integer: an error", family == "protojson")
    if (w.kind, r.kind) == ("string", "bytes"):
        if text:
            return changed("text read as base64: other bytes, or an error when not base64")
        return error("a string is not bytes in this format: an error")
    if (w.kind, r.kind) == ("bytes", "string"):
        if text:
            return changed("bytes are written as base64 text, read as that text")
        return error("bytes are not a string in this format: an error")
    return error(f"{w} is not read as {r}")


# Avro's type of each scalar kind, as fmtbench writes it (schema/avro_wire.py).
_AVRO = {
    "bool": "boolean",
    "int32": "int",
    "uint32": "long",
    "int64": "long",
    # A union of long and fixed(8) (the values past 2^63-1): resolved through its long.
    "uint64": "long",
    "float32": "float",
    "float64": "double",
    "string": "string",
    "bytes": "bytes",
}
_PROMOTES = {
    ("int", "long"),
    ("int", "float"),
    ("int", "double"),
    ("long", "float"),
    ("long", "double"),
    ("float", "double"),
    ("string", "bytes"),
    ("bytes", "string"),
}


def _avro_read(w: Scalar, r: Scalar) -> Read:
    a, b = _AVRO.get(w.kind, w.kind), _AVRO.get(r.kind, r.kind)
    if w.kind == r.kind:
        return ok("the same Avro type")
    if a == b:
        if w.kind in INT_RANGES and r.kind in INT_RANGES:
            return _int_read(w.kind, r.kind, "avro")
        return ok(f"the same Avro type {a}")
    if (a, b) not in _PROMOTES:
        return error(f"Avro does not resolve {a} as {b}: the file is refused")
    if (a, b) == ("bytes", "string"):
        return error("Avro promotes bytes to string; bytes that are not UTF-8 are an error", True)
    if (a, b) in (("long", "float"), ("long", "double"), ("int", "float")):
        return changed(f"Avro promotes {a} to {b}, rounding values beyond its precision", True)
    if w.kind in INT_RANGES and r.kind in INT_RANGES:
        return _int_read(w.kind, r.kind, "avro")
    return ok(f"Avro promotes {a} to {b}")


def list_of(t: FieldType) -> FieldType:
    return t.item if isinstance(t, ListOf) else t
