"""The fast Protobuf encode: canonical record -> constructor keywords, checked, as generated code.

The reference is ``TreeConverter`` with ``PROTO_RULES`` (codec.py): a keyword tree built by
a generic walk that calls a leaf converter per value. Its cost over upb's own step
(``cls(**kwargs)`` and ``SerializeToString``) was 1.7-3x (issue 16). This module generates,
per message type, a function that checks the record the way the reference does and hands
upb the record's own dicts and lists wherever they already are what upb takes: a message
of plain scalars (``Vec3``) comes back as the same dict, checked, not copied. Only what
upb spells differently is built anew (Timestamp fields, enum numbers where the classes do
not know the schema's names, sub-messages that contain those). With the classes of
``labels.py`` an enum name is handed over as it is, checked a ``str``: upb refuses a name
it does not know, and the reference path then names the field.

The checks are the reference's happy path, tested inline: exact types (``type(x) is int``:
upb would take a bool or a float for an integer where the reference refuses one), integer
ranges, float32 within its finite range (upb rounds a double to the nearest float32 as the
reference's ``float32_round`` does, and the range keeps overflow out: a NaN or an infinity
goes the reference way too), no key the schema does not know, no None, at most one member
of a oneof. A list or map of scalars is checked in C: the set of its item types, and its
``min``/``max`` against the range (a NaN first in a list makes ``min`` NaN, which fails the
test; elsewhere it is ignored by both and harmless). Rare kinds (Duration, decimal,
wrappers) use the reference's converter of the field.

It only ever accepts: whatever it does not like raises, and the caller encodes the same
record on the reference path, which returns the same bytes or raises today's error with its
path. Safe to ``exec``: the text comes from the schema model only; field names appear as
``repr`` literals, functions and tables under generated names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fmtbench.codecs.values import oneof
from fmtbench.codecs.values.tree import TreeConverter
from fmtbench.schema.model import (
    INT_RANGES,
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
)
from fmtbench.schema.values import EPOCH

Kwargs = Callable[..., Any]  # (record) or, with a depth cap, (record, depth)

_FLOAT32_MAX = 3.4028234663852886e38
# The exact type each plain scalar kind must have (upb takes these as they are).
_TYPES = {"bool": "bool", "float64": "float", "float32": "float", "string": "str", "bytes": "bytes"}
_TYPES |= dict.fromkeys(INT_RANGES, "int")
_CLASSES: dict[str, type] = {"bool": bool, "float": float, "str": str, "bytes": bytes, "int": int}
# Bounds checked besides the type (floats: the finite float32 range).
_BOUNDS: dict[str, tuple[float, float]] = {k: (lo, hi) for k, (lo, hi) in INT_RANGES.items()}
_BOUNDS["float32"] = (-_FLOAT32_MAX, _FLOAT32_MAX)


class _Fallback(Exception):
    """Raised by generated code to hand a record to the reference path."""


def _timestamp(v: Any) -> dict[str, int]:
    """A plain UTC datetime as Timestamp keywords (others: the reference path)."""
    if type(v) is not datetime or v.tzinfo is not UTC:
        raise _Fallback
    d = v - EPOCH
    return {"seconds": d.days * 86400 + d.seconds, "nanos": d.microseconds * 1000}


def _plain_kind(t: FieldType, labels: bool) -> str | None:
    """The kind whose checks a value of ``t`` takes when upb takes it as it is, else None:
    a plain scalar, or an enum name where the classes know the names (labels.py)."""
    if isinstance(t, Scalar) and t.kind in _TYPES:
        return t.kind
    if labels and isinstance(t, EnumRef):
        return "string"  # upb checks the label itself: an unknown one is a ValueError
    return None


class _Source:
    def __init__(
        self, schema: Schema, tree: TreeConverter, cap: int | None, labels: bool = False
    ) -> None:
        self.schema, self.tree, self.cap, self.labels = schema, tree, cap, labels
        self.index = {name: i for i, name in enumerate(schema.messages)}
        self.ns: dict[str, Any] = {
            "_F": _Fallback,
            "_ts": _timestamp,
            "_dt": datetime,
            "_UTC": UTC,
            "_E": EPOCH,
        }
        for name, cls in _CLASSES.items():  # the one-type sets of the C checks
            self.ns[f"_{name}s"] = frozenset({cls})
        for i, enum in enumerate(schema.enums.values()):
            self.ns[f"_n{i}"] = dict(enum.values)  # names (aliases too) -> numbers
        self.enum_index = {name: i for i, name in enumerate(schema.enums)}
        self._same = self._same_messages()
        self.inlining: set[str] = set()  # message types being written out (inline_checks)
        self.counter = 0

    def bind(self, obj: Any) -> str:
        name = f"_o{len(self.ns)}"
        self.ns[name] = obj
        return name

    # -- which messages upb takes as they are ------------------------------------------
    def _same_messages(self) -> set[str]:
        """Message types whose records are their own keywords: every field plain, or a
        list or map of plain values, or such a message (found by fixpoint, so a recursive
        type qualifies when the rest of it does)."""
        same = set(self.schema.messages)
        changed = True
        while changed:
            changed = False
            for name in list(same):
                if not all(self._kept(f, same) for f in self.schema.messages[name].fields):
                    same.discard(name)
                    changed = True
        return same

    def _kept(self, f: Field, same: set[str]) -> bool:
        if f.wrapper:
            return False
        t = f.type
        inner = t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else t
        if isinstance(inner, MessageRef):
            return inner.name in same
        return _plain_kind(inner, self.labels) is not None

    # -- generation -----------------------------------------------------------------------
    def local(self) -> str:
        self.counter += 1
        return f"x{self.counter}"

    def function(self, name: str) -> str:
        self.counter = 0
        msg = self.schema.messages[name]
        same = name in self._same
        lines = ["    if type(v) is not dict: raise _F"]
        if self.cap is not None:  # deeper: the reference path, behind the depth checks
            lines.append(f"    if d > {self.cap}: raise _F")
        shown: list[str] = []
        required = sum(1 for f in msg.fields if not f.optional)
        has_optional = any(f.optional for f in msg.fields)
        for f in msg.fields:
            if f.optional:
                continue
            x = self.local()
            lines.append(f"    {x} = v[{f.name!r}]")
            value = self.field(f, x, lines, "    ")
            if same and value != x:  # a sub-message's checks: its record is kept
                lines.append(f"    {value}")
            if value != x:
                shown.append(f"    k[{f.name!r}] = {value}")
        if not same:
            # The record copied (in C), then the converted fields replaced: measured faster
            # than a display of every field. Its keys are the checked ones (len(v) below).
            lines.append("    k = v.copy()")
            lines += shown
        if has_optional:
            lines.append(f"    n = {required}")
        for f in msg.fields:
            if not f.optional:
                continue
            x = self.local()
            key = repr(f.name)
            lines.append(f"    if {key} in v:")
            lines.append(f"        n += 1; {x} = v[{key}]")
            value = self.field(f, x, lines, "        ")
            if value != x:
                lines.append(f"        k[{key}] = {value}" if not same else f"        {value}")
        count = "n" if has_optional else str(required)
        lines.append(f"    if len(v) != {count}: raise _F")  # a key the schema does not know
        two_set = oneof.two_set_test(msg, "v", self.bind)
        if two_set is not None:  # upb keeps the last of two members: the reference refuses
            lines.append(f"    if {two_set}: raise _F")
        lines.append(f"    return {'v' if same else 'k'}")
        params = "v" if self.cap is None else "v, d"
        return "\n".join([f"def _k{self.index[name]}({params}):", *lines])

    def field(self, f: Field, x: str, lines: list[str], pad: str) -> str:
        """Statements checking local ``x`` into ``lines``; returns its keyword value."""
        t = f.type
        inner = t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else t
        if f.wrapper or (
            isinstance(inner, Scalar) and inner.kind not in _TYPES and inner.kind != "timestamp"
        ):
            # Rare (Duration, decimal, a wrapper message): the reference's own converter.
            return f"{self.bind(self.tree.field_conv(f))}({x})"
        if isinstance(t, ListOf):
            lines.append(f"{pad}if type({x}) is not list: raise _F")
            return self.many(t.item, x, x, lines, pad, "[{} for i in {}]", "i", 1)
        if isinstance(t, MapOf):
            lines.append(f"{pad}if type({x}) is not dict: raise _F")
            key = t.key
            lines += [f"{pad}{line}" for line in self.all_plain(key.kind, x)]
            return self.many(
                t.value, x, f"{x}.values()", lines, pad, "{{k: {} for k, i in {}}}", "i", 2
            )
        return self.one(t, x, lines, pad, 1, inline=True)

    def one(
        self, t: FieldType, x: str, lines: list[str], pad: str, levels: int, *, inline: bool = False
    ) -> str:
        """``levels``: how many Protobuf levels a message here is below this one. With
        ``inline`` a message's checks may be written out here (``inline_checks``)."""
        if isinstance(t, Scalar) and t.kind == "timestamp":
            # _timestamp written out: a call less for the field of a record.
            d = self.local()
            lines.append(f"{pad}if type({x}) is not _dt or {x}.tzinfo is not _UTC: raise _F")
            lines.append(f"{pad}{d} = {x} - _E")
            return (
                f"{{'seconds': {d}.days * 86400 + {d}.seconds, 'nanos': {d}.microseconds * 1000}}"
            )
        kind = _plain_kind(t, self.labels)
        if kind is not None:
            test = f"type({x}) is not {_TYPES[kind]}"
            if kind in _BOUNDS:
                lo, hi = _BOUNDS[kind]
                test += f" or not {lo!r} <= {x} <= {hi!r}"
            lines.append(f"{pad}if {test}: raise _F")
            return x
        if isinstance(t, EnumRef):  # KeyError for a name the schema does not have
            return f"_n{self.enum_index[t.name]}[{x}]"
        if isinstance(t, MessageRef):
            if inline and self.inlinable(t.name):
                self.inline_checks(t.name, x, lines, pad)
                return x  # such a record is its own keywords
            depth = "" if self.cap is None else f", d + {levels}"
            return f"_k{self.index[t.name]}({x}{depth})"
        raise AssertionError(t)

    def inlinable(self, name: str) -> bool:
        """A message type whose ``_k`` function only checks (its records are their own
        keywords) and every field is present: its checks are written out in its parent's
        function, a call less a field (mesh: four Vec3 a Triangle). Not where depth is
        counted, nor inside itself."""
        msg = self.schema.messages[name]
        return (
            self.cap is None
            and name in self._same
            and name not in self.inlining
            and not any(f.optional for f in msg.fields)
        )

    def inline_checks(self, name: str, x: str, lines: list[str], pad: str) -> None:
        """The statements of ``_k`` of ``name`` for the record in local ``x``."""
        fields = self.schema.messages[name].fields
        lines.append(f"{pad}if type({x}) is not dict: raise _F")
        self.inlining.add(name)
        for f in fields:
            y = self.local()
            lines.append(f"{pad}{y} = {x}[{f.name!r}]")
            value = self.field(f, y, lines, pad)
            if value != y:  # a sub-message's call: its checks
                lines.append(f"{pad}{value}")
        self.inlining.discard(name)
        lines.append(f"{pad}if len({x}) != {len(fields)}: raise _F")

    def many(
        self,
        item: FieldType,
        x: str,
        values: str,
        lines: list[str],
        pad: str,
        shape: str,
        i: str,
        levels: int,
    ) -> str:
        """A list's items or a map's values: checked in C when plain, else converted."""
        kind = _plain_kind(item, self.labels)
        if kind is not None:
            lines += [f"{pad}{line}" for line in self.all_plain(kind, values)]
            return x
        if isinstance(item, MessageRef) and self.inlinable(item.name):
            # The loop written out, with the item's checks inside: a call less an item.
            it = self.local()
            lines.append(f"{pad}for {it} in {values}:")
            self.inline_checks(item.name, it, lines, pad + "    ")
            return x
        if isinstance(item, MessageRef) and item.name in self._same:
            lines.append(f"{pad}for {i} in {values}: {self.one(item, i, lines, pad, levels)}")
            return x
        if isinstance(item, Scalar):  # rare kinds went through field() above
            assert item.kind == "timestamp", item
            conv = f"_ts({i})"
        else:  # an enum or a message: an expression, no statements
            conv = self.one(item, i, lines, pad, levels)
        source = f"{x}.items()" if shape.startswith("{{") else x
        return shape.format(conv, source)

    def all_plain(self, kind: str, values: str) -> list[str]:
        """Statements raising unless every one of ``values`` is a plain ``kind``: their
        types within a one-type set (measured: 1.7x faster than comparing a new set), and
        the extremes of a non-empty one within the bounds."""
        lines = [f"if not _{_TYPES[kind]}s.issuperset(map(type, {values})): raise _F"]
        if kind in _BOUNDS:
            lo, hi = _BOUNDS[kind]
            test = f"{lo!r} <= min({values}) and max({values}) <= {hi!r}"
            lines.append(f"if {values} and not ({test}): raise _F")
        return lines


def compile_fast_kwargs(
    schema: Schema, root: str, tree: TreeConverter, cap: int | None = None, *, labels: bool = False
) -> Kwargs:
    """The checked keyword builder of ``root`` records; ``tree`` is the reference converter
    (its field converters serve the rare kinds). With a ``cap`` the functions take the
    depth too, ``(record, 0)``, and decline a message more than ``cap`` levels down. With
    ``labels`` enum names are left for upb to check: for the classes of ``labels.py``."""
    src = _Source(schema, tree, cap, labels)
    text = "\n\n".join(src.function(name) for name in schema.messages)
    exec(text, src.ns)
    return src.ns[f"_k{src.index[root]}"]  # type: ignore[no-any-return]


def fast_kwargs_source(
    schema: Schema, tree: TreeConverter, cap: int | None = None, *, labels: bool = False
) -> str:
    """The generated text (for tests and for reading)."""
    src = _Source(schema, tree, cap, labels)
    return "\n\n".join(src.function(name) for name in schema.messages)
