"""The writer's test of float lists on their bits (structs/floatbits.py) against the tree
path: every float value, in every position of a list of fixed-size elements, is either
written as the tree path writes it or declined (then the tree path writes it or raises
today's error); the values real data holds are accepted.

The schema below has a list of messages (a float64 and a float32 among a nested message's
float32s, a key longer than 31 bytes) that is not the root's last field and lists of
float64 and float32 numbers, the last of which MessagePack's test reads from the bytes
written; ``mesh`` has its list last."""

from __future__ import annotations

import copy
import math
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtbench.codecs.base import Codec
from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.codecs.msgpack.codec import MsgpackCodec
from fmtbench.codecs.structs.floatbits import compile_bits
from fmtbench.codecs.structs.write import DECLINED, MANY_FLOATS, TypedWriter, compile_writer
from fmtbench.errors import EncodeError
from fmtbench.generate import load_dataset
from fmtbench.schema.loader import parse_schema
from tests.strategies import records
from tests.test_typed_write import TARGETS, reference

CLOUD = parse_schema(
    """
schema: tt.bits
root: Cloud
messages:
  Cloud:
    fields:
      label: string = 1
      points: list<Point> = 2
      weights: list<float64> = 3
      ranks: list<float32> = 4
  Point:
    fields:
      at: Vec = 1
      w: float64 = 2
      a_field_name_longer_than_thirty_one_bytes: float32 = 3
  Vec:
    fields:
      x: float32 = 1
      y: float32 = 2
""",
    "<cloud>",
)

CODECS: dict[str, type[Codec]] = {"json": JsonCodec, "msgpack": MsgpackCodec}


def _f32(x: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


def _double(bits: int) -> float:
    return float(struct.unpack(">d", bits.to_bytes(8, "big"))[0])


#: float32 values the fast path must accept: what float32 data holds, zeros included.
ACCEPTED_F32 = [0.0, -0.0, 1.5, _f32(0.1), -100.25, 1.0 + 2**-23, 2.0**-111, -(2.0**113 - 2**89)]
#: Values at and past every edge of the bit tests, with the tree path's own treatment.
ODD_F32 = [
    0.1,
    1.0 + 2**-24,  # the mantissa's bit 28: the fifth byte
    1.0 + 2**-29,  # bit 23: the sixth byte
    1.0 + 2**-52,  # the last byte
    2.0**-112,  # float32 normals outside the accepted exponents: declined, still written
    2.0**113,
    2.0**-126,
    2.0**-127 * (1 + 2**-23),  # a float32 subnormal holds 22 bits there, not 24
    3.4028234663852886e38,
    3.5e38,
    1e300,
    2.0**-149,  # float32 subnormals, exact and not
    2.0**-130 + 2.0**-149,
    1e-45,
    5e-324,  # doubles a float32 rounds to ±0.0: top byte 0x00 or 0x80, other bytes not zero
    -5e-324,
    2.0**-1010,
    2.0**-1040,
    _double(0x0000_0001_0000_0000),
    _double(0x8000_0000_2000_0000),
    math.nan,
    math.inf,
    -math.inf,
    3,
    2**53 + 1,
    2**64,
    True,
    "1.5",
    None,
]
ODD_F64 = [0.1, -0.0, 5e-324, 1.7976931348623157e308, 2.0**1009, math.nan, math.inf, -math.inf]
ODD_F64 += [3, 2**53 + 1, True, None]


def _cloud(n: int = 2 * MANY_FLOATS) -> dict[str, Any]:
    def point(i: int) -> dict[str, Any]:
        at = {"x": _f32(i / 3), "y": -1.5}
        return {"at": at, "w": i / 7, "a_field_name_longer_than_thirty_one_bytes": 0.25}

    return {
        "label": "c",
        "points": [point(i) for i in range(n)],
        "weights": [i / 9 for i in range(n)],
        "ranks": [_f32(i / 11) for i in range(n)],
    }


#: Where a value goes in a ``_cloud`` record: a float32 or float64 leaf of the first and
#: last elements of each list.
F32_PLACES = [
    ("points", 0, "at", "x"),
    ("points", -1, "at", "y"),
    ("points", -1, "a_field_name_longer_than_thirty_one_bytes"),
    ("ranks", 0),
    ("ranks", -1),
]
F64_PLACES = [("points", 0, "w"), ("points", -1, "w"), ("weights", 0), ("weights", -1)]


def _put(record: dict[str, Any], place: tuple[Any, ...], value: Any) -> None:
    parent: Any = record
    for step in place[:-1]:
        parent = parent[step]
    parent[place[-1]] = value


def _writer(schema: Any, fmt: str) -> Any:
    writer = compile_writer(schema, schema.root, TARGETS[fmt])
    assert writer is not None
    return writer


def _agrees(fmt: str, schema: Any, record: dict[str, Any]) -> bytes | None:
    """The fast path's bytes (None: declined), checked against the tree path's."""
    codec = CODECS[fmt](schema)
    try:
        out = _writer(schema, fmt).encode(record)
    except DECLINED:
        out = None
    ref = reference(codec, record)
    if out is not None:
        assert ref is not EncodeError, f"the fast path wrote what the tree path refuses: {out!r}"
        assert out == ref
    if ref is EncodeError:
        with pytest.raises(EncodeError):
            codec.encode(record)
    else:
        assert codec.encode(record) == ref
    return out


def test_the_lists_are_tested_on_their_bits() -> None:
    for fmt in CODECS:
        writer = TypedWriter(CLOUD, "Cloud", TARGETS[fmt])
        bits = compile_bits(
            CLOUD,
            "Cloud",
            writer._structs,
            finite=TARGETS[fmt].finite_floats,
            msgpack=TARGETS[fmt].msgpack,
        )
        assert bits is not None
        assert bits[0] == ["f1", "f2", "f3"]


@pytest.mark.parametrize("fmt", sorted(CODECS))
@pytest.mark.parametrize("value", ACCEPTED_F32, ids=repr)
@pytest.mark.parametrize("place", F32_PLACES, ids=str)
def test_float32_values_are_accepted(fmt: str, value: float, place: tuple[Any, ...]) -> None:
    record = _cloud()
    _put(record, place, value)
    assert _agrees(fmt, CLOUD, record) is not None


@pytest.mark.parametrize("fmt", sorted(CODECS))
@pytest.mark.parametrize("value", ODD_F32, ids=repr)
@pytest.mark.parametrize("place", F32_PLACES, ids=str)
def test_odd_float32_values_take_the_tree_path(fmt: str, value: Any, place: Any) -> None:
    record = _cloud()
    _put(record, place, value)
    assert _agrees(fmt, CLOUD, record) is None


@pytest.mark.parametrize("fmt", sorted(CODECS))
@pytest.mark.parametrize("value", ODD_F64, ids=repr)
@pytest.mark.parametrize("place", F64_PLACES, ids=str)
def test_float64_values(fmt: str, value: Any, place: tuple[Any, ...]) -> None:
    record = _cloud()
    _put(record, place, value)
    out = _agrees(fmt, CLOUD, record)
    if type(value) is float and fmt == "msgpack":
        assert out is not None  # MessagePack writes any double as the tree path does
    if type(value) is float and math.isfinite(value) and abs(value) < 2.0**1009:
        assert out is not None


@pytest.mark.parametrize("fmt", sorted(CODECS))
@pytest.mark.parametrize("n", [MANY_FLOATS, 15, 16, 65_535, 65_536])
def test_every_list_header(fmt: str, n: int) -> None:
    # The array headers (1, 3 and 5 bytes) put the elements at other offsets.
    record = _cloud(MANY_FLOATS)
    record["ranks"] = [_f32(i / 11) for i in range(n)]
    assert _agrees(fmt, CLOUD, record) is not None
    record["ranks"][n // 2] = 0.1
    assert _agrees(fmt, CLOUD, record) is None


@pytest.mark.parametrize("fmt", sorted(CODECS))
def test_zeros_next_to_values_that_are_not(fmt: str) -> None:
    record = _cloud()
    for i, point in enumerate(record["points"]):
        point["at"]["x"] = -0.0 if i % 2 else 0.0
    assert _agrees(fmt, CLOUD, record) is not None
    record["points"][5]["at"]["x"] = 2.0**-1040
    assert _agrees(fmt, CLOUD, record) is None


@pytest.mark.parametrize("fmt", sorted(CODECS))
@pytest.mark.parametrize("value", [*ACCEPTED_F32, *ODD_F32], ids=repr)
def test_mesh(fmt: str, value: Any) -> None:
    ds = load_dataset("mesh")
    record = next(iter(ds.generator().records(1)))
    while len(record["triangles"]) < 2 * MANY_FLOATS:
        record["triangles"] += copy.deepcopy(record["triangles"])
    assert _agrees(fmt, ds.schema, record) is not None
    record["triangles"][-1]["normal"]["y"] = value
    out = _agrees(fmt, ds.schema, record)
    assert (out is not None) == (value in ACCEPTED_F32 and type(value) is float)


@pytest.mark.parametrize("fmt", sorted(CODECS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_generated_clouds(fmt: str, data: Any) -> None:
    record = data.draw(records(CLOUD))
    _agrees(fmt, CLOUD, record)
