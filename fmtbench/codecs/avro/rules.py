"""Canonical values as fastavro's datums and back: the leaf rules of the Avro mapping.

The tree converters (values/tree.py) do the walk; these rules say how each leaf is spelled
for fastavro (docs/formats.md, "Avro"): uint64 as the long of the same 64 bits, timestamps
and durations as ``{"seconds", "nanos"}`` records, every map as the array of ``{key, value}``
records its bytes are (schema/avsc.py ``wire_schema``), a key seen twice an error.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fmtbench.codecs.values.canonical import CANONICAL_SCALARS, enum_by_name
from fmtbench.codecs.values.decimals import decimal_from_unscaled, decimal_to_unscaled
from fmtbench.codecs.values.leaves import (
    Conv,
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

#: The largest Avro ``long``: a uint64 above it is written as the long with the same 64 bits.
LONG_MAX = 2**63 - 1
_WRAP = 2**64

_uint64 = int_check("uint64")


def _uint64_out(v: Any) -> int:
    """A uint64 as a long of the same 64 bits (two's complement, as Java's long holds one):
    values above 2^63-1 are negative on the wire, and read back as they were."""
    if v.__class__ is int and 0 <= v <= LONG_MAX:
        return v
    v = _uint64(v)
    return v - _WRAP if v > LONG_MAX else v  # type: ignore[no-any-return]


def _uint64_in(v: Any) -> int:
    if v.__class__ is not int:
        raise mismatch("uint64 (a long)", v)
    return v if v >= 0 else v + _WRAP


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
