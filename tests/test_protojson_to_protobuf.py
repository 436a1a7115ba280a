"""``convert`` protojson -> protobuf straight from the text (protojson/to_protobuf.py) against
the usual route (the parsed tree, the canonical record, then the Protobuf writer): the same
bytes, or the same error naming the same record and field, on valid messages and on the same
text with values swapped for odd ones (nulls, numbers as text, other timestamp spellings,
integers in float fields, out-of-range values), keys dropped, repeated, renamed or unknown,
escapes, and noise."""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench.codecs.protobuf.codec import ProtobufCodec
from fmtbench.codecs.protojson.codec import ProtoJsonCodec
from fmtbench.codecs.protojson.to_protobuf import compile_typed
from fmtbench.convert import convert
from fmtbench.errors import FmtbenchError
from fmtbench.generate import load_dataset
from fmtbench.limits import Limits
from fmtbench.pump import pump
from fmtbench.schema.builtin import resolve_schema
from fmtbench.schema.loader import parse_schema
from fmtbench.schema.model import Schema
from tests.strategies import SCHEMAS, records, schema_named

# Every kind the route reads, plain, optional and listed, with encodings, nested messages
# (optional or not, listed) and an enum with aliases.
KINDS_YAML = r"""
schema: test.kinds
root: All
enums:
  Mood: {values: {CALM: 0, HAPPY: 1, GLAD: 1, SAD: 2}, allow_alias: true}
messages:
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
      mood: Mood = 13
      o_i64: optional int64 = 14
      o_at: optional timestamp = 15
      o_f64: optional float64 = 16
      o_text: optional string = 17
      o_mood: optional Mood = 18
      l_i64: list<int64> = 19
      l_f32: list<float32> = 20
      l_at: list<timestamp> = 21
      l_text: list<string> = 22
      l_mood: list<Mood> = 23
      l_raw: list<bytes> = 24
      inner: Inner = 25
      o_inner: optional Inner = 26
      l_inner: list<Inner> = 27
      snake_case_name: uint64 = 28
  Inner:
    fields:
      at: timestamp = 1
      n: sint64 = 2
      deep: optional Deep = 3
      deeps: list<Deep> = 4
  Deep:
    fields:
      x: float64 = 1
      when: optional timestamp = 2
"""

BUILT_IN = ["blob", "log", "media", "mesh"]  # the covered ones (others: maps, recursion)


@cache
def named(name: str) -> Schema:
    if name == "kinds":
        return parse_schema(KINDS_YAML, "<kinds>")
    if name in BUILT_IN:
        return resolve_schema(name)
    return schema_named(name)


@cache
def codecs(schema: str, drop_unknown: bool = False) -> tuple[ProtoJsonCodec, ProtobufCodec]:
    s = named(schema)
    return ProtoJsonCodec(s, drop_unknown=drop_unknown), ProtobufCodec(s)


def run(pj: ProtoJsonCodec, pb: ProtobufCodec, data: bytes, *, straight: bool) -> tuple[Any, ...]:
    """What a conversion of the ProtoJSON text ``data`` writes, or the error it raises."""
    out = io.BytesIO()
    try:
        reader = pj.reader(io.BytesIO(data))
        writer = pb.writer_for_decoded(out, single=reader.single)
        if straight:
            pump(reader, writer)
        else:
            for record in reader:
                writer.write(record)
        writer.close()
    except FmtbenchError as exc:
        return ("error", str(exc))
    return ("ok", out.getvalue())


# -- mutations -----------------------------------------------------------------------------
ODD = [
    None, 0, 1, -1, 0.0, -0.0, 1.0, 2.5, 1e300, 2**53 + 1, 2**63, 2**64, -(2**63) - 1, 2**31,
    True, False, "", "0", "5", "-0", "05", "+5", " 5", "1e3", "1.0", "1_0", "\u0665", "-", "1-2",
    "18446744073709551615", "9223372036854775808", "NaN", "Infinity", "-Infinity",
    "2024-01-31T12:00:00Z", "2024-01-31T12:00:00.123Z", "2024-01-31T12:00:00.123456Z",
    "2024-01-31T12:00:00.123456789Z", "2024-01-31T12:00:00.1Z", "2024-01-31T12:00:00+01:00",
    "2024-01-31 12:00:00Z", "2024-01-31t12:00:00z", "2024-02-30T00:00:00Z", "0000-01-01T00:00:00Z",
    "2024-01-31T24:00:00Z", "2024-01-31T12:00:60Z", "2024-W05-3T12:00:00Z", "20240131T120000Z",
    "AAEC", "AAE=", "AB==", "a-_b", "a+/b", "CALM", "HAPPY", "GLAD", "SAD", "MOOD_GLAD",
    "MOOD_SAD", "JAVA", "PLAYER_FLASH", "nope", [], [1], ["x"], [None], {}, {"x": 1},
]  # fmt: skip


_TWICE = "\x00twice"  # a key standing for a pair written as it is (a key given again)


def dumps(v: Any) -> str:
    if isinstance(v, dict):
        pairs = [v[k] if k == _TWICE else (k, x) for k, x in v.items()]
        return "{" + ",".join(f"{json.dumps(k)}:{dumps(x)}" for k, x in pairs) + "}"
    if isinstance(v, list):
        return "[" + ",".join(map(dumps, v)) + "]"
    return json.dumps(v, ensure_ascii=False)


def objects(tree: Any) -> list[Any]:
    out = []
    stack = [tree]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            out.append(v)
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return out


_ESCAPED = str.maketrans(dict.fromkeys([*map(chr, range(0x20)), '"', "\\", "\x7f"]))


def plain(text: bytes) -> bytes:
    """The text with every character a JSON writer escapes taken out of its strings (the
    route declines a text with an escape: generated strings hold many)."""

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v.translate(_ESCAPED) if isinstance(v, str) else v

    return dumps(walk(json.loads(text))).encode()


def mutate(text: bytes, draw: Any) -> bytes:
    how = draw(st.sampled_from(["value", "drop", "twice", "rename", "unknown", "escape", "noise"]))
    if how == "noise":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from([b",", b"}", b"\\", b'"', b" ", b"x"])) + text[at:]
    if how == "escape":  # a string value (or else a key) with an escaped character
        if b'":"' in text:
            return text.replace(b'":"', b'":"\\u0041', 1)
        return text.replace(b'"', b'"\\u0041', 1)
    tree = json.loads(text)
    targets = [o for o in objects(tree) if o or how == "unknown"]
    if not targets:
        return text
    obj = draw(st.sampled_from(targets))
    key = draw(st.sampled_from(list(obj))) if obj else "x"
    if how == "value":
        obj[key] = draw(st.sampled_from(ODD))
    elif how == "drop":
        del obj[key]
    elif how == "rename":  # the proto name, or another field's, or none
        other = draw(st.sampled_from(["snake_case_name", "snakeCaseName", "at", "raw", key + "_"]))
        obj[other] = obj.pop(key)
    elif how == "unknown":
        obj["unknownField"] = 1
    elif how == "twice":  # before or after the first, the same value or another
        value = draw(st.sampled_from([obj[key], *ODD]))
        pairs = list(obj.items())
        pairs.insert(draw(st.integers(0, len(pairs))), (_TWICE, (key, value)))
        obj.clear()
        obj.update(pairs)
    return dumps(tree).encode()


# -- the tests -----------------------------------------------------------------------------
COVERED = ["kinds", *BUILT_IN, *(s for s in SCHEMAS if compile_typed(named(s), named(s).root))]


def test_the_route_is_taken_where_it_applies() -> None:
    """Not merely equal because it always declines: taken on the valid text of every covered
    schema (the built-in ones but those with maps or recursion); left alone elsewhere."""
    assert {s for s in SCHEMAS if compile_typed(named(s), named(s).root)} == {"empty"}
    for name in ["blob", "log", "media", "mesh"]:
        pj, pb = codecs(name)
        record = next(iter(load_dataset(name).generator().records(1)))
        reader = pj.reader(io.BytesIO(pj.encode(record)))
        out = io.BytesIO()
        writer = pb.writer_for_decoded(out, single=True)
        assert writer.take_parsed(reader), name  # type: ignore[attr-defined]
        writer.close()
        assert out.getvalue() == pb.encode(record), name
    for name in ["order", "telemetry", "tree"]:
        pj, pb = ProtoJsonCodec(resolve_schema(name)), ProtobufCodec(resolve_schema(name))
        record = next(iter(load_dataset(name).generator().records(1)))
        reader = pj.reader(io.BytesIO(pj.encode(record)))
        assert not pb.writer_for_decoded(io.BytesIO(), single=True).take_parsed(reader)  # type: ignore[attr-defined]
        assert list(reader) == [pj.decode(pj.encode(record))]  # nothing was read


@pytest.mark.parametrize("drop_unknown", [False, True], ids=["strict", "drop-unknown"])
@pytest.mark.parametrize("schema", COVERED)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_straight_from_the_text_writes_what_the_record_would(
    schema: str, drop_unknown: bool, data: Any
) -> None:
    pj, pb = codecs(schema, drop_unknown)
    valid = pj.encode(data.draw(records(named(schema))))
    assert run(pj, pb, valid, straight=True) == run(pj, pb, valid, straight=False)
    valid = plain(valid)
    assert run(pj, pb, valid, straight=True) == run(pj, pb, valid, straight=False)
    for _ in range(3):
        raw = mutate(valid, data.draw)
        assert run(pj, pb, raw, straight=True) == run(pj, pb, raw, straight=False)


def test_go_spellings_are_taken() -> None:
    """What buf (Go's protojson) writes: 3-digit fractions, whole floats as integers; and
    timestamps of every shape (the epoch, before it, without a fraction)."""
    pj, pb = codecs("kinds")
    text = (
        b'{"at":"2024-01-31T12:00:00.123Z","f64":49,"oF64":-0,"lAt":["2024-01-31T12:00:00Z",'
        b'"1970-01-01T00:00:00.000001Z","1970-01-01T00:00:00Z","1969-12-31T23:59:59.999999Z"],'
        b'"inner":{"at":"2000-01-01T00:00:00Z","n":"-7"},"oAt":"1970-01-01T00:00:00Z",'
        b'"lInner":[{"at":"2000-01-01T00:00:00.500Z"},{"at":"1969-12-31T23:59:59Z"}]}'
    )
    reader = pj.reader(io.BytesIO(text))
    out = io.BytesIO()
    assert pb.writer_for_decoded(out, single=True).take_parsed(reader)  # type: ignore[attr-defined]
    assert out.getvalue() == run(pj, pb, text, straight=False)[1]


def test_too_many_values_are_counted_by_the_usual_route() -> None:
    """A text that may hold more values than the limit declines: the usual error."""
    schema = resolve_schema("log")
    pj = ProtoJsonCodec(schema, limits=Limits(max_record_values=5))
    pb = ProtobufCodec(schema, limits=Limits(max_record_values=5))
    text = ProtoJsonCodec(schema).encode(next(iter(load_dataset("log").generator().records(1))))
    assert run(pj, pb, text, straight=True) == run(pj, pb, text, straight=False)
    assert run(pj, pb, text, straight=True)[0] == "error"


def test_an_error_names_the_file_and_record(tmp_path: Path) -> None:
    schema = named("kinds")
    src = tmp_path / "in.protojson"
    src.write_bytes(b'{"i64": "1_000"}')
    with pytest.raises(FmtbenchError, match="i64") as info:
        convert(str(src), str(tmp_path / "out.binpb"), schema)
    assert "record 1" in str(info.value)
    assert str(src) in str(info.value)
    assert not (tmp_path / "out.binpb").exists()
