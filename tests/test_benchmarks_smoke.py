"""The performance suite cannot rot: every benchmark body runs once, untimed, in CI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_benchmark_body_runs() -> None:
    # A subprocess, so the suite runs with its own conftest and options exactly as documented
    # in benchmarks/README.md; --benchmark-disable calls each body once and times nothing.
    command = ["pytest", "benchmarks", "--benchmark-disable", "-q", "-x", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    last = done.stdout.strip().splitlines()[-1]
    # Only passes: a skipped or deselected benchmark would be one that stopped being checked.
    assert re.fullmatch(r"\d+ passed in .*", last), report
