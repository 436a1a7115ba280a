"""Results as Markdown (for issues and pull requests) and CSV (for spreadsheets and pandas).

Both have one row per cell, failed and native cells included. Markdown opens with the
environment, because a number without the machine and library versions is not a result.
CSV keeps full precision and raw units (bytes, ns, MB/s) with no formatting.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from fmtbench.bench import view
from fmtbench.bench.view import METRICS, Results, Row
from fmtbench.text import plain_text

BEST_MD = "**{}**"
UNSTABLE = "~"


def to_markdown(results: Results) -> str:
    lines = ["# fmtbench results", ""]
    lines += [f"- **{label}**: {_md(value)}" for label, value in view.environment(results)]
    spread = view.unstable_spread(results)
    for d in view.datasets(results):
        rows = view.rows(results, d.name)
        lines += ["", f"## {_md(d.name)}", "", _md(view.dataset_caption(d)), ""]
        lines += markdown_table(rows)
        lines += ["", *_footnotes(rows, spread)]
    lines += ["", _LEGEND]
    return "\n".join(lines).rstrip("\n") + "\n"


_LEGEND = (
    "Best value of each column in **bold** (full-step cells only). Sizes are bytes per "
    "record of the batch file; message timings are ns per record, each encoded or decoded "
    "on its own; batch timings are ns per record of the whole file (MB/s and records/s "
    "are in the CSV report)."
)


def markdown_table(rows: Sequence[Row]) -> list[str]:
    """One row per cell; with library cells, a rank column places each row among its
    format's implementations (``view.format_ranks``)."""
    ranked = view.has_libraries(rows)
    ranks = view.format_ranks(rows)
    texts = ["format", "implementation", "step", "status"] + (["rank"] if ranked else [])
    headers = [*texts, *(m.label for m in METRICS)]
    align = ["---"] * 4 + ["---:"] * (len(METRICS) + ranked)
    out = [_md_row(headers), _md_row(align)]
    bests = {m.key: view.best(rows, m) for m in METRICS}
    for r in rows:
        status = r.status if r.ok else f"{r.status}: {r.error or 'no error recorded'}"
        cells = [r.format, r.implementation, r.step, status]
        if ranked:
            cells.append(view.rank_text(r, ranks))
        for m in METRICS:
            shown = view.show(m, r)
            if shown is None:
                cells.append("-" if r.ok else "failed")
                continue
            if m.timing is not None and r.unstable(m.timing):
                shown = UNSTABLE + shown
            if r.comparable and view.is_best(m.value(r), bests[m.key]):
                shown = BEST_MD.format(shown)
            cells.append(shown)
        out.append(_md_row([_md(c) if i < 4 else c for i, c in enumerate(cells)]))
    return out


def _footnotes(rows: Sequence[Row], spread: float) -> list[str]:
    notes = []
    if any(m.timing and r.ok and r.unstable(m.timing) for r in rows for m in METRICS):
        notes.append(
            f"`{UNSTABLE}` unstable: IQR/median above {spread:.0%}; rerun before trusting it."
        )
    ranked = view.has_libraries(rows)
    if any(r.ok and r.step == "native" for r in rows):
        where = "ranked only within their format" if ranked else "never ranked"
        notes.append(f"`native` rows time the library's own step alone and are {where}.")
    if ranked:
        notes.append(f"`library` rows: {_md(view.library_note(rows))}.")
    return [" ".join(notes)] if notes else []


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _md(text: str) -> str:
    """Text made inert in Markdown: pipes would split cells, newlines would end rows."""
    text = " ".join(text.split())
    for ch in "\\`*_[]<|":
        text = text.replace(ch, "\\" + ch)
    return text


def csv_columns(rows: Sequence[Row]) -> list[str]:
    cols = ["dataset", "format", "implementation", "step", "status", "error"]
    if view.has_libraries(rows):  # place and count among the format's implementations
        cols += ["format_rank", "format_implementations"]
    cols += ["records", "bytes", "bytes_per_record"]
    for c in view.compressors(rows):
        cols += [f"{c}_bytes", f"{c}_bytes_per_record", f"{c}_ratio"]
    for t in view.TIMINGS:
        cols += [f"{t}_ns_per_record", f"{t}_iqr_ratio", f"{t}_unstable"]
        if t.startswith("batch_"):
            cols += [f"{t}_mb_s", f"{t}_records_s"]
    cols.append("batch_decode_peak_bytes")
    return cols


def csv_row(r: Row, compressors: Sequence[str]) -> dict[str, object]:
    out: dict[str, object] = {
        "dataset": r.dataset,
        "format": r.format,
        "implementation": r.implementation,
        "step": r.step,
        "status": r.status,
        "error": r.error,
        "records": r.records,
        "bytes": r.bytes,
        "bytes_per_record": r.bytes_per_record,
        "batch_decode_peak_bytes": r.peak_memory,
    }
    for c in compressors:
        comp = r.compressed.get(c)
        out[f"{c}_bytes"] = None if comp is None else comp.bytes
        out[f"{c}_bytes_per_record"] = r.compressed_per_record(c)
        out[f"{c}_ratio"] = r.ratio(c)
    for t in view.TIMINGS:
        timing = r.timings.get(t)
        out[f"{t}_ns_per_record"] = r.ns_per_record(t)
        out[f"{t}_iqr_ratio"] = None if timing is None else view.spread(timing)
        out[f"{t}_unstable"] = None if timing is None else timing.unstable
        if t.startswith("batch_"):
            out[f"{t}_mb_s"] = r.mb_per_s(t)
            out[f"{t}_records_s"] = r.records_per_s(t)
    return out


def to_csv(results: Results) -> str:
    """One row per cell; an empty field is a figure that was not measured."""
    rows = view.rows(results)
    columns = csv_columns(rows)
    compressors = view.compressors(rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    ranks = view.format_ranks(rows) if view.has_libraries(rows) else None
    for r in rows:
        row = csv_row(r, compressors)
        if ranks is not None:
            place, count = ranks.get(r.key, (None, None))
            row |= {"format_rank": place, "format_implementations": count}
        writer.writerow({k: _csv(v) for k, v in row.items()})
    return buf.getvalue()


def _csv(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return csv_text(value)
    return value  # floats keep repr precision: a reader gets back exactly what we computed


#: A cell a spreadsheet would run as a formula begins with one of these (OWASP, "CSV
#: Injection"): text from a results file is data, so such a cell gets a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A text cell safe to open in a spreadsheet, and without control characters (a tab or
    a line break is kept: CSV quotes the cell that holds one)."""
    text = plain_text(text, keep="\t\n")
    return "'" + text if text.startswith(_FORMULA_START) else text


def aligned(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """A plain-text table: left-aligned text, right-aligned numbers, columns two spaces apart."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(_numeric(r[i]) for r in rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ]
        return (indent + "  ".join(parts)).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def _numeric(text: str) -> bool:
    stripped = text.lstrip("~+-").rstrip("x%").replace(",", "").replace(".", "", 1)
    return stripped.isdigit() or text in ("-", "inf")
