"""Statistics and the timing loop, with exact numbers: a fake clock stands in for time."""

from __future__ import annotations

import gc

import pytest

from fmtbench.bench.runner import timing
from fmtbench.bench.stats import iqr, is_unstable, mad, median, summarize
from fmtbench.bench.timer import Sampled, Timer

TICK = 2.0**-10  # exact in binary, so sums of ticks compare exactly


class FakeClock:
    """A clock that only moves when a body says it worked for a while."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Body:
    """One pass that costs ``costs[i]`` seconds on its i-th call (the last cost repeats)."""

    def __init__(self, clock: FakeClock, *costs: float) -> None:
        self.clock, self.costs, self.calls = clock, costs, 0

    def __call__(self) -> None:
        self.clock.now += self.costs[min(self.calls, len(self.costs) - 1)]
        self.calls += 1


def make_timer(clock: FakeClock, **kw: float) -> Timer:
    settings = {"min_sample_seconds": 0.05, "samples": 7, "warmups": 1, **kw}
    return Timer(clock=clock, **settings)  # type: ignore[arg-type]


# -- statistics ----------------------------------------------------------------------------
def test_odd_samples() -> None:
    xs = [7.0, 1.0, 3.0, 5.0, 2.0, 6.0, 4.0]
    assert median(xs) == 4.0
    assert iqr(xs) == 3.0  # quartiles 2.5 and 5.5, interpolated
    assert mad(xs) == 2.0  # deviations 3 2 1 0 1 2 3


def test_even_samples() -> None:
    xs = [4.0, 1.0, 3.0, 2.0]
    assert median(xs) == 2.5
    assert iqr(xs) == 1.5  # quartiles 1.75 and 3.25
    assert mad(xs) == 1.0  # deviations 1.5 0.5 0.5 1.5


def test_one_sample_has_no_spread() -> None:
    assert summarize([0.25]) == summarize([0.25, 0.25])
    assert iqr([0.25]) == 0.0
    assert mad([0.25]) == 0.0


def test_no_samples_is_an_error() -> None:
    with pytest.raises(ValueError, match="no samples"):
        median([])


def test_unstable_when_iqr_exceeds_a_tenth_of_the_median() -> None:
    noisy = summarize([10.0, 10.0, 10.0, 12.0, 14.0])  # quartiles 10 and 12: IQR 2 = 20%
    assert (noisy.median, noisy.iqr, noisy.unstable) == (10.0, 2.0, True)
    steady = summarize([100.0, 101.0, 102.0, 103.0, 104.0])  # IQR 2 = 2%
    assert not steady.unstable
    assert not is_unstable(1.0, 10.0)  # exactly 10% is still stable
    assert is_unstable(1.0, 10.0, spread=0.05)
    assert is_unstable(1.0, 0.0)  # a zero median with spread: the clock saw noise only


def test_timing_divides_by_records_a_pass() -> None:
    t = timing(Sampled(loops=8, seconds=(0.5, 1.0, 0.75)), "record", 4, 0.10)
    assert t.seconds == (0.125, 0.25, 0.1875)
    assert (t.per, t.loops, t.median, t.iqr, t.mad) == ("record", 8, 0.1875, 0.0625, 0.0625)
    assert t.unstable  # 0.0625 / 0.1875 = 33%


# -- calibration ---------------------------------------------------------------------------
def test_calibration_scales_loops_to_the_minimum() -> None:
    clock = FakeClock()
    body = Body(clock, TICK)
    # 1 loop, cold then warm: 1/1024 s, short; scaled to ceil(1.05 * 0.05 * 1024) = 54 loops,
    # 0.0527 s: long enough.
    assert make_timer(clock).calibrate(body) == 54
    assert body.calls == 1 + 1 + 54


def test_calibration_estimates_from_the_warm_pass() -> None:
    clock = FakeClock()
    body = Body(clock, 4 * TICK, TICK)  # the cold pass is 4x slower than the rest
    assert make_timer(clock).calibrate(body) == 54  # not ceil(54 / 4) = 14, then again
    assert body.calls == 1 + 1 + 54


def test_calibration_grows_by_at_least_one_loop() -> None:
    timer = make_timer(FakeClock())
    assert timer.next_loops(10, 0.01) == 53  # ceil(10 * 0.0525 / 0.01)
    assert timer.next_loops(10, 0.049) == 11  # the estimate (10.7) is not a step forward
    assert timer.next_loops(8, 0.0) == 16  # the clock saw nothing: double


def test_calibration_doubles_when_the_clock_sees_nothing_and_stops_at_the_cap() -> None:
    clock = FakeClock()
    body = Body(clock, 0.0)
    assert make_timer(clock, max_loops=64).calibrate(body) == 64
    assert body.calls == 1 + 1 + 2 + 4 + 8 + 16 + 32 + 64


def test_a_pass_longer_than_the_minimum_needs_one_loop() -> None:
    clock = FakeClock()
    sampled = make_timer(clock, samples=3).measure(Body(clock, 0.125))
    assert sampled == Sampled(1, (0.125, 0.125, 0.125))


# -- warm-up and samples -------------------------------------------------------------------
def test_measure_keeps_samples_after_calibration_and_warmup() -> None:
    clock = FakeClock()
    body = Body(clock, TICK)
    sampled = make_timer(clock).measure(body)
    assert sampled == Sampled(54, (TICK,) * 7)
    # calibration (1 cold, 1 warm, then 54 loops: the first warm-up), then 7 kept samples
    assert body.calls == 1 + 1 + 54 + 7 * 54


def test_warmups_are_not_recorded() -> None:
    clock = FakeClock()
    # Cold passes are slow: the calibration's sample (0.5 s), then one more warm-up (0.25 s).
    body = Body(clock, 0.5, 0.25, 0.0625)
    sampled = make_timer(clock, samples=5, warmups=2).measure(body)
    assert sampled == Sampled(1, (0.0625,) * 5)
    assert body.calls == 1 + 1 + 5


def test_sample_count_follows_the_setting() -> None:
    clock = FakeClock()
    for n in (1, 3, 7):
        assert len(make_timer(clock, samples=n).measure(Body(clock, 0.125)).seconds) == n


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="samples"):
        make_timer(FakeClock(), samples=0)
    with pytest.raises(ValueError, match="warmups"):
        make_timer(FakeClock(), warmups=0)


# -- the garbage collector -----------------------------------------------------------------
def test_gc_is_off_during_a_sample_and_restored_after() -> None:
    seen: list[bool] = []
    timer = make_timer(FakeClock())
    assert gc.isenabled()
    timer.sample(lambda: seen.append(gc.isenabled()), 3)
    assert seen == [False] * 3
    assert gc.isenabled()


def test_gc_left_off_if_it_was_off() -> None:
    timer = make_timer(FakeClock())
    gc.disable()
    try:
        timer.sample(lambda: None, 1)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_gc_restored_when_the_body_raises() -> None:
    def boom() -> None:
        raise RuntimeError("codec bug")

    with pytest.raises(RuntimeError):
        make_timer(FakeClock()).sample(boom, 1)
    assert gc.isenabled()
