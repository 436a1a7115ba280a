"""``convert`` json -> protobuf of a batch message straight from the text (json/to_protobuf.py),
in one process and in two halves, against the usual route (the records, then the Protobuf
writer): the same bytes, or the same error naming the same record and field, on valid batches
and on the same text with values swapped for odd ones, keys dropped, repeated, renamed or
unknown, escapes and noise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench import halves
from fmtbench.codecs.json.codec import JsonCodec
from fmtbench.codecs.json.to_protobuf import compile_route
from fmtbench.codecs.protobuf.codec import ProtobufCodec
from fmtbench.codecs.protobuf.shadow import stamp_bytes
from fmtbench.convert import convert
from fmtbench.errors import FmtbenchError
from fmtbench.generate import load_dataset
from fmtbench.halves import Pieces
from fmtbench.limits import Limits
from fmtbench.schema.loader import parse_schema
from fmtbench.schema.model import Schema
from tests.strategies import records
from tests.test_halves import _split_here
from tests.test_protojson_to_protobuf import KINDS_YAML, mutate, plain, run

# Every kind the direct path reads (structs/direct.py: timestamps and bytes at the item's
# top), plain, optional and listed, with nested messages, as the items of a batch.
BATCH_YAML = """
schema: test.items
root: Batch
messages:
  Batch:
    fields:
      items: list<All> = 1
  All:
    fields:
      b: bool = 1
      i32: int32 = 2
      s32: sint32 = 3
      u32: uint32 = 4
      i64: int64 = 5
      f64b: fixed64 = 6
      u64: uint64 = 7
      f32: float32 = 8
      f64: float64 = 9
      text: string = 10
      raw: bytes = 11
      at: timestamp = 12
      o_i64: optional int64 = 14
      o_at: optional timestamp = 15
      o_f64: optional float64 = 16
      o_text: optional string = 17
      l_i64: list<int64> = 19
      l_f32: list<float32> = 20
      l_text: list<string> = 22
      inner: Inner = 25
      o_inner: optional Inner = 26
      l_inner: list<Inner> = 27
      snake_case_name: uint64 = 28
  Inner:
    fields:
      n: sint64 = 2
      x: float64 = 3
      deeps: list<Deep> = 4
  Deep:
    fields:
      x: float64 = 1
      f: float32 = 2
"""

LOG = (Path(__file__).parent.parent / "fmtbench/schemas/log.yaml").read_text()
LOG_BATCH = LOG.replace("root: AccessEvent", "root: Batch").replace(
    "messages:\n", "messages:\n  Batch:\n    fields:\n      events: list<AccessEvent> = 1\n", 1
)


@cache
def schema(name: str = "kinds") -> Schema:
    return parse_schema(BATCH_YAML if name == "kinds" else LOG_BATCH, f"<{name}>")


def joined(pieces: Pieces | None) -> bytes | None:
    return None if pieces is None else b"".join(pieces)


def test_the_route_is_taken_where_it_applies() -> None:
    js, pb = JsonCodec(schema("log")), ProtobufCodec(schema("log"))
    events = list(load_dataset("log").generator().records(50))
    text = js.encode({"events": events})
    assert joined(js.to_protobuf(text, pb)) == pb.encode({"events": events})
    # Not for a root with more than its list, nor for items with enums.
    for yaml in [KINDS_YAML, LOG]:
        other = parse_schema(yaml, "<other>")
        assert JsonCodec(other).to_protobuf(b"{}", ProtobufCodec(other)) is None


def test_every_kind_takes_the_route() -> None:
    js, pb = JsonCodec(schema()), ProtobufCodec(schema())
    item = {
        "b": True, "i32": -5, "s32": -(2**31), "u32": 2**32 - 1, "i64": -(2**63),
        "f64b": 2**64 - 1, "u64": 2**64 - 1, "f32": 0.5, "f64": -1.25e300, "text": "é \u2028",
        "raw": b"\x00\xff", "at": datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC),
        "o_i64": 0, "o_at": datetime(1, 1, 1, tzinfo=UTC), "o_text": "",
        "l_i64": [1, -1], "l_f32": [1.5, -0.0], "l_text": ["a", ""],
        "inner": {"n": -7, "x": 2.5, "deeps": [{"x": 1.0, "f": 0.25}]},
        "l_inner": [{"n": 1, "x": 0.0, "deeps": []}], "snake_case_name": 3,
    }  # fmt: skip
    # Timestamps of every shape (protobuf/shadow.py): the epoch, seconds or nanos zero,
    # before 1970.
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    odd = [
        dict(item, at=epoch, o_at=epoch - timedelta(microseconds=1)),
        dict(item, at=epoch + timedelta(microseconds=1), o_at=epoch - timedelta(seconds=1)),
    ]
    batch = {"items": [item, dict(item, text="second"), *odd, item]}
    text = js.encode(batch)
    assert joined(js.to_protobuf(text, pb)) == pb.encode(batch)
    # The items' timestamps go to upb as their bytes.
    route = compile_route(js, pb)
    assert route is not None
    assert route.stamps is stamp_bytes
    with _split_here() as forks:
        assert run(js, pb, text, straight=True) == ("ok", pb.encode(batch))
    assert forks


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_straight_from_the_text_writes_what_the_records_would(data: Any) -> None:
    js, pb = JsonCodec(schema()), ProtobufCodec(schema())
    items = data.draw(st.lists(records(schema(), "All"), min_size=0, max_size=5))
    valid = js.encode({"items": items})
    texts = [valid, plain(valid)]
    texts += [mutate(texts[1], data.draw) for _ in range(3)]
    for text in texts:
        usual = run(js, pb, text, straight=False)
        with halves.sharing(1, 1 << 40):
            assert run(js, pb, text, straight=True) == usual
        with _split_here():
            assert run(js, pb, text, straight=True) == usual


def test_too_many_values_are_counted_by_the_usual_route() -> None:
    limits = Limits(max_record_values=20)
    js, pb = JsonCodec(schema("log"), limits=limits), ProtobufCodec(schema("log"), limits=limits)
    text = JsonCodec(schema("log")).encode(
        {"events": list(load_dataset("log").generator().records(3))}
    )
    assert js.to_protobuf(text, pb) is None
    assert run(js, pb, text, straight=True) == run(js, pb, text, straight=False)
    assert run(js, pb, text, straight=True)[0] == "error"


@pytest.mark.parametrize(
    "text",
    [
        b'{"items":[{"i32":1},{"i32":2}],"items":[{"i32":3},{"i32":4}]}',
        b'{"items":[{"i32":1},{"i32":2},{"i32":3,"i32":4}]}',
        b'{"items":[{"i32":1},{"i32":2},{"i32":"x"}]}',
        b'{"items":[{"i32":1},{"i32":2},{"nope":1}]}',
        b'{"items":null}',
        b'{"items":[]}',
        b"{}",
        b' \n {"items":[{"text":"a\\"},{\\"b"},{"i32":2}]} ',
        b'[{"items":[{"i32":1},{"i32":2}]}]',
    ],
)
def test_odd_batches_get_the_usual_answer(text: bytes) -> None:
    js, pb = JsonCodec(schema()), ProtobufCodec(schema())
    usual = run(js, pb, text, straight=False)
    with _split_here():
        assert run(js, pb, text, straight=True) == usual


def test_an_error_names_the_file_and_record(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    src.write_bytes(b'{"items": [{"i64": 1}, {"i64": 1.5}]}')
    with pytest.raises(FmtbenchError, match=r"items\[1\]\.i64") as info:
        convert(str(src), str(tmp_path / "out.binpb"), schema())
    assert str(src) in str(info.value)
    assert not (tmp_path / "out.binpb").exists()
