"""The Protobuf compiler: a schema as a FileDescriptorProto, as ``.proto`` text, and as classes.

``file_descriptor`` is what protoc would produce from ``proto_text`` (the tests compile the
text with protoc and compare), so a user can generate code from the exported ``.proto`` in any
language and exchange bytes with fmtbench. ``message_classes`` loads the descriptor into a
private pool at run time: no protoc and no generated code ship with fmtbench.

Naming rules shared with the codec live here too: enum values carry their enum's name as a
prefix (``Status.PAID`` is ``STATUS_PAID`` in Protobuf), because Protobuf puts every enum value
of a package in one scope and two enums with ``UNKNOWN`` would not compile otherwise. Numbers
are the schema's, so the wire format never sees the names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
from google.protobuf.internal import api_implementation
from google.protobuf.message import Message as ProtoMessage

from fmtbench.errors import FmtbenchError, SchemaError
from fmtbench.schema.model import (
    Enum,
    EnumRef,
    FieldType,
    ListOf,
    MapOf,
    Message,
    MessageRef,
    Scalar,
    Schema,
)
from fmtbench.schema.names import json_name, map_entry_name

FDP = descriptor_pb2.FieldDescriptorProto
TIMESTAMP_FILE = "google/protobuf/timestamp.proto"
TIMESTAMP_TYPE = "google.protobuf.Timestamp"

_SCALAR_TYPES: dict[str, FDP.Type.ValueType] = {
    "bool": FDP.TYPE_BOOL,
    "int32": FDP.TYPE_INT32,
    "int64": FDP.TYPE_INT64,
    "uint32": FDP.TYPE_UINT32,
    "uint64": FDP.TYPE_UINT64,
    "float32": FDP.TYPE_FLOAT,
    "float64": FDP.TYPE_DOUBLE,
    "string": FDP.TYPE_STRING,
    "bytes": FDP.TYPE_BYTES,
    # The integer encodings (model.ENCODED_INTEGERS), keyed by the name that spells them.
    "sint32": FDP.TYPE_SINT32,
    "sint64": FDP.TYPE_SINT64,
    "sfixed32": FDP.TYPE_SFIXED32,
    "sfixed64": FDP.TYPE_SFIXED64,
    "fixed32": FDP.TYPE_FIXED32,
    "fixed64": FDP.TYPE_FIXED64,
}
_SCALAR_TEXT = {"float32": "float", "float64": "double"}

# A type named like one of these cannot be referred to by its bare name in .proto text:
# protoc would read a scalar type or the start of another statement. Such references are
# written fully qualified (``.shop.order.message``), which protoc resolves the same way.
_PROTO_WORDS = frozenset(
    {
        *[
            "double",
            "float",
            "int32",
            "int64",
            "uint32",
            "uint64",
            "sint32",
            "sint64",
            "fixed32",
            "fixed64",
        ],
        *["sfixed32", "sfixed64", "bool", "string", "bytes"],
        *[
            "syntax",
            "edition",
            "import",
            "weak",
            "public",
            "package",
            "option",
            "optional",
            "required",
            "repeated",
        ],
        *[
            "group",
            "oneof",
            "map",
            "extensions",
            "extend",
            "reserved",
            "enum",
            "message",
            "service",
            "rpc",
            "stream",
        ],
        *["returns", "to", "max", "export", "local"],
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ProtobufBackendError(FmtbenchError):
    """protobuf's pure-Python (or legacy C++) backend is active; fmtbench needs upb."""


def protobuf_backend() -> str:
    """The protobuf runtime in use: 'upb', 'python' or 'cpp' (for benchmark metadata)."""
    return str(api_implementation.Type())


def require_upb() -> None:
    """Refuse to run on a backend other than upb.

    The codec relies on upb's behaviour (errors, map and unknown-field handling) and its
    speed; the pure-Python backend would make every benchmark number meaningless.
    """
    backend = protobuf_backend()
    if backend != "upb":
        hint = (
            "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python?"
            if backend == "python"
            else f"PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION={backend}?"
        )
        raise ProtobufBackendError(
            f"protobuf's {'pure-Python' if backend == 'python' else backend} backend is active"
            f" ({hint}): fmtbench needs the upb backend; unset that variable or reinstall"
            " protobuf from a wheel (pip install --force-reinstall protobuf)"
        )


# -- names ---------------------------------------------------------------------------------
def proto_file_name(schema: Schema) -> str:
    """``shop.order`` is declared in ``shop/order.proto``, as its package suggests."""
    return schema.name.replace(".", "/") + ".proto"


def upper_snake(name: str) -> str:
    """``LineStatus`` -> ``LINE_STATUS``, ``HTTPCode`` -> ``HTTP_CODE``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return spaced.upper()


def proto_enum_value_name(enum: Enum, value_name: str) -> str:
    """The Protobuf name of a schema enum value: ``Currency.UNKNOWN`` -> ``CURRENCY_UNKNOWN``."""
    return f"{upper_snake(enum.name)}_{value_name}"


def _synthetic_oneofs(msg: Message) -> dict[str, str]:
    """protoc's synthetic oneof name for each optional field (GenerateSyntheticOneofs)."""
    taken = {f.name for f in msg.fields}
    names: dict[str, str] = {}
    for f in msg.fields:
        if f.optional:
            name = f.name if f.name.startswith("_") else "_" + f.name
            while name in taken:
                name = "X" + name
            taken.add(name)
            names[f.name] = name
    return names


def _pascal_without_prefix(enum_name: str, value: str) -> str:
    """protoc's key for "similar" enum values: prefix stripped (ignoring case and '_'), PascalCase.

    protoc rejects two values of one enum with the same key (``ok`` and ``OK``), so the
    compiler reports it first, in schema terms.
    """
    prefix = enum_name.replace("_", "").lower()
    i = j = 0
    stripped = value
    while i < len(value) and j < len(prefix):
        if value[i] == "_":
            i += 1
            continue
        if value[i].lower() != prefix[j]:
            break
        i += 1
        j += 1
    else:
        if j == len(prefix):
            while i < len(value) and value[i] == "_":
                i += 1
            if i < len(value):
                stripped = value[i:]
    out: list[str] = []
    upper_next = True
    for ch in stripped:
        if ch == "_":
            upper_next = True
        else:
            out.append(ch.upper() if upper_next else ch.lower())
            upper_next = False
    return "".join(out)


def check_proto_names(schema: Schema) -> None:
    """Raise SchemaError for schema names that Protobuf cannot declare side by side."""
    where = schema.source or schema.name
    package: dict[str, str] = {name: f"message {name}" for name in schema.messages} | {
        name: f"enum {name}" for name in schema.enums
    }
    for enum in schema.enums.values():
        similar: dict[str, str] = {}
        for value, _ in enum.values:
            pname = proto_enum_value_name(enum, value)
            if pname in package:
                raise SchemaError(
                    f"{where}: enum value {enum.name}.{value} becomes {pname} in Protobuf,"
                    f" which is already {package[pname]}; rename one of them"
                )
            package[pname] = f"the Protobuf name of {enum.name}.{value}"
            key = _pascal_without_prefix(enum.name, pname)
            if key in similar:
                raise SchemaError(
                    f"{where}: enum values {enum.name}.{similar[key]} and {enum.name}.{value}"
                    " differ only in case or underscores, which protoc rejects; rename one"
                )
            similar[key] = value
    for msg in schema.messages.values():
        scope = {f.name: f"field {msg.name}.{f.name}" for f in msg.fields}
        for f in msg.fields:
            if isinstance(f.type, MapOf):
                entry = map_entry_name(f.name)
                if entry in scope:
                    raise SchemaError(
                        f"{where}: map field {msg.name}.{f.name} needs a nested message"
                        f" {msg.name}.{entry} in Protobuf, which clashes with {scope[entry]};"
                        " rename one of them"
                    )
                scope[entry] = f"the map entry of {msg.name}.{f.name}"


def _uses_timestamp(schema: Schema) -> bool:
    def leaves(t: FieldType) -> Iterator[FieldType]:
        if isinstance(t, ListOf):
            yield t.item
        elif isinstance(t, MapOf):
            yield t.value
        else:
            yield t

    return any(
        leaf == Scalar("timestamp")
        for msg in schema.messages.values()
        for f in msg.fields
        for leaf in leaves(f.type)
    )


# -- the descriptor ------------------------------------------------------------------------
def file_descriptor(schema: Schema) -> descriptor_pb2.FileDescriptorProto:
    """The proto3 file protoc would produce from ``proto_text(schema)``."""
    check_proto_names(schema)
    pkg = schema.proto_package
    fdp = descriptor_pb2.FileDescriptorProto(
        name=proto_file_name(schema), package=pkg, syntax="proto3"
    )
    if _uses_timestamp(schema):
        fdp.dependency.append(TIMESTAMP_FILE)
    for msg in schema.messages.values():
        fdp.message_type.append(_message_descriptor(schema, msg))
    for enum in schema.enums.values():
        e = fdp.enum_type.add(name=enum.name)
        for value, number in enum.values:
            e.value.add(name=proto_enum_value_name(enum, value), number=number)
        for lo, hi in enum.reserved_numbers:
            e.reserved_range.add(start=lo, end=hi)  # an enum's ranges end inclusive
        e.reserved_name.extend(proto_enum_value_name(enum, n) for n in enum.reserved_names)
    return fdp


def _set_type(schema: Schema, fd: FDP, t: FieldType) -> None:
    if isinstance(t, Scalar):
        if t.kind == "timestamp":
            fd.type, fd.type_name = FDP.TYPE_MESSAGE, "." + TIMESTAMP_TYPE
        else:
            fd.type = _SCALAR_TYPES[str(t)]  # "sint64" for Scalar("int64", "zigzag")
    elif isinstance(t, EnumRef):
        fd.type, fd.type_name = FDP.TYPE_ENUM, f".{schema.proto_package}.{t.name}"
    elif isinstance(t, MessageRef):
        fd.type, fd.type_name = FDP.TYPE_MESSAGE, f".{schema.proto_package}.{t.name}"
    else:
        raise AssertionError(t)


def _message_descriptor(schema: Schema, msg: Message) -> descriptor_pb2.DescriptorProto:
    dp = descriptor_pb2.DescriptorProto(name=msg.name)
    oneofs = _synthetic_oneofs(msg)
    for f in msg.fields:
        fd = dp.field.add(name=f.name, number=f.tag, json_name=json_name(f.name))
        fd.label = FDP.LABEL_OPTIONAL
        if isinstance(f.type, ListOf):
            fd.label = FDP.LABEL_REPEATED
            _set_type(schema, fd, f.type.item)
            if not f.packed:
                fd.options.packed = False
        elif isinstance(f.type, MapOf):
            # protoc's map_entry shape: a nested message with key = 1 and value = 2.
            entry = dp.nested_type.add(name=map_entry_name(f.name))
            entry.options.map_entry = True
            key = entry.field.add(name="key", number=1, label=FDP.LABEL_OPTIONAL, json_name="key")
            _set_type(schema, key, f.type.key)
            value = entry.field.add(
                name="value", number=2, label=FDP.LABEL_OPTIONAL, json_name="value"
            )
            _set_type(schema, value, f.type.value)
            fd.label, fd.type = FDP.LABEL_REPEATED, FDP.TYPE_MESSAGE
            fd.type_name = f".{schema.proto_package}.{msg.name}.{entry.name}"
        else:
            _set_type(schema, fd, f.type)
        if f.optional:
            fd.proto3_optional = True
    for lo, hi in msg.reserved_numbers:
        dp.reserved_range.add(start=lo, end=hi + 1)  # protoc's ranges end exclusive
    dp.reserved_name.extend(msg.reserved_names)
    # Synthetic oneofs come after every real oneof (we have none), in field order.
    for fd, f in zip(dp.field, msg.fields, strict=True):
        if f.optional:
            fd.oneof_index = len(dp.oneof_decl)
            dp.oneof_decl.add(name=oneofs[f.name])
    return dp


# -- .proto text ---------------------------------------------------------------------------
def proto_text(schema: Schema) -> str:
    """Readable ``.proto`` source that protoc compiles to ``file_descriptor(schema)``.

    A schema imported from ``.proto`` files is written with its original names instead
    (``proto_restore``), when they fit one file (one package)."""
    from fmtbench.schema.proto_restore import is_imported, proto_files

    if is_imported(schema):
        files = proto_files(schema)
        if len(files) > 1:
            raise SchemaError(
                f"schema {schema.name} spans {len(files)} Protobuf packages: export it with"
                " -o DIR, one file a package"
            )
        return next(iter(files.values()))
    check_proto_names(schema)
    pkg = schema.proto_package
    # "google.protobuf.Timestamp" resolves from the innermost scope outwards: a type or a
    # deeper package component named "google" would capture it.
    capture = "google" in schema.messages or "google" in pkg.split(".")[1:]
    timestamp = ("." if capture else "") + TIMESTAMP_TYPE

    lines = [f"// Generated by fmtbench from schema {schema.name}; edit the schema instead."]
    lines += _comment(schema.doc, "")
    lines += ['syntax = "proto3";', "", f"package {pkg};", ""]
    if _uses_timestamp(schema):
        lines += [f'import "{TIMESTAMP_FILE}";', ""]
    for enum in schema.enums.values():
        lines += _comment(enum.doc, "")
        lines.append(f"enum {enum.name} {{")
        lines += _reserved_lines(
            enum.reserved_numbers,
            [proto_enum_value_name(enum, n) for n in enum.reserved_names],
            2**31 - 1,
        )
        for value, number in enum.values:
            lines.append(f"  {proto_enum_value_name(enum, value)} = {number};")
        lines += ["}", ""]
    for msg in schema.messages.values():
        nested = {map_entry_name(f.name) for f in msg.fields if isinstance(f.type, MapOf)}

        def ref(t: FieldType, nested: set[str] = nested) -> str:
            if isinstance(t, Scalar):
                if t.kind == "timestamp":
                    return timestamp
                return _SCALAR_TEXT.get(str(t), str(t))
            assert isinstance(t, EnumRef | MessageRef)
            # A nested map entry of the same name, or a keyword, would capture a bare name.
            if t.name in nested or t.name in _PROTO_WORDS:
                return f".{pkg}.{t.name}"
            return t.name

        lines += _comment(msg.doc, "")
        lines.append(f"message {msg.name} {{")
        lines += _reserved_lines(msg.reserved_numbers, msg.reserved_names, MAX_FIELD_NUMBER)
        for f in msg.fields:
            lines += _comment(f.doc, "  ")
            if isinstance(f.type, ListOf):
                decl = f"repeated {ref(f.type.item)}"
            elif isinstance(f.type, MapOf):
                decl = f"map<{ref(f.type.key)}, {ref(f.type.value)}>"
            else:
                decl = ("optional " if f.optional else "") + ref(f.type)
            options = "" if f.packed or not isinstance(f.type, ListOf) else " [packed = false]"
            lines.append(f"  {decl} {f.name} = {f.tag}{options};")
        lines += ["}", ""]
    return "\n".join(lines)


#: The largest field number (2^29 - 1): ``max`` in a reserved range.
MAX_FIELD_NUMBER = 536_870_911


def _reserved_lines(
    numbers: tuple[tuple[int, int], ...], names: list[str] | tuple[str, ...], most: int
) -> list[str]:
    """``reserved`` statements that protoc reads back into the same descriptor: numbers and
    ranges in one, names (in proto3 string literals; they are identifiers) in another."""
    out = []
    if numbers:
        spans = [
            str(lo) if lo == hi else f"{lo} to {'max' if hi == most else hi}" for lo, hi in numbers
        ]
        out.append(f"  reserved {', '.join(spans)};")
    if names:
        quoted = ", ".join(f'"{n}"' for n in names)
        out.append(f"  reserved {quoted};")
    return out


def _comment(doc: str | None, indent: str) -> list[str]:
    if not doc:
        return []
    # protoc rejects control characters even inside comments.
    return [f"{indent}// {_CONTROL.sub(' ', line)}".rstrip() for line in doc.splitlines()]


# -- run-time classes ----------------------------------------------------------------------
@dataclass(frozen=True)
class CompiledProto:
    """One schema loaded into its own descriptor pool."""

    pool: descriptor_pool.DescriptorPool
    classes: dict[str, type[ProtoMessage]]
    #: The pool's own Timestamp class: the global ``timestamp_pb2.Timestamp`` belongs to the
    #: default pool, and upb refuses to assign it to a field of a message from this one.
    timestamp: type[ProtoMessage]


_compiled: dict[int, tuple[Schema, CompiledProto]] = {}


def compile_classes(schema: Schema) -> CompiledProto:
    """Load ``file_descriptor(schema)`` into a fresh pool, once per schema object."""
    cached = _compiled.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    require_upb()
    # A private pool per schema: two schemas may declare the same package and names, and the
    # default pool would refuse the second.
    pool = descriptor_pool.DescriptorPool()
    pool.Add(descriptor_pb2.FileDescriptorProto.FromString(timestamp_pb2.DESCRIPTOR.serialized_pb))
    try:
        pool.Add(file_descriptor(schema))
    except (TypeError, ValueError) as exc:  # upb's refusal: a name clashing with an import
        raise SchemaError(f"schema {schema.name}: protoc-level refusal: {exc}") from None
    pkg = schema.proto_package
    classes = {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{pkg}.{name}"))
        for name in schema.messages
    }
    ts = message_factory.GetMessageClass(pool.FindMessageTypeByName(TIMESTAMP_TYPE))
    compiled = CompiledProto(pool, classes, ts)
    _compiled[id(schema)] = (schema, compiled)
    return compiled


def message_classes(schema: Schema) -> dict[str, type[ProtoMessage]]:
    """The generated message class of every message type, keyed by schema type name."""
    return compile_classes(schema).classes
