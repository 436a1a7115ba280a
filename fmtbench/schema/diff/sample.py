"""The records ``schema diff --prove`` writes: seeded, and made to meet what changes break
(presence both ways, integers over their whole range, every enum value, edge values)."""

from __future__ import annotations

import random
from decimal import Context, Decimal
from typing import Any

from fmtbench.codecs import Record
from fmtbench.schema.model import (
    INT_RANGES,
    EnumRef,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
)

#: How often an optional field is present in generated records: both cases, evenly.
PRESENCE = 0.5


def sample(schema: Schema, type_name: str | None, n: int, seed: int) -> list[Record]:
    """``n`` seeded records of the type, with the hints that make the data probe changes."""
    from fmtbench.generate import RecordGenerator

    gen = RecordGenerator(schema, type_name, hints=probing_hints(schema), seed=seed)
    records = list(gen.records(n))
    # Every other record takes edge values too: zero values are where presence rules
    # differ (an implicit field does not write its zero), extremes where ranges do.
    edges = _Edges(schema, random.Random(f"{seed}/edges"))
    name = schema.message(type_name).name
    return [edges.message(name, r) if i % 2 else r for i, r in enumerate(records)]


def probing_hints(schema: Schema) -> dict[str, dict[str, Any]]:
    """Generation hints (docs/datasets.md) over every field: optional fields present half
    the time, integers uniform over their type's range, enum values equally likely."""
    hints: dict[str, dict[str, Any]] = {}
    for msg in schema.messages.values():
        for f in msg.fields:
            h: dict[str, Any] = {"presence": PRESENCE} if f.optional else {}
            t = f.type
            if isinstance(t, ListOf):
                if leaf := _leaf_hint(schema, t.item):
                    h["items"] = leaf
            elif isinstance(t, MapOf):
                if leaf := _leaf_hint(schema, t.value):
                    h["values"] = leaf
                if key := _leaf_hint(schema, t.key):
                    h["keys"] = key
            else:
                h.update(_leaf_hint(schema, t))
            if h:
                hints[f"{msg.name}.{f.name}"] = h
    return hints


def _leaf_hint(schema: Schema, t: FieldType) -> dict[str, Any]:
    if isinstance(t, Scalar) and t.kind in INT_RANGES:
        lo, hi = INT_RANGES[t.kind]
        return {"dist": "uniform", "range": [lo, hi]}
    if isinstance(t, EnumRef):
        return {"weights": dict.fromkeys(schema.enums[t.name].canonical_names, 1)}
    return {}


class _Edges:
    """A record with about half its leaves replaced by edge values of their types: zero
    values, the integers' extremes, -0.0, empty strings, lists and maps."""

    def __init__(self, schema: Schema, rng: random.Random) -> None:
        self.schema, self.rng = schema, rng

    def message(self, name: str, record: Record) -> Record:
        msg = self.schema.messages[name]
        out = dict(record)
        for f in msg.fields:
            if f.name in out:
                out[f.name] = self.field(f.type, out[f.name])
        return out

    def field(self, t: FieldType, value: Any) -> Any:
        if isinstance(t, ListOf):
            if self.rng.random() < EMPTY:
                return []
            return [self.leaf(t.item, v) for v in value]
        if isinstance(t, MapOf):
            if self.rng.random() < EMPTY:
                return {}
            return {k: self.leaf(t.value, v) for k, v in value.items()}
        return self.leaf(t, value)

    def leaf(self, t: FieldType, value: Any) -> Any:
        if isinstance(t, MessageRef):
            return self.message(t.name, value)
        choices = self.edges(t)
        if not choices or self.rng.random() < 0.5:
            return value
        return self.rng.choice(choices)

    def edges(self, t: FieldType) -> list[Any]:
        if isinstance(t, EnumRef):
            return [self.schema.enums[t.name].zero]
        if not isinstance(t, Scalar):
            return []
        if t.kind in INT_RANGES:
            lo, hi = INT_RANGES[t.kind]
            return [0, 1, lo, hi, *([-1] if lo < 0 else [])]
        if t.kind == "decimal":
            exact = Context(prec=t.precision + 2)  # the default 28 digits would round
            top = Decimal(10**t.precision - 1).scaleb(-t.scale, exact)
            return [Decimal(0).scaleb(-t.scale), top, top.copy_negate()]
        return list(_ZEROS.get(t.kind, ()))


#: Edge values by scalar kind (integers and decimals: by their range, in ``_Edges``).
_ZEROS: dict[str, tuple[Any, ...]] = {
    "bool": (False,),
    "float32": (0.0, -0.0),
    "float64": (0.0, -0.0),
    "string": ("",),
    "bytes": (b"",),
}
#: How often an edge record's list or map is emptied.
EMPTY = 0.25
