"""Reading classes that see each varint whole, so that a value too large for its field is
an error rather than a silent truncation.

Protobuf readers cast what they parse to the field's type, as C would: varint 2^32+5 in an
``int32`` field reads as 5, ``2^40`` in a ``bool`` as true, and an enum number alike. That
is a compatibility rule for readers, not a licence for a converter that promises lossless or
an error. So the codecs parse with a second set of classes, compiled from the same schema,
in which every varint field is 64 bits wide (``int32`` and enums as ``int64``, ``uint32``
and ``bool`` as ``uint64``, Timestamp's ``nanos`` as ``int64``). The field numbers and wire
types are the schema's, so upb parses exactly the bytes it would otherwise, at the same
speed; the walks (``codec._Walker``, ``fast_read``) then check each value against its
field's real type and give ``bool`` its ``True``/``False``.

What 64 bits cannot hold, a varint whose tenth byte carries bits above bit 63, upb drops
without a word; ``overflow.py`` finds those.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, wrappers_pb2
from google.protobuf.message import Message as ProtoMessage

from fmtbench.errors import SchemaError
from fmtbench.schema.model import Schema
from fmtbench.schema.proto import (
    DURATION_FILE,
    DURATION_TYPE,
    TIMESTAMP_FILE,
    TIMESTAMP_TYPE,
    file_descriptor,
)

FDP = descriptor_pb2.FieldDescriptorProto
_WIDENED = {
    FDP.TYPE_INT32: FDP.TYPE_INT64,
    FDP.TYPE_UINT32: FDP.TYPE_UINT64,
    FDP.TYPE_BOOL: FDP.TYPE_UINT64,
    FDP.TYPE_ENUM: FDP.TYPE_INT64,
    # Zigzag decodes alike at both widths for what fits 32 bits; fixed32 and sfixed32 hold
    # exactly their type's range (four bytes), fixed64 and sfixed64 theirs.
    FDP.TYPE_SINT32: FDP.TYPE_SINT64,
}

_cache: dict[int, tuple[Schema, dict[str, type[ProtoMessage]]]] = {}


def wide_timestamp(
    file: str = TIMESTAMP_FILE, full_name: str = TIMESTAMP_TYPE
) -> descriptor_pb2.FileDescriptorProto:
    """``google/protobuf/timestamp.proto`` as the reading pool has it: ``nanos`` 64 bits wide
    (and ``duration.proto`` alike, given its names: the same two fields).

    Same file, package and name as the real one, so the schema's file refers to it unchanged
    and errors name ``Timestamp``."""
    package, name = full_name.rsplit(".", 1)
    fdp = descriptor_pb2.FileDescriptorProto(name=file, package=package, syntax="proto3")
    ts = fdp.message_type.add(name=name)
    for number, field in enumerate(("seconds", "nanos"), 1):
        ts.field.add(name=field, number=number, type=FDP.TYPE_INT64, label=FDP.LABEL_OPTIONAL)
    return fdp


def wide_wrappers() -> descriptor_pb2.FileDescriptorProto:
    """``google/protobuf/wrappers.proto`` with ``Int32Value``, ``UInt32Value`` and
    ``BoolValue`` 64 bits wide (the same file and names, as ``wide_timestamp``)."""
    fdp = descriptor_pb2.FileDescriptorProto.FromString(wrappers_pb2.DESCRIPTOR.serialized_pb)
    for msg in fdp.message_type:
        for fd in msg.field:
            if fd.type in _WIDENED:
                fd.type = _WIDENED[fd.type]
    return fdp


def wide_descriptor(schema: Schema) -> descriptor_pb2.FileDescriptorProto:
    """``file_descriptor(schema)`` with every varint field 64 bits wide, and each oneof
    member a proto3 ``optional`` of its own: the wire form is the same, but where a oneof
    keeps the last member the bytes set, these keep every one, so the walks see two set
    and refuse them (lossless or an error)."""
    fdp = file_descriptor(schema, real_oneofs=False)
    todo = list(fdp.message_type)
    while todo:
        msg = todo.pop()
        todo.extend(msg.nested_type)  # map entries
        for fd in msg.field:
            if fd.type in _WIDENED:
                fd.type = _WIDENED[fd.type]
                fd.ClearField("type_name")
                # A default (an enum name, "true") would not fit the wide type; the walks
                # read presence, never a default.
                fd.ClearField("default_value")
    return fdp


def wide_classes(schema: Schema) -> dict[str, type[ProtoMessage]]:
    """The reading class of every message type, keyed by schema type name (once per schema)."""
    cached = _cache.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    pool = descriptor_pool.DescriptorPool()
    pool.Add(wide_timestamp())
    pool.Add(wide_wrappers())
    pool.Add(wide_timestamp(DURATION_FILE, DURATION_TYPE))
    try:
        pool.Add(wide_descriptor(schema))
    except (TypeError, ValueError) as exc:  # as compile_classes: refused names
        raise SchemaError(f"schema {schema.name}: protoc-level refusal: {exc}") from None
    pkg = schema.proto_package
    classes = {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{pkg}.{name}"))
        for name in schema.messages
    }
    _cache[id(schema)] = (schema, classes)
    return classes
