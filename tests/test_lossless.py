"""Lossless or an error (issue 12): text that a lenient reader would change silently is
refused, in every format that carries it as text.

Formats are found by what they write, not by name: a format "carries timestamps as text"
when the canonical RFC 3339 spelling stands in its bytes, and "carries bytes as base64"
when the base64 spelling does. A plugin that writes either gets the same tests.
"""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs import FORMATS, codec_for
from fmtbench.codecs.values.leaves import _b64_decode_exact, b64_decode, timestamp_from_text
from fmtbench.errors import DecodeError, ValueMismatch
from fmtbench.infer import infer_schema_text
from fmtbench.schema import parse_schema

SCHEMA = parse_schema(
    "schema: t.lossless\nroot: R\nmessages:\n  R:\n    fields:\n"
    "      t: timestamp = 1\n      b: bytes = 2\n      tl: list<timestamp> = 3\n"
    "      bm: map<string, bytes> = 4\n"
)
WHEN = datetime(2020, 1, 1, tzinfo=UTC)
RECORD = {"t": WHEN, "b": b"\x00", "tl": [WHEN], "bm": {"k": b"\xff"}}
TS_TEXT = b"2020-01-01T00:00:00Z"


def _carrying(text: bytes) -> list[str]:
    return [f for f in FORMATS if text in codec_for(f, SCHEMA).encode(RECORD)]


TEXT_TIMESTAMPS = _carrying(TS_TEXT)
BASE64 = _carrying(b"AA==")


def test_the_text_formats_are_found() -> None:
    assert {"json", "jsonl", "xml"} <= set(TEXT_TIMESTAMPS)
    assert {"json", "jsonl", "xml"} <= set(BASE64)


# -- timestamps: RFC 3339 offsets are -23:59 to +23:59 --------------------------------------
BAD_OFFSETS = ["+99:99", "-00:60", "+24:00", "-24:00", "+23:60", "+00:99", "-99:00"]
GOOD_OFFSETS = {"+23:59": -(23 * 60 + 59), "-23:59": 23 * 60 + 59, "+00:00": 0, "-00:00": 0,
                "+05:30": -330}  # fmt: skip


@pytest.mark.parametrize("offset", BAD_OFFSETS)
def test_out_of_range_offsets_are_refused(offset: str) -> None:
    with pytest.raises(ValueMismatch, match="offset"):
        timestamp_from_text(f"2020-01-01T00:00:00{offset}")


@pytest.mark.parametrize("offset", GOOD_OFFSETS)
def test_offsets_in_range_shift_to_utc(offset: str) -> None:
    minutes = GOOD_OFFSETS[offset]
    assert timestamp_from_text(f"2020-01-01T00:00:00{offset}") == WHEN + timedelta(minutes=minutes)


@pytest.mark.parametrize("offset", BAD_OFFSETS[:3])
@pytest.mark.parametrize("fmt", TEXT_TIMESTAMPS)
def test_every_text_timestamp_path_refuses_bad_offsets(fmt: str, offset: str) -> None:
    c = codec_for(fmt, SCHEMA)
    good = c.encode(RECORD)
    for count in (1, 2):  # the field, then the list element too
        data = good.replace(TS_TEXT, f"2020-01-01T00:00:00{offset}".encode(), count)
        with pytest.raises(DecodeError, match="offset"):
            c.decode(data)
        if FORMATS[fmt].single_form:  # a message is a one-record file: the reader too
            with pytest.raises(DecodeError, match="offset"):
                list(c.reader(io.BytesIO(data)))


@pytest.mark.parametrize("fmt", TEXT_TIMESTAMPS)
def test_every_text_timestamp_path_reads_good_offsets(fmt: str) -> None:
    c = codec_for(fmt, SCHEMA)
    data = c.encode(RECORD).replace(TS_TEXT, b"2020-01-01T05:30:00+05:30")
    assert c.decode(data) == RECORD


# -- base64: only the canonical spelling ---------------------------------------------------
def _spellings() -> list[tuple[str, bytes]]:
    """Every non-canonical spelling of one and of two bytes: the unused low bits set."""
    out = []
    for data in (b"\x00", b"\xff", b"\x12\x34"):
        canonical = base64.b64encode(data).decode()
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        pad = canonical.count("=")
        last = len(canonical) - pad - 1
        value = alphabet.index(canonical[last])
        for low in range(1, 16 if pad == 2 else 4):
            spelled = canonical[:last] + alphabet[value | low] + canonical[last + 1 :]
            out.append((spelled, data))
    return out


NON_CANONICAL = _spellings()


def test_non_canonical_base64_is_refused_and_names_the_canonical_spelling() -> None:
    assert len(NON_CANONICAL) == 2 * 15 + 3
    for text, data in NON_CANONICAL:
        assert base64.b64decode(text) == data  # what a lenient reader would make of it
        with pytest.raises(ValueMismatch, match=f"written '{base64.b64encode(data).decode()}'"):
            b64_decode(text)
    for data in (b"", b"\x00", b"\x00\x00", b"\x00\x00\x00", bytes(range(256))):
        assert b64_decode(base64.b64encode(data).decode()) == data


def _decoded(fn: Any, text: str) -> tuple[str, Any]:
    try:
        return "ok", fn(text)
    except ValueMismatch as exc:
        return "error", str(exc)


# Text near base64: its alphabet, padding in any place, whitespace, the URL-safe letters
# and a non-ASCII letter; and canonical text of random bytes with one character changed.
_NEAR = st.text(alphabet="AQgwBb+/=-_ \n\xe9", max_size=12)
_EDITED = st.tuples(st.binary(max_size=40), st.integers(0, 60), st.sampled_from("AB=/+ -é")).map(
    lambda t: (lambda s: s[: t[1]] + t[2] + s[t[1] + 1 :])(base64.b64encode(t[0]).decode())
)


@given(text=st.one_of(_NEAR, _EDITED))
def test_fast_base64_accepts_and_refuses_as_the_exact_path(text: str) -> None:
    # pybase64's SIMD decode is taken only when re-encoding gives the text back; every
    # other text is judged and worded by binascii's strict mode and the canonical check.
    assert _decoded(b64_decode, text) == _decoded(_b64_decode_exact, text)


@pytest.mark.parametrize("fmt", BASE64)
def test_every_base64_path_refuses_non_canonical_text(fmt: str) -> None:
    c = codec_for(fmt, SCHEMA)
    good = c.encode(RECORD)
    file = c.encode_many([RECORD, RECORD]) if FORMATS[fmt].many_records else good
    for canonical, bad in ((b"AA==", b"AB=="), (b"/w==", b"/x==")):
        with pytest.raises(DecodeError, match="not canonical base64"):
            c.decode(good.replace(canonical, bad))
        # The same length: a file's framing still holds, so the reader meets the value.
        with pytest.raises(DecodeError, match="not canonical base64"):
            list(c.reader(io.BytesIO(file.replace(canonical, bad))))


# -- JSON Lines: a blank line holds JSON whitespace only ----------------------------------
JSONL = [f for f in FORMATS if FORMATS[f].messages_as == "json" and FORMATS[f].split]


@pytest.mark.parametrize("fmt", JSONL)
@pytest.mark.parametrize("junk", [b"\x0b", b"\x0c", b" \x0b\x0c ", b"\x1c", b"\x85", b"\xa0"])
def test_a_line_of_non_json_whitespace_is_not_blank(fmt: str, junk: bytes) -> None:
    c = codec_for(fmt, SCHEMA)
    line = c.encode(RECORD) + b"\n"
    assert len(list(c.reader(io.BytesIO(line + b" \t\r\n\n" + line)))) == 2
    with pytest.raises(DecodeError, match="line 2"):
        list(c.reader(io.BytesIO(line + junk + b"\n" + line)))
    with pytest.raises(DecodeError, match="line 2"):
        infer_schema_text(b'{"a": 1}\n' + junk + b'\n{"a": 2}\n', fmt)


# -- floats: a finite literal past the type's range is an error, never infinity -----------
FLOATS = parse_schema(
    "schema: t.floats\nroot: R\nmessages:\n  R:\n    fields:\n      f32: float32 = 1\n"
    "      f64: float64 = 2\n      l: list<float64> = 3\n      m: map<string, float32> = 4\n"
)
FLOAT_RECORD = {"f32": 1.5, "f64": 2.5, "l": [3.5], "m": {"k": 4.5}}
FLOAT_TEXT = [f for f in FORMATS if b"2.5" in codec_for(f, FLOATS).encode(FLOAT_RECORD)]
TOO_LARGE = ["1e400", "-1e400", "1" + "0" * 400, "-17976931348623159e292"]


def test_the_float_text_formats_are_found() -> None:
    assert {"json", "jsonl", "xml"} <= set(FLOAT_TEXT)


@pytest.mark.parametrize("literal", TOO_LARGE)
@pytest.mark.parametrize("fmt", FLOAT_TEXT)
def test_a_finite_literal_too_large_is_refused_not_infinity(fmt: str, literal: str) -> None:
    c = codec_for(fmt, FLOATS)
    good = c.encode(FLOAT_RECORD)
    for spelled in (b"1.5", b"2.5", b"3.5", b"4.5"):  # float32, float64, list, map value
        with pytest.raises(DecodeError):
            c.decode(good.replace(spelled, literal.encode()))


@pytest.mark.parametrize("fmt", FLOAT_TEXT)
def test_a_literal_past_float32_is_refused_in_a_float32_field(fmt: str) -> None:
    c = codec_for(fmt, FLOATS)
    good = c.encode(FLOAT_RECORD)
    for spelled in (b"1.5", b"4.5"):
        with pytest.raises(DecodeError, match="too large for float32"):
            c.decode(good.replace(spelled, b"3.5e38"))
    # Past float32's largest value, but rounding to it: the nearest float32, as any value.
    assert c.decode(good.replace(b"1.5", b"3.4028235e38"))["f32"] == 3.4028234663852886e38
