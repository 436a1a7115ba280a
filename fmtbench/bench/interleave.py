"""Samples taken in rounds across every timing of a dataset, not back to back.

A shared machine changes speed while a benchmark runs: another process takes a core for a
few seconds, and everything measured then is slower, up to twice on two cores. Measured
back to back, a timing's samples all fall in one such period, so they agree with each other
and the next run's, taken in another period, differs from them by far more than their
spread: ``compare`` then reports noise as change (on this project's 2-core machine, with
other work running, half the figures of two identical runs). Interleaving puts each timing's
samples all through the dataset's measurement: every timing sees the quiet and the busy
periods in about the same proportion, their spread shows the machine's changes, and two runs
agree within it. Google Benchmark's ``--benchmark_enable_random_interleaving`` does the same
for the same reason; the order within a round is shuffled (seeded) so no timing always
follows the same neighbour.

Every timing is calibrated and warmed up first (``Timer.prepare``), in order; then
``rounds`` rounds each take one sample of every timing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from fmtbench.bench.timer import Body, Sampled, Timer


@dataclass
class Pending:
    """A timing calibrated and waiting for its samples."""

    body: Body
    loops: int
    seconds: list[float] = field(default_factory=list)

    def result(self) -> Sampled:
        return Sampled(self.loops, tuple(self.seconds))


class Interleaver:
    """Hands out ``Pending`` timings, then samples them all, a round at a time."""

    def __init__(self, timer: Timer, seed: int = 0) -> None:
        self.timer = timer
        self.pending: list[Pending] = []
        self._random = random.Random(seed)

    def measure(self, body: Body) -> Pending:
        pending = Pending(body, self.timer.prepare(body))
        self.pending.append(pending)
        return pending

    def run(self, after_round: Callable[[int], None] | None = None) -> None:
        """Take ``timer.samples`` rounds; ``after_round(i)`` after each (for progress)."""
        for i in range(self.timer.samples):
            order = list(self.pending)
            self._random.shuffle(order)
            for p in order:
                p.seconds.append(self.timer.sample(p.body, p.loops) / p.loops)
            if after_round is not None:
                after_round(i + 1)


class Immediate:
    """The same interface, sampling at once (one cell alone: an isolated worker)."""

    def __init__(self, timer: Timer) -> None:
        self.timer = timer

    def measure(self, body: Body) -> Sampled:
        return self.timer.measure(body)
