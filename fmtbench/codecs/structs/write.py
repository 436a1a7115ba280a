"""A fast writing path for JSON and MessagePack: msgspec checks a canonical record against
Structs compiled from the schema and writes it.

The tree path (``values/tree.py``) rebuilds every dict of a record in Python before the library
writes it; that rebuild, not the writing, was most of the cost (6x ``orjson.dumps`` and
2.8x ``msgpack.packb`` on ``order``).
Here the schema is compiled once into ``msgspec.Struct`` classes, and ``msgspec.convert``
checks the record's shape, types, integer ranges and enum names in C; the Encoder then
writes fields in schema order and map entries in key order, as the tree path does.

What msgspec cannot check is checked after ``convert`` by a guard generated from the schema
that visits only the leaves that need it:

- floats: msgspec turns an int such as 2**53 + 1 into the nearest double silently, so float
  fields are typed so that msgspec refuses ints (they go to the tree path, which converts
  them exactly or refuses them); float32 values must already be float32 values; in JSON
  msgspec writes NaN and the infinities as ``null``, so there the guard wants a finite
  float (the tree path spells them "NaN", "Infinity", "-Infinity");
- timestamps: msgspec's JSON keeps any offset; the guard wants a ``datetime`` in UTC;
- uint64: msgspec cannot bound an integer above int64's range; the guard checks the top
  in JSON (MessagePack's writer refuses a larger integer itself).

A record with many floats has them tested a list at a time instead (floats.py), or on
their bits where the lists' elements have a fixed size (floatbits.py); a recursive
record is converted to Structs unrolled a class a level down to what ``--max-depth``
allows, so that convert refuses a deeper one (or its levels are counted, levels.py),
which spares it the ``--max-depth`` walk where no walk could refuse it.

Like the typed reader, this path never decides that a record is bad: on any refusal the
caller runs the tree path, which returns the same bytes or raises today's error with its
path. Both encoders write what the tree path's libraries write, byte for byte (tested).
Schemas with integer or bool map keys are left to the tree path entirely (msgspec's
deterministic order sorts text keys only).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from operator import attrgetter
from typing import Annotated, Any, Literal

import msgspec

from fmtbench.codecs.structs.floatbits import compile_bits
from fmtbench.codecs.structs.floats import (
    FLOAT_KINDS,
    FloatsDeclined,
    compile_floats,
    has_floats,
)
from fmtbench.codecs.structs.levels import level_counter
from fmtbench.codecs.structs.read import has_cycle
from fmtbench.codecs.values import oneof
from fmtbench.schema.model import (
    INT_RANGES,
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
    element_type,
    reachable_messages,
)

_F32 = struct.Struct("<f")
_U64_MAX = INT_RANGES["uint64"][1]


class _Unsafe(Exception):
    """A leaf msgspec would write differently from the tree path: the caller falls back."""


#: Everything ``encode`` raises when it declines a record; the caller then asks the tree path.
DECLINED: tuple[type[Exception], ...] = (
    msgspec.ValidationError,
    msgspec.EncodeError,
    _Unsafe,
    FloatsDeclined,
    TypeError,
    ValueError,  # UnicodeEncodeError (a lone surrogate) is one
    OverflowError,
    RecursionError,
)


def _float32(x: float) -> float:
    return _F32.unpack(_F32.pack(x))[0]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class WriteTarget:
    """What a format adds to the shared writer: msgspec's encoder for it, and the guard's
    test of a local ``x`` for each leaf kind that needs one (the others need none)."""

    encoder: Callable[[], Any]
    guards: Mapping[str, str]
    #: Whether floats must be finite (JSON): what the float guards above ask, for
    #: floats.py's test of a whole record's floats at once.
    finite_floats: bool = False
    #: Whether ``encoder`` writes msgspec's MessagePack (floatbits.py reads a root's last
    #: list of floats from what it writes).
    msgpack: bool = False


#: Guard tests every target needs: msgspec takes a naive datetime and any int up to 2**64.
COMMON_GUARDS: dict[str, str] = {
    "timestamp": "x.__class__ is _datetime and x.tzinfo is _UTC",
    # msgspec cannot write either format's spelling of a duration: the tree path does.
    "duration": "False",
    # msgspec writes str(Decimal), which may be an exponent form ("1E-9"), and checks no
    # digit count: a record holding a decimal is written on the tree path.
    "decimal": "False",
    "uint64": f"x <= {_U64_MAX}",
}


#: An int no int satisfies: a float field typed ``_NO_INT | float`` takes floats only, and
#: msgspec refuses an int there in C (typed ``float``, it would turn 2**53 + 1 into the
#: nearest double silently; the tree path converts an int exactly or refuses it). Bools and
#: float subclasses msgspec refuses as it is.
_NO_INT = Annotated[int, msgspec.Meta(ge=1, le=0)]


#: uint64 kept to int64's range: convert refuses the top half of uint64 in C, where it
#: cannot refuse past 2**64 - 1 (see ``TypedWriter._unrolled``).
_UINT64_LOW = Annotated[int, msgspec.Meta(ge=0, le=INT_RANGES["int64"][1])]


def _scalar_type(kind: str, low64: bool = False) -> Any:
    if kind in ("float32", "float64"):
        return _NO_INT | float
    if kind == "timestamp":
        return datetime
    if kind in ("duration", "decimal"):
        return Any  # never written here (see COMMON_GUARDS)
    if kind == "uint64":
        if low64:
            return _UINT64_LOW
        return Annotated[int, msgspec.Meta(ge=0)]  # the top is the guard's (see above)
    if kind in INT_RANGES:
        lo, hi = INT_RANGES[kind]
        return Annotated[int, msgspec.Meta(ge=lo, le=hi)]
    return {"bool": bool, "string": str, "bytes": bytes}[kind]


class TypedWriter:
    """msgspec types and a guard for one schema, record type and format, compiled once."""

    def __init__(self, schema: Schema, root: str, target: WriteTarget) -> None:
        self.schema = schema
        self._structs: dict[str, type[msgspec.Struct]] = {}
        for name in schema.messages:
            self._structs[name] = self._declare(name)
        for name in schema.messages:
            self._annotate(self._structs[name], name, self._structs.__getitem__)
        guard = self._compile_guard(root, target.guards)
        # A record with many floats has them tested at once (floats.py), and the rest of
        # the guard without them; a record with few, leaf by leaf (a bulk test costs more
        # than a few leaves). How many: the length of the root's lists that lead to floats.
        # Where those lists all hold fixed-size elements (mesh's triangles), their floats
        # are tested on their bits (floatbits.py), and the rest of the record leaf by leaf.
        floats: Callable[[Any, bytes], None] | None = None
        rest: Callable[[Any], None] | None = None
        many: Callable[[Any], int] = _none
        lists = _float_lists(schema, root)
        bits = None
        if lists and not has_cycle(schema, root):
            bits = compile_bits(
                schema, root, self._structs, finite=target.finite_floats, msgpack=target.msgpack
            )
        if bits is not None and set(lists) <= set(bits[0]):
            lists, floats = bits
            rest = self._compile_guard(root, target.guards, skip=lists)
        elif lists and not has_cycle(schema, root):
            floats = compile_floats(schema, root, finite=target.finite_floats)
            rest = self._compile_guard(
                root, {k: v for k, v in target.guards.items() if k not in FLOAT_KINDS}
            )
        if floats is not None:
            lengths = attrgetter(*lists)
            many = (
                (lambda s: len(lengths(s)))
                if len(lists) == 1
                else (lambda s: sum(map(len, lengths(s))))
            )
        root_type = self._structs[root]
        convert = msgspec.convert
        # bytes and datetimes are taken as they are: never parsed from text (the canonical
        # form holds bytes and datetimes, not their spellings).
        builtin = (bytes, bytearray, memoryview, datetime)
        write: Callable[[Any], bytes] = target.encoder().encode

        def encode(record: Any) -> bytes:
            # msgspec takes any Mapping; the canonical record is a dict, as every other
            # codec requires (values inside are not re-checked for subclasses: too costly).
            if record.__class__ is not dict:
                raise _Unsafe
            s = convert(record, root_type, builtin_types=builtin)
            if floats is not None and many(s) >= MANY_FLOATS:
                if rest is not None:
                    rest(s)
                out = write(s)
                floats(s, out)  # after writing: floatbits.py may read the bytes written
                return out
            if guard is not None:
                guard(s)
            return write(s)

        #: One record's bytes, or an exception from ``DECLINED``.
        self.encode: Callable[[Any], bytes] = encode
        #: For a recursive record type: ``encode`` for records of at most the given number
        #: of message levels, declining deeper ones (levels.py ``unwalked``).
        self.encode_within: Callable[[int], Callable[[Any], bytes]] | None = None
        if has_cycle(schema, root):
            self._root, self._target, self._builtin = root, target, builtin
            self.encode_within = self._encode_within

    def _encode_within(self, most: int) -> Callable[[Any], bytes]:
        schema, root, target, builtin = self.schema, self._root, self._target, self._builtin
        convert = msgspec.convert
        write: Callable[[Any], bytes] = target.encoder().encode
        # The top of uint64 is tested by the count, a level at a time, if guarded at all.
        tops = "uint64" in target.guards and _has_uint64(schema, root)
        levels = level_counter(schema, root, uint64=tops)
        within = self._compile_guard(
            root, {k: v for k, v in target.guards.items() if k != "uint64"}
        )
        root_type = self._structs[root]

        def counted(record: Any) -> bytes:
            if record.__class__ is not dict:
                raise _Unsafe
            s = convert(record, root_type, builtin_types=builtin)
            if levels(s, most) > most:
                raise _Unsafe
            if within is not None:  # after the count: it recurses as deep as the record
                within(s)
            return write(s)

        # convert refuses a record deeper than ``most`` levels itself, and, where the top
        # of uint64 is guarded, a uint64 past 2**63 - 1: such a record is counted instead.
        unrolled = self._unrolled(root, most, low64=tops)
        if unrolled is None:
            return counted

        def encode_within(record: Any) -> bytes:
            if record.__class__ is not dict:
                raise _Unsafe
            try:
                s = convert(record, unrolled, builtin_types=builtin)
            except msgspec.ValidationError:
                if not tops:
                    raise
                return counted(record)  # maybe a uint64 past 2**63 - 1
            if within is not None:
                within(s)
            return write(s)

        return encode_within

    def _unrolled(self, root: str, most: int, *, low64: bool) -> type[msgspec.Struct] | None:
        """``root``'s Structs again, one class a message and level, down to ``most`` levels,
        below which a message field takes nothing: convert refuses a deeper record in C,
        and no count is made (tree: the count cost half of ``orjson.dumps``). None where
        that takes too many classes. ``low64``: uint64 fields below 2**63, so that convert
        also stands in for the count's test of uint64's top (JSON)."""
        names = [m.name for m in reachable_messages(self.schema, root)]
        if not 0 < most * len(names) <= MOST_UNROLLED:
            return None
        classes = {
            (name, level): self._declare(name, f"level{level}")
            for name in names
            for level in range(1, most + 1)
        }
        for (name, level), cls in classes.items():
            below = partial(_level_or_nothing, classes, level + 1)
            self._annotate(cls, name, below, low64)
        return classes[root, 1]

    # -- compilation -----------------------------------------------------------------
    def _compile_guard(
        self, root: str, guards: Mapping[str, str], skip: Collection[str] = ()
    ) -> Callable[[Any], None] | None:
        """The guard of ``root`` Structs testing the leaf kinds in ``guards``, or None;
        ``skip``: attributes of ``root`` (not recursive) tested elsewhere."""
        self._guards = guards
        self._skip = (root, skip)
        self._guarded = {name for name in self.schema.messages if self._needs_guard(name, set())}
        self._funcs = {name: f"_guard_{i}" for i, name in enumerate(self.schema.messages)}
        namespace: dict[str, Any] = {
            "UNSET": msgspec.UNSET,
            "_Unsafe": _Unsafe,
            "_float32": _float32,
            "_datetime": datetime,
            "_UTC": UTC,
        }
        # Generated from the schema model only (attribute names are f0, f1...; functions
        # are numbered), so the text is as trustworthy as this module.
        exec("\n".join(self._guard_source(n) for n in sorted(self._guarded)), namespace)
        return namespace[self._funcs[root]] if root in self._guarded else None

    def _declare(self, name: str, label: str = "out") -> type[msgspec.Struct]:
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        rename: dict[str, str] = {}
        for i, f in enumerate(self.schema.messages[name].fields):
            # Generated attribute names, the JSON names given by ``rename`` (a field may be
            # called like a Struct method). Required fields have no default: a record
            # missing one goes to the tree path, which names it.
            rename[f"f{i}"] = f.name
            fields.append((f"f{i}", Any, msgspec.UNSET) if f.optional else (f"f{i}", Any))
        # gc=False: the Structs convert builds are a tree of new objects, written and
        # dropped, never part of a cycle; untracked, each costs less to make (mesh: convert
        # 0.77x -> 0.47x orjson.dumps).
        return msgspec.defstruct(
            f"{name}_{label}",
            fields,
            rename=rename,
            forbid_unknown_fields=True,
            kw_only=True,
            gc=False,
        )

    def _annotate(
        self,
        cls: type[msgspec.Struct],
        name: str,
        structs: Callable[[str], Any],
        low64: bool = False,
    ) -> None:
        """Gives ``cls`` the field types of message ``name``, its message fields typed
        ``structs(message name)``; ``low64``: uint64 fields below 2**63."""
        annotations: dict[str, Any] = {}
        for i, f in enumerate(self.schema.messages[name].fields):
            t = self._type(f.type, structs, low64)
            annotations[f"f{i}"] = t | msgspec.UnsetType if f.optional else t
        # msgspec reads the field types when it first converts to the class: recursion works.
        cls.__annotations__ = annotations

    def _type(self, ftype: FieldType, structs: Callable[[str], Any], low64: bool = False) -> Any:
        if isinstance(ftype, Scalar):
            return _scalar_type(ftype.kind, low64)
        if isinstance(ftype, EnumRef):
            # An alias goes to the tree path, which writes its first name.
            return Literal[self.schema.enums[ftype.name].canonical_names]
        if isinstance(ftype, MessageRef):
            return structs(ftype.name)
        if isinstance(ftype, ListOf):
            return list[self._type(ftype.item, structs, low64)]  # type: ignore[misc]
        if isinstance(ftype, MapOf):
            return dict[str, self._type(ftype.value, structs, low64)]  # type: ignore[misc]
        raise AssertionError(ftype)

    def _needs_guard(self, name: str, seen: set[str]) -> bool:
        if name in seen:
            return False  # a cycle adds no leaf of its own
        seen.add(name)
        msg = self.schema.messages[name]
        if oneof.groups(msg):  # two members set is for the tree path to name
            return True
        return any(self._type_needs_guard(f.type, seen) for _, f in self._fields(name))

    def _fields(self, name: str) -> list[tuple[int, Field]]:
        """The fields of message ``name`` the guard tests, with their numbers."""
        fields = enumerate(self.schema.messages[name].fields)
        if name != self._skip[0]:
            return list(fields)
        return [(i, f) for i, f in fields if f"f{i}" not in self._skip[1]]

    def _type_needs_guard(self, ftype: FieldType, seen: set[str]) -> bool:
        if isinstance(ftype, Scalar):
            return ftype.kind in self._guards
        if isinstance(ftype, MessageRef):
            return self._needs_guard(ftype.name, seen)
        if isinstance(ftype, ListOf):
            return self._type_needs_guard(ftype.item, seen)
        if isinstance(ftype, MapOf):
            return self._type_needs_guard(ftype.value, seen)
        return False

    def _guard_source(self, name: str) -> str:
        lines = [f"def {self._funcs[name]}(s):"]
        msg = self.schema.messages[name]
        attrs = {f.name: f"s.f{i}" for i, f in enumerate(msg.fields)}
        for _, _, members in oneof.groups(msg):
            # Two members of one oneof set: the tree path names them.
            count = " + ".join(f"({attrs[m]} is not UNSET)" for m in members)
            lines += [f"    if {count} > 1:", "        raise _Unsafe"]
        for i, f in self._fields(name):
            body = self._check(f.type, f"s.f{i}", 1)
            if not body:
                continue
            if f.optional:
                lines.append(f"    v = s.f{i}")
                lines.append("    if v is not UNSET:")
                lines += [f"        {line}" for line in self._check(f.type, "v", 1)]
            else:
                lines += [f"    {line}" for line in body]
        lines.append("    return None")
        return "\n".join(lines)

    def _check(self, ftype: FieldType, expr: str, depth: int) -> list[str]:
        """Statements that raise unless the value of ``expr`` is written as the tree path would."""
        if isinstance(ftype, Scalar):
            test = self._guards.get(ftype.kind)
            if test is None:
                return []
            return [f"x = {expr}", f"if not ({test}):", "    raise _Unsafe"]
        if isinstance(ftype, MessageRef):
            return [f"{self._funcs[ftype.name]}({expr})"] if ftype.name in self._guarded else []
        if isinstance(ftype, ListOf | MapOf):
            inner = ftype.item if isinstance(ftype, ListOf) else ftype.value
            item = f"i{depth}"
            body = self._check(inner, item, depth + 1)
            if not body:
                return []
            items = expr if isinstance(ftype, ListOf) else f"{expr}.values()"
            return [f"for {item} in {items}:", *(f"    {line}" for line in body)]
        return []


#: Root list elements from which a record's floats are tested at once (floats.py); below
#: it, leaf by leaf (measured on ``order``, 3 line items of 2 floats: the bulk test costs
#: more; on ``mesh``, hundreds of triangles of 12, it costs a fraction).
MANY_FLOATS = 8


def _none(s: Any) -> int:
    return 0


#: The most Structs classes a writer unrolls for its levels (``TypedWriter._unrolled``):
#: tree at the default --max-depth, 100 levels of one message, takes 100 (3 ms to make).
MOST_UNROLLED = 1000


def _level_or_nothing(classes: Mapping[tuple[str, int], Any], level: int, name: str) -> Any:
    """The class of message ``name`` at ``level``, or, past the last level, a type no value
    converts to."""
    return classes.get((name, level), _NO_INT)


def _has_uint64(schema: Schema, root: str) -> bool:
    return any(
        isinstance(t := element_type(f.type), Scalar) and t.kind == "uint64"
        for m in reachable_messages(schema, root)
        for f in m.fields
    )


def _float_lists(schema: Schema, root: str) -> list[str]:
    """The attributes of ``root``'s required list and map fields with a float at or below
    their elements (an optional one may be unset: it has no length)."""
    out = []
    for i, f in enumerate(schema.messages[root].fields):
        if f.optional or not isinstance(f.type, ListOf | MapOf):
            continue
        inner = element_type(f.type)
        if isinstance(inner, MessageRef):
            below = [m.name for m in reachable_messages(schema, inner.name)]
        else:
            below = []
        if has_floats(schema, below) or (isinstance(inner, Scalar) and inner.kind in FLOAT_KINDS):
            out.append(f"f{i}")
    return out


def compile_writer(schema: Schema, root: str, target: WriteTarget) -> TypedWriter | None:
    """The fast path for a schema and a format's target, or None where it cannot write as
    the tree path does."""
    if any(_has_other_keys(f.type) for m in schema.messages.values() for f in m.fields):
        return None
    return TypedWriter(schema, root, target)


def _has_other_keys(ftype: FieldType) -> bool:
    if isinstance(ftype, MapOf):
        return ftype.key.kind != "string" or _has_other_keys(ftype.value)
    if isinstance(ftype, ListOf):
        return _has_other_keys(ftype.item)
    return False


def encode_unwalked(
    fast: Callable[[Any], bytes | None],
    walked: Callable[[Any], bytes],
    sized: Callable[[bytes, Any], bytes],
) -> Callable[[Any], bytes]:
    """A codec's ``encode`` for a recursive record type (levels.py ``unwalked``): ``fast``
    counts the levels instead of the --max-depth walk; a record it declines, or returns
    None for (maybe too deep), takes ``walked``, the codec's walked ``encode``; ``sized``
    then applies the codec's size checks to what ``fast`` wrote."""

    def encode(record: Any) -> bytes:
        try:
            data = fast(record)
        except DECLINED:
            data = None
        if data is None:  # outside the handler: no chain to the fast path's refusal
            return walked(record)
        return sized(data, record)

    return encode
