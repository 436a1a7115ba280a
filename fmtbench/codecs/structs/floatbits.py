"""The writer's float guard for lists of fixed-size elements, on the bytes of their
doubles: a record's list of ``Vec3`` (or of float32 numbers) tested with a few C calls a
list instead of a step per value.

floats.py gathers a record's float leaves with C iterators and tests lists of them; on
``mesh`` (about 1,500 float32 leaves a record) the gathering alone cost as much as
``msgspec.convert`` and the tests as much again (1.4x ``orjson.dumps`` in all). Here a
root list whose elements have a fixed MessagePack layout (a float, or a message whose
fields are all required floats or such messages) is written by msgspec's MessagePack
encoder, in C; every element then takes the same number of bytes, each double the 8
bytes after its ``0xcb`` tag at known offsets. So one strided slice (``data[i::size]``)
gives one byte of one field's double in every element (a *plane*), and each test below
is a ``translate`` deleting the bytes that pass from the planes joined:

- a float32 value is float32-exact: its low 29 mantissa bits are zero (the last three
  bytes zero, the fifth byte's low 5 bits) and its exponent within 912..1135 (the top
  byte alone tells: inside float32's normal range 897..1150, |x| in [2**-111, 2**113)),
  or it is ±0.0 (top byte 0x00 or 0x80 and the next four bytes zero, tested only for
  the elements whose top byte says so). Any other value is declined, NaN and the
  infinities among them (exact or not: the rarer edges are the tree path's);
- a float64 value in JSON is finite: its top byte not 0x7F or 0xFF (|x| < 2**1009).

The values are floats (write.py types float fields so that msgspec refuses ints) and
msgspec writes every float as ``0xcb`` and 8 bytes, so the list's bytes are its header
and ``n`` elements of one size; the layout is found once, by writing a probe element.
In MessagePack, a root's last field is a list whose elements are the last bytes of what
the writer wrote: they are read there, not written again (``mesh``: a fifth of the cost).

Like the other guards, a failed test only declines the record: the tree path then writes
it or raises today's error with the field's path.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

import msgspec

from fmtbench.codecs.structs.floats import FLOAT_KINDS, FloatsDeclined
from fmtbench.schema.model import FieldType, ListOf, MessageRef, Scalar, Schema

_DOUBLE = struct.Struct(">d")


@dataclass(frozen=True)
class _Layout:
    """One element's MessagePack bytes: its size, and where each double starts with its
    field's kind."""

    size: int
    slots: tuple[tuple[int, str], ...]


def _fixed(schema: Schema, ftype: FieldType, seen: frozenset[str] = frozenset()) -> bool:
    """Whether every value of ``ftype`` is written in the same number of bytes: a float, or
    a message of required fields of such types (not recursive)."""
    if isinstance(ftype, Scalar):
        return ftype.kind in FLOAT_KINDS
    if not isinstance(ftype, MessageRef) or ftype.name in seen:
        return False
    msg = schema.messages[ftype.name]
    inner = seen | {ftype.name}
    return bool(msg.fields) and all(
        not f.optional and _fixed(schema, f.type, inner) for f in msg.fields
    )


def _probe(
    schema: Schema,
    structs: Mapping[str, type[msgspec.Struct]],
    ftype: FieldType,
    floats: list[tuple[float, str]],
) -> Any:
    """A value of fixed type ``ftype`` whose floats are distinct, each added to ``floats``
    with its kind."""
    if isinstance(ftype, Scalar):
        value = 1.0 + (len(floats) + 1) / 1024  # a distinct 8-byte pattern each
        floats.append((value, ftype.kind))
        return value
    assert isinstance(ftype, MessageRef)
    fields = schema.messages[ftype.name].fields
    kwargs = {f"f{i}": _probe(schema, structs, f.type, floats) for i, f in enumerate(fields)}
    return structs[ftype.name](**kwargs)


def _layout(
    schema: Schema, structs: Mapping[str, type[msgspec.Struct]], ftype: FieldType
) -> _Layout | None:
    """The layout of a fixed ``ftype``, as msgspec writes it, or None if the probe's doubles
    cannot be told apart in its bytes."""
    floats: list[tuple[float, str]] = []
    data = msgspec.msgpack.encode(_probe(schema, structs, ftype, floats))
    slots = []
    for value, kind in floats:
        pattern = b"\xcb" + _DOUBLE.pack(value)
        if data.count(pattern) != 1:
            return None
        slots.append((data.index(pattern) + 1, kind))
    return _Layout(len(data), tuple(slots))


#: Top bytes (sign and the exponent's high 7 bits) of a double whose exponent is within
#: 912..1135, well inside float32's normal range (897..1150): |x| in [2**-111, 2**113).
_TOP_OK = bytes([*range(57, 71), *range(128 + 57, 128 + 71)])
#: Top bytes of a double that may be ±0.0 (the other bytes decide).
_TOP_ZERO = b"\x00\x80"
#: Fifth bytes whose low 5 bits (the mantissa's bits 24..28) are zero.
_FIFTH_OK = bytes(range(0, 256, 32))
#: Top bytes of a double below the exponent 2032: finite (|x| < 2**1009).
_TOP_FINITE = bytes(b for b in range(256) if b & 0x7F != 0x7F)
#: Maps a top byte to 1 where the double may be ±0.0, else 0.
_ZERO_CANDIDATE = bytes(int(b in _TOP_ZERO) for b in range(256))
_NO_BYTES = slice(0, 0)  # twice in each getter: one of a single slice returns it bare
_join = b"".join


class _Planes:
    """The byte planes of a list of one layout: for each double's byte that a test reads,
    that byte of every element, as one ``bytes`` (a strided slice, in C)."""

    def __init__(self, layout: _Layout, finite: bool) -> None:
        self.size = layout.size
        self.f32 = [offset for offset, kind in layout.slots if kind == "float32"]
        self.f64 = [offset for offset, kind in layout.slots if kind == "float64"] if finite else []
        self._getters: dict[int, tuple[Callable[[bytes], tuple[bytes, ...]], ...]] = {}

    def _getter(self, head: int, offsets: list[int], nths: tuple[int, ...]) -> Any:
        slices = [slice(head + o + k, None, self.size) for o in offsets for k in nths]
        return itemgetter(_NO_BYTES, _NO_BYTES, *slices)

    def getters(self, head: int) -> tuple[Callable[[bytes], tuple[bytes, ...]], ...]:
        """For elements from byte ``head`` on: the planes that must be zero (the low 24
        bits of every float32), the fifth bytes, the top bytes of float32 and of float64."""
        got = self._getters.get(head)
        if got is None:
            got = self._getters[head] = (
                self._getter(head, self.f32, (5, 6, 7)),
                self._getter(head, self.f32, (4,)),
                self._getter(head, self.f32, (0,)),
                self._getter(head, self.f64, (0,)),
            )
        return got

    def zeros_are_zero(self, data: bytes, head: int) -> bool:
        """Whether every float32 whose top byte says it may be ±0.0 is: its next four
        bytes zero too (the last three were tested). Rare: once a record that holds one."""
        for offset in self.f32:
            top = data[head + offset :: self.size]
            maybe = int.from_bytes(top.translate(_ZERO_CANDIDATE), "big") * 0xFF
            for k in range(1, 5):
                if int.from_bytes(data[head + offset + k :: self.size], "big") & maybe:
                    return False
        return True


def _list_check(
    layout: _Layout, get: Callable[[Any], Any], finite: bool, last: bool
) -> Callable[[Any, bytes], None]:
    """The test of the floats of the list ``get`` returns; ``last``: the list is the last
    field of the writer's MessagePack, whose last bytes are its elements (the list is not
    written again)."""
    planes = _Planes(layout, finite)
    size = layout.size
    encode = msgspec.msgpack.Encoder().encode

    def check(s: Any, out: bytes) -> None:
        n = len(get(s))
        if last:  # the elements alone (a copy), so that their offsets are the getters' own
            data = out[len(out) - n * size :]
            head = 0
        else:
            data = encode(get(s))
            head = len(data) - n * size
            if head not in (1, 3, 5):  # an array's header: else not this layout
                raise FloatsDeclined
        zero, fifth, top32, top64 = planes.getters(head)
        if _join(zero(data)).translate(None, b"\0"):
            raise FloatsDeclined
        if _join(fifth(data)).translate(None, _FIFTH_OK):
            raise FloatsDeclined
        other = _join(top32(data)).translate(None, _TOP_OK)
        if other and (other.translate(None, _TOP_ZERO) or not planes.zeros_are_zero(data, head)):
            raise FloatsDeclined
        if _join(top64(data)).translate(None, _TOP_FINITE):
            raise FloatsDeclined

    return check


def compile_bits(
    schema: Schema,
    root: str,
    structs: Mapping[str, type[msgspec.Struct]],
    *,
    finite: bool,
    msgpack: bool,
) -> tuple[list[str], Callable[[Any, bytes], None]] | None:
    """The attributes (write.py's ``f0``, ``f1``...) of ``root``'s required lists of fixed
    elements, and the test of their floats in a ``root`` Struct and the bytes written of it,
    raising ``FloatsDeclined``; None if there are none. ``finite``: float64 values must be
    finite too (JSON; float32 values always are). ``msgpack``: the bytes written are
    msgspec's MessagePack, in which a last field's list is not written again."""
    fields = schema.messages[root].fields
    attrs: list[str] = []
    checks: list[Callable[[Any, bytes], None]] = []
    for i, f in enumerate(fields):
        if f.optional or not isinstance(f.type, ListOf) or not _fixed(schema, f.type.item):
            continue
        layout = _layout(schema, structs, f.type.item)
        if layout is None:
            continue
        attrs.append(f"f{i}")
        if not finite and all(kind == "float64" for _, kind in layout.slots):
            continue  # nothing to test: MessagePack writes any float64 as the tree path does
        last = msgpack and i == len(fields) - 1
        checks.append(_list_check(layout, attrgetter(f"f{i}"), finite, last))
    if not attrs:
        return None
    if len(checks) == 1:
        return attrs, checks[0]

    def check_all(s: Any, out: bytes) -> None:
        for check in checks:
            check(s, out)

    return attrs, check_all
