"""How often ``compare`` calls noise a change, and how often it sees a real one (issue 14).

Each round runs the real benchmark engine three times on the same datasets: A and B
alike, and C through a clock that runs 20% fast, so every time C measures is 20% longer
(a slowdown injected where no code changes, the engine's own calibration included). It then
counts the timing figures ``compare`` marks as changed: A vs B should flag at most 5% of
them (false alarms), A vs C at least 95% (power).

Run from the repository root (about a minute a round with --quick)::

    .venv/bin/python benchmarks/compare_power.py                       # 3 rounds, log and order
    .venv/bin/python benchmarks/compare_power.py --rounds 5 --datasets log,telemetry --full
"""

from __future__ import annotations

import argparse
import time

from fmtbench.bench.compare import compare
from fmtbench.bench.results import Results
from fmtbench.bench.runner import DatasetSpec, bench_formats, make_settings, run

SLOWDOWN = 1.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--datasets", default="log,order")
    parser.add_argument("--full", action="store_true", help="default settings, not --quick")
    args = parser.parse_args()
    specs = [DatasetSpec("profile", name) for name in args.datasets.split(",")]
    settings = make_settings(("message", "batch"), quick=not args.full)
    formats = bench_formats()

    def slow_clock() -> float:
        return time.perf_counter() * SLOWDOWN

    false_alarms = seen = total = 0
    for i in range(args.rounds):
        a = run(specs, formats, settings)
        b = run(specs, formats, settings)
        c = run(specs, formats, settings, clock=slow_clock)
        same, n = flagged(a, b)
        slower, m = flagged(a, c)
        assert n == m
        false_alarms, seen, total = false_alarms + same, seen + slower, total + n
        print(f"round {i + 1}: identical runs flagged {same}/{n}; 20% slower flagged {slower}/{m}")
    print(
        f"identical runs: {false_alarms}/{total} timing figures flagged "
        f"({false_alarms / total:.1%}); 20% slowdown: {seen}/{total} flagged ({seen / total:.1%})"
    )


def flagged(old: Results, new: Results) -> tuple[int, int]:
    """Timing figures compare calls changed, and timing figures in all."""
    rows = [r for r in compare(old, new).rows if r.metric.endswith("ns/record")]
    return sum(1 for r in rows if r.significant), len(rows)


if __name__ == "__main__":
    main()
