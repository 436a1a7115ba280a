"""``fmtbench explain``: per-field sizes that add up exactly, and measure what they claim."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fmtbench.cli import main
from fmtbench.codecs import FORMATS, codec_for
from fmtbench.explain import Explanation, FieldCost, dataset_record, explain
from fmtbench.generate import builtin_datasets
from fmtbench.schema.loader import parse_schema
from fmtbench.schema.model import Schema
from tests.samples import ORDERS, SENSORS, order_schema, sensor_schema

ALL = tuple(FORMATS)


def one_field_schema(name: str, type_: str, *, extra: str = "") -> Schema:
    text = f"schema: t.one\nroot: R\nmessages:\n  R:\n    fields:\n      {name}: {type_} = 1\n"
    return parse_schema(text + extra)


def row(e: Explanation, path: str) -> FieldCost:
    return next(r for r in e.rows() if r.path == path)


def assert_reconciles(e: Explanation, schema: Schema, record: dict[str, Any]) -> None:
    """Fields plus envelope are the encoding; each row is its own bytes plus its fields'."""
    for fmt in e.formats:
        encoded = len(codec_for(fmt, schema, e.type_name).encode(record))
        assert e.totals[fmt] == encoded
        assert sum(f.costs[fmt].total for f in e.fields) + e.envelope[fmt].total == encoded, fmt
        for r in e.rows():
            c = r.costs[fmt]
            inner = sum(child.costs[fmt].total for child in r.children)
            assert c.overhead >= 0, (fmt, r.path, c)
            assert c.payload >= 0, (fmt, r.path, c)
            # A row holds its fields: their bytes and their overhead, plus its own framing.
            assert c.total >= inner, (fmt, r.path)
            assert c.overhead >= sum(child.costs[fmt].overhead for child in r.children)


@pytest.mark.parametrize("name", builtin_datasets())
def test_every_dataset_reconciles_in_every_format(name: str) -> None:
    for index in (1, 2):
        subject = dataset_record(name, index)
        e = explain(subject.schema, subject.record, type_name=subject.type_name, formats=ALL)
        assert_reconciles(e, subject.schema, subject.record)


@pytest.mark.parametrize(
    ("schema", "record"),
    [(order_schema(), r) for r in ORDERS] + [(sensor_schema(), r) for r in SENSORS],
)
def test_edge_case_records_reconcile(schema: Schema, record: dict[str, Any]) -> None:
    e = explain(schema, record, formats=ALL)
    assert_reconciles(e, schema, record)


def test_the_residual_is_the_separators() -> None:
    # A one-level record: JSON's envelope is {} plus a comma between each two set fields,
    # MessagePack's a one-byte map header, Protobuf's nothing.
    subject = dataset_record("log")
    e = explain(subject.schema, subject.record, type_name=subject.type_name)
    set_fields = len(subject.record)
    assert e.envelope["json"].total == 2 + (set_fields - 1)
    assert e.envelope["msgpack"].total == 1
    assert e.envelope["protobuf"].total == 0
    assert all(c.total == c.overhead for c in e.envelope.values())


@pytest.mark.parametrize("n", [0, 1, 2, 3, 100, 1000, 70_000])
def test_bytes_cost_four_thirds_in_json_and_their_size_in_msgpack(n: int) -> None:
    schema = one_field_schema("data", "bytes")
    e = explain(schema, {"data": bytes(range(256)) * (n // 256) + bytes(n % 256)}, formats=ALL)
    data = row(e, "data").costs
    base64 = 4 * math.ceil(n / 3)
    assert data["json"].payload == base64
    assert data["xml"].payload == base64
    assert data["json"].total == base64 + len('"data":""')
    assert data["msgpack"].payload == n
    assert data["protobuf"].payload == n
    # The name (a 1-byte header and 4 bytes) and bin8/16/32's 2, 3 or 5 header bytes.
    assert n + 5 + 2 <= data["msgpack"].total <= n + 5 + 5
    if n >= 300:
        assert data["json"].total / data["msgpack"].total == pytest.approx(4 / 3, rel=0.02)


def test_a_long_name_costs_in_json_and_xml_not_in_protobuf() -> None:
    short, long_ = "n", "number_of_widgets_in_stock"
    sizes = {}
    for name in (short, long_):
        e = explain(one_field_schema(name, "string"), {name: "seven"}, formats=ALL)
        sizes[name] = {fmt: c.total for fmt, c in row(e, name).costs.items()}
    grow = len(long_) - len(short)
    assert sizes[long_]["json"] - sizes[short]["json"] == grow
    assert sizes[long_]["msgpack"] - sizes[short]["msgpack"] == grow  # both names are fixstr
    assert sizes[long_]["xml"] - sizes[short]["xml"] == 2 * grow  # start and end tag
    assert sizes[long_]["protobuf"] == sizes[short]["protobuf"]


def test_payload_is_the_value_and_overhead_the_rest() -> None:
    schema = parse_schema(
        "schema: t.kinds\nroot: R\nenums:\n  Colour: [RED, GREEN]\nmessages:\n  R:\n    fields:\n"
        "      neg: int32 = 1\n      ratio: float64 = 2\n      small: float32 = 3\n"
        "      at: timestamp = 4\n      colour: Colour = 5\n      tags: list<string> = 6\n"
        "      zero: int64 = 7\n"
    )
    record = {
        "neg": -1,
        "ratio": 0.1,
        "small": 0.5,
        "at": datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        "colour": "GREEN",
        "tags": ["a", "bc"],
        "zero": 0,
    }
    e = explain(schema, record, formats=ALL)

    def payload(path: str) -> dict[str, int]:
        return {fmt: c.payload for fmt, c in row(e, path).costs.items()}

    assert payload("neg")["protobuf"] == 10  # a negative int32 is a 10-byte varint
    assert payload("neg")["json"] == 2
    assert payload("ratio")["protobuf"] == payload("ratio")["msgpack"] == 8
    assert payload("ratio")["json"] == len("0.1")
    assert payload("small")["protobuf"] == 4
    assert payload("small")["msgpack"] == 8  # the packer writes doubles
    assert payload("at")["json"] == payload("at")["xml"] == len("2024-05-06T07:08:09.123456Z")
    assert payload("at")["msgpack"] == 8  # timestamp 64: 30-bit nanos, 34-bit seconds
    assert payload("colour")["json"] == len("GREEN")
    assert payload("colour")["protobuf"] == 1
    assert payload("tags")["json"] == payload("tags")["protobuf"] == 3
    assert row(e, "tags").costs["json"].total == len('"tags":["a","bc"]')
    assert row(e, "zero").costs["protobuf"].total == 0  # proto3 does not write a zero
    kinds = {n.kind for r in e.rows() for n in r.notes}
    assert kinds == {"int", "float64", "float32", "timestamp", "enum"}


def test_nested_messages_and_lists_are_broken_down_by_path() -> None:
    subject = dataset_record("media")
    e = explain(subject.schema, subject.record, type_name=subject.type_name)
    images = subject.record["images"]
    assert row(e, "media.uri").depth == 1
    uri = row(e, "images[].uri")
    assert uri.occurrences == uri.present == len(images)
    assert row(e, "images").elements == len(images)
    expected = sum(len(i["uri"].encode()) for i in images)
    assert uri.costs["protobuf"].payload == expected
    assert uri.costs["json"].payload == expected
    title = row(e, "images[].title")
    assert title.present == sum("title" in i for i in images)


def test_an_absent_optional_costs_nothing() -> None:
    record = ORDERS[1]  # every field at its zero value, optionals absent
    e = explain(order_schema(), record, formats=ALL)
    note = row(e, "note")
    assert note.present == 0
    assert all(c == type(c)() for c in note.costs.values())


def test_marginal_is_what_unsetting_saves() -> None:
    schema = parse_schema(
        "schema: t.m\nroot: R\nmessages:\n  R:\n    fields:\n      name: string = 1\n"
        "      nick: optional string = 2\n"
    )
    e = explain(schema, {"name": "abcdef", "nick": "xy"}, formats=ALL)
    name, nick = row(e, "name").costs, row(e, "nick").costs
    assert name["protobuf"].marginal == name["protobuf"].total  # the zero is not written
    assert name["json"].marginal == len("abcdef")  # "name":"" stays
    assert nick["json"].marginal == nick["json"].total + 1  # the key goes, and a comma


def test_the_json_form_is_versioned_and_complete() -> None:
    subject = dataset_record("order")
    e = explain(subject.schema, subject.record, type_name=subject.type_name)
    data = json.loads(json.dumps(e.to_dict()))
    assert data["version"] == 1
    assert data["formats"] == list(e.formats)
    top = [f for f in data["fields"] if f["depth"] == 0]
    for fmt in e.formats:
        parts = sum(f["costs"][fmt]["total"] for f in top) + data["envelope"][fmt]["total"]
        assert parts == data["totals"][fmt]


# -- the command line ------------------------------------------------------------------------
def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["explain", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_prints_a_table_for_a_dataset(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "media")
    assert status == 0, err
    for text in ("media.uri", "images[].uri", "(envelope)", "total", "protobuf", "msgpack"):
        assert text in out
    assert "enum:" in out  # the notes under the table


def test_cli_json_for_a_file_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "orders.jsonl"
    src.write_bytes(codec_for("jsonl", order_schema()).encode_many(ORDERS))
    args = ["-s", "order", "-i", str(src), "--record", "3", "--formats", "json,protobuf"]
    status, out, err = run(capsys, *args, "--json")
    assert status == 0, err
    data = json.loads(out)
    assert data["formats"] == ["json", "protobuf"]
    assert data["source"] == f"{src}, record 3"
    codec = codec_for("json", order_schema())
    assert data["totals"]["json"] == len(codec.encode(ORDERS[2]))


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        ((), 2, "name a DATASET"),
        (("media", "-s", "order"), 2, "not both"),
        (("-s", "order"), 2, "--input"),
        (("media", "--formats", "yaml"), 2, "unknown format 'yaml'"),
        (("media", "--record", "0"), 2, "counts from 1"),
        (("nosuch",), 1, "no such dataset"),
        (("-s", "order", "-i", "/nonexistent/in.json"), 1, "cannot read"),
        (("-s", "nosuch", "-i", "x.json"), 1, "no such schema"),
    ],
)
def test_cli_exit_statuses(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], status: int, message: str
) -> None:
    got, out, err = run(capsys, *args)
    assert got == status
    assert out == ""
    assert message in err
    assert err.count("\n") == 1


def test_cli_record_past_the_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "orders.json"
    src.write_bytes(codec_for("json", order_schema()).encode_many(ORDERS))
    status, _, err = run(capsys, "-s", "order", "-i", str(src), "-r", str(len(ORDERS) + 1))
    assert status == 1
    assert f"holds {len(ORDERS)} records" in err


def test_cli_a_record_one_format_cannot_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = {**ORDERS[1], "channel": "nul \x00 here"}  # XML 1.0 cannot carry U+0000
    src = tmp_path / "one.json"
    src.write_bytes(codec_for("json", order_schema()).encode(record))
    status, _, err = run(capsys, "-s", "order", "-i", str(src))
    assert status == 1
    assert "xml cannot hold this record" in err
    assert "channel" in err
    assert run(capsys, "-s", "order", "-i", str(src), "-f", "json", "-f", "msgpack")[0] == 0


def test_a_map_of_messages_counts_its_keys_as_payload() -> None:
    schema = parse_schema(
        "schema: t.mm\nroot: R\nmessages:\n  R:\n    fields:\n      by_id: map<int32, P> = 1\n"
        "  P:\n    fields:\n      name: string = 1\n      flag: {type: bool, tag: 2, xml: attribute}\n"
    )
    record = {"by_id": {7: {"name": "ab", "flag": True}, 300: {"name": "", "flag": False}}}
    e = explain(schema, record, formats=ALL)
    assert_reconciles(e, schema, record)
    by_id, name = row(e, "by_id"), row(e, "by_id{}.name")
    assert name.occurrences == 2
    assert name.costs["json"].payload == 2
    # The keys: two varints (1 and 2 bytes) in Protobuf; "7" and "300" as text elsewhere.
    children = {fmt: sum(c.costs[fmt].payload for c in by_id.children) for fmt in ALL}
    assert by_id.costs["protobuf"].payload - children["protobuf"] == 3
    assert by_id.costs["json"].payload - children["json"] == 4
    assert by_id.costs["xml"].payload - children["xml"] == 4
