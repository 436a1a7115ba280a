"""BSON, through pymongo's ``bson`` C extension.

The mapping (docs/formats.md, "BSON details"; leaf rules in ``leaves.py``): a message is a
document keyed by field name; a list an array; a map a document keyed by the key's text;
bytes binary subtype 0; enums by name. A file is documents back to back, as mongodump
writes a collection: each read by its length prefix, never the whole file at once.

Duplicate keys are legal on BSON's wire and pymongo keeps the last of them silently, so a
record read is proven free of them by length: the length of the document pymongo returned,
as pymongo writes it, equals the input's only when no element was dropped (an element is at
least two bytes: its type and its key's NUL). The fast path (``fast_read.py``) sums that
length from the values as it converts them; the reference path writes the document again.
Anything else (a wider spelling another writer chose, array keys other than "0", "1"...)
is read once more with a document class that refuses a key set twice. The length proof
alone has one gap: pymongo ignores array keys, and keys *shorter* than "0", "1"... could
save exactly the bytes of a dropped duplicate. So a record whose schema has lists is proven
by bytes instead: pymongo writes the document it returned again, and the two must be equal
(they are for every document with canonical array keys and no duplicate), else the slow
check decides. That costs a ``bson.encode`` a record, for those schemas only.

Writing and reading, compiled per-schema fast paths (``fast_write.py``, ``fast_read.py``)
take the usual records and trees; whatever they do not convert the usual way goes to the
reference converters (``values/tree.py`` with the rules below), so results and errors are
the reference's.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from fmtbench.codecs.bson import library
from fmtbench.schema.model import ListOf, Schema, reachable_messages

library.require()  # before anything is imported from bson: pymongo's, with C

import bson  # noqa: E402
from bson.codec_options import CodecOptions, DatetimeConversion  # noqa: E402
from bson.errors import InvalidDocument  # noqa: E402

from fmtbench.codecs.base import (  # noqa: E402
    Codec,
    FramedWriter,
    Record,
    RecordReader,
    RecordWriter,
    decode_error,
    encode_error,
    oversized,
)
from fmtbench.codecs.bson import leaves  # noqa: E402
from fmtbench.codecs.bson.fast_read import FastReader  # noqa: E402
from fmtbench.codecs.bson.fast_write import FastWriter  # noqa: E402
from fmtbench.codecs.values.canonical import enum_by_name, explain  # noqa: E402
from fmtbench.codecs.values.leaves import (  # noqa: E402
    Conv,
    bool_check,
    bytes_check,
    float32_round,
    float64_check,
    int_check,
    str_check,
)
from fmtbench.codecs.values.tree import TreeConverter, TreeRules  # noqa: E402
from fmtbench.errors import DecodeError, LimitError, ValueMismatch  # noqa: E402
from fmtbench.limits import TREE_COUNTS, Nesting  # noqa: E402

_INTS = ("int32", "int64", "uint32", "uint64")

ENCODE_RULES = TreeRules(
    scalar={
        "bool": bool_check,
        "int32": int_check("int32"),
        "uint32": int_check("uint32"),  # above int32's range pymongo writes an int64
        "int64": leaves.int64_out("int64"),
        "uint64": leaves.int64_out("uint64"),
        "float32": float32_round,
        "float64": float64_check,
        "string": str_check,  # lone surrogates: pymongo refuses, ``explain`` names the field
        "bytes": bytes_check,
        "timestamp": leaves.timestamp_out,
        "duration": leaves.duration_out,
    },
    decimal=leaves.decimal_out,
    enum=enum_by_name,
    map_key={
        "string": leaves.key_out_string,
        "bool": leaves.key_out_bool,
        **{k: leaves.key_out_int(k) for k in _INTS},
    },
    fill_missing=False,
    sort_maps=True,
)

DECODE_RULES = TreeRules(
    scalar={
        "bool": bool_check,
        "int32": leaves.int_in("int32"),  # an int32, or an int64 within int32's range
        "uint32": leaves.int_in("uint32"),
        "int64": leaves.int_in("int64"),
        "uint64": leaves.int_in("uint64"),
        "float32": leaves.float32_in,
        "float64": float64_check,  # a double, or an int32 a double holds
        "string": str_check,
        "bytes": bytes_check,  # binary subtype 0 only: other subtypes are ``Binary``
        "timestamp": leaves.timestamp_in,
        "duration": leaves.duration_in,
    },
    decimal=leaves.decimal_in,
    enum=enum_by_name,
    map_key={
        "string": str_check,
        "bool": leaves.key_in_bool,
        **{k: leaves.key_in_int(k) for k in _INTS},
    },
    fill_missing=True,
    null_is_absent=True,
)

#: What ``bson.decode`` returns: plain dicts; naive datetimes (UTC; 15x cheaper than
#: pymongo's tz conversion), and a ``DatetimeMS`` instead of an OverflowError outside years
#: 1..9999; strict UTF-8 in keys and strings.
OPTIONS: CodecOptions[dict[str, Any]] = CodecOptions(
    document_class=dict,
    tz_aware=False,
    unicode_decode_error_handler="strict",
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
)


class DuplicateKey(ValueError):
    """A key set twice in one document."""


class _UniqueDocument(dict[str, Any]):
    """A document that refuses a key set twice: the full check (see the module docstring)."""

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self:
            raise DuplicateKey(f"duplicate key {key!r}: one of its values would be dropped")
        super().__setitem__(key, value)


_UNIQUE: CodecOptions[dict[str, Any]] = OPTIONS.with_options(document_class=_UniqueDocument)

#: pymongo's C code recurses once a document and stops at Python's recursion limit (1,000
#: frames, the caller's included): fmtbench writes no more than 500 nested documents (arrays
#: too), so that what it writes reads back from any reasonable call depth.
BSON_NESTING = Nesting(
    unit="documents and arrays",
    root=1,
    # A timestamp finer than a millisecond and a duration are documents of their own.
    counts={
        **TREE_COUNTS,
        "timestamp": (0, 1),
        "timestamps": (1, 1),
        "timestamp_map": (1, 1),
        "duration": (0, 1),
        "durations": (1, 1),
        "duration_map": (1, 1),
    },
    reader="BSON readers (pymongo)",
    cap=500,
)

_encode = bson.encode
_decode = bson.decode
#: What ``bson.encode(doc)`` and ``bson.decode(data, OPTIONS)`` call (pymongo's C functions,
#: ``library.require`` made sure), without their Python wrappers: hot paths only.
_to_bson = bson._dict_to_bson
_to_dict = bson._bson_to_dict
_PLAIN_OPTIONS = bson.DEFAULT_CODEC_OPTIONS
MIN_DOCUMENT = 5  # a length prefix and the terminating NUL


def bson_error(exc: Exception, position: str) -> DecodeError:
    """pymongo's refusal as one line; its recursion stop is the depth limit."""
    if isinstance(exc, DuplicateKey):
        return DecodeError(str(exc), position=position)
    text = str(exc) or type(exc).__name__
    if "recursion" in text:
        return LimitError(
            f"nested too deeply to read: past {BSON_NESTING.cap} documents, beyond what"
            " pymongo reads (--max-depth)",
            position=position,
        )
    return DecodeError(f"malformed BSON: {text}", position=position)


def frame_problem(data: bytes) -> str | None:
    """What is wrong with one document's frame (its length prefix against its bytes)."""
    if len(data) < 4:
        return f"truncated BSON: {len(data)} bytes, less than a document's length prefix"
    size = int.from_bytes(data[:4], "little", signed=True)
    if size < MIN_DOCUMENT:
        return f"a document declares {size} bytes, less than the {MIN_DOCUMENT} of an empty one"
    if size > len(data):
        return f"truncated BSON: the document declares {size} bytes, {len(data)} are there"
    if size < len(data):
        return f"{len(data) - size} extra bytes after the document"
    if data[-1] != 0:
        return "the document does not end with a NUL byte"
    return None


_NESTED_BYTES = 7


def refuse_too_deep(tree: dict[str, Any], position: str) -> None:
    """LimitError for a document nesting more documents and arrays than the cap.

    A level at a time (the documents and arrays at each depth), so that the test of each
    value is a comprehension's, not a stack's push and pop."""
    level: list[Any] = [tree]
    depth = 1
    while level:
        if depth > BSON_NESTING.cap:
            raise LimitError(
                f"nested more than {BSON_NESTING.cap} documents and arrays deep, past what"
                " BSON readers (pymongo) read",
                position=position,
            )
        below: list[Any] = []
        for value in level:
            items = value.values() if value.__class__ is dict else value
            below += [v for v in items if v.__class__ is dict or v.__class__ is list]
        level = below
        depth += 1


class BsonCodec(Codec):
    nesting = BSON_NESTING

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._to_tree: Conv = TreeConverter(self.schema, ENCODE_RULES).message(self.message.name)
        self._from_tree: Conv = TreeConverter(
            self.schema, DECODE_RULES, drop_unknown=self.drop_unknown
        ).message(self.message.name)
        # The fast paths (fast_write.py, fast_read.py): compiled per schema, they hand any
        # record or tree they do not convert the usual way to the converters above.
        self._fast_tree = FastWriter(self.schema, self.message.name).tree
        self._fast_read = FastReader(
            self.schema, self.message.name, drop_unknown=self.drop_unknown
        ).read
        self._max_bytes = self.limits.max_record_bytes
        self._arrays = _has_lists(self.schema, self.message.name)
        # With lists the proof is the document written again, so no length is summed.
        self._fast_unsized = FastReader(
            self.schema, self.message.name, drop_unknown=self.drop_unknown, sized=False
        ).read
        # A document nested past the cap is refused on reading too (pymongo itself reads on
        # to its recursion limit, which depends on the caller's stack). Each level takes at
        # least 7 bytes (a type, an empty key's NUL, a length, the end NUL): only a record
        # of more bytes, of a schema that can nest that far, is walked.
        can_nest = self.write_check() is not None
        self._deep_at = _NESTED_BYTES * BSON_NESTING.cap if can_nest else 1 << 62

    # -- writing ---------------------------------------------------------------------------
    def encode(self, record: Record) -> bytes:
        try:
            data: bytes = _to_bson(self._fast_tree(record), False, _PLAIN_OPTIONS)
        except Exception:  # anything unusual, wrong or unwritable: the reference path says
            data = self._encode_reference(record)
        if len(data) > self._write_bound:  # a large record only: more checks then
            if len(data) > self._max_bytes:
                raise oversized(len(data), self._max_bytes, "BSON")
            self.refuse_too_many_values(record)
        return data

    def _encode_reference(self, record: Record) -> bytes:
        try:
            tree = self._to_tree(record)
        except ValueMismatch as exc:
            raise encode_error(exc) from None
        try:
            data: bytes = _encode(tree)
        except (InvalidDocument, ValueError, TypeError, OverflowError) as exc:
            raise explain(self.schema, self.message.name, record, exc, "BSON") from None
        return data

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        # No name: an empty file is what mongodump writes for an empty collection, and it
        # reads as no records.
        return FramedWriter(self.encode, out)

    # -- reading ---------------------------------------------------------------------------
    def decode(self, data: bytes) -> Record:
        if len(data) > self._max_bytes:
            raise LimitError(
                f"the record is {len(data)} bytes, over the limit of {self._max_bytes}"
                " (--max-record-bytes)",
                position="byte offset 0",
            )
        return self.read_document(data, "byte offset 0")

    def read_document(self, data: bytes, position: str) -> Record:
        """One whole document (its frame checked by the caller or here) as a record."""
        try:
            tree = _to_dict(data, OPTIONS)
        except Exception as exc:  # pymongo raises InvalidBSON, and more on odd input
            raise self._explained(data, exc, position) from None
        if len(data) > self._deep_at:
            refuse_too_deep(tree, position)
        if len(data) > self._safe_size:  # a large record only (values/count.py)
            try:
                self.values.tree(tree)
            except LimitError as exc:
                exc.position = position
                raise
        if self._arrays:
            try:
                record: Record = self._fast_unsized(tree)
            except Exception:  # anything unusual or wrong: the reference path says
                return self._read_reference(tree, data, position)
            if _to_bson(tree, False, _PLAIN_OPTIONS) != data:
                self._refuse_duplicates(data, position)  # the proof failed (module docstring)
            return record
        try:
            record, size = self._fast_read(tree)
        except Exception:  # anything unusual or wrong: the reference path says
            return self._read_reference(tree, data, position)
        if size != len(data):
            self._refuse_duplicates(data, position)  # the proof failed (module docstring)
        return record

    def _read_reference(self, tree: dict[str, Any], data: bytes, position: str) -> Record:
        try:
            record: Record = self._from_tree(tree)
        except ValueMismatch as exc:
            raise decode_error(exc, position=position) from None
        if _encode(tree) != data:  # proof of no duplicate (module docstring)
            self._refuse_duplicates(data, position)
        return record

    def _explained(self, data: bytes, exc: Exception, position: str) -> DecodeError:
        problem = frame_problem(data)
        if problem is not None:
            return DecodeError(problem, position=position)
        return bson_error(exc, position)

    def _refuse_duplicates(self, data: bytes, position: str) -> None:
        try:
            _decode(data, _UNIQUE)
        except Exception as exc:
            raise bson_error(exc, position) from None

    def reader(self, src: BinaryIO) -> RecordReader:
        return _BsonReader(self, src)


class _BsonReader(RecordReader):
    """Documents one at a time, each read by its length prefix (checked against
    ``--max-record-bytes`` before its bytes are read)."""

    def __init__(self, codec: BsonCodec, src: BinaryIO) -> None:
        self.codec, self.src = codec, src
        self.limit = codec.limits.max_record_bytes
        self.offset = 0

    def _read(self, n: int) -> bytes:
        data = self.src.read(n)
        if len(data) == n or not data:
            return data
        parts = [data]  # a pipe may return less than asked: read on to n or the end
        got = len(data)
        while got < n and (more := self.src.read(n - got)):
            parts.append(more)
            got += len(more)
        return b"".join(parts)

    def __next__(self) -> Record:
        start = self.offset
        position = f"byte offset {start}"
        head = self._read(4)
        if not head:
            raise StopIteration
        record_no = self.count + 1
        if len(head) < 4:
            raise DecodeError(
                f"truncated BSON: the file ends {len(head)} bytes into a length prefix",
                position=position,
                record=record_no,
            )
        size = int.from_bytes(head, "little", signed=True)
        if size < MIN_DOCUMENT:
            raise DecodeError(
                f"a document declares {size} bytes, less than the {MIN_DOCUMENT} of an empty one",
                position=position,
                record=record_no,
            )
        if size > self.limit:
            raise LimitError(
                f"the document declares {size} bytes, over the limit of {self.limit}"
                " (--max-record-bytes)",
                position=position,
                record=record_no,
            )
        body = self._read(size - 4)
        if len(body) < size - 4:
            raise DecodeError(
                f"truncated BSON: the document declares {size} bytes, the file ends"
                f" {4 + len(body)} bytes into it",
                position=position,
                record=record_no,
            )
        self.offset += size
        self.count = record_no
        try:
            return self.codec.read_document(head + body, position)
        except DecodeError as exc:
            raise exc.located(record=record_no) from None


def _has_lists(schema: Schema, name: str) -> bool:
    """Whether a record of ``name`` can hold an array (a list field anywhere below it)."""
    return any(
        isinstance(f.type, ListOf) for msg in reachable_messages(schema, name) for f in msg.fields
    )
