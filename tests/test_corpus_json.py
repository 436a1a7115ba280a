"""JSONTestSuite (nst/JSONTestSuite, ``test_parsing``) against fmtbench's JSON path.

The cases are JSON texts, not records of a schema, so "the JSON path" is what a user runs:
``fmtbench convert CASE.json out.msgpack -s order``. Then:

- every ``n_`` case (must be rejected) is refused as malformed JSON, at the parse, before
  any schema check: exit status 1, one line on stderr naming it, no traceback, no output;
- no ``y_`` (must be accepted) or ``i_`` (implementation-defined) case crashes, and no
  ``y_`` case is called malformed: status 0 (``[]``, ``{}``: zero records, or one record
  of defaults) or 1 (mostly "expected Order (an object), got str": valid JSON, but not a
  record), one line, nothing written on failure.

The same bytes also go through the codec API (``decode``, ``reader``, for ``json`` and
``jsonl``), where only ``FmtbenchError`` may come out; for ``json`` an ``n_`` case must
raise ``DecodeError``.

The suite is kept beside the repository (``../shared/corpora/JSONTestSuite``, or
``$FMTBENCH_JSONTESTSUITE``); without it these tests skip.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest

from fmtbench.cli import main
from fmtbench.codecs import Codec, codec_for
from fmtbench.convert import convert
from fmtbench.errors import DecodeError, FmtbenchError, UsageError
from fmtbench.schema.builtin import resolve_schema
from fmtbench.schema.model import Schema
from tests.corpora import json_test_suite

SUITE = json_test_suite()
MISSING = "JSONTestSuite not found (expected ../shared/corpora/JSONTestSuite/test_parsing)"
CASES: list[Path] = sorted(SUITE.glob("*.json")) if SUITE else []


def _params(prefixes: tuple[str, ...]) -> list[object]:
    if SUITE is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="missing")]
    return [pytest.param(p, id=p.name) for p in CASES if p.name.startswith(prefixes)]


@cache
def _schema() -> Schema:
    return resolve_schema("order")


@cache
def _codec(fmt: str) -> Codec:
    return codec_for(fmt, _schema())


def _one_line(message: str) -> bool:
    return "\n" not in message and "\r" not in message and "Traceback" not in message


def test_suite_is_there() -> None:
    if SUITE is None:
        pytest.skip(MISSING)
    kinds = {p.name[:2] for p in CASES}
    assert kinds == {"n_", "y_", "i_"}
    assert len(CASES) > 300


@pytest.mark.parametrize("case", _params(("n_",)))
def test_cli_refuses_n_case_as_malformed(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.msgpack"
    status = main(["convert", str(case), str(out), "-s", "order", "-j", "1"])
    stdout, err = capsys.readouterr()
    assert status == 1, err
    assert stdout == ""
    assert err.startswith("fmtbench: error: ")
    assert err.endswith("\n")
    assert err.count("\n") == 1, f"not one line: {err!r}"
    assert "Traceback" not in err
    assert "malformed JSON" in err, f"refused, but not at the parse: {err!r}"
    assert list(tmp_path.iterdir()) == [], "output (or a temporary file) left behind"


@pytest.mark.parametrize("case", _params(("n_",)))
def test_codec_api_refuses_n_case(case: Path) -> None:
    data = case.read_bytes()
    with pytest.raises(DecodeError) as info:
        _codec("json").decode(data)
    assert _one_line(str(info.value))
    with pytest.raises(DecodeError) as info:
        list(_codec("json").reader(io.BytesIO(data)))
    assert _one_line(str(info.value))
    # JSON Lines reads line by line: a multi-line n_ case may hold valid lines, so only a
    # clean outcome is asked for.
    messages: list[str] = []
    for attempt in (
        lambda: _codec("jsonl").decode(data),
        lambda: _codec("jsonl").decode_many(data),
    ):
        try:
            attempt()
        except FmtbenchError as exc:
            messages.append(str(exc))
    assert all(_one_line(m) for m in messages), messages


def test_y_and_i_cases_do_not_crash(tmp_path: Path) -> None:
    """The library path of ``fmtbench convert`` (status 1 = a FmtbenchError but a UsageError)
    and the codec API, on every y_ and i_ case."""
    if SUITE is None:
        pytest.skip(MISSING)
    out = tmp_path / "out.msgpack"
    report: list[str] = []
    checked = 0
    for case in CASES:
        if not case.name.startswith(("y_", "i_")):
            continue
        checked += 1
        try:
            convert(str(case), str(out), _schema())
        except UsageError as exc:
            report.append(f"{case.name}: usage error for an input problem: {exc}")
        except FmtbenchError as exc:
            if not _one_line(str(exc)):
                report.append(f"{case.name}: not one line: {str(exc)!r}")
            if case.name.startswith("y_") and "malformed JSON" in str(exc):
                report.append(f"{case.name}: valid JSON refused as malformed: {exc}")
            if out.exists():
                report.append(f"{case.name}: output written despite the error")
        except Exception as exc:
            report.append(f"{case.name}: convert crashed: {type(exc).__name__}: {exc}")
        out.unlink(missing_ok=True)
        data = case.read_bytes()
        for fmt in ("json", "jsonl"):
            for mode in ("decode", "reader"):
                try:
                    if mode == "decode":
                        _codec(fmt).decode(data)
                    else:
                        list(_codec(fmt).reader(io.BytesIO(data)))
                except FmtbenchError as exc:
                    if not _one_line(str(exc)):
                        report.append(f"{case.name}: {fmt} {mode}: not one line: {str(exc)!r}")
                except Exception as exc:
                    report.append(f"{case.name}: {fmt} {mode}: {type(exc).__name__}: {exc}")
    assert checked > 100
    assert list(tmp_path.iterdir()) == []
    assert not report, "\n".join(report)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("y_array_empty.json", 0),  # [] : a file of no records
        ("y_object_empty.json", 0),  # {} : one record, every field at its default
        ("y_structure_lonely_int.json", 1),  # valid JSON, but not a record nor an array
        ("y_object_basic.json", 1),  # an object with a field Order does not have
    ],
)
def test_cli_on_a_few_valid_texts(
    name: str, status: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if SUITE is None:
        pytest.skip(MISSING)
    out = tmp_path / "out.jsonl"  # JSON Lines holds an empty set (MessagePack refuses one)
    got = main(["convert", str(SUITE / name), str(out), "-s", "order", "-j", "1"])
    _, err = capsys.readouterr()
    assert got == status, err
    assert err.count("\n") == 1
    assert out.exists() == (status == 0)
