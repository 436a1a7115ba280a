"""The BSON codec: the mapping (integers at their edges, float32, timestamps at every
precision, durations, maps, oneofs), streams, bad input, and MongoDB's npm ``bson``."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

bson = pytest.importorskip("bson")

from bson.codec_options import CodecOptions  # noqa: E402
from bson.decimal128 import Decimal128  # noqa: E402
from bson.int64 import Int64  # noqa: E402

from fmtbench.codecs import codec_for  # noqa: E402
from fmtbench.codecs.bson.codec import BsonCodec  # noqa: E402
from fmtbench.errors import DecodeError, EncodeError, LimitError  # noqa: E402
from fmtbench.schema.loader import parse_schema  # noqa: E402
from fmtbench.schema.model import INT_RANGES  # noqa: E402
from fmtbench.values import Duration, Timestamp  # noqa: E402
from tests.peers import node_module, run_node  # noqa: E402
from tests.samples import ORDERS, SENSORS, assert_same, order_schema, sensor_schema  # noqa: E402

ALL = parse_schema("""
schema: t.bsonall
root: All
enums:
  Colour: {values: {RED: 0, GREEN: 1}}
messages:
  All:
    fields:
      i32: int32 = 1
      i64: int64 = 2
      u32: uint32 = 3
      u64: uint64 = 4
      s32: sint32 = 5
      s64: sint64 = 6
      f32x: fixed32 = 7
      f64x: fixed64 = 8
      sf32: sfixed32 = 9
      sf64: sfixed64 = 10
      f: float32 = 11
      d: float64 = 12
      b: bytes = 13
      at: timestamp = 14
      took: duration = 15
      colour: Colour = 16
      by_int: map<int64, string> = 17
      by_bool: map<bool, int32> = 18
      by_name: map<string, int32> = 19
      maybe: optional int32 = 20
      pick:
        oneof:
          a: string = 21
          n: int64 = 22
""")
RAW = CodecOptions(document_class=dict, tz_aware=False)
ZERO_AT = datetime(1970, 1, 1, tzinfo=UTC)


def record(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "i32": 0, "i64": 0, "u32": 0, "u64": 0, "s32": 0, "s64": 0, "f32x": 0, "f64x": 0,
        "sf32": 0, "sf64": 0, "f": 0.0, "d": 0.0, "b": b"", "at": ZERO_AT,
        "took": timedelta(0), "colour": "RED", "by_int": {}, "by_bool": {}, "by_name": {},
    }  # fmt: skip
    return {**base, **values}


@pytest.fixture(scope="module")
def codec() -> BsonCodec:
    return BsonCodec(ALL)


def raw(c: BsonCodec, rec: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = bson.decode(c.encode(rec), RAW)
    return doc


def patched(c: BsonCodec, **changes: Any) -> bytes:
    """A valid record's document with some elements replaced: input another writer made."""
    doc = raw(c, record())
    doc.update(changes)
    return bytes(bson.encode(doc))


# -- integers ------------------------------------------------------------------------------
FIELDS = {"i32": "int32", "s32": "int32", "sf32": "int32", "i64": "int64", "s64": "int64",
          "sf64": "int64", "f64x": "uint64", "u64": "uint64", "u32": "uint32",
          "f32x": "uint32"}  # fmt: skip


@pytest.mark.parametrize("name", FIELDS)
def test_every_integer_type_at_its_bounds(codec: BsonCodec, name: str) -> None:
    lo, hi = INT_RANGES[FIELDS[name]]
    for v in (lo, lo + 1, 0, 1, hi - 1, hi):
        rec = record(**{name: v})
        assert codec.decode(codec.encode(rec)) == rec
        element = raw(codec, rec)[name]
        if FIELDS[name] == "int32" or (FIELDS[name] == "uint32" and v < 2**31):
            assert type(element) is int  # BSON int32
        elif v >= 2**63:
            assert element == Decimal128(str(v))  # uint64 above int64: exact decimal
        else:
            assert type(element) is Int64  # 64-bit fields are int64 even when small
    for v in (lo - 1, hi + 1):
        with pytest.raises(EncodeError, match=f"^{name}: {v} is out of range"):
            codec.encode(record(**{name: v}))


def test_integers_out_of_range_on_read_name_the_field(codec: BsonCodec) -> None:
    with pytest.raises(DecodeError, match=r"i32: 2147483648 is out of range for int32"):
        codec.decode(patched(codec, i32=Int64(2**31)))
    assert codec.decode(patched(codec, i32=Int64(1)))["i32"] == 1  # a width another writer chose
    with pytest.raises(DecodeError, match=r"u32: -1 is out of range for uint32"):
        codec.decode(patched(codec, u32=-1))
    with pytest.raises(DecodeError, match=r"u64: -1 is out of range"):
        codec.decode(patched(codec, u64=Int64(-1)))
    with pytest.raises(DecodeError, match=r"u64: Decimal128 1.8E\+19 is not a uint64"):
        codec.decode(patched(codec, u64=Decimal128("1.8E19")))
    with pytest.raises(DecodeError, match=r"u64: Decimal128 5 is not a uint64"):
        codec.decode(patched(codec, u64=Decimal128("5")))  # small values are int64
    with pytest.raises(DecodeError, match=r"i64: expected int64, got float"):
        codec.decode(patched(codec, i64=1.0))
    # An int32 element in a 64-bit field widens exactly.
    assert codec.decode(patched(codec, i64=7))["i64"] == 7


# -- floats --------------------------------------------------------------------------------
def test_float32_is_a_double_that_must_be_exact(codec: BsonCodec) -> None:
    rec = record(f=0.10000000149011612, d=0.1)
    assert raw(codec, rec)["f"] == 0.10000000149011612
    assert codec.decode(codec.encode(rec)) == rec
    with pytest.raises(DecodeError, match=r"^byte offset 0: f: 0.1 is not a float32 value"):
        codec.decode(patched(codec, f=0.1))
    with pytest.raises(DecodeError, match=r"^byte offset 0: f: 1e\+300 is not a float32 value"):
        codec.decode(patched(codec, f=1e300))
    assert codec.decode(patched(codec, d=3))["d"] == 3.0  # JS writes whole numbers as int32


# -- time ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "at",
    [
        datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC),  # whole milliseconds
        datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),  # microseconds
        Timestamp(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC, nanosecond=789),  # nanoseconds
        Timestamp(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC, nanosecond=999),
        datetime(1, 1, 1, tzinfo=UTC),
        Timestamp(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC, nanosecond=1),
        datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        Timestamp(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC, nanosecond=999),
    ],
)
def test_timestamps_at_every_precision_and_year(codec: BsonCodec, at: datetime) -> None:
    rec = record(at=at)
    back = codec.decode(codec.encode(rec))
    assert back == rec
    assert type(back["at"]) is type(at)
    element = raw(codec, rec)["at"]
    if at.microsecond % 1000 == 0 and not getattr(at, "nanosecond", 0):
        assert element == at.replace(tzinfo=None)  # a plain BSON datetime
    else:
        ms = at.microsecond - at.microsecond % 1000
        ns = at.microsecond % 1000 * 1000 + getattr(at, "nanosecond", 0)
        plain = at.plain() if isinstance(at, Timestamp) else at
        assert element == {"date": plain.replace(microsecond=ms, tzinfo=None), "ns": ns}


def test_bad_timestamps_are_errors(codec: BsonCodec) -> None:
    out_of_range = bson.datetime_ms.DatetimeMS(2**62)
    with pytest.raises(
        DecodeError, match=r"^byte offset 0: at: BSON datetime \d+ ms is outside years"
    ):
        codec.decode(patched(codec, at=out_of_range))
    when = datetime(2024, 1, 1)
    for bad, why in (
        ({"date": when, "ns": 0}, "outside 1..999999"),
        ({"date": when, "ns": 1_000_000}, "outside 1..999999"),
        ({"date": when, "ns": 5, "x": 1}, "exactly 'date'"),
        ("2024-01-01", "expected timestamp"),
    ):
        with pytest.raises(DecodeError, match=f"^byte offset 0: at: .*{why}"):
            codec.decode(patched(codec, at=bad))


def test_durations_are_seconds_and_nanos(codec: BsonCodec) -> None:
    took = Duration(seconds=-1, nanoseconds=-500)
    rec = record(took=took)
    assert raw(codec, rec)["took"] == {"seconds": -1, "nanos": -500}
    assert codec.decode(codec.encode(rec)) == rec
    with pytest.raises(
        DecodeError, match=r"^byte offset 0: took: invalid Duration: .* different signs"
    ):
        codec.decode(patched(codec, took={"seconds": Int64(1), "nanos": -1}))


# -- maps, enums, oneofs, optionals ----------------------------------------------------------
def test_maps_keys_are_text(codec: BsonCodec) -> None:
    rec = record(by_int={-5: "a", 2**63 - 1: "b"}, by_bool={True: 1, False: 2},
                 by_name={"$set": 1, "a.b": 2, "": 3})  # fmt: skip
    doc = raw(codec, rec)
    assert doc["by_int"] == {"-5": "a", str(2**63 - 1): "b"}
    assert doc["by_bool"] == {"false": 2, "true": 1}
    assert doc["by_name"] == {"$set": 1, "a.b": 2, "": 3}  # legal BSON keys, kept
    assert codec.decode(codec.encode(rec)) == rec
    for key in ("07", "+7", "-0", "x", str(2**63)):
        with pytest.raises(DecodeError, match=r"^by_int\[.*map key|by_int"):
            codec.decode(patched(codec, by_int={key: "v"}))
    with pytest.raises(DecodeError, match="by_bool"):
        codec.decode(patched(codec, by_bool={"True": 1}))
    with pytest.raises(EncodeError, match=r'^by_name\["a\\u0000b"\]: map key: .*U\+0000'):
        codec.encode(record(by_name={"a\0b": 1}))


def test_enums_oneofs_and_optionals(codec: BsonCodec) -> None:
    rec = record(colour="GREEN", a="x", maybe=0)
    assert raw(codec, rec)["colour"] == "GREEN"
    assert codec.decode(codec.encode(rec)) == rec
    assert "maybe" not in codec.decode(patched(codec, maybe=None))  # null is absent
    with pytest.raises(DecodeError, match="colour: expected one of Colour"):
        codec.decode(patched(codec, colour=1))
    with pytest.raises(DecodeError):
        codec.decode(patched(codec, a="x", n=Int64(1)))  # two members of one oneof


def test_shipped_samples_round_trip() -> None:
    for c, records in ((BsonCodec(order_schema()), ORDERS), (BsonCodec(sensor_schema()), SENSORS)):
        for rec in records:
            assert_same(c.decode(c.encode(rec)), rec)
        assert_same(c.decode_many(c.encode_many(records)), records)


@given(st.integers(-(2**63), 2**64 - 1), st.integers(-(2**31), 2**31 - 1))
def test_integers_round_trip(codec: BsonCodec, big: int, small: int) -> None:
    rec = record(f64x=abs(big), sf64=min(big, 2**63 - 1), i32=small, u32=abs(small))
    assert codec.decode(codec.encode(rec)) == rec


# -- bad input -----------------------------------------------------------------------------
def element(kind: int, key: bytes, value: bytes) -> bytes:
    return bytes([kind]) + key + b"\0" + value


def document(*elements: bytes) -> bytes:
    body = b"".join(elements)
    return struct.pack("<i", len(body) + 5) + body + b"\0"


def test_duplicate_keys_are_refused_at_any_depth(codec: BsonCodec) -> None:
    good = raw(codec, record())
    data = bson.encode(good)
    twice = data[:-1] + element(0x10, b"i32", struct.pack("<i", 5)) + b"\0"
    twice = struct.pack("<i", len(twice)) + twice[4:]
    assert bson.decode(twice, RAW)["i32"] == 5  # pymongo alone keeps the last
    with pytest.raises(DecodeError, match="duplicate key 'i32'"):
        codec.decode(twice)
    inner = document(element(0x10, b"x", b"\1\0\0\0"), element(0x10, b"x", b"\2\0\0\0"))
    nested = bson.encode({**good, "by_name": {}})
    at = nested.index(b"by_name\0") + len(b"by_name\0")
    nested = nested[:at] + inner + nested[at + 5 :]
    nested = struct.pack("<i", len(nested)) + nested[4:]
    with pytest.raises(DecodeError, match="duplicate key 'x'"):
        codec.decode(nested)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "truncated"),
        (b"\x05\x00\x00", "truncated"),
        (b"\x04\x00\x00\x00", "less than the 5"),
        (b"\xff\xff\xff\x7f\x00", "truncated BSON: the document declares"),
        (b"\x05\x00\x00\x00\x00\x00", "1 extra bytes"),
        (b"\x05\x00\x00\x00\x01", "does not end with a NUL"),
        (document(element(0x20, b"i32", b"\1\0\0\0")), "unknown BSON type"),
        (document(element(0x02, b"b", b"\x02\0\0\0\xff\0")), "malformed BSON"),
        (document(element(0x10, b"\xff", b"\1\0\0\0")), "malformed BSON"),
    ],
)
def test_malformed_documents_are_decode_errors(codec: BsonCodec, data: bytes, why: str) -> None:
    with pytest.raises(DecodeError, match=why):
        codec.decode(data)


def test_stream_reader_checks_frames_before_reading() -> None:
    c = codec_for("bson", ALL)
    one = c.encode(record())
    assert list(c.reader(io.BytesIO(b""))) == []  # mongodump's empty collection
    assert len(list(c.reader(io.BytesIO(one * 3)))) == 3
    with pytest.raises(DecodeError, match=r"record 2: byte offset .*: truncated BSON"):
        list(c.reader(io.BytesIO(one + one[:-3])))
    with pytest.raises(LimitError, match=r"record 2: .*over the limit"):
        list(c.reader(io.BytesIO(one + b"\xff\xff\xff\x7f" + b"\0" * 10)))
    with pytest.raises(DecodeError, match=r"record 2: .*less than the 5"):
        list(c.reader(io.BytesIO(one + b"\x00\x00\x00\x00")))


# -- the npm bson package (MongoDB's JavaScript library) -------------------------------------
READ_JS = """
const {BSON, EJSON} = require('bson');
const data = require('fs').readFileSync(0);
let at = 0, out = [];
while (at < data.length) {
  const size = data.readInt32LE(at);
  out.push(EJSON.serialize(BSON.deserialize(data.subarray(at, at + size)), {relaxed: false}));
  at += size;
}
process.stdout.write(JSON.stringify(out));
"""


def test_npm_bson_reads_fmtbench_documents() -> None:
    node_module("bson")
    c = BsonCodec(order_schema())
    got = json.loads(run_node(READ_JS, stdin=c.encode_many(ORDERS)))
    assert len(got) == len(ORDERS)
    first, rec = got[0], ORDERS[0]
    assert first["id"] == {"$numberDecimal": str(rec["id"])}  # uint64 max: Decimal128
    assert first["status"] == rec["status"]
    assert first["customer"]["name"] == rec["customer"]["name"]
    at = rec["placed_at"]
    millis = (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    assert first["placed_at"]["date"] == {"$date": {"$numberLong": str(millis)}}
    assert first["placed_at"]["ns"] == {"$numberInt": str(at.microsecond % 1000 * 1000)}
    line = first["lines"][0]
    assert line["quantity"] == {"$numberInt": str(rec["lines"][0]["quantity"])}
    assert line["attributes"] == rec["lines"][0]["attributes"]


WRITE_JS = """
const {BSON, Long, Binary} = require('bson');
const parts = [];
for (const line of require('fs').readFileSync(0, 'utf8').split('\\n')) {
  if (!line) continue;
  const r = JSON.parse(line);
  parts.push(BSON.serialize({
    when: new Date(r.when), seq: Long.fromNumber(r.seq), n: r.n, ratio: r.ratio,
    tags: r.tags, blob: new Binary(Buffer.from(r.blob, 'base64'), 0),
    counts: r.counts,
  }));
}
process.stdout.write(Buffer.concat(parts));
"""
PEER_YAML = """
schema: t.peer
root: Event
messages:
  Event:
    fields:
      when: timestamp = 1
      seq: int64 = 2
      n: int32 = 3
      ratio: float64 = 4
      tags: list<string> = 5
      blob: bytes = 6
      counts: map<string, int32> = 7
"""
PEER_SCHEMA = parse_schema(PEER_YAML)


def test_fmtbench_reads_a_file_npm_bson_wrote(tmp_path: Any) -> None:
    node_module("bson")
    records = [
        {"when": datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), "seq": 2**62, "n": -7,
         "ratio": 0.5, "tags": ["a", "é"], "blob": b"\0\1\2", "counts": {"x": 1}},
        {"when": datetime(1, 1, 1, tzinfo=UTC), "seq": -(2**63), "n": 0, "ratio": -1.25,
         "tags": [], "blob": b"", "counts": {}},
    ]  # fmt: skip
    jsonl = codec_for("jsonl", PEER_SCHEMA)
    text = jsonl.encode_many(records)
    src = tmp_path / "dump.bson"
    src.write_bytes(run_node(WRITE_JS, stdin=text))
    schema = tmp_path / "peer.yaml"
    schema.write_text(PEER_YAML)
    out = tmp_path / "back.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "fmtbench", "convert", str(src), str(out), "-s", str(schema)],
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == text  # the same JSON Lines the records make
