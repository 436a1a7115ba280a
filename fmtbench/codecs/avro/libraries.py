"""Avro's library cells for ``bench --libraries``: fastavro and the Apache ``avro`` package.

Both start from the datums the codec writes (``AvroCodec.to_tree``: checked and converted
records, timestamps and durations as ``{seconds, nanos}`` records, maps as arrays of
``{key, value}`` records, a uint64 above 2^63-1 as the 8 bytes of its fixed branch) and
write them with the codec's wire schema (``schema/avsc.py`` ``wire_schema``), fastavro
parsed as the codec parses it, Apache avro parsed by ``avro.schema.parse``. Reading ends at
the library's datum of the codec's bytes, which must equal fastavro's (the codec's reading).
Writer and reader objects are made once, outside any timing, as a user would reuse them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Library, LibraryStep


def _step(
    codec: Codec,
    records: Sequence[Record],
    encode: Callable[[Any], bytes],
    decode: Callable[[bytes], Any],
) -> LibraryStep:
    """The cell on the codec's datums; ``expected``: fastavro's reading of the codec's bytes
    (the codec's reference: an absent optional field reads as None, which the datum the
    codec wrote leaves out)."""
    from fastavro import schemaless_reader

    from fmtbench.codecs.avro.codec import AvroCodec

    assert isinstance(codec, AvroCodec), codec
    datums = [codec.to_tree(r) for r in records]
    expected = [schemaless_reader(io.BytesIO(codec.encode(r)), codec.wire, None) for r in records]
    return LibraryStep(datums, encode, decode, expected=expected)


def fastavro_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    from fastavro import schemaless_reader, schemaless_writer

    from fmtbench.codecs.avro.codec import AvroCodec

    assert isinstance(codec, AvroCodec), codec
    wire = codec.wire
    out = io.BytesIO()  # reused, as the codec does

    def encode(datum: Any) -> bytes:
        out.seek(0)
        out.truncate()
        schemaless_writer(out, wire, datum)
        return out.getvalue()

    def decode(data: bytes) -> Any:
        return schemaless_reader(io.BytesIO(data), wire, None)

    return _step(codec, records, encode, decode)


def apache_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    import json

    import avro.io
    import avro.schema

    from fmtbench.schema.avsc import wire_schema

    schema = avro.schema.parse(json.dumps(wire_schema(codec.schema, codec.message.name)))
    writer, reader = avro.io.DatumWriter(schema), avro.io.DatumReader(schema)

    def encode(datum: Any) -> bytes:
        out = io.BytesIO()
        writer.write(datum, avro.io.BinaryEncoder(out))
        return out.getvalue()

    def decode(data: bytes) -> Any:
        return reader.read(avro.io.BinaryDecoder(io.BytesIO(data)))

    return _step(codec, records, encode, decode)


LIBRARIES = (
    Library("fastavro", "fmtbench.codecs.avro.libraries:fastavro_step", requires=("fastavro",)),
    Library("avro (Apache)", "fmtbench.codecs.avro.libraries:apache_step", requires=("avro",)),
)
