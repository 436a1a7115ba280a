"""How BSON spells each leaf (docs/formats.md, "BSON details"): the rules of the two tree
converters, canonical value -> what ``bson.encode`` writes, and what ``bson.decode`` returns
-> canonical value.

- Integers: 32-bit fields are BSON int32; 64-bit fields int64 (``Int64``, so that a small
  value keeps its type); a uint32 above int32's range is an int64; a uint64 above int64's
  range is a Decimal128 of exponent 0 (BSON has no unsigned integer; Decimal128 holds 34
  digits exactly, and every BSON reader shows it as the number it is). Reading, any integer
  field takes an int32 or an int64 within its range (the width another writer chose).
- float32 is a double, which must read back as an exact float32; a float field also takes
  an int32 that a double holds (JavaScript writes whole numbers as int32).
- A timestamp of whole milliseconds is a BSON datetime; a finer one is a document
  ``{"date": <datetime, floored to the millisecond>, "ns": <int32 1..999999>}``: the
  nanoseconds past that millisecond. A duration is ``{"seconds": int64, "nanos": int32}``,
  Protobuf Duration's fields, of one sign.
- Map keys are strings: integer keys their canonical decimal text, bool keys
  ``"true"``/``"false"``; a string key holding NUL cannot be a BSON key (a cstring).
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from bson.datetime_ms import DatetimeMS
from bson.decimal128 import Decimal128
from bson.int64 import Int64

from fmtbench.codecs.values.decimals import decimal_check, decimal_from_text, decimal_to_text
from fmtbench.codecs.values.leaves import (
    Conv,
    _clip,
    duration_check,
    duration_from_parts,
    duration_parts,
    float64_check,
    int_check,
    int_from_text,
    mismatch,
    str_check,
    timestamp_check,
)
from fmtbench.errors import ValueMismatch
from fmtbench.schema.model import INT_RANGES
from fmtbench.values import with_nanosecond

_F32 = struct.Struct("<f")
_D = struct.Struct("<d")
_INT64_MAX = 2**63 - 1
_TIMESTAMP_KEYS = frozenset(("date", "ns"))
_DURATION_KEYS = frozenset(("seconds", "nanos"))


# -- writing -----------------------------------------------------------------------------
def int64_out(kind: str) -> Conv:
    """A 64-bit field: always an int64, however small the value."""
    check = int_check(kind)
    if kind != "uint64":
        return lambda v: Int64(check(v))

    def unsigned(v: Any) -> Int64 | Decimal128:
        v = check(v)
        return Int64(v) if v <= _INT64_MAX else Decimal128(str(v))

    return unsigned


def timestamp_out(v: Any) -> Any:
    v = timestamp_check(v)
    micro = v.microsecond
    ns = (micro % 1000) * 1000 + (v.nanosecond if v.__class__ is not datetime else 0)
    if not ns:
        return v  # whole milliseconds: exactly what a BSON datetime holds
    plain = v if v.__class__ is datetime else v.plain()
    return {"date": plain.replace(microsecond=micro - micro % 1000), "ns": ns}


def duration_out(v: Any) -> dict[str, Any]:
    seconds, nanos = duration_parts(duration_check(v))
    return {"seconds": Int64(seconds), "nanos": nanos}


def key_out_string(v: Any) -> str:
    s = str_check(v)
    if "\0" in s:
        raise ValueMismatch(
            f"{_clip(repr(s))} holds U+0000, which a BSON key (a NUL-terminated cstring) cannot"
        )
    return s


def key_out_int(kind: str) -> Conv:
    check = int_check(kind)
    return lambda v: str(check(v))


def key_out_bool(v: Any) -> str:
    if type(v) is not bool:
        raise mismatch("bool", v)
    return "true" if v else "false"


#: The most digits a Decimal128 holds exactly (IEEE 754 decimal128's 34): a decimal(p, s)
#: of no more is a Decimal128, a wider one its text.
DECIMAL128_DIGITS = 34


@cache
def decimal_out(p: int, s: int) -> Conv:
    """``decimal(p, s)``: a Decimal128 holding the value at scale s (exact for p <= 34, what
    MongoDB's own decimal type is), else a string of its text (Decimal128 would round)."""
    if p > DECIMAL128_DIGITS:
        return decimal_to_text(p, s)
    check = decimal_check(p, s)
    return lambda v: Decimal128(check(v))


@cache
def decimal_in(p: int, s: int) -> Conv:
    """A Decimal128 (p <= 34) or a string (wider) the field holds exactly."""
    if p > DECIMAL128_DIGITS:
        return decimal_from_text(p, s)
    check = decimal_check(p, s)

    def read(v: Any) -> Decimal:
        if v.__class__ is not Decimal128:
            raise mismatch(f"decimal({p}, {s}) (a Decimal128)", v)
        exact: Decimal = check(v.to_decimal())
        return exact

    return read


# -- reading -----------------------------------------------------------------------------
def int_in(kind: str) -> Conv:
    """An int32 or int64 element (``int`` or ``Int64``) within ``kind``'s range."""
    lo, hi = INT_RANGES[kind]

    def check(v: Any) -> int:
        c = v.__class__
        if c is Int64:
            v = int(v)
        elif c is not int:
            if kind == "uint64" and c is Decimal128:
                return _unsigned_decimal(v)
            raise mismatch(kind, v)
        if not lo <= v <= hi:
            raise ValueMismatch(f"{v} is out of range for {kind} ({lo}..{hi})")
        return v  # type: ignore[no-any-return]

    return check


def _unsigned_decimal(v: Decimal128) -> int:
    d = v.to_decimal()
    sign, _, exponent = d.as_tuple()
    if d.is_finite() and not sign and exponent == 0 and _INT64_MAX < d < 2**64:
        return int(d)
    raise ValueMismatch(
        f"Decimal128 {_clip(str(v))} is not a uint64 above int64's range written with"
        " exponent 0 (smaller values are int64)"
    )


def float32_in(v: Any) -> float:
    """A double that is exactly a float32 (NaN: one whose bits survive float32)."""
    f = float64_check(v)
    try:
        back: float = _F32.unpack(_F32.pack(f))[0]
    except OverflowError:
        back = -f  # a finite double past float32's range: never equal
    if back == f or (f != f and _D.pack(back) == _D.pack(f)):
        return f
    raise ValueMismatch(f"{f!r} is not a float32 value (a float32 field read as a double)")


def timestamp_in(v: Any) -> datetime:
    c = v.__class__
    if c is datetime:
        at: datetime = v.replace(tzinfo=UTC)
        return at
    if c is dict:
        return _fine_timestamp(v)
    if c is DatetimeMS:
        raise ValueMismatch(f"BSON datetime {int(v)} ms is outside years 1..9999")
    raise mismatch("timestamp (a BSON datetime, or a document of date and ns)", v)


def _fine_timestamp(v: dict[str, Any]) -> datetime:
    date, ns = v.get("date"), v.get("ns")
    if v.keys() != _TIMESTAMP_KEYS or date.__class__ is not datetime or ns.__class__ is not int:
        raise ValueMismatch(
            "expected a timestamp document of exactly 'date' (a datetime) and 'ns' (an"
            f" int32), got {_clip(repr(v))}"
        )
    if not 0 < ns <= 999_999:
        raise ValueMismatch(
            f"timestamp 'ns' {ns} is outside 1..999999 (nanoseconds past the millisecond;"
            " a whole millisecond is a plain datetime)"
        )
    try:
        at = date.replace(tzinfo=UTC) + timedelta(microseconds=ns // 1000)
    except OverflowError:
        raise ValueMismatch("timestamp is outside years 1..9999") from None
    return with_nanosecond(at, ns % 1000)


def duration_in(v: Any) -> timedelta:
    if v.__class__ is not dict or v.keys() != _DURATION_KEYS:
        raise ValueMismatch(
            "expected a duration document of exactly 'seconds' (an int64) and 'nanos' (an"
            f" int32), got {_clip(repr(v))}"
        )
    seconds, nanos = v["seconds"], v["nanos"]
    if seconds.__class__ not in (int, Int64) or nanos.__class__ is not int:
        raise ValueMismatch(f"expected integer seconds and nanos, got {_clip(repr(v))}")
    return duration_from_parts(int(seconds), nanos)


def key_in_bool(v: Any) -> bool:
    if v == "true":
        return True
    if v == "false":
        return False
    raise ValueMismatch(f"expected a bool key, 'true' or 'false', got {_clip(repr(v))}")


def key_in_int(kind: str) -> Conv:
    return int_from_text(kind)
