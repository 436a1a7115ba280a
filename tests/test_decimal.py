"""decimal(p, s): the schema type, its canonical value, and its exact form in every format.

The canonical value is a ``Decimal`` quantized to the scale; nothing is rounded; NaN,
infinities and too many digits are errors naming the field. Independent readers (protoc's
generated classes, fastavro and Apache Avro, xmlschema, jsonschema) see the same values.
"""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import avro.datafile
import avro.io
import fastavro
import jsonschema
import pytest
import xmlschema
from hypothesis import given

from fmtbench.codecs import FORMATS, codec_for
from fmtbench.codecs.values.canonical import validate
from fmtbench.errors import DecodeError, EncodeError, SchemaError
from fmtbench.schema import parse_schema
from fmtbench.schema.avsc import avro_schema
from fmtbench.schema.jsonschema import json_schema
from fmtbench.schema.xsd import xsd_text
from tests.strategies import records, schema_named
from tests.test_proto_compiler import generated_module

D = Decimal
MONEY = schema_named("money")


def one(type_text: str) -> Any:
    return parse_schema(f"schema: t.d\nmessages:\n  M:\n    fields:\n      v: {type_text} = 1\n")


def sample() -> dict[str, Any]:
    return {
        "total": D("-9999999999.99"),
        "rate": D("0.000000001"),
        "units": D("9"),
        "huge": D("-" + "9" * 66 + "." + "9" * 10),
        "tip": D("1.5"),
        "prices": [D("0"), D("-999999.9999"), D("1")],
        "by_code": {"a": D("9" * 38), "b": D("-1")},
        "by_line": {7: D("0." + "9" * 76)},
        "discount": D("-0.5"),
        "cash": D("0.01"),
        "lines": [{"amount": D("12345678901234.123456")}, {"amount": D("0"), "tax": D("0.001")}],
    }


# -- the schema ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["decimal(1, 0)", "decimal(76, 76)", "decimal(76,0)", "decimal(5, 5)"]
)
def test_precision_and_scale_bounds_load(text: str) -> None:
    t = one(text).message().fields[0].type
    assert str(t) == text.replace(",0", ", 0")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("decimal(0, 0)", "precision 0 is out of range"),
        ("decimal(77, 2)", "precision 77 is out of range"),
        ("decimal(5, 6)", "scale 6 exceeds precision 5"),
        ("decimal", "ends too early"),
        ("decimal(5)", "expected ','"),
        ("decimal(a, 2)", "whole numbers"),
        ("map<decimal(5, 2), string>", "map key type"),
    ],
)
def test_bad_decimal_types_are_refused(text: str, problem: str) -> None:
    with pytest.raises(SchemaError, match=re.escape(problem)):
        one(text)


def test_decimal_has_no_proto2_default() -> None:
    with pytest.raises(SchemaError, match="a default applies to a scalar or enum field"):
        parse_schema(
            "schema: t.d\nmessages:\n  M:\n    fields:\n"
            '      v: {type: "optional decimal(5, 2)", tag: 1, default: 1}\n'
        )


# -- the canonical value ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given_", "canonical"),
    [("1.5", "1.50"), ("-0", "0.00"), ("-0.000", "0.00"), ("1.500", "1.50"), ("1E+2", "100.00")],
)
def test_canonical_value_is_quantized_to_the_scale(given_: str, canonical: str) -> None:
    out = validate(one("decimal(5, 2)"), {"v": D(given_)})["v"]
    assert str(out) == canonical
    assert not out.is_signed()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (D("1.005"), "more than 2 digits after the point"),
        (D("1000"), "more than 3 digits before the point"),
        (D("NaN"), "not a number"),
        (D("sNaN"), "not a number"),
        (D("Infinity"), "not a number"),
        (D("-Infinity"), "not a number"),
        (1.5, "decimal.Decimal"),
        (1, "decimal.Decimal"),
        ("1.5", "decimal.Decimal"),
    ],
)
def test_values_that_do_not_fit_are_errors_naming_the_field(value: Any, problem: str) -> None:
    bad = {**sample(), "tip": value}
    for fmt in FORMATS:
        with pytest.raises(EncodeError, match=re.escape(problem)) as info:
            codec_for(fmt, MONEY).encode(bad)
        assert str(info.value).startswith("tip: "), fmt


def test_an_error_in_a_list_names_the_index() -> None:
    record = {**sample(), "prices": [D("1"), D("1.00001")]}
    with pytest.raises(EncodeError, match=re.escape("prices[1]: ")):
        codec_for("json", MONEY).encode(record)


# -- exactness through every format -----------------------------------------------------------
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_keeps_every_digit(fmt: str) -> None:
    c = codec_for(fmt, MONEY)
    back = c.decode(c.encode(sample()))
    expected = validate(MONEY, sample())
    assert back == expected
    # The same digits and the same exponent: Decimal("1.50") is not merely == 1.5 here.
    assert str(back["tip"]) == "1.50"
    assert str(back["units"]) == "9"
    assert [str(p) for p in back["prices"]] == ["0.0000", "-999999.9999", "1.0000"]


@given(records(MONEY, xml_safe=True))
def test_generated_records_are_kept_in_json_and_avro(record: dict[str, Any]) -> None:
    for fmt in ("json", "avro", "protobuf", "xml"):
        c = codec_for(fmt, MONEY)
        back = c.decode(c.encode(record))
        assert back == record
        assert [str(p) for p in back["prices"]] == [str(p) for p in record["prices"]]


# -- reading: the text must be a plain decimal ------------------------------------------------
@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ('"1e2"', False),
        ('"NaN"', False),
        ('"Infinity"', False),
        ('" 1"', False),
        ('"1_0"', False),
        ('""', False),
        ("1.5", False),  # a JSON number may have been rounded by its writer: refused
        ('"1.555"', False),
        ('"1000"', False),
        ('"+1."', True),
        ('".5"', True),
        ('"-000123.40000"', True),
        ('"-0001234.0"', False),
        ('"-000.40000"', True),
    ],
)
def test_json_reads_decimal_text_only(text: str, ok: bool) -> None:
    data = f'{{"v": {text}}}'.encode()
    c = codec_for("json", one("decimal(5, 2)"))
    if ok:
        assert c.decode(data)["v"] == D(json.loads(text))
    else:
        with pytest.raises(DecodeError, match=r"\bv: "):
            c.decode(data)


def test_protobuf_string_is_checked_on_read() -> None:
    s = one("decimal(5, 2)")
    proto = codec_for("protobuf", s)
    text = codec_for("protobuf", one("string"))
    assert proto.decode(text.encode({"v": "1.5"})) == {"v": D("1.50")}
    assert proto.decode(text.encode({"v": ""})) == {"v": D("0.00")}  # proto3's absent string
    for bad in ("1e2", "abc", "1.555", "123456"):
        with pytest.raises(DecodeError, match=r"\bv: "):
            proto.decode(text.encode({"v": bad}))


def test_xml_reads_xs_decimal_with_whitespace() -> None:
    c = codec_for("xml", one("decimal(5, 2)"))
    data = c.encode({"v": D("3")})
    assert b"<v>3.00</v>" in data
    assert c.decode(data.replace(b"3.00", b" +3.5 "))["v"] == D("3.50")
    with pytest.raises(DecodeError, match=r"\bv: "):
        c.decode(data.replace(b"3.00", b"3E0"))


def test_avro_unscaled_integer_of_too_many_digits_is_refused() -> None:
    s = one("decimal(3, 1)")
    raw = codec_for("avro-single", one("bytes"))
    c = codec_for("avro-single", s)
    assert c.decode(raw.encode({"v": (-1).to_bytes(1, "big", signed=True)})) == {"v": D("-0.1")}
    assert c.decode(raw.encode({"v": (999).to_bytes(2, "big")})) == {"v": D("99.9")}
    for bad in ((1000).to_bytes(2, "big"), b"", b"\x7f" * 100):
        with pytest.raises(DecodeError, match=r"\bv: "):
            c.decode(raw.encode({"v": bad}))


# -- independent readers ----------------------------------------------------------------------
def test_protoc_generated_classes_read_the_text(tmp_path: Path) -> None:
    module = generated_module(MONEY, tmp_path)
    msg = module.Invoice.FromString(codec_for("protobuf", MONEY).encode(sample()))
    assert msg.total == "-9999999999.99"
    assert msg.tip == "1.50"
    assert msg.rate == "0.000000001"
    assert list(msg.prices) == ["0.0000", "-999999.9999", "1.0000"]
    assert msg.lines[1].tax == "0.001"


def _container() -> bytes:
    c = codec_for("avro", MONEY)
    buf = io.BytesIO()
    w = c.writer(buf)
    w.write(sample())
    w.close()
    return buf.getvalue()


def test_avsc_declares_the_decimal_logical_type() -> None:
    fields = {f["name"]: f["type"] for f in avro_schema(MONEY)["fields"]}
    assert fields["total"] == {
        "type": "bytes",
        "logicalType": "decimal",
        "precision": 12,
        "scale": 2,
    }


def test_fastavro_and_apache_avro_read_the_same_decimals() -> None:
    data = _container()
    expected = validate(MONEY, sample())
    for got in (
        next(iter(fastavro.reader(io.BytesIO(data)))),
        next(iter(avro.datafile.DataFileReader(io.BytesIO(data), avro.io.DatumReader()))),
    ):
        for name in ("total", "rate", "units", "huge", "tip", "cash"):
            assert got[name] == expected[name], name
            assert str(got[name]) == str(expected[name]), name
        assert got["prices"] == expected["prices"]


def test_xml_validates_against_the_xsd() -> None:
    text = xsd_text(MONEY)
    assert '<xs:totalDigits value="76"/>' in text
    assert '<xs:fractionDigits value="10"/>' in text
    validator = xmlschema.XMLSchema10(text)
    data = codec_for("xml", MONEY).encode(sample())
    validator.validate(data.decode())
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        validator.validate(data.decode().replace("-9999999999.99", "-9999999999.999"))


def test_json_validates_against_the_json_schema() -> None:
    schema = json_schema(MONEY)
    data = json.loads(codec_for("json", MONEY).encode(sample()))
    jsonschema.validate(data, schema)
    for bad in ("1e2", "1.555", "123456", "NaN"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**data, "tip": bad}, schema)
    jsonschema.validate({**data, "tip": "+000.5000"}, schema)
