"""Bar charts as inline SVG text, for the HTML report: no library, nothing fetched.

One chart is horizontal bars, one group per format and one bar per series in the group
(raw and zstd bytes; encode and decode time). Horizontal bars keep every label on a line of
its own, so labels never overlap however many formats there are. The colour is the format's
(``palette``: the same format has the same colour in every chart of a page); a group's
second series is the same colour, lighter, and the legend says which is which. The scale is
logarithmic when the values span more than a decade (a 49 KiB XML record beside a 2 KiB
protobuf one), linear from zero otherwise; the axis says which.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

#: Colours told apart by most colour-blind readers (Okabe-Ito, then Tol's muted).
COLOURS = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#882255", "#AA4499", "#DDCC77",
)  # fmt: skip

WIDTH = 640
LABEL_W = 170  # the format names' column
VALUE_W = 84  # room right of the longest bar for its value
BAR_H = 13
GAP = 7  # between groups
TOP = 34  # title and axis labels
BOTTOM = 26  # the legend


def palette(names: Sequence[str]) -> dict[str, str]:
    """One colour per format, by its place among every format on the page."""
    return {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(dict.fromkeys(names))}


@dataclass(frozen=True)
class Group:
    label: str  # the row's text: a format, or "format (implementation)"
    colour_of: str  # the format whose colour it takes
    values: Sequence[float | None]  # one per series; None: not measured


def bar_chart(
    title: str,
    series: Sequence[str],
    groups: Sequence[Group],
    colours: Mapping[str, str],
    show: Callable[[float], str],
) -> str:
    """An ``<svg>`` element: the groups' bars on one shared scale."""
    values = [v for g in groups for v in g.values if v is not None and v > 0]
    rows = len(groups) * len(series)
    height = TOP + rows * BAR_H + len(groups) * GAP + BOTTOM
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}"'
        f' role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="13" class="t">{escape(title)}</text>',
    ]
    if not values:
        out += ['<text x="0" y="40">nothing measured</text>', "</svg>"]
        return "".join(out)
    scale = Scale(min(values), max(values), WIDTH - LABEL_W - VALUE_W)
    bottom = height - BOTTOM
    for tick, at in scale.ticks():
        x = LABEL_W + tick
        out.append(f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{bottom}" class="g"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP - 9}" class="a">{escape(show(at))}</text>')
    y = TOP
    for g in groups:
        colour = colours.get(g.colour_of, COLOURS[-1])
        middle = y + len(series) * BAR_H / 2 + 4
        out.append(f'<text x="{LABEL_W - 6}" y="{middle:.1f}" class="l">{escape(g.label)}</text>')
        for i, value in enumerate(g.values):
            shade = "" if i == 0 else ' fill-opacity="0.45"'
            if value is None or value <= 0:
                text_x, text = LABEL_W + 4.0, "not measured"
            else:
                length = max(scale.length(value), 1.0)
                out.append(
                    f'<rect x="{LABEL_W}" y="{y + 1}" width="{length:.1f}" height="{BAR_H - 2}"'
                    f' fill="{colour}"{shade}><title>{escape(g.label)}, {escape(series[i])}:'
                    f" {escape(show(value))}</title></rect>"
                )
                text_x, text = LABEL_W + length + 4, show(value)
            out.append(
                f'<text x="{text_x:.1f}" y="{y + BAR_H - 2}" class="v">{escape(text)}</text>'
            )
            y += BAR_H
        y += GAP
    legend = "; ".join(f"{'solid' if i == 0 else 'light'}: {name}" for i, name in enumerate(series))
    axis = "log scale" if scale.log else "linear scale from 0"
    out.append(f'<text x="{LABEL_W}" y="{height - 8}" class="k">{escape(legend)} ({axis})</text>')
    out.append("</svg>")
    return "".join(out)


class Scale:
    """Values to bar lengths: log when they span more than a decade, else linear from 0."""

    def __init__(self, low: float, high: float, width: float) -> None:
        self.width = width
        self.log = high / low > 10
        if self.log:
            self.start = math.floor(math.log10(low))
            self.end = max(math.ceil(math.log10(high)), self.start + 1)
        else:
            self.top = _nice_ceiling(high)

    def length(self, value: float) -> float:
        if self.log:
            return (math.log10(value) - self.start) / (self.end - self.start) * self.width
        return value / self.top * self.width

    def ticks(self) -> list[tuple[float, float]]:
        """(position, value) of the gridlines; at most about six, so their labels fit."""
        if self.log:
            decades = range(self.start, self.end + 1)
            step = max(1, math.ceil(len(decades) / 6))
            return [(self.length(10.0**d), 10.0**d) for d in decades[::step]]
        parts = 4
        return [(self.width * i / parts, self.top * i / parts) for i in range(parts + 1)]


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above ``value``: round axis ends."""
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= value:
            return step * power
    return 10.0 * power


STYLE = """
svg.chart { width: 100%; max-width: 640px; height: auto; font: 11px system-ui, sans-serif; }
svg.chart .t { font-weight: bold; font-size: 12px; }
svg.chart .l { text-anchor: end; }
svg.chart .a { fill: #555; font-size: 10px; text-anchor: middle; }
svg.chart .k { fill: #555; font-size: 10px; }
svg.chart .v { fill: #333; font-size: 10px; }
svg.chart .g { stroke: #ddd; }
"""
