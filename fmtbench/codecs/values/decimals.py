"""Decimal leaves: the canonical check of ``decimal(p, s)`` and the forms formats spell it in.

The canonical value is a ``decimal.Decimal`` quantized to the scale (``1.5`` in
``decimal(5, 2)`` is ``Decimal("1.50")``), finite, with at most ``p - s`` digits before the
point, and never negative zero (Avro's unscaled integer has none; neither have SQL's
decimals). Nothing is ever rounded: a value with a nonzero digit past the scale, too many
integer digits, NaN or an infinity is an error. Every converter is built once per
``(p, s)`` and kept (``functools.cache``), so the codecs compile them like any other leaf.

Text forms (JSON, Protobuf's string, XML, MessagePack): written as plain digits with
exactly ``s`` digits after the point (``-12.50``); read as an ``xs:decimal`` (an optional
sign, digits, an optional point and digits): exponents (``1e2``), ``NaN``, spaces and
underscores are refused, since a reader in another language would not take them alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Context, Decimal, Inexact, InvalidOperation
from functools import cache
from typing import Any

from fmtbench.errors import ValueMismatch
from fmtbench.schema.model import MAX_DECIMAL_PRECISION

Conv = Callable[[Any], Any]

#: xs:decimal's lexical space: what every text reader accepts (and nothing else).
DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z", re.ASCII)
#: The same as a JSON Schema / XSD pattern (anchored by the schema language).
DECIMAL_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"

# Exact arithmetic for converting unscaled integers: wide enough for any precision allowed.
_EXACT = Context(prec=MAX_DECIMAL_PRECISION + 2, traps=[Inexact, InvalidOperation])


def _name(p: int, s: int) -> str:
    return f"decimal({p}, {s})"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


@cache
def decimal_check(p: int, s: int) -> Conv:
    """The canonical check: a finite Decimal that fits, quantized to scale ``s``."""
    quantum = Decimal(1).scaleb(-s)
    zero = Decimal(0).scaleb(-s)
    # quantize() under this context raises Inexact when a nonzero digit would be dropped and
    # InvalidOperation when the result needs more than p digits: the two refusals, in C.
    ctx = Context(prec=p, traps=[Inexact, InvalidOperation])
    name = _name(p, s)

    def check(v: Any) -> Decimal:
        if type(v) is not Decimal:
            raise ValueMismatch(f"expected {name} (a decimal.Decimal), got {type(v).__name__}")
        try:
            q = v.quantize(quantum, context=ctx)
        except Inexact:
            raise ValueMismatch(
                f"{_clip(str(v))} has more than {s} digits after the point for {name}"
                " (nothing is rounded)"
            ) from None
        except InvalidOperation:
            if not v.is_finite():
                raise ValueMismatch(f"{v} is not a number {name} can hold") from None
            raise ValueMismatch(
                f"{_clip(str(v))} has more than {p - s} digits before the point for {name}"
            ) from None
        if q.is_nan():  # a quiet NaN quantizes to itself without a signal
            raise ValueMismatch(f"{v} is not a number {name} can hold")
        return q if q else zero  # -0.00 is 0.00

    return check


@cache
def decimal_to_text(p: int, s: int) -> Conv:
    """The canonical text: plain digits, exactly ``s`` of them after the point."""
    check = decimal_check(p, s)

    def text(v: Any) -> str:
        return format(check(v), "f")

    return text


@cache
def decimal_from_text(p: int, s: int) -> Conv:
    """An ``xs:decimal`` text as the canonical value (checked: never rounded)."""
    check = decimal_check(p, s)
    name = _name(p, s)

    def parse(v: Any) -> Decimal:
        if type(v) is not str:
            raise ValueMismatch(f"expected {name} as text, got {type(v).__name__}")
        if not DECIMAL_TEXT.match(v):
            raise ValueMismatch(
                f"expected {name} as plain digits such as '-12.50' (no exponent), got {_clip(v)!r}"
            )
        return check(Decimal(v))  # type: ignore[no-any-return]

    return parse


@cache
def decimal_from_proto(p: int, s: int) -> Conv:
    """A Protobuf string field as the decimal: ``decimal_from_text``, except that the empty
    string (proto3's default, what an absent field reads as) is zero."""
    parse = decimal_from_text(p, s)
    zero = Decimal(0).scaleb(-s)

    def read(v: Any) -> Decimal:
        return zero if v == "" else parse(v)

    return read


@cache
def decimal_to_unscaled(p: int, s: int) -> Conv:
    """Avro's bytes: the unscaled integer (value * 10**s), big-endian two's complement, in
    the fewest bytes that hold it."""
    check = decimal_check(p, s)

    def unscaled(v: Any) -> bytes:
        n = int(check(v).scaleb(s, _EXACT))
        return n.to_bytes((n.bit_length() + 8) // 8, "big", signed=True)

    return unscaled


@cache
def decimal_from_unscaled(p: int, s: int) -> Conv:
    """Avro's bytes as the canonical value; an unscaled integer of more than p digits is an
    error (never rounded)."""
    limit = 10**p
    name = _name(p, s)
    zero = Decimal(0).scaleb(-s)

    def read(v: Any) -> Decimal:
        if type(v) is not bytes:
            raise ValueMismatch(f"expected {name} as bytes, got {type(v).__name__}")
        if not v:
            raise ValueMismatch(f"{name}: an empty unscaled integer (at least one byte)")
        n = int.from_bytes(v, "big", signed=True)
        if not -limit < n < limit:
            # Not str(n): a hostile value may be far past what int() will print.
            raise ValueMismatch(
                f"the unscaled integer ({len(v)} bytes) has more than {p} digits for {name}"
            )
        return Decimal(n).scaleb(-s, _EXACT) if n else zero

    return read
