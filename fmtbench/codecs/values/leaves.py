"""Leaf values: checks of canonical scalars and the lexical forms text formats share.

Every function here either returns the (possibly normalised) value or raises
``ValueMismatch`` with a one-line problem; callers add the field path.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fmtbench.errors import ValueMismatch
from fmtbench.schema.model import INT_RANGES
from fmtbench.schema.values import EPOCH

Conv = Callable[[Any], Any]

_F32 = struct.Struct("<f")


def describe(value: object) -> str:
    """The name a user recognises for a value's type, for 'expected X, got Y'."""
    if value is None:
        return "null"
    return type(value).__name__


def kind_of(v: object) -> str:
    """A JSON-ish name for the type of a value, with its article ("a string", "an array")."""
    return {
        bool: "a bool",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        type(None): "null",
    }.get(type(v), type(v).__name__)


def mismatch(expected: str, value: object) -> ValueMismatch:
    return ValueMismatch(f"expected {expected}, got {describe(value)}")


# -- integers ----------------------------------------------------------------------------
def int_check(kind: str) -> Conv:
    lo, hi = INT_RANGES[kind]

    def check(v: Any) -> int:
        if type(v) is not int:
            raise mismatch(kind, v)
        if not lo <= v <= hi:
            raise ValueMismatch(f"{v} is out of range for {kind} ({lo}..{hi})")
        return v

    return check


_INT_TEXT = re.compile(r"-?(0|[1-9][0-9]*)\Z")


def int_from_text(kind: str) -> Conv:
    """Parse the canonical decimal spelling only, so that text maps back to one integer."""
    check = int_check(kind)

    def parse(text: Any) -> int:
        if type(text) is not str or not _INT_TEXT.match(text) or text == "-0":
            raise ValueMismatch(f"expected {kind} as a decimal integer, got {text!r}")
        return check(int(text))  # type: ignore[no-any-return]

    return parse


# -- floats ------------------------------------------------------------------------------
def float64_check(v: Any) -> float:
    if type(v) is float:
        return v
    if type(v) is int:
        f = float(v) if abs(v) < 2**1024 else math.inf
        if f != v:  # a large integer that a double would round
            raise ValueMismatch(f"{v} cannot be held exactly by float64")
        return f
    raise mismatch("float64", v)


def float32_round(v: Any) -> float:
    """Round to the nearest float32, the value a float32 field holds; overflow is an error."""
    f = float64_check(v)
    try:
        return _F32.unpack(_F32.pack(f))[0]  # type: ignore[no-any-return]
    except OverflowError:
        raise ValueMismatch(f"{f!r} is too large for float32") from None


FLOAT_WORDS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def float_to_json(v: float) -> float | str:
    """JSON has no NaN or infinities: spell them as strings, as protobuf's JSON mapping does."""
    if v != v:
        return "NaN"
    if v in (math.inf, -math.inf):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def json_float(check: Conv) -> Conv:
    def conv(v: Any) -> float:
        if type(v) is str:
            try:
                return FLOAT_WORDS[v]
            except KeyError:
                raise ValueMismatch(
                    f"expected a number, 'NaN', 'Infinity' or '-Infinity', got {v!r}"
                ) from None
        return check(v)  # type: ignore[no-any-return]

    return conv


# -- text, bytes, bool -------------------------------------------------------------------
def str_check(v: Any) -> str:
    if type(v) is not str:
        raise mismatch("string", v)
    return v


_SURROGATE = re.compile("[\ud800-\udfff]")


def str_strict(v: Any) -> str:
    """A canonical string is valid Unicode: lone surrogates cannot be written by any format."""
    s = str_check(v)
    m = _SURROGATE.search(s)
    if m:
        raise ValueMismatch(
            f"string holds a lone surrogate U+{ord(m.group()):04X} at index {m.start()}"
        )
    return s


def bytes_check(v: Any) -> bytes:
    if type(v) is bytes:
        return v
    if isinstance(v, bytearray | memoryview):
        return bytes(v)
    raise mismatch("bytes", v)


def bool_check(v: Any) -> bool:
    if type(v) is not bool:
        raise mismatch("bool", v)
    return v


def b64_encode(v: Any) -> str:
    return base64.b64encode(bytes_check(v)).decode("ascii")


# The last character before padding carries bits past the data: 4 of them before "==",
# 2 before "=". RFC 4648 section 3.5 lets decoders ignore them, so "AB==" and "AA==" are
# both one zero byte; written back, the value is "AA==". Only the canonical spelling (the
# unused bits zero) is read, so that every accepted text is the text fmtbench writes.
ZERO_LOW_4 = frozenset("AQgw")
ZERO_LOW_2 = frozenset("AEIMQUYcgkosw048")


def b64_decode(v: Any) -> bytes:
    if type(v) is not str:
        raise mismatch("bytes as a base64 string", v)
    try:
        # Strict mode checks the alphabet and the padding in C (b64decode's validate=True
        # does it with a regular expression: three times the cost on large values).
        data = binascii.a2b_base64(v, strict_mode=True)
    except (binascii.Error, ValueError):
        raise ValueMismatch(f"not valid base64: {_clip(v)!r}") from None
    if v.endswith("=") and (
        v[-3] not in ZERO_LOW_4 if v.endswith("==") else v[-2] not in ZERO_LOW_2
    ):
        raise ValueMismatch(
            f"not canonical base64: {_clip(v)!r} sets bits past the data in its last"
            " character (RFC 4648, 3.5); the same bytes are written "
            f"{_clip(base64.b64encode(data).decode())!r}"
        )
    return data


# -- timestamps --------------------------------------------------------------------------
def timestamp_check(v: Any) -> datetime:
    """A canonical timestamp: timezone-aware, normalised to UTC."""
    if not isinstance(v, datetime):
        raise mismatch("timestamp (datetime)", v)
    if v.tzinfo is None or v.utcoffset() is None:
        raise ValueMismatch("expected a timezone-aware datetime, got a naive one")
    return v if v.tzinfo is UTC else v.astimezone(UTC)


def timestamp_to_text(v: datetime) -> str:
    """RFC 3339 in UTC with 'Z'; the fraction only when there is one (microseconds)."""
    text = v.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))\Z",
    re.ASCII,
)


# The shape fmtbench writes. For it ``datetime.fromisoformat`` (15x faster than the full
# RFC 3339 path below) gives exactly the value; for other text it would accept more than
# RFC 3339 (week dates, commas, no zone), so it is never used there.
_PLAIN_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?Z\Z", re.ASCII)


def timestamp_from_text(v: Any) -> datetime:
    if type(v) is not str:
        raise mismatch("timestamp (RFC 3339 text)", v)
    if _PLAIN_UTC.match(v):
        try:
            return datetime.fromisoformat(v)
        except ValueError:
            pass  # an impossible date: the path below says why
    m = _RFC3339.match(v)
    if not m:
        raise ValueMismatch(
            f"expected an RFC 3339 timestamp such as 2024-01-31T12:00:00Z, got {_clip(v)!r}"
        )
    year, month, day, hour, minute, second, frac, zulu, sign, oh, om = m.groups()
    if not zulu and (int(oh) > 23 or int(om) > 59):
        # RFC 3339's time-numoffset: hours 00-23, minutes 00-59; timedelta would take any.
        raise ValueMismatch(
            f"invalid timestamp {_clip(v)!r}: the offset {sign}{oh}:{om} is not one of"
            " -23:59 to +23:59"
        )
    micro = 0
    if frac:
        if len(frac) > 6 and frac[6:].strip("0"):
            raise ValueMismatch(f"{v!r} has sub-microsecond digits that a timestamp cannot hold")
        micro = int(frac[:6].ljust(6, "0"))
    try:
        dt = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC
        )
        if not zulu:
            offset = timedelta(hours=int(oh), minutes=int(om))
            dt = dt - offset if sign == "+" else dt + offset
    except (ValueError, OverflowError) as exc:
        raise ValueMismatch(f"invalid timestamp {v!r}: {exc}") from None
    return dt


def timestamp_from_parts(seconds: int, nanos: int) -> datetime:
    """From seconds and nanoseconds since the epoch; precision below a microsecond is an error."""
    if nanos % 1000:
        raise ValueMismatch(f"timestamp has {nanos} nanoseconds; only whole microseconds are kept")
    try:
        return EPOCH + timedelta(0, seconds, nanos // 1000)  # positional: measurably faster
    except OverflowError:
        raise ValueMismatch(f"timestamp {seconds}s is outside years 1..9999") from None


def timestamp_parts(v: datetime) -> tuple[int, int]:
    """Seconds and nanoseconds since the epoch, floor-divided (pre-1970 nanos stay positive)."""
    delta = v - EPOCH
    return delta.days * 86400 + delta.seconds, delta.microseconds * 1000


def sorted_items(mapping: dict[Any, Any]) -> list[tuple[Any, Any]]:
    """A map's entries by key, so equal maps encode to equal bytes whatever their insertion
    order (as protobuf's deterministic mode does). Keys of mixed types cannot be ordered;
    they are left as they are for the key check to reject."""
    try:
        return sorted(mapping.items(), key=_first)
    except TypeError:
        return list(mapping.items())


def _first(item: tuple[Any, Any]) -> Any:
    return item[0]


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
