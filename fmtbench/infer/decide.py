"""Decide schema types from observed shapes, for ``schema infer``.

One rule per situation, each chosen so that the sample reads back losslessly; where no type
would, ``Decider.fail`` stops with the key path, the records and a fix. The decisions are made
into plans (``infer_render.py``) before any message is named, because an object tried as a
map may become a message after all. docs/schema.md, "Inferring a schema", lists the rules.
"""

from __future__ import annotations

import copy
import re
from typing import Any, NoReturn

from fmtbench.errors import SchemaError
from fmtbench.infer.observe import (
    BOOL,
    BYTES,
    FLOAT,
    INT,
    LIST,
    NULL,
    OBJECT,
    STRING,
    TIMESTAMP,
    Obj,
    Shape,
    merge,
)
from fmtbench.infer.render import FieldPlan, MsgPlan, TypePlan, camel, singular
from fmtbench.schema.loader import IDENTIFIER
from fmtbench.schema.model import INT_RANGES
from fmtbench.schema.names import json_name

# When an object whose keys are all identifiers is read as map<string, V> instead of a
# message (and only if its values agree on one type): when the same position held at least
# MAP_VARYING_MIN_KEYS distinct keys across two or more objects and an object held, on
# average, at most MAP_VARYING_MAX_SHARE of them (keys vary from record to record, like
# user ids), or when it held MAP_MANY_KEYS distinct keys or more (too many for a record).
MAP_VARYING_MIN_KEYS = 8
MAP_VARYING_MAX_SHARE = 0.5
MAP_MANY_KEYS = 32

_INT_KEY = re.compile(r"-?[0-9]+\Z")
# Keys that read as data, not names: an id, a hash, a date, a number, an email, a path...
_NAME_CHARS = re.compile(r"[A-Za-z0-9_-]+\Z")
_NO_LETTERS = re.compile(r"[^A-Za-z]*[0-9][^A-Za-z]*\Z")
_UUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\Z")
_HEX_ID = re.compile(r"(?=[a-f]*[0-9])[0-9a-f]{8,}\Z")

_STRING = TypePlan(scalar="string")
_ALWAYS_NULL = "always null in the sample: the type is a guess"
_EMPTY_LIST = "always empty in the sample: the item type is a guess"
_ALWAYS_NULL_OWN = "always null in the sample: assumed to nest like its parent"
_EMPTY_LIST_OWN = "always empty in the sample: assumed to nest like its parent"
_EMPTY_MAP = "always empty in the sample: key and value types are a guess"
_EMPTY_MESSAGE = "always empty in the sample"
_SOMETIMES_MISSING = "sometimes missing: read as empty"


Path = tuple[Any, ...]  # keys, with "[]" for list items and "[*]" for map values


def _where(path: Path) -> str:
    out = ""
    for seg in path:
        out += seg if seg in ("[]", "[*]") else (f".{seg}" if out else str(seg))
    return out


def _first(shape: Shape) -> int:
    return min(shape.first.values())


def _data_like(key: str) -> bool:
    return (
        not _NAME_CHARS.match(key)  # "", spaces, dots, @, /, :, non-ASCII...
        or bool(_NO_LETTERS.match(key) or _UUID.match(key) or _HEX_ID.match(key))
    )


class _Refusal(SchemaError):
    """No schema type reads this position losslessly; ``where`` and ``problem`` as parts."""

    def __init__(self, message: str, where: str, problem: str) -> None:
        super().__init__(message)
        self.where, self.problem = where, problem


class Decider:
    """Turns observed shapes into type plans; errors name the key path and the record."""

    def __init__(self, text_leaves: bool, label: str) -> None:
        self.text_leaves = text_leaves  # strings may be timestamps or float words
        self.label = label  # the file name (or "JSON input"): every error starts with it
        self.plans: dict[int, MsgPlan] = {}

    def fail(self, path: Path, problem: str, fix: str | None = None) -> NoReturn:
        where = _where(path)
        head = f"{self.label}: {where}" if where else self.label
        raise _Refusal(f"{head}: {problem}" + (f"; {fix}" if fix else ""), where, problem)

    # -- messages ----------------------------------------------------------------------
    def message(self, obj: Obj, path: Path, hint: str, parent: MsgPlan | None) -> MsgPlan:
        plan = self.plans.get(id(obj))
        if plan is not None:  # one message per key path, including a path that recurses
            return plan
        plan = self.plans[id(obj)] = MsgPlan(obj, hint, parent)
        if not obj.fields:
            plan.note = _EMPTY_MESSAGE
        camels: dict[str, str] = {}
        for key, shape in obj.fields.items():
            if type(key) is not str or not IDENTIFIER.match(key):
                at = f"in {_where(path)}" if path else "at the top level"
                self.fail(
                    (),
                    f"key {key!r} {at} (first in record {_first(shape)}) is not a valid field "
                    "name (letters, digits and underscores, not starting with a digit)",
                    "no schema field can be named so: rename the key in the data",
                )
            # Protobuf's JSON names would confuse "foo_bar" and "fooBar" (the loader's rule).
            low = json_name(key)
            if low in camels:
                self.fail(
                    path,
                    f"keys {camels[low]!r} and {key!r} have the same camelCase spelling, which "
                    "Protobuf's JSON names cannot tell apart",
                    "rename one of them in the data",
                )
            camels[low] = key
            plan.fields.append(self.field(obj, key, shape, (*path, key), plan))
        return plan

    def field(self, obj: Obj, key: str, shape: Shape, path: Path, parent: MsgPlan) -> FieldPlan:
        if shape.values == 0:
            if shape.obj is not None:  # a recursive field, only ever null: see fold_recursion
                own = TypePlan(msg=self.message(shape.obj, path, camel(key), parent))
                return FieldPlan(key, own, True, _ALWAYS_NULL_OWN)
            return FieldPlan(key, _STRING, True, _ALWAYS_NULL)
        ftype, note = self.type_of(shape, path, camel(key), parent, "field")
        optional = shape.values < obj.count  # missing or null somewhere
        if ftype.is_container:
            what = "map" if ftype.key else "list"
            if shape.nulls:
                self.fail(
                    path,
                    f"null in record {shape.first[NULL]}, but a {what} cannot be optional "
                    "(an empty one already means none)",
                    f"write an empty {what} or leave the key out",
                )
            if optional:  # absent reads as empty; writers then write it, empty
                optional = False
                note = f"{note}; {_SOMETIMES_MISSING}" if note else _SOMETIMES_MISSING
        return FieldPlan(key, ftype, optional, note)

    # -- one position --------------------------------------------------------------------
    def type_of(
        self, shape: Shape, path: Path, hint: str, parent: MsgPlan, position: str
    ) -> tuple[TypePlan, str | None]:
        kinds = shape.kinds
        numeric = INT in kinds or FLOAT in kinds
        if self.text_leaves and numeric and STRING in kinds and shape.float_words == shape.strings:
            # "NaN", "Infinity", "-Infinity" are how JSON spells those floats (formats.md).
            kinds = [k for k in kinds if k not in (STRING, FLOAT)] + [FLOAT]
        if set(kinds) == {INT, FLOAT}:
            if shape.inexact_int is not None:
                self.fail(
                    path,
                    f"integers and floats are mixed, and float64 cannot hold the integer "
                    f"{shape.inexact_int} exactly",
                    "make the values all integers or all floats",
                )
            kinds = [FLOAT]
        if len(kinds) > 1:
            a, b = kinds[:2]
            self.fail(
                path,
                f"conflicting types: {a} in record {shape.first[a]}, {b} in record "
                f"{shape.first[b]}",
                "a field has one type: make the data agree, or write the schema by hand",
            )
        kind = kinds[0]
        if kind in (BOOL, BYTES, TIMESTAMP):
            return TypePlan(scalar=kind), None
        if kind == INT:
            return TypePlan(scalar=self.int_kind(shape.int_min, shape.int_max, path)), None
        if kind == FLOAT:
            return TypePlan(scalar="float64"), None
        if kind == STRING:
            # Strings become timestamps only when every one reads and writes back unchanged.
            ts = self.text_leaves and shape.timestamp_strings == shape.strings
            if not ts and self.text_leaves and shape.time_like_strings == shape.strings > 0:
                # Times spelled otherwise (an offset, a short fraction, a space for T) would
                # come back in fmtbench's spelling: kept as text, and said so.
                return TypePlan(scalar="string"), (
                    "looked like a time: kept as string, as a timestamp would be rewritten in"
                    " UTC with Z; use timestamp if the spelling need not survive"
                )
            return TypePlan(scalar=TIMESTAMP if ts else "string"), None
        if kind == LIST:
            return self.list_type(shape, path, hint, parent, position)
        assert kind == OBJECT
        assert shape.obj is not None
        return self.object_type(shape.obj, path, hint, parent, position)

    def int_kind(self, lo: int, hi: int, path: Path) -> str:
        for kind in ("int32", "int64", "uint64"):  # uint64 only for values beyond int64
            low, high = INT_RANGES[kind]
            if low <= lo and hi <= high:
                return kind
        if lo < INT_RANGES["int64"][0] or hi > INT_RANGES["uint64"][1]:
            big = lo if lo < INT_RANGES["int64"][0] else hi
            self.fail(
                path,
                f"the integer {big} needs more than 64 bits: no schema integer type holds it",
                "write it as a string in the data",
            )
        self.fail(path, f"integers range from {lo} to {hi}: no 64-bit integer type holds both")

    def list_type(
        self, shape: Shape, path: Path, hint: str, parent: MsgPlan, position: str
    ) -> tuple[TypePlan, str | None]:
        if position != "field":
            self.fail(
                path,
                f"a list inside a {'list' if position == 'item' else 'map'} cannot be expressed "
                "(Protobuf has no nested repeated fields)",
                "wrap the inner list in an object",
            )
        items = shape.items
        if items is None or items.values + items.nulls == 0:
            if items is not None and items.obj is not None:  # recursive: see fold_recursion
                own = TypePlan(msg=self.message(items.obj, path, singular(hint), parent))
                return TypePlan(item=own), _EMPTY_LIST_OWN
            return TypePlan(item=_STRING), _EMPTY_LIST
        ipath = (*path, "[]")
        if items.nulls:
            self.fail(ipath, f"null list item in record {items.first[NULL]}", "remove it")
        item, _ = self.type_of(items, ipath, singular(hint), parent, "item")
        return TypePlan(item=item), None

    def object_type(
        self, obj: Obj, path: Path, hint: str, parent: MsgPlan, position: str
    ) -> tuple[TypePlan, str | None]:
        keys = list(obj.fields)
        if not keys and position == "field":
            return TypePlan(key="string", item=_STRING), _EMPTY_MAP
        if any(type(k) is not str for k in keys):  # MessagePack: a map with typed keys
            if position != "field":
                self.fail(
                    path,
                    f"a map inside a {'list' if position == 'item' else 'map'} cannot be expressed",
                    "wrap the inner map in an object",
                )
            key = self.map_key_kind(keys, path)
            return TypePlan(key=key, item=self.map_value(obj, path, hint, parent)), None
        reason = None if position != "field" or obj.recursive else _map_reason(obj, keys)
        if reason is not None:
            try:
                # On a copy: if the values disagree, the object becomes a message after all.
                value = self.map_value(copy.deepcopy(obj), path, hint, parent)
            except _Refusal as exc:
                bad = next((k for k in keys if not IDENTIFIER.match(k)), None)
                if bad is not None:  # neither a message nor a map: say why for both
                    self.fail(
                        path,
                        f"key {bad!r} (first in record {_first(obj.fields[bad])}) is not a valid "
                        f"field name, and as a map ({reason}) its values have no one type "
                        f"({exc.where}: {exc.problem})",
                        "rename the key, or make the values agree",
                    )
            else:
                return TypePlan(key="string", item=value), f"a map: {reason}"
        return TypePlan(msg=self.message(obj, path, hint, parent)), None

    def map_key_kind(self, keys: list[Any], path: Path) -> str:
        if all(type(k) is bool for k in keys):
            return BOOL
        if all(type(k) is int for k in keys):
            return self.int_kind(min(keys), max(keys), path)
        kinds = sorted({type(k).__name__ for k in keys})
        self.fail(
            path,
            f"map keys of types {', '.join(kinds)}: a map has one key type",
            "use string, bool or integer keys throughout",
        )

    def map_value(self, obj: Obj, path: Path, hint: str, parent: MsgPlan) -> TypePlan:
        merged = Shape()
        for shape in obj.fields.values():
            merge(merged, shape)
        vpath = (*path, "[*]")
        if merged.nulls:
            self.fail(vpath, f"null map value in record {merged.first[NULL]}", "remove it")
        value, _ = self.type_of(merged, vpath, singular(hint), parent, "value")
        return value


def _map_reason(obj: Obj, keys: list[str]) -> str | None:
    """Why an object with string keys looks like a map, or None when it looks like a record."""
    if all(_INT_KEY.match(k) for k in keys):
        return "numeric keys"
    if all(_data_like(k) for k in keys):
        return "keys look like data, not names"
    if any(not IDENTIFIER.match(k) for k in keys):
        # A message cannot hold them at all; a map keeps them losslessly.
        return "some keys cannot be field names"
    if len(keys) >= MAP_MANY_KEYS:
        return f"{len(keys)} distinct keys"
    held = sum(s.values + s.nulls for s in obj.fields.values())
    if (
        obj.count >= 2
        and len(keys) >= MAP_VARYING_MIN_KEYS
        and held <= obj.count * len(keys) * MAP_VARYING_MAX_SHARE
    ):
        return "keys vary from record to record"
    return None
