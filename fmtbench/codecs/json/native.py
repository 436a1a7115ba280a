"""JSON's native step for ``bench``: ``msgspec.json`` encode and decode (untyped) of the
JSON trees the codec builds (``to_tree``); msgspec is what the codec writes with."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Native, NativeStep
from fmtbench.codecs.json.codec import JsonCodec


def step(codec: Codec, records: Sequence[Record]) -> NativeStep:
    assert isinstance(codec, JsonCodec)
    return NativeStep([codec.to_tree(r) for r in records], msgspec.json.encode, msgspec.json.decode)


NATIVE = Native("msgspec", step)
