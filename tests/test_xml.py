"""The XML codec: round trips, exact text, lexical forms, structure checks and hostile input."""

from __future__ import annotations

import gzip
import io
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from fmtbench.codecs.values.leaves import float32_round
from fmtbench.codecs.xml.codec import XmlCodec
from fmtbench.errors import DecodeError, EncodeError, LimitError, SchemaError
from fmtbench.limits import Limits
from fmtbench.schema import Schema, parse_schema
from fmtbench.schema.values import zero_message
from tests.samples import ORDERS, SENSORS, assert_same, order_schema, sensor_schema

ORDER = order_schema()
SENSOR = sensor_schema()
CASES = [(ORDER, r) for r in ORDERS] + [(SENSOR, r) for r in SENSORS]
IDS = [f"order{i}" for i in range(len(ORDERS))] + [f"sensor{i}" for i in range(len(SENSORS))]

INVENTORY = parse_schema(
    """
schema: test.inventory
root: Shelf
enums:
  Size: [SMALL, LARGE]
messages:
  Shelf:
    fields:
      name: {type: string, tag: 1, xml: attribute}
      code: {type: optional int32, tag: 2, xml: attribute}
      items: map<string, Item> = 3
      counts: list<uint32> = 4
      main: optional Item = 5
  Item:
    fields:
      sku: {type: string, tag: 1, xml: attribute}
      size: Size = 2
      blob: bytes = 3
"""
)


def codec(schema: Schema = SENSOR, **kw: Any) -> XmlCodec:
    return XmlCodec(schema, **kw)


def reading(**fields: Any) -> dict[str, Any]:
    """A sensor reading at its zero values, with some fields set."""
    return {**zero_message(SENSOR, "Reading"), **fields}


def read_all(c: XmlCodec, data: bytes) -> list[dict[str, Any]]:
    return list(c.reader(io.BytesIO(data)))


def decode_error(c: XmlCodec, data: bytes) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        c.decode(data)
    return info.value


# -- round trips ---------------------------------------------------------------------------
@pytest.mark.parametrize(("schema", "record"), CASES, ids=IDS)
def test_encode_decode_round_trip(schema: Schema, record: dict[str, Any]) -> None:
    c = codec(schema)
    data = c.encode(record)
    assert_same(c.decode(data), record)
    assert c.encode(c.decode(data)) == data  # deterministic: same record, same bytes


@pytest.mark.parametrize(("schema", "record"), CASES, ids=IDS)
def test_single_form_file_is_the_message(schema: Schema, record: dict[str, Any]) -> None:
    c = codec(schema)
    buf = io.BytesIO()
    w = c.writer(buf, single=True)
    w.write(record)
    w.close()
    assert buf.getvalue() == c.encode(record)
    reader = c.reader(io.BytesIO(buf.getvalue()))
    records = list(reader)
    assert reader.single
    assert reader.count == 1
    assert len(records) == 1
    assert_same(records[0], record)


@pytest.mark.parametrize(("schema", "records"), [(ORDER, ORDERS), (SENSOR, SENSORS)])
def test_wrapper_round_trip(schema: Schema, records: list[dict[str, Any]]) -> None:
    c = codec(schema)
    data = c.encode_many(records)
    assert data.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<records xmlns="' + schema.namespace.encode()
    )
    reader = c.reader(io.BytesIO(data))
    assert_same(list(reader), records)
    assert not reader.single
    assert reader.count == len(records)
    assert c.encode_many(records) == data


def test_empty_wrapper() -> None:
    c = codec()
    data = c.encode_many([])
    assert data.endswith(b'<records xmlns="urn:fmtbench:iot.sensor">\n</records>\n')
    reader = c.reader(io.BytesIO(data))
    assert list(reader) == []
    assert not reader.single


def test_exact_bytes_of_the_mapping() -> None:
    record = {
        "name": 'a"b',
        "items": {"k": {"sku": "s", "size": "LARGE", "blob": b"\x01"}},
        "counts": [1, 2],
    }
    data = codec(INVENTORY).encode(record)
    assert data == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<Shelf xmlns="urn:fmtbench:test.inventory" name="a&quot;b">'
        b'<items key="k" sku="s"><size>LARGE</size><blob>AQ==</blob></items>'
        b"<counts>1</counts><counts>2</counts></Shelf>\n"
    )
    assert_same(codec(INVENTORY).decode(data), record)


def test_other_record_type() -> None:
    c = XmlCodec(ORDER, "Customer")
    customer = ORDERS[0]["customer"]
    data = c.encode(customer)
    assert b'<Customer xmlns="urn:fmtbench:shop.order">' in data
    assert_same(c.decode(data), customer)
    assert_same(read_all(c, c.encode_many([customer, customer])), [customer, customer])


def test_lxml_serialised_and_indented_input_decodes() -> None:
    """Another writer (lxml, pretty-printing) produces the same records."""
    c = codec(ORDER)
    for record in ORDERS:
        tree = etree.fromstring(c.encode(record))
        etree.indent(tree)
        assert_same(c.decode(etree.tostring(tree, encoding="UTF-8", xml_declaration=True)), record)


def test_comments_pis_and_cdata() -> None:
    c = codec()
    data = c.encode(reading(note="x")).replace(
        b"<note>x</note>", b"<note>a<!-- gone --><?pi gone?><![CDATA[<b>&]]></note><!-- c -->"
    )
    assert c.decode(data)["note"] == "a<b>&"


def test_missing_elements_are_zero_values() -> None:
    c = codec(ORDER)
    data = b'<Order xmlns="urn:fmtbench:shop.order" channel="x"><note>n</note></Order>'
    record = c.decode(data)
    assert_same(record, {**zero_message(ORDER, "Order"), "channel": "x", "note": "n"})


# -- exact text ------------------------------------------------------------------------------
AWKWARD = [" lead", "trail ", "a\tb", "a\rb", "a\r\nb", "a\nb", "\r\n\t ", "<&>\"'", "]]>", ""]


@pytest.mark.parametrize("text", AWKWARD)
def test_text_and_attributes_preserved(text: str) -> None:
    c = codec(ORDER)
    record = {**ORDERS[1], "channel": text, "note": text, "labels": {text: text}}
    data = c.encode(record)
    assert_same(c.decode(data), record)
    assert_same(read_all(c, c.encode_many([record])), [record])
    # A plain lxml parse (not our decoder) sees the same strings: the escaping is right.
    root = etree.fromstring(data)
    ns = "{urn:fmtbench:shop.order}"
    assert root.get("channel") == text
    assert (root.find(f"{ns}note").text or "") == text
    assert root.find(f"{ns}labels").get("key") == text


def test_escapes_in_output() -> None:
    data = codec(ORDER).encode({**ORDERS[1], "channel": "\t\n\r", "note": "\r\n"})
    assert b'channel="&#9;&#10;&#13;"' in data
    assert b"<note>&#13;\n</note>" in data


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1f", "\ufffe", "\uffff", "\ud800"])
def test_forbidden_characters_name_the_field(char: str) -> None:
    c = codec(ORDER)
    code = f"U+{ord(char):04X}"
    cases = {
        "note": {**ORDERS[1], "note": f"ok{char}"},
        "channel": {**ORDERS[1], "channel": char},
        "customer.name": {**ORDERS[1], "customer": {**ORDERS[1]["customer"], "name": char}},
        'labels["k"]': {**ORDERS[1], "labels": {"k": char}},
        "lines[0].attributes": {
            **ORDERS[0],
            "lines": [{**ORDERS[0]["lines"][0], "attributes": {char: "v"}}],
        },
    }
    for path, record in cases.items():
        with pytest.raises(EncodeError) as info:
            c.encode(record)
        assert info.value.path.startswith(path), info.value
        assert code in str(info.value)


def test_allowed_unusual_characters() -> None:
    c = codec(ORDER)
    text = "\x7f\x85\u00a0\u2028\ufeff\U0010ffff\ue000"
    record = {**ORDERS[1], "note": text, "channel": text}
    assert_same(c.decode(c.encode(record)), record)


# -- floats and lexical forms ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (math.nan, "NaN"),
        (math.inf, "INF"),
        (-math.inf, "-INF"),
        (-0.0, "-0.0"),
        (1e300, "1e+300"),
        (5e-324, "5e-324"),
        (0.1, "0.1"),
    ],
)
def test_float64_spelling(value: float, text: str) -> None:
    c = codec()
    data = c.encode(reading(value=value))
    assert f"<value>{text}</value>".encode() in data
    assert_same(c.decode(data)["value"], value)


def test_float32_is_rounded() -> None:
    c = codec()
    got = c.decode(c.encode(reading(raw=0.1)))["raw"]
    assert got == float32_round(0.1) != 0.1
    with pytest.raises(EncodeError, match="raw"):
        c.encode(reading(raw=1e39))


def with_text(element: str, text: str) -> bytes:
    """A zero reading whose ``element`` holds ``text`` instead of its zero value."""
    data = codec().encode(reading()).decode()
    start = data.index(f"<{element}>") + len(element) + 2
    end = data.index(f"</{element}>")
    return (data[:start] + text + data[end:]).encode()


@pytest.mark.parametrize(
    ("element", "text", "value"),
    [
        ("value", "1E5", 1e5),
        ("value", ".5", 0.5),
        ("value", "+INF", math.inf),
        ("value", "-0", -0.0),
        ("value", " 1.5\n", 1.5),
        ("value", "5.", 5.0),
        ("ok", "1", True),
        ("ok", "0", False),
        ("ok", " true ", True),
        ("count", "+5", 5),
        ("count", "007", 7),
        ("count", "-2147483648", -(2**31)),
        ("payload", "AA\n EC\tAw==", b"\x00\x01\x02\x03"),
        ("at", "2024-01-31T13:00:00+01:00", datetime(2024, 1, 31, 12, tzinfo=UTC)),
    ],
)
def test_accepted_lexical_forms(element: str, text: str, value: Any) -> None:
    assert_same(codec().decode(with_text(element, text))[element], value)


@pytest.mark.parametrize(
    ("element", "text"),
    [
        ("value", "inf"),
        ("value", "nan"),
        ("value", "Infinity"),
        ("value", "1_000"),
        ("value", "0x10"),
        ("value", ""),
        ("value", "1e"),
        ("value", "\u0661"),  # ARABIC-INDIC DIGIT ONE: float() would take it
        ("value", "1e999"),  # finite, past a double's range: not INF (issue 12, item 2)
        ("payload", "AB=="),  # bits past the data: AA== is the one spelling (item 10)
        ("at", "2024-01-31T13:00:00+24:00"),  # offsets end at 23:59 (item 8)
        ("ok", "True"),
        ("ok", "yes"),
        ("ok", ""),
        ("count", "1_000"),
        ("count", "5.0"),
        ("count", "2147483648"),
        ("count", "\u0663"),
        ("flags", "-1"),
        ("payload", "AA!="),
        ("payload", "AAA"),
        ("at", "2024-01-31T13:00:00"),
        ("at", "\u0662024-01-31T13:00:00Z"),
        ("level", " WARN"),
        ("level", "warn"),
    ],
)
def test_rejected_lexical_forms(element: str, text: str) -> None:
    err = decode_error(codec(), with_text(element, text))
    assert err.path == element
    assert err.position == "line 2"


# -- structure -------------------------------------------------------------------------------
def test_unknown_element_and_attribute() -> None:
    record = ORDERS[0]
    data = codec(ORDER).encode(record)
    extra_element = data.replace(b"<vip>", b'<shoe size="9">x</shoe><vip>')
    extra_attribute = data.replace(b"<street>", b'<street lang="de">')
    foreign = data.replace(b"<vip>", b'<x:vip xmlns:x="urn:other">1</x:vip><vip>')
    for bad, name in [(extra_element, "shoe"), (extra_attribute, "lang"), (foreign, "urn:other")]:
        err = decode_error(codec(ORDER), bad)
        assert name in str(err)
        assert_same(codec(ORDER, drop_unknown=True).decode(bad), record)


def test_repeated_non_list_field() -> None:
    data = codec().encode(reading()).replace(b"<ok>false</ok>", b"<ok>false</ok><ok>true</ok>")
    err = decode_error(codec(), data)
    assert err.path == "ok"
    assert "more than once" in err.problem


def test_wrong_namespace_and_root() -> None:
    data = codec().encode(reading())
    for bad in [
        data.replace(b"urn:fmtbench:iot.sensor", b"urn:other"),
        data.replace(b' xmlns="urn:fmtbench:iot.sensor"', b""),
        data.replace(b"Reading", b"Reeding"),
    ]:
        assert "urn:fmtbench:iot.sensor" in str(decode_error(codec(), bad))
        with pytest.raises(DecodeError):
            read_all(codec(), bad)


def test_mixed_text_is_an_error() -> None:
    data = codec().encode(reading())
    for bad in [data.replace(b"<ok>", b"stray<ok>"), data.replace(b"</ok>", b"</ok>stray")]:
        assert "stray" in decode_error(codec(), bad).problem
    nested = data.replace(b"<ok>false</ok>", b"<ok>fa<b/>lse</ok>")
    assert decode_error(codec(), nested).path == "ok"


def test_map_entries_checked() -> None:
    c = codec()
    data = c.encode(reading(enabled={True: "yes"}))
    assert decode_error(c, data.replace(b'key="true"', b"")).path == "enabled"
    dup = data.replace(b"</enabled>", b'</enabled><enabled key="1">again</enabled>')
    assert "duplicate" in decode_error(c, dup).problem
    assert decode_error(c, data.replace(b'key="true"', b'key="maybe"')).path == 'enabled["maybe"]'


def test_decode_refuses_a_wrapper() -> None:
    c = codec()
    err = decode_error(c, c.encode_many([reading()]))
    assert "records" in err.problem


def test_errors_carry_line_numbers() -> None:
    data = b'<Reading xmlns="urn:fmtbench:iot.sensor" sensor="s">\n<ok>\nmaybe</ok>\n</Reading>'
    err = decode_error(codec(), data)
    assert (err.path, err.position) == ("ok", "line 2")


# -- writer contract --------------------------------------------------------------------------
def test_single_writer_takes_exactly_one_record() -> None:
    w = codec().writer(io.BytesIO(), single=True)
    w.write(reading())
    with pytest.raises(EncodeError, match="exactly one"):
        w.write(reading())
    with pytest.raises(EncodeError):
        codec().writer(io.BytesIO(), single=True).close()


def test_encode_checks_the_record() -> None:
    c = codec(ORDER)
    bad = {
        "customer.email": {
            **ORDERS[1],
            "customer": {k: v for k, v in ORDERS[1]["customer"].items() if k != "email"},
        },
        "channel": {k: v for k, v in ORDERS[1].items() if k != "channel"},
        "lines[0].quantity": {**ORDERS[1], "lines": [{**ORDERS[0]["lines"][1], "quantity": -1}]},
        "status": {**ORDERS[1], "status": "LOST"},
        "id": {**ORDERS[1], "id": "7"},
        "": {**ORDERS[1], "colour": "red"},
    }
    for path, record in bad.items():
        with pytest.raises(EncodeError) as info:
            c.encode(record)
        assert info.value.path == path, info.value


def test_writer_names_the_record() -> None:
    w = codec().writer(io.BytesIO())
    w.write(reading())
    with pytest.raises(EncodeError) as info:
        w.write(reading(count="1"))
    assert info.value.record == 2


def test_schema_the_mapping_cannot_express() -> None:
    clash = parse_schema(
        """
schema: t.clash
root: A
messages:
  A:
    fields:
      m: map<string, B> = 1
  B:
    fields:
      key: {type: string, tag: 1, xml: attribute}
"""
    )
    with pytest.raises(SchemaError, match="key"):
        XmlCodec(clash)


# -- streaming --------------------------------------------------------------------------------
class CountingReader(io.BytesIO):
    """Records how many bytes the parser has pulled so far."""

    pulled = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.pulled += len(chunk)
        return chunk


def test_reader_streams_many_records_in_order() -> None:
    c = codec()
    records = [reading(count=i, note=f"n{i}") for i in range(5000)]
    data = c.encode_many(records)
    src = CountingReader(data)
    reader = c.reader(src)
    first = next(reader)
    assert first["count"] == 0
    assert src.pulled < len(data) // 4  # the first record came before the file was read
    rest = list(reader)
    assert [r["count"] for r in [first, *rest]] == list(range(5000))
    assert reader.count == 5000


def test_writer_and_reader_on_real_files(tmp_path: Path) -> None:
    c = codec()
    path = tmp_path / "readings.xml"
    with path.open("wb") as out:
        w = c.writer(out)
        w.write(SENSORS[0])
        out.flush()
        # Written as it comes: the wrapper and the first record are already on disk.
        assert path.read_bytes().count(b"<Reading ") == 1
        w.write(SENSORS[0])
        w.close()
    with path.open("rb") as src:
        assert_same(list(c.reader(src)), [SENSORS[0], SENSORS[0]])


def test_error_in_record_three_names_record_three() -> None:
    c = codec()
    good = c.encode_many([reading(count=i) for i in range(5)]).decode()
    bad = good.replace("<count>2</count>", "<count>two</count>").encode()
    reader = c.reader(io.BytesIO(bad))
    assert [r["count"] for r in (next(reader), next(reader))] == [0, 1]
    with pytest.raises(DecodeError) as info:
        next(reader)
    err = info.value
    assert (err.record, err.path, err.position) == (3, "count", "line 5")
    assert "record 3" in str(err)


def test_wrapper_problems() -> None:
    c = codec()
    data = c.encode_many([reading(), reading()])
    cases = [
        data.replace(b"\n<Reading", b"\ntext<Reading", 1),  # text in the wrapper
        data.replace(b"</records>", b"<Other/></records>"),  # a foreign element
        data.replace(
            b'<records xmlns="urn:fmtbench:iot.sensor">',
            b'<records xmlns="urn:fmtbench:iot.sensor" v="1">',
        ),
        data + b"<again/>",  # a second root
        data[: len(data) // 2],  # truncated
    ]
    for bad in cases:
        with pytest.raises(DecodeError):
            read_all(c, bad)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   ",
        b"<Reading",
        b"<Reading xmlns='urn:fmtbench:iot.sensor'><ok>",
        b"not xml",
        b"<a></b>",
        b"\xff\xfe\x00garbage",
    ],
)
def test_malformed_input(data: bytes) -> None:
    with pytest.raises(DecodeError):
        codec().decode(data)
    with pytest.raises(DecodeError):
        read_all(codec(), data)


def test_reader_wants_a_file_object_not_a_path() -> None:
    with pytest.raises(TypeError):
        codec().reader("/etc/passwd")  # type: ignore[arg-type]


# -- hostile input ---------------------------------------------------------------------------
PASSWD = Path("/etc/passwd").read_text(errors="replace") if Path("/etc/passwd").exists() else ""
NS = b'xmlns="urn:fmtbench:iot.sensor"'
LAUGHS = b"".join(
    b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10)))
    for i in range(1, 10)
)
HOSTILE = {
    "internal entity": b'<!DOCTYPE Reading [<!ENTITY e "boom">]><Reading '
    + NS
    + b' sensor="&e;"><note>&e;</note></Reading>',
    "external entity": b'<!DOCTYPE Reading [<!ENTITY x SYSTEM "file:///etc/passwd">]><Reading '
    + NS
    + b"><note>&x;</note></Reading>",
    "external dtd": b'<!DOCTYPE Reading SYSTEM "file:///etc/passwd"><Reading ' + NS + b"/>",
    "parameter entity": b'<!DOCTYPE Reading [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><Reading '
    + NS
    + b"/>",
    "billion laughs": b'<!DOCTYPE Reading [<!ENTITY lol0 "lol">'
    + LAUGHS
    + b"]><Reading "
    + NS
    + b"><note>&lol9;</note></Reading>",
    "bare doctype": b"<!DOCTYPE Reading><Reading " + NS + b"/>",
    "undeclared entity": b"<Reading " + NS + b"><note>&x;</note></Reading>",
    "network dtd": b'<!DOCTYPE Reading SYSTEM "http://127.0.0.1:9/x.dtd"><Reading ' + NS + b"/>",
}


@pytest.mark.parametrize("data", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_input_is_refused_unresolved(data: bytes) -> None:
    errors = []
    for c in (codec(), codec(drop_unknown=True)):
        with pytest.raises(DecodeError) as info:
            c.decode(data)
        errors.append(str(info.value))
        with pytest.raises(DecodeError) as info:
            read_all(c, data)
        errors.append(str(info.value))
    for message in errors:
        assert "boom" not in message
        assert "lollol" not in message
        assert not PASSWD or PASSWD.splitlines()[0] not in message


def test_xinclude_is_not_processed() -> None:
    include = (
        b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" '
        b'parse="text"/>'
    )
    data = codec().encode(reading()).replace(b"</Reading>", include + b"</Reading>")
    assert "include" in str(decode_error(codec(), data))
    # Dropped as an unknown element, never followed: nothing of the file arrives.
    assert_same(codec(drop_unknown=True).decode(data), reading())


def test_gzip_is_not_decompressed() -> None:
    data = gzip.compress(codec().encode(reading()))
    with pytest.raises(DecodeError):
        codec().decode(data)
    with pytest.raises(DecodeError):
        read_all(codec(), data)


def test_depth_limit_is_kept() -> None:
    # Past libxml2's own 256 levels: the writers refuse that whatever --max-depth says
    # (tests/test_write_limits.py), so a codec without that check writes it here.
    nested: dict[str, Any] = reading()
    for _ in range(300):
        nested = reading(parent=nested)
    lax = codec(limits=Limits(max_depth=1000))
    with pytest.raises(EncodeError, match=r"XML readers \(libxml2\) stop at 256"):
        lax.encode(nested)
    unchecked = type("Unchecked", (XmlCodec,), {"nesting": None})
    data = unchecked(SENSOR, limits=Limits(max_depth=1000)).encode(nested)
    with pytest.raises(LimitError):
        codec().decode(data)
