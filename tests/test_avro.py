"""Avro: the mapping of every type and its boundaries, the container file and its codecs,
single objects and their fingerprint, damaged files, and the peers (Apache's ``avro``
package and npm's ``avsc``) reading what fmtbench writes and writing what it reads."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import avro.datafile
import avro.io
import avro.schema
import fastavro
import pytest

from fmtbench import Duration, Timestamp
from fmtbench.cli import main
from fmtbench.codecs import codec_for
from fmtbench.codecs.avro import container
from fmtbench.codecs.avro.codec import AvroCodec
from fmtbench.codecs.avro.single import AvroSingleCodec, crc64_avro
from fmtbench.errors import DecodeError, EncodeError, LimitError
from fmtbench.schema.avsc import avro_schema
from fmtbench.schema.loader import parse_schema
from tests.peers import node_module, run_node
from tests.samples import ORDERS, SENSORS, assert_same, order_schema, sensor_schema
from tests.strategies import schema_named

EVERY = parse_schema(
    """
schema: t.every
root: All
enums:
  Colour: [RED, GREEN]
messages:
  All:
    doc: Every kind.
    fields:
      i32: int32 = 1
      s32: sint32 = 2
      i64: int64 = 3
      u32: uint32 = 4
      u64: uint64 = 5
      f32: float32 = 6
      f64: float64 = 7
      yes: bool = 8
      text: {type: string, tag: 9, doc: Some text.}
      blob: bytes = 10
      at: timestamp = 11
      took: duration = 12
      colour: Colour = 13
      maybe: optional int64 = 14
      many: list<uint64> = 15
      named: map<string, int32> = 16
      keyed: map<int64, string> = 17
      child: optional All = 18
      pick: {oneof: {a: string = 19, b: Colour = 20}}
""",
    "<every>",
)

ZERO: dict[str, Any] = {
    "i32": 0, "s32": 0, "i64": 0, "u32": 0, "u64": 0, "f32": 0.0, "f64": 0.0, "yes": False,
    "text": "", "blob": b"", "at": datetime(1970, 1, 1, tzinfo=UTC), "took": timedelta(0),
    "colour": "RED", "many": [], "named": {}, "keyed": {},
}  # fmt: skip


def codec(limits: Any = None) -> AvroCodec:
    c = codec_for("avro", EVERY) if limits is None else codec_for("avro", EVERY, limits=limits)
    assert isinstance(c, AvroCodec)
    return c


def datum(**fields: Any) -> bytes:
    """A datum written by fastavro alone with the exported schema (a map as a dict)."""
    buf = io.BytesIO()
    schema = fastavro.parse_schema(avro_schema(EVERY))
    tree = {**codec().to_tree(ZERO), "named": {}, "keyed": [], **fields}
    fastavro.schemaless_writer(buf, schema, tree)
    return buf.getvalue()


# -- the mapping ---------------------------------------------------------------------------------
def test_every_type_maps_as_documented() -> None:
    s = avro_schema(EVERY)
    assert (s["name"], s["namespace"], s["doc"]) == ("All", "t.every", "Every kind.")
    types = {f["name"]: f["type"] for f in s["fields"]}
    assert types["i32"] == types["s32"] == "int"
    assert types["i64"] == types["u32"] == "long"
    assert types["u64"][0] == "long"  # and above 2^63-1, 8 bytes (test_uint64_above_long)
    assert types["u64"][1] == {
        "type": "fixed",
        "name": "UInt64",
        "namespace": "fmtbench.avro",
        "doc": "A uint64 above 2^63-1 (no Avro long holds it): its 8 bytes, big-endian.",
        "size": 8,
    }
    assert (types["f32"], types["f64"], types["yes"]) == ("float", "double", "boolean")
    assert (types["text"], types["blob"]) == ("string", "bytes")
    assert types["at"]["name"] == "Timestamp"
    assert types["at"]["namespace"] == "fmtbench.avro"
    assert [f["name"] for f in types["at"]["fields"]] == ["seconds", "nanos"]
    assert types["took"]["name"] == "Duration"
    assert types["colour"] == {"type": "enum", "name": "Colour", "symbols": ["RED", "GREEN"]}
    assert types["maybe"] == ["null", "long"]
    assert types["many"] == {"type": "array", "items": ["long", "fmtbench.avro.UInt64"]}
    assert types["named"] == {"type": "map", "values": "int"}
    entry = types["keyed"]["items"]
    assert entry["name"] == "All_keyed_Entry"
    assert [(f["name"], f["type"]) for f in entry["fields"]] == [
        ("key", "long"),
        ("value", "string"),
    ]
    assert types["child"] == ["null", "All"]  # recursion by name
    assert types["a"] == ["null", "string"]
    assert types["b"] == ["null", "Colour"]
    fields = {f["name"]: f for f in s["fields"]}
    assert fields["text"]["doc"] == "Some text."
    assert "oneof pick" in fields["a"]["doc"]
    assert fields["maybe"]["default"] is None
    assert fields["i32"]["default"] == 0
    fastavro.parse_schema(s)
    avro.schema.parse(json.dumps(s))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("i32", -(2**31)), ("i32", 2**31 - 1), ("i64", -(2**63)), ("i64", 2**63 - 1),
        ("u32", 2**32 - 1), ("u64", 2**64 - 1), ("u64", 2**63), ("f32", float("inf")),
        ("f64", -0.0), ("text", "Zoë 🦜"), ("blob", bytes(range(256))),
        ("at", Timestamp.from_parts(-62135596800, 1)),  # 0001-01-01T00:00:00.000000001Z
        ("at", Timestamp.from_parts(253402300799, 999_999_999)),  # the last of 9999
        ("took", Duration.from_parts(315_576_000_000, 999_999_999)),
        ("took", Duration.from_parts(-315_576_000_000, -999_999_999)),
        ("maybe", 0), ("many", [0, 2**64 - 1]), ("keyed", {-(2**63): "", 2**63 - 1: "x"}),
        ("named", {"": 1, "é": -1}), ("a", ""), ("b", "RED"), ("child", dict(ZERO)),
    ],
)  # fmt: skip
def test_boundaries_round_trip(field: str, value: Any) -> None:
    record = {**ZERO, field: value}
    for fmt in ("avro", "avro-single"):
        c = codec_for(fmt, EVERY)
        assert_same(c.decode(c.encode(record)), record)


def test_uint64_above_long_is_its_8_bytes_and_below_the_long() -> None:
    # What any Avro reader sees: the number where a long holds it, else its 8 bytes; never
    # a negative long standing for a large uint64.
    schema = fastavro.parse_schema(avro_schema(EVERY))
    for value, seen in [
        (2**64 - 1, b"\xff" * 8),
        (2**63, b"\x80" + bytes(7)),
        (2**63 - 1, 2**63 - 1),
    ]:
        data = codec().encode({**ZERO, "u64": value, "many": [value]})
        got = fastavro.schemaless_reader(io.BytesIO(data), schema, None)
        assert got["u64"] == got["many"][0] == seen


def test_a_negative_long_in_a_uint64_is_refused() -> None:
    c = codec()
    out = io.BytesIO()
    fastavro.schemaless_writer(out, c.wire, {**c.to_tree(ZERO), "u64": -1})  # as a peer may
    with pytest.raises(DecodeError, match="u64: -1 is out of range for uint64"):
        codec().decode(out.getvalue())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("i32", 2**31, "i32: 2147483648 is out of range for int32"),
        ("u32", -1, "u32: -1 is out of range for uint32"),
        ("u64", 2**64, "u64: 18446744073709551616 is out of range for uint64"),
        ("f32", 1e300, "f32: 1e+300 is too large for float32"),
        ("text", "\ud800", "text: "),
        ("at", datetime(2024, 1, 1), "at: expected a timezone-aware datetime"),
        ("colour", "BLUE", "colour: expected one of Colour"),
    ],
)
def test_values_out_of_range_are_refused_naming_the_field(
    field: str, value: Any, message: str
) -> None:
    with pytest.raises(EncodeError, match=message.replace("(", r"\(").replace("+", r"\+")):
        codec().encode({**ZERO, field: value})


def test_two_oneof_members_are_refused() -> None:
    with pytest.raises(EncodeError, match="pick: a and b are both set"):
        codec().encode({**ZERO, "a": "x", "b": "RED"})
    with pytest.raises(DecodeError, match="pick: a and b are both set"):
        codec().decode(datum(a="x", b="RED"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"i32": 2**40}, "i32: 1099511627776 is out of range for int32"),
        ({"u32": -5}, "u32: -5 is out of range for uint32"),
        ({"keyed": [{"key": 1, "value": "a"}, {"key": 1, "value": "b"}]}, r"keyed\[1\]: .* twice"),
        ({"at": {"seconds": 0, "nanos": 10**9}}, "at: invalid Timestamp: nanos"),
        ({"at": {"seconds": 2**62, "nanos": 0}}, "at: timestamp .* outside years 1..9999"),
        ({"took": {"seconds": 1, "nanos": -1}}, "took: invalid Duration"),
    ],
)
def test_bad_values_read_are_refused_naming_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        codec().decode(datum(**fields))


def test_a_map_key_twice_on_the_wire_is_refused() -> None:
    # An Avro map is blocks of entries: fastavro's dict would keep the last; fmtbench refuses.
    good = datum(named={"k": 1})
    twice = good.replace(b"\x02\x02k\x02\x00", b"\x04\x02k\x02\x02k\x04\x00")
    assert twice != good
    with pytest.raises(DecodeError, match=r"named\[\"k\"\]: the map holds the key 'k' twice"):
        codec().decode(twice)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x02", "truncated"),
        (b"\xff" * 11, "i32: malformed number"),
    ],
)
def test_malformed_datums_are_one_line_errors(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        codec().decode(data)


def test_union_branch_out_of_range_names_the_field() -> None:
    data = bytearray(datum())
    # ``maybe`` follows the fixed-size and one-byte fields: find its branch index 0 by
    # writing it set, and the difference is the index byte.
    set_ = datum(maybe=0)
    at = next(i for i, (x, y) in enumerate(zip(data, set_, strict=False)) if x != y)
    data[at] = 0x04  # branch 2
    with pytest.raises(DecodeError, match="maybe: union branch 2 is out of range"):
        codec().decode(bytes(data))


def test_extra_bytes_after_a_datum_are_refused() -> None:
    with pytest.raises(DecodeError, match="1 extra bytes after the record"):
        codec().decode(datum() + b"\x00")


# -- lists of messages of no bytes, and nesting ---------------------------------------------------
def test_a_list_of_empty_messages_cannot_claim_billions() -> None:
    tree = codec_for("avro", schema_named("tree"))
    ok = tree.encode(
        {"trunk": {**_node(), "empties": [{}, {}]}, "by_id": {}, "colours": {}, "marker": {}}
    )
    two = ok.index(b"\x04\x00")  # the block of two empties, then the end
    bomb = ok[:two] + container.zigzag(2**40) + ok[two + 1 :]
    with pytest.raises(LimitError, match="--max-record-values"):
        tree.decode(bomb)


def test_nesting_deeper_than_the_limit_is_refused_before_fastavro() -> None:
    tree = codec_for("avro", schema_named("tree"))
    # A Node: label "", weight 0.0, children, then 12 empty lists and maps. 100,000 levels
    # of one child each: past --max-depth, and past what C's stack holds in fastavro.
    opened = b"\x00" + bytes(4) + b"\x02"  # ...children: a block of one Node
    closed = b"\x00" + bytes(12)  # the end of the children, then the rest empty
    leaf = b"\x00" + bytes(4) + b"\x00" + bytes(12)
    n = 100_000
    forest = opened * n + leaf + closed * n + b"\x00\x00\x00"  # by_id, colours, maybe_empty
    with pytest.raises(LimitError, match="--max-depth"):
        tree.decode(forest)
    shallow = opened * 3 + leaf + closed * 3 + b"\x00\x00\x00"
    assert tree.decode(shallow)["trunk"]["children"][0]["children"][0]["children"][0] == _node()


def _node() -> dict[str, Any]:
    lists = ("children", "flags", "colours", "empties", "blobs", "words", "when", "small", "big")
    maps = ("named", "stamps", "offsets", "sizes")
    return {"label": "", "weight": 0.0, **{k: [] for k in lists}, **{k: {} for k in maps}}


# -- container files -----------------------------------------------------------------------------
def write_file(c: Any, records: list[Any]) -> bytes:
    buf = io.BytesIO()
    w = c.writer(buf)
    for r in records:
        w.write(r)
    w.close()
    return buf.getvalue()


@pytest.mark.parametrize("name", container.CODECS)
def test_every_codec_round_trips_and_fastavro_reads_it(name: str) -> None:
    c = codec_for("avro", order_schema(), options={"avro_codec": name})
    records = ORDERS * 200  # several blocks
    data = write_file(c, records)
    assert data.count(container.sync_marker(c.schema_json)) > 2
    assert_same(list(c.reader(io.BytesIO(data))), records)
    if name == "zstandard":
        return  # fastavro 1.13 reads zstandard only with backports.zstd installed
    reader = fastavro.reader(io.BytesIO(data))
    assert reader.codec == name
    assert sum(1 for _ in reader) == len(records)


def test_the_same_records_give_the_same_file() -> None:
    c = codec_for("avro", order_schema())
    assert write_file(c, ORDERS) == write_file(codec_for("avro", order_schema()), ORDERS)


def test_an_empty_file_is_the_header_alone() -> None:
    c = codec_for("avro", order_schema())
    data = write_file(c, [])
    assert data.startswith(b"Obj\x01")
    assert list(c.reader(io.BytesIO(data))) == []
    assert list(fastavro.reader(io.BytesIO(data))) == []


def _damage(data: bytes, c: Any) -> dict[str, tuple[bytes, str]]:
    sync = container.sync_marker(c.schema_json)
    head = data.index(sync) + len(sync)  # the first block starts here
    block = data[head:]
    return {
        "truncated block": (data[: len(data) - 30], "block 1 at byte offset"),
        "wrong sync marker": (data[:-1] + bytes([data[-1] ^ 1]), "sync marker is not the header"),
        "huge block length": (
            data[:head] + b"\x02" + container.zigzag(2**60) + block[2:],
            "over the limit",
        ),
        "huge block count": (data[:head] + container.zigzag(2**60) + block[1:], "records in"),
        "negative count": (data[:head] + container.zigzag(-3) + block[1:], "negative"),
        "bad codec name": (
            data.replace(b"\x14avro.codec\x08null", b"\x14avro.codec\x08lz4x"),
            "codec 'lz4x' is not one fmtbench reads",
        ),
        "not a container": (b"PK\x03\x04" + data[4:], "not an Avro container file"),
        "varint past 10 bytes": (data[:head] + b"\xff" * 12, "longer than 10 bytes"),
    }


@pytest.mark.parametrize(
    "kind",
    ["truncated block", "wrong sync marker", "huge block length", "huge block count",
     "negative count", "bad codec name", "not a container", "varint past 10 bytes"],
)  # fmt: skip
def test_damaged_containers_fail_cleanly(kind: str) -> None:
    c = codec_for("avro", order_schema())
    data = write_file(c, ORDERS[:1])
    damaged, message = _damage(data, c)[kind]
    assert damaged != data
    with pytest.raises((DecodeError, LimitError), match=message) as info:
        list(c.reader(io.BytesIO(damaged)))
    assert "\n" not in str(info.value)


def test_a_union_index_out_of_range_in_a_block_names_record_field_and_block() -> None:
    c = codec_for("avro", EVERY)
    data = write_file(c, [ZERO])
    body = datum()
    set_ = datum(maybe=0)
    at = next(i for i, (x, y) in enumerate(zip(body, set_, strict=False)) if x != y)
    start = data.index(body)
    damaged = data[: start + at] + b"\x06" + data[start + at + 1 :]
    with pytest.raises(DecodeError, match=r"record 1: block 1 at byte offset \d+: maybe: union"):
        list(c.reader(io.BytesIO(damaged)))


def test_a_deflate_bomb_is_refused_before_it_inflates() -> None:
    c = codec_for("avro", order_schema(), limits=_limits(1 << 16))
    data = write_file(c, [])
    bomb = container.compress("deflate", b"\x00" * (1 << 26))
    header = container.header(c.schema_json, "deflate", container.sync_marker(c.schema_json))
    block = container.zigzag(1) + container.zigzag(len(bomb)) + bomb
    file = header + block + container.sync_marker(c.schema_json)
    assert len(data) < len(file) < 1 << 17
    with pytest.raises(LimitError, match="decompresses"):
        list(c.reader(io.BytesIO(file)))


def _limits(max_record_bytes: int) -> Any:
    from fmtbench.limits import Limits

    return Limits(max_record_bytes=max_record_bytes)


def test_a_file_of_a_schema_that_does_not_resolve_names_the_first_difference() -> None:
    # Resolved by Avro's rules (tests/test_avsc_import.py): a reader field the writer lacks
    # and that has no default cannot be read.
    other = parse_schema(
        "schema: shop.order\nroot: Order\nmessages:\n  Order:\n    fields:\n      id: int32 = 1\n",
        "<other>",
    )
    data = write_file(codec_for("avro", other), [{"id": 1}])
    with pytest.raises(
        DecodeError,
        match=r"header: the file's schema cannot be read as .*resolution rules .*placed_at.*"
        r"at \$.*fields\[0\]\(id\)\.type the file has \"int\"",
    ):
        list(codec_for("avro", order_schema()).reader(io.BytesIO(data)))


# -- single objects ------------------------------------------------------------------------------
def test_the_fingerprint_is_avros_own() -> None:
    c = codec_for("avro-single", order_schema())
    assert isinstance(c, AvroSingleCodec)
    form = fastavro.schema.to_parsing_canonical_form(fastavro.parse_schema(c.avsc))
    assert c.fingerprint.hex() == fastavro.schema.fingerprint(form, "CRC-64-AVRO")
    # Apache's CRC-64-AVRO over the same form. (Not over its own form: Apache's Python
    # repeats a fixed's definition at every use, where the spec and fastavro name it.)
    assert c.fingerprint == avro.schema._crc_64_fingerprint(form.encode())
    assert crc64_avro(b"") == container_empty_fingerprint()
    data = c.encode(ORDERS[0])
    assert data[:10] == b"\xc3\x01" + c.fingerprint


def container_empty_fingerprint() -> int:
    return 0xC15D213AA4D7A795  # the specification's EMPTY: the fingerprint of no bytes


def test_single_objects_wrong_marker_or_fingerprint_name_the_record() -> None:
    c = codec_for("avro-single", order_schema())
    one, two = c.encode(ORDERS[0]), c.encode(ORDERS[1])
    wrong = two[:2] + bytes(8) + two[10:]
    with pytest.raises(
        DecodeError, match=r"record 2: byte offset \d+: the record's schema fingerprint"
    ):
        list(c.reader(io.BytesIO(one + wrong)))
    with pytest.raises(DecodeError, match=r"record 2: byte offset .*: not Avro single-object"):
        list(c.reader(io.BytesIO(one + b"\xc3\x02" + two[2:])))
    with pytest.raises(DecodeError, match=r"record 2: .*truncated"):
        list(c.reader(io.BytesIO(one + two[:-3])))


# -- the peers -----------------------------------------------------------------------------------
def test_apache_avro_reads_fmtbench_and_fmtbench_reads_apache_avro(tmp_path: Path) -> None:
    c = codec_for("avro", order_schema())
    parsed = avro.schema.parse(json.dumps(c.avsc))
    expected = [
        fastavro.schemaless_reader(io.BytesIO(c.encode(r)), fastavro.parse_schema(c.avsc), None)
        for r in ORDERS
    ]
    for name in ("null", "deflate", "bzip2", "zstandard"):
        ours = write_file(codec_for("avro", order_schema(), options={"avro_codec": name}), ORDERS)
        got = list(avro.datafile.DataFileReader(io.BytesIO(ours), avro.io.DatumReader()))
        assert got == expected, name
        # Apache's writer, read by fmtbench.
        buf = io.BytesIO()
        w = avro.datafile.DataFileWriter(buf, avro.io.DatumWriter(), parsed, codec=name)
        for record in expected:
            w.append(record)
        w.flush()
        assert_same(list(c.reader(io.BytesIO(buf.getvalue()))), ORDERS)
    # A single datum.
    reader = avro.io.DatumReader(parsed)
    got = reader.read(avro.io.BinaryDecoder(io.BytesIO(c.encode(ORDERS[0]))))
    assert got == expected[0]


_AVSC_SCRIPT = """
const avro = require('avsc');
const fs = require('fs');
const [src, dst, codec, schemaPath, datumPath] = process.argv.slice(1);
// Longs as BigInt: avsc refuses longs past 2^53 as numbers (potential precision loss).
const longType = avro.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => { const buf = Buffer.alloc(8); buf.writeBigInt64LE(BigInt(n)); return buf; },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n) => typeof n == 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});
const parse = (schema) => avro.Type.forSchema(schema, {registry: {long: longType}});
const type = parse(JSON.parse(fs.readFileSync(schemaPath)));
const datum = type.fromBuffer(fs.readFileSync(datumPath));  // a single datum, exactly
const records = [];
avro.createFileDecoder(src, {parseHook: parse})
  .on('data', (r) => records.push(r))
  .on('end', () => {
    const out = avro.createFileEncoder(dst, type, {codec});
    for (const r of records) out.write(r);
    out.end();
    out.on('finish', () => process.stdout.write(
      JSON.stringify({count: records.length, first: type.isValid(datum)})));
  });
"""


@pytest.mark.parametrize("codec_name", ["null", "deflate"])
def test_avsc_reads_fmtbench_and_fmtbench_reads_avsc(codec_name: str, tmp_path: Path) -> None:
    node_module("avsc")
    c = codec_for("avro", order_schema(), options={"avro_codec": codec_name})
    src, dst = tmp_path / "in.avro", tmp_path / "out.avro"
    schema, one = tmp_path / "order.avsc", tmp_path / "one.bin"
    src.write_bytes(write_file(c, ORDERS))
    schema.write_text(json.dumps(c.avsc))
    one.write_bytes(c.encode(ORDERS[0]))
    out = run_node(_AVSC_SCRIPT, str(src), str(dst), codec_name, str(schema), str(one))
    assert json.loads(out) == {"count": len(ORDERS), "first": True}
    assert fastavro.reader(io.BytesIO(dst.read_bytes())).codec == codec_name
    assert_same(list(c.reader(io.BytesIO(dst.read_bytes()))), ORDERS)


# -- the command line ----------------------------------------------------------------------------
def test_convert_writes_the_codec_asked_for_and_export_writes_the_avsc(tmp_path: Path) -> None:
    src = tmp_path / "o.jsonl"
    src.write_bytes(b"".join(codec_for("jsonl", order_schema()).encode(r) + b"\n" for r in ORDERS))
    out = tmp_path / "o.avro"
    assert (
        main(["convert", str(src), str(out), "-s", "order", "--avro-codec", "deflate", "-q"]) == 0
    )
    assert fastavro.reader(io.BytesIO(out.read_bytes())).codec == "deflate"
    avsc = tmp_path / "order.avsc"
    assert main(["schema", "export", "order", "--to", "avro", "-o", str(avsc)]) == 0
    assert json.loads(avsc.read_text()) == codec_for("avro", order_schema()).avsc  # type: ignore[attr-defined]
    assert (
        main(["convert", str(src), str(tmp_path / "o.xml"), "-s", "order", "--avro-codec", "null"])
        == 2
    )


def test_single_objects_across_read_chunks() -> None:
    # The reader refills its buffer every 64 KiB: a datum cut there is read on, not refused.
    c = codec_for("avro-single", order_schema())
    records = ORDERS * 400
    data = c.encode_many(records)
    assert len(data) > 4 * (1 << 16)
    assert_same(list(c.reader(io.BytesIO(data))), records)


def test_a_peers_long_for_a_uint64_resolves_into_its_long_branch(tmp_path: Path) -> None:
    # A file written with "long" for the uint64 fields, as a peer's own schema would say.
    theirs = json.loads(
        json.dumps(avro_schema(EVERY)).replace('["long", "fmtbench.avro.UInt64"]', '"long"')
    )
    for f in theirs["fields"]:
        if f["name"] == "u64":
            f["type"] = "long"
    c = codec()
    datum = {**c.to_tree(ZERO), "u64": 7, "many": [1, 2]}
    for sign, expected in [(1, None), (-1, "u64: -7 is out of range for uint64")]:
        out = io.BytesIO()
        fastavro.writer(out, fastavro.parse_schema(theirs), [{**datum, "u64": 7 * sign}])
        if expected is None:
            [got] = list(c.reader(io.BytesIO(out.getvalue())))
            assert (got["u64"], got["many"]) == (7, [1, 2])
        else:
            with pytest.raises(DecodeError, match=expected):
                list(c.reader(io.BytesIO(out.getvalue())))


class _Trickle(io.RawIOBase):
    """A file that gives at most 997 bytes a read, so that records end across reads."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), 997, len(self.data) - self.pos)
        b[:n] = self.data[self.pos : self.pos + n]
        self.pos += n
        return n


@pytest.mark.parametrize("fmt", ["avro", "avro-single"])
def test_records_cut_anywhere_by_reads_are_read_whole(fmt: str) -> None:
    # A recursive schema is walked before fastavro reads it: a read that ends inside a map
    # key (int keys: an array of entries) is "read on", never an error.
    c = codec_for(fmt, sensor_schema())
    record = {**SENSORS[0], "histogram": {i: 2**64 - 3001 - i for i in range(-3000, 3000)}}
    out = io.BytesIO()
    w = c.writer(out)
    for _ in range(3):
        w.write(record)
    w.close()
    got = list(c.reader(io.BufferedReader(_Trickle(out.getvalue()), 1000)))
    assert_same(got, [record] * 3)
