"""A table of schema changes, one small pair of YAML schemas each, with the kinds
``schema diff`` must list and its verdict per format family: tests/test_schema_diff.py
checks the verdicts, and ``--prove``'s tests run data through the codecs for the same table.

Families (fmtbench/schema/diff/rules.py): protobuf (protobuf, protobuf-delimited), protojson,
json (json, jsonl), binary (msgpack, cbor), bson, xml, avro, avro-single. Verdicts: full,
backward, forward, breaking; "x/y" when --drop-unknown makes it y.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from fmtbench.schema.loader import parse_schema
from fmtbench.schema.model import Schema

TEMPLATE = """\
schema: t
root: {root}
enums:
  Color: {color}
messages:
  {root}:
{extra}    fields:
      a: int32 = 1
{fields}
  {sub}:
    fields:
      x: int32 = 1
"""
COLOR = "[RED, GREEN, BLUE]"
FAMILIES = ("protobuf", "protojson", "json", "binary", "bson", "xml", "avro", "avro-single")
#: A format of each family, for the codecs' checks.
FORMAT_OF = {
    "protobuf": "protobuf",
    "protojson": "protojson",
    "json": "json",
    "binary": "msgpack",
    "bson": "bson",
    "xml": "xml",
    "avro": "avro",
    "avro-single": "avro-single",
}


def schema(
    fields: str = "", *, color: str = COLOR, root: str = "R", sub: str = "Sub", extra: str = ""
) -> Schema:
    """Message ``root`` (field ``a: int32 = 1`` and ``fields``), message ``sub``, enum Color."""
    body = textwrap.indent(textwrap.dedent(fields).strip("\n"), " " * 6)
    more = textwrap.indent(extra.strip("\n"), " " * 4) + "\n" if extra else ""
    text = TEMPLATE.format(root=root, color=color, fields=body, sub=sub, extra=more)
    return parse_schema(text, "<case>")


@dataclass(frozen=True)
class Case:
    name: str
    old: Schema
    new: Schema
    kinds: tuple[str, ...]
    #: family -> verdict (the families not named: "full")
    verdicts: dict[str, str] = field(default_factory=dict)

    def verdict(self, family: str) -> str:
        return self.verdicts.get(family, "full")


def _all(verdict: str, **overrides: str) -> dict[str, str]:
    out = dict.fromkeys(FAMILIES, verdict)
    out.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return out


KEYED = ("protojson", "json", "binary", "bson", "xml")


def _keyed(verdict: str, **rest: str) -> dict[str, str]:
    out = dict.fromkeys(KEYED, verdict)
    out.update({k.replace("_", "-"): v for k, v in rest.items()})
    return out


S, DEC = schema, '{type: "decimal(10, 2)", tag: 2}'
CASES = [
    Case("field added", S(), S("b: string = 2"), ("field_added",),
         _all("backward/full", avro="full", avro_single="breaking")),
    Case("optional field added", S(), S("b: optional string = 2"), ("field_added",),
         _all("backward/full", avro="full", avro_single="breaking")),
    Case("required field added", S(), S("b: required string = 2"), ("field_added",),
         _all("breaking/forward", avro="full", avro_single="breaking")),
    Case("field removed", S("b: string = 2"), S(), ("field_removed",),
         _all("forward/full", avro="full", avro_single="breaking")),
    Case("optional field removed", S("b: optional string = 2"), S(), ("field_removed",),
         _all("forward/full", avro="full", avro_single="breaking")),
    Case("field renamed", S("b: string = 2"), S("c: string = 2"), ("field_renamed",),
         _all("breaking", protobuf="full")),
    Case("field retagged", S("b: string = 2"), S("b: string = 3"), ("field_retagged",),
         {"protobuf": "breaking"}),
    Case("int32 -> int64", S("b: int32 = 2"), S("b: int64 = 2"), ("type_changed",),
         _all("backward", avro_single="breaking")),
    Case("int64 -> int32", S("b: int64 = 2"), S("b: int32 = 2"), ("type_changed",),
         _all("forward", avro_single="breaking")),
    Case("int32 -> sint32", S("b: int32 = 2"), S("b: sint32 = 2"), ("type_changed",),
         {"protobuf": "breaking"}),
    Case("int32 -> uint32", S("b: int32 = 2"), S("b: uint32 = 2"), ("type_changed",),
         _all("breaking")),
    Case("float32 -> float64", S("b: float32 = 2"), S("b: float64 = 2"), ("type_changed",),
         _all("backward", protobuf="breaking", protojson="breaking", avro_single="breaking")),
    Case("int32 -> float64", S("b: int32 = 2"), S("b: float64 = 2"), ("type_changed",),
         _all("backward", protobuf="breaking", avro_single="breaking")),
    Case("enum -> int32", S("c: Color = 2"), S("c: int32 = 2"), ("type_changed", "enum_removed"),
         _all("breaking", protobuf="backward")),
    Case("enum -> string", S("c: Color = 2"), S("c: string = 2"), ("type_changed", "enum_removed"),
         _all("backward", protobuf="breaking", protojson="breaking", avro="breaking",
              avro_single="breaking")),
    Case("string -> bytes", S("b: string = 2"), S("b: bytes = 2"), ("type_changed",),
         _all("breaking", protobuf="backward", avro="backward")),
    Case("int32 -> string", S("b: int32 = 2"), S("b: string = 2"), ("type_changed",),
         _all("breaking")),
    Case("scalar -> list", S("b: string = 2"), S("b: list<string> = 2"), ("scalar_to_list",),
         _all("breaking", xml="backward")),
    Case("list -> scalar", S("b: list<int32> = 2"), S("b: int32 = 2"), ("list_to_scalar",),
         _all("breaking", xml="forward")),
    Case("made optional", S("b: string = 2"), S("b: optional string = 2"),
         ("field_made_optional",),
         _all("backward", protobuf="breaking", protojson="breaking", avro_single="breaking")),
    Case("made plain (from optional)", S("b: optional string = 2"), S("b: string = 2"),
         ("field_made_required",),
         _all("forward", protobuf="breaking", protojson="breaking", avro_single="breaking")),
    Case("made required (proto2)", S("b: string = 2"), S("b: required string = 2"),
         ("field_made_required",), {"protobuf": "forward", "protojson": "forward"}),
    Case("enum value added", S("c: Color = 2"), S("c: Color = 2", color="[RED, GREEN, BLUE, PINK]"),
         ("enum_value_added",), _all("backward", avro_single="breaking")),
    Case("enum value removed", S("c: Color = 2"), S("c: Color = 2", color="[RED, GREEN]"),
         ("enum_value_removed",), _all("forward", avro_single="breaking")),
    Case("enum value renumbered", S("c: Color = 2"),
         S("c: Color = 2", color="{values: {RED: 0, BLUE: 1, GREEN: 2}}"),
         ("enum_value_renumbered", "enum_value_renumbered"), {"protobuf": "breaking", "avro-single": "breaking"}),
    Case("enum value renamed", S("c: Color = 2"), S("c: Color = 2", color="[RED, GREEN, CYAN]"),
         ("enum_value_renamed",), _all("breaking", protobuf="full")),
    Case("oneof member added", S("o: {oneof: {p: int32 = 2}}"),
         S("o: {oneof: {p: int32 = 2, q: string = 3}}"), ("oneof_member_added",),
         _all("backward/full", avro="full", avro_single="breaking")),
    Case("oneof member removed", S("o: {oneof: {p: int32 = 2, q: string = 3}}"),
         S("o: {oneof: {p: int32 = 2}}"), ("oneof_member_removed",),
         _all("forward/full", avro="full", avro_single="breaking")),
    Case("field moved out of a oneof", S("o: {oneof: {p: int32 = 2}}"), S("p: int32 = 2"),
         ("field_moved_out_of_oneof",),
         _all("forward", protobuf="breaking", protojson="breaking", avro_single="breaking")),
    Case("message added (with its field)", S(), S("n: optional New = 2", sub="New"),
         ("field_added", "message_added"),
         _all("backward/full", avro="full", avro_single="breaking")),
    Case("enum added (with its field)", S(), S("c: optional Color = 2"),
         ("field_added", "enum_added"),
         _all("backward/full", avro="full", avro_single="breaking")),
    Case("field moved into a oneof", S("p: int32 = 2"), S("o: {oneof: {p: int32 = 2}}"),
         ("field_moved_into_oneof",),
         _all("backward", protobuf="breaking", protojson="breaking", avro_single="breaking")),
    Case("two fields moved into one oneof", S("p: int32 = 2\nq: string = 3"),
         S("o: {oneof: {p: int32 = 2, q: string = 3}}"),
         ("field_moved_into_oneof", "field_moved_into_oneof"), _all("breaking", avro_single="breaking")),
    Case("map key widened", S("m: map<int32, string> = 2"), S("m: map<int64, string> = 2"),
         ("map_key_changed",), _all("backward", avro_single="breaking")),
    Case("map value widened", S("m: map<string, int32> = 2"), S("m: map<string, int64> = 2"),
         ("map_value_changed",), _all("backward", avro_single="breaking")),
    Case("default changed", S("b: {type: int32, tag: 2, optional: true, default: 1}"),
         S("b: {type: int32, tag: 2, optional: true, default: 2}"), ("default_changed",), {}),
    Case("nested message renamed", S("s: Sub = 2"), S("s: Sub2 = 2", sub="Sub2"),
         ("message_renamed",), {"avro": "breaking", "avro-single": "breaking"}),
    Case("root message renamed", S(), S(root="Q"), ("message_renamed",),
         {"xml": "breaking", "avro": "breaking", "avro-single": "breaking"}),
    Case("reserved added", S(), S(extra="reserved: [5, gone]"), ("reserved_added",), {}),
    Case("reserved removed", S(extra="reserved: [5, gone]"), S(), ("reserved_removed",), {}),
    Case("packed changed", S("l: list<int32> = 2"),
         S("l: {type: list<int32>, tag: 2, packed: false}"), ("packed_changed",), {}),
    Case("xml attribute", S("b: int32 = 2"), S("b: {type: int32, tag: 2, xml: attribute}"),
         ("xml_attribute_changed",), {"xml": "breaking"}),
    Case("decimal precision widened", S(f"b: {DEC}"), S('b: {type: "decimal(12, 2)", tag: 2}'),
         ("decimal_changed",), _all("backward")),
    Case("decimal scale changed", S(f"b: {DEC}"), S('b: {type: "decimal(12, 4)", tag: 2}'),
         ("decimal_changed",), _all("backward", avro="breaking", avro_single="breaking")),
    Case("wrapper", S("b: optional int64 = 2"),
         S("b: {type: int64, tag: 2, optional: true, wrapper: true}"), ("type_changed",),
         {"protobuf": "breaking"}),
]  # fmt: skip
