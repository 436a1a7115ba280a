"""Every limit of fmtbench/limits.py, just under and just over, in every format it touches.

A record at the limit is written and read back by every format; one level, byte or
element more is refused with a LimitError/EncodeError naming the limit's option, never a
RecursionError, a library's own failure or a traceback.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fmtbench.cli import main
from fmtbench.codecs import FORMATS, codec_for
from fmtbench.codecs.protobuf.codec import _ProtobufBase
from fmtbench.codecs.protobuf.frames import varint
from fmtbench.errors import DecodeError, EncodeError, FmtbenchError, LimitError, UsageError
from fmtbench.limits import DEFAULT_MAX_DEPTH, Limits, depth_check, static_depth
from fmtbench.schema import parse_schema
from tests.samples import ORDERS, assert_same, order_schema

DEEP = parse_schema(
    "schema: t.deep\nroot: Node\nmessages:\n  Node:\n    fields:\n"
    "      name: string = 1\n      kids: list<Node> = 2\n"
    "      named: map<string, Node> = 3\n      tags: map<string, string> = 4\n"
)
FLAT = parse_schema("schema: t.flat\nroot: R\nmessages:\n  R:\n    fields:\n      s: string = 1\n")


def nested(levels: int, via: str = "list", tags: bool = False) -> dict[str, Any]:
    """A record nesting ``levels`` deep as Protobuf counts it (a map entry is a level)."""
    node: dict[str, Any] = {"name": "leaf", "kids": [], "named": {}, "tags": {}}
    if tags:
        node["tags"] = {"k": "v"}
    depth = 1 if tags else 0
    while depth < levels:
        child, node = node, {"name": "n", "kids": [], "named": {}, "tags": {}}
        if via == "list" or levels - depth < 2:
            node["kids"] = [child]
            depth += 1
        else:
            node["named"] = {"k": child}
            depth += 2
    return node


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("via", ["list", "map", "tags"])
def test_depth_at_the_limit_round_trips_and_one_more_is_refused(fmt: str, via: str) -> None:
    codec = codec_for(fmt, DEEP)
    kind, tags = ("list", True) if via == "tags" else (via, False)
    at = nested(DEFAULT_MAX_DEPTH, kind, tags)
    assert codec.decode(codec.encode(at)) == at
    assert list(codec.reader(io.BytesIO(codec.encode_many([at])))) == [at]
    over = nested(DEFAULT_MAX_DEPTH + 1, kind, tags)
    with pytest.raises(EncodeError, match=r"over the limit of 100 \(--max-depth\)"):
        codec.encode(over)
    # Input that nests one level too deep (written with a raised limit) is refused too.
    lax = codec_for(fmt, DEEP, limits=Limits(max_depth=10_000))
    if fmt.startswith("protobuf"):
        # upb itself stops at 100 levels (the limit is its), so there it is its DecodeError;
        # and so the writers refuse it whatever --max-depth says: upb's own bytes serve.
        with pytest.raises(EncodeError, match=r"Protobuf readers \(upb\) stop at 100"):
            lax.encode(over)
        assert isinstance(lax, _ProtobufBase)
        data = lax.to_message(over).SerializeToString()
        many = data if fmt == "protobuf" else varint(len(data)) + data
        refused: type[Exception] = DecodeError
    else:
        data, many, refused = lax.encode(over), lax.encode_many([over]), LimitError
        assert lax.decode(data) == over
    with pytest.raises(refused):
        codec.decode(data)
    with pytest.raises(refused):
        list(codec.reader(io.BytesIO(many)))


@pytest.mark.parametrize("fmt", ["json", "jsonl", "msgpack", "xml"])
def test_far_too_deep_input_is_a_limit_not_a_recursion_error(fmt: str) -> None:
    lax = codec_for(fmt, DEEP, limits=Limits(max_depth=10_000))
    data = lax.encode_many([nested(200)])
    with pytest.raises(FmtbenchError):
        list(codec_for(fmt, DEEP).reader(io.BytesIO(data)))


def test_depth_check_is_free_for_shallow_schemas() -> None:
    assert static_depth(FLAT, "R") == 0
    assert depth_check(FLAT, "R", DEFAULT_MAX_DEPTH) is None
    assert static_depth(DEEP, "Node") is None
    assert depth_check(DEEP, "Node", DEFAULT_MAX_DEPTH) is not None


def test_the_error_names_the_path_in_a_readable_line() -> None:
    with pytest.raises(EncodeError) as info:
        codec_for("json", DEEP).encode(nested(101))
    text = str(info.value)
    assert text.startswith("kids[0].kids[0].")
    assert "…" in text
    assert len(text) < 220


# -- record size --------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["jsonl", "msgpack", "protobuf-delimited"])
def test_record_bytes_at_the_limit_read_and_one_more_is_refused(fmt: str) -> None:
    plain = codec_for(fmt, FLAT)
    size = len(plain.encode({"s": "x" * 1000}))
    at = codec_for(fmt, FLAT, limits=Limits(max_record_bytes=size))
    under = codec_for(fmt, FLAT, limits=Limits(max_record_bytes=size - 1))
    data = plain.encode_many([{"s": "x" * 1000}] * 3)
    assert len(list(at.reader(io.BytesIO(data)))) == 3
    with pytest.raises(LimitError, match="over the limit"):
        list(under.reader(io.BytesIO(data)))
    one = plain.encode({"s": "x" * 1000})
    assert at.decode(one) == {"s": "x" * 1000}
    with pytest.raises(LimitError):
        under.decode(one)


@pytest.mark.parametrize(
    "header", [b"\xdd\xff\xff\xff\xff", b"\xdf\x00\xff\xff\xff", b"\xdb\x7f\xff\xff\xff"]
)
def test_msgpack_huge_declared_lengths_fail_before_allocating(header: bytes) -> None:
    codec = codec_for("msgpack", FLAT)
    for read in (codec.decode, lambda d: list(codec.reader(io.BytesIO(d)))):
        with pytest.raises(FmtbenchError):
            read(header + b"\x00" * 8)


# -- input size, through the CLI (a pipe has no size to stat) -----------------------------
def _jsonl(tmp_path: Path, records: int) -> Path:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"s": "abc"}\n' * records)
    return src


def test_max_input_bytes_just_under_and_over(tmp_path: Path, capsys: Any) -> None:
    schema = tmp_path / "flat.yaml"
    schema.write_text(
        "schema: t.flat\nroot: R\nmessages:\n  R:\n    fields:\n      s: string = 1\n"
    )
    src = _jsonl(tmp_path, 100)
    size = src.stat().st_size
    out = tmp_path / "out.msgpack"
    args = ["convert", str(src), str(out), "-s", str(schema), "-q", "-j", "1"]
    assert main([*args, "--max-input-bytes", str(size)]) == 0
    assert out.exists()
    out.unlink()
    assert main([*args, "--max-input-bytes", str(size - 1)]) == 1
    err = capsys.readouterr().err
    assert f"input is over the limit of {size - 1} bytes (--max-input-bytes)" in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_max_input_bytes_counts_a_pipe(tmp_path: Path) -> None:
    schema = tmp_path / "flat.yaml"
    schema.write_text(
        "schema: t.flat\nroot: R\nmessages:\n  R:\n    fields:\n      s: string = 1\n"
    )
    data = b'{"s": "abc"}\n' * 1000
    run = [sys.executable, "-m", "fmtbench", "convert", "-", "-", "-s", str(schema)]
    run += ["--from", "jsonl", "--to", "msgpack", "--max-input-bytes", "1K"]
    done = subprocess.run(run, input=data, capture_output=True, check=False)
    assert done.returncode == 1
    assert b"--max-input-bytes" in done.stderr
    assert b"Traceback" not in done.stderr
    assert done.stdout == b""


@pytest.mark.parametrize("text", ["0", "-1", "abc", "1.5M", ""])
def test_sizes_are_checked(tmp_path: Path, text: str, capsys: Any) -> None:
    src = _jsonl(tmp_path, 1)
    args = ["convert", str(src), str(tmp_path / "o.msgpack"), "-s", "order"]
    assert main([*args, "--max-record-bytes", text]) == 2
    assert "--max-record-bytes" in capsys.readouterr().err


LISTS = parse_schema(
    "schema: t.lists\nroot: R\nmessages:\n  R:\n    fields:\n      xs: list<int32> = 1\n"
)


def test_msgpack_declared_element_counts_just_under_and_over() -> None:
    # A stream reader lets an array declare at most max_record_bytes / 16 elements (msgpack
    # allocates them before the items arrive); one more is refused before any allocation.
    # (The values limit, by default also max_record_bytes / 16, counts the record's other
    # fields too: raised here, so that the array's own cap is what is tested.)
    limits = Limits(max_record_bytes=16 * 1000, max_record_values=10**6)
    codec = codec_for("msgpack", LISTS, limits=limits)
    plain = codec_for("msgpack", LISTS)
    at = plain.encode_many([{"xs": [1] * 1000}])
    assert list(codec.reader(io.BytesIO(at))) == [{"xs": [1] * 1000}]
    over = plain.encode_many([{"xs": [1] * 1001}])
    with pytest.raises(LimitError, match="a list of 1,001 elements, over the 1,000 that"):
        list(codec.reader(io.BytesIO(over)))


# -- issue 12, item 11: sizes and limits a user can type ---------------------------------------
@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--max-record-bytes", "9999999999999G", "over the largest size accepted"),
        ("--max-record-bytes", "1048577T", "over the largest size accepted"),
        ("--max-input-bytes", "²", "wants a positive size"),
        ("--max-input-bytes", "٣K", "wants a positive size"),
        ("--max-record-bytes", "0", "wants a positive size"),
        ("--max-record-bytes", "1.5K", "wants a positive size"),
        ("--max-depth", "99999999999999999999999", "max_depth (--max-depth) must be"),
    ],
)
def test_absurd_limits_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, message: str
) -> None:
    from fmtbench.cli import main

    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1}\n')
    assert main(["convert", str(src), str(tmp_path / "o.msgpack"), "-s", "order", flag, value]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o.msgpack").exists()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_largest_limits_work_in_every_format(fmt: str) -> None:
    huge = Limits(max_depth=2**60, max_record_bytes=2**60, max_input_bytes=2**60)
    c = codec_for(fmt, order_schema(), limits=huge)
    recs = ORDERS[:1] if not FORMATS[fmt].many_records else ORDERS
    assert_same(c.decode_many(c.encode_many(recs)), recs)


@pytest.mark.parametrize("bad", [0, -1, 2**60 + 1, 1.5, "64M", True])
def test_limits_are_checked_in_the_api(bad: object) -> None:
    with pytest.raises(UsageError, match="must be a whole number"):
        Limits(max_record_bytes=bad)  # type: ignore[arg-type]
