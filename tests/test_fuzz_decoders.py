"""Property-based fuzzing of every decoder: mutated valid files in, nothing unclean out.

Each example draws a schema and records (``tests/strategies.py``), writes them as a file
in one format, mutates the bytes (truncation, bit flips, splices, deletions, duplicated
ranges, and the format's own nasties: huge varint lengths for Protobuf, huge array, map,
str and bin headers for MessagePack, deep nesting everywhere), then reads them back the
way ``fmtbench convert`` does (the codec's ``reader`` over a stream) and the way a message
consumer does (``decode``). The only acceptable outcomes:

- a clean ``FmtbenchError`` (one line: the CLI prints it as is), or
- records that are canonical (``validate`` returns them unchanged) and survive a round
  trip through the same codec: ``decode(encode(r)) == r``.

Anything else (another exception, a hang, a record the codec cannot write back) fails.
The examples per format follow the Hypothesis profile (``HYPOTHESIS_PROFILE=ci`` is
quicker, ``thorough`` for bug hunts); ``fuzz/fuzz_decoders.py`` runs the same check under
atheris for coverage-guided fuzzing.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtbench.codecs import FORMATS, Codec, codec_for
from fmtbench.codecs.values.canonical import validate
from fmtbench.errors import FmtbenchError
from tests.samples import same
from tests.strategies import SCHEMAS, records, schema_named

DECODERS = [
    "json",
    "jsonl",
    "protojson",
    "protojsonl",
    "protobuf",
    "protobuf-delimited",
    "xml",
    "msgpack",
    "avro",
    "avro-single",
    "cbor",
    "bson",
]
#: Formats whose file is one message: it holds exactly one record.
SINGLE_ONLY = {"protobuf"}
#: Nesting depths tried: beyond every limit (100 levels, libxml2's 256, recursion's 1000).
DEPTHS = [101, 257, 1_001, 20_000]


@cache
def codec(fmt: str, schema: str) -> Codec:
    return codec_for(fmt, schema_named(schema))


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


# -- format-specific payloads -------------------------------------------------------------
def huge_varints() -> st.SearchStrategy[int]:
    return st.sampled_from([2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**53, 2**63 - 1, 2**64 - 1])


@st.composite
def protobuf_payloads(draw: st.DrawFn) -> bytes:
    """A length-delimited field (any field number) with an absurd length, or a broken key."""
    kind = draw(st.sampled_from(["huge-length", "overlong-varint", "deep", "group", "wiretype"]))
    field = draw(st.integers(1, 2**29 - 1))
    if kind == "huge-length":
        return varint(field << 3 | 2) + varint(draw(huge_varints()))
    if kind == "overlong-varint":
        return varint(field << 3 | 0) + b"\xff" * draw(st.integers(10, 20)) + b"\x01"
    if kind == "deep":
        # field 1 wrapping field 1 wrapping ...: a message nested beyond any limit
        depth = draw(st.sampled_from(DEPTHS[:3]))
        inner = b""
        for _ in range(depth):
            inner = varint(1 << 3 | 2) + varint(len(inner)) + inner
        return inner
    if kind == "group":
        return varint(field << 3 | 3) * draw(st.integers(1, 300))  # start-group, unclosed
    return varint(field << 3 | draw(st.sampled_from([6, 7])))  # reserved wire types


def bson_document(body: bytes) -> bytes:
    return struct.pack("<i", len(body) + 5) + body + b"\0"


def bson_payloads() -> st.SearchStrategy[bytes]:
    """BSON documents with hostile frames and elements: lengths past the data or under 5,
    no terminating NUL, unknown element types, keys twice, invalid UTF-8, strings whose
    length runs past the document."""
    elements = st.sampled_from(
        [
            b"\x10id\x00\x01\x00\x00\x00",
            b"\x10id\x00\x02\x00\x00\x00",  # the same key again: a duplicate
            b"\x02name\x00\x02\x00\x00\x00\xff\x00",  # invalid UTF-8
            b"\x02\xffk\x00\x01\x00\x00\x00\x00",  # invalid UTF-8 in a key
            b"\x02name\x00\xff\xff\xff\x7fx\x00",  # a string longer than the document
            b"\x20odd\x00\x00",  # an unknown element type
            b"\x03sub\x00\xff\xff\xff\x7f\x00",  # a sub-document past the data
            b"\x04arr\x00\x05\x00\x00\x00\x00",
            b"\x09at\x00" + struct.pack("<q", 2**62),  # a datetime past year 9999
        ]
    )
    heads = st.sampled_from([b"\xff\xff\xff\x7f", b"\x00\x00\x00\x00", b"\x04\x00\x00\x00",
                             b"\x00\x00\x00\x80", b"\x05\x00\x00\x00\x01"])  # fmt: skip
    whole = st.lists(elements, max_size=4).map(lambda es: bson_document(b"".join(es)))
    return st.one_of(whole, st.tuples(heads, st.binary(max_size=20)).map(b"".join))


def msgpack_payloads() -> st.SearchStrategy[bytes]:
    headers = [
        b"\xdd\xff\xff\xff\xff",  # array 32 of 4G items
        b"\xdf\xff\xff\xff\xff",  # map 32 of 4G pairs
        b"\xdb\xff\xff\xff\xff",  # str 32 of 4 GB
        b"\xc6\xff\xff\xff\xff",  # bin 32 of 4 GB
        b"\xc9\xff\xff\xff\xff\xff",  # ext 32 of 4 GB
        b"\xdc\xff\xff",  # array 16
        b"\xde\xff\xff",  # map 16
        b"\xd7\xff" + b"\xff" * 8,  # timestamp 64 with nanoseconds past 1e9
        b"\xc7\x0c\xff" + b"\x7f" * 12,  # timestamp 96 far beyond year 9999
        b"\xc1",  # never used
    ]
    deep = st.builds(
        lambda n, head: head * n + b"\xc0",
        st.sampled_from(DEPTHS),
        st.sampled_from([b"\x91", b"\x81\xa1k"]),
    )
    return st.one_of(st.sampled_from(headers), deep)


def cbor_payloads() -> st.SearchStrategy[bytes]:
    headers = [
        b"\x9b" + b"\xff" * 8,  # array of 2**64-1 items
        b"\xbb" + b"\xff" * 8,  # map of 2**64-1 pairs
        b"\x5b\x10" + b"\x00" * 7,  # bytes of 2**60
        b"\x7b\x10" + b"\x00" * 7,  # text of 2**60
        b"\x5f\x41\x00",  # indefinite bytes, never ended
        b"\xc2\x41\x01",  # a bignum
        b"\xd9\x03\xe9\xa1\x01\x1b" + b"\x7f" * 8,  # tag 1001 far beyond year 9999
        b"\xf7",  # undefined
        b"\xff",  # a break out of place
        b"\x1c",  # a reserved head
    ]
    deep = st.builds(
        lambda n, head: head * n + b"\xf6",
        st.sampled_from(DEPTHS),
        st.sampled_from([b"\x81", b"\xa1\x61k", b"\xc6", b"\x9f"]),
    )
    return st.one_of(st.sampled_from(headers), deep)


def json_payloads() -> st.SearchStrategy[bytes]:
    words = [b"1e999999", b"-1e999999", b"123456789012345678901234567890", b'"\\ud800"', b"NaN"]
    deep = st.builds(
        lambda n, o, c: o * n + c * n, st.sampled_from(DEPTHS), *map(st.just, (b"[", b"]"))
    )
    deep_obj = st.builds(lambda n: b'{"a":' * n + b"1" + b"}" * n, st.sampled_from(DEPTHS))
    return st.one_of(st.sampled_from(words), deep, deep_obj)


def protojson_payloads() -> st.SearchStrategy[bytes]:
    # JSON's, and what ProtoJSON reads out of strings: numbers whose exponent would make a
    # huge integer, fractions finer than any double, names and base64 of both alphabets.
    words = [b'"1e999999999"', b'"-1E-999999999"', b"1.0000000000000001", b'"NaN"', b'"-_"']
    return st.one_of(json_payloads(), st.sampled_from(words))


def xml_payloads() -> st.SearchStrategy[bytes]:
    words = [
        b"<!DOCTYPE r [<!ENTITY e 'x'>]>",
        b"&e;",
        b"&#0;",
        b"&#x110000;",
        b"<![CDATA[",
        b"<?pi x?>",
        b' xmlns="urn:other"',
        b"\xff\xfe",
    ]
    deep = st.builds(lambda n: b"<a>" * n + b"</a>" * n, st.sampled_from(DEPTHS))
    return st.one_of(st.sampled_from(words), deep)


def avro_payloads() -> st.SearchStrategy[bytes]:
    """Avro's hostile pieces: longs past 10 bytes, huge and negative counts and lengths
    (blocks, strings, arrays), bad UTF-8, union indexes out of range, stray magic."""
    zigzag = st.integers(-(2**63), 2**63 - 1).map(
        lambda n: varint(((n << 1) ^ (n >> 63)) & (2**64 - 1))
    )
    words = [b"\xff" * 11, b"\x80" * 10 + b"\x01", b"\xff\xfe", b"\x06", b"\x7f", b"Obj\x01",
             b"\xc3\x01", b"\x00" * 16]  # fmt: skip
    return st.one_of(zigzag, st.sampled_from(words))


PAYLOADS: dict[str, Callable[[], st.SearchStrategy[bytes]]] = {
    "json": json_payloads,
    "jsonl": json_payloads,
    "protojson": protojson_payloads,
    "protojsonl": protojson_payloads,
    "protobuf": protobuf_payloads,
    "protobuf-delimited": protobuf_payloads,
    "xml": xml_payloads,
    "msgpack": msgpack_payloads,
    "avro": avro_payloads,
    "avro-single": avro_payloads,
    "cbor": cbor_payloads,
    "bson": bson_payloads,
}


# -- mutations ----------------------------------------------------------------------------
@st.composite
def mutate(draw: st.DrawFn, data: bytes, fmt: str) -> bytes:
    """One to three mutations of ``data``; each step keeps the result small enough."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 3), label="mutations")):
        at = draw(st.integers(0, len(buf)), label="at")
        op = draw(
            st.sampled_from(
                ["truncate", "flip", "splice", "delete", "duplicate", "payload", "prefix"]
            ),
            label="op",
        )
        if op == "truncate":
            del buf[at:]
        elif op == "flip" and buf:
            i = min(at, len(buf) - 1)
            buf[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "splice":
            buf[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del buf[at : at + draw(st.integers(1, 32))]
        elif op == "duplicate":
            end = min(len(buf), at + draw(st.integers(1, 64)))
            buf[at:at] = buf[at:end]
        elif op == "prefix" and fmt == "protobuf-delimited":
            # the first frame's length replaced by a huge one
            end = 0
            while end < len(buf) and buf[end] & 0x80:
                end += 1
            buf[0 : end + 1] = varint(draw(huge_varints()))
        elif op in ("payload", "prefix"):
            buf[at:at] = draw(PAYLOADS[fmt](), label="payload")
    return bytes(buf)


@st.composite
def fuzz_cases(draw: st.DrawFn, fmt: str) -> tuple[str, bytes]:
    schema = draw(st.sampled_from(SCHEMAS), label="schema")
    one = records(schema_named(schema), xml_safe=fmt == "xml")
    recs = (
        [draw(one, label="record")]
        if fmt in SINGLE_ONLY
        else draw(st.lists(one, min_size=1, max_size=3), label="records")
    )
    c = codec(fmt, schema)
    single = fmt in SINGLE_ONLY or (
        FORMATS[fmt].single_form and len(recs) == 1 and draw(st.booleans())
    )
    buf = io.BytesIO()
    w = c.writer(buf, single=single)
    for r in recs:
        w.write(r)
    w.close()
    return schema, draw(mutate(buf.getvalue(), fmt), label="mutated")


# -- the check (fuzz/fuzz_decoders.py keeps a standalone copy) ---------------------------
def check_decoding(fmt: str, schema: str, data: bytes) -> None:
    """Decode ``data`` as a file and as one message: a clean error or sound records."""
    c = codec(fmt, schema)
    for mode in ("reader", "decode"):
        try:
            got = list(c.reader(io.BytesIO(data))) if mode == "reader" else [c.decode(data)]
        except FmtbenchError as exc:
            message = str(exc)
            assert "\n" not in message, f"{mode}: error not on one line: {message!r}"
            assert "\r" not in message, f"{mode}: error not on one line: {message!r}"
            continue
        for record in got:
            assert same(validate(c.schema, record, c.message.name), record), (
                f"{mode}: not canonical: {record!r}"
            )
            again = c.decode(c.encode(record))
            assert same(again, record), f"{mode}: {record!r} came back as {again!r}"


@pytest.mark.parametrize("fmt", DECODERS)
@given(data=st.data())
def test_mutated_files_decode_cleanly(fmt: str, data: st.DataObject) -> None:
    schema, mutated = data.draw(fuzz_cases(fmt), label="case")
    check_decoding(fmt, schema, mutated)


#: The zero Forest: its single object's header is the tree schema's.
FOREST = {"trunk": {"label": "", "weight": 0.0, "children": [], "named": {}, "stamps": {},
          "offsets": {}, "sizes": {}, "flags": [], "colours": [], "empties": [], "blobs": [],
          "words": [], "when": [], "small": [], "big": []},
          "by_id": {}, "colours": {}, "marker": {}}  # fmt: skip


def deep_forest(fmt: str, depth: int) -> bytes:
    """A ``test.tree`` Forest whose trunk nests ``depth`` levels of children (depth + 1
    messages below the record), in ``fmt``, built by hand: no encoder would write it."""
    if fmt in ("json", "jsonl", "protojson", "protojsonl"):
        text = b'{"trunk":' + b'{"children":[' * depth + b"{}" + b"]}" * depth + b"}"
        return text + b"\n" if fmt.endswith("l") else text
    if fmt == "msgpack":
        return b"\x81\xa5trunk" + b"\x81\xa8children\x91" * depth + b"\x80"
    if fmt == "cbor":
        return b"\xa1\x65trunk" + b"\xa1\x68children\x81" * depth + b"\xa0"
    if fmt == "bson":  # Forest.trunk, then Node.children: an array of one node
        node = bson_document(b"")
        for _ in range(depth):
            node = bson_document(b"\x04children\x00" + bson_document(b"\x030\x00" + node))
        return bson_document(b"\x03trunk\x00" + node)
    if fmt == "xml":
        ns = b'<Forest xmlns="urn:fmtbench:test.tree"><trunk>'
        return ns + b"<children>" * depth + b"</children>" * depth + b"</trunk></Forest>"
    if fmt.startswith("avro"):
        # A Node: label "", weight 0.0, its children (a block of one Node), 12 empty lists
        # and maps; then the Forest's by_id, colours, (marker: no bytes) and maybe_empty.
        datum = (b"\x00" + bytes(4) + b"\x02") * depth + b"\x00" + bytes(4) + b"\x00" + bytes(12)
        datum += (b"\x00" + bytes(12)) * depth + b"\x00\x00\x00"
        c = codec(fmt, "tree")
        if fmt == "avro-single":
            return c.encode(FOREST)[:10] + datum
        head = c.encode_many([])
        sync = head[-16:]
        return head + varint(2) + varint(len(datum) * 2) + datum + sync
    inner = b""
    for _ in range(depth):
        inner = b"\x1a" + varint(len(inner)) + inner  # Node.children, field 3
    message = b"\x0a" + varint(len(inner)) + inner  # Forest.trunk, field 1
    return varint(len(message)) + message if fmt == "protobuf-delimited" else message


@pytest.mark.parametrize("fmt", DECODERS)
@pytest.mark.parametrize("depth", [50, *DEPTHS])
def test_deep_nesting_is_refused_cleanly(fmt: str, depth: int) -> None:
    """Records nested past the depth limit (100) are refused in every format, in both
    modes, with a clean error; 50 levels are fine (the payload is a real record)."""
    if fmt.startswith("protobuf") or fmt == "bson":
        depth = min(depth, 2_000)  # the hand-built message grows quadratically
    data = deep_forest(fmt, depth)
    c = codec(fmt, "tree")
    if depth < 100:
        check_decoding(fmt, "tree", data)
        assert len(list(c.reader(io.BytesIO(data)))) == 1
        return
    with pytest.raises(FmtbenchError) as info:
        list(c.reader(io.BytesIO(data)))
    assert "\n" not in str(info.value)
    with pytest.raises(FmtbenchError) as info:
        c.decode(data)
    assert "\n" not in str(info.value)
    # and shapes no schema expects (a bare nested list, unknown fields) are refused too
    bare = {
        "json": b"[" * depth + b"]" * depth,
        "jsonl": b"[" * depth + b"]" * depth + b"\n",
        "protojson": b"[" * depth + b"]" * depth,
        "protojsonl": b"[" * depth + b"]" * depth + b"\n",
        "xml": b"<a>" * depth + b"</a>" * depth,
        "msgpack": b"\x91" * depth + b"\xc0",
        "cbor": b"\x81" * depth + b"\xf6",
        "bson": deep_forest("bson", depth).replace(b"trunk", b"trunc"),  # an unknown field
    }
    if fmt in bare:
        for schema in ("sensor", "optionals"):
            with pytest.raises(FmtbenchError):
                list(codec(fmt, schema).reader(io.BytesIO(bare[fmt])))


@pytest.mark.parametrize("fmt", ["protobuf-delimited", "msgpack", "cbor"])
@pytest.mark.parametrize("length", [2**31, 2**32 - 1, 2**63 - 1, 2**64 - 1])
def test_huge_length_headers_are_refused_without_allocating(fmt: str, length: int) -> None:
    if fmt == "protobuf-delimited":
        data = varint(length) + b"\x0a\x00"
    elif fmt == "cbor":
        size = length.to_bytes(8, "big")
        data = b"".join(head + size for head in (b"\x9b", b"\xbb", b"\x7b", b"\x5b"))
    else:
        size = min(length, 2**32 - 1).to_bytes(4, "big")
        data = b"".join(head + size for head in (b"\xdd", b"\xdf", b"\xdb", b"\xc6"))
    for schema in SCHEMAS:
        with pytest.raises(FmtbenchError):
            list(codec(fmt, schema).reader(io.BytesIO(data)))


# -- regressions for the bugs this fuzzer found ----------------------------------------------
@pytest.mark.parametrize("data", [b"\x81\x80\x00", b"\x81\x90\x00"], ids=["map-key", "array-key"])
@pytest.mark.parametrize("mode", ["decode", "reader"])
def test_msgpack_unhashable_map_key_is_a_decode_error(data: bytes, mode: str) -> None:
    """Found by this fuzzer: msgpack's TypeError (unhashable key) escaped as a traceback."""
    c = codec("msgpack", "sensor")
    with pytest.raises(FmtbenchError):
        c.decode(data) if mode == "decode" else list(c.reader(io.BytesIO(data)))


@pytest.mark.parametrize(
    "data",
    [
        b'<Order xmlns="urn:fmtbench:shop.order"><note>a\x00b</note></Order>\n',
        b'<Order xmlns="urn:fmtbench:shop.order"><note><![CDATA[ x\n</note></Order>\n',
    ],
    ids=["nul", "cdata"],
)
@pytest.mark.parametrize("mode", ["decode", "reader"])
def test_xml_syntax_error_is_one_line(data: bytes, mode: str) -> None:
    """Found by this fuzzer: libxml2's messages, passed through, ended in or held newlines."""
    c = codec("xml", "order")
    with pytest.raises(FmtbenchError) as info:
        c.decode(data) if mode == "decode" else list(c.reader(io.BytesIO(data)))
    assert "\n" not in str(info.value)
