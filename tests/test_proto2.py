"""proto2 ``required`` and ``[default = X]``, the well-known wrappers, and enum aliases.

The proof for Protobuf is protoc's, as in test_integer_encodings.py: the exported ``.proto``
(edition 2023 where a field is required or has a default, proto3 otherwise) compiles to
the codec's own descriptor, and the classes protoc generates from it write byte for byte
what fmtbench writes, and fmtbench reads what they write. Every other format sees a
required field as a field that must be present, a wrapper as ``optional T``, and an alias
as the first name of its number.
"""

from __future__ import annotations

import dataclasses
import io
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtbench.cli import main
from fmtbench.codecs import FORMATS, codec_for
from fmtbench.codecs.values.leaves import timestamp_parts
from fmtbench.errors import DecodeError, EncodeError, SchemaError
from fmtbench.schema import parse_schema
from fmtbench.schema.defaults import c_escape, c_unescape, from_descriptor
from fmtbench.schema.jsonschema import json_schema
from fmtbench.schema.proto import file_descriptor, proto_text
from fmtbench.schema.xsd import xsd_text
from tests.samples import assert_same
from tests.strategies import PROTO2_YAML, records, schema_named
from tests.test_proto_compiler import assert_protoc_agrees, generated_module
from tests.test_protobuf_fast import check_agrees, mutate

P2 = schema_named("proto2")

WRAP = parse_schema(
    """
schema: pthree.wrap
root: W
enums:
  Kind: {values: {NONE: 0, ONE: 1, UNO: 1, TWO: 2}, allow_alias: true}
messages:
  W:
    fields:
      b: {type: bool, tag: 1, optional: true, wrapper: true}
      i32: {type: int32, tag: 2, optional: true, wrapper: true}
      i64: {type: int64, tag: 3, optional: true, wrapper: true}
      u32: {type: uint32, tag: 4, optional: true, wrapper: true}
      u64: {type: uint64, tag: 5, optional: true, wrapper: true}
      f32: {type: float32, tag: 6, optional: true, wrapper: true}
      f64: {type: float64, tag: 7, optional: true, wrapper: true}
      s: {type: string, tag: 8, optional: true, wrapper: true}
      by: {type: bytes, tag: 9, optional: true, wrapper: true}
      kind: Kind = 10
      kinds: list<Kind> = 11
      plain: optional int32 = 12
"""
)
WRAPPED = {
    "b": "bool",
    "i32": "int32",
    "i64": "int64",
    "u32": "uint32",
    "u64": "uint64",
    "f32": "float32",
    "f64": "float64",
    "s": "string",
    "by": "bytes",
}
KIND_NUMBERS = {"NONE": 0, "ONE": 1, "UNO": 1, "TWO": 2}
STATE_NUMBERS = {"UNKNOWN": 0, "STARTED": 1, "RUNNING": 1, "DONE": 2, "FINISHED": 2}
BOUNDS = {"int32": 31, "int64": 63}


def scalars(kind: str) -> st.SearchStrategy[Any]:
    if kind == "bool":
        return st.booleans()
    if kind in ("int32", "int64"):
        top = 2 ** BOUNDS[kind]
        return st.one_of(st.sampled_from([0, -top, top - 1, -1]), st.integers(-top, top - 1))
    if kind in ("uint32", "uint64"):
        top = 2 ** (32 if kind == "uint32" else 64)
        return st.one_of(st.sampled_from([0, top - 1]), st.integers(0, top - 1))
    if kind == "float32":
        return st.floats(width=32)
    if kind == "float64":
        return st.floats()
    if kind == "string":
        return st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
    return st.binary(max_size=8)


@st.composite
def wrap_records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, kind in WRAPPED.items():
        if draw(st.booleans()):
            record[name] = draw(scalars(kind))
    record["kind"] = draw(st.sampled_from(["NONE", "ONE", "TWO"]))
    record["kinds"] = draw(st.lists(st.sampled_from(["NONE", "ONE", "TWO"]), max_size=3))
    if draw(st.booleans()):
        record["plain"] = draw(scalars("int32"))
    return record


@pytest.fixture(scope="module")
def wrap_class(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return generated_module(WRAP, tmp_path_factory.mktemp("wrap")).W


@pytest.fixture(scope="module")
def job_class(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # Another package name: "test" is the standard library's (the bytes do not name it).
    renamed = dataclasses.replace(P2, name="ptwo.job")
    return generated_module(renamed, tmp_path_factory.mktemp("proto2")).Job


def as_wrap(cls: Any, record: dict[str, Any]) -> Any:
    kw: dict[str, Any] = {n: {"value": v} for n, v in record.items() if n in WRAPPED}
    kw["kind"] = KIND_NUMBERS[record["kind"]]
    kw["kinds"] = [KIND_NUMBERS[k] for k in record["kinds"]]
    if "plain" in record:
        kw["plain"] = record["plain"]
    return cls(**kw)


def as_job(cls: Any, record: dict[str, Any]) -> Any:
    def step(s: dict[str, Any]) -> dict[str, Any]:
        seconds, nanos = timestamp_parts(s["at"])
        out = {"state": STATE_NUMBERS[s["state"]], "at": {"seconds": seconds, "nanos": nanos}}
        if "note" in s:
            out["note"] = s["note"]
        return out

    kw = dict(record)
    if "state" in kw:
        kw["state"] = STATE_NUMBERS[kw["state"]]
    kw["states"] = [STATE_NUMBERS[s] for s in record["states"]]
    kw["step"] = step(record["step"])
    kw["steps"] = [step(s) for s in record["steps"]]
    kw["wrapped"] = {n: {"value": v} for n, v in record["wrapped"].items()}
    return cls(**kw)


# -- the descriptor and the .proto text ----------------------------------------------------
def test_the_descriptors_are_protocs(tmp_path: Path) -> None:
    assert_protoc_agrees(P2, tmp_path / "p2")
    assert_protoc_agrees(WRAP, tmp_path / "wrap")


def test_editions_only_where_needed() -> None:
    # Wrappers and aliases need nothing proto3 lacks; required fields and defaults do.
    assert file_descriptor(WRAP).syntax == "proto3"
    assert file_descriptor(P2).syntax == "editions"
    text = proto_text(P2)
    assert text.splitlines()[1] == 'edition = "2023";'
    assert "option features.field_presence = IMPLICIT;" in text
    assert "  uint64 id = 1 [features.field_presence = LEGACY_REQUIRED];" in text
    assert '  string name = 2 [features.field_presence = LEGACY_REQUIRED, default = "née"];' in text
    assert (
        "  State state = 3 [features.field_presence = EXPLICIT, default = STATE_RUNNING];" in text
    )
    assert "  float ratio = 5 [features.field_presence = EXPLICIT, default = nan];" in text
    assert '  bytes blob = 6 [features.field_presence = EXPLICIT, default = "a\\001"];' in text
    assert "  option allow_alias = true;" in text
    wrap = proto_text(WRAP)
    assert 'import "google/protobuf/wrappers.proto";' in wrap
    assert "  google.protobuf.Int64Value i64 = 3;" in wrap
    assert "  google.protobuf.BytesValue by = 9;" in wrap
    assert "  optional int32 plain = 12;" in wrap


def test_unpacked_lists_in_an_editions_file(tmp_path: Path) -> None:
    schema = parse_schema(
        """
schema: pfour.unpacked
messages:
  R:
    fields:
      a: required int32 = 1
      l: {type: list<sint64>, tag: 2, packed: false}
"""
    )
    assert_protoc_agrees(schema, tmp_path)
    assert "features.repeated_field_encoding = EXPANDED" in proto_text(schema)


# -- bytes: protoc-generated classes -------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(record=wrap_records())
def test_wrapper_bytes_are_protoc_generated_codes(wrap_class: Any, record: dict[str, Any]) -> None:
    theirs = as_wrap(wrap_class, record).SerializeToString(deterministic=True)
    for fmt in ("protobuf", "protobuf-delimited"):
        codec = codec_for(fmt, WRAP)
        assert codec.encode(record) == theirs
        assert_same(codec.decode(theirs), record)


def test_wrapper_set_unset_and_zero(wrap_class: Any) -> None:
    codec = codec_for("protobuf", WRAP)
    base = {"kind": "NONE", "kinds": []}
    assert codec.encode(base) == b""
    for name, zero in [("b", False), ("i64", 0), ("s", ""), ("by", b""), ("f64", 0.0)]:
        record = {**base, name: zero}
        data = codec.encode(record)
        # The wrapper is there, empty: a zero value is not an absent one.
        assert data == as_wrap(wrap_class, record).SerializeToString(deterministic=True)
        assert len(data) == 2
        assert codec.decode(data) == record


@settings(max_examples=100, deadline=None)
@given(record=records(P2))
def test_proto2_bytes_are_protoc_generated_codes(job_class: Any, record: dict[str, Any]) -> None:
    theirs = as_job(job_class, record).SerializeToString(deterministic=True)
    codec = codec_for("protobuf", P2)
    assert codec.encode(record) == theirs
    assert_same(codec.decode(theirs), record)


def test_required_fields_are_written_at_their_zero_value(job_class: Any) -> None:
    codec = codec_for("protobuf", P2)
    record = {
        "id": 0,
        "name": "",
        "flag": False,
        "wrapped": {},
        "states": [],
        "step": {"state": "UNKNOWN", "at": datetime(1970, 1, 1, tzinfo=UTC)},
        "steps": [],
        "plain": 0,
    }
    data = codec.encode(record)
    assert data.startswith(b"\x08\x00\x12\x00")  # id = 0 and name = "" are on the wire
    assert data == as_job(job_class, record).SerializeToString(deterministic=True)
    parsed = job_class.FromString(data)
    assert parsed.IsInitialized()
    # Defaults are what an absent field reads as in generated code; fmtbench keeps absence.
    assert parsed.state == STATE_NUMBERS["RUNNING"]
    assert parsed.retries == -3
    assert parsed.blob == b"a\x01"
    assert math.isnan(parsed.ratio)
    assert "state" not in codec.decode(data)


def _minimal() -> dict[str, Any]:
    return {
        "id": 1,
        "name": "x",
        "flag": True,
        "wrapped": {},
        "states": [],
        "step": {"state": "DONE", "at": datetime(2020, 1, 2, tzinfo=UTC)},
        "steps": [],
        "plain": 0,
    }


def test_aliases_read_as_the_first_name(wrap_class: Any) -> None:
    codec = codec_for("protobuf", WRAP)
    theirs = wrap_class(kind=1, kinds=[2, 1]).SerializeToString()
    assert codec.decode(theirs) == {"kind": "ONE", "kinds": ["TWO", "ONE"]}
    # A writer takes any alias, and writes its number.
    assert codec.encode({"kind": "UNO", "kinds": ["UNO"]}) == theirs[:2] + b"\x5a\x01\x01"


# -- reading refuses bad wrapper contents --------------------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        # Int32Value holding 2^40: upb would keep 32 bits of it.
        (b"\x12\x07\x08\x80\x80\x80\x80\x80\x20", r"^i32: 1099511627776 is out of range"),
        (b"\x22\x06\x08\x80\x80\x80\x80\x10", r"^u32: 4294967296 is out of range"),
        (b"\x0a\x02\x08\x02", r"^b: varint 2 in a bool field"),
        (b"\x1a\x02\x10\x01", r"^i64: unknown field number 2"),
        (
            b"\x2a\x0b\x08" + b"\xff" * 9 + b"\x7f",
            r"^u64: a varint over 64 bits",
        ),
    ],
)
def test_bad_wrapper_contents_are_refused(data: bytes, message: str) -> None:
    codec = codec_for("protobuf", WRAP)
    with pytest.raises(DecodeError, match=message):
        codec.decode(data + b"\x50\x00")
    check_agrees(codec, data)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_fast_decode_agrees_with_the_reference_on_wrappers(data: Any) -> None:
    codec = codec_for("protobuf", WRAP)
    valid = codec.encode(data.draw(wrap_records()))
    check_agrees(codec, valid)
    for _ in range(3):
        check_agrees(codec, mutate(valid, data.draw, codec))


# -- every format ----------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(record=records(P2, xml_safe=True))
def test_every_format_round_trips(record: dict[str, Any]) -> None:
    for fmt in FORMATS:
        codec = codec_for(fmt, P2)
        assert_same(codec.decode(codec.encode(record)), record)
        assert_same(list(codec.reader(io.BytesIO(codec.encode_many([record])))), [record])


@pytest.mark.parametrize("path", [("id",), ("flag",), ("step",), ("step", "state")])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_missing_required_field_is_refused(fmt: str, path: tuple[str, ...]) -> None:
    codec = codec_for(fmt, P2)
    full = _minimal()
    record = dict(full)
    if len(path) == 1:
        del record[path[0]]
    else:
        record["step"] = {k: v for k, v in full["step"].items() if k != path[1]}
    where = ".".join(path)
    with pytest.raises(EncodeError, match=rf"{where}: required field is missing"):
        codec.encode(record)
    # Read: the same record written without the field, by a writer that does not know it
    # is required (the schema with the field optional).
    relaxed = _relaxed(path)
    if fmt == "avro":
        # An Avro datum holds every field of its schema: no bytes of this one can leave the
        # field out. A container of the relaxed schema is refused by its header's schema.
        data = codec_for(fmt, relaxed).encode_many([record])
        with pytest.raises(DecodeError, match=rf"schema.*{path[-1]}"):
            list(codec.reader(io.BytesIO(data)))
        return
    if fmt == "avro-single":  # the relaxed schema has another fingerprint
        with pytest.raises(DecodeError, match="fingerprint"):
            codec.decode(codec_for(fmt, relaxed).encode(record))
        return
    data = codec_for(fmt, relaxed).encode(record)
    with pytest.raises(DecodeError, match=rf"{where}: required field is missing"):
        codec.decode(data)
    with pytest.raises(DecodeError, match=rf"record 1: .*{where}: required field is missing"):
        list(codec.reader(io.BytesIO(codec_for(fmt, relaxed).encode_many([record]))))


def _relaxed(path: tuple[str, ...]) -> Any:
    owner = "Job" if len(path) == 1 else "Step"
    msg = P2.messages[owner]
    fields = tuple(
        dataclasses.replace(f, required=False, optional=True) if f.name == path[-1] else f
        for f in msg.fields
    )
    messages = {**P2.messages, owner: dataclasses.replace(msg, fields=fields)}
    return dataclasses.replace(P2, messages=messages)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_aliases_read_in_every_format_give_the_first_name(fmt: str) -> None:
    codec = codec_for(fmt, P2)
    record = {**_minimal(), "state": "RUNNING", "states": ["FINISHED", "STARTED", "DONE"]}
    expected = {**record, "state": "STARTED", "states": ["DONE", "STARTED", "DONE"]}
    assert_same(codec.decode(codec.encode(record)), expected)
    if fmt in ("json", "jsonl"):
        text = codec.encode(_minimal()).replace(b'"DONE"', b'"FINISHED"')
        assert codec.decode(text)["step"]["state"] == "DONE"
    if fmt == "xml":
        text = codec.encode(_minimal()).replace(b">DONE<", b">FINISHED<")
        assert codec.decode(text)["step"]["state"] == "DONE"


# -- defaults: validated and exported ------------------------------------------------------
def test_defaults_are_exported() -> None:
    props = json_schema(P2)["$defs"]["Job"]["properties"]
    assert props["name"]["default"] == "née"
    assert props["state"]["default"] == "RUNNING"
    assert props["ratio"]["default"] == "NaN"
    assert props["blob"]["default"] == "YQE="
    assert props["retries"]["default"] == -3
    xsd = xsd_text(P2)
    assert '<xs:attribute name="retries" type="xs:int" use="optional" default="-3"/>' in xsd
    schema = xmlschema.XMLSchema(xsd)  # the default is valid for its type
    codec = codec_for("xml", P2)
    schema.validate(codec.encode(_minimal()).decode())


def test_c_escapes_round_trip() -> None:
    data = bytes(range(256))
    assert c_unescape(c_escape(data)) == data
    assert c_unescape(r"\x41\101\n\'\"\\é") == b"AA\n'\"\\\xc3\xa9"


FIELD = "schema: t.bad\nroot: R\nenums:\n  E: [A, B]\nmessages:\n  R:\n    fields:\n      x: {}\n"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("required list<int32> = 1", "a list or map cannot be required"),
        ('{type: "map<string, int32>", tag: 1, required: true}', "cannot be required"),
        ("{type: int32, tag: 1, required: true, optional: true}", "both optional and required"),
        ("{type: int32, tag: 1, required: maybe}", "required must be true or false"),
        ("{type: int32, tag: 1, default: 3}", "a default needs an 'optional' or 'required'"),
        ("{type: int32, tag: 1, optional: true, default: 2147483648}", "outside int32"),
        ("{type: uint64, tag: 1, optional: true, default: -1}", "outside uint64"),
        ("{type: int32, tag: 1, optional: true, default: 1.5}", "is not an integer"),
        ("{type: bool, tag: 1, optional: true, default: 1}", "is not true or false"),
        ("{type: float32, tag: 1, optional: true, default: 1e39}", "beyond float32"),
        ("{type: float64, tag: 1, optional: true, default: infinite}", "is not a number"),
        ("{type: E, tag: 1, optional: true, default: C}", "'C' is not a value of E"),
        ("{type: string, tag: 1, optional: true, default: 5}", "is not a string"),
        ("{type: bytes, tag: 1, optional: true, default: 'a\\q'}", "unknown escape"),
        ("{type: bytes, tag: 1, optional: true, default: 'a\\777'}", "over \\\\377"),
        ("{type: timestamp, tag: 1, optional: true, default: 0}", "scalar or enum field"),
        ("{type: int64, tag: 1, optional: true, default: [1]}", "one value of the field's"),
        ("{type: int64, tag: 1, wrapper: true}", "wrapper needs an 'optional' field"),
        ("{type: list<int64>, tag: 1, wrapper: true}", "lists of wrappers are not supported"),
        ("{type: timestamp, tag: 1, optional: true, wrapper: true}", "wrapper needs"),
        ("{type: sint64, tag: 1, optional: true, wrapper: true}", "wrapper needs"),
        ("{type: E, tag: 1, optional: true, wrapper: true}", "wrapper needs"),
        (
            "{type: int64, tag: 1, optional: true, wrapper: true, default: 1}",
            "a default needs",
        ),
    ],
)
def test_misuse_is_a_schema_error(field: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        parse_schema(FIELD.format(field))


@pytest.mark.parametrize(
    ("enum", "message"),
    [
        ("{values: {A: 0, B: 1, C: 1}}", "C reuses number 1 of B; give it another number, or"),
        ("{values: {A: 0, B: 1}, allow_alias: true}", "no two values share a number"),
        ("{values: {A: 0, B: 0}, allow_alias: 1}", "allow_alias must be true or false"),
    ],
)
def test_alias_misuse_is_a_schema_error(enum: str, message: str) -> None:
    text = f"schema: t.bad\nroot: R\nenums:\n  E: {enum}\nmessages:\n  R:\n    fields:\n      x: E = 1\n"
    with pytest.raises(SchemaError, match=message):
        parse_schema(text)


def test_shorthand_and_long_form_agree() -> None:
    a = parse_schema(FIELD.format("required int32 = 1")).messages["R"].fields[0]
    b = parse_schema(FIELD.format("{type: int32, tag: 1, required: true}")).messages["R"].fields[0]
    assert a == b
    assert a.required
    assert not a.optional
    assert str(a) == "required int32"


def test_explain_shows_defaults_and_wrappers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    schema_file = tmp_path / "p2.yaml"
    schema_file.write_text(PROTO2_YAML, encoding="utf-8")
    data = tmp_path / "r.json"
    data.write_bytes(codec_for("json", P2).encode({**_minimal(), "wrapped": {"w_i64": 5}}))
    status = main(["explain", "--schema", str(schema_file), "--input", str(data)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "required uint64" in out
    assert "optional State (default RUNNING)" in out
    assert 'required string (default "n\u00e9e")' in out
    assert "optional int64 (wrapper)" in out


def test_descriptor_defaults_read_back() -> None:
    # What an importer reads from protoc's descriptor gives the schema's default again.
    described = {m.name: m for m in file_descriptor(P2).message_type}
    for msg in P2.messages.values():
        fields = {fd.name: fd for fd in described[msg.name].field}
        for f in msg.fields:
            if f.default is None:
                continue
            text = fields[f.name].default_value
            enum = P2.enums.get(getattr(f.type, "name", ""))
            if enum is not None:
                text = text.removeprefix("STATE_")
            assert_same(from_descriptor(f.type, enum, text), f.default)


def test_generated_records_hold_every_required_field() -> None:
    from fmtbench.generate import RecordGenerator

    rows = list(RecordGenerator(P2, seed=7).records(40))
    assert all({"id", "name", "flag", "step"} <= r.keys() for r in rows)
    assert any("w_i64" in r["wrapped"] for r in rows)
    assert any("w_i64" not in r["wrapped"] for r in rows)
    states = {s for r in rows for s in r["states"]}
    assert states <= set(P2.enums["State"].canonical_names)
    for fmt in FORMATS:
        codec = codec_for(fmt, P2)
        assert_same([codec.decode(codec.encode(r)) for r in rows], rows)
