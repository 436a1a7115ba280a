"""Text from a file reaches the terminal with its control characters escaped (issue 12, item
26): a file name, a map key, a value, a profile's or a results file's names may hold terminal
escapes, overwriting characters, bidi overrides or line breaks. Whatever a command prints for
a person (an error line, a warning, a summary, a table) shows them as ``\\x1b``, ``\\u202e``,
``\\n``, and an error stays one line. Data formats (JSON to stdout) are left as they are."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.bench.render_terminal import render_terminal
from fmtbench.bench.results import from_dict
from fmtbench.cli import main
from fmtbench.text import plain_text

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "tests" / "data" / "results_v1.json"

#: Each does something to a terminal or to a line: clear the screen, set the window title,
#: return to the line's start, back up, the one-byte CSI, reverse what follows, break the
#: line (twice: LF and Unicode's line separator), and a zero-width space.
HOSTILE = {
    "clear screen": "\x1b[2J",
    "window title": "\x1b]0;owned\x07",
    "carriage return": "\r",
    "backspace": "\x08",
    "C1 CSI": "\x9b",
    "right-to-left override": "\u202e",
    "line feed": "\n",
    "line separator": "\u2028",
    "zero width space": "\u200b",
}
#: What a results file may hold (the loader refuses C0 and C1 controls in its text).
HOSTILE_UNICODE = ["\u202e", "\u2028", "\u200b", "\ufeff"]

UNSAFE = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def unsafe(text: str) -> list[str]:
    """The characters of ``text`` a terminal would act on, line ends aside."""
    return [ch for ch in text if ch != "\n" and unicodedata.category(ch) in UNSAFE]


def assert_clean_line(text: str) -> None:
    """One line, ended, and nothing in it a terminal would act on."""
    assert text.endswith("\n"), repr(text)
    assert text.count("\n") == 1, repr(text)
    assert not unsafe(text), repr(text)


def assert_one_clean_line(err: str) -> None:
    assert_clean_line(err)
    assert err.startswith("fmtbench: error: "), repr(err)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


# -- the sanitizer ---------------------------------------------------------------------------
@given(st.text())
def test_nothing_unsafe_is_left(text: str) -> None:
    shown = plain_text(text)
    assert not [ch for ch in shown if unicodedata.category(ch) in UNSAFE]
    assert "\n" not in shown
    assert "\t" not in shown


@given(st.text())
def test_kept_characters_are_the_only_unsafe_ones_left(text: str) -> None:
    shown = plain_text(text, keep="\t\n")
    assert {ch for ch in shown if unicodedata.category(ch) in UNSAFE} <= {"\t", "\n"}


@given(st.text().filter(str.isprintable))
def test_printable_text_is_unchanged(text: str) -> None:
    assert plain_text(text) == text


@given(st.text(alphabet=st.characters(blacklist_characters="\\")), st.data())
def test_distinct_texts_stay_distinct(text: str, data: st.DataObject) -> None:
    # Without a backslash of its own, a text can be read back from what is shown: every
    # backslash there starts an escape. (A literal "\x1b" and an ESC print alike; see
    # fmtbench/text.py for why a backslash is not doubled.)
    other = data.draw(st.text(alphabet=st.characters(blacklist_characters="\\")))
    assert (plain_text(text) == plain_text(other)) == (text == other)


@given(
    st.text(),
    st.text(),
    st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp"]),
    st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp"]),
)
def test_texts_differing_in_a_control_character_stay_distinct(
    head: str, tail: str, one: str, two: str
) -> None:
    assert (plain_text(head + one + tail) == plain_text(head + two + tail)) == (one == two)
    assert plain_text(head + one + tail) != plain_text(head + tail)


def test_spellings_are_repr_s() -> None:
    hostile = "\x1b[2J\x07\r\n\t\x9b\u202e\udc9b\U000e0001\u2029"
    assert plain_text(hostile) == "\\x1b[2J\\x07\\r\\n\\t\\x9b\\u202e\\udc9b\\U000e0001\\u2029"
    assert plain_text("Zoë Ñandú 🦜 日本\xa0x") == "Zoë Ñandú 🦜 日本\xa0x"


# -- error lines -------------------------------------------------------------------------------
@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("exists", [True, False], ids=["malformed", "missing"])
def test_a_file_name_is_escaped_in_the_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hostile: str, exists: bool
) -> None:
    src = tmp_path / f"in{hostile}put.json"
    if exists:
        src.write_text('{"id": 1')
    status, out, err = run(capsys, "convert", str(src), str(tmp_path / "out.jsonl"), "-s", "order")
    assert status == 1
    assert_one_clean_line(err)
    assert plain_text(str(src)) in err
    assert out == ""


def test_a_file_name_that_is_not_utf8_is_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Bytes 0x9b and 0xff are no UTF-8: Python names them with lone surrogates, which a
    # UTF-8 stream cannot even write.
    src = Path(os.fsdecode(os.fsencode(tmp_path) + b"/in\x9b\xff.json"))
    src.write_text('{"id": 1')
    status, _, err = run(capsys, "convert", str(src), str(tmp_path / "out.jsonl"), "-s", "order")
    assert status == 1
    assert_one_clean_line(err)
    assert "in\\udc9b\\udcff.json" in err


RECORDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "map key": lambda h: {"id": 1, "labels": {f"k{h}": 5}},
    "nested map key": lambda h: {"id": 1, "lines": [{"attributes": {f"k{h}": []}}]},
    "unknown field": lambda h: {"id": 1, f"x{h}": 1},
    "enum value": lambda h: {"id": 1, "status": f"PAID{h}"},
    "timestamp": lambda h: {"id": 1, "placed_at": f"2024-01-01T00:00:00Z{h}"},
    "number as text": lambda h: {"id": f"1{h}"},
}


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("where", RECORDS)
@pytest.mark.parametrize("ending", [".jsonl", ".xml"])
def test_a_key_or_value_is_escaped_in_the_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hostile: str, where: str, ending: str
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(RECORDS[where](hostile)) + "\n")
    status, _, err = run(capsys, "convert", str(src), str(tmp_path / f"out{ending}"), "-s", "order")
    assert status == 1
    assert_one_clean_line(err)


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_usage_error_naming_a_file_is_escaped(
    capsys: pytest.CaptureFixture[str], hostile: str
) -> None:
    status, _, err = run(capsys, "report", str(RESULTS), "-o", f"report{hostile}.txt")
    assert status == 2
    assert_one_clean_line(err)
    assert "cannot tell the report format" in err


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_schema_field_name_is_escaped_in_the_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hostile: str
) -> None:
    schema = tmp_path / "s.yaml"
    name = json.dumps(f"a{hostile}b")  # YAML's double quotes take JSON's escapes
    schema.write_text(f"schema: t\nmessages: {{M: {{fields: {{{name}: int32 = 1}}}}}}\n")
    status, _, err = run(capsys, "schema", "check", str(schema))
    assert status == 1
    assert_one_clean_line(err)
    assert "field name" in err


def test_a_many_line_message_stays_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # PyYAML's message spans four lines ("while scanning ...\n  in ..., line 2").
    profile = tmp_path / "p.yaml"
    profile.write_text("dataset: x\nschema: log\n\tbad: 1\n")
    status, _, err = run(capsys, "generate", str(profile), "-o", str(tmp_path / "o.json"))
    assert status == 1
    assert_one_clean_line(err)
    assert "not valid YAML: while scanning a plain scalar\\n  in " in err


# -- what a command prints on success -------------------------------------------------------
@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_profile_s_name_is_escaped_in_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hostile: str
) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(f"dataset: {json.dumps(f'x{hostile}y')}\nschema: log\nrecords: 2\n")
    out = tmp_path / f"o{hostile}.json"
    status, stdout, err = run(capsys, "generate", str(profile), "-o", str(out))
    assert status == 0, err
    assert_clean_line(err)
    assert f"x{plain_text(hostile)}y records" in err
    assert plain_text(str(out)) in err
    assert stdout == ""


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_an_input_file_name_is_escaped_in_explain_and_convert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hostile: str
) -> None:
    src = tmp_path / f"in{hostile}.jsonl"
    src.write_text(json.dumps({"id": 1, "status": "PAID"}) + "\n")
    status, out, err = run(capsys, "explain", "-s", "order", "-i", str(src), "--from", "jsonl")
    assert status == 0, err
    assert not unsafe(out), repr(out)
    dst = tmp_path / f"out{hostile}.json"
    status, out, err = run(capsys, "convert", str(src), str(dst), "-s", "order", "--from", "jsonl")
    assert status == 0, err
    assert_clean_line(err)


def test_data_written_to_stdout_is_left_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": 1, "note": "a\u202eb\u2028c"}, ensure_ascii=False) + "\n")
    status, out, _ = run(capsys, "convert", str(src), "-", "--to", "jsonl", "-s", "order")
    assert status == 0
    assert json.loads(out)["note"] == "a\u202eb\u2028c"
    assert "\u202e" in out  # a converted file is data, not a message


# -- results files ------------------------------------------------------------------------------
def results_with(hostile: str) -> dict[str, Any]:
    """The sample results file with ``hostile`` in every kind of text a report shows."""
    d: dict[str, Any] = json.loads(RESULTS.read_text())
    d["datasets"][0]["name"] += hostile
    d["datasets"][0]["source"] = f"profile{hostile}.yaml"
    d["environment"]["cpu"] += hostile
    d["command"].append(f"--json=r{hostile}.json")
    for cell in d["cells"]:
        if cell["dataset"] == "log":
            cell["dataset"] += hostile
        cell["implementation"] += hostile
        if cell["status"] == "failed":
            cell["error"] += f"\n\tand{hostile}"  # a line break or a tab is allowed there
    return d


@pytest.mark.parametrize("hostile", HOSTILE_UNICODE)
@pytest.mark.parametrize(
    "command", [["report", "R"], ["compare", "R", "R", "--all"], ["recommend", "R"]], ids=" ".join
)
def test_names_from_a_results_file_are_escaped_in_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hostile: str, command: list[str]
) -> None:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(results_with(hostile)))
    status, out, err = run(capsys, *(str(path) if a == "R" else a for a in command))
    assert status == 0, err
    assert not unsafe(out), repr(out)
    assert plain_text(hostile) in out


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_refused_results_file_s_message_is_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hostile: str
) -> None:
    d = json.loads(RESULTS.read_text())
    d["cells"][0]["implementation"] = "x\x1b[2J"
    path = tmp_path / f"run{hostile}.json"
    path.write_text(json.dumps(d))
    status, _, err = run(capsys, "report", str(path))
    assert status == 1
    assert_one_clean_line(err)
    assert "cells[0].implementation: control characters in text" in err


def test_results_text_is_not_rich_markup() -> None:
    # On a terminal rich turns "[link=URL]" into an OSC 8 hyperlink escape: a name from the
    # results file is shown as the text it is.
    d = json.loads(RESULTS.read_text())
    d["datasets"][0]["name"] = "[link=https://example.com]log[/link]"
    for cell in d["cells"]:
        if cell["dataset"] == "log":
            cell["dataset"] = d["datasets"][0]["name"]
    d["cells"][0]["implementation"] = "[bold]x[/bold]"
    from rich.console import Console

    buf = StringIO()
    console = Console(file=buf, force_terminal=True, width=200)
    for renderable in render_terminal(from_dict(d)):
        console.print(renderable)
    shown = buf.getvalue()
    styles = re.compile(r"\x1b\[[0-9;]*m")  # colours and bold: rich's own
    assert "\x1b" not in styles.sub("", shown)
    plain = styles.sub("", shown)
    assert "[link=https://example.com]log[/link]" in plain
    assert "[bold]x[/bold]" in plain


# -- warnings -----------------------------------------------------------------------------------
def test_a_plugin_s_warning_is_escaped(tmp_path: Path) -> None:
    dist = tmp_path / "evil_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: evil-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[fmtbench.formats]\nevil = evil_plugin_mod:FORMAT\n")
    (tmp_path / "evil_plugin_mod.py").write_text(
        "raise RuntimeError('boom\\x1b]0;owned\\x07\\n\\u202eline two\\x9b')\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "fmtbench", "formats"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert_clean_line(done.stderr)
    assert done.stderr.startswith("fmtbench: warning: plugin 'evil'")
    assert "boom\\x1b]0;owned\\x07\\n\\u202eline two\\x9b; skipped" in done.stderr
