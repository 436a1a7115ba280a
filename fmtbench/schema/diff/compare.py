"""What a record read in ``schema diff --prove`` must hold, against the record written.

What a record read must hold is decided by the versions, not by the format: each reader
field is paired with the writer field it continues, as ``schema diff`` pairs them (the same
name; else a writer field, gone from the reader version, that one of its Avro aliases names;
else a gone writer field of the same tag: a field renamed or retagged is the same field).
Whether the format carries the value across (Protobuf by tag, Avro by name or alias, the
others by name) is what the data then shows. The written record is walked in the reader
version's shape, recursively into messages (paired from the root by the fields that hold
them), lists and maps:

- A reader field whose writer counterpart had a value must read that value: a different
  value, or none, is a change. So is a value read where the writer wrote none (an absence
  read as the zero value). A renamed field that reads its zero value (JSON with
  ``--drop-unknown``, Avro without an alias) is therefore a change: the value was lost.
- Values compare exactly, types included (-0.0 is not 0.0, True is not 1): an integer read
  as a float (or back) is the same value only when exact, and a string read as bytes (or
  back) only when the bytes are exactly its UTF-8, as Protobuf and Avro read them. A
  widening (int32 -> int64, float32 -> float64) therefore reads the same value; a narrowing
  shows as a change or as the codec's error.
- Enum values pair like fields: the same name, else (a value renamed) the reader's name of
  the writer's number. A Protobuf reader reading an old GREEN as BLUE (renumbered) is a
  change; one reading GREEN as VERT (renamed, same number) is not. An enum read as an
  integer, or an integer as an enum, compares by number; an enum read as a string by name.
- A value the writer wrote that the reader version has no field for (a removed field) is
  dropped, and that is expected schema evolution, not a change; whether the codec drops it
  or refuses the record is its unknown-field policy, and a refusal counts as an error.
- A reader field the writer version does not have (an added field) is not compared: its
  absence, or a default the reader fills in, is not a change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fmtbench.codecs import Record
from fmtbench.errors import (
    format_path,
    key_segment,
)
from fmtbench.schema.model import (
    INT_RANGES,
    Enum,
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    Message,
    MessageRef,
    Scalar,
    Schema,
)


class Compare:
    """The written record walked in the reader's shape (the module docstring's rules)."""

    def __init__(self, writer: Schema, reader: Schema) -> None:
        self.writer, self.reader = writer, reader
        self._pairs: dict[tuple[str, str], list[tuple[Field, Field]]] = {}
        #: Whether ``==`` (in C) may stand for the walk where it finds two values equal.
        self.fast = False

    def root(self, w_msg: Message, r_msg: Message) -> Callable[[Record, Record], str | None]:
        """The comparison of one written record with the record read back."""
        # Equal by ``==`` is equal by these rules (NaN and a type that differs make ``==``
        # fail, and the walk then decides), except for a bool read as a number (True == 1),
        # so not where a field turns bool or back; and -0.0 == 0.0, which no codec makes of
        # a float kept a float (each reads back what it writes, tests/test_lossless.py).
        self.fast = self._no_bool_changes(w_msg, r_msg)
        return lambda w, r: None if self.fast and w == r else self.message(w_msg, r_msg, w, r, ())

    def _no_bool_changes(self, w_root: Message, r_root: Message) -> bool:
        """No field is bool in one version and not in the other (message pairs from the root)."""
        seen: set[tuple[str, str]] = set()
        todo = [(w_root, r_root)]
        while todo:
            w_msg, r_msg = todo.pop()
            if (w_msg.name, r_msg.name) in seen:
                continue
            seen.add((w_msg.name, r_msg.name))
            for rf, wf in self.pairs(w_msg, r_msg):
                if _has_bool(wf.type) != _has_bool(rf.type):
                    return False
                w_ref, r_ref = _message_of(wf.type), _message_of(rf.type)
                if w_ref is not None and r_ref is not None:
                    todo.append((self.writer.messages[w_ref], self.reader.messages[r_ref]))
        return True

    def pairs(self, w_msg: Message, r_msg: Message) -> list[tuple[Field, Field]]:
        """(reader field, writer field) for every reader field the writer version has: the
        same name, else a writer field (whose name the reader no longer has) named by one of
        its Avro aliases, else one of the same tag: a field renamed or retagged is the same
        field, as ``schema diff`` pairs them."""
        key = (w_msg.name, r_msg.name)
        if key not in self._pairs:
            by_name = {f.name: f for f in w_msg.fields}
            kept = {f.name for f in r_msg.fields}
            free = {f.name: f for f in w_msg.fields if f.name not in kept}
            found = []
            for rf in r_msg.fields:
                wf = by_name.get(rf.name)
                aliases = (rf.avro or {}).get("aliases") or ()
                for alias in aliases if wf is None else ():
                    wf = free.get(alias)
                    if wf is not None:
                        break
                if wf is None:
                    wf = next((f for f in free.values() if f.tag == rf.tag), None)
                if wf is not None:
                    free.pop(wf.name, None)
                    found.append((rf, wf))
            self._pairs[key] = found
        return self._pairs[key]

    def message(
        self, w_msg: Message, r_msg: Message, w: Record, r: Record, path: tuple[str | int, ...]
    ) -> str | None:
        """None when ``r`` holds what ``w`` wrote, else the first difference (a line)."""
        for rf, wf in self.pairs(w_msg, r_msg):
            at = (*path, rf.name)
            w_has, r_has = wf.name in w, rf.name in r
            if not w_has and not r_has:
                continue
            if not w_has:
                return _line(at, "nothing", _show(r[rf.name]))
            if not r_has:
                return _line(at, _show(w[wf.name]), "nothing")
            problem = self.value(wf.type, rf.type, w[wf.name], r[rf.name], at)
            if problem is not None:
                return problem
        return None

    def value(
        self, wt: FieldType, rt: FieldType, w: Any, r: Any, path: tuple[str | int, ...]
    ) -> str | None:
        """None when the reader's value ``r`` is the writer's ``w``, else the first
        difference (a line naming its path)."""
        if self.fast and w == r:  # the common case, in C: most values read as written
            return None
        if isinstance(wt, MessageRef) and isinstance(rt, MessageRef):
            if isinstance(w, dict) and isinstance(r, dict):
                w_msg, r_msg = self.writer.messages[wt.name], self.reader.messages[rt.name]
                return self.message(w_msg, r_msg, w, r, path)
        elif isinstance(wt, ListOf) and isinstance(rt, ListOf):
            if isinstance(w, list) and isinstance(r, list) and len(w) == len(r):
                for i, (a, b) in enumerate(zip(w, r, strict=True)):
                    if (problem := self.value(wt.item, rt.item, a, b, (*path, i))) is not None:
                        return problem
                return None
        elif isinstance(wt, MapOf) and isinstance(rt, MapOf):
            if isinstance(w, dict) and isinstance(r, dict) and len(w) == len(r):
                for k, a in w.items():
                    at = (*path, key_segment(k))
                    if k not in r:
                        return _line(at, _show(a), "nothing")
                    if (problem := self.value(wt.value, rt.value, a, r[k], at)) is not None:
                        return problem
                return None
        elif isinstance(wt, Scalar | EnumRef | MessageRef) and isinstance(rt, ListOf):
            # A single field read as a repeated one (Protobuf allows it): one item.
            return self.value(ListOf(wt), rt, [w], r, path)
        elif isinstance(wt, EnumRef) or isinstance(rt, EnumRef):
            if self.enum_same(wt, rt, w, r):
                return None
        elif _same(w, r):
            return None
        return _line(path, _show(w), _show(r))

    def enum_same(self, wt: FieldType, rt: FieldType, w: Any, r: Any) -> bool:
        """An enum value read as written: the same value name, or the value's new name where
        it was renamed (same number, its old name gone); an enum read as an integer, or an
        integer as an enum, by the number; an enum read as a string by the name."""
        if isinstance(wt, EnumRef) and isinstance(rt, EnumRef):
            w_enum, r_enum = self.writer.enums[wt.name], self.reader.enums[rt.name]
            expected = r_enum.canonical().get(w)
            if expected is None and (number := _number(w_enum, w)) is not None:
                expected = r_enum.by_number().get(number)
            return expected is not None and bool(r == expected)
        if isinstance(wt, EnumRef) and isinstance(rt, Scalar) and rt.kind in INT_RANGES:
            return bool(_number(self.writer.enums[wt.name], w) == r)
        if isinstance(rt, EnumRef) and isinstance(wt, Scalar) and wt.kind in INT_RANGES:
            return bool(_number(self.reader.enums[rt.name], r) == w)
        return _same(w, r)


def _number(enum: Enum, name: str) -> int | None:
    return next((n for value, n in enum.values if value == name), None)


def _has_bool(t: FieldType) -> bool:
    leaves = (t.key, t.value) if isinstance(t, MapOf) else (t.item if isinstance(t, ListOf) else t,)
    return any(isinstance(leaf, Scalar) and leaf.kind == "bool" for leaf in leaves)


def _message_of(t: FieldType) -> str | None:
    leaf = t.value if isinstance(t, MapOf) else t.item if isinstance(t, ListOf) else t
    return leaf.name if isinstance(leaf, MessageRef) else None


def _same(a: Any, b: Any) -> bool:
    """Exact equality: types must match (but an int and a float are equal when exact), NaN
    equals NaN, -0.0 differs from 0.0, timestamps keep their offset."""
    if isinstance(a, int | float) and isinstance(b, int | float):
        if isinstance(a, bool) or isinstance(b, bool):
            return type(a) is type(b) and a == b
        if isinstance(a, float) and isinstance(b, float):
            if math.isnan(a):
                return math.isnan(b)
            return a == b and math.copysign(1, a) == math.copysign(1, b)
        if isinstance(a, float) or isinstance(b, float):  # one int, one float: exact only
            f, i = (float(a), b) if isinstance(a, float) else (float(b), a)
            return math.isfinite(f) and f.is_integer() and int(f) == i
        return bool(a == b)
    if {type(a), type(b)} == {str, bytes}:
        # Protobuf and Avro read a string as bytes and back: the same value when the bytes
        # are exactly its UTF-8.
        text, data = (a, b) if isinstance(a, str) else (b, a)
        try:
            return bool(str(text).encode("utf-8") == data)
        except UnicodeEncodeError:  # a lone surrogate has no UTF-8
            return False
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return bool(a == b and a.utcoffset() == b.utcoffset())
    return bool(a == b)


def _line(at: tuple[str | int, ...], wrote: str, read: str) -> str:
    return f"{format_path(at)}: wrote {wrote}, read {read}"


def brief(text: str, head: int = 200, tail: int = 250) -> str:
    """A problem line kept readable: fastavro's resolution errors quote both schemas whole
    and say where they differ only at the end, so the middle goes."""
    if len(text) <= head + tail + 20:
        return text
    return f"{text[:head]} [... {len(text) - head - tail} characters ...] {text[-tail:]}"


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
