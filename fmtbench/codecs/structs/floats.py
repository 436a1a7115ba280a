"""The writer's float guard for a whole record at once, in C: what write.py's per-leaf
guard asks of every float, asked of lists of them.

write.py's guard is generated Python, one test a leaf: on numeric records (``mesh``: about
1,500 float32 coordinates a record) that test was most of the cost of writing, more than
``msgspec.convert`` and the writer together. Here the float leaves of a record's Structs
are gathered with C iterators (``attrgetter``, ``map``, ``chain``: no Python frame a
value) and tested a list at a time (every value is a float: msgspec refused ints there,
see write.py):

- float32 values float32-exact: the ``array('f')`` round trip is equal (NaN never is: the
  tree path's rounding may change its payload);
- in JSON, every value finite: the sum of finite floats is finite or overflows (the record
  is then merely declined), NaN or an infinity makes it NaN or infinite.

Only records whose message types cannot recur are gathered this way (the messages are
visited parents first, each once). Like write.py's guard, a failed test only declines the
record: the tree path then writes it or raises today's error with the field's path.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from functools import partial
from itertools import chain, filterfalse
from operator import attrgetter, is_
from typing import Any

import msgspec

from fmtbench.schema.model import (
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
    element_type,
    parents_first,
)

FLOAT_KINDS = ("float32", "float64")


class FloatsDeclined(Exception):
    """A float leaf write.py's guard would refuse: the caller declines the record."""


def has_floats(schema: Schema, names: list[str]) -> bool:
    """Whether any of the messages ``names`` holds a float field (or list or map of them)."""
    return any(
        isinstance(t := element_type(f.type), Scalar) and t.kind in FLOAT_KINDS
        for n in names
        for f in schema.messages[n].fields
    )


def _check(f32: list[Any], f64: list[Any], finite: bool) -> None:
    if f32 and array("f", f32).tolist() != f32:
        raise FloatsDeclined
    if finite:
        total = sum(f32) + sum(f64)
        if total - total != 0.0:  # inf - inf and NaN are NaN
            raise FloatsDeclined


def _send(lines: list[str], sources: dict[str, list[str]], dest: str, values: str) -> None:
    """``values`` (an iterator expression) to the instances of message ``dest``, or to the
    float32 or float64 list (``dest`` " float32", " float64")."""
    if dest.startswith(" "):
        lines.append(f"    {'f32' if dest == ' float32' else 'f64'}.extend({values})")
    else:
        sources[dest].append(values)


def compile_floats(schema: Schema, root: str, *, finite: bool) -> Callable[[Any, bytes], None]:
    """The check of every float leaf of one ``root`` Struct (write.py's ``f0``, ``f1``...
    attributes), raising ``FloatsDeclined``; the bytes written of it (the second argument,
    for floatbits.py's tests) are not read. ``root`` must not recur (see above)."""
    order = parents_first(schema, root)
    # Only the messages with a float at or below them are gathered: children first.
    below: set[str] = set()
    for name in reversed(order):
        fields = schema.messages[name].fields
        if has_floats(schema, [name]) or any(
            isinstance(t := element_type(f.type), MessageRef) and t.name in below for f in fields
        ):
            below.add(name)
    sources: dict[str, list[str]] = {n: [] for n in order}
    sources[root].append("(s,)")
    namespace: dict[str, Any] = {
        "_chain": chain.from_iterable,
        "_chain2": chain,
        "_map": map,
        "_filterfalse": filterfalse,
        "_unset": partial(is_, msgspec.UNSET),
        "_values": dict.values,
        "_list": list,
        "_check": partial(_check, finite=finite),
    }
    lines = ["def check(s, out=None):", "    f32 = []", "    f64 = []"]
    for i, name in enumerate(order):
        srcs = sources[name]
        if not srcs:
            continue
        lines.append(f"    m{i} = _list(_chain2({', '.join(srcs)}))")
        # Required single fields bound for the same list are read by one ``attrgetter``
        # of all of them (a tuple a message): one C call a message, not one a field.
        together: dict[str, list[str]] = {}
        for j, f in enumerate(schema.messages[name].fields):
            inner = element_type(f.type)
            if isinstance(inner, MessageRef) and inner.name in below:
                dest = inner.name
            elif isinstance(inner, Scalar) and inner.kind in FLOAT_KINDS:
                dest = " " + inner.kind  # not a message name (names are identifiers)
            else:
                continue
            if not f.optional and not isinstance(f.type, ListOf | MapOf):
                together.setdefault(dest, []).append(f"f{j}")
                continue
            namespace[f"_get{i}_{j}"] = attrgetter(f"f{j}")
            values = f"_map(_get{i}_{j}, m{i})"
            if f.optional:
                values = f"_filterfalse(_unset, {values})"
            if isinstance(f.type, ListOf):
                values = f"_chain({values})"
            elif isinstance(f.type, MapOf):
                values = f"_chain(_map(_values, {values}))"
            _send(lines, sources, dest, values)
        for k, (dest, attrs) in enumerate(together.items()):
            namespace[f"_all{i}_{k}"] = attrgetter(*attrs)
            values = f"_map(_all{i}_{k}, m{i})"
            _send(lines, sources, dest, values if len(attrs) == 1 else f"_chain({values})")
    lines.append("    _check(f32, f64)")
    # Generated from the schema model only (attribute names f0, f1...; numbered names).
    exec("\n".join(lines), namespace)
    return namespace["check"]  # type: ignore[no-any-return]
