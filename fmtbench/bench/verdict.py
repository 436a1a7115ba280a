"""The verdict of a run: per dataset, which format wins what, with ties, for the report's top.

Four questions, each answered among the successful full-step cells (native rows time a
library alone and never compete):

- **smallest**: fewest bytes per record (raw; after zstd too). Sizes are exact, so a tie is
  an equal size.
- **fastest to decode / to encode**: lowest median ns/record, from message timings when the
  run has them, else batch ones. A format whose interquartile range reaches the winner's is
  tied with it: the run cannot tell them apart.
- **best balanced**: the first place of ``recommend`` with its default weights (and the
  formats tied with it), so the page and the command never disagree.

Each format's size is also given as a ratio to the smallest, the figure people quote ("JSON
is 2.4x Protobuf").
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from fmtbench.bench import view
from fmtbench.bench.recommend import Ranked, Recommendation, recommend
from fmtbench.bench.view import Results, Row


@dataclass(frozen=True)
class Verdict:
    dataset: str
    mode: str  # which timings decided the speed answers: message or batch
    smallest: list[str]
    smallest_zstd: list[str]
    fastest_decode: list[str]
    fastest_encode: list[str]
    balanced: list[str]
    #: label -> (bytes/record, ratio to the smallest), in ranking order of size.
    sizes: list[tuple[str, float, float]]
    recommendation: Recommendation
    #: Timings the run marked unstable among the winners: their answers are shaky.
    unstable: list[str]


def verdicts(results: Results) -> list[Verdict]:
    """One verdict per dataset of the run, in the file's order."""
    ranked = {rec.dataset: rec for rec in recommend(results)}
    return [_verdict(d.name, view.rows(results, d.name), ranked[d.name]) for d in results.datasets]


def _verdict(dataset: str, rows: Sequence[Row], rec: Recommendation) -> Verdict:
    candidates = [r for r in rows if r.comparable]
    labels = view.labels(candidates)
    mode = view.timing_mode(candidates)
    sized = sorted(
        ((labels[r.key], r.bytes_per_record) for r in candidates if r.bytes_per_record is not None),
        key=lambda kv: (kv[1], kv[0]),
    )
    sizes = [(label, size, size / sized[0][1] if sized[0][1] else 1.0) for label, size in sized]
    zstd = {labels[r.key]: v for r in candidates if (v := r.compressed_per_record("zstd"))}
    winners = {
        step: _fastest(candidates, labels, f"{mode}_{step}") for step in ("decode", "encode")
    }
    unstable = sorted(
        {label for step, (names, shaky) in winners.items() for label in names if label in shaky}
    )
    balanced = rec.ranked[:1] + _tied_run(rec)
    return Verdict(
        dataset,
        mode,
        smallest=[label for label, size, _ in sizes if size == sizes[0][1]] if sizes else [],
        smallest_zstd=_lowest(zstd),
        fastest_decode=winners["decode"][0],
        fastest_encode=winners["encode"][0],
        balanced=[r.label for r in balanced],
        sizes=sizes,
        recommendation=rec,
        unstable=unstable,
    )


def _tied_run(rec: Recommendation) -> list[Ranked]:
    """The formats after the first that are tied with it (a run of ``=`` marks)."""
    run = []
    for r in rec.ranked[1:]:
        if not r.tie:
            break
        run.append(r)
    return run


def _lowest(values: dict[str, float]) -> list[str]:
    if not values:
        return []
    low = min(values.values())
    return sorted(label for label, v in values.items() if v == low)


def _fastest(
    rows: Sequence[Row], labels: dict[tuple[str, str, str, str], str], timing: str
) -> tuple[list[str], set[str]]:
    """The fastest format for a timing and those whose quartile range reaches it, and the
    set of labels whose timing the run marked unstable."""
    spans: dict[str, tuple[float, float, float]] = {}
    shaky = set()
    for r in rows:
        t = r.timings.get(timing)
        per_record = r.seconds_per_record(timing)
        if t is None or per_record is None or t.median <= 0:
            continue
        scale = per_record / t.median  # batch timings are per batch: scale to a record
        low, high = _quartiles(t.seconds, t.median)
        spans[labels[r.key]] = (per_record, low * scale, high * scale)
        if t.unstable:
            shaky.add(labels[r.key])
    if not spans:
        return [], shaky
    winner = min(spans, key=lambda k: (spans[k][0], k))
    reach = spans[winner][2]
    tied = [k for k in spans if k != winner and spans[k][1] <= reach]
    return [winner, *sorted(tied, key=lambda k: spans[k][0])], shaky


def _quartiles(samples: Sequence[float], median: float) -> tuple[float, float]:
    if len(samples) < 2:
        return median, median
    q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return q1, q3
