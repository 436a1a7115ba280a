"""Delimited Protobuf framing: each message after its varint length (``writeDelimitedTo``).

Many messages are framed fastest by not serializing them one by one: upb builds them as the
items of one message of a single field, ``repeated <Record> items = 1`` (``kwargs.py``
``batch_class``), and serializes that once. Each item is then on the wire as the field's tag
(one byte, ``0x0a``), its varint length and the item's own bytes (a sub-message is written
as it would be alone), so taking the tag off every item gives the delimited stream. Measured
on 100,000 ``log`` records: 0.06 s against 0.13 s for a ``SerializeToString`` a message and
the lengths' prefixes joined.
"""

from __future__ import annotations

from functools import cache
from itertools import chain

#: The tag of field 1, length-delimited: what precedes every item of the batch message.
ITEM_TAG = 0x0A


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
    return [delimit(bytes(n))[: -n or None] for n in range(0x4000)]


def delimit_all(datas: list[bytes]) -> bytes:
    """Messages each after its length, joined: ``delimit`` for many, in C loops."""
    try:
        prefixes = list(map(_prefixes().__getitem__, map(len, datas)))
    except IndexError:  # a message of 16 KiB or more: a longer prefix
        return b"".join(map(delimit, datas))
    return b"".join(chain.from_iterable(zip(prefixes, datas, strict=True)))


def untag(batch: bytes) -> bytes:
    """The serialized batch message's items as delimited messages: each item's tag taken off,
    its length and bytes kept."""
    view = memoryview(batch)
    parts: list[memoryview] = []
    add = parts.append
    at, end = 0, len(batch)
    while at < end:  # at: an item's tag
        size = batch[at + 1]
        if size < 0x80:  # one or two bytes of length (under 16 KiB), inline
            stop = at + 2 + size
        else:
            high = batch[at + 2]
            if high < 0x80:
                stop = at + 3 + ((size & 0x7F) | high << 7)
            else:
                size, body = read_varint(batch, at + 1)
                stop = body + size
        add(view[at + 1 : stop])
        at = stop
    return b"".join(parts)


def longest_item(batch: bytes) -> int:
    """The length of the serialized batch message's longest item."""
    at, end, longest = 0, len(batch), 0
    while at < end:
        size, body = read_varint(batch, at + 1)
        longest = max(longest, size)
        at = body + size
    return longest


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
