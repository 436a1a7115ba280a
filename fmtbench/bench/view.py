"""Read-only accessors over a results file: the rows and derived figures every view shows.

The renderers (terminal, markdown, CSV, HTML, plot) and the analyses (compare, recommend)
read results only through this module, so the result model can change shape in one place.
A row is one cell of docs/results.md; derived figures (ns/record, MB/s, records/s) are
computed here and nowhere else, by the rules at the end of that document.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from fmtbench.bench.results import Cell, Compressed, DatasetInfo, Results, Timing, load

__all__ = ["METRICS", "Metric", "Results", "Row", "load", "rows"]

TIMINGS = ("message_encode", "message_decode", "batch_encode", "batch_decode")
COMPRESSOR_ORDER = ("zlib", "zstd", "brotli")


def format_order(name: str) -> int:
    """Where a format sits in reports: its registry order; one not installed here (a
    plugin's, in a results file from elsewhere) goes after every one that is."""
    from fmtbench.codecs.registry import REGISTRY

    return REGISTRY[name].order if name in REGISTRY else 1 << 30


def spread(t: Timing) -> float:
    """IQR / median: the noise a change must exceed to count."""
    return t.iqr / t.median if t.median > 0 else math.inf


@dataclass(frozen=True)
class Row:
    """One cell: a format and implementation on a dataset, with what was measured."""

    dataset: str
    format: str
    implementation: str
    step: str
    status: str
    error: str | None
    records: int
    bytes: int | None = None
    bytes_per_record: float | None = None
    compressed: Mapping[str, Compressed] = field(default_factory=dict)
    timings: Mapping[str, Timing] = field(default_factory=dict)
    peak_memory: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.dataset, self.format, self.implementation, self.step)

    @property
    def comparable(self) -> bool:
        """Full-step rows that succeeded: the ones a 'best' is chosen among.

        Native and library rows time one library's step alone, so they never compete with
        full ones for a best format; they are ranked within their format (``format_ranks``).
        """
        return self.ok and self.step == "full"

    @property
    def is_library(self) -> bool:
        """Another implementation of the format (``bench --libraries``)."""
        return self.step == "library"

    def seconds_per_record(self, name: str) -> float | None:
        t = self.timings.get(name)
        if t is None:
            return None
        if t.per == "record":
            return t.median
        return t.median / self.records if self.records else None

    def ns_per_record(self, name: str) -> float | None:
        s = self.seconds_per_record(name)
        return None if s is None else s * 1e9

    def mb_per_s(self, name: str) -> float | None:
        t = self.timings.get(name)
        if t is None or t.per != "batch" or self.bytes is None or t.median <= 0:
            return None
        return self.bytes / t.median / 1e6

    def records_per_s(self, name: str) -> float | None:
        t = self.timings.get(name)
        if t is None or t.per != "batch" or t.median <= 0:
            return None
        return self.records / t.median

    def ratio(self, compressor: str) -> float | None:
        c = self.compressed.get(compressor)
        return None if c is None else c.ratio

    def compressed_per_record(self, compressor: str) -> float | None:
        c = self.compressed.get(compressor)
        return None if c is None or not self.records else c.bytes / self.records

    def unstable(self, name: str) -> bool:
        t = self.timings.get(name)
        return t is not None and t.unstable


def datasets(results: Results) -> list[DatasetInfo]:
    return list(results.datasets)


def rows(results: Results, dataset: str | None = None) -> list[Row]:
    """Every cell (of one dataset, if given): datasets in file order, then formats in the
    usual order, the full step first, then the format's other implementations (native,
    libraries) fastest first by ``rank_timing``, failed ones last."""
    counts = {d.name: d.records for d in results.datasets}
    position = {d.name: i for i, d in enumerate(results.datasets)}
    cells = [c for c in results.cells if dataset is None or c.dataset == dataset]
    made = [_row(c, counts.get(c.dataset, 0)) for c in cells]
    timing = rank_timing(made)
    steps = {"full": 0, "native": 1, "library": 2}

    def order(r: Row) -> tuple[int, str, int, str, int, float, int, str]:
        fmt = format_order(r.format)
        first = 0 if r.step == "full" else 1
        speed = r.seconds_per_record(timing) if r.ok else None
        return (
            position.get(r.dataset, len(position)),
            r.dataset,
            fmt,
            r.format,
            first,
            math.inf if speed is None else speed,
            steps.get(r.step, 3),
            r.implementation,
        )

    return sorted(made, key=order)


def has_libraries(rows: Sequence[Row]) -> bool:
    """Whether the run measured other implementations (``bench --libraries``): the reports
    then rank each format's implementations, and show nothing new otherwise."""
    return any(r.is_library for r in rows)


def rank_timing(rows: Sequence[Row]) -> str:
    """The timing a format's implementations are ranked by: decode per record, from message
    timings when the run has them (library cells hold only those), else batch ones."""
    return f"{timing_mode(rows)}_decode"


def format_ranks(rows: Sequence[Row]) -> dict[tuple[str, str, str, str], tuple[int, int]]:
    """Each row's place among its format's implementations on its dataset (full step,
    native, libraries), by ``rank_timing``: row key -> (place, how many). Rows that failed
    or lack the timing (an encode-only library) have no place."""
    timing = rank_timing(rows)
    groups: dict[tuple[str, str], list[tuple[float, Row]]] = {}
    for r in rows:
        value = r.seconds_per_record(timing) if r.ok else None
        if value is not None:
            groups.setdefault((r.dataset, r.format), []).append((value, r))
    out = {}
    for group in groups.values():
        group.sort(key=lambda vr: (vr[0], vr[1].implementation))
        for place, (_, r) in enumerate(group, 1):
            out[r.key] = (place, len(group))
    return out


def rank_text(row: Row, ranks: Mapping[tuple[str, str, str, str], tuple[int, int]]) -> str:
    """``2/4``: second fastest of the format's four implementations; ``-`` if unranked."""
    place = ranks.get(row.key)
    return "-" if place is None else f"{place[0]}/{place[1]}"


def step_label(row: Row) -> str:
    """The implementation as tables show it: ``orjson [library]``, ``... [native]``."""
    return row.implementation if row.step == "full" else f"{row.implementation} [{row.step}]"


#: The note every report gives under a table with library rows.
LIBRARY_NOTE = (
    "another implementation of the format (bench --libraries), timed from "
    "the same prepared values after agreeing with fmtbench's codec on every record; "
    "rank: place among the format's implementations by {timing} ns/record; never ranked "
    "against other formats"
)


def library_note(rows: Sequence[Row]) -> str:
    return LIBRARY_NOTE.format(timing=rank_timing(rows).replace("_", " "))


def _row(cell: Cell, records: int) -> Row:
    size = cell.size
    return Row(
        dataset=cell.dataset,
        format=cell.format,
        implementation=cell.implementation,
        step=cell.step,
        status=cell.status,
        error=cell.error,
        # The batch file's own count when there is one; native rows have no size.
        records=size.records if size is not None else records,
        bytes=None if size is None else size.bytes,
        bytes_per_record=None if size is None else size.bytes_per_record,
        compressed={} if size is None else size.compressed,
        timings=cell.timings,
        peak_memory=None if cell.memory is None else cell.memory.batch_decode_peak_bytes,
    )


def compressors(rows: Sequence[Row]) -> list[str]:
    """Compressor names present, in the usual order, unknown ones after."""
    names = {n for r in rows for n in r.compressed}
    return [n for n in COMPRESSOR_ORDER if n in names] + sorted(names - set(COMPRESSOR_ORDER))


def labels(rows: Sequence[Row]) -> dict[tuple[str, str, str, str], str]:
    """Short names for charts: the format alone unless it has several implementations."""
    seen: dict[str, int] = {}
    for r in rows:
        seen[r.format] = seen.get(r.format, 0) + 1
    return {
        r.key: r.format if seen[r.format] == 1 else f"{r.format} ({r.implementation})" for r in rows
    }


def timing_mode(rows: Sequence[Row]) -> Literal["message", "batch"]:
    """Per-record times come from message timings when the run had them, else from batch ones."""
    has_message = any(n.startswith("message_") for r in rows for n in r.timings)
    return "message" if has_message else "batch"


# The columns of every results table, in order. ``lower`` says which direction is better.
# Size is judged on bytes, raw and after zstd, never on the compression ratio: a high ratio
# mostly says the format was verbose to begin with (XML compresses best and still ends up
# bigger than Protobuf), so the ratio is shown beside the compressed size, not ranked.
Kind = Literal["bytes", "zstd", "ns", "memory"]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    heading: str  # the label broken over lines, for narrow terminal columns
    kind: Kind
    lower: bool  # lower is better
    value: Callable[[Row], float | None]
    timing: str | None = None  # the timing it comes from, for the unstable mark


def _bpr(r: Row) -> float | None:
    return r.bytes_per_record


def _zstd(r: Row) -> float | None:
    return r.compressed_per_record("zstd")


def _mem(r: Row) -> float | None:
    return None if r.peak_memory is None else float(r.peak_memory)


def _ns(name: str) -> Callable[[Row], float | None]:
    return lambda r: r.ns_per_record(name)


METRICS: tuple[Metric, ...] = (
    Metric("bytes_per_record", "bytes/record", "bytes/\nrecord", "bytes", True, _bpr),
    Metric(
        "zstd_bytes_per_record",
        "zstd bytes/record (ratio)",
        "zstd B/rec\n(ratio)",
        "zstd",
        True,
        _zstd,
    ),
    Metric(
        "message_encode_ns",
        "message encode ns/record",
        "msg\nencode\nns/rec",
        "ns",
        True,
        _ns("message_encode"),
        "message_encode",
    ),
    Metric(
        "message_decode_ns",
        "message decode ns/record",
        "msg\ndecode\nns/rec",
        "ns",
        True,
        _ns("message_decode"),
        "message_decode",
    ),
    # Batch speed is ranked per record, not in MB/s: MB/s counts each format's own bytes, so
    # a verbose format (XML) would look fast for writing more of them.
    Metric(
        "batch_encode_ns",
        "batch encode ns/record",
        "batch\nencode\nns/rec",
        "ns",
        True,
        _ns("batch_encode"),
        "batch_encode",
    ),
    Metric(
        "batch_decode_ns",
        "batch decode ns/record",
        "batch\ndecode\nns/rec",
        "ns",
        True,
        _ns("batch_decode"),
        "batch_decode",
    ),
    Metric("peak_memory", "decode peak memory", "decode\npeak\nmemory", "memory", True, _mem),
)


def best(rows: Sequence[Row], metric: Metric) -> float | None:
    """The best value of a column among comparable rows (None if nobody has one)."""
    values = [v for r in rows if r.comparable and (v := metric.value(r)) is not None]
    if not values:
        return None
    return min(values) if metric.lower else max(values)


def relative(value: float, best_value: float, metric: Metric) -> float:
    """How many times worse than the best: 1.0 is the best, 2.0 twice as big/slow."""
    if metric.lower:
        return value / best_value if best_value > 0 else (1.0 if value == 0 else math.inf)
    return best_value / value if value > 0 else math.inf


def is_best(value: float | None, best_value: float | None) -> bool:
    return value is not None and best_value is not None and math.isclose(value, best_value)


def unstable_spread(results: Results) -> float:
    return results.settings.unstable_spread


def show(metric: Metric, row: Row) -> str | None:
    """A row's value in a column as tables show it, or None when it was not measured."""
    value = metric.value(row)
    if value is None:
        return None
    text = fmt_value(metric, value)
    ratio = row.ratio("zstd")
    if metric.kind == "zstd" and ratio is not None:
        text += f" ({ratio:.2f}x)"
    return text


def fmt_value(metric: Metric, value: float) -> str:
    """A value as shown in tables: enough digits to compare, no more."""
    if metric.kind in ("bytes", "zstd"):
        return f"{value:,.1f}"
    if metric.kind == "ns":
        return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    return human_bytes(value)


def fmt_relative(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.2f}x"


def human_bytes(n: float) -> str:
    """Three significant digits at most: ``980 B``, ``149 KiB``, ``1.2 MiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" or abs(n) >= 100 else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def environment(results: Results) -> list[tuple[str, str]]:
    """The machine and libraries, as (label, value) pairs, for the top of every report."""
    env = results.environment
    backend = env.protobuf_backend
    if backend == "python":
        backend += " (pure Python: about 20x slower than upb or cpp; not what production runs)"
    return [
        ("created", results.created),
        ("command", " ".join(results.command)),
        ("fmtbench", env.fmtbench),
        ("python", f"{env.implementation} {env.python}"),
        ("os", env.os),
        ("cpu", f"{env.cpu} ({env.cores} cores)"),
        ("protobuf backend", backend),
        ("libraries", ", ".join(f"{k} {v}" for k, v in env.libraries.items())),
        ("settings", settings_summary(results)),
        *(("busy", why) for why in env.busy),
    ]


def settings_summary(results: Results) -> str:
    s = results.settings
    parts = [
        "modes " + ", ".join(s.modes),
        f"{s.samples} samples of >= {s.min_sample_seconds:g} s",
        f"{s.warmups} warmup(s)",
    ]
    if s.quick:
        parts.append("quick")
    if s.isolate:
        parts.append("isolated workers")
    parts.append(f"unstable when IQR/median > {s.unstable_spread:.0%}")
    return "; ".join(parts)


def dataset_caption(d: DatasetInfo) -> str:
    seed = f", seed {d.seed}" if d.seed is not None else ""
    source = f", {d.source}" if d.source else ""
    return f"{d.records:,} {d.type} records (schema {d.schema}{seed}{source})"
