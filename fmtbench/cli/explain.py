"""``fmtbench explain``: what each field costs in each format."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from fmtbench.cli.app import ProtoPathOpt, TypeOpt, app, schema_of_inputs, schema_type
from fmtbench.errors import EncodeError, UsageError
from fmtbench.text import plain_text

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from fmtbench.explain import Explanation, FieldCost


@app.command("explain")
def explain_cmd(
    dataset: Annotated[
        str | None,
        typer.Argument(help="Built-in dataset (see 'fmtbench datasets') or a profile file."),
    ] = None,
    schema: Annotated[
        str | None,
        typer.Option("--schema", "-s", help="Explain a record of --input under this schema."),
    ] = None,
    type_name: TypeOpt = None,
    proto_path: ProtoPathOpt = None,
    input: Annotated[
        str | None,
        typer.Option("--input", "-i", help="File of records (format from its ending, or --from)."),
    ] = None,
    from_format: Annotated[
        str | None, typer.Option("--from", help="Input format (default: from the file name).")
    ] = None,
    record: Annotated[
        int, typer.Option("--record", "-r", help="Which record: 1 is the first.")
    ] = 1,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--formats",
            "-f",
            help="Formats to compare, comma-separated or repeated (default: every format "
            "'fmtbench formats' marks for explain).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table.")] = False,
) -> None:
    """Show what each field of one record costs, in bytes, in each format, and why."""
    from fmtbench.explain import dataset_record, explain, file_record
    from fmtbench.schema.builtin import resolve_schema

    if schema is None and input is not None and dataset is None:
        schema = schema_of_inputs([input], "give --schema SCHEMA with --input FILE")
    schema, type_name = schema_type(schema, proto_path, type_name)
    chosen = tuple(dict.fromkeys(f for arg in formats or () for f in arg.split(",") if f))
    if dataset is not None:
        if schema is not None or input is not None or from_format is not None:
            raise UsageError("name a DATASET, or give --schema and --input; not both")
        subject = dataset_record(dataset, record, type_name)
        label = dataset
    elif schema is None or input is None:
        raise UsageError("name a DATASET, or give --schema SCHEMA and --input FILE")
    else:
        subject = file_record(
            input,
            resolve_schema(schema),
            type_name=type_name,
            index=record,
            from_format=from_format,
        )
        label = input
    try:
        result = explain(
            subject.schema,
            subject.record,
            type_name=subject.type_name,
            formats=chosen or None,
            source=subject.source,
        )
    except EncodeError as exc:
        raise exc.located(file=label, record=record) from None
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    from fmtbench.bench.render_terminal import fitted
    from fmtbench.cli.tables import console, print_all

    # Too wide for the terminal (or COLUMNS when piped): the formats in groups, each beside
    # the fields, so no number is cut.
    tables = fitted(
        lambda fmts, title: explain_table(result, fmts, title),
        result.formats,
        f"{result.schema}.{result.type_name}: {result.source}",
        console().width,
    )
    from rich.text import Text

    notes = [Text(plain_text(line)) for line in note_lines(result)]  # text, never markup
    print_all([*tables, *notes], blank_after=False)


def explain_table(
    e: Explanation, formats: Sequence[str] | None = None, title: str | None = None
) -> Table:
    """Fields as rows, formats (all, or those given) as columns: bytes, % of the record,
    (overhead among them)."""
    from rich.table import Table
    from rich.text import Text

    shown = list(e.formats if formats is None else formats)
    title = f"{e.schema}.{e.type_name}: {e.source}" if title is None else title
    # The title names the input file, perhaps a hostile one: escaped, and not markup.
    table = Table(
        title=Text(plain_text(title), style="table.title"),
        caption="bytes, % of the record, (of them overhead: names, tags, lengths, quotes, "
        "separators). A message, list or map row includes its fields.",
        caption_justify="left",
    )
    # At the narrowest, names wrap (fold) rather than lose their ends; figures never do.
    table.add_column("field", overflow="fold")
    table.add_column("type", overflow="fold")
    for fmt in shown:
        table.add_column(fmt, justify="right", no_wrap=True)

    def cells(costs: dict[str, tuple[int, int]], pct: bool = True) -> list[Text]:
        out = []
        for fmt in shown:
            total, overhead = costs[fmt]
            share = f" {100 * total / e.totals[fmt]:5.1f}%" if pct and e.totals[fmt] else ""
            out.append(Text(f"{total}{share}") + Text(f" ({overhead})", style="dim"))
        return out

    for row in e.rows():
        head = _label(row)
        if not row.present:
            table.add_row(head, _type(row, "dim"), *["-" for _ in shown])
            continue
        own = {fmt: (c.total, c.overhead) for fmt, c in row.costs.items()}
        table.add_row(head, _type(row), *cells(own))
        if row.elements:
            n = row.elements
            each = {
                fmt: (round(c.total / n), round(c.overhead / n)) for fmt, c in row.costs.items()
            }
            label = Text("  " * (row.depth + 1) + f"each of {n} (avg)", style="dim italic")
            table.add_row(label, "", *[Text(str(c), style="dim") for c in cells(each, False)])
    table.add_section()
    envelope = {fmt: (c.total, c.overhead) for fmt, c in e.envelope.items()}
    table.add_row(Text("(envelope)", style="dim"), "", *cells(envelope))
    totals = {
        fmt: (t, e.envelope[fmt].overhead + sum(f.costs[fmt].overhead for f in e.fields))
        for fmt, t in e.totals.items()
    }
    table.add_row(Text("total", style="bold"), "", *cells(totals))
    return table


def _label(row: FieldCost) -> Text:
    from rich.text import Text

    path = plain_text(row.path)  # names from the schema file
    cut = max(path.rfind("."), -1) + 1
    return Text("  " * row.depth) + Text(path[:cut], style="dim") + Text(path[cut:])


def _type(row: FieldCost, style: str = "") -> Text:
    from rich.text import Text

    from fmtbench.explain import type_text

    text = type_text(row.field)  # names from the schema file: escaped, and not markup
    if not row.present:
        text += ", absent"
    elif row.occurrences > 1 and row.present < row.occurrences:
        text += f", set in {row.present} of {row.occurrences}"
    return Text(plain_text(text), style=style)


def note_lines(e: Explanation) -> list[str]:
    """Why each kind of value differs, with the measured payload a value of each field."""
    by_kind: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    width = max((len(r.path) for r in e.rows()), default=0)
    for row in e.rows():
        for note in row.notes:
            texts[note.kind] = note.text
            each = "  ".join(f"{fmt} {_number(v)}" for fmt, v in note.payload.items())
            by_kind.setdefault(note.kind, []).append(f"    {row.path:<{width}}  {each}")
    if not by_kind:
        return []
    lines = ["", "Notes (payload: the bytes that spell one value, without names or headers):"]
    for kind, rows in by_kind.items():
        lines += [f"  {kind}: {texts[kind]}.", *rows]
    return lines


def _number(v: float) -> str:
    return str(int(v)) if v == int(v) else f"{v:.1f}"
