"""Duplicate map keys in MessagePack input are refused at every level (issue 12, item 1),
whichever path reads the record; the length proof of keys.py never lets one through and
never refuses a valid record."""

from __future__ import annotations

import io
from typing import Any

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs import codec_for
from fmtbench.errors import DecodeError
from fmtbench.schema import parse_schema
from tests.strategies import SCHEMAS, records, schema_named

# timestamp=0: Timestamp objects, which keep nanoseconds and pack back as they came.
_OPTIONS: dict[str, Any] = {"raw": False, "strict_map_key": False, "timestamp": 0}


def pack(tree: Any, dup: int | None, counter: list[int]) -> bytes:
    """``tree`` packed as the codec would, with the entries of the ``dup``-th map (in
    pre-order) written with its first key twice: msgpack's own packer cannot."""
    if isinstance(tree, dict):
        items = list(tree.items())
        if items:  # only maps with an entry to repeat are counted
            if counter[0] == dup:
                items.insert(1, items[0])  # the same key and value: last-wins reads it "fine"
            counter[0] += 1
        n = len(items)
        head = bytes([0x80 | n]) if n < 16 else b"\xde" + n.to_bytes(2, "big")
        return head + b"".join(pack(k, dup, counter) + pack(v, dup, counter) for k, v in items)
    if isinstance(tree, list):
        n = len(tree)
        head = bytes([0x90 | n]) if n < 16 else b"\xdc" + n.to_bytes(2, "big")
        return head + b"".join(pack(x, dup, counter) for x in tree)
    return msgpack.packb(tree, use_bin_type=True, datetime=True)  # type: ignore[no-any-return]


def maps_in(tree: Any) -> int:
    if isinstance(tree, dict):
        return bool(tree) + sum(maps_in(k) + maps_in(v) for k, v in tree.items())
    if isinstance(tree, list):
        return sum(maps_in(x) for x in tree)
    return 0


@pytest.mark.parametrize("name", SCHEMAS)
def test_a_duplicate_key_in_any_map_is_refused(name: str) -> None:
    schema = schema_named(name)
    codecs = [codec_for("msgpack", schema), codec_for("msgpack", schema, drop_unknown=True)]

    @given(rec=records(schema), pick=st.integers(0, 10**6))
    def prop(rec: dict[str, Any], pick: int) -> None:
        data = codecs[0].encode(rec)
        tree = msgpack.unpackb(data, **_OPTIONS)
        assert pack(tree, None, [0]) == data  # the test's packer is the codec's
        count = maps_in(tree)
        if not count:
            return  # nothing to repeat: an empty record
        bad = pack(tree, pick % count, [0])
        for codec in codecs:
            codec.decode(data)  # valid input is never refused
            with pytest.raises(DecodeError, match="duplicate map key"):
                codec.decode(bad)
            with pytest.raises(DecodeError, match=r"record 2: .*duplicate map key"):
                list(codec.reader(io.BytesIO(data + bad)))

    prop()


S = parse_schema(
    "schema: t.s\nroot: R\nmessages:\n  R:\n    fields:\n      s: string = 1\n"
    "      ms: map<string, string> = 2\n      mi: map<int32, string> = 3\n"
    "      mb: map<bool, string> = 4\n      f: float64 = 5\n      g: float32 = 6\n"
)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (bytes.fromhex("82a173a161a173a162"), "'s'"),  # the example: {"s":"a","s":"b"}
        (b"\x81\xa2ms\x82\xa1k\xa1a\xa1k\xa1b", "'k'"),
        (b"\x81\xa2mi\x82\x01\xa1a\x01\xa1b", "1"),
        (b"\x81\xa2mb\x82\xc3\xa1a\x01\xa1b", r"1 \(equal to the earlier True\)"),
        (b"\x81\xa2mb\x82\xc3\xa1a\xc3\xa1b", "True"),
        # A duplicate that the narrower input offsets: an integer in a float field (1 byte
        # where 9 are written back) beside a dropped 8-byte entry. The length proof must not
        # be fooled: the typed path declines integers in float fields.
        (b"\x83\xa1f\x01\xa1s\xa1a\xa1s\xa6abcdef", "'s'"),
        # The same with a float32-encoded value (5 bytes where 9 are written back).
        (b"\x83\xa1g\xca\x3f\xc0\x00\x00\xa1s\xa1a\xa1s\xa2ab", "'s'"),
    ],
)
def test_duplicates_of_every_kind_are_refused(data: bytes, key: str) -> None:
    c = codec_for("msgpack", S)
    with pytest.raises(DecodeError, match=f"duplicate map key {key}"):
        c.decode(data)
    with pytest.raises(DecodeError, match=f"record 1: byte offset 0: duplicate map key {key}"):
        list(c.reader(io.BytesIO(data)))


def test_wider_encodings_by_other_writers_are_read() -> None:
    # Not duplicates: a str8 header for a short string, an int64 for a small integer, a
    # float32 value, an integer in a float field. The proof fails, the full check passes.
    c = codec_for("msgpack", S)
    for data, want in [
        (b"\x81\xa1s\xd9\x01x", {"s": "x"}),
        (b"\x81\xa2mi\x81\xd3" + (5).to_bytes(8, "big") + b"\xa1v", {"mi": {5: "v"}}),
        (b"\x81\xa1g\xca\x3f\xc0\x00\x00", {"g": 1.5}),
        (b"\x81\xa1f\x01", {"f": 1.0}),
    ]:
        got = c.decode(data)
        assert {k: got[k] for k in want} == want
        assert type(got.get("f", 0.0)) is float
