"""The fast Protobuf decode: parsed upb message -> canonical record, as generated source.

``protobuf._Walker`` is the reference: closures that loop over a field plan and build every
error with its path. This module generates Python source from the schema, one function per
message type, and compiles it with ``exec``: dict displays of attribute reads, enum numbers
looked up in a dict, timestamps by arithmetic, the unknown-field check of each message
inlined, and a sub-message, a list of them, or a timestamp written out inside its parent's
function rather than called. The generated code only ever accepts. Whatever it does not like (an
unknown field, an enum number without a name, a timestamp a ``datetime`` cannot hold)
surfaces as some exception, and the caller then walks the same message with the reference
walker, which returns the same record or raises today's error with today's path. So errors
are identical by construction, and the two paths differ only in speed. Nothing here looks
at error text.

The generated code reads what the reference reads: the same attributes of the same
messages, ``UnknownFieldSet`` of every message it passes (unless unknown fields are to be
dropped), the same checks of timestamps and enum numbers; and it builds each record with
its keys in the reference's order (plain fields, converted fields, then optional ones).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.unknown_fields import UnknownFieldSet

from fmtbench.codecs.protobuf.overflow import OVERFLOW_PATTERN, VARINT_CLASSES
from fmtbench.codecs.protobuf.source import attr as _attr
from fmtbench.codecs.values import oneof
from fmtbench.codecs.values.decimals import decimal_from_proto
from fmtbench.codecs.values.leaves import duration_from_parts, timestamp_from_parts
from fmtbench.schema.model import (
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

Decode = Callable[[Any], dict[str, Any]]

_MAX_NANOS = 999_999_999
_fromtimestamp = datetime.fromtimestamp
# A singular sub-message is written out in its parent's function while the parent's code
# stays below this many fields (counted through every level written out): beyond, a call.
_INLINE_FIELDS = 48


class _Fallback(Exception):
    """Raised by generated code to hand a message to the reference walker."""


# Seconds within which ``fromtimestamp(seconds + nanos / 1e9, UTC)`` is the exact datetime
# of whole microseconds: the double is within 2^-22 s (a quarter microsecond) of the true
# sum, and fromtimestamp rounds to the nearest microsecond (checked against the arithmetic
# on two million values and the edges, tests/test_protobuf_fast.py). ~25% faster than
# ``EPOCH + timedelta(...)``, which stays for the seconds beyond (years before 1902, after 2037).
_EXACT_SECONDS = 2**31


# The checks of _timestamp_from_message and timestamp_from_parts (codec.py, values/leaves.py):
# nanos in 0..999999999; OverflowError outside years 1..9999. Whole microseconds (the
# common case) by arithmetic; nanoseconds by the reference's own function.
def _timestamp(ts: Any) -> Any:
    nanos = ts.nanos
    if 0 <= nanos <= _MAX_NANOS:
        if nanos % 1000:
            return timestamp_from_parts(ts.seconds, nanos)
        seconds = ts.seconds
        if -_EXACT_SECONDS < seconds < _EXACT_SECONDS:
            return _fromtimestamp(seconds + nanos / 1e9, UTC)
        return EPOCH + timedelta(0, seconds, nanos // 1000)
    raise _Fallback


def _timestamp_strict(ts: Any) -> Any:
    if UnknownFieldSet(ts):
        raise _Fallback
    return _timestamp(ts)


# A Duration: the reference's own checks (ranges, one sign) and conversion.
def _duration(d: Any) -> Any:
    return duration_from_parts(d.seconds, d.nanos)


def _duration_strict(d: Any) -> Any:
    if UnknownFieldSet(d):
        raise _Fallback
    return duration_from_parts(d.seconds, d.nanos)


#: The scalar kinds that are messages on the wire (well-known types).
_MESSAGES = frozenset({"timestamp", "duration"})


def _fail() -> Any:
    raise _Fallback


# The reading classes (wide.py) hand every varint back 64 bits wide: these kinds are checked
# (the reference's _WIRE_CHECKS), bool read through _B (KeyError past 0 and 1).
_RANGES = {"int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1)}
_BOOLS = {0: False, 1: True}


def _is_plain(ftype: FieldType) -> bool:
    """True where upb's value already is canonical (float32 comes back widened: exact)."""
    return (
        isinstance(ftype, Scalar)
        and ftype.kind not in _MESSAGES
        and ftype.kind not in ("bool", "decimal")
        and ftype.kind not in _RANGES
    )


def _is_bare(ftype: FieldType) -> bool:
    """A scalar read straight from its attribute: the first fields of a record."""
    return isinstance(ftype, Scalar) and ftype.kind not in _MESSAGES


def _fields_in_record_order(fields: tuple[Field, ...]) -> list[Field]:
    # The order in which _Walker fills a record: bare scalars, converted ones, optional ones.
    return [
        *(f for f in fields if not f.optional and _is_bare(f.type)),
        *(f for f in fields if not f.optional and not _is_bare(f.type)),
        *(f for f in fields if f.optional),
    ]


class FastDecoders:
    """Generates, compiles and returns the fast decoder of every message type of a schema.

    Safe to ``exec``: the text comes from the schema model only. Field names appear as
    attribute names (plain ASCII identifiers only, see ``_attr``) or, through ``repr``, as
    string literals; functions, tables and locals get generated names (``_m3``, ``_e1``,
    ``_h0``, ``t2``), bound in the namespace, never spelled from the schema.
    """

    def __init__(self, schema: Schema, classes: dict[str, type[Any]], *, strict: bool) -> None:
        self.schema = schema
        self.strict = strict
        self.index = {name: i for i, name in enumerate(schema.messages)}
        self.ns: dict[str, Any] = {
            "_U": UnknownFieldSet,
            "_Fallback": _Fallback,
            "_ts": _timestamp_strict if strict else _timestamp,
            "_du": _duration_strict if strict else _duration,
            "_tsn": timestamp_from_parts,
            "_E": EPOCH,
            "_fts": _fromtimestamp,
            "_UTC": UTC,
            "_TD": timedelta,
            "_F": _fail,
            "_B": _BOOLS,
            "_Bg": _BOOLS.__getitem__,
        }
        self.enum_index = {name: i for i, name in enumerate(schema.enums)}
        for name, i in self.enum_index.items():
            # An alias reads as the first name of its number, as the reference's.
            self.ns[f"_e{i}"] = schema.enums[name].by_number()
        for name, i in self.index.items():
            # From the class, not looked up on each message: upb lets a field shadow a
            # method of the same name (a field called HasField).
            self.ns[f"_h{i}"] = classes[name].HasField
        self.cyclic = self._cyclic()
        self.sizes: dict[str, int] = {}
        self.counter = 0  # numbers the locals of one function

    def compile(self) -> dict[str, Decode]:
        exec(self.source(), self.ns)
        # Each function finds the others (and itself) in ``ns`` at call time: recursion works.
        return {name: self.ns[f"_m{i}"] for name, i in self.index.items()}

    def source(self) -> str:
        """The generated text (for tests and for reading)."""
        return "\n".join(self.function(name) for name in self.index)

    def compile_decode(
        self,
        root: str,
        *,
        parse: Callable[[bytes], Any],
        parse_error: Callable[[Exception], Exception],
        quick_size: int,
        any_size: Decode,
        overflow: Callable[[bytes], None] | None,
        reference: Decode,
    ) -> Decode:
        """The codec's ``decode`` of a ``root`` message, a call less a record than its
        steps: a message over ``quick_size`` bytes goes to ``any_size``; a smaller one is
        parsed (a parse error is raised as ``parse_error`` makes it), searched for varints
        over 64 bits where ``overflow`` is given (``overflow`` names the first one, see
        overflow.py), then walked by ``_m`` of ``root`` written out, and where that
        declines, by ``reference``. Call ``compile`` first: the functions it makes are the
        ones the written-out walk calls."""
        self.ns.update(
            _parse=parse,
            _perr=parse_error,
            _quick=quick_size,
            _any=any_size,
            _ovf=overflow,
            _VC=VARINT_CLASSES,
            _OP=OVERFLOW_PATTERN,
            _ref=reference,
        )
        self.counter = 0
        lines: list[str] = []
        budget = [_INLINE_FIELDS - len(self.schema.messages[root].fields)]
        result = self.message(root, "m", lines, "    ", budget)
        search = ["    if data.translate(_VC).find(_OP) >= 0:", "        _ovf(data)"]
        text = [
            "def _decode(data):",
            "    if len(data) > _quick:",
            "        return _any(data)",
            "    try:",
            "        m = _parse(data)",
            "    except Exception as exc:  # upb raises DecodeError, but garbage may surface",
            "        raise _perr(exc) from None",
            *(search if overflow is not None else []),
            "    try:",
            *lines,
            f"        return {result}",
            "    except Exception:  # any reason at all: the reference walks it again",
            "        return _ref(m)",
        ]
        exec("\n".join(text), self.ns)
        return self.ns["_decode"]  # type: ignore[no-any-return]

    # -- structure ------------------------------------------------------------------------
    def _cyclic(self) -> set[str]:
        """Message types that can contain themselves: never written out inline."""
        refs: dict[str, set[str]] = {}
        for name, msg in self.schema.messages.items():
            refs[name] = set()
            for f in msg.fields:
                t = f.type
                inner = t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else t
                if isinstance(inner, MessageRef):
                    refs[name].add(inner.name)
        cyclic = set()
        for start in refs:
            seen, todo = set(), list(refs[start])
            while todo:
                n = todo.pop()
                if n == start:
                    cyclic.add(start)
                    break
                if n not in seen:
                    seen.add(n)
                    todo.extend(refs.get(n, ()))
        return cyclic

    def _size(self, name: str) -> int:
        """Fields of ``name`` counted through the sub-messages that would be written out."""
        if name in self.sizes:
            return self.sizes[name]
        total = 0
        for f in self.schema.messages[name].fields:
            total += 1
            t = f.type
            if isinstance(t, MessageRef) and t.name not in self.cyclic:
                total += self._size(t.name)
        self.sizes[name] = total
        return total

    # -- generation -----------------------------------------------------------------------
    def function(self, name: str) -> str:
        self.counter = 0
        lines: list[str] = []
        budget = [_INLINE_FIELDS - len(self.schema.messages[name].fields)]
        result = self.message(name, "m", lines, "", budget)
        return "\n".join([f"def _m{self.index[name]}(m):", *lines, f"    return {result}"])

    def local(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def message(self, name: str, m: str, lines: list[str], indent: str, budget: list[int]) -> str:
        """Statements into ``lines`` that convert message local ``m``; returns the result."""
        pad = "    " + indent
        i = self.index[name]
        if self.strict:
            # Every message the walk passes is checked, as the reference checks it.
            lines += [f"{pad}if _U({m}):", f"{pad}    raise _Fallback"]
        shown: list[str] = []
        later: list[str] = []
        d = self.local("d") if m != "m" else "d"
        for f in self.schema.messages[name].fields:
            if f.required:  # proto2: the reference names a missing one
                lines += [f"{pad}if not _h{i}({m}, {f.name!r}):", f"{pad}    raise _Fallback"]
        for f in _fields_in_record_order(self.schema.messages[name].fields):
            key = repr(f.name)
            if f.wrapper:
                # The wrapper message (Int64Value...): its one field, checked as the kind's.
                w = self.local("w")
                later.append(f"{pad}if _h{i}({m}, {key}):")
                later.append(f"{pad}    {w} = {_attr(m, f.name)}")
                if self.strict:
                    later += [f"{pad}    if _U({w}):", f"{pad}        raise _Fallback"]
                later.append(f"{pad}    {d}[{key}] = {self.leaf(f.type, f'{w}.value')}")
                continue
            if f.optional:
                later.append(f"{pad}if _h{i}({m}, {key}):")
                value = self.field(f.type, _attr(m, f.name), later, pad, budget)
                later.append(f"{pad}    {d}[{key}] = {value}")
            else:
                shown.append(
                    f"{key}: {self.field(f.type, _attr(m, f.name), lines, indent, budget)}"
                )
        display = f"{{{', '.join(shown)}}}"
        if not later:
            return display
        lines.append(f"{pad}{d} = {display}")
        lines += later
        # Two members of one oneof set (the reading classes keep both): the reference says so.
        two_set = oneof.two_set_test(self.schema.messages[name], d, self.bind)
        if two_set is not None:
            lines.append(f"{pad}if {two_set}:")
            lines.append(f"{pad}    raise _Fallback")
        return d

    def bind(self, obj: Any) -> str:
        """A name for ``obj`` in the generated code's namespace."""
        name = f"_o{len(self.ns)}"
        self.ns[name] = obj
        return name

    def field(
        self, ftype: FieldType, v: str, lines: list[str], indent: str, budget: list[int]
    ) -> str:
        """An expression converting the field read by ``v``; statements it needs first
        go into ``lines`` at ``indent``."""
        pad = "    " + indent
        if isinstance(ftype, ListOf):
            item = ftype.item
            if _is_plain(item):
                # Measured on upb: slicing a repeated field beats list() (1.4x).
                return f"{v}[:]"
            if isinstance(item, Scalar) and item.kind in _RANGES:
                # The extremes in C, rather than a test an element.
                lo, hi = _RANGES[item.kind]
                out = self.local("l")
                test = f"{lo} <= min({out}) and max({out}) <= {hi}" if lo else f"max({out}) <= {hi}"
                return f"({out} if not ({out} := {v}[:]) or {test} else _F())"
            if isinstance(item, Scalar) and item.kind == "bool":
                return f"list(map(_Bg, {v}))"
            if isinstance(item, MessageRef) and self.inline(item.name, budget):
                # A loop written out beats a comprehension calling a function an item (3%
                # of an order's decode).
                out, x = self.local("l"), self.local("x")
                lines += [f"{pad}{out} = []", f"{pad}for {x} in {v}:"]
                result = self.message(item.name, x, lines, pad, budget)
                lines.append(f"{pad}    {out}.append({result})")
                return out
            return f"[{self.leaf(item, 'x')} for x in {v}]"
        if isinstance(ftype, MapOf):
            # A comprehension over the keys beats dict() or .items() on upb maps (1.1-1.9x:
            # those go through Python-level mapping methods); an empty map skips it.
            value = self.leaf(ftype.value, "w[k]")
            key = self.leaf(ftype.key, "k")
            return f"({{{key}: {value} for k in w}} if (w := {v}) else {{}})"
        if isinstance(ftype, Scalar) and ftype.kind == "timestamp":
            t, n = self.local("t"), self.local("n")
            if self.strict:
                test = f"_U({t} := {v}) or not 0 <= ({n} := {t}.nanos)"
            else:
                test = f"not 0 <= ({n} := ({t} := {v}).nanos)"
            lines.append(f"{pad}if {test} <= {_MAX_NANOS}:")
            lines.append(f"{pad}    raise _Fallback")
            # OverflowError outside years 1..9999: the reference names it. Nanoseconds
            # below the microsecond by the reference's own function; whole microseconds by
            # fromtimestamp where it is exact (_EXACT_SECONDS), else by arithmetic.
            s, lim = self.local("s"), _EXACT_SECONDS
            return (
                f"((_fts({s} + {n} / 1e9, _UTC) if -{lim} < ({s} := {t}.seconds) < {lim}"
                f" else _E + _TD(0, {s}, {n} // 1000)) if not {n} % 1000"
                f" else _tsn({t}.seconds, {n}))"
            )
        if isinstance(ftype, MessageRef) and self.inline(ftype.name, budget):
            sub = self.local("c")
            lines.append(f"{pad}{sub} = {v}")
            return self.message(ftype.name, sub, lines, indent, budget)
        return self.leaf(ftype, v)

    def inline(self, name: str, budget: list[int]) -> bool:
        """Whether to write out message type ``name`` here (and take its size from budget)."""
        if name in self.cyclic or budget[0] < self._size(name):
            return False
        budget[0] -= self._size(name)
        return True

    def leaf(self, ftype: FieldType, v: str) -> str:
        """An expression converting one value ``v`` (a list item, a map value, a field)."""
        if isinstance(ftype, Scalar):
            if ftype.kind in _RANGES:
                lo, hi = _RANGES[ftype.kind]
                t = self.local("t")
                low = f"{lo} <= " if lo else ""
                return f"({t} if {low}({t} := {v}) <= {hi} else _F())"
            if ftype.kind == "bool":
                return f"_B[{v}]"
            if ftype.kind in _MESSAGES:
                return f"{'_ts' if ftype.kind == 'timestamp' else '_du'}({v})"
            if ftype.kind == "decimal":  # the string's text, parsed and checked
                return f"{self.bind(decimal_from_proto(ftype.precision, ftype.scale))}({v})"
            return v
        if isinstance(ftype, EnumRef):
            # KeyError for a number the schema cannot name: the reference reports it.
            return f"_e{self.enum_index[ftype.name]}[{v}]"
        if isinstance(ftype, MessageRef):
            return f"_m{self.index[ftype.name]}({v})"
        raise AssertionError(ftype)
