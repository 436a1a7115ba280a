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
)
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

    def __str__(self) -> str:
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

    def __str__(self) -> str:
        return f"{'optional ' if self.optional else ''}{self.type}"


@dataclass(frozen=True)
class Enum:
    name: str
    values: tuple[tuple[str, int], ...]
    doc: str | None = None
    #: Numbers (inclusive ranges) and names no value may take, as Protobuf's ``reserved``.
    reserved_numbers: tuple[tuple[int, int], ...] = ()
    reserved_names: tuple[str, ...] = ()
    #: The Protobuf full name (``pkg.Outer.Inner``) of an enum imported from a .proto file:
    #: the exported .proto restores it, with the value names verbatim (no prefix).
    full_name: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.values)

    @property
    def zero(self) -> str:
        """The value numbered 0: the default, which every enum must have."""
        return next(name for name, number in self.values if number == 0)


@dataclass(frozen=True)
class Message:
    name: str
    fields: tuple[Field, ...]
    doc: str | None = None
    #: Field numbers no field may take (inclusive ranges), as Protobuf's ``reserved``: kept
    #: for numbers and names that earlier versions used, so that old data is never misread.
    reserved_numbers: tuple[tuple[int, int], ...] = ()
    reserved_names: tuple[str, ...] = ()
    #: The Protobuf full name (``pkg.Outer.Inner``) of a message imported from a .proto
    #: file: the exported .proto restores its package and nesting.
    full_name: str | None = None

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


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
            # An imported message also answers to its Protobuf full name.
            for msg in self.messages.values():
                if msg.full_name is not None and msg.full_name == key.lstrip("."):
                    return msg

            known = ", ".join(sorted(self.messages))
            raise UsageError(
                f"schema {self.name} has no message type {key!r} (it has: {known})"
            ) from None
