"""msgpack-test-suite (npm ``msgpack-test-suite``) against fmtbench's MessagePack decoder.

The suite pairs values with every MessagePack encoding of them (``00``, ``cc-00``, ...,
``cb-00-...`` for 0). A bare value is not a record, so each encoding is wrapped as the
value of field ``v`` (``81 a1 76`` + ENCODING) and decoded with the record type of
``tests/data/msgpack_suite.yaml`` that holds such a value. Then:

- every encoding whose value fits a type (nil, bools, binaries, integers of every width,
  floats, strings, arrays, maps with string keys, arrays and maps of empty messages,
  timestamps of extension type -1 within years 1..9999, nanoseconds kept) decodes to exactly
  the expected record, through ``decode`` and through the file ``reader``;
- encodings that fit no type (``[[]]``, ``{"a": []}``, other extension types, timestamps
  before year 1 or beyond year 9999) are refused with a one-line ``DecodeError``;
- every encoding, bare and wrapped, under every record type, gives a valid record (one
  that re-encodes and decodes back equal) or a clean ``FmtbenchError``: nothing else.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fmtbench.cli import main
from fmtbench.codecs import Codec, codec_for
from fmtbench.errors import DecodeError, FmtbenchError
from fmtbench.schema import load_schema
from fmtbench.schema.model import Schema
from fmtbench.values import Timestamp
from tests.corpora import MSGPACK_SUITE, CorpusUnavailable, npm_package
from tests.samples import assert_same, same

SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "msgpack_suite.yaml"
WRAP = b"\x81\xa1v"  # fixmap of 1: "v" -> the value
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NO_FIT = None  # a vector whose value no record type holds: it must be refused


@dataclass(frozen=True)
class Vector:
    id: str
    kind: str  # the suite's key: nil, bool, binary, number, bignum, string, array, map, ...
    value: Any  # the suite's value (JSON form)
    encoding: bytes
    type_name: str | None  # the record type that holds it, or NO_FIT
    expected: Any  # the canonical value of v (meaningful when type_name is set)


@cache
def schema() -> Schema:
    return load_schema(SCHEMA_FILE)


@cache
def codec(type_name: str) -> Codec:
    return codec_for("msgpack", schema(), type_name)


def _timestamp(seconds: int, nanos: int) -> tuple[str | None, Any]:
    try:  # nanoseconds kept: a Timestamp when finer than a microsecond
        return "Time", Timestamp.from_parts(seconds, nanos)
    except OverflowError:  # before year 1 or after 9999
        return NO_FIT, None


def classify(kind: str, value: Any, encoding: bytes) -> tuple[str | None, Any]:
    """The record type holding the value as this encoding carries it, and the expected v."""
    if kind == "nil":
        return "Nil", None
    if kind == "bool":
        return "Bool", value
    if kind == "binary":
        return "Bin", bytes.fromhex(value.replace("-", ""))
    if kind in ("number", "bignum"):
        number = int(value) if kind == "bignum" else value
        if encoding[0] == 0xCA:
            return "Float", float(struct.unpack(">f", encoding[1:5])[0])
        if encoding[0] == 0xCB:
            return "Float", float(struct.unpack(">d", encoding[1:9])[0])
        if isinstance(number, float) and not number.is_integer():
            return "Float", number
        number = int(number)
        return ("Int" if number < 2**63 else "UInt"), number
    if kind == "string":
        return "Str", value
    if kind == "array":
        if value == [[]]:
            return NO_FIT, None  # a list of lists: no schema type
        if value == [{}]:
            return "EmptyList", [{}]
        if all(isinstance(x, str) for x in value) and value:
            return "StrList", value
        return "IntList", value
    if kind == "map":
        if value == {"a": []}:
            return NO_FIT, None  # a map of lists: no schema type
        if value == {"a": {}}:
            return "EmptyMap", value
        if all(isinstance(x, str) for x in value.values()) and value:
            return "StrMap", value
        return "IntMap", value
    if kind == "timestamp":
        return _timestamp(*value)
    if kind == "ext":
        return NO_FIT, None  # only extension type -1 (timestamps) is a value in fmtbench
    raise AssertionError(kind)


def vectors(pkg_root: Path) -> list[Vector]:
    suite = json.loads((pkg_root / "dist" / "msgpack-test-suite.json").read_text())
    out: list[Vector] = []
    for group, cases in suite.items():
        for i, case in enumerate(cases):
            kind = next(k for k in case if k != "msgpack")
            if kind == "number" and "bignum" in case:
                kind = "bignum"
            value = case[kind]
            for hexed in case["msgpack"]:
                encoding = bytes.fromhex(hexed.replace("-", ""))
                type_name, expected = classify(kind, value, encoding)
                vid = f"{group.removesuffix('.yaml')}-{i}-{hexed[:23]}"
                out.append(Vector(vid, kind, value, encoding, type_name, expected))
    return out


def _load() -> tuple[list[Vector], str | None]:
    try:
        return vectors(npm_package(MSGPACK_SUITE).root), None
    except CorpusUnavailable as exc:
        return [], f"corpus {MSGPACK_SUITE} unavailable (offline?): {exc}"


VECTORS, UNAVAILABLE = _load()


def _params(*, fits: bool) -> list[Any]:
    if UNAVAILABLE:
        return [pytest.param(None, marks=pytest.mark.skip(reason=UNAVAILABLE), id="unavailable")]
    return [pytest.param(v, id=v.id) for v in VECTORS if (v.type_name is not NO_FIT) == fits]


def expected_record(v: Vector) -> dict[str, Any]:
    return {} if v.type_name == "Nil" else {"v": v.expected}


def test_suite_is_loaded() -> None:
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    kinds = {v.kind for v in VECTORS}
    assert kinds >= {"nil", "bool", "binary", "number", "bignum", "string", "array", "map"}
    assert kinds >= {"timestamp", "ext"}
    assert len(VECTORS) > 150


@pytest.mark.parametrize("vec", _params(fits=True))
def test_value_decodes_to_expected_record(vec: Vector) -> None:
    assert vec.type_name is not None
    c = codec(vec.type_name)
    data = WRAP + vec.encoding
    record = c.decode(data)
    assert_same(record, expected_record(vec))
    (streamed,) = c.reader(io.BytesIO(data))
    assert_same(streamed, record)
    # and back: the canonical encoding decodes to the same record
    assert_same(c.decode(c.encode(record)), record)


@pytest.mark.parametrize("vec", _params(fits=False))
def test_value_no_type_holds_is_refused(vec: Vector) -> None:
    data = WRAP + vec.encoding
    for type_name in schema().messages:
        with pytest.raises(DecodeError) as info:
            codec(type_name).decode(data)
        assert "\n" not in str(info.value)
        with pytest.raises(DecodeError):
            list(codec(type_name).reader(io.BytesIO(data)))


def test_every_vector_under_every_type_is_a_record_or_a_clean_error() -> None:
    """Bare and wrapped, through decode and the reader: nothing but FmtbenchError."""
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    report: list[str] = []
    outcomes = {"record": 0, "error": 0}
    for vec in VECTORS:
        for data in (vec.encoding, WRAP + vec.encoding):
            for type_name in schema().messages:
                c = codec(type_name)
                for mode in ("decode", "reader"):
                    try:
                        if mode == "decode":
                            records = [c.decode(data)]
                        else:
                            records = list(c.reader(io.BytesIO(data)))
                    except FmtbenchError as exc:
                        outcomes["error"] += 1
                        if "\n" in str(exc):
                            report.append(f"{vec.id} {type_name} {mode}: {str(exc)!r}")
                        continue
                    except Exception as exc:
                        report.append(f"{vec.id} {type_name} {mode}: {type(exc).__name__}: {exc}")
                        continue
                    outcomes["record"] += 1
                    for record in records:
                        try:
                            again = c.decode(c.encode(record))
                        except FmtbenchError as exc:
                            report.append(
                                f"{vec.id} {type_name}: {record!r} does not re-encode: {exc}"
                            )
                            continue
                        if not same(again, record):
                            report.append(f"{vec.id} {type_name}: {record!r} came back {again!r}")
    assert outcomes["record"] > 100
    assert not report, "\n".join(report[:40])


def test_a_stream_of_every_fitting_integer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """All integer vectors as one file: the reader and ``fmtbench convert`` see each."""
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)
    ints = [v for v in VECTORS if v.type_name == "Int"]
    data = b"".join(WRAP + v.encoding for v in ints)
    got = list(codec("Int").reader(io.BytesIO(data)))
    assert [r["v"] for r in got] == [v.expected for v in ints]
    src, dst = tmp_path / "ints.msgpack", tmp_path / "ints.jsonl"
    src.write_bytes(data)
    status = main(["convert", str(src), str(dst), "-s", str(SCHEMA_FILE), "-t", "Int", "-j", "1"])
    _, err = capsys.readouterr()
    assert status == 0, err
    lines = dst.read_text().splitlines()
    assert [json.loads(line)["v"] for line in lines] == [v.expected for v in ints]


def _refused_by_kind() -> list[Any]:
    if UNAVAILABLE:
        return [pytest.param(None, marks=pytest.mark.skip(reason=UNAVAILABLE), id="unavailable")]
    first: dict[str, Vector] = {}
    for v in VECTORS:
        if v.type_name is NO_FIT:
            first.setdefault(v.kind, v)
    return [pytest.param(v, id=v.id) for v in first.values()]


@pytest.mark.parametrize("vec", _refused_by_kind())
def test_cli_refuses_a_value_no_type_holds(
    vec: Vector, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = tmp_path / "in.msgpack", tmp_path / "out.json"
    src.write_bytes(WRAP + vec.encoding)
    type_name = {"timestamp": "Time", "ext": "Bin", "array": "IntList", "map": "IntMap"}
    args = ["convert", str(src), str(dst), "-s", str(SCHEMA_FILE), "-t", type_name[vec.kind]]
    status = main([*args, "-j", "1"])
    _, err = capsys.readouterr()
    assert status == 1, err
    assert err.startswith("fmtbench: error: ")
    assert err.count("\n") == 1, err
    assert not dst.exists()
