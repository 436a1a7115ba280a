"""The XSD compiler: a valid schema that accepts exactly what the XML codec writes.

Two independent validators check it: libxml2 (through lxml) and the pure-Python xmlschema.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import xmlschema
from lxml import etree

from fmtbench.codecs.xml.codec import XmlCodec
from fmtbench.errors import SchemaError
from fmtbench.schema import Schema, parse_schema
from fmtbench.schema.xsd import xsd_text
from tests.samples import ORDERS, SENSORS, order_schema, sensor_schema
from tests.test_xml import INVENTORY

ORDER = order_schema()
SENSOR = sensor_schema()
SHIPPED = [(ORDER, ORDERS), (SENSOR, SENSORS)]


def lxml_schema(schema: Schema) -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(xsd_text(schema).encode()))


def check_valid(validator: etree.XMLSchema, data: bytes) -> None:
    doc = etree.fromstring(data)
    assert validator.validate(doc), validator.error_log


@pytest.mark.parametrize("schema", [ORDER, SENSOR, INVENTORY], ids=lambda s: s.name)
def test_xsd_is_a_valid_schema(schema: Schema) -> None:
    text = xsd_text(schema)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<xs:schema ')
    lxml_schema(schema)  # raises XMLSchemaParseError if not
    xmlschema.XMLSchema10(text)
    assert f'targetNamespace="{schema.namespace}"' in text
    assert 'elementFormDefault="qualified"' in text


@pytest.mark.parametrize(("schema", "records"), SHIPPED, ids=["order", "sensor"])
def test_codec_output_validates(schema: Schema, records: list[dict[str, Any]]) -> None:
    validator = lxml_schema(schema)
    second = xmlschema.XMLSchema10(xsd_text(schema))
    codec = XmlCodec(schema)
    documents = [codec.encode(r) for r in records] + [codec.encode_many(records)]
    documents.append(codec.encode_many([]))
    for data in documents:
        check_valid(validator, data)
        second.validate(data.decode())


def test_map_of_messages_and_optional_attribute_validate() -> None:
    validator = lxml_schema(INVENTORY)
    codec = XmlCodec(INVENTORY)
    item = {"sku": "s", "size": "LARGE", "blob": b"\x01\x02"}
    for record in [
        {"name": "n", "items": {}, "counts": []},
        {"name": "n", "code": -5, "items": {"a": item, "b": item}, "counts": [0, 7], "main": item},
    ]:
        check_valid(validator, codec.encode(record))
    assert "<xs:complexContent>" in xsd_text(INVENTORY)


def test_other_record_types_validate_in_the_wrapper() -> None:
    codec = XmlCodec(ORDER, "Customer")
    check_valid(lxml_schema(ORDER), codec.encode_many([ORDERS[0]["customer"]]))


def test_docs_become_annotations() -> None:
    text = xsd_text(ORDER)
    for doc in [
        "Orders placed in the web shop.",
        "One order.",
        "ISO 4217 currency of every amount in the order.",
        "Where the order came from: web, app or phone.",
        "ISO 3166-1 alpha-2 code.",
    ]:
        assert f"<xs:documentation>{doc}</xs:documentation>" in text


def test_types_are_mapped() -> None:
    text = xsd_text(SENSOR)
    for name, xsd_type in [
        ("count", "xs:int"),
        ("sequence", "xs:long"),
        ("flags", "xs:unsignedInt"),
        ("checksum", "xs:unsignedLong"),
        ("value", "xs:double"),
        ("raw", "xs:float"),
        ("ok", "xs:boolean"),
        ("payload", "xs:base64Binary"),
        ("at", "tns:timestamp"),
        ("level", "tns:Level"),
    ]:
        assert f'<xs:element name="{name}" type="{xsd_type}"/>' in text
    assert '<xs:attribute name="sensor" type="xs:string" use="required"/>' in text
    assert '<xs:element name="calibrated_at" type="tns:timestamp" minOccurs="0"/>' in text
    assert (
        '<xs:element name="children" type="tns:Reading" minOccurs="0" maxOccurs="unbounded"/>'
        in text
    )
    assert '<xs:attribute name="key" type="xs:int" use="required"/>' in text
    assert '<xs:attribute name="code" type="xs:int" use="optional"/>' in xsd_text(INVENTORY)


def broken(data: bytes, old: str, new: str) -> bytes:
    text = data.decode()
    assert old in text
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<id>3</id>", ""),  # a required element missing
        ("<status>CANCELLED</status>", "<status>LOST</status>"),  # not an enum value
        ("<id>3</id>", "<id>-3</id>"),  # out of range for xs:unsignedLong
        ("<gift_wrap>true</gift_wrap>", "<gift_wrap>yes</gift_wrap>"),
        ('channel="app"', ""),  # a required attribute missing
        ("<currency>JPY</currency>", "<currency>JPY</currency><colour>red</colour>"),
        ("<total_cents>-1</total_cents>", "<total_cents>1.5</total_cents>"),
        ("<placed_at>0001-01-01T00:00:00Z", "<placed_at>2024-13-01T00:00:00Z"),
        ("T00:00:00Z</placed_at>", "T00:00:00</placed_at>"),  # no time zone
        ('<Order xmlns="urn:fmtbench:shop.order"', '<Order xmlns="urn:other"'),
    ],
)
def test_broken_documents_fail(old: str, new: str) -> None:
    validator = lxml_schema(ORDER)
    second = xmlschema.XMLSchema10(xsd_text(ORDER))
    data = XmlCodec(ORDER).encode(ORDERS[2])
    check_valid(validator, data)
    assert second.is_valid(data.decode())
    bad = broken(data, old, new)
    assert not validator.validate(etree.fromstring(bad))
    assert not second.is_valid(bad.decode())


def test_swapped_elements_fail() -> None:
    validator = lxml_schema(ORDER)
    data = XmlCodec(ORDER).encode(ORDERS[1]).decode()
    swapped = re.sub(r"(<id>0</id>)(<placed_at>[^<]*</placed_at>)", r"\2\1", data, count=1)
    assert swapped != data
    assert not validator.validate(etree.fromstring(swapped.encode()))


def test_key_attribute_clash_is_refused() -> None:
    clash = parse_schema(
        """
schema: t.clash
root: A
messages:
  A:
    fields:
      m: map<int32, B> = 1
  B:
    fields:
      key: {type: string, tag: 1, xml: attribute}
"""
    )
    with pytest.raises(SchemaError, match=r"A\.m"):
        xsd_text(clash)


def test_xmlns_attribute_is_refused() -> None:
    bad = parse_schema(
        """
schema: t.ns
messages:
  A:
    fields:
      xmlns: {type: string, tag: 1, xml: attribute}
"""
    )
    with pytest.raises(SchemaError, match="xmlns"):
        xsd_text(bad)
