"""ProtoJSON's native step for ``bench``: ``msgspec.json.encode`` and ``orjson.loads`` of the
ProtoJSON trees the codec builds (``to_tree``): what the codec writes and reads with."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import orjson

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Native, NativeStep
from fmtbench.codecs.protojson.codec import ProtoJsonCodec


def step(codec: Codec, records: Sequence[Record]) -> NativeStep:
    assert isinstance(codec, ProtoJsonCodec)
    return NativeStep([codec.to_tree(r) for r in records], msgspec.json.encode, orjson.loads)


NATIVE = Native("msgspec+orjson", step)
