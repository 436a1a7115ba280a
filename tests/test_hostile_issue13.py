"""Hostile input aimed at issue 13's parts: oneofs, durations, nanosecond timestamps,
required fields, wrappers and enum aliases, in every format that reads them.

Each input must be refused with a DecodeError whose message names the field path (and
nothing is returned); none may crash, hang or be read as something else.
"""

from __future__ import annotations

import pytest

from fmtbench.codecs import codec_for
from fmtbench.errors import DecodeError
from tests.test_schema_mix import MIX

_BASE = '"id": "1", "plain": 0, "spans": [], "deltas": [], "e": "E_ZERO"'
_JBASE = '"id": 1, "plain": 0, "spans": [], "deltas": [], "e": "ZERO"'

CASES = [
    # (format, input, the path the error names)
    ("protojson", f"{{{_BASE}, \"after\": \"99999999999999999999999999s\"}}", "after"),
    ("protojson", f"{{{_BASE}, \"after\": \"1e3s\"}}", "after"),
    ("protojson", f"{{{_BASE}, \"after\": \"1.0000000001s\"}}", "after"),
    ("protojson", f"{{{_BASE}, \"after\": \"--1s\"}}", "after"),
    ("protojson", f"{{{_BASE}, \"at\": \"10000-01-01T00:00:00Z\"}}", "at"),
    ("protojson", f"{{{_BASE}, \"at\": \"1970-01-01T00:00:00.1234567891Z\"}}", "at"),
    ("protojson", f"{{{_BASE}, \"count\": \"1\", \"kind\": \"E_ONE\"}}", "when"),
    ("protojson", f"{{{_BASE}, \"inner\": {{\"id\": \"1\", \"count\": \"1\", \"at\": \"1970-01-01T00:00:00Z\"}}}}", "inner.when"),
    ("protojson", f"{{{_BASE}, \"box\": \"9223372036854775808\"}}", "box"),
    ("protojson", '{"plain": 1}', "id"),
    ("protojson", f"{{{_BASE}, \"spans\": [\"1s\", null]}}", "spans[1]"),
    ("protojson", '{"id": "1", "e": "NOPE"}', "e"),
    ("json", f"{{{_JBASE}, \"after\": [1, 2]}}", "after"),
    ("json", f"{{{_JBASE}, \"after\": \"315576000001s\"}}", "after"),
    ("json", f"{{{_JBASE}, \"count\": 1, \"kind\": \"ONE\"}}", "when"),
    ("json", '{"plain": 1}', "id"),
    ("json", f"{{{_JBASE}, \"at\": \"0000-12-31T23:59:59.999999999Z\"}}", "at"),
    ("xml", None, "after"),
]  # fmt: skip


def _xml(case: str) -> bytes:
    codec = codec_for("xml", MIX)
    good = codec.encode({"id": 1, "plain": 0, "spans": [], "deltas": [], "e": "ZERO", "after": __import__("datetime").timedelta(seconds=1)}).decode()  # fmt: skip
    return good.replace("PT1S", case).encode()


@pytest.mark.parametrize(("fmt", "text", "path"), CASES)
def test_refused_with_the_field_path(fmt: str, text: str | None, path: str) -> None:
    codec = codec_for(fmt, MIX)
    data = _xml("P1Y") if text is None else text.encode()
    with pytest.raises(DecodeError) as info:
        codec.decode(data)
    assert info.value.path == path or info.value.path.startswith(path), info.value


@pytest.mark.parametrize(
    ("data", "refused"),
    [
        (b"\x22\x0b\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", True),  # Duration seconds past 2^64
        (b"\x22\x02\x10\x01\x22\x02\x08\x01", False),  # two Durations merge: 1s and 1ns
        (b"\x22\x04\x08\x01\x10\x7f", False),  # seconds 1, nanos 127
        (b"\x22\x0d\x08\x01\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", True),  # 1s and -1ns: signs differ
        (b"\x22\x07\x08\x00\x10\x80\x94\xeb\xdc\x03", True),  # Duration nanos 1e9
        (b"\x1a\x07\x08\x00\x10\x80\x94\xeb\xdc\x03", True),  # Timestamp nanos 1e9
        (b"\x28\x01\x30\x01", True),  # oneof count and kind both set
        (b"\x4a\x0b\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", True),  # Int64Value 2^64
    ],
)  # fmt: skip
def test_protobuf_bytes_are_read_exactly_or_refused(data: bytes, refused: bool) -> None:
    codec = codec_for("protobuf", MIX)
    data = b"\x08\x00" + data  # the required id, then the case
    if refused:
        with pytest.raises(DecodeError):
            codec.decode(data)
        return
    record = codec.decode(data)
    # What is read writes the same values again (nothing was dropped on the way).
    assert codec.decode(codec.encode(record)) == record


def test_a_missing_required_field_is_refused_in_protobuf() -> None:
    with pytest.raises(DecodeError, match="id: required field is missing"):
        codec_for("protobuf", MIX).decode(b"\x40\x01")
