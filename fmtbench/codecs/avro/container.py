"""Avro Object Container Files: the header, the blocks, their compression.

A container is ``Obj\\x01``, a metadata map (``avro.schema``, ``avro.codec``), a 16-byte sync
marker, then blocks: a record count, a byte count, that many (compressed) bytes of datums
back to back, the sync marker again. fastavro reads and writes the datums; the framing is
done here, so that every declared count and length is checked against the limits before
anything is allocated or decompressed, and every error names the block and its byte offset
(fastavro's own reader would read a declared length whole, and inflate a block unbounded).
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
import zlib
from collections.abc import Callable
from typing import BinaryIO

from fmtbench.errors import DecodeError, LimitError, UsageError

MAGIC = b"Obj\x01"
SYNC_SIZE = 16
#: Codecs by name, as ``avro.codec`` spells them; ``null`` is the default (docs/formats.md).
CODECS = ("null", "deflate", "snappy", "zstandard", "bzip2", "xz")
DEFAULT_CODEC = "null"
#: A block is written once it holds this many bytes of datums (fastavro's and Java's order
#: of size), or this many records (records of no bytes at all would never fill one).
BLOCK_BYTES = 16_000
BLOCK_RECORDS = 10_000
#: Most records a block may declare when a record can take no bytes (a message without
#: fields): otherwise each record takes a byte at least, and the block's length bounds them.
MAX_EMPTY_RECORDS = 1 << 20
#: Room beside the largest record in a block: a block holds records up to BLOCK_BYTES, then
#: the one that filled it.
BLOCK_SLACK = 1 << 20


def check_codec(name: str) -> str:
    if name not in CODECS:
        raise UsageError(f"unknown Avro codec {name!r}: use one of {', '.join(CODECS)}")
    if name == "snappy":
        _cramjam()
    return name


def _cramjam() -> object:
    try:
        import cramjam
    except ImportError:
        raise UsageError(
            "the Avro codec snappy needs cramjam, which is not installed:"
            " pip install 'fmtbench[avro]'"
        ) from None
    return cramjam


# -- varints -----------------------------------------------------------------------------------
def zigzag(n: int) -> bytes:
    """An Avro ``long``: zigzag, then a little-endian base-128 varint."""
    u = (n << 1) ^ (n >> 63)
    out = bytearray()
    while u > 0x7F:
        out.append((u & 0x7F) | 0x80)
        u >>= 7
    out.append(u)
    return bytes(out)


def read_long(read: Callable[[int], bytes], what: str) -> int | None:
    """An Avro ``long`` from a stream; None at the very end of it."""
    shift = result = 0
    for i in range(10):
        b = read(1)
        if not b:
            if i == 0:
                return None
            raise DecodeError(f"truncated: the file ends inside {what}")
        result |= (b[0] & 0x7F) << shift
        if b[0] < 0x80:
            return (result >> 1) ^ -(result & 1)
        shift += 7
    raise DecodeError(f"malformed {what}: a varint longer than 10 bytes")


# -- header --------------------------------------------------------------------------------------
def sync_marker(schema_json: bytes) -> bytes:
    """The sync marker fmtbench writes: derived from the schema, so that the same records
    give the same file (readers only compare it with the header's)."""
    return hashlib.blake2b(schema_json, digest_size=SYNC_SIZE, person=b"fmtbench-avro").digest()


def header(schema_json: bytes, codec: str, sync: bytes) -> bytes:
    meta = {"avro.schema": schema_json, "avro.codec": codec.encode()}
    out = bytearray(MAGIC)
    out += zigzag(len(meta))
    for key, value in meta.items():
        out += zigzag(len(key)) + key.encode() + zigzag(len(value)) + value
    out += zigzag(0) + sync
    return bytes(out)


def read_header(src: BinaryIO, cap: int) -> tuple[dict[str, bytes], bytes]:
    """The metadata and the sync marker; ``cap`` bounds any declared length."""
    magic = src.read(4)
    if magic != MAGIC:
        if not magic:
            raise DecodeError("the input is empty: an Avro container file starts with Obj\\x01")
        raise DecodeError(
            f"not an Avro container file: it starts with {magic!r}, not b'Obj\\x01'",
            position="byte offset 0",
        )
    meta: dict[str, bytes] = {}
    while True:
        count = read_long(src.read, "the header's metadata")
        if count is None:
            raise DecodeError("truncated: the file ends inside the header")
        if count == 0:
            break
        if count < 0:  # a negative count is followed by the block's size in bytes
            count = -count
            read_long(src.read, "the header's metadata")
        if count > cap:
            raise LimitError(f"the header declares {count:,} metadata entries")
        for _ in range(count):
            key = _read_bytes(src, cap, "a metadata key").decode("utf-8", "replace")
            value = _read_bytes(src, cap, f"the metadata value {key!r}")
            if key in meta:
                raise DecodeError(f"the header holds the metadata key {key!r} twice")
            meta[key] = value
    sync = src.read(SYNC_SIZE)
    if len(sync) != SYNC_SIZE:
        raise DecodeError("truncated: the file ends inside the header's sync marker")
    return meta, sync


def _read_bytes(src: BinaryIO, cap: int, what: str) -> bytes:
    size = read_long(src.read, what)
    if size is None:
        raise DecodeError(f"truncated: the file ends inside the header, at {what}")
    if size < 0:
        raise DecodeError(f"malformed header: {what} has a negative length ({size})")
    if size > cap:
        raise LimitError(
            f"{what} in the header is {size:,} bytes, over the limit of {cap:,}"
            " (--max-record-bytes)"
        )
    data = src.read(size)
    if len(data) != size:
        raise DecodeError(f"truncated: the file ends inside the header, in {what}")
    return data


# -- compression ---------------------------------------------------------------------------------
def compress(codec: str, data: bytes) -> bytes:
    if codec == "null":
        return data
    if codec == "deflate":  # raw deflate, no zlib header (the Avro specification)
        c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if codec == "snappy":  # raw snappy, then the big-endian CRC-32 of the uncompressed bytes
        crc = zlib.crc32(data).to_bytes(4, "big")
        return bytes(_cramjam().snappy.compress_raw(data)) + crc  # type: ignore[attr-defined]
    if codec == "zstandard":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    if codec == "bzip2":
        return bz2.compress(data)
    if codec == "xz":
        return lzma.compress(data)
    raise AssertionError(codec)


def decompress(codec: str, data: bytes, cap: int) -> bytes:
    """A block's datums; more than ``cap`` bytes is a LimitError, found before they are all
    made (a small block may inflate to gigabytes); bad data a DecodeError."""
    if codec == "null":
        return data
    try:
        out = _decompress(codec, data, cap)
    except (LimitError, DecodeError):
        raise
    except Exception as exc:  # each library's own error types: all mean bad data here
        raise DecodeError(
            f"the block is not valid {codec} data: {exc or type(exc).__name__}"
        ) from None
    if len(out) > cap:
        raise _too_big(codec, cap)
    return out


def _decompress(codec: str, data: bytes, cap: int) -> bytes:
    if codec == "deflate":
        d = zlib.decompressobj(-15)
        out = d.decompress(data, cap + 1)
        if len(out) <= cap and not d.eof:
            raise DecodeError("the block is not valid deflate data: it ends early")
        return out
    if codec == "snappy":
        if len(data) < 4:
            raise DecodeError("the block is not valid snappy data: shorter than its checksum")
        body, crc = data[:-4], data[-4:]
        if _snappy_length(body) > cap:  # declared up front: checked before it is made
            raise _too_big(codec, cap)
        out = bytes(_cramjam().snappy.decompress_raw(body))  # type: ignore[attr-defined]
        if zlib.crc32(out).to_bytes(4, "big") != crc:
            raise DecodeError("the block's snappy checksum does not match its data")
        return out
    if codec == "zstandard":
        import io

        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
        return reader.read(cap + 1)
    if codec == "bzip2":
        b = bz2.BZ2Decompressor()
        out = b.decompress(data, cap + 1)
        if len(out) <= cap and not b.eof:
            raise DecodeError("the block is not valid bzip2 data: it ends early")
        return out
    if codec == "xz":
        x = lzma.LZMADecompressor()
        out = x.decompress(data, cap + 1)
        if len(out) <= cap and not x.eof:
            raise DecodeError("the block is not valid xz data: it ends early")
        return out
    raise AssertionError(codec)


def _snappy_length(body: bytes) -> int:
    shift = result = 0
    for b in body[:10]:
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result
        shift += 7
    raise DecodeError("the block is not valid snappy data: no length")


def _too_big(codec: str, cap: int) -> LimitError:
    return LimitError(
        f"the block decompresses ({codec}) to more than {cap:,} bytes, over the limit a block"
        " may hold (--max-record-bytes plus 1 MiB)"
    )
