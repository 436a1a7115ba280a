"""ProtoJSON against protobuf's own ``json_format``, both ways, on the same messages.

The message is built by fmtbench's protobuf codec and parsed by the class protobuf compiles
from the schema's descriptor (``message_classes``), so the reference side is json_format
alone: ``MessageToJson`` must write what fmtbench writes (value for value), fmtbench must
read what it writes (JSON names or original ones), and ``Parse`` must read what fmtbench
writes back to the same message. Then the conformance-style edge cases, and what fmtbench
refuses where json_format would lose or guess something.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench import Timestamp
from fmtbench.codecs import Codec, codec_for
from fmtbench.codecs.protojson.leaves import shortest_float32
from fmtbench.errors import DecodeError, EncodeError
from fmtbench.schema.builtin import resolve_schema
from fmtbench.schema.loader import parse_schema
from fmtbench.schema.model import Schema
from fmtbench.schema.proto import message_classes
from tests.samples import assert_same
from tests.strategies import SCHEMAS, records, schema_named

BUILTIN = ["log", "order", "media", "mesh", "blob", "telemetry", "tree"]  # the datasets


def _schema(name: str) -> Schema:
    return schema_named(name) if name in SCHEMAS else resolve_schema(name)


def same_values(a: Any) -> Any:
    """A JSON tree with floats spelled by repr: -0.0 and 0.0, 1 and 1.0 differ."""
    if isinstance(a, dict):
        return {k: same_values(v) for k, v in a.items()}
    if isinstance(a, list):
        return [same_values(v) for v in a]
    if isinstance(a, float):
        return ("float", repr(a))
    return a


class Pair:
    """fmtbench's codecs and protobuf's class for one schema."""

    def __init__(self, schema: Schema, proto_names: bool = False) -> None:
        self.schema = schema
        self.pj = codec_for("protojson", schema)
        self.pn = self.pj.__class__(schema, proto_names=True)
        self.pb = codec_for("protobuf", schema)
        self.cls = message_classes(schema)[schema.root]

    def message(self, record: dict[str, Any]) -> Any:
        return self.cls.FromString(self.pb.encode(record))

    def canonical(self, record: dict[str, Any]) -> dict[str, Any]:
        return self.pb.decode(self.pb.encode(record))  # type: ignore[no-any-return]


_PAIRS: dict[str, Pair] = {}


def pair(name: str) -> Pair:
    if name not in _PAIRS:
        _PAIRS[name] = Pair(_schema(name))
    return _PAIRS[name]


def check_both_ways(p: Pair, record: dict[str, Any]) -> None:
    msg = p.message(record)
    for codec, preserve in ((p.pj, False), (p.pn, True)):
        ours = codec.encode(record)
        theirs = json_format.MessageToJson(msg, indent=None, preserving_proto_field_name=preserve)
        # fmtbench writes what json_format writes, value for value.
        assert same_values(json.loads(ours)) == same_values(json.loads(theirs))
        # fmtbench reads what json_format writes, to the record protobuf holds.
        assert_same(p.pj.decode(theirs.encode()), p.canonical(record))
        # json_format reads what fmtbench writes, to the same message; but not float32's
        # largest value, which it writes as 3.4028235e+38 and then refuses as too large.
        if b"3.4028235e38" in ours:
            continue
        parsed = json_format.Parse(ours, p.cls())
        assert parsed.SerializeToString(deterministic=True) == msg.SerializeToString(
            deterministic=True
        )


@pytest.mark.parametrize("name", SCHEMAS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_json_format_agrees_on_generated_records(name: str, data: st.DataObject) -> None:
    p = pair(name)
    check_both_ways(p, data.draw(records(p.schema), label="record"))


@pytest.mark.parametrize("name", BUILTIN)
def test_json_format_agrees_on_the_builtin_datasets(name: str) -> None:
    from fmtbench.generate import load_dataset

    try:
        ds = load_dataset(name)
    except Exception:
        pytest.skip(f"no dataset {name}")
    p = Pair(ds.schema)
    if ds.type_name not in (None, ds.schema.root):
        pytest.skip("dataset of a non-root type")
    for record in ds.generator().records(40):
        check_both_ways(p, record)


@settings(max_examples=300, deadline=None)
@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_float32_is_spelled_as_json_format_spells_it(x: float) -> None:
    from google.protobuf.internal import type_checkers

    assert repr(shortest_float32(x)) == repr(type_checkers.ToShortestFloat(x))


# -- edge cases ------------------------------------------------------------------------------
EDGES = parse_schema(
    """
schema: test.edges
root: E
enums:
  Color: {values: {RED: 0, GREEN: 1, BLUE: 5}}
messages:
  E:
    fields:
      i64: int64 = 1
      u64: uint64 = 2
      i32: int32 = 3
      u32: uint32 = 4
      f64: float64 = 5
      f32: float32 = 6
      raw: bytes = 7
      at: timestamp = 8
      color: Color = 9
      some_text: string = 10
      maybe: optional int64 = 11
      nums: list<sint64> = 12
      by_id: map<int64, string> = 13
      flags: map<bool, Color> = 14
      sub: optional E = 15
      ok: bool = 16
      span: duration = 17
      box: {type: int32, tag: 18, optional: true, wrapper: true}
      choice:
        oneof:
          word: string = 19
          count: int64 = 20
""",
    "<edges>",
)
EDGE = Pair(EDGES)


def zeros(fields: dict[str, Any]) -> dict[str, Any]:
    """A canonical record of E: the fields given, every other one at its zero value."""
    return EDGE.canonical({**read("{}"), **fields})


def read(text: str) -> dict[str, Any]:
    return EDGE.pj.decode(text.encode())  # type: ignore[no-any-return]


def reference(text: str) -> dict[str, Any]:
    """What json_format makes of the same text, as fmtbench's canonical record."""
    return EDGE.pb.decode(json_format.Parse(text, EDGE.cls()).SerializeToString())  # type: ignore[no-any-return]


ACCEPTED = [
    '{"i64": "-9223372036854775808", "u64": "18446744073709551615"}',
    '{"i64": -9223372036854775808, "u64": 18446744073709551615}',
    '{"i64": "9223372036854775807", "i32": "-2147483648", "u32": 4294967295}',
    '{"i64": 1e3, "u64": "1e3", "i32": 2.0, "u32": "7"}',
    '{"i64": 9007199254740993}',
    '{"f64": "NaN", "f32": "-Infinity"}',
    '{"f64": "Infinity", "f32": 3.4e38}',
    '{"f64": "1.5", "f32": "0.1"}',
    '{"f64": -0.0, "f32": 1e-45}',
    '{"at": "1970-01-01T00:00:00.000001Z"}',
    '{"at": "1970-01-01T00:00:00.001000Z"}',
    '{"at": "2024-01-31T12:00:00+01:30"}',
    '{"at": "0001-01-01T00:00:00Z"}',
    '{"at": "9999-12-31T23:59:59.999999Z"}',
    '{"at": "1970-01-01T00:00:00.000001000Z"}',
    '{"at": "1970-01-01T00:00:00.000000001Z"}',
    '{"at": "9999-12-31T23:59:59.999999999Z"}',
    '{"span": "1.000000001s", "box": 0}',
    '{"span": "-0.5s", "box": null}',
    '{"span": "-315576000000.999999999s", "box": -2147483648}',
    '{"span": "315576000000s", "count": "0"}',
    '{"word": "", "count": null}',
    '{"raw": "-_8="}',
    '{"raw": "+/8"}',
    '{"raw": "AAEC"}',
    '{"color": 5}',
    '{"color": "COLOR_BLUE"}',
    '{"color": "1"}',
    '{"color": 5.0}',
    '{"byId": {"+7": "a", "-0": "b", "0012": "c"}}',
    '{"i64": null, "color": null, "maybe": null, "nums": null, "sub": null, "byId": null}',
    '{"maybe": "0"}',
    '{"maybe": 0, "nums": ["1", -2, "-9223372036854775808"]}',
    '{"some_text": "x", "by_id": {"-5": "a", "7": "b"}}',
    '{"someText": "x", "byId": {"0": ""}, "flags": {"true": "COLOR_GREEN", "false": 0}}',
    '{"sub": {"sub": {"i64": "5"}}, "ok": true}',
    "{}",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_fmtbench_reads_what_json_format_reads_as_it_does(text: str) -> None:
    ours, theirs = read(text), reference(text)
    assert_same(ours, theirs)
    # and writes it back so that json_format reads the same message again
    again = json_format.Parse(EDGE.pj.encode(ours), EDGE.cls())
    assert_same(EDGE.pb.decode(again.SerializeToString()), zeros(ours))


def test_the_edge_values_are_the_ones_meant() -> None:
    assert read('{"i64": 1e3, "u64": "1e3", "i32": 2.0}')["i64"] == 1000
    assert read('{"i64": 9007199254740993}')["i64"] == 9007199254740993
    assert read('{"at": "1970-01-01T00:00:00.000001Z"}')["at"] == datetime(
        1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC
    )
    assert read('{"raw": "-_8="}')["raw"] == b"\xfb\xff"
    assert read('{"color": 5}')["color"] == "BLUE"
    assert "maybe" not in read('{"maybe": null}')
    assert read('{"maybe": "0"}')["maybe"] == 0


REFUSED = [
    ('{"i64": "9223372036854775808"}', "i64", "out of range"),
    ('{"u64": -1}', "u64", "out of range"),
    ('{"i64": 18446744073709551616}', "i64", "out of range"),
    ('{"i64": 1.5}', "i64", "integer"),
    ('{"i64": 1.0000000000000001}', "i64", "integer"),
    ('{"i64": "1_000"}', "i64", "decimal integer"),
    ('{"i32": " 1"}', "i32", "decimal integer"),
    ('{"i32": true}', "i32", "got bool"),
    ('{"f32": 3.5e38}', "f32", "too large for float32"),
    ('{"f64": "nan"}', "f64", "'NaN'"),
    ('{"raw": "AB=="}', "raw", "base64"),
    ('{"raw": "a+b-"}', "raw", "two alphabets"),
    ('{"at": "1970-01-01T00:00:00.0000000001Z"}', "at", "below the nanosecond"),
    ('{"span": "315576000001s"}', "span", "outside"),
    ('{"span": "1.5"}', "span", "'1.5s'"),
    ('{"box": 2147483648}', "box", "out of range"),
    ('{"word": "a", "count": 1}', "choice", "both set"),
    ('{"at": "1970-01-01T00:00:00"}', "at", "RFC 3339"),
    ('{"color": 7}', "color", "not a number of Color"),
    ('{"color": "BLUE"}', "color", "Color"),
    ('{"nums": [1, null]}', "nums[1]", "got null"),
    ('{"byId": {"x": "a"}}', 'by_id["x"]', "map key"),
    ('{"flags": {"1": 0}}', 'flags["1"]', "map key"),
    ('{"byId": {"7": "a", "07": "b"}}', 'by_id["07"]', "is the key '7' again"),
    ('{"byId": {"1e3": "a"}}', 'by_id["1e3"]', "decimal digits"),
    ('{"color": 5.5}', "color", "Color"),
    ('{"byId": {"1": null}}', 'by_id["1"]', "got null"),
    ('{"someText": "a", "some_text": "b"}', "", "given twice"),
    ('{"nope": 1}', "", "unknown field 'nope'"),
    ('{"sub": {"nope": 1}}', "sub", "unknown field 'nope'"),
    ('{"i64": "1", "i64": "2"}', "", "duplicate key 'i64'"),
    ('{"sub": {"ok": true, "ok": false}}', "sub", "duplicate key 'ok'"),
    ('{"i64": NaN}', "", "malformed JSON"),
    ("[1]", "", "expected E"),
]


@pytest.mark.parametrize(("text", "path", "problem"), REFUSED)
def test_what_cannot_be_read_exactly_is_an_error_naming_the_field(
    text: str, path: str, problem: str
) -> None:
    with pytest.raises(DecodeError) as info:
        read(text)
    message = str(info.value)
    assert problem in message
    if path:
        assert f"{path}:" in message or f"{path} " in message or f"at {path}" in message


def test_writing_refuses_what_is_not_canonical_naming_the_field() -> None:
    base = zeros({})
    for field, value, problem in [
        ("i64", 2**63, "out of range"),
        ("f32", 1e39, "too large for float32"),
        ("color", "PURPLE", "expected one of Color"),
        ("some_text", "\ud800", "lone surrogate"),
        ("nums", [1, "2"], "expected int64"),
    ]:
        with pytest.raises(EncodeError, match=problem) as info:
            EDGE.pj.encode({**base, field: value})
        assert field in str(info.value)
    with pytest.raises(EncodeError, match="unknown field"):
        EDGE.pj.encode({**base, "extra": 1})


def test_timestamps_have_0_3_6_or_9_fraction_digits_and_z() -> None:
    base = zeros({})
    nanos = Timestamp.from_parts(0, 1)
    assert (
        json.loads(EDGE.pj.encode({**base, "at": nanos}))["at"] == "1970-01-01T00:00:00.000000001Z"
    )
    for micro, text in [
        (0, "1970-01-01T00:00:00Z"),
        (1000, "1970-01-01T00:00:00.001Z"),
        (1, "1970-01-01T00:00:00.000001Z"),
        (120000, "1970-01-01T00:00:00.120Z"),
    ]:
        at = datetime(1970, 1, 1, microsecond=micro, tzinfo=UTC)
        assert json.loads(EDGE.pj.encode({**base, "at": at}))["at"] == text


def test_defaults_are_left_out_and_optionals_written_when_present() -> None:
    record = zeros({"maybe": 0, "sub": read("{}")})
    tree = json.loads(EDGE.pj.encode(record))
    assert tree == {
        "at": "1970-01-01T00:00:00Z",
        "maybe": "0",
        "span": "0s",
        "sub": {"at": "1970-01-01T00:00:00Z", "span": "0s"},
    }
    names = json.loads(EDGE.pn.encode({**record, "some_text": "x", "by_id": {2: "b", -1: "a"}}))
    assert names["some_text"] == "x"
    assert names["by_id"] == {"-1": "a", "2": "b"}
    assert list(names["by_id"]) == ["-1", "2"]  # map keys in order


# -- files -----------------------------------------------------------------------------------
def _roundtrip(codec: Codec, records: list[dict[str, Any]], single: bool = False) -> bytes:
    buf = io.BytesIO()
    w = codec.writer(buf, single=single)
    for r in records:
        w.write(r)
    w.close()
    return buf.getvalue()


def test_files_hold_a_message_an_array_or_a_message_a_line() -> None:
    recs = [zeros({"i64": i, "some_text": f"t{i}"}) for i in range(3)]
    many = _roundtrip(EDGE.pj, recs)
    assert many.startswith(b"[\n")
    assert EDGE.pj.decode_many(many) == recs
    one = _roundtrip(EDGE.pj, recs[:1], single=True)
    reader = EDGE.pj.reader(io.BytesIO(one))
    assert list(reader) == recs[:1]
    assert reader.single
    lines_codec = codec_for("protojsonl", EDGES)
    lines = _roundtrip(lines_codec, recs)
    assert lines.count(b"\n") == 3
    assert lines_codec.decode_many(lines) == recs
    with pytest.raises(DecodeError, match=r"record 2.*line 2.*i64"):
        lines_codec.decode_many(b'{}\n{"i64": "x"}\n')
    with pytest.raises(DecodeError, match=r"record 2.*i64"):
        EDGE.pj.decode_many(b'[{}, {"i64": 1.5}]')
    # an integer spelled 1e3 in the second message of a file: read exactly, in its place
    assert EDGE.pj.decode_many(b'[{}, {"i64": 1e3}]')[1]["i64"] == 1000


def test_convert_moves_between_protojson_and_the_other_formats(tmp_path: Any) -> None:
    from fmtbench.cli import main

    p = pair("order")
    recs = [p.canonical(r) for r in _sample(p.schema, 5)]
    src = tmp_path / "in.jsonl"
    src.write_bytes(codec_for("jsonl", p.schema).encode_many(recs))
    schema = "order"
    assert (
        main(["convert", str(src), str(tmp_path / "a.protojsonl"), "--schema", schema, "-q"]) == 0
    )
    for target in ("b.pbd", "c.xml", "d.msgpack", "e.protojson", "f.json"):
        prev = tmp_path / "a.protojsonl"
        assert main(["convert", str(prev), str(tmp_path / target), "--schema", schema, "-q"]) == 0
        back = tmp_path / f"back-{target}.protojsonl"
        assert main(["convert", str(tmp_path / target), str(back), "--schema", schema, "-q"]) == 0
        assert back.read_bytes() == prev.read_bytes()
    names = tmp_path / "names.protojsonl"
    assert main(["convert", str(src), str(names), "--schema", schema, "--proto-names", "-q"]) == 0
    first = json.loads(names.read_bytes().splitlines()[0])
    assert "placed_at" in first
    assert "placedAt" not in first
    assert codec_for("protojsonl", p.schema).decode_many(names.read_bytes()) == recs


def test_proto_names_only_apply_to_protojson_output(tmp_path: Any) -> None:
    from fmtbench.cli import main

    src = tmp_path / "in.json"
    src.write_bytes(b"{}")
    assert (
        main(["convert", str(src), str(tmp_path / "o.jsonl"), "--schema", "order", "--proto-names"])
        == 2
    )


def _sample(schema: Schema, n: int) -> list[dict[str, Any]]:
    from fmtbench.generate import load_dataset

    return list(load_dataset("order").generator().records(n))


# -- the writer's fast path accepts nothing the validator refuses -----------------------------
def _loosen(value: Any, how: int) -> Any:
    """A value equal to a canonical one in the validator's eyes, in another Python shape."""
    from datetime import timedelta, timezone

    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53 and how % 2:
        return int(value)  # an int where a float goes: converted exactly
    if isinstance(value, datetime):
        hours = 5 if value.year < 5000 else -5  # an offset within years 1..9999
        return value.astimezone(timezone(timedelta(hours=hours)))  # converted to UTC
    if isinstance(value, bytes):
        return bytearray(value)
    if isinstance(value, list):
        return tuple(_loosen(v, how + 1) for v in value)
    if isinstance(value, dict):
        return {k: _loosen(v, how + 1) for k, v in value.items()}
    return value


@pytest.mark.parametrize("name", ["order", "sensor", "optionals"])
@settings(max_examples=40, deadline=None)
@given(data=st.data(), how=st.integers(0, 3))
def test_the_writer_writes_a_loose_record_as_its_validated_form(
    name: str, data: st.DataObject, how: int
) -> None:
    from fmtbench.codecs.values.canonical import validate

    p = pair(name)
    record = data.draw(records(p.schema), label="record")
    loose = _loosen(record, how)
    assert p.pj.encode(loose) == p.pj.encode(validate(p.schema, loose))
    assert p.pj.encode(record) == p.pj.encode(validate(p.schema, record))


@pytest.mark.parametrize(
    "bad",
    [{"ok": 1}, {"i64": True}, {"i32": 2.0}, {"f64": "1"}, {"at": datetime(2020, 1, 1)},
     {"color": 0}, {"maybe": None}, {"raw": "AA=="}, {"by_id": {"1": "a"}}, {"nums": (1, "2")}],
)  # fmt: skip
def test_the_writer_refuses_what_the_validator_refuses(bad: dict[str, Any]) -> None:
    from fmtbench.codecs.values.canonical import validate

    record = {**zeros({}), **bad}
    with pytest.raises(EncodeError) as ours:
        EDGE.pj.encode(record)
    with pytest.raises(EncodeError) as reference:
        validate(EDGES, record)
    assert str(ours.value) == str(reference.value)


def test_duplicate_keys_are_found_with_escapes_in_the_text() -> None:
    with pytest.raises(DecodeError, match="duplicate key 'someText'"):
        read('{"someText": "a\\"b", "someText": "c"}')
    assert read('{"someText": "a\\"b\\u00e9"}')["some_text"] == 'a"bé'


@pytest.mark.parametrize("key", ["byId", "by_id"])
def test_the_values_limit_counts_fields_under_either_name(key: str) -> None:
    from fmtbench.errors import LimitError
    from fmtbench.limits import Limits

    codec = codec_for("protojson", EDGES, limits=Limits(max_record_values=60))
    entries = ", ".join(f'"{i}": "v"' for i in range(80))
    text = f'{{"{key}": {{{entries}}}}}'.encode()
    with pytest.raises(LimitError, match="more than 60 values"):
        codec.decode(text)
    lines = codec_for("protojsonl", EDGES, limits=Limits(max_record_values=60))
    with pytest.raises(LimitError, match="record 1"):
        lines.decode_many(text + b"\n")
    small = f'{{"{key}": {{"1": "v"}}}}'.encode()
    assert codec.decode(small)["by_id"] == {1: "v"}


def test_a_file_is_held_to_the_same_rules_as_a_message() -> None:
    with pytest.raises(DecodeError, match=r"record 2: i64: 18446744073709551616 is out of range"):
        EDGE.pj.decode_many(b'[{}, {"i64": 18446744073709551616}]')
    with pytest.raises(DecodeError, match=r"line 1 column \d+: malformed JSON"):
        EDGE.pj.decode_many(b'[{}, {"i64": NaN}]')
    with pytest.raises(DecodeError, match="duplicate key 'i64'"):
        EDGE.pj.decode_many(b'[{}, {"i64": 1, "i64": 2}]')
    with pytest.raises(DecodeError, match="holds a message"):
        EDGE.pj.decode_many(b"7")
