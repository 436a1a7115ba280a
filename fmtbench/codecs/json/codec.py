"""JSON and JSON Lines: read with msgspec or orjson, written with msgspec.

The mapping (docs/formats.md): field names as in the schema; 64-bit integers as exact JSON
numbers; bytes as base64; timestamps as RFC 3339 with ``Z``; enums by name; NaN and the
infinities as the strings "NaN", "Infinity", "-Infinity". A ``.json`` file holds one record
(an object) or an array of records; a ``.jsonl`` file one record a line.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

import msgspec
import orjson

from fmtbench.codecs.base import (
    Codec,
    Encoded,
    FramedWriter,
    Record,
    RecordReader,
    RecordWriter,
    StructTarget,
    _checked_decode,
    decode_error,
    encode_error,
    oversized,
    refuse_oversized,
)
from fmtbench.codecs.json.block import BlockDecoder
from fmtbench.codecs.json.exact import compile_exact, exact_decoder
from fmtbench.codecs.json.from_protobuf import batch_field, in_halves
from fmtbench.codecs.json.keys import KeyProof, quotes, refuse_duplicates
from fmtbench.codecs.json.typed import REJECTED, _long_integers, compile_typed
from fmtbench.codecs.structs.levels import unwalked
from fmtbench.codecs.structs.read import has_cycle
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
    b64_decode,
    b64_encode,
    bool_check,
    duration_check,
    duration_from_json,
    duration_to_json,
    float32_round,
    float64_check,
    float_to_json,
    int_check,
    int_from_text,
    json_float,
    str_check,
    timestamp_check,
    timestamp_from_text,
    timestamp_to_text,
    utc_datetime_as_is,
)
from fmtbench.codecs.values.tree import TreeConverter, TreeRules
from fmtbench.errors import DecodeError, EncodeError, LimitError, ValueMismatch
from fmtbench.halves import Pieces, allowed
from fmtbench.limits import TREE_COUNTS, Limits, Nesting
from fmtbench.schema.model import INT_RANGES, INTEGER_KINDS

if TYPE_CHECKING:
    from fmtbench.codecs.json.to_protobuf import BatchToProtobuf

_dumps = msgspec.json.Encoder().encode  # the tree is in order already (sort_maps)
# A lone surrogate (UnicodeEncodeError), nesting beyond the interpreter's limit.
_DUMPS_ERRORS = (msgspec.EncodeError, ValueError, TypeError, OverflowError, RecursionError)
_INT64_MIN, _UINT64_MAX = INT_RANGES["int64"][0], INT_RANGES["uint64"][1]


def _then(first: Conv, second: Conv) -> Conv:
    return lambda v: second(first(v))


def _json_int(kind: str) -> Conv:
    check = int_check(kind)

    def conv(v: Any) -> int:
        # orjson reads integers beyond 64 bits as floats: say so, not "got float". A float
        # inside the 64-bit range was written with a fraction or exponent (1.0, 1e2): that
        # is not an integer (it used to be reported as out of range too). The lower bound
        # is exclusive: -2**63 - 1 read as a double rounds to -2**63.
        if type(v) is float and v.is_integer() and not _INT64_MIN < v <= _UINT64_MAX:
            raise ValueMismatch(f"{v:.0f} is out of range for {kind}")
        return check(v)  # type: ignore[no-any-return]

    return conv


@utc_datetime_as_is
def _timestamp_out(v: Any) -> Any:
    v = timestamp_check(v)
    # msgspec writes a datetime in RFC 3339 itself ('Z'); it knows no nanoseconds.
    return v if v.__class__ is datetime else timestamp_to_text(v)


def _bool_key_out(v: Any) -> str:
    return "true" if bool_check(v) else "false"


def _bool_key_in(v: Any) -> bool:
    if v == "true":
        return True
    if v == "false":
        return False
    raise ValueMismatch(f"expected a bool map key 'true' or 'false', got {v!r}")


ENCODE_RULES = TreeRules(
    scalar={
        **CANONICAL_SCALARS,
        "string": str_check,  # the encoder rejects lone surrogates; ``explain`` then finds the field
        "float32": _then(float32_round, float_to_json),
        "float64": _then(float64_check, float_to_json),
        "bytes": b64_encode,
        "timestamp": _timestamp_out,
        "duration": _then(duration_check, duration_to_json),
    },
    enum=enum_by_name,
    map_key={
        "string": str_check,
        "bool": _bool_key_out,
        **{k: _then(int_check(k), str) for k in INTEGER_KINDS},
    },
    fill_missing=False,
    sort_maps=True,
    decimal=decimal_to_text,  # a JSON string: numbers lose digits in most readers
)

DECODE_RULES = TreeRules(
    scalar={
        "bool": bool_check,
        **{k: _json_int(k) for k in INTEGER_KINDS},
        "float32": json_float(float32_round),
        "float64": json_float(float64_check),
        "string": str_check,
        "bytes": b64_decode,
        "timestamp": timestamp_from_text,
        "duration": duration_from_json,
    },
    enum=enum_by_name,
    map_key={
        "string": str_check,
        "bool": _bool_key_in,
        **{k: int_from_text(k) for k in INTEGER_KINDS},
    },
    fill_missing=True,
    null_is_absent=True,
    decimal=decimal_from_text,  # a string only: a JSON number may have been rounded already
)


#: The shared msgspec writer, as JSON: no NaN or infinity as numbers (written as strings by
#: the tree path), float32 values exactly representable.
WRITE_TARGET = WriteTarget(
    lambda: msgspec.json.Encoder(order="deterministic"),
    {
        **COMMON_GUARDS,
        # Floats only (write.py types float fields so): inf - inf and NaN are NaN.
        "float64": "x - x == 0.0",
        "float32": "x - x == 0.0 and x == _float32(x)",
    },
    finite_floats=True,
)


#: orjson refuses a document nested past 1,024 arrays and objects (measured: 1,024 read).
ORJSON = Nesting(
    unit="arrays and objects",
    root=1,
    counts=TREE_COUNTS,
    reader="JSON readers (orjson)",
    cap=1024,
)


class JsonCodec(Codec):
    """A ``.json`` file: one record (an object) or an array of records."""

    nesting = ORJSON

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._to_json = TreeConverter(self.schema, ENCODE_RULES).message(self.message.name)
        self._from_json = TreeConverter(
            self.schema, DECODE_RULES, drop_unknown=self.drop_unknown
        ).message(self.message.name)
        # The fast path (typed.py). It only ever accepts; on any refusal the bytes are
        # re-read on the tree path, which returns the record or today's error.
        self._typed = compile_typed(self.schema, self.message.name, drop_unknown=self.drop_unknown)
        self._parse, self._convert = self._typed.parse, self._typed.convert
        self._convert_each, self._gated = self._typed.convert_each, self._typed._gated
        self._keys = KeyProof(self.schema, self.message.name)
        self._to_protobuf: list[BatchToProtobuf | None] = []  # compiled on first use
        self._writeback: Callable[[Any], bytes] | None = None
        if has_cycle(self.schema, self.message.name):
            self._writeback = msgspec.json.Encoder().encode
        # The same for writing (structs/write.py): msgspec checks and writes, or declines.
        writer = compile_writer(self.schema, self.message.name, WRITE_TARGET)
        self._fast_encode = writer.encode if writer is not None else None
        self._max_bytes = self.limits.max_record_bytes
        # exact.py: input that is msgspec's own text proven so at once, else the paths above.
        exact = compile_exact(self.schema, self.message.name, drop_unknown=self.drop_unknown)
        small = min(self._safe_size, self._max_bytes)
        self._fast_decode = exact_decoder(exact, self._decode_slow, small)
        # decode is the closure itself (one call less a record), or one that skips the
        # depth check base.py wrapped decode in where the text proves it.
        if type(self).decode is not JsonCodec._own_decode:
            pass  # a subclass's or a test's own decode stays
        elif "decode" not in self.__dict__:
            self.decode = self._fast_decode  # type: ignore[method-assign,assignment]
        elif self.parser_depth is None and self._depth_check is not None:
            # base.py wrapped decode in the --max-depth check: the records exact.py
            # reads skip it where their text or Structs prove them within the limit.
            most = self.limits.max_depth
            slow = _checked_decode(lambda data: self._decode_slow(data, 0), self._depth_check, most)
            self.decode = exact_decoder(  # type: ignore[method-assign,assignment]
                exact, lambda data, line: slow(data), small, depth=(most, self._depth_check)
            )
        #: JSON Lines a block at a time (block.py), for ``JsonLinesReader.batches``.
        self.block_decoder = BlockDecoder(
            self._typed,
            self.message.name,
            self._keys,
            self._safe_size,
            self.limits.max_record_bytes,
        )
        # A recursive record is walked for --max-depth before it is written (base.py):
        # the fast path counts its levels instead (structs/levels.py); only a record that
        # could be too deep, or that the fast path declines, is walked.
        self._unwalked = unwalked(self, writer.encode_within if writer is not None else None)
        if self._unwalked is not None:
            self._walked = self.encode
            self.encode = encode_unwalked(  # type: ignore[method-assign,assignment]
                self._unwalked, self._walked, self._sized
            )

    def to_tree(self, record: Record) -> Any:
        """The record as JSON-ready values (validated on the way)."""
        try:
            return self._to_json(record)
        except ValueMismatch as exc:
            raise encode_error(exc) from None

    def dumps(self, tree: Any, record: Record) -> bytes:
        # msgspec, as on the fast path, so that every record is spelled alike (orjson
        # writes exponents as ``1e+16``, msgspec as ``1e16``).
        try:
            return _dumps(tree)
        except _DUMPS_ERRORS as exc:
            raise explain(self.schema, self.message.name, record, exc, "JSON") from None

    def encode(self, record: Record) -> bytes:
        data = None
        if self._fast_encode is not None:
            try:
                data = self._fast_encode(record)
            except DECLINED:
                data = None  # the tree path, outside the handler: no chain to msgspec's refusal
        if data is None:
            data = self.dumps(self.to_tree(record), record)
        if len(data) > self._write_bound:  # the call only then: this runs once a record
            return self._sized(data, record)
        return data

    def _sized(self, data: bytes, record: Record) -> bytes:
        # What decode() and the JSON Lines reader (a line, its newline aside) refuse.
        if len(data) > self._write_bound:  # a large record only: more checks then
            if len(data) > self._max_bytes:
                raise oversized(len(data), self._max_bytes, "JSON")
            self.refuse_too_many_values(record)
        return data

    def encode_any_size(self, record: Record) -> bytes:
        """``encode`` without the size limit: a ``.json`` file is read whole, so the
        size of one record in it is bounded by ``--max-input-bytes`` alone."""
        data = None
        if self._fast_encode is not None:
            try:
                data = self._fast_encode(record)
            except DECLINED:
                data = None  # the tree path, outside the handler: no chain to msgspec's refusal
        if data is None:
            data = self.dumps(self.to_tree(record), record)
        if len(data) > self._safe_size:  # the reader counts a record's values all the same
            self.refuse_too_many_values(record)
        return data

    def from_tree(self, tree: Any, position: str | None = None) -> Record:
        try:
            return self._from_json(tree)  # type: ignore[no-any-return]
        except ValueMismatch as exc:
            raise decode_error(exc, position=position) from None

    def decode(self, data: bytes) -> Record:
        return self._fast_decode(data, 0)

    _own_decode = decode

    def _decode_line(self, data: bytes, line: int) -> Record:
        """One record; ``line`` (from 1) is where a JSON Lines file holds it, or 0."""
        return self._fast_decode(data, line)

    def _decode_slow(self, data: bytes, line: int) -> Record:
        """``_decode_line`` by the typed path, else the tree path: every spelling, every
        check, today's errors (exact.py hands over whatever it does not prove)."""
        if not line and len(data) > self._max_bytes:  # a line was measured by its reader
            refuse_oversized(data, self._max_bytes)
        if len(data) > self._safe_size:  # values/count.py: a large record only
            self._count_values(data, line)
        try:
            struct = self._parse(data)
            if self._gated and _long_integers(data):  # typed.py: maybe past uint64
                record = self._convert_each(struct)
            else:
                record = self._convert(struct)
        except REJECTED:
            pass  # outside the handler, so that errors do not chain msgspec's refusal
        else:
            # keys.py: orjson and msgspec keep the last of two equal keys silently. The
            # quote count is inlined (this runs once a line); the key count only if it fails.
            # A recursive record's count walks every node: there the Structs written back
            # are tried first (keys.py: equal to the input, they prove it).
            if not (self._writeback is not None and data.startswith(self._writeback(struct))) and (
                (b"\\" in data or quotes(data) != 2 * self._keys.strings(record))
                and not self._keys.by_keys(data, [record])
            ):
                refuse_duplicates(data, f"line {line}" if line else None)
            return record
        # Named only now: formatting it for every line costs more than the check above.
        position = f"line {line}" if line else None
        record = self.from_tree(_loads(data, position), position)
        refuse_duplicates(data, position)  # zero-filled fields make the count useless here
        return record

    def _count_values(self, data: bytes, line: int) -> None:
        """Refuse a record that would expand past the values limit (values/count.py):
        counted in C where the bytes answer, else on orjson's tree, before any conversion."""
        if json_bound(data, self.values.per_byte) <= self.values.limit:
            return
        position = f"line {line}" if line else None
        try:
            self.values.tree(_loads(data, position))
        except LimitError as exc:
            exc.position = position
            raise

    def reader(self, src: BinaryIO) -> RecordReader:
        return _JsonReader(self, src.read())

    def to_protobuf(self, data: bytes, target: Any) -> Pieces | None:
        """The one record of the JSON text ``data`` as the bytes ``target`` (a Protobuf codec
        of this schema) would write for it, in pieces (``halves.Pieces``), with no tree nor
        record built (to_protobuf.py); None where that route does not apply or declines."""
        if not self.writes_as(target):
            return None
        if not self._to_protobuf:
            # Here, not at import: JSON alone never loads the Protobuf classes.
            from fmtbench.codecs.json.to_protobuf import compile_route

            self._to_protobuf.append(compile_route(self, target))
        route = self._to_protobuf[0]
        if route is None:
            return None
        out = route.encode(data)
        if out is None or sum(map(len, out)) > target.max_message_bytes:  # the usual error
            return None
        return out

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        return _JsonWriter(self, out, single)


def json_bound(data: bytes, per_byte: int) -> int:
    """The most values ``data`` can hold as records, counted in C: a value after the first in
    each array or object follows a comma; an object may gain ``per_byte`` zero-filled ones."""
    return data.count(b",") + data.count(b"[") + data.count(b"{") * (per_byte + 1) + 1


def _loads(data: bytes, position: str | None = None) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        if position:  # JSON Lines: the line is the file's, the column the record's
            where = f"{position} column {exc.colno}"
        problem = exc.msg.split(": line ")[0]
        if problem.startswith("Not enough memory"):
            # orjson's buffer allocation failed: out of memory, not bad input (the CLI says
            # so in one line, as for any MemoryError).
            raise MemoryError(problem) from None
        if problem.startswith("depth limit exceeded"):
            # orjson stops at 1024 levels before it knows whether the rest is well formed.
            problem = "nested over 1024 levels, where the JSON reader stops reading"
            raise DecodeError(f"malformed JSON or too deep: {problem}", position=where) from None
        raise DecodeError(f"malformed JSON: {problem}", position=where) from None


_LEADING_SPACE = re.compile(rb"[ \t\r\n]*")


class _JsonReader(RecordReader):
    def __init__(self, codec: JsonCodec, data: bytes) -> None:
        self.codec, self.data = codec, data
        self._items: Iterator[Any] | None = None
        # An object is one record, an array many: told by the first byte, so that the text
        # can still be read straight into a Protobuf message (``protobuf_message``) rather
        # than parsed here. Anything else is parsed now, for its error.
        at = _LEADING_SPACE.match(data).end()  # type: ignore[union-attr]
        first = data[at : at + 1]
        if first == b"{":
            self.single = True
        elif first != b"[":
            self._load()

    def protobuf_message(self, target: Any) -> Pieces | None:
        """The one record's bytes as the Protobuf codec ``target`` writes it, read straight
        from the text (to_protobuf.py), for a writer that takes them (``take_parsed``,
        pump.py); None, reading nothing, where it does not."""
        if self._items is not None or self.count or not self.single:
            return None
        data = self.codec.to_protobuf(self.data, target)
        if data is not None:
            self._items = iter([])
            self.count = 1
        return data

    def _load(self) -> Iterator[Any]:
        codec, data = self.codec, self.data
        self.data = b""  # the text is not kept beside its records
        tree: Any = None
        values = codec.values
        if not values.safe(len(data)) and json_bound(data, values.per_byte) > values.limit:
            # One of the records may expand past the values limit: count each on orjson's
            # tree before the typed path builds them all.
            raw = _loads(data)
            for i, record in enumerate(raw if isinstance(raw, list) else [raw], 1):
                try:
                    values.tree(record)
                except LimitError as exc:
                    raise exc.located(record=i) from None
            del raw
        with suppress(*REJECTED):
            # Already canonical records, which ``__next__`` then passes on as they are.
            tree = codec._typed.decode_file(data)
        self._checked = tree is not None
        if tree is None:
            tree = _loads(data)
        # No count for the tree path (zero-filled fields): the full check.
        if not self._checked or not codec._keys.unique_all(
            data, tree if isinstance(tree, list) else [tree]
        ):
            refuse_duplicates(data)
        if isinstance(tree, dict):
            self.single = True
            self._items = iter([tree])
        elif isinstance(tree, list):
            self._items = iter(tree)
        else:
            raise DecodeError(
                f"a JSON file holds a record (object) or an array of records, not {type(tree).__name__}"
            )
        return self._items

    def __next__(self) -> Record:
        tree = next(self._items if self._items is not None else self._load())
        self.count += 1
        if self._checked:
            return tree  # type: ignore[no-any-return]
        try:
            return self.codec.from_tree(tree)
        except DecodeError as exc:
            raise exc.located(record=self.count) from None


class _JsonWriter(RecordWriter):
    def __init__(self, codec: JsonCodec, out: BinaryIO, single: bool) -> None:
        self.codec, self.out, self.single = codec, out, single
        self.count = 0
        # The array of a file of many is one more level for the reader.
        self.encode = codec.checked_writes(codec.encode_any_size, extra=0 if single else 1)

    def take_parsed(self, reader: RecordReader) -> bool:
        """Write the one parsed Protobuf message of ``reader``, a big batch, in two halves
        (from_protobuf.py); False, reading nothing, where that cannot apply (the caller
        then pumps records)."""
        parsed = getattr(reader, "parsed_message", None)
        source = getattr(reader, "codec", None)
        walks = getattr(source, "walks", None)
        codec = self.codec
        batch = batch_field(codec.schema, codec.message.name)
        if (
            parsed is None
            or walks is None
            or batch is None
            or not self.single
            or self.count
            or not allowed()  # no second process here at all
            # What the Protobuf reader counted, this writer's check would count (the same
            # canonical record), under the same limit; and no depth check is due here.
            or not source.writes_as(codec)  # type: ignore[union-attr]
            or self.encode != codec.encode_any_size
        ):
            return False
        msg = parsed()
        if msg is None:  # the reader has a depth check to make: records, one by one
            return False
        name, item = batch
        pieces = in_halves(codec.encode_any_size, walks[item], name, getattr(msg, name))
        if pieces is None:
            self.write(reader.record_of(msg))  # type: ignore[attr-defined]
            return True
        self.count = 1
        for piece in pieces:
            self.out.write(piece)
        return True

    def write(self, record: Record) -> None:
        self.count += 1
        try:
            data = self.encode(record)
        except EncodeError as exc:
            raise exc.located(record=self.count) from None
        if self.single:
            if self.count > 1:
                raise EncodeError(
                    "this JSON file holds one record; write an array for more", record=self.count
                )
            self.out.write(data)
        else:
            self.out.write(b"[\n" if self.count == 1 else b",\n")
            self.out.write(data)

    def close(self) -> None:
        if self.single:
            if self.count == 0:
                raise EncodeError("no record to write as a single JSON object")
            self.out.write(b"\n")
        else:
            self.out.write(b"[]\n" if self.count == 0 else b"\n]\n")


#: Bytes of JSON Lines read at a time by ``JsonLinesReader.batches``: enough lines that the
#: per-block work is nothing beside them, few enough that a block's records do not linger
#: for the garbage collector to walk again and again (measured: 256 KiB cost ``tree`` 10%).
BLOCK_BYTES = 1 << 16

#: Whitespace in JSON (RFC 8259, section 2): what a blank line may hold.
JSON_WHITESPACE = b" \t\r\n"


class JsonLinesCodec(JsonCodec):
    """One record a line, each written as ``JsonCodec`` writes a message."""

    def reader(self, src: BinaryIO) -> RecordReader:
        return JsonLinesReader(self, src)

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        return FramedWriter(self.encode, out, with_newline)


class LineDecoder(Protocol):
    """What a JSON Lines reader needs of its codec (JSON's and ProtoJSON's)."""

    limits: Limits

    def _decode_line(self, data: bytes, line: int) -> Record: ...


class JsonLinesReader(RecordReader):
    """One record a line, blank lines skipped, each line within --max-record-bytes; the
    codec decodes a line (``_decode_line``)."""

    def __init__(self, codec: LineDecoder, src: BinaryIO) -> None:
        self.codec, self.src = codec, src
        self.line = 0
        self._limit = codec.limits.max_record_bytes
        self._readline: Callable[[int], bytes] = src.readline

    def batches(self) -> Iterator[list[Record]]:
        """The records in lists, a block of lines at a time (``convert``): the codec's
        ``decode_block`` where it vouches for a whole block, else the block's lines one by
        one through ``__next__``, so records, errors and numbers are the same. A list is
        handed on before any error of the record after it, as ``__next__`` would."""
        return self._blocks(None)  # type: ignore[return-value]  # no target: lists only

    def direct_batches(self, target: StructTarget) -> Iterator[list[Record] | Encoded]:
        """``batches``, where blocks whose Structs the codec can encode for the writer
        (block.py, ``encode_block``) come as ``Encoded``, with no records built."""
        return self._blocks(target)

    def _blocks(self, target: StructTarget | None) -> Iterator[list[Record] | Encoded]:
        # A file is read a block at a time. fmtbench's own wrappers (--max-input-bytes,
        # decompression) may fail part way: read line by line as ``__next__`` reads, so that
        # the records before the failure, and their errors, come first as they did.
        plain = not getattr(self.src, "fails_part_way", False)
        while True:
            block, failed = self._read_block() if plain else self._read_lines()
            if not block:
                if failed is not None:
                    raise failed
                return
            yield from self._decode(block, target)
            if failed is not None:
                raise failed

    def _decode(
        self, block: bytes, target: StructTarget | None
    ) -> Iterator[list[Record] | Encoded]:
        """One block's records: encoded for ``target`` or as lists where the codec vouches
        for the whole block (block.py), else line by line through ``__next__``."""
        block_decoder = getattr(self.codec, "block_decoder", None)
        if block_decoder is not None:
            lines = block.split(b"\n")
            if not lines[-1]:
                lines.pop()
            if target is not None:
                data = block_decoder.encode_block(block, lines, target)
                if data is not None:
                    self.count += len(lines)
                    self.line += len(lines)
                    yield Encoded(len(lines), data)
                    return
            records = block_decoder.decode_block(block, lines)
            if records is not None:
                self.count += len(records)
                self.line += len(lines)
                yield records
                return
        yield from self._one_by_one(io.BytesIO(block).readline)

    def _read_block(self) -> tuple[bytes, Exception | None]:
        block = self.src.read(BLOCK_BYTES)
        if block and block[-1:] != b"\n":
            # The rest of the last line, at most as much as ``__next__`` would read of it:
            # a line over the limit is refused from that much, as there.
            block += self.src.readline(self._limit + 2)
        return block, None

    def _read_lines(self) -> tuple[bytes, Exception | None]:
        """A block read as ``__next__`` reads it, and what stopped the reading, if anything."""
        lines: list[bytes] = []
        size, readline, most = 0, self.src.readline, self._limit + 2
        try:
            while size < BLOCK_BYTES:
                raw = readline(most)
                if not raw:
                    break
                lines.append(raw)
                size += len(raw)
                if raw[-1:] != b"\n":  # the end, or a line over the limit: refused here
                    break
        except Exception as exc:  # raised once the lines before it are through
            return b"".join(lines), exc
        return b"".join(lines), None

    def _one_by_one(self, readline: Callable[[int], bytes]) -> Iterator[list[Record]]:
        """The lines ``readline`` gives, through ``__next__``."""
        records: list[Record] = []
        self._readline = readline
        try:
            records.extend(self)
        except Exception:
            if records:  # the records before it reach the writer first, as one by one
                yield records
            raise
        finally:
            self._readline = self.src.readline
        if records:
            yield records

    def __next__(self) -> Record:
        limit = self._limit
        while True:
            # One byte more than the limit: a longer line is refused before it is all read.
            raw = self._readline(limit + 2)
            if not raw:
                raise StopIteration
            self.line += 1
            if len(raw) > limit and len(raw.rstrip(b"\r\n")) > limit:
                raise LimitError(
                    f"the line is over the limit of {limit} bytes (--max-record-bytes)",
                    position=f"line {self.line}",
                    record=self.count + 1,
                )
            # Blank lines carry no record (isspace copies nothing). Blank means JSON's own
            # whitespace: a line of \x0b or \x0c, space to Python, is read and refused.
            if not raw.isspace() or raw.strip(JSON_WHITESPACE):
                break
        self.count += 1
        try:
            return self.codec._decode_line(raw, self.line)
        except DecodeError as exc:
            raise exc.located(record=self.count) from None


def with_newline(data: bytes) -> bytes:
    """A JSON Lines frame: the record's JSON, then a line break."""
    return data + b"\n"
