"""Read CBOR samples without a schema (``schema infer``): CBOR is self-describing.

The options are the codec's (duplicate keys refused, cbor2's nesting cap), so what
inference observes is what the inferred schema will later be asked to read. Timestamps
(tags 1 and 1001) arrive as ``msgpack.Timestamp``, the form inference takes a timestamp
in, nanoseconds kept; any other tag stays a ``CBORTag``, which inference refuses.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import cbor2
import msgpack

from fmtbench.codecs.cbor.codec import DECODE_OPTIONS, cbor_error
from fmtbench.codecs.cbor.mapping import EPOCH_TIME, EXTENDED_TIME, timestamp_of
from fmtbench.codecs.format import SampleReader
from fmtbench.codecs.values.leaves import timestamp_parts
from fmtbench.errors import DecodeError, ValueMismatch


def _time(tag: int) -> Any:
    def read(value: Any, immutable: bool) -> Any:
        try:
            return msgpack.Timestamp(*timestamp_parts(timestamp_of(tag, value)))
        except ValueMismatch:
            return cbor2.CBORTag(tag, value)

    return read


_OPTIONS: dict[str, Any] = {
    **DECODE_OPTIONS,
    "semantic_decoders": {
        **DECODE_OPTIONS["semantic_decoders"],
        EPOCH_TIME: _time(EPOCH_TIME),
        EXTENDED_TIME: _time(EXTENDED_TIME),
    },
}


def read_cbor(data: bytes, exact_ints: bool) -> Iterator[Any]:
    # CBOR integers are always exact (up to 64 bits; bignums are tags, refused).
    src = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(src, **_OPTIONS)
    while (start := src.tell()) < len(data):
        try:
            yield decoder.decode()
        except cbor2.CBORDecodeEOF:
            raise DecodeError(
                f"truncated: the sample ends {len(data) - start} bytes into a record",
                position=f"byte offset {start}",
            ) from None
        except Exception as exc:  # CBORDecodeError, and whatever else odd input raises
            raise cbor_error(exc, f"byte offset {start}") from None


CBOR = SampleReader(read_cbor)
