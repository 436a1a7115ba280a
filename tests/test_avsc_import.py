"""``fmtbench schema import X.avsc``, ``--schema X.avsc``, container files read without a
schema (their header's) and writer schemas resolved against a reader's (Avro's rules).

Fidelity is checked against the Avro libraries themselves: the exported schema of an
import has the original's Parsing Canonical Form in fastavro and in Apache avro, and
container files Apache avro writes with the original schema read back, convert to JSON Lines
and back, and are read by Apache avro as the same datums.
"""

from __future__ import annotations

import decimal
import io
import json
import warnings
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.schema import to_parsing_canonical_form

from fmtbench.cli import main
from fmtbench.codecs import codec_for
from fmtbench.errors import EncodeError, SchemaError
from fmtbench.schema import parse_schema
from fmtbench.schema.avsc import avro_schema
from fmtbench.schema.avscfile import import_avsc, schema_from_json
from fmtbench.schema.builtin import resolve_schema
from fmtbench.schema.dump import schema_yaml

# Apache avro (the reference implementation), as a peer: skipped where it is missing.
avro_datafile = pytest.importorskip("avro.datafile")
avro_io = pytest.importorskip("avro.io")
avro_schema_lib = pytest.importorskip("avro.schema")

DATA = Path(__file__).parent / "data" / "avro"
FILES = sorted(DATA.glob("*.avsc"))

SHOP_RECORD: dict[str, Any] = {
    "id": 7,
    "uuid": "12345678-1234-1234-1234-123456789abc",
    "placed": datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    "shipped": None,
    "local": 1_700_000_000_123_456_789,
    "day": date(2024, 1, 2),
    "at": time(1, 2, 3, 4000),
    "at_us": time(1, 2, 3, 4),
    "status": "PAID",
    "digest": b"0123456789abcdef",
    "other_digest": None,
    "wait": b"\0" * 12,
    "price": decimal.Decimal("12.34"),
    "note": "hi",
    "payment": {"number": "4111"},
    "kind": 5,
    "lines": [{"sku": "a", "qty": 2, "parts": [{"sku": "b", "qty": 1, "parts": []}]}],
    "labels": {"x": "y"},
    "weird": "w",
    "next": None,
    "card": None,
    "score": 1.5,
}


def apache_pcf(schema: Any) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown logical types: the spec's "ignore them"
        return str(avro_schema_lib.parse(json.dumps(schema)).canonical_form)


def apache_file(schema: Any, records: list[dict[str, Any]], codec: str = "deflate") -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        buf = io.BytesIO()
        w = avro_datafile.DataFileWriter(
            buf, avro_io.DatumWriter(), avro_schema_lib.parse(json.dumps(schema)), codec=codec
        )
        for r in records:
            w.append(r)
        w.flush()
        return buf.getvalue()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_export_of_an_import_keeps_the_parsing_canonical_form(path: Path) -> None:
    original = json.loads(path.read_text())
    exported = avro_schema(import_avsc(path))
    assert to_parsing_canonical_form(fastavro.parse_schema(exported)) == (
        to_parsing_canonical_form(fastavro.parse_schema(original))
    )
    assert apache_pcf(exported) == apache_pcf(original)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_imported_yaml_loads_to_the_same_schema(path: Path) -> None:
    imported = import_avsc(path)
    assert parse_schema(schema_yaml(imported)) == imported


def test_mapping_of_the_shop_schema() -> None:
    s = import_avsc(DATA / "shop.avsc")
    assert (s.name, s.root) == ("com.acme.shop", "Order")
    order = s.messages["Order"]
    assert str(order.field("placed").type) == "timestamp"
    assert order.field("placed").avro == {"logical": "timestamp-millis"}
    assert str(order.field("day").type) == "int32"
    assert order.field("digest").avro == {"fixed": "com.acme.common.MD5", "size": 16}
    assert order.field("note").optional
    assert order.field("note").avro["null"] == "last"
    payment = next(g for g in order.oneofs if g.name == "payment")
    assert payment.members == ("payment_string", "payment_long", "payment_Card")
    assert payment.avro == {"union": True, "null": 0, "default": None}
    assert s.enums["Status"].avro == {"name": "com.acme.shop.Status", "default": "UNKNOWN"}
    assert s.enums["Status"].values == (("NEW", 0), ("PAID", 1), ("UNKNOWN", 2))
    assert str(s.messages["Line"].field("parts").type) == "list<Line>"  # recursive, by name
    # Names across namespaces: by full name, and short names in the enclosing namespace.
    t = import_avsc(DATA / "telemetry.avsc")
    assert str(t.messages["Reading"].field("kind").type) == "Kind"
    assert t.messages["Sensor"].avro == {"name": "org.example.device.Sensor"}
    assert t.message("org.example.device.Sensor").name == "Sensor"


def test_apache_avro_files_read_without_a_schema_and_back(tmp_path: Path) -> None:
    original = json.loads((DATA / "shop.avsc").read_text())
    src = tmp_path / "shop.avro"
    src.write_bytes(
        apache_file(original, [SHOP_RECORD, SHOP_RECORD | {"payment": 12, "kind": "NEW"}])
    )
    out, back, again = tmp_path / "out.jsonl", tmp_path / "back.avro", tmp_path / "again.jsonl"
    assert main(["convert", str(src), str(out), "-q"]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["placed"] == "2024-01-02T03:04:05.678000Z"
    assert lines[0]["payment_Card"] == {"number": "4111"}
    assert lines[1]["payment_long"] == 12
    assert lines[1]["kind_Status"] == "NEW"
    assert lines[0]["kind_int"] == 5
    assert main(["convert", str(out), str(back), "--schema", str(DATA / "shop.avsc"), "-q"]) == 0
    assert main(["convert", str(back), str(again), "-q"]) == 0
    assert again.read_text() == out.read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read = list(
            avro_datafile.DataFileReader(io.BytesIO(back.read_bytes()), avro_io.DatumReader())
        )
    assert read[0] == SHOP_RECORD


def test_logical_types_refuse_what_they_cannot_hold() -> None:
    codec = codec_for("avro", import_avsc(DATA / "shop.avsc"))
    src = apache_file(json.loads((DATA / "shop.avsc").read_text()), [SHOP_RECORD])
    record = next(iter(codec.reader(io.BytesIO(src))))
    with pytest.raises(EncodeError, match=r"placed.*finer than timestamp-millis"):
        codec.encode(record | {"placed": datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC)})
    with pytest.raises(EncodeError, match=r"uuid.*expected a UUID"):
        codec.encode(record | {"uuid": "nope"})
    with pytest.raises(EncodeError, match=r"digest.*expected 16 bytes"):
        codec.encode(record | {"digest": b"short"})
    no_kind = {k: v for k, v in record.items() if not k.startswith("kind_")}
    with pytest.raises(EncodeError, match=r"kind.*must be set"):
        codec.encode(no_kind)
    assert codec.decode(codec.encode(record)) == record


RESOLUTION_READER = {
    "type": "record",
    "name": "Ev",
    "namespace": "n",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "score", "type": "double"},
        {"name": "added", "type": "string", "default": "none"},
        {"name": "kind", "type": {"type": "enum", "name": "K", "symbols": ["A", "B", "OTHER"], "default": "OTHER"}},
        {"name": "title", "type": "string", "aliases": ["name"]},
    ],
}  # fmt: skip
RESOLUTION_WRITER = {
    "type": "record",
    "name": "Ev",
    "namespace": "n",
    "fields": [
        {"name": "id", "type": "int"},
        {"name": "score", "type": "float"},
        {"name": "gone", "type": "string"},
        {"name": "kind", "type": {"type": "enum", "name": "K", "symbols": ["A", "B", "C"]}},
        {"name": "name", "type": "string"},
    ],
}  # fmt: skip


def test_writer_schemas_are_resolved_by_avros_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reader = tmp_path / "reader.avsc"
    reader.write_text(json.dumps(RESOLUTION_READER))
    src = tmp_path / "w.avro"
    row = {"id": 1, "score": 0.5, "gone": "x", "kind": "C", "name": "t"}
    src.write_bytes(apache_file(RESOLUTION_WRITER, [row]))
    out = tmp_path / "out.jsonl"
    assert main(["convert", str(src), str(out), "--schema", str(reader), "-q"]) == 0
    assert json.loads(out.read_text()) == {
        "id": 1,  # int promoted to long
        "score": 0.5,  # float to double
        "added": "none",  # missing in the writer: the reader's default
        "kind": "OTHER",  # an unknown symbol: the enum's default
        "title": "t",  # by its alias; "gone" skipped
    }
    bad = tmp_path / "bad.avro"
    bad.write_bytes(apache_file({**RESOLUTION_WRITER, "fields": [{"name": "id", "type": "string"}]}, [{"id": "x"}]))  # fmt: skip
    assert main(["convert", str(bad), str(tmp_path / "x.jsonl"), "--schema", str(reader)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "bad.avro" in err[0]
    assert "$(n.Ev).fields[0](id)" in err[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"type": "record", "name": "A", "fields": [', "t.avsc:1:"),
        ('"string"', "the top-level schema is \"string\", not a record"),
        ('{"type": "array", "items": "int"}', "not a record"),
        ('{"type": "record", "name": "A", "fields": [{"name": "x", "type": "Nope"}]}', "A.x: unknown type 'Nope'"),
        ('{"type": "record", "name": "A", "fields": [{"name": "x", "type": {"type": "record", "name": "A", "fields": []}}]}', "the name A is defined twice"),
        ('{"type": "record", "name": "A", "fields": [{"name": "x", "type": {"type": "enum", "name": "E", "symbols": ["1x"]}}]}', "'1x' is not a valid symbol"),
        ('{"type": "record", "name": "A", "fields": [{"name": "x", "type": {"type": "array", "items": ["null", "int"]}}]}', "A.x.items: a union inside an array"),
        ('{"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}, {"name": "x", "type": "int"}]}', "A.x: the field is given twice"),
        ('{"type": "record", "name": "A", "fields": [{"name": "x", "type": "int", "name": "y"}]}', "given twice in one object"),
    ],
)  # fmt: skip
def test_bad_avsc_is_one_line_naming_the_place(text: str, message: str) -> None:
    with pytest.raises(SchemaError) as info:
        schema_from_json(text, "t.avsc")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_import_check_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shop = str(DATA / "shop.avsc")
    out = tmp_path / "shop.yaml"
    assert main(["schema", "import", shop, "-o", str(out)]) == 0
    assert parse_schema(out.read_text()) == import_avsc(shop)
    assert main(["schema", "check", shop]) == 0
    assert main(["schema", "check", shop, "--type", "com.acme.shop.Line"]) == 0
    exported = tmp_path / "back.avsc"
    assert main(["schema", "export", shop, "--to", "avro", "-o", str(exported)]) == 0
    assert apache_pcf(json.loads(exported.read_text())) == apache_pcf(
        json.loads(Path(shop).read_text())
    )
    data = tmp_path / "lines.jsonl"
    assert (
        main(["generate", "--schema", shop, "--type", "Line", "-n", "20", "-o", str(data), "-q"])
        == 0
    )
    assert main(["convert", str(data), str(tmp_path / "lines.avro"), "--schema", shop, "--type", "Line", "-q"]) == 0  # fmt: skip
    bad = tmp_path / "top.avsc"
    bad.write_text('"string"')
    capsys.readouterr()
    assert main(["schema", "import", str(bad)]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_container_files_header_is_a_schema(tmp_path: Path) -> None:
    src = tmp_path / "t.avro"
    original = json.loads((DATA / "telemetry.avsc").read_text())
    src.write_bytes(apache_file(original, [], codec="null"))
    assert resolve_schema(str(src)).root == "Reading"


def test_decimals_are_fmtbench_decimals_in_bytes_and_in_fixeds(tmp_path: Path) -> None:
    schema = json.loads((DATA / "money.avsc").read_text())
    imported = import_avsc(DATA / "money.avsc")
    fields = {f.name: f for f in imported.messages["Pay"].fields}
    assert str(fields["amount"].type) == "decimal(12, 2)"
    assert str(fields["fee"].type) == str(fields["fee2"].type) == "decimal(9, 3)"
    assert str(fields["wide"].type) == "bytes"  # precision 90: past fmtbench's 76, kept as bytes
    d = decimal.Decimal
    records = [
        {
            "amount": d("-1234567890.12"),
            "fee": d("-999999.999"),
            "fee2": d("0.001"),
            "wide": d("0.01"),
        },
        {"amount": d("0.00"), "fee": d("999999.999"), "fee2": d("-0.500"), "wide": d("-0.01")},
    ]
    # Apache avro 1.12 writes a header defining a fixed twice when a field refers to it by
    # name (fastavro refuses that header too): its file has no fee2, and no reference.
    alone = {**schema, "fields": [f for f in schema["fields"] if f["name"] != "fee2"]}
    for r in records:
        del r["fee2"]
    source = tmp_path / "apache.avro"
    source.write_bytes(apache_file(alone, records))
    avsc = tmp_path / "alone.avsc"
    avsc.write_text(json.dumps(alone))
    out, back = tmp_path / "pay.jsonl", tmp_path / "back.avro"
    assert main(["convert", str(source), str(out)]) == 0  # the header's schema, no --schema
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [x["fee"] for x in lines] == ["-999999.999", "999999.999"]
    assert [x["wide"] for x in lines] == ["AQ==", "/w=="]  # its unscaled bytes, as they were
    assert main(["convert", str(out), str(back), "--schema", str(avsc)]) == 0
    with back.open("rb") as f:
        again = list(avro_datafile.DataFileReader(f, avro_io.DatumReader()))
    assert [(r["amount"], r["fee"]) for r in again] == [(r["amount"], r["fee"]) for r in records]
    with pytest.raises(EncodeError, match="fee"):
        codec_for("avro", imported).encode(
            {**records[0], "fee2": d("1"), "wide": b"\x01", "fee": d("1e6")}
        )


def test_fmtbench_uint64_union_imports_as_uint64() -> None:
    # An exported uint64 (["long", fmtbench.avro.UInt64]), plain, optional, in a list and as
    # a map's key and value, comes back a uint64, not a union of two members.
    s = parse_schema(
        """
        schema: t.u
        messages:
          R:
            fields:
              a: uint64 = 1
              b: optional uint64 = 2
              c: list<uint64> = 3
              d: map<uint64, uint64> = 4
              e: map<string, uint64> = 5
        """,
        "t.yaml",
    )
    back = schema_from_json(json.dumps(avro_schema(s)), "t.avsc")
    fields = {f.name: f for f in back.messages["R"].fields}
    assert (str(fields["a"].type), fields["b"].optional) == ("uint64", True)
    assert (str(fields["b"].type), str(fields["c"].type)) == ("uint64", "list<uint64>")
    assert str(fields["e"].type) == "map<string, uint64>"
    entry = back.messages[str(fields["d"].type).removeprefix("list<").removesuffix(">")]
    assert [str(f.type) for f in entry.fields] == ["uint64", "uint64"]
    record = {"a": 2**64 - 1, "b": 2**63, "c": [0, 2**64 - 1], "e": {"k": 2**63 + 1}}
    ours, theirs = codec_for("avro", s), codec_for("avro", back)
    got = theirs.decode(ours.encode({**record, "d": {2**64 - 1: 2**63}}))
    assert got == {**record, "d": [{"key": 2**64 - 1, "value": 2**63}]}


def test_commands_read_a_containers_own_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, data = tmp_path / "o.avro", tmp_path / "o.jsonl"
    assert main(["generate", "order", "-n", "5", "-o", str(data)]) == 0
    assert main(["convert", str(data), str(src), "-s", "order", "-q"]) == 0
    capsys.readouterr()
    assert main(["schema", "infer", str(src), "-o", str(tmp_path / "o.yaml")]) == 0
    inferred = resolve_schema(str(tmp_path / "o.yaml"))
    assert (inferred.name, inferred.root) == ("shop.order", "Order")
    assert str(inferred.messages["Order"].field("id").type) == "uint64"
    assert main(["explain", "--input", str(src), "--formats", "avro,json"]) == 0
    assert "placed_at" in capsys.readouterr().out
    results = tmp_path / "r.json"
    args = ["bench", "--input", str(src), "--formats", "json,avro", "--quick", "--json"]
    assert main([*args, str(results), "-n", "5"]) == 0
    assert json.loads(results.read_text())["datasets"][0]["records"] == 5
    # Anything else still needs its schema, and says which inputs do not.
    assert main(["bench", "--input", str(data), "--quick"]) == 2
    assert "only .avro inputs carry their own schema" in capsys.readouterr().err
