"""Coverage-guided fuzzing of one fmtbench decoder with atheris (libFuzzer for Python).

    python fuzz/fuzz_decoders.py FORMAT [CORPUS_DIR] [libFuzzer options]

FORMAT is one of json, jsonl, protobuf, protobuf-delimited, xml, msgpack. The first byte
of each input picks a built-in schema; the rest is the file. Each input is read the way
``fmtbench convert`` reads it (the codec's ``reader`` over a stream) and the way a message
consumer does (``decode``); the only acceptable outcomes are a one-line ``FmtbenchError``
or records that are canonical and come back equal through ``encode`` then ``decode``.
Anything else is raised, and atheris reports it as a crash with the input saved.

An empty corpus directory is seeded with valid files of every built-in schema (records
from fmtbench's own generator). See fuzz/README.md.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["fmtbench"]):
    from fmtbench.codecs import FORMATS, Codec, codec_for
    from fmtbench.codecs.values.canonical import validate
    from fmtbench.errors import FmtbenchError
    from fmtbench.generate import RecordGenerator
    from fmtbench.schema.builtin import builtin_names, resolve_schema

SCHEMAS = builtin_names()
SINGLE_ONLY = {"protobuf"}
_CODECS: dict[tuple[str, str], Codec] = {}


def codec(fmt: str, schema: str) -> Codec:
    key = (fmt, schema)
    if key not in _CODECS:
        _CODECS[key] = codec_for(fmt, resolve_schema(schema))
    return _CODECS[key]


def same(a: Any, b: Any) -> bool:
    """Canonical equality: types must match, NaN equals NaN, -0.0 differs from 0.0."""
    import math
    from datetime import datetime

    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return bool(a == b and a.utcoffset() == b.utcoffset())
    return bool(a == b)


def one_line(fmt: str, message: str) -> bool:
    return "\n" not in message and "\r" not in message


def check(fmt: str, schema: str, data: bytes) -> None:
    c = codec(fmt, schema)
    for mode in ("reader", "decode"):
        try:
            got = list(c.reader(io.BytesIO(data))) if mode == "reader" else [c.decode(data)]
        except FmtbenchError as exc:
            if not one_line(fmt, str(exc)):
                raise AssertionError(f"{mode}: error not on one line: {str(exc)!r}") from exc
            continue
        for record in got:
            if not same(validate(c.schema, record, c.message.name), record):
                raise AssertionError(f"{mode}: not canonical: {record!r}")
            again = c.decode(c.encode(record))
            if not same(again, record):
                raise AssertionError(f"{mode}: {record!r} came back as {again!r}")


def seed(fmt: str, corpus: Path) -> int:
    """Valid files of every built-in schema, each prefixed with its schema's selector byte."""
    written = 0
    for index, schema in enumerate(SCHEMAS):
        c = codec(fmt, schema)
        for n, count in enumerate((1, 3)):
            if fmt in SINGLE_ONLY and count > 1:
                continue
            gen = RecordGenerator(c.schema, seed=n, max_depth=2)
            buf = io.BytesIO()
            w = c.writer(buf, single=count == 1 and FORMATS[fmt].single_form)
            for record in gen.records(count):
                w.write(record)
            w.close()
            (corpus / f"seed-{schema}-{count}").write_bytes(bytes([index]) + buf.getvalue())
            written += 1
    return written


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in FORMATS:
        sys.exit(
            f"usage: {sys.argv[0]} FORMAT [CORPUS_DIR] [libFuzzer options]\n"
            f"FORMAT: one of {', '.join(FORMATS)}"
        )
    fmt = sys.argv.pop(1)
    for arg in sys.argv[1:]:
        if not arg.startswith("-"):
            corpus = Path(arg)
            if corpus.is_file():
                break  # replaying saved inputs: nothing to seed
            corpus.mkdir(parents=True, exist_ok=True)
            if not any(corpus.iterdir()):
                print(f"seeded {corpus} with {seed(fmt, corpus)} valid files", file=sys.stderr)
            break

    def test_one_input(data: bytes) -> None:
        if not data:
            return
        check(fmt, SCHEMAS[data[0] % len(SCHEMAS)], data[1:])

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
