"""The BSON codec's fast paths (fast_read.py, fast_write.py) against its reference paths:
same bytes written, same records read, the document length computed from the values equal
to the input's, and duplicate keys refused whether the cheap length check or the exact
fallback finds them."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

bson = pytest.importorskip("bson")

from fmtbench.codecs.bson.codec import OPTIONS, BsonCodec  # noqa: E402
from fmtbench.codecs.bson.fast_read import array_overhead  # noqa: E402
from fmtbench.errors import DecodeError  # noqa: E402
from fmtbench.generate import load_dataset  # noqa: E402
from fmtbench.schema.loader import parse_schema  # noqa: E402
from fmtbench.schema.model import INT_RANGES  # noqa: E402
from fmtbench.values import Timestamp  # noqa: E402
from tests.samples import ORDERS, SENSORS, assert_same, order_schema, sensor_schema  # noqa: E402
from tests.test_bson import ALL, record  # noqa: E402

LISTS = parse_schema("""
schema: t.bsonlists
root: L
messages:
  L:
    fields:
      names: list<string> = 1
      items: list<Item> = 2
      tags: map<string, Item> = 3
      f: optional float64 = 4
  Item:
    fields:
      n: int32 = 1
      at: optional timestamp = 2
""")


def check_both_ways(c: BsonCodec, rec: dict[str, Any]) -> None:
    """The fast writer gives the reference's bytes; the fast reader the reference's record
    and exactly the document's length (so the cheap duplicate check decides)."""
    data = c.encode(rec)
    assert bson.encode(c._fast_tree(rec)) == data == c._encode_reference(rec)
    tree = bson.decode(data, OPTIONS)
    got, size = c._fast_read(tree)
    assert size == len(data)
    assert got == c._from_tree(tree) == rec
    assert list(got) == list(c._from_tree(tree))  # schema order, as the reference
    assert c.decode(data) == rec


@pytest.fixture(scope="module")
def codec() -> BsonCodec:
    return BsonCodec(ALL)


INTS = {"i32": "int32", "i64": "int64", "u32": "uint32", "u64": "uint64", "sf64": "int64"}


@pytest.mark.parametrize("name", INTS)
def test_integers_at_their_bounds(codec: BsonCodec, name: str) -> None:
    lo, hi = INT_RANGES[INTS[name]]
    for v in (lo, hi, 0, 1, -1 if lo else 2, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1):
        if lo <= v <= hi:
            rec = record(**{name: v})
            if INTS[name] == "uint64" and v > 2**63 - 1:  # a Decimal128: the reference path
                assert codec.decode(codec.encode(rec)) == rec
            else:
                check_both_ways(codec, rec)


def test_an_int_field_read_from_either_width(codec: BsonCodec) -> None:
    """Another writer's int64 for a 32-bit field, int32 for a 64-bit one: both fast, each
    counted at its width."""
    doc = bson.decode(codec.encode(record(i32=7, i64=8)), OPTIONS)
    doc["i32"], doc["i64"] = bson.int64.Int64(7), 8
    data = bson.encode(doc)
    got, size = codec._fast_read(bson.decode(data, OPTIONS))
    assert size == len(data)
    assert got == record(i32=7, i64=8)
    assert type(got["i32"]) is int
    assert type(got["i64"]) is int
    doc["u32"] = bson.int64.Int64(2**32)  # out of range at the wider width: an error
    with pytest.raises(DecodeError, match="u32: 4294967296 is out of range"):
        codec.decode(bson.encode(doc))


@pytest.mark.parametrize(
    "at",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 5, 14, 8, 0, 0, 1, tzinfo=UTC),
        datetime(2024, 5, 14, 8, 0, 0, 34274, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        Timestamp(2024, 5, 14, 8, 0, 0, 34274, tzinfo=UTC, nanosecond=1),
        Timestamp(2024, 5, 14, 8, 0, 0, 999, tzinfo=UTC, nanosecond=999),
    ],
)
def test_timestamps_at_every_precision(codec: BsonCodec, at: datetime) -> None:
    rec = record(at=at)
    data = codec.encode(rec)
    assert data == codec._encode_reference(rec)
    got, size = codec._fast_read(bson.decode(data, OPTIONS))
    assert size == len(data)
    assert got == rec
    assert got["at"].tzinfo is UTC


def test_other_scalars_floats_bytes_enums_maps_and_optionals(codec: BsonCodec) -> None:
    for rec in (
        record(f=1.5, d=-0.0, b=b"\0\xff", colour="GREEN", maybe=-3, a="é"),
        record(d=float("inf"), f=float("nan"), by_name={"b": 1, "a": 2, "é": 3}, n=5),
        record(took=timedelta(seconds=-5, microseconds=-1), by_int={-1: "x", 2: "y"}),
        record(by_bool={True: 1, False: 0}, took=timedelta(days=3)),
    ):
        data = codec.encode(rec)
        assert data == codec._encode_reference(rec)
        got, size = codec._fast_read(bson.decode(data, OPTIONS))
        assert size == len(data)
        assert_same(got, rec)


@given(
    st.lists(st.text(), max_size=12),
    st.lists(st.integers(-(2**31), 2**31 - 1), max_size=120),
    st.dictionaries(st.text().filter(lambda k: "\0" not in k), st.integers(0, 9), max_size=5),
)
def test_lists_and_maps_any_length(names: list[str], ns: list[int], tags: dict[str, int]) -> None:
    c = LISTS_CODEC
    rec = {
        "names": names,
        "items": [{"n": n} for n in ns],
        "tags": {
            k: {"n": v, "at": datetime(2000, 1, 1, 0, 0, 0, v, tzinfo=UTC)} for k, v in tags.items()
        },
    }
    data = c.encode(rec)
    assert data == c._encode_reference(rec)
    got, size = c._fast_read(bson.decode(data, OPTIONS))
    assert size == len(data)
    assert got == rec


LISTS_CODEC = BsonCodec(LISTS)


def test_array_overhead_counts_every_key() -> None:
    for n in (0, 1, 9, 10, 11, 99, 100, 101, 1000, 12345):
        expected = 5 + sum(2 + len(str(i)) for i in range(n))
        assert array_overhead(n) == expected
        assert len(bson.encode({"a": [None] * n})) == 4 + 1 + 2 + expected + 1


@pytest.mark.parametrize("dataset", ["log", "order"])
def test_dataset_records_take_the_fast_paths(dataset: str) -> None:
    ds = load_dataset(dataset)
    c = BsonCodec(ds.schema, ds.type_name)
    for rec in ds.generator().records(200):
        check_both_ways(c, rec)


def test_shipped_samples_take_the_fast_paths() -> None:
    """Every sample but those holding a uint64 above int64's range (a Decimal128, which only
    the reference path reads)."""
    for c, records in ((BsonCodec(order_schema()), ORDERS), (BsonCodec(sensor_schema()), SENSORS)):
        for rec in records:
            data = c.encode(rec)
            assert data == c._encode_reference(rec)
            tree = bson.decode(data, OPTIONS)
            if "Decimal128" in repr(tree):
                continue
            got, size = c._fast_read(tree)
            assert size == len(data)
            assert_same(got, rec)


# -- duplicate keys ------------------------------------------------------------------------
def element(kind: int, key: bytes, value: bytes) -> bytes:
    return bytes([kind]) + key + b"\0" + value


def with_element(data: bytes, after: bytes, extra: bytes) -> bytes:
    """``data`` with ``extra`` inserted right after the first ``after``, every enclosing
    length prefix fixed (the documents that hold it: found by walking the path)."""
    at = data.index(after) + len(after)
    out = bytearray(data[:at] + extra + data[at:])
    # Fix the prefixes of the top-level document and any document that spans ``at``.
    pos = 0
    todo = [0]
    while todo:
        start = todo.pop()
        size = struct.unpack_from("<i", data, start)[0]
        if start <= at < start + size:
            struct.pack_into("<i", out, start, size + len(extra))
            pos = start + 4
            while pos < start + size - 1:
                kind = data[pos]
                key_end = data.index(b"\0", pos + 1)
                value = key_end + 1
                if kind in (3, 4):
                    todo.append(value)
                    pos = value + struct.unpack_from("<i", data, value)[0]
                else:
                    pos = value + _value_size(kind, data, value)
    return bytes(out)


def _value_size(kind: int, data: bytes, at: int) -> int:
    fixed = {1: 8, 8: 1, 9: 8, 10: 0, 16: 4, 17: 8, 18: 8, 19: 16}
    if kind in fixed:
        return fixed[kind]
    length: int = struct.unpack_from("<i", data, at)[0]
    return 4 + length + (1 if kind == 5 else 0)


@pytest.mark.parametrize(
    ("where", "after", "extra", "key"),
    [
        ("top level", b"\x10i32\0\0\0\0\0", element(0x10, b"i32", b"\5\0\0\0"), "i32"),
        ("a map", b"by_name\0", None, "k"),
        ("a timestamp document", b"\x09date\0", None, "date"),
    ],
)
def test_duplicates_found_by_the_cheap_check(
    codec: BsonCodec, where: str, after: bytes, extra: bytes | None, key: str
) -> None:
    if where == "a map":
        data = codec.encode(record(by_name={"k": 1}))
        after, extra = b"\x10k\0\1\0\0\0", element(0x10, b"k", b"\2\0\0\0")
    elif where == "a timestamp document":
        data = codec.encode(record(at=datetime(2020, 1, 1, 0, 0, 0, 1, tzinfo=UTC)))
        after = after + data[data.index(after) + len(after) :][:8]
        extra = element(0x09, b"date", b"\0" * 8)
    else:
        data = codec.encode(record())
    assert extra is not None
    bad = with_element(data, after, extra)
    tree = bson.decode(bad, OPTIONS)  # pymongo alone keeps one of them
    _, size = codec._fast_read(tree)  # the fast path converts the tree...
    assert size < len(bad)  # ...but its length shows an element was dropped
    with pytest.raises(DecodeError, match=f"duplicate key '{key}'"):
        codec.decode(bad)


def test_duplicates_in_a_list_element_found_by_the_cheap_check() -> None:
    c = LISTS_CODEC
    data = c.encode({"names": [], "items": [{"n": 1}, {"n": 2}], "tags": {}})
    bad = with_element(data, b"\x10n\0\2\0\0\0", element(0x10, b"n", b"\3\0\0\0"))
    assert c._fast_read(bson.decode(bad, OPTIONS))[1] < len(bad)
    with pytest.raises(DecodeError, match="duplicate key 'n'"):
        c.decode(bad)


def test_duplicates_found_by_the_fallback(codec: BsonCodec) -> None:
    """A tree the fast path declines (a float64 field as an int32, read by the reference
    rule) with a duplicate: the reference path's length and the exact check refuse it."""
    doc = bson.decode(codec.encode(record()), OPTIONS)
    doc["d"] = 2  # an int32: the reference path reads it as 2.0
    data = bson.encode(doc)
    with pytest.raises(Exception):  # noqa: B017, PT011  the fast path declines
        codec._fast_read(bson.decode(data, OPTIONS))
    assert codec.decode(data)["d"] == 2.0
    bad = with_element(data, b"\x10i32\0\0\0\0\0", element(0x10, b"i32", b"\5\0\0\0"))
    with pytest.raises(DecodeError, match="duplicate key 'i32'"):
        codec.decode(bad)


def test_unusual_array_keys_go_to_the_exact_check() -> None:
    """Array keys other than "0", "1"... (pymongo ignores them) make the lengths differ:
    the exact check reads the document again and finds no duplicate."""
    c = LISTS_CODEC
    data = c.encode({"names": ["a"], "items": [], "tags": {}})
    at = data.index(b"\x020\0") + 2
    odd = bytearray(data[:at] + b"7" + data[at:])
    for start in (0, data.index(b"names\0") + 6):
        struct.pack_into("<i", odd, start, struct.unpack_from("<i", data, start)[0] + 1)
    odd_bytes = bytes(odd)
    assert c._fast_read(bson.decode(odd_bytes, OPTIONS))[1] != len(odd_bytes)
    assert c.decode(odd_bytes) == {"names": ["a"], "items": [], "tags": {}}


def test_shortened_array_keys_cannot_hide_a_duplicate() -> None:
    c = LISTS_CODEC
    data = c.encode({"names": ["a", "b", "c"], "items": [], "tags": {}, "f": 1.0})
    # Empty keys for the three strings: three bytes saved...
    short = data
    for i in (b"0", b"1", b"2"):
        at = short.index(b"\x02" + i + b"\0")
        short = short[: at + 1] + short[at + 2 :]
    size = struct.unpack_from("<i", data, data.index(b"names\0") + 6)[0]
    start = short.index(b"names\0") + 6
    short = short[:start] + struct.pack("<i", size - 3) + short[start + 4 :]
    # ...and a three-byte element dropped: a null "f" before the real one.
    body = short[4:-1]
    bad = element(0x0A, b"f", b"") + body
    bad = struct.pack("<i", len(bad) + 5) + bad + b"\0"
    assert len(bad) == len(data)
    with pytest.raises(DecodeError, match="duplicate key 'f'"):
        c.decode(bad)
