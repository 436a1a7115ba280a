"""Every part of issue 13's schema language in one message: the parts must compose.

A oneof beside required fields (an edition 2023 file), a duration and a nanosecond
timestamp as oneof members, a wrapper field, an enum alias and packed ``sint64`` lists:
protoc compiles the exported ``.proto`` to fmtbench's own descriptor, the bytes are those of
the classes protoc generates from it, and every format carries every value.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fmtbench import Duration, Timestamp
from fmtbench.codecs import FORMATS, codec_for
from fmtbench.errors import FmtbenchError
from fmtbench.schema import parse_schema
from fmtbench.schema.proto import proto_text
from tests.samples import assert_same
from tests.test_proto_compiler import assert_protoc_agrees, generated_module

MIX = parse_schema(
    """
schema: t.mix
root: R
enums:
  E: {values: {ZERO: 0, ONE: 1, UNO: 1}, allow_alias: true}
messages:
  R:
    fields:
      id: required int64 = 1
      name: {type: string, tag: 2, optional: true, default: "n/a"}
      when:
        oneof:
          at: timestamp = 3
          after: duration = 4
          count: sint64 = 5
          kind: E = 6
          inner: R = 7
      plain: int32 = 8
      box: {type: int64, tag: 9, optional: true, wrapper: true}
      spans: list<duration> = 10
      deltas: {type: list<sint64>, tag: 11, packed: true}
      e: E = 12
"""
)


def _records() -> list[dict[str, Any]]:
    base: dict[str, Any] = {"id": 0, "plain": 0, "spans": [], "deltas": [], "e": "ZERO"}
    ns = Timestamp.from_parts(-62135596800, 1)  # 0001-01-01T00:00:00.000000001Z
    return [
        base,
        {**base, "at": ns, "box": 0, "name": ""},
        {**base, "at": datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)},
        {**base, "after": Duration.from_parts(-315_576_000_000, -999_999_999)},
        {**base, "after": timedelta(0), "spans": [timedelta(seconds=-1, microseconds=500000)]},
        {**base, "count": -(2**63), "deltas": [2**63 - 1, -(2**63), 0], "box": -(2**63)},
        {**base, "kind": "ONE", "e": "ONE", "id": 2**63 - 1},
        {**base, "inner": {**base, "id": 5, "count": 0}},
    ]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("protoc")
    return generated_module(MIX, root)


def _built(module: Any, record: dict[str, Any]) -> Any:
    """The same values through protoc's generated class."""
    from google.protobuf import duration_pb2, timestamp_pb2, wrappers_pb2

    def ts(v: datetime) -> Any:
        seconds, nanos = Timestamp.parts(v) if isinstance(v, Timestamp) else _parts(v)
        return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)

    def du(v: timedelta) -> Any:
        seconds, nanos = Duration.parts(v) if isinstance(v, Duration) else _dparts(v)
        return duration_pb2.Duration(seconds=seconds, nanos=nanos)

    enum = {"ZERO": 0, "ONE": 1, "UNO": 1}
    kw: dict[str, Any] = {
        "id": record["id"],
        "plain": record["plain"],
        "spans": [du(v) for v in record["spans"]],
        "deltas": record["deltas"],
        "e": enum[record["e"]],
    }
    if "name" in record:
        kw["name"] = record["name"]
    if "box" in record:
        kw["box"] = wrappers_pb2.Int64Value(value=record["box"])
    for key, conv in (("at", ts), ("after", du), ("count", int), ("kind", enum.__getitem__)):
        if key in record:
            kw[key] = conv(record[key])
    if "inner" in record:
        kw["inner"] = _built(module, record["inner"])
    return module.R(**kw)


def _parts(v: datetime) -> tuple[int, int]:
    delta = v - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86400 + delta.seconds, delta.microseconds * 1000


def _dparts(v: timedelta) -> tuple[int, int]:
    micros = (v.days * 86400 + v.seconds) * 1_000_000 + v.microseconds
    sign = -1 if micros < 0 else 1
    seconds, rest = divmod(abs(micros), 1_000_000)
    return sign * seconds, sign * rest * 1000


def test_protoc_compiles_the_export_to_our_descriptor(tmp_path: Path) -> None:
    assert_protoc_agrees(MIX, tmp_path)
    text = proto_text(MIX)
    assert 'edition = "2023";' in text
    assert "  oneof when {" in text


@pytest.mark.parametrize("index", range(len(_records())))
def test_bytes_are_protoc_generated_codes(generated: Any, index: int) -> None:
    record = _records()[index]
    theirs = _built(generated, record).SerializeToString(deterministic=True)
    codec = codec_for("protobuf", MIX)
    assert codec.encode(record) == theirs
    assert_same(codec.decode(theirs), record)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_carries_every_value(fmt: str) -> None:
    codec = codec_for(fmt, MIX)
    records = _records()
    for record in records:
        assert_same(codec.decode(codec.encode(record)), record)
    if fmt != "protobuf":  # a file of one message
        assert_same(list(codec.reader(io.BytesIO(codec.encode_many(records)))), records)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_rules_still_hold_together(fmt: str) -> None:
    codec = codec_for(fmt, MIX)
    base = _records()[0]
    for bad in (
        {k: v for k, v in base.items() if k != "id"},  # required missing
        {**base, "count": 1, "kind": "ONE"},  # two members
        {**base, "after": Duration.from_parts(315_576_000_001, 0)},  # out of range
    ):
        with pytest.raises(FmtbenchError):
            codec.encode(bad)


def test_an_alias_reads_as_the_first_name() -> None:
    for fmt in sorted(FORMATS):
        codec = codec_for(fmt, MIX)
        base = _records()[0]
        assert codec.decode(codec.encode({**base, "e": "UNO"}))["e"] == "ONE"
