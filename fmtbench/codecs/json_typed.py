"""A fast JSON reading path: msgspec decodes straight into types compiled from the schema.

``JsonCodec`` reads with orjson and then walks the tree in Python (``tree.py``); that walk,
not the parsing, is most of the cost. Here each schema is compiled once into
``msgspec.Struct`` classes, so parsing, field lookup, unknown-field checks, integer ranges,
enum names and base64 all happen in C. Python then builds the canonical dicts from the
Structs, with one function per message generated from the schema (a dict display: no loop,
no per-field dispatch), and converts only the leaves msgspec cannot read exactly as
docs/formats.md requires:

- timestamps: msgspec rounds sub-microsecond fractions and accepts a space for ``T``, so
  they are read as text and parsed here (datetime's C parser for what fmtbench writes);
- floats: msgspec turns an integer such as 2**53 + 1 into the nearest double silently, so
  float fields are read as ``int | float | "NaN"...`` and checked by ``leaves``;
- uint64: msgspec cannot bound an integer above int64's range, so the top is checked here.

This path never decides that input is bad. Whenever it rejects anything (malformed JSON, a
wrong type, a ``null`` optional, a value out of range), the caller re-reads the same bytes
on the orjson + tree path, which is the reference: it either returns the record (``null``
is absent there) or raises today's error with its position and field path. So the two
paths can differ only in speed, provided this one accepts nothing the tree path rejects and
returns the same values; each type choice below says why that holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from fmtbench.codecs.leaves import (
    float32_round,
    float64_check,
    int_from_text,
    json_float,
    timestamp_from_text,
)
from fmtbench.errors import ValueMismatch
from fmtbench.schema.model import (
    INT_RANGES,
    EnumRef,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
)
from fmtbench.schema.values import SCALAR_ZEROS

#: Everything the fast path raises when it declines input; the caller then asks the tree path.
REJECTED: tuple[type[Exception], ...] = (
    msgspec.DecodeError,  # ValidationError is a subclass
    ValueMismatch,
    ValueError,
    OverflowError,
    RecursionError,
)

_U64_MAX = INT_RANGES["uint64"][1]
_FLOAT_WORDS = Literal["NaN", "Infinity", "-Infinity"]
_BOOL_KEY = Literal["true", "false"]
_BOOL_KEYS = {"true": True, "false": False}
# Above this many brackets a recursive schema's input is read by the tree path (see below).
_MAX_BRACKETS = 256
_FLOAT64 = json_float(float64_check)
_FLOAT32 = json_float(float32_round)
# What fmtbench writes: whole seconds or six fraction digits, 'Z'. ASCII digits only, so
# that the much faster ``datetime.fromisoformat`` (which also reads ISO week dates, commas
# and other forms RFC 3339 does not allow) only ever sees this one shape.
_WRITTEN_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?Z", re.ASCII
).fullmatch


def _timestamp(text: Any) -> datetime:
    if text.__class__ is not str:  # the zero default is already a datetime
        return text  # type: ignore[no-any-return]
    if _WRITTEN_TIMESTAMP(text):
        return datetime.fromisoformat(text)  # a bad date (Feb 30, 24:00) raises ValueError
    return timestamp_from_text(text)  # every other form, by the tree path's own rules


def _uint64(v: Any) -> Any:
    if v > _U64_MAX:
        raise ValueError("out of range")  # the tree path words the error
    return v


def _float64(v: Any) -> Any:
    return v if v.__class__ is float else _FLOAT64(v)


# Per scalar kind: the msgspec type, and the name of the function (in the generated code's
# namespace) that turns msgspec's value into the canonical one, or None when it already is.
_SCALARS: dict[str, tuple[Any, str | None]] = {
    "bool": (bool, None),
    "int32": (
        Annotated[int, msgspec.Meta(ge=INT_RANGES["int32"][0], le=INT_RANGES["int32"][1])],
        None,
    ),
    "int64": (
        Annotated[int, msgspec.Meta(ge=INT_RANGES["int64"][0], le=INT_RANGES["int64"][1])],
        None,
    ),
    "uint32": (Annotated[int, msgspec.Meta(ge=0, le=INT_RANGES["uint32"][1])], None),
    # msgspec bounds integers only within int64's range: the top of uint64 is checked here.
    "uint64": (Annotated[int, msgspec.Meta(ge=0)], "_uint64"),
    # An integer is kept as one (not rounded to a double by msgspec) for float64_check.
    "float32": (int | float | _FLOAT_WORDS, "_float32"),
    "float64": (int | float | _FLOAT_WORDS, "_float64"),
    # msgspec refuses invalid UTF-8 and lone surrogate escapes, as orjson does.
    "string": (str, None),
    # Padded standard base64 only; msgspec and base64.b64decode(validate=True) agree.
    "bytes": (bytes, None),
    "timestamp": (str, "_timestamp"),
}


class TypedJson:
    """msgspec types and converters for one schema and record type, compiled once."""

    def __init__(self, schema: Schema, root: str, *, drop_unknown: bool = False) -> None:
        self.schema = schema
        # Two passes, so that messages may refer to each other (recursion included): first
        # every Struct class with its field names and defaults, then its field types, which
        # msgspec reads from ``__annotations__`` only when a Decoder is built.
        self._structs: dict[str, type[msgspec.Struct]] = {}
        # The generated converters' names: by position, so no schema text becomes code.
        self._funcs = {name: f"_message_{i}" for i, name in enumerate(schema.messages)}
        for name in schema.messages:
            self._structs[name] = self._declare(name, drop_unknown)
        self._namespace: dict[str, Any] = {
            "UNSET": msgspec.UNSET,
            "_timestamp": _timestamp,
            "_uint64": _uint64,
            "_float32": _FLOAT32,
            "_float64": _float64,
            "_bool_key": _BOOL_KEYS.__getitem__,
            **{f"_{k}_key": int_from_text(k) for k in INT_RANGES},
        }
        source = []
        for name in schema.messages:
            source.append(self._define(name))
        # Generated from the schema model only (field names appear as string literals via
        # repr, functions are numbered), so the text is as trustworthy as this module.
        exec("\n".join(source), self._namespace)
        root_type = self._structs[root]
        self._convert: Callable[[Any], dict[str, Any]] = self._namespace[self._funcs[root]]
        self._one = msgspec.json.Decoder(root_type)
        self._file = msgspec.json.Decoder(root_type | list[root_type])  # type: ignore[valid-type]
        # orjson refuses nesting deeper than 1024 and the tree path recurses in Python; a
        # recursive schema lets input nest without bound, so deep input is left to the tree
        # path. Counting brackets (strings included) is a cheap bound on the depth.
        self._bounded = not _has_cycle(schema, root)

        #: One record from its bytes, or an exception from ``REJECTED``. A closure rather
        #: than a method: at about a microsecond a record, every call level shows.
        self.decode: Callable[[bytes], dict[str, Any]] = (
            _compose(self._one.decode, self._convert) if self._bounded else self._decode_deep
        )

    def _decode_deep(self, data: bytes) -> dict[str, Any]:
        if data.count(b"{") + data.count(b"[") > _MAX_BRACKETS:
            raise ValueError("deep input: left to the tree path")
        return self._convert(self._one.decode(data))

    def decode_file(self, data: bytes) -> dict[str, Any] | list[dict[str, Any]]:
        """A ``.json`` file: one record (a dict) or an array of them (a list)."""
        if not self._bounded and data.count(b"{") + data.count(b"[") > _MAX_BRACKETS:
            raise ValueError("deep input: left to the tree path")
        out = self._file.decode(data)
        convert = self._convert
        if type(out) is list:
            return [convert(s) for s in out]
        return convert(out)

    # -- compilation -----------------------------------------------------------------
    def _declare(self, name: str, drop_unknown: bool) -> type[msgspec.Struct]:
        fields: list[tuple[str, Any, Any]] = []
        rename: dict[str, str] = {}
        for i, f in enumerate(self.schema.messages[name].fields):
            # Attribute names are generated, the JSON names given by ``rename``: a field may
            # be called anything the schema allows, even a Struct method's name.
            attr = f"f{i}"
            rename[attr] = f.name
            # Absent optionals stay UNSET and are left out. ``null`` is not accepted here:
            # it is rare, and the tree path reads it as absent.
            default = msgspec.UNSET if f.optional else self._zero(f.type)
            fields.append((attr, Any, default))
        return msgspec.defstruct(
            f"{name}_json",
            fields,
            rename=rename,
            forbid_unknown_fields=not drop_unknown,
            kw_only=True,
        )

    def _define(self, name: str) -> str:
        """Set the Struct's field types; return the source of its converter to a dict."""
        annotations: dict[str, Any] = {}
        shown: list[str] = []  # entries of the dict display, up to the first optional
        later: list[str] = []  # statements after it, so keys stay in schema order
        for i, f in enumerate(self.schema.messages[name].fields):
            mtype, conv = self._type(f.type)
            annotations[f"f{i}"] = mtype | msgspec.UnsetType if f.optional else mtype
            key = repr(f.name)
            if f.optional:
                later.append(f"    o = s.f{i}")
                later.append(f"    if o is not UNSET: d[{key}] = {conv('o')}")
            elif later:
                later.append(f"    d[{key}] = {conv(f's.f{i}')}")
            else:
                shown.append(f"{key}: {conv(f's.f{i}')}")
        self._structs[name].__annotations__ = annotations
        return "\n".join(
            [
                f"def {self._funcs[name]}(s):",
                f"    d = {{{', '.join(shown)}}}",
                *later,
                "    return d",
            ]
        )

    def _type(self, ftype: FieldType) -> tuple[Any, Callable[[str], str]]:
        """The msgspec type of a field, and how to turn an expression of it canonical."""
        if isinstance(ftype, Scalar):
            stype, func = _SCALARS[ftype.kind]
            return stype, (lambda x: f"{func}({x})") if func else _same
        if isinstance(ftype, EnumRef):
            return Literal[self.schema.enums[ftype.name].names], _same
        if isinstance(ftype, MessageRef):
            func = self._funcs[ftype.name]
            return self._structs[ftype.name], lambda x: f"{func}({x})"
        mtype: Any
        if isinstance(ftype, ListOf):
            item, conv = self._type(ftype.item)
            mtype = list[item]  # type: ignore[valid-type]
            if conv is _same:
                return mtype, _same
            return mtype, lambda x: f"[{conv('i')} for i in {x}]"
        if isinstance(ftype, MapOf):
            value, conv = self._type(ftype.value)
            kind = ftype.key.kind
            if kind == "string":
                mtype = dict[str, value]  # type: ignore[valid-type]
                if conv is _same:
                    return mtype, _same
                return mtype, lambda x: f"{{k: {conv('v')} for k, v in {x}.items()}}"
            # msgspec's own integer keys accept "-0", and it reads no bool keys from JSON:
            # keys are read as text and parsed by the tree path's own rules.
            mtype = dict[_BOOL_KEY if kind == "bool" else str, value]  # type: ignore[misc]
            return mtype, lambda x: f"{{_{kind}_key(k): {conv('v')} for k, v in {x}.items()}}"
        raise AssertionError(ftype)

    def _zero(self, ftype: FieldType) -> Any:
        if isinstance(ftype, Scalar):
            return SCALAR_ZEROS[ftype.kind]
        if isinstance(ftype, EnumRef):
            return self.schema.enums[ftype.name].zero
        if isinstance(ftype, ListOf):
            return msgspec.field(default_factory=list)
        if isinstance(ftype, MapOf):
            return msgspec.field(default_factory=dict)
        if isinstance(ftype, MessageRef):
            # Every field of a Struct has a default, so calling the class gives its zero
            # value; looked up at call time, as the class may not be declared yet.
            structs, name = self._structs, ftype.name
            return msgspec.field(default_factory=lambda: structs[name]())
        raise AssertionError(ftype)


def _compose(
    decode: Callable[[bytes], Any], convert: Callable[[Any], dict[str, Any]]
) -> Callable[[bytes], dict[str, Any]]:
    return lambda data: convert(decode(data))


def _same(x: str) -> str:
    return x


def compile_typed(schema: Schema, root: str, *, drop_unknown: bool = False) -> TypedJson:
    """The fast path for a schema: built once, beside the tree path it defers to."""
    return TypedJson(schema, root, drop_unknown=drop_unknown)


def _has_cycle(schema: Schema, root: str) -> bool:
    """Whether some message reachable from ``root`` can contain itself."""

    def refs(ftype: FieldType) -> list[str]:
        if isinstance(ftype, MessageRef):
            return [ftype.name]
        if isinstance(ftype, ListOf):
            return refs(ftype.item)
        if isinstance(ftype, MapOf):
            return refs(ftype.value)
        return []

    graph = {n: {r for f in m.fields for r in refs(f.type)} for n, m in schema.messages.items()}
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str) -> bool:
        if name in visiting:
            return True
        if name in done:
            return False
        visiting.add(name)
        found = any(visit(r) for r in graph[name])
        visiting.discard(name)
        done.add(name)
        return found

    return visit(root)
