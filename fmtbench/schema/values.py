"""Canonical zero values: what a non-optional field holds when the input leaves it out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fmtbench.schema.model import EnumRef, FieldType, ListOf, MapOf, MessageRef, Scalar, Schema

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Immutable, so one object serves every record.
SCALAR_ZEROS: dict[str, Any] = {
    "bool": False,
    "int32": 0,
    "int64": 0,
    "uint32": 0,
    "uint64": 0,
    "float32": 0.0,
    "float64": 0.0,
    "string": "",
    "bytes": b"",
    "timestamp": EPOCH,
    "duration": timedelta(0),
}


def decimal_zero(scale: int) -> Decimal:
    """The zero of a ``decimal(p, s)``: 0 with ``s`` zeros after the point (``0.00``)."""
    return Decimal(0).scaleb(-scale)


def zero_factory(schema: Schema, ftype: FieldType) -> Callable[[], Any]:
    """A function returning a fresh zero value of ``ftype`` (fresh: lists and dicts mutate)."""
    if isinstance(ftype, Scalar):
        value = decimal_zero(ftype.scale) if ftype.kind == "decimal" else SCALAR_ZEROS[ftype.kind]
        return lambda: value
    if isinstance(ftype, EnumRef):
        name = schema.enums[ftype.name].zero
        return lambda: name
    if isinstance(ftype, ListOf):
        return list
    if isinstance(ftype, MapOf):
        return dict
    if isinstance(ftype, MessageRef):
        return lambda: zero_message(schema, ftype.name)
    raise AssertionError(ftype)


def zero_message(schema: Schema, name: str) -> dict[str, Any]:
    """Every non-optional field at its zero value; the loader forbids required cycles."""
    return {
        f.name: zero_factory(schema, f.type)()
        for f in schema.messages[name].fields
        if not f.optional
    }
