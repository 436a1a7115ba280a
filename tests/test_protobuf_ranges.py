"""Protobuf integers that do not fit their field are errors (issue 12, item 7), for every
integer type and every place a varint sits: a field, an optional, a list element (packed or
not), a map key, a map value, a Timestamp part, inside a sub-message; and varints over 64
bits. Duplicate non-repeated fields keep protobuf's meaning (the last one wins) and are
checked by the same rule.

The bytes are built by hand (``wire`` below), as a hostile or buggy producer would send them;
upb itself truncates every one of them without a word.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs.protobuf.codec import ProtobufCodec, ProtobufDelimitedCodec
from fmtbench.codecs.protobuf.frames import varint
from fmtbench.codecs.protobuf.overflow import OverflowScan, suspect
from fmtbench.errors import DecodeError
from fmtbench.generate.dataset import load_dataset
from fmtbench.schema import parse_schema
from fmtbench.schema.model import INT_RANGES
from tests.strategies import schema_named

SCHEMA = parse_schema(
    """
schema: t.ranges
root: R
enums:
  E:
    values: {ZERO: 0, ONE: 1, FIVE: 5}
messages:
  R:
    fields:
      i32: int32 = 1
      u32: uint32 = 2
      i64: int64 = 3
      u64: uint64 = 4
      ok: bool = 5
      e: E = 6
      li32: list<int32> = 7
      lu32: list<uint32> = 8
      lok: list<bool> = 9
      le: list<E> = 10
      mi: map<int32, string> = 11
      mu: map<uint32, int32> = 12
      mb: map<bool, bool> = 13
      me: map<string, E> = 14
      oi32: optional int32 = 15
      ook: optional bool = 16
      t: timestamp = 17
      sub: S = 18
      subs: list<S> = 19
      li64: list<int64> = 20
  S:
    fields:
      n: int32 = 1
      b: bool = 2
"""
)
KINDS = {1: "int32", 2: "uint32", 3: "int64", 4: "uint64", 5: "bool", 6: "enum"}
NAMES = {1: "i32", 2: "u32", 3: "i64", 4: "u64", 5: "ok", 6: "e"}
U64 = 2**64


def key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def field(number: int, value: int) -> bytes:
    """A varint field; negative values as protobuf writes them (64-bit two's complement)."""
    return key(number, 0) + varint(value % U64)


def delimited(number: int, body: bytes) -> bytes:
    return key(number, 2) + varint(len(body)) + body


def overflowing(tenth: int = 0x7F) -> bytes:
    """A ten-byte varint whose tenth byte carries bits above bit 63."""
    return b"\xff" * 9 + bytes((tenth,))


@pytest.fixture(scope="module")
def codec() -> ProtobufCodec:
    return ProtobufCodec(SCHEMA)


def fits(kind: str, value: int) -> bool:
    """What the schema's type holds, reading the varint as protobuf defines for the type."""
    if kind == "bool":
        return value in (0, 1)
    if kind == "enum":
        return value in (0, 1, 5)
    lo, hi = INT_RANGES[kind]
    if kind.startswith("int"):  # int32/int64 varints are 64-bit two's complement
        value = value - U64 if value >= 2**63 else value
    return lo <= value <= hi


EDGES = [0, 1, 2, 5, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 5, 2**40, 2**63 - 1, 2**63,
         U64 - 2**31, U64 - 2**31 - 1, U64 - 1]  # fmt: skip


@pytest.mark.parametrize("number", sorted(KINDS))
@pytest.mark.parametrize("wire_value", EDGES)
def test_every_varint_kind_fits_or_fails(
    codec: ProtobufCodec, number: int, wire_value: int
) -> None:
    kind, name = KINDS[number], NAMES[number]
    data = key(number, 0) + varint(wire_value)
    if fits(kind, wire_value):
        value = codec.decode(data)[name]
        if kind == "bool":
            assert value is bool(wire_value)
        elif kind.startswith("int"):
            assert value == (wire_value - U64 if wire_value >= 2**63 else wire_value)
        elif kind.startswith("uint"):
            assert value == wire_value
    else:
        with pytest.raises(DecodeError, match=rf"^{name}: "):
            codec.decode(data)


@given(number=st.sampled_from(sorted(KINDS)), value=st.integers(0, U64 - 1))
def test_property_varints_fit_or_fail(number: int, value: int) -> None:
    codec = ProtobufCodec(SCHEMA)
    data = key(number, 0) + varint(value)
    if fits(KINDS[number], value):
        codec.decode(data)
    else:
        with pytest.raises(DecodeError, match=rf"^{NAMES[number]}: "):
            codec.decode(data)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (field(1, 2**32 + 5), "i32"),  # the example: read as 5 by upb
        (field(6, 2**32 + 5), "e"),  # read as FIVE by upb
        (field(5, 2**40), "ok"),  # read as true by upb
        (field(15, 2**32), "oi32"),
        (field(16, 2), "ook"),
        (field(7, 3) + field(7, 2**31), "li32[1]"),  # unpacked
        (delimited(7, varint(3) + varint(2**33)), "li32"),  # packed
        (delimited(8, varint(2**32)), "lu32"),
        (delimited(9, varint(1) + varint(7)), "lok"),
        (field(10, 2**32 + 1), "le"),
        (delimited(11, field(1, 2**32 + 7) + delimited(2, b"a")), "mi"),  # a map key
        (delimited(12, field(1, 1) + field(2, 2**31)), "mu[1]"),  # a map value
        (delimited(13, field(1, 2) + field(2, 1)), "mb"),  # a bool key
        (delimited(13, field(1, 1) + field(2, 2)), "mb[true]"),  # a bool value
        (delimited(14, delimited(1, b"k") + field(2, 2**32 + 5)), 'me["k"]'),
        (delimited(17, field(1, 0) + field(2, 2**32 + 5)), "t"),  # nanos, read as 5 by upb
        (delimited(18, field(1, 2**31)), "sub.n"),
        (delimited(19, field(2, 3)), "subs[0].b"),
    ],
)
def test_out_of_range_everywhere_is_refused(codec: ProtobufCodec, data: bytes, path: str) -> None:
    with pytest.raises(DecodeError) as info:
        codec.decode(data)
    assert str(info.value).startswith(f"{path}")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (key(3, 0) + overflowing(), "i64"),
        (key(4, 0) + overflowing(0x02), "u64"),
        (key(1, 0) + overflowing(), "i32"),
        (key(5, 0) + overflowing(), "ok"),
        (key(20, 0) + overflowing(), "li64[0]"),
        (delimited(20, varint(1) + overflowing(0x10)), "li64[1]"),
        (delimited(18, key(1, 0) + overflowing()), "sub.n"),
        (delimited(17, key(1, 0) + overflowing()), "t.seconds"),
        (delimited(12, key(1, 0) + overflowing()), "mu[entry 1].key"),
    ],
)
def test_varints_over_64_bits_are_refused(codec: ProtobufCodec, data: bytes, path: str) -> None:
    with pytest.raises(DecodeError, match="over 64 bits") as info:
        codec.decode(data)
    assert str(info.value).startswith(path)


BIG = parse_schema(
    """
schema: t.big
root: R
messages:
  R:
    fields:
      blob: bytes = 1
      n: uint64 = 2
      subs: list<S> = 3
      many: list<uint64> = 4
      text: string = 5
  S:
    fields:
      blob: bytes = 1
      n: int64 = 2
      inner: optional S = 3
"""
)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        # Large messages are walked, not searched whole: payloads skipped, the rest looked at.
        (delimited(1, b"\xff" * 5000) + key(2, 0) + overflowing(), "n"),
        (delimited(3, delimited(1, b"\x80" * 3000)) + delimited(3, key(2, 0) + overflowing()),
         "subs[1].n"),
        (delimited(3, delimited(3, delimited(1, b"x" * 2000) + key(2, 0) + overflowing(3))),
         "subs[0].inner.n"),
        (delimited(4, b"".join(varint(i * 1000) for i in range(1000)) + overflowing()),
         "many[1000]"),
        (delimited(5, b"y" * 2000) + delimited(3, delimited(3, key(2, 0) + overflowing())),
         "subs[0].inner.n"),
    ],
)  # fmt: skip
def test_varints_over_64_bits_in_large_messages(data: bytes, path: str) -> None:
    c = ProtobufCodec(BIG)
    with pytest.raises(DecodeError, match="over 64 bits") as info:
        c.decode(data)
    assert str(info.value).startswith(path)


def test_large_payloads_holding_the_pattern_are_data() -> None:
    c = ProtobufCodec(BIG)
    noise = (b"\xff" * 9 + b"\x7f") * 300
    record = {"blob": noise, "n": 2**64 - 1, "text": "é" * 900 + "x",
              "subs": [{"blob": noise, "n": -1, "inner": {"blob": noise[:50], "n": -5}}],
              "many": [2**64 - 1] * 300}  # fmt: skip
    assert c.decode(c.encode(record))["subs"] == record["subs"]
    assert c.decode(c.encode(record))["many"] == record["many"]


def test_types_without_varints_are_not_looked_at() -> None:
    mesh = load_dataset("mesh")
    assert not OverflowScan(mesh.schema, "Mesh").needed
    assert OverflowScan(schema_named("tree"), "Node").needed
    assert OverflowScan(SCHEMA, "S").needed


def test_ten_byte_varints_that_fit_are_read(codec: ProtobufCodec) -> None:
    # -1 is ten bytes on the wire, tenth byte 0x01; likewise in int32 and enum fields.
    assert codec.decode(field(3, -1) + field(1, -(2**31)))["i64"] == -1
    assert codec.decode(field(4, U64 - 1))["u64"] == U64 - 1
    assert codec.decode(field(1, -(2**31)))["i32"] == -(2**31)


def test_the_pattern_inside_strings_is_no_overflow(codec: ProtobufCodec) -> None:
    # The prefilter's pattern inside a string (and a bytes value) is data, not a varint.
    text = "日本語テキスト" + "x"
    schema = parse_schema(
        "schema: t.s\nroot: R\nmessages:\n  R:\n    fields:\n      s: string = 1\n"
        "      b: bytes = 2\n      n: int64 = 3\n"
    )
    c = ProtobufCodec(schema)
    record = {"s": text, "b": overflowing(), "n": -1}
    data = c.encode(record)
    assert suspect(data)
    assert c.decode(data) == record


def test_eleven_byte_varints_are_refused(codec: ProtobufCodec) -> None:
    with pytest.raises(DecodeError, match="not a valid R message"):
        codec.decode(key(3, 0) + b"\xff" * 10 + b"\x01")


def test_wrong_wire_types_are_refused(codec: ProtobufCodec) -> None:
    # fixed32 where an int64 goes, fixed64 where a bool goes, a string where an int32 goes.
    for data in (key(3, 5) + b"\x01\x00\x00\x00", key(5, 1) + b"\x01" + b"\x00" * 7,
                 delimited(1, b"abc")):  # fmt: skip
        with pytest.raises(DecodeError, match="does not fit it"):
            codec.decode(data)


def test_duplicate_fields_keep_protobufs_meaning(codec: ProtobufCodec) -> None:
    # The last value of a non-repeated field wins, sub-messages merge, and a map key given
    # twice keeps its last value: the protobuf specification's meaning (docs/formats.md).
    record = codec.decode(
        field(1, 7)
        + field(1, 9)
        + delimited(18, field(1, 1))
        + delimited(18, field(2, 1))
        + delimited(11, field(1, 3) + delimited(2, b"a"))
        + delimited(11, field(1, 3) + delimited(2, b"b"))
    )
    assert record["i32"] == 9
    assert record["sub"] == {"n": 1, "b": True}
    assert record["mi"] == {3: "b"}
    # ... and the last one is checked like any other.
    with pytest.raises(DecodeError, match=r"^i32: "):
        codec.decode(field(1, 7) + field(1, 2**32 + 5))


def test_the_stream_reader_names_the_record(codec: ProtobufCodec) -> None:
    stream = ProtobufDelimitedCodec(SCHEMA)
    good = stream.encode({**codec.decode(b""), "i32": 3})
    bad = field(6, 2**32 + 5)
    data = varint(len(good)) + good + varint(len(bad)) + bad
    with pytest.raises(DecodeError, match=r"record 2") as info:
        list(stream.reader(io.BytesIO(data)))
    assert "e: " in str(info.value)


def test_the_fast_and_reference_walks_agree(codec: ProtobufCodec) -> None:
    data = (
        field(1, -5) + field(2, 2**32 - 1) + field(5, 1) + field(6, 5) + delimited(7, varint(1))
        + delimited(9, varint(1) + varint(0)) + delimited(13, field(1, 1) + field(2, 0))
        + delimited(11, field(1, -(2**31) % U64) + delimited(2, b"x")) + field(16, 0)
    )  # fmt: skip
    msg = codec.parse(data)
    fast: dict[str, Any] = codec._fast(msg)
    assert fast == codec._reference(msg)
    assert list(fast) == list(codec._reference(msg))
    assert fast["ok"] is True
    assert fast["lok"] == [True, False]
    assert fast["mb"] == {True: False}
    assert fast["ook"] is False
    assert fast["mi"] == {-(2**31): "x"}
