"""Varints over 64 bits: refused, where upb would keep the low 64 bits and say nothing.

A varint holds at most 64 bits in ten bytes, so its tenth byte may only be 0 or 1. upb
refuses eleven bytes or more, but reads a tenth byte of 0x02-0x7f by dropping the bits above
bit 63 (``ff ff ff ff ff ff ff ff ff 7f`` reads as -1), as protobuf's C++ reader does; Go's
``protowire`` calls it an overflow. A value of 2^64 or more fits no integer field, so it is an
error here, for every varint the schema declares (int32 to uint64, bool, enum, Timestamp's
fields, map keys and values, packed or not).

Finding it costs a look at the bytes, kept cheap three ways. A message type with no varint
anywhere below it (``geo.mesh``: strings and floats) is never looked at. A message up to
``WHOLE`` bytes is translated to byte classes (high bit set, 0-1, 2-0x7f) and searched once for
nine high bytes and a tenth of 0x02-0x7f, in C (~0.3 us a record, most of it the call); only
where that pattern occurs (it also occurs inside strings, bytes and fixed-width values) do its
fields get walked in Python. A larger message is searched whole the same way first (a batch
of ASCII text and small numbers has no such run anywhere); only where the pattern occurs is it
walked at its top level, skipping string and
bytes payloads by their length and sub-messages without varints, and each sub-message it
cannot skip gets the same treatment: so a 60 KB ``bytes`` payload costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fmtbench.errors import ValueMismatch
from fmtbench.schema.model import EnumRef, FieldType, ListOf, MapOf, MessageRef, Scalar, Schema

VARINT_CLASSES = bytes(0x61 if b < 2 else 0x62 if b < 0x80 else 0x48 for b in range(256))
OVERFLOW_PATTERN = b"HHHHHHHHHb"
_OVER_64 = (
    "a varint over 64 bits (its tenth byte is above 0x01): the value is 2^64 or more"
    " and fits no integer field"
)
_VARINT_KINDS = frozenset({"int32", "int64", "uint32", "uint64", "bool"})


def suspect(data: bytes) -> bool:
    """True where ``data`` may hold a varint over 64 bits (never False where it does)."""
    return data.translate(VARINT_CLASSES).find(OVERFLOW_PATTERN) >= 0


@dataclass
class _Spec:
    """What the fields of one message type hold, by number."""

    name: str
    varints: set[int] = field(default_factory=set)
    messages: dict[int, _Spec] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    maps: set[int] = field(default_factory=set)
    repeated: set[int] = field(default_factory=set)
    bearing: bool = False  # a varint somewhere at or below this type
    # Length-delimited fields worth a look: sub-messages with varints below, packed varints.
    # The rest (strings, bytes, messages without varints) are skipped without a call.
    inspect: set[int] = field(default_factory=set)


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int, bool]:
    """The varint at ``pos``: (value, next position, whether it overflows 64 bits)."""
    value = shift = 0
    start = pos
    while pos < end:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos, pos - start == 10 and byte > 1
        shift += 7
    raise _Malformed


class _Malformed(Exception):
    """Bytes upb accepted but this scan cannot follow (a group, say): nothing to report."""


_SHORTEST = 10  # bytes: a varint over 64 bits takes ten
WHOLE = 1024  # bytes: up to this size a message is searched whole, beyond it walked


class OverflowScan:
    """Finds the first varint over 64 bits in a message of one type, with its field path."""

    def __init__(self, schema: Schema, type_name: str) -> None:
        self.schema = schema
        self.specs: dict[str, _Spec] = {}
        self.timestamp = _Spec("Timestamp", varints={1, 2}, names={1: "seconds", 2: "nanos"})
        # A wrapper message (Int64Value...) holds its value as field 1.
        self.wrapper = _Spec("wrapper", varints={1}, names={1: "value"})
        self.duration = _Spec("Duration", varints={1, 2}, names={1: "seconds", 2: "nanos"})
        self.root = self._spec(type_name)
        self._mark_bearing()
        #: False where no varint can occur in a message of this type: nothing to check.
        self.needed = self.root.bearing
        #: A root without lists or maps: its top level holds one key a field (normally).
        self.few_fields = not self.root.repeated and not self.root.maps

    def _leaf(self, spec: _Spec, number: int, t: FieldType) -> None:
        if (
            isinstance(t, Scalar) and t.kind in _VARINT_KINDS and t.encoding != "fixed"
        ) or isinstance(t, EnumRef):
            spec.varints.add(number)
        elif isinstance(t, Scalar) and t.kind == "timestamp":
            spec.messages[number] = self.timestamp
        elif isinstance(t, Scalar) and t.kind == "duration":
            spec.messages[number] = self.duration
        elif isinstance(t, MessageRef):
            spec.messages[number] = self._spec(t.name)

    def _spec(self, name: str) -> _Spec:
        if name in self.specs:
            return self.specs[name]
        spec = self.specs[name] = _Spec(name)
        for f in self.schema.messages[name].fields:
            spec.names[f.tag] = f.name
            t = f.type
            if isinstance(t, ListOf):
                spec.repeated.add(f.tag)
                self._leaf(spec, f.tag, t.item)
            elif isinstance(t, MapOf):
                entry = _Spec(f"{name}.{f.name} entry", names={1: "key", 2: "value"})
                self._leaf(entry, 1, t.key)
                self._leaf(entry, 2, t.value)
                self.specs[entry.name] = entry
                spec.messages[f.tag] = entry
                spec.maps.add(f.tag)
            elif f.wrapper:
                if isinstance(t, Scalar) and t.kind in _VARINT_KINDS:
                    spec.messages[f.tag] = self.wrapper
            else:
                self._leaf(spec, f.tag, t)
        return spec

    def _mark_bearing(self) -> None:
        """Which message types hold a varint at some depth (a fixpoint: types may recurse)."""
        specs = [*self.specs.values(), self.timestamp, self.wrapper, self.duration]
        for spec in specs:
            spec.bearing = bool(spec.varints)
        changed = True
        while changed:
            changed = False
            for spec in specs:
                if not spec.bearing and any(sub.bearing for sub in spec.messages.values()):
                    spec.bearing = changed = True
        for spec in specs:
            spec.inspect = {n for n, sub in spec.messages.items() if sub.bearing}
            spec.inspect |= spec.varints & spec.repeated

    def check(self, data: bytes) -> None:
        """Raise ValueMismatch naming the field of the first varint over 64 bits, if any."""
        try:
            # A large message of a type with a list or a map (a batch) is searched whole
            # first (one C pass, ~6 ms a megabyte): where the pattern occurs nowhere there
            # is no overflow, and no walk of its many fields in Python. One without (blob)
            # has a few fields, whatever its size: walked at once, its payloads skipped by
            # their length (2 us, where the search of 40 kB of random bytes takes 27 us
            # and finds the pattern in nearly every one anyway).
            if len(data) > WHOLE:
                if self.few_fields or suspect(data):
                    self._scan(data, 0, len(data), self.root, skim=True)
            elif suspect(data):
                self._scan(data, 0, len(data), self.root, skim=False)
        except _Malformed:  # upb parsed it: something this walk does not model (a group)
            return

    def _scan(self, data: bytes, pos: int, end: int, spec: _Spec, *, skim: bool) -> None:
        # Single-byte keys and lengths, nearly all of them, are read without a call.
        seen: dict[int, int] = {}  # occurrences of repeated fields so far: the list index
        indexed, inspect = spec.repeated, spec.inspect
        while pos < end:
            key = data[pos]
            if key < 0x80:
                pos += 1
            else:
                key, pos, over = _varint(data, pos, end)
                if over:
                    raise ValueMismatch("a field key over 64 bits")
            number, wire = key >> 3, key & 7
            index = 0
            if number in indexed:
                index = seen.get(number, 0)
                seen[number] = index + 1
            if wire == 2:
                length = data[pos] if pos < end else 0x80
                if length < 0x80:
                    pos += 1
                elif pos + 2 < end and data[pos + 1] >= 0x80 and data[pos + 2] < 0x80:
                    # Three bytes (16 kB to 2 MB): a large payload's, without the call.
                    length = (length & 0x7F) | (data[pos + 1] & 0x7F) << 7 | data[pos + 2] << 14
                    pos += 3
                else:
                    length, pos, _ = _varint(data, pos, end)
                stop = pos + length
                if stop > end:
                    raise _Malformed
                # Ten bytes are the least an overflow takes (packed: no key). Skimming,
                # a small one is searched here first: nearly always that is all.
                if length >= _SHORTEST and number in inspect:
                    if not skim:
                        self._delimited(data, pos, stop, spec, number, index, skim=False)
                    elif length > WHOLE:
                        self._delimited(data, pos, stop, spec, number, index, skim=True)
                    elif suspect(data[pos:stop]):
                        self._delimited(data, pos, stop, spec, number, index, skim=False)
                pos = stop
            elif wire == 0:
                if data[pos] < 0x80 if pos < end else False:
                    pos += 1
                else:
                    _, pos, over = _varint(data, pos, end)
                    if over and number in spec.varints:
                        raise self._overflow(spec, number, index)
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            else:
                raise _Malformed  # groups: never in a schema of ours

    def _delimited(
        self, data: bytes, pos: int, stop: int, spec: _Spec, number: int, index: int, *, skim: bool
    ) -> None:
        sub = spec.messages.get(number)
        if sub is not None and sub.bearing:
            try:
                self._sub(data, pos, stop, sub, skim=skim)
            except ValueMismatch as exc:
                raise exc.at(self._segment(spec, number, index)) from None
        elif (
            number in spec.varints
            and number in spec.repeated
            # In a run of packed varints the pattern is an overflow and nothing else.
            and (not skim or suspect(data[pos:stop]))
        ):
            self._packed(data, pos, stop, spec, number, index)

    def _sub(self, data: bytes, pos: int, stop: int, sub: _Spec, *, skim: bool) -> None:
        if not skim:
            self._scan(data, pos, stop, sub, skim=False)
        elif stop - pos > WHOLE:
            self._scan(data, pos, stop, sub, skim=True)
        elif suspect(data[pos:stop]):
            self._scan(data, pos, stop, sub, skim=False)

    def _packed(
        self, data: bytes, pos: int, end: int, spec: _Spec, number: int, first: int
    ) -> None:
        # Packed runs may repeat; elements count on from those before (an approximation when
        # packed and unpacked runs mix, which no writer does).
        i = 0
        while pos < end:
            _, pos, over = _varint(data, pos, end)
            if over:
                raise self._overflow(spec, number, first + i, element=True)
            i += 1

    def _segment(self, spec: _Spec, number: int, index: int) -> str:
        name = spec.names.get(number, f"#{number}")
        if number in spec.maps:
            return f"{name}[entry {index + 1}]"
        if number in spec.repeated:
            return f"{name}[{index}]"
        return name

    def _overflow(
        self, spec: _Spec, number: int, index: int, *, element: bool = False
    ) -> ValueMismatch:
        if spec is self.wrapper:  # the path names the wrapper field, as the walks do
            return ValueMismatch(_OVER_64)
        segment = (
            self._segment(spec, number, index)
            if element or number in spec.repeated
            else spec.names[number]
        )
        return ValueMismatch(_OVER_64).at(segment)
