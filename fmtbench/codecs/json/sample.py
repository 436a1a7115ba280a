"""Read JSON and JSON Lines samples without a schema (``schema infer``).

The parser is the codec's (orjson), so that what inference observes is what the inferred
schema will later be asked to read, and malformed input fails the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson

from fmtbench.codecs.format import SampleReader
from fmtbench.codecs.values.leaves import kind_of
from fmtbench.errors import DecodeError


def read_json(data: bytes, exact_ints: bool) -> Iterator[Any]:
    """An object, or the objects of an array.

    ``exact_ints`` re-reads the text with the standard library, which keeps integers beyond
    64 bits exact where orjson turns them into floats; only then can they be refused.
    """
    tree = _loads(data, None, exact_ints)
    if isinstance(tree, dict):
        yield tree
    elif isinstance(tree, list):
        yield from tree
    else:
        raise DecodeError(
            f"a JSON sample holds an object or an array of objects, not {kind_of(tree)}"
        )


def read_json_lines(data: bytes, exact_ints: bool) -> Iterator[Any]:
    # Split on LF only, as the codec's readline does, so line numbers agree.
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.strip(b" \t\r"):  # blank lines (JSON whitespace) carry no record, as in the codec
            yield _loads(line, f"line {number}", exact_ints)


def _loads(data: bytes, position: str | None, exact_ints: bool) -> Any:
    try:
        tree = orjson.loads(data)  # first, so malformed input fails as it would in the codec
    except orjson.JSONDecodeError as exc:
        problem = exc.msg.split(": line ")[0]
        where = f"{position} column {exc.colno}" if position else f"line {exc.lineno}"
        raise DecodeError(f"malformed JSON: {problem}", position=where) from None
    return json.loads(data) if exact_ints else tree


# JSON has no timestamps or NaN of its own: they arrive as strings.
JSON = SampleReader(read_json, text_leaves=True)
JSON_LINES = SampleReader(read_json_lines, text_leaves=True)
