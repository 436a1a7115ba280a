"""ProtoJSON leaves: the one table of how each scalar kind is written and read.

protobuf's JSON mapping (https://protobuf.dev/programming-guides/json/) spells a leaf one
way on output and accepts several on input; ``LEAVES`` holds both directions per kind, so
a new kind (duration, a wrapper) is one entry here. Output converters take a canonical
value and raise ``Unfit`` when it is not one (the codec then validates the record, which
names the field); input converters take what a JSON parser returns and raise
``ValueMismatch`` with the problem, or ``Inexact`` when a number must be read from its
text (the codec then parses the input again keeping numbers as ``Decimal``).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import msgspec
import pybase64

from fmtbench.codecs.values.decimals import decimal_from_proto, decimal_to_text
from fmtbench.codecs.values.leaves import (
    FLOAT_WORDS,
    b64_decode,
    bool_check,
    duration_check,
    duration_from_json,
    duration_to_json,
    float32_round,
    float64_check,
    float_to_json,
    mismatch,
    str_check,
    timestamp_from_text,
)
from fmtbench.errors import ValueMismatch
from fmtbench.schema.model import INT_RANGES, Scalar
from fmtbench.values import Timestamp

Conv = Callable[[Any], Any]

_F32 = struct.Struct("<f")


class Unfit(Exception):
    """A value that is not canonical for its kind: the encoder validates the record."""


class Inexact(Exception):
    """A number whose text decides the value (1e3 or 1.0000000000000001 in an integer
    field, an integer past 64 bits): the decoder re-reads the input keeping numbers exact."""


@dataclass(frozen=True)
class Leaf:
    """One scalar kind in ProtoJSON."""

    #: Canonical value -> JSON value (raises Unfit for a value that is not canonical).
    out: Conv
    #: JSON value (or a Decimal, on the exact re-read) -> canonical value.
    read: Conv
    #: Whether a non-optional field holding this value is left out on output (protobuf's
    #: implicit presence: the default is not written). None: always written (a message).
    is_default: Callable[[Any], bool] | None


# -- integers ------------------------------------------------------------------------------
# JSON number grammar, in a string too (json_format reads "1e3" and " 1" as integers through
# Python's int() and float(); fmtbench reads exactly the decimal numbers, in any spelling,
# and refuses Python-only ones: "1_000", " 1", "0x10").
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\Z", re.ASCII)
_LOOSE_INT = re.compile(r"[-+]?[0-9]+\Z", re.ASCII)  # leading zeros: int("007") is 7 there too


def _exact_int(kind: str, v: Any) -> int:
    """An integer from a Decimal or number text, exactly, or ValueMismatch."""
    lo, hi = INT_RANGES[kind]
    try:
        d = v if isinstance(v, Decimal) else Decimal(v)
        if d.is_nan() or d.is_infinite():
            raise InvalidOperation
        if d.adjusted() > 25:  # far beyond 64 bits: no huge int is built
            raise ValueMismatch(f"{v} is out of range for {kind} ({lo}..{hi})")
        if d != d.to_integral_value():
            raise ValueMismatch(f"expected {kind} (an integer), got {v}")
        n = int(d)
    except InvalidOperation:
        raise ValueMismatch(f"expected {kind} as an integer, got {v!r}") from None
    if not lo <= n <= hi:
        raise ValueMismatch(f"{n} is out of range for {kind} ({lo}..{hi})")
    return n


def int_reader(kind: str) -> Conv:
    """A JSON number or a string holding one; an integer-valued fraction or exponent form
    (1e3, "1.0") is read exactly, as json_format reads it."""
    lo, hi = INT_RANGES[kind]

    def read(v: Any) -> int:
        cls = v.__class__
        if cls is int:
            if not lo <= v <= hi:
                raise ValueMismatch(f"{v} is out of range for {kind} ({lo}..{hi})")
            return v  # type: ignore[no-any-return]
        if cls is str:
            if _LOOSE_INT.match(v):
                n = int(v)
                if not lo <= n <= hi:
                    raise ValueMismatch(f"{n} is out of range for {kind} ({lo}..{hi})")
                return n
            if _NUMBER.match(v):
                return _exact_int(kind, v)
            raise ValueMismatch(f"expected {kind} as a decimal integer, got {v!r}")
        if cls is float:
            raise Inexact  # the text decides: re-read it
        if cls is Decimal:
            return _exact_int(kind, v)
        raise mismatch(f"{kind} (a number or a string of digits)", v)

    return read


def int_writer(kind: str, *, text: bool) -> Conv:
    lo, hi = INT_RANGES[kind]

    def out(v: Any) -> Any:
        if v.__class__ is not int or not lo <= v <= hi:
            raise Unfit
        return str(v) if text else v

    return out


# -- floats --------------------------------------------------------------------------------
def _float_text(v: str, check: Conv) -> float:
    word = FLOAT_WORDS.get(v)
    if word is not None:
        return word
    if _NUMBER.match(v):
        f = float(v)
        if math.isinf(f):
            raise ValueMismatch(f"{v} is beyond the range of a double")
        return check(f)  # type: ignore[no-any-return]
    raise ValueMismatch(f"expected a number, 'NaN', 'Infinity' or '-Infinity', got {v!r}")


def float_reader(check: Conv) -> Conv:
    def read(v: Any) -> float:
        cls = v.__class__
        if cls is float or cls is int:
            return check(v)  # type: ignore[no-any-return]
        if cls is str:
            return _float_text(v, check)
        if cls is Decimal:
            return _float_text(str(v), check)
        raise mismatch("a number, 'NaN', 'Infinity' or '-Infinity'", v)

    return read


def _float64_out(v: Any) -> Any:
    if v.__class__ is not float:
        raise Unfit
    return v if v - v == 0.0 else float_to_json(v)


def shortest_float32(v: float) -> float:
    """json_format's spelling of a float32 (``type_checkers.ToShortestFloat``): the
    shortest decimal of at least 6 significant digits that reads back as the same float32."""
    precision = 6
    rounded = float(f"{v:.{precision}g}")
    while _F32.unpack(_F32.pack(rounded))[0] != v:
        precision += 1
        rounded = float(f"{v:.{precision}g}")
    return rounded


def _float32_out(v: Any) -> Any:
    if v.__class__ is not float:
        raise Unfit
    if v - v != 0.0:
        return float_to_json(v)
    if _F32.unpack(_F32.pack(v))[0] != v:
        raise Unfit  # not yet a float32 value: the validator rounds it
    return shortest_float32(v)


def _present_float(v: float) -> bool:
    # protobuf writes a float field whose bits are not zero: -0.0 is written.
    return v != 0.0 or math.copysign(1.0, v) < 0 or v != v


# -- bytes ---------------------------------------------------------------------------------
_URL_SAFE = str.maketrans("-_", "+/")


def bytes_reader(v: Any) -> bytes:
    """Standard base64, padded; also the URL-safe alphabet and unpadded text, as json_format
    reads them. The unused bits of the last character must be zero (docs/formats.md)."""
    if v.__class__ is not str:
        raise mismatch("bytes as a base64 string", v)
    text = v
    if "-" in text or "_" in text:
        if "+" in text or "/" in text:
            raise ValueMismatch(f"not valid base64: {_clip(v)!r} mixes two alphabets")
        text = text.translate(_URL_SAFE)
    if len(text) % 4:
        text += "=" * (-len(text) % 4)
    return b64_decode(text)  # its errors name the text as read in the standard alphabet


def _bytes_out(v: Any) -> str:
    if v.__class__ is not bytes:
        raise Unfit
    return pybase64.b64encode_as_string(v)


# -- timestamps ----------------------------------------------------------------------------
def timestamp_text(v: datetime) -> str:
    """``v`` (a plain datetime in UTC) as RFC 3339 in UTC with 'Z' and 0, 3 or 6 fraction
    digits, as json_format writes a Timestamp (``_timestamp_out`` writes nanoseconds)."""
    # msgspec spells a UTC datetime in C (a fifth of isoformat's time), quoted, as RFC 3339
    # with "Z" and 0 or 6 fraction digits; a whole millisecond drops the last three.
    text = _rfc3339(v)
    micro = v.microsecond
    if micro and micro % 1000 == 0:
        return text[1:-5].decode() + "Z"
    return text[1:-1].decode()


_rfc3339 = msgspec.json.Encoder().encode


def _timestamp_out(v: Any) -> str | datetime:
    if v.__class__ is not datetime or v.tzinfo is not UTC:
        if v.__class__ is Timestamp and v.tzinfo is UTC and v.nanosecond:
            # Canonical only with nanoseconds (else a plain datetime): 9 fraction digits.
            whole = v.plain().replace(microsecond=0).isoformat()[:-6]
            return f"{whole}.{v.microsecond:06d}{v.nanosecond:03d}Z"
        raise Unfit
    micro = v.microsecond
    if micro % 1000 or not micro:
        # msgspec writes the datetime itself, in C, as timestamp_text would spell it
        # (0 or 6 fraction digits, "Z"): a third of the time of the text made here.
        return v
    return timestamp_text(v)


# -- durations -----------------------------------------------------------------------------
def _duration_out(v: Any) -> str:
    """json_format's spelling: seconds, 0, 3, 6 or 9 fraction digits, ``s``."""
    if not isinstance(v, timedelta):
        raise Unfit
    try:
        return duration_to_json(duration_check(v))
    except ValueMismatch:
        raise Unfit from None


# -- the others ----------------------------------------------------------------------------
def _identity(cls: type) -> Conv:
    def out(v: Any) -> Any:
        if v.__class__ is not cls:
            raise Unfit
        return v

    return out


def _not(v: Any) -> bool:
    return not v


LEAVES: dict[str, Leaf] = {
    "bool": Leaf(_identity(bool), bool_check, _not),
    "int32": Leaf(int_writer("int32", text=False), int_reader("int32"), _not),
    "uint32": Leaf(int_writer("uint32", text=False), int_reader("uint32"), _not),
    "int64": Leaf(int_writer("int64", text=True), int_reader("int64"), _not),
    "uint64": Leaf(int_writer("uint64", text=True), int_reader("uint64"), _not),
    "float32": Leaf(_float32_out, float_reader(float32_round), lambda v: not _present_float(v)),
    "float64": Leaf(_float64_out, float_reader(float64_check), lambda v: not _present_float(v)),
    "string": Leaf(_identity(str), str_check, _not),
    "bytes": Leaf(_bytes_out, bytes_reader, _not),
    # A Timestamp is a message: written whenever set, and a non-optional one always is.
    "timestamp": Leaf(_timestamp_out, timestamp_from_text, None),
    # So is a Duration.
    "duration": Leaf(_duration_out, duration_from_json, None),
}


@cache
def _decimal_leaf(p: int, s: int) -> Leaf:
    """A decimal: Protobuf's string field of its text, so a JSON string; written always
    (the text is never empty), read with an absent or empty string as zero, as Protobuf."""
    text = decimal_to_text(p, s)

    def out(v: Any) -> str:
        try:
            return text(v)  # type: ignore[no-any-return]
        except ValueMismatch:
            raise Unfit from None

    return Leaf(out, decimal_from_proto(p, s), None)


def leaf_of(t: Scalar) -> Leaf:
    """The leaf of a scalar type: ``LEAVES`` by kind, a decimal by precision and scale."""
    return _decimal_leaf(t.precision, t.scale) if t.kind == "decimal" else LEAVES[t.kind]


# -- map keys: always JSON strings ---------------------------------------------------------
def _bool_key_read(v: str) -> bool:
    if v == "true":
        return True
    if v == "false":
        return False
    raise ValueMismatch(f"expected a bool map key 'true' or 'false', got {v!r}")


def _int_key_reader(kind: str) -> Conv:
    read = int_reader(kind)

    def key(v: str) -> int:
        if _LOOSE_INT.match(v):
            return read(v)  # type: ignore[no-any-return]
        raise ValueMismatch(f"expected a {kind} map key as decimal digits, got {v!r}")

    return key


def _bool_key_out(v: Any) -> str:
    if v.__class__ is not bool:
        raise Unfit
    return "true" if v else "false"


#: Map key kind -> (canonical key -> JSON key text, JSON key text -> canonical key).
MAP_KEYS: dict[str, tuple[Conv, Conv]] = {
    "string": (_identity(str), str_check),
    "bool": (_bool_key_out, _bool_key_read),
    **{k: (int_writer(k, text=True), _int_key_reader(k)) for k in INT_RANGES},
}


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


__all__ = ["LEAVES", "MAP_KEYS", "Inexact", "Leaf", "Unfit", "leaf_of", "shortest_float32"]
