"""Proof by data for ``schema diff --prove``: what really happens when one version of a schema
reads what the other wrote, through fmtbench's own codecs.

``prove(old, new, ...)`` generates seeded records with the writer version, writes each in
every selected format with the writer version's codec, reads it with the reader version's
codec, and counts, per format and direction, the records read, the records whose values
changed and the records that failed (``Outcome``). **backward** is old data read by the new
version, **forward** new data read by the old version. Formats with an unknown-field policy
are read both without and with ``--drop-unknown`` (keys ``"backward --drop-unknown"`` and
``"forward --drop-unknown"``), since the answer of keyed formats depends on it.

How the records are written and read:

- Every format in message mode (``encode``/``decode``: one record a message), except Avro's
  container form (``avro``): each record is written as a file of its own, since the file's
  header carries the writer schema and only then does fastavro resolve it against the
  reader's by Avro's rules (promotions, defaults, skipped fields, aliases). ``avro-single``
  is read as fmtbench reads it: its fingerprint must be the reader schema's (fmtbench keeps
  no registry of writer schemas), so any change of the Avro schema fails there.
- The data exercises what changes can break: optional fields are present in about half the
  records; integers are drawn uniformly over their type's whole range (a narrowing from
  int64 to int32 meets values that do not fit); enum values uniformly (a value added in the
  writer version shows up); and every other record has about half its values replaced by
  edge values: zero values (an implicit-presence field does not write its zero, so a reader
  that gives it presence reads nothing), the integers' extremes, -0.0, the widest decimal,
  empty strings, bytes, lists and maps.
- Only ``FmtbenchError`` counts as a failed read; any other exception is a bug and escapes.
  A version a format cannot compile (codec_for refuses it) is one Outcome saying so.
- A reader that met no unknown field without ``--drop-unknown`` (no error) reads the same
  with it (the policy acts on unknown fields only): that outcome is reused, not read again.

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
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal
from typing import Any

from fmtbench.codecs import Codec, Record, codec_for
from fmtbench.codecs.registry import REGISTRY
from fmtbench.errors import (
    FmtbenchError,
    RecordError,
    UsageError,
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

BACKWARD = "backward"  # old data, new reader
FORWARD = "forward"  # new data, old reader
#: What a direction's key ends with when the reader ran with ``drop_unknown=True``.
DROP_UNKNOWN = " --drop-unknown"

#: Formats whose reader never meets a field it does not know, so ``drop_unknown`` cannot
#: change what it reads: Avro resolution skips the writer's extra fields itself.
_NO_POLICY = frozenset({"avro", "avro-single"})
#: Formats read as a file per record: the file carries the writer schema (Avro's header).
_FILE_FORM = frozenset({"avro"})

#: How often an optional field is present in generated records: both cases, evenly.
PRESENCE = 0.5


@dataclass(frozen=True)
class Outcome:
    """What happened when one version read the other's records in one format."""

    records: int  # records written by the writer version
    read: int  # records the reader version read without error
    changed: int  # records read whose values differ from what was written
    errors: int  # records (or whole files) that failed to read
    first_problem: str | None  # first error or first difference, with record index and path

    @property
    def ok(self) -> bool:
        return self.read == self.records and self.changed == 0 and self.errors == 0


def prove(
    old: Schema,
    new: Schema,
    old_type: str | None,
    new_type: str | None,
    formats: Sequence[str],
    *,
    records: int = 200,
    seed: int = 0,
    drop_unknown: bool | None = None,
) -> dict[str, dict[str, Outcome]]:
    """format -> {direction key -> Outcome}; the module docstring says how it is decided.

    ``drop_unknown``: None runs each format with an unknown-field policy both ways (keys
    ``backward``/``forward`` without it, the same with ``DROP_UNKNOWN`` appended with it);
    True or False runs only that policy, the key saying which. Formats with no such policy
    (Avro) run once, under the plain keys."""
    for fmt in formats:  # every name checked before any work: a UsageError lists them
        if hint := REGISTRY.get_format(fmt).missing():
            raise UsageError(hint)
    old_version, new_version = (old, old_type), (new, new_type)
    old_records = sample(old, old_type, records, seed)
    new_records = sample(new, new_type, records, seed)
    out: dict[str, dict[str, Outcome]] = {}
    for fmt in formats:
        if fmt in _NO_POLICY:
            policies = [False]
        else:
            policies = [False, True] if drop_unknown is None else [drop_unknown]
        out[fmt] = {
            **_direction(fmt, BACKWARD, old_version, new_version, old_records, policies),
            **_direction(fmt, FORWARD, new_version, old_version, new_records, policies),
        }
    return out


#: A version: the schema and the record type (None: its root).
_Version = tuple[Schema, str | None]


def _direction(
    fmt: str,
    direction: str,
    writer: _Version,
    reader: _Version,
    records: Sequence[Record],
    policies: Sequence[bool],
) -> dict[str, Outcome]:
    """One direction in one format, under each unknown-field policy."""
    (w_schema, w_type), (r_schema, r_type) = writer, reader
    keys = [direction + (DROP_UNKNOWN if drop else "") for drop in policies]
    try:
        written = _write(codec_for(fmt, w_schema, w_type), fmt, records)
    except FmtbenchError as exc:  # the version cannot be written in this format at all
        failed = Outcome(0, 0, 0, 1, f"the writer version cannot be written as {fmt}: {exc}")
        return dict.fromkeys(keys, failed)
    w_msg, r_msg = w_schema.message(w_type), r_schema.message(r_type)
    differ = _Compare(w_schema, r_schema).root(w_msg, r_msg)
    out: dict[str, Outcome] = {}
    plain: Outcome | None = None
    for key, drop in zip(keys, policies, strict=True):
        if drop and plain is not None and plain.errors == 0:
            # Without the policy every unknown field is an error: a read that met none
            # reads the same with it, and is not read again.
            out[key] = plain
            continue
        try:
            codec = codec_for(fmt, r_schema, r_type, drop_unknown=drop)
        except FmtbenchError as exc:
            count = sum(1 for _, _, data in written if isinstance(data, bytes))
            problem = f"the reader version cannot read {fmt}: {exc}"
            out[key] = Outcome(count, 0, 0, count or 1, problem)
            continue
        out[key] = _read(codec, fmt, written, differ)
        plain = None if drop else out[key]
    return out


# -- writing and reading ---------------------------------------------------------------------
#: One written record: its index (1-based), the record, its bytes or why the writer refused.
_Written = tuple[int, Record, bytes | str]


def _write(codec: Codec, fmt: str, records: Sequence[Record]) -> list[_Written]:
    """Each record as one message (or, for ``_FILE_FORM``, one file) of the writer."""
    out: list[_Written] = []
    for i, record in enumerate(records, 1):
        try:
            data = codec.encode_many([record]) if fmt in _FILE_FORM else codec.encode(record)
        except FmtbenchError as exc:  # not the reader's doing: kept out of the counts
            out.append((i, record, f"record {i}: the writer version refused it: {exc}"))
            continue
        out.append((i, record, data))
    return out


def _read(
    codec: Codec,
    fmt: str,
    written: Iterable[_Written],
    differ: Callable[[Record, Record], str | None],
) -> Outcome:
    """Each written record read by the reader's codec and compared with what was written."""
    records = read = changed = errors = 0
    first: str | None = None
    refused: str | None = None
    for i, record, data in written:
        if isinstance(data, str):
            refused = refused or data
            continue
        records += 1
        try:
            if fmt in _FILE_FORM:
                got = codec.decode_many(data)
                if len(got) != 1:  # a file of one record must read as one
                    raise AssertionError(f"{fmt}: a file of one record read as {len(got)}")
                back = got[0]
            else:
                back = codec.decode(data)
        except FmtbenchError as exc:
            errors += 1
            if first is None:
                if isinstance(exc, RecordError) and fmt in _FILE_FORM:
                    exc.record = None  # the file's only record: ``i`` names it
                first = f"record {i}: {exc}"
            continue
        read += 1
        difference = differ(record, back)
        if difference is not None:
            changed += 1
            first = first or f"record {i}: {difference}"
    problem = first or refused
    return Outcome(records, read, changed, errors, None if problem is None else _brief(problem))


# -- the records -----------------------------------------------------------------------------
def sample(schema: Schema, type_name: str | None, n: int, seed: int) -> list[Record]:
    """``n`` seeded records of the type, with the hints that make the data probe changes."""
    from fmtbench.generate import RecordGenerator

    gen = RecordGenerator(schema, type_name, hints=probing_hints(schema), seed=seed)
    records = list(gen.records(n))
    # Every other record takes edge values too: zero values are where presence rules
    # differ (an implicit field does not write its zero), extremes where ranges do.
    edges = _Edges(schema, random.Random(f"{seed}/edges"))
    name = schema.message(type_name).name
    return [edges.message(name, r) if i % 2 else r for i, r in enumerate(records)]


def probing_hints(schema: Schema) -> dict[str, dict[str, Any]]:
    """Generation hints (docs/datasets.md) over every field: optional fields present half
    the time, integers uniform over their type's range, enum values equally likely."""
    hints: dict[str, dict[str, Any]] = {}
    for msg in schema.messages.values():
        for f in msg.fields:
            h: dict[str, Any] = {"presence": PRESENCE} if f.optional else {}
            t = f.type
            if isinstance(t, ListOf):
                if leaf := _leaf_hint(schema, t.item):
                    h["items"] = leaf
            elif isinstance(t, MapOf):
                if leaf := _leaf_hint(schema, t.value):
                    h["values"] = leaf
                if key := _leaf_hint(schema, t.key):
                    h["keys"] = key
            else:
                h.update(_leaf_hint(schema, t))
            if h:
                hints[f"{msg.name}.{f.name}"] = h
    return hints


def _leaf_hint(schema: Schema, t: FieldType) -> dict[str, Any]:
    if isinstance(t, Scalar) and t.kind in INT_RANGES:
        lo, hi = INT_RANGES[t.kind]
        return {"dist": "uniform", "range": [lo, hi]}
    if isinstance(t, EnumRef):
        return {"weights": dict.fromkeys(schema.enums[t.name].canonical_names, 1)}
    return {}


class _Edges:
    """A record with about half its leaves replaced by edge values of their types: zero
    values, the integers' extremes, -0.0, empty strings, lists and maps."""

    def __init__(self, schema: Schema, rng: random.Random) -> None:
        self.schema, self.rng = schema, rng

    def message(self, name: str, record: Record) -> Record:
        msg = self.schema.messages[name]
        out = dict(record)
        for f in msg.fields:
            if f.name in out:
                out[f.name] = self.field(f.type, out[f.name])
        return out

    def field(self, t: FieldType, value: Any) -> Any:
        if isinstance(t, ListOf):
            if self.rng.random() < EMPTY:
                return []
            return [self.leaf(t.item, v) for v in value]
        if isinstance(t, MapOf):
            if self.rng.random() < EMPTY:
                return {}
            return {k: self.leaf(t.value, v) for k, v in value.items()}
        return self.leaf(t, value)

    def leaf(self, t: FieldType, value: Any) -> Any:
        if isinstance(t, MessageRef):
            return self.message(t.name, value)
        choices = self.edges(t)
        if not choices or self.rng.random() < 0.5:
            return value
        return self.rng.choice(choices)

    def edges(self, t: FieldType) -> list[Any]:
        if isinstance(t, EnumRef):
            return [self.schema.enums[t.name].zero]
        if not isinstance(t, Scalar):
            return []
        if t.kind in INT_RANGES:
            lo, hi = INT_RANGES[t.kind]
            return [0, 1, lo, hi, *([-1] if lo < 0 else [])]
        if t.kind == "decimal":
            exact = Context(prec=t.precision + 2)  # the default 28 digits would round
            top = Decimal(10**t.precision - 1).scaleb(-t.scale, exact)
            return [Decimal(0).scaleb(-t.scale), top, top.copy_negate()]
        return list(_ZEROS.get(t.kind, ()))


#: Edge values by scalar kind (integers and decimals: by their range, in ``_Edges``).
_ZEROS: dict[str, tuple[Any, ...]] = {
    "bool": (False,),
    "float32": (0.0, -0.0),
    "float64": (0.0, -0.0),
    "string": ("",),
    "bytes": (b"",),
}
#: How often an edge record's list or map is emptied.
EMPTY = 0.25


# -- the comparison --------------------------------------------------------------------------
class _Compare:
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


def _brief(text: str, head: int = 200, tail: int = 250) -> str:
    """A problem line kept readable: fastavro's resolution errors quote both schemas whole
    and say where they differ only at the end, so the middle goes."""
    if len(text) <= head + tail + 20:
        return text
    return f"{text[:head]} [... {len(text) - head - tail} characters ...] {text[-tail:]}"


def _show(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
