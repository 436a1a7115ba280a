"""The XML fast paths against the reference ones: same records, same bytes, same errors.

``XmlFastDecoder`` (a scanner over the text) and ``XmlFastSource`` (generated writers) only
ever accept; whatever they decline goes through the reference path. So the properties are:
whenever the fast decoder returns a record, the reference decoder returns the same record
(same values, same key order) for the same bytes, on valid and on mutated documents; and the
codec as a whole behaves exactly like the reference (value or error text, path, position).
"""

from __future__ import annotations

import math
import random
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from fmtbench.codecs.xml.codec import XmlCodec
from fmtbench.codecs.xml.fast_read import XmlFastDecoder
from fmtbench.codecs.xml.write import DECLARATION
from fmtbench.errors import FmtbenchError
from fmtbench.schema.model import Field, Message, Scalar, Schema
from fmtbench.schema.values import zero_message
from tests.strategies import SCHEMAS, records, schema_named

FAST_SCHEMAS = [*SCHEMAS, "limits", "flat"]


@cache
def codec(schema: str, drop_unknown: bool = False) -> XmlCodec:
    return XmlCodec(schema_named(schema), drop_unknown=drop_unknown)


@cache
def reference(schema: str, drop_unknown: bool = False) -> XmlCodec:
    """A codec whose fast paths always decline: the reference behaviour."""
    ref = XmlCodec(schema_named(schema), drop_unknown=drop_unknown)
    ref._fast = lambda data: None

    def decline(*args: Any) -> str:
        raise RuntimeError("declined")

    ref._fast_element = decline
    return ref


@cache
def scanner(schema: str) -> XmlFastDecoder:
    """The fast decoder without its patterns: every document through the scanner."""
    s = schema_named(schema)
    return XmlFastDecoder(s, s.message().name, patterns=False)


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types, dict keys in the same order, NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def outcome(fn: Any, arg: Any) -> tuple[str, Any]:
    """What a call gives: ("ok", value) or ("error", the error's full text)."""
    try:
        return "ok", fn(arg)
    except FmtbenchError as exc:
        return "error", f"{type(exc).__name__}: {exc}"


def same_outcome(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    return a[0] == b[0] and (same(a[1], b[1]) if a[0] == "ok" else a[1] == b[1])


def check_document(schema: str, data: bytes, *, must_accept: bool = False) -> None:
    """Both fast decoders agree with the reference on ``data``, and so does the codec."""
    expected = outcome(reference(schema).decode, data)
    for fast in (codec(schema)._fast, scanner(schema).decode):
        got = fast(data)
        if got is None:
            assert not must_accept, data
            continue
        assert expected[0] == "ok", (data, expected)
        assert same(got, expected[1]), (data, got, expected[1])
    assert same_outcome(outcome(codec(schema).decode, data), expected)
    dropping = outcome(reference(schema, True).decode, data)
    assert same_outcome(outcome(codec(schema, True).decode, data), dropping)


# -- valid documents -----------------------------------------------------------------------
@pytest.mark.parametrize("schema", FAST_SCHEMAS)
@given(data=st.data())
def test_fast_decode_takes_what_the_encoder_writes(schema: str, data: st.DataObject) -> None:
    record = data.draw(records(schema_named(schema), xml_safe=True), label="record")
    encoded = codec(schema).encode(record)
    check_document(schema, encoded, must_accept=True)
    # Indented: '<' is always escaped in text and attributes, so '><' is between tags.
    check_document(schema, encoded.replace(b"><", b">\n  <"), must_accept=True)
    check_document(schema, encoded.replace(b"><", b">\t<"), must_accept=True)


# -- mutated documents ---------------------------------------------------------------------
# Pieces that reach the scanner's corners: markup, references it takes and ones it leaves
# to the parser, characters XML cannot carry or that parsers normalise, bad UTF-8, numbers.
PIECES = [
    b"<", b">", b"/", b"&", b'"', b"'", b"=", b" ", b"\n", b"\t", b"\r", b"\r\n", b"\x00",
    b"\x0b", b"]]>", b"]", b"&amp;", b"&lt;", b"&gt;", b"&quot;", b"&apos;", b"&#13;",
    b"&#9;", b"&#10;", b"&#233;", b"&#x26;", b"&bogus;", b"<!-- c -->", b"<![CDATA[x]]>",
    b"<?pi x?>", b"<!DOCTYPE a>", b'xmlns="urn:x"', b' key="1"', b' key="a"', b"\xc3",
    b"\xc3\xa9", b"\xef\xbf\xbe", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\xc2\xa0", b"0", b"1",
    b"-", b"+", b"9" * 25, b"1e999", b"NaN", b"INF", b"true", b"x", b"\xe2\x80\xa8",
    b"2024-02-30T00:00:00Z", b"2024-01-01T00:00:00+01:00", b"AAAA", b"A===",
    b"1e99", b"1e100", b"1E5", b"1e+05", b"3.5e38", b"-0", b".5", b"5.", b"1" * 21, b"AB==",
]  # fmt: skip


def mutate(data: bytes, rnd: random.Random, tags: list[bytes]) -> bytes:
    pieces = PIECES + tags
    for _ in range(rnd.randint(1, 3)):
        i = rnd.randrange(len(data) + 1)
        j = min(len(data), i + rnd.choice((0, 0, 1, 2, 5, 20)))
        how = rnd.randrange(4)
        if how == 0:  # replace a span with a piece
            data = data[:i] + rnd.choice(pieces) + data[j:]
        elif how == 1:  # delete a span
            data = data[:i] + data[j:]
        elif how == 2:  # duplicate a span
            data = data[:j] + data[i:j] + data[j:]
        else:  # move an element's worth of text elsewhere
            k = rnd.randrange(len(data) + 1)
            chunk, rest = data[i:j], data[:i] + data[j:]
            k = min(k, len(rest))
            data = rest[:k] + chunk + rest[k:]
    return data


@cache
def tag_pieces(schema: str) -> list[bytes]:
    s = schema_named(schema)
    names = [m.name for m in s.messages.values()]
    names += [f.name for m in s.messages.values() for f in m.fields]
    out = []
    for n in names:
        out += [f"<{n}>".encode(), f"</{n}>".encode(), f" {n}=".encode()]
    return out


@pytest.mark.parametrize("schema", FAST_SCHEMAS)
@settings(max_examples=300, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_fast_decode_agrees_on_mutated_documents(
    schema: str, data: st.DataObject, seed: int
) -> None:
    record = data.draw(records(schema_named(schema), xml_safe=True), label="record")
    encoded = codec(schema).encode(record)
    if seed % 2:
        encoded = encoded.replace(b"><", b">\n<")
    mutated = mutate(encoded, random.Random(seed), tag_pieces(schema))
    check_document(schema, mutated)


# -- documents the scanner leaves to the parser ----------------------------------------------
SENSOR_DOC = b'<?xml version="1.0" encoding="UTF-8"?>\n<Reading xmlns='


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.replace(b"<?xml", b"<!-- hi --><?xml"),
        lambda d: d.replace(b"\n<", b"\n<!-- hi -->\n<", 1),
        lambda d: d.replace(b'"UTF-8"', b'"utf-8"'),
        lambda d: d.replace(b'"UTF-8"', b"'UTF-8'"),
        lambda d: b"\xef\xbb\xbf" + d,
        lambda d: d.replace(b"\n", b"\r\n"),
        lambda d: d.replace(b"\n<", b"\n<!DOCTYPE Reading>\n<", 1),
        lambda d: d + b"<!-- trailing -->",
        lambda d: d + b"junk",
        lambda d: d.replace(b"></", b"><![CDATA[]]></", 1),
    ],
)
def test_unusual_documents_take_the_reference_path(edit: Any) -> None:
    schema = "sensor"
    doc = codec(schema).encode(zero_message(schema_named(schema), "Reading"))
    assert doc.startswith(SENSOR_DOC)
    assert codec(schema)._fast(doc) is not None
    edited = edit(doc)
    assert codec(schema)._fast(edited) is None
    check_document(schema, edited)


def test_deep_documents_take_the_reference_path() -> None:
    schema = "tree"
    s = schema_named(schema)
    node = zero_message(s, "Node")
    for _ in range(150):
        node = {**zero_message(s, "Node"), "children": [node]}
    record = {**zero_message(s, "Forest"), "trunk": node}
    c = codec(schema)
    # Written by the reference writer: the codec's own encode may refuse such depth.
    text = DECLARATION + c._encoder.element("Forest", record, c._single_start) + "\n"
    data = text.encode()
    assert c._fast(data) is None  # deeper than the scanner goes
    assert same_outcome(outcome(c.decode, data), outcome(reference(schema).decode, data))


def test_references_are_decoded() -> None:
    schema = "limits"
    record: dict[str, Any] = {"element": "a&b<c>\r\t\n\"'", "attribute": 'x&"\t\n\r<'}
    record["listed"] = ["&"]
    record["keyed"] = {'k&"': "v<"}
    data = codec(schema).encode(record)
    check_document(schema, data, must_accept=True)
    assert same(codec(schema)._fast(data), reference_walk(schema, data))


def reference_walk(schema: str, data: bytes) -> Any:
    """The reference walk over lxml's tree, without the codec around it."""
    root = etree.fromstring(data)
    return reference(schema)._decoder.record(schema_named(schema).message().name, root)


# -- the writer ------------------------------------------------------------------------------
def mutate_record(value: Any, rnd: random.Random) -> Any:
    """A copy with one thing changed the writer must check (type, key, character)."""
    if isinstance(value, dict) and value and rnd.random() < 0.7:
        key = rnd.choice(list(value))
        return {**value, key: mutate_record(value[key], rnd)}
    if isinstance(value, list) and value and rnd.random() < 0.7:
        i = rnd.randrange(len(value))
        return [*value[:i], mutate_record(value[i], rnd), *value[i + 1 :]]
    choices: list[Any] = [
        None, "x\x00", "\ud800", "a&<>\"\r", 1.5, float("nan"), True, 2**70, -1, b"b",
        bytearray(b"b"), (), [], {}, "NOT_AN_ENUM", 3,
    ]  # fmt: skip
    if isinstance(value, dict):
        choices += [{**value, "unknown_field": 1}, dict(list(value.items())[1:])]
    if isinstance(value, list):
        choices.append(tuple(value))
    return rnd.choice(choices)


@pytest.mark.parametrize("schema", FAST_SCHEMAS)
@settings(max_examples=200, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_fast_encode_writes_the_same_bytes_and_errors(
    schema: str, data: st.DataObject, seed: int
) -> None:
    record = data.draw(records(schema_named(schema)), label="record")
    rnd = random.Random(seed)
    for value in (record, mutate_record(record, rnd), mutate_record(record, rnd)):
        for drop in (False, True):
            got = outcome(codec(schema, drop).encode, value)
            expected = outcome(reference(schema, drop).encode, value)
            assert got == expected, (value, got, expected)


CHARS = [
    "\x7f", "\x85", "\ufdd0", "\U0001fffe", "\u2028", "\ufeff", "\U0010ffff", "\xa0", "\t",
    "\n", "\r", "\x00", "\x1f", "\ufffe", "\uffff", ">", "]]>", "&", "&amp;", "&#233;", "'",
]  # fmt: skip


@pytest.mark.parametrize("char", CHARS)
def test_characters_agree(char: str) -> None:
    """Characters XML allows, normalises or refuses, in text, in a list and in a map key."""
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Texts xmlns="urn:fmtbench:test.limits" '
        f'attribute="{char}"><element>a{char}b</element><listed>{char}</listed>'
        f'<keyed key="{char}">{char}</keyed></Texts>\n'
    )
    check_document("limits", doc.encode())


def test_names_that_need_escaping_are_never_fast() -> None:
    """A schema built without the loader may hold any name: the fast paths stay out."""
    odd = Schema("t.odd", "M", {}, {"M": Message("M", (Field("a{b}'\"", Scalar("string"), 1),))})
    c = XmlCodec(odd)
    record = {"a{b}'\"": "x"}
    assert c.encode(record) == reference_codec(odd).encode(record)
    assert c._fast(c.encode(record)) is None


def reference_codec(schema: Schema) -> XmlCodec:
    ref = XmlCodec(schema)
    ref._fast = lambda data: None
    return ref
