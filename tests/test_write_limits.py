"""Every writer refuses what its own reader, with the same limits, would refuse (issue 12,
item 9).

The rule is tested as a property of the registry's formats, a plugin's included: bytes that
the format's codec writes without limits are read by a reader keeping some limits exactly
when a writer keeping the same limits writes them, in message mode and in every file form;
and what that writer writes, the reader reads back equal. Then each limit just under and
just over (record size, MessagePack's element counts, XML's text nodes, start tags and
depth, upb's depth, orjson's and msgpack's depth), and the issue's examples through the CLI.
"""

from __future__ import annotations

import functools
import io
import re
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgpack
import pytest

from fmtbench.cli import main
from fmtbench.codecs import FORMATS, Codec, codec_for
from fmtbench.codecs.protobuf.codec import _ProtobufBase
from fmtbench.codecs.xml.write import MAX_TAG_BYTES, MAX_TEXT_BYTES
from fmtbench.errors import DecodeError, EncodeError, FmtbenchError, LimitError, SchemaError
from fmtbench.limits import Limits
from fmtbench.parallel import Options, convert_chunked
from fmtbench.schema import Schema, parse_schema

#: Limits no probe here reaches: what the writers wrote before they knew their readers'.
FREE = Limits(max_depth=100_000, max_record_bytes=1 << 40)

FLAT = parse_schema(
    "schema: t.flat\nroot: R\nmessages:\n  R:\n    fields:\n"
    "      s: string = 1\n      b: bytes = 2\n"
)
WIDE = parse_schema(
    "schema: t.wide\nroot: R\nmessages:\n  R:\n    fields:\n"
    "      xs: list<int32> = 1\n      m: map<string, int32> = 2\n"
    "      a: optional int32 = 3\n      b: optional int32 = 4\n      c: optional int32 = 5\n"
)
DEEP = parse_schema(
    "schema: t.deep\nroot: Node\nmessages:\n  Node:\n    fields:\n"
    "      name: string = 1\n      kids: list<Node> = 2\n"
    "      named: map<string, Node> = 3\n      at: optional timestamp = 4\n"
    "      ats: map<string, timestamp> = 5\n"
)
ATTRS = parse_schema(
    "schema: t.attrs\nroot: R\nmessages:\n  R:\n    fields:\n"
    "      id: {type: string, tag: 1, xml: attribute}\n"
    "      text: string = 2\n      blob: bytes = 3\n      labels: map<string, string> = 4\n"
)
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def nested(levels: int, via: str = "list", leaf: dict[str, Any] | None = None) -> dict[str, Any]:
    """A DEEP record of ``levels`` message levels as Protobuf counts them (a map entry is
    one more); ``leaf`` adds fields to the innermost message."""
    node: dict[str, Any] = {"name": "leaf", "kids": [], "named": {}, "ats": {}, **(leaf or {})}
    for _ in range(levels // 2 if via == "map" else levels):
        child, node = node, {"name": "n", "kids": [], "named": {}, "ats": {}}
        if via == "map":
            node["named"] = {"k": child}
        else:
            node["kids"] = [child]
    return node


# -- the rule, as a property of every registered format ------------------------------------------
def unlimited(fmt: str, schema: Schema) -> Codec:
    """The format's codec without limits, and without its reader's own depth cap: it
    writes what the writers wrote before they learnt their readers' limits."""
    cls = FORMATS[fmt].codec_class()
    free = type(f"Unlimited{cls.__name__}", (cls,), {"nesting": None})
    codec: Codec = free(schema, limits=FREE)
    return codec


def write_file(codec: Codec, records: list[dict[str, Any]], single: bool) -> bytes:
    buf = io.BytesIO()
    writer = codec.writer(buf, single=single)
    for record in records:
        writer.write(record)
    writer.close()
    return buf.getvalue()


def encoded(codec: Codec, record: dict[str, Any]) -> bytes:
    return codec.encode(record)


def reader_of(codec: Codec) -> Callable[[bytes], list[dict[str, Any]]]:
    return lambda data: list(codec.reader(io.BytesIO(data)))


def outcome(step: Callable[[], Any]) -> Any:
    """What ``step`` returns, or the FmtbenchError it raises (anything else fails the test)."""
    try:
        return step()
    except FmtbenchError as exc:
        return exc


def agree(fmt: str, schema: Schema, records: list[dict[str, Any]], limits: Limits) -> set[str]:
    """Assert the rule for one format, its records and limits, in message mode and in
    each file form; return the forms whose writer refused."""
    free, codec = unlimited(fmt, schema), codec_for(fmt, schema, limits=limits)
    if not FORMATS[fmt].many_records:
        records = records[:1]
    refused = set()
    forms: list[tuple[str, Callable[[Codec], bytes], Callable[[bytes], Any], Any]] = [
        (f"message {i}", functools.partial(encoded, record=r), codec.decode, r)
        for i, r in enumerate(records, 1)
    ]
    for single in [False, True] if FORMATS[fmt].single_form and len(records) == 1 else [False]:
        write = functools.partial(write_file, records=records, single=single)
        forms.append(("one-record file" if single else "file", write, reader_of(codec), records))
    for form, write, read, expected in forms:
        data = write(free)
        back = outcome(lambda: read(data))  # noqa: B023 (called at once)
        written = outcome(lambda: write(codec))  # noqa: B023
        where = f"{fmt}, {form}: {back if isinstance(back, Exception) else written!s:.300}"
        if isinstance(back, Exception):
            assert isinstance(back, DecodeError), where
            assert isinstance(written, EncodeError), f"the reader refuses what was written: {where}"
            assert "\n" not in str(written), where
            refused.add(form)
        else:
            assert back == expected, where
            assert written == data, f"the writer refuses what the reader reads: {where}"
    return refused


def _size(fmt: str, record: dict[str, Any]) -> int:
    return len(unlimited(fmt, FLAT).encode(record))


Case = Callable[[str], tuple[Schema, list[dict[str, Any]], Limits]]
TEXT = {"s": "x" * 700, "b": b"\x01" * 300}
CASES: dict[str, Case] = {
    # One record's bytes (and the one after it) at the limit and one byte over it.
    "size at the limit": lambda f: (FLAT, [TEXT, TEXT], Limits(max_record_bytes=_size(f, TEXT))),
    "size one over": lambda f: (FLAT, [TEXT, TEXT], Limits(max_record_bytes=_size(f, TEXT) - 1)),
    # bytes are base64 in text formats: 3 KB fits 4K as MessagePack or Protobuf, not as JSON.
    "bytes as base64": lambda f: (
        FLAT,
        [{"s": "", "b": b"\x00" * 3000}],
        Limits(max_record_bytes=4096),
    ),
    # MessagePack streams: an array or map declares at most max_record_bytes / 16 elements
    # (the values limit, by default the same number for the whole record, raised here so
    # that the cap of one array is what binds; tests/test_expansion.py has the other).
    "64 elements": lambda f: (
        WIDE,
        [{"xs": [1] * 64, "m": {}}],
        Limits(max_record_bytes=1024, max_record_values=10**6),
    ),
    "65 elements": lambda f: (
        WIDE,
        [{"xs": [1] * 65, "m": {}}],
        Limits(max_record_bytes=1024, max_record_values=10**6),
    ),
    "65 map entries": lambda f: (
        WIDE,
        [{"xs": [], "m": {f"{i:03}": i for i in range(65)}}],
        Limits(max_record_bytes=1024, max_record_values=10**6),
    ),
    "a message of 5 fields": lambda f: (
        WIDE,
        [{"xs": [], "m": {}, "a": 1, "b": 2, "c": 3}],
        Limits(max_record_bytes=64, max_record_values=10**6),  # 4 elements
    ),
    # A timestamp is a level of its own in Protobuf (a Timestamp message), so in --max-depth.
    "100 levels": lambda f: (DEEP, [nested(100)], Limits()),
    "100 levels and a timestamp": lambda f: (DEEP, [nested(100, leaf={"at": WHEN})], Limits()),
    "99 levels and a timestamp map": lambda f: (
        DEEP,
        [nested(99, leaf={"ats": {"k": WHEN}})],
        Limits(),
    ),
    # upb reads 100 levels whatever --max-depth allows.
    "101 levels, --max-depth 150": lambda f: (DEEP, [nested(101)], Limits(max_depth=150)),
    "100 levels by maps, --max-depth 150": lambda f: (
        DEEP,
        [nested(100, "map")],
        Limits(max_depth=150),
    ),
    "102 levels by maps, --max-depth 150": lambda f: (
        DEEP,
        [nested(102, "map")],
        Limits(max_depth=150),
    ),
    # libxml2 reads 256 elements: a record, 254 messages and a leaf; the wrapper is one more.
    "254 levels, --max-depth 300": lambda f: (DEEP, [nested(254)], Limits(max_depth=300)),
    "255 levels, --max-depth 300": lambda f: (DEEP, [nested(255)], Limits(max_depth=300)),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_writer_refuses_what_its_own_reader_would(fmt: str, case: str) -> None:
    schema, records, limits = CASES[case](fmt)
    agree(fmt, schema, records, limits)


# -- record size -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fmt", "title"),
    [
        ("jsonl", "JSON"),
        ("json", "JSON"),
        ("msgpack", "MessagePack"),
        ("protobuf", "Protobuf"),
        ("protobuf-delimited", "Protobuf"),
    ],
)
def test_a_record_at_the_size_limit_is_written_one_byte_more_is_not(fmt: str, title: str) -> None:
    size = _size(fmt, TEXT)
    assert agree(fmt, FLAT, [TEXT], Limits(max_record_bytes=size)) == set()
    refused = agree(fmt, FLAT, [TEXT], Limits(max_record_bytes=size - 1))
    assert "message 1" in refused
    assert ("file" in refused) is (fmt != "json")  # a .json file is read whole
    with pytest.raises(EncodeError) as info:
        codec_for(fmt, FLAT, limits=Limits(max_record_bytes=size - 1)).encode(TEXT)
    assert str(info.value) == (
        f"the record is {size:,} bytes as {title}, over the limit of {size - 1:,} bytes"
        " (--max-record-bytes) that its readers keep"
    )


def test_a_json_file_is_read_whole_so_its_records_are_not_limited() -> None:
    limits = Limits(max_record_bytes=100)
    codec = codec_for("json", FLAT, limits=limits)
    records = [{"s": "x" * 500, "b": b""}] * 2
    data = write_file(codec, records, single=False)
    assert list(codec.reader(io.BytesIO(data))) == records
    assert list(codec.reader(io.BytesIO(write_file(codec, records[:1], True)))) == records[:1]


def test_a_json_line_at_the_limit_counts_without_its_newline() -> None:
    size = _size("jsonl", TEXT)
    codec = codec_for("jsonl", FLAT, limits=Limits(max_record_bytes=size))
    data = write_file(codec, [TEXT], single=False)
    assert len(data) == size + 1
    assert data.endswith(b"\n")
    assert list(codec.reader(io.BytesIO(data))) == [TEXT]


# -- MessagePack element counts ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("record", "where", "what"),
    [
        ({"xs": [7] * 65, "m": {}}, "xs", "a list of 65 elements"),
        ({"xs": [], "m": {f"k{i}": i for i in range(65)}}, "m", "a map of 65 elements"),
    ],
)
def test_msgpack_writes_the_elements_its_stream_reader_allows(
    record: dict[str, Any], where: str, what: str
) -> None:
    limits = Limits(max_record_bytes=1024, max_record_values=10**6)  # 64 elements an array
    codec = codec_for("msgpack", WIDE, limits=limits)
    with pytest.raises(EncodeError) as info:
        write_file(codec, [{"xs": [], "m": {}}, record], single=False)
    assert str(info.value) == (
        f"record 2: {where}: {what}, over the 64 that MessagePack stream readers allow one"
        " array or map (--max-record-bytes / 16)"
    )
    # One element fewer is written and read back; the stream reader refuses the one more.
    fewer = {
        k: v[:64] if isinstance(v, list) else dict(list(v.items())[:64]) for k, v in record.items()
    }
    assert list(codec.reader(io.BytesIO(write_file(codec, [fewer], single=False)))) == [fewer]
    with pytest.raises(LimitError, match=rf"^record 1: byte offset 0: {what}, over the 64"):
        list(codec.reader(io.BytesIO(write_file(unlimited("msgpack", WIDE), [record], False))))
    # Message mode keeps no such count: decode() reads it, so encode() writes it.
    assert codec.decode(codec.encode(record)) == record


def test_a_message_with_more_fields_than_the_count_names_the_message() -> None:
    deep = parse_schema(
        "schema: t.m\nroot: R\nmessages:\n  R:\n    fields:\n      kid: optional K = 1\n"
        "  K:\n    fields:\n      a: int32 = 1\n      b: int32 = 2\n      c: int32 = 3\n"
    )
    codec = codec_for("msgpack", deep, limits=Limits(max_record_bytes=32, max_record_values=10**6))
    with pytest.raises(EncodeError, match=r"^record 1: kid: a message \(a map of its fields\)"):
        write_file(codec, [{"kid": {"a": 1, "b": 2, "c": 3}}], single=False)


# -- XML: libxml2's text nodes, start tags and depth -------------------------------------------
def test_xml_text_nodes_are_counted_in_bytes_as_libxml2_counts_them() -> None:
    # The one value of 10 MB: 5,000,000 two-byte characters are 10,000,000 bytes.
    codec = codec_for("xml", ATTRS)
    at = {"id": "a", "text": "é" * (MAX_TEXT_BYTES // 2), "blob": b"", "labels": {}}
    data = write_file(codec, [at], single=False)
    assert list(codec.reader(io.BytesIO(data))) == [at]
    assert codec.decode(codec.encode(at)) == at
    over = {**at, "text": at["text"] + "x"}
    for write in (lambda: codec.encode(over), lambda: write_file(codec, [over], single=True)):
        with pytest.raises(EncodeError) as info:
            write()
        assert str(info.value).endswith(
            "text: the text is 10,000,001 bytes, over the 10,000,000 that XML readers"
            " (libxml2) read in one text node"
        )
    # What the writer refuses, libxml2 refuses: the bytes written without the check.
    with pytest.raises(LimitError, match="Text node too long"):
        codec.decode(at_once(codec, over))


def at_once(codec: Codec, record: dict[str, Any]) -> bytes:
    """The record's XML, as the writer builds it, before any size check."""
    from fmtbench.codecs.xml.codec import XmlCodec
    from fmtbench.codecs.xml.write import DECLARATION

    assert isinstance(codec, XmlCodec)
    return (DECLARATION + codec._reference_element(record, codec._single_start) + "\n").encode()


def test_xml_bytes_past_the_text_limit_as_base64() -> None:
    codec = codec_for("xml", ATTRS)
    over = {"id": "a", "text": "", "blob": b"\xff" * (MAX_TEXT_BYTES * 3 // 4 + 1), "labels": {}}
    with pytest.raises(EncodeError, match=r"^record 1: blob: the text is 10,000,004 bytes"):
        write_file(codec, [over], single=False)


def test_xml_start_tags_keep_room_in_libxml2s_buffer() -> None:
    codec = codec_for("xml", ATTRS)
    tag = len('<R id="">')  # in a <records> wrapper, where the namespace is declared
    at = {"id": "x" * (MAX_TAG_BYTES - tag), "text": "", "blob": b"", "labels": {}}
    data = write_file(codec, [at, at], single=False)
    assert list(codec.reader(io.BytesIO(data))) == [at, at]
    over = {**at, "id": at["id"] + "&"}  # written as &amp;: five bytes more
    with pytest.raises(EncodeError) as info:
        write_file(codec, [over], single=False)
    assert str(info.value) == (
        f"record 1: id: the element's start tag (its attributes) is {MAX_TAG_BYTES + 5:,}"
        f" bytes, over the {MAX_TAG_BYTES:,} that XML readers (libxml2) are sure to read in"
        " one tag"
    )
    key = {"id": "", "text": "", "blob": b"", "labels": {"k" * MAX_TAG_BYTES: "v"}}
    with pytest.raises(EncodeError, match=r'^record 1: labels\["kkkk.*start tag'):
        write_file(codec, [key], single=False)


@pytest.mark.parametrize(("levels", "single"), [(254, True), (254, False), (255, True)])
def test_xml_depth_is_libxml2s_with_the_wrapper_counted(levels: int, single: bool) -> None:
    codec = codec_for("xml", DEEP, limits=Limits(max_depth=300))
    deepest = 1 + levels + 1 + (0 if single else 1)  # record, messages, a leaf, the wrapper
    record = nested(levels)
    if deepest <= 256:
        assert list(codec.reader(io.BytesIO(write_file(codec, [record], single)))) == [record]
        return
    with pytest.raises(EncodeError) as info:
        write_file(codec, [record], single)
    assert str(info.value).endswith(
        ".name: nested 257 elements deep: XML readers (libxml2) stop at 256"
    )
    assert str(info.value).startswith("record 1: kids[0].kids[0].")


def test_xml_names_are_what_libxml2_reads() -> None:
    def schema(length: int) -> Schema:
        name = "f" * length  # YAML's explicit key: a plain one holds 1,024 characters
        return parse_schema(
            f"schema: t.n\nroot: R\nmessages:\n  R:\n    fields:\n      ? {name}\n      : string = 1\n"
        )

    at = schema(50_000)
    record = {"f" * 50_000: "v"}
    codec = codec_for("xml", at)
    assert list(codec.reader(io.BytesIO(write_file(codec, [record], single=False)))) == [record]
    with pytest.raises(SchemaError, match=r"\(50,001 characters\) is too long for XML"):
        codec_for("xml", schema(50_001))


# -- depth: upb's, orjson's and msgpack's, past a raised --max-depth -------------------------------
@pytest.mark.parametrize("fmt", ["protobuf", "protobuf-delimited"])
def test_protobuf_writers_stop_where_upb_does_whatever_max_depth_says(fmt: str) -> None:
    codec = codec_for(fmt, DEEP, limits=Limits(max_depth=150))
    for record in (
        nested(100),
        nested(99, leaf={"at": WHEN}),
        nested(98, leaf={"ats": {"k": WHEN}}),
    ):
        assert codec.decode(codec.encode(record)) == record
    for record, levels in (
        (nested(101), 101),
        (nested(100, leaf={"at": WHEN}), 101),
        (nested(99, leaf={"ats": {"k": WHEN}}), 101),
        (nested(120), 101),  # the first level past the cap is named
    ):
        with pytest.raises(
            EncodeError,
            match=rf"nested {levels} levels deep: Protobuf readers \(upb\) stop at 100$",
        ):
            codec.encode(record)
        with pytest.raises(EncodeError, match=r"^record 1: kids\[0\]"):
            write_file(codec, [record], single=False)
        # upb's own bytes of it are what its parser refuses.
        assert isinstance(codec, _ProtobufBase)
        data = codec.to_message(record).SerializeToString()
        with pytest.raises(DecodeError, match="MaxDepth"):
            codec.decode(data)


def test_timestamps_count_as_levels_for_max_depth_in_every_format() -> None:
    record = nested(100, leaf={"at": WHEN})
    for fmt in sorted(FORMATS):
        with pytest.raises(
            EncodeError, match=r"\.at: nested 101 levels deep, over the limit of 100"
        ):
            codec_for(fmt, DEEP).encode(record)


def deep_stack(test: Callable[[], None]) -> None:
    """Run ``test`` with room for a thousand levels of recursion, in C and in Python (the
    libraries' own caps are past what the default stack lets the writers reach)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            test()
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)

    old_limit, old_size = sys.getrecursionlimit(), threading.stack_size(256 << 20)
    sys.setrecursionlimit(20_000)
    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)
    if errors:
        raise errors[0]


@pytest.mark.parametrize(
    ("fmt", "unit", "who"),
    [
        ("jsonl", "arrays and objects", "JSON readers (orjson)"),
        ("json", "arrays and objects", "JSON readers (orjson)"),
        ("msgpack", "arrays and maps", "MessagePack readers (msgpack)"),
    ],
)
def test_json_and_msgpack_writers_stop_where_their_readers_do(
    fmt: str, unit: str, who: str
) -> None:
    # A list of messages is two containers a level (an array, an object): the record's
    # object, 511 of them and the innermost message's empty "kids" make 1,024.
    def test() -> None:
        codec = codec_for(fmt, DEEP, limits=Limits(max_depth=2000))
        at, over = nested(511), nested(512)
        assert codec.decode(codec.encode(at)) == at
        too_deep = f"nested 1,025 {unit} deep: {who} stop at 1,024"
        with pytest.raises(EncodeError, match=re.escape(too_deep) + "$"):
            codec.encode(over)
        with pytest.raises(DecodeError):  # the stream reader's own library refuses it
            list(codec.reader(io.BytesIO(write_file(unlimited(fmt, DEEP), [over], False))))
        # A .json file's array is one level more for its reader.
        refused = agree(fmt, DEEP, [at], Limits(max_depth=2000))
        assert refused == ({"file"} if fmt == "json" else set())

    deep_stack(test)


# -- through the CLI: the examples ---------------------------------------------------------
@pytest.fixture
def flat_yaml(tmp_path: Path) -> Path:
    path = tmp_path / "flat.yaml"
    path.write_text(
        "schema: t.flat\nroot: R\nmessages:\n  R:\n    fields:\n"
        "      s: string = 1\n      b: bytes = 2\n"
    )
    return path


def refused_by_cli(args: list[str], out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run a convert that must fail: one line, exit 1, the output as it was."""
    before = out.read_bytes() if out.exists() else None
    assert main(["convert", *args, "-q"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("fmtbench: error: "), err
    assert (out.read_bytes() if out.exists() else None) == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp file
    return err


def test_msgpack_bin_that_base64_makes_too_long_for_a_json_line(
    tmp_path: Path, flat_yaml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The 50 MiB bin under 64 MiB, in small: 3,500 bytes under 4K, 4,668 as base64.
    src = tmp_path / "in.msgpack"
    records = [{"s": "ok", "b": b"\x00"}, {"s": "big", "b": b"\x00" * 3500}]
    src.write_bytes(b"".join(msgpack.packb(r) for r in records))
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"an existing output\n")
    args = [str(src), str(out), "-s", str(flat_yaml), "--max-record-bytes", "4K"]
    err = refused_by_cli(args, out, capsys)
    assert err == (
        f"fmtbench: error: {src}: record 2: the record is 4,686 bytes as JSON, over the limit"
        " of 4,096 bytes (--max-record-bytes) that its readers keep\n"
    )
    assert main(["convert", *args[:-1], "5K", "-q"]) == 0
    assert (
        main(
            [
                "convert",
                str(out),
                str(tmp_path / "back.msgpack"),
                "-s",
                str(flat_yaml),
                "--max-record-bytes",
                "5K",
                "-q",
            ]
        )
        == 0
    )
    assert (tmp_path / "back.msgpack").read_bytes() == src.read_bytes()


def test_a_12_mb_string_is_not_written_as_xml(
    tmp_path: Path, flat_yaml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"s": "ok", "b": ""}\n{"s": "' + "x" * 12_000_000 + '", "b": ""}\n')
    out = tmp_path / "out.xml"
    err = refused_by_cli([str(src), str(out), "-s", str(flat_yaml)], out, capsys)
    assert err == (
        f"fmtbench: error: {src}: record 2: s: the text is 12,000,000 bytes, over the"
        " 10,000,000 that XML readers (libxml2) read in one text node\n"
    )


def test_a_tree_120_deep_with_max_depth_150_is_not_written_as_delimited_protobuf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def tree(levels: int) -> str:
        text = '{"id": 1, "name": "leaf"}'
        for _ in range(levels):
            text = '{"id": 1, "children": [' + text + "]}"
        return text

    src = tmp_path / "in.jsonl"
    src.write_text(tree(100) + "\n" + tree(120) + "\n")
    out = tmp_path / "out.pbd"
    args = [str(src), str(out), "-s", "tree", "--max-depth", "150"]
    err = refused_by_cli(args, out, capsys)
    assert err.startswith(f"fmtbench: error: {src}: record 2: children[0].children[0].")
    assert err.endswith(": nested 101 levels deep: Protobuf readers (upb) stop at 100\n")
    src.write_text(tree(100) + "\n")
    assert main(["convert", *args, "-q"]) == 0
    assert main(["convert", str(out), str(tmp_path / "back.jsonl"), "-s", "tree", "-q"]) == 0


# -- every write path: convert's decoded-record writer, chunked convert ----------------------------
def test_the_decoded_record_writer_keeps_the_size_limit(
    tmp_path: Path, flat_yaml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # xml -> pbd goes through the delimited writer's fast path for decoded records (and
    # XML keeps no record size: its documents are read whole).
    src = tmp_path / "in.xml"
    src.write_bytes(write_file(codec_for("xml", FLAT), [{"s": "x" * 3000, "b": b""}], False))
    out = tmp_path / "out.pbd"
    err = refused_by_cli(
        [str(src), str(out), "-s", str(flat_yaml), "--max-record-bytes", "3000"], out, capsys
    )
    assert "record 1: the record is 3,003 bytes as Protobuf, over the limit of 3,000" in err


def test_chunked_convert_keeps_the_limits(tmp_path: Path, flat_yaml: Path) -> None:
    # Delimited Protobuf cut into chunks, to JSON Lines: a record deep in the file is
    # small enough as Protobuf (2,003 bytes) and too large as JSON (2,683).
    free = unlimited("protobuf-delimited", FLAT)
    small, big = {"s": "x" * 40, "b": b""}, {"s": "", "b": b"\x00" * 2000}
    records = [small] * 3000 + [big] + [small] * 100
    src = tmp_path / "in.pbd"
    src.write_bytes(write_file(free, records, single=False))
    out = tmp_path / "out.jsonl"
    options = Options(str(flat_yaml), limits=Limits(max_record_bytes=2048))
    with pytest.raises(EncodeError, match=r"record 3001: the record is 2,683 bytes as JSON"):
        convert_chunked(str(src), str(out), options, workers=2, chunk_bytes=16 << 10)
    assert not out.exists()
