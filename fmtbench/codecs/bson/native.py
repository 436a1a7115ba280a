"""BSON's native step for ``bench``: ``bson.encode``/``bson.decode`` on the documents the
codec writes (recovered from its bytes: naive datetimes, ``Int64``, the timestamp and
duration documents), with the codec's reading options."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import bson

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.bson.codec import OPTIONS
from fmtbench.codecs.format import Native, NativeStep


def step(codec: Codec, records: Sequence[Record]) -> NativeStep:
    # The codec keeps no public way to build its documents: read them back from its bytes.
    documents = [bson.decode(codec.encode(r), OPTIONS) for r in records]

    def decode(data: bytes) -> Any:
        return bson.decode(data, OPTIONS)

    return NativeStep(documents, bson.encode, decode)


NATIVE = Native("pymongo bson", step)
