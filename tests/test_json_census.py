"""The counted JSON path (json/census.py): its float proof against a value-by-value reference,
its string count against the input's quotes, and its records against today's path on float
spellings aimed at it (integers a double rounds, zeros, values outside float32's range).

test_json_exact.py drives the same decoder (exact_decoder tries the counted path first) with
hostile mutations, duplicate and unknown keys and keys out of schema order."""

from __future__ import annotations

import contextlib
import math
import struct
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs.json.census import _f32_ok, _f64_ok, compile_census
from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.codecs.json.exact import _counted, compile_exact, exact_decoder
from fmtbench.codecs.json.typed import REJECTED
from fmtbench.errors import FmtbenchError
from fmtbench.generate import load_dataset
from fmtbench.limits import Limits
from fmtbench.schema.loader import parse_schema
from tests.samples import tree_paths
from tests.strategies import SCHEMAS, records, schema_named
from tests.test_json_exact import WRITTEN_BACK, _declined, _walked, check
from tests.test_json_typed import HOSTILE, KEYS, _get, set_at

_F32 = struct.Struct("<f")


def _is_f32(x: float) -> bool:
    try:
        return float(_F32.unpack(_F32.pack(x))[0]) == x
    except OverflowError:
        return False


# Every edge of the byte test: zeros, subnormals, the float32 exponent range and the 2**49
# and 2**53 bounds, with and without low mantissa bits.
EDGES = [
    0.0,
    -0.0,
    1.0,
    -1.5,
    0.1,
    _F32.unpack(_F32.pack(0.1))[0],
    2.0**-149,
    2.0**-126,
    2.0**-112,
    2.0**-111,
    2.0**-111 * 1.5,
    2.0**48,
    2.0**49 - 2.0**25,
    2.0**49,
    2.0**53,
    2.0**53 + 2,
    2.0**60,
    3.4028234663852886e38,
    3.4028235677973366e38,
    1e39,
    5e-324,
    1e300,
    -(2.0**40) - 1,
]


@pytest.mark.parametrize("x", EDGES)
def test_the_float_proof_at_its_edges(x: float) -> None:
    for xs in ([x], [1.0, x, -2.5], [x] * 3):
        assert _f32_ok(xs) == all(_is_f32(v) and abs(v) < 2.0**53 for v in xs), xs
        assert _f64_ok(xs) == all(abs(v) < 2.0**53 for v in xs), xs


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_the_float_proof_on_any_doubles(xs: list[float]) -> None:
    assert _f32_ok(xs) == all(_is_f32(v) and abs(v) < 2.0**53 for v in xs)
    assert _f64_ok(xs) == all(abs(v) < 2.0**53 for v in xs)


@given(st.lists(st.floats(-(2.0**52), 2.0**52, width=32), min_size=1))
def test_float32_values_pass(xs: list[float]) -> None:
    """Below 2**53 (past it an integer literal may have been rounded), every float32."""
    assert _f32_ok(xs)


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_census_counts_the_quotes(name: str) -> None:
    """fmtbench's own text holds one string per key and text leaf of the record, so the
    census of a record read from it is half the quotes (where the schema has a census)."""
    schema = schema_named(name)
    codec = JsonCodec(schema)
    census = compile_census(schema, codec.message.name)
    if census is None:
        return
    exact = compile_exact(schema, codec.message.name)

    @given(rec=records(schema))
    def prop(rec: dict[str, Any]) -> None:
        data = codec.encode(rec)
        if b"\\" in data:
            return
        try:
            strings, _ = census(msgspec.to_builtins(exact._one.decode(data)))
        except REJECTED:
            return  # beyond what msgspec reads here, or a float the bytes do not prove
        assert 2 * strings == data.count(b'"')

    prop()


def _outcome(decode: Any, data: bytes) -> str:
    try:
        return repr(decode(data))
    except FmtbenchError as exc:
        return f"{type(exc).__name__}: {exc}"


# Integer literals a double rounds (2**53 + 1, 2**60 + 1), one past float32's range, zeros.
NUMBERS = [b"9007199254740993", b"1152921504606846977", b"16777217", b"0", b"-0.0", b"1e39"]
NUMBERS += [b"3.4028235677973366e38", b"1.401298464324817e-45", b"0.1", b"2", b"1e2"]


@pytest.mark.parametrize("number", NUMBERS)
def test_float_spellings_read_as_today(number: bytes) -> None:
    ds = load_dataset("mesh")
    codec = JsonCodec(ds.schema, ds.type_name)
    data = codec.encode(next(iter(ds.generator().records(1))))
    first = data.index(b'"x":') + 4
    end = data.index(b",", first)
    mutated = data[:first] + number + data[end:]
    assert _outcome(codec.decode, mutated) == _outcome(lambda d: codec._decode_slow(d, 0), mutated)
    fast = exact_decoder(compile_exact(ds.schema, ds.type_name), _declined, 1 << 30)
    try:
        got = fast(mutated)
    except Exception:
        return  # handed on: today's path decides
    assert repr(got) == repr(codec._decode_slow(mutated, 0))
    assert not math.isnan(got["triangles"][0]["v1"]["x"])


# Every shape the census counts: optional and required text, enums, lists and maps of text,
# floats of both widths single, in lists and in maps, messages single, listed and mapped,
# recursion, and plain leaves (uint64 among them).
COUNTED = parse_schema(
    """
schema: test.counted
root: Shape
enums:
  Kind: [NONE, A, B]
messages:
  Shape:
    fields:
      name: string = 1
      label: optional string = 2
      kind: Kind = 3
      tags: list<string> = 4
      notes: map<string, string> = 5
      size: float32 = 6
      weight: optional float64 = 7
      xs: list<float32> = 8
      ys: map<string, float64> = 9
      at: Point = 10
      extra: optional Point = 11
      points: list<Point> = 12
      named: map<string, Point> = 13
      children: list<Shape> = 14
      parent: optional Shape = 15
      id: uint64 = 16
      on: optional bool = 17
      kinds: list<Kind> = 18
  Point:
    fields:
      x: float32 = 1
      y: float32 = 2
      z: optional float32 = 3
""",
    "<counted>",
)


def test_the_counted_schema_has_a_census() -> None:
    assert compile_census(COUNTED, "Shape") is not None


# All fields required and recursive: read straight into dicts (typed_dicts), whose key
# order the census proves.
ORDERED = parse_schema(
    """
schema: test.ordered
root: Node
enums:
  Kind: [NONE, A, B]
messages:
  Node:
    fields:
      id: uint64 = 1
      name: string = 2
      kind: Kind = 3
      attributes: map<string, string> = 4
      children: list<Node> = 5
      at: Point = 6
      weights: map<string, float64> = 7
      named: map<string, Node> = 8
  Point:
    fields:
      x: float32 = 1
      y: float64 = 2
      tags: list<string> = 3
""",
    "<ordered>",
)


def test_the_ordered_schema_reads_dicts() -> None:
    assert compile_census(ORDERED, "Node", ordered=True) is not None
    assert compile_census(COUNTED, "Shape", ordered=True) is None  # optional fields


@pytest.mark.parametrize("drop", [False, True])
@pytest.mark.parametrize(("schema", "root"), [(COUNTED, "Shape"), (ORDERED, "Node")])
def test_the_counted_path_agrees_with_todays(schema: Any, root: str, drop: bool) -> None:
    codec = JsonCodec(schema, drop_unknown=drop)
    fast = exact_decoder(compile_exact(schema, root, drop_unknown=drop), _declined, 1 << 30)
    census = compile_census(schema, root)
    assert census is not None
    hostile = HOSTILE + WRITTEN_BACK + [2**53 + 1, 2**60 + 1, 16777217, -0.0, 1e39, 1e-46]

    @given(rec=records(schema), rnd=st.randoms(use_true_random=False))
    def prop(rec: dict[str, Any], rnd: Any) -> None:
        data = codec.encode(rec)
        check(codec, fast, data)
        # fmtbench's own text: the census counts its quotes, but for a float written as a
        # string ("NaN", "Infinity"), which it reads as a float (that record is declined).
        if b"\\" not in data and b'NaN"' not in data and b'Infinity"' not in data:
            with contextlib.suppress(*REJECTED):
                assert 2 * census(codec.decode(data))[0] == data.count(b'"')
        tree = orjson.loads(data)
        paths = list(tree_paths(tree))
        for _ in range(8):
            t = orjson.loads(data)
            roll = rnd.random()
            if paths and roll < 0.6:
                try:
                    set_at(t, rnd.choice(paths), rnd.choice(hostile))
                except (KeyError, IndexError, TypeError):
                    continue
            elif roll < 0.9:
                dicts = [p for p in paths if isinstance(_get(t, p), dict)]
                if not dicts:
                    continue
                path = rnd.choice(dicts)
                d = _get(t, path)
                if roll < 0.75:
                    d[rnd.choice(KEYS)] = next(iter(d.values()), rnd.choice(hostile))
                elif path:  # a nested object's keys out of schema order
                    set_at(t, path, dict(reversed(list(d.items()))))
                else:
                    t = dict(reversed(list(t.items())))
            else:
                t["unknown_" + str(rnd.randint(0, 3))] = rnd.choice(hostile)
            try:
                mutated = orjson.dumps(t)
            except TypeError:
                continue
            check(codec, fast, mutated)
        # A duplicate key in a nested object: the first key of the first object inside.
        inner = data.find(b"{", 1)
        if inner > 0:
            colon = data.index(b":", inner)
            end = data.find(b",", colon)
            close = data.find(b"}", colon)
            if 0 < end < close:
                pair = data[inner + 1 : end + 1]
                check(codec, fast, data[: inner + 1] + pair + data[inner + 1 :])

    prop()


@pytest.mark.parametrize("dataset", ["mesh", "tree"])
def test_the_datasets_take_the_counted_path(dataset: str) -> None:
    """fmtbench's own output is what the path exists for: it must take it, and count its
    quotes exactly (speed only, but a census that declined everything would pass above)."""
    ds = load_dataset(dataset)
    codec = JsonCodec(ds.schema, ds.type_name)
    exact = compile_exact(ds.schema, ds.type_name)
    census = compile_census(ds.schema, ds.type_name)
    assert census is not None
    one, to_builtins = exact._one.decode, msgspec.to_builtins
    fast = _counted(lambda d: to_builtins(one(d)), census, _declined, 1 << 30, exact, None)
    for rec in ds.generator().records(30):
        data = codec.encode(rec)
        assert 2 * census(msgspec.to_builtins(exact._one.decode(data)))[0] == data.count(b'"')
        assert repr(fast(data)) == repr(codec._decode_slow(data, 0))


@pytest.mark.parametrize("max_depth", [2, 3, 5])
def test_the_counted_depth_agrees_with_the_depth_check(max_depth: int) -> None:
    writer = JsonCodec(ORDERED)
    codec = JsonCodec(ORDERED, limits=Limits(max_depth=max_depth))
    reference = _walked(codec)

    @given(rec=records(ORDERED))
    def prop(rec: dict[str, Any]) -> None:
        data = writer.encode(rec)
        assert _outcome(codec.decode, data) == _outcome(reference, data)

    prop()
