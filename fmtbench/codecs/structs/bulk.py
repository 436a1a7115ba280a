"""Canonical dicts from a record's Structs in one C call, where no leaf needs Python.

The typed readers (read.py) build the canonical dicts with generated Python, one call a
message: on recursive records (``tree``: a call a node) and numeric ones (``mesh``: a call
a point, a float32 rounding a coordinate) that walk cost 3-10x the parse itself. Most
records need no leaf converted at all, only proven to need none; then
``msgspec.to_builtins`` builds the same dicts in C (field names as renamed, absent
optionals left out, schema order, bytes kept as bytes).

What makes a leaf need Python, and how each case is proven absent here:

- float fields: read as ``int | float`` (and JSON's "NaN" words), where the canonical value
  is a float, float32-exact for float32 fields. The float leaves are gathered in C
  (``attrgetter``, ``map``, ``chain``: no Python frame a value) and checked at once: all of
  type float, and for float32 the ``array('f')`` round trip equal (NaN never is, overflow
  gives inf: both go to the Python converter, which rounds or refuses as before). Only
  schemas without cycles gather (a cycle would need a recursive walk).
- uint64: the format proves it (MessagePack cannot hold more than 2**64 - 1; JSON input is
  gated on its bytes holding no run of 20 digits, see json/typed.py);
- anything else with a converter (timestamps, durations, decimals, integer map keys in
  JSON, oneof groups): the message is not converted here at all.

Whenever a check fails, the record goes through the generated converter, which gives
the same dicts or refuses as before: this path only ever accepts.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Collection
from datetime import datetime
from functools import partial
from itertools import chain, filterfalse
from operator import attrgetter, is_, methodcaller
from typing import Any

import msgspec

from fmtbench.codecs.values import oneof
from fmtbench.schema.model import (
    EnumRef,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
    element_type,
    parents_first,
    reachable_messages,
)

_FLOATS = ("float32", "float64")
# What ``to_builtins`` must hand over as it is: the canonical form holds these objects.
_BUILTIN = (bytes, bytearray, datetime)
#: The bulk converter where no leaf needs checking: it never raises ``NOT_CANONICAL``.
TO_BUILTINS = partial(msgspec.to_builtins, builtin_types=_BUILTIN)


class _Floats(Exception):
    """A float leaf that is not yet canonical: the generated converter handles it."""


def _leaf_ok(ftype: FieldType, same: Collection[str], map_keys: Collection[str]) -> bool:
    if isinstance(ftype, Scalar):
        return ftype.kind in same or ftype.kind in _FLOATS
    if isinstance(ftype, EnumRef | MessageRef):
        return True
    if isinstance(ftype, ListOf):
        return _leaf_ok(ftype.item, same, map_keys)
    if isinstance(ftype, MapOf):
        return ftype.key.kind in map_keys and _leaf_ok(ftype.value, same, map_keys)
    raise AssertionError(ftype)


def _has_floats(ftype: FieldType) -> bool:
    inner = element_type(ftype)
    return isinstance(inner, Scalar) and inner.kind in _FLOATS


def compile_bulk(
    schema: Schema,
    root: str,
    *,
    same: Collection[str],
    map_keys: Collection[str],
    cyclic: bool,
    typed_floats: bool = False,
) -> Callable[[Any], dict[str, Any]] | None:
    """``root``'s Structs to canonical dicts in C, or None where some leaf needs Python.

    ``same``: the scalar kinds whose msgspec value is canonical as read (in this format,
    once its own gate passed); ``map_keys``: likewise for map keys; ``cyclic``: whether
    ``root`` can contain itself (then no float leaf may be gathered); ``typed_floats``:
    msgspec read every float leaf as a finite ``float`` (json/exact.py), so only float32
    leaves are gathered, for their rounding.
    """
    names = [m.name for m in reachable_messages(schema, root)]
    for name in names:
        msg = schema.messages[name]
        if oneof.groups(msg):  # two members set is for the tree path to name
            return None
        if not all(_leaf_ok(f.type, same, map_keys) for f in msg.fields):
            return None
    floats = _gatherer(schema, root, names, typed=typed_floats)
    if floats is not None and cyclic:
        return None
    if floats is None:
        return TO_BUILTINS
    check, to_builtins = floats, TO_BUILTINS

    def convert(s: Any) -> dict[str, Any]:
        check(s)
        return to_builtins(s)  # type: ignore[no-any-return]

    return convert


def _gatherer(
    schema: Schema, root: str, names: list[str], *, many: bool = False, typed: bool = False
) -> Callable[[Any], None] | None:
    """A check of every float leaf under ``root``, in C, raising ``_Floats``; None when
    the schema has none. (Only called usefully on acyclic schemas.) ``many``: the check
    takes a list of ``root`` Structs, not one. ``typed``: every float leaf is a finite
    float already: float64 leaves need nothing, float32 ones only their rounding."""
    kinds = ("float32",) if typed else _FLOATS
    if not any(
        isinstance(leaf := element_type(f.type), Scalar) and leaf.kind in kinds
        for n in names
        for f in schema.messages[n].fields
    ):
        return None
    order = parents_first(schema, root)
    # Per message, the expressions that yield its instances (iterables of Structs).
    sources: dict[str, list[str]] = {n: [] for n in order}
    sources[root].append("s" if many else "(s,)")
    namespace: dict[str, Any] = {
        "_chain": chain.from_iterable,
        "_chain2": chain,
        "_map": map,
        "_filterfalse": filterfalse,
        "_unset": partial(is_, msgspec.UNSET),
        "_values": methodcaller("values"),
        "_list": list,
    }
    getters: dict[tuple[str, ...], str] = {}

    def get(*attrs: str) -> str:
        if attrs not in getters:
            getters[attrs] = f"_ag{len(getters)}"
            namespace[getters[attrs]] = attrgetter(*attrs)
        return getters[attrs]

    lines = ["def check(s):", "    f32 = []", "    f64 = []"]
    for i, name in enumerate(order):
        srcs = sources[name]
        if not srcs:
            continue
        if len(srcs) == 1:
            lines.append(f"    m{i} = _list({srcs[0]})")
        else:
            lines.append(f"    m{i} = _list(_chain2({', '.join(srcs)}))")
        for j, f in enumerate(schema.messages[name].fields):
            t = f.type
            values = f"_map({get(f'f{j}')}, m{i})"
            if f.optional:
                values = f"_filterfalse(_unset, {values})"
            if isinstance(t, ListOf):
                values, t = f"_chain({values})", t.item
            elif isinstance(t, MapOf):
                values, t = f"_chain(_map(_values, {values}))", t.value
            if isinstance(t, MessageRef):
                sources[t.name].append(values)
            elif isinstance(t, Scalar) and t.kind in kinds:
                lines.append(f"    {'f32' if t.kind == 'float32' else 'f64'}.extend({values})")
    if typed:  # floats already: the rounding alone (array('f') gives the nearest float32)
        lines += ["    if f32 and _f32(f32) != f32:", "        raise _Floats"]
    else:
        lines += [
            "    if f64 and _types(_map(type, f64)) != _float_only:",
            "        raise _Floats",
            "    if f32:",
            "        if _types(_map(type, f32)) != _float_only or _f32(f32) != f32:",
            "            raise _Floats",
        ]
    namespace.update(
        _types=set,
        _float_only={float},
        _f32=lambda v: array("f", v).tolist(),
        _Floats=_Floats,
    )
    # Generated from the schema model only (attribute names f0, f1...; numbered names).
    exec("\n".join(lines), namespace)
    return namespace["check"]  # type: ignore[no-any-return]


#: What a bulk converter raises when the generated converter must do the work.
NOT_CANONICAL = _Floats
