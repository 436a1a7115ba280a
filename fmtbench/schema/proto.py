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

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    message_factory,
    timestamp_pb2,
    wrappers_pb2,
)
from google.protobuf.internal import api_implementation
from google.protobuf.message import Message as ProtoMessage

from fmtbench.errors import FmtbenchError, SchemaError
from fmtbench.schema.defaults import descriptor_default, proto_literal
from fmtbench.schema.model import (
    WRAPPER_TYPES,
    Enum,
    EnumRef,
    Field,
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
WRAPPERS_FILE = "google/protobuf/wrappers.proto"
FeatureSet = descriptor_pb2.FeatureSet
DURATION_FILE = "google/protobuf/duration.proto"
DURATION_TYPE = "google.protobuf.Duration"
#: The scalar kinds that are well-known messages: their file and full name.
WELL_KNOWN: dict[str, tuple[str, str]] = {
    "duration": (DURATION_FILE, DURATION_TYPE),
    "timestamp": (TIMESTAMP_FILE, TIMESTAMP_TYPE),
}

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


#: Set to the active backend's name, lets the codec run on it (a library cell's worker).
ALLOW_BACKEND = "FMTBENCH_PROTOBUF_BACKEND"


def require_upb() -> None:
    """Refuse to run on a backend other than upb.

    The codec relies on upb's behaviour (errors, map and unknown-field handling) and its
    speed; the pure-Python backend would make every benchmark number meaningless.
    """
    backend = protobuf_backend()
    # The one exception: the pure-Python library cell of ``bench --libraries`` runs in a
    # worker that names the backend it chose (codecs/protobuf/libraries.py); there the
    # codec only prepares the messages and checks the cell, and is never timed.
    if backend != "upb" and os.environ.get(ALLOW_BACKEND) != backend:
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


def _synthetic_oneofs(msg: Message, real: bool = True) -> dict[str, str]:
    """protoc's synthetic oneof name for each optional field (GenerateSyntheticOneofs),
    the members of real oneofs aside unless ``real`` is False (then each is optional)."""
    taken = {f.name for f in msg.fields} | ({g.name for g in msg.oneofs} if real else set())
    names: dict[str, str] = {}
    for f in msg.fields:
        if f.optional and not f.wrapper and not (real and f.oneof is not None):
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
        scope |= {g.name: f"oneof {msg.name}.{g.name}" for g in msg.oneofs}
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


def _uses_timestamp(schema: Schema, kind: str = "timestamp") -> bool:
    def leaves(t: FieldType) -> Iterator[FieldType]:
        if isinstance(t, ListOf):
            yield t.item
        elif isinstance(t, MapOf):
            yield t.value
        else:
            yield t

    return any(
        leaf == Scalar(kind)  # type: ignore[arg-type]
        for msg in schema.messages.values()
        for f in msg.fields
        for leaf in leaves(f.type)
    )


def uses_editions(schema: Schema) -> bool:
    """Whether the schema needs an editions file: proto3 has neither ``required`` nor
    defaults, and proto2 has no implicit presence (the plain fields'). Edition 2023 has all
    three, per field (``features.field_presence``); other schemas stay proto3, unchanged."""
    return any(
        f.required or f.default is not None for m in schema.messages.values() for f in m.fields
    )


def uses_wrappers(schema: Schema) -> bool:
    return any(f.wrapper for m in schema.messages.values() for f in m.fields)


def wrapper_type(f: Field) -> str:
    """``google.protobuf.Int64Value`` for a wrapper field of kind int64."""
    assert isinstance(f.type, Scalar)
    return f"google.protobuf.{WRAPPER_TYPES[f.type.kind]}"


def _has_presence_feature(f: Field) -> bool:
    """A singular scalar or enum field: in an editions file its presence is a feature."""
    return isinstance(f.type, EnumRef) or (
        isinstance(f.type, Scalar) and f.type.kind not in WELL_KNOWN and not f.wrapper
    )


def _default_text(
    schema: Schema,
    f: Field,
    proto: bool,
    value_name: Callable[[Enum, str], str] = proto_enum_value_name,
) -> str:
    enum_value = None
    if isinstance(f.type, EnumRef):
        enum = schema.enums[f.type.name]
        enum_value = value_name(enum, str(f.default))
    return (proto_literal if proto else descriptor_default)(f.type, f.default, enum_value)


def _imports(schema: Schema) -> list[str]:
    """The well-known files the schema's file imports, in the order of its imports."""
    files = [file for kind, (file, _) in WELL_KNOWN.items() if _uses_timestamp(schema, kind)]
    return files + ([WRAPPERS_FILE] if uses_wrappers(schema) else [])


# -- the descriptor ------------------------------------------------------------------------
def file_descriptor(
    schema: Schema, *, real_oneofs: bool = True
) -> descriptor_pb2.FileDescriptorProto:
    """The file protoc would produce from ``proto_text(schema)``: proto3, or edition 2023
    where a field is required or has a default (``uses_editions``).

    With ``real_oneofs`` False, each oneof member is a field with presence of its own
    instead (the same wire form): a reader of those classes sees every member the bytes
    set, where a real oneof keeps the last one silently (the reading classes, wide.py)."""
    check_proto_names(schema)
    pkg = schema.proto_package
    fdp = descriptor_pb2.FileDescriptorProto(
        name=proto_file_name(schema), package=pkg, syntax="proto3"
    )
    editions = uses_editions(schema)
    if editions:
        fdp.syntax = "editions"
        fdp.edition = descriptor_pb2.EDITION_2023
        fdp.options.features.field_presence = FeatureSet.IMPLICIT
    fdp.dependency.extend(_imports(schema))
    for msg in schema.messages.values():
        fdp.message_type.append(_message_descriptor(schema, msg, editions, real_oneofs))
    for enum in schema.enums.values():
        e = fdp.enum_type.add(name=enum.name)
        if enum.allow_alias:
            e.options.allow_alias = True
        for value, number in enum.values:
            e.value.add(name=proto_enum_value_name(enum, value), number=number)
        for lo, hi in enum.reserved_numbers:
            e.reserved_range.add(start=lo, end=hi)  # an enum's ranges end inclusive
        e.reserved_name.extend(proto_enum_value_name(enum, n) for n in enum.reserved_names)
    return fdp


def _set_type(schema: Schema, fd: FDP, t: FieldType) -> None:
    if isinstance(t, Scalar):
        if t.kind in WELL_KNOWN:
            fd.type, fd.type_name = FDP.TYPE_MESSAGE, "." + WELL_KNOWN[t.kind][1]
        else:
            # "sint64" for Scalar("int64", "zigzag"); a decimal is a string of its text.
            fd.type = _SCALAR_TYPES["string" if t.kind == "decimal" else str(t)]
    elif isinstance(t, EnumRef):
        fd.type, fd.type_name = FDP.TYPE_ENUM, f".{schema.proto_package}.{t.name}"
    elif isinstance(t, MessageRef):
        fd.type, fd.type_name = FDP.TYPE_MESSAGE, f".{schema.proto_package}.{t.name}"
    else:
        raise AssertionError(t)


def _message_descriptor(
    schema: Schema, msg: Message, editions: bool = False, real_oneofs: bool = True
) -> descriptor_pb2.DescriptorProto:
    dp = descriptor_pb2.DescriptorProto(name=msg.name)
    oneofs = _synthetic_oneofs(msg, real_oneofs)
    real = {g.name: i for i, g in enumerate(msg.oneofs)} if real_oneofs else {}
    for f in msg.fields:
        fd = dp.field.add(name=f.name, number=f.tag, json_name=json_name(f.name))
        fd.label = FDP.LABEL_OPTIONAL
        if isinstance(f.type, ListOf):
            fd.label = FDP.LABEL_REPEATED
            _set_type(schema, fd, f.type.item)
            if not f.packed:
                if editions:
                    fd.options.features.repeated_field_encoding = FeatureSet.EXPANDED
                else:
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
        elif f.wrapper:
            fd.type, fd.type_name = FDP.TYPE_MESSAGE, "." + wrapper_type(f)
        else:
            _set_type(schema, fd, f.type)
        if f.default is not None:
            fd.default_value = _default_text(schema, f, proto=False)
        if f.oneof in real:
            fd.oneof_index = real[f.oneof]
        elif editions:
            if f.required:
                fd.options.features.field_presence = FeatureSet.LEGACY_REQUIRED
            elif f.optional and _has_presence_feature(f):
                fd.options.features.field_presence = FeatureSet.EXPLICIT
        elif f.optional and not f.wrapper:
            fd.proto3_optional = True
    for lo, hi in msg.reserved_numbers:
        dp.reserved_range.add(start=lo, end=hi + 1)  # protoc's ranges end exclusive
    dp.reserved_name.extend(msg.reserved_names)
    # Synthetic oneofs come after every real oneof, in field order.
    for group in real:
        dp.oneof_decl.add(name=group)
    for fd, f in zip(dp.field, msg.fields, strict=True):
        if f.name in oneofs and not editions:
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
    well_known = {kind: ("." if capture else "") + name for kind, (_, name) in WELL_KNOWN.items()}
    editions = uses_editions(schema)

    def wrapper_ref(f: Field) -> str:
        return ("." if capture else "") + wrapper_type(f)

    lines = [f"// Generated by fmtbench from schema {schema.name}; edit the schema instead."]
    lines += _comment(schema.doc, "")
    header = 'edition = "2023";' if editions else 'syntax = "proto3";'
    lines += [header, "", f"package {pkg};", ""]
    if imports := _imports(schema):
        lines += [*(f'import "{name}";' for name in imports), ""]
    if editions:
        # proto3's implicit presence for plain fields; the others say theirs.
        lines += ["option features.field_presence = IMPLICIT;", ""]
    for enum in schema.enums.values():
        lines += _comment(enum.doc, "")
        lines.append(f"enum {enum.name} {{")
        if enum.allow_alias:
            lines.append("  option allow_alias = true;")
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
                if t.kind in well_known:
                    return well_known[t.kind]
                if t.kind == "decimal":
                    return "string"  # the decimal's text (docs/formats.md)
                return _SCALAR_TEXT.get(str(t), str(t))
            assert isinstance(t, EnumRef | MessageRef)
            # A nested map entry of the same name, or a keyword, would capture a bare name.
            if t.name in nested or t.name in _PROTO_WORDS:
                return f".{pkg}.{t.name}"
            return t.name

        lines += _comment(msg.doc, "")
        lines.append(f"message {msg.name} {{")
        lines += _reserved_lines(msg.reserved_numbers, msg.reserved_names, MAX_FIELD_NUMBER)
        lines += field_lines(schema, msg, ref, wrapper_ref, editions, "  ")
        lines += ["}", ""]
    return "\n".join(lines)


def field_lines(
    schema: Schema,
    msg: Message,
    ref: Callable[[FieldType], str],
    wrapper_ref: Callable[[Field], str],
    editions: bool,
    indent: str,
    value_name: Callable[[Enum, str], str] = proto_enum_value_name,
) -> list[str]:
    """A message's field declarations in ``.proto`` text (shared by ``proto_text`` and
    ``proto_restore``): oneof blocks, wrappers, and each field's options (unpacked lists,
    edition 2023 presence features, proto2 defaults)."""
    lines: list[str] = []
    groups = {g.name: g for g in msg.oneofs}
    for i, f in enumerate(msg.fields):
        # A oneof's members are consecutive fields (the loader keeps them together):
        # its block opens at the first and closes after the last.
        pad = indent + ("  " if f.oneof is not None else "")
        if f.oneof is not None and (i == 0 or msg.fields[i - 1].oneof != f.oneof):
            lines += _comment(groups[f.oneof].doc, indent)
            lines.append(f"{indent}oneof {f.oneof} {{")
        lines += _comment(f.doc, pad)
        if isinstance(f.type, ListOf):
            decl = f"repeated {ref(f.type.item)}"
        elif isinstance(f.type, MapOf):
            decl = f"map<{ref(f.type.key)}, {ref(f.type.value)}>"
        elif f.wrapper:
            decl = wrapper_ref(f)
        else:
            optional = f.optional and f.oneof is None and not editions
            decl = ("optional " if optional else "") + ref(f.type)
        opts = []
        if not f.packed and isinstance(f.type, ListOf):
            unpacked = "features.repeated_field_encoding = EXPANDED"
            opts.append(unpacked if editions else "packed = false")
        if editions and f.required:
            opts.append("features.field_presence = LEGACY_REQUIRED")
        elif editions and f.optional and f.oneof is None and _has_presence_feature(f):
            opts.append("features.field_presence = EXPLICIT")
        if f.default is not None:
            opts.append(f"default = {_default_text(schema, f, True, value_name)}")
        options = f" [{', '.join(opts)}]" if opts else ""
        lines.append(f"{pad}{decl} {f.name} = {f.tag}{options};")
        if f.oneof is not None and (i == len(msg.fields) - 1 or msg.fields[i + 1].oneof != f.oneof):
            lines.append(f"{indent}}}")
    return lines


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
    #: The pool's own Duration class, likewise.
    duration: type[ProtoMessage]


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
    pool.Add(descriptor_pb2.FileDescriptorProto.FromString(wrappers_pb2.DESCRIPTOR.serialized_pb))
    pool.Add(descriptor_pb2.FileDescriptorProto.FromString(duration_pb2.DESCRIPTOR.serialized_pb))
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
    duration = message_factory.GetMessageClass(pool.FindMessageTypeByName(DURATION_TYPE))
    compiled = CompiledProto(pool, classes, ts, duration)
    _compiled[id(schema)] = (schema, compiled)
    return compiled


def message_classes(schema: Schema) -> dict[str, type[ProtoMessage]]:
    """The generated message class of every message type, keyed by schema type name."""
    return compile_classes(schema).classes
