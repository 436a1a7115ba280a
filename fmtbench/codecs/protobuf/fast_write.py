"""The fast Protobuf encode: canonical record -> upb message, checked, as generated code.

The reference is ``TreeConverter`` with ``PROTO_RULES`` (codec.py): a keyword tree built by
a generic walk that calls a leaf converter per value, then ``cls(**tree)``. This module
generates, per message type, a function that checks the record the way the reference does
and builds the message itself, handing upb the record's own values wherever they already
are what upb takes. Two kinds of message type:

- *kept*: every field plain, a list of plain values, or a kept message (``Vec3``): the
  record is its own keywords, checked (``_k``, or written out inline) and handed over as it
  is, a dict upb reads in C. With the classes of ``labels.py`` an enum name is plain,
  checked a ``str``: upb refuses a name it does not know, and the reference path then
  names the field.
- *built* (``_b``): the rest. ``new`` is the class, or ``add`` of the repeated field that
  holds the message. Where upb's own initialisation runs slowly, the generated code does the
  work after the call: a map of plain values set entry by entry (upb fills a map keyword
  through ``MutableMapping.update``, in Python: measured 2-4x the loop), each item of a list
  of built messages made in place by ``add``; the other fields are keywords of ``new``
  (a Timestamp as the dict of its two fields). A type with nothing to do after the call
  passes its record copied, the converted fields replaced: ``new(**k)``.

Measured against ``cls(**kwargs)`` (ratios.py's floor) in paired runs: telemetry (a map, a
Timestamp) 1.45x -> 1.06x, tree 1.24x -> 0.78x, log 1.50x -> 1.39x. The root's builder is
also written out as the codec's ``encode`` (``_encode``, ``compile_encoders``): build,
serialize, and the fallbacks in one function, a call less a record.

The checks are the reference's happy path, tested inline: exact types (``type(x) is int``:
upb would take a bool, an int subclass or None, a ``bytes`` for a string, where the
reference refuses them), float32 within its finite range (upb rounds a double to the
nearest float32 as the reference's ``float32_round`` does, and the range keeps overflow
out: a NaN or an infinity goes the reference way too), no key the schema does not know, at
most one member of a oneof. Integer ranges are upb's own check: it raises ValueError for a
value past the range of the field's type, whatever the path (keyword, assignment, list,
map key or value; tests/test_protobuf_fast_write.py holds it to that), and the reference
then names the field. A list of scalars is checked in C: the set of its item types (and
for float32 its ``min``/``max`` against the range: a NaN first in a list makes ``min``
NaN, which fails the test; elsewhere it is ignored by both and harmless); a map's entries
as they are set. Rare kinds (Duration, decimal, wrappers) use the reference's converter of
the field.

It only ever accepts: whatever it does not like raises, and the caller encodes the same
record on the reference path, which returns the same bytes or raises today's error with its
path. Safe to ``exec``: the text comes from the schema model only; field names appear as
``repr`` literals or as plain ASCII identifiers (keywords, attributes), functions and tables
under generated names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fmtbench.codecs.protobuf.source import attr as _attr
from fmtbench.codecs.protobuf.source import keyword_arg as _keyword
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

Encode = Callable[[Any], bytes]  # record -> the bytes of a message of the root's class

_FLOAT32_MAX = 3.4028234663852886e38
# The exact type each plain scalar kind must have (upb takes these as they are).
_TYPES = {"bool": "bool", "float64": "float", "float32": "float", "string": "str", "bytes": "bytes"}
_TYPES |= dict.fromkeys(INT_RANGES, "int")
_CLASSES: dict[str, type] = {"bool": bool, "float": float, "str": str, "bytes": bytes, "int": int}
# Bounds checked besides the type: the finite float32 range (upb checks integer ranges).
_BOUNDS: dict[str, tuple[float, float]] = {"float32": (-_FLOAT32_MAX, _FLOAT32_MAX)}


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
        self,
        schema: Schema,
        tree: TreeConverter,
        classes: dict[str, type[Any]],
        cap: int | None,
        labels: bool = False,
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
        for name, i in self.index.items():
            self.ns[f"_C{i}"] = classes[name]
        for name, cls in _CLASSES.items():  # the one-type sets of the C checks
            self.ns[f"_{name}s"] = frozenset({cls})
        for i, enum in enumerate(schema.enums.values()):
            self.ns[f"_n{i}"] = dict(enum.values)  # names (aliases too) -> numbers
        self.enum_index = {name: i for i, name in enumerate(schema.enums)}
        self._same = self._same_messages()
        self.inlining: set[str] = set()  # message types being written out (inline_checks)
        self.counter = 0
        self.serialize: str | None = None  # while writing ``_e``: its return, formatted

    def bind(self, obj: Any) -> str:
        name = f"_o{len(self.ns)}"
        self.ns[name] = obj
        return name

    # -- which messages upb takes as they are ------------------------------------------
    def _same_messages(self) -> set[str]:
        """Message types whose records are their own keywords (*kept*): every field plain,
        or a list of plain values, or such a message (found by fixpoint, so a recursive
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
        if f.wrapper or isinstance(f.type, MapOf):  # a map keyword is filled in Python
            return False
        t = f.type
        inner = t.item if isinstance(t, ListOf) else t
        if isinstance(inner, MessageRef):
            return inner.name in same
        return _plain_kind(inner, self.labels) is not None

    # -- generation -----------------------------------------------------------------------
    def local(self) -> str:
        self.counter += 1
        return f"x{self.counter}"

    def depth(self, levels: int) -> str:
        return "" if self.cap is None else f", d + {levels}"

    def source(self, root: str, deterministic: bool) -> str:
        """Every function: ``_k`` checks of the kept types, ``_b`` builders of the others,
        ``_e``: the root's builder that returns the message serialized (a call less a
        record than serializing what ``_b`` returns), and ``_encode``: ``_e`` written out
        in a handler that hands a declined record to ``_declined`` and a large message
        to ``_sized`` (the codec's ``encode``: a call less again)."""
        parts = [self.checks(name) for name in self.schema.messages if name in self._same]
        parts += [self.builder(name) for name in self.schema.messages if name not in self._same]
        self.serialize = "_ser({}, deterministic=True)" if deterministic else "_ser({})"
        self.ns["_ser"] = self.ns[f"_C{self.index[root]}"].SerializeToString
        fast = self.builder(root)
        parts.append(fast)
        head, *body = fast.split("\n")
        *body, last = body
        assert last.startswith("    return "), last  # the one return, at the end
        parts.append(
            "\n".join(
                [
                    head.replace("def _e(", "def _encode(", 1),
                    "    try:",
                    *(f"    {line}" for line in body),
                    f"        data = {last[len('    return ') :]}",
                    "    except Exception:  # any reason at all: the reference path decides",
                    "        data = None",
                    "    if data is None:  # outside the handler: no chained decline",
                    "        return _declined(v)",
                    "    if len(data) <= _bound: return data  # nearly every record",
                    "    return _sized(v, data)",
                ]
            )
        )
        return "\n\n".join(parts)

    def head(self, name: str, build: bool) -> str:
        if self.serialize is not None:
            return "_e"
        return f"{'_b' if build else '_k'}{self.index[name]}"

    def result(self, message: str) -> str:
        return message if self.serialize is None else self.serialize.format(message)

    def params(self, name: str, build: bool) -> str:
        i = self.index[name]
        if not build:
            return "v" if self.cap is None else "v, d"
        return f"v, new=_C{i}" + ("" if self.cap is None else ", d=0")

    def checks(self, name: str, build: bool = False) -> str:
        """``_k`` of a kept type: checks its record, returns it (upb takes it as it is); with
        ``build``, ``_b`` of a kept root: returns ``new(**record)``."""
        self.counter = 0
        msg = self.schema.messages[name]
        lines = ["    if type(v) is not dict: raise _F"]
        if self.cap is not None:  # deeper: the reference path, behind the depth checks
            lines.append(f"    if d > {self.cap}: raise _F")
        required = sum(1 for f in msg.fields if not f.optional)
        has_optional = any(f.optional for f in msg.fields)
        for f in msg.fields:
            if not f.optional:
                x = self.local()
                lines.append(f"    {x} = v[{f.name!r}]")
                self.kept_field(f, x, lines, "    ")
        if has_optional:
            lines.append(f"    n = {required}")
        for f in msg.fields:
            if f.optional:
                x = self.local()
                lines.append(f"    if {f.name!r} in v:")
                lines.append(f"        n += 1; {x} = v[{f.name!r}]")
                self.kept_field(f, x, lines, "        ")
        count = "n" if has_optional else str(required)
        lines.append(f"    if len(v) != {count}: raise _F")  # a key the schema does not know
        self.two_set(name, lines)
        lines.append(f"    return {self.result('new(**v)')}" if build else "    return v")
        head = f"def {self.head(name, build)}({self.params(name, build)}):"
        return "\n".join([head, *lines])

    def two_set(self, name: str, lines: list[str]) -> None:
        two_set = oneof.two_set_test(self.schema.messages[name], "v", self.bind)
        if two_set is not None:  # upb keeps the last of two members: the reference refuses
            lines.append(f"    if {two_set}: raise _F")

    def kept_field(self, f: Field, x: str, lines: list[str], pad: str) -> None:
        """The checks of a field of a kept type (its value is handed over as it is)."""
        t = f.type
        if isinstance(t, ListOf):
            lines.append(f"{pad}if type({x}) is not list: raise _F")
            self.items(t.item, x, lines, pad)
        else:
            value = self.one(t, x, lines, pad, 1, inline=True)
            if value != x:  # a sub-message's checks: its record is kept
                lines.append(f"{pad}{value}")

    def builder(self, name: str) -> str:
        """``_b`` of a type: checks its record and returns ``new(...)`` filled with it."""
        if name in self._same:
            return self.checks(name, build=True)
        msg = self.schema.messages[name]
        if not any(self.filled_after(f) for f in msg.fields):
            return self.copied(name)
        self.counter = 0
        lines = ["    if type(v) is not dict: raise _F"]
        if self.cap is not None:
            lines.append(f"    if d > {self.cap}: raise _F")
        keywords: list[str] = []
        after: list[str] = []  # statements on the new message ``m``
        for f in msg.fields:
            if not f.optional:
                x = self.local()
                lines.append(f"    {x} = v[{f.name!r}]")
                value = self.place(f, x, lines, "    ", after)
                if value is not None:
                    keywords.append(_keyword(f.name, value))
        # Optional fields that are keywords unless set by assignment after the call:
        # gathered in a dict, present ones only.
        early = [f for f in msg.fields if f.optional and not self.assigned(f)]
        late = [f for f in msg.fields if f.optional and self.assigned(f)]
        required = sum(1 for f in msg.fields if not f.optional)
        if early or late:
            lines.append(f"    n = {required}")
        if early:
            lines.append("    o = {}")
            keywords.append("**o")
        for f in early:
            x = self.local()
            lines.append(f"    if {f.name!r} in v:")
            lines.append(f"        n += 1; {x} = v[{f.name!r}]")
            later: list[str] = []
            value = self.place(f, x, lines, "        ", later)
            if value is not None:
                lines.append(f"        o[{f.name!r}] = {value}")
            if later:  # none from the YAML loader (an optional list or map), but cheap
                after += [f"if {f.name!r} in v:", *(f"    {line}" for line in later)]
        lines.append(f"    m = new({', '.join(keywords)})")
        lines += [f"    {line}" for line in after]
        for f in late:
            x = self.local()
            lines.append(f"    if {f.name!r} in v:")
            lines.append(f"        n += 1; {x} = v[{f.name!r}]")
            value = self.place(f, x, lines, "        ", [])
            lines.append(f"        {_attr('m', f.name)} = {value}")
        count = "n" if early or late else str(required)
        lines.append(f"    if len(v) != {count}: raise _F")  # a key the schema does not know
        self.two_set(name, lines)
        lines.append(f"    return {self.result('m')}")
        return "\n".join([f"def {self.head(name, True)}({self.params(name, True)}):", *lines])

    def copied(self, name: str) -> str:
        """``_b`` of a type none of whose fields is filled after the call: its record
        copied (in C), the converted fields replaced, handed over as ``new(**k)``. Measured
        on log (a Timestamp, nine scalars): 7-10% faster than keywords spelled out, which
        CPython gathers into a new dict for the call, and than setting the Timestamp's
        fields after it."""
        self.counter = 0
        msg = self.schema.messages[name]
        lines = ["    if type(v) is not dict: raise _F"]
        if self.cap is not None:
            lines.append(f"    if d > {self.cap}: raise _F")
        shown: list[str] = []
        for f in msg.fields:
            if not f.optional:
                x = self.local()
                lines.append(f"    {x} = v[{f.name!r}]")
                self.replace(f, x, self.place(f, x, lines, "    ", []), lines, shown, "    ")
        lines.append("    k = v.copy()")
        lines += shown
        required = sum(1 for f in msg.fields if not f.optional)
        has_optional = any(f.optional for f in msg.fields)
        if has_optional:
            lines.append(f"    n = {required}")
        for f in msg.fields:
            if f.optional:
                x = self.local()
                lines.append(f"    if {f.name!r} in v:")
                lines.append(f"        n += 1; {x} = v[{f.name!r}]")
                value = self.place(f, x, lines, "        ", [])
                self.replace(f, x, value, lines, lines, "        ")
        count = "n" if has_optional else str(required)
        lines.append(f"    if len(v) != {count}: raise _F")  # a key the schema does not know
        self.two_set(name, lines)
        lines.append(f"    return {self.result('new(**k)')}")
        return "\n".join([f"def {self.head(name, True)}({self.params(name, True)}):", *lines])

    def replace(
        self, f: Field, x: str, value: str | None, lines: list[str], shown: list[str], pad: str
    ) -> None:
        """In ``copied``: the statement that puts ``value`` in the keywords ``k`` in place
        of ``x`` (into ``shown``), or only checks (a kept message's ``_k``, into ``lines``)."""
        assert value is not None  # copied() takes no field that is filled after the call
        t = f.type
        if value == x:
            return
        if isinstance(t, MessageRef) and t.name in self._same:
            lines.append(f"{pad}{value}")  # its record is kept
        else:
            shown.append(f"{pad}k[{f.name!r}] = {value}")

    def filled_after(self, f: Field) -> bool:
        """A field set on the message after the call: a map of plain values (entry by
        entry) or a list of built messages (each made by ``add``)."""
        t = f.type
        if f.wrapper:
            return False
        if isinstance(t, MapOf):
            return _plain_kind(t.value, self.labels) is not None
        if isinstance(t, ListOf):
            return isinstance(t.item, MessageRef) and t.item.name not in self._same
        return False

    def assigned(self, f: Field) -> bool:
        """An optional field set after the call by assignment, as upb's keywords set it:
        a plain scalar or an enum."""
        return not f.wrapper and (
            _plain_kind(f.type, self.labels) is not None or isinstance(f.type, EnumRef)
        )

    def place(self, f: Field, x: str, lines: list[str], pad: str, after: list[str]) -> str | None:
        """Checks of local ``x`` into ``lines``; returns its keyword value, or None where
        statements in ``after`` (on message ``m``, unindented) set the field instead."""
        t = f.type
        inner = t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else t
        if f.wrapper or (
            isinstance(inner, Scalar) and inner.kind not in _TYPES and inner.kind != "timestamp"
        ):
            # Rare (Duration, decimal, a wrapper message): the reference's own converter.
            return f"{self.bind(self.tree.field_conv(f))}({x})"
        field = _attr("m", f.name)
        if isinstance(t, ListOf):
            lines.append(f"{pad}if type({x}) is not list: raise _F")
            item = t.item
            if isinstance(item, MessageRef) and item.name not in self._same:
                # Each item made in place (the builder checks it), no message copied.
                add, i = self.local(), self.local()
                after.append(f"if {x}:")
                after.append(f"    {add} = {field}.add")
                build = f"_b{self.index[item.name]}({i}, {add}{self.depth(1)})"
                after.append(f"    for {i} in {x}: {build}")
                return None
            return self.items(item, x, lines, pad)
        if isinstance(t, MapOf):
            lines.append(f"{pad}if type({x}) is not dict: raise _F")
            value = t.value
            kind = _plain_kind(value, self.labels)
            if kind is not None:
                # Entry by entry, each checked as it is set (a map keyword goes through
                # MutableMapping.update; the checks in C cost more than this loop on the
                # few entries a map usually has, measured).
                entries, k, w = self.local(), self.local(), self.local()
                test = f"{self.test(t.key.kind, k)} or {self.test(kind, w)}"
                after.append(f"if {x}:")
                after.append(f"    {entries} = {field}")
                after.append(f"    for {k} in {x}:")
                after.append(f"        {w} = {x}[{k}]")
                after.append(f"        if {test}: raise _F")
                after.append(f"        {entries}[{k}] = {w}")
                return None
            lines += [f"{pad}{line}" for line in self.all_plain(t.key.kind, x)]
            if isinstance(value, MessageRef) and value.name not in self._same:
                build = f"_b{self.index[value.name]}(i, _C{self.index[value.name]}{self.depth(2)})"
                return f"{{k: {build} for k, i in {x}.items()}}"
            return self.values(value, x, lines, pad)
        if isinstance(t, Scalar) and t.kind == "timestamp":
            # _timestamp written out: a call less for the field of a record.
            d = self.local()
            lines.append(f"{pad}if type({x}) is not _dt or {x}.tzinfo is not _UTC: raise _F")
            lines.append(f"{pad}{d} = {x} - _E")
            return (
                f"{{'seconds': {d}.days * 86400 + {d}.seconds, 'nanos': {d}.microseconds * 1000}}"
            )
        if isinstance(t, MessageRef) and t.name not in self._same:
            j = self.index[t.name]
            return f"_b{j}({x}, _C{j}{self.depth(1)})"  # a message: upb copies it in C
        return self.one(t, x, lines, pad, 1, inline=True)

    def items(self, item: FieldType, x: str, lines: list[str], pad: str) -> str:
        """A list's items (not built messages): checks, and the keyword value."""
        return self.many(item, x, x, lines, pad, "[{} for i in {}]", "i", 1)

    def values(self, value: FieldType, x: str, lines: list[str], pad: str) -> str:
        """A map's values (neither plain nor built messages): checks, the keyword value."""
        shape = "{{k: {} for k, i in {}}}"
        return self.many(value, x, f"{x}.values()", lines, pad, shape, "i", 2)

    def one(
        self, t: FieldType, x: str, lines: list[str], pad: str, levels: int, *, inline: bool = False
    ) -> str:
        """``levels``: how many Protobuf levels a message here is below this one. With
        ``inline`` a message's checks may be written out here (``inline_checks``)."""
        kind = _plain_kind(t, self.labels)
        if kind is not None:
            lines.append(f"{pad}if {self.test(kind, x)}: raise _F")
            return x
        if isinstance(t, EnumRef):  # KeyError for a name the schema does not have
            return f"_n{self.enum_index[t.name]}[{x}]"
        if isinstance(t, MessageRef):
            assert t.name in self._same, t  # built ones: place() calls their _b
            if inline and self.inlinable(t.name):
                self.inline_checks(t.name, x, lines, pad)
                return x  # such a record is its own keywords
            depth = "" if self.cap is None else f", d + {levels}"
            return f"_k{self.index[t.name]}({x}{depth})"
        raise AssertionError(t)

    @staticmethod
    def test(kind: str, x: str) -> str:
        """Source true unless ``x`` is a plain value of ``kind`` (type, then range)."""
        test = f"type({x}) is not {_TYPES[kind]}"
        if kind in _BOUNDS:
            lo, hi = _BOUNDS[kind]
            test += f" or not {lo!r} <= {x} <= {hi!r}"
        return test

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
            self.kept_field(f, y, lines, pad)
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
        if isinstance(item, Scalar):  # rare kinds went through place() above
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


@dataclass(frozen=True)
class Encoders:
    """The generated encoders of a codec's root records (see ``_Source.source``)."""

    fast: Encode  # record -> bytes; raises wherever the reference path must decide
    encode: Encode  # the codec's ``encode``: ``fast``, else ``declined``, then ``sized``


def compile_encoders(
    schema: Schema,
    root: str,
    tree: TreeConverter,
    classes: dict[str, type[Any]],
    cap: int | None = None,
    *,
    labels: bool = False,
    deterministic: bool = False,
    declined: Encode,
    sized: Callable[[Any, bytes], bytes],
    bound: int,
) -> Encoders:
    """The checked encoders of ``root`` records, as messages of ``classes[root]`` (map
    entries ordered with ``deterministic``); ``tree`` is the reference converter (its
    field converters serve the rare kinds). With a ``cap`` the functions count depth and
    decline a message more than ``cap`` levels down. With ``labels`` enum names are left
    for upb to check: for the classes of ``labels.py``. ``encode`` returns ``declined
    (record)`` for a record ``fast`` declines, and ``sized(record, data)`` for a message
    over ``bound`` bytes."""
    src = _Source(schema, tree, classes, cap, labels)
    src.ns.update(_declined=declined, _sized=sized, _bound=bound)
    exec(src.source(root, deterministic), src.ns)
    return Encoders(src.ns["_e"], src.ns["_encode"])


def fast_encode_source(
    schema: Schema,
    root: str,
    tree: TreeConverter,
    classes: dict[str, type[Any]],
    cap: int | None = None,
    *,
    labels: bool = False,
    deterministic: bool = False,
) -> str:
    """The generated text (for tests and for reading)."""
    return _Source(schema, tree, classes, cap, labels).source(root, deterministic)
