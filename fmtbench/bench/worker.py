"""One benchmark cell in a fresh process (``fmtbench bench --isolate``), JSON in and out.

Run as ``python -m fmtbench.bench.worker``: reads a job from stdin
(``{"dataset": DatasetSpec, "format": ..., "settings": Settings}``, and ``"library"`` for
one library cell of ``--libraries``) and writes ``{"cells": [...]}`` (cells as in the
results file) or ``{"error": "..."}`` to stdout. A library's worker is started with the
environment variables the library declares (the protobuf backend is chosen per process).

A fresh process per cell means no cell's numbers depend on what ran before it: no heap
fragmented by another codec, no allocator pools, caches or interpreter specialisations
warmed by another format. The worker rebuilds its records from the dataset spec (a
generated dataset is deterministic for its name, seed and count; a file is read again)
instead of receiving them pickled, which would cost more than generating them and would
hand the worker objects allocated in a different order from its own.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import fmtbench
from fmtbench.bench.libraries import job_library, library_from
from fmtbench.bench.results import Cell, Settings, cell_dict, cell_from, settings_dict
from fmtbench.bench.runner import BenchError, DatasetSpec, load, measure_cell, measure_library
from fmtbench.codecs.format import Library
from fmtbench.errors import FmtbenchError


def job_json(
    spec: DatasetSpec, fmt: str, settings: Settings, library: Library | None = None
) -> str:
    job: dict[str, Any] = {
        "dataset": dataclasses.asdict(spec),
        "format": fmt,
        "settings": settings_dict(settings),
    }
    if library is not None:
        job["library"] = job_library(fmt, library)
    return json.dumps(job)


def run_job(job: dict[str, Any]) -> list[Cell]:
    spec = DatasetSpec(**job["dataset"])
    raw = job["settings"]
    settings = Settings(**{**raw, "modes": tuple(raw["modes"])})
    loaded = load(spec, quick=settings.quick)
    if job.get("library") is not None:
        library = library_from(job["library"])
        return [measure_library(loaded, job["format"], library, settings, time.perf_counter)]
    return measure_cell(loaded, job["format"], settings, time.perf_counter)


def run_library_isolated(
    spec: DatasetSpec, dataset: str, fmt: str, library: Library, settings: Settings
) -> Cell:
    """One library cell, measured in a fresh worker process with the library's environment.
    A worker that fails is the cell's failure (with the worker's last word), not the run's."""
    try:
        (cell,) = run_isolated(spec, fmt, settings, library)
    except FmtbenchError as exc:
        return Cell(dataset, fmt, library.name, "library", "failed", str(exc))
    return cell


def run_isolated(
    spec: DatasetSpec, fmt: str, settings: Settings, library: Library | None = None
) -> list[Cell]:
    """The cells of one format on one dataset (or one library cell of it), measured in a
    fresh worker process."""
    env = dict(os.environ)
    if library is not None:
        env.update(library.environment)
    # The worker must run this very fmtbench, even where another copy is installed.
    root = str(Path(fmtbench.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-m", "fmtbench.bench.worker"],
        input=job_json(spec, fmt, settings, library),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    try:
        reply = json.loads(proc.stdout)
    except ValueError:
        reply = None
    if proc.returncode != 0 or not isinstance(reply, dict) or "cells" not in reply:
        if isinstance(reply, dict) and reply.get("error"):
            problem = reply["error"]
        else:
            lines = proc.stderr.strip().splitlines()
            problem = lines[-1] if lines else f"exit status {proc.returncode}"
        what = fmt if library is None else f"{fmt} {library.name}"
        raise BenchError(f"the worker for {spec.ref} {what} failed: {problem}")
    return [cell_from(c) for c in reply["cells"]]


def main() -> int:
    try:
        cells = run_job(json.loads(sys.stdin.read()))
    except FmtbenchError as exc:
        print(json.dumps({"error": str(exc)}))
        return 1
    print(json.dumps({"cells": [cell_dict(c) for c in cells]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
