"""The XML stream fast path (fast_stream.py) against the reference reader: same records,
same errors (record number, line), whatever the chunk boundaries and wherever it hands over.

The reference returns the records of a feed (32 KiB given to libxml2) only once the whole
feed parsed, so on a damaged file it stops before the records that precede the error in
its feed, and its error names the first of them: the fast reader must do the same, so the
files here span several feeds too.
"""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtbench.codecs import codec_for
from fmtbench.codecs.xml import fast_stream
from fmtbench.codecs.xml.codec import XmlCodec
from fmtbench.errors import FmtbenchError
from fmtbench.generate import load_dataset
from tests.strategies import records, schema_named
from tests.test_xml_fast import FAST_SCHEMAS, codec, mutate, same, tag_pieces

_DS = load_dataset("order")
ORDER: XmlCodec = codec_for("xml", _DS.schema, _DS.type_name)  # type: ignore[assignment]
ORDERS = list(_DS.generator().records(6))


def read_all(reader: Any) -> tuple[str, Any, int, bool]:
    """What reading a whole file gives: the records or the error's text, the count, single."""
    got: list[Any] = []
    try:
        for record in reader:
            got.append(record)
    except FmtbenchError as exc:
        return "error", f"{type(exc).__name__}: {exc}", len(got), reader.single
    return "ok", got, reader.count, reader.single


def check_file(schema: str, data: bytes) -> None:
    c = ORDER if schema == "order" else codec(schema)
    expected = read_all(c.reference_reader(io.BytesIO(data)))
    got = read_all(c.fast_reader(io.BytesIO(data)))
    assert got[0] == expected[0], (data, got, expected)
    if got[0] == "ok":
        assert same(got[1], expected[1]), data
        assert got[2:] == expected[2:], data
    else:
        # The same error, naming the same record and line, after the same records.
        assert got[1:] == expected[1:], data


@pytest.fixture(params=[7, 64, 1 << 16])
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Small chunks cut records, tags and UTF-8 sequences at every place."""
    monkeypatch.setattr(fast_stream, "CHUNK", request.param)
    return int(request.param)


@pytest.mark.parametrize("schema", FAST_SCHEMAS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_stream_reads_what_the_writer_writes(schema: str, data: st.DataObject) -> None:
    recs = data.draw(st.lists(records(schema_named(schema), xml_safe=True), max_size=6))
    encoded = codec(schema).encode_many(recs)
    for size in (5, 1 << 16):
        fast_stream.CHUNK, saved = size, fast_stream.CHUNK
        try:
            got = list(codec(schema).fast_reader(io.BytesIO(encoded)))
        finally:
            fast_stream.CHUNK = saved
        assert len(got) == len(recs)  # the values: check_file, against the reference
        check_file(schema, encoded)


@pytest.mark.parametrize("schema", FAST_SCHEMAS)
@settings(max_examples=60, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_stream_agrees_on_mutated_files(schema: str, data: st.DataObject, seed: int) -> None:
    recs = data.draw(st.lists(records(schema_named(schema), xml_safe=True), max_size=4))
    encoded = codec(schema).encode_many(recs)
    rnd = random.Random(seed)
    mutated = mutate(encoded, rnd, [*tag_pieces(schema), b"<records>", b"</records>"])
    fast_stream.CHUNK, saved = rnd.choice((3, 17, 1 << 16)), fast_stream.CHUNK
    try:
        check_file(schema, mutated)
    finally:
        fast_stream.CHUNK = saved


_BIG = ORDER.encode_many(list(_DS.generator().records(60)))  # 72 KB: three feeds
_BIG_TAGS = [b"<records>", b"</records>", b"<Order>", b"</Order>", b"<sku>", b"</sku>"]


@pytest.mark.parametrize("seed", range(12))
def test_stream_agrees_on_mutated_files_of_several_feeds(seed: int) -> None:
    rnd = random.Random(seed)
    mutated = mutate(_BIG, rnd, _BIG_TAGS)
    fast_stream.CHUNK, saved = rnd.choice((17, 1000, 1 << 16)), fast_stream.CHUNK
    try:
        check_file("order", mutated)
    finally:
        fast_stream.CHUNK = saved


def test_the_writers_files_stay_on_the_fast_path(chunk: int) -> None:
    """Wherever a read ends (in a start tag, in </records>), nothing is handed over."""
    reader = ORDER.fast_reader(io.BytesIO(_BIG))
    assert len(list(reader)) == 60
    assert reader._inner is None  # type: ignore[attr-defined]


def test_lxml_feeds_libxml2_what_the_fast_reader_assumes() -> None:
    """The hand-over keeps the reference's feed boundaries: they must be FEED bytes apart."""
    reads: list[int] = []

    class Source(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(-1 if size is None else size)
            return super().read(size)

    list(ORDER.reference_reader(Source(_BIG)))  # type: ignore[arg-type]
    assert reads[0] % fast_stream.FEED == 0  # the first read: a whole number of feeds
    assert set(reads[1:]) == {fast_stream.FEED}


def test_errors_name_the_record_and_line_after_a_hand_over(chunk: int) -> None:
    good = ORDER.encode_many(ORDERS)
    lines = good.split(b"\n")
    # A comment between records hands over; a broken record further on is then the
    # reference's error, with its record number and line.
    lines.insert(4, b"<!-- a comment -->")
    lines[6] = lines[6][:-3]
    check_file("order", b"\n".join(lines))


@pytest.mark.parametrize(
    "tail",
    [b"", b"</records>", b"</records>\n\n  \n", b"</records>x", b"</records><!-- c -->"],
)
def test_the_end_of_the_file(tail: bytes, chunk: int) -> None:
    body = ORDER.encode_many(ORDERS[:2]).replace(b"</records>\n", b"")
    check_file("order", body + tail)


def test_the_single_form_and_other_prologs_take_the_reference_reader(chunk: int) -> None:
    check_file("order", ORDER.encode(ORDERS[0]))
    wrapped = ORDER.encode_many(ORDERS[:2])
    check_file("order", wrapped.replace(b"<?xml", b"\n<?xml", 1))
    check_file("order", wrapped.replace(b'encoding="UTF-8"', b"encoding='UTF-8'", 1))


def test_a_reader_wants_a_file_object() -> None:
    with pytest.raises(TypeError):
        ORDER.fast_reader("/etc/passwd")  # type: ignore[arg-type]


def test_a_hand_over_keeps_a_character_cut_by_the_last_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Found by test_stream_agrees_on_mutated_files (schema proto2): with 17-byte reads, the
    # scanner stops at a record it declines while the decoder holds the start of a
    # character cut by the last read. The reference must be handed those bytes too, or it
    # meets a broken character the file does not hold ("Invalid bytes in character
    # encoding" instead of the record's own error).
    data = (Path(__file__).parent / "data/xml/hand-over-after-a-cut-character.xml").read_bytes()
    data.decode("utf-8")  # the file's text is whole
    for read in (3, 17, 1 << 16):
        monkeypatch.setattr(fast_stream, "CHUNK", read)
        check_file("proto2", data)
