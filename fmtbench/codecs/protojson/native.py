"""ProtoJSON's native step for ``bench``: ``orjson`` dumps and loads of the ProtoJSON trees
the codec builds (``to_tree``); orjson is what the codec reads and writes with."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Native, NativeStep
from fmtbench.codecs.protojson.codec import ProtoJsonCodec


def step(codec: Codec, records: Sequence[Record]) -> NativeStep:
    assert isinstance(codec, ProtoJsonCodec)
    return NativeStep([codec.to_tree(r) for r in records], orjson.dumps, orjson.loads)


NATIVE = Native("orjson", step)
