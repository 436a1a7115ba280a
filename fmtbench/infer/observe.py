"""Observe sample records for ``schema infer``: what each position held, across the sample.

``Observer`` folds every value of every record into one ``Shape`` per position (a field of an
object type, or the items of a list): which kinds of value it held and in which record each
was first seen, integer ranges, whether every string was a timestamp, how often each key was
there. ``fold_recursion`` then gives a key path nested inside itself one shared node.
Choosing schema types from the shapes is ``infer_decide.py``'s job: nothing here decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import msgpack

from fmtbench.codecs.values.leaves import (
    FLOAT_WORDS,
    timestamp_from_parts,
    timestamp_from_text,
    timestamp_to_text,
)
from fmtbench.codecs.values.leaves import kind_of as describe
from fmtbench.errors import SchemaError, ValueMismatch

# What a value is, in the words an error shows the user.
BOOL, INT, FLOAT, STRING, BYTES, TIMESTAMP, LIST, OBJECT = (
    "bool",
    "integer",
    "float",
    "string",
    "bytes",
    "timestamp",
    "list",
    "object",
)
NULL = "null"  # tracked beside the kinds (first record only), never a kind itself

# orjson reads an integer beyond 64 bits as a float; an integral float this large may be one.
_BIG = 2**63
_FLOAT64_EXACT = 2**53


@dataclass(eq=False)
class Shape:
    """Everything seen at one position: one field of an object type, or a list's items."""

    values: int = 0  # non-null values
    nulls: int = 0
    first: dict[str, int] = field(default_factory=dict)  # kind (or NULL) -> first record
    int_min: int = 0
    int_max: int = 0
    inexact_int: int | None = None  # the first integer a float64 would round
    strings: int = 0
    timestamp_strings: int = 0  # strings the JSON codec reads and writes back as timestamps
    time_like_strings: int = 0  # strings spelled like a date and time, in any common way
    float_words: int = 0  # "NaN", "Infinity", "-Infinity": the JSON spelling of those floats
    items: Shape | None = None  # of every list seen here, merged
    obj: Obj | None = None  # of every object seen here, merged

    @property
    def kinds(self) -> list[str]:
        """Kinds seen, in order of first appearance (ties: order of observation)."""
        return sorted((k for k in self.first if k != NULL), key=self.first.__getitem__)

    def note_int(self, v: int) -> None:
        if INT not in self.first:
            self.int_min = self.int_max = v
        else:
            self.int_min = min(self.int_min, v)
            self.int_max = max(self.int_max, v)
        if self.inexact_int is None and abs(v) > _FLOAT64_EXACT and _float_of(v) != v:
            self.inexact_int = v


@dataclass(eq=False)
class Obj:
    """The objects seen at one position: how many, and a Shape per key in first-seen order."""

    count: int = 0
    fields: dict[Any, Shape] = field(default_factory=dict)
    # Set when folding found the same key path nested inside itself (a tree of "children"):
    # such a type refers to itself, so it is a message, never a map.
    recursive: bool = False


def _float_of(v: int) -> float:
    return float(v) if abs(v) < 2**1024 else float("inf")


# -- observing -----------------------------------------------------------------------------
class Observer:
    """Folds records into one Shape tree; ``saw_big_float`` asks the caller to re-read."""

    def __init__(self, text_leaves: bool) -> None:
        # Timestamps and float words arrive as text (JSON): strings may be either.
        self.text_leaves = text_leaves
        self.root = Shape()
        self.records = 0
        self.saw_big_float = False

    def record(self, tree: Any) -> None:
        self.records += 1
        if not isinstance(tree, dict):
            raise SchemaError(
                f"record {self.records} is {describe(tree)}, not an object: "
                "each record of the sample must be an object (a MessagePack map)"
            )
        self.value(tree, self.root)

    def value(self, v: Any, s: Shape) -> None:
        rec = self.records
        t = type(v)
        if v is None:
            s.nulls += 1
            s.first.setdefault(NULL, rec)
            return
        s.values += 1
        if t is bool:  # before int: bool is an int subclass
            kind = BOOL
        elif t is int:
            kind = INT
            s.note_int(v)
        elif t is float:
            kind = FLOAT
            if self.text_leaves and abs(v) >= _BIG and v.is_integer():
                self.saw_big_float = True
        elif t is str:
            kind = STRING
            s.strings += 1
            if self.text_leaves:
                # Only while every string so far was one: a single miss settles it.
                if s.timestamp_strings == s.strings - 1 and _canonical_timestamp(v):
                    s.timestamp_strings += 1
                if s.time_like_strings == s.strings - 1 and TIME_LIKE.match(v):
                    s.time_like_strings += 1
                if v in FLOAT_WORDS:
                    s.float_words += 1
        elif t is bytes:
            kind = BYTES
        elif t is msgpack.Timestamp:
            kind = TIMESTAMP
            try:
                timestamp_from_parts(v.seconds, v.nanoseconds)
            except ValueMismatch as exc:
                raise SchemaError(f"record {rec}: {exc.problem}") from None
        elif t is list:
            kind = LIST
            if s.items is None:
                s.items = Shape()
            for item in v:
                self.value(item, s.items)
        elif t is dict:
            kind = OBJECT
            if s.obj is None:
                s.obj = Obj()
            o = s.obj
            o.count += 1
            fields = o.fields
            for key, item in v.items():
                child = fields.get(key)
                if child is None:
                    child = fields[key] = Shape()
                self.value(item, child)
        elif t is msgpack.ExtType:
            raise SchemaError(
                f"record {rec}: MessagePack extension type {v.code} has no schema type "
                "(only the timestamp extension, type -1, has one)"
            )
        else:
            raise SchemaError(f"record {rec}: a {t.__name__} value has no schema type")
        if kind not in s.first:
            s.first[kind] = rec


#: A date and time as people and programs spell them: RFC 3339 and ISO 8601's extended form,
#: a fraction of any length, ``Z`` or an offset (``+02:00``, ``+0200``), ``T`` or a space.
TIME_LIKE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})?\Z"
)


def _canonical_timestamp(text: str) -> bool:
    """True when the JSON codec reads ``text`` as a timestamp and writes back the same text.

    Anything else (an offset other than Z, a shorter fraction, a lowercase t) would come back
    spelled differently, so such strings stay strings: inference must be lossless.
    """
    try:
        dt = timestamp_from_text(text)
    except ValueMismatch:
        return False
    return timestamp_to_text(dt) == text  # what the JSON codec writes


# -- merging and folding -------------------------------------------------------------------
def merge(a: Shape, b: Shape, _busy: set[tuple[int, int]] | None = None) -> None:
    """Fold ``b`` into ``a`` (``b`` must not be used afterwards)."""
    if INT in b.first:  # before ``first`` is merged: it says whether ``a`` has a range yet
        if INT in a.first:
            a.int_min, a.int_max = min(a.int_min, b.int_min), max(a.int_max, b.int_max)
        else:
            a.int_min, a.int_max = b.int_min, b.int_max
    if a.inexact_int is None:
        a.inexact_int = b.inexact_int
    a.values += b.values
    a.nulls += b.nulls
    for kind, rec in b.first.items():
        a.first[kind] = min(rec, a.first.get(kind, rec))
    # Timestamps only if every string of both was one: counts add up only then.
    a.timestamp_strings += b.timestamp_strings
    a.time_like_strings += b.time_like_strings
    a.strings += b.strings
    a.float_words += b.float_words
    if b.items is not None:
        if a.items is None:
            a.items = b.items
        else:
            merge(a.items, b.items, _busy)
    if b.obj is not None:
        if a.obj is None:
            a.obj = b.obj
        elif a.obj is not b.obj:
            merge_obj(a.obj, b.obj, _busy)


def merge_obj(a: Obj, b: Obj, _busy: set[tuple[int, int]] | None = None) -> None:
    busy = set() if _busy is None else _busy
    pair = (id(a), id(b))
    if pair in busy:  # recursive types meet themselves again
        return
    busy.add(pair)
    a.count += b.count
    a.recursive = a.recursive or b.recursive
    for key, shape in b.fields.items():
        if key in a.fields:
            merge(a.fields[key], shape, busy)
        else:
            a.fields[key] = shape


def fold_recursion(shape: Shape) -> None:
    """Give a key path nested inside itself one shared object node (one message type).

    A tree of ``children`` arrives as ``children[].children[].children[]...``: one position
    per depth, which would become one message per depth. Where an object's field leads,
    the same way (as an object, or as list items), to an object under the same key it was
    itself reached by, the deeper object is merged into it and the field points back to it.
    """
    if shape.obj is not None:
        _fold(shape.obj, None, set())
    if shape.items is not None:
        fold_recursion(shape.items)


def _steps(shape: Shape) -> Iterator[tuple[str, Obj]]:
    if shape.obj is not None:
        yield OBJECT, shape.obj
    if shape.items is not None and shape.items.obj is not None:
        yield LIST, shape.items.obj


def _set_step(shape: Shape, step: str, obj: Obj | None) -> None:
    if step == OBJECT:
        shape.obj = obj
    else:
        assert shape.items is not None
        shape.items.obj = obj


def _fold(obj: Obj, via: tuple[Any, str] | None, seen: set[int]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if via is not None:
        key, step = via
        link = obj.fields.get(key)
        inner = dict(_steps(link)).get(step) if link is not None else None
        if link is not None and inner is not None and inner is not obj:
            _absorb(obj, key, step, link, inner)
        elif link is not None and inner is None and _only_empty(link, step):
            # Nested the same way but always null (or an empty list) here: its own type is
            # the likeliest reading, and it reads the sample all the same.
            obj.recursive = True
            if link.items is None and step == LIST:
                link.items = Shape()
            _set_step(link, step, obj)
    for key, shape in list(obj.fields.items()):
        for step, child in list(_steps(shape)):
            if child is not obj:
                _fold(child, (key, step), seen)


def _only_empty(link: Shape, step: str) -> bool:
    if step == OBJECT:
        return link.values == 0
    return link.kinds == [LIST] and (
        link.items is None or link.items.values + link.items.nulls == 0
    )


def _absorb(top: Obj, key: Any, step: str, link: Shape, inner: Obj | None) -> None:
    """Merge the chain ``top.key -> inner.key -> ...`` into ``top``, level by level."""
    top.recursive = True
    _set_step(link, step, top)
    while inner is not None:
        top.count += inner.count
        nxt: Obj | None = None
        for k, shape in inner.fields.items():
            deeper = dict(_steps(shape)).get(step) if k == key else None
            if deeper is not None:
                _set_step(shape, step, None)  # detached: merged below as the next level
                merge(link, shape)
                nxt = deeper
            elif k in top.fields:
                merge(top.fields[k], shape)
            else:
                top.fields[k] = shape
        inner = nxt
