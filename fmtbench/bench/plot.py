"""Charts of a results file: one PNG, SVG or PDF, one row of three charts per dataset.

Per dataset (full-step cells that succeeded): a size-vs-speed scatter (x = bytes/record,
y = decode ns/record, one point per format: down and left is better), grouped bars of encode
and decode ns/record, and grouped bars of bytes/record raw and after each compressor. A run
with library cells (``bench --libraries``) gets a fourth chart per dataset: each format's
implementations side by side, in their rank within the format.
Per-record times come from message timings when the run had them, else from batch ones
(the chart says which).

matplotlib is optional (``pip install 'fmtbench[plot]'``) and imported only here, only when
a chart is drawn. The figure is drawn on an Agg canvas directly, never through pyplot, so
no global backend or figure registry is touched.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fmtbench.bench import view
from fmtbench.bench.view import Results, Row
from fmtbench.errors import FmtbenchError, UsageError
from fmtbench.files import atomic_output

if TYPE_CHECKING:
    from matplotlib.axes import Axes

INSTALL = "charts need matplotlib: pip install 'fmtbench[plot]'"


class PlotUnavailable(FmtbenchError):
    """matplotlib is not installed."""


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


#: What ``plot`` writes, by the output's ending (PNG for stdout).
KINDS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def chart_kind(path: str) -> str:
    """The image format ``path``'s ending asks for; an error names the ones there are."""
    if path == "-":
        return "png"
    suffix = Path(path).suffix.lower()
    if suffix not in KINDS:
        raise UsageError(
            f"{path}: plot writes {', '.join(KINDS)} files; the ending {suffix or '(none)'!r}"
            " is none of them"
        )
    return KINDS[suffix]


def plot(results: Results, path: str) -> None:
    """Write the charts of every dataset to ``path`` (``-`` for stdout, as PNG), in the
    format its ending names (``.png``, ``.svg``, ``.pdf``)."""
    kind = chart_kind(path)
    data = plot_png(results, kind)
    with atomic_output(path) as f:
        f.write(data)


def plot_png(results: Results, kind: str = "png") -> bytes:
    """The charts of every dataset as image bytes (PNG unless ``kind`` says svg or pdf)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotUnavailable(INSTALL) from None

    drawn = [(d, rows) for d in view.datasets(results) if (rows := _ranked(results, d.name))]
    if not drawn:
        raise FmtbenchError("nothing to plot: no dataset has a successful full-step cell")
    libraries = view.has_libraries(view.rows(results))
    columns = 4 if libraries else 3
    fig = Figure(figsize=(16 * columns / 3, 4.6 * len(drawn)), layout="constrained")
    FigureCanvasAgg(fig)  # binds the Agg canvas: PNG output without any GUI backend
    axes = fig.subplots(len(drawn), columns, squeeze=False)
    for (d, rows), row_axes in zip(drawn, axes, strict=True):
        mode = view.timing_mode(rows)
        _scatter(row_axes[0], rows, mode, d.name)
        _speed(row_axes[1], rows, mode, d.name)
        _size(row_axes[2], rows, d.name)
        if libraries:
            _implementations(row_axes[3], view.rows(results, d.name), d.name)
    buf = io.BytesIO()
    # SVG and PDF are vector formats: text stays text, and no timestamp is embedded, so the
    # same results give the same bytes.
    import matplotlib

    metadata = (
        {"Date": None} if kind == "svg" else {"CreationDate": None} if kind == "pdf" else None
    )
    with matplotlib.rc_context({"svg.hashsalt": "fmtbench"}):  # element ids, not random ones
        fig.savefig(buf, format=kind, dpi=100, metadata=metadata)
    return buf.getvalue()


def _ranked(results: Results, dataset: str) -> list[Row]:
    return [r for r in view.rows(results, dataset) if r.comparable]


def _scatter(ax: Axes, rows: Sequence[Row], mode: str, title: str) -> None:
    names = view.labels(rows)
    xs: list[float] = []
    ys: list[float] = []
    for i, r in enumerate(rows):
        x, y = r.bytes_per_record, r.ns_per_record(f"{mode}_decode")
        if x is None or y is None:
            continue
        xs.append(x)
        ys.append(y)
        ax.scatter([x], [y], s=60)
        # Alternate label sides: formats of similar size and speed (json, jsonl) sit together.
        offset = (6, 5) if i % 2 == 0 else (6, -13)
        ax.annotate(names[r.key], (x, y), textcoords="offset points", xytext=offset)
    ax.set_title(f"{title}: size vs decode time")
    ax.set_xlabel("bytes/record")
    ax.set_ylabel(f"{mode} decode ns/record")
    # From zero, so distances read as ratios; headroom above for the labels.
    ax.set_xlim(0, max(xs, default=1.0) * 1.15)
    ax.set_ylim(0, max(ys, default=1.0) * 1.15)
    ax.grid(alpha=0.3)


def _bars(ax: Axes, groups: Sequence[str], series: dict[str, list[float]]) -> None:
    """Grouped bars: one group per format, one bar per series; a missing value is 0."""
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, values, width, label=name)
    ax.set_xticks(range(len(groups)), groups, rotation=20)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)


def _speed(ax: Axes, rows: Sequence[Row], mode: str, title: str) -> None:
    names = view.labels(rows)
    series = {
        step: [r.ns_per_record(f"{mode}_{step}") or 0.0 for r in rows]
        for step in ("encode", "decode")
    }
    _bars(ax, [names[r.key] for r in rows], series)
    ax.set_title(f"{title}: encode and decode ({mode})")
    ax.set_ylabel("ns/record (lower is better)")


def _size(ax: Axes, rows: Sequence[Row], title: str) -> None:
    names = view.labels(rows)
    series = {"raw": [r.bytes_per_record or 0.0 for r in rows]}
    for c in view.compressors(rows):
        series[c] = [r.compressed_per_record(c) or 0.0 for r in rows]
    _bars(ax, [names[r.key] for r in rows], series)
    ax.set_title(f"{title}: size, raw and compressed")
    ax.set_ylabel("bytes/record (lower is better)")


def _implementations(ax: Axes, rows: Sequence[Row], title: str) -> None:
    """Each format's implementations (full step, native, libraries) that succeeded, for the
    formats with library cells, in rank order within the format (``view.format_ranks``)."""
    ranks = view.format_ranks(rows)
    several = {r.format for r in rows if r.is_library}
    shown = [r for r in rows if r.ok and r.format in several]
    names = [f"{r.format}: {view.step_label(r)} ({view.rank_text(r, ranks)})" for r in shown]
    series = {
        step: [r.ns_per_record(f"message_{step}") or 0.0 for r in shown]
        for step in ("encode", "decode")
    }
    _bars(ax, names, series)
    ax.set_title(f"{title}: implementations (message)")
    ax.set_ylabel("ns/record (lower is better; 0: not measured)")
