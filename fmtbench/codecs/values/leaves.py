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
from functools import cache
from itertools import repeat
from typing import Any

import pybase64

from fmtbench.errors import ValueMismatch
from fmtbench.schema.model import INT_RANGES
from fmtbench.schema.values import EPOCH
from fmtbench.values import Timestamp, from_nanoseconds, total_nanoseconds, with_nanosecond
from fmtbench.values import duration_parts as exact_duration_parts
from fmtbench.values import timestamp_parts as exact_timestamp_parts

Conv = Callable[[Any], Any]

_F32 = struct.Struct("<f")


#: Every ASCII digit as 0: a text's shape (``all_shaped``).
_ZEROS = bytes.maketrans(b"123456789", b"000000000")


def all_shaped(texts: list[str], shapes: frozenset[str]) -> bool:
    """Whether every text, its ASCII digits read as 0, is one of ``shapes`` (ASCII, none
    holding a NUL): the texts joined by NUL, translated as bytes and compared in C, where a
    regular expression a text costs several times more. Where every text has one shape (a
    block of records written by one tool), one comparison; else split, and as many parts as
    texts: no text held a NUL."""
    if not texts:
        return True
    try:
        joined = "\x00".join(texts).encode("ascii")
    except UnicodeEncodeError:  # a character no shape has
        return False
    shaped = joined.translate(_ZEROS)
    for one in _ascii(shapes):
        whole = len(texts) * (len(one) + 1) - 1
        if len(shaped) == whole and shaped == b"\x00".join(repeat(one, len(texts))):
            return True
    parts = shaped.split(b"\x00")
    return len(parts) == len(texts) and _ascii(shapes).issuperset(parts)


@cache
def _ascii(shapes: frozenset[str]) -> frozenset[bytes]:
    return frozenset(shape.encode("ascii") for shape in shapes)


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
    # pybase64's SIMD encoder: about 20x the standard library's on blob's 35 kB payloads.
    return pybase64.b64encode_as_string(bytes_check(v))


# The last character before padding carries bits past the data: 4 of them before "==",
# 2 before "=". RFC 4648 section 3.5 lets decoders ignore them, so "AB==" and "AA==" are
# both one zero byte; written back, the value is "AA==". Only the canonical spelling (the
# unused bits zero) is read, so that every accepted text is the text fmtbench writes.
ZERO_LOW_4 = frozenset("AQgw")
ZERO_LOW_2 = frozenset("AEIMQUYcgkosw048")


def b64_decode(v: Any) -> bytes:
    if type(v) is not str:
        raise mismatch("bytes as a base64 string", v)
    # The fast path: pybase64 decodes with SIMD (about 40x binascii on blob's payloads), and
    # the text is accepted only if it is exactly what encoding the bytes gives back, which is
    # the set strict mode plus the canonical check below accept. Anything else is judged and
    # worded by the exact path.
    try:
        data = pybase64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        pass
    else:
        if pybase64.b64encode_as_string(data) == v:
            return data
    return _b64_decode_exact(v)


def _b64_decode_exact(v: str) -> bytes:
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
    """A canonical timestamp: timezone-aware, normalised to UTC (nanoseconds kept)."""
    if not isinstance(v, datetime):
        raise mismatch("timestamp (datetime)", v)
    if v.tzinfo is None or v.utcoffset() is None:
        raise ValueMismatch("expected a timezone-aware datetime, got a naive one")
    if v.__class__ is not datetime and isinstance(v, Timestamp):
        ns = v.nanosecond
        plain = v.plain().astimezone(UTC)
        return with_nanosecond(plain, ns)  # a plain datetime when ns is 0: one canonical form
    return v if v.tzinfo is UTC else v.astimezone(UTC)


def utc_datetime_as_is(conv: Conv) -> Conv:
    """Mark a timestamp rule that returns an aware ``datetime`` (the exact type) in UTC
    unchanged, as ``timestamp_check`` does: the generated fast paths then inline that test."""
    conv.utc_datetime_as_is = True  # type: ignore[attr-defined]
    return conv


def timestamp_to_text(v: datetime) -> str:
    """RFC 3339 in UTC with 'Z'; the fraction only when there is one (6 digits, or 9 with
    nanoseconds)."""
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


def _fraction(text: str, frac: str) -> tuple[int, int]:
    """Microseconds and the nanoseconds below them from fraction digits; digits past the
    ninth must be zeros (exact), anything finer is an error."""
    if len(frac) > 9 and frac[9:].strip("0"):
        raise ValueMismatch(
            f"{_clip(text)!r} has digits below the nanosecond, which a {_what(text)} cannot hold"
        )
    digits = frac[:9].ljust(9, "0")
    return int(digits[:6]), int(digits[6:])


def _what(text: str) -> str:
    return "duration" if text.rstrip().endswith(("s", "S")) else "timestamp"


# The same with nanoseconds, as fmtbench writes them: nine fraction digits.
_NANO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z\Z", re.ASCII)


def timestamp_from_text(v: Any) -> datetime:
    if type(v) is not str:
        raise mismatch("timestamp (RFC 3339 text)", v)
    if _PLAIN_UTC.match(v):
        try:
            return datetime.fromisoformat(v)
        except ValueError:
            pass  # an impossible date: the path below says why
    elif _NANO_UTC.match(v):
        try:
            return with_nanosecond(datetime.fromisoformat(v[:26] + "Z"), int(v[26:29]))
        except ValueError:
            pass
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
    micro = ns = 0
    if frac:
        micro, ns = _fraction(v, frac)
    try:
        dt = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC
        )
        if not zulu:
            offset = timedelta(hours=int(oh), minutes=int(om))
            dt = dt - offset if sign == "+" else dt + offset
    except (ValueError, OverflowError) as exc:
        raise ValueMismatch(f"invalid timestamp {v!r}: {exc}") from None
    return with_nanosecond(dt, ns)


def timestamp_from_parts(seconds: int, nanos: int) -> datetime:
    """From seconds and nanoseconds (0..999999999, the caller checks) since the epoch."""
    try:
        if nanos % 1000:
            micros, ns = divmod(nanos, 1000)
            return with_nanosecond(EPOCH + timedelta(0, seconds, micros), ns)
        return EPOCH + timedelta(0, seconds, nanos // 1000)  # positional: measurably faster
    except OverflowError:
        raise ValueMismatch(f"timestamp {seconds}s is outside years 1..9999") from None


def timestamp_parts(v: datetime) -> tuple[int, int]:
    """Seconds and nanoseconds since the epoch, floor-divided (pre-1970 nanos stay positive)."""
    if v.__class__ is not datetime:
        return exact_timestamp_parts(v)
    delta = v - EPOCH
    return delta.days * 86400 + delta.seconds, delta.microseconds * 1000


# -- durations ---------------------------------------------------------------------------
#: Protobuf's Duration: seconds within +-315,576,000,000 (about 10,000 years), nanos within
#: +-999,999,999, both of one sign.
DURATION_MAX_SECONDS = 315_576_000_000
_NS = 1_000_000_000
_DURATION_MAX_NS = DURATION_MAX_SECONDS * _NS + _NS - 1
# The same bounds for a plain timedelta (which has no nanoseconds), compared in C.
_TD_MAX = timedelta(seconds=DURATION_MAX_SECONDS, microseconds=999_999)
_TD_MIN = -_TD_MAX


def _duration_range(v: Any) -> ValueMismatch:
    return ValueMismatch(
        f"duration {v} is outside Protobuf Duration's range of"
        f" +-{DURATION_MAX_SECONDS:,}.999999999 seconds (about 10,000 years)"
    )


def duration_check(v: Any) -> timedelta:
    """A canonical duration: a ``timedelta`` within Protobuf Duration's range."""
    if v.__class__ is timedelta:
        if _TD_MIN <= v <= _TD_MAX:
            return v
        raise _duration_range(v)
    if not isinstance(v, timedelta):
        raise mismatch("duration (timedelta)", v)
    total = total_nanoseconds(v)
    if not -_DURATION_MAX_NS <= total <= _DURATION_MAX_NS:
        raise _duration_range(v)
    return from_nanoseconds(total)  # a plain timedelta when it has no nanoseconds


def duration_from_parts(seconds: Any, nanos: Any) -> timedelta:
    """Protobuf's Duration fields as a duration; out of range or of two signs is an error."""
    if not -DURATION_MAX_SECONDS <= seconds <= DURATION_MAX_SECONDS:
        raise ValueMismatch(
            f"invalid Duration: seconds {seconds} is outside"
            f" +-{DURATION_MAX_SECONDS} (about 10,000 years)"
        )
    if not -999_999_999 <= nanos <= 999_999_999:
        raise ValueMismatch(f"invalid Duration: nanos {nanos} is outside -999999999..999999999")
    if (seconds < 0 < nanos) or (nanos < 0 < seconds):
        raise ValueMismatch(
            f"invalid Duration: seconds {seconds} and nanos {nanos} have different signs"
        )
    if nanos % 1000:
        return from_nanoseconds(seconds * _NS + nanos)
    return timedelta(0, seconds, nanos // 1000)


def duration_parts(v: timedelta) -> tuple[int, int]:
    """Seconds and nanoseconds, both of the value's sign (Protobuf's Duration)."""
    return exact_duration_parts(v)


def duration_to_json(v: timedelta) -> str:
    """ProtoJSON's form: seconds with 0, 3, 6 or 9 fraction digits and ``s`` ("-1.500s")."""
    seconds, nanos = exact_duration_parts(v)
    sign = "-" if seconds < 0 or nanos < 0 else ""
    seconds, nanos = abs(seconds), abs(nanos)
    if not nanos:
        return f"{sign}{seconds}s"
    if not nanos % 1_000_000:
        return f"{sign}{seconds}.{nanos // 1_000_000:03d}s"
    if not nanos % 1000:
        return f"{sign}{seconds}.{nanos // 1000:06d}s"
    return f"{sign}{seconds}.{nanos:09d}s"


# Bounded digit counts: int() of thousands of digits is slow, and no valid value needs them.
_JSON_DURATION = re.compile(r"(-)?([0-9]{1,20})(?:\.([0-9]{1,9}))?s\Z", re.ASCII)


def duration_from_json(v: Any) -> timedelta:
    if type(v) is not str:
        raise mismatch("duration as text such as '1.5s'", v)
    m = _JSON_DURATION.match(v)
    if not m:
        raise ValueMismatch(
            "expected a duration as seconds with up to 9 fraction digits and 's', such as"
            f" '1.5s' or '-0.000000001s', got {_clip(v)!r}"
        )
    sign, whole, frac = m.groups()
    nanos = int(frac.ljust(9, "0")) if frac else 0
    return _signed_duration(v, -1 if sign else 1, int(whole) * _NS + nanos)


def _signed_duration(text: str, sign: int, total: int) -> timedelta:
    if total > _DURATION_MAX_NS:
        raise ValueMismatch(
            f"duration {_clip(text)!r} is outside Protobuf Duration's range of"
            f" +-{DURATION_MAX_SECONDS:,}.999999999 seconds (about 10,000 years)"
        )
    return from_nanoseconds(sign * total)


def duration_to_xml(v: timedelta) -> str:
    """``xs:duration`` in seconds: ``PT1.5S``, ``-PT0.000000001S``, ``PT0S``."""
    seconds, nanos = exact_duration_parts(v)
    sign = "-" if seconds < 0 or nanos < 0 else ""
    frac = f".{abs(nanos):09d}".rstrip("0") if nanos else ""
    return f"{sign}PT{abs(seconds)}{frac}S"


_XML_DURATION = re.compile(
    r"(-)?P(?:([0-9]{1,20})D)?(?:(T)(?:([0-9]{1,20})H)?(?:([0-9]{1,20})M)?"
    r"(?:([0-9]{1,20})(?:\.([0-9]+))?S)?)?\Z",
    re.ASCII,
)
_YEARS_MONTHS = re.compile(r"-?P(?:[0-9]+Y)?(?:[0-9]+M)", re.ASCII)


def duration_from_xml(v: str) -> timedelta:
    """``xs:duration`` without years and months (``P1DT2H3M4.5S``, ``-PT0.5S``)."""
    m = _XML_DURATION.match(v)
    if not m or v.endswith(("P", "T")):  # "P" and "PT" hold no component
        if re.match(r"-?P[0-9]+Y", v) or _YEARS_MONTHS.match(v):
            raise ValueMismatch(
                f"xs:duration {_clip(v)!r} has years or months, which have no fixed length:"
                " write days, hours, minutes and seconds (P1DT2H3M4.5S)"
            )
        raise ValueMismatch(f"expected an xs:duration such as PT1.5S or -P1DT2H, got {_clip(v)!r}")
    sign, days, _, hours, minutes, seconds, frac = m.groups()
    micro, ns = _fraction(v, frac) if frac else (0, 0)
    total = (
        (
            ((int(days or 0) * 24 + int(hours or 0)) * 60 + int(minutes or 0)) * 60
            + int(seconds or 0)
        )
        * _NS
        + micro * 1000
        + ns
    )
    return _signed_duration(v, -1 if sign else 1, total)


def duration_to_msgpack(v: timedelta) -> list[int]:
    """MessagePack's form: an array of two integers, seconds and nanos of one sign."""
    return list(exact_duration_parts(v))


def duration_from_msgpack(v: Any) -> timedelta:
    if type(v) is not list or len(v) != 2 or type(v[0]) is not int or type(v[1]) is not int:
        raise ValueMismatch(
            f"expected a duration as an array of two integers [seconds, nanos], got {_clip(repr(v))}"
        )
    return duration_from_parts(v[0], v[1])


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
