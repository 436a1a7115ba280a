"""CBOR (RFC 8949), through cbor2's C extension.

The mapping (docs/formats.md): a message is a map keyed by field name; bytes are byte
strings; timestamps and durations are tags (mapping.py); enums by name; map keys keep their
type. Records are written in RFC 8949's deterministic form (section 4.2: shortest integers,
lengths and floats, no indefinite lengths, map keys in the bytewise order of their
encodings), so equal records give equal bytes. A file is a CBOR sequence (RFC 8742): the
records' items back to back.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO

import cbor2

from fmtbench.codecs.base import (
    EMPTY_STREAM,
    Codec,
    FramedWriter,
    Record,
    RecordReader,
    RecordWriter,
    decode_error,
    encode_error,
    oversized,
    refuse_oversized,
)
from fmtbench.codecs.cbor.mapping import (
    SEMANTIC,
    decimal_in,
    decimal_out,
    duration_in,
    duration_out,
    timestamp_in,
    timestamp_out,
    unused_tag,
)
from fmtbench.codecs.cbor.order import BYTEWISE_ENCODERS, bytewise_maps
from fmtbench.codecs.values.canonical import CANONICAL_SCALARS, enum_by_name, explain
from fmtbench.codecs.values.leaves import str_check
from fmtbench.codecs.values.tree import TreeConverter, TreeRules
from fmtbench.errors import DecodeError, LimitError, ValueMismatch
from fmtbench.limits import TREE_COUNTS, Counts, Nesting

_CHUNK = 1 << 16

# cbor2 reads text strings as strict UTF-8, and refuses to write lone surrogates (then
# ``explain`` finds the field), so strings skip the surrogate scan both ways.
_SCALARS = {**CANONICAL_SCALARS, "string": str_check}

ENCODE_RULES = TreeRules(
    scalar={**_SCALARS, "timestamp": timestamp_out, "duration": duration_out},
    decimal=decimal_out,
    enum=enum_by_name,
    map_key=_SCALARS,
    fill_missing=False,  # cbor2 sorts map keys itself (canonical=True)
)

DECODE_RULES = TreeRules(
    scalar={**_SCALARS, "timestamp": timestamp_in, "duration": duration_in},
    decimal=decimal_in,
    enum=enum_by_name,
    map_key=_SCALARS,
    fill_missing=True,
    null_is_absent=True,
)

#: cbor2's own nesting cap, as the codec sets it (cbor2 counts arrays, maps and tags; it
#: reads 100,000 levels without trouble, measured, so the cap is fmtbench's choice: as
#: msgpack's and orjson's).
MAX_DEPTH = 1024

#: Options of every read: duplicate keys refused; indefinite lengths allowed (RFC 8949
#: readers must take them; the record limits bound them); the mapping's tags only.
DECODE_OPTIONS: dict[str, Any] = {
    "semantic_decoders": SEMANTIC,
    "allow_duplicate_keys": False,
    "max_depth": MAX_DEPTH,
}
#: Options of every write: deterministic, and maps with signed integer keys in bytewise
#: order (order.py: cbor2 sorts length-first).
ENCODE_OPTIONS: dict[str, Any] = {"canonical": True, "encoders": BYTEWISE_ENCODERS}

#: A timestamp is tag 1 (one level) or tag 1001 holding a map (two); a duration is tag 1002
#: holding a map.
CBOR_COUNTS: Counts = {
    **TREE_COUNTS,
    "timestamp": (0, 2),
    "timestamps": (1, 2),
    "timestamp_map": (1, 2),
    "duration": (0, 2),
    "durations": (1, 2),
    "duration_map": (1, 2),
}
CBOR = Nesting(
    unit="arrays, maps and tags",
    root=1,
    counts=CBOR_COUNTS,
    reader="CBOR readers (cbor2, as fmtbench sets it)",
    cap=MAX_DEPTH,
)


def cbor_error(exc: Exception, position: str) -> DecodeError:
    """cbor2's refusal as one line; its nesting cap is a limit, said as one."""
    text = str(exc) or type(exc).__name__
    if "nesting depth" in text:
        return LimitError(
            f"nested too deeply to read: over {MAX_DEPTH} arrays, maps and tags (--max-depth)",
            position=position,
        )
    return DecodeError(f"malformed CBOR: {text}", position=position)


class CborCodec(Codec):
    nesting = CBOR

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._check = TreeConverter(self.schema, ENCODE_RULES).message(self.message.name)
        self._from_tree = TreeConverter(
            self.schema, DECODE_RULES, drop_unknown=self.drop_unknown
        ).message(self.message.name)
        #: Wraps maps keyed by signed integers for bytewise order; None: the schema has none.
        self._bytewise = bytewise_maps(self.schema, self.message.name)
        self._max_bytes = self.limits.max_record_bytes
        self._decoder = cbor2.CBORDecoder(io.BytesIO(), **DECODE_OPTIONS)

    def tree(self, record: Record) -> Any:
        """What ``encode`` hands cbor2 for a record (bench's native cell encodes the same)."""
        try:
            tree = self._check(record)
        except ValueMismatch as exc:
            raise encode_error(exc) from None
        if self._bytewise is not None:
            self._bytewise(tree)
        return tree

    def encode(self, record: Record) -> bytes:
        tree = self.tree(record)
        try:
            data: bytes = cbor2.dumps(tree, **ENCODE_OPTIONS)
        except (cbor2.CBORError, ValueError, TypeError, OverflowError) as exc:
            raise explain(self.schema, self.message.name, record, exc, "CBOR") from None
        if len(data) > self._write_bound:  # a large record only: more checks then
            if len(data) > self._max_bytes:  # what decode() and the stream reader refuse
                raise oversized(len(data), self._max_bytes, "CBOR")
            self.refuse_too_many_values(record)
        return data

    def from_tree(self, tree: Any, position: str | None = None) -> Record:
        try:
            return self._from_tree(tree)  # type: ignore[no-any-return]
        except ValueMismatch as exc:
            if "got CBORTag" in exc.problem:  # a tag where a leaf of another type belongs
                found = _at(tree, exc.path)
                if found.__class__ is cbor2.CBORTag:
                    named = unused_tag(found)
                    named.path = exc.path
                    exc = named
            raise decode_error(exc, position=position) from None

    def decode(self, data: bytes) -> Record:
        if len(data) > self._max_bytes:
            refuse_oversized(data, self._max_bytes)
        src = self._decoder.fp = io.BytesIO(data)
        try:
            tree = self._decoder.decode()
        except cbor2.CBORDecodeEOF:
            raise DecodeError(
                f"truncated CBOR: {len(data)} bytes end inside the record",
                position="byte offset 0",
            ) from None
        except Exception as exc:  # cbor2 raises CBORDecodeError, and others on odd input
            raise cbor_error(exc, "byte offset 0") from None
        end = src.tell()
        if end != len(data):
            raise DecodeError(
                f"{len(data) - end} extra bytes after the record", position=f"byte offset {end}"
            )
        if len(data) > self._safe_size:  # a large record only (values/count.py)
            try:
                self.values.tree(tree)
            except LimitError as exc:
                exc.position = "byte offset 0"
                raise
        return self.from_tree(tree)

    def reader(self, src: BinaryIO) -> RecordReader:
        return _CborReader(self, src)

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        return FramedWriter(self.encode, out, name="cbor")


def _at(tree: Any, path: tuple[str | int, ...]) -> Any:
    """The value at a converter's path in a decoded tree (an error's, so it is there)."""
    from fmtbench.errors import key_segment

    for seg in path:
        if isinstance(tree, list) and isinstance(seg, int):
            tree = tree[seg]
        elif isinstance(tree, dict) and isinstance(seg, str) and seg.startswith("["):
            tree = next((v for k, v in tree.items() if key_segment(k) == seg), None)
        elif isinstance(tree, dict):
            tree = tree.get(seg)
        else:
            return None
    return tree


class _CborReader(RecordReader):
    """A CBOR sequence read a buffer at a time: each record is decoded from the buffer, and
    one that runs past its end is decoded again once more bytes are in (the buffer grows by
    doubling, so a large record costs a few passes, not one a chunk). The buffer never holds
    more than one record over ``--max-record-bytes`` and a chunk."""

    def __init__(self, codec: CborCodec, src: BinaryIO) -> None:
        self.codec, self.src = codec, src
        self.limit = codec.limits.max_record_bytes
        self.buf = io.BytesIO(b"")
        self.size = 0  # bytes in buf
        self.base = 0  # the file offset of buf's first byte
        self.decoder = cbor2.CBORDecoder(self.buf, **DECODE_OPTIONS)
        self.eof = False

    def _more(self, start: int) -> None:
        """Drop what is read, keep the record begun at ``start`` (in buf), read more."""
        rest = self.buf.getbuffer()[start : self.size].tobytes()
        want = max(_CHUNK, len(rest))  # doubling: a record read in a few passes
        want = min(want, self.limit + _CHUNK - len(rest))
        chunk = self.src.read(want) if want > 0 else b""
        self.base += start
        if not chunk:
            if want <= 0:
                raise LimitError(
                    f"the record is over the limit of {self.limit} bytes (--max-record-bytes)",
                    position=f"byte offset {self.base}",
                    record=self.count + 1,
                )
            self.eof = True
        self.buf = io.BytesIO(rest + chunk)
        self.size = len(rest) + len(chunk)
        self.decoder.fp = self.buf

    def __next__(self) -> Record:
        while True:
            start = self.buf.tell()
            if start == self.size:
                if self.eof:
                    if self.count == 0 and self.base + start == 0:
                        raise DecodeError(EMPTY_STREAM.format(fmt="cbor"))
                    raise StopIteration
                self._more(start)
                continue
            try:
                tree = self.decoder.decode()
                break
            except cbor2.CBORDecodeEOF:
                if self.eof:
                    raise DecodeError(
                        f"truncated CBOR: the file ends {self.size - start} bytes into a record",
                        position=f"byte offset {self.base + start}",
                        record=self.count + 1,
                    ) from None
                self._more(start)
            except Exception as exc:  # CBORDecodeError, and whatever else odd input raises
                error = cbor_error(exc, f"byte offset {self.base + start}")
                raise error.located(record=self.count + 1) from None
        self.count += 1
        end = self.buf.tell()
        position = f"byte offset {self.base + start}"
        if end - start > self.limit:  # the buffer's cap is a chunk looser
            raise LimitError(
                f"the record is {end - start} bytes, over the limit of {self.limit}"
                " (--max-record-bytes)",
                position=position,
                record=self.count,
            )
        try:
            if not self.codec.values.safe(end - start):
                self.codec.values.tree(tree)  # before from_tree zero-fills it
            return self.codec.from_tree(tree, position=position)
        except DecodeError as exc:
            if exc.position is None:
                exc.position = position
            raise exc.located(record=self.count) from None
