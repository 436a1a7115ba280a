"""Calibrate, warm up, sample: the one timing loop every measurement goes through.

A *body* is one pass of the work (every record encoded once, or the whole batch decoded
once). A *sample* runs the body ``loops`` times between two clock readings. The clock is
injected (``time.perf_counter`` by default) so that tests drive it by hand and get exact
loop counts and samples (as pyperf's own tests do).

The rules (docs/methodology.md):

- ``gc.collect()`` before each measurement, so garbage left by the previous one is not
  collected, and charged, during this one.
- The collector is disabled during a sample and restored after it: a collection fires after
  a number of allocations counted across the whole process, so it would land in whichever
  sample happened to cross the threshold, one sample in several paying for the garbage of
  all. The records are acyclic, so reference counting frees them as the body runs and memory
  stays flat without the collector.
- Calibration starts at one loop (a cold pass, then a warm one to estimate from) and, while
  a sample is shorter than ``min_sample_seconds``, scales the loop count by the shortfall
  (aiming a margin above the minimum; at least one loop more), or doubles it when the clock
  saw no time at all.
- The calibration's last sample already ran the calibrated loop count and was thrown away:
  it is the first warm-up. ``warmups - 1`` more are run and thrown away, then ``samples``
  samples are kept.
"""

from __future__ import annotations

import gc
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]
Body = Callable[[], object]

#: Calibration aims this much above ``min_sample_seconds``, so that a slightly faster
#: sample later still lasts the minimum (without doubling every sample's cost).
CALIBRATION_MARGIN = 1.05
#: Loops never grow past this: a body the clock cannot see at all must still end.
MAX_LOOPS = 1 << 24


@dataclass(frozen=True)
class Sampled:
    """What a measurement kept: the loop count and each sample's seconds per pass."""

    loops: int
    seconds: tuple[float, ...]

    def result(self) -> Sampled:
        """Itself: a measurement taken at once is already complete (``interleave.Pending``
        completes later)."""
        return self


class Timer:
    def __init__(
        self,
        *,
        min_sample_seconds: float,
        samples: int,
        warmups: int,
        clock: Clock = time.perf_counter,
        max_loops: int = MAX_LOOPS,
    ) -> None:
        if samples < 1:
            raise ValueError(f"samples must be at least 1, got {samples}")
        if warmups < 1:  # the calibration's last sample always is one
            raise ValueError(f"warmups must be at least 1, got {warmups}")
        self.min_sample_seconds = min_sample_seconds
        self.samples = samples
        self.warmups = warmups
        self.clock = clock
        self.max_loops = max_loops

    def sample(self, body: Body, loops: int) -> float:
        """Seconds for ``loops`` passes of ``body``, with the garbage collector held off."""
        clock = self.clock
        enabled = gc.isenabled()
        gc.disable()
        try:
            start = clock()
            for _ in itertools.repeat(None, loops):
                body()
            end = clock()
        finally:
            if enabled:
                gc.enable()
        return end - start

    def next_loops(self, loops: int, seconds: float) -> int:
        """The loop count to try after a sample of ``loops`` that was too short."""
        if seconds <= 0:
            grown = loops * 2  # the clock saw nothing: no estimate to scale from
        else:
            target = self.min_sample_seconds * CALIBRATION_MARGIN
            grown = max(loops + 1, math.ceil(loops * target / seconds))
        return min(grown, self.max_loops)

    def calibrate(self, body: Body) -> int:
        """The loop count whose sample lasts the minimum; its last sample was a warm-up."""
        loops = 1
        seconds = self.sample(body, loops)
        if seconds < self.min_sample_seconds:
            # The very first pass runs cold (caches, lazy set-up, unspecialised bytecode) and
            # would make the estimate fall short, costing another round: estimate from a
            # second, warm pass instead.
            seconds = self.sample(body, loops)
        while seconds < self.min_sample_seconds and loops < self.max_loops:
            loops = self.next_loops(loops, seconds)
            seconds = self.sample(body, loops)
        return loops

    def prepare(self, body: Body) -> int:
        """Calibrate and warm up: the loop count every kept sample of ``body`` will run."""
        gc.collect()
        loops = self.calibrate(body)
        for _ in range(self.warmups - 1):  # the calibration's last sample was the first
            self.sample(body, loops)
        return loops

    def measure(self, body: Body) -> Sampled:
        """Prepare, then keep ``samples`` samples back to back."""
        loops = self.prepare(body)
        kept = tuple(self.sample(body, loops) / loops for _ in range(self.samples))
        return Sampled(loops, kept)
