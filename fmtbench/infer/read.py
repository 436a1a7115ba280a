"""Read a sample for ``schema infer``: its records as plain trees, as the codecs see them.

The parsers and options are the codecs' own (orjson; msgpack with ``raw=False``,
``strict_map_key=False``, ``timestamp=0``), so that what inference observes is what the
inferred schema will later be asked to read, and malformed input fails the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import msgpack
import orjson

from fmtbench.errors import DecodeError


def read_records(data: bytes, fmt: str, *, exact_ints: bool = False) -> Iterator[Any]:
    """The records of a sample, as the codec of ``fmt`` would see them before conversion.

    ``exact_ints`` re-reads JSON with the standard library, which keeps integers beyond 64
    bits exact where orjson turns them into floats; only then can we refuse them.
    """
    if fmt == "json":
        tree = _json_loads(data, None, exact_ints)
        if isinstance(tree, dict):
            yield tree
        elif isinstance(tree, list):
            yield from tree
        else:
            raise DecodeError(
                f"a JSON sample holds an object or an array of objects, not {describe(tree)}"
            )
    elif fmt == "jsonl":
        # Split on LF only, as the codec's readline does, so line numbers agree.
        for number, line in enumerate(data.split(b"\n"), 1):
            if line.strip():  # blank lines carry no record, as in the codec
                yield _json_loads(line, f"line {number}", exact_ints)
    elif fmt == "msgpack":
        yield from _msgpack_records(data)
    else:
        raise AssertionError(fmt)


def _json_loads(data: bytes, position: str | None, exact_ints: bool) -> Any:
    try:
        tree = orjson.loads(data)  # first, so malformed input fails as it would in the codec
    except orjson.JSONDecodeError as exc:
        problem = exc.msg.split(": line ")[0]
        where = f"{position} column {exc.colno}" if position else f"line {exc.lineno}"
        raise DecodeError(f"malformed JSON: {problem}", position=where) from None
    return json.loads(data) if exact_ints else tree


def _msgpack_records(data: bytes) -> Iterator[Any]:
    # The codec's options: str must be UTF-8, maps may have integer keys, and timestamps
    # stay Timestamp objects so that sub-microsecond precision is seen, not cut.
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, timestamp=0, use_list=True)
    unpacker.feed(data)
    while True:
        start = unpacker.tell()
        try:
            yield unpacker.unpack()
        except msgpack.OutOfData:
            if start != len(data):
                raise DecodeError(
                    f"truncated: the sample ends {len(data) - start} bytes into a record",
                    position=f"byte offset {start}",
                ) from None
            return
        except (ValueError, TypeError, msgpack.UnpackException) as exc:
            raise DecodeError(
                f"malformed MessagePack: {exc}", position=f"byte offset {start}"
            ) from None


def describe(v: Any) -> str:
    """A JSON-ish name for the type of a value, for "record 3 is a string, not an object"."""
    return {
        bool: "a bool",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        type(None): "null",
    }.get(type(v), type(v).__name__)
