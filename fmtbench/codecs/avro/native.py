"""Avro's native step for ``bench``: fastavro's ``schemaless_writer``/``schemaless_reader``
on the codec's own parsed schema and the datums the codec writes (its checked and converted
records), one reused buffer as the codec has."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from fastavro import schemaless_reader, schemaless_writer

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Native, NativeStep


def step(codec: Codec, records: Sequence[Record]) -> NativeStep:
    from fmtbench.codecs.avro.codec import AvroCodec

    assert isinstance(codec, AvroCodec), codec
    wire = codec.wire
    datums = [codec.to_tree(r) for r in records]
    out = io.BytesIO()

    def encode(datum: Any) -> bytes:
        out.seek(0)
        out.truncate()
        schemaless_writer(out, wire, datum)
        return out.getvalue()

    def decode(data: bytes) -> Any:
        return schemaless_reader(io.BytesIO(data), wire, None)

    return NativeStep(datums, encode, decode)


NATIVE = Native("fastavro", step)
