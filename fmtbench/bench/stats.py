"""Robust summaries of timing samples: median, interquartile range, median absolute deviation.

Benchmark noise is one-sided (a sample is slowed by an interrupt or a cache flush, never sped
up), so the mean and the standard deviation are pulled by the outliers; the median and two
rank-based spreads are not. Quartiles use linear interpolation between the sorted samples
(``statistics.quantiles(..., method="inclusive")``, numpy's default), so they stay inside
the range of the data even for the three samples of a ``--quick`` run.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

#: A timing is unstable when its IQR exceeds this fraction of its median.
UNSTABLE_SPREAD = 0.10


@dataclass(frozen=True)
class Summary:
    median: float
    iqr: float
    mad: float
    unstable: bool


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no samples to summarise")
    return float(statistics.median(values))


def iqr(values: Sequence[float]) -> float:
    """Third quartile minus first; 0 for fewer than two samples (no spread can be seen)."""
    if len(values) < 2:
        return 0.0
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return float(q3 - q1)


def mad(values: Sequence[float]) -> float:
    """Median absolute deviation from the median (unscaled: in seconds, like the samples)."""
    mid = median(values)
    return median([abs(v - mid) for v in values])


def is_unstable(iqr_value: float, median_value: float, spread: float = UNSTABLE_SPREAD) -> bool:
    if median_value <= 0:
        # A zero median means the clock could not resolve the work: nothing to trust.
        return iqr_value > 0
    return iqr_value / median_value > spread


def summarize(values: Sequence[float], spread: float = UNSTABLE_SPREAD) -> Summary:
    mid = median(values)
    spread_value = iqr(values)
    return Summary(mid, spread_value, mad(values), is_unstable(spread_value, mid, spread))
