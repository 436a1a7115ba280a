"""Delimited Protobuf framing: each message after its varint length (``writeDelimitedTo``).

Many messages are framed fastest by not serializing them one by one: upb builds them as the
items of one message of a single field, ``repeated <Record> items = 1`` (``kwargs.py``
``batch_class``), and serializes that once. Each item is then on the wire as the field's tag,
its varint length and the item's own bytes (a sub-message is written as it would be alone):
the same bytes as an item of ``repeated bytes items = 1``. upb parses the batch as that
message (``items``), in C, and the items' bytes are framed at once (``delimit_all``).
Measured on 100,000 ``log`` records: 0.02 s, against 0.035 s for a Python walk taking the
tags off, and 0.13 s for a ``SerializeToString`` a message and the lengths' prefixes joined.
"""

from __future__ import annotations

from functools import cache
from itertools import chain
from typing import Any


def varint(n: int) -> bytes:
    """Base-128 varint, least significant group first, as Protobuf frames a message."""
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def delimit(data: bytes) -> bytes:
    n = len(data)
    if n < 0x4000:  # one or two bytes of length: nearly every record, without the loop
        return (bytes((n,)) if n < 0x80 else bytes((n & 0x7F | 0x80, n >> 7))) + data
    return varint(n) + data


@cache
def _prefixes() -> list[bytes]:
    """Every length prefix of one or two bytes: nearly every record's, looked up in C."""
    one = [bytes((n,)) for n in range(0x80)]
    return one + [bytes((n & 0x7F | 0x80, n >> 7)) for n in range(0x80, 0x4000)]


def delimit_all(datas: list[bytes]) -> bytes:
    """Messages each after its length, joined: ``delimit`` for many, in C loops."""
    try:
        prefixes = list(map(_prefixes().__getitem__, map(len, datas)))
    except IndexError:  # a message of 16 KiB or more: a longer prefix
        return b"".join(map(delimit, datas))
    return b"".join(chain.from_iterable(zip(prefixes, datas, strict=True)))


def items(batch: bytes) -> list[bytes]:
    """The bytes of each item of a serialized batch message (``repeated <message> items =
    1``), in order."""
    return _bytes_items().FromString(batch).items[:]  # type: ignore[no-any-return]


@cache
def _bytes_items() -> Any:
    return one_field_class("fmtbench_internal_items", "items", _TYPE_BYTES)


_TYPE_BYTES = 12  # FieldDescriptorProto.TYPE_BYTES
TYPE_INT64 = 3  # FieldDescriptorProto.TYPE_INT64


def one_field_class(package: str, name: str, kind: int) -> Any:
    """A proto3 message class of one repeated field ``name = 1`` of the scalar ``kind`` (a
    ``FieldDescriptorProto`` type), in a pool of its own: bytes read or written as that."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    proto = descriptor_pb2.FileDescriptorProto(name=f"{package}.proto", package=package)
    proto.syntax = "proto3"
    message = proto.message_type.add(name="Message")
    message.field.add(
        name=name, number=1, label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED, type=kind
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.Message"))


def read_varint(data: bytes, at: int) -> tuple[int, int]:
    """The varint at ``at`` and the offset just past it (the caller knows it is well formed:
    upb wrote it, or the bytes were parsed already)."""
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
