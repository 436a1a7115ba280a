"""The change list between two versions of a schema: what ``schema diff`` judges.

Messages are walked from the two root types and paired by name (the roots, and the types a
paired field refers to, pair even when renamed: "message renamed"). Within a pair, fields
pair by name first, then by tag: a same-tag-new-name field is "renamed", a same-name-new-tag
one "retagged". Each change keeps the model objects it compares (``before``/``after``),
which the format rules read; only ``kind``, ``path``, ``old``, ``new`` and ``detail`` are
shown.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fmtbench.schema.model import (
    INT_RANGES,
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

#: Every kind of change, and what it means (docs/evolution.md has one row a kind).
KINDS: dict[str, str] = {
    "message_added": "a message type is reachable from the root that was not",
    "message_removed": "a message type is no longer reachable from the root",
    "message_renamed": "a message type has a new name (the root, or a field's type)",
    "enum_added": "an enum is reachable from the root that was not",
    "enum_removed": "an enum is no longer reachable from the root",
    "enum_renamed": "an enum has a new name (a field's type)",
    "field_added": "a field is new",
    "field_removed": "a field is gone",
    "field_renamed": "a field has the same tag and a new name",
    "field_retagged": "a field has the same name and a new tag",
    "type_changed": "a field's type changed (detail: widening, narrowing, sign, wire, text,"
    " precision, wrapper, incompatible)",
    "scalar_to_list": "a single value became a list",
    "list_to_scalar": "a list became a single value",
    "map_key_changed": "a map's key type changed",
    "map_value_changed": "a map's value type changed",
    "decimal_changed": "a decimal's precision or scale changed",
    "field_made_optional": "a field has less presence: required -> plain -> optional",
    "field_made_required": "a field has more presence: optional -> plain -> required",
    "oneof_member_added": "a new field is a member of a oneof",
    "oneof_member_removed": "a field that was a member of a oneof is gone",
    "field_moved_into_oneof": "a field became a member of a oneof",
    "field_moved_out_of_oneof": "a oneof member became a plain field",
    "enum_value_added": "an enum has a new value",
    "enum_value_removed": "an enum value is gone",
    "enum_value_renumbered": "an enum value has the same name and a new number",
    "enum_value_renamed": "an enum value has the same number and a new name",
    "default_changed": "a field's proto2 default changed",
    "reserved_added": "a message or enum reserves more numbers or names",
    "reserved_removed": "a message or enum reserves fewer numbers or names",
    "packed_changed": "a list's Protobuf packing changed",
    "xml_attribute_changed": "a field moved between XML attribute and element",
}

#: The presence levels of a field, least first.
PRESENCE = ("optional", "plain", "required")


@dataclass(frozen=True)
class Change:
    """One difference between the two versions."""

    kind: str
    #: Where: ``Order.items.sku`` (a message, field or enum value; ``[]`` an item, ``{}`` a
    #: map value).
    path: str
    old: str = ""
    new: str = ""
    #: The kind's refinement: widening, narrowing, sign, wire, ... (type changes).
    detail: str = ""
    #: The model objects compared (Field, Enum, Message, a type, an enum value's number):
    #: what the format rules read. Not shown, not compared.
    before: Any = field(default=None, compare=False, repr=False)
    after: Any = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, str]:
        out = {"kind": self.kind, "path": self.path, "old": self.old, "new": self.new}
        if self.detail:
            out["detail"] = self.detail
        return out


def _unreserved(f: Field, new: Message) -> str:
    """What of a removed field the new version leaves free for a later field to reuse:
    Protobuf's guide (and buf's FIELD_NO_DELETE_UNLESS_*_RESERVED) asks to reserve both,
    since a reused tag or JSON name misreads old data."""
    free = []
    if not any(lo <= f.tag <= hi for lo, hi in new.reserved_numbers):
        free.append(f"tag {f.tag}")
    if f.name not in new.reserved_names:
        free.append(f"name {f.name!r}")
    return f"reserve {' and '.join(free)}" if free else ""


def presence(f: Field) -> str:
    """A field's presence level: optional (absent is distinct), plain (absent is its zero
    value) or required (absent is an error)."""
    return "optional" if f.optional else "required" if f.required else "plain"


def diff(old: Schema, new: Schema, old_type: str | None, new_type: str | None) -> list[Change]:
    """Every change from ``old``'s ``old_type`` (default: its root) to ``new``'s."""
    return _Walk(old, new).run(old.message(old_type), new.message(new_type))


class _Walk:
    def __init__(self, old: Schema, new: Schema) -> None:
        self.old, self.new = old, new
        self.out: list[Change] = []
        self.pairs: deque[tuple[Message, Message]] = deque()
        self.seen: set[tuple[str, str]] = set()
        self.enum_pairs: dict[tuple[str, str], None] = {}

    def run(self, old_root: Message, new_root: Message) -> list[Change]:
        self._pair(old_root.name, new_root.name, old_root.name)
        while self.pairs:
            self._message(*self.pairs.popleft())
        for a, b in self.enum_pairs:
            self._enum(a, b)
        old_msgs = _reachable(self.old, old_root.name)
        new_msgs = _reachable(self.new, new_root.name)
        paired_old = {a for a, _ in self.seen}
        paired_new = {b for _, b in self.seen}
        for name in sorted(old_msgs[0] - paired_old):
            self.out.append(Change("message_removed", name, old=name))
        for name in sorted(new_msgs[0] - paired_new):
            self.out.append(Change("message_added", name, new=name))
        for name in sorted(old_msgs[1] - {a for a, _ in self.enum_pairs}):
            self.out.append(Change("enum_removed", name, old=name))
        for name in sorted(new_msgs[1] - {b for _, b in self.enum_pairs}):
            self.out.append(Change("enum_added", name, new=name))
        return self.out

    def _pair(self, a: str, b: str, path: str) -> None:
        if (a, b) in self.seen or a not in self.old.messages or b not in self.new.messages:
            return
        self.seen.add((a, b))
        old, new = self.old.messages[a], self.new.messages[b]
        if a != b:
            self.out.append(Change("message_renamed", path, a, b, before=old, after=new))
        self.pairs.append((old, new))

    def _message(self, old: Message, new: Message) -> None:
        name = new.name
        olds = {f.name: f for f in old.fields}
        news = {f.name: f for f in new.fields}
        pairs = [(olds[n], news[n]) for n in olds if n in news]
        by_tag = {f.tag: f for f in new.fields if f.name not in olds}
        left = [f for f in old.fields if f.name not in news]
        for f in left:
            if (g := by_tag.pop(f.tag, None)) is not None:
                self.out.append(
                    Change("field_renamed", f"{name}.{g.name}", f.name, g.name, before=f, after=g)
                )
                pairs.append((f, g))
        renamed = {f.name for f, _ in pairs}
        for f in left:
            if f.name not in renamed:
                kind = "oneof_member_removed" if f.oneof else "field_removed"
                hint = _unreserved(f, new)
                self.out.append(Change(kind, f"{name}.{f.name}", str(f), "", hint, before=f))
        for g in by_tag.values():
            kind = "oneof_member_added" if g.oneof else "field_added"
            self.out.append(Change(kind, f"{name}.{g.name}", "", str(g), after=g))
        for f, g in pairs:
            self._field(f"{name}.{g.name}", f, g)
            if f.oneof != g.oneof:
                self._regrouped(f"{name}.{g.name}", f, g, old, new)
        self._reserved(
            name,
            old.reserved_numbers,
            new.reserved_numbers,
            old.reserved_names,
            new.reserved_names,
            old,
            new,
        )

    def _field(self, path: str, f: Field, g: Field) -> None:
        out = self.out

        def add(kind: str, old: str, new: str, detail: str = "") -> None:
            out.append(Change(kind, path, old, new, detail, before=f, after=g))

        if f.tag != g.tag:
            add("field_retagged", str(f.tag), str(g.tag))
        self._type(path, f.type, g.type, f, g)
        if f.wrapper != g.wrapper:
            add("type_changed", _wrapped(f), _wrapped(g), "wrapper")
        a, b = presence(f), presence(g)
        if f.oneof is None and g.oneof is None and a != b:
            less = PRESENCE.index(b) < PRESENCE.index(a)
            add("field_made_optional" if less else "field_made_required", a, b, f"{a} -> {b}")
        if f.default != g.default:
            add("default_changed", _text(f.default), _text(g.default))
        if f.packed != g.packed and isinstance(g.type, ListOf):
            add("packed_changed", _packed(f), _packed(g))
        if f.xml_attribute != g.xml_attribute:
            add("xml_attribute_changed", _xml(f), _xml(g))

    def _regrouped(self, path: str, f: Field, g: Field, old: Message, new: Message) -> None:
        """A field moved into a oneof, out of one, or from one to another; the detail says
        whether data of either version may set it beside another member of the group
        (two members set is an error)."""

        def shares(group: str | None, here: Message, there: Message, other: str | None) -> bool:
            if group is None:
                return False
            members = {m.name for m in here.fields if m.oneof == group and m.name != f.name}
            # Set beside the field in the other version unless in the same group there.
            return any(
                m.name in members and (other is None or m.oneof != other) for m in there.fields
            )

        joined = shares(g.oneof, new, old, f.oneof)
        left = shares(f.oneof, old, new, g.oneof)
        # "joins": old data may set it beside a member of its new group; "leaves": new data
        # may set it beside a member of its old group.
        detail = " and ".join(w for w, hit in (("joins", joined), ("leaves", left)) if hit)
        was = f"oneof {f.oneof}" if f.oneof else presence(f)
        now = f"oneof {g.oneof}" if g.oneof else presence(g)
        kind = "field_moved_into_oneof" if g.oneof else "field_moved_out_of_oneof"
        self.out.append(Change(kind, path, was, now, detail, before=f, after=g))

    def _type(self, path: str, a: FieldType, b: FieldType, f: Field, g: Field) -> None:
        def add(kind: str, detail: str = "", where: str = path) -> None:
            self.out.append(Change(kind, where, str(a), str(b), detail, before=f, after=g))

        if isinstance(a, ListOf) and isinstance(b, ListOf):
            self._element(f"{path}[]", a.item, b.item, f, g)
        elif isinstance(a, MapOf) and isinstance(b, MapOf):
            if a.key != b.key:
                self.out.append(
                    Change(
                        "map_key_changed",
                        path,
                        str(a.key),
                        str(b.key),
                        scalar_detail(a.key, b.key),
                        before=f,
                        after=g,
                    )
                )
            # Always: equal message or enum values still pair their types.
            self._element(f"{path}{{}}", a.value, b.value, f, g, "map_value_changed")
        elif isinstance(b, ListOf) and not isinstance(a, ListOf | MapOf):
            add("scalar_to_list", "incompatible" if a != b.item else "")
        elif isinstance(a, ListOf) and not isinstance(b, ListOf | MapOf):
            add("list_to_scalar", "incompatible" if a.item != b else "")
        elif isinstance(a, ListOf | MapOf) or isinstance(b, ListOf | MapOf):
            add("type_changed", "incompatible")
        else:
            self._element(path, a, b, f, g)

    def _element(
        self, path: str, a: FieldType, b: FieldType, f: Field, g: Field, kind: str = ""
    ) -> None:
        def add(k: str, detail: str) -> None:
            self.out.append(Change(k, path, str(a), str(b), detail, before=f, after=g))

        if isinstance(a, MessageRef) and isinstance(b, MessageRef):
            self._pair(a.name, b.name, path)
        elif isinstance(a, EnumRef) and isinstance(b, EnumRef):
            if a.name != b.name and b.name not in self.old.enums:
                self.out.append(Change("enum_renamed", path, a.name, b.name))
            self.enum_pairs.setdefault((a.name, b.name), None)
        elif a == b:
            return
        elif isinstance(a, Scalar) and isinstance(b, Scalar):
            if a.kind == b.kind == "decimal":
                add(kind or "decimal_changed", decimal_detail(a, b))
            else:
                add(kind or "type_changed", scalar_detail(a, b))
        else:
            add(kind or "type_changed", "incompatible")

    def _enum(self, a: str, b: str) -> None:
        old, new = self.old.enums.get(a), self.new.enums.get(b)
        if old is None or new is None:
            return
        olds, news = dict(old.values), dict(new.values)
        by_number = {n: name for name, n in new.values if name not in olds}
        for name, number in old.values:
            path = f"{b}.{name}"
            if name in news:
                if news[name] != number:
                    self.out.append(
                        Change(
                            "enum_value_renumbered",
                            path,
                            str(number),
                            str(news[name]),
                            before=old,
                            after=new,
                        )
                    )
            elif (other := by_number.pop(number, None)) is not None:
                self.out.append(
                    Change("enum_value_renamed", f"{b}.{other}", name, other, before=old, after=new)
                )
            else:
                self.out.append(
                    Change(
                        "enum_value_removed", path, f"{name} = {number}", "", before=old, after=new
                    )
                )
        for number, name in by_number.items():
            self.out.append(
                Change(
                    "enum_value_added",
                    f"{b}.{name}",
                    "",
                    f"{name} = {number}",
                    before=old,
                    after=new,
                )
            )
        self._reserved(
            b,
            old.reserved_numbers,
            new.reserved_numbers,
            old.reserved_names,
            new.reserved_names,
            old,
            new,
        )

    def _reserved(
        self,
        path: str,
        old_numbers: tuple[tuple[int, int], ...],
        new_numbers: tuple[tuple[int, int], ...],
        old_names: tuple[str, ...],
        new_names: tuple[str, ...],
        before: Any,
        after: Any,
    ) -> None:
        a = {*(f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in old_numbers), *old_names}
        b = {*(f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in new_numbers), *new_names}
        if b - a:
            self.out.append(
                Change(
                    "reserved_added", path, "", ", ".join(sorted(b - a)), before=before, after=after
                )
            )
        if a - b:
            self.out.append(
                Change(
                    "reserved_removed",
                    path,
                    ", ".join(sorted(a - b)),
                    "",
                    before=before,
                    after=after,
                )
            )


def _reachable(s: Schema, root: str) -> tuple[set[str], set[str]]:
    """The message types and enums reachable from ``root``."""
    msgs: set[str] = set()
    enums: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in msgs or name not in s.messages:
            continue
        msgs.add(name)
        for f in s.messages[name].fields:
            t = f.type
            parts: list[FieldType] = [t.item] if isinstance(t, ListOf) else [t]
            if isinstance(t, MapOf):
                parts = [t.value]
            for p in parts:
                if isinstance(p, MessageRef):
                    todo.append(p.name)
                elif isinstance(p, EnumRef):
                    enums.add(p.name)
    return msgs, enums


#: Integer kinds whose every value another holds: (narrow, wide).
def _holds(wide: str, narrow: str) -> bool:
    lo, hi = INT_RANGES[narrow]
    wlo, whi = INT_RANGES[wide]
    return wlo <= lo and hi <= whi


def scalar_detail(a: Scalar, b: Scalar) -> str:
    """How a scalar type change reads: widening (every old value fits the new type),
    narrowing (some do not), sign (integers of other signs), wire (same values, another
    Protobuf encoding), text (string <-> bytes), precision (float32 <-> float64 and
    integers <-> floats), incompatible."""
    if a.kind == b.kind:
        return "wire"
    if a.kind in INT_RANGES and b.kind in INT_RANGES:
        if _holds(b.kind, a.kind):
            return "widening"
        if _holds(a.kind, b.kind):
            return "narrowing"
        return "sign"
    if {a.kind, b.kind} == {"string", "bytes"}:
        return "text"
    if (a.kind, b.kind) == ("float32", "float64"):
        return "widening"
    if (a.kind, b.kind) == ("float64", "float32"):
        return "narrowing"
    floats = {"float32", "float64"}
    if a.kind in INT_RANGES and b.kind in floats:
        exact = b.kind == "float64" and a.kind in ("int32", "uint32")
        return "widening" if exact else "precision"
    if a.kind in floats and b.kind in INT_RANGES:
        return "narrowing"
    return "incompatible"


def decimal_detail(a: Scalar, b: Scalar) -> str:
    """widening when every old value fits the new decimal at the same scale; narrowing when
    every new one fits the old; a scale change otherwise ("scale")."""
    if a.scale != b.scale:
        return "scale"
    return "widening" if b.precision >= a.precision else "narrowing"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _wrapped(f: Field) -> str:
    return f"{f.type} (wrapper)" if f.wrapper else str(f.type)


def _packed(f: Field) -> str:
    return "packed" if f.packed else "unpacked"


def _xml(f: Field) -> str:
    return "attribute" if f.xml_attribute else "element"
