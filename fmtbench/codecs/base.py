"""The one small interface every codec implements.

A codec is compiled once for a schema and a record type. It encodes and decodes one record
(``encode``/``decode``: the message mode, as an RPC or a queue sees it) and reads and writes a
file of records (``reader``/``writer``: the stream mode, as storage sees it). Readers and
writers work incrementally wherever the format allows, so files need not fit in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, ClassVar, TypeVar

from fmtbench.codecs.values.count import ValueCount
from fmtbench.errors import DecodeError, EncodeError, LimitError, RecordError, ValueMismatch
from fmtbench.limits import (
    DEFAULT_LIMITS,
    DEFAULT_MAX_DEPTH,
    DepthCheck,
    Limits,
    Nesting,
    depth_check,
    nesting_check,
)
from fmtbench.schema.model import Message, Schema

Record = dict[str, Any]
T = TypeVar("T")


class Codec(ABC):
    """One wire format for one record type of one schema."""

    #: How this format's reader counts nesting and the deepest its library reads: every
    #: write path refuses a record deeper than that, whatever ``--max-depth`` allows
    #: (``write_check``). None: the format's reader keeps no depth of its own.
    nesting: ClassVar[Nesting | None] = None
    #: Levels, as Protobuf counts them, past which the format's own parser refuses input
    #: (upb's 100): decoded records within ``--max-depth`` by that alone are not walked.
    parser_depth: ClassVar[int | None] = None

    def __init__(
        self,
        schema: Schema,
        type_name: str | None = None,
        *,
        drop_unknown: bool = False,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.schema = schema
        self.message: Message = schema.message(type_name)
        self.drop_unknown = drop_unknown
        self.limits = limits
        #: How many values a record may expand to, and the cheap test of when to count.
        self.values = ValueCount(schema, self.message.name, limits.record_values)
        self._safe_size = self.values.safe_size  # read once a record by the decoders
        # Encoders compare once a record: past this, the size and the values are checked.
        self._write_bound = min(self._safe_size, limits.max_record_bytes)
        check = depth_check(schema, self.message.name, limits.max_depth)
        self._depth_check = check
        self._write_checks: dict[int, DepthCheck | None] = {}
        if self.parser_depth is not None and check is not None:
            # What the parser read is within its own limit: no deeper than that is checked.
            check = depth_check(schema, self.message.name, limits.max_depth, self.parser_depth)
        if check is not None:
            # Only schemas whose records can nest past the limit (recursive ones) pay for
            # the check: the methods are wrapped on the instance, so every path goes
            # through it.
            self.decode = _checked_decode(self.decode, check, limits.max_depth)  # type: ignore[method-assign,assignment]
            self.reader = _checked_reader(self.reader, check, limits.max_depth)  # type: ignore[method-assign,assignment]
        # Writers bind ``self.encode``, or wrap what they call with ``checked_writes``.
        self.encode = self.checked_writes(self.encode)  # type: ignore[method-assign,assignment]

    def write_check(self, extra: int = 0) -> DepthCheck | None:
        """The check every record passes before it is written, or None where no record can
        fail it: its nesting within ``--max-depth``, then within what this format's reader
        reads (``nesting``). ``extra``: levels a file form puts around each record (the
        array of a ``.json`` file, the ``<records>`` wrapper of XML). Raises LimitError."""
        if extra not in self._write_checks:
            own = None
            if self.nesting is not None:
                own = nesting_check(
                    self.schema,
                    self.message.name,
                    self.nesting,
                    cap=self.nesting.cap,
                    too_deep=self.nesting.too_deep,
                    within=self.limits.max_depth,  # the --max-depth check runs first
                    extra=extra,
                )
            self._write_checks[extra] = _both(self._depth_check, own)
        return self._write_checks[extra]

    def checked_writes(
        self, encode: Callable[[Record], T], extra: int = 0
    ) -> Callable[[Record], T]:
        """``encode`` behind ``write_check(extra)``: what a writer of another form than
        ``encode``'s (a file's records, an XML element) calls, so that every write path
        refuses what the reader would."""
        check = self.write_check(extra)
        return encode if check is None else _checked_encode(encode, check, self.limits.max_depth)

    def refuse_too_many_values(self, record: Record) -> None:
        """For a record written in more than ``values.safe_size`` bytes: refuse it if it
        holds more values than its reader will read (values/count.py). A canonical record
        has every field it will be read with, so its count is exact."""
        try:
            self.values.tree(record)
        except LimitError as exc:
            raise EncodeError(exc.problem) from None

    def writes_as(self, target: Any) -> bool:
        """Whether this codec's text may become ``target``'s bytes with no record between:
        the same schema object and record type, the same limit on values, and no depth
        check due on either side (a route skipping the record skips those checks)."""
        return (
            getattr(target, "schema", None) is self.schema
            and target.message.name == self.message.name
            and target.values.limit == self.values.limit
            and not self.has_depth_check
            and target.write_check() is None
        )

    @property
    def has_depth_check(self) -> bool:
        """Whether records can nest past ``--max-depth`` (a recursive schema): then
        ``decode`` and ``reader`` are wrapped in the check."""
        return self._depth_check is not None

    @abstractmethod
    def encode(self, record: Record) -> bytes:
        """One record as the bytes of one message; raises EncodeError naming the field."""

    @abstractmethod
    def decode(self, data: bytes) -> Record:
        """One message back to a canonical record; raises DecodeError naming the field."""

    @abstractmethod
    def reader(self, src: BinaryIO) -> RecordReader:
        """Read a file of records in this format."""

    @abstractmethod
    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        """Write a file of records; ``single`` asks for the one-record form where there is one."""

    def writer_for_decoded(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        """``writer`` for records a codec of the same schema has just decoded (``convert``):
        canonical by construction, so a format may skip checking them again. For such
        records the bytes are ``writer``'s; other records may be written where ``writer``
        would refuse them, so hand it nothing else."""
        return self.writer(out, single=single)

    def encode_many(self, records: list[Record]) -> bytes:
        """A whole file of records in memory (the benchmark's batch mode)."""
        import io

        buf = io.BytesIO()
        w = self.writer(buf)
        for r in records:
            w.write(r)
        w.close()
        return buf.getvalue()

    def decode_many(self, data: bytes) -> list[Record]:
        import io

        return list(self.reader(io.BytesIO(data)))


class RecordReader(Iterator[Record]):
    """Records of one file, in order. Errors name the record (1-based) and the position."""

    #: True when the file held one record in its one-record form.
    single: bool = False
    #: How many records have been returned so far.
    count: int = 0


class RecordWriter(ABC):
    @abstractmethod
    def write(self, record: Record) -> None: ...

    @abstractmethod
    def close(self) -> None:
        """Finish the file (closing brackets, wrapper end); the stream itself stays open."""


@dataclass(frozen=True)
class StructTarget:
    """A writer's leave to take records as a reader's Structs, encoded (structs/direct.py):
    ``encode`` gives the Structs' records encoded and framed as the writer would write them,
    or None where one of them is larger than the writer writes without its own checks, or
    raises (either way the records are then built and written as usual);
    ``stamps`` turns a list of timestamps (datetimes) into what ``encode`` takes.
    ``encode`` must refuse an integer past 2**64 - 1 (msgspec's encoders and upb do): the
    reader's Structs do not bound uint64 leaves themselves."""

    encode: Callable[[list[Any]], bytes | None]
    #: What ``encode`` takes for timestamps, from their datetimes; None: the datetimes.
    stamps: Callable[[list[Any]], list[Any]] | None = None


@dataclass(frozen=True)
class Encoded:
    """``count`` records already encoded as the writer would, framed, as ``data``."""

    count: int
    data: bytes


class FramedWriter(RecordWriter):
    """A stream of records each encoded on its own, framed, and written as it comes
    (JSON Lines, MessagePack, delimited protobuf): nothing to finish at the end.

    ``encode`` refuses a record over ``--max-record-bytes``, as the format's message mode
    must too. ``bulky``: (size, check) for what the stream reader alone refuses: a record
    encoded to more than ``size`` bytes is passed to ``check`` (raising EncodeError) before
    it is written; smaller ones cost one comparison."""

    def __init__(
        self,
        encode: Callable[[Record], bytes],
        out: BinaryIO,
        frame: Callable[[bytes], bytes] | None = None,
        *,
        name: str | None = None,
        bulky: tuple[int, Callable[[Record], None]] | None = None,
    ) -> None:
        self.encode, self.out, self.frame = encode, out, frame
        # Formats whose empty file reads as an error (EMPTY_STREAM) refuse to write one.
        self.name = name
        self.count = 0
        self.bulky_at, self.bulky = bulky if bulky is not None else (MAX_BYTES, _nothing)
        #: Set where the writer may be handed encoded Structs (``Encoded``): convert only.
        self.structs: StructTarget | None = None

    def write(self, record: Record) -> None:
        self.count += 1
        try:
            data = self.encode(record)
            if len(data) > self.bulky_at:
                self.bulky(record)
        except EncodeError as exc:
            raise exc.located(record=self.count) from None
        self.out.write(self.frame(data) if self.frame else data)

    def write_many(self, records: list[Record]) -> None:
        """``write`` for each record, encoded in one C loop and written at once; on any
        refusal or a large record, the same records go through ``write`` one by one, which
        raises today's error naming the record."""
        try:
            datas = list(map(self.encode, records))
        except Exception:  # encode has no side effect: ``write`` encodes again and says why
            datas = []
        if len(datas) != len(records) or max(map(len, datas), default=0) > self.bulky_at:
            for record in records:
                self.write(record)
            return
        self.count += len(records)
        frame = self.frame
        self.out.write(b"".join(map(frame, datas) if frame else datas))

    def write_encoded(self, block: Encoded) -> None:
        """Records encoded by a reader for this writer (``structs``)."""
        self.count += block.count
        self.out.write(block.data)

    def close(self) -> None:
        if self.count == 0 and self.name is not None:
            raise EncodeError(
                f"no records to write: an empty {self.name} file could not be told from one"
                " whose writer failed (write JSON Lines for an empty set)"
            )


#: A stream of messages with no end marker: empty input could be a writer that failed.
EMPTY_STREAM = (
    "the input is empty: a {fmt} file holds one or more records, and an empty one cannot"
    " be told from an export that failed"
)


def _too_deep(max_depth: int) -> str:
    # The walk ran out of stack before it could count the levels. Every format reads and
    # writes records DEFAULT_MAX_DEPTH deep (tests/test_limits.py), so under such a limit
    # the record is past it; above, it may be within it yet deeper than this process can
    # follow: say both.
    if max_depth <= DEFAULT_MAX_DEPTH:
        return (
            f"nested more than {max_depth} levels deep (too deep to count), over the limit"
            f" of {max_depth} (--max-depth)"
        )
    return (
        f"nested too deeply to walk: deeper than this process can follow (--max-depth"
        f" allows {max_depth} levels)"
    )


def _nothing(record: Record) -> None:
    return None


#: Larger than any record: ``FramedWriter`` without a ``bulky`` check never calls it.
MAX_BYTES = 1 << 62


def _both(first: DepthCheck | None, then: DepthCheck | None) -> DepthCheck | None:
    if first is None or then is None:
        return first or then

    def check(record: Any) -> None:
        first(record)  # --max-depth first: the reader's own cap assumes records within it
        then(record)

    return check


def _checked_encode(
    encode: Callable[[Record], T], check: DepthCheck, max_depth: int
) -> Callable[[Record], T]:
    def checked(record: Record) -> T:
        try:
            check(record)  # before encoding: a record too deep never reaches a recursive walk
        except LimitError as exc:
            raise EncodeError(exc.problem, path=exc.path) from None
        try:
            return encode(record)
        except RecursionError:
            raise EncodeError(_too_deep(max_depth)) from None

    return checked


def _checked_decode(
    decode: Callable[[bytes], Record], check: DepthCheck, max_depth: int
) -> Callable[[bytes], Record]:
    def checked(data: bytes) -> Record:
        try:
            record = decode(data)
        except RecursionError:
            raise LimitError(_too_deep(max_depth)) from None
        check(record)
        return record

    return checked


def _checked_reader(
    reader: Callable[[BinaryIO], RecordReader], check: DepthCheck, max_depth: int
) -> Callable[[BinaryIO], RecordReader]:
    def checked(src: BinaryIO) -> RecordReader:
        try:
            return _DepthCheckedReader(reader(src), check, max_depth)
        except RecursionError:
            raise LimitError(_too_deep(max_depth)) from None

    return checked


class _DepthCheckedReader(RecordReader):
    def __init__(self, inner: RecordReader, check: DepthCheck, max_depth: int) -> None:
        self.inner, self.check, self.max_depth = inner, check, max_depth

    @property
    def single(self) -> bool:  # type: ignore[override]  # some readers know only once they read
        return self.inner.single

    @property
    def line(self) -> int:
        """The inner reader's line count, where it keeps one (JSON Lines): chunked convert
        numbers a later chunk's lines by it."""
        line: int = getattr(self.inner, "line", 0)
        return line

    def __next__(self) -> Record:
        before = self.inner.count  # some readers count a record before they decode it
        try:
            record = next(self.inner)
        except RecursionError:
            line = getattr(self.inner, "line", 0)
            raise LimitError(
                _too_deep(self.max_depth),
                record=before + 1,
                position=f"line {line}" if line else None,
            ) from None
        self.count = self.inner.count
        try:
            self.check(record)
        except LimitError as exc:
            raise exc.located(record=self.inner.count) from None
        return record


def oversized(size: int, limit: int, title: str) -> EncodeError:
    """A record too large for the reader of its format, as the writer refuses it."""
    return EncodeError(
        f"the record is {size:,} bytes as {title}, over the limit of {limit:,} bytes"
        " (--max-record-bytes) that its readers keep"
    )


def refuse_oversized(data: bytes, limit: int, what: str = "record") -> None:
    """One record's bytes against ``--max-record-bytes``, before any library sees them."""
    if len(data) > limit:
        raise LimitError(
            f"the {what} is {len(data)} bytes, over the limit of {limit} (--max-record-bytes)"
        )


def encode_error(exc: ValueMismatch) -> EncodeError:
    return EncodeError(exc.problem, path=exc.where)


def decode_error(exc: ValueMismatch, *, position: str | None = None) -> DecodeError:
    return DecodeError(exc.problem, path=exc.where, position=position)


def at_record(exc: RecordError, index: int) -> RecordError:
    """Name the record (1-based) an error belongs to."""
    return exc.located(record=index)
