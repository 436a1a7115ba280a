"""The Protobuf compiler: our descriptor must be exactly what protoc makes of our .proto text."""

from __future__ import annotations

import importlib
import importlib.resources
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2

from fmtbench.errors import SchemaError
from fmtbench.schema import Schema, parse_schema
from fmtbench.schema.proto import (
    file_descriptor,
    json_name,
    map_entry_name,
    message_classes,
    proto_enum_value_name,
    proto_file_name,
    proto_text,
    protobuf_backend,
    upper_snake,
)
from tests.samples import order_schema, sensor_schema

WKT_INCLUDE = str(importlib.resources.files("grpc_tools") / "_proto")


def protoc(
    args: list[str], cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the real protoc (from grpcio-tools) with the well-known types on the path."""
    return subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{cwd}", f"-I{WKT_INCLUDE}", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=False,
    )


def write_proto(schema: Schema, root: Path) -> str:
    """Write ``proto_text(schema)`` where its import path says; return that path."""
    name = proto_file_name(schema)
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(proto_text(schema), encoding="utf-8")
    return name


def generated_module(schema: Schema, root: Path) -> Any:
    """The module protoc generates (``--python_out``) from the exported .proto of ``schema``."""
    name = write_proto(schema, root)
    result = protoc([f"--python_out={root}", name], root)
    assert result.returncode == 0, result.stderr.decode()
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(name[: -len(".proto")].replace("/", ".") + "_pb2")
    finally:
        sys.path.remove(str(root))


def protoc_descriptor(schema: Schema, root: Path) -> descriptor_pb2.FileDescriptorProto:
    name = write_proto(schema, root)
    out = root / "out.binpb"
    result = protoc([f"--descriptor_set_out={out}", name], root)
    assert result.returncode == 0, result.stderr.decode()
    fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    assert [f.name for f in fds.file] == [name]
    return fds.file[0]


def assert_protoc_agrees(schema: Schema, root: Path) -> None:
    ours = file_descriptor(schema)
    theirs = protoc_descriptor(schema, root)
    # Compare piecewise first so that a failure says where, then as a whole.
    assert [m.name for m in ours.message_type] == [m.name for m in theirs.message_type]
    for a, b in zip(ours.message_type, theirs.message_type, strict=True):
        assert a == b, f"message {a.name} differs:\n{a}\nprotoc:\n{b}"
    assert list(ours.enum_type) == list(theirs.enum_type)
    assert ours == theirs


EDGE = """
schema: a.google.edge
root: M
enums:
  HTTPCode: [UNKNOWN, OK]
  Level2: {values: {UNKNOWN: 0, HIGH: -3}, doc: "two\\nlines"}
messages:
  M:
    doc: "control\\x01character"
    fields:
      _foo: string = 1
      foo: optional string = 2
      X_foo: optional int32 = 3
      labels: map<string, LabelsEntry> = 4
      other: LabelsEntry = 5
      m: message = 6
      d: double = 7
      ts: map<int64, timestamp> = 8
      tl: list<timestamp> = 9
      e: map<uint32, HTTPCode> = 10
      le: list<Level2> = 11
      oe: optional Level2 = 12
      om: optional M = 13
      message: string = 14
      optional: optional string = 15
      big_tag: bool = 536870911
  LabelsEntry: {fields: {key: string = 1}}
  message: {fields: {x: bool = 1}}
  double: {fields: {x: float32 = 1}}
  google: {fields: {x: bool = 1}}
"""

NO_TIMESTAMP = """
schema: plain
messages:
  A:
    fields:
      x: int32 = 1
"""


@pytest.mark.parametrize("make", [order_schema, sensor_schema], ids=["order", "sensor"])
def test_shipped_schemas_match_protoc(make: Callable[[], Schema], tmp_path: Path) -> None:
    assert_protoc_agrees(make(), tmp_path)


@pytest.mark.parametrize("text", [EDGE, NO_TIMESTAMP], ids=["edge", "no-timestamp"])
def test_awkward_names_match_protoc(text: str, tmp_path: Path) -> None:
    # Keyword type names, a top-level type shadowed by a map entry, a package and a type
    # named "google", synthetic oneof names that must dodge field names.
    schema = parse_schema(text)
    assert_protoc_agrees(schema, tmp_path)
    assert set(message_classes(schema)) == set(schema.messages)


def test_descriptor_shape_of_order() -> None:
    fdp = file_descriptor(order_schema())
    fdt = descriptor_pb2.FieldDescriptorProto
    assert fdp.name == "shop/order.proto"
    assert fdp.package == "shop.order"
    assert fdp.syntax == "proto3"
    assert list(fdp.dependency) == ["google/protobuf/timestamp.proto"]
    order = next(m for m in fdp.message_type if m.name == "Order")
    fields = {f.name: f for f in order.field}
    assert fields["placed_at"].type_name == ".google.protobuf.Timestamp"
    assert fields["placed_at"].json_name == "placedAt"
    assert fields["lines"].label == fdt.LABEL_REPEATED
    assert fields["lines"].type_name == ".shop.order.LineItem"
    assert fields["labels"].type_name == ".shop.order.Order.LabelsEntry"
    (entry,) = order.nested_type
    assert entry.name == "LabelsEntry"
    assert entry.options.map_entry
    assert [(f.name, f.number) for f in entry.field] == [("key", 1), ("value", 2)]
    # Synthetic oneofs in field order, pointing back at their fields.
    assert [o.name for o in order.oneof_decl] == ["_note", "_shipped_at"]
    assert fields["note"].proto3_optional
    assert fields["note"].oneof_index == 0
    assert fields["shipped_at"].proto3_optional
    assert fields["shipped_at"].oneof_index == 1
    assert not fields["id"].HasField("oneof_index")
    status = next(e for e in fdp.enum_type if e.name == "Status")
    assert [(v.name, v.number) for v in status.value][:2] == [
        ("STATUS_PENDING", 0),
        ("STATUS_PAID", 1),
    ]


def test_no_timestamp_no_import() -> None:
    schema = parse_schema(NO_TIMESTAMP)
    assert list(file_descriptor(schema).dependency) == []
    assert "import" not in proto_text(schema)
    assert file_descriptor(schema).name == "plain.proto"


def test_proto_text_reads_like_hand_written() -> None:
    text = proto_text(order_schema())
    for line in [
        'syntax = "proto3";',
        "package shop.order;",
        'import "google/protobuf/timestamp.proto";',
        "// Orders placed in the web shop.",
        "// ISO 4217 currency of every amount in the order.",
        "enum Currency {",
        "  CURRENCY_UNKNOWN = 0;",
        "message Order {",
        "  google.protobuf.Timestamp placed_at = 2;",
        "  repeated LineItem lines = 5;",
        "  map<string, string> labels = 6;",
        "  optional string note = 7;",
        "  optional google.protobuf.Timestamp shipped_at = 10;",
        "  // Where the order came from: web, app or phone.",
        "  optional float discount = 4;",
        "  double weight_kg = 5;",
    ]:
        assert line in text.splitlines(), line


def test_two_enums_with_unknown_compile(tmp_path: Path) -> None:
    schema = parse_schema(
        """
schema: t.two
enums:
  Colour: [UNKNOWN, RED]
  Shape: [UNKNOWN, ROUND]
messages:
  M: {fields: {c: Colour = 1, s: Shape = 2}}
"""
    )
    assert_protoc_agrees(schema, tmp_path)
    cls = message_classes(schema)["M"]
    assert cls(c=1, s=1).SerializeToString() == b"\x08\x01\x10\x01"
    enum = schema.enums["Colour"]
    assert proto_enum_value_name(enum, "UNKNOWN") == "COLOUR_UNKNOWN"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (  # FooBar.X and Foo.BAR_X both become FOO_BAR_X
            "enums: {FooBar: [UNKNOWN, X], Foo: [UNKNOWN, BAR_X]}\n"
            "messages: {M: {fields: {a: FooBar = 1}}}",
            ["Foo.BAR_X", "FOO_BAR_X", "FooBar.X"],
        ),
        (  # an enum value's Protobuf name taken by a message
            "root: M\nenums: {Status: [OK]}\n"
            "messages: {M: {fields: {a: Status = 1}}, STATUS_OK: {fields: {b: bool = 1}}}",
            ["Status.OK", "STATUS_OK", "message STATUS_OK"],
        ),
        (  # protoc rejects values differing only in case once the prefix is stripped
            "enums: {E: [ok, OK]}\nmessages: {M: {fields: {a: E = 1}}}",
            ["E.ok", "E.OK"],
        ),
        (  # the map entry of A_b is ABEntry, and so is that of a_b
            "messages: {M: {fields: {a_b: 'map<string, string> = 1', A_b: 'map<string, bool> = 2'}}}",
            ["M.a_b", "M.A_b", "ABEntry"],
        ),
        (  # a field named like a map entry
            "messages: {M: {fields: {ABEntry: bool = 1, a_b: 'map<string, string> = 2'}}}",
            ["M.a_b", "M.ABEntry"],
        ),
    ],
    ids=["values", "value-vs-message", "case", "entries", "entry-vs-field"],
)
def test_name_collisions_are_schema_errors(text: str, names: list[str]) -> None:
    schema = parse_schema("schema: t.clash\n" + text)
    for compile_ in (file_descriptor, proto_text, message_classes):
        with pytest.raises(SchemaError) as info:
            compile_(schema)
        for name in names:
            assert name in str(info.value)


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("Status", "STATUS"),
        ("HTTPCode", "HTTP_CODE"),
        ("LineItemKind", "LINE_ITEM_KIND"),
        ("Level2", "LEVEL2"),
        ("my_enum", "MY_ENUM"),
    ],
)
def test_upper_snake(name: str, snake: str) -> None:
    assert upper_snake(name) == snake


def test_protoc_name_rules() -> None:
    assert json_name("unit_price_cents") == "unitPriceCents"
    assert json_name("_foo__bar_") == "FooBar"
    assert map_entry_name("labels") == "LabelsEntry"
    assert map_entry_name("_by__id") == "ByIdEntry"


def test_classes_come_from_a_private_pool_per_schema() -> None:
    # Same package, same message name, different fields: the default pool would refuse.
    one = parse_schema("schema: t.same\nmessages: {M: {fields: {a: int32 = 1}}}")
    two = parse_schema("schema: t.same\nmessages: {M: {fields: {b: string = 1}}}")
    m1, m2 = message_classes(one)["M"], message_classes(two)["M"]
    assert [f.name for f in m1.DESCRIPTOR.fields] == ["a"]
    assert [f.name for f in m2.DESCRIPTOR.fields] == ["b"]
    assert message_classes(one)["M"] is m1  # cached per schema object


def test_backend_is_upb() -> None:
    assert protobuf_backend() == "upb"


def test_pure_python_backend_is_refused() -> None:
    # Importing works on any backend; compiling (and so building a codec) refuses.
    code = (
        "from fmtbench.codecs.protobuf.codec import ProtobufCodec\n"
        "from fmtbench.schema.proto import message_classes, protobuf_backend\n"
        "from fmtbench.schema import parse_schema\n"
        "from fmtbench.errors import FmtbenchError\n"
        "s = parse_schema('schema: t.b\\nmessages: {M: {fields: {a: int32 = 1}}}')\n"
        "print(protobuf_backend())\n"
        "for build in (message_classes, ProtobufCodec):\n"
        "    try:\n"
        "        build(s)\n"
        "    except FmtbenchError as e:\n"
        "        print(type(e).__name__, e)\n"
    )
    env = {**os.environ, "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": "python"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    backend, *errors = result.stdout.splitlines()
    assert backend == "python"
    assert len(errors) == 2
    for line in errors:
        assert line.startswith("ProtobufBackendError protobuf's pure-Python backend is active")
        assert "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python" in line
        assert "needs the upb backend" in line
