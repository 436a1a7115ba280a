"""The schema model: small frozen records that every compiler and codec reads.

A schema is parsed once (``loader.py``) into these types; nothing downstream looks at YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ScalarKind = Literal[
    "bool",
    "int32",
    "int64",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "string",
    "bytes",
    "timestamp",
    "duration",
    "decimal",
]
SCALAR_KINDS: tuple[ScalarKind, ...] = (
    "bool",
    "int32",
    "int64",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "string",
    "bytes",
    "timestamp",
    "duration",
)
#: The most digits a ``decimal(p, s)`` may have: 76, as BigQuery's BIGNUMERIC and ClickHouse's
#: Decimal256 (the widest SQL decimals in use); a precision of 1..76 and a scale of 0..p.
MAX_DECIMAL_PRECISION = 76
INTEGER_KINDS: frozenset[str] = frozenset({"int32", "int64", "uint32", "uint64"})
MAP_KEY_KINDS: frozenset[str] = frozenset({"string", "bool", *INTEGER_KINDS})

# Inclusive ranges of the integer kinds.
INT_RANGES: dict[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}


#: Integer encodings other than the plain varint, by the type name that spells them (the
#: Protobuf scalar type names): the canonical value is the same integer, only the wire form
#: changes (zigzag varints, or fixed 4 or 8 bytes, little-endian).
ENCODED_INTEGERS: dict[str, tuple[ScalarKind, str]] = {
    "sint32": ("int32", "zigzag"),
    "sint64": ("int64", "zigzag"),
    "sfixed32": ("int32", "fixed"),
    "sfixed64": ("int64", "fixed"),
    "fixed32": ("uint32", "fixed"),
    "fixed64": ("uint64", "fixed"),
}
_ENCODED_NAMES = {pair: name for name, pair in ENCODED_INTEGERS.items()}


@dataclass(frozen=True)
class Scalar:
    kind: ScalarKind
    #: "" (the kind's own wire form), "zigzag" or "fixed": integers only (ENCODED_INTEGERS).
    encoding: str = ""
    #: ``decimal(p, s)`` only: at most ``precision`` digits in all, ``scale`` of them after
    #: the point (0 for every other kind).
    precision: int = 0
    scale: int = 0

    def __str__(self) -> str:
        if self.kind == "decimal":
            return f"decimal({self.precision}, {self.scale})"
        if self.encoding:
            return _ENCODED_NAMES[(self.kind, self.encoding)]
        return self.kind


@dataclass(frozen=True)
class EnumRef:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class MessageRef:
    name: str

    def __str__(self) -> str:
        return self.name


# What a list may hold and a map may map to: one value, never another list or map
# (Protobuf cannot express those; wrap them in a message instead).
ElementType = Scalar | EnumRef | MessageRef


@dataclass(frozen=True)
class ListOf:
    item: ElementType

    def __str__(self) -> str:
        return f"list<{self.item}>"


@dataclass(frozen=True)
class MapOf:
    key: Scalar
    value: ElementType

    def __str__(self) -> str:
        return f"map<{self.key}, {self.value}>"


FieldType = Scalar | EnumRef | MessageRef | ListOf | MapOf

#: The scalar kinds a well-known wrapper message holds, and the wrapper's name
#: (``google.protobuf.<name>`` in ``google/protobuf/wrappers.proto``).
WRAPPER_TYPES: dict[ScalarKind, str] = {
    "bool": "BoolValue",
    "int32": "Int32Value",
    "int64": "Int64Value",
    "uint32": "UInt32Value",
    "uint64": "UInt64Value",
    "float32": "FloatValue",
    "float64": "DoubleValue",
    "string": "StringValue",
    "bytes": "BytesValue",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    tag: int
    optional: bool = False
    xml_attribute: bool = False
    doc: str | None = None
    # Generation hints (``gen:`` in the long form), kept opaque here: the dataset
    # generator interprets them.
    gen: dict[str, Any] | None = None
    #: Repeated numbers, bools and enums are packed in Protobuf unless this is False.
    packed: bool = True
    #: proto2 ``required``: absent is an error in every format (not the zero value), and
    #: Protobuf writes the field even at its zero value.
    required: bool = False
    #: proto2 ``[default = X]`` of an optional (or required) scalar or enum field: what an
    #: absent field means to Protobuf readers. Metadata only: the canonical record keeps
    #: the absence. A value of the field's canonical type (an enum's value name).
    default: Any | None = None
    #: ``optional T`` whose Protobuf wire form is the well-known wrapper message
    #: (``google.protobuf.Int64Value`` etc.); every other format sees ``optional T``.
    wrapper: bool = False

    #: The ``Oneof`` group this field is a member of, by name, or None.
    oneof: str | None = None
    #: How Avro spells the field (schema/avro_hint.py: a logical type, a fixed, where null
    #: stands in its union, its Avro default and aliases); every other format ignores it.
    avro: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        # A oneof member has presence, as an optional field has: every walk that handles
        # optional fields (absent key, null, has_field) handles members alike, and only the
        # places that know groups (the two-set check, .proto, XSD, JSON Schema) look further.
        if self.oneof is not None and not self.optional:
            object.__setattr__(self, "optional", True)

    def __str__(self) -> str:
        optional = self.optional and self.oneof is None
        lead = "optional " if optional else "required " if self.required else ""
        return f"{lead}{self.type}"


@dataclass(frozen=True)
class Enum:
    name: str
    values: tuple[tuple[str, int], ...]
    doc: str | None = None
    #: Numbers (inclusive ranges) and names no value may take, as Protobuf's ``reserved``.
    reserved_numbers: tuple[tuple[int, int], ...] = ()
    reserved_names: tuple[str, ...] = ()
    #: Protobuf's ``option allow_alias = true``: several names may share a number. The
    #: canonical value is the first name with that number; readers accept any alias.
    allow_alias: bool = False
    #: The Protobuf full name (``pkg.Outer.Inner``) of an enum imported from a .proto file:
    #: the exported .proto restores it, with the value names verbatim (no prefix).
    full_name: str | None = None
    #: What an enum imported from an .avsc keeps for Avro (its full name, default symbol,
    #: aliases; schema/avro_hint.py); every other format ignores it.
    avro: dict[str, Any] | None = field(default=None, hash=False)

    @property
    def names(self) -> tuple[str, ...]:
        """Every value name, aliases included: what readers and writers accept."""
        return tuple(name for name, _ in self.values)

    @property
    def canonical_names(self) -> tuple[str, ...]:
        """The first name of each number: the canonical values (``names`` without aliases)."""
        seen: set[int] = set()
        out = []
        for name, number in self.values:
            if number not in seen:
                seen.add(number)
                out.append(name)
        return tuple(out)

    @property
    def has_aliases(self) -> bool:
        return len(self.canonical_names) != len(self.values)

    def canonical(self) -> dict[str, str]:
        """Each name (aliases included) -> the canonical name of its number."""
        first: dict[int, str] = {}
        for name, number in self.values:
            first.setdefault(number, name)
        return {name: first[number] for name, number in self.values}

    def by_number(self) -> dict[int, str]:
        """Each number -> its canonical (first) name."""
        first: dict[int, str] = {}
        for name, number in self.values:
            first.setdefault(number, name)
        return first

    @property
    def zero(self) -> str:
        """The value numbered 0: the default, which every enum must have."""
        return next(name for name, number in self.values if number == 0)


@dataclass(frozen=True)
class Oneof:
    """A union: member fields (by name, in ``Message.fields``) of which at most one is set.

    Protobuf's oneof; no member set means the group is unset. Members are fields like any
    other (own name and tag), with presence (``Field.optional`` is True for them)."""

    name: str
    members: tuple[str, ...]
    doc: str | None = None
    #: ``{"union": True, ...}``: the group is one Avro union of its members' types (an
    #: imported .avsc union of several types; schema/avro_hint.py). Other formats ignore it.
    avro: dict[str, Any] | None = field(default=None, hash=False)


@dataclass(frozen=True)
class Message:
    name: str
    fields: tuple[Field, ...]
    doc: str | None = None
    #: Field numbers no field may take (inclusive ranges), as Protobuf's ``reserved``: kept
    #: for numbers and names that earlier versions used, so that old data is never misread.
    reserved_numbers: tuple[tuple[int, int], ...] = ()
    reserved_names: tuple[str, ...] = ()
    #: Unions of member fields, in declaration order (each member's ``Field.oneof`` names it).
    oneofs: tuple[Oneof, ...] = ()
    #: The Protobuf full name (``pkg.Outer.Inner``) of a message imported from a .proto
    #: file: the exported .proto restores its package and nesting.
    full_name: str | None = None
    #: What a record imported from an .avsc keeps for Avro (its full name and aliases;
    #: schema/avro_hint.py); every other format ignores it.
    avro: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if self.oneofs:
            _check_oneofs(self)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def reachable_messages(schema: Schema, root: str) -> list[Message]:
    """The message types a record of ``root`` can hold, ``root`` first, each once (through
    fields, list items and map values; recursion is followed once)."""
    seen: dict[str, Message] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        msg = seen[name] = schema.messages[name]
        for f in reversed(msg.fields):
            inner = element_type(f.type)
            if isinstance(inner, MessageRef):
                todo.append(inner.name)
    return list(seen.values())


def parents_first(schema: Schema, root: str) -> list[str]:
    """The message types under ``root`` (itself first), each after every message that holds
    it: the order in which a bottom-up pass, read backwards, sees children before parents
    (a cycle's members in the order the walk met them)."""
    out: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        done.add(name)
        for f in schema.messages[name].fields:
            inner = element_type(f.type)
            if isinstance(inner, MessageRef):
                visit(inner.name)
        out.append(name)

    visit(root)
    return out[::-1]


def element_type(t: FieldType) -> Scalar | EnumRef | MessageRef:
    """What a field holds one of: a list's item, a map's value, else the type itself."""
    if isinstance(t, ListOf):
        return t.item
    if isinstance(t, MapOf):
        return t.value
    return t


def _check_oneofs(msg: Message) -> None:
    """A group's members are consecutive fields that name it (as in Protobuf, where they
    stand in one ``oneof`` block): every compiler writes a group where its members stand."""
    names = [f.name for f in msg.fields]
    for group in msg.oneofs:
        found = [i for i, f in enumerate(msg.fields) if f.oneof == group.name]
        if not group.members or [names[i] for i in found] != list(group.members):
            raise ValueError(
                f"message {msg.name}: oneof {group.name} lists {list(group.members)}, but its"
                f" member fields (Field.oneof) are {[names[i] for i in found]}"
            )
        if found != list(range(found[0], found[0] + len(found))):
            raise ValueError(
                f"message {msg.name}: the members of oneof {group.name} must be consecutive fields"
            )
        for i in found:
            if isinstance(msg.fields[i].type, ListOf | MapOf):
                raise ValueError(f"message {msg.name}: oneof member {names[i]} is a list or map")
    grouped = {g.name for g in msg.oneofs}
    for f in msg.fields:
        if f.oneof is not None and f.oneof not in grouped:
            raise ValueError(f"message {msg.name}: field {f.name} names no oneof {f.oneof!r}")


@dataclass(frozen=True)
class Schema:
    name: str
    root: str
    enums: dict[str, Enum]
    messages: dict[str, Message]
    doc: str | None = None
    source: str | None = field(default=None, compare=False)

    @property
    def namespace(self) -> str:
        """The XML namespace of every element this schema describes."""
        return f"urn:fmtbench:{self.name}"

    @property
    def proto_package(self) -> str:
        return self.name

    def message(self, name: str | None = None) -> Message:
        """The named message type, or the root type when no name is given."""
        from fmtbench.errors import UsageError

        key = self.root if name is None else name
        try:
            return self.messages[key]
        except KeyError:
            # An imported message also answers to its Protobuf (or Avro) full name.
            for msg in self.messages.values():
                if msg.full_name is not None and msg.full_name == key.lstrip("."):
                    return msg
                if msg.avro and msg.avro.get("name") == key.lstrip("."):
                    return msg

            known = ", ".join(sorted(self.messages))
            from fmtbench.text import did_you_mean

            hint = did_you_mean(key, self.messages)
            raise UsageError(
                f"schema {self.name} has no message type {key!r} (it has: {known}){hint}"
            ) from None
