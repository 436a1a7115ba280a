"""``fmtbench report|plot|compare|recommend``: views of saved results.

Each command reads a results file (``fmtbench bench --json FILE``), asks ``fmtbench.bench``
for lines, a page or renderables, and prints or writes them. File outputs go through
``atomic_output``: a failure leaves no half-written report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fmtbench.cli.app import OutputFormatOpt, app, print_json, say, wants_json
from fmtbench.errors import UsageError
from fmtbench.files import STDIO, atomic_output, refuse_overwriting_inputs

ResultsArg = Annotated[
    str, typer.Argument(help="A results file written by 'fmtbench bench --json FILE'.")
]
# Report formats chosen from the output's file ending when no flag names one.
ENDINGS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".csv": "csv",
    ".html": "html",
    ".htm": "html",
}


def _report_format(markdown: bool, csv: bool, html: bool, output: str) -> str | None:
    chosen = [name for name, on in (("markdown", markdown), ("csv", csv), ("html", html)) if on]
    if len(chosen) > 1:
        raise UsageError("choose one of --markdown, --csv and --html")
    if chosen:
        return chosen[0]
    if output == STDIO:
        return None  # terminal tables
    by_ending = ENDINGS.get(Path(output).suffix.lower())
    if by_ending is None:
        raise UsageError(
            f"cannot tell the report format of {output}: add --markdown, --csv or --html"
        )
    return by_ending


def _write_text(text: str, output: str) -> None:
    with atomic_output(output) as f:
        f.write(text.encode("utf-8"))


@app.command("report")
def report_cmd(
    results: ResultsArg,
    markdown: Annotated[bool, typer.Option("--markdown", help="Markdown tables.")] = False,
    csv: Annotated[bool, typer.Option("--csv", help="CSV, one row per cell.")] = False,
    html: Annotated[
        bool, typer.Option("--html", help="A self-contained HTML page with charts.")
    ] = False,
    output: Annotated[
        str, typer.Option("-o", "--output", help="Output file (default: stdout).")
    ] = STDIO,
) -> None:
    """Show results as terminal tables, or write them as Markdown, CSV or HTML."""
    from fmtbench.bench import view

    kind = _report_format(markdown, csv, html, output)
    refuse_overwriting_inputs([output], [results])
    loaded = view.load(results)
    if kind is None:
        from fmtbench.bench.render_terminal import render_terminal
        from fmtbench.cli.tables import console, print_all

        print_all(render_terminal(loaded, width=console().width))
        return
    if kind == "html":
        from fmtbench.bench.render_html import to_html

        _write_text(to_html(loaded), output)
        return
    from fmtbench.bench.render_text import to_csv, to_markdown

    _write_text(to_markdown(loaded) if kind == "markdown" else to_csv(loaded), output)


@app.command("plot")
def plot_cmd(
    results: ResultsArg,
    output: Annotated[
        str, typer.Option("-o", "--output", help="The chart file: .png, .svg or .pdf.")
    ] = "",
) -> None:
    """Chart results into one image: size vs speed, encode/decode, raw vs compressed size."""
    from fmtbench.bench import view
    from fmtbench.bench.plot import chart_kind, plot

    if not output:
        raise UsageError("give the chart file with -o FILE (.png, .svg or .pdf)")
    refuse_overwriting_inputs([output], [results])
    chart_kind(output)  # a wrong ending is a usage error before anything is read
    plot(view.load(results), output)


@app.command("compare")
def compare_cmd(
    old: Annotated[str, typer.Argument(help="The earlier results file.")],
    new: Annotated[str, typer.Argument(help="The later results file.")],
    show_all: Annotated[
        bool, typer.Option("--all", help="Show every figure, not only changes beyond noise.")
    ] = False,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold",
            help="The least change that counts, as a fraction (0.05: 5%), beyond the interval.",
        ),
    ] = 0.05,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit with status 1 on a 'regression' (a figure worse) or any 'change'.",
        ),
    ] = None,
    output_format: OutputFormatOpt = "text",
) -> None:
    """Per cell, the ratio new/old of every timing and size, with its 95% interval; flag
    changes beyond the noise and the threshold."""
    from fmtbench.bench import view
    from fmtbench.bench.compare import compare, compare_json, compare_lines

    if not 0 <= threshold < 10 or threshold != threshold:
        raise UsageError(f"--threshold must be a fraction such as 0.05, got {threshold}")
    if fail_on not in (None, "regression", "change"):
        raise UsageError(f"--fail-on takes 'regression' or 'change', got {fail_on!r}")
    result = compare(view.load(old), view.load(new), floor=threshold)
    if wants_json(output_format):
        print_json(compare_json(result, show_all=show_all))
    else:
        for line in compare_lines(result, show_all=show_all):
            say(line)
    changed = result.changed or result.status
    if (fail_on == "regression" and result.regressed) or (fail_on == "change" and changed):
        raise typer.Exit(1)


@app.command("recommend")
def recommend_cmd(
    results: ResultsArg,
    weights: Annotated[
        str,
        typer.Option(
            "--weights", help="How much each metric counts: size, decode, encode, memory."
        ),
    ] = "size=2,decode=1,encode=1",
    bandwidth: Annotated[
        str | None,
        typer.Option("--bandwidth", help="Link speed, e.g. 100Mbit, 1Gbit, 10MB/s (needs --rate)."),
    ] = None,
    rate: Annotated[
        float | None, typer.Option("--rate", help="Messages per second (needs --bandwidth).")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", "-d", help="Only this dataset.")
    ] = None,
    compressed: Annotated[
        bool,
        typer.Option("--compressed", help="Judge sizes after zstd, and charge zstd time to CPU."),
    ] = False,
    libraries: Annotated[
        bool,
        typer.Option(
            "--libraries",
            help="Rank (format, implementation) pairs: library cells of 'bench --libraries'"
            " too, each with its format's size.",
        ),
    ] = False,
    output_format: OutputFormatOpt = "text",
) -> None:
    """Rank formats per dataset by a weighted score; with a link and a rate, name the bottleneck."""
    from fmtbench.bench import view
    from fmtbench.bench.recommend import (
        parse_bandwidth,
        parse_weights,
        recommend,
        recommend_json,
        recommend_lines,
    )

    as_json = wants_json(output_format)

    link = parse_bandwidth(bandwidth) if bandwidth is not None else None
    recs = recommend(
        view.load(results),
        parse_weights(weights),
        link,
        rate,
        compressed=compressed,
        dataset=dataset,
        libraries=libraries,
    )
    if as_json:
        print_json(recommend_json(recs))
        return
    for line in recommend_lines(recs, link, rate):
        say(line)
