"""``fmtbench schema check|export|infer``."""

from __future__ import annotations

from typing import Annotated

import typer

from fmtbench.cli.app import TypeOpt, say, schema_app
from fmtbench.codecs.format import Export, resolve
from fmtbench.errors import SchemaError, UsageError
from fmtbench.files import STDIO, atomic_output, refuse_overwriting_inputs
from fmtbench.schema.builtin import resolve_schema


def export_targets() -> dict[str, Export]:
    """``--to`` name -> what it writes: every registered format's schema export, once."""
    from fmtbench.codecs.registry import REGISTRY

    return {f.export.target: f.export for f in REGISTRY.values() if f.export is not None}


@schema_app.command("check")
def schema_check(
    schema: Annotated[str, typer.Argument(help="Schema file or built-in name.")],
) -> None:
    """Load a schema and report what it declares; errors name file:line:column and the fix."""
    s = resolve_schema(schema)
    # Each target has limits of its own (Protobuf's enum value scope, XML's attribute
    # names): compiling for every one proves the schema works everywhere.
    for export in export_targets().values():
        resolve(export.render)(s, None)
    # And every format's codec of the root, as convert would build it: what a codec's
    # compiler refuses (a name clashing in Protobuf's pool, XML's mapping) shows here.
    from fmtbench.codecs import FORMATS, codec_for

    for fmt in FORMATS:
        codec_for(fmt, s)
    # A record type whose every record nests past the depth limit could never be used.
    from fmtbench.limits import DEFAULT_MAX_DEPTH, forced_depth

    for name in s.messages:
        if (least := forced_depth(s, name)) > DEFAULT_MAX_DEPTH:
            raise SchemaError(
                f"{schema}: every record of {name} nests at least {least} levels (its required"
                f" message, timestamp and duration fields), over the limit of {DEFAULT_MAX_DEPTH} (--max-depth): make"
                " a field on that chain optional"
            )
    say(f"{s.name}: ok: {len(s.messages)} message types, {len(s.enums)} enums, root {s.root}")


@schema_app.command("export")
def schema_export(
    schema: Annotated[str, typer.Argument(help="Schema file or built-in name.")],
    to: Annotated[
        str,
        typer.Option("--to", help="What to write: an export target 'fmtbench formats' lists."),
    ],
    out: Annotated[
        str, typer.Option("-o", "--output", help="Output file (default: stdout).")
    ] = STDIO,
    type_name: TypeOpt = None,
) -> None:
    """Write the schema for other tools: a .proto file, an XSD, a JSON Schema, ..."""
    targets = export_targets()
    if to not in targets:
        raise UsageError(f"--to must be one of {', '.join(targets)}, not {to!r}")
    refuse_overwriting_inputs([out], [schema])
    s = resolve_schema(schema)
    text = resolve(targets[to].render)(s, type_name)
    with atomic_output(out) as f:
        f.write(text.encode("utf-8"))


@schema_app.command("infer")
def schema_infer(
    file: Annotated[
        str,
        typer.Argument(
            help="Sample records in a format 'fmtbench formats' marks for infer; - for stdin."
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="Name of the record type.")] = "Record",
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="A format 'fmtbench formats' marks for infer (default: from the file name).",
        ),
    ] = None,
    out: Annotated[
        str, typer.Option("-o", "--output", help="Output file (default: stdout).")
    ] = STDIO,
) -> None:
    """Write a canonical schema that round-trips the sample: a starting point to review."""
    from fmtbench.files import open_input
    from fmtbench.infer import infer_format_for_path, infer_schema_text, sample_formats

    if fmt is None:
        if file == STDIO:
            raise UsageError(
                f"reading a sample from '-' needs --format {'|'.join(sample_formats())}"
            )
        fmt = infer_format_for_path(file)
    refuse_overwriting_inputs([out], [file])
    with open_input(file) as f:
        data = f.read()
    text = infer_schema_text(data, fmt, name=name, source=None if file == STDIO else file)
    with atomic_output(out) as f:
        f.write(text.encode("utf-8"))
