"""The CLI habits users expect (issue 14): ``-h``, one-line usage errors with a hint and
"did you mean", ``--version`` with the libraries, and a LICENSE matching pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from fmtbench.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("args", [["-h"], ["convert", "-h"], ["schema", "import", "-h"]])
def test_dash_h_is_help(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    status, out, err = run(capsys, *args)
    assert (status, err) == (0, "")
    assert "Usage: fmtbench" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["convrt"], "No such command 'convrt'. Did you mean 'convert'? (see 'fmtbench --help')"),
        (["bench", "--rounds", "3"], "No such option: --rounds (Possible options: --records)"),
        (["convert", "a.json", "b.json"], "Missing option '--schema' / '-s'."),
        (["schema", "exprot"], "Did you mean 'export'?"),
    ],
)
def test_usage_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    status, out, err = run(capsys, *args)
    assert (status, out) == (2, "")
    assert err.startswith("fmtbench: error: ")
    assert expected in err
    assert err.count("\n") == 1, err
    assert "╭" not in err


def test_version_names_the_libraries(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--version")
    assert status == 0
    first, *libraries = out.splitlines()
    assert first.startswith("fmtbench ")
    assert "(Python 3." in first
    names = {line.split()[0] for line in libraries}
    assert {"protobuf", "msgspec", "orjson", "lxml", "msgpack"} <= names


def test_the_licence_file_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
