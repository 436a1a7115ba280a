"""``fmtbench convert`` and ``fmtbench formats``.

``convert`` takes one input and one output, or many inputs (or quoted glob patterns) and an
output directory; ``--workers`` converts files, or chunks of one big file, in parallel.
"""

from __future__ import annotations

import contextlib
import glob
import os
import stat
import sys
import time
from collections.abc import Iterator
from typing import Annotated

import typer

from fmtbench.cli.app import (
    OutputFormatOpt,
    ProtoPathOpt,
    TypeOpt,
    app,
    say,
    schema_of_inputs,
    schema_type,
    wants_json,
)
from fmtbench.codecs import codec_for
from fmtbench.codecs.format import Format
from fmtbench.convert import Progress
from fmtbench.errors import FileError, UsageError
from fmtbench.files import STDIO
from fmtbench.limits import DEFAULT_MAX_DEPTH, MAX_SIZE, Limits
from fmtbench.parallel import (
    Options,
    can_split,
    convert_chunked,
    convert_many,
    convert_one,
    output_paths,
)
from fmtbench.schema.builtin import resolve_schema


@app.command("convert")
def convert_cmd(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Input file(s) or quoted glob pattern(s), then the output: a file, - for "
            "stdout, or a directory (ending in /, or existing) for many inputs.",
            metavar="IN... OUT",
        ),
    ],
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            "-s",
            help="Schema file, or a built-in name (order, sensor); an .avro input carries its own.",
        ),
    ] = None,
    type_name: TypeOpt = None,
    proto_path: ProtoPathOpt = None,
    from_format: Annotated[
        str | None, typer.Option("--from", help="Input format (default: from the file name).")
    ] = None,
    to_format: Annotated[
        str | None,
        typer.Option(
            "--to", help="Output format (default: from the file name; needed for a directory)."
        ),
    ] = None,
    drop_unknown: Annotated[
        bool,
        typer.Option(
            "--drop-unknown", help="Discard fields the schema does not know instead of failing."
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-j",
            min=1,
            help="Processes: files converted at once, or chunks of one big file of a format "
            "that splits (see 'fmtbench formats'; default: the CPU count).",
        ),
    ] = None,
    max_depth: Annotated[
        int,
        typer.Option(
            "--max-depth",
            min=1,
            help="Deepest nesting of messages (map entries count as a level, as in Protobuf).",
        ),
    ] = DEFAULT_MAX_DEPTH,
    max_record_bytes: Annotated[
        str,
        typer.Option(
            "--max-record-bytes",
            help="Largest single record (a line, frame or message); K, M, G suffixes (1024s).",
        ),
    ] = "64M",
    max_input_bytes: Annotated[
        str | None,
        typer.Option(
            "--max-input-bytes",
            help="Stop once an input is larger than this, counted while reading (default: none).",
        ),
    ] = None,
    max_record_values: Annotated[
        int | None,
        typer.Option(
            "--max-record-values",
            min=1,
            help="Most values one record may expand to, zero-filled fields included"
            " (default: --max-record-bytes / 16).",
        ),
    ] = None,
    proto_names: Annotated[
        bool,
        typer.Option(
            "--proto-names",
            help="ProtoJSON output: write the schema's field names, not lowerCamelCase ones.",
        ),
    ] = False,
    avro_codec: Annotated[
        str | None,
        typer.Option(
            "--avro-codec",
            help="Avro container output: the blocks' compression (null, the default; deflate,"
            " snappy, zstandard, bzip2, xz).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Convert records between formats, validated against the schema: lossless or an error."""
    if len(paths) < 2:
        raise UsageError("give an input and an output: fmtbench convert IN... OUT")
    *patterns, output = paths
    inputs = expand_inputs(patterns)
    jobs = workers or _cpus()
    limits = Limits(
        max_depth=max_depth,
        max_record_bytes=parse_size(max_record_bytes, "--max-record-bytes"),
        max_input_bytes=(
            None if max_input_bytes is None else parse_size(max_input_bytes, "--max-input-bytes")
        ),
        max_record_values=max_record_values,
    )
    if schema is None:
        schema = schema_of_inputs(inputs, "give --schema")
    ref, type_name = schema_type(schema, proto_path, type_name)
    assert ref is not None
    writer_options: tuple[tuple[str, object], ...] = ()
    if avro_codec is not None:
        writer_options += (("avro_codec", avro_codec),)
    if proto_names:
        writer_options += (("proto_names", True),)
    options = Options(ref, type_name, from_format, to_format, drop_unknown, limits, writer_options)
    many = len(inputs) > 1 or output.endswith(("/", os.sep)) or os.path.isdir(output)
    with progress_bar(inputs, enabled=not quiet and sys.stderr.isatty()) as progress:
        if many:
            lines = _convert_many(inputs, output, options, jobs, progress)
        else:
            lines = [_convert_one(inputs[0], output, options, jobs, progress, quiet=quiet)]
    if not quiet:
        for line in lines:
            say(line, err=True)


def _convert_one(
    src: str, dst: str, options: Options, jobs: int, progress: Progress | None, *, quiet: bool
) -> str:
    start = time.monotonic()
    if jobs > 1 and can_split(src, dst, options):
        result = convert_chunked(src, dst, options, workers=jobs, progress=progress)
    else:
        result = convert_one(src, dst, options, progress=progress, workers=jobs)
    where = "stdout" if dst == STDIO else dst
    line = f"{result.records} records {result.source_format} -> {result.target_format}: {where}"
    return line if quiet else line + _throughput(src, dst, time.monotonic() - start)


def _throughput(src: str, dst: str, seconds: float) -> str:
    """`` (6.2 MiB -> 5.0 MiB in 0.41 s, 15.8 MB/s)``: the sizes of regular files, the time,
    and the input read a second; empty when the input's size is not known."""
    size_in = _file_size(src)
    if size_in is None:
        return ""
    size_out = _file_size(dst)
    # Here, not at the top: fmtbench.generate is a sixth of the start of every convert.
    from fmtbench.generate.output import human_bytes

    sizes = human_bytes(size_in) + (f" -> {human_bytes(size_out)}" if size_out is not None else "")
    rate = f", {size_in / seconds / 1e6:.1f} MB/s" if seconds > 0 else ""
    return f" ({sizes} in {seconds:.2f} s{rate})"


def _file_size(path: str) -> int | None:
    if path == STDIO:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _convert_many(
    inputs: list[str], outdir: str, options: Options, jobs: int, progress: Progress | None
) -> list[str]:
    if STDIO in (*inputs, outdir):
        raise UsageError("'-' cannot be one of many inputs, nor their output directory")
    if not options.to_format:
        raise UsageError("converting into a directory needs --to FORMAT")
    codec_for(options.to_format, resolve_schema(options.schema))  # unknown format: usage error now
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as exc:
        raise FileError(f"{outdir}: cannot create the directory: {exc.strerror or exc}") from None
    outputs = output_paths(inputs, outdir, options.to_format)
    results = convert_many(inputs, outputs, options, workers=jobs, progress=progress)
    return [
        f"{r.records} records {r.source_format} -> {r.target_format}: {dst}"
        for r, dst in zip(results, outputs, strict=True)
    ]


_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str, flag: str) -> int:
    """``65536``, ``64K``, ``64M``, ``1G`` (powers of 1024; a trailing B or iB is allowed)."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (t[:-1], t[-1]) if t and t[-1] in _UNITS else (t, "")
    # ASCII digits only: str.isdigit also says yes to "²" and "٣", which int() refuses.
    if not (number.isascii() and number.isdigit()) or int(number) < 1:
        raise UsageError(f"{flag} wants a positive size such as 65536, 64K or 1G, not {text!r}")
    size = int(number) * _UNITS[unit]
    if size > MAX_SIZE:
        raise UsageError(
            f"{flag} {text!r} is over the largest size accepted, 2**60 bytes (1048576T)"
        )
    return size


def _cpus() -> int:
    """The CPUs this process may use (a container or taskset may allow fewer than exist)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def expand_inputs(patterns: list[str]) -> list[str]:
    """Inputs as given; a pattern the shell did not expand (quoted) is expanded here, sorted."""
    inputs: list[str] = []
    for pattern in patterns:
        if pattern != STDIO and glob.has_magic(pattern) and not os.path.exists(pattern):
            found = sorted(glob.glob(pattern))
            if not found:
                raise FileError(f"{pattern}: no file matches")
            inputs.extend(found)
        else:
            inputs.append(pattern)
    return inputs


@contextlib.contextmanager
def progress_bar(inputs: list[str], *, enabled: bool) -> Iterator[Progress | None]:
    """A rich bar on stderr (records, MB/s, ETA from the input bytes), or nothing at all."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import (
        Progress as Bar,
    )

    sizes = [os.path.getsize(p) for p in inputs if p != STDIO and os.path.isfile(p)]
    total = sum(sizes) if len(sizes) == len(inputs) else None
    columns = (
        TextColumn("converting {task.fields[records]} records"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    # Redrawn from the reports (every 2048 records, or as chunks finish), at most ten times
    # a second, rather than by rich's own refresh thread: with no thread running, chunk
    # workers can still be forked.
    with Bar(*columns, console=Console(stderr=True), transient=True, auto_refresh=False) as bar:
        task = bar.add_task("convert", total=total, records=0)
        drawn = 0.0

        def report(records: int, done: int) -> None:
            nonlocal drawn
            now = time.monotonic()
            redraw = now - drawn >= 0.1
            bar.update(task, completed=done, records=records, refresh=redraw)
            if redraw:
                drawn = now

        yield report


@app.command("formats")
def formats_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (as --format json).")] = False,
    output_format: OutputFormatOpt = "text",
) -> None:
    """List the formats: file endings, what each can do, and where it comes from."""
    from fmtbench.codecs.registry import REGISTRY

    if wants_json(output_format) or as_json:
        import json

        rows = [_format_facts(f) for f in REGISTRY.values()]
        typer.echo(json.dumps(rows, indent=2))
        return
    lines: list[list[str]] = []
    for name, f in REGISTRY.items():
        facts = _format_facts(f)
        can = ", ".join(k for k in ("bench", "explain", "infer", "split") if facts[k])
        export = f"export {facts['export']}" if facts["export"] else ""
        origin = "" if f.origin == "fmtbench" else f"from {f.origin}"
        if f.missing() is not None:
            origin = f"(not installed: pip install 'fmtbench[{f.extra}]')"
        lines.append([name, " ".join(f.extensions), f.title, can, export, origin])
    widths = [max(len(r[i]) for r in lines) for i in range(len(lines[0]))]
    for r in lines:  # a plugin's names are the plugin's text: say() escapes them
        say("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _format_facts(f: Format) -> dict[str, object]:
    return {
        "name": f.name,
        "title": f.title,
        "extensions": list(f.extensions),
        "single_form": f.single_form,
        "many_records": f.many_records,
        "bench": f.bench,
        "explain": f.explain is not None,
        "infer": not f.needs_schema,
        "split": f.split is not None,
        "concatenates": f.concatenates,
        "export": f.export.target if f.export is not None else None,
        "origin": f.origin,
        "installed": f.missing() is None,
    }
