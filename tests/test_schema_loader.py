"""The schema loader: the contract's spellings load, and each mistake names file:line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmtbench.errors import SchemaError
from fmtbench.schema import EnumRef, ListOf, MapOf, MessageRef, Scalar, parse_schema
from fmtbench.schema.builtin import builtin_names, resolve_schema

CONTRACT = """
schema: shop.order
root: Order
doc: Orders placed in the web shop.
enums:
  Status: [PENDING, PAID, SHIPPED]
  Level: {values: {UNKNOWN: 0, INFO: 1, WARN: 5}, doc: severity}
messages:
  Order:
    doc: One order.
    fields:
      id: uint64 = 1
      placed_at: timestamp = 2
      status: Status = 3
      lines: list<LineItem> = 4
      labels: map<string, string> = 5
      note: optional string = 6
      channel: {type: string, tag: 7, xml: attribute, doc: where}
      level: Level = 8
  LineItem:
    fields:
      price: float64 = 1
      children: list<LineItem> = 2
"""


def test_contract_example_loads() -> None:
    s = parse_schema(CONTRACT)
    assert s.name == "shop.order"
    assert s.namespace == "urn:fmtbench:shop.order"
    order = s.message()
    assert order.name == "Order"
    assert [f.name for f in order.fields] == [
        "id",
        "placed_at",
        "status",
        "lines",
        "labels",
        "note",
        "channel",
        "level",
    ]
    assert order.field("id").type == Scalar("uint64")
    assert order.field("status").type == EnumRef("Status")
    assert order.field("lines").type == ListOf(MessageRef("LineItem"))
    assert order.field("labels").type == MapOf(Scalar("string"), Scalar("string"))
    assert order.field("note").optional
    assert order.field("channel").xml_attribute
    assert order.field("channel").doc == "where"
    assert s.enums["Status"].values == (("PENDING", 0), ("PAID", 1), ("SHIPPED", 2))
    assert s.enums["Level"].values == (("UNKNOWN", 0), ("INFO", 1), ("WARN", 5))
    assert s.enums["Level"].doc == "severity"


def test_builtin_schemas_load() -> None:
    assert {"order", "sensor"} <= set(builtin_names())
    for name in builtin_names():
        assert resolve_schema(name).messages


def _with_fields(fields: str, extra: str = "") -> str:
    return f"schema: t.x\nroot: A\n{extra}messages:\n  A:\n    fields:\n{fields}"


BAD = [
    (_with_fields("      a: strin = 1\n"), "6:10", "unknown type 'strin'", "did you mean 'string'"),
    (
        _with_fields("      a: string = 1\n      b: int32 = 1\n"),
        "7:10",
        "tag 1 is already used by a",
        "unused tag",
    ),
    (_with_fields("      a: string = 0\n"), "6:10", "tag 0 is out of range", "1..536870911"),
    (_with_fields("      a: string = 536870912\n"), "", "out of range", ""),
    (_with_fields("      a: string = 19500\n"), "", "reserved by Protobuf", ""),
    (_with_fields("      a: string\n"), "", "missing tag", "string = N"),
    (_with_fields("      a: string = 1\n      a: int32 = 2\n"), "7:7", "duplicate name 'a'", ""),
    (_with_fields("      2a: string = 1\n"), "", "not a valid identifier", "letters, digits"),
    (
        _with_fields("      a: map<float64, string> = 1\n"),
        "",
        "map key type float64 is not allowed",
        "",
    ),
    (_with_fields("      a: list<list<int32>> = 1\n"), "", "cannot hold another list", "wrap"),
    (_with_fields("      a: optional list<int32> = 1\n"), "", "cannot be optional", ""),
    (
        _with_fields("      a: {type: list<int32>, tag: 1, xml: attribute}\n"),
        "",
        "xml: attribute needs a scalar",
        "",
    ),
    (
        _with_fields("      a: E = 1\n", "enums:\n  E: {values: {A: 1, B: 2}}\n"),
        "",
        "no value numbered 0",
        "UNKNOWN: 0",
    ),
    (_with_fields("      a: E = 1\n", "enums:\n  E: [A, A]\n"), "", "duplicate value 'A'", ""),
    (
        _with_fields("      foo_bar: int32 = 1\n      fooBar: int32 = 2\n"),
        "",
        "camelCase",
        "rename",
    ),
    (
        "schema: t.x\nroot: A\nmessages:\n  A:\n    fields:\n      b: B = 1\n  B:\n    fields:\n      a: A = 1\n",
        "",
        "required cycle",
        "optional",
    ),
    (
        _with_fields("      a: string = 1\n").replace("root: A", "root: Z"),
        "",
        "root 'Z' is not a message type",
        "",
    ),
    (
        "schema: t.x\nmessages:\n  A: {fields: {a: int32 = 1}}\n  B: {fields: {}}\n",
        "",
        "missing 'root: TYPE'",
        "",
    ),
    ("schema: not valid!\nmessages:\n  A: {}\n", "1:9", "must be a dotted name", ""),
    ("schema: t.x\nmesages: {}\n", "2:1", "unknown key 'mesages'", ""),
    ("schema: [unclosed\n", "", "not valid YAML", ""),
    (
        _with_fields("      a: string = 1\n", "enums:\n  A: [X]\n"),
        "",
        "duplicate type name 'A'",
        "",
    ),
    (
        _with_fields("      a: string = 1\n")
        .replace("  A:\n", "  records:\n")
        .replace("root: A", "root: records"),
        "",
        "reserved",
        "",
    ),
]


@pytest.mark.parametrize(("text", "place", "problem", "fix"), BAD)
def test_bad_schema_is_rejected_with_place_and_fix(
    text: str, place: str, problem: str, fix: str
) -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema(text, "bad.yaml")
    message = str(info.value)
    assert message.startswith("bad.yaml:"), message
    if place:
        assert message.startswith(f"bad.yaml:{place}:"), message
    assert problem in message
    assert fix in message


def test_recursion_through_optional_list_and_map_is_allowed() -> None:
    s = parse_schema(
        "schema: t.tree\nroot: Node\nmessages:\n  Node:\n    fields:\n"
        "      parent: optional Node = 1\n      kids: list<Node> = 2\n      named: map<string, Node> = 3\n"
    )
    assert s.message().field("kids").type == ListOf(MessageRef("Node"))


def test_unknown_schema_reference_lists_builtins() -> None:
    with pytest.raises(SchemaError, match=r"built-in: .*order"):
        resolve_schema("no-such-schema")


# -- issue 12, item 19: what YAML aliases may expand a schema (or a profile) to -----------
def _aliased(doc_size: int, uses: int) -> str:
    lines = ["schema: t.alias", "root: R", "messages:", "  R:", f'    doc: &d "{"x" * doc_size}"']
    lines.append("    fields:")
    lines += [f"      f{i}: {{type: int32, tag: {i + 1}, doc: *d}}" for i in range(uses)]
    return "\n".join(lines) + "\n"


def test_aliases_that_multiply_a_schema_are_refused() -> None:
    with pytest.raises(SchemaError, match=r"<s>:7:7: aliases expand it to over 1,048,576"):
        parse_schema(_aliased(100_000, 500), "<s>")


def test_aliases_within_the_bound_are_read() -> None:
    schema = parse_schema(_aliased(1000, 50), "<s>")
    assert {f.doc for f in schema.messages["R"].fields} == {"x" * 1000}


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    with pytest.raises(SchemaError, match="refers to a node that contains it"):
        parse_schema("schema: t.a\nmessages: &m {R: {fields: {}}, S: *m}\n", "<s>")


def test_a_profile_is_bounded_too() -> None:
    from fmtbench.generate.dataset import DatasetError, parse_dataset

    rows = ['a0: &a0 ["xxxxxxxx", "xxxxxxxx", "xxxxxxxx", "xxxxxxxx", "xxxxxxxx"]']
    rows += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 5)}]" for i in range(1, 9)]
    text = "\n".join(["dataset: laughs", "schema: order", *rows]) + "\n"
    with pytest.raises(DatasetError, match="aliases expand it"):
        parse_dataset(text, "<profile>", base=Path("."))
