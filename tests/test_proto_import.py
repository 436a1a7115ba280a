"""``fmtbench schema import`` and ``--schema FILE.proto`` (issue 13, section 2).

Fidelity is checked against protoc itself: the ORIGINAL .proto files are compiled by protoc
in a subprocess (grpcio-tools) into a descriptor set, loaded into a private pool as the
generated code would load them, and the classes built from it must write byte for byte what
fmtbench writes for the same values (deterministic serialization), and fmtbench must read
what they write. The .proto that ``schema export --to proto`` writes for an imported schema
must compile with protoc and give the same bytes again.
"""

from __future__ import annotations

import builtins
import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.message import Message as ProtoMessage
from hypothesis import HealthCheck, given, settings

from fmtbench.cli import main
from fmtbench.codecs import codec_for
from fmtbench.errors import SchemaError, UsageError
from fmtbench.generate import RecordGenerator
from fmtbench.schema import load_schema, parse_schema
from fmtbench.schema.dump import schema_yaml
from fmtbench.schema.model import EnumRef, ListOf, MapOf, MessageRef, Scalar, Schema
from fmtbench.schema.proto_restore import proto_files
from fmtbench.schema.protofile import import_proto
from fmtbench.values import duration_parts, timestamp_parts
from tests.samples import assert_same
from tests.strategies import records
from tests.test_proto_compiler import WKT_INCLUDE

DATA = Path(__file__).parent / "data"
OTLP = DATA / "otlp"
OTLP_FILES = {
    "common": "opentelemetry/proto/common/v1/common.proto",
    "resource": "opentelemetry/proto/resource/v1/resource.proto",
    "trace": "opentelemetry/proto/trace/v1/trace.proto",
    "logs": "opentelemetry/proto/logs/v1/logs.proto",
    "metrics": "opentelemetry/proto/metrics/v1/metrics.proto",
    "trace_service": "opentelemetry/proto/collector/trace/v1/trace_service.proto",
    "logs_service": "opentelemetry/proto/collector/logs/v1/logs_service.proto",
    "metrics_service": "opentelemetry/proto/collector/metrics/v1/metrics_service.proto",
}
STATION = DATA / "proto2" / "station.proto"

# Every message of the OTLP files, by file (OTLP_ONEOF: those that reach a oneof).
_C, _R, _T, _L, _M = (f"opentelemetry.proto.{p}.v1." for p in ("common", "resource", "trace", "logs", "metrics"))  # fmt: skip
OTLP_SUPPORTED = {
    "common": [_C + "EntityRef"],
    "trace": [_T + "Status"],
    "metrics": [_M + "ExponentialHistogramDataPoint.Buckets", _M + "SummaryDataPoint.ValueAtQuantile"],
    "trace_service": ["opentelemetry.proto.collector.trace.v1." + n for n in ("ExportTraceServiceResponse", "ExportTracePartialSuccess")],
    "logs_service": ["opentelemetry.proto.collector.logs.v1." + n for n in ("ExportLogsServiceResponse", "ExportLogsPartialSuccess")],
    "metrics_service": ["opentelemetry.proto.collector.metrics.v1." + n for n in ("ExportMetricsServiceResponse", "ExportMetricsPartialSuccess")],
}  # fmt: skip
OTLP_ONEOF = {
    "common": [_C + n for n in ("AnyValue", "ArrayValue", "KeyValueList", "KeyValue", "InstrumentationScope")],
    "resource": [_R + "Resource"],
    "trace": [_T + n for n in ("TracesData", "ResourceSpans", "ScopeSpans", "Span", "Span.Event", "Span.Link")],
    "logs": [_L + n for n in ("LogsData", "ResourceLogs", "ScopeLogs", "LogRecord")],
    "metrics": [_M + n for n in ("MetricsData", "ResourceMetrics", "ScopeMetrics", "Metric", "Gauge", "Sum", "Histogram", "ExponentialHistogram", "Summary", "NumberDataPoint", "HistogramDataPoint", "ExponentialHistogramDataPoint", "SummaryDataPoint", "Exemplar")],
    "trace_service": ["opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"],
    "logs_service": ["opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest"],
    "metrics_service": ["opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest"],
}  # fmt: skip

CASES = (
    [
        pytest.param(OTLP / OTLP_FILES[f], [OTLP], t, id=t)
        for f, types in OTLP_SUPPORTED.items()
        for t in types
    ]
    + [
        pytest.param(OTLP / OTLP_FILES[f], [OTLP], t, id=t)
        for f, types in OTLP_ONEOF.items()
        for t in types
    ]
    + [
        pytest.param(STATION, [], "fmtbench.test.station.Batch", id="station.Batch"),
        pytest.param(STATION, [], "fmtbench.test.station.Sample", id="station.Sample"),
        pytest.param(STATION, [], "fmtbench.test.station.Reading", id="station.Reading"),
    ]
)


# -- protoc's classes ------------------------------------------------------------------------
def protoc_set(proto: Path, include: list[Path], out: Path) -> descriptor_pb2.FileDescriptorSet:
    """The real protoc, in a subprocess: the descriptor set generated code is built from."""
    dirs = include or [proto.parent]
    result = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", *(f"-I{d}" for d in dirs), f"-I{WKT_INCLUDE}",
         "--include_imports", f"--descriptor_set_out={out}", str(proto)],
        capture_output=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def classes(fds: descriptor_pb2.FileDescriptorSet) -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    return pool


def message_class(pool: descriptor_pool.DescriptorPool, full_name: str) -> type[ProtoMessage]:
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))


def fill(pm: ProtoMessage, schema: Schema, name: str, record: dict[str, Any]) -> ProtoMessage:
    """Set a protoc-class message from a canonical record, field by field."""
    pm.SetInParent()
    msg = schema.messages[name]

    def number(t: Any, value: Any) -> Any:
        if isinstance(t, EnumRef):
            return dict(schema.enums[t.name].values)[value]
        return value

    def well_known(target: Any, value: Any) -> None:
        """A Timestamp or Duration from its exact parts (FromDatetime drops nanoseconds)."""
        seconds, nanos = (timestamp_parts if isinstance(value, datetime) else duration_parts)(value)
        target.seconds, target.nanos = seconds, nanos

    timeish = (Scalar("timestamp"), Scalar("duration"))

    for f in msg.fields:
        if f.name not in record:
            continue
        value = record[f.name]
        t = f.type
        if isinstance(t, ListOf):
            target = getattr(pm, f.name)
            for item in value:
                if isinstance(t.item, MessageRef):
                    fill(target.add(), schema, t.item.name, item)
                elif t.item in timeish:
                    well_known(target.add(), item)
                else:
                    target.append(number(t.item, item))
        elif isinstance(t, MapOf):
            target = getattr(pm, f.name)
            for k, v in value.items():
                if isinstance(t.value, MessageRef):
                    fill(target[k], schema, t.value.name, v)
                elif t.value in timeish:
                    well_known(target[k], v)
                else:
                    target[k] = number(t.value, v)
        elif isinstance(t, MessageRef):
            fill(getattr(pm, f.name), schema, t.name, value)
        elif t in timeish:
            well_known(getattr(pm, f.name), value)
        elif f.wrapper:
            getattr(pm, f.name).value = value
        else:
            setattr(pm, f.name, number(t, value))
    return pm


def check_fidelity(
    schema: Schema, cls: type[ProtoMessage], rec: dict[str, Any], type_name: str | None = None
) -> None:
    codec = codec_for("protobuf", schema, type_name)
    name = codec.message.name
    built = fill(cls(), schema, name, rec)
    theirs = built.SerializeToString(deterministic=True)
    assert codec.encode(rec) == theirs
    assert_same(codec.decode(theirs), rec)
    # ProtoJSON: the JSON json_format makes of the original classes, value for value, and
    # fmtbench reads it back to the same record.
    pj = codec_for("protojson", schema, type_name)
    ours = pj.encode(rec)
    assert json.loads(ours) == json.loads(json_format.MessageToJson(built, indent=None))
    assert_same(pj.decode(json_format.MessageToJson(built).encode()), rec)


# -- fidelity ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("proto", "include", "type_name"), CASES)
def test_imported_messages_write_protoc_bytes(
    proto: Path, include: list[Path], type_name: str, tmp_path: Path
) -> None:
    schema = import_proto(proto, include, type_name)
    assert schema.messages[schema.root].full_name == type_name
    cls = message_class(classes(protoc_set(proto, include, tmp_path / "set.pb")), type_name)
    # Realistic records from the generator, then random and edge values (integers at their
    # extremes, NaN, -0.0, empty and absent fields) from hypothesis.
    for rec in RecordGenerator(schema, None, seed=7).records(30):
        check_fidelity(schema, cls, rec)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(records(schema))
    def random(rec: dict[str, Any]) -> None:
        check_fidelity(schema, cls, rec)

    random()
    # The YAML written by import loads to an equal schema.
    assert parse_schema(schema_yaml(schema)) == schema


@pytest.mark.parametrize(("proto", "include", "type_name"), CASES)
def test_exported_proto_compiles_and_gives_the_same_bytes(
    proto: Path, include: list[Path], type_name: str, tmp_path: Path
) -> None:
    schema = import_proto(proto, include, type_name)
    out = tmp_path / "export"
    for rel, text in proto_files(schema).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    pool = descriptor_pool.DescriptorPool()
    for rel in proto_files(schema):
        for f in protoc_set(out / rel, [out], tmp_path / "again.pb").file:
            with _already_added_ok():
                pool.Add(f)
    # Every type is back under its original full name.
    for m in schema.messages.values():
        assert m.full_name is not None
        pool.FindMessageTypeByName(m.full_name)
    for e in schema.enums.values():
        assert e.full_name is not None
        found = pool.FindEnumTypeByName(e.full_name)
        assert sorted((v.name, v.number) for v in found.values) == sorted(e.values)
    cls = message_class(pool, type_name)
    for rec in RecordGenerator(schema, None, seed=3).records(20):
        check_fidelity(schema, cls, rec)


class _already_added_ok:
    """Several exported files import each other: a file added twice is the same file."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: object, tb: object) -> bool:
        return kind is not None and issubclass(kind, TypeError | ValueError)  # type: ignore[arg-type]


STATION_EDGES = [
    {},
    {"deltas": [-(2**63), 2**63 - 1, 0, -1], "flags": [-(2**31), 2**31 - 1], "batch_id": 2**64 - 1},
    {"counters": {"": -(2**63), "max": 2**63 - 1}, "samples": [{"history": [], "ticks": []}]},
    {"samples": [{"i32": -(2**31), "i64": -(2**63), "u32": 2**32 - 1, "u64": 2**64 - 1,
                  "s32": -(2**31), "s64": -(2**63), "f32": 2**32 - 1, "f64": 2**64 - 1,
                  "sf32": -(2**31), "sf64": -(2**63), "quality": "BAD", "history": ["BAD", "GOOD"],
                  "ticks": [0, 2**32 - 1], "previous": {"i32": 0, "s64": 2**63 - 1, "history": [], "ticks": []}}]},
]  # fmt: skip


@pytest.mark.parametrize("rec", STATION_EDGES)
def test_station_edges(rec: dict[str, Any], tmp_path: Path) -> None:
    """Every integer encoding at its extremes, proto2 presence of zero values, unpacked lists."""
    schema = import_proto(STATION, [], "Batch")
    full = {"samples": [], "deltas": [], "flags": [], "counters": {}} | rec
    cls = message_class(
        classes(protoc_set(STATION, [], tmp_path / "s.pb")), "fmtbench.test.station.Batch"
    )
    check_fidelity(schema, cls, full)  # fmt: skip


def test_station_mapping() -> None:
    schema = import_proto(STATION, [], "Batch")
    assert schema.name == "fmtbench.test.station"
    batch, sample = schema.messages["Batch"], schema.messages["Sample"]
    assert str(batch.field("deltas")) == "list<sint64>"
    assert batch.field("deltas").packed
    assert not batch.field("flags").packed  # proto2 repeated: unpacked unless asked
    assert not sample.field("ticks").packed
    assert sample.field("history").packed
    assert str(batch.field("sent_at")) == "optional timestamp"
    assert str(batch.field("counters")) == "map<string, sfixed64>"
    assert str(sample.field("previous")) == "optional Sample"  # proto2 optional: presence
    assert batch.reserved_numbers == ((8, 8), (10, 12))
    assert batch.reserved_names == ("legacy",)
    quality = schema.enums["Sample_Quality"]
    assert quality.full_name == "fmtbench.test.station.Sample.Quality"
    assert quality.values == (("QUALITY_UNKNOWN", 0), ("GOOD", 1), ("SUSPECT", 2), ("BAD", -1))
    assert batch.doc == "One batch of samples: every field here is supported today."
    assert batch.field("station").doc == "Which station sent it."
    # Without --type: every message of the file, the first the root.
    whole = import_proto(STATION)
    reading = whole.messages["Reading"]
    assert whole.root == "Batch"
    assert str(reading.field("sensor")) == "required string"
    assert (reading.field("interval_s").default, reading.field("interval_s").optional) == (60, True)
    assert reading.field("quality").default == "GOOD"


def test_proto3_presence_and_otlp_names() -> None:
    path = OTLP / OTLP_FILES["metrics"]
    schema = import_proto(path, [OTLP], "opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.Buckets")  # fmt: skip
    buckets = schema.messages["ExponentialHistogramDataPoint_Buckets"]
    assert str(buckets.field("offset")) == "sint32"
    assert not buckets.field("offset").optional
    assert str(buckets.field("bucket_counts")) == "list<uint64>"
    assert buckets.field("bucket_counts").packed  # proto3: packed by default
    # Relative to the file's package, and the full name as --type of any command.
    again = import_proto(path, [OTLP], "ExponentialHistogramDataPoint.Buckets")
    assert again == schema
    assert schema.message("opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.Buckets") is buckets  # fmt: skip


# -- several packages, nesting, name collisions, editions ------------------------------------
MULTI = {
    "a/b/one.proto": """
syntax = "proto3";
package a.b;
import "c/d/two.proto";
import "google/protobuf/timestamp.proto";
message Item {
  message Part { c.d.Item other = 1; Kind kind = 2; }
  enum Kind { KIND_UNSPECIFIED = 0; KIND_BIG = 1; }
  optional sfixed32 n = 1;
  repeated Part parts = 2;
  map<int64, c.d.Item> by_id = 3;
  repeated google.protobuf.Timestamp at = 4;
  Item_Part flat = 5;
}
message Item_Part { string x = 1; }
""",
    "c/d/two.proto": """
syntax = "proto3";
package c.d;
enum Kind { UNKNOWN = 0; SMALL = 1; }
message Item { Kind kind = 1; repeated int32 v = 2 [packed = false]; reserved 7, 9 to 11; reserved "old"; }
""",
}


@pytest.fixture
def multi(tmp_path: Path) -> Path:
    for rel, text in MULTI.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_several_packages_round_trip(multi: Path, tmp_path: Path) -> None:
    schema = import_proto(multi / "a/b/one.proto", [multi])
    full = {m.name: m.full_name for m in schema.messages.values()}
    full |= {e.name: e.full_name for e in schema.enums.values()}
    # Nested types flatten with "_"; the nearest to the root keeps the short name, a later
    # one takes its package's components, from the right (``b_``, ``d_``), then a number.
    assert full == {
        "Item": "a.b.Item",
        "Item_Part": "a.b.Item.Part",
        "b_Item_Part": "a.b.Item_Part",
        "d_Item": "c.d.Item",
        "Item_Kind": "a.b.Item.Kind",
        "Kind": "c.d.Kind",
    }
    assert schema.root == "Item"
    assert parse_schema(schema_yaml(schema)) == schema
    files = proto_files(schema)
    assert sorted(files) == ["a/b.proto", "c/d.proto"]
    assert "  enum Kind {\n    KIND_UNSPECIFIED = 0;" in files["a/b.proto"]  # verbatim
    assert main(["schema", "export", str(multi / "a/b/one.proto"), "-I", str(multi), "--to", "proto", "-o", str(tmp_path / "out")]) == 0  # fmt: skip
    assert (tmp_path / "out/c/d.proto").read_text() == files["c/d.proto"]
    cls = message_class(classes(protoc_set(multi / "a/b/one.proto", [multi], tmp_path / "o.pb")), "a.b.Item")  # fmt: skip
    back = message_class(classes(protoc_set(tmp_path / "out/a/b.proto", [tmp_path / "out"], tmp_path / "r.pb")), "a.b.Item")  # fmt: skip
    for rec in RecordGenerator(schema, None, seed=1).records(25):
        check_fidelity(schema, cls, rec)
        check_fidelity(schema, back, rec)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(records(schema))
    def random(rec: dict[str, Any]) -> None:
        check_fidelity(schema, cls, rec)
        check_fidelity(schema, back, rec)

    random()
    assert main(["schema", "check", str(multi / "a/b/one.proto"), "-I", str(multi)]) == 0
    # One file cannot hold two packages.
    assert main(["schema", "export", str(multi / "a/b/one.proto"), "-I", str(multi), "--to", "proto"]) == 2  # fmt: skip


def test_editions_resolve_like_proto2_and_proto3(tmp_path: Path) -> None:
    (tmp_path / "ed.proto").write_text(
        'edition = "2023";\npackage ed;\n'
        "message M {\n  int32 a = 1;\n  int32 b = 2 [features.field_presence = IMPLICIT];\n"
        "  repeated int32 c = 3;\n  repeated sint64 d = 4 [features.repeated_field_encoding = EXPANDED];\n}\n"
    )  # fmt: skip
    schema = import_proto(tmp_path / "ed.proto")
    m = schema.messages["M"]
    assert [str(f) for f in m.fields] == ["optional int32", "int32", "list<int32>", "list<sint64>"]
    assert [f.packed for f in m.fields[2:]] == [True, False]
    cls = message_class(classes(protoc_set(tmp_path / "ed.proto", [], tmp_path / "e.pb")), "ed.M")
    for rec in RecordGenerator(schema, None, seed=2).records(20):
        check_fidelity(schema, cls, rec)


# -- refusals: one line naming the file, message and field -----------------------------------
REFUSALS = [
    ("repeated_wrapper", 'syntax = "proto3"; import "google/protobuf/wrappers.proto"; message M { repeated google.protobuf.Int64Value a = 1; }', "M.a: a repeated google.protobuf.Int64Value is not supported"),
    ("group", 'syntax = "proto2"; message M { optional group G = 1 { optional int32 x = 2; } }', "M.g: groups are not supported"),
    ("any", 'syntax = "proto3"; import "google/protobuf/any.proto"; message M { google.protobuf.Any a = 1; }', "M.a: google.protobuf.Any: google.protobuf.Any is not supported"),
    ("struct", 'syntax = "proto3"; import "google/protobuf/struct.proto"; message M { google.protobuf.Struct a = 1; }', "M.a: google.protobuf.Struct: google.protobuf.Struct, Value and ListValue"),
    ("field_mask", 'syntax = "proto3"; import "google/protobuf/field_mask.proto"; message M { google.protobuf.FieldMask a = 1; }', "M.a: google.protobuf.FieldMask: google.protobuf.FieldMask is not supported"),
    ("empty", 'syntax = "proto3"; import "google/protobuf/empty.proto"; message M { google.protobuf.Empty a = 1; }', "M.a: google.protobuf.Empty: google.protobuf.Empty is not supported"),
    ("extension", 'syntax = "proto2"; message M { extensions 10 to 20; } extend M { optional int32 x = 10; }', "message M: extended by x: extensions are not supported"),
    ("enum_zero", 'syntax = "proto2"; enum E { A = 1; } message M { optional E e = 1; }', "enum E: an enum without a value numbered 0"),
]  # fmt: skip


MAPPED = [
    ('syntax = "proto3"; message M { oneof v { int32 a = 1; string b = 2; } int32 c = 3; }', {"a": "int32 (oneof v)", "b": "string (oneof v)", "c": "int32"}),
    ('syntax = "proto2"; message M { required int32 a = 1; optional int32 b = 2 [default = 5]; }', {"a": "required int32", "b": "optional int32 (default 5)"}),
    ('syntax = "proto3"; import "google/protobuf/wrappers.proto"; message M { google.protobuf.Int64Value a = 1; google.protobuf.BytesValue b = 2; }', {"a": "optional int64 (wrapper)", "b": "optional bytes (wrapper)"}),
    ('syntax = "proto3"; import "google/protobuf/duration.proto"; message M { google.protobuf.Duration a = 1; repeated google.protobuf.Duration b = 2; }', {"a": "optional duration", "b": "list<duration>"}),
    ('syntax = "proto3"; enum E { option allow_alias = true; A = 0; B = 0; } message M { E e = 1; }', {"e": "E"}),
    ('edition = "2023"; message M { int32 a = 1 [features.field_presence = LEGACY_REQUIRED]; int32 b = 2 [default = 7]; }', {"a": "required int32", "b": "optional int32 (default 7)"}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), MAPPED)
def test_protobuf_constructs_map_onto_the_schema_language(
    text: str, expected: dict[str, str], tmp_path: Path
) -> None:
    from fmtbench.explain import type_text

    (tmp_path / "x.proto").write_text(text)
    schema = import_proto(tmp_path / "x.proto")
    msg = schema.messages["M"]
    assert {f.name: type_text(f) for f in msg.fields} == expected
    assert parse_schema(schema_yaml(schema)) == schema
    if "allow_alias" in text:
        assert schema.enums["E"].allow_alias
        assert schema.enums["E"].values == (("A", 0), ("B", 0))
    # The export compiles and gives the same descriptor fields back.
    out = tmp_path / "out"
    for rel, body in proto_files(schema).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(body)
        args = [sys.executable, "-m", "grpc_tools.protoc", f"-I{out}", f"-I{WKT_INCLUDE}"]
        result = subprocess.run([*args, f"--descriptor_set_out={out}/s.pb", rel], capture_output=True, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
    again = import_proto(out / "default.proto")
    assert (again.messages, again.enums) == (schema.messages, schema.enums)


@pytest.mark.parametrize(("construct", "text", "expected"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_are_one_line(
    construct: str, text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.proto").write_text(text)
    assert main(["schema", "import", str(tmp_path / "x.proto")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err == f"fmtbench: error: x.proto: {expected}" + err.split(expected, 1)[1]


# -- the CLI ---------------------------------------------------------------------------------
def test_import_writes_a_schema_check_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out = tmp_path / "station.yaml"
    assert main(["schema", "import", str(STATION), "--type", "Batch", "-o", str(out)]) == 0
    assert out.read_text().startswith(f"# Imported by fmtbench from {STATION} (--type Batch)\n")
    assert load_schema(out) == import_proto(STATION, [], "Batch")
    assert main(["schema", "check", str(out)]) == 0
    assert main(["schema", "check", str(STATION), "--type", "Batch"]) == 0
    assert (
        "fmtbench.test.station: ok: 2 message types, 1 enums, root Batch" in capsys.readouterr().out
    )
    # To stdout, with -I.
    trace = OTLP / OTLP_FILES["trace"]
    assert main(["schema", "import", str(trace), "-I", str(OTLP), "--type", "opentelemetry.proto.trace.v1.Status"]) == 0  # fmt: skip
    assert "full_name: opentelemetry.proto.trace.v1.Status.StatusCode" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["bad.proto"], 1, r"bad.proto:2:\d+: "),
        (
            [str(OTLP / OTLP_FILES["trace"])],
            1,
            r'trace.proto:\d+:\d+: Import "opentelemetry/proto/common/v1/common.proto" was not found',
        ),
        (
            [str(STATION), "--type", "Nope"],
            2,
            r"station.proto: no message type 'Nope' \(this file declares: fmtbench.test.station.Batch, ",
        ),
        (["missing.proto"], 1, r"missing.proto: no such .proto file"),
    ],
    ids=["syntax", "missing import", "unknown type", "no file"],
)
def test_import_errors(
    args: list[str], status: int, message: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    (tmp_path / "bad.proto").write_text('syntax = "proto3";\nmessage M { int32 = 1; }\n')
    monkeypatch.chdir(tmp_path)
    assert main(["schema", "import", *args]) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert re.search(message, err), err


def test_missing_grpcio_tools_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = builtins.__import__

    def no_grpc_tools(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("grpc_tools"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_grpc_tools)
    with pytest.raises(UsageError, match=r"needs grpcio-tools: pip install 'fmtbench\[proto\]'"):
        import_proto(STATION, [], "Batch")
    assert main(["schema", "import", str(STATION)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_schema_proto_in_every_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = ["--schema", str(STATION), "--type", "fmtbench.test.station.Batch"]
    jsonl, pbd, back = (tmp_path / n for n in ("b.jsonl", "b.pbd", "back.jsonl"))
    assert main(["generate", *s, "-n", "20", "-o", str(jsonl), "-q"]) == 0
    assert main(["convert", str(jsonl), str(pbd), *s, "-q", "-j", "1"]) == 0
    assert main(["convert", str(pbd), str(back), *s, "-q", "-j", "1"]) == 0
    assert back.read_bytes() == jsonl.read_bytes()
    capsys.readouterr()
    assert main(["explain", *s, "--input", str(jsonl), "--json"]) == 0
    assert "deltas" in capsys.readouterr().out
    assert main(["bench", *s, "--quick", "-n", "10", "--formats", "protobuf,json"]) == 0
    assert "protobuf" in capsys.readouterr().out
    trace = OTLP / OTLP_FILES["trace"]
    args = ["--schema", str(trace), "-I", str(OTLP), "--type", "opentelemetry.proto.trace.v1.Status"]  # fmt: skip
    assert main(["generate", *args, "-n", "5", "-o", str(tmp_path / "s.json"), "-q"]) == 0
    assert main(["schema", "export", str(trace), "-I", str(OTLP), "--type", "Status", "--to", "proto", "-o", str(tmp_path / "s.proto")]) == 0  # fmt: skip
    assert "package opentelemetry.proto.trace.v1;" in (tmp_path / "s.proto").read_text()
    # -I belongs to a .proto schema.
    assert main(["generate", "--schema", "order", "-I", "x", "-n", "1", "-o", str(tmp_path / "o.json")]) == 2  # fmt: skip


def test_bench_the_otlp_trace_request(capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's example: fmtbench bench --schema trace_service.proto --type ..."""
    status = main(["bench", "--schema", str(OTLP / OTLP_FILES["trace_service"]), "-I", str(OTLP),
                   "--type", "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
                   "--quick", "-n", "10", "--formats", "protobuf,json"])  # fmt: skip
    assert status == 0, capsys.readouterr().err


def test_full_name_in_yaml_is_checked() -> None:
    text = "schema: a\nmessages:\n  M:\n    full_name: {}\n    fields: {{x: int32 = 1}}\n"
    assert parse_schema(text.format("p.q.M")).messages["M"].full_name == "p.q.M"
    with pytest.raises(SchemaError, match=r"<schema>:4:16: message M: full_name 'p q' must be"):
        parse_schema(text.format("p q"))


def test_a_file_without_package(tmp_path: Path) -> None:
    """No package: the schema is named after the file; the export declares none either."""
    (tmp_path / "2-plain.proto").write_text(
        'syntax = "proto3";\nmessage M { message N { fixed32 x = 1; } repeated N n = 1; }\n'
    )
    schema = import_proto(tmp_path / "2-plain.proto")
    assert schema.name == "imported._2_plain"
    assert list(schema.messages) == ["M", "M_N"]
    files = proto_files(schema)
    assert list(files) == ["default.proto"]
    assert "package" not in files["default.proto"]
    (tmp_path / "out").mkdir()
    (tmp_path / "out/default.proto").write_text(files["default.proto"])
    back = message_class(classes(protoc_set(tmp_path / "out/default.proto", [], tmp_path / "b.pb")), "M")  # fmt: skip
    for rec in RecordGenerator(schema, None, seed=5).records(10):
        check_fidelity(schema, back, rec)
