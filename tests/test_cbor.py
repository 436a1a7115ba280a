"""fmtbench's CBOR mapping: the bytes it writes (RFC 8949's deterministic encoding, checked
by an independent reader below), timestamps and durations exact at every precision, float
widths, integer boundaries both ways, and node-cbor (npm ``cbor`` 10) as a peer in both
directions."""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
import struct
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtbench.codecs import Codec, codec_for
from fmtbench.errors import DecodeError, EncodeError
from fmtbench.schema import parse_schema
from fmtbench.schema.model import INT_RANGES, Schema
from fmtbench.values import Timestamp
from tests.peers import node_module, run_node
from tests.samples import assert_same
from tests.strategies import records, schema_named

SCHEMA = """
schema: test.cbor
root: All
enums:
  Colour: [RED, GREEN]
messages:
  All:
    fields:
      i32: int32 = 1
      i64: int64 = 2
      u32: uint32 = 3
      u64: uint64 = 4
      f32: float32 = 5
      f64: float64 = 6
      s: string = 7
      b: bytes = 8
      t: timestamp = 9
      d: duration = 10
      e: Colour = 11
      l: list<int64> = 12
      m: map<int64, string> = 13
      o: optional string = 14
"""


@cache
def schema() -> Schema:
    return parse_schema(SCHEMA)


@cache
def codec(name: str = "All") -> Codec:
    return codec_for("cbor", schema(), name)


def zero(**fields: Any) -> dict[str, Any]:
    record = {
        "i32": 0, "i64": 0, "u32": 0, "u64": 0, "f32": 0.0, "f64": 0.0, "s": "", "b": b"",
        "t": datetime(1970, 1, 1, tzinfo=UTC), "d": timedelta(0), "e": "RED", "l": [], "m": {},
    }  # fmt: skip
    return {**record, **fields}


def raw(data: bytes) -> Any:
    """The item as plain CBOR, every tag kept as a CBORTag (cbor2 decodes some itself)."""

    def keep(tag: int) -> Any:
        return lambda value, immutable: cbor2.CBORTag(tag, value)

    tags = (0, 1, 2, 3, 4, 5, 100, 1001, 1002)
    return cbor2.loads(data, semantic_decoders={t: keep(t) for t in tags})


# -- an independent check of RFC 8949 section 4.2.1 (core deterministic encoding) ----------
def _head(data: bytes, pos: int) -> tuple[int, int, int, int]:
    """(major type, argument, where the item's content starts, additional info)."""
    ib = data[pos]
    major, info = ib >> 5, ib & 0x1F
    assert info < 28, f"indefinite or reserved head {ib:#x} at {pos}"
    if info < 24:
        return major, info, pos + 1, info
    width = 1 << (info - 24)
    arg = int.from_bytes(data[pos + 1 : pos + 1 + width], "big")
    if major != 7:  # the shortest head: an argument needing fewer bytes is a fault
        assert arg >= (24 if width == 1 else 1 << (4 * width)), f"long head at {pos}"
    return major, arg, pos + 1 + width, info


def deterministic_end(data: bytes, pos: int = 0) -> int:
    """Where the item at ``pos`` ends; asserts it is in core deterministic form."""
    major, arg, at, info = _head(data, pos)
    if major in (0, 1):
        return at
    if major in (2, 3):
        return at + arg
    if major == 4:
        for _ in range(arg):
            at = deterministic_end(data, at)
        return at
    if major == 5:
        keys = []
        for _ in range(arg):
            end = deterministic_end(data, at)
            keys.append(data[at:end])
            at = deterministic_end(data, end)
        assert keys == sorted(keys), f"map keys at {pos} not in bytewise order"
        assert len(set(keys)) == len(keys)
        return at
    if major == 6:
        return deterministic_end(data, at)
    if info == 25:
        return at
    if info in (26, 27):  # a wider float only where no narrower one holds it exactly
        fmt = ">f" if info == 26 else ">d"
        value = struct.unpack(fmt, data[at - (4 if info == 26 else 8) : at])[0]
        assert not math.isnan(value), "NaN wider than half"
        narrower = [">e"] if info == 26 else [">e", ">f"]
        for f in narrower:
            with contextlib.suppress(OverflowError):  # too large for it: rightly wider
                assert struct.unpack(f, struct.pack(f, value))[0] != value, f"float at {pos}"
    return at


def assert_deterministic(data: bytes) -> None:
    assert deterministic_end(data) == len(data)


# -- the mapping ------------------------------------------------------------------------------
def test_a_record_as_plain_cbor() -> None:
    record = zero(
        i32=-5, u64=2**64 - 1, f32=1.5, f64=0.1, s="é", b=b"\x00\x01", e="GREEN",
        t=Timestamp(2024, 1, 2, 3, 4, 5, 6, UTC, nanosecond=7), d=timedelta(seconds=-1.5),
        l=[1, -1], m={-1: "a", 24: "b", 0: "c"}, o="x",
    )  # fmt: skip
    data = codec().encode(record)
    assert_deterministic(data)
    tree = raw(data)
    t, d = tree.pop("t"), tree.pop("d")
    assert (t.tag, dict(t.value)) == (1001, {1: 1704164645, -9: 6007})
    assert (d.tag, dict(d.value)) == (1002, {1: -2, -9: 500000000})
    assert tree == {
        "i32": -5, "i64": 0, "u32": 0, "u64": 2**64 - 1, "f32": 1.5, "f64": 0.1, "s": "é",
        "b": b"\x00\x01", "e": "GREEN", "l": [1, -1], "m": {-1: "a", 24: "b", 0: "c"}, "o": "x",
    }  # fmt: skip
    # bytewise key order: 0, 24, then -1 (cbor2's canonical mode puts -1 first)
    m = data[data.index(b"\x61m") + 2 :]
    assert m.startswith(bytes.fromhex("a3 00 6163 1818 6162 20 6161".replace(" ", "")))
    assert_same(codec().decode(data), record)


@pytest.mark.parametrize(
    ("value", "encoding"),
    [(1.5, "f93e00"), (0.0, "f90000"), (-0.0, "f98000"), (65504.0, "f97bff"),
     (struct.unpack("<f", struct.pack("<f", 0.1))[0], "fa3dcccccd"),
     (3.4028234663852886e38, "fa7f7fffff"), (math.inf, "f97c00"), (math.nan, "f97e00")],
)  # fmt: skip
def test_float32_fields_take_half_or_single_when_exact(value: float, encoding: str) -> None:
    data = codec().encode(zero(f32=value))
    assert bytes.fromhex("63663332" + encoding) in data  # "f32" and the float
    assert_same(codec().decode(data)["f32"], value)


@pytest.mark.parametrize(
    ("value", "encoding"),
    [(0.1, "fb3fb999999999999a"), (1.0e300, "fb7e37e43c8800759c"), (100000.0, "fa47c35000"),
     (5.960464477539063e-8, "f90001")],
)  # fmt: skip
def test_float64_fields_take_the_shortest_exact_width(value: float, encoding: str) -> None:
    data = codec().encode(zero(f64=value))
    assert bytes.fromhex("63663634" + encoding) in data
    assert codec().decode(data)["f64"] == value


def test_nan_payloads_become_the_deterministic_nan() -> None:
    odd = struct.unpack(">d", bytes.fromhex("7ff8000000000001"))[0]
    assert bytes.fromhex("63663634f97e00") in codec().encode(zero(f64=odd))


@pytest.mark.parametrize("kind", list(INT_RANGES))
def test_integer_boundaries_both_ways(kind: str) -> None:
    field = {"int32": "i32", "int64": "i64", "uint32": "u32", "uint64": "u64"}[kind]
    lo, hi = INT_RANGES[kind]
    for v in (lo, hi, lo + 1, hi - 1, 0):
        assert codec().decode(codec().encode(zero(**{field: v})))[field] == v
    for v in (lo - 1, hi + 1):
        with pytest.raises(EncodeError, match=f"out of range for {kind}") as info:
            codec().encode(zero(**{field: v}))
        assert info.value.path == field
        if -(2**64) <= v < 2**64:  # what a CBOR integer can hold: written by another writer
            tree = raw(codec().encode(zero()))
            tree[field] = v
            with pytest.raises(DecodeError, match=f"out of range for {kind}") as dinfo:
                codec().decode(cbor2.dumps(tree))
            assert dinfo.value.path == field
    with pytest.raises(DecodeError, match=f"expected {kind}, got float"):
        codec().decode(
            codec()
            .encode(zero())
            .replace(field.encode() + b"\x00", field.encode() + b"\xf9\x00\x00")
        )


YEARS = [1, 1969, 1970, 2024, 9999]
NANOS = [0, 1, 999, 1000, 123456, 1_000_000, 500_000_000, 999_999_999]


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("nanos", NANOS)
def test_timestamps_are_exact_at_every_precision(year: int, nanos: int) -> None:
    t = Timestamp(year, 12 if year == 9999 else 1, 31 if year == 9999 else 1, 23, 59, 59,
                  nanos // 1000, UTC, nanosecond=nanos % 1000)  # fmt: skip
    canonical = t if nanos % 1000 else t.plain()
    data = codec().encode(zero(t=canonical))
    assert_deterministic(data)
    tag = raw(data)["t"]
    seconds = (t.plain() - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)
    if nanos:
        assert (tag.tag, dict(tag.value)) == (1001, {1: seconds, -9: nanos})
    else:
        assert (tag.tag, tag.value) == (1, seconds)
    assert_same(codec().decode(data)["t"], canonical)


@pytest.mark.parametrize(
    ("item", "expected"),
    [("c1fb41d452d9ec200000", datetime(2013, 3, 21, 20, 4, 0, 500000, tzinfo=UTC)),
     ("c1fb41d954fc4007df3b", datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)),  # node-cbor
     ("d903e9a2011a514b67b0221903e7", datetime(2013, 3, 21, 20, 4, 0, 999000, tzinfo=UTC)),
     ("d903e9a2011a514b67b0251903e7", datetime(2013, 3, 21, 20, 4, 0, 999, tzinfo=UTC)),
     ("c13a0000000b", datetime(1969, 12, 31, 23, 59, 48, tzinfo=UTC))],
)  # fmt: skip
def test_timestamps_other_writers_use(item: str, expected: datetime) -> None:
    tree = raw(codec().encode(zero()))
    tree["t"] = cbor2.loads(bytes.fromhex(item), semantic_decoders={1: _tag(1), 1001: _tag(1001)})
    assert codec().decode(cbor2.dumps(tree))["t"] == expected


def _tag(n: int) -> Any:
    return lambda value, immutable: cbor2.CBORTag(n, value)


@pytest.mark.parametrize(
    "nanos", [0, 1, -1, 999_999_999, -999_999_999, 1_500_000_000, -1_500_000_000,
              315_576_000_000 * 10**9 + 999_999_999, -(315_576_000_000 * 10**9 + 999_999_999)],
)  # fmt: skip
def test_durations_are_exact(nanos: int) -> None:
    from fmtbench.values import from_nanoseconds

    d = from_nanoseconds(nanos)
    data = codec().encode(zero(d=d))
    tag = raw(data)["d"]
    seconds, frac = divmod(nanos, 10**9)
    assert (tag.tag, dict(tag.value)) == (1002, {1: seconds, -9: frac} if frac else {1: seconds})
    assert_same(codec().decode(data)["d"], d)


# -- determinism --------------------------------------------------------------------------------
def _shuffled(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        items = [(k, _shuffled(v, rnd)) for k, v in value.items()]
        rnd.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [_shuffled(v, rnd) for v in value]
    return value


@pytest.mark.parametrize("name", ["order", "sensor", "union", "time", "tree"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_same_record_same_bytes_in_deterministic_form(name: str, data: st.DataObject) -> None:
    s = schema_named(name)
    c = codec_for("cbor", s)
    record = data.draw(records(s), label="record")
    encoded = c.encode(record)
    assert_deterministic(encoded)
    seed = data.draw(st.integers(0, 2**32), label="seed")
    assert c.encode(_shuffled(record, random.Random(seed))) == encoded
    assert_same(c.decode(encoded), record)


def test_a_sequence_is_read_a_chunk_at_a_time() -> None:
    c = codec()
    recs = [zero(i64=i, b=bytes(i * 1000)) for i in range(300)]  # 45 MB, read in pieces
    data = c.encode_many(recs)

    reads: list[int] = []

    class Trickle(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            reads.append(-1 if n is None else n)
            return super().read(n)

    src = Trickle(data)
    assert c.decode_many(data) == recs
    assert list(c.reader(src)) == recs
    assert max(reads) < len(data)  # never the whole file at once
    assert len(reads) > 3
    with pytest.raises(DecodeError, match="truncated CBOR"):
        list(c.reader(io.BytesIO(data[:-1])))
    with pytest.raises(DecodeError, match="the input is empty"):
        list(c.reader(io.BytesIO(b"")))


# -- node-cbor as a peer ----------------------------------------------------------------------
_JSONABLE_JS = r"""
const cbor = require('cbor');
function j(x) {
  if (x instanceof Date) return {$tag: 1, value: x.getTime() / 1000};
  if (Buffer.isBuffer(x)) return {$bytes: x.toString('hex')};
  if (x instanceof cbor.Tagged) return {$tag: x.tag, value: j(x.value)};
  if (x instanceof Map) return {$map: [...x.entries()].map(([k, v]) => [j(k), j(v)])};
  if (Array.isArray(x)) return x.map(j);
  if (typeof x === 'bigint') return {$int: x.toString()};
  if (typeof x === 'number') {
    if (Number.isNaN(x)) return 'NaN';
    if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
    if (Object.is(x, -0)) return '-0';
    if (Number.isInteger(x) && !Number.isSafeInteger(x)) return {$int: BigInt(x).toString()};
  }
  return x;
}
"""


def jsonable(x: Any) -> Any:
    """The tree fmtbench hands cbor2, as the node script spells what node-cbor decodes."""
    if isinstance(x, cbor2.CBORTag):
        return {"$tag": x.tag, "value": jsonable(x.value)}
    if isinstance(x, dict):
        return {"$map": sorted(([jsonable(k), jsonable(v)] for k, v in x.items()), key=json.dumps)}
    if isinstance(x, list):
        return [jsonable(v) for v in x]
    if isinstance(x, bytes):
        return {"$bytes": x.hex()}
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Inf" if x > 0 else "-Inf"
        if x == 0 and math.copysign(1, x) < 0:
            return "-0"
        if x.is_integer() and abs(x) > 2**53 - 1:  # as JavaScript tells it from a safe one
            return {"$int": str(int(x))}
        return x
    if isinstance(x, int) and not isinstance(x, bool) and abs(x) > 2**53 - 1:
        return {"$int": str(x)}
    return x


def _sorted_maps(x: Any) -> Any:
    if isinstance(x, dict) and "$map" in x:
        return {
            "$map": sorted(
                ([_sorted_maps(k), _sorted_maps(v)] for k, v in x["$map"]), key=json.dumps
            )
        }
    if isinstance(x, dict):
        return {k: _sorted_maps(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_sorted_maps(v) for v in x]
    return x


@pytest.mark.parametrize("name", ["order", "sensor", "union", "time"])
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_node_cbor_decodes_fmtbench_cbor_to_the_same_values(name: str, data: st.DataObject) -> None:
    node_module("cbor")
    s = schema_named(name)
    c = codec_for("cbor", s)
    recs = data.draw(st.lists(records(s), min_size=1, max_size=4), label="records")
    script = (
        _JSONABLE_JS
        + r"""
const chunks = [];
process.stdin.on('data', c => chunks.push(c));
process.stdin.on('end', () => {
  const items = cbor.decodeAllSync(Buffer.concat(chunks), {preferMap: true});
  process.stdout.write(JSON.stringify(items.map(j)));
});
"""
    )
    out = json.loads(run_node(script, stdin=c.encode_many(recs)))
    expected = [jsonable(c.tree(r)) for r in recs]  # type: ignore[attr-defined]
    # node-cbor makes tag 1 a Date (milliseconds): integer seconds come back the same
    assert _sorted_maps(out) == _sorted_maps(json.loads(json.dumps(expected)))


def test_fmtbench_reads_what_node_cbor_wrote(tmp_path: Any) -> None:
    from fmtbench.cli import main

    node_module("cbor")
    script = r"""
const cbor = require('cbor');
const recs = [
  {i32: -5, i64: 9007199254740991, u32: 4294967295, u64: 0, f32: 1.5, f64: 0.1, s: 'h\u00e9',
   b: Buffer.from([0, 1, 255]), t: new Date(1700000000123), d: new cbor.Tagged(1002, new Map([[1, -2], [-9, 500000000]])),
   e: 'GREEN', l: [1, -1, 2], m: new Map([[-1, 'a'], [24, 'b']]), o: 'x'},
  {i32: 0, i64: -9007199254740991, u32: 0, u64: 4294967296, f32: -0, f64: -1e300, s: '',
   b: Buffer.alloc(0), t: new Date(-62135596800000), d: new cbor.Tagged(1002, new Map([[1, 0]])),
   e: 'RED', l: [], m: new Map()},
];
process.stdout.write(Buffer.concat(recs.map(r => cbor.encode(r))));
"""
    src = tmp_path / "node.cbor"
    src.write_bytes(run_node(script))
    schema_file = tmp_path / "all.yaml"
    schema_file.write_text(SCHEMA)
    out = tmp_path / "node.jsonl"
    assert main(["convert", str(src), str(out), "--schema", str(schema_file)]) == 0
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert got == [
        {"i32": -5, "i64": 9007199254740991, "u32": 4294967295, "u64": 0, "f32": 1.5, "f64": 0.1,
         "s": "hé", "b": "AAH/", "t": "2023-11-14T22:13:20.123000Z", "d": "-1.500s", "e": "GREEN",
         "l": [1, -1, 2], "m": {"-1": "a", "24": "b"}, "o": "x"},
        {"i32": 0, "i64": -9007199254740991, "u32": 0, "u64": 4294967296, "f32": -0.0,
         "f64": -1e300, "s": "", "b": "", "t": "0001-01-01T00:00:00Z", "d": "0s", "e": "RED",
         "l": [], "m": {}},
    ]  # fmt: skip


# -- bench, explain and schema infer ------------------------------------------------------------
@pytest.mark.parametrize("dataset", ["log", "order"])
def test_the_native_step_does_the_codecs_work(dataset: str) -> None:
    from fmtbench.codecs import FORMATS
    from fmtbench.generate import load_dataset

    ds = load_dataset(dataset)
    recs = list(ds.generator().records(50))
    c = codec_for("cbor", ds.schema, ds.type_name)
    native = FORMATS["cbor"].native_adapter()
    assert native is not None
    step = native.step(c, recs)
    assert step.verify([c.encode(r) for r in recs]) is None


def test_the_sample_reader_sees_timestamps_and_refuses_other_tags() -> None:
    from fmtbench.codecs import FORMATS
    from fmtbench.errors import DecodeError as Malformed

    reader = FORMATS["cbor"].sample_reader()
    assert reader is not None
    data = codec().encode_many([zero(t=Timestamp(2024, 1, 1, 0, 0, 0, 1, UTC, nanosecond=2))])
    (tree,) = reader.read(data, False)
    assert (tree["t"].seconds, tree["t"].nanoseconds) == (1704067200, 1002)
    with pytest.raises(Malformed, match="truncated"):
        list(reader.read(data[:-1], False))


def test_explain_counts_heads_as_overhead() -> None:
    from fmtbench.codecs import FORMATS

    rules = FORMATS["cbor"].explain_rules()
    assert rules is not None
    fields = {x.name: x for x in schema().message("All").fields}
    f = fields["s"]
    alone = cbor2.dumps({"s": "hello"})
    assert rules.payload(f, "hello", alone) == 5  # the text; its head is overhead
    alone = cbor2.dumps({"t": cbor2.CBORTag(1001, {1: 1_700_000_000, -9: 5})}, canonical=True)
    assert rules.payload(fields["t"], None, alone) == 1 + 4 + 1 + 1  # keys 1, -9, s, ns


# -- decimal(p, s): tag 4 -------------------------------------------------------------------
DECIMALS = parse_schema(
    """
schema: cbor.money
messages:
  Price:
    fields:
      amount: decimal(76, 10) = 1
      small: decimal(5, 2) = 2
"""
)


def price(**fields: Any) -> dict[str, Any]:
    from decimal import Decimal

    return {"amount": Decimal("0E-10"), "small": Decimal("0.00"), **fields}


def test_a_decimal_is_a_tag_4_with_the_field_s_scale_as_its_exponent() -> None:
    from decimal import Decimal

    c = codec_for("cbor", DECIMALS)
    data = c.encode(price(small=Decimal("-12.5")))
    assert bytes.fromhex("c482213904e1") in data  # 4([-2, -1250])
    assert cbor2.loads(data)["small"] == Decimal("-12.50")  # cbor2's own tag 4 agrees
    assert c.decode(data)["small"] == Decimal("-12.50")
    assert_deterministic(data)
    huge = Decimal("-" + "9" * 66 + "." + "9" * 10)  # 76 digits: a bignum mantissa (tag 3)
    data = c.encode(price(amount=huge))
    assert bytes.fromhex("c48229c3") in data  # 4([-10, 3(bignum)])
    assert cbor2.loads(data)["amount"] == huge
    assert c.decode(data)["amount"] == huge


@pytest.mark.parametrize(
    ("pair", "value"),
    [([-1, 125], "12.50"), ([0, 7], "7.00"), ([-4, 12500], "1.25"), ([1, 3], "30.00")],
)
def test_other_writers_exponents_are_read_when_exact(pair: list[int], value: str) -> None:
    from decimal import Decimal

    data = cbor2.dumps({"amount": cbor2.CBORTag(4, [0, 0]), "small": cbor2.CBORTag(4, pair)})
    assert codec_for("cbor", DECIMALS).decode(data)["small"] == Decimal(value)


@pytest.mark.parametrize(
    ("small", "message"),
    [
        (cbor2.CBORTag(4, [-3, 12345]), "more than 2 digits after the point"),
        (cbor2.CBORTag(4, [3, 12345]), "more than 3 digits before the point"),
        (cbor2.CBORTag(4, [-(10**9), 1]), "exponent must be an integer within"),
        (cbor2.CBORTag(4, [0, cbor2.CBORTag(2, b"\x01" * 33)]), "at most 32 bytes"),
        (cbor2.CBORTag(4, [0, 1.5]), "mantissa must be an integer"),
        (cbor2.CBORTag(4, [0]), "must hold [exponent, mantissa]"),
        (cbor2.CBORTag(5, [0, 1]), "expected a decimal fraction (tag 4)"),
        ("12.50", "expected a decimal fraction (tag 4)"),
    ],
)
def test_a_decimal_that_does_not_fit_is_refused_naming_the_field(small: Any, message: str) -> None:
    data = cbor2.dumps({"amount": cbor2.CBORTag(4, [0, 0]), "small": small})
    with pytest.raises(DecodeError, match=r"small") as info:
        codec_for("cbor", DECIMALS).decode(data)
    assert message in str(info.value)
