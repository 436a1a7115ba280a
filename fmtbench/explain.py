"""Why one format is bigger than another: what each field of one record costs in each format.

Every byte count is measured with the format's own codec, never modelled (docs/explain.md):

- **total**: ``len(codec.encode(record))``.
- **a field's bytes** ("alone"): the encoding of a message holding only that field, minus the
  encoding of the empty message. JSON, XML and MessagePack encode with a copy of the schema in
  which every field is optional, so that the others can be left out (a field is spelled the
  same either way; this is checked on every record). Protobuf clears every other field on the
  message the codec built: proto3 writes nothing for a cleared field.
- **residual**: a message's encoding minus its empty encoding minus its fields' bytes. It holds
  only what exists because fields share a message (JSON's commas, a MessagePack map header past
  15 keys) and is assigned to the message's own overhead: the ``envelope`` for the record,
  the row's overhead for a nested message. So the fields plus the envelope are the total exactly.
- **marginal**: the size of the message holding the field minus its size with that one value
  unset (its zero value, or absent when optional): what leaving it unset saves. Reported,
  never summed.
- **payload** of a value: the bytes that spell the value itself, read from what the codec
  wrote: Protobuf and MessagePack bytes are walked and tags, lengths and type headers counted
  as overhead; JSON text is the value's JSON spelling without quotes; XML text is the writer's
  own lexical form. Overhead is the rest: names, tags, lengths, quotes, separators, brackets.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from fmtbench.codecs import Codec, Record, codec_for
from fmtbench.codecs.format import ExplainRules
from fmtbench.codecs.registry import REGISTRY
from fmtbench.errors import EncodeError, RecordError, UsageError
from fmtbench.schema.model import (
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
)
from fmtbench.schema.values import zero_factory
from fmtbench.text import did_you_mean


def default_formats() -> tuple[str, ...]:
    """Every format with explain rules, but those that write each record as another one
    does (jsonl as json): their fields cost the same."""
    return tuple(
        name
        for name, f in REGISTRY.items()
        if f.explain is not None and (f.messages_as is None or f.messages_as not in REGISTRY)
    )


# Layout of ``Explanation.to_dict()``; bump on any change a reader could notice.
# 1: first layout (totals, envelope, fields in pre-order with per-format costs and notes).
EXPLAIN_VERSION = 1


@dataclass(frozen=True)
class Cost:
    """Bytes one field (or the envelope) costs in one format."""

    total: int = 0  # the field alone, nested fields included
    overhead: int = 0  # of those, names, tags, lengths, quotes, separators, brackets
    marginal: int = 0  # what unsetting it would save (not additive)

    @property
    def payload(self) -> int:
        return self.total - self.overhead

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.total + other.total,
            self.overhead + other.overhead,
            self.marginal + other.marginal,
        )


@dataclass(frozen=True)
class Note:
    """Why a kind of value differs between formats, with its measured payload a value."""

    kind: str  # a key of KINDS: bytes, timestamp, duration, float64, float32, int, enum
    text: str
    payload: Mapping[str, float]  # bytes a value (the average over a list, map or elements)


@dataclass(frozen=True)
class FieldCost:
    """One field path; under a list or map, summed over its elements."""

    path: str  # media.uri, images[].uri, labels{}.value
    field: Field
    depth: int
    occurrences: int  # values measured: 1, or one per element of the enclosing lists and maps
    present: int  # of those, how many were set (an absent optional is not)
    elements: int  # list or map: elements over all occurrences; 0 otherwise
    costs: Mapping[str, Cost]
    children: tuple[FieldCost, ...] = ()
    notes: tuple[Note, ...] = ()

    def merged(self, other: FieldCost) -> FieldCost:
        return dataclasses.replace(
            self,
            occurrences=self.occurrences + other.occurrences,
            present=self.present + other.present,
            elements=self.elements + other.elements,
            costs={fmt: c + other.costs[fmt] for fmt, c in self.costs.items()},
            children=_merge(self.children, other.children),
        )


@dataclass(frozen=True)
class Explanation:
    """One record's bytes, field by field, in each format; ``to_dict`` is the JSON form."""

    schema: str
    type_name: str
    source: str
    formats: tuple[str, ...]
    totals: Mapping[str, int]
    envelope: Mapping[str, Cost]
    fields: tuple[FieldCost, ...]

    def rows(self) -> Iterator[FieldCost]:
        """Every field path, parents before their children."""

        def walk(nodes: tuple[FieldCost, ...]) -> Iterator[FieldCost]:
            for node in nodes:
                yield node
                yield from walk(node.children)

        return walk(self.fields)

    def to_dict(self) -> dict[str, Any]:
        def cost(c: Cost) -> dict[str, int]:
            return {
                "total": c.total,
                "overhead": c.overhead,
                "payload": c.payload,
                "marginal": c.marginal,
            }

        return {
            "version": EXPLAIN_VERSION,
            "schema": self.schema,
            "type": self.type_name,
            "source": self.source,
            "formats": list(self.formats),
            "totals": dict(self.totals),
            "envelope": {fmt: cost(c) for fmt, c in self.envelope.items()},
            "fields": [
                {
                    "path": r.path,
                    "type": type_text(r.field),
                    "depth": r.depth,
                    "occurrences": r.occurrences,
                    "present": r.present,
                    "elements": r.elements if isinstance(r.field.type, ListOf | MapOf) else None,
                    "costs": {fmt: cost(c) for fmt, c in r.costs.items()},
                    "notes": [
                        {"kind": n.kind, "text": n.text, "payload_per_value": dict(n.payload)}
                        for n in r.notes
                    ],
                }
                for r in self.rows()
            ],
        }


def explain(
    schema: Schema,
    record: Record,
    *,
    type_name: str | None = None,
    formats: tuple[str, ...] | None = None,
    source: str = "",
) -> Explanation:
    """Measure what each field of ``record`` costs in each of ``formats`` (default:
    ``default_formats()``)."""
    root = schema.message(type_name).name
    if formats is None:
        formats = default_formats()
    for fmt in formats:
        if fmt not in REGISTRY:
            hint = did_you_mean(fmt, REGISTRY)
            raise UsageError(f"unknown format {fmt!r}; choose from: {', '.join(REGISTRY)}{hint}")
    relaxed = _relaxed(schema)
    sides = {fmt: _Side(fmt, schema, relaxed) for fmt in formats}
    totals = {}
    for fmt, side in sides.items():
        try:
            totals[fmt] = side.size(root, record)
        except EncodeError as exc:
            raise EncodeError(
                f"{fmt} cannot hold this record: {exc.problem}", path=exc.path
            ) from None
        side.check(root, record)
    fields = _Walk(schema, sides).message(root, record, "", 0)
    fields = tuple(_with_notes(n, formats) for n in fields)
    envelope = {}
    for fmt in formats:
        rest = totals[fmt] - sum(f.costs[fmt].total for f in fields)
        envelope[fmt] = Cost(rest, rest)
    return Explanation(schema.name, root, source, formats, totals, envelope, fields)


# -- picking the record ------------------------------------------------------------------
@dataclass(frozen=True)
class Subject:
    schema: Schema
    type_name: str
    record: Record
    source: str  # "media dataset (seed 1), record 1" or "orders.json, record 2"


def dataset_record(name: str, index: int = 1, type_name: str | None = None) -> Subject:
    """The ``index``-th record (1-based) a dataset generates with its own seed."""
    from fmtbench.generate import load_dataset

    _check_index(index)
    ds = load_dataset(name)
    gen = ds.generator(None, type_name)
    record = next(islice(gen.records(index), index - 1, None))
    source = f"{ds.name} dataset (seed {gen.seed}), record {index}"
    return Subject(ds.schema, gen.type_name, record, source)


def file_record(
    path: str,
    schema: Schema,
    *,
    type_name: str | None = None,
    index: int = 1,
    from_format: str | None = None,
) -> Subject:
    """The ``index``-th record (1-based) of a file of records."""
    from fmtbench.compress import compression, decompressing
    from fmtbench.convert import resolve_format
    from fmtbench.files import STDIO, open_input

    _check_index(index)
    codec = codec_for(resolve_format(path, from_format, "--from"), schema, type_name)
    label = "<stdin>" if path == STDIO else path
    try:
        with (
            open_input(path) as packed,
            decompressing(packed, compression(path), label) as src,
        ):
            reader = codec.reader(src)
            record = next(islice(reader, index - 1, None), None)
            seen = reader.count
    except RecordError as exc:
        raise exc.located(file=label) from None
    if record is None:
        held = f"{seen} record{'' if seen == 1 else 's'}"
        raise RecordError(f"--record {index} is past the end: the file holds {held}", file=label)
    return Subject(schema, codec.message.name, record, f"{label}, record {index}")


def _check_index(index: int) -> None:
    if index < 1:
        raise UsageError(f"--record counts from 1, got {index}")


# -- one format's measurements -------------------------------------------------------------
class _Side:
    """How one format measures, by its explain rules: the whole, each field alone, and a
    value's payload. A format without rules shows all its bytes as overhead."""

    def __init__(self, fmt: str, schema: Schema, relaxed: Schema) -> None:
        self.fmt, self.schema, self.relaxed = fmt, schema, relaxed
        self.rules: ExplainRules | None = REGISTRY.get_format(fmt).explain_rules()
        self._codecs: dict[str, Codec] = {}
        self._loose: dict[str, Codec] = {}
        self._empty: dict[str, int] = {}

    def codec(self, type_name: str) -> Codec:
        if type_name not in self._codecs:
            self._codecs[type_name] = codec_for(self.fmt, self.schema, type_name)
        return self._codecs[type_name]

    def loose(self, type_name: str) -> Codec:
        """The codec of the all-optional schema: any field can be left out."""
        if type_name not in self._loose:
            self._loose[type_name] = codec_for(self.fmt, self.relaxed, type_name)
        return self._loose[type_name]

    def size(self, type_name: str, value: Record) -> int:
        return len(self.codec(type_name).encode(value))

    def check(self, type_name: str, record: Record) -> None:
        """Raise if the way fields are left out changes the encoding of the others."""
        if self.rules is not None and self.rules.fields_alone is not None:
            return  # the format's own way: nothing else is encoded
        if self.loose(type_name).encode(record) != self.codec(type_name).encode(record):
            raise AssertionError(f"{self.fmt}: an optional field is spelled differently")

    def alone(self, type_name: str, value: Record) -> tuple[int, dict[str, bytes]]:
        """The empty message's size, and each set field's message holding only it."""
        if self.rules is not None and self.rules.fields_alone is not None:
            return self.rules.fields_alone(self.codec(type_name), value)
        codec = self.loose(type_name)
        if type_name not in self._empty:
            self._empty[type_name] = len(codec.encode({}))
        out = {name: codec.encode({name: v}) for name, v in value.items()}
        return self._empty[type_name], out

    def payload(self, f: Field, value: Any, alone: bytes) -> int:
        """The value bytes of a field (of a map of messages: its keys' bytes)."""
        return 0 if self.rules is None else self.rules.payload(f, value, alone)


def _relaxed(schema: Schema) -> Schema:
    """The schema with every field optional: a tree format can then leave any of them out."""
    messages = {
        name: dataclasses.replace(
            m,
            fields=tuple(dataclasses.replace(f, optional=True, required=False) for f in m.fields),
        )
        for name, m in schema.messages.items()
    }
    return dataclasses.replace(schema, messages=messages)


def type_text(f: Field) -> str:
    """A field's type as rows show it: ``int64 (oneof value)`` for a union's member,
    ``(wrapper)`` for a Protobuf wrapper, ``(default X)`` as protoc spells a default."""
    from fmtbench.schema.defaults import shown_default

    text = str(f) if f.oneof is None else f"{f} (oneof {f.oneof})"
    if f.wrapper:
        text += " (wrapper)"
    if f.default is not None:
        text += f" (default {shown_default(f.type, f.default)})"
    return text


# -- walking the record --------------------------------------------------------------------
@dataclass
class _Walk:
    schema: Schema
    sides: Mapping[str, _Side]

    def message(
        self, type_name: str, value: Record, prefix: str, depth: int
    ) -> tuple[FieldCost, ...]:
        """Every field of one message value, in schema order, set or not."""
        measured = {fmt: side.alone(type_name, value) for fmt, side in self.sides.items()}
        # Marginal costs are measured within this message, not the whole record: linear in
        # the record's size (a whole-record encode per value is quadratic: minutes on a mesh).
        sizes = {fmt: side.size(type_name, value) for fmt, side in self.sides.items()}
        nodes = []
        for f in self.schema.messages[type_name].fields:
            path = prefix + f.name
            if f.name not in value:
                zero = {fmt: Cost() for fmt in self.sides}
                nodes.append(FieldCost(path, f, depth, 1, 0, 0, zero))
                continue
            v = value[f.name]
            children = self._children(f, v, path, depth)
            unset = self._unset(value, f)
            costs = {}
            for fmt, side in self.sides.items():
                empty, alone = measured[fmt]
                total = len(alone[f.name]) - empty
                payload = side.payload(f, v, alone[f.name]) if _has_payload(f.type) else 0
                # Its own framing and separators, plus the overhead inside its fields.
                inner = sum(c.costs[fmt].total for c in children)
                own = total - inner - payload
                below = sum(c.costs[fmt].overhead for c in children)
                saved = sizes[fmt] - side.size(type_name, unset)
                costs[fmt] = Cost(total, own + below, saved)
            elements = len(v) if isinstance(f.type, ListOf | MapOf) else 0
            nodes.append(FieldCost(path, f, depth, 1, 1, elements, costs, children))
        return tuple(nodes)

    def _children(self, f: Field, v: Any, path: str, depth: int) -> tuple[FieldCost, ...]:
        t = f.type
        if isinstance(t, MessageRef):
            return self.message(t.name, v, f"{path}.", depth + 1)
        item = t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else None
        if not isinstance(item, MessageRef):
            return ()
        # Elements are summed path by path: images[].uri is every image's uri.
        mark = "[]" if isinstance(t, ListOf) else "{}"
        out: tuple[FieldCost, ...] = ()
        for element in v if isinstance(t, ListOf) else v.values():
            out = _merge(out, self.message(item.name, element, f"{path}{mark}.", depth + 1))
        return out

    def _unset(self, value: Record, f: Field) -> Record:
        if f.optional:
            return {k: v for k, v in value.items() if k != f.name}
        return {**value, f.name: zero_factory(self.schema, f.type)()}


def _has_payload(t: FieldType) -> bool:
    """Whether a field has value bytes of its own (a message's are its fields')."""
    return not isinstance(t, MessageRef) and not (
        isinstance(t, ListOf) and isinstance(t.item, MessageRef)
    )


def _merge(a: tuple[FieldCost, ...], b: tuple[FieldCost, ...]) -> tuple[FieldCost, ...]:
    """Sum two walks of the same message type (every walk lists every field, in order)."""
    if not a or not b:
        return a or b
    return tuple(x.merged(y) for x, y in zip(a, b, strict=True))


# -- notes -----------------------------------------------------------------------------------
#: The kinds of value whose spelling differs between formats (each format's explain rules
#: say how it spells them).
KINDS = ("bytes", "timestamp", "duration", "float64", "float32", "int", "enum")


@functools.cache
def note_text(kind: str, formats: tuple[str, ...]) -> str:
    """How ``formats`` spell a kind of value: "raw in Protobuf and MessagePack; base64 (...)
    in JSON and XML". Formats that spell it alike are named together, in order."""
    groups: dict[str, list[str]] = {}
    for fmt in formats:
        entry = REGISTRY[fmt]
        rules = entry.explain_rules()
        spelling = rules.notes.get(kind) if rules is not None else None
        groups.setdefault(spelling or "not described", []).append(entry.title)
    return "; ".join(f"{spelling} in {_and(titles)}" for spelling, titles in groups.items())


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _with_notes(node: FieldCost, formats: tuple[str, ...]) -> FieldCost:
    """Attach the note of the field's value kind, with its measured payload a value."""
    children = tuple(_with_notes(c, formats) for c in node.children)
    t = node.field.type
    item = t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else t
    count = node.elements if isinstance(t, ListOf | MapOf) else node.present
    kind: str = (
        item.kind if isinstance(item, Scalar) else "enum" if isinstance(item, EnumRef) else ""
    )
    if kind.startswith(("int", "uint")):
        kind = "int"
    notes: tuple[Note, ...] = ()
    if kind in KINDS and count:
        each = {fmt: node.costs[fmt].payload / count for fmt in formats}
        notes = (Note(kind, note_text(kind, formats), each),)
    return dataclasses.replace(node, children=children, notes=notes)
