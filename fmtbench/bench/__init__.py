"""The benchmark: one measurement engine, a versioned results file, and views that read it.

``run`` measures datasets x formats into a ``Results`` (runner.py, timer.py, stats.py,
worker.py; each format's native step is its registry entry's); ``save``/``load`` keep it as the JSON file of docs/results.md
(results.py); the renderers and analyses only ever read that model. docs/methodology.md
says how every number is measured.
"""

from fmtbench.bench.results import (
    KIND,
    VERSION,
    Cell,
    Compressed,
    DatasetInfo,
    Environment,
    Memory,
    Results,
    ResultsError,
    Settings,
    Size,
    Timing,
    from_json,
    load,
    save,
    to_json,
)
from fmtbench.bench.runner import (
    MODES,
    BenchError,
    DatasetSpec,
    bench_formats,
    make_settings,
    run,
)

__all__ = [
    "KIND",
    "MODES",
    "VERSION",
    "BenchError",
    "Cell",
    "Compressed",
    "DatasetInfo",
    "DatasetSpec",
    "Environment",
    "Memory",
    "Results",
    "ResultsError",
    "Settings",
    "Size",
    "Timing",
    "bench_formats",
    "from_json",
    "load",
    "make_settings",
    "run",
    "save",
    "to_json",
]
