"""The XML scanner counts nesting as ``--max-depth`` does, so what it reads skips the walk.

Where records may nest past ``--max-depth`` (a recursive schema), ``XmlCodec`` walks only
the records the scanner declines (fast_read.py, fast_stream.py): the scanner must decline
every record the check refuses, at any limit, and should take the records at the limit.
These tests hold ``decode`` and ``reader`` to the reference behind base.py's check (what
they did before the scanner counted), error text, path and record number included.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fmtbench.codecs.base import _checked_decode, _DepthCheckedReader
from fmtbench.codecs.xml.codec import XmlCodec
from fmtbench.codecs.xml.fast_read import _Fallback
from fmtbench.errors import FmtbenchError, SchemaError
from fmtbench.limits import DepthCheck, Limits, depth_check
from fmtbench.schema import parse_schema
from fmtbench.schema.model import Schema
from tests.strategies import records, schema_named
from tests.test_xml_fast import same

# Every way a level is counted: a list item, a map entry and its message (two), an optional
# message, a map of leaves, a timestamp (optional, listed, in a map: two), a duration in an
# attribute.
_LEVELS = """
schema: t.levels
root: Node
messages:
  Node:
    fields:
      name: string = 1
      kids: list<Node> = 2
      named: map<string, Node> = 3
      tags: map<string, string> = 4
      next: optional Node = 5
      at: optional timestamp = 6
      times: list<timestamp> = 7
      stamps: map<string, timestamp> = 8
      took: {type: optional duration, tag: 9, xml: attribute}
"""
LEVELS = parse_schema(_LEVELS)
# The same with ``pair``, a required flat message (the scanner's compact pattern takes it
# whole) holding a required timestamp: every node nests two levels more, whatever its values.
FORCED = parse_schema(
    _LEVELS
    + "      pair: Pair = 10\n  Pair:\n    fields:\n      left: string = 1\n"
    + "      when: timestamp = 2\n"
)
SCHEMAS = {"levels": LEVELS, "forced": FORCED}
LAX = Limits(max_depth=100_000)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TAILS: dict[str, dict[str, Any]] = {
    "": {},
    "tags": {"tags": {"k": "v"}},
    "at": {"at": EPOCH},
    "times": {"times": [EPOCH, EPOCH]},
    "stamps": {"stamps": {"k": EPOCH}},
    "took": {"took": timedelta(seconds=1)},
}


def node(schema: Schema, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"name": "n", "kids": [], "named": {}, "tags": {}}
    record |= {"times": [], "stamps": {}}
    if "Pair" in schema.messages:
        record["pair"] = {"left": "p", "when": EPOCH}
    return record | fields


def chain(schema: Schema, links: list[str], tail: str) -> dict[str, Any]:
    """Nodes linked through ``links`` (kids, named, next) from the record down; the last
    node holds ``tail``."""
    record = node(schema, **TAILS[tail])
    for link in reversed(links):
        child = {"kids": [record], "named": {"k": record}, "next": record}[link]
        record = node(schema, **{link: child})
    return record


def depth_of(schema: Schema, record: dict[str, Any]) -> int:
    """How deep ``record`` nests as --max-depth counts it: the least limit it passes."""
    low, high = 0, 1000
    while low < high:
        mid = (low + high) // 2
        try:
            check = depth_check(schema, "Node", mid)
            assert check is not None
            check(record)
        except FmtbenchError:  # SchemaError: every record nests deeper; LimitError
            low = mid + 1
        else:
            high = mid
    return low


def at_depth(schema: Schema, target: int, link: str, tail: str) -> dict[str, Any] | None:
    """A record nesting exactly ``target`` deep: links of one kind (a ``kids`` link first
    where ``named``'s two levels would pass it), or None when the tail alone passes it."""
    for n in range(target + 1):
        record = chain(schema, [link] * n, tail)
        depth = depth_of(schema, record)
        if depth == target:
            return record
        if depth == target + 1 and n:
            record = chain(schema, ["kids"] + [link] * (n - 1), tail)
            return record if depth_of(schema, record) == target else None
        if depth > target:
            return None
    return None


@cache
def codec(schema: str, max_depth: int) -> XmlCodec:
    return XmlCodec(SCHEMAS[schema], limits=Limits(max_depth=max_depth))


@cache
def lax(schema: str) -> XmlCodec:
    """Writes (and reads) records deeper than any limit tested: the input."""
    return XmlCodec(SCHEMAS.get(schema) or schema_named(schema), limits=LAX)


def check_of(schema: Schema, max_depth: int) -> DepthCheck:
    check = depth_check(schema, schema.message().name, max_depth)
    assert check is not None
    return check


def outcome(call: Any, data: Any) -> tuple[str, Any]:
    try:
        return "ok", call(data)
    except FmtbenchError as exc:
        return "error", f"{type(exc).__name__}: {exc}"


def read_all(reader: Any) -> tuple[str, Any, int, bool]:
    got: list[Any] = []
    try:
        for record in reader:
            got.append(record)
    except FmtbenchError as exc:
        return "error", f"{type(exc).__name__}: {exc}", len(got), reader.count
    return "ok", got, reader.count, reader.single


def agree(got: tuple[Any, ...], expected: tuple[Any, ...]) -> None:
    assert got[0] == expected[0], (got, expected)
    if got[0] == "ok":
        assert same(got[1], expected[1])
        assert got[2:] == expected[2:]
    else:
        assert got[1:] == expected[1:]


def check_decode(c: XmlCodec, ref: XmlCodec, data: bytes) -> tuple[str, Any]:
    """``c.decode`` against the reference decode behind base.py's check; the outcome."""
    m = c.limits.max_depth
    expected = outcome(_checked_decode(ref._decode_reference, check_of(c.schema, m), m), data)
    got = outcome(c.decode, data)
    agree(got, expected)
    return got


def check_reader(c: XmlCodec, ref: XmlCodec, data: bytes) -> tuple[Any, ...]:
    """``c.reader`` against the reference reader behind base.py's check; the outcome."""
    m = c.limits.max_depth
    check = check_of(c.schema, m)
    expected = read_all(_DepthCheckedReader(ref.reference_reader(io.BytesIO(data)), check, m))
    got = read_all(c.reader(io.BytesIO(data)))
    agree(got, expected)
    return got


@pytest.mark.parametrize("schema", sorted(SCHEMAS))
@pytest.mark.parametrize("link", ["kids", "named", "next"])
@pytest.mark.parametrize("tail", sorted(TAILS))
@pytest.mark.parametrize("max_depth", [3, 8, 100, 101, 150])
def test_the_limit_is_read_and_one_level_more_refused(
    schema: str, link: str, tail: str, max_depth: int
) -> None:
    s = SCHEMAS[schema]
    at = at_depth(s, max_depth, link, tail)
    over = at_depth(s, max_depth + 1, link, tail)
    assert at is not None
    assert over is not None
    c, ref = codec(schema, max_depth), lax(schema)
    # The walk is left to the reference paths: decode and reader are the class's own.
    assert "decode" not in c.__dict__
    assert "reader" not in c.__dict__
    data_at, data_over = ref.encode(at), ref.encode(over)
    assert check_decode(c, ref, data_at) == ("ok", at)
    assert check_decode(c, ref, data_over)[0] == "error"
    text_at, text_over = (c.element(r, single=False) for r in (at, over))
    wrapped = c._fast_decoder.wrapped()
    assert wrapped is not None
    if max_depth <= 100:  # the scanner takes the record at the limit, in both forms
        assert c._fast(data_at) is not None
        assert wrapped(text_at, 0, 0, "&" in text_at)[1] == len(text_at)
    assert c._fast(data_over) is None  # and declines one level more
    with pytest.raises(_Fallback):
        wrapped(text_over, 0, 0, "&" in text_over)
    small = node(s)
    assert check_reader(c, ref, ref.encode_many([small, at, small]))[0] == "ok"
    refused = check_reader(c, ref, ref.encode_many([small, at, over, small]))
    assert refused[0] == "error"
    assert refused[3] == 3  # the count: the record refused
    assert "(--max-depth)" in refused[1] or max_depth > 100


def test_the_error_names_the_record_and_path() -> None:
    c, ref = codec("levels", 8), lax("levels")
    over = at_depth(LEVELS, 9, "kids", "stamps")
    assert over is not None
    got = check_decode(c, ref, ref.encode(over))
    assert got[1] == (
        'LimitError: kids[0].kids[0].kids[0].kids[0].kids[0].kids[0].kids[0].stamps["k"]:'
        " nested 9 levels deep, over the limit of 8 (--max-depth)"
    )
    read = check_reader(c, ref, ref.encode_many([node(LEVELS), over]))
    assert read[1].startswith("LimitError: record 2: kids[0]."), read


@pytest.mark.parametrize("schema", ["levels", "forced", "tree", "time"])
@settings(max_examples=40, deadline=None)
@given(data=st.data(), max_depth=st.integers(1, 7))
def test_any_record_at_any_limit_reads_as_the_checked_reference(
    schema: str, data: st.DataObject, max_depth: int
) -> None:
    s = SCHEMAS.get(schema) or schema_named(schema)
    try:
        c = XmlCodec(s, limits=Limits(max_depth=max_depth))
    except SchemaError:  # every record of it nests deeper
        assume(False)
    ref = lax(schema)
    recs = data.draw(st.lists(records(s, max_depth=4, xml_safe=True), min_size=1, max_size=3))
    for record in recs:
        got = check_decode(c, ref, ref.encode(record))
        if got[0] == "ok" and max_depth <= 100:
            assert c._fast(ref.encode(record)) is not None  # within the limit: scanned
    check_reader(c, ref, ref.encode_many(recs))
