"""Duplicate keys in JSON input are refused at every level (keys.py), whichever path
reads the record, and the cheap count never lets one through nor refuses a valid record."""

from __future__ import annotations

import io
import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs.json.codec import JsonCodec, JsonLinesCodec
from fmtbench.codecs.json.keys import quotes
from fmtbench.errors import DecodeError
from fmtbench.generate import load_dataset
from fmtbench.schema.builtin import resolve_schema
from tests.strategies import SCHEMAS, records, schema_named


def objects(tree: Any, path: tuple[Any, ...] = ()) -> Any:
    if isinstance(tree, dict):
        yield path
        for k, v in tree.items():
            yield from objects(v, (*path, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from objects(v, (*path, i))


def with_duplicate(data: bytes, path: tuple[Any, ...], pretty: bool) -> bytes | None:
    """The JSON text with one key of the object at ``path`` written twice (other value)."""
    tree = orjson.loads(data)
    obj = tree
    for p in path:
        obj = obj[p]
    if not obj:
        return None
    key = next(iter(obj))
    marker = "\u0000dup\u0000"
    obj[marker] = obj[key]  # the same value: last-wins would read a valid record
    text = json.dumps(tree, indent=2 if pretty else None, ensure_ascii=False)
    return text.replace(json.dumps(marker), json.dumps(key)).encode()


@pytest.mark.parametrize("name", SCHEMAS)
def test_a_duplicate_key_anywhere_is_refused(name: str) -> None:
    schema = schema_named(name)
    codecs = [JsonCodec(schema), JsonLinesCodec(schema), JsonCodec(schema, drop_unknown=True)]

    @given(rec=records(schema), pick=st.integers(0, 10**6), pretty=st.booleans())
    def prop(rec: dict[str, Any], pick: int, pretty: bool) -> None:
        data = codecs[0].encode(rec)
        spaced = json.dumps(orjson.loads(data), indent=2).encode()
        for codec in codecs:
            codec.decode(data)  # valid input is never refused by the check
            codec.decode(spaced)
        places = list(objects(orjson.loads(data)))
        bad = with_duplicate(data, places[pick % len(places)], pretty)
        if bad is None:
            return
        for codec in codecs:
            with pytest.raises(DecodeError, match="duplicate key"):
                codec.decode(bad)
        with pytest.raises(DecodeError, match="duplicate key"):
            list(codecs[0].reader(io.BytesIO(b"[" + data + b"," + bad + b"]")))

    prop()


def test_escaped_quotes_and_spaced_colons_take_the_full_check() -> None:
    codec = JsonCodec(schema_named("order"))
    rec = codec.decode(b'{"note": "say \\"hi\\": now", "channel" : "web"}')
    assert rec["note"] == 'say "hi": now'
    with pytest.raises(DecodeError, match="duplicate key 'channel'"):
        codec.decode(b'{"note": "\\":", "channel": "a", "channel" : "b"}')


def test_a_missing_field_cannot_hide_a_duplicate() -> None:
    # As many keys as the record has fields: one left out (zero-filled), another doubled.
    codec = JsonCodec(schema_named("order"))
    full = orjson.loads(codec.encode(codec.decode(b"{}")))
    del full["gift_wrap"]
    text = orjson.dumps(full).replace(b'"channel":""', b'"channel":"","channel":""')
    assert text.count(b'":') == 14  # as many as the filled record: 10 fields + 4 in customer
    with pytest.raises(DecodeError, match="duplicate key 'channel'"):
        codec.decode(text)


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_quote_count_vouches_for_what_fmtbench_writes(name: str) -> None:
    # The cheap proof must hold for ordinary input, or every record pays for the full check.
    schema = schema_named(name)
    codec = JsonCodec(schema)

    @given(rec=records(schema))
    def prop(rec: dict[str, Any]) -> None:
        data = codec.encode(rec)
        if b"\\" in data or b"NaN" in data or b"Infinity" in data:
            return  # escapes, or a float written as text: the other counts' business
        pretty = json.dumps(orjson.loads(data), indent=2, ensure_ascii=False).encode()
        for text in (data, pretty):
            assert codec._keys.unique(text, codec.decode(text))

    prop()


@pytest.mark.parametrize(
    ("key", "value"),
    [(b"status", b"404"), (b"status", b"0"), (b"latency_ms", b"1.5"), (b"method", b'"PUT"')],
)
def test_a_duplicate_is_counted_whatever_its_value(key: bytes, value: bytes) -> None:
    # No backslash, so the quote count decides: the doubled key's own quotes betray it,
    # even when its value has none.
    codec = JsonLinesCodec(resolve_schema("log"))
    line = codec.encode(codec.decode(b'{"status": 200}')).rstrip(b"\n")
    assert b"\\" not in line
    bad = line[:-1] + b',"' + key + b'":' + value + b"}"
    with pytest.raises(DecodeError, match=f"duplicate key '{key.decode()}'"):
        codec.decode(bad)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        # Issue 12, item 23: a duplicate in an array file named only the key.
        (b'[{"id": 1}, {"id": 2, "lines": [{}, {"attributes": {"k": "a", "k": "b"}}]}]',
         "record 2: lines[1].attributes: duplicate key 'k'"),
        (b'[{"id": 1, "id": 2}]', "record 1: duplicate key 'id'"),
        (b'{"customer": {"address": {"city": "a", "city": "b"}}}',
         "customer.address: duplicate key 'city'"),
        (b'{"lines": [{"attributes": {"a b": "x", "a b": "y"}}]}',
         "lines[0].attributes: duplicate key 'a b'"),
    ],
)  # fmt: skip
def test_a_duplicate_names_its_record_and_path(data: bytes, where: str) -> None:
    codec = JsonCodec(resolve_schema("order"))
    with pytest.raises(DecodeError) as info:
        list(codec.reader(io.BytesIO(data)))
    assert str(info.value).startswith(where)


@given(st.lists(st.sampled_from([b'"', b"a" * 7, b"=", b"a" * 4000, b'"' * 70]), max_size=40))
def test_the_quote_count_is_the_count_at_any_size(parts: list[bytes]) -> None:
    """keys.py's ``quotes`` looks for quotes one by one in large inputs: still the count."""
    data = b"".join(parts)
    assert quotes(data) == data.count(b'"')


def test_a_duplicate_key_beside_a_large_payload_is_refused() -> None:
    """A large record with few quotes (``blob``): the quote count there finds the key."""
    codec = JsonCodec(resolve_schema("blob"))
    gen = load_dataset("blob").generator()
    data = next(d for d in map(codec.encode, gen.records(50)) if len(d) > 8192)
    assert len(data) > 8192
    dup = b'{"id":7,' + data[1:]
    with pytest.raises(DecodeError, match="duplicate key 'id'"):
        codec.decode(dup)
