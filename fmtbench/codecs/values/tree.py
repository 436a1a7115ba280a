"""Compile a schema into converters between two trees of plain Python values.

JSON, MessagePack and the canonical form itself are all "a dict per message, a list per
list, a dict per map": they differ only in how leaves are spelled (bytes as base64 text or
raw, timestamps as RFC 3339 text or extension objects, enums by name or number). So one
compiler builds the walk, once per schema, and each format supplies its leaf rules.

Each message gets two converters. The reference one is a closure that loops over a field
plan and builds every error with its path. The fast one is Python source generated from the
schema (one function per message, a dict display, cheap type checks inlined) and compiled
with ``exec``; it only ever accepts. On any exception it hands the same input to the
reference converter, which returns the same value or raises today's error, so errors and
their paths are identical by construction and the two can differ only in speed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fmtbench.codecs.values import oneof
from fmtbench.codecs.values.decimals import decimal_check
from fmtbench.codecs.values.leaves import (
    _F32,
    Conv,
    bool_check,
    bytes_check,
    describe,
    float32_round,
    float64_check,
    int_check,
    sorted_items,
    str_check,
    timestamp_check,
)
from fmtbench.errors import ValueMismatch, key_segment
from fmtbench.schema.model import (
    Enum,
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    Message,
    MessageRef,
    Scalar,
    Schema,
)
from fmtbench.schema.values import zero_factory

_MISSING = object()


@dataclass(frozen=True)
class TreeRules:
    """How one tree spells leaves, and what it does with absent fields."""

    scalar: Mapping[str, Conv]
    enum: Callable[[Enum], Conv]
    map_key: Mapping[str, Conv]
    # Decoders fill absent non-optional fields with zero values (proto3 semantics); the
    # canonical side requires them, so a forgotten field is caught on encode.
    fill_missing: bool
    # JSON ``null`` for an optional field means absent.
    null_is_absent: bool = False
    # Encoders write map entries in key order: equal records give equal bytes.
    sort_maps: bool = False
    # How a wrapper field's converted value is spelled (Protobuf: the wrapper message's
    # keywords); None where a wrapper field is its plain optional value.
    wrapper: Callable[[Any], Any] | None = None
    # How a map is spelled where the tree does not hold it as a dict (Avro: an array of
    # {key, value} records): ``map_in`` makes a dict of the tree's form before the entries
    # are converted (raising ValueMismatch on a bad shape or a key seen twice), ``map_out``
    # makes the tree's form of the converted dict.
    map_in: Conv | None = None
    map_out: Conv | None = None
    # How a ``decimal(p, s)`` is spelled: a converter made (once, cached) for each (p, s);
    # the canonical Decimal itself unless a format says otherwise.
    decimal: Callable[[int, int], Conv] = decimal_check
    # Per-field leaves (Avro's logical types and fixeds: a timestamp written as millis):
    # the scalar rules of a field where they differ from ``scalar``, or None.
    field_scalars: Callable[[Schema, Field], Mapping[str, Conv] | None] | None = None
    # Per-message reshaping (Avro's unions of several types: one key for a oneof group):
    # ``message_in`` turns the tree's dict into one keyed by field before it is converted,
    # ``message_out`` the converted dict into the tree's; None for a message left as is.
    message_in: Callable[[Schema, Message], Conv | None] | None = None
    message_out: Callable[[Schema, Message], Conv | None] | None = None

    def leaf(self, t: Scalar) -> Conv:
        """The converter of a scalar type."""
        if t.kind == "decimal":
            return self.decimal(t.precision, t.scale)
        return self.scalar[t.kind]


class TreeConverter:
    """Per-message converters for one schema and one set of rules, built once."""

    def __init__(self, schema: Schema, rules: TreeRules, *, drop_unknown: bool = False) -> None:
        self.schema = schema
        self.rules = rules
        self.drop_unknown = drop_unknown
        # The reference converters; they refer only to each other, so a fallback from the
        # fast path walks the rest of the value once (never fast, fail, slow again below).
        self._slow: dict[str, Conv] = {}
        self._enums: dict[str, Conv] = {}
        #: Converters of the messages reshaped on the way (``message_in``/``message_out``)
        #: before the reshaping: what their fast paths fall back to.
        self.unshaped: dict[str, Conv] = {}
        self.shapes: dict[str, tuple[Conv | None, Conv | None]] = {}
        for name, msg in schema.messages.items():
            self._slow[name] = conv = self._compile_message(msg)
            before = rules.message_in(schema, msg) if rules.message_in else None
            after = rules.message_out(schema, msg) if rules.message_out else None
            if before is not None or after is not None:
                self.unshaped[name] = conv
                self.shapes[name] = (before, after)
                self._slow[name] = _shaped(conv, before, after)
        self._messages: dict[str, Conv] = _FastSource(self).compile()

    def message(self, name: str) -> Conv:
        return self._messages[name]

    def reference(self, name: str) -> Conv:
        """The reference converter of a message (the fast one falls back to it)."""
        return self._slow[name]

    # -- compilation -----------------------------------------------------------------
    def _compile_type(self, ftype: FieldType, scalars: Mapping[str, Conv] | None = None) -> Conv:
        if isinstance(ftype, Scalar):
            if scalars is not None and ftype.kind in scalars:
                return scalars[ftype.kind]
            return self.rules.leaf(ftype)
        if isinstance(ftype, EnumRef):
            return self._enum(ftype.name)
        if isinstance(ftype, MessageRef):
            table, name = self._slow, ftype.name
            # Looked up at call time: message types may refer to each other (recursion).
            return lambda v: table[name](v)
        if isinstance(ftype, ListOf):
            return _list_conv(self._compile_type(ftype.item, scalars))
        if isinstance(ftype, MapOf):
            key = self.rules.map_key[ftype.key.kind]
            value = self._compile_type(ftype.value, scalars)
            conv = _sorted_map_conv(key, value) if self.rules.sort_maps else _map_conv(key, value)
            return _spelled_map(conv, self.rules.map_in, self.rules.map_out)
        raise AssertionError(ftype)

    def _enum(self, name: str) -> Conv:
        if name not in self._enums:
            self._enums[name] = self.rules.enum(self.schema.enums[name])
        return self._enums[name]

    def _compile_message(self, msg: Message) -> Conv:
        plan = tuple(self._field_plan(f) for f in msg.fields)
        known = frozenset(f.name for f in msg.fields)
        check_unknown = not self.drop_unknown
        null_is_absent = self.rules.null_is_absent
        expected = f"{msg.name} (an object)"
        check = oneof.checker(msg)

        def conv(value: Any) -> dict[str, Any]:
            if type(value) is not dict:
                raise ValueMismatch(f"expected {expected}, got {describe(value)}")
            out = {}
            for name, fconv, optional, zero in plan:
                v = value.get(name, _MISSING)
                if v is _MISSING or (v is None and optional and null_is_absent):
                    if optional:
                        continue
                    if zero is None:
                        raise ValueMismatch("required field is missing").at(name)
                    out[name] = zero()
                    continue
                try:
                    out[name] = fconv(v)
                except ValueMismatch as exc:
                    raise exc.at(name) from None
            if check_unknown and not value.keys() <= known:
                extra = next(k for k in value if k not in known)
                raise ValueMismatch(
                    f"unknown field {extra!r} in {msg.name} (use --drop-unknown to discard it)"
                )
            if check is not None:
                check(out)
            return out

        return conv

    def _field_plan(self, f: Field) -> tuple[str, Conv, bool, Callable[[], Any] | None]:
        # A required field (proto2) is never filled in: its absence is the error.
        fill = self.rules.fill_missing and not f.required
        zero = zero_factory(self.schema, f.type) if fill else None
        return f.name, self.field_conv(f), f.optional, zero

    def scalars_of(self, f: Field) -> Mapping[str, Conv] | None:
        """The field's own scalar rules (``TreeRules.field_scalars``), or None."""
        rule = self.rules.field_scalars
        return rule(self.schema, f) if rule is not None else None

    def field_conv(self, f: Field) -> Conv:
        conv = self._compile_type(f.type, self.scalars_of(f))
        wrap = self.rules.wrapper
        if f.wrapper and wrap is not None:
            return lambda v: wrap(conv(v))
        return conv


def _shaped(conv: Conv, before: Conv | None, after: Conv | None) -> Conv:
    if before is not None:
        inner, conv = conv, lambda v: inner(before(v))
    if after is not None:
        plain = conv
        return lambda v: after(plain(v))
    return conv


def _list_conv(item: Conv) -> Conv:
    def conv(value: Any) -> list[Any]:
        if type(value) is not list and type(value) is not tuple:
            raise ValueMismatch(f"expected a list, got {describe(value)}")
        out: list[Any] = []
        try:
            # extend() keeps what it appended before a failure, so the failing element's
            # index is len(out): no second pass, which would double the work at every
            # level of nesting (exponential in depth).
            out.extend(map(item, value))
        except ValueMismatch as exc:
            raise exc.at(len(out)) from None
        return out

    return conv


def _spelled_map(conv: Conv, before: Conv | None, after: Conv | None) -> Conv:
    if before is not None:
        inner, conv = conv, lambda v: inner(before(v))
    if after is not None:
        plain = conv
        return lambda v: after(plain(v))
    return conv


def _sorted_map_conv(key: Conv, val: Conv) -> Conv:
    unsorted = _map_conv(key, val)

    def conv(value: Any) -> Any:
        if type(value) is dict and len(value) > 1:
            value = dict(sorted_items(value))
        return unsorted(value)

    return conv


def _map_conv(key: Conv, val: Conv) -> Conv:
    def conv(value: Any) -> dict[Any, Any]:
        if type(value) is not dict:
            raise ValueMismatch(f"expected a map, got {describe(value)}")
        out = {}
        # One pass that knows where it is: re-running after a failure would double the
        # work at every level of nesting.
        for k, v in value.items():
            try:
                converted_key = key(k)
            except ValueMismatch as exc:
                raise ValueMismatch(f"map key: {exc.problem}").at(key_segment(k)) from None
            try:
                out[converted_key] = val(v)
            except ValueMismatch as exc:
                raise exc.at(key_segment(k)) from None
        return out

    return conv


# -- the generated fast path -----------------------------------------------------------------
class _Fallback(Exception):
    """Raised by generated code to hand a value to the reference converter."""


def _fallback() -> Any:
    raise _Fallback


# Every ``int_check`` closure runs this code; its cells say which range it checks.
_INT_CHECK_CODE = int_check("int32").__code__
# Leaf checks that return their argument unchanged exactly when it passes the type test
# (see leaves.py): the test is inlined and the call made only otherwise, so a value the
# test rejects meets the real check, which converts it (bytearray -> bytes) or raises.
_TYPE_GUARDS: tuple[tuple[Conv, str], ...] = (
    (str_check, "str"),
    (bool_check, "bool"),
    (bytes_check, "bytes"),
    (float64_check, "float"),
)


class _FastSource:
    """Generates, compiles and returns the fast converter of every message of a schema.

    Safe to ``exec``: the text comes from the schema model only. Field names (identifiers
    validated by the loader) appear only as string literals through ``repr``; functions,
    converters and locals get generated names (``_m3``, ``_c7``, ``i1``); converters and
    constants are bound in the namespace, never spelled as source; integer bounds are ints.
    """

    def __init__(self, tree: TreeConverter) -> None:
        self.tree = tree
        self.rules = tree.rules
        self.index = {name: i for i, name in enumerate(tree.schema.messages)}
        self.ns: dict[str, Any] = {
            "_MISSING": _MISSING,
            "_Fallback": _Fallback,
            "_fallback": _fallback,
            "_sorted_items": sorted_items,
            "_datetime": datetime,
            "_UTC": UTC,
        }
        self.bound: dict[int, str] = {}  # id of a bound object (kept alive by ns) -> name
        from fmtbench.codecs.values.canonical import enum_by_name  # canonical imports this module

        self.enum_by_name = enum_by_name

    def compile(self) -> dict[str, Conv]:
        source = [self.message(name) for name in self.index]
        exec("\n".join(source), self.ns)
        # A reshaped message: its generated function converts the reshaped dict (falling
        # back to the unshaped reference), and ``_m`` reshapes around it.
        for name, (before, after) in self.tree.shapes.items():
            i = self.index[name]
            self.ns[f"_m{i}"] = _shaped(self.ns[f"_m{i}"], before, after)
        # Each function finds the others (and itself) in ``ns`` at call time: recursion works.
        return {name: self.ns[f"_m{i}"] for name, i in self.index.items()}

    def bind(self, obj: Any) -> str:
        name = self.bound.get(id(obj))
        if name is None:
            name = self.bound[id(obj)] = f"_c{len(self.bound)}"
            self.ns[name] = obj
        return name

    def message(self, name: str) -> str:
        i = self.index[name]
        self.ns[f"_s{i}"] = self.tree.unshaped.get(name) or self.tree.reference(name)
        check_unknown = not self.tree.drop_unknown
        shown: list[str] = []  # entries of the dict display, up to the first optional
        later: list[str] = []  # statements after it, so that keys stay in schema order
        required = 0
        for f in self.tree.schema.messages[name].fields:
            key = repr(f.name)
            if self.tree.scalars_of(f) is not None:
                # Rare (Avro's logical types): the reference's converter of the field.
                call = f"{self.bind(self.tree.field_conv(f))}"
                if f.optional:
                    later.append(f"x = v.get({key}, _MISSING)")
                    later.append("if x is not _MISSING:")
                    if check_unknown:
                        later.append("    n += 1")
                    test = "x is not None" if self.rules.null_is_absent else "True"
                    later.append(f"    if {test}:")
                    later.append(f"        d[{key}] = {call}(x)")
                    continue
                required += 1
                if later:
                    later.append(f"d[{key}] = {call}(v[{key}])")
                else:
                    shown.append(f"{key}: {call}(v[{key}])")
                continue
            if f.wrapper and self.rules.wrapper is not None:
                # Rare: the reference's converter, called (it raises to the fallback).
                later.append(f"x = v.get({key}, _MISSING)")
                later.append("if x is not _MISSING:")
                if check_unknown:
                    later.append("    n += 1")
                later.append(f"    d[{key}] = {self.bind(self.tree.field_conv(f))}(x)")
                continue
            if f.optional:
                later.append(f"x = v.get({key}, _MISSING)")
                later.append("if x is not _MISSING:")
                if check_unknown:
                    later.append("    n += 1")  # a key of v that is known: counted
                if self.rules.null_is_absent:
                    later.append("    if x is not None:")
                    later.append(f"        d[{key}] = {self.expr(f.type, 'x', 'x', 1)}")
                else:
                    later.append(f"    d[{key}] = {self.expr(f.type, 'x', 'x', 1)}")
                continue
            # A missing key raises KeyError: the reference path then fills or reports it.
            required += 1
            expr = self.expr(f.type, "x", f"(x := v[{key}])", 1)
            if later:
                later.append(f"d[{key}] = {expr}")
            else:
                shown.append(f"{key}: {expr}")
        body = [f"d = {{{', '.join(shown)}}}"]
        if later and check_unknown:
            body.append(f"n = {required}")
        body += later
        if check_unknown:
            # Every required key was found and every present optional counted, so any
            # other key (a missing optional does not hide it) makes the lengths differ.
            body.append(f"if len(v) != {'n' if later else required}:")
            body.append("    raise _Fallback")
        two_set = oneof.two_set_test(self.tree.schema.messages[name], "d", self.bind)
        if two_set is not None:  # two members of a oneof set: the reference names them
            body.append(f"if {two_set}:")
            body.append("    raise _Fallback")
        return "\n".join(
            [
                f"def _m{i}(v):",
                "    if type(v) is not dict:",
                f"        return _s{i}(v)",
                "    try:",
                *(f"        {line}" for line in body),
                # The fast path uses fewer frames a level than the reference one, so the
                # reference would overflow too: no point walking it again at every level.
                "    except RecursionError:",
                "        raise",
                # Anything else (KeyError, TypeError, ValueMismatch, _Fallback): the
                # reference converts the same value again, so it returns the value or
                # raises today's error with today's path; nothing from here escapes.
                "    except Exception:",
                f"        return _s{i}(v)",
                "    return d",
            ]
        )

    def expr(self, ftype: FieldType, x: str, first: str, depth: int) -> str:
        """An expression converting local ``x``; ``first`` is its first use (it may bind x).

        In ``A if C else B`` Python evaluates C first, so ``first`` always goes into C.
        """
        if isinstance(ftype, Scalar):
            return self.leaf(self.rules.leaf(ftype), x, first)
        if isinstance(ftype, EnumRef):
            return self.enum(ftype.name, x, first)
        if isinstance(ftype, MessageRef):
            return f"_m{self.index[ftype.name]}({first})"
        if isinstance(ftype, ListOf):
            # Tuples (which the reference accepts) and anything else take the reference path.
            it = f"i{depth}"
            item = self.expr(ftype.item, it, it, depth + 1)
            return f"[{item} for {it} in {x}] if type({first}) is list else _fallback()"
        if isinstance(ftype, MapOf):
            k, w = f"k{depth}", f"w{depth}"
            key = self.leaf(self.rules.map_key[ftype.key.kind], k, k)
            value = self.expr(ftype.value, w, w, depth + 1)
            if self.rules.map_in is not None:  # the tree's form, made a dict (or it raises)
                source = f"{self.bind(self.rules.map_in)}({x})"
                if self.rules.sort_maps:
                    source = f"_sorted_items({source})"
                else:
                    source += ".items()"
                made = f"{{{key}: {value} for {k}, {w} in {source}}}"
                if self.rules.map_out is not None:
                    made = f"{self.bind(self.rules.map_out)}({made})"
                # ``first`` may bind x, which a comprehension's iterable cannot: it goes in
                # the condition, which is always true.
                return f"{made} if ({first}) is not _MISSING else _fallback()"
            items = f"{x}.items()"
            if self.rules.sort_maps:  # as _sorted_map_conv does
                items = f"(_sorted_items({x}) if len({x}) > 1 else {x}.items())"
            made = f"{{{key}: {value} for {k}, {w} in {items}}}"
            if self.rules.map_out is not None:
                made = f"{self.bind(self.rules.map_out)}({made})"
            return f"{made} if type({first}) is dict else _fallback()"
        raise AssertionError(ftype)

    def leaf(self, conv: Conv, x: str, first: str) -> str:
        call = f"{self.bind(conv)}({x})"
        # By identity (a rule's converter need not be hashable).
        guard = next((t for c, t in _TYPE_GUARDS if c is conv), None)
        if guard is not None:
            return f"{x} if type({first}) is {guard} else {call}"
        if conv is float32_round:
            # float32_round's own steps for a float, inline (two calls a leaf were most of
            # a float-heavy record's conversion); an overflow raises to the reference path.
            pack, unpack = self.bind(_F32.pack), self.bind(_F32.unpack)
            return f"{unpack}({pack}({x}))[0] if type({first}) is float else {call}"
        if conv is timestamp_check or getattr(conv, "utc_datetime_as_is", False):
            # an aware datetime already in UTC is returned as is
            return f"{x} if type({first}) is _datetime and {x}.tzinfo is _UTC else {call}"
        if getattr(conv, "__code__", None) is _INT_CHECK_CODE:
            cells = dict(zip(_INT_CHECK_CODE.co_freevars, conv.__closure__ or (), strict=True))
            lo, hi = cells["lo"].cell_contents, cells["hi"].cell_contents
            if type(lo) is int and type(hi) is int:
                return f"{x} if type({first}) is int and {lo} <= {x} <= {hi} else {call}"
        return f"{self.bind(conv)}({first})"

    def enum(self, name: str, x: str, first: str) -> str:
        conv = self.tree._enum(name)
        if self.rules.enum is self.enum_by_name:  # returns v when it is one of the names
            # Only canonical names pass as they are: an alias is mapped by ``conv``.
            names = self.bind(frozenset(self.tree.schema.enums[name].canonical_names))
            return f"{x} if type({first}) is str and {x} in {names} else {self.bind(conv)}({x})"
        return f"{self.bind(conv)}({first})"
