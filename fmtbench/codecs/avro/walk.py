"""A datum's bytes walked by the schema, in Python, without building the record.

fastavro reads in C and says nothing of where a datum is bad, and it builds whatever a
datum declares: a list of messages that take no bytes may declare 2^62 of them in ten
bytes, and a recursive schema may nest a datum deeper than C's stack. So the codec walks
the bytes first where that can happen (``check_counts``: schemas with such lists, or that
recurse), refusing them by the limits before fastavro sees them, and walks them again to
name the field when fastavro refuses a datum (``locate``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fmtbench.codecs.values.count import over_limit, zero_values
from fmtbench.errors import DecodeError, LimitError, ValueMismatch, key_segment
from fmtbench.schema.model import (
    INT_RANGES,
    EnumRef,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
)

if TYPE_CHECKING:
    from fmtbench.codecs.avro.codec import AvroCodec

_FIXED = {"float32": 4, "float64": 8}
_LONG = INT_RANGES["int64"]


class _Walk:
    def __init__(self, codec: AvroCodec, data: bytes, pos: int, end: int) -> None:
        self.schema = codec.schema
        self.sizes = codec.sizes
        self.zero = zero_values(codec.schema)
        self.limit = codec.values.limit
        self.max_depth = codec.limits.max_depth
        self.data, self.pos, self.end = data, pos, end
        self.values = 0  # what lists of empty messages add: the rest is bounded by bytes
        self.depth = 0

    def long(self) -> int:
        shift = result = 0
        data = self.data
        for _ in range(10):
            if self.pos >= self.end:
                raise ValueMismatch("truncated: the record ends inside a number")
            b = data[self.pos]
            self.pos += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return (result >> 1) ^ -(result & 1)
            shift += 7
        raise ValueMismatch("malformed number: a varint longer than 10 bytes")

    def take(self, n: int, what: str) -> bytes:
        if n < 0:
            raise ValueMismatch(f"malformed {what}: a negative length ({n})")
        if n > self.end - self.pos:
            raise ValueMismatch(
                f"truncated: {what} of {n:,} bytes, and the record ends {self.end - self.pos:,}"
                " bytes on"
            )
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def message(self, name: str) -> None:
        self.depth += 1
        if self.depth > self.max_depth + 1:  # the exact check runs on the record read
            raise LimitError(
                f"nested more than {self.max_depth} levels deep, over the limit of"
                f" {self.max_depth} (--max-depth)"
            )
        msg = self.schema.messages[name]
        unions = {g.members[0]: g for g in msg.oneofs if g.avro}
        in_union = {m for g in unions.values() for m in g.members}
        for f in msg.fields:
            if f.name in in_union:
                if f.name in unions:
                    self.union(msg, unions[f.name])
                continue
            try:
                if f.optional:
                    self.optional(f)
                else:
                    self.value(f.type, f.avro)
            except ValueMismatch as exc:
                raise exc.at(f.name) from None
        self.depth -= 1

    def optional(self, f: Any) -> None:
        """An optional field: ``["null", T]`` (or ``[T, "null"]``), a uint64's flattened
        into ``["null", "long", UInt64]``."""
        last = bool(f.avro and f.avro.get("null") == "last")
        values = 2 if isinstance(f.type, Scalar) and f.type.kind == "uint64" else 1
        branch = self.long()
        null = values if last else 0
        if not 0 <= branch <= values:
            raise ValueMismatch(f"union branch {branch} is out of range (0..{values})")
        if branch == null:
            return
        if values == 1:
            self.value(f.type, f.avro)
        elif branch - (0 if last else 1) == 1:
            self.take(8, "a uint64")
        else:
            self.long()

    def union(self, msg: Any, group: Any) -> None:
        """An imported union of several types: a branch index, then that member's value."""
        members: list[Any] = [msg.field(m) for m in group.members]
        null = group.avro.get("null")
        if null is not None:
            members.insert(null, None)
        try:
            branch = self.long()
            if not 0 <= branch < len(members):
                raise ValueMismatch(
                    f"union branch {branch} is out of range (0..{len(members) - 1})"
                )
            f = members[branch]
            if f is not None:
                self.value(f.type, f.avro)
        except ValueMismatch as exc:
            raise exc.at(group.name) from None

    def value(self, t: FieldType, hint: dict[str, Any] | None = None) -> None:
        if isinstance(t, Scalar):
            if hint and "fixed" in hint:
                self.take(hint["size"], "a fixed")
            elif hint and hint.get("logical", "").endswith(("-millis", "-micros", "-nanos")):
                self.long()  # a timestamp or a time of day: one long (or int)
            else:
                self.scalar(t.kind)
        elif isinstance(t, EnumRef):
            index = self.long()
            symbols = self.schema.enums[t.name].canonical_names
            if not 0 <= index < len(symbols):
                raise ValueMismatch(
                    f"enum index {index} is out of range for {t.name} (0..{len(symbols) - 1})"
                )
        elif isinstance(t, MessageRef):
            self.message(t.name)
        elif isinstance(t, ListOf):
            self.blocks(t.item, None, hint)
        elif isinstance(t, MapOf):
            self.blocks(t.value, t.key, hint)

    def scalar(self, kind: str) -> None:
        if kind in _FIXED:
            self.take(_FIXED[kind], kind)
        elif kind == "bool":
            b = self.take(1, "a bool")[0]
            if b > 1:
                raise ValueMismatch(f"a bool is the byte 0 or 1, not {b}")
        elif kind == "string":
            raw = self.take(self.long(), "a string")
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueMismatch(f"the string is not valid UTF-8: {exc.reason}") from None
        elif kind in ("bytes", "decimal"):  # a decimal: the bytes of its unscaled integer
            self.take(self.long(), kind)
        elif kind in ("timestamp", "duration"):
            for part in ("seconds", "nanos"):
                try:
                    self.long()
                except ValueMismatch as exc:
                    raise exc.at(part) from None
        elif kind == "uint64":  # the union of long and an 8-byte fixed (schema/avsc.py)
            branch = self.long()
            if branch == 1:
                self.take(8, "a uint64")
            elif branch == 0:
                self.long()
            else:
                raise ValueMismatch(
                    f"union branch {branch} is out of range (0 for a long, 1 for 8 bytes)"
                )
        else:  # the integers: fastavro reads any long, the converter checks the range
            self.long()

    def blocks(
        self, item: FieldType, key: Scalar | None, hint: dict[str, Any] | None = None
    ) -> None:
        empty = key is None and isinstance(item, MessageRef) and self.sizes[item.name] == 0
        index = 0
        while True:
            count = self.long()
            if count == 0:
                return
            if count < 0:
                count = -count
                self.long()  # the block's size in bytes, which a reader may skip by
            if empty:  # items of no bytes: counted, never walked
                assert isinstance(item, MessageRef)
                self.values += count * (1 + self.zero[item.name])
                if self.values > self.limit:
                    raise over_limit(self.limit)
                index += count
                continue
            if count > self.end - self.pos:  # every item or entry takes a byte at least
                raise ValueMismatch(
                    f"truncated: a block of {count:,} items, and the record ends"
                    f" {self.end - self.pos:,} bytes on"
                ).at(index)
            for _ in range(count):
                if key is None:
                    try:
                        self.value(item, hint)
                    except ValueMismatch as exc:
                        raise exc.at(index) from None
                else:
                    k: Any = index
                    try:
                        self.scalar(key.kind)
                    except ValueMismatch as exc:
                        if exc.problem.startswith("truncated"):  # readers read on at these
                            raise exc.at(index) from None
                        raise ValueMismatch(f"map key: {exc.problem}").at(index) from None
                    try:
                        self.value(item, hint)
                    except ValueMismatch as exc:
                        raise exc.at(key_segment(k)) from None
                index += 1


@contextlib.contextmanager
def _frames(max_depth: int) -> Iterator[None]:
    """Room for the walk: four frames a level of nesting, past what --max-depth allows."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, 5 * max_depth + 200))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def check_counts(codec: AvroCodec, data: bytes, start: int, end: int, where: str) -> None:
    """Refuse a datum that nests past ``--max-depth`` or holds lists of empty messages past
    the values limit, before fastavro builds it; a malformed one with its field path."""
    walk = _Walk(codec, data, start, end)
    try:
        with _frames(codec.limits.max_depth):
            walk.message(codec.message.name)
    except LimitError as exc:
        exc.position = where
        raise
    except ValueMismatch as exc:
        raise DecodeError(exc.problem, path=exc.where, position=where) from None
    except RecursionError:
        raise LimitError(
            f"nested too deeply to walk (--max-depth is {codec.limits.max_depth})",
            position=where,
        ) from None


def locate(codec: AvroCodec, data: bytes, start: int, end: int) -> ValueMismatch | None:
    """Where and why the datum ``data[start:end]`` is malformed, if the walk finds it."""
    walk = _Walk(codec, data, start, end)
    walk.limit = 1 << 62  # the values are not what is being asked about here
    try:
        with _frames(codec.limits.max_depth):
            walk.message(codec.message.name)
    except ValueMismatch as exc:
        return exc
    except (LimitError, RecursionError):
        return None
    return None
