"""Writing classes whose enum values carry the schema's own names, for the fast encode.

Protobuf names an enum value with its enum's prefix (``Kind.LEAF`` is ``KIND_LEAF``, see
``schema/proto.py``), so a record's enum names are not labels upb knows, and the fast encode
(``fast_write.py``) had to build a new keyword dict for every message holding an enum, only
to swap each name for its number. upb takes an enum label in place of a number. These
classes are compiled from the same file with each value renamed to the schema's name: field
numbers and types are unchanged, and names never reach the binary form, so they write the
same bytes as the real classes, while records with enums become their own keywords.

upb then checks the name itself: a label these classes do not have is a ValueError, which
sends the record down the reference path, whose error names the field. The labels are
exactly the schema's names (aliases too), as the reference's table is. Where the renamed
file cannot be built (two enums of one scope sharing a value name, which the prefixes keep
apart, or a name clashing with a message), there are no such classes and the fast encode
converts enum names to numbers as before.
"""

from __future__ import annotations

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    message_factory,
    timestamp_pb2,
    wrappers_pb2,
)
from google.protobuf.message import Message as ProtoMessage

from fmtbench.schema.model import Schema
from fmtbench.schema.proto import file_descriptor, proto_enum_value_name, uses_editions

_cache: dict[int, tuple[Schema, dict[str, type[ProtoMessage]] | None]] = {}


def _renamed(schema: Schema) -> descriptor_pb2.FileDescriptorProto:
    fdp = file_descriptor(schema)
    by_name = {e.name: e for e in schema.enums.values()}
    for e in fdp.enum_type:
        enum = by_name[e.name]
        # Same values in the same order as file_descriptor wrote them.
        names = {proto_enum_value_name(enum, value): value for value, _ in enum.values}
        for v in e.value:
            v.name = names[v.name]
        del e.reserved_name[:]  # reserved names are the prefixed ones; they do not matter here
    return fdp


def label_classes(schema: Schema) -> dict[str, type[ProtoMessage]] | None:
    """The message classes with unprefixed enum labels, or None where none can be built."""
    cached = _cache.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    classes: dict[str, type[ProtoMessage]] | None = None
    # Editions files may spell enum defaults by name: kept out, rather than renamed too.
    if schema.enums and not uses_editions(schema):
        pool = descriptor_pool.DescriptorPool()
        for pb2 in (timestamp_pb2, wrappers_pb2, duration_pb2):
            pool.Add(descriptor_pb2.FileDescriptorProto.FromString(pb2.DESCRIPTOR.serialized_pb))
        try:
            pool.Add(_renamed(schema))
            pkg = schema.proto_package
            classes = {
                name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{pkg}.{name}"))
                for name in schema.messages
            }
        except (TypeError, ValueError, KeyError):  # a clash the prefixes kept apart
            classes = None
    _cache[id(schema)] = (schema, classes)
    return classes
