"""Results as one self-contained HTML page: environment, tables, and the charts inline.

Nothing is fetched when the page is opened: the style is inline and the charts are a base64
PNG (when matplotlib is installed; otherwise a note says how to get them). Every string that
comes from the results file is escaped, since a results file may come from anywhere.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from fmtbench.bench import plot, view
from fmtbench.bench.view import METRICS, Results, Row
from fmtbench.errors import FmtbenchError

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 0.3em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { font-weight: bold; color: #11772d; }
tr.native td { color: #777; }
tr.failed td { color: #b00020; }
.unstable { color: #888; }
.note { color: #555; font-size: 90%; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 1em; }
dt { font-weight: bold; }
dd { margin: 0; }
img { max-width: 100%; }
"""


def to_html(results: Results) -> str:
    title = "fmtbench results"
    if results.created:
        title += f" ({results.created})"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        "<h2>Environment</h2>",
        "<dl>",
        *(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in view.environment(results)),
        "</dl>",
    ]
    spread = view.unstable_spread(results)
    for d in view.datasets(results):
        rows = view.rows(results, d.name)
        parts += [
            f'<h2 id="{escape(_anchor(d.name))}">{escape(d.name)}</h2>',
            f"<p>{escape(view.dataset_caption(d))}</p>",
            *html_table(rows),
            f'<p class="note">Best of each column in <b>bold green</b> (full-step cells only); '
            f'<span class="unstable">~</span> marks an unstable timing (IQR/median above '
            f"{spread:.0%}); native rows time the library's own step alone.</p>",
        ]
    parts += ["<h2>Charts</h2>", *_charts(results), "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def html_table(rows: Sequence[Row]) -> list[str]:
    heads = ["format", "implementation", "step", "status", *(m.label for m in METRICS)]
    out = ["<table>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in heads) + "</tr>"]
    bests = {m.key: view.best(rows, m) for m in METRICS}
    for r in rows:
        cls = "failed" if not r.ok else ("native" if r.step != "full" else "")
        status = r.status if r.ok else f"{r.status}: {r.error or 'no error recorded'}"
        cells = [f"<td>{escape(c)}</td>" for c in (r.format, r.implementation, r.step, status)]
        for m in METRICS:
            cells.append(_cell(r, m, bests[m.key]))
        attr = f' class="{cls}"' if cls else ""
        out.append(f"<tr{attr}>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return out


def _cell(r: Row, m: view.Metric, best: float | None) -> str:
    shown = view.show(m, r)
    if shown is None:
        return '<td class="num">' + ("-" if r.ok else "failed") + "</td>"
    text = escape(shown)
    timing = r.timings.get(m.timing) if m.timing else None
    if timing is not None and timing.unstable:
        text = f'<span class="unstable" title="IQR/median {view.spread(timing):.0%}">~{text}</span>'
    best_here = r.comparable and view.is_best(m.value(r), best)
    return f'<td class="num{" best" if best_here else ""}">{text}</td>'


def _charts(results: Results) -> list[str]:
    if not plot.available():
        return [f'<p class="note">{escape(plot.INSTALL)}.</p>']
    try:
        png = plot.plot_png(results)
    except FmtbenchError as exc:  # e.g. every cell failed: the tables still say why
        return [f'<p class="note">No charts: {escape(str(exc))}.</p>']
    data = base64.b64encode(png).decode("ascii")
    alt = "size vs decode time, encode and decode time, raw and compressed size, per dataset"
    return [f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">']


def _anchor(name: str) -> str:
    return "dataset-" + "".join(c if c.isalnum() else "-" for c in name)
