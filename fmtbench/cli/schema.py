"""``fmtbench schema check|export|infer``."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from fmtbench.cli.app import TypeOpt, schema_app
from fmtbench.errors import UsageError
from fmtbench.files import STDIO, atomic_output
from fmtbench.schema.builtin import resolve_schema


class ExportTarget(enum.StrEnum):
    proto = "proto"
    xsd = "xsd"
    jsonschema = "jsonschema"


@schema_app.command("check")
def schema_check(
    schema: Annotated[str, typer.Argument(help="Schema file or built-in name.")],
) -> None:
    """Load a schema and report what it declares; errors name file:line:column and the fix."""
    s = resolve_schema(schema)
    from fmtbench.schema.proto import file_descriptor
    from fmtbench.schema.xsd import xsd_text

    # Each target has limits of its own (Protobuf's enum value scope, XML's attribute
    # names): compiling for every one proves the schema works everywhere.
    file_descriptor(s)
    xsd_text(s)
    typer.echo(
        f"{s.name}: ok: {len(s.messages)} message types, {len(s.enums)} enums, root {s.root}"
    )


@schema_app.command("export")
def schema_export(
    schema: Annotated[str, typer.Argument(help="Schema file or built-in name.")],
    to: Annotated[ExportTarget, typer.Option("--to", help="What to write.")],
    out: Annotated[
        str, typer.Option("-o", "--output", help="Output file (default: stdout).")
    ] = STDIO,
    type_name: TypeOpt = None,
) -> None:
    """Write the schema as a .proto file, an XSD, or a JSON Schema."""
    s = resolve_schema(schema)
    if to is ExportTarget.proto:
        from fmtbench.schema.proto import proto_text

        text = proto_text(s)
    elif to is ExportTarget.xsd:
        from fmtbench.schema.xsd import xsd_text

        text = xsd_text(s)
    else:
        import json

        from fmtbench.schema.jsonschema import json_schema

        text = json.dumps(json_schema(s, type_name), indent=2, ensure_ascii=False) + "\n"
    with atomic_output(out) as f:
        f.write(text.encode("utf-8"))


@schema_app.command("infer")
def schema_infer(
    file: Annotated[
        str, typer.Argument(help="Sample records: JSON, JSON Lines or MessagePack; - for stdin.")
    ],
    name: Annotated[str, typer.Option("--name", help="Name of the record type.")] = "Record",
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="json, jsonl or msgpack (default: from the file name)."),
    ] = None,
    out: Annotated[
        str, typer.Option("-o", "--output", help="Output file (default: stdout).")
    ] = STDIO,
) -> None:
    """Write a canonical schema that round-trips the sample: a starting point to review."""
    from fmtbench.files import open_input
    from fmtbench.infer import infer_format_for_path, infer_schema_text

    if fmt is None:
        if file == STDIO:
            raise UsageError("reading a sample from '-' needs --format json|jsonl|msgpack")
        fmt = infer_format_for_path(file)
    with open_input(file) as f:
        data = f.read()
    text = infer_schema_text(data, fmt, name=name, source=None if file == STDIO else file)
    with atomic_output(out) as f:
        f.write(text.encode("utf-8"))
