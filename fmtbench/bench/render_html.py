"""Results as one self-contained HTML page that helps choose: the verdict first, then detail.

Layout: a table of contents; the **verdict** (per dataset the smallest, fastest-to-decode,
fastest-to-encode and best-balanced format, ties shown, from ``verdict.py``); each format's
size as a ratio to the smallest; the ``recommend`` ranking for default weights; then per
dataset its charts and its detail table; the environment last. Charts are inline SVG drawn
here (``svg.py``): they need no library, so the page has them wherever fmtbench runs, and
one format has one colour on every chart. Nothing is fetched when the page is opened. Every
string from the results file is escaped: a results file may come from anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from fmtbench.bench import svg, view
from fmtbench.bench.recommend import recommend_lines
from fmtbench.bench.results import DatasetInfo
from fmtbench.bench.verdict import Verdict, verdicts
from fmtbench.bench.view import METRICS, Results, Row

_STYLE = (
    """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1em auto; max-width: 1200px;
       padding: 0 12px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 0.3em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; vertical-align: top; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.best { font-weight: bold; color: #11772d; }
tr.native td { color: #777; }
tr.library td:nth-child(2) { font-style: italic; }
tr.failed td { color: #b00020; }
.scroll { overflow-x: auto; max-width: 100%; }
.unstable { color: #888; }
.note { color: #555; font-size: 90%; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0.5em 0; flex: 1 1 420px; min-width: 0; }
figcaption { color: #555; font-size: 85%; }
pre { overflow-x: auto; background: #f8f8f8; padding: 6px; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 1em; }
dt { font-weight: bold; }
dd { margin: 0; overflow-wrap: anywhere; }
nav ul { margin: 0.3em 0; }
"""
    + svg.STYLE
)


def to_html(results: Results) -> str:
    title = "fmtbench results"
    if results.created:
        title += f" ({results.created})"
    found = verdicts(results)
    datasets = view.datasets(results)
    colours = svg.palette(sorted({c.format for c in results.cells}, key=view.format_order))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        *_contents(datasets),
        *_verdict_section(found),
        *_ranking_section(found),
    ]
    spread = view.unstable_spread(results)
    caption = _run_caption(results)
    for d in datasets:
        rows = view.rows(results, d.name)
        parts += [
            f'<h2 id="{escape(_anchor(d.name))}">{escape(d.name)}</h2>',
            f"<p>{escape(view.dataset_caption(d))}</p>",
            '<div class="charts">',
            *_charts(d.name, rows, colours, caption),
            "</div>",
            '<div class="scroll">',
            *html_table(rows),
            "</div>",
            f'<p class="note">Best of each column in <b>bold green</b> (full-step cells only); '
            f'<span class="unstable">~</span> marks an unstable timing (IQR/median above '
            f"{spread:.0%}); native rows time the library's own step alone.</p>",
            *_library_note(rows),
        ]
    parts += [
        '<h2 id="environment">Environment</h2>',
        "<dl>",
        *(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in view.environment(results)),
        "</dl>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _library_note(rows: Sequence[Row]) -> list[str]:
    if not view.has_libraries(rows):
        return []
    return [f'<p class="note">Library rows: {escape(view.library_note(rows))}.</p>']


def _contents(datasets: Sequence[DatasetInfo]) -> list[str]:
    links = [("verdict", "Verdict"), ("ranking", "Ranking (default weights)")]
    links += [(_anchor(d.name), f"Dataset {d.name}") for d in datasets]
    links.append(("environment", "Environment"))
    items = "".join(f'<li><a href="#{escape(a)}">{escape(t)}</a></li>' for a, t in links)
    return [f'<nav aria-label="contents"><h2>Contents</h2><ul>{items}</ul></nav>']


def _verdict_section(found: Sequence[Verdict]) -> list[str]:
    heads = ["dataset", "smallest", "smallest after zstd", "fastest to decode",
             "fastest to encode", "best balanced"]  # fmt: skip
    out = [
        '<section id="verdict">',
        "<h2>Verdict</h2>",
        '<div class="scroll"><table>',
        "<tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr>",
    ]
    for v in found:
        answers = (v.smallest, v.smallest_zstd, v.fastest_decode, v.fastest_encode, v.balanced)
        cells = "".join(f"<td>{_names(a, v.unstable)}</td>" for a in answers)
        link = f'<a href="#{escape(_anchor(v.dataset))}">{escape(v.dataset)}</a>'
        out.append(f"<tr><td>{link}</td>{cells}</tr>")
    out.append("</table></div>")
    out.append(
        '<p class="note">Several names in a cell are a tie: their figures are equal, or their '
        "timings' interquartile ranges overlap the winner's, so this run cannot tell them "
        "apart. Speed comes from message timings where the run has them (one record at a "
        "time), else batch ones. ~: a winner's timing was unstable in this run. Best balanced "
        "is the first place of <code>fmtbench recommend</code> with its default weights.</p>"
    )
    out.append("<h3>Size against the smallest</h3>")
    out.append('<div class="scroll"><table>')
    labels = list(dict.fromkeys(label for v in found for label, _, _ in v.sizes))
    heading = "".join(f"<th>{escape(x)}</th>" for x in labels)
    out.append(f"<tr><th>dataset</th>{heading}</tr>")
    for v in found:
        ratio = {label: r for label, _, r in v.sizes}
        cells = "".join(
            f'<td class="num">{ratio[x]:.2f}x</td>' if x in ratio else '<td class="num">-</td>'
            for x in labels
        )
        out.append(f"<tr><td>{escape(v.dataset)}</td>{cells}</tr>")
    out += [
        "</table></div>",
        '<p class="note">Bytes per record divided by the smallest format\'s, raw '
        "(1.00x is the smallest).</p>",
        "</section>",
    ]
    return out


def _names(names: Sequence[str], unstable: Sequence[str]) -> str:
    if not names:
        return "-"
    return " = ".join(escape(n) + (" ~" if n in unstable else "") for n in names)


def _ranking_section(found: Sequence[Verdict]) -> list[str]:
    lines = recommend_lines([v.recommendation for v in found])
    return [
        '<section id="ranking">',
        "<h2>Ranking (default weights)</h2>",
        f"<pre>{escape(chr(10).join(lines))}</pre>",
        '<p class="note">As <code>fmtbench recommend RESULTS</code> prints it; give it '
        "<code>--weights</code>, <code>--bandwidth</code> and <code>--rate</code> to rank for "
        "a load of your own.</p>",
        "</section>",
    ]


def _charts(dataset: str, rows: Sequence[Row], colours: dict[str, str], caption: str) -> list[str]:
    ok = [r for r in rows if r.comparable]
    if not ok:
        return ['<p class="note">No chart: no format succeeded on this dataset.</p>']
    labels = view.labels(ok)
    mode = view.timing_mode(ok)
    sizes = [
        svg.Group(labels[r.key], r.format, (r.bytes_per_record, r.compressed_per_record("zstd")))
        for r in ok
    ]
    times = [
        svg.Group(
            labels[r.key],
            r.format,
            (r.ns_per_record(f"{mode}_encode"), r.ns_per_record(f"{mode}_decode")),
        )
        for r in ok
    ]
    size_chart = svg.bar_chart(
        f"{dataset}: bytes per record", ("raw", "after zstd"), sizes, colours, view.human_bytes
    )
    time_chart = svg.bar_chart(
        f"{dataset}: {mode} time per record", ("encode", "decode"), times, colours, _time
    )
    return [
        f"<figure>{size_chart}<figcaption>Size of {escape(dataset)}, lower is better. "
        f"{escape(caption)}</figcaption></figure>",
        f"<figure>{time_chart}<figcaption>Median {mode} encode and decode time of "
        f"{escape(dataset)}, lower is better. {escape(caption)}</figcaption></figure>",
        *_implementations_chart(dataset, rows, colours, caption),
    ]


def _implementations_chart(
    dataset: str, rows: Sequence[Row], colours: dict[str, str], caption: str
) -> list[str]:
    """With library cells: every implementation of each format that has several, in the
    order the table ranks them, encode and decode per record (message timings)."""
    if not view.has_libraries(rows):
        return []
    ranks = view.format_ranks(rows)
    several = {r.format for r in rows if r.is_library}
    shown = [r for r in rows if r.ok and r.format in several]
    groups = [
        svg.Group(
            f"{r.format}: {view.step_label(r)} ({view.rank_text(r, ranks)})",
            r.format,
            (r.ns_per_record("message_encode"), r.ns_per_record("message_decode")),
        )
        for r in shown
    ]
    chart = svg.bar_chart(
        f"{dataset}: implementations, message time per record",
        ("encode", "decode"),
        groups,
        colours,
        _time,
    )
    return [
        f"<figure>{chart}<figcaption>Each format's implementations on {escape(dataset)}, "
        f"ranked within the format by {escape(view.rank_timing(rows).replace('_', ' '))}; "
        f"lower is better. {escape(caption)}</figcaption></figure>"
    ]


def _run_caption(results: Results) -> str:
    env = results.environment
    return (
        f"Run {results.created or 'of unknown date'} on {env.cpu} ({env.cores} cores), "
        f"{env.implementation} {env.python}, fmtbench {env.fmtbench}."
    )


def _time(ns: float) -> str:
    for unit, size in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= size:
            return f"{ns / size:.3g} {unit}"
    return f"{ns:.3g} ns"


def html_table(rows: Sequence[Row]) -> list[str]:
    ranked = view.has_libraries(rows)
    ranks = view.format_ranks(rows)
    texts = ["format", "implementation", "step", "status"] + (["rank"] if ranked else [])
    heads = [*texts, *(m.label for m in METRICS)]
    out = ["<table>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in heads) + "</tr>"]
    bests = {m.key: view.best(rows, m) for m in METRICS}
    for r in rows:
        # The class from a fixed set, never the file's text: a results file may come from anywhere.
        cls = "failed" if not r.ok else {"native": "native", "library": "library"}.get(r.step, "")
        status = r.status if r.ok else f"{r.status}: {r.error or 'no error recorded'}"
        cells = [f"<td>{escape(c)}</td>" for c in (r.format, r.implementation, r.step, status)]
        if ranked:
            cells.append(f'<td class="num">{escape(view.rank_text(r, ranks))}</td>')
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


def _anchor(name: str) -> str:
    return "dataset-" + "".join(c if c.isalnum() else "-" for c in name)
