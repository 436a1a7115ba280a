"""A record may not expand past the values limit (issue 12, item 17), in any format.

The limit counts values in the canonical record: every field of every message (zero-filled
ones included), every list element, every map entry. Each format counts a large record on
what its parser returns, before the record is built; these tests hold every count to the
exact number of values the decoded record has (``canonical_values``), one under and one
over, so that no format counts loosely (refusing good records) or short (letting memory go).
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench.cli import main
from fmtbench.codecs import FORMATS, codec_for
from fmtbench.errors import EncodeError, LimitError, UsageError
from fmtbench.limits import Limits
from fmtbench.schema.model import ListOf, MapOf, MessageRef, Schema
from tests.samples import assert_same, sensor_schema
from tests.strategies import SCHEMAS, records, schema_named

# Formats that read one record at a time from bytes (the plugin's too, when installed).
FORMAT_NAMES = list(FORMATS)


def canonical_values(schema: Schema, name: str, record: dict[str, Any]) -> int:
    """What the limit counts, on a decoded record: its keys, list items, map entries."""
    total = len(record)
    for f in schema.messages[name].fields:
        value = record.get(f.name)
        t = f.type
        if value is None:
            continue
        if isinstance(t, MessageRef):
            total += canonical_values(schema, t.name, value)
        elif isinstance(t, ListOf):
            total += len(value)
            if isinstance(t.item, MessageRef):
                total += sum(canonical_values(schema, t.item.name, v) for v in value)
        elif isinstance(t, MapOf):
            total += len(value)
            if isinstance(t.value, MessageRef):
                total += sum(canonical_values(schema, t.value.name, v) for v in value.values())
    return total


def _limited(fmt: str, schema: Schema, values: int) -> Any:
    # A small byte limit would refuse the record for its size: only the values limit binds.
    return codec_for(fmt, schema, limits=Limits(max_record_values=values))


@pytest.mark.parametrize("schema_name", SCHEMAS)
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_format_counts_exactly(fmt: str, schema_name: str, data: st.DataObject) -> None:
    schema = schema_named(schema_name)
    record = data.draw(records(schema, xml_safe=fmt == "xml"), label="record")
    root = schema.message(None).name
    exact = canonical_values(schema, root, record)
    encoded = codec_for(fmt, schema).encode(record)
    # At the limit: read, by decode and by the reader (files of one record).
    at = _limited(fmt, schema, max(exact, 1))
    assert_same(at.decode(encoded), record)
    framed = at.encode_many([record]) if not FORMATS[fmt].single_form else encoded
    assert len(list(at.reader(io.BytesIO(framed)))) == 1
    if exact <= 1:
        return
    # One under: refused, by decode and by the reader, with the limit's name.
    under = _limited(fmt, schema, exact - 1)
    with pytest.raises(LimitError, match="--max-record-values"):
        under.decode(encoded)
    with pytest.raises(LimitError, match="--max-record-values"):
        list(under.reader(io.BytesIO(framed)))


def _empty_children(fmt: str, n: int) -> bytes:
    """The issue's record: ``{"children": [{} x n]}`` of the recursive ``sensor`` schema,
    spelled as small as each format allows."""
    if fmt in ("json", "jsonl"):
        return b'{"children":[' + b",".join([b"{}"] * n) + b"]}"
    if fmt == "msgpack":
        head = b"\x81\xa8children" + b"\xdd" + n.to_bytes(4, "big")
        return head + b"\x80" * n
    if fmt == "cbor":
        return b"\xa1\x68children\x9a" + n.to_bytes(4, "big") + b"\xa0" * n
    if fmt in ("protobuf", "protobuf-delimited"):
        return b"\xa2\x01\x00" * n  # field 20, length 0: an empty Reading
    if fmt == "xml":
        return (
            b'<Reading xmlns="urn:fmtbench:iot.sensor" sensor="">'
            + b"<children/>" * n
            + b"</Reading>"
        )
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", ["json", "msgpack", "cbor", "protobuf", "xml"])
def test_the_issues_record_is_refused_early(fmt: str) -> None:
    # 300,000 empty children of an 18-field message: 5.7 million values, over the default
    # limit (64 MiB / 16 = 4,194,304); refused before the record is built.
    codec = codec_for(fmt, sensor_schema())
    data = _empty_children(fmt, 300_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(LimitError, match="more than 4194304 values"):
        codec.decode(data)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 400, f"{grown_mb:.0f} MB grown before the refusal"


@pytest.mark.parametrize("fmt", ["json", "msgpack", "cbor", "protobuf", "xml"])
def test_a_large_record_under_the_limit_is_read(fmt: str) -> None:
    # 200,000 empty children (3.8 million values): allowed, and read in full.
    codec = codec_for(fmt, sensor_schema())
    record = codec.decode(_empty_children(fmt, 200_000))
    assert len(record["children"]) == 200_000


def test_the_msgpack_file_of_the_issue_via_the_cli(tmp_path: Path) -> None:
    # 1 MB of MessagePack, a million empty children: took 2.25 GB and 39 s before.
    src = tmp_path / "big.msgpack"
    src.write_bytes(_empty_children("msgpack", 1_000_000))
    done = subprocess.run(
        [sys.executable, "-m", "fmtbench", "convert", str(src), str(tmp_path / "o.jsonl"),
         "--schema", "sensor"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "record 1" in done.stderr
    assert "--max-record-values" in done.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_the_option_sets_the_limit_exactly(tmp_path: Path) -> None:
    # 2,000 empty children (each a list element and 18 zero-filled fields) and the
    # record's own 18 fields: 38,018 values.
    src = tmp_path / "r.jsonl"
    src.write_bytes(_empty_children("jsonl", 2_000) + b"\n")
    out = tmp_path / "o.msgpack"
    common = ["convert", str(src), str(out), "--schema", "sensor", "-q"]
    assert main([*common, "--max-record-values", "38017"]) == 1
    assert not out.exists()
    assert main([*common, "--max-record-values", "38018"]) == 0
    assert out.exists()


def test_lowered_limit_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "r.jsonl"
    src.write_bytes(b"{}\n" + _empty_children("jsonl", 2_000) + b"\n")
    out = tmp_path / "o.msgpack"
    code = main(
        ["convert", str(src), str(out), "--schema", "sensor", "--max-record-values", "1000"]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "record 2: line 2:" in err
    assert "over the limit of 1000 (--max-record-values" in err
    assert not out.exists()


@pytest.mark.parametrize("value", [0, -1, 2**61])
def test_impossible_limits_are_usage_errors(value: int) -> None:
    with pytest.raises(UsageError, match="max_record_values"):
        Limits(max_record_values=value)


def test_the_default_follows_the_byte_limit() -> None:
    assert Limits().record_values == 64 * 2**20 // 16
    assert Limits(max_record_bytes=1600).record_values == 100
    assert Limits(max_record_bytes=1600, max_record_values=7).record_values == 7


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_every_writer_refuses_what_its_reader_would(fmt: str) -> None:
    # Issue 12, item 9 for this limit: a record over it is refused on writing too, in
    # message mode and in a file, and one at it is written and read back.
    schema = sensor_schema()
    plain = codec_for(fmt, schema)
    record = plain.decode(plain.encode({**plain.decode(plain.encode(_zero(plain))),
                                        "children": [_zero(plain)] * 300}))  # fmt: skip
    exact = canonical_values(schema, "Reading", record)
    at, under = _limited(fmt, schema, exact), _limited(fmt, schema, exact - 1)
    assert_same(at.decode(at.encode(record)), record)
    with pytest.raises(EncodeError, match="--max-record-values"):
        under.encode(record)
    with pytest.raises(EncodeError, match="--max-record-values"):
        under.encode_many([record])


def _zero(codec: Any) -> dict[str, Any]:
    from fmtbench.schema.values import zero_message

    return zero_message(codec.schema, codec.message.name)
