"""RFC 8949's Appendix A examples and a hostile corpus against fmtbench's CBOR decoder.

A bare item is not a record, so each example is wrapped as the value of field ``v``
(``a1 61 76`` + ITEM) and decoded with the record type of ``tests/data/cbor_suite.yaml``
that holds such a value. Examples the schema has no type for (nested arrays, tags other
than 1, undefined and simple values, bignums) are refused with a one-line DecodeError.
The hostile corpus (truncated items, over-long lengths, duplicate keys, unknown tags, deep
nesting, indefinite-length strings, invalid UTF-8, break codes out of place) must give a
one-line FmtbenchError, through ``decode`` and the file ``reader`` alike, and nothing else.
"""

from __future__ import annotations

import io
import math
import resource
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fmtbench.codecs import Codec, codec_for
from fmtbench.errors import DecodeError, FmtbenchError
from fmtbench.schema import load_schema
from tests.samples import assert_same

SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "cbor_suite.yaml"
NO_FIT = None
WRAP = bytes.fromhex("a16176")  # {"v": ...}
INF = math.inf


@cache
def codec(type_name: str) -> Codec:
    return codec_for("cbor", load_schema(SCHEMA_FILE), type_name)


#: RFC 8949 Appendix A: (diagnostic notation, encoding, record type, expected v). The
#: expected value of a type NO_FIT is None: the example must be refused.
APPENDIX_A: list[tuple[str, str, str | None, Any]] = [
    ("0", "00", "Int", 0),
    ("1", "01", "Int", 1),
    ("10", "0a", "Int", 10),
    ("23", "17", "Int", 23),
    ("24", "1818", "Int", 24),
    ("25", "1819", "Int", 25),
    ("100", "1864", "Int", 100),
    ("1000", "1903e8", "Int", 1000),
    ("1000000", "1a000f4240", "Int", 1000000),
    ("1000000000000", "1b000000e8d4a51000", "Int", 1000000000000),
    ("18446744073709551615", "1bffffffffffffffff", "UInt", 18446744073709551615),
    ("18446744073709551616", "c249010000000000000000", NO_FIT, None),  # bignum: tag 2
    # below int64's range, but a float64 holds it exactly (an integer in a float field)
    ("-18446744073709551616", "3bffffffffffffffff", "Float", -18446744073709551616.0),
    ("-18446744073709551617", "c349010000000000000000", NO_FIT, None),  # bignum: tag 3
    ("-1", "20", "Int", -1),
    ("-10", "29", "Int", -10),
    ("-100", "3863", "Int", -100),
    ("-1000", "3903e7", "Int", -1000),
    ("0.0", "f90000", "Float", 0.0),
    ("-0.0", "f98000", "Float", -0.0),
    ("1.0", "f93c00", "Float", 1.0),
    ("1.1", "fb3ff199999999999a", "Float", 1.1),
    ("1.5", "f93e00", "Float", 1.5),
    ("65504.0", "f97bff", "Float", 65504.0),
    ("100000.0", "fa47c35000", "Float", 100000.0),
    ("3.4028234663852886e+38", "fa7f7fffff", "Float", 3.4028234663852886e38),
    ("1.0e+300", "fb7e37e43c8800759c", "Float", 1.0e300),
    ("5.960464477539063e-8", "f90001", "Float", 5.960464477539063e-8),
    ("0.00006103515625", "f90400", "Float", 0.00006103515625),
    ("-4.0", "f9c400", "Float", -4.0),
    ("-4.1", "fbc010666666666666", "Float", -4.1),
    ("Infinity", "f97c00", "Float", INF),
    ("NaN", "f97e00", "Float", math.nan),
    ("-Infinity", "f9fc00", "Float", -INF),
    ("Infinity", "fa7f800000", "Float", INF),
    ("NaN", "fa7fc00000", "Float", math.nan),
    ("-Infinity", "faff800000", "Float", -INF),
    ("Infinity", "fb7ff0000000000000", "Float", INF),
    ("NaN", "fb7ff8000000000000", "Float", math.nan),
    ("-Infinity", "fbfff0000000000000", "Float", -INF),
    ("false", "f4", "Bool", False),
    ("true", "f5", "Bool", True),
    ("null", "f6", "Nil", None),  # an optional field: absent
    ("undefined", "f7", NO_FIT, None),
    ("simple(16)", "f0", NO_FIT, None),
    ("simple(255)", "f8ff", NO_FIT, None),
    ('0("2013-03-21T20:04:00Z")', "c074323031332d30332d32315432303a30343a30305a", NO_FIT, None),
    ("1(1363896240)", "c11a514b67b0", "Time", datetime(2013, 3, 21, 20, 4, tzinfo=UTC)),
    (
        "1(1363896240.5)",
        "c1fb41d452d9ec200000",
        "Time",
        datetime(2013, 3, 21, 20, 4, 0, 500000, tzinfo=UTC),
    ),
    ("23(h'01020304')", "d74401020304", NO_FIT, None),
    ("24(h'6449455446')", "d818456449455446", NO_FIT, None),
    (
        '32("http://www.example.com")',
        "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
        NO_FIT,
        None,
    ),
    ("h''", "40", "Bin", b""),
    ("h'01020304'", "4401020304", "Bin", b"\x01\x02\x03\x04"),
    ('""', "60", "Str", ""),
    ('"a"', "6161", "Str", "a"),
    ('"IETF"', "6449455446", "Str", "IETF"),
    ('"\\"\\\\"', "62225c", "Str", '"\\'),
    ('"\\u00fc"', "62c3bc", "Str", "\u00fc"),
    ('"\\u6c34"', "63e6b0b4", "Str", "\u6c34"),
    ('"\\ud800\\udd51"', "64f0908591", "Str", "\U00010151"),
    ("[]", "80", "IntList", []),
    ("[1, 2, 3]", "83010203", "IntList", [1, 2, 3]),
    ("[1, [2, 3], [4, 5]]", "8301820203820405", NO_FIT, None),
    (
        "[1, 2, ..., 25]",
        "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
        "IntList",
        list(range(1, 26)),
    ),
    ("{}", "a0", "StrMap", {}),
    ("{1: 2, 3: 4}", "a201020304", "IntKeyMap", {1: 2, 3: 4}),
    ('{"a": 1, "b": [2, 3]}', "a26161016162820203", NO_FIT, None),
    ('["a", {"b": "c"}]', "826161a161626163", NO_FIT, None),
    (
        '{"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}',
        "a56161614161626142616361436164614461656145",
        "StrMap",
        {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"},
    ),
    ("(_ h'0102', h'030405')", "5f42010243030405ff", "Bin", b"\x01\x02\x03\x04\x05"),
    ('(_ "strea", "ming")', "7f657374726561646d696e67ff", "Str", "streaming"),
    ("[_ ]", "9fff", "IntList", []),
    ("[_ 1, [2, 3], [_ 4, 5]]", "9f018202039f0405ffff", NO_FIT, None),
    ("[_ 1, [2, 3], [4, 5]]", "9f01820203820405ff", NO_FIT, None),
    ("[1, [2, 3], [_ 4, 5]]", "83018202039f0405ff", NO_FIT, None),
    ("[1, [_ 2, 3], [4, 5]]", "83019f0203ff820405", NO_FIT, None),
    (
        "[_ 1, 2, ..., 25]",
        "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
        "IntList",
        list(range(1, 26)),
    ),
    ('{_ "a": 1, "b": [_ 2, 3]}', "bf61610161629f0203ffff", NO_FIT, None),
    ('["a", {_ "b": "c"}]', "826161bf61626163ff", NO_FIT, None),
]
#: Every type an example that fits none is tried against.
ALL_TYPES = ("Int", "UInt", "Float", "Str", "Bin", "IntList", "StrMap", "IntKeyMap", "Time")


def _ids(rows: list[tuple[Any, ...]]) -> list[str]:
    return [f"{r[0]}={r[1][:16]}" for r in rows]


@pytest.mark.parametrize(("diag", "hexed", "type_name", "value"), APPENDIX_A, ids=_ids(APPENDIX_A))
def test_appendix_a_examples_decode_as_the_rfc_says(
    diag: str, hexed: str, type_name: str | None, value: Any
) -> None:
    data = WRAP + bytes.fromhex(hexed)
    if type_name is None:
        for name in ALL_TYPES:
            with pytest.raises(DecodeError) as info:
                codec(name).decode(data)
            assert "\n" not in str(info.value)
        return
    expected = {} if type_name == "Nil" else {"v": value}
    assert_same(codec(type_name).decode(data), expected)
    assert_same(list(codec(type_name).reader(io.BytesIO(data * 2))), [expected, expected])


def test_the_map_example_with_two_fields() -> None:
    data = bytes.fromhex("bf6346756ef563416d7421ff")  # {_ "Fun": true, "Amt": -2}
    assert codec("FunAmt").decode(data) == {"Fun": True, "Amt": -2}
    # written back deterministically: definite length, keys by their encodings' bytes
    assert codec("FunAmt").encode({"Fun": True, "Amt": -2}) == bytes.fromhex(
        "a263416d74216346756ef5"
    )


#: (what, bytes, record types): each must be refused in every one of those types.
HOSTILE: list[tuple[str, bytes, tuple[str, ...]]] = [
    # truncated items
    ("empty map head", bytes.fromhex("a2"), ALL_TYPES),
    ("array missing items", WRAP + bytes.fromhex("83"), ALL_TYPES),
    ("text cut short", WRAP + bytes.fromhex("6261"), ALL_TYPES),
    ("uint16 cut short", WRAP + bytes.fromhex("19"), ALL_TYPES),
    ("tag without content", WRAP + bytes.fromhex("c1"), ALL_TYPES),
    ("unterminated indefinite bytes", WRAP + bytes.fromhex("5f4100"), ALL_TYPES),
    ("unterminated indefinite map", bytes.fromhex("bf617601"), ALL_TYPES),
    # over-long lengths: none of them may allocate what they claim
    ("bytes of 2**60", WRAP + bytes.fromhex("5b1000000000000000"), ALL_TYPES),
    ("text of 2**64-1", WRAP + bytes.fromhex("7bffffffffffffffff"), ALL_TYPES),
    ("array of 2**60", WRAP + bytes.fromhex("9b1000000000000000"), ALL_TYPES),
    ("map of 2**60", WRAP + bytes.fromhex("bb1000000000000000"), ALL_TYPES),
    ("record map of 2**32-1", bytes.fromhex("baffffffff"), ALL_TYPES),
    # duplicate keys
    ("duplicate field", bytes.fromhex("a2617601617602"), ("Int",)),
    ("duplicate text key", WRAP + bytes.fromhex("a2616161616161"), ("StrMap",)),
    ("duplicate int key", WRAP + bytes.fromhex("a201020103"), ("IntKeyMap",)),
    ("duplicate in indefinite map", bytes.fromhex("bf617601617602ff"), ("Int",)),
    # tags the mapping does not use
    ("bignum", WRAP + bytes.fromhex("c24101"), ("Int", "UInt", "Float")),
    ("negative bignum", WRAP + bytes.fromhex("c34101"), ("Int", "UInt")),
    ("decimal fraction", WRAP + bytes.fromhex("c48221196ab3"), ("Float", "Time")),
    ("self-described CBOR", bytes.fromhex("d9d9f7a1617601"), ("Int",)),
    (
        "date string",
        WRAP + bytes.fromhex("c074323031332d30332d32315432303a30343a30305a"),
        ("Time", "Str"),
    ),
    ("epoch date (tag 100)", WRAP + bytes.fromhex("d86401"), ("Time", "Int")),
    ("shareable", WRAP + bytes.fromhex("d81c01"), ("Int",)),
    ("shared reference", WRAP + bytes.fromhex("d81d00"), ("Int",)),
    ("string reference", WRAP + bytes.fromhex("d8190d"), ("Str",)),
    ("set", WRAP + bytes.fromhex("d90102820102"), ("IntList",)),
    ("unassigned tag", WRAP + bytes.fromhex("db123456789abcdef001"), ("Int",)),
    ("tag 1 with text", WRAP + bytes.fromhex("c16161"), ("Time",)),
    ("tag 1 NaN", WRAP + bytes.fromhex("c1f97e00"), ("Time",)),
    ("tag 1 beyond year 9999", WRAP + bytes.fromhex("c11b00000f0000000000"), ("Time",)),
    ("tag 1 finer than ns", WRAP + bytes.fromhex("c1fb3de49da7e361ce4c"), ("Time",)),  # 1.5e-10
    ("tag 1001 unknown key", WRAP + bytes.fromhex("d903e9a20100200a"), ("Time",)),
    ("tag 1001 two fractions", WRAP + bytes.fromhex("d903e9a3010022012801"), ("Time",)),
    ("tag 1001 fraction past 1e9", WRAP + bytes.fromhex("d903e9a20100281a3b9aca00"), ("Time",)),
    ("tag 1002 in a timestamp", WRAP + bytes.fromhex("d903eaa10101"), ("Time",)),
    ("tag 1001 in a duration", WRAP + bytes.fromhex("d903e9a10101"), ("Span",)),
    ("duration past range", WRAP + bytes.fromhex("d903eaa1011b0000ffffffffffff"), ("Span",)),
    # deep nesting
    ("2,000 arrays", WRAP + b"\x81" * 2000 + b"\x00", ("IntList",)),
    ("2,000 tags", WRAP + b"\xc6" * 2000 + b"\x00", ("Int",)),
    ("2,000 open indefinite arrays", WRAP + b"\x9f" * 2000, ("IntList",)),
    ("100,000 arrays", WRAP + b"\x81" * 100_000 + b"\x00", ("IntList",)),
    # indefinite-length strings with chunks that do not belong
    ("bytes chunk in text", WRAP + bytes.fromhex("7f4161ff"), ("Str",)),
    ("text chunk in bytes", WRAP + bytes.fromhex("5f6161ff"), ("Bin",)),
    ("nested indefinite chunk", WRAP + bytes.fromhex("7f7f6161ffff"), ("Str",)),
    ("integer chunk", WRAP + bytes.fromhex("5f01ff"), ("Bin",)),
    # invalid UTF-8
    ("invalid UTF-8", WRAP + bytes.fromhex("62c328"), ("Str",)),
    ("encoded surrogate", WRAP + bytes.fromhex("63eda080"), ("Str",)),
    ("overlong encoding", WRAP + bytes.fromhex("62c0af"), ("Str",)),
    ("invalid UTF-8 key", bytes.fromhex("a161ff01"), ("Int",)),
    ("split code point in chunks", WRAP + bytes.fromhex("7f61c361bcff"), ("Str",)),
    # break codes out of place
    ("lone break", bytes.fromhex("ff"), ALL_TYPES),
    ("break as a value", WRAP + bytes.fromhex("ff"), ALL_TYPES),
    ("break in a definite array", WRAP + bytes.fromhex("8201ff"), ("IntList",)),
    ("break as a key", bytes.fromhex("bfff01"), ("Int",)),
    ("break after a key", bytes.fromhex("bf6176ff"), ("Int",)),
    # reserved and invalid heads, simple values
    *[
        (f"reserved head {b:02x}", WRAP + bytes([b]) + b"\x00" * 9, ALL_TYPES)
        for b in (0x1C, 0x1D, 0x1E, 0x1F, 0x3C, 0x3F, 0x5C, 0x7C, 0x9C, 0xBC, 0xDC, 0xDF, 0xFC)
    ],
    ("two-byte simple below 32", WRAP + bytes.fromhex("f810"), ALL_TYPES),
    ("undefined", WRAP + bytes.fromhex("f7"), ALL_TYPES),
    ("simple(0)", WRAP + bytes.fromhex("e0"), ALL_TYPES),
    # wrong major types and out-of-range integers
    ("bytes in an integer", WRAP + bytes.fromhex("4101"), ("Int", "UInt")),
    ("float in an integer", WRAP + bytes.fromhex("f93c00"), ("Int", "UInt")),
    ("text in bytes", WRAP + bytes.fromhex("6161"), ("Bin",)),
    ("2**64-1 in int64", WRAP + bytes.fromhex("1bffffffffffffffff"), ("Int",)),
    ("-2**64 in int64", WRAP + bytes.fromhex("3bffffffffffffffff"), ("Int",)),
    ("-1 in uint64", WRAP + bytes.fromhex("20"), ("UInt",)),
    ("array as a map key", WRAP + bytes.fromhex("a18000"), ("IntKeyMap", "StrMap")),
    ("map as a map key", WRAP + bytes.fromhex("a1a000"), ("IntKeyMap", "StrMap")),
    ("integer field name", bytes.fromhex("a10101"), ("Int",)),
    ("not a map", bytes.fromhex("8101"), ("Int",)),
]


@pytest.mark.parametrize(("what", "data", "types"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_is_refused_cleanly(what: str, data: bytes, types: tuple[str, ...]) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for name in types:
        with pytest.raises(FmtbenchError) as info:
            codec(name).decode(data)
        assert "\n" not in str(info.value), what
        with pytest.raises(FmtbenchError) as info:
            list(codec(name).reader(io.BytesIO(data)))
        assert "\n" not in str(info.value), what
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, f"{what}: {grown_mb:.0f} MB grown"


def test_errors_name_the_field_and_the_tag() -> None:
    with pytest.raises(DecodeError, match=r"v: CBOR tag 2 is not one fmtbench's mapping uses"):
        codec("Int").decode(WRAP + bytes.fromhex("c24101"))
    with pytest.raises(DecodeError, match=r"v\[1\]: CBOR tag 100 is not one"):
        codec("IntList").decode(WRAP + bytes.fromhex("8201d86401"))
    with pytest.raises(
        DecodeError, match=r"v: expected a timestamp \(tag 1 or 1001\), got CBOR tag 0"
    ):
        codec("Time").decode(WRAP + bytes.fromhex("c06161"))
    with pytest.raises(DecodeError, match=r"[Dd]uplicate"):
        codec("Int").decode(bytes.fromhex("a2617601617602"))
    with pytest.raises(DecodeError, match="2 extra bytes after the record"):
        codec("Int").decode(WRAP + b"\x01\x01\x01")
    with pytest.raises(DecodeError, match="truncated"):
        codec("Int").decode(WRAP + b"\x19\x01")
    with pytest.raises(DecodeError, match="out of range for int64"):
        codec("Int").decode(WRAP + bytes.fromhex("1bffffffffffffffff"))


def test_a_long_claim_in_a_file_is_a_limit_not_an_allocation() -> None:
    from fmtbench.errors import LimitError
    from fmtbench.limits import Limits

    small = codec_for("cbor", load_schema(SCHEMA_FILE), "Bin", limits=Limits(max_record_bytes=1000))
    data = WRAP + bytes.fromhex("5b1000000000000000") + b"\x00" * 200_000
    with pytest.raises(LimitError, match="--max-record-bytes"):
        list(small.reader(io.BytesIO(data)))
