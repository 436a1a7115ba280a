"""The plan of an inferred schema, and how it is named and written as canonical YAML.

``infer.py`` decides types into these small records before any message has a name, because
some decisions are tried and dropped (an object read as a map, then as a message after
all). Names are given afterwards, in one deterministic walk, and the YAML is written by hand
so that it reads like the schemas people write: shorthand fields, comments for guesses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml

from fmtbench.infer.observe import Obj
from fmtbench.schema.loader import RESERVED_TAGS


@dataclass(eq=False)
class MsgPlan:
    """One message type to be: the objects it stands for, and its fields once decided."""

    obj: Obj
    hint: str  # the name it would like (CamelCase of its key)
    parent: MsgPlan | None
    fields: list[FieldPlan] = field(default_factory=list)
    note: str | None = None
    name: str = ""


@dataclass(frozen=True)
class TypePlan:
    """A field type whose messages are not named yet: a scalar, a message, a list or a map."""

    scalar: str = ""
    msg: MsgPlan | None = None
    item: TypePlan | None = None  # the item of a list, the value of a map
    key: str = ""  # a map's key type; empty for a list

    @property
    def is_container(self) -> bool:
        return self.item is not None

    def text(self) -> str:
        if self.msg is not None:
            return self.msg.name
        if self.item is not None:
            inner = self.item.text()
            return f"map<{self.key}, {inner}>" if self.key else f"list<{inner}>"
        return self.scalar

    def messages(self) -> Iterator[MsgPlan]:
        if self.msg is not None:
            yield self.msg
        if self.item is not None:
            yield from self.item.messages()


@dataclass(frozen=True)
class FieldPlan:
    name: str
    type: TypePlan
    optional: bool
    note: str | None = None


# -- names ---------------------------------------------------------------------------------
def camel(key: str) -> str:
    """``line_items`` -> ``LineItems``; the key is an identifier (a field name)."""
    name = "".join(part[:1].upper() + part[1:] for part in key.split("_"))
    # "_1" would give "1", and "__" nothing: neither names a type.
    return name if name[:1].isalpha() else f"Type{name}"


def singular(name: str) -> str:
    """The item type of a list (or value type of a map) ``lines`` is ``Line``.

    Deliberately simple and predictable, not a dictionary: ``-ies`` -> ``-y``, ``-sses`` ->
    ``-ss``, otherwise one trailing ``s`` is dropped unless the word ends in ``ss``.
    """
    if name.endswith("ies") and len(name) > 3:
        return name[:-3] + "y"
    if name.endswith("sses"):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss") and len(name) > 1:
        return name[:-1]
    return name


def assign_names(root: MsgPlan, root_name: str) -> list[MsgPlan]:
    """Name every message reachable from ``root``, depth first in field order; return them.

    A name already taken by another key path is prefixed with the parent's name
    (``Customer`` -> ``OrderCustomer``), then numbered (``OrderCustomer2``) if need be.
    """
    order: list[MsgPlan] = []
    used: set[str] = set()

    def visit(m: MsgPlan) -> None:
        if m.name:
            return
        if m is root:
            m.name = root_name
        else:
            base = m.hint
            if base in used and m.parent is not None:
                base = m.parent.name + base
            m.name, n = base, 2
            while m.name in used:
                m.name, n = f"{base}{n}", n + 1
        used.add(m.name)
        order.append(m)
        for f in m.fields:
            for sub in f.type.messages():
                visit(sub)

    visit(root)
    return order


# -- YAML ----------------------------------------------------------------------------------
_RESOLVER = yaml.resolver.Resolver()


#: The longest implicit (plain "key: value") key YAML reads, with room for quotes.
_SIMPLE_KEY_MAX = 1000


def _key(name: str) -> str:
    """A field name as a YAML key: quoted when YAML would read it as a bool or null."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, name, (True, False))  # type: ignore[no-untyped-call]
    return name if tag == "tag:yaml.org,2002:str" else json.dumps(name)


def _tags() -> Iterator[int]:
    tag = 1
    while True:
        if tag in RESERVED_TAGS:  # Protobuf keeps 19000-19999 for itself
            tag = RESERVED_TAGS.stop
        yield tag
        tag += 1


def render(schema_name: str, root: MsgPlan, order: list[MsgPlan], doc: str) -> str:
    lines = [
        f"schema: {schema_name}",
        f"root: {root.name}",
        f"doc: {json.dumps(doc, ensure_ascii=False)}",
        "messages:",
    ]
    for m in order:
        lines.append(f"  {m.name}:")
        if not m.fields:
            lines.append("    fields: {}" + (f"  # {m.note}" if m.note else ""))
            continue
        lines.append("    fields:")
        for f, tag in zip(m.fields, _tags(), strict=False):
            spec = f"{'optional ' if f.optional else ''}{f.type.text()} = {tag}"
            key = _key(f.name)
            if len(key) > _SIMPLE_KEY_MAX:
                # YAML reads a plain "key: value" only for keys up to 1024 characters: a
                # longer one takes the explicit form, "? key" and ": value" on lines of
                # their own, which every YAML reader takes for the same mapping entry.
                lines.append(f"      ? {json.dumps(f.name, ensure_ascii=False)}")
                line = f"      : {spec}"
            else:
                line = f"      {key}: {spec}"
            lines.append(f"{line}  # {f.note}" if f.note else line)
    return "\n".join(lines) + "\n"
