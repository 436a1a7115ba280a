"""No command writes over one of its own inputs (issue 12, items 5 and 6): every command
that reads a file and writes one refuses the same file, however it is named (the path
itself, ``./``, a symbolic link, a hard link), with exit status 2, and leaves it whole."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from fmtbench.cli import main

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "tests" / "data" / "results_v1.json"


def _inputs(d: Path) -> dict[str, Path]:
    (d / "s.jsonl").write_text('{"id": 1}\n')
    (d / "run.json").write_bytes(RESULTS.read_bytes())
    (d / "x.yaml").write_bytes((ROOT / "fmtbench" / "schemas" / "order.yaml").read_bytes())
    return {"jsonl": d / "s.jsonl", "results": d / "run.json", "schema": d / "x.yaml"}


# (what the command reads, the command with OUT where its output goes)
COMMANDS: list[tuple[str, Callable[[dict[str, Path], str], list[str]]]] = [
    ("jsonl", lambda i, o: ["convert", str(i["jsonl"]), o, "--to", "jsonl", "-s", "order"]),
    ("results", lambda i, o: ["report", str(i["results"]), "--markdown", "-o", o]),
    ("results", lambda i, o: ["report", str(i["results"]), "--csv", "-o", o]),
    ("results", lambda i, o: ["report", str(i["results"]), "--html", "-o", o]),
    ("results", lambda i, o: ["plot", str(i["results"]), "-o", o]),
    ("jsonl", lambda i, o: ["schema", "infer", str(i["jsonl"]), "-o", o]),
    ("schema", lambda i, o: ["schema", "export", str(i["schema"]), "--to", "proto", "-o", o]),
    ("schema", lambda i, o: ["generate", "--schema", str(i["schema"]), "-o", o, "--to", "json"]),
    ("jsonl", lambda i, o: ["bench", "--input", str(i["jsonl"]), "-s", "order", "--json", o]),
    ("schema", lambda i, o: ["bench", "--input", "x", "-s", str(i["schema"]), "--json", o]),
]
SPELLINGS = ["itself", "dot-slash", "symlink", "hardlink"]


def _spelled(path: Path, how: str, d: Path) -> str:
    if how == "itself":
        return str(path)
    if how == "dot-slash":
        return os.path.join(str(path.parent), ".", path.name)
    link = d / f"{how}-{path.name}"
    if how == "symlink":
        link.symlink_to(path)
    else:
        os.link(path, link)
    return str(link)


@pytest.mark.parametrize("how", SPELLINGS)
@pytest.mark.parametrize(("reads", "command"), COMMANDS, ids=lambda c: getattr(c, "__name__", c))
def test_a_command_never_writes_over_its_input(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    reads: str,
    command: Callable[[dict[str, Path], str], list[str]],
    how: str,
) -> None:
    inputs = _inputs(tmp_path)
    before = inputs[reads].read_bytes()
    args = command(inputs, _spelled(inputs[reads], how, tmp_path))
    assert main(args) == 2, args
    err = capsys.readouterr().err
    assert "is the input file" in err, err
    assert err.count("\n") == 1
    assert inputs[reads].read_bytes() == before


def test_many_files_never_write_over_a_later_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # convert a.json other/z.jsonl ./ --to jsonl: a.json's output ./a.jsonl is z.jsonl's
    # target, read after it would have been written (issue 12, item 6).
    (tmp_path / "a.json").write_text('{"id": 1}')
    (tmp_path / "a.jsonl").write_text('{"id": 2}\n')
    other = tmp_path / "other"
    other.mkdir()
    (other / "z.jsonl").symlink_to("../a.jsonl")
    args = ["convert", str(tmp_path / "a.json"), str(other / "z.jsonl"), f"{tmp_path}/"]
    assert main([*args, "--to", "jsonl", "-s", "order", "--workers", "1"]) == 2
    assert "is the input file" in capsys.readouterr().err
    assert (tmp_path / "a.jsonl").read_text() == '{"id": 2}\n'
