"""Avro's single-object encoding: ``C3 01``, the 8-byte little-endian CRC-64-AVRO
fingerprint of the schema's Parsing Canonical Form, then the datum. A file of them is the
records back to back: nothing frames a datum, so the reader parses each to find the next.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from fmtbench.codecs.avro.codec import AvroCodec
from fmtbench.codecs.base import (
    EMPTY_STREAM,
    FramedWriter,
    Record,
    RecordReader,
    RecordWriter,
    oversized,
    refuse_oversized,
)
from fmtbench.errors import DecodeError, LimitError

MARKER = b"\xc3\x01"
HEAD = 10  # the marker and the fingerprint
_CHUNK = 1 << 16

#: CRC-64-AVRO (the Avro specification's fingerprint): the empty string's is this value.
EMPTY = 0xC15D213AA4D7A795


def _table() -> list[int]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp)
    return table


_TABLE = _table()


def crc64_avro(data: bytes) -> int:
    """The Rabin fingerprint the Avro specification defines (CRC-64-AVRO)."""
    fp = EMPTY
    for b in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ b) & 0xFF]
    return fp


class AvroSingleCodec(AvroCodec):
    """``avro-single``: each record as a single object, a file of them back to back."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fingerprint = crc64_avro(self.canonical_form.encode()).to_bytes(8, "little")
        self.head = MARKER + self.fingerprint

    def encode(self, record: Record) -> bytes:
        data = self.head + super().encode(record)
        if len(data) > self._max_bytes:  # the header counts: the reader reads it as the record's
            raise oversized(len(data), self._max_bytes, "Avro single object")
        return data

    def decode(self, data: bytes) -> Record:
        if len(data) > self._max_bytes:
            refuse_oversized(data, self._max_bytes)
        self.check_head(data, 0)
        return self.read_datum(data, HEAD, len(data), f"byte offset {HEAD}")

    def check_head(self, data: bytes, at: int) -> None:
        head = data[at : at + HEAD]
        if head[:2] != MARKER[: len(head)] or len(head) < 2:
            raise DecodeError(
                f"not Avro single-object encoding: the record starts with {head[:2].hex(' ')},"
                " not c3 01",
                position=f"byte offset {at}",
            )
        if len(head) < HEAD:
            raise DecodeError(
                f"truncated: {len(head)} bytes end inside the record's 10-byte header",
                position=f"byte offset {at}",
            )
        if head[2:] != self.fingerprint:
            raise DecodeError(
                f"the record's schema fingerprint {head[2:].hex()} is not that of"
                f" {self.schema.name}'s {self.message.name} ({self.fingerprint.hex()}, CRC-64-AVRO"
                " of its Parsing Canonical Form, little-endian)",
                position=f"byte offset {at}",
            )

    def reader(self, src: BinaryIO) -> RecordReader:
        return _SingleReader(self, src)

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        return FramedWriter(self.encode, out, name="avro-single")


class _SingleReader(RecordReader):
    """Records back to back: each datum parsed from a buffer, refilled when it runs out."""

    def __init__(self, codec: AvroSingleCodec, src: BinaryIO) -> None:
        self.codec, self.src = codec, src
        self.buffer = b""
        self.pos = 0  # where the next record starts in the buffer
        self.offset = 0  # the file offset of buffer[0]
        self.eof = False
        self.fed = 0

    def _more(self, want: int) -> bool:
        """Read at least ``want`` more bytes if the file has them; False at its end."""
        if self.eof:
            return False
        if self.pos:
            self.offset += self.pos
            self.buffer, self.pos = self.buffer[self.pos :], 0
        chunk = self.src.read(max(want, _CHUNK))
        if not chunk:
            self.eof = True
            return False
        self.fed += len(chunk)
        self.buffer += chunk
        return True

    def __next__(self) -> Record:
        codec = self.codec
        while len(self.buffer) - self.pos < HEAD and self._more(HEAD):
            pass
        left = len(self.buffer) - self.pos
        if left == 0:
            if self.fed == 0:
                raise DecodeError(EMPTY_STREAM.format(fmt="avro-single"))
            raise StopIteration
        start = self.offset + self.pos
        where = f"byte offset {start}"
        try:
            codec.check_head(self.buffer, self.pos)
            while True:
                try:
                    record, size = self._datum(where)
                    break
                except _NeedMore:
                    have = len(self.buffer) - self.pos
                    if have > codec._max_bytes:
                        raise LimitError(
                            f"the record is over the limit of {codec._max_bytes} bytes"
                            " (--max-record-bytes)",
                            position=where,
                        ) from None
                    if not self._more(len(self.buffer)):  # doubling: linear in the record
                        raise DecodeError(
                            f"truncated: the file ends {have} bytes into the record",
                            position=where,
                        ) from None
        except DecodeError as exc:
            raise exc.located(record=self.count + 1) from None
        self.count += 1
        self.pos += HEAD + size
        return record

    def _datum(self, where: str) -> tuple[Record, int]:
        codec, data = self.codec, self.buffer
        begin = self.pos + HEAD
        import io

        if codec._guarded:
            try:
                codec._walk(data, begin, len(data), where)
            except DecodeError as exc:
                if not self.eof and exc.problem.startswith("truncated"):
                    raise _NeedMore from None
                raise
        src = io.BytesIO(data)
        src.seek(begin)
        try:
            tree = codec.read_tree(src)
        except Exception as exc:  # fastavro's error says nothing of where: the walk does
            error = codec._malformed(data, begin, len(data), exc, where)
            if not self.eof and error.problem.startswith("truncated"):
                raise _NeedMore from None  # the buffer ends inside it: read on
            raise error from None
        size = src.tell() - begin
        if HEAD + size > codec._max_bytes:
            raise LimitError(
                f"the record is {HEAD + size} bytes, over the limit of {codec._max_bytes}"
                " (--max-record-bytes)",
                position=where,
            )
        return codec.from_tree(tree, size, where), size


class _NeedMore(Exception):
    """The buffer ends inside the datum, and the file may hold the rest."""
