"""The canonical form itself: checking that a value is a valid record of its type.

Codecs call the fast rules of their own format on the hot path; when a library rejects a
value without saying where (orjson on a lone surrogate, say), ``explain`` walks the record
with these strict rules to name the field.
"""

from __future__ import annotations

from typing import Any

from fmtbench.codecs.values.leaves import (
    Conv,
    bool_check,
    bytes_check,
    duration_check,
    float32_round,
    float64_check,
    int_check,
    str_strict,
    timestamp_check,
)
from fmtbench.codecs.values.tree import TreeConverter, TreeRules
from fmtbench.errors import EncodeError, ValueMismatch
from fmtbench.schema.model import Enum, Schema


def enum_by_name(enum: Enum) -> Conv:
    names = frozenset(enum.names)
    if enum.has_aliases:
        canonical = enum.canonical()

        def alias(v: Any) -> str:
            # Any name of a number reads and writes as its first name (protoc's).
            if type(v) is not str or v not in canonical:
                allowed = ", ".join(enum.names)
                raise ValueMismatch(f"expected one of {enum.name} ({allowed}), got {v!r}")
            return canonical[v]

        return alias

    def check(v: Any) -> str:
        if type(v) is not str or v not in names:
            allowed = ", ".join(enum.names)
            raise ValueMismatch(f"expected one of {enum.name} ({allowed}), got {v!r}")
        return v

    return check


CANONICAL_SCALARS: dict[str, Conv] = {
    "bool": bool_check,
    "int32": int_check("int32"),
    "int64": int_check("int64"),
    "uint32": int_check("uint32"),
    "uint64": int_check("uint64"),
    "float32": float32_round,
    "float64": float64_check,
    "string": str_strict,
    "bytes": bytes_check,
    "timestamp": timestamp_check,
    "duration": duration_check,
}

CANONICAL = TreeRules(
    scalar=CANONICAL_SCALARS,
    enum=enum_by_name,
    map_key=CANONICAL_SCALARS,
    fill_missing=False,
)

_validators: dict[int, TreeConverter] = {}


def validator(schema: Schema) -> TreeConverter:
    """The canonical validator of a schema, built once and kept."""
    conv = _validators.get(id(schema))
    if conv is None or conv.schema is not schema:
        conv = _validators[id(schema)] = TreeConverter(schema, CANONICAL)
    return conv


def validate(schema: Schema, record: Any, type_name: str | None = None) -> dict[str, Any]:
    """Check ``record`` against its type and return it normalised (UTC, float32-rounded)."""
    msg = schema.message(type_name)
    try:
        return validator(schema).message(msg.name)(record)  # type: ignore[no-any-return]
    except ValueMismatch as exc:
        raise EncodeError(exc.problem, path=exc.where) from None


def explain(schema: Schema, type_name: str, record: Any, exc: Exception, fmt: str) -> EncodeError:
    """Turn a library's unlocated failure into an error that names the field, if one is wrong."""
    try:
        validator(schema).message(type_name)(record)
    except ValueMismatch as found:
        return EncodeError(found.problem, path=found.where)
    return EncodeError(f"{fmt} cannot encode this record: {exc}")
