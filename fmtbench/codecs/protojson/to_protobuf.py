"""Protobuf bytes straight from ProtoJSON text: ``convert`` protojson -> protobuf without the
parsed JSON tree or the canonical record in the middle.

The usual route parses the file into a tree of dicts, walks it in Python into a canonical
record (``compile.py``'s reader), then walks the record again to build the upb message
(``protobuf/fast_write.py``): two Python walks a value around the libraries' C work, about
two thirds of the process on a 100,000-record batch message. Here, per schema, once:

- msgspec Structs, one a message type, whose fields are the JSON (lowerCamelCase) names, each
  UNSET when absent: msgspec parses the text straight into them and checks in C what it can
  (types, 32-bit ranges, unknown keys);
- the leaves msgspec cannot read as the usual route does are converted after, a field of all
  the messages of a type at a time with C loops: timestamps (only what ``datetime``'s own
  parser reads as ``timestamp_from_text`` does), 64-bit integers (digits only), float32 and
  bytes (the usual route's own leaf readers), floats spelled as integers (its check);
- ``msgspec.to_builtins`` gives the keyword tree, and a class set whose field names are the
  JSON names (same numbers and types, so the same bytes: ``camel_classes``) builds the
  message: enum names are labels upb knows, checked by upb.

It only ever accepts: whatever it does not like (any exception, a key given twice, a
backslash anywhere, a ``null``, an integer spelled as a number where the usual route would
need its text) makes it decline, and the usual route reads the same bytes, which gives the
same message or raises today's error. Schemas it would not read alike are left to that route
entirely (``compile_typed`` returns None): oneofs (msgspec keeps two members), maps,
durations, decimals, wrappers, editions (explicit presence: the zero of an absent field is
written), recursive types (their depth checks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import chain, compress, islice, repeat
from operator import attrgetter, eq, is_not
from typing import Annotated, Any

import msgspec
from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    message_factory,
    timestamp_pb2,
    wrappers_pb2,
)
from google.protobuf.message import Message as ProtoMessage

from fmtbench import halves
from fmtbench.codecs.protobuf.shadow import stamp_bytes, stamps_as_bytes
from fmtbench.codecs.protojson.compile import _read_names, wire_name
from fmtbench.codecs.protojson.leaves import LEAVES
from fmtbench.codecs.structs.read import has_cycle
from fmtbench.codecs.values.count import zero_values
from fmtbench.codecs.values.leaves import all_shaped
from fmtbench.halves import Cut, Pieces, cut_list, in_two, list_span, worth_it
from fmtbench.schema.model import (
    INT_RANGES,
    EnumRef,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
    reachable_messages,
)
from fmtbench.schema.names import json_name
from fmtbench.schema.proto import file_descriptor, uses_editions

Fix = Callable[[list[Any]], list[Any]]

_UNSET = msgspec.UNSET
_SET = partial(is_not, _UNSET)
_to_builtins = msgspec.to_builtins
_KEPT = (bytes,)  # upb takes bytes; to_builtins would write them as base64 text
_FLOATS = frozenset({float})
_STRS = frozenset({str})

# Timestamps ``datetime.fromisoformat`` reads exactly as ``timestamp_from_text`` does: UTC
# ('Z'), ASCII digits, no fraction or 3 or 6 digits (Go's protojson writes 0, 3, 6 or 9).
_TIMESTAMP_SHAPES = frozenset(
    "0000-00-00T00:00:00" + fraction + "Z" for fraction in ("", ".000", ".000000")
)


class _Decline(Exception):
    """Raised where the usual route must read the input."""


# -- leaves ---------------------------------------------------------------------------------
def _timestamps(values: list[Any]) -> list[Any]:
    if not all_shaped(values, _TIMESTAMP_SHAPES):  # each text's shape, digits as 0
        raise _Decline
    # A bad date (February 30) raises ValueError: declined.
    return stamp_bytes(list(map(datetime.fromisoformat, values)))


def _integers(kind: str) -> Fix:
    lo, hi = INT_RANGES[kind]

    def fix(values: list[Any]) -> list[Any]:
        # ASCII digits and '-' only (no '+', space or '_', which int() would take): then
        # int() reads a value as ``int_reader`` does, or raises ValueError ("1-2"): declined.
        text = "".join(values)
        if not (text.isascii() and text.replace("-", "").isdigit()):
            raise _Decline
        numbers = list(map(int, values))
        if not (lo <= min(numbers) and max(numbers) <= hi):
            raise _Decline
        return numbers

    return fix


def _read_each(read: Callable[[Any], Any]) -> Fix:
    """Every value through the usual route's own leaf reader (raising declines)."""
    return lambda values: list(map(read, values))


def _float64(values: list[Any]) -> list[Any]:
    if _FLOATS.issuperset(map(type, values)):
        return values
    # An integer, as float64_check reads it: the double it equals exactly, or declined
    # (float() of one past the doubles raises OverflowError).
    floats = list(map(float, values))
    if not all(map(eq, floats, values)):
        raise _Decline
    return floats


_INT32 = INT_RANGES["int32"]
# Per scalar kind: the msgspec type its ProtoJSON value is read as, and the fix that makes
# the values of a field what upb takes (None: msgspec's value is already).
_RULES: dict[str, tuple[Any, Fix | None]] = {
    "bool": (bool, None),
    "int32": (Annotated[int, msgspec.Meta(ge=_INT32[0], le=_INT32[1])], None),
    "uint32": (Annotated[int, msgspec.Meta(ge=0, le=INT_RANGES["uint32"][1])], None),
    "int64": (str, _integers("int64")),
    "uint64": (str, _integers("uint64")),
    # An integer is kept an int (msgspec would round a large one to a double silently).
    "float64": (int | float, _float64),
    "float32": (int | float, _read_each(LEAVES["float32"].read)),
    "string": (str, None),
    "bytes": (str, _read_each(LEAVES["bytes"].read)),
    "timestamp": (str, _timestamps),
}


# -- the classes upb builds ---------------------------------------------------------------
def camel_classes(schema: Schema) -> dict[str, type[ProtoMessage]] | None:
    """The schema's message classes with every field named by its JSON name: the same
    numbers and types, so the same bytes (names never reach the binary form); and every
    Timestamp field a bytes one, which takes the timestamp's bytes (protobuf/shadow.py: the
    same on the wire, built at a fraction of the cost). None where the renamed file is
    refused (two fields of one message with one JSON name)."""
    fdp = file_descriptor(schema)

    def rename(message: descriptor_pb2.DescriptorProto) -> None:
        for f in message.field:
            f.name = json_name(f.name)
            f.ClearField("json_name")
        stamps_as_bytes(message, lists=True)
        for nested in message.nested_type:
            rename(nested)

    for message in fdp.message_type:
        rename(message)
    pool = descriptor_pool.DescriptorPool()
    for pb2 in (timestamp_pb2, wrappers_pb2, duration_pb2):
        pool.Add(descriptor_pb2.FileDescriptorProto.FromString(pb2.DESCRIPTOR.serialized_pb))
    try:
        pool.Add(fdp)
        pkg = schema.proto_package
        return {
            name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{pkg}.{name}"))
            for name in schema.messages
        }
    except (TypeError, ValueError, KeyError):
        return None


# -- the route ----------------------------------------------------------------------------
class Typed:
    """One schema's route: ``encode(data)`` -> the root message's bytes, or None."""

    def __init__(
        self,
        schema: Schema,
        root: str,
        classes: dict[str, type[ProtoMessage]],
    ) -> None:
        self.schema, self.root = schema, root
        self.cls = classes[root]
        names = _parents_first(schema, root)
        self.structs: dict[str, Any] = {}
        for name in names:
            declared = [(f"f{i}", Any, _UNSET) for i in range(len(schema.messages[name].fields))]
            rename = {f"f{i}": wire_name(f) for i, f in enumerate(schema.messages[name].fields)}
            self.structs[name] = msgspec.defstruct(
                f"{name}_protojson",
                declared,
                rename=rename,
                forbid_unknown_fields=True,
                kw_only=True,
                gc=False,  # only nested: no cycle to collect
            )
        # Per message type (parents before children): the most values a message of it
        # holds besides its lists' items (values/count.py counts each field once, a
        # zero-filled message as its zero's values), its fields' fixes, its fields of
        # messages, its lists of scalars.
        zero = zero_values(schema)
        self.plan: list[_Plan] = []
        for name in names:
            fields = schema.messages[name].fields
            plan = _Plan(name, len(fields), [], [], [])
            annotations: dict[str, Any] = {}
            for i, f in enumerate(fields):
                attr = f"f{i}"
                mtype, fix, many = self._type(f.type)
                annotations[attr] = mtype | msgspec.UnsetType
                inner = f.type.item if isinstance(f.type, ListOf) else f.type
                if isinstance(inner, MessageRef):
                    plan.children.append((attr, many, inner.name))
                    if not many:
                        plan.most += zero[inner.name]
                    if not many and not f.optional:
                        # A message field is always written: absent, the usual route
                        # writes its zero message, which UNSET would leave out.
                        plan.fixes.append((attr, False, True, _same))
                    continue
                if many:
                    plan.lists.append(attr)
                if fix is not None:
                    # A timestamp is a message too: absent, written as the zero time.
                    must = not f.optional and not many and inner == Scalar("timestamp")
                    plan.fixes.append((attr, many, must, fix))
            self.structs[name].__annotations__ = annotations
            self.plan.append(plan)
        self.decode = msgspec.json.Decoder(self.structs[root]).decode
        self.quotes = msgspec.json.Encoder().encode
        self.halves = _Halves.of(schema, root, self.structs)

    def _type(self, t: FieldType) -> tuple[Any, Fix | None, bool]:
        if isinstance(t, ListOf):
            mtype, fix, _ = self._type(t.item)
            return list[mtype], fix, True  # type: ignore[valid-type]
        if isinstance(t, Scalar):
            mtype, fix = _RULES[t.kind]
            return mtype, fix, False
        if isinstance(t, EnumRef):
            return str, None, False  # a label: upb knows the names (checked in compile_typed)
        if isinstance(t, MessageRef):
            return self.structs[t.name], None, False
        raise AssertionError(t)

    def encode(self, data: bytes, limit: int | None) -> Pieces | None:
        """The root message's bytes from the ProtoJSON text ``data`` (in pieces, see
        ``halves.Pieces``), or None: declined, also where the record may hold more than
        ``limit`` values (None: it cannot)."""
        if b"\\" in data:  # every quote then delimits a string: the count below holds
            return None
        if self.halves is not None and worth_it(len(data) // halves.BYTES_AN_ITEM):
            split = self.halves.split(data)
            if split is not None:
                return self._in_halves(*split, limit)
        try:
            root = self.decode(data)
        except (msgspec.DecodeError, RecursionError):
            return None
        # msgspec keeps the last of two equal keys: the Structs re-written have as many
        # quotes as the text only if no key (nor its value) was dropped (json/keys.py).
        if self.quotes(root).count(b'"') != data.count(b'"'):
            return None
        try:
            most = self._fix(root)
            if limit is not None and most > limit:
                return None  # the usual route counts them
            message = self.cls(**_to_builtins(root, builtin_types=_KEPT))
            # Deterministic as the codec's (map entries ordered; no map is taken here yet).
            return [message.SerializeToString(deterministic=True)]
        except Exception:  # any reason at all: the usual route decides
            return None

    def _in_halves(self, attr: str, cut: Cut, limit: int | None) -> Pieces | None:
        """The root message holding the list ``attr`` whose items are the two halves of text,
        each parsed and serialized in its own process (halves.py): the two serialized roots
        of one repeated field each, one after the other, are the bytes of the whole."""
        try:
            (most, mine), data = in_two(
                lambda: self._half(attr, cut.first()),
                lambda: b"".join(_framed(*self._half(attr, cut.second()))),
            )
            theirs, more = _unframed(data)
        except Exception:  # a half declined, or failed: the usual route decides
            return None
        if limit is not None and most + more > limit:
            return None
        return [mine, theirs]

    def _half(self, attr: str, text: bytes) -> tuple[int, bytes]:
        """A root holding only the items of ``text`` (a JSON array), as ``encode`` makes one:
        the most values it holds and its bytes; raises where it declines."""
        items = self.halves.items[attr](text)  # type: ignore[union-attr]
        if self.quotes(items).count(b'"') != text.count(b'"'):
            raise _Decline  # a key given twice in an item
        root = self.structs[self.root](**{attr: items})
        most = self._fix(root)
        message = self.cls(**_to_builtins(root, builtin_types=_KEPT))
        return most, message.SerializeToString(deterministic=True)

    def _fix(self, root: Any) -> int:
        """Make the Structs under ``root`` what upb takes, a field of every message of a
        type at a time (raising where the usual route must read them); return the most
        values the record can hold."""
        instances: dict[str, list[Any]] = {self.root: [root]}
        most = 0
        for plan in self.plan:
            objs = instances.get(plan.name)
            if not objs:
                continue
            most += len(objs) * plan.most
            for attr, many, nested in plan.children:
                values = list(map(attrgetter(attr), objs))
                if many:
                    found: Iterable[Any] = chain.from_iterable(filter(_SET, values))
                else:
                    found = filter(_SET, values)
                held = instances.setdefault(nested, [])
                before = len(held)
                held.extend(found)
                if many:
                    most += len(held) - before  # each item is a value of the list
            for attr in plan.lists:
                most += sum(map(len, filter(_SET, map(attrgetter(attr), objs))))
            for attr, many, must, fix in plan.fixes:
                values = list(map(attrgetter(attr), objs))
                held = objs
                if _UNSET in values:
                    if must:
                        raise _Decline  # a message field absent: its zero is written
                    held = list(compress(objs, map(_SET, values)))
                    values = list(filter(_SET, values))
                if fix is _same or not values:
                    continue
                if many:
                    items = list(chain.from_iterable(values))
                    if not items:
                        continue
                    lengths = list(map(len, values))
                    flat = iter(fix(items))
                    values = [list(islice(flat, n)) for n in lengths]
                else:
                    values = fix(values)
                list(map(setattr, held, repeat(attr), values))
        return most


# -- a big message in two processes ---------------------------------------------------------
@dataclass
class _Halves:
    """Cutting the text of a root message that holds nothing but one list of messages (a
    batch) into the texts of two lists, each half of its items."""

    lazy: Callable[[bytes], Any]  # the root, with each list of messages left as its raw text
    lists: list[str]  # the attributes of those lists
    items: dict[str, Callable[[bytes], list[Any]]]  # a list's text -> its items' Structs

    @classmethod
    def of(cls, schema: Schema, root: str, structs: dict[str, Any]) -> _Halves | None:
        fields = schema.messages[root].fields
        kinds = {
            f"f{i}": f.type.item.name
            for i, f in enumerate(fields)
            if isinstance(f.type, ListOf) and isinstance(f.type.item, MessageRef)
        }
        if not kinds:
            return None
        declared = structs[root].__annotations__
        lazy = msgspec.defstruct(
            f"{root}_lazy",
            [
                (attr, (msgspec.Raw if attr in kinds else kind) | msgspec.UnsetType, _UNSET)
                for attr, kind in declared.items()
            ],
            rename={f"f{i}": wire_name(f) for i, f in enumerate(fields)},
            forbid_unknown_fields=True,
            kw_only=True,
        )
        items: dict[str, Callable[[bytes], list[Any]]] = {
            attr: msgspec.json.Decoder(list[structs[name]]).decode  # type: ignore[valid-type]
            for attr, name in kinds.items()
        }
        return cls(msgspec.json.Decoder(lazy).decode, list(kinds), items)

    def split(self, data: bytes) -> tuple[str, Cut] | None:
        """The list's attribute and where its text is cut in two, or None where ``data`` is
        not a batch this can cut (the whole is then read in one piece, as usual)."""
        try:
            root = self.lazy(data)
        except (msgspec.DecodeError, RecursionError):
            return None
        present = [attr for attr in root.__struct_fields__ if getattr(root, attr) is not _UNSET]
        if len(present) != 1 or present[0] not in self.lists:
            return None
        span = list_span(data, len(getattr(root, present[0])))
        if span is None:
            return None
        cut = cut_list(data, *span)
        return None if cut is None else (present[0], cut)


def _framed(most: int, data: bytes) -> tuple[bytes, bytes]:
    return most.to_bytes(8, "little"), data


def _unframed(data: bytes) -> tuple[memoryview, int]:
    return memoryview(data)[8:], int.from_bytes(data[:8], "little")


@dataclass
class _Plan:
    """What ``_fix`` does to the messages of one type."""

    name: str
    most: int  # values a message holds besides its lists' items
    fixes: list[tuple[str, bool, bool, Fix]]  # (attribute, a list, must be set, fix)
    children: list[tuple[str, bool, str]]  # (attribute, a list, message type)
    lists: list[str]  # attributes of lists of scalars


def _parents_first(schema: Schema, root: str) -> list[str]:
    """The message types under ``root`` (acyclic), each after every type that holds it: so
    ``_fix`` has gathered all messages of a type before it reaches the type."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        seen.add(name)
        for f in schema.messages[name].fields:
            inner = f.type.item if isinstance(f.type, ListOf) else f.type
            if isinstance(inner, MessageRef) and inner.name not in seen:
                visit(inner.name)
        done.append(name)  # after every type it holds

    visit(root)
    return done[::-1]


def _same(values: list[Any]) -> list[Any]:
    return values


def _covered(schema: Schema, root: str) -> bool:
    if has_cycle(schema, root) or uses_editions(schema):
        return False
    for msg in reachable_messages(schema, root):
        if msg.oneofs:
            return False
        for f in msg.fields:
            t = f.type
            inner = t.item if isinstance(t, ListOf) else t
            if f.wrapper or isinstance(t, MapOf) or isinstance(inner, ListOf):
                return False
            if isinstance(inner, Scalar) and inner.kind not in _RULES:
                return False  # durations, decimals
    return True


def compile_typed(schema: Schema, root: str) -> Typed | None:
    """The route for ``root`` messages of ``schema``, or None for a schema left to the
    usual route."""
    if not _covered(schema, root):
        return None
    classes = camel_classes(schema)
    if classes is None:
        return None
    # ProtoJSON reads an enum by every name protobuf gives its numbers (aliases too): upb's
    # labels must be exactly those.
    if not _labels_match(schema, classes):
        return None
    return Typed(schema, root, classes)


def _labels_match(schema: Schema, classes: dict[str, type[ProtoMessage]]) -> bool:
    """Every enum field's labels in upb are the names ProtoJSON reads for it."""
    for msg in schema.messages.values():
        desc = classes[msg.name].DESCRIPTOR
        for f in msg.fields:
            t = f.type.item if isinstance(f.type, ListOf) else f.type
            if not isinstance(t, EnumRef):
                continue
            enum = desc.fields_by_name[wire_name(f)].enum_type
            if enum is None or set(enum.values_by_name) != set(_read_names(schema, t.name)):
                return False
    return True
