"""ProtoJSON (``protojson``: one message, or an array of them) and ProtoJSON Lines
(``protojsonl``: one message a line): protobuf's JSON mapping, read with orjson and written
with msgspec through converters generated per schema (``compile.py``), leaf rules in
``leaves.py``. docs/formats.md says what is written and what is read.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, BinaryIO

import msgspec
import orjson

from fmtbench.codecs.base import (
    Codec,
    FramedWriter,
    Record,
    RecordReader,
    RecordWriter,
    decode_error,
    oversized,
    refuse_oversized,
)
from fmtbench.codecs.json.codec import (
    ORJSON,
    JsonLinesReader,
    _loads,
    json_bound,
    with_newline,
)
from fmtbench.codecs.json.keys import refuse_duplicates
from fmtbench.codecs.protojson.compile import key_renames, reader, writer
from fmtbench.codecs.protojson.leaves import Inexact
from fmtbench.codecs.values.canonical import explain, validate
from fmtbench.codecs.values.count import value_plans
from fmtbench.errors import DecodeError, EncodeError, LimitError, ValueMismatch
from fmtbench.halves import Pieces

if TYPE_CHECKING:
    from fmtbench.codecs.protojson.from_protobuf import Fused
    from fmtbench.codecs.protojson.to_protobuf import Typed

# msgspec writes, as the JSON codec does: orjson stops at 254 levels, which records within
# --max-depth may pass. orjson's own spelling serves only to count quotes (_decode_line).
_dumps = msgspec.json.Encoder().encode
_quotes = orjson.dumps
_read_document = msgspec.json.Decoder().decode
# A lone surrogate (UnicodeEncodeError), nesting beyond the interpreter's limit.
_DUMPS_ERRORS = (msgspec.EncodeError, TypeError, ValueError, OverflowError, RecursionError)


def _no_constant(word: str) -> Any:
    raise ValueError(f"{word} is not JSON")  # orjson has already refused it: never reached


def exact_loads(data: bytes, position: str | None = None) -> Any:
    """The tree again with every number kept exact (Decimal for fractions and exponents):
    for the rare input whose integers are spelled as 1e3 or lie past 64 bits."""
    try:
        return json.loads(data, parse_float=Decimal, parse_constant=_no_constant)
    except RecursionError:
        raise LimitError("JSON nested too deeply to read its numbers", position=position) from None


class ProtoJsonCodec(Codec):
    """A ``.protojson`` file: one message (an object) or an array of messages."""

    nesting = ORJSON

    def __init__(self, *args: Any, proto_names: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name = self.message.name
        #: Writes the original field names instead of the JSON (lowerCamelCase) ones.
        self.proto_names = proto_names
        self._write = writer(self.schema, proto_names=proto_names)[name]
        self._read = reader(self.schema, drop_unknown=self.drop_unknown)[name]
        self._max_bytes = self.limits.max_record_bytes
        self._renames = key_renames(self.schema)
        self._plans = value_plans(self.schema)
        self._fused: dict[tuple[int, bool], Fused | None] = {}
        self._typed: list[Typed | None] = []  # compiled on first use

    # -- writing ---------------------------------------------------------------------------
    def from_protobuf(self, classes: dict[str, type[Any]], *, strict: bool) -> Fused | None:
        """Parsed Protobuf messages of the reading ``classes`` -> this codec's trees
        (from_protobuf.py), compiled on first use; None for a schema it leaves alone."""
        key = (id(classes), strict)
        if key not in self._fused:
            # Here, not at import: ProtoJSON alone never loads the Protobuf decoder.
            from fmtbench.codecs.protojson.from_protobuf import compile_fused

            fused = compile_fused(self.schema, classes, strict=strict, proto_names=self.proto_names)
            self._fused[key] = None if fused is None else fused[self.message.name]
        return self._fused[key]

    def to_tree(self, record: Record) -> Any:
        """The record as ProtoJSON values (validated on the way)."""
        try:
            return self._write(record)
        except RecursionError:
            raise
        except Exception:  # not canonical, or not a record at all: the validator says why
            pass
        canonical = validate(self.schema, record, self.message.name)
        try:
            return self._write(canonical)
        except RecursionError:
            raise
        except Exception as exc:  # a canonical record the writer refuses: a bug
            raise EncodeError(f"ProtoJSON cannot encode this record: {exc!r}") from None

    def dumps(self, tree: Any, record: Record) -> bytes:
        try:
            return _dumps(tree)
        except _DUMPS_ERRORS as exc:
            raise explain(self.schema, self.message.name, record, exc, "ProtoJSON") from None

    def encode(self, record: Record) -> bytes:
        data = self.dumps(self.to_tree(record), record)
        if len(data) > self._write_bound:  # what decode() and the lines reader refuse
            if len(data) > self._max_bytes:
                raise oversized(len(data), self._max_bytes, "ProtoJSON")
            self.refuse_too_many_values(record)
        return data

    def encode_any_size(self, record: Record) -> bytes:
        """``encode`` without the size limit: a ``.protojson`` file is read whole."""
        data = self.dumps(self.to_tree(record), record)
        if len(data) > self._safe_size:
            self.refuse_too_many_values(record)
        return data

    # -- reading ---------------------------------------------------------------------------
    def from_tree(self, tree: Any, data: bytes, index: int | None = None) -> Record:
        """One record from its parsed tree; ``data`` is the text it came from (re-read with
        exact numbers when the tree cannot say; ``index``: its place in a file's array)."""
        try:
            try:
                return self._read(tree)  # type: ignore[no-any-return]
            except Inexact:
                pass
            exact = exact_loads(data)
            return self._read(exact if index is None else exact[index])  # type: ignore[no-any-return]
        except Inexact:  # a Decimal is never inexact: unreachable, but never silent
            raise ValueMismatch("a number could not be read exactly") from None

    def decode(self, data: bytes) -> Record:
        if len(data) > self._max_bytes:
            refuse_oversized(data, self._max_bytes)
        return self._decode_line(data, 0)

    def _decode_line(self, data: bytes, line: int) -> Record:
        """One record; ``line`` (from 1) is where a lines file holds it, or 0."""
        try:
            tree = orjson.loads(data)
        except orjson.JSONDecodeError:
            tree = _loads(data, f"line {line}" if line else None)  # raises, located
        if len(data) > self._safe_size:  # values/count.py: a large record only
            self._count_values(tree, data, line)
        try:
            record = self.from_tree(tree, data)
        except ValueMismatch as exc:
            raise decode_error(exc, position=f"line {line}" if line else None) from None
        # orjson keeps the last of two equal keys. Without a backslash every quote of the
        # input delimits a string, so the same count on the tree re-written proves that no
        # key (nor its value) was dropped (json/keys.py has the longer argument).
        if b"\\" in data or data.count(b'"') != _count_quotes(tree):
            refuse_duplicates(data, f"line {line}" if line else None)
        return record

    def _count_values(self, tree: Any, data: bytes, line: int) -> None:
        """Refuse a record that would expand past the values limit, before it is built."""
        if json_bound(data, self.values.per_byte) <= self.values.limit:
            return
        try:
            self.values.tree(self.field_names(tree))
        except LimitError as exc:
            exc.position = f"line {line}" if line else None
            raise

    def field_names(self, tree: Any) -> Any:
        """The tree with JSON names turned into field names in place (for the values count,
        which knows fields by their names)."""
        renames, plans = self._renames, self._plans
        stack = [(tree, self.message.name)]
        while stack:
            value, name = stack.pop()
            if value.__class__ is not dict:
                continue
            for camel, fname in renames[name]:
                if camel in value and fname not in value:
                    value[fname] = value.pop(camel)
            for fname, how, inner, _, _ in plans[name].children:
                x = value.get(fname)
                if not inner or x is None:
                    continue
                if how == "one":
                    stack.append((x, inner))
                elif how == "list" and x.__class__ is list:
                    stack.extend((item, inner) for item in x)
                elif how == "map" and x.__class__ is dict:
                    stack.extend((item, inner) for item in x.values())
        return tree

    def to_protobuf(self, data: bytes, target: Any) -> Pieces | None:
        """The one message of the ProtoJSON text ``data`` as the bytes ``target`` (a
        Protobuf codec of this schema) would write for its record, in pieces
        (``halves.Pieces``), with no tree nor record built (to_protobuf.py); None where that
        route does not apply or declines."""
        if not self.writes_as(target):
            return None
        if not self._typed:
            # Here, not at import: ProtoJSON alone never loads the Protobuf classes.
            from fmtbench.codecs.protojson.to_protobuf import compile_typed

            self._typed.append(compile_typed(self.schema, self.message.name))
        typed = self._typed[0]
        if typed is None:
            return None
        # The usual route counts values on a large text (and the writer on a large
        # message, under the same limit): here, a record that may hold too many declines.
        values = self.values
        out = typed.encode(data, None if values.safe(len(data)) else values.limit)
        if out is None or sum(map(len, out)) > target.max_message_bytes:  # the usual error
            return None
        return out

    def reader(self, src: BinaryIO) -> RecordReader:
        return _FileReader(self, src.read())

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        return _FileWriter(self, out, single)


_SPACE = re.compile(rb"[ \t\r\n]*")


class _FileReader(RecordReader):
    def __init__(self, codec: ProtoJsonCodec, data: bytes) -> None:
        self.codec, self.data = codec, data
        self._items: list[Any] | None = None
        # A file of one message (an object) is parsed on first use: a Protobuf writer may
        # take its bytes whole (``to_protobuf``), and then no tree is built. Should it not
        # parse, the first read raises what parsing here would have.
        self.single = data[_SPACE.match(data).end() :][:1] == b"{"  # type: ignore[union-attr]
        if not self.single:
            self._parse()

    def _parse(self) -> list[Any]:
        codec, data = self.codec, self.data
        try:
            # msgspec for a whole file: orjson's parser peaks at about 15 times the input,
            # msgspec's at the size of the tree; orjson then words the error, if any.
            tree = _read_document(data)
        except (msgspec.DecodeError, RecursionError):
            tree = _loads(data)
        if isinstance(tree, dict):
            self.single = True
            items: list[Any] = [tree]
        elif isinstance(tree, list):
            items = tree
        else:
            raise DecodeError(
                "a ProtoJSON file holds a message (object) or an array of messages, not"
                f" {type(tree).__name__}"
            )
        values = codec.values
        if not values.safe(len(data)) and json_bound(data, values.per_byte) > values.limit:
            for i, item in enumerate(items, 1):
                try:
                    values.tree(codec.field_names(item))
                except LimitError as exc:
                    raise exc.located(record=i) from None
        if b"\\" in data or data.count(b'"') != _count_quotes(tree):
            refuse_duplicates(data)
        # Reversed and popped: each message's tree is let go once its record is built.
        self._items = items[::-1] if len(items) > 1 else items
        return self._items

    def protobuf_message(self, target: Any) -> Pieces | None:
        """The one message's bytes as the Protobuf codec ``target`` writes its record,
        read straight from the text (``ProtoJsonCodec.to_protobuf``), for a writer that
        takes them (``take_parsed``, pump.py); None, reading nothing, where it does not."""
        if self._items is not None or self.count:
            return None
        data = self.codec.to_protobuf(self.data, target)
        if data is not None:
            self._items = []
            self.count = 1
        return data

    def __next__(self) -> Record:
        items = self._items
        if items is None:
            items = self._parse()
        if not items:
            raise StopIteration
        tree = items.pop()
        self.count += 1
        try:
            return self.codec.from_tree(tree, self.data, None if self.single else self.count - 1)
        except ValueMismatch as exc:
            raise decode_error(exc).located(record=self.count) from None


class _FileWriter(RecordWriter):
    def __init__(self, codec: ProtoJsonCodec, out: BinaryIO, single: bool) -> None:
        self.codec, self.out, self.single = codec, out, single
        self.count = 0
        self.encode = codec.checked_writes(codec.encode_any_size, extra=0 if single else 1)

    def take_parsed(self, reader: RecordReader) -> bool:
        """Write the one parsed Protobuf message of ``reader`` straight as this file's
        message, without its canonical record (from_protobuf.py); False, reading nothing,
        where the route does not apply (the caller then pumps records)."""
        parsed = getattr(reader, "parsed_message", None)
        source = getattr(reader, "codec", None)
        classes = getattr(source, "reading_classes", None)
        codec = self.codec
        if (
            parsed is None
            or classes is None
            or not self.single
            or self.count
            # What the Protobuf reader counted, this writer's check would count (the same
            # canonical record), under the same limit; and no depth check is due here.
            or not source.writes_as(codec)  # type: ignore[union-attr]
            or self.encode != codec.encode_any_size
        ):
            return False
        fused = codec.from_protobuf(classes, strict=not source.drop_unknown)  # type: ignore[union-attr]
        if fused is None:
            return False
        msg = parsed()
        if msg is None:  # the reader has a depth check to make: records, one by one
            return False
        from fmtbench.codecs.protojson.from_protobuf import written

        pieces: Pieces | None
        try:
            pieces = written(fused, msg)
        except Exception:  # any reason at all: the record, on the usual path, decides
            pieces = None
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
                    "this ProtoJSON file holds one message; write an array for more",
                    record=self.count,
                )
            self.out.write(data)
        else:
            self.out.write(b"[\n" if self.count == 1 else b",\n")
            self.out.write(data)

    def close(self) -> None:
        if self.single:
            if self.count == 0:
                raise EncodeError("no record to write as a single ProtoJSON message")
            self.out.write(b"\n")
        else:
            self.out.write(b"[]\n" if self.count == 0 else b"\n]\n")


class ProtoJsonLinesCodec(ProtoJsonCodec):
    """One message a line, each written as ``ProtoJsonCodec`` writes a message."""

    def reader(self, src: BinaryIO) -> RecordReader:
        return JsonLinesReader(self, src)

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        return FramedWriter(self.encode, out, with_newline)


def _count_quotes(tree: Any) -> int:
    try:
        return _quotes(tree).count(b'"')
    except orjson.JSONEncodeError:  # deeper than orjson writes: the full check
        return -1


__all__ = ["ProtoJsonCodec", "ProtoJsonLinesCodec"]
