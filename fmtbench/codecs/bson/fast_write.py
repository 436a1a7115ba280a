"""The fast BSON writing path: a canonical record made into what ``bson.encode`` writes, by
code compiled once per schema (one function per message, ``_e3``).

Most canonical values are what pymongo writes as they are (str, bool, bytes, float, int32
ints), so they cost a type and range test; a 64-bit integer becomes an ``Int64``, a
timestamp a naive UTC datetime or, finer than a millisecond, its {date, ns} document, and
map entries are put in key order. Everything else (a ``fmtbench.Timestamp``, a uint64
above int64's range, a key that is not a field, a wrong type...) raises, and the codec then
converts the same record on the reference path (``values/tree.py`` with ``ENCODE_RULES``),
which returns the same tree or today's error with its field path.
"""

from __future__ import annotations

from array import array as _array
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bson.int64 import Int64

from fmtbench.codecs.bson import leaves
from fmtbench.codecs.bson.fast_read import EPOCH, MICROSECONDS, NAIVE_EPOCH
from fmtbench.codecs.values import oneof
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

_INT64_MAX = INT_RANGES["int64"][1]


class _Fallback(Exception):
    """Raised by generated code: the reference path converts this record."""


def _fallback() -> Any:
    raise _Fallback


def fine_timestamp(v: datetime) -> Any:
    """An aware UTC ``datetime`` (the exact type) as BSON holds it: a naive datetime in UTC
    (pymongo writes it as it is; an aware one costs it a ``utcoffset`` call) when it is whole
    milliseconds, else {"date": that floored to the millisecond, "ns": nanoseconds past it}.
    Arithmetic, not ``replace`` (which parses keyword arguments): a tenth of the cost."""
    sub = v.microsecond % 1000
    if not sub:
        return NAIVE_EPOCH + (v - EPOCH)
    return {"date": NAIVE_EPOCH + (v - EPOCH - MICROSECONDS[sub]), "ns": sub * 1000}


class FastWriter:
    """The generated functions of one schema; ``tree(record)`` is what bson.encode writes."""

    def __init__(self, schema: Schema, root: str) -> None:
        self.schema = schema
        self.index = {name: i for i, name in enumerate(schema.messages)}
        self.ns: dict[str, Any] = {
            "_Fallback": _Fallback,
            "_fallback": _fallback,
            "_Int64": Int64,
            "_datetime": datetime,
            "_UTC": UTC,
            "_ts": fine_timestamp,
        }
        self.bound = 0
        source = [self.message(name) for name in schema.messages]
        exec("\n".join(source), self.ns)
        self.tree: Callable[[Any], dict[str, Any]] = self.writer(self.ns[f"_e{self.index[root]}"])

    @staticmethod
    def writer(tree: Callable[[Any, list[float]], dict[str, Any]]) -> Callable[[Any], Any]:
        """The root's function behind the float32 test: a float32 value is written as it is
        when the ``array('f')`` round trip gives it back (gathered in ``f``, tested a record
        at a time); else the record is the reference path's, which rounds it."""

        def run(record: Any) -> dict[str, Any]:
            f: list[float] = []
            out = tree(record, f)
            if f and _array("f", f).tolist() != f:
                raise _Fallback
            return out

        return run

    def bind(self, obj: Any) -> str:
        name = f"_c{self.bound}"
        self.bound += 1
        self.ns[name] = obj
        return name

    def message(self, name: str) -> str:
        msg = self.schema.messages[name]
        shown: list[str] = []  # entries of the dict display, up to the first optional
        later: list[str] = []  # statements after it, so that keys stay in schema order
        for f in msg.fields:
            key = repr(f.name)
            if f.optional:
                later.append(f"x = v.get({key}, _Fallback)")
                later.append("if x is not _Fallback:")
                later.append(f"    c += 1; d[{key}] = {self.expr(f.type, 'x', 'x', 1)}")
            elif later:
                later.append(f"d[{key}] = {self.expr(f.type, 'x', f'(x := v[{key}])', 1)}")
            else:
                shown.append(f"{key}: {self.expr(f.type, 'x', f'(x := v[{key}])', 1)}")
        required = sum(1 for f in msg.fields if not f.optional)
        body = [f"d = {{{', '.join(shown)}}}", f"c = {required}", *later]
        # Every key counted is a field: any other makes the lengths differ.
        body.append("if len(v) != c: raise _Fallback")
        two_set = oneof.two_set_test(msg, "d", self.bind)
        if two_set is not None:  # two members of one oneof: the reference names them
            body.append(f"if {two_set}: raise _Fallback")
        return "\n".join(
            [
                f"def _e{self.index[name]}(v, f):",
                "    if v.__class__ is not dict: raise _Fallback",
                *(f"    {line}" for line in body),
                "    return d",
            ]
        )

    def expr(self, ftype: FieldType, x: str, first: str, depth: int) -> str:
        """An expression converting local ``x``; ``first`` is its first use (it may bind x).

        In ``A if C else B`` Python evaluates C first, so ``first`` always goes into C.
        """
        if isinstance(ftype, Scalar):
            return self.scalar(ftype.kind, x, first)
        if isinstance(ftype, EnumRef):
            names = self.bind(frozenset(self.schema.enums[ftype.name].canonical_names))
            return f"{x} if {first}.__class__ is str and {x} in {names} else _fallback()"
        if isinstance(ftype, MessageRef):
            return f"_e{self.index[ftype.name]}({first}, f)"
        if isinstance(ftype, ListOf):
            it = f"i{depth}"
            item = self.expr(ftype.item, it, it, depth + 1)
            return f"[{item} for {it} in {x}] if {first}.__class__ is list else _fallback()"
        if isinstance(ftype, MapOf):
            k, w = f"k{depth}", f"w{depth}"
            value = self.expr(ftype.value, w, w, depth + 1)
            key, keep = self.map_key(ftype.key.kind, k)
            # Keys are distinct and of one type: tuples compare by key alone, so entries
            # come in the order of the canonical keys, as the reference sorts them.
            items = f"(sorted({x}.items()) if len({x}) > 1 else {x}.items())"
            made = f"{{{key}: {value} for {k}, {w} in {items} if {keep} or _fallback()}}"
            # An empty map skips the comprehension (a function call in Python 3.11).
            return f"({made} if {x} else {{}}) if {first}.__class__ is dict else _fallback()"
        raise AssertionError(ftype)

    def map_key(self, kind: str, k: str) -> tuple[str, str]:
        """A map key's BSON spelling (text) and the test a canonical key passes."""
        if kind == "string":
            # A key holding NUL cannot be a BSON key: pymongo refuses it, and the reference
            # path names the field.
            return k, f"{k}.__class__ is str"
        if kind == "bool":
            return f'("true" if {k} else "false")', f"{k}.__class__ is bool"
        lo, hi = INT_RANGES[kind]
        return f"str({k})", f"{k}.__class__ is int and {lo} <= {k} <= {hi}"

    def scalar(self, kind: str, x: str, first: str) -> str:
        fail = "_fallback()"
        if kind in ("string", "bytes", "bool"):
            name = {"string": "str"}.get(kind, kind)
            return f"{x} if {first}.__class__ is {name} else {fail}"
        if kind == "float64":
            return f"{x} if {first}.__class__ is float else {fail}"
        if kind == "float32":  # ``f.append`` returns None: the test is whether x is a float
            return f"{x} if {first}.__class__ is float and not f.append({x}) else {fail}"
        if kind == "timestamp":
            return f"_ts({x}) if {first}.__class__ is _datetime and {x}.tzinfo is _UTC else {fail}"
        if kind == "decimal":  # the reference path writes decimals (leaves.decimal_out)
            return fail
        if kind in ("int32", "uint32"):  # above int32's range pymongo writes an int64
            lo, hi = INT_RANGES[kind]
            return f"{x} if {first}.__class__ is int and {lo} <= {x} <= {hi} else {fail}"
        if kind in ("int64", "uint64"):  # an Int64 however small; Decimal128: the reference
            lo, _ = INT_RANGES[kind]
            test = f"{lo} <= {x} <= {_INT64_MAX}"
            return f"_Int64({x}) if {first}.__class__ is int and {test} else {fail}"
        # duration: the reference rule, which converts or raises.
        return f"{self.bind(leaves.duration_out)}({first})"
