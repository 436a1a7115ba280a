"""Protobuf codecs: one message per file (``protobuf``) or a length-delimited stream of them.

Both compile the schema once (``fmtbench.schema.proto``) into message classes of a private
descriptor pool, then convert in two compiled steps: canonical record -> keyword tree ->
``cls(**tree)`` on encode (``TreeConverter`` with Protobuf's leaf rules), and parsed message
-> canonical record on decode (no reflection per record): Python source generated per schema
(``fast_read.py``) that only accepts, and on any exception of it the reference walker
(closures built here, one per message type), which returns the same record or raises the
error with its path. ``to_message``/``from_message`` expose the native step on its own for
the benchmark.

Decoding is strict where Protobuf is lenient, because conversion must be lossless: a field
number the schema does not know is an error unless ``drop_unknown``, and so is an enum number
the schema cannot name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar

from google.protobuf.message import Message as ProtoMessage
from google.protobuf.unknown_fields import UnknownFieldSet

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
from fmtbench.codecs.protobuf.count import bound, count_message
from fmtbench.codecs.protobuf.fast_read import FastDecoders
from fmtbench.codecs.protobuf.fast_write import compile_encoders
from fmtbench.codecs.protobuf.frames import delimit
from fmtbench.codecs.protobuf.kwargs import (
    Kwargs,
    compile_kwargs,
    framer,
    struct_encoder,
)
from fmtbench.codecs.protobuf.labels import label_classes
from fmtbench.codecs.protobuf.overflow import OVERFLOW_PATTERN, VARINT_CLASSES, WHOLE, OverflowScan
from fmtbench.codecs.protobuf.wide import wide_classes
from fmtbench.codecs.values import oneof
from fmtbench.codecs.values.canonical import explain
from fmtbench.codecs.values.decimals import decimal_from_proto, decimal_to_text
from fmtbench.codecs.values.leaves import (
    Conv,
    bool_check,
    bytes_check,
    duration_check,
    duration_from_parts,
    duration_parts,
    float32_round,
    float64_check,
    int_check,
    str_check,
    timestamp_check,
    timestamp_from_parts,
    timestamp_parts,
)
from fmtbench.codecs.values.tree import TreeConverter, TreeRules
from fmtbench.errors import DecodeError, EncodeError, LimitError, ValueMismatch, key_segment
from fmtbench.limits import DEFAULT_LIMITS, UPB, UPB_MAX_DEPTH, Limits
from fmtbench.schema.model import (
    Enum,
    EnumRef,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
)
from fmtbench.schema.proto import compile_classes

T = TypeVar("T")

_MAX_VARINT_BYTES = 10
# Reads of a declared length from a stream that cannot tell its size go in slices, so a lying
# prefix costs at most one slice of memory beyond the bytes that really exist.
_READ_SLICE = 2**20
_WIRE_TYPES = {0: "varint", 1: "64-bit", 2: "length-delimited", 3: "group", 4: "group", 5: "32-bit"}


# -- encode: canonical -> keyword tree ----------------------------------------------------
def _enum_to_number(enum: Enum) -> Conv:
    numbers = dict(enum.values)

    def conv(v: Any) -> int:
        try:
            return numbers[v]
        except (KeyError, TypeError):  # TypeError: an unhashable value
            allowed = ", ".join(enum.names)
            raise ValueMismatch(f"expected one of {enum.name} ({allowed}), got {v!r}") from None

    return conv


def _timestamp_to_fields(v: Any) -> dict[str, int]:
    # A plain dict initialises the Timestamp sub-message in C; measured faster than letting
    # upb call Timestamp.FromDatetime (Python) or building a Timestamp object here.
    seconds, nanos = timestamp_parts(timestamp_check(v))
    return {"seconds": seconds, "nanos": nanos}


def _duration_to_fields(v: Any) -> dict[str, int]:
    seconds, nanos = duration_parts(duration_check(v))
    return {"seconds": seconds, "nanos": nanos}


_INTS = {kind: int_check(kind) for kind in ("int32", "int64", "uint32", "uint64")}
PROTO_SCALARS: dict[str, Conv] = {
    "bool": bool_check,
    **_INTS,
    "float32": float32_round,
    "float64": float64_check,
    # upb rejects lone surrogates itself; ``explain`` then names the field, so the happy
    # path skips the regex scan of str_strict.
    "string": str_check,
    "bytes": bytes_check,
    "timestamp": _timestamp_to_fields,
    "duration": _duration_to_fields,
}


def _wrap(v: Any) -> dict[str, Any]:
    """A wrapper field's value as the keywords of its wrapper message (Int64Value...)."""
    return {"value": v}


PROTO_RULES = TreeRules(
    scalar=PROTO_SCALARS,
    enum=_enum_to_number,
    map_key=PROTO_SCALARS,
    fill_missing=False,
    wrapper=_wrap,
    decimal=decimal_to_text,  # a string field holding the decimal's text
)


# -- decode: message -> canonical ---------------------------------------------------------
def _enum_to_name(enum: Enum) -> Conv:
    names = enum.by_number()  # an alias reads as the first name of its number

    def conv(v: int) -> str:
        try:
            return names[v]
        except KeyError:
            raise ValueMismatch(f"enum {enum.name} has no value numbered {v}") from None

    return conv


def _bool_from_varint(v: int) -> bool:
    if v == 1:
        return True
    if v == 0:
        return False
    raise ValueMismatch(f"varint {v} in a bool field: a bool is 0 or 1 on the wire")


# What the reading classes (wide.py) hand back 64 bits wide, checked against the real type.
_WIRE_CHECKS: dict[str, Conv] = {
    "int32": int_check("int32"),
    "uint32": int_check("uint32"),
    "bool": _bool_from_varint,
}


def _is_bare(t: FieldType) -> bool:
    """A scalar read straight from its attribute (the first fields of a record)."""
    return isinstance(t, Scalar) and t.kind not in _MESSAGES


#: The scalar kinds that are messages on the wire (well-known types).
_MESSAGES = frozenset({"timestamp", "duration"})


def _unknown(m: Any) -> ValueMismatch | None:
    """The first field of ``m`` itself that the schema cannot hold, if any.

    upb keeps such fields (and ``ByteSize`` counts them), so they could go unnoticed:
    an unknown number, a known number with the wrong wire type, or a map entry that
    carries an unknown field (upb keeps the whole entry aside then).
    """
    unknown = UnknownFieldSet(m)
    if not len(unknown):
        return None
    first = unknown[0]
    number, wire = first.field_number, _WIRE_TYPES.get(first.wire_type, str(first.wire_type))
    desc = type(m).DESCRIPTOR  # from the class: a field may be named DESCRIPTOR
    known = desc.fields_by_number.get(number)
    if known is None:
        problem = f"unknown field number {number} ({wire}) in {desc.name}"
    else:
        problem = (
            f"field number {number} ({known.name}) holds {wire} data that does not fit it"
            " (a wrong wire type, or an unknown field inside a map entry)"
        )
    return ValueMismatch(f"{problem} (use --drop-unknown to discard it)")


def _timestamp_from_message(ts: Any) -> Any:
    nanos = ts.nanos
    if not 0 <= nanos <= 999_999_999:
        raise ValueMismatch(f"invalid Timestamp: nanos {nanos} is outside 0..999999999")
    return timestamp_from_parts(ts.seconds, nanos)


def _timestamp_strict(ts: Any) -> Any:
    if (exc := _unknown(ts)) is not None:
        raise exc
    return _timestamp_from_message(ts)


def _duration_from_message(d: Any) -> Any:
    return duration_from_parts(d.seconds, d.nanos)


def _duration_strict(d: Any) -> Any:
    if (exc := _unknown(d)) is not None:
        raise exc
    return duration_from_parts(d.seconds, d.nanos)


def _copy_list(v: Any) -> list[Any]:
    return v[:]  # type: ignore[no-any-return]


def _copy_map(v: Any) -> dict[Any, Any]:
    return {k: v[k] for k in v}


def _same(v: Any) -> Any:
    return v


class _Walker:
    """message -> canonical dict, compiled once per message type of a schema.

    The reference walk: errors come from here, with their paths. Decoding runs the
    generated walk of ``fast_read.py`` first, which must agree with this one wherever
    it accepts (tests/test_protobuf_fast.py); a change here belongs there too.
    """

    def __init__(self, codec: _ProtobufBase, classes: dict[str, type[ProtoMessage]]) -> None:
        self.schema = codec.schema
        self.classes = classes
        # Unknown fields: checking each message as the walk passes it costs ~80 ns a
        # message, measured cheaper than DiscardUnknownFields() plus ByteSize() (1-2 us a
        # record). ByteSize() against len(data) would also be unsound: the known part may
        # be encoded shorter than upb writes it (a map entry without its default key, a
        # lone unpacked element), so an unknown field could make the sizes agree.
        self.strict = not codec.drop_unknown
        self.walks: dict[str, Callable[[Any], Record]] = {}
        self.enums = {name: _enum_to_name(e) for name, e in self.schema.enums.items()}
        for name in self.schema.messages:
            self.walks[name] = self._compile(name)

    def _leaf(self, t: FieldType) -> Conv | None:
        """The conversion of one value, or None where upb's value already is canonical."""
        if isinstance(t, Scalar):
            # upb hands back float32 fields as the float32 value widened, which is canonical.
            if t.kind == "timestamp":
                return _timestamp_strict if self.strict else _timestamp_from_message
            if t.kind == "duration":
                return _duration_strict if self.strict else _duration_from_message
            if t.kind == "decimal":
                return decimal_from_proto(t.precision, t.scale)
            return _WIRE_CHECKS.get(t.kind)
        if isinstance(t, EnumRef):
            return self.enums[t.name]
        if isinstance(t, MessageRef):
            walks, name = self.walks, t.name
            return lambda m: walks[name](m)  # late-bound: message types may recurse
        raise AssertionError(t)

    def _field(self, t: FieldType) -> Conv | None:
        # Measured on upb: slicing a repeated field beats list() (1.4x), and a
        # comprehension over a map's keys beats dict() or .items() (1.1-1.9x).
        if isinstance(t, ListOf):
            item = self._leaf(t.item)
            if item is None:
                return _copy_list

            def conv_list(v: Any, item: Conv = item) -> list[Any]:
                out: list[Any] = []
                try:
                    out.extend(map(item, v))  # on failure len(out) is the failing index
                except ValueMismatch as exc:
                    raise exc.at(len(out)) from None
                return out

            return conv_list
        if isinstance(t, MapOf):
            key, value = self._leaf(t.key), self._leaf(t.value)
            if key is None and value is None:
                return _copy_map

            def conv_map(
                v: Any, key: Conv = key or _same, value: Conv = value or _same
            ) -> dict[Any, Any]:
                out = {}
                k = None  # the key as the path names it: the wire's until it is converted
                try:
                    for wire_key in v:
                        k = wire_key
                        k = key(wire_key)
                        out[k] = value(v[wire_key])
                except ValueMismatch as exc:
                    raise exc.at(key_segment(k)) from None
                return out

            return conv_map
        return self._leaf(t)

    def _wrapped(self, t: FieldType) -> Conv:
        """A wrapper message (Int64Value...) -> its value, checked as the bare kind is."""
        leaf = self._leaf(t) or _same
        strict = self.strict

        def conv(w: Any) -> Any:
            if strict and (exc := _unknown(w)) is not None:
                raise exc
            return leaf(w.value)

        return conv

    def _compile(self, name: str) -> Callable[[Any], Record]:
        msg = self.schema.messages[name]
        # Scalars first, in one loop, then the checks of some of them (the key order stays).
        plain = tuple(f.name for f in msg.fields if not f.optional and _is_bare(f.type))
        checked = tuple(
            (f.name, conv)
            for f in msg.fields
            if not f.optional and _is_bare(f.type) and (conv := self._field(f.type)) is not None
        )
        converted = tuple(
            (f.name, conv)
            for f in msg.fields
            if not f.optional and not _is_bare(f.type) and (conv := self._field(f.type)) is not None
        )
        optional = tuple(
            (f.name, self._wrapped(f.type) if f.wrapper else self._field(f.type))
            for f in msg.fields
            if f.optional
        )
        # proto2 required fields: absent is an error, never the zero value.
        required = tuple(f.name for f in msg.fields if f.required)
        # The reading classes keep every oneof member the bytes set (wide.py): two is an error.
        check = oneof.checker(msg)
        strict = self.strict
        # Taken from the class, not looked up on each message: upb lets a field shadow a
        # method of the same name (a field called HasField), and the unbound call is faster.
        has_field = self.classes[name].HasField

        def walk(m: Any) -> Record:
            if strict and (exc := _unknown(m)) is not None:
                raise exc
            out = {}
            field = ""
            try:
                for field in required:
                    if not has_field(m, field):
                        raise ValueMismatch("required field is missing")
                for field in plain:
                    out[field] = getattr(m, field)
                for field, conv in checked:
                    out[field] = conv(out[field])
                for field, conv in converted:
                    out[field] = conv(getattr(m, field))
                for field, oconv in optional:
                    if has_field(m, field):
                        v = getattr(m, field)
                        out[field] = v if oconv is None else oconv(v)
            except ValueMismatch as exc:
                raise exc.at(field) from None
            if check is not None:
                check(out)
            return out

        return walk


# -- the codecs ----------------------------------------------------------------------------
class _ProtobufBase(Codec):
    """What both Protobuf codecs share: the compiled classes and the two conversions."""

    nesting = UPB
    parser_depth = UPB_MAX_DEPTH

    def __init__(
        self,
        schema: Schema,
        type_name: str | None = None,
        *,
        drop_unknown: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        max_message_bytes: int | None = None,
    ) -> None:
        super().__init__(schema, type_name, drop_unknown=drop_unknown, limits=limits)
        # The limits' max_record_bytes unless given here (the tests' small limits).
        self.max_message_bytes = (
            limits.max_record_bytes if max_message_bytes is None else max_message_bytes
        )
        self._write_bound = min(self._safe_size, self.max_message_bytes)
        compiled = compile_classes(schema)  # refuses a backend other than upb
        self.message_class: type[ProtoMessage] = compiled.classes[self.message.name]
        # Decoding parses with the reading classes (wide.py): each varint 64 bits wide, so
        # that the walks can refuse what does not fit instead of taking upb's truncation.
        reading = self._reading = wide_classes(schema)
        #: Read by a writer that takes parsed messages as they are (protojson/from_protobuf.py).
        self.reading_classes: dict[str, type[ProtoMessage]] = reading
        self.reading_class: type[ProtoMessage] = reading[self.message.name]
        # From the class: a field may be named like a method (ParseFromString), and upb
        # answers an attribute of a message with the field first.
        self._from_string = self.reading_class.FromString
        self._overflow = OverflowScan(schema, self.message.name)
        self._varints = self._overflow.needed
        # Up to this size ``decode`` skips the tests of large messages: the size limit, the
        # count of values, the overflow walk (a smaller one is searched whole in one call).
        self._quick_size = min(
            self.max_message_bytes, self._safe_size, WHOLE if self._varints else self._safe_size
        )
        tree = TreeConverter(schema, PROTO_RULES)
        self._to_tree = tree.message(self.message.name)
        # The fast encode's classes: the same bytes, but enum names are labels upb knows
        # (labels.py), so that records holding enums are their own keywords.
        labels = label_classes(schema)
        self._cls = self.message_class if labels is None else labels[self.message.name]
        # Where no map can occur, serialized without ``deterministic=True``: it only orders
        # map entries, and the keyword costs more than the serializing of a small message
        # (measured 2x).
        self._maps = any(
            isinstance(f.type, MapOf) for m in schema.messages.values() for f in m.fields
        )
        cap: int | None = None
        # What ``encode`` does with a record the generated code declines.
        self._declined: Callable[[Record], bytes] = self._encode_reference_sized
        if self.write_check() is not None:
            # Records that may nest past the depth limits (a recursive schema): the fast
            # builders count levels themselves and decline a record that comes near the
            # cap, by a margin of the two levels a message's own leaves may take (a map of
            # timestamps), so only the reference path needs the walk of ``write_check``.
            cap = min(self.limits.max_depth, UPB.cap) - 2
            self._declined = self.checked_writes(self._encode_reference_sized)
        encoders = compile_encoders(
            schema,
            self.message.name,
            tree,
            compiled.classes if labels is None else labels,
            cap,
            labels=labels is not None,
            deterministic=self._maps,
            declined=self._declined,
            sized=self._sized,
            bound=self._write_bound,
        )
        self._fast_encode = encoders.fast
        self.encode = encoders.encode  # type: ignore[method-assign, assignment]
        self._reference = _Walker(self, reading).walks[self.message.name]
        decoders = FastDecoders(schema, reading, strict=not drop_unknown)
        #: Per message type, the generated walk to its record (raising where it declines):
        #: a writer may walk a batch's items itself (json/from_protobuf.py).
        self.walks = decoders.compile()
        self._fast = self.walks[self.message.name]
        if self._depth_check is None:
            # ``decode`` below, generated whole (a call less a record), the walk written
            # out. Not where records may nest past --max-depth: there ``Codec`` has wrapped
            # ``decode`` in the depth check already.
            self.decode = decoders.compile_decode(  # type: ignore[method-assign, assignment]
                self.message.name,
                parse=self._from_string,
                parse_error=self._parse_error,
                quick_size=self._quick_size,
                any_size=self._decode_any_size,
                overflow=self._check_overflow if self._varints else None,
                reference=self._from_message_reference,
            )
        self._kwargs: Kwargs | None = None  # compiled on first use (writer_for_decoded)

    # The native step, separated for the benchmark.
    def to_message(self, record: Record) -> ProtoMessage:
        try:
            tree = self._to_tree(record)
        except ValueMismatch as exc:
            raise encode_error(exc) from None
        try:
            return self.message_class(**tree)
        except (ValueError, TypeError) as exc:  # e.g. a lone surrogate (UnicodeEncodeError)
            raise explain(self.schema, self.message.name, record, exc, "protobuf") from None

    def from_message(self, msg: ProtoMessage) -> Record:
        if type(msg) is not self.reading_class:
            # A message of the writing class (to_message's) has only values that fit: its
            # bytes read back into the reading class unchanged.
            msg = self.parse(msg.SerializeToString())
        try:
            return self._fast(msg)
        except Exception:
            # The generated walk only accepts (fast_read.py). Whatever it raised (an
            # unknown field, an enum number without a name, RecursionError too), the
            # reference walks the same message again and returns the same record or
            # raises the error, with its path, that it always raised.
            return self._from_message_reference(msg)

    def _from_message_reference(self, msg: ProtoMessage) -> Record:
        try:
            return self._reference(msg)
        except ValueMismatch as exc:
            raise decode_error(exc) from None

    def parse(self, data: bytes) -> ProtoMessage:
        """Bytes to a message (upb keeps unknown fields aside for ``from_message``)."""
        # Unknown fields are found by from_message, as it walks the message (see _Walker).
        try:
            msg = self._from_string(data)
        except Exception as exc:  # upb raises DecodeError, but garbage may surface otherwise
            raise self._parse_error(exc) from None
        if self._varints:
            self._check_overflow(data)
        if len(data) > self._safe_size:
            self._count_values(msg, len(data))
        return msg

    def _count_values(self, msg: ProtoMessage, size: int) -> None:
        if bound(size, self.values.per_byte) > self.values.limit:
            count_message(self.values, msg, self._reading)

    def _check_overflow(self, data: bytes) -> None:
        try:
            self._overflow.check(data)
        except ValueMismatch as exc:
            raise decode_error(exc) from None

    def _parse_error(self, exc: Exception) -> DecodeError:
        return DecodeError(f"not a valid {self.message.name} message: {exc}")

    def encode(self, record: Record) -> bytes:
        """Replaced in ``__init__`` by the generated ``encode`` (fast_write.py), a call
        less a record: the checked message built and serialized, and where that declines
        (any exception), ``_declined``: the reference path, which gives the same bytes or
        today's error; a message over ``_write_bound`` bytes then goes to ``_sized``."""
        data: bytes | None
        try:
            data = self._fast_encode(record)
        except Exception:
            data = None
        if data is None:  # outside the handler: its errors do not chain the decline
            return self._declined(record)
        return data if len(data) <= self._write_bound else self._sized(record, data)

    def _sized(self, record: Record, data: bytes) -> bytes:
        if len(data) > self._write_bound:  # a large record only: more checks then
            if len(data) > self.max_message_bytes:  # what decode() and both readers refuse
                raise oversized(len(data), self.max_message_bytes, "Protobuf")
            self.refuse_too_many_values(record)
        return data

    def _encode_reference_sized(self, record: Record) -> bytes:
        return self._sized(record, self._encode_reference(record))

    def _encode_reference(self, record: Record) -> bytes:
        msg = self.to_message(record)
        try:
            return msg.SerializeToString(deterministic=True)
        except (ValueError, TypeError) as exc:
            raise explain(self.schema, self.message.name, record, exc, "protobuf") from None

    def decode(self, data: bytes) -> Record:
        # Replaced in ``__init__`` by the same steps generated whole (fast_read.py) where
        # no depth check wraps it.
        if len(data) > self._quick_size:
            return self._decode_any_size(data)
        # A small message: within every limit, and searched whole for varints over 64 bits.
        try:
            msg = self._from_string(data)
        except Exception as exc:
            raise self._parse_error(exc) from None
        if self._varints and data.translate(VARINT_CLASSES).find(OVERFLOW_PATTERN) >= 0:
            self._check_overflow(data)
        try:
            return self._fast(msg)
        except Exception:
            return self._from_message_reference(msg)

    def _decode_any_size(self, data: bytes) -> Record:
        """``decode`` of a message of any size: the limits and the overflow walk."""
        refuse_oversized(data, self.max_message_bytes, "message")
        # parse() and from_message() spelled out: two calls less a record, same outcome.
        try:
            msg = self._from_string(data)
        except Exception as exc:
            raise self._parse_error(exc) from None
        # overflow.py: a small message is searched here (one C call), a large one walked.
        if self._varints and (
            len(data) > WHOLE or data.translate(VARINT_CLASSES).find(OVERFLOW_PATTERN) >= 0
        ):
            self._check_overflow(data)
        if len(data) > self._safe_size:  # a large message only (values/count.py)
            self._count_values(msg, len(data))
        try:
            return self._fast(msg)
        except Exception:
            return self._from_message_reference(msg)


class ProtobufCodec(_ProtobufBase):
    """A file is one message: the bytes ``SerializeToString`` gives, with no framing."""

    def reader(self, src: BinaryIO) -> RecordReader:
        return _SingleReader(self, src)

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        # The format has only the one-message form, whatever ``single`` asks for.
        return _SingleWriter(self, out)


class ProtobufDelimitedCodec(_ProtobufBase):
    """Messages each preceded by its varint length (writeDelimitedTo / parseDelimitedFrom)."""

    def reader(self, src: BinaryIO) -> RecordReader:
        return _DelimitedReader(self, src)

    def writer(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        return FramedWriter(self.encode, out, delimit, name="protobuf-delimited")

    def writer_for_decoded(self, out: BinaryIO, *, single: bool = False) -> RecordWriter:
        if self.write_check() is not None:
            # Records that may nest too deep (a recursive schema, a raised --max-depth):
            # the depth checks are on the reference path.
            return self.writer(out, single=single)
        if self._kwargs is None:
            self._kwargs = compile_kwargs(self.schema, self.message.name)
        frame = framer(self.schema, self.message.name, self.message_class, self.max_message_bytes)
        writer = _DecodedWriter(self, self._kwargs, frame, out)
        direct = struct_encoder(
            self.schema, self.message.name, self.message_class, self.max_message_bytes
        )
        if direct is not None:  # a JSON reader's Structs, where canonical (kwargs.py)
            writer.structs = StructTarget(*direct)
        return writer


# -- files ---------------------------------------------------------------------------------
class _SingleReader(RecordReader):
    single = True

    def __init__(self, codec: _ProtobufBase, src: BinaryIO) -> None:
        self.codec, self.src = codec, src
        self.done = False

    def __next__(self) -> Record:
        if self.done:
            raise StopIteration
        # decode (not parse and record_of): base.py may have wrapped it in --max-depth checks.
        record = self._located(self.codec.decode)
        self.count = 1
        return record

    def parsed_message(self) -> ProtoMessage | None:
        """The one message, parsed and checked (``record_of`` gives its record), for a
        writer that takes it as it is (``take_parsed``, pump.py): what ``__next__`` checks
        but the walk to a record. None, reading nothing, where a depth check is due."""
        if self.codec.has_depth_check:
            return None
        msg = self._located(self.codec.parse)
        self.count = 1
        return msg

    def record_of(self, msg: ProtoMessage) -> Record:
        try:
            return self.codec.from_message(msg)
        except DecodeError as exc:
            raise exc.located(record=1) from None

    def _located(self, read: Callable[[bytes], T]) -> T:
        self.done = True
        # One message has no framing, so its end is the end of the file; an empty file is
        # a message with every field at its zero value.
        limit = self.codec.max_message_bytes
        data = self.src.read(limit + 1)
        try:
            if len(data) > limit:
                raise LimitError(
                    f"the message is over the limit of {limit} bytes (--max-record-bytes)"
                )
            return read(data)
        except DecodeError as exc:
            raise exc.located(record=1) from None


class _SingleWriter(RecordWriter):
    def __init__(self, codec: _ProtobufBase, out: BinaryIO) -> None:
        self.codec, self.out = codec, out
        self.count = 0

    def take_parsed(self, reader: RecordReader) -> bool:
        """Write the one message of ``reader`` from the bytes it hands over, encoded for
        this codec already (protojson/to_protobuf.py: no record built); False, reading
        nothing, where the reader has none (the caller then pumps records)."""
        encoded = getattr(reader, "protobuf_message", None)
        if encoded is None or self.count:
            return False
        pieces = encoded(self.codec)
        if pieces is None:
            return False
        for piece in pieces:
            self.out.write(piece)
        self.count = 1
        return True

    def write(self, record: Record) -> None:
        if self.count:
            raise EncodeError(
                "the protobuf format holds one message; use protobuf-delimited for many records"
            ).located(record=self.count + 1)
        try:
            data = self.codec.encode(record)
        except EncodeError as exc:
            raise exc.located(record=1) from None
        self.out.write(data)
        self.count = 1

    def close(self) -> None:
        if not self.count:
            # Zero bytes would read back as one all-zero record, not as none.
            raise EncodeError(
                "the protobuf format holds exactly one message and no record was written;"
                " use protobuf-delimited for zero or many records"
            )


class _DelimitedReader(RecordReader):
    def __init__(self, codec: _ProtobufBase, src: BinaryIO) -> None:
        self.codec, self.src = codec, src
        self.limit = codec.max_message_bytes
        self.offset = 0  # bytes consumed so far, from where this reader started
        # The size of a seekable stream lets a lying length fail before anything is read.
        self.end: int | None = None
        try:
            if src.seekable():
                start = src.tell()
                self.end = src.seek(0, 2) - start
                src.seek(start)
        except (OSError, ValueError):
            self.end = None

    def _fail(self, problem: str, at: int, cls: type[DecodeError] = DecodeError) -> DecodeError:
        exc = cls(problem, position=f"byte offset {at}")
        exc.located(record=self.count + 1)
        return exc

    def _length(self) -> int | None:
        """The next length prefix, or None at a clean end of the stream."""
        start = self.offset
        shift = result = 0
        for i in range(_MAX_VARINT_BYTES):
            b = self.src.read(1)
            if not b:
                if i == 0:
                    return None
                raise self._fail(f"truncated: the length prefix ends after {i} bytes", start)
            self.offset += 1
            byte = b[0]
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7
        raise self._fail(
            f"malformed length prefix: no varint end within {_MAX_VARINT_BYTES} bytes", start
        )

    def _body(self, length: int, start: int) -> bytes:
        # Checked before the limit: "truncated" is the truer report when the size is known.
        if self.end is not None and length > self.end - self.offset:
            raise self._fail(
                f"truncated: declares {length} bytes but only {self.end - self.offset} remain",
                start,
            )
        if length > self.limit:
            raise self._fail(
                f"declares {length} bytes, over the limit of {self.limit} bytes (--max-record-bytes)",
                start,
                LimitError,
            )
        if length <= _READ_SLICE:
            body = self.src.read(length)
        else:
            parts, got = [], 0
            while got < length:
                part = self.src.read(min(_READ_SLICE, length - got))
                if not part:
                    break
                parts.append(part)
                got += len(part)
            body = b"".join(parts)
        if len(body) != length:
            raise self._fail(
                f"truncated: declares {length} bytes but only {len(body)} remain", start
            )
        self.offset += length
        return body

    def __next__(self) -> Record:
        start = self.offset
        length = self._length()
        if length is None:
            if start == 0 and self.count == 0:
                raise DecodeError(EMPTY_STREAM.format(fmt="protobuf-delimited"))
            raise StopIteration
        body = self._body(length, start)
        try:
            record = self.codec.decode(body)
        except DecodeError as exc:
            if exc.position is None:
                exc.position = f"byte offset {start}"
            raise exc.located(record=self.count + 1) from None
        self.count += 1
        return record


class _DecodedWriter(FramedWriter):
    """Delimited messages from records a decoder produced (kwargs.py): keywords
    built without the reference's checks; anything upb refuses takes the reference path."""

    def __init__(
        self,
        codec: _ProtobufBase,
        kwargs: Kwargs,
        frame: Callable[[list[dict[str, Any]]], bytes | None],
        out: BinaryIO,
    ) -> None:
        super().__init__(codec.encode, out, delimit, name="protobuf-delimited")
        self._kwargs, self._cls, self._write = kwargs, codec.message_class, out.write
        self._frame, self._max_bytes = frame, codec.max_message_bytes
        # As ``encode``: unbound, and ordering map entries only where there are maps.
        self._serialize, self._maps = codec.message_class.SerializeToString, codec._maps

    def write(self, record: Record) -> None:
        try:
            msg = self._cls(**self._kwargs(record))
            data = self._serialize(msg, deterministic=True) if self._maps else self._serialize(msg)
        except Exception:
            data = None
        if data is None or len(data) > self._max_bytes:  # too large: the reference says so
            # Outside the handler, so that the reference's error does not chain upb's refusal:
            # the same bytes, or the error naming the field and the record.
            super().write(record)
        else:
            self.count += 1
            self._write(delimit(data))

    def write_many(self, records: list[Record]) -> None:
        """``write`` for each record, the messages built and framed at once (``framer``); on
        any refusal or a large message, the same records go through ``write``."""
        try:
            data = self._frame(list(map(self._kwargs, records)))
        except Exception:
            data = None
        if data is None:
            for record in records:
                self.write(record)
            return
        self.count += len(records)
        self._write(data)
