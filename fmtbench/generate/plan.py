"""Resolve every field of a schema into a complete spec: its hints, merged and checked.

Hints come from a field's ``gen:`` mapping and from a dataset profile's ``hints:`` (keyed
``Message.field``; a profile key replaces the same key of ``gen:``). Where neither says
anything, ``guess.py`` supplies defaults from the field's name. Every message of the
schema is resolved, reachable from the record type or not, so a mistake anywhere shows at
once rather than on the day someone generates that type.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fmtbench.generate.guess import guess, merge
from fmtbench.generate.hints import (
    DEFAULT_PRESENCE,
    LEAF_KEYS,
    HintError,
    Hints,
    LeafSpec,
    Pair,
    leaf_family,
    leaf_spec,
)
from fmtbench.schema.model import EnumRef, Field, ListOf, MapOf, Message, MessageRef, Scalar, Schema

DEFAULT_LIST_LEN: Pair = (0, 5)
DEFAULT_MAP_LEN: Pair = (0, 4)


@dataclass(frozen=True)
class MessageSpec:
    name: str


ElementSpec = LeafSpec | MessageSpec


@dataclass(frozen=True)
class ListSpec:
    length: Pair
    item: ElementSpec


@dataclass(frozen=True)
class MapSpec:
    length: Pair
    key: LeafSpec
    value: ElementSpec


@dataclass(frozen=True)
class FieldSpec:
    name: str
    path: str  # Message.field: names the field in errors and seeds its random stream
    presence: float | None  # None: not optional, always present
    value: ElementSpec | ListSpec | MapSpec


def plan_schema(
    schema: Schema, hints: Mapping[str, Mapping[str, Any]] | None, root: str
) -> dict[str, tuple[FieldSpec, ...]]:
    """Every message's field specs; ``root`` is the record type (its ``id`` is a sequence)."""
    extra = _check_keys(schema, hints or {})
    return {
        msg.name: tuple(
            field_spec(schema, msg, f, extra.get(f"{msg.name}.{f.name}"), root) for f in msg.fields
        )
        for msg in schema.messages.values()
    }


def _check_keys(schema: Schema, hints: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    if not isinstance(hints, Mapping):
        raise HintError(f"hints must be a mapping of Message.field: {{...}}, got {hints!r}")
    out: dict[str, Mapping[str, Any]] = {}
    for key, value in hints.items():
        msg_name, dot, field_name = str(key).partition(".")
        if not dot or msg_name not in schema.messages:
            known = [f"{m.name}.{f.name}" for m in schema.messages.values() for f in m.fields]
            close = difflib.get_close_matches(str(key), known, n=1)
            guess_text = f"; did you mean {close[0]!r}?" if close else ""
            raise HintError(
                f"hints: {key!r} is not a field of schema {schema.name} "
                f"(keys are Message.field){guess_text}"
            )
        names = [f.name for f in schema.messages[msg_name].fields]
        if field_name not in names:
            close = difflib.get_close_matches(field_name, names, n=1)
            guess_text = f"; did you mean '{msg_name}.{close[0]}'?" if close else ""
            raise HintError(f"hints: message {msg_name} has no field {field_name!r}{guess_text}")
        if not isinstance(value, Mapping):
            raise HintError(f"{key}: hints must be a mapping, got {value!r}")
        out[str(key)] = value
    return out


def field_spec(
    schema: Schema, msg: Message, f: Field, profile: Mapping[str, Any] | None, root: str
) -> FieldSpec:
    """One field's spec from its ``gen:`` hints and the profile's (the profile's win)."""
    where = f"{msg.name}.{f.name}"
    extra = {"presence"} if f.optional else set()
    t = f.type
    if isinstance(t, MessageRef):
        allowed, what = set(), f"a {t.name} field"
    elif isinstance(t, ListOf):
        allowed, what = {"len", "items"}, "a list field"
    elif isinstance(t, MapOf):
        allowed, what = {"len", "keys", "values"}, "a map field"
    else:
        name = t.name if isinstance(t, EnumRef) else str(t) if t.kind == "decimal" else t.kind
        allowed, what = set(LEAF_KEYS[leaf_family(schema, name)]), f"a {name} field"
    layers = [dict(layer) for layer in (f.gen, profile) if layer]
    for layer in layers:
        if "presence" in layer and not f.optional:
            raise HintError(f"{where}: presence applies only to optional fields, and {f} is not")
        if isinstance(t, MessageRef) and set(layer) - extra:
            raise HintError(
                f"{where}: a {t.name} field takes no hints of its own "
                f"(only presence, when optional); hint its fields as '{t.name}.<field>'"
            )
        Hints(layer, where, allowed | extra, what)
    last = {k: v for layer in layers for k, v in layer.items()}  # later layers win per key
    h = Hints(last, where, allowed | extra, what)
    presence = h.number("presence", DEFAULT_PRESENCE, 0.0, 1.0) if f.optional else None
    value: ElementSpec | ListSpec | MapSpec
    if isinstance(t, MessageRef):
        value = MessageSpec(t.name)
    elif isinstance(t, ListOf):
        items = [layer.get("items") for layer in layers]
        item = _element(schema, t.item, items, f"{where} items", f.name, "items")
        value = ListSpec(h.length("len", DEFAULT_LIST_LEN), item)
    elif isinstance(t, MapOf):
        keys = [layer.get("keys") for layer in layers]
        if t.key.kind == "string":
            keys.insert(0, {"kind": "label"})  # attribute-like keys: env, region, colour...
        key = _leaf(schema, t.key.kind, keys, f"{where} keys", "", element=True, guessing=False)
        values = [layer.get("values") for layer in layers]
        val = _element(schema, t.value, values, f"{where} values", f.name, "values")
        value = MapSpec(h.length("len", DEFAULT_MAP_LEN), key, val)
    else:
        name = t.name if isinstance(t, EnumRef) else str(t) if t.kind == "decimal" else t.kind
        leaf_layers = [{k: v for k, v in layer.items() if k != "presence"} for layer in layers]
        value = _leaf(schema, name, leaf_layers, where, f.name, root=msg.name == root)
    return FieldSpec(f.name, where, presence, value)


def _element(
    schema: Schema,
    t: Scalar | EnumRef | MessageRef,
    layers: list[Any],
    where: str,
    name: str,
    key: str,
) -> ElementSpec:
    if isinstance(t, MessageRef):
        if any(layer is not None for layer in layers):
            raise HintError(
                f"{where}: {t.name} values take no {key} hints; hint its fields as '{t.name}.<field>'"
            )
        return MessageSpec(t.name)
    type_name = t.name if isinstance(t, EnumRef) else str(t) if t.kind == "decimal" else t.kind
    return _leaf(schema, type_name, layers, where, name, element=True)


def _leaf(
    schema: Schema,
    type_name: str,
    layers: list[Any],
    where: str,
    name: str,
    *,
    root: bool = False,
    element: bool = False,
    guessing: bool = True,
) -> LeafSpec:
    """Guess, then each layer of hints over it (``guess.merge`` says what a layer replaces)."""
    family = leaf_family(schema, type_name)
    guessed = guess(family, type_name, name, root=root, element=element) if guessing else {}
    merged: dict[str, Any] = dict(guessed)
    for layer in layers:
        if layer is not None:
            merged = merge(
                family, merged, Hints(layer, where, LEAF_KEYS[family], f"a {type_name} value").raw
            )
    try:
        return leaf_spec(Hints(merged, where, LEAF_KEYS[family], type_name), schema, type_name)
    except HintError as exc:
        kept = {k: v for k, v in guessed.items() if merged.get(k) == v}
        if not kept or all(k in (layer or {}) for layer in layers for k in kept):
            raise
        raise HintError(
            f"{exc} (with defaults guessed from the name {name!r}: {kept}; "
            "give your own kind or dist to replace them)"
        ) from None
