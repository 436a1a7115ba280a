"""Unions (issue 13, part 1): ``oneof`` groups in the schema language and every format.

A member is a field with presence; at most one member of a group is set. The proofs:
the loader's errors; every format carries unset groups, each member, members at their zero
values, nested and recursive members; a record (or an input) with two members set is
refused in every format, reading and writing, with the field path; the exported ``.proto``
compiles with protoc to fmtbench's descriptor and the classes protoc generates write the
same bytes; the exported XSD and JSON Schema, checked by xmlschema, libxml2 and jsonschema,
take what fmtbench writes and refuse two members set. Fast and reference paths agree on the
``union`` schema of ``tests/strategies.py`` in every differential suite that runs SCHEMAS.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from google.protobuf import timestamp_pb2
from hypothesis import HealthCheck, given, settings
from lxml import etree

from fmtbench.codecs import FORMATS, codec_for
from fmtbench.codecs.protobuf.codec import ProtobufDelimitedCodec
from fmtbench.codecs.protobuf.frames import varint
from fmtbench.codecs.values.leaves import timestamp_parts
from fmtbench.errors import DecodeError, EncodeError, SchemaError, key_segment
from fmtbench.explain import explain
from fmtbench.generate.generator import RecordGenerator
from fmtbench.limits import Limits
from fmtbench.schema import Schema, parse_schema
from fmtbench.schema.jsonschema import json_schema
from fmtbench.schema.model import Field, ListOf, MapOf, Message, MessageRef, Oneof, Scalar
from fmtbench.schema.proto import file_descriptor, proto_text
from fmtbench.schema.xsd import xsd_text
from tests.samples import assert_same
from tests.strategies import records, schema_named
from tests.test_proto_compiler import assert_protoc_agrees, generated_module

# OpenTelemetry's AnyValue (common.proto), as the schema language spells it.
ANY = parse_schema(
    """
schema: t.otel
root: AnyValue
enums:
  Flag: [NONE, SAMPLED]
messages:
  AnyValue:
    fields:
      value:
        doc: The value, one of these or none.
        oneof:
          string_value: string = 1
          bool_value: bool = 2
          int_value: int64 = 3
          double_value: float64 = 4
          array_value: ArrayValue = 5
          kvlist_value: KeyValueList = 6
          bytes_value: bytes = 7
  ArrayValue:
    fields:
      values: list<AnyValue> = 1
  KeyValueList:
    fields:
      values: list<KeyValue> = 1
  KeyValue:
    fields:
      key: string = 1
      value: AnyValue = 2
      extra:
        oneof:
          flag: Flag = 3
          id: fixed64 = 4
          small: sint32 = 5
      note: optional string = 6
"""
)
UNION = schema_named("union")

ZEROS: dict[str, Any] = {
    "string_value": "",
    "bool_value": False,
    "int_value": 0,
    "double_value": 0.0,
    "array_value": {"values": []},
    "kvlist_value": {"values": []},
    "bytes_value": b"",
}
RECURSIVE = {
    "array_value": {
        "values": [
            {"int_value": -(2**63)},
            {},
            {
                "kvlist_value": {
                    "values": [
                        {"key": "k", "value": {"array_value": {"values": [{"bool_value": True}]}}},
                        {"key": "", "value": {}, "flag": "SAMPLED", "note": "n"},
                        {"key": "z", "value": {"double_value": -0.0}, "id": 2**64 - 1},
                        {"key": "s", "value": {"string_value": "x"}, "small": -(2**31)},
                    ]
                }
            },
        ]
    }
}
SAMPLES: list[dict[str, Any]] = [
    {},
    *({name: value} for name, value in ZEROS.items()),
    {"string_value": "héllo"},
    {"int_value": 2**63 - 1},
    {"double_value": 1.5},
    {"bytes_value": b"\x00\xff"},
    RECURSIVE,
]


def split(schema: Schema) -> Schema:
    """The same schema with every group undone: members are plain optional fields, so its
    codecs write records with two members set, which the union's codecs must refuse."""
    return dataclasses.replace(
        schema,
        messages={
            name: dataclasses.replace(
                m, oneofs=(), fields=tuple(dataclasses.replace(f, oneof=None) for f in m.fields)
            )
            for name, m in schema.messages.items()
        },
    )


# -- the model and the loader -------------------------------------------------------------
def test_members_are_fields_with_presence() -> None:
    msg = ANY.messages["AnyValue"]
    assert msg.oneofs == (Oneof("value", tuple(ZEROS), "The value, one of these or none."),)
    assert [f.name for f in msg.fields] == list(ZEROS)
    assert all(f.oneof == "value" and f.optional for f in msg.fields)
    assert str(msg.field("int_value")) == "int64"  # not "optional": a member is
    kv = ANY.messages["KeyValue"]
    assert [f.name for f in kv.fields] == ["key", "value", "flag", "id", "small", "note"]
    assert str(kv.field("id")) == "fixed64"
    assert kv.field("note").oneof is None
    # Built by hand (an importer): a member has presence without saying so.
    member = Field("x", Scalar("int32"), 1, oneof="g")
    assert member.optional
    assert Message("M", (member,), oneofs=(Oneof("g", ("x",)),)).oneofs[0].doc is None


def schema_with(fields: str) -> str:
    return f"schema: t.bad\nroot: R\nmessages:\n  R:\n    reserved: [old]\n    fields:\n{fields}"


@pytest.mark.parametrize(
    ("fields", "where", "message"),
    [
        ("      g: {oneof: {a: optional int32 = 1}}\n", "7:22", "R.a: a oneof member cannot be optional"),
        ("      g: {oneof: {a: {type: int32, tag: 1, optional: true}}}\n", "7:22", "cannot be optional"),
        ("      g: {oneof: {a: list<int32> = 1}}\n", "7:22", "R.a: a oneof member cannot be a list"),
        ("      g: {oneof: {a: 'map<string, int32> = 1'}}\n", "7:22", "cannot be a map"),
        ("      g: {oneof: {a: {type: int32, tag: 1, xml: attribute}}}\n", "7:22", "cannot be an XML attribute"),
        ("      g: {oneof: {}}\n", "7:18", "a oneof needs its members"),
        ("      g: {oneof: a = 1}\n", "7:18", "a oneof needs its members"),
        ("      g: {oneof: {a: int32 = 1}, size: 3}\n", "7:34", "R.g: unknown key 'size' in a oneof"),
        ("      g: int32 = 1\n      h: {oneof: {g: int32 = 2}}\n", "8:19", "R.g: the name is already used"),
        ("      g: int32 = 1\n      g2: {oneof: {a: int32 = 1}}\n", "8:23", "tag 1 is already used by g"),
        ("      g: {oneof: {a: int32 = 1}}\n      g: int32 = 2\n", "8:7", "duplicate name 'g'"),
        ("      g: {oneof: {a: int32 = 1}}\n      a: int32 = 2\n", "8:7", "R.a: the name is already used"),
        ("      g: {oneof: {g: int32 = 1}}\n", "7:19", "R.g: a member has the oneof's name"),
        ("      old: {oneof: {a: int32 = 1}}\n", "7:7", "R.old: the name is reserved"),
        ("      g: {oneof: {a: int32 = 1}}\n      h: {oneof: {a: int32 = 2}}\n", "8:19", "R.a: the name is already used"),
        ("      g: {oneof: {a: Nope = 1}}\n", "7:22", "unknown type 'Nope'"),
        ("      g: {oneof: {fooBar: int32 = 1, foo_bar: int32 = 2}}\n", "7:38", "clashes with fooBar"),
    ],
)  # fmt: skip
def test_loader_errors_name_the_place_and_the_fix(fields: str, where: str, message: str) -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema(schema_with(fields), "u.yaml")
    text = str(info.value)
    assert text.startswith(f"u.yaml:{where}: "), text
    assert message in text


def test_a_group_of_one_member_is_allowed() -> None:
    schema = parse_schema(schema_with("      g: {oneof: {a: int32 = 1}}\n"))
    assert schema.messages["R"].oneofs == (Oneof("g", ("a",)),)


def test_member_messages_may_recurse() -> None:
    # A member has presence, so a message may hold itself through one (no required cycle).
    schema = parse_schema(schema_with("      g: {oneof: {me: R = 1, n: int32 = 2}}\n"))
    codec = codec_for("protobuf", schema)
    record = {"me": {"me": {"n": 0}}}
    assert_same(codec.decode(codec.encode(record)), record)


def test_proto_names_check_takes_groups() -> None:
    schema = parse_schema(
        schema_with("      m: map<string, int32> = 1\n      MEntry: {oneof: {a: int32 = 2}}\n")
    )
    with pytest.raises(SchemaError, match=r"clashes with oneof R.MEntry"):
        file_descriptor(schema)


# -- every format ---------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_round_trips_groups(fmt: str) -> None:
    codec = codec_for(fmt, ANY)
    for record in SAMPLES:
        assert_same(codec.decode(codec.encode(record)), record)
    if fmt != "protobuf":  # one message a file
        assert_same(list(codec.reader(io.BytesIO(codec.encode_many(SAMPLES)))), SAMPLES)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_member_at_its_zero_value_is_present(fmt: str) -> None:
    codec = codec_for(fmt, ANY)
    for name, zero in ZEROS.items():
        back = codec.decode(codec.encode({name: zero}))
        assert list(back) == [name]
    assert codec.decode(codec.encode({})) == {}


TWO_SET = {"string_value": "x", "int_value": 0}
NESTED_TWO_SET = {
    "kvlist_value": {
        "values": [{"key": "a", "value": {}}, {"key": "b", "value": {}, "flag": "NONE", "id": 1}]
    }
}
NESTED_PATH = "kvlist_value.values[1].extra"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_two_members_set_are_refused_on_writing(fmt: str) -> None:
    codec = codec_for(fmt, ANY)
    with pytest.raises(EncodeError) as info:
        codec.encode(TWO_SET)
    assert str(info.value) == "value: string_value and int_value are both set; a oneof holds one"
    with pytest.raises(EncodeError) as info:
        codec.encode(NESTED_TWO_SET)
    assert info.value.path == NESTED_PATH
    assert "flag and id are both set" in str(info.value)
    if fmt == "protobuf":  # one message a file
        return
    with pytest.raises(EncodeError) as info:
        codec.encode_many([{}, {"array_value": {"values": [{}, TWO_SET]}}])
    assert info.value.path == "array_value.values[1].value"
    assert info.value.record == 2


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_two_members_set_are_refused_on_reading(fmt: str) -> None:
    """Input written as if the members were separate fields (both tags, both keys, both
    elements) is refused, with the record and the field path."""
    loose, codec = codec_for(fmt, split(ANY)), codec_for(fmt, ANY)
    with pytest.raises(DecodeError) as info:
        codec.decode(loose.encode(TWO_SET))
    assert info.value.path == "value"
    assert "string_value and int_value are both set; a oneof holds one" in str(info.value)
    with pytest.raises(DecodeError) as info:
        codec.decode(loose.encode(NESTED_TWO_SET))
    assert info.value.path == NESTED_PATH
    if fmt == "protobuf":  # one message a file
        return
    with pytest.raises(DecodeError) as info:
        list(codec.reader(io.BytesIO(loose.encode_many([{}, {}, NESTED_TWO_SET]))))
    assert info.value.record == 3
    assert info.value.path == NESTED_PATH


def test_protobuf_last_member_wins_is_not_taken() -> None:
    # Protobuf readers keep the last member on the wire; fmtbench refuses both, whatever
    # the order, and also when the same member comes twice (last wins, as for any field).
    codec = codec_for("protobuf", ANY)
    string_then_int = b"\x0a\x01x\x18\x05"
    with pytest.raises(DecodeError, match=r"^value: string_value and int_value are both set"):
        codec.decode(string_then_int)
    with pytest.raises(DecodeError, match=r"^value: string_value and int_value are both set"):
        codec.decode(b"\x18\x05\x0a\x01x")
    assert codec.decode(b"\x18\x05\x18\x07") == {"int_value": 7}


def test_the_protobuf_writer_for_decoded_records_refuses_two_set() -> None:
    codec = ProtobufDelimitedCodec(ANY)
    out = io.BytesIO()
    writer = codec.writer_for_decoded(out)
    writer.write({"int_value": 1})
    with pytest.raises(EncodeError, match="value: string_value and int_value are both set"):
        writer.write(TWO_SET)


def test_json_null_is_an_absent_member() -> None:
    codec = codec_for("json", ANY)
    assert codec.decode(b'{"string_value": null, "int_value": 3}') == {"int_value": 3}
    assert codec.decode(b'{"string_value": null}') == {}
    with pytest.raises(DecodeError, match="duplicate"):
        codec.decode(b'{"int_value": 3, "int_value": 4}')


# -- Protobuf against protoc ----------------------------------------------------------------
def test_exported_proto_is_protocs(tmp_path: Path) -> None:
    assert_protoc_agrees(ANY, tmp_path / "any")
    assert_protoc_agrees(UNION, tmp_path / "union")
    text = proto_text(ANY)
    assert (
        "message KeyValue {\n  string key = 1;\n  AnyValue value = 2;\n  oneof extra {\n"
        "    Flag flag = 3;\n    fixed64 id = 4;\n    sint32 small = 5;\n  }\n"
        "  optional string note = 6;\n}" in text
    )
    assert "  // The value, one of these or none.\n  oneof value {\n" in text


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return generated_module(ANY, tmp_path_factory.mktemp("protoc"))


@pytest.fixture(scope="module")
def generated_union(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # Renamed: its package "test" would be the standard library's package of that name.
    renamed = dataclasses.replace(UNION, name="t.union")
    return generated_module(renamed, tmp_path_factory.mktemp("protoc_union"))


def as_generated(schema: Schema, module: Any, type_name: str, record: dict[str, Any]) -> Any:
    """The same values in the generated class: enum names as their numbers, timestamps as
    seconds and nanos, sub-messages as generated messages."""

    def value(t: Any, v: Any) -> Any:
        if isinstance(t, ListOf):
            return [value(t.item, x) for x in v]
        if isinstance(t, MapOf):
            return {k: value(t.value, x) for k, x in v.items()}
        if isinstance(t, MessageRef):
            return as_generated(schema, module, t.name, v)
        if isinstance(t, Scalar) and t.kind == "timestamp":
            seconds, nanos = timestamp_parts(v)
            return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)
        if getattr(t, "name", None) in schema.enums:
            return dict(schema.enums[t.name].values)[v]
        return v

    fields = schema.messages[type_name].fields
    kwargs = {f.name: value(f.type, record[f.name]) for f in fields if f.name in record}
    return getattr(module, type_name)(**kwargs)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records(ANY, max_depth=4))
def test_bytes_are_protoc_generated_codes(generated: Any, record: dict[str, Any]) -> None:
    theirs = as_generated(ANY, generated, "AnyValue", record).SerializeToString(deterministic=True)
    for fmt in ("protobuf", "protobuf-delimited"):
        codec = codec_for(fmt, ANY)
        assert codec.encode(record) == theirs
        assert_same(codec.decode(theirs), record)
    assert generated.AnyValue.FromString(theirs).WhichOneof("value") == next(iter(record), None)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records(UNION))
def test_every_kind_of_member_is_protoc_generated_codes(
    generated_union: Any, record: dict[str, Any]
) -> None:
    # Timestamps, enums, float32, sint64, bytes, an empty message, maps of unions, groups of
    # one and several in one message.
    msg = as_generated(UNION, generated_union, "Holder", record)
    theirs = msg.SerializeToString(deterministic=True)
    codec = codec_for("protobuf", UNION)
    assert codec.encode(record) == theirs
    assert_same(codec.decode(theirs), record)
    for group in UNION.messages["Holder"].oneofs:
        set_here = [m for m in group.members if m in record]
        assert msg.WhichOneof(group.name) == (set_here[0] if set_here else None)


def test_protoc_generated_code_keeps_one_member(generated: Any) -> None:
    msg = generated.AnyValue(string_value="x")
    msg.int_value = 0  # setting another member clears the first
    assert codec_for("protobuf", ANY).decode(msg.SerializeToString()) == {"int_value": 0}


# -- XSD and JSON Schema --------------------------------------------------------------------
def test_xsd_is_a_choice_that_validators_enforce() -> None:
    text = xsd_text(ANY)
    assert '<xs:choice minOccurs="0">' in text
    validators = [xmlschema.XMLSchema10(text), etree.XMLSchema(etree.fromstring(text.encode()))]
    codec, loose = codec_for("xml", ANY), codec_for("xml", split(ANY))
    for record in SAMPLES:
        data = codec.encode(record)
        assert validators[0].is_valid(data.decode())
        assert validators[1].validate(etree.fromstring(data)), validators[1].error_log
    for record in (TWO_SET, NESTED_TWO_SET):
        data = loose.encode(record)
        assert not validators[0].is_valid(data.decode())
        assert not validators[1].validate(etree.fromstring(data))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records(UNION, xml_safe=True))
def test_xsd_takes_what_the_xml_codec_writes(record: dict[str, Any]) -> None:
    assert xsd_validator().is_valid(codec_for("xml", UNION).encode(record).decode())


_XSD: list[Any] = []


def xsd_validator() -> Any:
    if not _XSD:
        _XSD.append(xmlschema.XMLSchema10(xsd_text(UNION)))
    return _XSD[0]


def test_xml_members_cannot_be_attributes_in_a_built_schema() -> None:
    member = Field("a", Scalar("int32"), 1, xml_attribute=True, oneof="g")
    schema = Schema("t.x", "R", {}, {"R": Message("R", (member,), oneofs=(Oneof("g", ("a",)),))})
    with pytest.raises(SchemaError, match=r"R.a: a member of oneof g cannot be an XML attribute"):
        xsd_text(schema)


def test_json_schema_allows_at_most_one_member() -> None:
    doc = json_schema(ANY)
    jsonschema.Draft202012Validator.check_schema(doc)
    validator = jsonschema.Draft202012Validator(doc)
    codec, loose = codec_for("json", ANY), codec_for("json", split(ANY))
    for record in SAMPLES:
        assert validator.is_valid(json.loads(codec.encode(record)))
    for record in (TWO_SET, NESTED_TWO_SET):
        errors = list(validator.iter_errors(json.loads(loose.encode(record))))
        assert errors
    rule = doc["$defs"]["KeyValue"]["allOf"]
    assert rule == [
        {
            "description": "oneof extra: at most one of flag, id, small",
            "not": {
                "anyOf": [
                    {"required": ["flag", "id"]},
                    {"required": ["flag", "small"]},
                    {"required": ["id", "small"]},
                ]
            },
        }
    ]


def test_json_schema_of_a_group_of_one_has_no_rule() -> None:
    doc = json_schema(UNION)
    assert [r["description"] for r in doc["$defs"]["Holder"]["allOf"]] == [
        "oneof value: at most one of text, number, blob, real, when, kind, yes, any, empty",
        "oneof pick: at most one of left, right",
    ]


# -- generate and explain -------------------------------------------------------------------
def test_generate_sets_one_member_or_none() -> None:
    gen = RecordGenerator(ANY, seed=7)
    first = list(gen.records(300))
    assert first == list(RecordGenerator(ANY, seed=7).records(300))  # seeded
    seen: set[str] = set()

    def walk(type_name: str, record: dict[str, Any]) -> None:
        msg = ANY.messages[type_name]
        for group in msg.oneofs:
            present = [m for m in group.members if m in record]
            assert len(present) <= 1, record
            seen.update(present)
        for f in msg.fields:
            t = f.type.item if isinstance(f.type, ListOf) else f.type
            if f.name in record and isinstance(t, MessageRef):
                value = record[f.name]
                for v in value if isinstance(value, list) else [value]:
                    walk(t.name, v)

    for record in first:
        walk("AnyValue", record)
    assert seen == set(ZEROS) | {"flag", "id", "small"}
    assert any(r == {} for r in first)
    for fmt in sorted(set(FORMATS) - {"protobuf"}):  # and every stream format takes them
        codec = codec_for(fmt, ANY)
        assert_same(list(codec.reader(io.BytesIO(codec.encode_many(first[:50])))), first[:50])


def test_generate_presence_hints_weigh_members() -> None:
    hints = {f"AnyValue.{name}": {"presence": 0.0} for name in ZEROS if name != "bool_value"}
    out = list(RecordGenerator(ANY, seed=1, hints=hints).records(50))
    assert {k for r in out for k in r} == {"bool_value"}
    never = {f"AnyValue.{name}": {"presence": 0.0} for name in ZEROS}
    assert list(RecordGenerator(ANY, seed=1, hints=never).records(20)) == [{}] * 20


def test_explain_shows_the_group() -> None:
    report = explain(ANY, {"int_value": 5}, formats=("protobuf", "json"))
    types = {row["path"]: row["type"] for row in report.to_dict()["fields"]}
    assert types["int_value"] == "int64 (oneof value)"
    assert types["string_value"] == "string (oneof value)"
    assert report.totals["protobuf"] == 2


def test_timestamps_and_enums_as_members_everywhere() -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    record = {"id": 1, "when": when, "items": [], "right": 2**64 - 1}
    for fmt in FORMATS:
        codec = codec_for(fmt, UNION)
        assert_same(codec.decode(codec.encode(record)), record)
        with pytest.raises(EncodeError, match=r"^pick: left and right are both set"):
            codec.encode({**record, "left": 0.0})


# -- fast paths against the model, on records with several members set ----------------------
LOOSE_UNION = split(UNION)


def two_set_paths(schema: Schema, type_name: str, record: dict[str, Any]) -> list[str]:
    """The path of every group of ``record`` (nested ones included) with two members set."""
    msg = schema.messages[type_name]
    out = [g.name for g in msg.oneofs if sum(m in record for m in g.members) > 1]
    for f in msg.fields:
        t = f.type
        inner_type = t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else t
        if f.name not in record or not isinstance(inner_type, MessageRef):
            continue
        value = record[f.name]
        if isinstance(t, ListOf):
            items = [(f"{f.name}[{i}]", v) for i, v in enumerate(value)]
        elif isinstance(t, MapOf):
            items = [(f"{f.name}{key_segment(k)}", v) for k, v in value.items()]
        else:
            items = [(f.name, value)]
        for at, v in items:
            out += [f"{at}.{inner}" for inner in two_set_paths(schema, inner_type.name, v)]
    return out


def fast_paths(fmt: str, codec: Any) -> list[tuple[str, Any]]:
    """Each fast decoder of ``codec`` on its own: returns a record, or raises/None to decline."""
    if fmt.startswith("protobuf"):
        return [("generated walk", lambda data: codec._fast(codec.parse(data)))]
    if fmt == "xml":
        return [("scanner", codec._fast)]
    if fmt == "msgpack":
        return [("typed", codec._typed.decode)]
    return [("typed", lambda data: codec._convert(codec._parse(data)))]


@pytest.mark.parametrize("fmt", ["protobuf", "json", "msgpack", "xml"])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=records(LOOSE_UNION, xml_safe=True))
def test_fast_paths_never_take_two_members(fmt: str, record: dict[str, Any]) -> None:
    """Records of the schema with its groups undone: any member may be set, several too.
    Writing and reading under the union must refuse exactly those with two set in one group,
    at the first such message's path, whichever path (fast or reference) ran; a fast path on
    its own accepts only what is valid and returns the same record."""
    codec, loose = codec_for(fmt, UNION), codec_for(fmt, LOOSE_UNION)
    data = loose.encode(record)
    where = two_set_paths(UNION, "Holder", record)
    if not where:
        assert codec.encode(record) == data  # the same bytes: a member is an optional field
        assert_same(codec.decode(data), record)
    else:
        with pytest.raises(EncodeError) as wrote:
            codec.encode(record)
        assert wrote.value.path in where
        with pytest.raises(DecodeError) as read:
            codec.decode(data)
        assert read.value.path in where
        assert "are both set; a oneof holds one" in str(read.value)
    for name, fast in fast_paths(fmt, codec):
        try:
            got = fast(data)
        except Exception:
            continue
        if got is None:  # the XML scanner declines with None
            continue
        assert not where, f"the {name} fast path took two members set at {where}"
        assert_same(got, record)


def test_protobuf_members_are_range_checked() -> None:
    # The reading classes widen members as they widen fields: nothing is cast silently.
    codec = codec_for("protobuf", ANY)
    with pytest.raises(DecodeError, match=r"^bool_value: varint 2 in a bool field"):
        codec.decode(b"\x10\x02")
    overflow = b"\x18" + b"\xff" * 9 + b"\x02"  # a varint past 64 bits in int_value
    with pytest.raises(DecodeError, match="int_value"):
        codec.decode(overflow)
    small = b"\x28" + varint(2**32)  # zigzag 2**31: past sint32
    with pytest.raises(DecodeError, match=r"^small: 2147483648 is out of range for int32"):
        codec_for("protobuf", ANY, "KeyValue").decode(small)


EDGE = """
schema: t.edge
root: M
messages:
  M:
    fields:
      foo: optional int32 = 1
      _foo: {oneof: {a: int32 = 2, message: message = 3}}
      X_bar: {oneof: {b: string = 4}}
      bar: optional string = 5
      last: {oneof: {z: bool = 6}}
  message:
    fields:
      inner: {oneof: {m: M = 1}}
"""


def test_names_protoc_would_pick_for_synthetic_oneofs(tmp_path: Path) -> None:
    # protoc names the synthetic oneof of `foo` `_foo`, and prefixes X while that name is
    # taken by a field or a real oneof; a type named like a keyword is written qualified.
    schema = parse_schema(EDGE)
    assert_protoc_agrees(schema, tmp_path)
    names = [o.name for o in file_descriptor(schema).message_type[0].oneof_decl]
    assert names == ["_foo", "X_bar", "last", "X_foo", "_bar"]


def test_the_cli_checks_exports_and_generates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fmtbench.cli import main

    path = tmp_path / "any.yaml"
    path.write_text(EDGE, encoding="utf-8")
    assert main(["schema", "check", str(path)]) == 0
    shows = {"proto": "  oneof _foo {", "xsd": "<xs:choice", "jsonschema": "at most one of a"}
    for target, text in shows.items():
        out = tmp_path / f"out.{target}"
        assert main(["schema", "export", str(path), "--to", target, "-o", str(out)]) == 0
        assert text in out.read_text(encoding="utf-8")
    data = tmp_path / "m.jsonl"
    assert main(["generate", "--schema", str(path), "-n", "20", "-o", str(data), "-q"]) == 0
    back = tmp_path / "m.pbd"
    assert main(["convert", str(data), str(back), "--schema", str(path)]) == 0
    records = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    assert any("a" in r or "message" in r for r in records)
    assert all(sum(k in r for k in ("a", "message")) <= 1 for r in records)


@pytest.mark.parametrize(
    ("fields", "oneofs", "problem"),
    [
        (("a", "n", "b"), (Oneof("g", ("a", "b")),), "must be consecutive fields"),
        (("a", "b"), (Oneof("g", ("b", "a")),), "lists ['b', 'a'], but its member fields"),
        (("a", "b"), (Oneof("g", ()),), "lists [], but"),
        (("a", "b"), (Oneof("h", ("a", "b")),), "lists ['a', 'b'], but its member fields"),
    ],
)
def test_a_built_message_keeps_groups_consistent(
    fields: tuple[str, ...], oneofs: tuple[Oneof, ...], problem: str
) -> None:
    # An importer builds the model directly: a group must be written where its members stand.
    built = tuple(
        Field(name, Scalar("int32"), i, oneof=None if name == "n" else "g")
        for i, name in enumerate(fields, 1)
    )
    with pytest.raises(ValueError, match=re.escape(problem)):
        Message("M", built, oneofs=oneofs)


def nested(levels: int) -> dict[str, Any]:
    record: dict[str, Any] = {"int_value": 1}
    for _ in range(levels):
        record = {"array_value": {"values": [record]}}
    return record


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_depth_limits_hold_through_members(fmt: str) -> None:
    # Recursion through a member is bounded like any other: --max-depth, writing and reading.
    codec = codec_for(fmt, ANY)
    assert_same(codec.decode(codec.encode(nested(20))), nested(20))
    with pytest.raises(EncodeError, match="over the limit"):
        codec.encode(nested(60))
    if fmt.startswith("protobuf"):  # past upb's own limit: no codec writes it, so by hand
        deep = b"\x18\x01"
        for _ in range(60):
            values = b"\x0a" + varint(len(deep)) + deep
            deep = b"\x2a" + varint(len(values)) + values
    else:
        deep = codec_for(fmt, ANY, limits=Limits(max_depth=200)).encode(nested(60))
    with pytest.raises(DecodeError, match=r"over the limit|deep|MaxDepth"):
        codec.decode(deep)
