"""Fast reading paths: msgspec decodes straight into Structs compiled from the schema.

The tree paths read with a library (orjson, msgpack) and then walk the values in Python
(``values/tree.py``); that walk, not the parsing, is most of the cost. Here each schema is compiled
once into ``msgspec.Struct`` classes, so parsing, field lookup, unknown-field checks,
integer ranges and enum names all happen in C. Python then builds the canonical dicts from
the Structs, with one function per message generated from the schema (a dict display: no
loop, no per-field dispatch), and converts only the leaves msgspec cannot read exactly.

Each format (``json/typed.py``, ``msgpack/typed.py``) says how its scalars and map keys are
typed and converted. A fast path never decides that input is bad: whenever it rejects
anything the caller reads the same bytes on the tree path, the reference, which returns
the record or raises today's error with its position and field path. So the two paths can
differ only in speed, provided the fast one accepts nothing the tree path rejects and
returns the same values (differential property tests hold them to that).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import msgspec

from fmtbench.codecs.structs.bulk import NOT_CANONICAL, TO_BUILTINS, compile_bulk
from fmtbench.codecs.values import oneof
from fmtbench.codecs.values.decimals import decimal_from_text
from fmtbench.codecs.values.leaves import float64_check
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

#: Everything a fast path raises when it declines input; the caller then asks the tree path.
REJECTED: tuple[type[Exception], ...] = (
    msgspec.DecodeError,  # ValidationError is a subclass
    ValueMismatch,
    ValueError,
    OverflowError,
    RecursionError,
)

_U64_MAX = INT_RANGES["uint64"][1]

#: A scalar's msgspec type, and the name (in the generated code's namespace) of the function
#: that turns msgspec's value into the canonical one, or None when it already is.
ScalarRule = tuple[Any, str | None]


def uint64(v: Any) -> Any:
    """msgspec bounds integers only within int64's range: the top of uint64 is checked here."""
    if v > _U64_MAX:
        raise ValueError("out of range")  # the tree path words the error
    return v


def float64(v: Any) -> Any:
    return v if v.__class__ is float else float64_check(v)


def _same(x: str) -> str:
    return x


class TypedReader(ABC):
    """msgspec types and converters for one schema and record type, compiled once.

    A format subclasses it with its ``scalars``, ``helpers`` and ``map_key``."""

    #: Per scalar kind, its rule (see ``ScalarRule``).
    scalars: ClassVar[dict[str, ScalarRule]]
    #: Functions the rules name, bound in the generated code's namespace.
    helpers: ClassVar[dict[str, Callable[..., Any]]]
    #: Scalar kinds and map key kinds whose msgspec value is canonical as read (bulk.py),
    #: once the format's own gate on the input passed (json/typed.py for uint64).
    bulk_same: ClassVar[frozenset[str]] = frozenset()
    bulk_keys: ClassVar[frozenset[str]] = frozenset()
    #: Whether every float leaf is read as a finite ``float`` (bulk.py's ``typed_floats``).
    typed_floats: ClassVar[bool] = False

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
        self._namespace_extra: dict[str, Any] = {}  # oneof groups, bound by _define
        source = [self._define(name) for name in schema.messages]
        self._namespace: dict[str, Any] = {
            "UNSET": msgspec.UNSET,
            **self.helpers,
            **self._namespace_extra,
        }
        # Generated from the schema model only (field names appear as string literals via
        # repr, functions are numbered), so the text is as trustworthy as this module.
        exec("\n".join(source), self._namespace)
        self.root_type = self._structs[root]
        #: The generated converter: every leaf converted in Python.
        self.convert_each: Callable[[Any], dict[str, Any]] = self._namespace[self._funcs[root]]
        #: A Struct to its canonical dict: in C where bulk.py can (falling back on the
        #: generated converter record by record), else the generated converter.
        self.convert: Callable[[Any], dict[str, Any]] = self.convert_each
        bulk = compile_bulk(
            schema,
            root,
            same=self.bulk_same,
            map_keys=self.bulk_keys,
            cyclic=has_cycle(schema, root),
            typed_floats=self.typed_floats,
        )
        self.bulk = bulk is not None
        if bulk is TO_BUILTINS:
            self.convert = bulk  # nothing to fall back from: one Python call less a record
        elif bulk is not None:
            self.convert = _falling_back(bulk, self.convert_each)

    def _bind(self, obj: object) -> str:
        name = f"_g{len(self._namespace_extra)}"
        self._namespace_extra[name] = obj
        return name

    # -- per format ------------------------------------------------------------------
    def decimal(self, precision: int, scale: int) -> Callable[[Any], Any]:
        """How a ``decimal(p, s)`` read as a str becomes canonical (both formats: its text)."""
        return decimal_from_text(precision, scale)

    @abstractmethod
    def map_key(self, kind: str) -> ScalarRule:
        """The msgspec type of a map key of ``kind``, and its converter's name."""

    # -- compilation -----------------------------------------------------------------
    def _declare(self, name: str, drop_unknown: bool) -> type[msgspec.Struct]:
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        rename: dict[str, str] = {}
        for i, f in enumerate(self.schema.messages[name].fields):
            # Attribute names are generated, the wire names given by ``rename``: a field may
            # be called anything the schema allows, even a Struct method's name.
            attr = f"f{i}"
            rename[attr] = f.name
            # Absent optionals stay UNSET and are left out. ``null`` is not accepted here:
            # it is rare, and the tree path reads it as absent. A missing required field
            # is left to the tree path too, which fills in its zero value: so every key of
            # a record read here is a key of the input (json/keys.py counts on that).
            if f.optional:
                fields.append((attr, Any, msgspec.UNSET))
            else:
                fields.append((attr, Any))
        return msgspec.defstruct(
            f"{name}_in",
            fields,
            rename=rename,
            forbid_unknown_fields=not drop_unknown,
            kw_only=True,
            # Not tracked by the collector: a decoded record holds no cycle (its Structs
            # only nest), and tracking each one costs on every record read.
            gc=False,
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
        two_set = oneof.two_set_test(self.schema.messages[name], "d", self._bind)
        if two_set is not None:  # two members of one oneof set: the tree path names them
            later.append(f"    if {two_set}:")
            later.append("        raise ValueError")
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
        if isinstance(ftype, Scalar) and ftype.kind == "decimal":
            # Read as text and parsed by the tree path's own rule (msgspec's Decimal would
            # take exponents and NaN); a number is not a str, so it goes to the tree path.
            func = self._bind(self.decimal(ftype.precision, ftype.scale))
            return str, lambda x: f"{func}({x})"
        if isinstance(ftype, Scalar):
            return _rule(self.scalars[ftype.kind])
        if isinstance(ftype, EnumRef):
            # Canonical names only: an alias (allow_alias) goes to the tree path, which maps
            # it to its first name.
            return Literal[self.schema.enums[ftype.name].canonical_names], _same
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
            ktype, kconv = _rule(self.map_key(ftype.key.kind))
            mtype = dict[ktype, value]  # type: ignore[valid-type]
            if conv is _same and kconv is _same:
                return mtype, _same
            return mtype, lambda x: f"{{{kconv('k')}: {conv('v')} for k, v in {x}.items()}}"
        raise AssertionError(ftype)


def _rule(rule: ScalarRule) -> tuple[Any, Callable[[str], str]]:
    mtype, func = rule
    return mtype, (lambda x: f"{func}({x})") if func else _same


def _falling_back(
    bulk: Callable[[Any], dict[str, Any]], each: Callable[[Any], dict[str, Any]]
) -> Callable[[Any], dict[str, Any]]:
    def convert(s: Any) -> dict[str, Any]:
        try:
            return bulk(s)
        except NOT_CANONICAL:  # a float to round or check: leaf by leaf
            return each(s)

    return convert


def compose(
    decode: Callable[[bytes], Any], convert: Callable[[Any], dict[str, Any]]
) -> Callable[[bytes], dict[str, Any]]:
    return lambda data: convert(decode(data))


def has_cycle(schema: Schema, root: str) -> bool:
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
