"""MessagePack's native step for ``bench``: pack/unpack of the trees the codec packs
(recovered from its bytes, so map entries come in the codec's order); one reused
``Packer``, as the codec does, and ``unpackb`` with the codec's reading options."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgpack

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Native, NativeStep


def step(codec: Codec, records: Sequence[Record]) -> NativeStep:
    # The trees the codec packs (validated, map entries in its order, timestamps as
    # datetimes), recovered from its own bytes: the codec keeps no public way to build them.
    trees = [
        msgpack.unpackb(codec.encode(r), raw=False, strict_map_key=False, timestamp=3)
        for r in records
    ]
    packer = msgpack.Packer(use_bin_type=True, datetime=True)

    def decode(data: bytes) -> Any:
        return msgpack.unpackb(data, raw=False, strict_map_key=False, timestamp=0)

    return NativeStep(trees, packer.pack, decode)


NATIVE = Native("msgpack", step)
