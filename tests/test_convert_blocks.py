"""``convert`` from JSON Lines in blocks (json/block.py, structs/direct.py, pump.py) against
the record-by-record loop it replaced: the same bytes, and the same error naming the same
record, line and field, wherever in a block the trouble is."""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fmtbench.codecs.json.codec as json_codec
from fmtbench.codecs import codec_for
from fmtbench.convert import convert
from fmtbench.errors import RecordError
from fmtbench.generate import load_dataset
from fmtbench.limits import DEFAULT_LIMITS, LimitedInput, Limits
from fmtbench.pump import pump
from fmtbench.schema.builtin import resolve_schema
from fmtbench.schema.model import Schema
from tests.strategies import SCHEMAS, records, schema_named

TARGETS = ["msgpack", "protobuf-delimited", "jsonl"]
DATASETS = ["blob", "log", "media", "mesh", "order", "telemetry", "tree"]
Outcome = bytes | tuple[Any, ...]


@contextmanager
def block_bytes(size: int) -> Iterator[None]:
    """Small blocks: many of them, and lines cut at a block's end."""
    before = json_codec.BLOCK_BYTES
    json_codec.BLOCK_BYTES = size
    try:
        yield
    finally:
        json_codec.BLOCK_BYTES = before


def _run(data: bytes, schema: Schema, target: str, limits: Limits, batched: bool) -> Outcome:
    decoder = codec_for("jsonl", schema, limits=limits)
    encoder = codec_for(target, schema, limits=limits)
    out = io.BytesIO()
    src: Any = io.BytesIO(data)
    if limits.max_input_bytes is not None:  # as convert wraps it: read line by line
        src = LimitedInput(src, limits.max_input_bytes)
    reader = decoder.reader(src)
    writer = encoder.writer_for_decoded(out, single=reader.single)
    try:
        if batched:
            pump(reader, writer)
        else:
            for record in reader:  # the loop convert ran before blocks
                writer.write(record)
        writer.close()
    except RecordError as exc:
        return type(exc), exc.problem, exc.record, exc.position, exc.path
    return out.getvalue()


def assert_same(
    data: bytes, schema: Schema, target: str, limits: Limits = DEFAULT_LIMITS
) -> Outcome:
    reference = _run(data, schema, target, limits, batched=False)
    for size in (json_codec.BLOCK_BYTES, 700, 64):
        with block_bytes(size):
            assert _run(data, schema, target, limits, batched=True) == reference, size
    return reference


def _jsonl(schema: Schema, records: list[Any]) -> bytes:
    return codec_for("jsonl", schema).encode_many(records)


@pytest.mark.parametrize("name", DATASETS)
def test_every_dataset_converts_to_the_same_bytes(name: str) -> None:
    schema = resolve_schema(name)
    count = 8 if name in ("blob", "mesh") else 60
    data = _jsonl(schema, list(load_dataset(name).generator().records(count)))
    for target in TARGETS:
        assert isinstance(assert_same(data, schema, target), bytes)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_records_convert_to_the_same_bytes(data: st.DataObject) -> None:
    schema = schema_named(data.draw(st.sampled_from(SCHEMAS)))
    batch = data.draw(st.lists(records(schema), min_size=1, max_size=12))
    text = _jsonl(schema, batch)
    for target in TARGETS:
        assert_same(text, schema, target)


def _log_lines(count: int = 40) -> list[bytes]:
    schema = resolve_schema("log")
    return _jsonl(schema, list(load_dataset("log").generator().records(count))).splitlines()


def _with(lines: list[bytes], at: int, line: bytes) -> bytes:
    return b"\n".join([*lines[:at], line, *lines[at + 1 :]]) + b"\n"


MIDDLE = [
    b"{not json",  # malformed
    b'{"status": 200, "status": 404}',  # a duplicate key
    b'{"at": "2024-02-30T00:00:00Z"}',  # no such day
    b'{"status": 99999999999}',  # out of range
    b"\x0b",  # not JSON's whitespace
    b"",  # blank: skipped, and the lines after keep their numbers
    b"   \t",
]


@pytest.mark.parametrize("bad", MIDDLE)
@pytest.mark.parametrize("target", TARGETS)
def test_trouble_in_a_block_is_named_as_before(bad: bytes, target: str) -> None:
    lines = _log_lines()
    assert_same(_with(lines, 23, bad), resolve_schema("log"), target)


#: Records the typed path leaves to the tree path, which reads them: (pattern, replacement).
ACCEPTED_BY_THE_TREE_PATH = [
    (rb'("at":"[^"]{19}\.[0-9]{6})Z', rb"\g<1>789Z"),  # nanoseconds
    (rb'"latency_ms":[-0-9.e+]+', rb'"latency_ms":"NaN"'),
    (rb'"method":"G', rb'"method":"\\u0047'),  # an escape: the key count vouches
    (rb"^\{", rb'{"referrer":null,'),  # null, read as absent
    (rb'"status":([0-9]+)', rb'"status":\g<1>.0'),  # refused, with its path
]


@pytest.mark.parametrize(("pattern", "replacement"), ACCEPTED_BY_THE_TREE_PATH)
@pytest.mark.parametrize("target", TARGETS)
def test_records_the_fast_paths_leave_are_the_same(
    pattern: bytes, replacement: bytes, target: str
) -> None:
    lines = [line for line in _log_lines() if b'"referrer"' not in line]
    changed = [re.sub(pattern, replacement, line, count=1) for line in lines[10:14]]
    assert changed != lines[10:14]
    data = b"\n".join([*lines[:10], *changed, *lines[14:]]) + b"\n"
    outcome = assert_same(data, resolve_schema("log"), target)
    assert isinstance(outcome, bytes) == (b".0" not in replacement), outcome


def test_a_writer_error_before_a_reader_error_comes_first() -> None:
    schema_text = """
schema: t.blocks
root: R
messages:
  R:
    doc: A list long enough for MessagePack's element cap.
    fields:
      xs: list<int32> = 1
"""
    from fmtbench.schema.loader import parse_schema

    schema = parse_schema(schema_text)
    limits = Limits(max_record_bytes=1600)  # MessagePack readers: 100 elements an array
    good = b'{"xs":[1,2,3]}'
    crowded = b'{"xs":[' + b",".join([b"1"] * 150) + b"]}"
    data = b"\n".join([good, good, crowded, good, b"{bad", good]) + b"\n"
    outcome = assert_same(data, schema, "msgpack", limits)
    assert isinstance(outcome, tuple), outcome
    assert outcome[2] == 3, outcome  # the writer's refusal of record 3, not line 5's


def test_convert_reports_the_line_and_record_of_the_file(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.msgpack"
    lines = _log_lines(3000)  # several blocks
    lines.insert(2500, b"")
    src.write_bytes(_with(lines, 2700, b'{"status": -1}'))
    with pytest.raises(RecordError) as caught:
        convert(str(src), str(dst), resolve_schema("log"))
    assert caught.value.record == 2700
    assert caught.value.position == "line 2701"
    assert str(src) in str(caught.value)


@pytest.mark.parametrize("bad_at", [None, 3, 30])
@pytest.mark.parametrize("target", TARGETS)
def test_the_input_limit_comes_after_the_records_before_it(bad_at: int | None, target: str) -> None:
    lines = _log_lines(60)
    if bad_at is not None:
        lines[bad_at] = b'{"status": -1}'
    data = b"\n".join(lines) + b"\n"
    limits = Limits(max_input_bytes=len(data) // 3)  # reached about line 20
    outcome = assert_same(data, resolve_schema("log"), target, limits)
    assert isinstance(outcome, tuple)
    assert outcome[2] == (4 if bad_at == 3 else None), outcome


@pytest.mark.parametrize("value", [b"18446744073709551615", b"18446744073709551616"])
@pytest.mark.parametrize("target", TARGETS)
def test_a_uint64_past_its_range_is_refused_as_before(value: bytes, target: str) -> None:
    schema = resolve_schema("blob")
    lines = _jsonl(schema, list(load_dataset("blob").generator().records(6))).splitlines()
    lines[3] = re.sub(rb'"id":[0-9]+', b'"id":' + value, lines[3], count=1)
    outcome = assert_same(b"\n".join(lines) + b"\n", schema, target)
    assert isinstance(outcome, bytes) == value.endswith(b"5"), outcome


@pytest.mark.parametrize("bad", [False, True])
def test_convert_restores_the_collectors_thresholds(tmp_path: Path, bad: bool) -> None:
    """convert runs the cyclic collector less often while it streams (convert.py
    ``fewer_collections``) and gives the caller back its own thresholds, after an error too."""
    schema = resolve_schema("log")
    records = list(load_dataset("log").generator().records(20))
    src = tmp_path / "in.jsonl"
    data = codec_for("jsonl", schema).encode_many(records)
    src.write_bytes(data + (b'{"status": "x"}\n' if bad else b""))
    seen: list[tuple[int, int, int]] = []
    codec = codec_for("msgpack", schema)
    original = type(codec).writer_for_decoded

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_threshold())
        return original(self, *args, **kwargs)

    before = gc.get_threshold()
    gc.set_threshold(123, 4, 5)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(type(codec), "writer_for_decoded", spy)
            if bad:
                with pytest.raises(RecordError):
                    convert(str(src), str(tmp_path / "out.msgpack"), schema)
            else:
                convert(str(src), str(tmp_path / "out.msgpack"), schema)
        assert gc.get_threshold() == (123, 4, 5)
    finally:
        gc.set_threshold(*before)
    assert seen
    assert seen[0][0] > 123  # fewer collections while it ran
