"""Property tests: generated canonical records survive every codec and every conversion.

Records come from ``tests.strategies.records``, which walks the schema, so the shipped
schemas and the inline ones beside it that stress the model's corners (only optionals, deep
recursion, non-string map keys, empty messages) all get the same properties. Tests are
parametrized by format name so a failure says which format broke.
"""

from __future__ import annotations

import io
from functools import cache
from itertools import permutations
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs import FORMATS, Codec, codec_for
from fmtbench.codecs.values.canonical import validate
from fmtbench.errors import EncodeError
from tests.samples import assert_same
from tests.strategies import SCHEMAS, XML_ILLEGAL, records, schema_named, strings

FORMAT_NAMES = list(FORMATS)
# The plain ``protobuf`` format is one message: a file of it holds exactly one record.
SINGLE_ONLY = {"protobuf"}


@cache
def codec(fmt: str, schema: str) -> Codec:
    return codec_for(fmt, schema_named(schema))


def xml_involved(*formats: str) -> bool:
    return "xml" in formats


def write(fmt: str, schema: str, recs: list[dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    w = codec(fmt, schema).writer(buf)
    for r in recs:
        w.write(r)
    w.close()
    return buf.getvalue()


def read(fmt: str, schema: str, data: bytes) -> list[dict[str, Any]]:
    return list(codec(fmt, schema).reader(io.BytesIO(data)))


# -- (a) one record through one codec ----------------------------------------------------
@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@given(data=st.data())
def test_codec_round_trip_is_lossless_and_deterministic(
    fmt: str, schema: str, data: st.DataObject
) -> None:
    record = data.draw(records(schema_named(schema), xml_safe=xml_involved(fmt)), label="record")
    c = codec(fmt, schema)
    encoded = c.encode(record)
    back = c.decode(encoded)
    assert_same(back, record)
    assert c.encode(back) == encoded


# -- (b) a file converted A -> B -> A through the stream API -----------------------------
# The schema is drawn rather than parametrized: 30 ordered pairs times 5 schemas would cost
# minutes, and what a pair adds over (a) is the framing of files, which no schema changes.
@pytest.mark.parametrize(("fmt_a", "fmt_b"), list(permutations(FORMAT_NAMES, 2)))
@given(data=st.data())
def test_stream_conversion_there_and_back(fmt_a: str, fmt_b: str, data: st.DataObject) -> None:
    schema = data.draw(st.sampled_from(SCHEMAS), label="schema")
    one = records(schema_named(schema), xml_safe=xml_involved(fmt_a, fmt_b))
    if SINGLE_ONLY & {fmt_a, fmt_b}:
        recs = [data.draw(one, label="record")]
    else:
        # An empty stream is refused by the formats with no end marker (EMPTY_STREAM).
        empty_ok = not {fmt_a, fmt_b} & {"protobuf-delimited", "msgpack", "avro-single", "cbor"}
        recs = data.draw(st.lists(one, min_size=0 if empty_ok else 1, max_size=3), label="records")
    in_a = read(fmt_a, schema, write(fmt_a, schema, recs))
    assert_same(in_a, recs)
    in_b = read(fmt_b, schema, write(fmt_b, schema, in_a))
    assert_same(in_b, recs)
    again = read(fmt_a, schema, write(fmt_a, schema, in_b))
    assert_same(again, recs)


@pytest.mark.parametrize("fmt", [f for f in FORMAT_NAMES if FORMATS[f].single_form])
@given(data=st.data())
def test_single_record_form_round_trips(fmt: str, data: st.DataObject) -> None:
    schema = data.draw(st.sampled_from(SCHEMAS), label="schema")
    record = data.draw(records(schema_named(schema), xml_safe=xml_involved(fmt)), label="record")
    buf = io.BytesIO()
    w = codec(fmt, schema).writer(buf, single=True)
    w.write(record)
    w.close()
    reader = codec(fmt, schema).reader(io.BytesIO(buf.getvalue()))
    assert_same(list(reader), [record])
    assert reader.single


# -- (c) the generator itself makes canonical records ------------------------------------
@pytest.mark.parametrize("schema", SCHEMAS)
@given(data=st.data())
def test_generated_records_are_canonical(schema: str, data: st.DataObject) -> None:
    record = data.draw(records(schema_named(schema)), label="record")
    assert_same(validate(schema_named(schema), record), record)


# -- XML's documented limit: characters XML 1.0 cannot carry -----------------------------
PLACES = ["element", "attribute", "listed", "map key", "map value"]


def xml_unsafe_strings() -> st.SearchStrategy[str]:
    """Strings holding at least one character outside XML 1.0's ``Char``."""
    return st.builds(
        lambda head, bad, tail: head + bad + tail,
        strings(xml_safe=True, max_size=5),
        st.sampled_from(XML_ILLEGAL),
        strings(max_size=5),
    )


def record_with(place: str, text: str) -> dict[str, Any]:
    record: dict[str, Any] = {"element": "", "attribute": "", "listed": [], "keyed": {}}
    if place in ("element", "attribute"):
        record[place] = text
    elif place == "listed":
        record["listed"] = ["ok", text]
    elif place == "map key":
        record["keyed"] = {text: "v"}
    else:
        record["keyed"] = {"k": text}
    return record


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@given(text=xml_unsafe_strings())
def test_xml_unsafe_strings_fail_only_in_xml(fmt: str, place: str, text: str) -> None:
    record = record_with(place, text)
    c = codec(fmt, "limits")
    if fmt == "xml" or (fmt == "bson" and place == "map key" and "\0" in text):
        with pytest.raises(EncodeError):  # a BSON key is a cstring: no U+0000
            c.encode(record)
    else:
        assert_same(c.decode(c.encode(record)), record)
