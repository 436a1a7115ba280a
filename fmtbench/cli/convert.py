"""``fmtbench convert`` and ``fmtbench formats``."""

from __future__ import annotations

from typing import Annotated

import typer

from fmtbench.cli.app import SchemaArg, TypeOpt, app
from fmtbench.codecs import FORMATS
from fmtbench.convert import convert
from fmtbench.files import STDIO
from fmtbench.schema.builtin import resolve_schema


@app.command("convert")
def convert_cmd(
    input: Annotated[str, typer.Argument(help="Input file, or - for stdin.")],
    output: Annotated[str, typer.Argument(help="Output file, or - for stdout.")],
    schema: SchemaArg,
    type_name: TypeOpt = None,
    from_format: Annotated[
        str | None, typer.Option("--from", help="Input format (default: from the file name).")
    ] = None,
    to_format: Annotated[
        str | None, typer.Option("--to", help="Output format (default: from the file name).")
    ] = None,
    drop_unknown: Annotated[
        bool,
        typer.Option(
            "--drop-unknown", help="Discard fields the schema does not know instead of failing."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Convert records between formats, validated against the schema: lossless or an error."""
    result = convert(
        input,
        output,
        resolve_schema(schema),
        type_name=type_name,
        from_format=from_format,
        to_format=to_format,
        drop_unknown=drop_unknown,
    )
    if not quiet:
        where = "stdout" if output == STDIO else output
        typer.echo(
            f"{result.records} records {result.source_format} -> {result.target_format}: {where}",
            err=True,
        )


@app.command("formats")
def formats_cmd() -> None:
    """List the formats and the file endings that select them."""
    for name, codec in FORMATS.items():
        typer.echo(f"{name:<20} {' '.join(codec.extensions)}")
