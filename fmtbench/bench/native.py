"""The native step of each format: the library's own work alone, without fmtbench's conversion.

A full-step timing is canonical record <-> bytes. Part of that is the library (upb,
msgspec, msgpack, libxml2) and part is fmtbench turning canonical values into what the library takes
and back. These adapters time the library part alone, on inputs prepared outside the timed
region through the codecs' public methods, so a report can show how much each side costs:

- protobuf: prebuilt message objects (``to_message``) <-> bytes, with
  ``SerializeToString(deterministic=True)`` and ``message_class.FromString``.
- json: ``msgspec.json`` encode/decode (untyped) of the JSON trees the codec builds
  (``to_tree``); msgspec is what the codec writes with. jsonl has no row of its own: per
  record it is the very same call.
- msgpack: pack/unpack of the trees the codec packs (recovered from its bytes, so map
  entries come in the codec's order); one reused ``Packer``, as the codec does, and
  ``unpackb`` with the codec's reading options.
- xml: decode only, ``etree.fromstring`` with the same hardened parser the codec uses.
  Writing XML is fmtbench's own string building, so it has no native step to time.

``verify`` proves each adapter does the codec's work: its bytes must equal the codec's
bytes for every record, and bytes -> object -> bytes must come back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgpack
import msgspec
from lxml import etree

from fmtbench.codecs.base import Codec, Record
from fmtbench.codecs.json import JsonCodec
from fmtbench.codecs.msgpack import MsgpackCodec
from fmtbench.codecs.protobuf import ProtobufCodec
from fmtbench.codecs.xml import XmlCodec
from fmtbench.codecs.xml_read import hardened_parser

Encode = Callable[[Any], bytes]
Decode = Callable[[bytes], Any]


@dataclass(frozen=True)
class NativeStep:
    objects: Sequence[Any]  # the prepared inputs of ``encode``, one per record
    encode: Encode | None  # None: the format has no native encoder (XML)
    decode: Decode

    def verify(self, blobs: Sequence[bytes]) -> str | None:
        """Why this step does not do the codec's work on these bytes, or None if it does."""
        for i, data in enumerate(blobs, 1):
            decoded = self.decode(data)
            if self.encode is None:
                continue
            if self.encode(self.objects[i - 1]) != data:
                return f"record {i}: native encoding differs from the codec's bytes"
            if self.encode(decoded) != data:
                return f"record {i}: native decode then encode does not give the same bytes"
        return None


def _protobuf(codec: ProtobufCodec, records: Sequence[Record]) -> NativeStep:
    def encode(msg: Any) -> bytes:
        return msg.SerializeToString(deterministic=True)  # type: ignore[no-any-return]

    return NativeStep(
        [codec.to_message(r) for r in records], encode, codec.message_class.FromString
    )


def _json(codec: JsonCodec, records: Sequence[Record]) -> NativeStep:
    return NativeStep([codec.to_tree(r) for r in records], msgspec.json.encode, msgspec.json.decode)


def _msgpack(codec: MsgpackCodec, records: Sequence[Record]) -> NativeStep:
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


def _xml(codec: XmlCodec, records: Sequence[Record]) -> NativeStep:
    parser = hardened_parser()

    def decode(data: bytes) -> Any:
        return etree.fromstring(data, parser)

    return NativeStep([], None, decode)


def native_name(fmt: str) -> str | None:
    """What does a format's native step, or None where it has none (jsonl)."""
    if fmt == "protobuf":
        from fmtbench.schema.proto import protobuf_backend

        return f"protobuf ({protobuf_backend()})"
    return {"json": "msgspec", "msgpack": "msgpack", "xml": "lxml"}.get(fmt)


def native_step(fmt: str, codec: Codec, records: Sequence[Record]) -> NativeStep | None:
    """The native adapter of a format's message codec, its inputs prepared from ``records``."""
    if fmt == "protobuf" and isinstance(codec, ProtobufCodec):
        return _protobuf(codec, records)
    if fmt == "json" and isinstance(codec, JsonCodec):
        return _json(codec, records)
    if fmt == "msgpack" and isinstance(codec, MsgpackCodec):
        return _msgpack(codec, records)
    if fmt == "xml" and isinstance(codec, XmlCodec):
        return _xml(codec, records)
    return None
