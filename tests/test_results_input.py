"""A results file is input too (issue 12, items 14 and 26): a hand-edited one is refused
on load with one line naming the field, by every command that reads it; what it holds is
printed and exported safely; the numbers ``recommend`` takes are checked."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fmtbench.bench.render_text import to_csv
from fmtbench.bench.results import from_dict
from fmtbench.cli import main

DATA = Path(__file__).resolve().parent / "data" / "results_v1.json"


def doc() -> dict[str, Any]:
    return json.loads(DATA.read_text())  # type: ignore[no-any-return]


def first_timing(d: dict[str, Any]) -> dict[str, Any]:
    return next(iter(d["cells"][0]["timings"].values()))  # type: ignore[no-any-return]


def first_sized(d: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in d["cells"] if "size" in c)  # type: ignore[no-any-return]


EDITS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "median a word": (lambda d: first_timing(d).update(median="fast"), "median: Expected float"),
    "median null": (lambda d: first_timing(d).update(median=None), "median: Expected float"),
    "median zero": (lambda d: first_timing(d).update(median=0), "median: 0"),
    "median negative": (lambda d: first_timing(d).update(median=-1e-6), "median: -1e-06"),
    "size bytes a word": (lambda d: first_sized(d)["size"].update(bytes="big"), "bytes"),
    "cells not a list": (lambda d: d.update(cells={}), "cells: Expected array"),
    "escape in a name": (
        lambda d: d["cells"][0].update(implementation="x\x1b[2J"),
        "cells[0].implementation: control characters",
    ),
    "an unknown step": (
        lambda d: d["cells"][0].update(step="fast"),
        "cells[0].step: Invalid enum value 'fast'",
    ),
    "an unknown status": (lambda d: d["cells"][0].update(status="maybe"), "cells[0].status"),
    "a cell of no dataset": (
        lambda d: d["cells"][0].update(dataset="nope"),
        "cells[0].dataset: 'nope' is not one of the file's datasets",
    ),
    "a cell twice": (lambda d: d["cells"].append(d["cells"][0]), "a second cell for"),
    "a dataset twice": (
        lambda d: d["datasets"].append(d["datasets"][0]),
        "a second dataset named",
    ),
    "escape in the environment": (
        lambda d: d["environment"].update(cpu="\x1b]0;owned\x07"),
        "environment.cpu: control characters",
    ),
}
COMMANDS = [
    ["report", "R"],
    ["report", "R", "--markdown"],
    ["report", "R", "--csv"],
    ["report", "R", "--html"],
    ["compare", "R", "R"],
    ["recommend", "R"],
]


@pytest.mark.parametrize("edit", EDITS)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_hand_edited_results_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: str, command: list[str]
) -> None:
    change, says = EDITS[edit]
    d = doc()
    change(d)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(d))
    assert main([str(path) if a == "R" else a for a in command]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"{path}: malformed results file: " in err
    assert says in err, err


@pytest.mark.parametrize(
    "args",
    [
        ["--bandwidth", "100Mbit", "--rate", "nan"],
        ["--bandwidth", "100Mbit", "--rate", "inf"],
        ["--bandwidth", "100Mbit", "--rate", "0"],
        ["--bandwidth", "100Mbit", "--rate", "-5"],
        ["--bandwidth", "0Mbit", "--rate", "100"],
        ["--bandwidth", "1e999Gbit", "--rate", "100"],
        ["--weights", "size=nan"],
        ["--weights", "size=inf"],
    ],
)
def test_recommend_refuses_numbers_that_are_not(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert main(["recommend", str(DATA), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "nan" not in err.split(":", 2)[-1].lower() or "not" in err


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_csv_cells_a_spreadsheet_would_run_are_quoted(start: str) -> None:
    # OWASP's CSV injection: a cell starting with one of these runs as a formula. (A
    # carriage return or an escape never gets this far: the file is refused on load.)
    d = doc()
    field = "error" if start == "\t" else "implementation"
    d["cells"][0][field] = f'{start}HYPERLINK("http://example.com")'
    rows = list(csv.DictReader(io.StringIO(to_csv(from_dict(d)))))
    assert rows[0][field] == f'\'{start}HYPERLINK("http://example.com")'


def test_bench_writes_results_that_report_reads(tmp_path: Path) -> None:
    # A file name may hold any character; the results file spells control characters out,
    # since the loader refuses them (issue 12, item 9: what a writer writes, its reader reads).
    from fmtbench.cli import main

    src = tmp_path / "x\x1b[2J\x9b.jsonl"
    assert main(["generate", "log", "--records", "5", "-o", str(src)]) == 0
    out = tmp_path / "r.json"
    assert main(["bench", "--schema", "log", "--input", str(src), "--formats", "json",
                 "--quick", "--json", str(out)]) == 0  # fmt: skip
    text = out.read_text()
    assert "\x1b" not in text
    assert "\\x1b[2J\\x9b" in json.loads(text)["datasets"][0]["name"]
    assert main(["report", str(out)]) == 0
