"""The XML scanner's compact pattern at an element's end and on integers (fast_read.py).

An element whose last field is a list, a map or an optional message of messages may end in
the compact run before that field (``ends``): the field is then at its zero value. Integers
are matched as ASCII digits by the pattern; every other spelling goes through the scanner.
Here documents of a schema with each kind of such a last field (and a message with no other
field) are held to the reference, written, indented and mutated.
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtbench.codecs.xml.codec import XmlCodec
from fmtbench.codecs.xml.fast_read import XmlFastDecoder, _Source
from fmtbench.schema import parse_schema
from tests.strategies import records
from tests.test_xml_fast import mutate, outcome, same, same_outcome

ENDS = parse_schema(
    """
schema: t.ends
root: Doc
messages:
  Doc:
    fields:
      id: uint64 = 1
      neg: int32 = 2
      tags: map<string, string> = 4
      codes: map<int32, string> = 5
      items: list<Item> = 3
  Item:
    fields:
      label: {type: string, tag: 1, xml: attribute}
      n: int64 = 2
      small: uint32 = 3
      by: map<string, Node> = 4
  Node:
    fields:
      wraps: list<Wrap> = 1
      count: uint64 = 2
      next: optional Node = 3
  Wrap:
    fields:
      again: list<Wrap> = 1
"""
)


@cache
def codec() -> XmlCodec:
    return XmlCodec(ENDS)


@cache
def reference() -> XmlCodec:
    ref = XmlCodec(ENDS)
    ref._fast = lambda data: None
    return ref


@cache
def scanner() -> XmlFastDecoder:
    return XmlFastDecoder(ENDS, "Doc", patterns=False)


def check(data: bytes, *, must_accept: bool = False) -> None:
    expected = outcome(reference().decode, data)
    for fast in (codec()._fast, scanner().decode):
        got = fast(data)
        if got is None:
            assert not must_accept, data
            continue
        assert expected[0] == "ok", (data, expected)
        assert same(got, expected[1]), (data, got, expected[1])
    assert same_outcome(outcome(codec().decode, data), expected)


def test_the_pattern_takes_the_end_tag_of_each_kind() -> None:
    # Every message of the schema ends in a field that may be empty: each gets ``ge``.
    src = _Source(ENDS)
    src.compile("Doc")
    assert len(src.source) == 6  # Node and Wrap under two tags each, Node as a map entry
    assert all("ge = None" in f for f in src.source)


@given(record=records(ENDS, xml_safe=True))
@settings(max_examples=150, deadline=None)
def test_documents_written_and_indented_read_as_the_reference(record: dict[str, Any]) -> None:
    data = codec().encode(record)
    check(data, must_accept=True)
    check(data.replace(b"><", b">\n  <"), must_accept=True)


TAGS = [
    f"{a}{n}{b}".encode()
    for n in ("Doc", "items", "by", "next", "wraps", "again", "n", "small", "count", "id")
    for a, b in (("<", ">"), ("</", ">"), ("<", " "))
]


@given(record=records(ENDS, xml_safe=True), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=300, deadline=None)
def test_mutated_documents_read_as_the_reference(record: dict[str, Any], seed: int) -> None:
    data = codec().encode(record)
    check(mutate(data, random.Random(seed), TAGS))


@pytest.mark.parametrize(
    "text",
    ["0", "-0", "007", "+5", " 5", "5 ", "-1", "1" * 20, "1" * 21, "٣", "18446744073709551615",
     "18446744073709551616", "-2147483648", "-2147483649", "2147483648", "4294967296"],
)  # fmt: skip
@pytest.mark.parametrize("field", ["id", "neg"])
def test_integer_spellings_read_as_the_reference(text: str, field: str) -> None:
    record = {"id": 1, "neg": -1, "tags": {}, "codes": {}}
    record["items"] = [{"label": "x", "n": 2, "small": 3, "by": {}}]
    data = codec().encode(record)
    tag = f"<{field}>{record[field]}</{field}>"
    assert tag.encode() in data
    check(data.replace(tag.encode(), f"<{field}>{text}</{field}>".encode()))


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("dup", [None, (0, 1), (1, 2), (0, 2), (2, 3), (0, 4)])
@pytest.mark.parametrize("field", ["tags", "codes"])
def test_map_entries_in_groups_and_after_read_as_the_reference(
    count: int, dup: tuple[int, int] | None, field: str
) -> None:
    """The first entries are groups of the pattern's match, the rest found again: keys
    repeated across the two (``01`` is ``1`` as an int32 key) decline, the order stays."""
    if dup is not None and dup[1] >= count:
        return
    keys = [str(i + 1) for i in range(count)]
    if dup is not None:
        keys[dup[1]] = keys[dup[0]] if field == "tags" else "0" + keys[dup[0]]
    entries = "".join(f'<{field} key="{k}">v{i}</{field}>' for i, k in enumerate(keys))
    record = {"id": 1, "neg": -1, "tags": {}, "codes": {}, "items": []}
    data = codec().encode(record)
    data = data.replace(b"</neg>", b"</neg>" + entries.encode(), 1)
    if field == "codes":  # after the tags
        assert b"<tags" not in data
    check(data, must_accept=dup is None)
    check(data.replace(b"v1<", b"v&amp;1<"), must_accept=dup is None)
