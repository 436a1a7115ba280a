"""A command started with standard input or output closed (``<&-``, ``>&-``) says so in one
line and exits 1; it never raises AttributeError on ``sys.stdin`` being None (issue 12, 15).
Every command that reads ``-`` or writes ``-`` is tried."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fmtbench.codecs import FORMATS

ROOT = Path(__file__).resolve().parent.parent

READS_STDIN = [
    ["convert", "-", "o.json", "--from", "jsonl", "-s", "order"],
    ["schema", "infer", "-", "--format", "jsonl"],
    ["explain", "-s", "order", "-i", "-", "--from", "jsonl"],
]
WRITES_STDOUT = [
    ["convert", "in.jsonl", "-", "--to", "jsonl", "-s", "order"],
    ["schema", "export", "order", "--to", "proto"],
    ["generate", "order", "--records", "2", "-o", "-", "--to", "jsonl"],
    ["bench", "order", "--quick", "--json", "-"],
    ["report", "results.json", "--markdown"],
] + [["convert", "in.jsonl", "-", "--to", fmt, "-s", "order"] for fmt in FORMATS]


def _run(args: list[str], closed: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fmtbench", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL if closed == 1 else None,
        stdout=subprocess.DEVNULL if closed == 0 else None,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(closed),  # the child starts with the stream closed
        check=False,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("stdio")
    (d / "in.jsonl").write_text('{"id": 1}\n{"id": 2}\n')
    results = ROOT / "tests" / "data" / "results_v1.json"
    (d / "results.json").write_bytes(results.read_bytes())
    return d


@pytest.mark.parametrize("args", READS_STDIN, ids=" ".join)
def test_closed_stdin(args: list[str], workdir: Path) -> None:
    out = _run(args, 0, workdir)
    assert (out.returncode, out.stderr) == (
        1,
        "fmtbench: error: <stdin>: cannot read: standard input is closed\n",
    )
    assert not (workdir / "o.json").exists()


@pytest.mark.parametrize("args", WRITES_STDOUT, ids=" ".join)
def test_closed_stdout(args: list[str], workdir: Path) -> None:
    out = _run(args, 1, workdir)
    assert (out.returncode, out.stderr) == (
        1,
        "fmtbench: error: <stdout>: cannot write: standard output is closed\n",
    )
