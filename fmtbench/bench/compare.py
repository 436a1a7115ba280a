"""Two results files side by side: which cells got faster, slower, bigger or smaller.

Cells are matched by (dataset, format, implementation, step). Every figure is compared per
record (ns per record for every timing, batch ones included; bytes per record for sizes),
so runs with different record counts still compare.

A timing changed when the samples say so with confidence and by more than the threshold:
the 95% interval of the ratio new/old lies wholly beyond ``1 ± threshold`` (default 5%,
symmetric on a log scale: 1.05x worse or 1/1.05x better). The interval is Moses'
distribution-free one for the Hodges-Lehmann shift of the log samples (the interval that
inverts the Mann-Whitney U test): no assumption of normal timings, robust to the outliers a
busy machine adds. Too few samples for an interval (under 3 a side at 95%) fall back to the
spread rule, ``|new/old - 1| > max(iqr_old/median_old, iqr_new/median_new, threshold)``.
Sizes and memory are exact: only the threshold applies. Lower is better for every figure,
so a ratio above 1 is a regression.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fmtbench.bench import view
from fmtbench.bench.render_text import aligned
from fmtbench.bench.view import Results, Row

FLOOR = 0.05
#: The normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class Change:
    dataset: str
    format: str
    implementation: str
    step: str
    metric: str
    old: float
    new: float
    noise: float  # the threshold |ratio - 1| had to exceed (without an interval)
    #: The 95% interval of the ratio new/old from the samples; None for exact figures and
    #: for timings with too few samples.
    interval: tuple[float, float] | None = None
    threshold: float = FLOOR
    exact: bool = False  # a size or memory figure: no spread

    @property
    def ratio(self) -> float:
        return self.new / self.old if self.old else math.inf

    @property
    def significant(self) -> bool:
        if self.interval is not None:
            low, high = self.interval
            return low > 1 + self.threshold or high < 1 / (1 + self.threshold)
        return abs(self.ratio - 1) > self.noise

    @property
    def verdict(self) -> str:
        if not self.significant:
            return ""
        return "worse" if self.ratio > 1 else "better"


@dataclass(frozen=True)
class Comparison:
    rows: list[Change]
    only_old: list[Key] = field(default_factory=list)
    only_new: list[Key] = field(default_factory=list)
    status: list[str] = field(default_factory=list)  # cells that failed in one run
    notes: list[str] = field(default_factory=list)  # differences in setup that skew the ratios
    newly_failing: list[Key] = field(default_factory=list)  # cells that fail only in the new run

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.rows if c.significant]

    @property
    def regressed(self) -> bool:
        """A figure worse beyond the noise, or a cell that now fails."""
        return bool(self.newly_failing) or any(c.verdict == "worse" for c in self.changed)


#: (value per record, relative spread, samples per record or () for an exact figure)
Figure = tuple[float, float, tuple[float, ...]]


def _timing(name: str) -> Callable[[Row], Figure | None]:
    def get(r: Row) -> Figure | None:
        t = r.timings.get(name)
        ns = r.ns_per_record(name)
        if t is None or ns is None:
            return None
        scale = ns / t.median  # seconds per call -> ns per record
        return ns, view.spread(t), tuple(x * scale for x in t.seconds)

    return get


def _exact(get: Callable[[Row], float | None]) -> Callable[[Row], Figure | None]:
    def value(r: Row) -> Figure | None:
        v = get(r)
        return None if v is None else (v, 0.0, ())

    return value


def ratio_interval(
    old: Sequence[float], new: Sequence[float], z: float = Z95
) -> tuple[float, float] | None:
    """Moses' interval for the ratio new/old: the Hodges-Lehmann shift of the log samples,
    its ends the k-th smallest and largest of the m*n pairwise differences, k from the
    Mann-Whitney U statistic's normal approximation. None when the samples are too few for
    an interval at this level (k < 1) or not all positive."""
    m, n = len(old), len(new)
    if m < 2 or n < 2 or min(old) <= 0 or min(new) <= 0:
        return None
    k = math.floor(m * n / 2 - z * math.sqrt(m * n * (m + n + 1) / 12))
    if k < 1:
        return None
    logs_old = [math.log(x) for x in old]
    diffs = sorted(math.log(y) - x for x in logs_old for y in new)
    return math.exp(diffs[k - 1]), math.exp(diffs[m * n - k])


def _compressed(name: str) -> Callable[[Row], float | None]:
    return lambda r: r.compressed_per_record(name)


def _figures(rows: Sequence[Row]) -> dict[str, Callable[[Row], Figure | None]]:
    """Figure name -> (value, relative spread) getter, in display order."""
    figures = {f"{t} ns/record": _timing(t) for t in view.TIMINGS}
    figures["bytes/record"] = _exact(lambda r: r.bytes_per_record)
    for c in view.compressors(rows):
        figures[f"{c} bytes/record"] = _exact(_compressed(c))
    figures["decode peak bytes"] = _exact(lambda r: r.peak_memory)
    return figures


def compare(old: Results, new: Results, floor: float = FLOOR) -> Comparison:
    """Every figure both runs measured for a cell, with its ratio new/old, its interval and
    the threshold (``floor``) a change must exceed."""
    old_rows = {r.key: r for r in view.rows(old)}
    new_rows = {r.key: r for r in view.rows(new)}
    figures = _figures([*old_rows.values(), *new_rows.values()])
    out = Comparison(
        rows=[],
        only_old=[k for k in old_rows if k not in new_rows],
        only_new=[k for k in new_rows if k not in old_rows],
        notes=_setup_notes(old, new),
    )
    for key, a in old_rows.items():
        b = new_rows.get(key)
        if b is None:
            continue
        if a.ok != b.ok:
            if a.ok:
                out.newly_failing.append(key)
                out.status.append(f"{_name(key)}: now fails: {b.error or 'no error recorded'}")
            else:
                out.status.append(f"{_name(key)}: no longer fails (was: {a.error})")
            continue
        for metric, get in figures.items():
            x, y = get(a), get(b)
            if x is None or y is None:
                continue
            noise = max(x[1], y[1], floor)
            interval = ratio_interval(x[2], y[2]) if x[2] and y[2] else None
            out.rows.append(
                Change(
                    *key,
                    metric=metric,
                    old=x[0],
                    new=y[0],
                    noise=noise,
                    interval=interval,
                    threshold=floor,
                    exact=not x[2],
                )
            )
    if shift := _common_shift(out.rows):
        out.notes.append(shift)
    return out


#: A share of the timings moving the same way, by a median beyond the threshold, that says
#: the machine (or something every codec shares) changed, not one format.
COMMON_SHARE = 0.8


def _common_shift(rows: Sequence[Change]) -> str | None:
    """A note when most timings moved together: the median ratio of every timing figure,
    if beyond the threshold and shared by ``COMMON_SHARE`` of them in the same direction.
    Per-format changes are still judged one by one; this says what they have in common."""
    timings = [r for r in rows if not r.exact and r.old > 0 and r.new > 0]
    if len(timings) < 4:
        return None
    ratios = sorted(r.new / r.old for r in timings)
    middle = ratios[len(ratios) // 2]
    threshold = timings[0].threshold
    if abs(math.log(middle)) <= math.log1p(threshold):
        return None
    same_way = sum(1 for x in ratios if (x > 1) == (middle > 1)) / len(ratios)
    if same_way < COMMON_SHARE:
        return None
    way = "slower" if middle > 1 else "faster"
    return (
        f"{same_way:.0%} of the timings are {way}, by {middle:.2f}x at the median: the machine "
        "(load, clock speed) or something every format shares changed between the runs"
    )


def _setup_notes(old: Results, new: Results) -> list[str]:
    """Differences between the runs that change the numbers without any code change."""
    notes = []
    old_env, new_env = old.environment, new.environment
    for key in ("protobuf_backend", "implementation", "python", "cpu", "cores"):
        was, now = getattr(old_env, key), getattr(new_env, key)
        if was != now:
            notes.append(f"{key} differs: {was} -> {now}")
    for label, env in (("old", old_env), ("new", new_env)):
        notes += [f"the {label} run's machine was busy: {why}" for why in env.busy]
    old_libs, new_libs = old_env.libraries, new_env.libraries
    for lib in sorted(set(old_libs) | set(new_libs)):
        if old_libs.get(lib) != new_libs.get(lib):
            notes.append(f"{lib} {old_libs.get(lib, '-')} -> {new_libs.get(lib, '-')}")
    old_ds = {d.name: d for d in view.datasets(old)}
    for d in view.datasets(new):
        was = old_ds.get(d.name)
        if was is not None and (was.records, was.seed, was.schema) != (d.records, d.seed, d.schema):
            notes.append(
                f"dataset {d.name} differs (records, seed or schema): sizes may not compare"
            )
    return notes


def _name(key: Key) -> str:
    dataset, fmt, impl, step = key
    return f"{dataset} {fmt} {impl}" + ("" if step == "full" else f" [{step}]")


def compare_lines(c: Comparison, show_all: bool = False) -> list[str]:
    """The comparison as text: changes beyond noise (or every figure), then what did not match."""
    lines = [f"setup: {n}" for n in c.notes]
    shown = c.rows if show_all else c.changed
    if shown:
        table = [
            [
                _name((r.dataset, r.format, r.implementation, r.step)),
                r.metric,
                _num(r.old),
                _num(r.new),
                f"{r.ratio:.2f}x",
                _interval(r),
                r.verdict or "same",
            ]
            for r in shown
        ]
        header = ["cell", "figure", "old", "new", "new/old", "95% interval", "verdict"]
        lines += aligned(header, table)
    worse = sum(1 for r in c.changed if r.verdict == "worse")
    lines.append(
        f"{len(c.changed)} of {len(c.rows)} figures changed beyond the noise "
        f"({worse} worse, {len(c.changed) - worse} better; threshold {_threshold(c)})"
    )
    lines += [f"status: {s}" for s in c.status]
    lines += [f"only in old: {_name(k)}" for k in c.only_old]
    lines += [f"only in new: {_name(k)}" for k in c.only_new]
    return lines


def compare_json(c: Comparison, show_all: bool = False) -> dict[str, object]:
    """The comparison for programs: every change (or every figure), then the rest."""
    shown = c.rows if show_all else c.changed
    return {
        "threshold": c.rows[0].threshold if c.rows else FLOOR,
        "figures": len(c.rows),
        "changed": len(c.changed),
        "worse": sum(1 for r in c.changed if r.verdict == "worse"),
        "rows": [
            {
                "dataset": r.dataset,
                "format": r.format,
                "implementation": r.implementation,
                "step": r.step,
                "figure": r.metric,
                "old": r.old,
                "new": r.new,
                "ratio": r.ratio,
                "interval": list(r.interval) if r.interval else None,
                "exact": r.exact,
                "verdict": r.verdict or "same",
            }
            for r in shown
        ],
        "status": c.status,
        "only_old": [list(k) for k in c.only_old],
        "only_new": [list(k) for k in c.only_new],
        "setup": c.notes,
    }


def _interval(r: Change) -> str:
    if r.interval is not None:
        return f"[{r.interval[0]:.2f}, {r.interval[1]:.2f}]"
    return "exact" if r.exact else f"±{r.noise:.0%} spread"


def _threshold(c: Comparison) -> str:
    return f"{c.rows[0].threshold:.0%}" if c.rows else f"{FLOOR:.0%}"


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
