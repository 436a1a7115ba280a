"""``fmtbench generate`` and ``fmtbench datasets``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from fmtbench.cli.app import (
    OutputFormatOpt,
    ProtoPathOpt,
    TypeOpt,
    app,
    print_json,
    say,
    schema_type,
    wants_json,
)
from fmtbench.errors import UsageError
from fmtbench.files import STDIO, refuse_overwriting_inputs


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
    proto_path: ProtoPathOpt = None,
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
    refuse_overwriting_inputs([output], [dataset, schema])
    schema, type_name = schema_type(schema, proto_path, type_name)
    job = make_job(dataset, schema, type_name=type_name, records=records, seed=seed)
    if quiet or not sys.stderr.isatty():
        result = write_generated(job, output, to_format=to_format)
    else:
        from rich.console import Console
        from rich.markup import escape
        from rich.progress import Progress

        from fmtbench.text import plain_text

        with Progress(console=Console(stderr=True), transient=True) as bar:
            # A profile's name is the file's text: escaped, and not read as rich markup.
            label = escape(plain_text(f"generating {job.label}"))
            task = bar.add_task(label, total=job.records)
            result = write_generated(
                job, output, to_format=to_format, progress=lambda n: bar.update(task, completed=n)
            )
    if not quiet:
        size = human_bytes(result.bytes or 0)
        where = "stdout" if output == STDIO else f"{output} ({size})"
        say(
            f"{result.records} {job.label} records (seed {job.generator.seed}) "
            f"-> {result.format}: {where}",
            err=True,
        )


@app.command("datasets")
def datasets_cmd(output_format: OutputFormatOpt = "text") -> None:
    """List the built-in datasets: record type, typical JSON size a record, what it stresses."""
    import dataclasses

    from fmtbench.generate import builtin_summaries, summary_lines

    if wants_json(output_format):
        print_json([dataclasses.asdict(s) for s in builtin_summaries()])
        return
    for line in summary_lines(builtin_summaries()):
        say(line)
