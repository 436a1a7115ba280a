"""MessagePack, through msgpack's C extension.

The mapping (docs/formats.md): a message is a map keyed by field name; bytes are ``bin``;
timestamps the timestamp extension (type -1); enums by name; map keys keep their type
(integers and booleans stay integers and booleans). A file is a stream of one or more
objects, one per record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, BinaryIO

import msgpack
import msgspec

from fmtbench.codecs.base import (
    EMPTY_STREAM,
    Codec,
    FramedWriter,
    Record,
    RecordReader,
    RecordWriter,
    StructTarget,
    decode_error,
    encode_error,
    oversized,
    refuse_oversized,
)
from fmtbench.codecs.msgpack.keys import DuplicateKey, unique_map
from fmtbench.codecs.msgpack.typed import TypedMsgpack
from fmtbench.codecs.structs.levels import unwalked
from fmtbench.codecs.structs.read import REJECTED
from fmtbench.codecs.structs.write import (
    COMMON_GUARDS,
    DECLINED,
    WriteTarget,
    compile_writer,
    encode_unwalked,
)
from fmtbench.codecs.values.canonical import CANONICAL_SCALARS, enum_by_name, explain
from fmtbench.codecs.values.decimals import decimal_from_text, decimal_to_text
from fmtbench.codecs.values.leaves import (
    Conv,
    duration_check,
    duration_from_msgpack,
    duration_to_msgpack,
    mismatch,
    str_check,
    timestamp_check,
    timestamp_from_parts,
    timestamp_parts,
    utc_datetime_as_is,
)
from fmtbench.codecs.values.tree import TreeConverter, TreeRules
from fmtbench.errors import (
    DecodeError,
    EncodeError,
    LimitError,
    ValueMismatch,
    format_path,
    key_segment,
)
from fmtbench.limits import MSGPACK_COUNTS, Nesting
from fmtbench.schema.model import FieldType, ListOf, MapOf, MessageRef, Schema

_CHUNK = 1 << 16


def _timestamp_in(v: Any) -> Any:
    if type(v) is not msgpack.Timestamp:
        raise mismatch("timestamp (extension type -1)", v)
    return timestamp_from_parts(v.seconds, v.nanoseconds)


@utc_datetime_as_is
def _timestamp_out(v: Any) -> Any:
    v = timestamp_check(v)
    if v.__class__ is datetime:
        return v  # the packer writes the extension (datetime=True)
    return msgpack.Timestamp(*timestamp_parts(v))  # nanoseconds, which a datetime lacks


def _duration_out(v: Any) -> list[int]:
    return duration_to_msgpack(duration_check(v))


_FAST_SCALARS: dict[str, Conv] = {**CANONICAL_SCALARS, "string": str_check}

# The canonical form is already what msgpack writes (datetime=True packs the timestamp
# extension), so encoding only validates; strings skip the surrogate scan, since the
# packer rejects those itself and ``explain`` then finds the field.
ENCODE_RULES = TreeRules(
    scalar={**_FAST_SCALARS, "timestamp": _timestamp_out, "duration": _duration_out},
    enum=enum_by_name,
    map_key=_FAST_SCALARS,
    fill_missing=False,
    sort_maps=True,
    decimal=decimal_to_text,  # a str: MessagePack has no decimal type, and ext would need a peer
)

DECODE_RULES = TreeRules(
    scalar={**_FAST_SCALARS, "timestamp": _timestamp_in, "duration": duration_from_msgpack},
    enum=enum_by_name,
    map_key=_FAST_SCALARS,
    fill_missing=True,
    null_is_absent=True,
    decimal=decimal_from_text,
)


# raw=False: str must be valid UTF-8; strict_map_key=False: map<int32, V> has int keys;
# timestamp=0: keep Timestamp objects, so nanoseconds are kept, not cut.
_UNPACK_OPTIONS: dict[str, Any] = {
    "raw": False,
    "strict_map_key": False,
    "timestamp": 0,
    "use_list": True,
    "object_pairs_hook": unique_map,  # duplicate keys are an error (keys.py)
}


#: msgpack's words for a declared length past ``max_*_len``: "65 exceeds max_array_len(64)".
_OVER_LENGTH = re.compile(r"([0-9]+) exceeds max_(array|map|str|bin|ext)_len\(([0-9]+)\)")
_WHAT = {
    "array": "a list",
    "map": "a map",
    "str": "a string",
    "bin": "bytes",
    "ext": "an extension",
}


def unpack_error(exc: Exception, max_depth: int, position: str) -> DecodeError:
    """msgpack's refusal as one line: its nesting cap (StackError, 1024 containers) is a
    limit, said as one; an exception without a message is named by its kind."""
    if isinstance(exc, DuplicateKey):
        return DecodeError(str(exc), position=position)
    if isinstance(exc, msgpack.StackError):
        return LimitError(
            f"nested too deeply to read: over 1024 containers, past the limit of {max_depth}"
            " levels (--max-depth)",
            position=position,
        )
    if m := _OVER_LENGTH.fullmatch(str(exc)):  # a declared length past the unpacker's caps
        count, kind, most = int(m[1]), m[2], int(m[3])
        if kind in ("array", "map"):
            return LimitError(
                f"{_WHAT[kind]} of {count:,} elements, over the {most:,} that MessagePack"
                " stream readers allow one array or map (--max-record-bytes / 16)",
                position=position,
            )
        return LimitError(
            f"{_WHAT[kind]} of {count:,} bytes, over the limit of {most:,} (--max-record-bytes)",
            position=position,
        )
    return DecodeError(f"malformed MessagePack: {exc or type(exc).__name__}", position=position)


def max_items(max_record_bytes: int) -> int:
    """The most elements the stream reader lets one array or map declare.

    msgpack allocates a list or dict for a declared length before its items arrive, so
    those lengths are capped below the byte limit: an element takes at least one byte, and
    a pointer eight, so a 5-byte header cannot claim gigabytes.
    """
    return max(max_record_bytes // 16, 1)


def _unpacker(max_record_bytes: int) -> msgpack.Unpacker:
    """A streaming unpacker that holds at most one record's bytes (and ``max_items``)."""
    items = max_items(max_record_bytes)
    return msgpack.Unpacker(
        **_UNPACK_OPTIONS,
        max_buffer_size=max_record_bytes + _CHUNK,  # a record and the chunk after it
        max_str_len=max_record_bytes,
        max_bin_len=max_record_bytes,
        max_ext_len=max_record_bytes,
        max_array_len=items,
        max_map_len=items,
    )


#: The typed path's Structs written back, for the duplicate-key proof (keys.py).
_encode_structs = msgspec.msgpack.Encoder().encode

#: The shared msgspec writer, as MessagePack.
WRITE_TARGET = WriteTarget(
    lambda: msgspec.msgpack.Encoder(order="deterministic"),
    {
        # msgspec's MessagePack encoder refuses an integer past 2**64 - 1 itself
        # (OverflowError, one of DECLINED): no guard for uint64's top.
        **{k: v for k, v in COMMON_GUARDS.items() if k != "uint64"},
        # Floats only (write.py types float fields so): any float64 is written as the tree
        # path writes it. NaN fails (NaN != NaN): the tree path's float32 rounding may
        # change its payload.
        "float32": "x == _float32(x)",
    },
    msgpack=True,
)


#: msgpack's unpacker refuses more than 1,024 nested arrays and maps (StackError; measured:
#: 1,024 read).
MSGPACK = Nesting(
    unit="arrays and maps",
    root=1,
    counts=MSGPACK_COUNTS,
    reader="MessagePack readers (msgpack)",
    cap=1024,
)


class MsgpackCodec(Codec):
    nesting = MSGPACK

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._check = TreeConverter(self.schema, ENCODE_RULES).message(self.message.name)
        self._from_tree = TreeConverter(
            self.schema, DECODE_RULES, drop_unknown=self.drop_unknown
        ).message(self.message.name)
        self._packer = msgpack.Packer(use_bin_type=True, datetime=True)
        # The fast reading path (typed.py): it only ever accepts; on any refusal
        # the bytes are read again below, which returns the record or today's error.
        self._typed = TypedMsgpack(self.schema, self.message.name, drop_unknown=self.drop_unknown)
        self._parse, self._convert = self._typed.parse, self._typed.convert
        # msgspec checks and writes the same bytes in C (structs/write.py), or declines.
        writer = compile_writer(self.schema, self.message.name, WRITE_TARGET)
        self._fast_encode = writer.encode if writer is not None else None
        self._max_bytes = self.limits.max_record_bytes
        self._crowded = _element_counts(self.schema, self.message.name)
        # A recursive record is walked for --max-depth before it is written (base.py):
        # the fast path counts its levels instead (structs/levels.py); only a record that
        # could be too deep, or that the fast path declines, is walked.
        self._unwalked = unwalked(self, writer.encode_within if writer is not None else None)
        if self._unwalked is not None:
            self._walked = self.encode
            self.encode = encode_unwalked(  # type: ignore[method-assign,assignment]
                self._unwalked, self._walked, self._sized
            )

    def encode(self, record: Record) -> bytes:
        data = None
        if self._fast_encode is not None:
            try:
                data = self._fast_encode(record)
            except DECLINED:
                data = None  # the tree path, outside the handler: no chain to msgspec's refusal
        if data is None:
            data = self._encode_tree(record)
        if len(data) > self._write_bound:  # the call only then: this runs once a record
            return self._sized(data, record)
        return data

    def _sized(self, data: bytes, record: Record) -> bytes:
        if len(data) > self._write_bound:  # a large record only: more checks then
            if len(data) > self._max_bytes:  # what decode() and the stream reader refuse
                raise oversized(len(data), self._max_bytes, "MessagePack")
            self.refuse_too_many_values(record)
        return data

    def _encode_tree(self, record: Record) -> bytes:
        try:
            tree = self._check(record)
        except ValueMismatch as exc:
            raise encode_error(exc) from None
        try:
            return self._packer.pack(tree)  # type: ignore[no-any-return]
        except (ValueError, TypeError, OverflowError) as exc:
            raise explain(self.schema, self.message.name, record, exc, "MessagePack") from None

    def from_tree(self, tree: Any, position: str | None = None) -> Record:
        try:
            return self._from_tree(tree)  # type: ignore[no-any-return]
        except ValueMismatch as exc:
            raise decode_error(exc, position=position) from None

    def decode(self, data: bytes) -> Record:
        # Spelled out, not calls to refuse_oversized and the typed reader's decode: this
        # runs once a record, at about a microsecond and a half.
        if len(data) > self.limits.max_record_bytes:
            refuse_oversized(data, self.limits.max_record_bytes)
        if len(data) > self._safe_size:  # a large record only (values/count.py)
            self._count_values(data)
        try:
            struct = self._parse(data)
            record = self._convert(struct)
        except REJECTED:
            pass  # outside the handler, so that errors do not chain msgspec's refusal
        else:
            # keys.py: msgspec keeps the last of two equal keys. No entry was dropped when
            # the Structs written back are the input itself, or exactly as long with
            # nothing float32-encoded.
            back = _encode_structs(struct)
            if back != data and (b"\xca" in data or len(back) != len(data)):
                self._refuse_duplicates(data)
            return record
        try:
            # One call in C (6x cheaper than an Unpacker per record); anything it refuses is
            # read again below, where truncation and trailing bytes get their own messages.
            tree = msgpack.unpackb(data, **_UNPACK_OPTIONS)
        except DuplicateKey as exc:
            raise DecodeError(str(exc), position="byte offset 0") from None
        except Exception:
            return self._decode_explained(data)
        return self.from_tree(tree)

    def _count_values(self, data: bytes) -> None:
        """Refuse a record that would expand past the values limit: counted on msgpack's
        plain tree, before msgspec builds the record with its zero-filled fields."""
        try:
            tree = msgpack.unpackb(data, **_UNPACK_OPTIONS)
        except Exception:
            return  # malformed: the paths below name the problem
        try:
            self.values.tree(tree)
        except LimitError as exc:
            exc.position = "byte offset 0"
            raise

    def _refuse_duplicates(self, data: bytes) -> None:
        """The full check of keys.py: the input parsed again with ``unique_map``."""
        try:
            msgpack.unpackb(data, **_UNPACK_OPTIONS)
        except DuplicateKey as exc:
            raise DecodeError(str(exc), position="byte offset 0") from None
        except Exception:
            self._decode_explained(data)  # raises, with the message the tree path gives

    def _decode_explained(self, data: bytes) -> Record:
        unpacker = _unpacker(max(len(data), 1))
        unpacker.feed(data)
        try:
            tree = unpacker.unpack()
        except msgpack.OutOfData:
            raise DecodeError(
                f"truncated MessagePack: {len(data)} bytes end inside the record"
            ) from None
        except (ValueError, TypeError, msgpack.UnpackException) as exc:
            raise unpack_error(exc, self.limits.max_depth, "byte offset 0") from None
        if unpacker.tell() != len(data):
            raise DecodeError(
                f"{len(data) - unpacker.tell()} extra bytes after the record",
                position=f"byte offset {unpacker.tell()}",
            )
        return self.from_tree(tree)

    def reader(self, src: BinaryIO) -> RecordReader:
        return _MsgpackReader(self, src)

    def writer(self, out: BinaryIO, *, single: bool = False) -> FramedWriter:
        # The stream reader also caps each array's and map's declared length: a record of
        # more bytes than that cap is the only kind that may hold one too long.
        most = max_items(self._max_bytes)
        return FramedWriter(self.encode, out, name="msgpack", bulky=(most, self._refuse_crowded))

    def writer_for_decoded(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        writer = self.writer(out, single=single)
        if self._fast_encode is not None and self.write_check() is None:
            # A JSON reader's Structs, where they are canonical, are what the fast path
            # would have built from the record (structs/direct.py): the same bytes.
            most = min(self._write_bound, max_items(self._max_bytes))
            encode = WRITE_TARGET.encoder().encode

            def encode_all(structs: list[Any]) -> bytes | None:
                datas = list(map(encode, structs))
                return b"".join(datas) if max(map(len, datas)) <= most else None

            writer.structs = StructTarget(encode_all)
        return writer

    def _refuse_crowded(self, record: Record) -> None:
        most = max_items(self._max_bytes)
        found = self._crowded(record, most)
        if found is not None:
            what, count, path = found
            raise EncodeError(
                f"{what} of {count:,} elements, over the {most:,} that MessagePack stream"
                " readers allow one array or map (--max-record-bytes / 16)",
                path=format_path(path),
            )


class _MsgpackReader(RecordReader):
    """Feeds the unpacker chunk by chunk, so a truncated last record is seen, not skipped."""

    def __init__(self, codec: MsgpackCodec, src: BinaryIO) -> None:
        self.codec, self.src = codec, src
        self.limit = codec.limits.max_record_bytes
        self.unpacker = _unpacker(self.limit)
        self.fed = 0
        self.offset = 0  # where the next record starts
        self.eof = False

    def __next__(self) -> Record:
        start = self.offset
        while True:
            try:
                tree = self.unpacker.unpack()
                break
            except msgpack.OutOfData:
                if self.eof:
                    if self.fed == 0:
                        raise DecodeError(EMPTY_STREAM.format(fmt="msgpack")) from None
                    if start == self.fed:
                        raise StopIteration from None
                    raise DecodeError(
                        f"truncated: the file ends {self.fed - start} bytes into the record",
                        position=f"byte offset {start}",
                        record=self.count + 1,
                    ) from None
                chunk = self.src.read(_CHUNK)
                if chunk:
                    try:
                        self.unpacker.feed(chunk)
                    except msgpack.BufferFull:
                        raise LimitError(
                            f"the record is over the limit of {self.limit} bytes"
                            " (--max-record-bytes)",
                            position=f"byte offset {start}",
                            record=self.count + 1,
                        ) from None
                    self.fed += len(chunk)
                else:
                    self.eof = True
            except (ValueError, TypeError, msgpack.UnpackException) as exc:
                error = unpack_error(exc, self.codec.limits.max_depth, f"byte offset {start}")
                raise error.located(record=self.count + 1) from None
        self.count += 1
        self.offset = self.unpacker.tell()
        if self.offset - start > self.limit:  # the buffer's cap is a chunk looser
            raise LimitError(
                f"the record is {self.offset - start} bytes, over the limit of {self.limit}"
                " (--max-record-bytes)",
                position=f"byte offset {start}",
                record=self.count,
            )
        try:
            if not self.codec.values.safe(self.offset - start):
                self.codec.values.tree(tree)  # before from_tree zero-fills it
            return self.codec.from_tree(tree, position=f"byte offset {start}")
        except DecodeError as exc:
            if exc.position is None:
                exc.position = f"byte offset {start}"
            raise exc.located(record=self.count) from None


#: Where a record holds too many elements: what holds them, how many, and its path.
Crowd = tuple[str, int, tuple[str | int, ...]]


def _held(t: FieldType) -> str:
    """The message a field's values are, or ""."""
    inner = t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else t
    return inner.name if isinstance(inner, MessageRef) else ""


def _element_counts(schema: Schema, root: str) -> Callable[[Record, int], Crowd | None]:
    """The first array or map of a canonical record (a message is a map of the fields it
    has) with more elements than a count, found by the schema. Run only on records large
    enough to hold one, once ``encode`` accepted them."""
    plans = {
        name: [
            (f.name, f.type, _held(f.type))
            for f in msg.fields
            if isinstance(f.type, ListOf | MapOf | MessageRef)
        ]
        for name, msg in schema.messages.items()
    }

    def crowded(record: Record, most: int) -> Crowd | None:
        todo: list[tuple[Any, str, tuple[str | int, ...]]] = [(record, root, ())]
        while todo:
            message, name, path = todo.pop()
            if len(message) > most:
                return "a message (a map of its fields)", len(message), path
            for field, ftype, inner in plans[name]:
                x = message.get(field)
                if x is None:
                    continue
                here = (*path, field)
                if isinstance(ftype, MessageRef):
                    todo.append((x, inner, here))
                elif len(x) > most:
                    return ("a list" if isinstance(ftype, ListOf) else "a map"), len(x), here
                elif inner and isinstance(ftype, ListOf):
                    todo.extend((v, inner, (*here, i)) for i, v in enumerate(x))
                elif inner:
                    todo.extend((v, inner, (*here, key_segment(k))) for k, v in x.items())
        return None

    return crowded
