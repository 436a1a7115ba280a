"""Avro through fastavro's C reader and writer: a record is one datum (schemaless binary,
as a message queue carries it); a file is an Object Container File (``container.py``).

The schema is compiled once (schema/avsc.py) and parsed once by fastavro; the canonical
record is checked and turned into fastavro's datum by a tree converter (``rules.py``), and
back. fastavro's errors name no field: ``explain.locate`` walks the bytes again to say
where a datum is bad.
"""

from __future__ import annotations

import io
import json
from typing import Any, BinaryIO

import fastavro
from fastavro import schemaless_reader, schemaless_writer

from fmtbench.codecs.avro import container
from fmtbench.codecs.avro.rules import DECODE_RULES, ENCODE_RULES
from fmtbench.codecs.avro.shape import min_sizes, schema_difference
from fmtbench.codecs.base import (
    Codec,
    Record,
    RecordReader,
    RecordWriter,
    decode_error,
    encode_error,
    oversized,
    refuse_oversized,
)
from fmtbench.codecs.values.canonical import explain
from fmtbench.codecs.values.tree import TreeConverter
from fmtbench.errors import DecodeError, EncodeError, LimitError, ValueMismatch
from fmtbench.schema.avsc import avro_schema, wire_schema
from fmtbench.schema.model import ListOf, MessageRef


class AvroCodec(Codec):
    """``avro``: a datum a record; files are Object Container Files."""

    def __init__(
        self, *args: Any, avro_codec: str = container.DEFAULT_CODEC, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        name = self.message.name
        self.avro_codec = container.check_codec(avro_codec)
        #: The schema as exported (``schema export --to avro``) and put in file headers.
        self.avsc = avro_schema(self.schema, name)
        self.schema_json = json.dumps(self.avsc, separators=(",", ":")).encode()
        self.canonical_form = fastavro.schema.to_parsing_canonical_form(
            fastavro.parse_schema(self.avsc)
        )
        # fastavro reads and writes the same bytes with maps as arrays of entries (avsc.py).
        self.wire = fastavro.parse_schema(wire_schema(self.schema, name))
        self._to_tree = TreeConverter(self.schema, ENCODE_RULES).message(name)
        self._from_tree = TreeConverter(
            self.schema, DECODE_RULES, drop_unknown=self.drop_unknown
        ).message(name)
        self._out = io.BytesIO()
        self._max_bytes = self.limits.max_record_bytes
        self.sizes = sizes = min_sizes(self.schema)
        #: The fewest bytes a record takes (0: a message of no fields, or of empty ones).
        self.min_size = sizes[name]
        # A list of items that take no bytes can claim any number of them in a few bytes:
        # such records are always counted, and walked before fastavro builds them.
        self._unbounded = any(
            isinstance(f.type, ListOf)
            and isinstance(f.type.item, MessageRef)
            and sizes[f.type.item.name] == 0
            for msg in self.schema.messages.values()
            for f in msg.fields
        )
        # fastavro recurses in C as deep as a datum nests: records of recursive schemas are
        # walked first, and refused past --max-depth (walk.py).
        self._guarded = self._unbounded or self._depth_check is not None

    def read_tree(self, src: BinaryIO, writer: Any = None) -> Any:
        """One datum as fastavro reads it: a union of several types as ``(branch, {"v": x})``
        (avro_wire.py); ``writer``: a file's writer schema, resolved against this one."""
        if writer is None:
            return schemaless_reader(src, self.wire, None, True, True)
        return schemaless_reader(src, writer, self.wire, True, True)

    # -- message mode ----------------------------------------------------------------------
    def to_tree(self, record: Record) -> Any:
        """The datum fastavro writes for a canonical record (EncodeError naming the field)."""
        try:
            return self._to_tree(record)
        except ValueMismatch as exc:
            raise encode_error(exc) from None

    def encode(self, record: Record) -> bytes:
        tree = self.to_tree(record)
        out = self._out
        out.seek(0)
        out.truncate()
        try:
            schemaless_writer(out, self.wire, tree)
        except (ValueError, TypeError, OverflowError) as exc:  # a lone surrogate, say
            raise explain(self.schema, self.message.name, record, exc, "Avro") from None
        data = out.getvalue()
        if len(data) > self._write_bound:  # a large record only: more checks then
            if len(data) > self._max_bytes:
                raise oversized(len(data), self._max_bytes, "Avro")
            self.refuse_too_many_values(record)
        return data

    def decode(self, data: bytes) -> Record:
        if len(data) > self._max_bytes:
            refuse_oversized(data, self._max_bytes)
        return self.read_datum(data, 0, len(data), "byte offset 0")

    def read_datum(self, data: bytes, start: int, end: int, where: str) -> Record:
        """The record whose datum is exactly ``data[start:end]``; ``where`` names it."""
        if self._guarded:
            self._walk(data, start, end, where)
        src = io.BytesIO(data)
        src.seek(start)
        try:
            tree = self.read_tree(src)
        except Exception as exc:  # fastavro's errors (EOFError, IndexError...) name nothing
            raise self._malformed(data, start, end, exc, where) from None
        if src.tell() != end:
            raise DecodeError(f"{end - src.tell()} extra bytes after the record", position=where)
        return self.from_tree(tree, end - start, where)

    def from_tree(self, tree: Any, size: int, where: str | None) -> Record:
        try:
            record: Record = self._from_tree(tree)
        except ValueMismatch as exc:
            raise decode_error(exc, position=where) from None
        if self._unbounded or size > self._safe_size:
            try:
                self.values.tree(record)
            except LimitError as exc:
                exc.position = where
                raise
        return record

    def _malformed(
        self, data: bytes, start: int, end: int, exc: Exception, where: str
    ) -> DecodeError:
        from fmtbench.codecs.avro.walk import locate

        found = locate(self, data, start, end)
        if found is not None:
            return DecodeError(found.problem, path=found.where, position=where)
        return DecodeError(f"malformed Avro: {exc or type(exc).__name__}", position=where)

    def _walk(self, data: bytes, start: int, end: int, where: str) -> None:
        from fmtbench.codecs.avro.walk import check_counts

        check_counts(self, data, start, end, where)

    # -- files -----------------------------------------------------------------------------
    def reader(self, src: BinaryIO) -> RecordReader:
        return ContainerReader(self, src)

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        return ContainerWriter(self, out)


def resolve_writer(text: bytes, codec: AvroCodec) -> Any:
    """A file's writer schema, rewritten as the codec's own is (avro_wire.py) and parsed."""
    from fmtbench.schema.avro_wire import wire_form

    try:
        return fastavro.parse_schema(wire_form(json.loads(text)))
    except Exception as exc:
        raise DecodeError(
            f"its avro.schema is not a valid Avro schema ({type(exc).__name__}: {exc})",
            position="header",
        ) from None


class ContainerWriter(RecordWriter):
    """Datums into blocks, each compressed and closed with the sync marker."""

    def __init__(self, codec: AvroCodec, out: BinaryIO) -> None:
        self.codec, self.out = codec, out
        self.sync = container.sync_marker(codec.schema_json)
        self.block: list[bytes] = []
        self.size = 0
        self.count = 0
        self.started = False

    def write(self, record: Record) -> None:
        self.count += 1
        try:
            data = self.codec.encode(record)
        except EncodeError as exc:
            raise exc.located(record=self.count) from None
        if not self.started:
            self._start()
        self.block.append(data)
        self.size += len(data)
        if self.size >= container.BLOCK_BYTES or len(self.block) >= container.BLOCK_RECORDS:
            self._flush()

    def _start(self) -> None:
        self.out.write(container.header(self.codec.schema_json, self.codec.avro_codec, self.sync))
        self.started = True

    def _flush(self) -> None:
        data = container.compress(self.codec.avro_codec, b"".join(self.block))
        head = container.zigzag(len(self.block)) + container.zigzag(len(data))
        self.out.write(head + data + self.sync)
        self.block, self.size = [], 0

    def close(self) -> None:
        if not self.started:
            self._start()  # a file of no records: the header alone, which reads as none
        if self.block:
            self._flush()


class ContainerReader(RecordReader):
    """Records block by block; the header's schema must be this codec's."""

    def __init__(self, codec: AvroCodec, src: BinaryIO) -> None:
        self.codec, self.src = codec, src
        limit = codec.limits.max_record_bytes
        self.cap = limit + container.BLOCK_SLACK
        meta, self.sync = container.read_header(src, self.cap)
        self.writer: Any = None
        self.difference = ""
        self.avro_codec = self._check(meta)
        self.block_no = 0
        self.data = b""
        self.at = self.left = 0
        self.where = ""

    def _check(self, meta: dict[str, bytes]) -> str:
        codec_name = meta.get("avro.codec", b"null").decode("utf-8", "replace") or "null"
        if codec_name not in container.CODECS:
            raise DecodeError(
                f"the file's codec {codec_name!r} is not one fmtbench reads"
                f" ({', '.join(container.CODECS)})",
                position="header",
            )
        if codec_name == "snappy":
            container.check_codec(codec_name)
        text = meta.get("avro.schema")
        if text is None:
            raise DecodeError("the header holds no avro.schema", position="header")
        difference = schema_difference(text, self.codec.canonical_form)
        if difference is not None:
            # Another schema: its datums are read by Avro's resolution rules (promotions,
            # defaults, skipped fields, aliases), in fastavro, against this one.
            self.difference = difference
            self.writer = resolve_writer(text, self.codec)
        return codec_name

    def __next__(self) -> Record:
        try:
            while self.left == 0:
                self._next_block()
        except DecodeError as exc:
            raise exc.located(record=self.count + 1) from None
        self.left -= 1
        self.count += 1
        codec, data, where = self.codec, self.data, self.where
        start = self.at
        try:
            src = io.BytesIO(data)
            src.seek(start)
            if codec._guarded and self.writer is None:
                codec._walk(data, start, len(data), where)
            try:
                tree = codec.read_tree(src, self.writer)
            except Exception as exc:
                if self.writer is not None:
                    raise self._unresolved(exc, where) from None
                raise codec._malformed(data, start, len(data), exc, where) from None
            self.at = end = src.tell()
            if end - start > codec._max_bytes:
                raise LimitError(
                    f"the record is {end - start:,} bytes, over the limit of"
                    f" {codec._max_bytes:,} (--max-record-bytes)",
                    position=where,
                )
            if self.left == 0 and end != len(data):
                raise DecodeError(
                    f"{len(data) - end} bytes left over after the block's records",
                    position=where,
                )
            return codec.from_tree(tree, end - start, where)
        except DecodeError as exc:
            raise exc.located(record=self.count) from None

    def _unresolved(self, exc: Exception, where: str) -> DecodeError:
        from fastavro.read import SchemaResolutionError

        if isinstance(exc, SchemaResolutionError):
            return DecodeError(
                f"the file's schema cannot be read as {self.codec.schema.name}'s"
                f" {self.codec.message.name} by Avro's resolution rules ({exc});"
                f" {self.difference}",
                position="header",
            )
        return DecodeError(f"malformed Avro: {exc or type(exc).__name__}", position=where)

    def _next_block(self) -> None:
        src = self.src
        at = self._offset()
        count = container.read_long(src.read, "a block's record count")
        if count is None:
            raise StopIteration
        self.block_no += 1
        where = (
            f"block {self.block_no} at byte offset {at}"
            if at is not None
            else f"block {self.block_no}"
        )
        size = container.read_long(src.read, "a block's byte count")
        if size is None:
            raise DecodeError(
                "truncated: the file ends after a block's record count", position=where
            )
        if count < 0 or size < 0:
            raise DecodeError(
                f"malformed block: a negative {'record' if count < 0 else 'byte'} count",
                position=where,
            )
        if size > self.cap:
            raise LimitError(
                f"the block declares {size:,} bytes, over the limit of {self.cap:,}"
                " (--max-record-bytes plus 1 MiB)",
                position=where,
            )
        raw = src.read(size)
        if len(raw) != size:
            raise DecodeError(
                f"truncated: the block declares {size:,} bytes and the file ends after {len(raw):,}",
                position=where,
            )
        sync = src.read(container.SYNC_SIZE)
        if sync != self.sync:
            problem = "truncated: the file ends before the block's sync marker"
            if len(sync) == container.SYNC_SIZE:
                problem = "the block's sync marker is not the header's: the file is damaged"
            raise DecodeError(problem, position=where)
        data = container.decompress(self.avro_codec, raw, self.cap)
        most = container.MAX_EMPTY_RECORDS if self.codec.min_size == 0 else len(data)
        if count > most:
            raise DecodeError(
                f"the block declares {count:,} records in {len(data):,} bytes, more than"
                f" it can hold",
                position=where,
            )
        if count == 0 and data:
            raise DecodeError(f"the block holds {len(data):,} bytes and no records", position=where)
        self.data, self.at, self.left, self.where = data, 0, count, where

    def _offset(self) -> int | None:
        try:
            return self.src.tell()
        except (OSError, AttributeError):
            return None
