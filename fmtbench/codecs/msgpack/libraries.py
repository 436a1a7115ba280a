"""MessagePack's library cells for ``bench --libraries``: msgpack, msgspec and ormsgpack.

Every cell starts from the trees the codec packs (recovered from its bytes, as the native
cell does: map entries in the codec's order, integer and boolean map keys kept, bytes as
``bin``, timestamps as UTC datetimes, the one form all three libraries write as the
timestamp extension) and ends at bytes; reading, it ends at the same kind of tree, which
must equal msgpack's reading of the codec's bytes. Options are the ones that make each
library write and read fmtbench's mapping: ``use_bin_type``/``datetime`` for msgpack,
``OPT_NON_STR_KEYS``/``OPT_DATETIME_AS_TIMESTAMP_EXT`` for ormsgpack (without them it
refuses integer keys and writes datetimes as text). A timestamp with nanoseconds is a
datetime with microseconds here, so a dataset holding one fails every cell with the place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.format import Library, LibraryStep

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _step(
    codec: Codec,
    records: Sequence[Record],
    encode: Callable[[Any], bytes],
    decode: Callable[[bytes], Any],
) -> LibraryStep:
    import msgpack

    def tree(data: bytes) -> Any:
        return msgpack.unpackb(data, raw=False, strict_map_key=False, timestamp=3)

    trees = [tree(codec.encode(r)) for r in records]  # outside any timing
    return LibraryStep(trees, encode, decode)


def msgpack_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    import msgpack

    packer = msgpack.Packer(use_bin_type=True, datetime=True)  # reused, as the codec does

    def decode(data: bytes) -> Any:
        return msgpack.unpackb(data, raw=False, strict_map_key=False, timestamp=3)

    return _step(codec, records, packer.pack, decode)


def msgspec_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    import msgspec

    encoder, decoder = msgspec.msgpack.Encoder(), msgspec.msgpack.Decoder()
    return _step(codec, records, encoder.encode, decoder.decode)


def ormsgpack_step(codec: Codec, records: Sequence[Record]) -> LibraryStep:
    import ormsgpack

    option = ormsgpack.OPT_NON_STR_KEYS | ormsgpack.OPT_DATETIME_AS_TIMESTAMP_EXT

    def encode(tree: Any) -> bytes:
        return ormsgpack.packb(tree, option=option)

    def decode(data: bytes) -> Any:
        return ormsgpack.unpackb(data, ext_hook=_timestamp_ext, option=ormsgpack.OPT_NON_STR_KEYS)

    return _step(codec, records, encode, decode)


def _timestamp_ext(code: int, data: bytes) -> Any:
    """The timestamp extension as a datetime: ormsgpack reads no extension itself (it
    refuses one without an ``ext_hook``), so its users write this; anything else is refused
    as ormsgpack would."""
    if code != -1:
        raise ValueError(f"extension type {code} is not a timestamp")
    if len(data) == 4:
        seconds, nanos = int.from_bytes(data, "big"), 0
    elif len(data) == 8:
        both = int.from_bytes(data, "big")
        seconds, nanos = both & 0x3_FFFF_FFFF, both >> 34
    elif len(data) == 12:
        nanos, seconds = (
            int.from_bytes(data[:4], "big"),
            int.from_bytes(data[4:], "big", signed=True),
        )
    else:
        raise ValueError(f"a timestamp extension of {len(data)} bytes")
    return _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)


def _lib(name: str, step: str, module: str) -> Library:
    return Library(name, f"fmtbench.codecs.msgpack.libraries:{step}", requires=(module,))


LIBRARIES = (
    _lib("msgpack", "msgpack_step", "msgpack"),
    _lib("msgspec", "msgspec_step", "msgspec"),
    _lib("ormsgpack", "ormsgpack_step", "ormsgpack"),
)
