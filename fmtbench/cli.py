"""The command line: parse arguments, call the library, print. Nothing else lives here.

Every failure funnels through ``main``: a FmtbenchError becomes one line on stderr and an
exit status from ``ExitStatus``; no traceback reaches the user.
"""

from __future__ import annotations

import enum
import sys
from typing import Annotated

import typer

from fmtbench import __version__
from fmtbench.codecs import FORMATS
from fmtbench.convert import convert
from fmtbench.errors import FmtbenchError, UsageError
from fmtbench.files import STDIO, atomic_output
from fmtbench.schema.builtin import resolve_schema


class ExitStatus(enum.IntEnum):
    OK = 0
    ERROR = 1  # bad input, a record that cannot be written, a bad schema, an I/O failure
    USAGE = 2  # the command line itself is wrong
    INTERRUPTED = 130


app = typer.Typer(
    name="fmtbench",
    help="Compile one schema to Protobuf, JSON, XML and MessagePack; convert and compare.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
schema_app = typer.Typer(help="Check a schema or export it for other tools.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

SchemaArg = Annotated[
    str, typer.Option("--schema", "-s", help="Schema file, or a built-in name (order, sensor).")
]
TypeOpt = Annotated[
    str | None, typer.Option("--type", "-t", help="Record type (default: the schema's root).")
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fmtbench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """fmtbench: one canonical schema, four wire formats."""


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


@app.command("formats")
def formats_cmd() -> None:
    """List the formats and the file endings that select them."""
    for name, codec in FORMATS.items():
        typer.echo(f"{name:<20} {' '.join(codec.extensions)}")


@app.command("generate")
def generate_cmd(
    dataset: Annotated[
        str | None,
        typer.Argument(help="Built-in dataset (see 'fmtbench datasets') or a profile file."),
    ] = None,
    output: Annotated[
        str, typer.Option("-o", "--output", help="Output file, or - for stdout (needs --to).")
    ] = "",
    schema: Annotated[
        str | None,
        typer.Option("--schema", "-s", help="Generate from a schema instead of a dataset."),
    ] = None,
    type_name: TypeOpt = None,
    records: Annotated[
        int | None,
        typer.Option("--records", "-n", help="How many records (default: the dataset's)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (default: the dataset's, or 0).")
    ] = None,
    to_format: Annotated[
        str | None, typer.Option("--to", help="Output format (default: from the file name).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Generate seeded, realistic records of a dataset or a schema into a file."""
    from fmtbench.generate import make_job, write_generated
    from fmtbench.generate.output import human_bytes

    if not output:
        raise UsageError("give the output file with -o FILE (or -o - for stdout)")
    job = make_job(dataset, schema, type_name=type_name, records=records, seed=seed)
    if quiet or not sys.stderr.isatty():
        result = write_generated(job, output, to_format=to_format)
    else:
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(f"generating {job.label}", total=job.records)
            result = write_generated(
                job, output, to_format=to_format, progress=lambda n: bar.update(task, completed=n)
            )
    if not quiet:
        size = human_bytes(result.bytes or 0)
        where = "stdout" if output == STDIO else f"{output} ({size})"
        typer.echo(
            f"{result.records} {job.label} records (seed {job.generator.seed}) "
            f"-> {result.format}: {where}",
            err=True,
        )


@app.command("datasets")
def datasets_cmd() -> None:
    """List the built-in datasets: record type, typical JSON size a record, what it stresses."""
    from fmtbench.generate import builtin_summaries, summary_lines

    for line in summary_lines(builtin_summaries()):
        typer.echo(line)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit status; usage errors are typer's (status 2)."""
    try:
        app(args=argv, prog_name="fmtbench")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else ExitStatus.ERROR
    except FmtbenchError as exc:
        typer.echo(f"fmtbench: error: {exc}", err=True)
        return ExitStatus.USAGE if isinstance(exc, UsageError) else ExitStatus.ERROR
    except KeyboardInterrupt:
        typer.echo("fmtbench: interrupted", err=True)
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.ERROR
    return ExitStatus.OK


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
