"""The CLI habits users expect (issue 14): ``-h``, one-line usage errors with a hint and
"did you mean", ``--version`` with the libraries, and a LICENSE matching pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

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
        (
            ["convert", "a.json", "b.json"],
            "give --schema (only .avro inputs carry their own schema)",
        ),
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


# -- bench's timing controls -------------------------------------------------------------------
def test_bench_takes_samples_min_time_and_warmup(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import json

    out = tmp_path / "r.json"
    args = ["bench", "log", "--formats", "msgpack", "--records", "20", "--samples", "4",
            "--min-time", "0.002", "--warmup", "2", "--json", str(out)]  # fmt: skip
    status, _, _ = run(capsys, *args)
    assert status == 0
    doc = json.loads(out.read_text())
    assert (doc["settings"]["samples"], doc["settings"]["warmups"]) == (4, 2)
    assert doc["settings"]["min_sample_seconds"] == 0.002
    for c in doc["cells"]:
        assert all(len(t["seconds"]) == 4 for t in c["timings"].values())


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [("--samples", "1", "--samples must be 2 to 1000"), ("--min-time", "0", "--min-time must"),
     ("--warmup", "0", "--warmup must be 1 to 100")],
)  # fmt: skip
def test_bench_controls_are_checked(
    capsys: pytest.CaptureFixture[str], option: str, value: str, expected: str
) -> None:
    status, _, err = run(capsys, "bench", "log", option, value)
    assert status == 2
    assert expected in err


def test_a_busy_machine_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from fmtbench.bench import environment as runner

    monkeypatch.setattr(os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    (first, *_) = runner.machine_busy()
    assert first == "the load average is 64.0 on 2 cores: other work competes for them"
    monkeypatch.setattr(os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    assert all("load average" not in why for why in runner.machine_busy())


def test_repeated_formats_add_up(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import json

    out = tmp_path / "r.json"
    args = ["bench", "log", "--quick", "--records", "10", "-f", "msgpack", "--formats",
            "json,jsonl", "--json", str(out)]  # fmt: skip
    assert run(capsys, *args)[0] == 0
    cells = json.loads(out.read_text())["cells"]
    assert {c["format"] for c in cells if c["step"] == "full"} == {"msgpack", "json", "jsonl"}


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["bench", "log", "--formats", "protobf"], "did you mean 'protobuf'?"),
        (["convert", "a.json", "b.json", "--schema", "ordr"], "did you mean 'order'?"),
        (["generate", "order", "--type", "Ordr", "-n", "1", "-o", "x.json"], "did you mean 'Order'?"),
        (["convert", "a.json", "b.json", "--schema", "order", "--to", "jsn"], "did you mean 'json'?"),
        (["explain", "order", "--formats", "msgpak"], "did you mean 'msgpack'?"),
        (["bench", "lgo"], "did you mean 'log'?"),
    ],
)  # fmt: skip
def test_unknown_names_get_a_did_you_mean(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    hint: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.json").write_text("[]")
    status, _, err = run(capsys, *args)
    assert status in (1, 2)
    assert hint in err, err
    assert err.count("\n") == 1


# -- --format json -----------------------------------------------------------------------------
RESULTS = ROOT / "tests" / "data" / "results_v1.json"


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["recommend", str(RESULTS), "-d", "log"], lambda d: d[0]["ranked"][0]["rank"] == 1),
        (["compare", str(RESULTS), str(RESULTS)], lambda d: d["changed"] == 0 and d["figures"] > 0),
        (["datasets"], lambda d: "log" in {x["name"] for x in d}),
        (["formats"], lambda d: "protojson" in {x["name"] for x in d}),
        (["schema", "check", "order"], lambda d: d["ok"] and d["root"] == "Order"),
    ],
)  # fmt: skip
def test_format_json_is_one_json_document(
    capsys: pytest.CaptureFixture[str], args: list[str], check: Any
) -> None:
    import json

    status, out, err = run(capsys, *args, "--format", "json")
    assert (status, err) == (0, "")
    assert check(json.loads(out))


def test_format_takes_text_or_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "datasets", "--format", "yaml")
    assert status == 2
    assert "--format must be text or json, not 'yaml'" in err


# -- wrong content: what to do instead ---------------------------------------------------------
def _records(fmt: str) -> bytes:
    from fmtbench import codec_for, resolve_schema
    from fmtbench.generate import RecordGenerator

    schema = resolve_schema("order")
    records = list(RecordGenerator(schema, seed=1).records(3))
    codec = codec_for(fmt, schema)
    return codec.encode(records[0]) if fmt == "protobuf" else codec.encode_many(records)


@pytest.mark.parametrize(
    ("content", "name", "hint"),
    [
        (lambda: _records("jsonl"), "in.json", "one JSON document a line (JSON Lines): read it with --from jsonl"),
        (lambda: _records("msgpack"), "in.json", "looks binary, not text: perhaps MessagePack"),
        (lambda: _records("protobuf"), "in.jsonl", "looks binary, not text: perhaps Protobuf"),
        (lambda: _records("protobuf-delimited"), "in.xml", "perhaps length-delimited Protobuf records"),
        (lambda: __import__("gzip").compress(_records("jsonl")), "in.jsonl", "the file is gzip-compressed"),
        (lambda: __import__("bz2").compress(_records("json")), "in.json", "the file is bzip2-compressed"),
    ],
)  # fmt: skip
def test_wrong_content_says_what_to_do(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    content: Any,
    name: str,
    hint: str,
) -> None:
    src = tmp_path / name
    src.write_bytes(content())
    status, out, err = run(capsys, "convert", str(src), str(tmp_path / "o.msgpack"), "-s", "order")
    assert (status, out) == (1, "")
    assert hint in err, err
    assert err.count("\n") == 1
    assert not (tmp_path / "o.msgpack").exists()


def test_a_plain_bad_record_gets_no_content_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    src = tmp_path / "in.json"
    src.write_text('[{"id": "x"}]')
    status, _, err = run(capsys, "convert", str(src), str(tmp_path / "o.msgpack"), "-s", "order")
    assert status == 1
    assert "looks" not in err
    assert "compressed" not in err


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [("fmtbench conv", "1", "convert"), ("fmtbench schema ex", "2", "export")],
)
def test_shell_completion_completes_commands(words: str, cword: str, expected: str) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "_FMTBENCH_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": cword}  # fmt: skip
    code = "import sys; from fmtbench.cli import run; sys.argv = ['fmtbench']; run()"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [expected]


# -- terminal tables at any width --------------------------------------------------------------
@pytest.mark.parametrize("columns", ["80", "60", "200"])
def test_report_tables_fit_columns_and_never_cut_a_number(
    columns: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    assert main(["report", str(RESULTS)]) == 0
    out = capfd.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= int(columns) for line in lines), max(lines, key=len)
    assert not any(line.endswith(" ") for line in lines)
    assert "…" not in out  # no number (or name) shortened
    if int(columns) < 120:
        assert "(continued)" in out


@pytest.mark.parametrize("columns", ["80", "100", "250"])
def test_explain_table_fits_columns_and_keeps_every_figure(
    columns: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    assert main(["explain", "order", "--formats", "protobuf,json,xml,msgpack"]) == 0
    out = capfd.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= int(columns) for line in lines), max(lines, key=len)
    assert not any(line.endswith(" ") for line in lines)
    assert "…" not in out
    heads = [line for line in lines if line.startswith("┃ field")]
    shown = [fmt for line in heads for fmt in line.split("┃")[3:] if fmt.strip()]
    assert sorted(f.strip() for f in shown) == ["json", "msgpack", "protobuf", "xml"]
    totals = [line for line in lines if line.startswith("│ total ")]
    assert len(totals) == len(heads)  # every part has every row
    assert ("(continued)" in out) == (int(columns) < 150)
