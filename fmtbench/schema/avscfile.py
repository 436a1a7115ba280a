"""Import an Avro schema (``.avsc``, or a container file's header) as a canonical schema.

Every named record reached from the top-level record becomes a message, enums enums
(symbols numbered in order), and what Avro needs beyond the canonical types is kept in
``avro:`` hints (schema/avro_hint.py) so that the exported ``.avsc`` has the same Parsing
Canonical Form and the Avro codec writes the same bytes: logical types, fixeds, where null
stands in a union, defaults, aliases, full names. Names resolve as the Avro specification
says: a name without dots is in the namespace of the type that encloses it. The result is
written as YAML and read back by the loader, so an import is a schema like any other.
Mappings: docs/schema.md, "Importing .avsc files".
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from fmtbench.errors import SchemaError
from fmtbench.schema.avro_hint import LOGICAL
from fmtbench.schema.avro_wire import UINT64_NAME
from fmtbench.schema.model import (
    MAX_DECIMAL_PRECISION,
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
    Schema,
)

_PRIMITIVES: dict[str, str] = {
    "boolean": "bool",
    "int": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "bytes": "bytes",
    "string": "string",
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_RESERVED = frozenset(
    {"bool", "int32", "int64", "uint32", "uint64", "float32", "float64", "string", "bytes"}
    | {"timestamp", "duration", "list", "map", "optional", "records", "required"}
    | {"sint32", "sint64", "sfixed32", "sfixed64", "fixed32", "fixed64"}
)


def import_avsc(path: str | Path, type_name: str | None = None) -> Schema:
    """The canonical schema of an ``.avsc`` file (``type_name``: the root record, by name)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: cannot read it: {exc}") from None
    return schema_from_json(text, str(path), type_name)


def header_schema(src: BinaryIO, source: str) -> Schema:
    """The schema in the header of an Avro Object Container File (``x.avro``), imported."""
    from fmtbench.codecs.avro.container import read_header
    from fmtbench.errors import FmtbenchError

    try:
        meta, _ = read_header(src, 64 << 20)
    except OSError as exc:
        raise SchemaError(f"{source}: cannot read it: {exc}") from None
    except FmtbenchError as exc:
        raise SchemaError(f"{source}: no schema to import: {exc}") from None
    text = meta.get("avro.schema")
    if text is None:
        raise SchemaError(f"{source}: the header holds no avro.schema")
    return schema_from_json(text, f"{source} (its header's avro.schema)")


def schema_from_json(text: str | bytes, source: str, type_name: str | None = None) -> Schema:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            key = next(k for i, (k, _) in enumerate(items) if k in dict(items[:i]))
            raise SchemaError(f"{source}: the key {key!r} is given twice in one object")
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    schema = _Importer(source).run(data)
    if type_name is not None:
        schema.message(type_name)  # a UsageError naming the records when there is none
        root = schema.message(type_name).name
        schema = Schema(schema.name, root, schema.enums, schema.messages, schema.doc, source)
    _check_with_fastavro(data, source)
    # Through YAML and the loader: every rule of a hand-written schema holds for an import.
    from fmtbench.schema.dump import schema_yaml
    from fmtbench.schema.loader import parse_schema

    try:
        loaded = parse_schema(schema_yaml(schema), source)
    except SchemaError as exc:
        raise SchemaError(f"{source}: cannot be imported: {exc}") from None
    return Schema(loaded.name, loaded.root, loaded.enums, loaded.messages, loaded.doc, source)


def _check_with_fastavro(data: Any, source: str) -> None:
    """fastavro's parser as a second opinion (defaults of the wrong type, say)."""
    try:
        import fastavro
    except ImportError:  # the avro extra is not installed: the import needs no more
        return
    try:
        fastavro.parse_schema(data)
    except Exception as exc:
        raise SchemaError(f"{source}: not a valid Avro schema: {exc}") from None


class _Importer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.named: dict[str, tuple[str, Any]] = {}  # full name -> (kind, model name | hint)
        self.fixed_types: dict[str, Scalar] = {}  # a named fixed -> its type (a decimal's)
        self.messages: dict[str, Message] = {}
        self.enums: dict[str, Enum] = {}
        self.taken: set[str] = set()

    def fail(self, where: str, problem: str) -> NoReturn:
        raise SchemaError(f"{self.source}: {where}: {problem}")

    def run(self, data: Any) -> Schema:
        if not isinstance(data, dict) or data.get("type") != "record":
            shown = json.dumps(data)[:60]
            raise SchemaError(
                f"{self.source}: the top-level schema is {shown}, not a record: fmtbench"
                " imports records (wrap the value in a record of one field)"
            )
        self.type(data, "", "$")
        root = next(iter(self.messages))
        full = self.messages[root].avro["name"]  # type: ignore[index]
        namespace = full.rpartition(".")[0] or root
        return Schema(namespace, root, self.enums, dict(self.messages), None, self.source)

    # -- names -------------------------------------------------------------------------
    def full(self, t: dict[str, Any], ns: str, where: str) -> str:
        name = t.get("name")
        if not isinstance(name, str) or not name:
            self.fail(where, f"a {t.get('type')} needs a name")
        space = t.get("namespace", ns)
        full = name if "." in name else (f"{space}.{name}" if space else name)
        if not all(_NAME.match(part) for part in full.split(".")):
            self.fail(where, f"{full!r} is not an Avro name")
        if full in self.named:
            self.fail(where, f"the name {full} is defined twice")
        return full

    def model_name(self, full: str) -> str:
        parts = full.split(".")
        name = parts[-1]
        i = len(parts) - 1
        while name in self.taken or name in _RESERVED:
            i -= 1
            name = f"{parts[i]}_{name}" if i >= 0 else f"{name}_{len(self.taken)}"
        self.taken.add(name)
        return name

    def lookup(self, name: str, ns: str, where: str) -> tuple[str, Any, str]:
        for full in (name,) if "." in name else (f"{ns}.{name}" if ns else name, name):
            if full in self.named:
                kind, model = self.named[full]
                return kind, model, full
        self.fail(where, f"unknown type {name!r}")

    # -- types -------------------------------------------------------------------------
    def type(self, t: Any, ns: str, where: str) -> tuple[FieldType, dict[str, Any]]:
        """A non-union Avro type: the canonical type and its hint."""
        if isinstance(t, list):
            if self.is_uint64(t, ns, where):
                return Scalar("uint64"), {}
            self.fail(where, "a union inside an array, a map or a union cannot be represented")
        if isinstance(t, str):
            if t in _PRIMITIVES:
                return Scalar(_PRIMITIVES[t]), {}  # type: ignore[arg-type]
            if t == "null":
                self.fail(where, "a field of type null holds nothing: fmtbench has no type for it")
            kind, model, full = self.lookup(t, ns, where)
            if kind == "fixed":
                return self.fixed_types.get(full, Scalar("bytes")), dict(model)
            return (MessageRef(model) if kind == "record" else EnumRef(model)), {}
        if not isinstance(t, dict) or "type" not in t:
            self.fail(where, f"{json.dumps(t)[:60]} is not an Avro type")
        kind = t["type"]
        if not isinstance(kind, str):
            return self.type(kind, ns, where)
        if kind in _PRIMITIVES or kind == "null":
            base, hint = self.type(kind, ns, where)
            logical = t.get("logicalType")
            if logical in LOGICAL and LOGICAL[logical][1] == kind:
                if logical == "decimal":
                    p, s = t.get("precision"), t.get("scale", 0)
                    if type(p) is not int or type(s) is not int or not 0 <= s <= p or p < 1:
                        return base, hint  # an invalid decimal is its bytes (the spec)
                    if p <= MAX_DECIMAL_PRECISION:  # fmtbench's exact type
                        return Scalar("decimal", precision=p, scale=s), {}
                    return base, {"logical": logical, "precision": p, "scale": s}
                canonical = LOGICAL[logical][0]
                return Scalar(canonical), {"logical": logical}  # type: ignore[arg-type]
            if isinstance(logical, str) and not hint:
                # Unknown (or misplaced): the underlying type, as the spec says; the name is
                # kept for the export (Apache avro's canonical form keeps the object form).
                return base, {"other": logical}
            return base, hint
        if kind == "array":
            item, hint = self.element(t.get("items"), ns, f"{where}.items")
            return ListOf(item), hint
        if kind == "map":
            value, hint = self.element(t.get("values"), ns, f"{where}.values")
            return MapOf(Scalar("string"), value), hint
        if kind == "record" or kind == "error":
            return MessageRef(self.record(t, ns, where)), {}
        if kind == "enum":
            return EnumRef(self.enum(t, ns, where)), {}
        if kind == "fixed":
            full = self.full(t, ns, where)
            size = t.get("size")
            if type(size) is not int or size < 0:
                self.fail(where, f"fixed {full}: size must be a whole number of bytes")
            fixed: dict[str, Any] = {"fixed": full, "size": size}
            logical = t.get("logicalType")
            if logical == "duration" and size == 12:
                fixed["logical"] = "duration"
            elif logical == "decimal":
                p, s = t.get("precision"), t.get("scale", 0)
                if type(p) is int and type(s) is int and 0 <= s <= p and p >= 1:
                    if p <= MAX_DECIMAL_PRECISION and 10**p <= 2 ** (8 * size - 1):
                        # fmtbench's exact type, written in the fixed's size (avro/rules.py)
                        self.named[full] = ("fixed", fixed)
                        self.fixed_types[full] = Scalar("decimal", precision=p, scale=s)
                        return self.fixed_types[full], fixed
                    fixed |= {"logical": "decimal", "precision": p, "scale": s}
            self.named[full] = ("fixed", fixed)
            return Scalar("bytes"), fixed
        self.fail(where, f"unknown type {kind!r}")

    def is_uint64(self, branches: list[Any], ns: str, where: str) -> bool:
        """Whether a union (its branches but null) is fmtbench's own ``uint64``: ``long``
        and the fixed(8) ``fmtbench.avro.UInt64`` (schema/avsc.py), defined or named."""
        if len(branches) != 2 or branches[0] != "long":
            return False
        b = branches[1]
        if isinstance(b, dict) and b.get("type") == "fixed" and b.get("size") == 8:
            if self.full(b, ns, where) != UINT64_NAME:
                return False
            self.named.setdefault(UINT64_NAME, ("fixed", {"fixed": UINT64_NAME, "size": 8}))
            return True
        if not isinstance(b, str) or b in _PRIMITIVES or b == "null":
            return False
        found = next((f for f in ((b,) if "." in b else (f"{ns}.{b}", b)) if f in self.named), None)
        return found == UINT64_NAME

    def element(self, t: Any, ns: str, where: str) -> tuple[Any, dict[str, Any]]:
        if isinstance(t, list) and self.is_uint64(t, ns, where):
            return Scalar("uint64"), {}
        if isinstance(t, list):
            self.fail(
                where, "a union inside an array or map cannot be represented (wrap it in a record)"
            )
        item, hint = self.type(t, ns, where)
        if isinstance(item, ListOf | MapOf):
            self.fail(
                where,
                "an array or map inside an array or map cannot be represented (wrap it in a record)",
            )
        return item, hint

    def enum(self, t: dict[str, Any], ns: str, where: str) -> str:
        full = self.full(t, ns, where)
        symbols = t.get("symbols")
        if not isinstance(symbols, list) or not symbols:
            self.fail(where, f"enum {full}: symbols must be a list of names")
        for s in symbols:
            if not isinstance(s, str) or not _NAME.match(s):
                self.fail(where, f"enum {full}: {s!r} is not a valid symbol")
        if len(set(symbols)) != len(symbols):
            dup = next(s for i, s in enumerate(symbols) if s in symbols[:i])
            self.fail(where, f"enum {full}: the symbol {dup} is given twice")
        name = self.model_name(full)
        self.named[full] = ("enum", name)
        hint: dict[str, Any] = {"name": full}
        if "default" in t:
            if t["default"] not in symbols:
                self.fail(where, f"enum {full}: the default {t['default']!r} is not a symbol")
            hint["default"] = t["default"]
        if t.get("aliases"):
            hint["aliases"] = list(t["aliases"])
        doc = t.get("doc") if isinstance(t.get("doc"), str) else None
        values = tuple((s, i) for i, s in enumerate(symbols))
        self.enums[name] = Enum(name, values, doc, avro=hint)
        return name

    def record(self, t: dict[str, Any], ns: str, where: str) -> str:
        full = self.full(t, ns, where)
        name = self.model_name(full)
        self.named[full] = ("record", name)
        inner = full.rpartition(".")[0]
        where = full
        self.messages[name] = Message(name, ())  # in place first: the order of the walk
        fields_json = t.get("fields")
        if not isinstance(fields_json, list):
            self.fail(where, "a record needs a list of fields")
        fields: list[Field] = []
        groups: list[Oneof] = []
        seen: set[str] = set()
        for fj in fields_json:
            if not isinstance(fj, dict) or not isinstance(fj.get("name"), str):
                self.fail(where, f"{json.dumps(fj)[:60]} is not a field")
            fname = fj["name"]
            at = f"{where}.{fname}"
            if not _NAME.match(fname):
                self.fail(at, f"{fname!r} is not a valid field name")
            if fname in seen:
                self.fail(at, "the field is given twice")
            seen.add(fname)
            self.field(fj, inner, at, fields, groups)
        hint: dict[str, Any] = {"name": full}
        if t.get("aliases"):
            hint["aliases"] = list(t["aliases"])
        doc = t.get("doc") if isinstance(t.get("doc"), str) else None
        self.messages[name] = Message(name, tuple(fields), doc, oneofs=tuple(groups), avro=hint)
        return name

    def field(
        self,
        fj: dict[str, Any],
        ns: str,
        where: str,
        fields: list[Field],
        groups: list[Oneof],
    ) -> None:
        fname, t = fj["name"], fj.get("type")
        doc = fj.get("doc") if isinstance(fj.get("doc"), str) else None
        extra: dict[str, Any] = {}
        if "default" in fj:
            extra["default"] = fj["default"]
        if fj.get("aliases"):
            extra["aliases"] = list(fj["aliases"])
        tag = len(fields) + 1
        if not isinstance(t, list):
            ftype, hint = self.type(t, ns, where)
            hint = hint | extra
            fields.append(Field(fname, ftype, tag, doc=doc, avro=hint or None))
            return
        nulls = [i for i, b in enumerate(t) if b == "null"]
        others = [b for b in t if b != "null"]
        if len(nulls) > 1:
            self.fail(where, "the union holds null twice")
        if not others:
            self.fail(where, "a union of null alone holds nothing: fmtbench has no type for it")
        if self.is_uint64(others, ns, where):  # fmtbench's own uint64 (and [null, ...])
            hint = extra | ({"null": "last"} if nulls and nulls[0] == 2 else {})
            if hint.get("default", 0) is None and "null" not in hint:
                del hint["default"]
            ftype = Scalar("uint64")
            fields.append(
                Field(fname, ftype, tag, optional=bool(nulls), doc=doc, avro=hint or None)
            )
            return
        if nulls and len(others) == 1:
            ftype, hint = self.type(others[0], ns, where)
            if isinstance(ftype, ListOf | MapOf):
                self.fail(
                    where,
                    "an optional array or map ([null, array]) cannot be represented: an empty one already means none",
                )
            if nulls[0] == 1:
                hint = hint | {"null": "last"}
            hint = hint | extra
            if hint.get("default", 0) is None and "null" not in hint:
                del hint["default"]  # [null, T] with default null: what fmtbench writes anyway
            fields.append(Field(fname, ftype, tag, optional=True, doc=doc, avro=hint or None))
            return
        members: list[str] = []
        seen_keys: set[str] = set()
        for b in others:
            ftype, hint = self.type(b, ns, where)
            if isinstance(ftype, ListOf | MapOf):
                self.fail(
                    where,
                    "an array or map in a union of several types cannot be represented (wrap it in a record)",
                )
            key = _branch(b, ftype, hint)
            if key in seen_keys:
                self.fail(where, f"the union holds {key} twice")
            seen_keys.add(key)
            member = f"{fname}_{key}"
            members.append(member)
            fields.append(Field(member, ftype, len(fields) + 1, oneof=fname, avro=hint or None))
        group_hint: dict[str, Any] = {"union": True} | ({"null": nulls[0]} if nulls else {})
        groups.append(Oneof(fname, tuple(members), doc, avro=group_hint | extra))


def _branch(avro_type: Any, ftype: FieldType, hint: dict[str, Any]) -> str:
    """How a union member is named after its branch: the type's (short) name."""
    if "fixed" in hint:
        return str(hint["fixed"]).rpartition(".")[2]
    if isinstance(ftype, MessageRef | EnumRef):
        return ftype.name
    if "logical" in hint:
        return str(hint["logical"]).replace("-", "_")
    kind = avro_type if isinstance(avro_type, str) else avro_type.get("type")
    return str(kind)
