"""The typed MessagePack fast path (typed.py) against the reference tree path: it
never accepts what the tree path rejects, and when it accepts it returns exactly the tree
path's value. Generated records are re-packed with hostile values put in their place."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs.msgpack.codec import _UNPACK_OPTIONS, MsgpackCodec
from fmtbench.codecs.structs.read import REJECTED
from fmtbench.errors import DecodeError
from tests.samples import same, tree_paths
from tests.strategies import SCHEMAS, records, schema_named

HOSTILE: list[Any] = [
    None,
    True,
    0,
    -1,
    1.0,
    1.5,
    float("nan"),
    2**31,
    2**32,
    2**53 + 1,
    2**63,
    2**64 - 1,
    -(2**63),
    3.5e38,
    "",
    "PAID",
    "x",
    b"",
    b"\x00",
    [],
    {},
    {1: 2},
    {"": 1},
    msgpack.Timestamp(0, 0),
    msgpack.Timestamp(1, 1000),
    msgpack.Timestamp(1, 1500),
    msgpack.Timestamp(-1, 999_999_000),
    msgpack.Timestamp(2**40, 0),
    msgpack.ExtType(5, b"\x00\x00\x00\x00"),
]


def pack(tree: Any) -> bytes:
    return msgpack.packb(tree, use_bin_type=True, datetime=True)  # type: ignore[no-any-return]


def reference(codec: MsgpackCodec, data: bytes) -> Any:
    try:
        tree = msgpack.unpackb(data, **_UNPACK_OPTIONS)
    except Exception:
        return DecodeError
    try:
        return codec.from_tree(tree)
    except DecodeError:
        return DecodeError


def check(codec: MsgpackCodec, data: bytes) -> None:
    try:
        fast = codec._typed.decode(data)
    except REJECTED:
        return
    ref = reference(codec, data)
    assert ref is not DecodeError, f"fast path accepted what the tree rejects: {data!r}"
    assert same(fast, ref), f"values differ for {data!r}:\n{fast!r}\n{ref!r}"
    assert list(fast) == list(ref)


@pytest.mark.parametrize("drop", [False, True])
@pytest.mark.parametrize("name", SCHEMAS)
def test_fast_path_agrees_with_the_tree_path(name: str, drop: bool) -> None:
    schema = schema_named(name)
    codec = MsgpackCodec(schema, drop_unknown=drop)

    @given(rec=records(schema), rnd=st.randoms(use_true_random=False))
    def prop(rec: dict[str, Any], rnd: Any) -> None:
        data = codec.encode(rec)
        assert same(codec._typed.decode(data), codec.decode(data))  # valid input is fast
        check(codec, data)
        check(codec, data + b"\x00")  # trailing bytes
        check(codec, data[:-1])
        where = list(tree_paths(msgpack.unpackb(data, **_UNPACK_OPTIONS)))
        for _ in range(6):
            tree = msgpack.unpackb(data, **_UNPACK_OPTIONS)
            if where and rnd.random() < 0.85:
                p = rnd.choice(where)
                parent = tree
                try:
                    for step in p[:-1]:
                        parent = parent[step]
                    parent[p[-1]] = rnd.choice(HOSTILE)
                except (KeyError, IndexError, TypeError):
                    continue
            else:
                tree["no_such_field"] = 1
            check(codec, pack(tree))

    prop()


def test_malformed_timestamp_extensions_take_the_tree_path() -> None:
    from fmtbench.schema.builtin import resolve_schema

    codec = MsgpackCodec(resolve_schema("log"))
    good = codec.encode(codec.decode(codec.encode(_log())))
    stamp = pack(msgpack.Timestamp(1, 0))  # fixext4, code -1
    assert stamp in good
    for bad in [b"\xd4\xff\x00", b"\xd5\xff\x00\x00", b"\xc7\x03\xff\x00\x00\x00"]:
        data = good.replace(stamp, bad)
        check(codec, data)
        with pytest.raises(DecodeError):
            codec.decode(data)


def _log() -> dict[str, Any]:
    from datetime import UTC, datetime

    return {
        "at": datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),
        "client_ip": "1.2.3.4",
        "method": "GET",
        "path": "/",
        "status": 200,
        "bytes_sent": 5,
        "latency_ms": 1.5,
        "user_agent": "ua",
        "request_id": "r",
    }


@pytest.mark.parametrize(
    ("nanos", "seconds"),
    [
        (0, 0),
        (1000, 1),
        (999_999_000, 2**34 - 1),  # the largest second count of the 8-byte form
        (5, 7),  # below a microsecond: kept by both paths (a Timestamp)
        (999_999_999, 1),
        (10**9, 1),  # nanoseconds msgpack's Timestamp refuses
        (2**30 - 1, 0),
    ],
)
def test_eight_byte_timestamps_read_as_msgpack_reads_them(nanos: int, seconds: int) -> None:
    # The fast path decodes this form itself, without msgpack.Timestamp.from_bytes.
    from fmtbench.schema.builtin import resolve_schema

    codec = MsgpackCodec(resolve_schema("log"))
    good = codec.encode(_log())
    stamp = pack(msgpack.Timestamp(1, 0))  # fixext4, code -1
    assert stamp in good
    eight = b"\xd7\xff" + (nanos << 34 | seconds).to_bytes(8, "big")
    data = good.replace(stamp, eight)
    check(codec, data)
    if reference(codec, data) is not DecodeError:
        assert codec._typed.decode(data) == reference(codec, data)  # and it is fast
