"""Which format to pick for a dataset: a weighted ranking, and the bottleneck at a given load.

Score. For each dataset, every successful full-step cell gets, for each weighted metric m
(size = bytes/record, decode and encode = ns/record, memory = decode peak bytes; lower is
better for all), its value divided by the best value among the cells: r_m >= 1. The score
is the weighted geometric mean

    score = prod(r_m ** w_m) ** (1 / sum(w_m))

so 1.00 is a format that is best at everything weighted, and 1.50 is "50% worse than the
best, on weighted average". A geometric mean makes a 2x gap count the same in every metric,
whatever its unit. Lowest score ranks first.

Bottleneck. Given a link bandwidth B (bytes/s) and a message rate R (msgs/s), per format:

    CPU load  = (encode + decode seconds per record) x R        core-seconds per second
    link load = bytes per record x R / B                        fraction of the link
    max rate  = min(1 / (encode + decode), B / bytes per record)
    headroom  = max rate / R

The bottleneck is the larger load. Both ends of the link are charged to one core, which is
pessimistic for a sender and a receiver on separate machines. With ``compressed``, bytes
are zstd bytes, and zstd compress and decompress time (from the measured MB/s) is added to
the CPU; the zstd ratio was measured on the whole batch file, so it flatters single small
messages compressed one at a time.

Times come from message timings when the run has them, else from batch timings per record.

Libraries. With ``libraries`` (``recommend --libraries``), the candidates are (format,
implementation) pairs: each format's full-step cell and every library cell of it that
succeeded (``bench --libraries``), so the answer is "this format, through this library".
A library cell's size is its format's (the batch file fmtbench writes; a library writes
the same format), its times are its own message timings; it has no memory figure, so a
weight on memory leaves library cells unranked, with the reason.

Ranking. Without a load, by score; with ``--bandwidth`` and ``--rate``, by the most messages
a second each format sustains before its bottleneck runs out (``max rate``), since that is
the question those options ask. Noise: each timing's interquartile range gives every score
(and max rate) a range; two neighbours whose ranges overlap are a tie (``=``), so run-to-run
noise is never presented as a ranking. A format with an unstable timing (the run's own
mark) is flagged ``~``. Each row says in one line what decided its place: the weighted
metric that costs it most against the best (or, with a load, its bottleneck).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from fmtbench.bench import view
from fmtbench.bench.render_text import aligned
from fmtbench.bench.view import Results, Row
from fmtbench.errors import UsageError

DEFAULT_WEIGHTS: Mapping[str, float] = {"size": 2.0, "decode": 1.0, "encode": 1.0}
METRICS = ("size", "decode", "encode", "memory")


@dataclass(frozen=True)
class Load:
    cpu: float  # cores busy
    link: float  # fraction of the link used
    max_rate: float  # msgs/s at which the first resource runs out
    headroom: float  # max_rate / rate

    @property
    def bottleneck(self) -> str:
        return "CPU" if self.cpu >= self.link else "bandwidth"

    @property
    def fits(self) -> bool:
        return self.headroom >= 1.0


@dataclass(frozen=True)
class Ranked:
    label: str
    score: float
    values: Mapping[str, float]  # raw metric values
    relative: Mapping[str, float]  # value / best, per metric
    load: Load | None
    #: The range of the ranking key (score, or max rate with a load) over the timings'
    #: interquartile ranges: neighbours whose ranges overlap are tied.
    low: float = 0.0
    high: float = 0.0
    tie: bool = False  # tied with the format ranked above
    unstable: bool = False  # a timing the run marked unstable
    why: str = ""  # what decided the place, in a few words


@dataclass(frozen=True)
class Recommendation:
    dataset: str
    mode: str  # which timings were used: message or batch
    weights: Mapping[str, float]
    compressed: bool  # sizes after zstd, zstd time charged to CPU
    ranked: list[Ranked]
    skipped: list[str]  # cells that could not be ranked, and why
    libraries: bool = False  # (format, implementation) pairs were ranked, library cells too


def recommend(
    results: Results,
    weights: Mapping[str, float] | None = None,
    bandwidth: float | str | None = None,
    rate: float | None = None,
    *,
    compressed: bool = False,
    dataset: str | None = None,
    libraries: bool = False,
) -> list[Recommendation]:
    """Rank the formats of every dataset (or one) by weighted score, or with ``libraries``
    (format, implementation) pairs; see the module docstring."""
    w = check_weights(DEFAULT_WEIGHTS if weights is None else weights)
    link = parse_bandwidth(bandwidth) if isinstance(bandwidth, str) else bandwidth
    if (link is None) != (rate is None):
        raise UsageError("give both a bandwidth and a message rate, or neither")
    if rate is not None and not (math.isfinite(rate) and rate > 0):
        raise UsageError(f"message rate must be a positive finite number, not {rate:g}")
    if link is not None and not (math.isfinite(link) and link > 0):
        raise UsageError(f"bandwidth must be a positive finite speed, not {link:g} bytes/s")
    if link is not None and link <= 0:
        raise UsageError("bandwidth must be positive")
    names = [d.name for d in view.datasets(results)]
    if dataset is not None:
        if dataset not in names:
            known = ", ".join(names) or "none"
            raise UsageError(f"no dataset {dataset!r} in these results (there are: {known})")
        names = [dataset]
    out = []
    for name in names:
        rows = view.rows(results, name)
        out.append(_rank(name, rows, w, link, rate, compressed, libraries))
    return out


def _with_libraries(rows: Sequence[Row]) -> tuple[list[Row], dict[tuple[str, str, str, str], str], list[str]]:  # fmt: skip
    """The candidates of a (format, implementation) ranking: full-step cells and library
    cells, each library cell with its format's size; their labels; and the cells left out."""
    full = {r.format: r for r in rows if r.comparable}
    candidates, skipped = [], []
    for r in rows:
        if r.comparable:
            candidates.append(r)
        elif r.is_library and not r.ok:
            skipped.append(f"{r.format} / {r.implementation}: failed")
        elif r.is_library and (own := full.get(r.format)) is None:
            skipped.append(f"{r.format} / {r.implementation}: no size (the format's own cell failed)")  # fmt: skip
        elif r.is_library and own is not None:
            candidates.append(
                replace(
                    r,
                    records=own.records,
                    bytes=own.bytes,
                    bytes_per_record=own.bytes_per_record,
                    compressed=own.compressed,
                )
            )
    labels = {r.key: f"{r.format} / {r.implementation}" for r in candidates}
    return candidates, labels, skipped


def _rank(
    name: str,
    rows: Sequence[Row],
    weights: Mapping[str, float],
    link: float | None,
    rate: float | None,
    compressed: bool,
    libraries: bool = False,
) -> Recommendation:
    skipped = [
        f"{r.format} {r.implementation}: failed" for r in rows if r.step == "full" and not r.ok
    ]
    if libraries:
        candidates, names, left_out = _with_libraries(rows)
        skipped += left_out
    else:
        candidates = [r for r in rows if r.comparable]
        names = view.labels(candidates)
    mode = view.timing_mode(candidates)
    measured: list[tuple[Row, dict[str, float]]] = []
    needed = [m for m, wt in weights.items() if wt > 0]
    if link is not None:
        needed = sorted(set(needed) | {"size", "encode", "decode"}, key=METRICS.index)
    for r in candidates:
        values = _values(r, mode, compressed)
        missing = [m for m in needed if m not in values]
        if missing:
            skipped.append(f"{names[r.key]}: not measured: {', '.join(missing)}")
        else:
            measured.append((r, values))
    best = {m: min(v[m] for _, v in measured) for m in needed} if measured else {}
    total = sum(weights.values())
    ranked = []
    for r, values in measured:
        rel = {m: _ratio(values[m], best[m]) for m in needed}
        spread = _spreads(r, mode)
        log_score = sum(wt * math.log(rel[m]) for m, wt in weights.items() if wt > 0)
        ends = [
            math.exp(sum(wt * math.log(rel[m] * spread.get(m, (1.0, 1.0))[i])
                         for m, wt in weights.items() if wt > 0) / total)
            for i in (0, 1)
        ]  # fmt: skip
        item = Ranked(
            names[r.key],
            math.exp(log_score / total),
            values,
            rel,
            None,
            low=ends[0],
            high=ends[1],
            unstable=any(t.unstable for n, t in r.timings.items() if n.startswith(mode)),
            why=_why(rel, weights),
        )
        if link is not None and rate is not None:
            load = _load(values, link, rate)
            # The range of the max rate: the slow and fast ends of each timing.
            slow = {**values, **{m: values[m] * spread.get(m, (1.0, 1.0))[1] for m in ("encode", "decode")}}  # fmt: skip
            fast = {**values, **{m: values[m] * spread.get(m, (1.0, 1.0))[0] for m in ("encode", "decode")}}  # fmt: skip
            item = replace(
                item,
                load=load,
                low=_load(slow, link, rate).max_rate,
                high=_load(fast, link, rate).max_rate,
                why=f"{load.bottleneck} bound: {load.max_rate:,.0f} msgs/s at most",
            )
        ranked.append(item)
    if link is not None:
        ranked.sort(key=lambda x: (-x.load.max_rate if x.load else 0.0, x.label))
        ties = [a.low <= b.high for a, b in pairwise(ranked)]
    else:
        ranked.sort(key=lambda x: (x.score, x.label))
        ties = [b.low <= a.high for a, b in pairwise(ranked)]
    ranked = ranked[:1] + [replace(r, tie=t) for r, t in zip(ranked[1:], ties, strict=True)]
    return Recommendation(name, mode, dict(weights), compressed, ranked, skipped, libraries)


def _spreads(r: Row, mode: str) -> dict[str, tuple[float, float]]:
    """Per timing metric, its first and third quartiles as factors of its median."""
    out = {}
    for step in ("encode", "decode"):
        t = r.timings.get(f"{mode}_{step}")
        if t is None or len(t.seconds) < 2 or t.median <= 0:
            continue
        q1, _, q3 = statistics.quantiles(t.seconds, n=4, method="inclusive")
        out[step] = (q1 / t.median, q3 / t.median)
    return out


def _why(rel: Mapping[str, float], weights: Mapping[str, float]) -> str:
    """The weighted metric that costs most against the best, or what it is best at."""
    costs = {m: wt * math.log(rel[m]) for m, wt in weights.items() if wt > 0 and m in rel}
    worst = max(costs, key=lambda m: costs[m], default=None)
    if worst is None or costs[worst] <= math.log(1.005):
        return "best at every weighted metric"
    best_at = [m for m, c in costs.items() if c <= math.log(1.005)]
    lead = f"best at {', '.join(best_at)}; " if best_at else ""
    return f"{lead}{worst} {rel[worst]:.2f}x the best (weight {weights[worst]:g})"


def _ratio(value: float, best: float) -> float:
    if best > 0:
        return value / best
    return 1.0 if value == 0 else math.inf


def _values(r: Row, mode: str, compressed: bool) -> dict[str, float]:
    """The metric values of a cell in base units: bytes, seconds, bytes."""
    out: dict[str, float] = {}
    size = r.compressed_per_record("zstd") if compressed else r.bytes_per_record
    if size is not None:
        out["size"] = size
    extra = {"encode": 0.0, "decode": 0.0}
    if compressed:
        z, raw = r.compressed.get("zstd"), r.bytes_per_record
        if z is None or raw is None or not z.compress_mb_s or not z.decompress_mb_s:
            return {}  # no zstd figures: this cell cannot be judged compressed
        # Compression speeds are MB/s of the uncompressed input.
        extra = {"encode": raw / (z.compress_mb_s * 1e6), "decode": raw / (z.decompress_mb_s * 1e6)}
    for step in ("encode", "decode"):
        s = r.seconds_per_record(f"{mode}_{step}")
        if s is not None:
            out[step] = s + extra[step]
    if r.peak_memory is not None:
        out["memory"] = float(r.peak_memory)
    return out


def _load(values: Mapping[str, float], link: float, rate: float) -> Load:
    cpu_per_msg = values["encode"] + values["decode"]
    wire = values["size"]
    max_rate = min(
        1 / cpu_per_msg if cpu_per_msg > 0 else math.inf, link / wire if wire > 0 else math.inf
    )
    return Load(
        cpu=cpu_per_msg * rate, link=wire * rate / link, max_rate=max_rate, headroom=max_rate / rate
    )


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(METRICS))
    if unknown:
        raise UsageError(f"unknown weight {', '.join(unknown)}; weights are {', '.join(METRICS)}")
    if any(w < 0 or not math.isfinite(w) for w in weights.values()):
        raise UsageError("weights must be finite and not negative")
    if sum(weights.values()) <= 0:
        raise UsageError("at least one weight must be above 0")
    return {m: float(weights[m]) for m in METRICS if m in weights}


def parse_weights(text: str) -> dict[str, float]:
    """``size=2,decode=1,encode=1`` -> a weights dict; metrics not named weigh 0."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"bad weight {part!r}: write NAME=NUMBER, e.g. size=2") from None
    return check_weights(out)


_UNIT = re.compile(
    r"^\s*(?P<n>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(?P<prefix>[kKmMgGtT]i?)?"
    r"(?P<unit>bit/s|bits/s|bits|bit|bps|b/s|b|B/s|Bps|B)\s*$"
)
_PREFIX = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}


def parse_bandwidth(text: str) -> float:
    """A link speed in bytes/s: ``100Mbit``, ``1Gbps``, ``10MB/s``, ``1.5GiB/s``.

    Lower-case ``b``, ``bit`` and ``bps`` are bits, upper-case ``B`` is bytes; prefixes are
    decimal (k = 1000) unless written binary (Ki = 1024), as network speeds are quoted.
    """
    m = _UNIT.match(text)
    if m is None:
        raise UsageError(
            f"bad bandwidth {text!r}: write a number and a unit, e.g. 100Mbit, 1Gbps or 10MB/s"
        )
    prefix = m["prefix"] or ""
    scale = (
        1024.0 ** (" kmgt".index(prefix[0].lower()))
        if prefix.endswith("i")
        else _PREFIX[prefix.lower()]
    )
    bits = m["unit"][0] == "b"
    speed = float(m["n"]) * scale / (8 if bits else 1)
    if not (math.isfinite(speed) and speed > 0):
        raise UsageError(f"bad bandwidth {text!r}: a link speed is positive and finite")
    return speed


def recommend_lines(
    recs: Sequence[Recommendation], bandwidth: float | None = None, rate: float | None = None
) -> list[str]:
    """The ranking of every dataset as text, with the load table when a rate was given."""
    lines: list[str] = []
    for rec in recs:
        weights = ", ".join(f"{k}={v:g}" for k, v in rec.weights.items())
        how = f"{rec.mode} timings" + (
            "; sizes after zstd, zstd time in CPU" if rec.compressed else ""
        )
        lines.append(f"{rec.dataset}: ranked by {weights} ({how}; 1.00 = best at all weighted)")
        metrics = [m for m in METRICS if rec.ranked and m in rec.ranked[0].relative]
        table = []
        place = 0
        for i, r in enumerate(rec.ranked, 1):
            place = place if r.tie else i
            rank = f"={place}" if r.tie or (i < len(rec.ranked) and rec.ranked[i].tie) else str(place)  # fmt: skip
            label = r.label + (" ~" if r.unstable else "")
            relative = (f"{r.relative[m]:.2f}x" for m in metrics)
            table.append([rank, label, f"{r.score:.2f}", *relative, r.why])
        if table:
            what = "format / implementation" if rec.libraries else "format"
            lines += aligned(["rank", what, "score", *metrics, "why"], table, indent="  ")
        if any(r.tie for r in rec.ranked):
            lines.append("  =: tied (their ranges over the timings' quartiles overlap)")
        if any(r.unstable for r in rec.ranked):
            lines.append("  ~: a timing of this format was unstable in the run (see report)")
        if bandwidth is not None and rate is not None and rec.ranked:
            lines.append(f"  at {rate:,.0f} msgs/s over {human_rate(bandwidth)}:")
            lines += aligned(
                [
                    "format",
                    "CPU (cores)",
                    "link",
                    "bottleneck",
                    "max msgs/s",
                    "headroom",
                    "verdict",
                ],
                [_load_row(r) for r in rec.ranked],
                indent="  ",
            )
            if not any(r.load is not None and r.load.fits for r in rec.ranked):
                top = rec.ranked[0]
                assert top.load is not None
                lines.append(
                    f"  no format meets {rate:,.0f} msgs/s over {human_rate(bandwidth)};"
                    f" closest: {top.label}, {top.load.max_rate:,.0f} msgs/s"
                    f" ({top.load.headroom:.0%} of the rate; {top.load.bottleneck} bound)"
                )
        lines += [f"  not ranked: {s}" for s in rec.skipped]
        lines.append("")
    return lines[:-1] if lines else lines


def recommend_json(recs: Sequence[Recommendation]) -> list[dict[str, object]]:
    """The rankings for programs: per dataset, each format's place, score and reason."""
    out: list[dict[str, object]] = []
    for rec in recs:
        ranked = []
        place = 0
        for i, r in enumerate(rec.ranked, 1):
            place = place if r.tie else i
            load = r.load
            ranked.append(
                {
                    "rank": place,
                    "tie": r.tie or (i < len(rec.ranked) and rec.ranked[i].tie),
                    "format": r.label,
                    "score": r.score,
                    "range": [r.low, r.high],
                    "relative": dict(r.relative),
                    "values": dict(r.values),
                    "unstable": r.unstable,
                    "why": r.why,
                    "load": None
                    if load is None
                    else {
                        "cpu": load.cpu,
                        "link": load.link,
                        "bottleneck": load.bottleneck,
                        "max_rate": load.max_rate,
                        "headroom": load.headroom,
                        "fits": load.fits,
                    },
                }
            )
        if rec.libraries:  # "format" holds "json / orjson": the parts apart, for programs
            for item, r in zip(ranked, rec.ranked, strict=True):
                item["format"], _, item["implementation"] = r.label.partition(" / ")
        out.append(
            {
                "dataset": rec.dataset,
                "mode": rec.mode,
                "weights": dict(rec.weights),
                "compressed": rec.compressed,
                "ranked": ranked,
                "not_ranked": rec.skipped,
            }
        )
    return out


def _load_row(r: Ranked) -> list[str]:
    assert r.load is not None
    load = r.load
    verdict = "fits" if load.fits else f"{load.bottleneck} overloaded"
    return [
        r.label,
        f"{load.cpu:.3f}",
        f"{load.link:.1%}",
        load.bottleneck,
        f"{load.max_rate:,.0f}",
        f"{load.headroom:.1f}x",
        verdict,
    ]


def human_rate(bytes_per_s: float) -> str:
    bits = bytes_per_s * 8
    for unit, scale in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if bits >= scale:
            return f"{bits / scale:g} {unit} ({bytes_per_s / 1e6:g} MB/s)"
    return f"{bits:g} bit/s"
