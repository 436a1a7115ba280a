"""Delimited Protobuf framed from one batch message (fmtbench/codecs/protobuf/frames.py): the
batch's items, read back as bytes, are byte for byte each message serialized alone, and
framed by their lengths are the delimited stream, for every schema, empty messages and
messages of 16 KiB and more (a length of three bytes) included; and a message over the limit
sends the block back."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmtbench.codecs.protobuf import frames
from fmtbench.codecs.protobuf.codec import ProtobufDelimitedCodec
from fmtbench.codecs.protobuf.frames import delimit, delimit_all, items, varint
from fmtbench.codecs.protobuf.kwargs import compile_kwargs, framer
from fmtbench.schema.loader import parse_schema
from tests.strategies import SCHEMAS, records, schema_named

TEXT_YAML = """
schema: test.frames
root: Note
messages:
  Note:
    fields:
      text: string = 1
      n: uint64 = 2
"""


def messages(schema_name: str, recs: list[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]]]:
    schema = schema_named(schema_name) if schema_name != "text" else parse_schema(TEXT_YAML, "<t>")
    codec = ProtobufDelimitedCodec(schema)
    kwargs = compile_kwargs(schema, schema.root)
    return codec, [kwargs(codec.decode(codec.encode(r))) for r in recs]


@pytest.mark.parametrize("schema", [s for s in SCHEMAS if s != "tree"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_batchs_items_are_each_message_delimited(schema: str, data: Any) -> None:
    codec, kwargs = messages(schema, data.draw(st.lists(records(schema_named(schema)), max_size=5)))
    cls = codec.message_class
    alone = [cls(**k).SerializeToString(deterministic=True) for k in kwargs]
    frame = framer(codec.schema, codec.message.name, cls, 1 << 30)
    assert frame(kwargs) == delimit_all(alone) == b"".join(map(delimit, alone))


@pytest.mark.parametrize("size", [0, 1, 127, 128, 16383, 16384, 2_097_151, 2_097_152])
def test_lengths_of_every_width(size: int) -> None:
    codec, kwargs = messages("text", [{"text": "", "n": 0}, {"text": "x" * size, "n": 1}])
    cls = codec.message_class
    alone = [cls(**k).SerializeToString() for k in kwargs]
    frame = framer(codec.schema, codec.message.name, cls, 1 << 30)
    assert frame(kwargs) == delimit_all(alone)
    whole = b"".join(b"\x0a" + varint(len(a)) + a for a in alone)
    assert items(whole) == alone
    assert delimit_all(items(whole)) == delimit_all(alone)


def test_a_message_over_the_limit_sends_the_block_back() -> None:
    codec, kwargs = messages("text", [{"text": "a" * 10, "n": 0}, {"text": "b" * 300, "n": 0}])
    cls = codec.message_class
    longest = max(len(cls(**k).SerializeToString()) for k in kwargs)
    assert framer(codec.schema, codec.message.name, cls, longest - 1)(kwargs) is None
    assert framer(codec.schema, codec.message.name, cls, longest)(kwargs) is not None


def test_the_writer_refuses_an_oversized_record_as_before() -> None:
    """write_many over the limit: the records go one by one, and the big one's error."""
    schema = parse_schema(TEXT_YAML, "<t>")
    codec = ProtobufDelimitedCodec(schema, max_message_bytes=50)
    out = io.BytesIO()
    writer = codec.writer_for_decoded(out)
    with pytest.raises(Exception, match="record 2"):
        writer.write_many([{"text": "a", "n": 1}, {"text": "b" * 100, "n": 2}])  # type: ignore[attr-defined]
    assert out.getvalue() == delimit(codec.message_class(text="a", n=1).SerializeToString())


def test_every_short_prefix_is_the_varint_of_its_length() -> None:
    assert frames._prefixes() == [varint(n) for n in range(0x4000)]
