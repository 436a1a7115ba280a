"""Reserved field numbers and names (issue 13, part 1): kept in the schema, enforced when it
is loaded (so by ``schema check``), and exported as protoc writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmtbench.errors import SchemaError
from fmtbench.schema import parse_schema
from fmtbench.schema.proto import proto_text
from tests.test_proto_compiler import assert_protoc_agrees

SCHEMA = """
schema: t.res
root: R
messages:
  R:
    reserved: [2, "9 to 11", "20 to max", old_name, legacy]
    fields:
      a: int32 = 1
      b: string = 12
      {extra}
"""


def load(extra: str = "") -> object:
    return parse_schema(SCHEMA.replace("{extra}", extra))


def test_kept_and_exported_as_protoc_writes_them(tmp_path: Path) -> None:
    schema = parse_schema(SCHEMA.replace("{extra}", ""))
    msg = schema.messages["R"]
    assert msg.reserved_numbers == ((2, 2), (9, 11), (20, 2**29 - 1))
    assert msg.reserved_names == ("old_name", "legacy")
    text = proto_text(schema)
    assert '  reserved 2, 9 to 11, 20 to max;\n  reserved "old_name", "legacy";' in text
    assert_protoc_agrees(schema, tmp_path)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("c: bool = 2", r"R.c: tag 2 is reserved"),
        ("c: bool = 10", r"R.c: tag 10 is reserved \(9 to 11\)"),
        ("c: bool = 999", r"R.c: tag 999 is reserved \(20 to 536870911\)"),
        ("old_name: bool = 3", r"R.old_name: the name is reserved"),
    ],
)
def test_a_field_may_not_take_what_is_reserved(extra: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        load(extra)


@pytest.mark.parametrize(
    ("reserved", "message"),
    [
        ('["5 to 3"]', "is not a range"),
        ("[0]", "is not a range"),
        ('["not a name"]', "neither a number, a range nor a name"),
        ("7", "a list of numbers"),
        ("[[1, 2]]", "a list of numbers"),
    ],
)
def test_malformed_reservations_are_schema_errors(reserved: str, message: str) -> None:
    text = f"schema: t.r\nroot: R\nmessages:\n  R:\n    reserved: {reserved}\n    fields:\n      a: int32 = 1\n"
    with pytest.raises(SchemaError, match=message):
        parse_schema(text)


ENUMS = """
schema: t.enumres
root: R
enums:
  Color:
    values: {UNKNOWN: 0, RED: 1, BLUE: 4}
    reserved: [2, "5 to 9", "-3 to -1", "100 to max", GREEN]
messages:
  R:
    fields:
      c: Color = 1
"""


def test_enum_reservations_are_kept_and_exported(tmp_path: Path) -> None:
    schema = parse_schema(ENUMS)
    color = schema.enums["Color"]
    assert color.reserved_numbers == ((2, 2), (5, 9), (-3, -1), (100, 2**31 - 1))
    assert color.reserved_names == ("GREEN",)
    text = proto_text(schema)
    assert '  reserved 2, 5 to 9, -3 to -1, 100 to max;\n  reserved "COLOR_GREEN";' in text
    assert_protoc_agrees(schema, tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("BLUE: 4", "BLUE: 7", "BLUE takes reserved number 7"),
        ("BLUE: 4", "GREEN: 4", "the value name GREEN is reserved"),
        ('"-3 to -1"', '"-3 to -5"', "is not a range"),
    ],
)
def test_an_enum_value_may_not_take_what_is_reserved(old: str, new: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        parse_schema(ENUMS.replace(old, new))
