"""``fmtbench bench``: run the benchmark, print a summary, optionally save the results file."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fmtbench.cli.app import ProtoPathOpt, TypeOpt, app, say, schema_of_inputs, schema_type
from fmtbench.errors import FileError, UsageError
from fmtbench.files import STDIO, refuse_overwriting_inputs
from fmtbench.text import plain_text

if TYPE_CHECKING:
    from fmtbench.bench.results import Results
    from fmtbench.bench.runner import DatasetSpec, Progress

MODE_CHOICES = {"message": ("message",), "batch": ("batch",), "both": ("message", "batch")}


@app.command("bench")
def bench_cmd(
    datasets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Built-in datasets (see 'fmtbench datasets') or profile files; "
            "default: the whole built-in suite.",
            show_default=False,
        ),
    ] = None,
    schema: Annotated[
        str | None,
        typer.Option("--schema", "-s", help="Schema of the --input records (file or built-in)."),
    ] = None,
    input_file: Annotated[
        str | None,
        typer.Option("--input", "-i", help="Benchmark your own records (format from the ending)."),
    ] = None,
    type_name: TypeOpt = None,
    proto_path: ProtoPathOpt = None,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--formats",
            "-f",
            help="Formats, comma-separated or repeated (default: every one 'fmtbench formats'"
            " marks for bench).",
            show_default=False,
        ),
    ] = None,
    libraries: Annotated[
        bool,
        typer.Option(
            "--libraries",
            help="Add a cell for every installed library of each measured format (orjson,"
            " ujson...), ranked within its format.",
        ),
    ] = False,
    library: Annotated[
        list[str] | None,
        typer.Option(
            "--library",
            help="Only these libraries (comma-separated or repeated; implies --libraries).",
            show_default=False,
        ),
    ] = None,
    records: Annotated[
        int | None,
        typer.Option(
            "--records", "-n", help="Records per dataset (default: ~256 KiB of JSON each)."
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="message (one record at a time), batch, or both.")
    ] = "both",
    json_out: Annotated[
        str | None, typer.Option("--json", help="Write the results file (docs/results.md).")
    ] = None,
    isolate: Annotated[
        bool, typer.Option("--isolate", help="Each cell in a fresh worker process.")
    ] = False,
    quick: Annotated[
        bool, typer.Option("--quick", help="Fewer, shorter samples and smaller datasets.")
    ] = False,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of generated datasets (default: theirs).")
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option("--samples", help="Samples kept a timing (default 7; 3 with --quick)."),
    ] = None,
    min_time: Annotated[
        float | None,
        typer.Option(
            "--min-time", help="Least seconds a sample lasts (default 0.03; 0.01 with --quick)."
        ),
    ] = None,
    warmup: Annotated[
        int | None,
        typer.Option(
            "--warmup",
            help="Warm-up samples dropped first, the calibration's included (default 1).",
        ),
    ] = None,
) -> None:
    """Measure sizes, encode/decode speed and memory of every format on datasets."""
    from fmtbench.bench import libraries as libs
    from fmtbench.bench.environment import machine_busy
    from fmtbench.bench.results import save
    from fmtbench.bench.runner import (
        bench_formats,
        check_formats,
        make_settings,
        missing_formats,
        run,
    )

    if mode not in MODE_CHOICES:
        raise UsageError(f"--mode must be message, batch or both, not {mode!r}")
    if records is not None and records < 1:
        raise UsageError(f"--records must be at least 1, got {records}")
    if json_out is not None:
        check_writable(json_out)  # now, not after a minute of measuring
        refuse_overwriting_inputs([json_out], [input_file, schema, *(datasets or [])])
    ref, ref_type = schema_type(schema, proto_path, type_name)
    specs = dataset_specs(datasets or [], ref, input_file, ref_type, records, seed)
    settings = make_settings(
        MODE_CHOICES[mode],
        quick=quick,
        isolate=isolate,
        samples=samples,
        min_time=min_time,
        warmups=warmup,
    )
    for why in machine_busy():
        say(f"fmtbench: warning: timings may be noisy: {why}", err=True)
    # Repeated options add up, comma-separated lists too (as explain's --formats).
    named = [f.strip() for arg in formats or () for f in arg.split(",") if f.strip()]
    fmts = list(bench_formats()) if formats is None else named
    if formats is None and (left := missing_formats()):
        from fmtbench.codecs.registry import REGISTRY

        extras = sorted({f"fmtbench[{REGISTRY[n].extra}]" for n in left})
        say(
            f"fmtbench: note: {', '.join(left)} left out, not installed: "
            f"pip install {' '.join(repr(e) for e in extras)}",
            err=True,
        )
    lib_names = [n.strip() for arg in library or () for n in arg.split(",") if n.strip()]
    chosen = libs.NONE
    if libraries or library is not None:
        if "message" not in settings.modes:
            raise UsageError("library cells time messages: --libraries needs --mode message or both")  # fmt: skip
        chosen = libs.choose(check_formats(fmts), None if library is None else lib_names)
        for note in chosen.notes:
            say(f"fmtbench: note: {note}", err=True)
    command = ["fmtbench", "bench", *(datasets or [])]
    for flag, value in (
        ("--schema", schema), ("--input", input_file), ("--type", type_name),
        ("--formats", ",".join(named) if formats is not None else None),
        ("--library", ",".join(lib_names) if library is not None else None),
        ("--records", records), ("--mode", None if mode == "both" else mode),
        ("--json", json_out), ("--seed", seed),
        ("--samples", samples), ("--min-time", min_time), ("--warmup", warmup),
    ):  # fmt: skip
        if value is not None:
            command += [flag, str(value)]
    for folder in proto_path or ():
        command += ["-I", folder]
    every_library = libraries and library is None
    command += [
        flag
        for flag, on in (("--libraries", every_library), ("--isolate", isolate), ("--quick", quick))
        if on
    ]
    with progress_bar() as progress:
        results = run(specs, fmts, settings, command=command, progress=progress, libraries=chosen)
    if json_out is not None:
        save(results, json_out)
    if json_out != STDIO:  # with --json -, stdout holds the results file alone
        print_summary(results)
    for c in results.cells:
        if c.status != "ok":
            say(f"fmtbench: {c.dataset} {c.format} ({c.step}) failed: {c.error}", err=True)
    if json_out not in (None, STDIO):
        say(f"results written to {json_out}", err=True)


def check_writable(path: str) -> None:
    if path == STDIO:
        if sys.stdout is None:  # now, not after a minute of measuring
            raise FileError("<stdout>: cannot write: standard output is closed")
        return
    folder = Path(path).resolve().parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise FileError(f"{path}: cannot write the results file: {folder} is not a writable folder")


def dataset_specs(
    names: list[str],
    schema: str | None,
    input_file: str | None,
    type_name: str | None,
    records: int | None,
    seed: int | None,
) -> list[DatasetSpec]:
    from fmtbench.bench.runner import DatasetSpec
    from fmtbench.generate import builtin_datasets

    if input_file is not None and schema is None:
        schema = schema_of_inputs([input_file], "--input needs --schema")
    if type_name is not None and schema is None:
        raise UsageError("--type applies to --schema records (a dataset has its own type)")
    if len(set(names)) != len(names):
        raise UsageError("a dataset is named twice")
    if not names and schema is None:
        names = builtin_datasets()
    specs = [DatasetSpec("profile", n, records, seed) for n in names]
    if input_file is not None:
        specs.append(DatasetSpec("file", input_file, records, None, schema, type_name))
    elif schema is not None:  # records generated from the schema alone
        specs.append(DatasetSpec("schema", schema, records, seed, schema, type_name))
    return specs


@contextlib.contextmanager
def progress_bar() -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} cells"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("benchmarking", total=None)

        def update(done: int, total: int, label: str) -> None:
            # The label holds a dataset's name, perhaps from a profile file: escaped, and
            # read as text, not as rich markup (a "[link=...]" would print a link).
            shown = escape(plain_text(f"bench {label}"))
            bar.update(task, completed=done, total=total, description=shown)

        yield update


def print_summary(results: Results) -> None:
    """The terminal tables of ``fmtbench report``, so both commands print alike."""
    from fmtbench.bench.render_terminal import render_terminal
    from fmtbench.cli.tables import console, print_all

    print_all(render_terminal(results, width=console().width))
