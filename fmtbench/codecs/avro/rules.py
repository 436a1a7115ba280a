"""Canonical values as fastavro's datums and back: the leaf rules of the Avro mapping.

The tree converters (values/tree.py) do the walk; these rules say how each leaf is spelled
for fastavro (docs/formats.md, "Avro"): uint64 as a long or, above 2^63-1, 8 bytes; timestamps
and durations as ``{"seconds", "nanos"}`` records, every map as the array of ``{key, value}``
records its bytes are (schema/avsc.py ``wire_schema``), a key seen twice an error.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from typing import Any

from fmtbench.codecs.values.canonical import CANONICAL_SCALARS, enum_by_name
from fmtbench.codecs.values.decimals import decimal_from_unscaled, decimal_to_unscaled
from fmtbench.codecs.values.leaves import (
    Conv,
    bytes_check,
    describe,
    duration_check,
    duration_from_parts,
    duration_parts,
    float64_check,
    int_check,
    mismatch,
    str_check,
    timestamp_check,
    timestamp_from_parts,
    timestamp_parts,
)
from fmtbench.codecs.values.tree import TreeRules
from fmtbench.errors import ValueMismatch, key_segment
from fmtbench.schema.avro_hint import LOGICAL, UNIT_NANOS, element
from fmtbench.schema.avro_wire import branch_key, branch_name
from fmtbench.schema.avsc import _PRIMITIVES as _AVRO_PRIMITIVES
from fmtbench.schema.avsc import TIME_NAMESPACE, full_name
from fmtbench.schema.model import EnumRef, Field, Message, MessageRef, Scalar, Schema

#: The largest Avro ``long``: a uint64 above it is written as ``fmtbench.avro.UInt64``.
LONG_MAX = 2**63 - 1

_uint64 = int_check("uint64")


def _uint64_out(v: Any) -> int | bytes:
    """A uint64 as the ``long`` branch of its union, or above 2^63-1 (which no long holds)
    as the fixed(8) branch: its 8 bytes, big-endian (schema/avsc.py ``uint64``)."""
    if v.__class__ is int and 0 <= v <= LONG_MAX:
        return v
    v = _uint64(v)
    return v.to_bytes(8, "big") if v > LONG_MAX else v  # type: ignore[no-any-return]


def _uint64_in(v: Any) -> int:
    if v.__class__ is int:
        if v < 0:  # a peer's long (or a file's own schema with long for the field)
            raise ValueMismatch(f"{v} is out of range for uint64")
        return v
    if v.__class__ is bytes and len(v) == 8:
        return int.from_bytes(v, "big")
    raise mismatch("uint64 (a long, or 8 bytes)", v)


def _timestamp_out(v: Any) -> dict[str, int]:
    seconds, nanos = timestamp_parts(timestamp_check(v))
    return {"seconds": seconds, "nanos": nanos}


def _duration_out(v: Any) -> dict[str, int]:
    seconds, nanos = duration_parts(duration_check(v))
    return {"seconds": seconds, "nanos": nanos}


def _timestamp_in(v: Any) -> Any:
    nanos = v["nanos"]
    if not 0 <= nanos <= 999_999_999:
        raise ValueMismatch(f"invalid Timestamp: nanos {nanos} is outside 0..999999999")
    return timestamp_from_parts(v["seconds"], nanos)


def _duration_in(v: Any) -> timedelta:
    return duration_from_parts(v["seconds"], v["nanos"])


def entries_out(mapping: dict[Any, Any]) -> list[dict[str, Any]]:
    """A converted map as Avro writes it: its entries, as records."""
    return [{"key": k, "value": v} for k, v in mapping.items()]


def entries_in(entries: Any) -> dict[Any, Any]:
    """The entries fastavro read, as a dict; a key seen twice is an error (one of the
    values would be dropped)."""
    if entries.__class__ is not list:
        raise mismatch("a map (an array of entries)", entries)
    mapping = {e["key"]: e["value"] for e in entries}
    if len(mapping) != len(entries):
        seen: set[Any] = set()
        for e in entries:
            key = e["key"]
            if key in seen:
                raise ValueMismatch(
                    f"the map holds the key {key!r} twice: one of the values would be dropped"
                ).at(key_segment(key))
            seen.add(key)
    return mapping


_OUT_SCALARS: dict[str, Conv] = {
    **CANONICAL_SCALARS,
    # fastavro's UTF-8 encoder refuses lone surrogates itself; ``explain`` then names the field.
    "string": str_check,
    "uint64": _uint64_out,
}

ENCODE_RULES = TreeRules(
    scalar={**_OUT_SCALARS, "timestamp": _timestamp_out, "duration": _duration_out},
    enum=enum_by_name,
    map_key=_OUT_SCALARS,
    fill_missing=False,
    sort_maps=True,  # equal records, equal bytes
    map_out=entries_out,
    decimal=decimal_to_unscaled,  # bytes: the ``decimal`` logical type's unscaled integer
)

_IN_SCALARS: dict[str, Conv] = {
    **CANONICAL_SCALARS,
    "string": str_check,  # fastavro decodes UTF-8 strictly
    "float32": float64_check,  # an Avro float read is exactly a float32 already
    "uint64": _uint64_in,
}

DECODE_RULES = TreeRules(
    scalar={**_IN_SCALARS, "timestamp": _timestamp_in, "duration": _duration_in},
    enum=enum_by_name,
    map_key=_IN_SCALARS,
    fill_missing=True,
    null_is_absent=True,
    map_in=entries_in,
    decimal=decimal_from_unscaled,
)


# -- what an imported .avsc adds (schema/avro_hint.py) -------------------------------------
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_LONG_MIN = -(2**63)


def _timestamp_units_out(logical: str) -> Conv:
    unit = UNIT_NANOS[logical.rsplit("-", 1)[1]]

    def conv(v: Any) -> int:
        seconds, nanos = timestamp_parts(timestamp_check(v))
        if nanos % unit:
            raise ValueMismatch(
                f"{nanos} nanoseconds are finer than {logical} holds (whole {logical.rsplit('-', 1)[1]})"
            )
        n = seconds * (1_000_000_000 // unit) + nanos // unit
        if not _LONG_MIN <= n <= LONG_MAX:
            raise ValueMismatch(f"the timestamp is outside the range of {logical} (an Avro long)")
        return n

    return conv


def _timestamp_units_in(logical: str) -> Conv:
    per_second = 1_000_000_000 // UNIT_NANOS[logical.rsplit("-", 1)[1]]
    unit = UNIT_NANOS[logical.rsplit("-", 1)[1]]

    def conv(v: Any) -> Any:
        if v.__class__ is not int:
            raise mismatch(f"{logical} (a long)", v)
        seconds, rest = divmod(v, per_second)
        return timestamp_from_parts(seconds, rest * unit)

    return conv


def _uuid_out(v: Any) -> str:
    if v.__class__ is not str or not _UUID.match(v):
        raise ValueMismatch(f"expected a UUID (8-4-4-4-12 hex digits), got {describe(v)}")
    return v


def _fixed(size: int) -> Conv:
    def conv(v: Any) -> bytes:
        b = bytes_check(v)
        if len(b) != size:
            raise ValueMismatch(f"expected {size} bytes (an Avro fixed), got {len(b)}")
        return b

    return conv


def _decimal_fixed_out(p: int, s: int, size: int) -> Conv:
    """A decimal in a ``fixed``: its unscaled integer sign-extended to the fixed's size (the
    import checked that every p-digit value fits)."""
    unscaled = decimal_to_unscaled(p, s)

    def conv(v: Any) -> bytes:
        b: bytes = unscaled(v)
        return (b"\xff" if b[0] & 0x80 else b"\x00") * (size - len(b)) + b

    return conv


def _decimal_fixed_in(p: int, s: int, size: int) -> Conv:
    read, fixed = decimal_from_unscaled(p, s), _fixed(size)
    return lambda v: read(fixed(v))


def _field_scalars(out: bool) -> Any:
    base = ENCODE_RULES.scalar if out else DECODE_RULES.scalar

    def rule(schema: Schema, f: Field) -> dict[str, Conv] | None:
        hint = f.avro
        if not hint or ("logical" not in hint and "fixed" not in hint):
            return None
        table = dict(base)
        logical = hint.get("logical")
        if logical is not None and LOGICAL[logical][0] == "timestamp":
            make = _timestamp_units_out if out else _timestamp_units_in
            table["timestamp"] = make(logical)
        elif logical == "uuid" and out:
            table["string"] = _uuid_out
        if "fixed" in hint:
            table["bytes"] = _fixed(hint["size"])
            t = element(f)
            if isinstance(t, Scalar) and t.kind == "decimal":  # unscaled, in the fixed's size
                sized = _decimal_fixed_out if out else _decimal_fixed_in
                table["decimal"] = sized(t.precision, t.scale, hint["size"])
        return table

    return rule


def _member_key(schema: Schema, f: Field) -> str:
    """The branch (avro_wire.branch_key) a union member is written in."""
    hint, t = f.avro or {}, f.type
    if "fixed" in hint:
        return branch_key(str(hint["fixed"]))
    if isinstance(t, Scalar):
        if "logical" in hint:
            return LOGICAL[hint["logical"]][1]
        if t.kind in ("timestamp", "duration"):
            return branch_key(f"{TIME_NAMESPACE}.{t.kind.capitalize()}")
        return _AVRO_PRIMITIVES[t.kind]
    assert isinstance(t, EnumRef | MessageRef)
    return branch_key(full_name(schema, t.name))


def _unions(schema: Schema, msg: Message) -> list[tuple[str, list[tuple[str, str]], bool]]:
    """(group, [(member, branch record's full name)], null allowed) of each union group."""
    out = []
    for g in msg.oneofs:
        if g.avro:
            members = [(m, branch_name(_member_key(schema, msg.field(m)))) for m in g.members]
            out.append((g.name, members, g.avro.get("null") is not None))
    return out


def _union_out(schema: Schema, msg: Message) -> Conv | None:
    plan = _unions(schema, msg)
    if not plan:
        return None

    def conv(d: dict[str, Any]) -> dict[str, Any]:
        for group, members, nullable in plan:
            found = None
            for member, branch in members:
                if member in d:
                    found = (branch, {"v": d.pop(member)})  # two set: refused before
                    break
            if found is None and not nullable:
                names = ", ".join(m for m, _ in members)
                raise ValueMismatch(f"one of {names} must be set: the Avro union has no null").at(
                    group
                )
            d[group] = found
        return d

    return conv


def _union_in(schema: Schema, msg: Message) -> Conv | None:
    plan = [(g, {b: m for m, b in members}) for g, members, _ in _unions(schema, msg)]
    if not plan:
        return None

    def conv(d: Any) -> Any:
        if d.__class__ is not dict:
            return d  # the converter says what is wrong
        for group, by_branch in plan:
            x = d.pop(group, None)
            if x is None:
                continue
            if x.__class__ is tuple:
                name, x = x
                d[by_branch[name]] = x["v"]
            else:  # a union of one branch: fastavro names no record
                d[next(iter(by_branch.values()))] = x["v"]
        return d

    return conv


ENCODE_RULES = dataclasses.replace(
    ENCODE_RULES, field_scalars=_field_scalars(True), message_out=_union_out
)
DECODE_RULES = dataclasses.replace(
    DECODE_RULES, field_scalars=_field_scalars(False), message_in=_union_in
)
