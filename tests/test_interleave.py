"""Interleaved sampling (bench/interleave.py): each timing's samples spread over the run.

Driven by a fake clock whose machine turns twice as slow halfway through, as a shared
machine does when other work starts: measured back to back, two equal bodies differ by 2x
with tight spreads (noise that looks like a finding); interleaved, they agree.
"""

from __future__ import annotations

import statistics

from fmtbench.bench.interleave import Immediate, Interleaver
from fmtbench.bench.timer import Timer


class Machine:
    """Virtual time; work costs twice as much once ``busy_after`` seconds have passed."""

    def __init__(self, busy_after: float) -> None:
        self.now = 0.0
        self.busy_after = busy_after
        self.calls: list[str] = []

    def clock(self) -> float:
        return self.now

    def body(self, name: str, cost: float = 0.001):  # type: ignore[no-untyped-def]
        def run() -> None:
            self.calls.append(name)
            self.now += cost * (2 if self.now >= self.busy_after else 1)

        return run


def timer(machine: Machine, samples: int = 8) -> Timer:
    return Timer(min_sample_seconds=0.01, samples=samples, warmups=1, clock=machine.clock)


def test_every_round_samples_every_timing_once() -> None:
    m = Machine(busy_after=1e9)
    rounds = Interleaver(timer(m, samples=5))
    pending = [rounds.measure(m.body(name)) for name in "abc"]
    m.calls.clear()
    seen: list[int] = []
    rounds.run(seen.append)
    assert seen == [1, 2, 3, 4, 5]
    loops = pending[0].loops
    chunks = [m.calls[i : i + loops] for i in range(0, len(m.calls), loops)]
    per_round = [sorted({c[0] for c in chunks[i : i + 3]}) for i in range(0, 15, 3)]
    assert per_round == [["a", "b", "c"]] * 5
    orders = {tuple(c[0] for c in chunks[i : i + 3]) for i in range(0, 15, 3)}
    assert len(orders) > 1  # shuffled, seeded
    assert all(len(p.result().seconds) == 5 for p in pending)


def test_a_machine_slowing_halfway_is_not_a_difference_when_interleaved() -> None:
    back_to_back = Machine(busy_after=1e9)
    t = timer(back_to_back)
    a = Immediate(t).measure(back_to_back.body("a")).result()
    back_to_back.busy_after = back_to_back.now  # other work starts as b starts
    b = Immediate(t).measure(back_to_back.body("b")).result()
    apart = statistics.median(b.seconds) / statistics.median(a.seconds)
    assert apart > 1.9  # all of a quiet, all of b busy: "b is twice as slow"

    interleaved = Machine(busy_after=1e9)
    rounds = Interleaver(timer(interleaved))
    pa = rounds.measure(interleaved.body("a"))
    pb = rounds.measure(interleaved.body("b"))
    quiet_rounds = 8 * (pa.loops + pb.loops) * 0.001
    interleaved.busy_after = interleaved.now + quiet_rounds / 2  # halfway through the rounds
    rounds.run()
    a2, b2 = pa.result().seconds, pb.result().seconds
    assert 0.8 < statistics.median(b2) / statistics.median(a2) < 1.25
    assert max(a2) / min(a2) > 1.9  # the slowdown shows as spread, where compare sees it
