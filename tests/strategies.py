"""Hypothesis strategies for canonical records of any schema.

``records(schema)`` walks the schema model, so every schema (shipped, inline, or one a user
writes) gets a generator with no per-schema code. Values are canonical exactly as the codecs
return them from ``decode`` (see ``fmtbench/codecs/values/canonical.py``): plain ``int``/``float``/
``str``/``bytes``/``bool``, UTC-aware ``datetime``, enums by name, absent optionals as missing
keys. Extremes are weighted in, because the interesting bugs live at the edges.

The schemas the property tests run on live here too (``schema_named``): the shipped ones
and a few inline ones written to reach the corners of the model.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal, Inexact
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from fmtbench.schema.loader import parse_schema
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
from fmtbench.schema.values import EPOCH
from fmtbench.values import Duration, Timestamp
from tests.samples import order_schema, sensor_schema

# Collection sizes stay small so that a deep record (lists of messages of lists...) is still
# cheap, and shrink below the top level, where a record's size would otherwise multiply per
# level; one long string now and then is deliberate.
MAX_ITEMS = 4
MAX_NESTED_ITEMS = 2
MAX_MESSAGE_ITEMS = 2
MAX_NESTED_MESSAGE_ITEMS = 1
MAX_TEXT = 12
MAX_BYTES = 48

# XML 1.0 ``Char``: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
# Everything else is a documented limit of XML, not a codec bug.
XML_ILLEGAL: tuple[str, ...] = (
    *(chr(c) for c in range(0x20) if c not in (0x9, 0xA, 0xD)),
    "\ufffe",
    "\uffff",
)


# -- leaves ------------------------------------------------------------------------------
def integers(kind: str) -> SearchStrategy[int]:
    lo, hi = INT_RANGES[kind]
    edges = [lo, hi, 0, 1] + ([-1] if lo < 0 else [])
    return st.one_of(st.integers(lo, hi), st.sampled_from(edges))


def _one_nan(x: float) -> float:
    # NaNs differ in sign and payload; the canonical form has one, compared by ``same``.
    return math.nan if math.isnan(x) else x


_F64_EDGES = [
    math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    5e-324,  # smallest subnormal
    -5e-324,
    2.2250738585072014e-308,  # smallest normal
    2.225073858507201e-308,  # largest subnormal
    1.7976931348623157e308,
    -1.7976931348623157e308,
    0.1,
    2.0**53 + 2,
]


def _f32(x: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


_F32_EDGES = [
    math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    _f32(1.401298464324817e-45),  # smallest subnormal
    -_f32(1.401298464324817e-45),
    _f32(1.1754942106924411e-38),  # largest subnormal
    _f32(1.1754943508222875e-38),  # smallest normal
    3.4028234663852886e38,  # largest finite
    -3.4028234663852886e38,
    _f32(0.1),
    _f32(16777217.0),
]


def float64s() -> SearchStrategy[float]:
    return st.one_of(st.floats().map(_one_nan), st.sampled_from(_F64_EDGES))


def float32s() -> SearchStrategy[float]:
    # ``width=32`` draws values that a float32 holds exactly, returned as Python floats.
    return st.one_of(st.floats(width=32).map(_one_nan), st.sampled_from(_F32_EDGES))


def _alphabet(xml_safe: bool) -> SearchStrategy[str]:
    if xml_safe:
        return st.characters(exclude_categories=("Cs",), exclude_characters=XML_ILLEGAL)
    return st.characters(exclude_categories=("Cs",))


_STRING_EDGES = [
    "",
    " ",
    "  \t ",
    "\n",
    "\r",
    "\r\n",
    "a\r\nb\rc\n",
    " leading and trailing ",
    "<tag attr=\"x\">&amp;</tag> 'q' ]]>",
    "\U0001d11e\U0001f99c",  # non-BMP
    "\u2028\u2029\u0085",  # line separators XML and JSON treat specially
    "\ufeffbom",
    "\x7f\x80\x9f",  # DEL and C1 controls: legal XML 1.0 characters
    "\ufdd0\U0010ffff",  # noncharacters that XML 1.0 still allows
    "0",
    "-0",
    "true",
    "null",
]
_UNSAFE_EDGES = ["\x00", "a\x00b", "\x01\x1f", "\x0b\x0c", "\ufffe", "\uffff"]


def strings(*, xml_safe: bool = False, max_size: int = MAX_TEXT) -> SearchStrategy[str]:
    alphabet = _alphabet(xml_safe)
    edges = _STRING_EDGES if xml_safe else _STRING_EDGES + _UNSAFE_EDGES
    # A long string (a few thousand characters) is built by repetition: drawing each
    # character would make every example slow.
    long = st.builds(
        lambda part, n: part * n,
        st.text(alphabet, min_size=1, max_size=8),
        st.integers(250, 700),
    )
    return st.one_of(
        st.text(alphabet, max_size=max_size),
        st.sampled_from(edges),
        long,
    )


def binaries() -> SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=MAX_BYTES),
        st.sampled_from([b"", b"\x00", bytes(range(256)), b"\xff" * 3]),
    )


_MIN_TS = datetime(1, 1, 1, tzinfo=UTC)
_MAX_TS = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
_TS_EDGES = [
    _MIN_TS,
    _MAX_TS,
    EPOCH,
    EPOCH - timedelta(microseconds=1),
    EPOCH + timedelta(microseconds=1),
    datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2000, 2, 29, 12, 0, 0, 500000, tzinfo=UTC),
    datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
]


# Seconds since the epoch of 0001-01-01T00:00:00Z and of 9999-12-31T23:59:59Z.
TS_MIN_SECONDS, TS_MAX_SECONDS = -62_135_596_800, 253_402_300_799
_TS_NANO_EDGES = [
    Timestamp.from_parts(TS_MIN_SECONDS, 1),
    Timestamp.from_parts(TS_MAX_SECONDS, 999_999_999),
    Timestamp.from_parts(0, 1),
    Timestamp.from_parts(-1, 999_999_999),
]


def timestamps() -> SearchStrategy[datetime]:
    """Canonical timestamps: plain datetimes, and now and then one with nanoseconds."""
    return st.one_of(
        st.datetimes(
            min_value=_MIN_TS.replace(tzinfo=None),
            max_value=_MAX_TS.replace(tzinfo=None),
            timezones=st.just(UTC),
        ),
        st.sampled_from(_TS_EDGES + _TS_NANO_EDGES),
        st.builds(
            Timestamp.from_parts,
            st.integers(TS_MIN_SECONDS, TS_MAX_SECONDS),
            st.integers(0, 999_999_999),
        ),
    )


DURATION_MAX_SECONDS = 315_576_000_000
_DURATION_EDGES = [
    timedelta(0),
    Duration.from_parts(0, 1),
    Duration.from_parts(0, -1),
    Duration.from_parts(1, 1),
    timedelta(seconds=-0.5),
    Duration.from_parts(DURATION_MAX_SECONDS, 999_999_999),
    Duration.from_parts(-DURATION_MAX_SECONDS, -999_999_999),
    timedelta(seconds=DURATION_MAX_SECONDS),
]


def _duration(seconds: int, nanos: int) -> timedelta:
    # Protobuf's rule: both parts of one sign.
    return Duration.from_parts(seconds, -nanos if seconds < 0 else nanos)


def durations() -> SearchStrategy[timedelta]:
    """Canonical durations over Protobuf Duration's whole range, with and without nanos."""
    return st.one_of(
        st.sampled_from(_DURATION_EDGES),
        st.builds(
            _duration,
            st.integers(-DURATION_MAX_SECONDS, DURATION_MAX_SECONDS),
            st.integers(0, 999_999_999),
        ),
        st.builds(
            lambda s, us: timedelta(seconds=s, microseconds=us),
            st.integers(-86_400 * 400, 86_400 * 400),
            st.integers(0, 999_999),
        ),
    )


@cache
def scalars(kind: str, *, xml_safe: bool = False) -> SearchStrategy[Any]:
    if kind in INT_RANGES:
        return integers(kind)
    if kind == "bool":
        return st.booleans()
    if kind == "float64":
        return float64s()
    if kind == "float32":
        return float32s()
    if kind == "string":
        return strings(xml_safe=xml_safe)
    if kind == "bytes":
        return binaries()
    if kind == "timestamp":
        return timestamps()
    if kind == "duration":
        return durations()
    raise AssertionError(kind)


@cache
def decimals(p: int, s: int) -> SearchStrategy[Decimal]:
    """Canonical ``decimal(p, s)`` values: quantized to the scale, the extremes often."""
    top = 10**p - 1
    edges = [0, 1, -1, top, -top, 10 ** (p - 1), 5 * 10 ** max(s - 1, 0)]
    return st.one_of(st.integers(-top, top), st.sampled_from(edges)).map(
        lambda n: Decimal(n).scaleb(-s, _DECIMAL_CONTEXT) if n else Decimal(0).scaleb(-s)
    )


_DECIMAL_CONTEXT = Context(prec=100, traps=[Inexact])

_KEY_EDGES = ["", " ", "k", " padded ", "\t", "a\r\nb", "<&\"'>", "[0]", "\U0001f511"]


@cache
def map_keys(kind: str, *, xml_safe: bool = False) -> SearchStrategy[Any]:
    if kind == "string":
        # Keys stay short: they are compared a lot and long ones add nothing. No U+0000: a
        # BSON key is a NUL-terminated cstring (test_properties.py holds every format to
        # keys with it, BSON to refusing them).
        alphabet = _alphabet(xml_safe).filter(lambda c: c != "\0")
        return st.one_of(st.text(alphabet, max_size=6), st.sampled_from(_KEY_EDGES))
    return scalars(kind, xml_safe=xml_safe)


# -- the walk ----------------------------------------------------------------------------
class _Builder:
    """Strategies per (message, depth), built once per ``records`` call.

    ``depth`` counts message nesting from the record (0). At ``max_depth`` the strategies
    stop recursing: optional message fields are absent and lists and maps of messages are
    empty. Required message fields are still generated there: the loader forbids required
    cycles, so that chain ends by itself.
    """

    def __init__(self, schema: Schema, max_depth: int, xml_safe: bool) -> None:
        self.schema = schema
        self.max_depth = max_depth
        self.xml_safe = xml_safe
        self._memo: dict[tuple[str, int], SearchStrategy[dict[str, Any]]] = {}

    def message(self, name: str, depth: int) -> SearchStrategy[dict[str, Any]]:
        depth = min(depth, self.max_depth)
        key = (name, depth)
        if key not in self._memo:
            required: dict[str, SearchStrategy[Any]] = {}
            optional: dict[str, SearchStrategy[Any]] = {}
            members: dict[str, list[SearchStrategy[tuple[str, Any]]]] = {}
            for f in self.schema.messages[name].fields:
                if f.optional:
                    if isinstance(f.type, MessageRef) and depth >= self.max_depth:
                        continue  # absent: the recursion stops here
                    if f.oneof is not None:  # one member of a union, or none
                        pair = st.tuples(st.just(f.name), self.value(f.type, depth))
                        members.setdefault(f.oneof, []).append(pair)
                        continue
                    optional[f.name] = self.value(f.type, depth)
                else:
                    required[f.name] = self.value(f.type, depth)
            strategy = st.fixed_dictionaries(required, optional=optional)
            if members:
                groups = [st.none() | st.one_of(*pairs) for pairs in members.values()]
                strategy = st.tuples(strategy, *groups).map(_with_members)
            self._memo[key] = strategy
        return self._memo[key]

    def value(self, ftype: FieldType, depth: int) -> SearchStrategy[Any]:
        if isinstance(ftype, Scalar) and ftype.kind == "decimal":
            return decimals(ftype.precision, ftype.scale)
        if isinstance(ftype, Scalar):
            return scalars(ftype.kind, xml_safe=self.xml_safe)
        if isinstance(ftype, EnumRef):
            # Canonical names: an alias (allow_alias) reads back as the first name.
            return st.sampled_from(self.schema.enums[ftype.name].canonical_names)
        if isinstance(ftype, MessageRef):
            return self.message(ftype.name, depth + 1)
        if isinstance(ftype, ListOf):
            size = self._size(ftype.item, depth)
            if size == 0:
                return st.just([])
            return st.lists(self.value(ftype.item, depth), max_size=size)
        if isinstance(ftype, MapOf):
            size = self._size(ftype.value, depth)
            if size == 0:
                return st.just({})
            keys = map_keys(ftype.key.kind, xml_safe=self.xml_safe)
            return st.dictionaries(keys, self.value(ftype.value, depth), max_size=size)
        raise AssertionError(ftype)

    def _size(self, item: FieldType, depth: int) -> int:
        """How many items a list or map of ``item`` may hold at ``depth``."""
        if isinstance(item, MessageRef):
            if depth >= self.max_depth:
                return 0
            return MAX_MESSAGE_ITEMS if depth == 0 else MAX_NESTED_MESSAGE_ITEMS
        return MAX_ITEMS if depth == 0 else MAX_NESTED_ITEMS


def _with_members(parts: tuple[Any, ...]) -> dict[str, Any]:
    record: dict[str, Any] = parts[0]
    for pair in parts[1:]:
        if pair is not None:
            record[pair[0]] = pair[1]
    return record


def records(
    schema: Schema,
    type_name: str | None = None,
    *,
    max_depth: int = 3,
    xml_safe: bool = False,
) -> SearchStrategy[dict[str, Any]]:
    """Canonical records of ``type_name`` (the root type by default).

    ``xml_safe`` keeps strings and string map keys to XML 1.0 characters: XML cannot carry
    U+0000, the other C0 controls but tab, LF and CR, nor U+FFFE/U+FFFF.
    """
    msg = schema.message(type_name)
    key = (id(schema), msg.name, max_depth, xml_safe)
    hit = _RECORDS.get(key)
    if hit is None or hit[0] is not schema:
        hit = _RECORDS[key] = (schema, _Builder(schema, max_depth, xml_safe).message(msg.name, 0))
    return hit[1]


# Strategies are built once per schema and options: tests draw them per example, and
# Hypothesis validates every new strategy object, which costs more than drawing from it.
# The schema is kept beside its strategy so that its id cannot be reused while cached.
_RECORDS: dict[tuple[int, str, int, bool], tuple[Schema, SearchStrategy[dict[str, Any]]]] = {}


# -- schemas -----------------------------------------------------------------------------
# The shipped schemas, and inline ones that stress the model's corners: only optional
# fields (and recursion through optionals only), deep recursion through lists and maps,
# non-string map keys of every kind, empty messages, and a schema with no fields at all.

OPTIONALS_YAML = """
schema: test.optionals
root: Sparse
enums:
  Mood: {values: {NEUTRAL: 0, HAPPY: -3, SAD: 2147483647}}
messages:
  Sparse:
    fields:
      flag: optional bool = 1
      i32: optional int32 = 2
      i64: optional int64 = 3
      u32: optional uint32 = 4
      u64: optional uint64 = 5
      f32: optional float32 = 6
      f64: optional float64 = 7
      text: {type: string, tag: 8, optional: true, xml: attribute}
      blob: optional bytes = 9
      when: {type: optional timestamp, tag: 10, xml: attribute}
      mood: {type: Mood, tag: 11, optional: true, xml: attribute}
      inner: optional Inner = 12
  Inner:
    fields:
      note: optional string = 1
      again: optional Sparse = 536870911
"""

#: Time at its edges: nanosecond timestamps and durations in every position a scalar takes.
TIME_YAML = """
schema: tt.time
root: Span
messages:
  Span:
    fields:
      at: timestamp = 1
      took: duration = 2
      grace: optional duration = 3
      laps: list<duration> = 4
      budget: map<string, duration> = 5
      marks: list<timestamp> = 6
      ended: {type: optional timestamp, tag: 7, xml: attribute}
      wait: {type: duration, tag: 8, xml: attribute}
      by_step: map<int32, timestamp> = 9
      child: optional Span = 10
"""

#: Decimals at their edges: every precision and scale bound, in every position a scalar takes.
MONEY_YAML = """
schema: tt.money
root: Invoice
messages:
  Invoice:
    fields:
      total: decimal(12, 2) = 1
      rate: {type: "decimal(9, 9)", tag: 2, xml: attribute}
      units: decimal(1, 0) = 3
      huge: decimal(76, 10) = 4
      tip: optional decimal(5, 2) = 5
      prices: list<decimal(10, 4)> = 6
      by_code: map<string, decimal(38, 0)> = 7
      by_line: map<int32, decimal(76, 76)> = 8
      discount: {type: "optional decimal(4, 1)", tag: 9, xml: attribute}
      paid: {oneof: {cash: "decimal(18, 2) = 10", note: string = 11}}
      lines: list<Line> = 12
  Line:
    fields:
      amount: decimal(20, 6) = 1
      tax: optional decimal(3, 3) = 2
"""

# Messages of plain fields inside others (points, boxes): the XML scanner's compact pattern
# takes them whole (codecs/xml/fast_read.py, ``_flat``); the optional one and the one with
# a list are left to calls.
FLAT_YAML = """
schema: test.flat
root: Shape
enums:
  Kind: [SHARP, ROUND]
messages:
  Shape:
    fields:
      name: string = 1
      corners: list<Corner> = 2
      box: Box = 3
      payload: bytes = 4
      label: optional Point = 5
      path: Path = 6
      origin: Point = 7
  Corner:
    fields:
      at: Point = 1
      kind: Kind = 2
      weight: float64 = 3
      id: uint32 = 4
  Point:
    fields: {x: float32 = 1, y: float32 = 2, z: float64 = 3}
  Box:
    fields:
      lo: Point = 1
      hi: Point = 2
      tag: string = 3
      when: timestamp = 4
      data: bytes = 5
  Path:
    fields: {points: list<Point> = 1, closed: bool = 2}
"""

TREE_YAML = """
schema: test.tree
root: Forest
enums:
  Colour: [RED, GREEN, BLUE]
messages:
  Forest:
    fields:
      trunk: Node = 1
      by_id: map<uint64, Node> = 2
      colours: map<bool, Colour> = 3
      marker: Empty = 4
      maybe_empty: optional Empty = 5
  Node:
    fields:
      label: {type: string, tag: 1, xml: attribute}
      weight: {type: float32, tag: 2, xml: attribute}
      children: list<Node> = 3
      named: map<string, Node> = 4
      stamps: map<int64, timestamp> = 5
      offsets: map<int32, float64> = 6
      sizes: map<uint32, bytes> = 7
      flags: list<bool> = 8
      colours: list<Colour> = 9
      empties: list<Empty> = 10
      blobs: list<bytes> = 11
      words: list<string> = 12
      when: list<timestamp> = 13
      small: list<float32> = 14
      big: list<uint64> = 15
  Empty: {}
"""

EMPTY_YAML = """
schema: test.empty
messages:
  Nothing:
    fields:
"""

UNION_YAML = """
schema: test.union
root: Holder
enums:
  Kind: [NONE, SOME, MANY]
messages:
  Holder:
    fields:
      id: {type: uint32, tag: 1, xml: attribute}
      value: {oneof: {text: string = 2, number: sint64 = 3, blob: bytes = 4, real: float32 = 5,
        when: timestamp = 6, kind: Kind = 7, yes: bool = 8, any: Any = 9, empty: Empty = 10}}
      note: optional string = 11
      items: list<Any> = 12
      only: {oneof: {single: fixed64 = 13}, doc: A group of one.}
      pick:
        doc: Another group, after the others.
        oneof:
          left: float64 = 14
          right: {type: uint64, tag: 15, doc: The right one.}
  Any:
    fields:
      value:
        oneof:
          s: string = 1
          i: int64 = 2
          list: Many = 3
          map: Map = 4
  Many:
    fields:
      values: list<Any> = 1
  Map:
    fields:
      entries: map<string, Any> = 1
  Empty: {}
"""

LIMITS_YAML = """
schema: test.limits
messages:
  Texts:
    fields:
      element: string = 1
      attribute: {type: string, tag: 2, xml: attribute}
      listed: list<string> = 3
      keyed: map<string, string> = 4
"""


# proto2 and well-known wrappers: required fields (also an attribute and a message), defaults,
# every wrapper kind, and an enum with aliases. (At most 15 fields a message: msgspec writes
# a larger Struct's MessagePack map header as map16 even when fewer fields are set, which
# the tree path writes as a fixmap; a known difference of that fast path, not of proto2.)
PROTO2_YAML = r"""
schema: test.proto2
root: Job
enums:
  State: {values: {UNKNOWN: 0, STARTED: 1, RUNNING: 1, DONE: 2, FINISHED: 2}, allow_alias: true}
messages:
  Job:
    fields:
      id: required uint64 = 1
      name: {type: string, tag: 2, required: true, default: "n\u00e9e"}
      state: {type: State, tag: 3, optional: true, default: RUNNING}
      retries: {type: int32, tag: 4, optional: true, default: -3, xml: attribute}
      ratio: {type: float32, tag: 5, optional: true, default: nan}
      blob: {type: bytes, tag: 6, optional: true, default: 'a\001'}
      flag: {type: bool, tag: 7, required: true, xml: attribute}
      wrapped: Wrapped = 8
      states: list<State> = 17
      step: required Step = 18
      steps: list<Step> = 19
      plain: int32 = 20
  Wrapped:
    fields:
      w_bool: {type: bool, tag: 8, optional: true, wrapper: true}
      w_i32: {type: int32, tag: 9, optional: true, wrapper: true}
      w_i64: {type: int64, tag: 10, optional: true, wrapper: true}
      w_u32: {type: uint32, tag: 11, optional: true, wrapper: true}
      w_u64: {type: uint64, tag: 12, optional: true, wrapper: true}
      w_f32: {type: float32, tag: 13, optional: true, wrapper: true}
      w_f64: {type: float64, tag: 14, optional: true, wrapper: true}
      w_str: {type: string, tag: 15, optional: true, wrapper: true}
      w_bytes: {type: bytes, tag: 16, optional: true, wrapper: true}
  Step:
    fields:
      state: required State = 1
      at: required timestamp = 2
      note: optional string = 3
"""


@cache
def schema_named(name: str) -> Schema:
    if name == "order":
        return order_schema()
    if name == "sensor":
        return sensor_schema()
    text = {
        "optionals": OPTIONALS_YAML,
        "tree": TREE_YAML,
        "flat": FLAT_YAML,
        "empty": EMPTY_YAML,
        "union": UNION_YAML,
        "limits": LIMITS_YAML,
        "proto2": PROTO2_YAML,
        "time": TIME_YAML,
        "money": MONEY_YAML,
    }[name]
    return parse_schema(text, f"<{name}>")


#: The schemas every property runs on; ``limits`` is for the XML character test only.
SCHEMAS = ["order", "sensor", "optionals", "tree", "empty", "proto2", "union", "time", "money"]
