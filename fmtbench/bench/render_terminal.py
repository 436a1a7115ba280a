"""Results as rich tables for the terminal: the raw figures, then the same relative to the best.

Builds renderables only; the CLI prints them. Per dataset, rows are grouped by format (full
step first, then the library's native step, dimmed: it never competes for "best"; then the
other libraries of ``bench --libraries``, with a rank column placing each among the format's
implementations, fastest first). The best
value of each column is bold green, an unstable timing is prefixed with ``~`` and explained
below the table, and a failed cell says so with its error.

Every text from the results file enters a table through ``_text``, escaped before rich
measures it, so the columns still line up.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TypeVar

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from fmtbench.bench import view
from fmtbench.bench.view import METRICS, Metric, Results, Row
from fmtbench.text import plain_text

BEST = "bold green"
TITLE = "table.title"  # rich's style for a title given as a string
UNSTABLE = "~"


def render_terminal(results: Results, width: int | None = None) -> list[RenderableType]:
    """The environment, then per dataset a table of figures and a table relative to the best.

    With ``width``, a table wider than it is split by columns: the first metrics, then the
    rest below (``(continued)``), each beside the format and implementation, so that no
    number is ever cut or wrapped."""
    out: list[RenderableType] = [environment_table(results)]
    spread = view.unstable_spread(results)
    for d in view.datasets(results):
        rows = view.rows(results, d.name)
        figures = functools.partial(_figures, rows, spread)
        out += _fitted(figures, f"{d.name}: {view.dataset_caption(d)}", width)
        if any(r.comparable for r in rows):
            relative = functools.partial(_relative, rows)
            out += _fitted(relative, f"{d.name}: relative to the best (1.00x)", width)
    return out


def _figures(rows: Sequence[Row], spread: float, metrics: Sequence[Metric], title: str) -> Table:
    return figures_table(rows, title, spread, metrics)


def _relative(rows: Sequence[Row], metrics: Sequence[Metric], title: str) -> Table:
    return relative_table(rows, title, metrics)


def _fitted(
    build: Callable[[Sequence[Metric], str], Table], title: str, width: int | None
) -> list[Table]:
    """``build`` over every metric, or over as few groups of them as fit in ``width``."""
    return fitted(build, list(METRICS), title, width)


T = TypeVar("T")


def fitted(
    build: Callable[[Sequence[T], str], Table], columns: Sequence[T], title: str, width: int | None
) -> list[Table]:
    """``build`` over every column, or over as few even groups of them as fit in ``width``
    (the later ones titled ``(continued)``), so a table never cuts or wraps a number. The
    columns ``build`` always adds (a format, a field) are repeated in every part."""
    whole = build(columns, title)
    if width is None or natural_width(whole) <= width:
        return [whole]
    for parts in range(2, len(columns) + 1):
        size = -(-len(columns) // parts)
        groups = [columns[i : i + size] for i in range(0, len(columns), size)]
        tables = [
            build(g, title if i == 0 else f"{title} (continued)") for i, g in enumerate(groups)
        ]
        if all(natural_width(t) <= width for t in tables):
            return tables
    return [build([c], title if i == 0 else f"{title} (continued)") for i, c in enumerate(columns)]


def natural_width(table: Table) -> int:
    """The width ``table`` needs with nothing wrapped or shortened."""
    probe = Console(width=10_000)
    return probe.measure(table).maximum


def _text(value: str, style: str = "") -> Text:
    """Text from the results file as a table shows it: its control characters escaped, and
    a ``Text``, never a string rich would read as markup ("[native]" would vanish, and
    "[link=URL]" would print a link)."""
    return Text(plain_text(value), style=style)


def environment_table(results: Results) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in view.environment(results):
        style = "yellow" if label == "protobuf backend" and "python" in value else ""
        grid.add_row(label, _text(value, style))
    return grid


def _base(title: str, metrics: Sequence[Metric] = METRICS, rank: bool = False) -> Table:
    # Light borders and wrapping names: the table fits about 85 columns before rich has to
    # shorten numbers, and numbers never wrap.
    table = Table(
        title=_text(title, TITLE),
        title_justify="left",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("format", no_wrap=True)
    table.add_column("implementation", no_wrap=True)
    if rank:
        table.add_column("rank", justify="right", no_wrap=True)
    for m in metrics:
        table.add_column(m.heading, justify="right", no_wrap=True)
    return table


def figures_table(
    rows: Sequence[Row], title: str, spread: float, metrics: Sequence[Metric] = METRICS
) -> Table:
    ranked = view.has_libraries(rows)
    ranks = view.format_ranks(rows)
    table = _base(title, metrics, rank=ranked)
    bests = {m.key: view.best(rows, m) for m in metrics}
    notes: list[Text] = []
    unstable_seen = False
    for i, r in enumerate(rows):
        last_of_format = i + 1 == len(rows) or rows[i + 1].format != r.format
        impl = view.step_label(r)
        if not r.ok:
            why = r.error or "no error recorded"
            notes.append(_text(f"{r.format} {impl} failed: {why}", "red"))
            cells = [Text("failed", style="red") for _ in metrics]
        else:
            cells = []
            for m in metrics:
                cell, unstable = _cell(r, m, bests[m.key])
                unstable_seen |= unstable
                cells.append(cell)
        place = [Text(view.rank_text(r, ranks))] if ranked else []
        table.add_row(
            _text(r.format),
            _text(impl),
            *place,
            *cells,
            style="dim" if r.step == "native" else "",
            end_section=last_of_format,
        )
    if unstable_seen:
        notes.append(
            Text(
                f"{UNSTABLE} unstable: IQR/median above {spread:.0%}; rerun on a quieter machine "
                "or with more samples before trusting it",
                style="dim",
            )
        )
    if any(r.step == "native" for r in rows if r.ok):
        where = "ranked only within its format" if ranked else "never ranked"
        notes.append(Text(f"[native]: the library's own step alone, {where}", style="dim"))
    if ranked:
        notes.append(Text(f"[library]: {view.library_note(rows)}", style="dim"))
    if notes:
        table.caption = Text("\n").join(notes)
    return table


def _cell(row: Row, metric: Metric, best: float | None) -> tuple[Text, bool]:
    shown = view.show(metric, row)
    if shown is None:
        return Text("-", style="dim"), False
    unstable = metric.timing is not None and row.unstable(metric.timing)
    text = (UNSTABLE if unstable else "") + shown
    if row.comparable and view.is_best(metric.value(row), best):
        return Text(text, style=BEST), unstable
    return Text(text, style="dim" if unstable else ""), unstable


def relative_table(rows: Sequence[Row], title: str, metrics: Sequence[Metric] = METRICS) -> Table:
    """Each column divided by its best: 1.00x is the best, 2.00x twice as big or slow."""
    table = _base(title, metrics)
    ranked = [r for r in rows if r.comparable]
    bests = {m.key: view.best(ranked, m) for m in metrics}
    for i, r in enumerate(ranked):
        cells: list[Text] = []
        for m in metrics:
            value, b = m.value(r), bests[m.key]
            if value is None or b is None:
                cells.append(Text("-", style="dim"))
                continue
            mark = UNSTABLE if m.timing is not None and r.unstable(m.timing) else ""
            text = mark + view.fmt_relative(view.relative(value, b, m))
            cells.append(Text(text, style=BEST if view.is_best(value, b) else ""))
        last = i + 1 == len(ranked) or ranked[i + 1].format != r.format
        table.add_row(_text(r.format), _text(r.implementation), *cells, end_section=last)
    return table
