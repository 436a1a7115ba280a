"""Time in the schema language (issue 13, part 1): nanosecond timestamps and ``duration``.

- The value classes: ``Timestamp`` and ``Duration`` count their nanoseconds in equality,
  hashing, ordering, text and pickling, and a reader's value is a plain ``datetime`` /
  ``timedelta`` whenever it has none (one canonical form).
- Every format carries both types at the edges of their ranges, and refuses what is just
  outside them, naming the field.
- Protobuf bytes are those of protoc-generated classes (the real ``google.protobuf``
  Timestamp and Duration), both ways; JSON's duration text is json_format's; the XML and
  JSON output validates against the exported XSD and JSON Schema.
"""

from __future__ import annotations

import copy
import io
import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgpack
import pytest
from google.protobuf import duration_pb2, timestamp_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtbench import Duration, Timestamp, validate
from fmtbench.codecs import FORMATS, codec_for
from fmtbench.codecs.values.leaves import duration_from_json, duration_to_json
from fmtbench.errors import DecodeError, EncodeError, SchemaError
from fmtbench.schema import parse_schema
from fmtbench.schema.jsonschema import json_schema
from fmtbench.schema.proto import proto_text
from fmtbench.schema.xsd import xsd_text
from tests.samples import assert_same
from tests.strategies import (
    DURATION_MAX_SECONDS,
    TS_MAX_SECONDS,
    TS_MIN_SECONDS,
    durations,
    records,
    schema_named,
    timestamps,
)
from tests.test_proto_compiler import assert_protoc_agrees, generated_module

TIME = schema_named("time")
FORMAT_NAMES = sorted(FORMATS)
MAX_D = DURATION_MAX_SECONDS


def record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "at": datetime(2024, 1, 1, tzinfo=UTC),
        "took": timedelta(0),
        "laps": [],
        "budget": {},
        "marks": [],
        "wait": timedelta(0),
        "by_step": {},
    }
    return {**base, **fields}


# -- the value classes -----------------------------------------------------------------------
def test_timestamp_counts_its_nanoseconds() -> None:
    t = Timestamp.from_parts(0, 1)
    assert type(t) is Timestamp
    assert t.nanosecond == 1
    assert t.parts() == (0, 1)
    plain = datetime(1970, 1, 1, tzinfo=UTC)
    assert t != plain
    assert plain != t
    assert t > plain
    assert plain < t
    assert t >= plain
    assert Timestamp.from_parts(0, 1000) == datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    assert type(Timestamp.from_parts(5, 3000)) is datetime  # no nanoseconds: plain
    zero = Timestamp(1970, 1, 1, tzinfo=UTC)  # a Timestamp with none equals its datetime
    assert zero == plain
    assert hash(zero) == hash(plain)
    assert hash(t) != hash(plain) or t != plain
    assert t.isoformat() == "1970-01-01T00:00:00.000000001+00:00"
    assert str(t) == "1970-01-01 00:00:00.000000001+00:00"
    assert "nanosecond=1" in repr(t)
    assert pickle.loads(pickle.dumps(t)) == t
    assert copy.deepcopy(t) == t
    assert type(pickle.loads(pickle.dumps(t))) is Timestamp
    # Arithmetic is exact; astimezone keeps the nanoseconds.
    assert t + timedelta(microseconds=1) == Timestamp.from_parts(0, 1001)
    assert (t + Duration.from_parts(0, 999)) == datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    assert t - plain == Duration.from_parts(0, 1)
    assert plain - t == Duration.from_parts(0, -1)
    shifted = t.astimezone(timezone(timedelta(hours=2)))
    assert shifted.nanosecond == 1
    assert shifted == t
    with pytest.raises(ValueError, match="nanosecond"):
        Timestamp(2024, 1, 1, nanosecond=1000)


def test_duration_counts_its_nanoseconds() -> None:
    d = Duration.from_parts(-1, -500_000_001)
    assert type(d) is Duration
    assert d.parts() == (-1, -500_000_001)
    assert d < timedelta(seconds=-1.5)
    assert -d > timedelta(seconds=1.5)
    assert (-d).parts() == (1, 500_000_001)
    assert Duration.from_parts(1, 500_000_000) == timedelta(seconds=1.5)
    assert type(Duration.from_parts(1, 500_000_000)) is timedelta
    assert d + Duration.from_parts(1, 500_000_001) == timedelta(0)
    assert str(Duration.from_parts(1, 1)) == "0:00:01.000000001"
    assert pickle.loads(pickle.dumps(d)) == d
    assert type(copy.copy(d)) is Duration
    assert hash(Duration(seconds=1, nanoseconds=0)) == hash(timedelta(seconds=1))
    assert Duration(nanoseconds=0) == timedelta(0)
    assert not Duration(nanoseconds=0)


def test_validate_normalises_to_the_canonical_form() -> None:
    rec = record(
        at=Timestamp(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)), nanosecond=7),
        took=Duration(seconds=3, nanoseconds=0),
    )
    out = validate(TIME, rec)
    assert out["at"] == Timestamp(2024, 1, 1, tzinfo=UTC, nanosecond=7)
    assert out["at"].tzinfo is UTC
    assert type(out["took"]) is timedelta


# -- edges, every format ------------------------------------------------------------------------
EDGE_RECORDS = [
    record(
        at=Timestamp.from_parts(TS_MIN_SECONDS, 0),
        marks=[Timestamp.from_parts(TS_MAX_SECONDS, 999_999_999), Timestamp.from_parts(-1, 1)],
        took=Duration.from_parts(MAX_D, 999_999_999),
        wait=Duration.from_parts(-MAX_D, -999_999_999),
        laps=[timedelta(seconds=-0.5), Duration.from_parts(1, 1), timedelta(0)],
        budget={"a": Duration.from_parts(0, -1), "b": timedelta(days=-3650)},
        grace=timedelta(seconds=MAX_D),
        ended=Timestamp.from_parts(TS_MIN_SECONDS, 999_999_999),
        by_step={-1: Timestamp.from_parts(TS_MAX_SECONDS, 1), 7: datetime.max.replace(tzinfo=UTC)},
    ),
    record(at=Timestamp.from_parts(TS_MIN_SECONDS, 1), took=Duration.from_parts(0, 1)),
    record(child=record(took=Duration.from_parts(-MAX_D, 0), grace=Duration.from_parts(0, -1))),
]


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@pytest.mark.parametrize("rec", EDGE_RECORDS)
def test_edges_round_trip_in_every_format(fmt: str, rec: dict[str, Any]) -> None:
    codec = codec_for(fmt, TIME)
    assert_same(codec.decode(codec.encode(rec)), rec)
    many = [rec] if fmt == "protobuf" else [rec, rec]  # one message a protobuf file
    assert_same(list(codec.reader(io.BytesIO(codec.encode_many(many)))), many)


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_value_in_range_round_trips(fmt: str, data: st.DataObject) -> None:
    rec = data.draw(records(TIME, xml_safe=fmt == "xml"))
    codec = codec_for(fmt, TIME)
    assert_same(codec.decode(codec.encode(rec)), rec)


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@pytest.mark.parametrize(
    ("fields", "path", "problem"),
    [
        ({"took": timedelta(seconds=MAX_D + 1)}, "took", "outside Protobuf Duration's range"),
        ({"laps": [Duration.from_parts(-MAX_D - 1, 0)]}, "laps[0]", "outside"),
        ({"budget": {"x": timedelta(seconds=-MAX_D - 1)}}, 'budget["x"]', "outside"),
        ({"took": 1.5}, "took", "expected duration (timedelta), got float"),
        ({"at": datetime(2024, 1, 1)}, "at", "naive"),
    ],
)
def test_values_out_of_range_are_refused_on_encode(
    fmt: str, fields: dict[str, Any], path: str, problem: str
) -> None:
    with pytest.raises(EncodeError) as info:
        codec_for(fmt, TIME).encode(record(**fields))
    assert info.value.path == path
    assert problem in str(info.value)


def _json(**fields: Any) -> bytes:
    return json.dumps({"at": "2024-01-01T00:00:00Z", **fields}).encode()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_json(took="315576000001s"), "took: duration '315576000001s' is outside"),
        (_json(took="-315576000001s"), "took: duration '-315576000001s' is outside"),
        (_json(took="1.0000000001s"), "took: expected a duration as seconds"),
        (_json(took="1.5"), "took: expected a duration as seconds"),
        (_json(took="PT1S"), "took: expected a duration"),
        (_json(took=1.5), "took: expected duration as text"),
        (_json(laps=["1s", "--1s"]), "laps[1]: expected a duration"),
        (_json(at="2024-01-01T00:00:00.1234567891Z"), "at: '2024-01-01T00:00:00.1234567891Z' has"),
        (_json(at="10000-01-01T00:00:00Z"), "at: expected an RFC 3339 timestamp"),
        (_json(at="0000-12-31T23:59:59.999999999Z"), "at: invalid timestamp"),
    ],
)
def test_json_refuses_what_is_outside(doc: bytes, message: str) -> None:
    for fmt in ("json", "jsonl"):
        with pytest.raises(DecodeError, match=message.replace("[", r"\[").replace("(", r"\(")):
            codec_for(fmt, TIME).decode(doc)


def _pack(**fields: Any) -> bytes:
    return msgpack.packb({"at": msgpack.Timestamp(0, 0), **fields}, use_bin_type=True)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_pack(took=[MAX_D + 1, 0]), r"took: invalid Duration: seconds 315576000001 is outside"),
        (_pack(took=[1, 10**9]), r"took: invalid Duration: nanos 1000000000 is outside"),
        (_pack(took=[1, -1]), "took: invalid Duration: seconds 1 and nanos -1 have different"),
        (_pack(took=[-1, 1]), "different signs"),
        (_pack(took=[1, 2, 3]), r"took: expected a duration as an array of two integers"),
        (_pack(took=[1.5, 0]), "took: expected a duration as an array"),
        (_pack(took=[True, 0]), "took: expected a duration as an array"),
        (_pack(took="1s"), "took: expected a duration as an array"),
        (_pack(laps=[[0, 0], [0]]), r"laps\[1\]: expected a duration"),
        (_pack(at=msgpack.Timestamp(TS_MAX_SECONDS + 1, 0)), "at: timestamp .* outside years"),
    ],
)
def test_msgpack_refuses_what_is_outside(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        codec_for("msgpack", TIME).decode(data)


def _xml(inner: str, attrs: str = "") -> bytes:
    return (
        f'<Span xmlns="urn:fmtbench:tt.time"{attrs}><at>2024-01-01T00:00:00Z</at>{inner}</Span>'
    ).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_xml("<took>P1Y</took>"), "took: xs:duration 'P1Y' has years or months"),
        (_xml("<took>P2M</took>"), "took: xs:duration 'P2M' has years or months"),
        (_xml("<took>P1Y2M3D</took>"), "years or months"),
        (_xml("<took>PT</took>"), "took: expected an xs:duration"),
        (_xml("<took>P</took>"), "took: expected an xs:duration"),
        (_xml("<took>1.5S</took>"), "took: expected an xs:duration"),
        (_xml("<took>PT1.0000000001S</took>"), "below the nanosecond"),
        (_xml("<took>PT315576000001S</took>"), "took: duration 'PT315576000001S' is outside"),
        (_xml("<took>P3652501D</took>"), "outside"),
        (_xml("", ' wait="-PT1S2H"'), "wait: expected an xs:duration"),
        (_xml("<took>PT\uff11S</took>"), "ASCII"),
    ],
)
def test_xml_refuses_what_is_outside(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        codec_for("xml", TIME).decode(data)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("P1DT2H3M4.5S", timedelta(days=1, hours=2, minutes=3, seconds=4.5)),
        ("-PT0.000000001S", Duration.from_parts(0, -1)),
        ("PT36H", timedelta(hours=36)),
        ("P0D", timedelta(0)),
        (" PT1S\n", timedelta(seconds=1)),
        ("PT1.100000000000S", timedelta(seconds=1.1)),
    ],
)
def test_xml_reads_day_time_durations(text: str, value: timedelta) -> None:
    rec = codec_for("xml", TIME).decode(_xml(f"<took>{text}</took>"))
    assert_same(rec["took"], value)


def test_xml_and_json_spellings() -> None:
    rec = record(took=timedelta(seconds=1.5), wait=Duration.from_parts(0, -1))
    xml = codec_for("xml", TIME).encode(rec)
    assert b"<took>PT1.5S</took>" in xml
    assert b'wait="-PT0.000000001S"' in xml
    doc = json.loads(codec_for("json", TIME).encode(rec))
    assert doc["took"] == "1.500s"
    assert doc["wait"] == "-0.000000001s"
    # Timestamps without nanoseconds are written as before; with them, nine digits.
    rec = record(at=datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=UTC))
    assert json.loads(codec_for("json", TIME).encode(rec))["at"] == "2024-01-01T00:00:00.500000Z"
    rec = record(at=Timestamp(2024, 1, 1, 0, 0, 0, 500000, UTC, nanosecond=1))
    doc = json.loads(codec_for("json", TIME).encode(rec))
    assert doc["at"] == "2024-01-01T00:00:00.500000001Z"


# -- Protobuf: protoc-generated classes ---------------------------------------------------------------
def test_the_descriptor_is_protocs(tmp_path: Path) -> None:
    assert_protoc_agrees(TIME, tmp_path)
    text = proto_text(TIME)
    assert 'import "google/protobuf/duration.proto";' in text
    assert "  google.protobuf.Duration took = 2;" in text
    assert "  map<string, google.protobuf.Duration> budget = 5;" in text


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("protoc")
    module = generated_module(TIME, root)
    return module.Span


def _ts(v: datetime) -> timestamp_pb2.Timestamp:
    seconds, nanos = Timestamp.parts(v)  # type: ignore[arg-type]
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def _du(v: timedelta) -> duration_pb2.Duration:
    seconds, nanos = Duration.parts(v)  # type: ignore[arg-type]
    return duration_pb2.Duration(seconds=seconds, nanos=nanos)


def as_generated(cls: Any, rec: dict[str, Any]) -> Any:
    fields: dict[str, Any] = {
        "at": _ts(rec["at"]),
        "took": _du(rec["took"]),
        "laps": [_du(v) for v in rec["laps"]],
        "budget": {k: _du(v) for k, v in rec["budget"].items()},
        "marks": [_ts(v) for v in rec["marks"]],
        "wait": _du(rec["wait"]),
        "by_step": {k: _ts(v) for k, v in rec["by_step"].items()},
    }
    if "grace" in rec:
        fields["grace"] = _du(rec["grace"])
    if "ended" in rec:
        fields["ended"] = _ts(rec["ended"])
    if "child" in rec:
        fields["child"] = as_generated(cls, rec["child"])
    return cls(**fields)


@settings(max_examples=120, deadline=None)
@given(rec=records(TIME))
def test_bytes_are_protoc_generated_codes(generated: Any, rec: dict[str, Any]) -> None:
    codec = codec_for("protobuf", TIME)
    theirs = as_generated(generated, rec).SerializeToString(deterministic=True)
    assert codec.encode(rec) == theirs
    assert_same(codec.decode(theirs), rec)


@pytest.mark.parametrize("rec", EDGE_RECORDS)
def test_edge_bytes_are_protoc_generated_codes(generated: Any, rec: dict[str, Any]) -> None:
    codec = codec_for("protobuf", TIME)
    theirs = as_generated(generated, rec).SerializeToString(deterministic=True)
    assert codec.encode(rec) == theirs
    assert_same(codec.decode(theirs), rec)


@pytest.mark.parametrize(
    ("seconds", "nanos", "message"),
    [
        (MAX_D + 1, 0, "took: invalid Duration: seconds 315576000001 is outside"),
        (-MAX_D - 1, 0, "took: invalid Duration: seconds -315576000001 is outside"),
        (0, 10**9, "took: invalid Duration: nanos 1000000000 is outside"),
        (0, -(10**9), "took: invalid Duration: nanos -1000000000 is outside"),
        (1, -1, "took: invalid Duration: seconds 1 and nanos -1 have different signs"),
        (-1, 1, "different signs"),
    ],
)
def test_protobuf_refuses_invalid_durations(
    generated: Any, seconds: int, nanos: int, message: str
) -> None:
    # Written field by field: the generated class itself would not check them either.
    data = generated(took=duration_pb2.Duration(seconds=seconds, nanos=nanos)).SerializeToString()
    for fmt in ("protobuf", "protobuf-delimited"):
        codec = codec_for(fmt, TIME)
        framed = data if fmt == "protobuf" else bytes([len(data)]) + data
        with pytest.raises(DecodeError, match=message):
            list(codec.reader(io.BytesIO(framed)))
    with pytest.raises(DecodeError, match=message):
        codec_for("protobuf", TIME).decode(data)


@pytest.mark.parametrize(
    ("seconds", "nanos", "message"),
    [
        (TS_MAX_SECONDS + 1, 0, "at: timestamp 253402300800s is outside years 1..9999"),
        (TS_MIN_SECONDS - 1, 999_999_999, "outside years 1..9999"),
        (0, -1, r"at: invalid Timestamp: nanos -1 is outside 0..999999999"),
        (0, 10**9, "nanos 1000000000 is outside"),
    ],
)
def test_protobuf_refuses_invalid_timestamps(
    generated: Any, seconds: int, nanos: int, message: str
) -> None:
    data = generated(at=timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)).SerializeToString()
    with pytest.raises(DecodeError, match=message):
        codec_for("protobuf", TIME).decode(data)


def test_protobuf_reads_nanoseconds_on_both_paths(generated: Any) -> None:
    data = generated(
        at=timestamp_pb2.Timestamp(seconds=-1, nanos=1),
        took=duration_pb2.Duration(seconds=-1, nanos=-1),
    ).SerializeToString()
    codec = codec_for("protobuf", TIME)
    fast = codec._fast(codec.parse(data))
    reference = codec._from_message_reference(codec.parse(data))
    assert_same(fast, reference)
    assert_same(fast["at"], Timestamp.from_parts(-1, 1))
    assert_same(fast["took"], Duration.from_parts(-1, -1))


# -- JSON: json_format's Duration text ---------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(value=durations())
def test_duration_text_is_json_formats(value: timedelta) -> None:
    seconds, nanos = Duration.parts(value)  # type: ignore[arg-type]
    theirs = duration_pb2.Duration(seconds=seconds, nanos=nanos).ToJsonString()
    assert duration_to_json(value) == theirs
    assert_same(duration_from_json(theirs), value)


@settings(max_examples=200, deadline=None)
@given(value=timestamps())
def test_timestamp_text_of_json_format_is_read(value: datetime) -> None:
    seconds, nanos = Timestamp.parts(value)  # type: ignore[arg-type]
    theirs = timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos).ToJsonString()
    doc = json.dumps({"at": theirs}).encode()
    assert_same(codec_for("json", TIME).decode(doc)["at"], value)


# -- exported schemas validate the output ----------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(rec=records(TIME, xml_safe=True))
def test_output_validates_against_the_exported_schemas(rec: dict[str, Any]) -> None:
    import jsonschema
    import xmlschema

    xsd = xmlschema.XMLSchema(xsd_text(TIME))
    xsd.validate(codec_for("xml", TIME).encode(rec).decode())
    jsonschema.validate(json.loads(codec_for("json", TIME).encode(rec)), json_schema(TIME))


def test_the_xsd_and_json_schema_refuse_years_and_months() -> None:
    import xmlschema

    xsd = xmlschema.XMLSchema(xsd_text(TIME))
    assert xsd.is_valid(_xml("<took>P1DT1H</took>").decode()) is False  # fields missing
    doc = codec_for("xml", TIME).encode(record()).decode()
    assert xsd.is_valid(doc)
    assert not xsd.is_valid(doc.replace("<took>PT0S</took>", "<took>P1Y</took>"))


# -- the schema language ----------------------------------------------------------------------------
def test_duration_is_no_map_key_and_a_reserved_name() -> None:
    with pytest.raises(SchemaError, match="map key type duration is not allowed"):
        parse_schema(
            "schema: t.bad\nmessages:\n  R:\n    fields:\n      m: map<duration, int32> = 1\n"
        )
    with pytest.raises(SchemaError, match="reserved"):
        parse_schema("schema: t.bad\nmessages:\n  duration:\n    fields:\n      x: int32 = 1\n")


def test_zero_values() -> None:
    for fmt in FORMAT_NAMES:
        if fmt.startswith("protobuf"):
            rec = codec_for(fmt, TIME).decode(b"")
            assert_same(rec["took"], timedelta(0))
            assert_same(rec["at"], datetime(1970, 1, 1, tzinfo=UTC))


def test_the_documented_example_runs() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "schema.md").read_text()
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    assert "Timestamp.from_parts" in block
    exec(compile(block, "docs/schema.md", "exec"), {})


# -- generate -----------------------------------------------------------------------------------
GENERATED = parse_schema(
    """
schema: t.gen
root: Call
messages:
  Call:
    fields:
      at: {type: timestamp, tag: 1, gen: {precision: ns, step: 0.000001}}
      took: duration = 2
      retries: {type: list<duration>, tag: 3, gen: {items: {dist: uniform, range: [-2, 2], precision: ns}}}
      ttl: {type: optional duration, tag: 4, gen: {median: 3600, precision: s}}
"""
)


def test_generated_durations_and_nanoseconds_are_valid_and_seeded() -> None:
    from fmtbench.generate.generator import RecordGenerator

    recs = list(RecordGenerator(GENERATED, seed=5).records(200))
    assert_same(list(RecordGenerator(GENERATED, seed=5).records(200)), recs)
    ats = [r["at"] for r in recs]
    assert ats == sorted(ats)
    assert len(set(ats)) == len(ats)
    assert any(type(t) is Timestamp for t in ats)  # nanoseconds, as the hint asks
    tooks = [r["took"] for r in recs]
    assert all(type(d) is timedelta and d >= timedelta(0) for d in tooks)
    assert all(d.microseconds % 1000 == 0 for d in tooks)  # whole milliseconds by default
    assert len(set(tooks)) > 100
    laps = [d for r in recs for d in r["retries"]]
    assert all(timedelta(seconds=-2) <= d <= timedelta(seconds=2) for d in laps)
    assert any(type(d) is Duration for d in laps)
    assert any(d < timedelta(0) for d in laps)
    assert all(d.microseconds == 0 for r in recs if "ttl" in r for d in [r["ttl"]])
    for fmt in FORMAT_NAMES:
        codec = codec_for(fmt, GENERATED)
        many = recs[:1] if fmt == "protobuf" else recs
        assert_same(list(codec.reader(io.BytesIO(codec.encode_many(many)))), many)


@pytest.mark.parametrize(
    ("gen", "message"),
    [
        ("{precision: hours}", "unknown precision 'hours'"),
        ("{range: [0, 1000000000000]}", "beyond the type's largest value"),
        ("{dist: normal}", "unknown dist 'normal'"),
        ("{start: 1}", "does not apply|unknown"),
    ],
)
def test_duration_hints_are_checked(gen: str, message: str) -> None:
    from fmtbench.errors import FmtbenchError
    from fmtbench.generate.generator import RecordGenerator

    schema = parse_schema(
        f"schema: t.g\nmessages:\n  R:\n    fields:\n      d: {{type: duration, tag: 1, gen: {gen}}}\n"
    )
    with pytest.raises(FmtbenchError, match=message):
        list(RecordGenerator(schema, seed=1).records(1))


# -- limits -------------------------------------------------------------------------------------
def test_a_duration_is_a_level_as_protobuf_counts_it() -> None:
    from fmtbench.codecs.json.codec import ORJSON
    from fmtbench.codecs.msgpack.codec import MSGPACK
    from fmtbench.limits import PROTOBUF, forced_depth, static_depth

    one = parse_schema("schema: t.d\nmessages:\n  R:\n    fields:\n      d: duration = 1\n")
    many = parse_schema("schema: t.d\nmessages:\n  R:\n    fields:\n      d: list<duration> = 1\n")
    assert forced_depth(one, "R") == 1  # a Duration message inside the record
    assert static_depth(one, "R", PROTOBUF) == 1
    assert static_depth(one, "R", ORJSON) == ORJSON.root  # a string in JSON
    assert static_depth(one, "R", MSGPACK) == MSGPACK.root + 1  # [seconds, nanos]
    assert static_depth(many, "R", MSGPACK) == MSGPACK.root + 2
    assert static_depth(many, "R", ORJSON) == ORJSON.root + 1


def test_deep_records_with_durations_are_refused_in_every_format() -> None:
    from fmtbench.limits import Limits

    schema = parse_schema(
        "schema: t.deep\nmessages:\n  N:\n    fields:\n      d: duration = 1\n"
        "      next: optional N = 2\n"
    )
    rec: dict[str, Any] = {"d": timedelta(seconds=1)}
    for _ in range(3):
        rec = {"d": timedelta(0), "next": rec}
    for fmt in FORMAT_NAMES:
        codec = codec_for(fmt, schema, limits=Limits(max_depth=4))
        codec.encode(rec)  # 3 messages below the record, and the last one's Duration: 4
        deeper = {"d": timedelta(0), "next": rec}
        with pytest.raises(EncodeError, match="max-depth"):
            codec.encode(deeper)


def test_hostile_lengths_are_refused_quickly() -> None:
    import time

    digits = "9" * 100_000
    start = time.perf_counter()
    with pytest.raises(DecodeError, match="took: expected a duration"):
        codec_for("json", TIME).decode(_json(took=digits + "s"))
    with pytest.raises(DecodeError, match="took: expected a duration"):
        codec_for("json", TIME).decode(_json(took="1." + digits + "s"))
    with pytest.raises(DecodeError, match="took: expected an xs:duration"):
        codec_for("xml", TIME).decode(_xml(f"<took>PT{digits}S</took>"))
    with pytest.raises(DecodeError, match="below the nanosecond"):
        codec_for("xml", TIME).decode(_xml(f"<took>PT1.{digits}S</took>"))
    with pytest.raises(DecodeError, match="at: "):
        codec_for("json", TIME).decode(_json(at="2024-01-01T00:00:00." + digits + "Z"))
    with pytest.raises(DecodeError, match="took: invalid Duration"):
        codec_for("msgpack", TIME).decode(_pack(took=[2**63 - 1, 0]))
    assert time.perf_counter() - start < 2.0
