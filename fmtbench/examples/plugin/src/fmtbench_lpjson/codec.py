"""The codec: a record is fmtbench's JSON message; a file frames each with its length.

Everything hard (validation, exact numbers, duplicate keys, limits) is the JSON codec's; this
module adds the framing and reports framing errors with the record and the byte offset.
"""

from __future__ import annotations

from typing import BinaryIO

from fmtbench import DecodeError, LimitError, codec_for
from fmtbench.codecs import Codec, Record, RecordReader, RecordWriter
from fmtbench.errors import EncodeError
from fmtbench.limits import DEFAULT_LIMITS, Limits
from fmtbench.schema import Schema

HEADER = 4  # bytes of big-endian length before every record
MAX_FRAME = (1 << 32) - 1


class LengthPrefixedJsonCodec(Codec):
    def __init__(
        self,
        schema: Schema,
        type_name: str | None = None,
        *,
        drop_unknown: bool = False,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(schema, type_name, drop_unknown=drop_unknown, limits=limits)
        self.json = codec_for("json", schema, type_name, drop_unknown=drop_unknown, limits=limits)

    def encode(self, record: Record) -> bytes:
        return self.json.encode(record)

    def decode(self, data: bytes) -> Record:
        return self.json.decode(data)

    def reader(self, src: BinaryIO) -> RecordReader:
        return _Reader(self, src)

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        return _Writer(self, out)


class _Reader(RecordReader):
    def __init__(self, codec: LengthPrefixedJsonCodec, src: BinaryIO) -> None:
        self.codec, self.src, self.offset = codec, src, 0

    def _fail(self, cls: type[DecodeError], problem: str, at: int) -> DecodeError:
        exc = cls(problem, position=f"byte offset {at}")
        exc.located(record=self.count + 1)
        return exc

    def __next__(self) -> Record:
        start = self.offset
        header = self.src.read(HEADER)
        if not header:
            raise StopIteration
        if len(header) < HEADER:
            raise self._fail(DecodeError, f"truncated: a {len(header)}-byte length", start)
        length = int.from_bytes(header, "big")
        limit = self.codec.limits.max_record_bytes
        if length > limit:
            raise self._fail(
                LimitError,
                f"declares {length} bytes, over the limit of {limit} (--max-record-bytes)",
                start,
            )
        body = self.src.read(length)
        if len(body) < length:
            raise self._fail(
                DecodeError, f"truncated: declares {length} bytes but {len(body)} remain", start
            )
        self.offset += HEADER + length
        try:
            record = self.codec.decode(body)
        except DecodeError as exc:
            if exc.position is None:
                exc.position = f"byte offset {start + HEADER}"
            raise exc.located(record=self.count + 1) from None
        self.count += 1
        return record


class _Writer(RecordWriter):
    def __init__(self, codec: LengthPrefixedJsonCodec, out: BinaryIO) -> None:
        self.codec, self.out, self.count = codec, out, 0

    def write(self, record: Record) -> None:
        self.count += 1
        try:
            data = self.codec.encode(record)
        except EncodeError as exc:
            raise exc.located(record=self.count) from None
        if len(data) > MAX_FRAME:
            raise EncodeError(f"{len(data)} bytes do not fit a 4-byte length", record=self.count)
        self.out.write(len(data).to_bytes(HEADER, "big") + data)

    def close(self) -> None:
        pass
