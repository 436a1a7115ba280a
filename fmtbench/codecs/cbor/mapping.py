"""How canonical values are spelled in CBOR (docs/formats.md, "CBOR details").

Timestamps are tag 1 with integer seconds when they are whole, else RFC 9581's extended
time, tag 1001 ``{1: seconds, -9: nanoseconds}``; durations are RFC 9581's tag 1002 with the
same map. These are the only tags the mapping uses: the reader hands every tag to
``SEMANTIC`` (cbor2's own decoders for tags 0, 2, 4, 258... are all replaced), which turns
the three into canonical values and leaves any other as a ``CBORTag`` for the converters to
refuse with the field's path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Context, Decimal
from functools import cache
from typing import Any

from cbor2 import CBORTag

from fmtbench.codecs.values.decimals import decimal_check
from fmtbench.codecs.values.leaves import (
    DURATION_MAX_SECONDS,
    _clip,
    describe,
    duration_check,
    timestamp_check,
    timestamp_from_parts,
    timestamp_parts,
    utc_datetime_as_is,
)
from fmtbench.errors import ValueMismatch
from fmtbench.schema.model import MAX_DECIMAL_PRECISION
from fmtbench.schema.values import EPOCH
from fmtbench.values import from_nanoseconds, total_nanoseconds

EPOCH_TIME = 1  # RFC 8949 3.4.2: seconds since the epoch, an integer or a float
EXTENDED_TIME = 1001  # RFC 9581: {1: seconds, -3/-6/-9: the fraction}
DURATION = 1002  # RFC 9581: the same map, a span of time
DECIMAL_FRACTION = 4  # RFC 8949 3.4.4: [exponent, mantissa], the value mantissa x 10^exponent
BIGNUMS = (2, 3)  # RFC 8949 3.4.3: a mantissa beyond 64 bits (tag 3: -1 - n)
USED_TAGS = (EPOCH_TIME, EXTENDED_TIME, DURATION, DECIMAL_FRACTION)
#: A decimal's mantissa needs at most 76 digits (253 bits: 32 bytes); an exponent beyond
#: this many places cannot give a value any decimal(p, s) holds.
_MAX_BIGNUM_BYTES = 32
_MAX_EXPONENT = 2 * MAX_DECIMAL_PRECISION
#: Room for any mantissa a bignum of that size holds: scaleb under it is exact.
_WIDE = Context(prec=4 * MAX_DECIMAL_PRECISION)

_NS = 1_000_000_000
_DURATION_MAX_NS = DURATION_MAX_SECONDS * _NS + _NS - 1
#: RFC 9581's fraction keys and what one unit of each is in nanoseconds.
_FRACTIONS = {-3: 1_000_000, -6: 1000, -9: 1}
_UNITS = {-3: 1000, -6: 1_000_000, -9: _NS}


@cache
def decimal_out(p: int, s: int) -> Callable[[Any], CBORTag]:
    """Tag 4 ``[-s, mantissa]``: the exponent is always the field's scale, so a value has
    one spelling (deterministic); cbor2 writes a mantissa past 64 bits as a bignum."""
    check = decimal_check(p, s)

    def out(v: Any) -> CBORTag:
        return CBORTag(DECIMAL_FRACTION, [-s, int(check(v).scaleb(s, _WIDE))])

    return out


@cache
def decimal_in(p: int, s: int) -> Callable[[Any], Decimal]:
    """A tag 4 of any exponent whose value the field holds exactly (``decimal_check``)."""
    check = decimal_check(p, s)

    def read(v: Any) -> Decimal:
        if v.__class__ is not CBORTag or v.tag != DECIMAL_FRACTION:
            raise ValueMismatch(f"expected a decimal fraction (tag 4), got {what(v)}")
        pair = v.value
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueMismatch(f"tag 4 must hold [exponent, mantissa], got {what(pair)}")
        exponent, mantissa = pair
        if exponent.__class__ is not int or not -_MAX_EXPONENT <= exponent <= _MAX_EXPONENT:
            raise ValueMismatch(
                f"tag 4's exponent must be an integer within +-{_MAX_EXPONENT}, got"
                f" {_clip(repr(exponent))}"
            )
        if mantissa.__class__ is CBORTag and mantissa.tag in BIGNUMS:
            digits = mantissa.value
            if not isinstance(digits, bytes) or len(digits) > _MAX_BIGNUM_BYTES:
                raise ValueMismatch(
                    f"tag 4's bignum mantissa must be at most {_MAX_BIGNUM_BYTES} bytes"
                )
            n = int.from_bytes(digits, "big")
            mantissa = n if mantissa.tag == 2 else -1 - n
        elif mantissa.__class__ is not int:
            raise ValueMismatch(f"tag 4's mantissa must be an integer, got {what(mantissa)}")
        exact = Decimal(mantissa).scaleb(exponent, _WIDE)  # never rounded
        return check(exact)  # type: ignore[no-any-return]

    return read


def what(v: object) -> str:
    """A value's type for an error, a tag by its number."""
    if v.__class__ is CBORTag:
        return f"CBOR tag {v.tag}"
    return describe(v)


def unused_tag(v: CBORTag) -> ValueMismatch:
    return ValueMismatch(
        f"CBOR tag {v.tag} is not one fmtbench's mapping uses (tags 1 and 1001 hold"
        " timestamps, 1002 durations, 4 decimals)"
    )


# -- writing -------------------------------------------------------------------------------
def timestamp_out(v: Any) -> CBORTag:
    if v.__class__ is datetime and v.tzinfo is not None:
        delta = v - EPOCH  # an aware datetime: the exact UTC instant, whatever its zone
        seconds, nanos = delta.days * 86400 + delta.seconds, delta.microseconds * 1000
    else:
        seconds, nanos = timestamp_parts(timestamp_check(v))
    if nanos:
        return CBORTag(EXTENDED_TIME, {1: seconds, -9: nanos})
    return CBORTag(EPOCH_TIME, seconds)


def duration_out(v: Any) -> CBORTag:
    seconds, nanos = divmod(total_nanoseconds(duration_check(v)), _NS)  # nanos >= 0
    return CBORTag(DURATION, {1: seconds, -9: nanos} if nanos else {1: seconds})


# -- reading -------------------------------------------------------------------------------
def _parts(tag: int, value: Any) -> tuple[int, int]:
    """Seconds and nanoseconds (0..999999999) of RFC 9581's map; anything else an error."""
    if not isinstance(value, Mapping):
        raise ValueMismatch(f"tag {tag} must hold a map, got {what(value)}")
    seconds, nanos, fraction = None, 0, None
    for key, x in value.items():
        if key.__class__ is not int or (key != 1 and key not in _FRACTIONS):
            raise ValueMismatch(
                f"tag {tag} holds key {_clip(repr(key))}; fmtbench reads 1 (seconds) and one"
                " of -3, -6, -9 (the fraction)"
            )
        if x.__class__ is not int:
            raise ValueMismatch(f"tag {tag}'s key {key} must be an integer, got {what(x)}")
        if key == 1:
            seconds = x
            continue
        if fraction is not None:
            raise ValueMismatch(f"tag {tag} holds two fractions ({fraction} and {key})")
        if not 0 <= x < _UNITS[key]:
            raise ValueMismatch(f"tag {tag}'s fraction {key} is {x}, outside 0..{_UNITS[key] - 1}")
        fraction, nanos = key, x * _FRACTIONS[key]
    if seconds is None:
        raise ValueMismatch(f"tag {tag} lacks key 1 (seconds)")
    return seconds, nanos


def _from_float(f: float) -> tuple[int, int]:
    """Tag 1's float seconds: exact when the float is a whole number of nanoseconds; else
    the shortest decimal that reads back as it (what JavaScript writes for milliseconds),
    when that has at most nine fraction digits."""
    if not math.isfinite(f):
        raise ValueMismatch(f"tag 1 holds {f!r}, not a time")
    num, den = f.as_integer_ratio()
    if _NS % den == 0:
        return divmod(num * (_NS // den), _NS)
    exact = Decimal(repr(f))
    if exact.as_tuple().exponent < -9:  # type: ignore[operator]
        raise ValueMismatch(
            f"tag 1 holds {f!r} seconds, finer than a nanosecond: a timestamp keeps nanoseconds"
        )
    return divmod(int(exact.scaleb(9)), _NS)


def timestamp_of(tag: int, value: Any) -> datetime:
    """A tag 1 or 1001 as a canonical timestamp, or ValueMismatch."""
    if tag == EPOCH_TIME:
        if value.__class__ is int:
            seconds, nanos = value, 0
        elif value.__class__ is float:
            seconds, nanos = _from_float(value)
        else:
            raise ValueMismatch(
                f"tag 1 must hold seconds (an integer or a float), got {what(value)}"
            )
    else:
        seconds, nanos = _parts(tag, value)
    return timestamp_from_parts(seconds, nanos)


def duration_of(value: Any) -> timedelta:
    seconds, nanos = _parts(DURATION, value)
    total = seconds * _NS + nanos
    if not -_DURATION_MAX_NS <= total <= _DURATION_MAX_NS:
        raise ValueMismatch(
            f"duration of {seconds}s and {nanos}ns is outside Protobuf Duration's range of"
            f" +-{DURATION_MAX_SECONDS:,}.999999999 seconds (about 10,000 years)"
        )
    return from_nanoseconds(total)


@utc_datetime_as_is
def timestamp_in(v: Any) -> datetime:
    """The converter's rule: the reader's ``SEMANTIC`` decoders made the tag a datetime, or
    left it as it was to be refused here with the reason."""
    if isinstance(v, datetime):
        return v
    if v.__class__ is CBORTag and v.tag in (EPOCH_TIME, EXTENDED_TIME):
        return timestamp_of(v.tag, v.value)
    raise ValueMismatch(f"expected a timestamp (tag 1 or 1001), got {what(v)}")


def duration_in(v: Any) -> timedelta:
    if isinstance(v, timedelta):
        return v
    if v.__class__ is CBORTag and v.tag == DURATION:
        return duration_of(v.value)
    raise ValueMismatch(f"expected a duration (tag 1002), got {what(v)}")


def _keep(tag: int) -> Callable[[Any, bool], Any]:
    def keep(value: Any, immutable: bool) -> CBORTag:
        return CBORTag(tag, value)

    return keep


def _epoch(value: Any, immutable: bool) -> Any:
    try:
        return timestamp_of(EPOCH_TIME, value)
    except ValueMismatch:
        return CBORTag(EPOCH_TIME, value)  # refused by the converter, with the field's path


def _extended(value: Any, immutable: bool) -> Any:
    try:
        return timestamp_of(EXTENDED_TIME, value)
    except ValueMismatch:
        return CBORTag(EXTENDED_TIME, value)


def _duration(value: Any, immutable: bool) -> Any:
    try:
        return duration_of(value)
    except ValueMismatch:
        return CBORTag(DURATION, value)


#: cbor2 decodes these tags itself (measured on cbor2 6.3: dates, bignums, decimal
#: fractions, sets, shared and string references, UUIDs, addresses...); every one is kept
#: as a tag instead, so that only the mapping's tags become values.
_LIBRARY_TAGS = (0, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261,
                 1004, 43000, 55799)  # fmt: skip
SEMANTIC: dict[int, Callable[[Any, bool], Any]] = {
    **{tag: _keep(tag) for tag in _LIBRARY_TAGS},
    EPOCH_TIME: _epoch,
    EXTENDED_TIME: _extended,
    DURATION: _duration,
}
