"""A Schema written back as canonical YAML that ``load_schema`` reads to an equal Schema.

Used by ``fmtbench schema import``; fields take the shorthand ``TYPE = TAG`` unless they
carry more (a doc, ``packed: false``, XML or generation hints).
"""

from __future__ import annotations

from typing import Any

import yaml

from fmtbench.schema.defaults import c_escape
from fmtbench.schema.model import Enum, Field, Message, Schema


class _Dumper(yaml.SafeDumper):
    """Multi-line text (docs from comments) as literal blocks, readable as written."""


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # A literal block cannot keep trailing spaces or control characters: quote those.
    block = "\n" in text and all(
        line == line.rstrip() and line.isprintable() for line in text.split("\n")
    )
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if block else None)


_Dumper.add_representer(str, _text)


def _reserved(numbers: tuple[tuple[int, int], ...], names: tuple[str, ...]) -> list[Any]:
    out: list[Any] = [lo if lo == hi else f"{lo} to {hi}" for lo, hi in numbers]
    return [*out, *names]


def _field(f: Field) -> Any:
    # str(f) spells "optional T" and "required T", and a oneof member bare.
    type_text = str(f)
    plain = f.packed and not f.xml_attribute and f.gen is None and not f.wrapper and not f.avro
    if f.doc is None and plain and f.default is None:
        return f"{type_text} = {f.tag}"
    out: dict[str, Any] = {"type": type_text, "tag": f.tag}
    if f.wrapper:
        out["wrapper"] = True
    if f.default is not None:
        out["default"] = c_escape(f.default) if isinstance(f.default, bytes) else f.default
    if not f.packed:
        out["packed"] = False
    if f.xml_attribute:
        out["xml"] = "attribute"
    if f.doc is not None:
        out["doc"] = f.doc
    if f.gen is not None:
        out["gen"] = f.gen
    if f.avro:  # the shorthand when the hint is a logical type alone
        out["avro"] = f.avro["logical"] if list(f.avro) == ["logical"] else f.avro
    return out


def _enum(e: Enum) -> Any:
    out: dict[str, Any] = {}
    if e.full_name is not None:
        out["full_name"] = e.full_name
    if e.doc is not None:
        out["doc"] = e.doc
    if e.allow_alias:
        out["allow_alias"] = True
    out["values"] = dict(e.values)
    if e.avro:
        out["avro"] = e.avro
    if e.reserved_numbers or e.reserved_names:
        out["reserved"] = _reserved(e.reserved_numbers, e.reserved_names)
    return out


def _message(m: Message) -> Any:
    out: dict[str, Any] = {}
    if m.full_name is not None:
        out["full_name"] = m.full_name
    if m.doc is not None:
        out["doc"] = m.doc
    if m.avro:
        out["avro"] = m.avro
    if m.reserved_numbers or m.reserved_names:
        out["reserved"] = _reserved(m.reserved_numbers, m.reserved_names)
    fields: dict[str, Any] = {}
    groups = {g.name: g for g in m.oneofs}
    for f in m.fields:
        if f.oneof is None:
            fields[f.name] = _field(f)
            continue
        if f.oneof not in fields:  # a group is written where its first member stands
            group = groups[f.oneof]
            fields[f.oneof] = (
                {"oneof": {}}
                | ({"doc": group.doc} if group.doc else {})
                | ({"avro": group.avro} if group.avro else {})
            )
        fields[f.oneof]["oneof"][f.name] = _field(f)
    out["fields"] = fields
    return out


def schema_yaml(schema: Schema, header: str | None = None) -> str:
    """The schema as YAML; ``header`` (one line or more) is written first as a comment."""
    top: dict[str, Any] = {"schema": schema.name, "root": schema.root}
    if schema.doc is not None:
        top["doc"] = schema.doc
    if schema.enums:
        top["enums"] = {name: _enum(e) for name, e in schema.enums.items()}
    top["messages"] = {name: _message(m) for name, m in schema.messages.items()}
    body = yaml.dump(top, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    comment = "".join(f"# {line}\n" for line in header.splitlines()) if header else ""
    return comment + body
