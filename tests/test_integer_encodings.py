"""Integer wire encodings (issue 13, part 1): ``sint32/sint64`` (zigzag), ``fixed32/fixed64``,
``sfixed32/sfixed64`` and unpacked repeated scalars change only the Protobuf bytes.

The proof is protoc's: the exported ``.proto`` is compiled to Python by the real protoc
(grpcio-tools), and the classes it generates must write byte for byte what fmtbench writes
for the same values, at every integer's extremes, and fmtbench must read what they write.
Every other format carries the same integer as before.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtbench.codecs import FORMATS, codec_for
from fmtbench.errors import DecodeError, SchemaError
from fmtbench.schema import parse_schema
from fmtbench.schema.model import ENCODED_INTEGERS, INT_RANGES, Scalar
from fmtbench.schema.proto import proto_file_name, proto_text
from tests.samples import assert_same
from tests.test_proto_compiler import assert_protoc_agrees, generated_module

ENC = parse_schema(
    """
schema: t.enc
root: R
enums:
  E:
    values: [ZERO, ONE, TWO]
messages:
  R:
    fields:
      a: sint32 = 1
      b: sint64 = 2
      c: sfixed32 = 3
      d: sfixed64 = 4
      e: fixed32 = 5
      f: fixed64 = 6
      la: list<sint64> = 7
      lb: {type: list<fixed32>, tag: 8, packed: false}
      lc: {type: list<int32>, tag: 9, packed: false}
      le: {type: list<E>, tag: 10, packed: false}
      lf: list<sfixed64> = 11
      m: map<sint64, fixed64> = 12
      mk: map<fixed32, sint32> = 13
      o: optional sfixed64 = 14
      s: optional fixed32 = 15
      lo: {type: list<bool>, tag: 16, packed: false}
"""
)
KINDS = {"a": "int32", "b": "int64", "c": "int32", "d": "int64", "e": "uint32", "f": "uint64"}


def ints(kind: str) -> st.SearchStrategy[int]:
    lo, hi = INT_RANGES[kind]
    return st.one_of(st.sampled_from([lo, hi, 0, -1 if lo else 1, lo + 1, hi - 1]),
                     st.integers(lo, hi))  # fmt: skip


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {name: draw(ints(kind)) for name, kind in KINDS.items()}
    record["la"] = draw(st.lists(ints("int64"), max_size=4))
    record["lb"] = draw(st.lists(ints("uint32"), max_size=4))
    record["lc"] = draw(st.lists(ints("int32"), max_size=4))
    record["le"] = draw(st.lists(st.sampled_from(["ZERO", "ONE", "TWO"]), max_size=4))
    record["lf"] = draw(st.lists(ints("int64"), max_size=4))
    record["m"] = draw(st.dictionaries(ints("int64"), ints("uint64"), max_size=3))
    record["mk"] = draw(st.dictionaries(ints("uint32"), ints("int32"), max_size=3))
    record["lo"] = draw(st.lists(st.booleans(), max_size=4))
    for name, kind in (("o", "int64"), ("s", "uint32")):
        if draw(st.booleans()):
            record[name] = draw(ints(kind))
    return record


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The class protoc generates from the exported .proto, imported from its module."""
    root = tmp_path_factory.mktemp("protoc")
    module = generated_module(ENC, root)
    return module.R


def as_generated(cls: Any, record: dict[str, Any]) -> Any:
    numbers = {"ZERO": 0, "ONE": 1, "TWO": 2}
    return cls(**{**record, "le": [numbers[v] for v in record["le"]]})


def test_the_descriptor_is_protocs(tmp_path: Path) -> None:
    assert_protoc_agrees(ENC, tmp_path)
    text = proto_text(ENC)
    assert "  map<sint64, fixed64> m = 12;" in text
    assert "  repeated fixed32 lb = 8 [packed = false];" in text
    assert "  optional sfixed64 o = 14;" in text


@settings(max_examples=150, deadline=None)
@given(record=records())
def test_bytes_are_protoc_generated_codes(generated: Any, record: dict[str, Any]) -> None:
    for fmt in ("protobuf", "protobuf-delimited"):
        codec = codec_for(fmt, ENC)
        theirs = as_generated(generated, record).SerializeToString(deterministic=True)
        assert codec.encode(record) == theirs
        assert_same(codec.decode(theirs), record)


@settings(max_examples=40, deadline=None)
@given(record=records())
def test_every_format_carries_the_same_integers(record: dict[str, Any]) -> None:
    for fmt in FORMATS:
        codec = codec_for(fmt, ENC)
        assert_same(codec.decode(codec.encode(record)), record)
        assert_same(list(codec.reader(io.BytesIO(codec.encode_many([record])))), [record])


def test_unpacked_and_packed_are_both_read(generated: Any) -> None:
    # Readers accept either form whatever the schema says, as protobuf's own do.
    codec = codec_for("protobuf", ENC)
    packed_lb = b"\x42\x08" + (7).to_bytes(4, "little") + (9).to_bytes(4, "little")
    assert codec.decode(packed_lb)["lb"] == [7, 9]
    unpacked_la = b"\x38\x03\x38\x04"  # zigzag: -2, 2
    assert codec.decode(unpacked_la)["la"] == [-2, 2]


def test_sint32_out_of_range_is_refused() -> None:
    # zigzag(2**31) does not fit sint32: upb would keep 32 bits of it.
    codec = codec_for("protobuf", ENC)
    value = 2**32  # zigzag of 2**31
    data = b"\x08" + bytes([(value >> (7 * i) & 0x7F) | (0x80 if i < 4 else 0) for i in range(5)])
    with pytest.raises(DecodeError, match=r"^a: 2147483648 is out of range for int32"):
        codec.decode(data)


@pytest.mark.parametrize("name", sorted(ENCODED_INTEGERS))
def test_each_name_is_its_integer_with_an_encoding(name: str) -> None:
    schema = parse_schema(
        f"schema: t.one\nroot: R\nmessages:\n  R:\n    fields:\n      x: {name} = 1\n"
    )
    t = schema.messages["R"].fields[0].type
    kind, encoding = ENCODED_INTEGERS[name]
    assert t == Scalar(kind, encoding)
    assert str(t) == name


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("{type: list<string>, tag: 1, packed: false}", "packed applies to a list of numbers"),
        ("{type: int32, tag: 1, packed: false}", "packed applies to a list"),
        ("{type: list<int32>, tag: 1, packed: maybe}", "packed must be true or false"),
        ("map<sfloat, int32> = 1", "unknown type 'sfloat'"),
    ],
)
def test_misuse_is_a_schema_error(field: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        parse_schema(f"schema: t.bad\nroot: R\nmessages:\n  R:\n    fields:\n      x: {field}\n")


def test_encodings_are_reserved_names() -> None:
    with pytest.raises(SchemaError, match="reserved"):
        parse_schema(
            "schema: t.bad\nroot: sint64\nmessages:\n  sint64:\n    fields:\n      x: int32 = 1\n"
        )
    assert proto_file_name(ENC) == "t/enc.proto"
