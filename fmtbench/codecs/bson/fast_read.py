"""The fast BSON reading path: what ``bson.decode`` returned, made canonical by code compiled
once per schema, which also computes the document's length from the values.

``bson.decode`` already gives most leaves their canonical value (str, bool, bytes, float,
an int32 as ``int``), so those cost a type test; an int64 (``Int64``) becomes an ``int``, a
datetime gets its UTC zone, a timestamp document of date and ns its nanoseconds. Each
message is one generated function (``_d3``) returning the record and the number of bytes its
document takes on the wire, summed from the values: an element is its type byte, its key
and NUL, and its value (fixed widths; strings and binaries a length prefix, their bytes and
for strings a NUL; documents and arrays their own sum). For arrays the keys "0", "1"...
are counted, as pymongo writes them.

That sum is the duplicate-key proof of ``codec.py`` (its docstring) done without writing the
document again: equal to the input's length, no element was dropped. A fast function
never decides that input is bad: it raises (``_Fallback``, KeyError, anything) on whatever
it does not read the usual way, and the codec then reads the same tree on the reference
path (``values/tree.py`` converters and the exact check), which returns the same record
or today's error. Field names reach the source only through ``repr``; functions and bound
objects have generated names.
"""

from __future__ import annotations

from array import array as _array
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any

from bson.int64 import Int64

from fmtbench.codecs.bson import leaves
from fmtbench.codecs.values import oneof
from fmtbench.codecs.values.leaves import int_from_text
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
from fmtbench.values import with_nanosecond

#: The length of a timestamp document {"date": datetime, "ns": int32}: a length prefix, two
#: elements (type, key, NUL, value) and the final NUL.
FINE_TIMESTAMP_BYTES = 4 + (1 + 5 + 8) + (1 + 3 + 4) + 1


#: A naive UTC datetime made aware by arithmetic: ``EPOCH + (v - NAIVE_EPOCH)`` costs a tenth
#: of ``v.replace(tzinfo=UTC)`` (which parses keyword arguments).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAIVE_EPOCH = datetime(1970, 1, 1)
#: ``timedelta(microseconds=k)`` for k below a millisecond (constructing one costs more).
MICROSECONDS = tuple(timedelta(microseconds=k) for k in range(1000))


class _Fallback(Exception):
    """Raised by generated code: the reference path reads this tree."""


def array_overhead(n: int) -> int:
    """Bytes of an array of ``n`` elements beside the values: its length prefix and final
    NUL, and per element a type byte, its key ("0", "1"...) and the key's NUL."""
    total = 5 + 2 * n
    low, digits = 0, 1
    while low < n:
        high = min(n, 10**digits)
        total += (high - low) * digits
        low, digits = high, digits + 1
    return total


_ARRAY_OVERHEAD = tuple(array_overhead(n) for n in range(64))


def fine_timestamp(v: Any) -> datetime:
    """{"date": datetime (whole milliseconds), "ns": int32 1..999999}, exactly; else raise."""
    if v.__class__ is not dict or len(v) != 2:
        raise _Fallback
    date, ns = v["date"], v["ns"]
    if date.__class__ is not datetime or ns.__class__ is not int or not 0 < ns <= 999_999:
        raise _Fallback
    # pymongo's datetime holds whole milliseconds: adding ns' microseconds stays within
    # the millisecond, so within years 1..9999.
    return with_nanosecond(EPOCH + (date - NAIVE_EPOCH + MICROSECONDS[ns // 1000]), ns % 1000)


def duration(v: Any) -> tuple[Any, int]:
    """A duration document (the reference rule) and its length (seconds an int32 or int64)."""
    value = leaves.duration_in(v)
    return value, 4 + (1 + 8 + (8 if v["seconds"].__class__ is Int64 else 4)) + (1 + 6 + 4) + 1


#: Scalars whose decoded value is the canonical one (a type test is the whole check), by
#: the name of that type in the generated code.
_PLAIN = {"string": "str", "bytes": "bytes", "bool": "bool", "float64": "float"}


def _utf8(name: str) -> int:
    return len(name.encode())


class FastReader:
    """The generated functions of one schema; ``read(tree)`` -> (record, document length)."""

    def __init__(
        self, schema: Schema, root: str, *, drop_unknown: bool = False, sized: bool = True
    ) -> None:
        self.schema = schema
        self.drop_unknown = drop_unknown
        # Unsized: no length is summed, and ``read(tree)`` returns the record alone (for
        # schemas with lists, whose proof is the document written again: codec.py).
        self.sized = sized
        self.index = {name: i for i, name in enumerate(schema.messages)}
        self.ns: dict[str, Any] = {
            "_Fallback": _Fallback,
            "_Int64": Int64,
            "_datetime": datetime,
            "_EPOCH": EPOCH,
            "_NAIVE_EPOCH": NAIVE_EPOCH,
            "_fine": fine_timestamp,
            "_duration": duration,
            "_AO": _ARRAY_OVERHEAD,
            "_ao": array_overhead,
            "_f32": leaves.float32_in,
            "_key_bool": leaves.key_in_bool,
            "_repeat": repeat,
        }
        self.bound = 0
        source = [self.message(name) for name in schema.messages]
        exec("\n".join(source), self.ns)
        self.read: Callable[[Any], Any] = self.reader(self.ns[f"_d{self.index[root]}"])

    @staticmethod
    def reader(read: Callable[[Any, list[float]], Any]) -> Callable[[Any], Any]:
        """The root's function behind the float32 test: every float32 value gathered in
        ``f`` is one. The ``array('f')`` round trip is equal, or (a NaN is never equal to
        the new NaN it becomes) each value passes the reference rule, which raises."""
        float32 = leaves.float32_in

        def run(tree: Any) -> Any:
            f: list[float] = []
            out = read(tree, f)
            if f and _array("f", f).tolist() != f:
                for x in f:
                    float32(x)
            return out

        return run

    def n(self, line: str) -> list[str]:
        """``line`` (adding to the length ``n``), when lengths are summed."""
        return [line] if self.sized else []

    def sub(self, x: str, call: str) -> str:
        """``x`` set to the value ``call`` (returning a value and its length) returns, the
        length added to ``n`` when lengths are summed."""
        return f"{x}, s = {call}; n += s" if self.sized else f"{x} = {call}[0]"

    def bind(self, obj: Any) -> str:
        name = f"_c{self.bound}"
        self.bound += 1
        self.ns[name] = obj
        return name

    def message(self, name: str) -> str:
        msg = self.schema.messages[name]
        fixed = 5  # length prefix and final NUL, and the elements' heads of required fields
        body: list[str] = []
        for f in msg.fields:
            key = repr(f.name)
            head = 2 + _utf8(f.name)  # type byte, key, NUL
            if f.optional:
                body.append(f"x = v.get({key}, _Fallback)")
                body.append("if x is not _Fallback:")
                body.append(f"    c += 1; n += {head}" if self.sized else "    c += 1")
                body.append("    if x is not None:")  # null: absent (and no value bytes)
                lines, expr = self.value(f.type, "x", 1)
                body += [f"        {line}" for line in lines]
                body.append(f"        d[{key}] = {expr}")
            else:
                fixed += head
                body.append(f"x = v[{key}]")  # missing: KeyError, the reference fills it
                lines, expr = self.value(f.type, "x", 1)
                body += lines
                body.append(f"d[{key}] = {expr}")
        required = sum(1 for f in msg.fields if not f.optional)
        # Every key counted is a known one: any other key (unknown, or to be dropped with
        # --drop-unknown, its bytes not summed) makes the lengths differ.
        body.append("if len(v) != c: raise _Fallback")
        two_set = oneof.two_set_test(msg, "d", self.bind)
        if two_set is not None:  # two members of one oneof: the reference names them
            body.append(f"if {two_set}: raise _Fallback")
        return "\n".join(
            [
                f"def _d{self.index[name]}(v, f):",
                "    if v.__class__ is not dict: raise _Fallback",
                f"    d = {{}}; n = {fixed}; c = {required}"
                if self.sized
                else f"    d = {{}}; c = {required}",
                *(f"    {line}" for line in body),
                "    return d, n" if self.sized else "    return d",
            ]
        )

    def value(self, ftype: FieldType, x: str, depth: int) -> tuple[list[str], str]:
        """Statements that check local ``x`` and add its value's bytes to ``n``, and the
        expression of its canonical value after them."""
        if isinstance(ftype, Scalar):
            return self.scalar(ftype.kind, x)
        if isinstance(ftype, EnumRef):
            names = self.bind(frozenset(self.schema.enums[ftype.name].canonical_names))
            return [
                f"if {x}.__class__ is not str or {x} not in {names}: raise _Fallback",
                *self.n(f"n += 5 + len({x}.encode())"),
            ], x
        if isinstance(ftype, MessageRef):
            call = f"_d{self.index[ftype.name]}({x}, f)"
            if not self.sized:
                return [], call
            return [f"{x}, s = {call}; n += s"], x
        out, item = f"l{depth}", f"e{depth}"
        if isinstance(ftype, ListOf):
            lines, expr = self.value(ftype.item, item, depth + 1)
            if not self.sized and isinstance(ftype.item, MessageRef):  # in C: map
                call = f"_d{self.index[ftype.item.name]}"
                return [f"if {x}.__class__ is not list: raise _Fallback"], (
                    f"[*map({call}, {x}, _repeat(f))]"
                )
            plain = _PLAIN.get(ftype.item.kind) if isinstance(ftype.item, Scalar) else None
            if not self.sized and plain is not None:  # the decoded list itself
                return [
                    f"if {x}.__class__ is not list: raise _Fallback",
                    f"if {x} and {{*map(type, {x})}} != {{{plain}}}: raise _Fallback",
                ], x
            return [
                f"if {x}.__class__ is not list: raise _Fallback",
                *self.n(f"n += _AO[len({x})] if len({x}) < 64 else _ao(len({x}))"),
                f"{out} = []",
                f"for {item} in {x}:",
                *(f"    {line}" for line in lines),
                f"    {out}.append({expr})",
            ], out
        if isinstance(ftype, MapOf):
            k = f"k{depth}"
            lines, expr = self.value(ftype.value, item, depth + 1)
            kind = ftype.key.kind
            if kind == "string":
                key = k
            elif kind == "bool":
                key = f"_key_bool({k})"
            else:
                key = f"{self.bind(int_from_text(kind))}({k})"
            plain = _PLAIN.get(ftype.value.kind) if isinstance(ftype.value, Scalar) else None
            if not self.sized and kind == "string" and plain is not None:
                # The decoded document itself: its keys are text, its values tested in C.
                return [
                    f"if {x}.__class__ is not dict: raise _Fallback",
                    f"if {x} and {{*map(type, {x}.values())}} != {{{plain}}}: raise _Fallback",
                ], x
            return [
                f"if {x}.__class__ is not dict: raise _Fallback",
                *self.n("n += 5"),
                f"{out} = {{}}",
                f"for {k}, {item} in {x}.items():",
                *self.n(f"    n += 2 + len({k}.encode())"),
                *(f"    {line}" for line in lines),
                f"    {out}[{key}] = {expr}",
            ], out
        raise AssertionError(ftype)

    def scalar(self, kind: str, x: str) -> tuple[list[str], str]:
        fail = "raise _Fallback"
        n = self.n
        if kind == "string":
            return [f"if {x}.__class__ is not str: {fail}", *n(f"n += 5 + len({x}.encode())")], x
        if kind == "bytes":  # binary subtype 0 only: others are ``Binary``
            return [f"if {x}.__class__ is not bytes: {fail}", *n(f"n += 5 + len({x})")], x
        if kind == "bool":
            return [f"if {x}.__class__ is not bool: {fail}", *n("n += 1")], x
        if kind == "float64":
            return [f"if {x}.__class__ is not float: {fail}", *n("n += 8")], x
        if kind == "float32":
            # Gathered in ``f`` and tested a record at a time (``read``): a float32 value is
            # the double itself.
            return [f"if {x}.__class__ is not float: {fail}", f"f.append({x})", *n("n += 8")], x
        if kind == "timestamp":
            plain, fine = ("; n += 8", f"; n += {FINE_TIMESTAMP_BYTES}") if self.sized else ("", "")
            return [
                f"if {x}.__class__ is _datetime: {x} = _EPOCH + ({x} - _NAIVE_EPOCH){plain}",
                f"else: {x} = _fine({x}){fine}",
            ], x
        if kind == "duration":
            return [self.sub(x, f"_duration({x})")], x
        if kind == "decimal":  # the reference path converts decimals (leaves.decimal_in)
            return [fail], x
        lo, hi = INT_RANGES[kind]
        # An int32 element is an ``int`` (within int32's range by construction), an int64
        # one an ``Int64`` (within int64's): either width, within the field's range.
        int32_out = f"{x} < 0" if lo == 0 else None
        int64_out = {"int64": None, "uint64": f"{x} < 0"}.get(kind, f"not {lo} <= {x} <= {hi}")
        return [
            f"if {x}.__class__ is int:",
            *n("    n += 4"),
            *([f"    if {int32_out}: {fail}"] if int32_out else []),
            *([] if self.sized or int32_out else ["    pass"]),
            f"elif {x}.__class__ is _Int64:",
            f"    {x} = int({x})" + ("; n += 8" if self.sized else ""),
            *([f"    if {int64_out}: {fail}"] if int64_out else []),
            f"else: {fail}",
        ], x
