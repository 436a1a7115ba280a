"""The XML encoder: canonical records to XML text, compiled once per schema.

Strings are built directly rather than through lxml (SubElement + tostring is several times
slower), so this module owns escaping: the writer escapes exactly what a parser would
otherwise normalise (``\\r`` in text; tab, newline and ``\\r`` in attributes) and refuses
characters XML 1.0 cannot carry at all. Canonical values are checked on the way; a bad one
raises ``ValueMismatch`` whose path each enclosing message, list or map extends.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from fmtbench.codecs.values import oneof
from fmtbench.codecs.values.decimals import decimal_to_text
from fmtbench.codecs.values.leaves import (
    Conv,
    b64_encode,
    describe,
    duration_check,
    duration_to_xml,
    float32_round,
    float64_check,
    int_check,
    mismatch,
    sorted_items,
    timestamp_check,
    timestamp_to_text,
)
from fmtbench.errors import ValueMismatch, key_segment
from fmtbench.schema.model import (
    Enum,
    EnumRef,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
)

#: Writes one field's elements: the value, then the list the text goes to.
Emit = Callable[[Any, list[str]], None]
#: Writes one message element: value, out, the start tag without its ``>``, the end tag.
MessageEmit = Callable[[Any, list[str], str, str], None]

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

_MISSING = object()

# Code points XML 1.0 cannot carry even as character references.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _check_chars(v: Any) -> str:
    if type(v) is not str:
        raise mismatch("string", v)
    # isprintable() is twice as fast as the regex and true for almost every real string;
    # only strings it rejects (tabs, newlines, NBSP...) need the precise check.
    if not v.isprintable():
        m = _FORBIDDEN.search(v)
        if m:
            raise ValueMismatch(
                f"U+{ord(m.group()):04X} at index {m.start()} cannot be written in XML 1.0"
            )
    return v


def text_string(v: Any) -> str:
    """Element content. ``\\r`` becomes a reference, or the parser would turn it into ``\\n``;
    ``>`` is escaped so that ``]]>`` cannot appear."""
    return (
        _check_chars(v)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", "&#13;")
    )


def attr_string(v: Any) -> str:
    """A double-quoted attribute value: parsers turn literal tab, newline and CR into spaces."""
    return text_string(v).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


def float_text(f: float) -> str:
    """xs:double spelling of a float: Python's shortest repr, with XSD's words for specials."""
    if f != f:
        return "NaN"
    if f == math.inf:
        return "INF"
    if f == -math.inf:
        return "-INF"
    return repr(f)


def _bool_text(v: Any) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    raise mismatch("bool", v)


def _int_text(kind: str) -> Conv:
    check = int_check(kind)
    return lambda v: str(check(v))


def _timestamp_text(v: Any) -> str:
    return timestamp_to_text(timestamp_check(v))


def _duration_text(v: Any) -> str:
    return duration_to_xml(duration_check(v))


#: Lexical form of each scalar kind in element content (no escaping needed but for strings).
TEXT_LEX: dict[str, Conv] = {
    "bool": _bool_text,
    "int32": _int_text("int32"),
    "int64": _int_text("int64"),
    "uint32": _int_text("uint32"),
    "uint64": _int_text("uint64"),
    "float32": lambda v: float_text(float32_round(v)),
    "float64": lambda v: float_text(float64_check(v)),
    "string": text_string,
    "bytes": b64_encode,
    "timestamp": _timestamp_text,
    "duration": _duration_text,
}
#: The same in an attribute value: only strings are spelled differently.
ATTR_LEX: dict[str, Conv] = {**TEXT_LEX, "string": attr_string}


def lex_of(t: Scalar, attr: bool) -> Conv:
    """The lexical form of a scalar type: by kind, a decimal by precision and scale (its
    xs:decimal text, digits and a point only: nothing to escape, alike in attributes)."""
    if t.kind == "decimal":
        return decimal_to_text(t.precision, t.scale)
    return (ATTR_LEX if attr else TEXT_LEX)[t.kind]


def enum_text(enum: Enum) -> Conv:
    names = enum.canonical()  # any name -> the first of its number (allow_alias)

    def lex(v: Any) -> str:
        if type(v) is not str or v not in names:
            allowed = ", ".join(enum.names)
            raise ValueMismatch(f"expected one of {enum.name} ({allowed}), got {v!r}")
        return names[v]

    return lex


class XmlEncoder:
    """Per-message writers for one schema, built up front."""

    def __init__(self, schema: Schema, *, drop_unknown: bool = False) -> None:
        self.schema = schema
        self.drop_unknown = drop_unknown
        self._enums = {name: enum_text(e) for name, e in schema.enums.items()}
        self._messages: dict[str, MessageEmit] = {}
        for name in schema.messages:
            self._messages[name] = self._compile_message(name)

    def element(self, type_name: str, record: Any, start: str) -> str:
        """One record element; ``start`` is its start tag up to (not including) ``>``."""
        out: list[str] = []
        self._messages[type_name](record, out, start, f"</{type_name}>")
        return "".join(out)

    # -- compilation ---------------------------------------------------------------------
    def _lex(self, t: FieldType, attr: bool) -> Conv:
        if isinstance(t, Scalar):
            return lex_of(t, attr)
        if isinstance(t, EnumRef):
            return self._enums[t.name]
        raise AssertionError(t)

    def _message_ref(self, name: str) -> MessageEmit:
        table = self._messages
        # Looked up at call time: message types may refer to each other (recursion).
        return lambda v, out, start, end: table[name](v, out, start, end)

    def _compile_message(self, name: str) -> MessageEmit:
        msg = self.schema.messages[name]
        attrs = tuple(
            (f.name, self._lex(f.type, attr=True), f.optional, f' {f.name}="')
            for f in msg.fields
            if f.xml_attribute
        )
        elems = tuple(
            (f.name, self._field_emit(f.name, f.type), f.optional)
            for f in msg.fields
            if not f.xml_attribute
        )
        known = frozenset(f.name for f in msg.fields)
        check_unknown = not self.drop_unknown
        expected = f"{name} (an object)"
        check_oneofs = oneof.checker(msg)

        def emit(value: Any, out: list[str], start: str, end: str) -> None:
            if type(value) is not dict:
                raise ValueMismatch(f"expected {expected}, got {describe(value)}")
            if check_unknown and not value.keys() <= known:
                extra = next(k for k in value if k not in known)
                raise ValueMismatch(
                    f"unknown field {extra!r} in {name} (use --drop-unknown to discard it)"
                )
            if check_oneofs is not None:
                check_oneofs(value)
            out.append(start)
            for fname, lex, optional, prefix in attrs:
                v = value.get(fname, _MISSING)
                if v is _MISSING:
                    if optional:
                        continue
                    raise ValueMismatch("required field is missing").at(fname)
                try:
                    out += (prefix, lex(v), '"')
                except ValueMismatch as exc:
                    raise exc.at(fname) from None
            out.append(">")
            for fname, field_emit, optional in elems:
                v = value.get(fname, _MISSING)
                if v is _MISSING:
                    if optional:
                        continue
                    raise ValueMismatch("required field is missing").at(fname)
                try:
                    field_emit(v, out)
                except ValueMismatch as exc:
                    raise exc.at(fname) from None
            out.append(end)

        return emit

    def _field_emit(self, fname: str, t: FieldType) -> Emit:
        if isinstance(t, ListOf):
            return _list_emit(self._field_emit(fname, t.item))
        if isinstance(t, MapOf):
            return self._map_emit(fname, t)
        start, end = f"<{fname}", f"</{fname}>"
        if isinstance(t, MessageRef):
            message = self._message_ref(t.name)
            return lambda v, out: message(v, out, start, end)
        lex = self._lex(t, attr=False)
        open_tag = start + ">"

        def scalar(v: Any, out: list[str]) -> None:
            out += (open_tag, lex(v), end)

        return scalar

    def _map_emit(self, fname: str, t: MapOf) -> Emit:
        key_lex = ATTR_LEX[t.key.kind]
        start, end = f'<{fname} key="', f"</{fname}>"
        entry: Callable[[str, Any, list[str]], None]
        if isinstance(t.value, MessageRef):
            message = self._message_ref(t.value.name)

            def entry(key_text: str, v: Any, out: list[str]) -> None:
                message(v, out, start + key_text + '"', end)

        else:
            lex = self._lex(t.value, attr=False)

            def entry(key_text: str, v: Any, out: list[str]) -> None:
                out += (start, key_text, '">', lex(v), end)

        def emit(value: Any, out: list[str]) -> None:
            if type(value) is not dict:
                raise ValueMismatch(f"expected a map, got {describe(value)}")
            for k, v in sorted_items(value):
                try:
                    key_text = key_lex(k)
                except ValueMismatch as exc:
                    raise ValueMismatch(f"map key: {exc.problem}").at(key_segment(k)) from None
                try:
                    entry(key_text, v, out)
                except ValueMismatch as exc:
                    raise exc.at(key_segment(k)) from None

        return emit


def _list_emit(item: Emit) -> Emit:
    def emit(value: Any, out: list[str]) -> None:
        if type(value) is not list and type(value) is not tuple:
            raise ValueMismatch(f"expected a list, got {describe(value)}")
        for i, v in enumerate(value):
            try:
                item(v, out)
            except ValueMismatch as exc:
                raise exc.at(i) from None

    return emit


# -- what libxml2 reads ---------------------------------------------------------------------
#: Without XML_PARSE_HUGE, libxml2 reads a text node of at most 10,000,000 bytes: UTF-8,
#: references resolved (measured with libxml2 2.14: 10,000,000 read, 10,000,001 refused).
MAX_TEXT_BYTES = 10_000_000
#: It also refuses a start tag (name and attributes, as written) that does not fit its
#: input buffer of 10,000,000 bytes together with up to about 4 KB read before it: where
#: the tag falls in lxml's reads decides (measured: tags of 9,995,906 bytes read anywhere,
#: 9,999,922 at best). Writers keep 10 KB of room, so what they write is always read.
MAX_TAG_BYTES = 9_990_000
#: A record written in fewer characters holds neither (a character is at most 4 bytes).
UNCHECKED_CHARS = MAX_TAG_BYTES // 4

Path = tuple[str | int, ...]
#: Where a record holds too much for one node: the problem and the path.
TooLong = tuple[str, Path]
#: A message element to look at: the message, its type, its path, the bytes of its start
#: tag but for its attribute fields, and its map key's kind and key (a map entry's).
_Element = tuple[Any, str, Path, int, str | None, Any]


def _kind(t: FieldType) -> str:
    """A leaf's scalar kind, or "" (an enum: its name, as short as the schema's)."""
    return t.kind if isinstance(t, Scalar) else ""


def _text_bytes(kind: str, v: Any) -> int:
    """The bytes a leaf's text takes once read, for the kinds whose text can be long."""
    if kind == "string":
        return len(v) if v.isascii() else len(v.encode("utf-8", "surrogatepass"))
    if kind == "bytes":
        return 4 * ((len(v) + 2) // 3)  # base64
    return 0


def _attr_bytes(kind: str, v: Any) -> int:
    """The bytes of an attribute's value as written, references and all."""
    if kind == "string":
        return len(attr_string(v).encode("utf-8", "surrogatepass"))
    if kind in ("bytes", ""):
        return _text_bytes(kind, v) or len(v)
    return len(ATTR_LEX[kind](v))


def _most_attr_bytes(kind: str, v: Any) -> int:
    """A cheap bound of ``_attr_bytes``: a character takes at most 6 bytes (``&quot;``)."""
    return 6 * len(v) if kind == "string" else _attr_bytes(kind, v)


def _longest(kind: str, values: Any) -> int:
    """The most characters (or bytes) one of ``values`` holds, for kinds that can be long."""
    return max(map(len, values), default=0) if kind in ("string", "bytes") else 0


class NodeSizes:
    """Finds a text node or start tag of a record longer than libxml2 reads. Run only on
    records written in more than ``UNCHECKED_CHARS`` characters, after they were written
    (so their values are valid)."""

    def __init__(self, schema: Schema) -> None:
        self._plans = {
            name: (
                [(f.name, _kind(f.type)) for f in msg.fields if f.xml_attribute],
                [(f.name, f.type) for f in msg.fields if not f.xml_attribute],
            )
            for name, msg in schema.messages.items()
        }

    def find(self, record: Any, root: str, start: str) -> TooLong | None:
        """The first node too long, or None. ``start``: the record's start tag up to its
        attribute fields (``<Order xmlns="..."`` where it stands alone)."""
        todo: list[_Element] = [(record, root, (), len(start.encode()) + 1, None, None)]
        while todo:
            value, name, path, tag, key_kind, key = todo.pop()
            attrs, elems = self._plans[name]
            found = self._tag(value, attrs, path, tag, key_kind, key)
            if found is None:
                found = self._fields(value, elems, path, todo)
            if found is not None:
                return found
        return None

    def _fields(
        self,
        value: dict[str, Any],
        elems: list[tuple[str, FieldType]],
        path: Path,
        todo: list[_Element],
    ) -> TooLong | None:
        """The message's element fields: leaves checked here, messages left to ``todo``."""
        for fname, t in elems:
            x = value.get(fname)
            if x is None:
                continue
            here, base = (*path, fname), len(fname) + 2  # <fname>
            found = None
            if isinstance(t, MessageRef):
                todo.append((x, t.name, here, base, None, None))
            elif isinstance(t, ListOf) and isinstance(t.item, MessageRef):
                todo += [(v, t.item.name, (*here, i), base, None, None) for i, v in enumerate(x)]
            elif isinstance(t, ListOf):
                if _longest(_kind(t.item), x) * 4 > MAX_TEXT_BYTES:
                    found = _first([_text(_kind(t.item), v, (*here, i)) for i, v in enumerate(x)])
            elif isinstance(t, MapOf) and isinstance(t.value, MessageRef):
                kk = t.key.kind
                todo += [
                    (v, t.value.name, (*here, key_segment(k)), base, kk, k) for k, v in x.items()
                ]
            elif isinstance(t, MapOf):
                found = self._entries(t, x, here, base)
            else:
                found = _text(_kind(t), x, here)
            if found is not None:
                return found
        return None

    def _entries(self, t: MapOf, x: dict[Any, Any], here: Path, base: int) -> TooLong | None:
        """Entries of a map of leaves: ``<fname key="k">text</fname>``."""
        kk, kind = t.key.kind, _kind(t.value)
        keys = base + 7 + 6 * _longest(kk, x) > MAX_TAG_BYTES  # ' key=""'
        texts = _longest(kind, x.values()) * 4 > MAX_TEXT_BYTES
        if keys or texts:
            for k, v in x.items():
                entry = (*here, key_segment(k))
                if keys and (size := base + 7 + _attr_bytes(kk, k)) > MAX_TAG_BYTES:
                    return _tag_problem(size), entry
                if texts and (found := _text(kind, v, entry)) is not None:
                    return found
        return None

    @staticmethod
    def _tag(
        value: dict[str, Any],
        attrs: list[tuple[str, str]],
        path: Path,
        tag: int,
        key_kind: str | None,
        key: Any,
    ) -> TooLong | None:
        """The message's start tag, if too long: named by its longest attribute, or by the
        element itself (its map key) when that is longer."""
        if not attrs and key_kind is None:
            return None
        present = [(f, k, value[f]) for f, k in attrs if f in value]
        most = tag + sum(len(f) + 4 + _most_attr_bytes(k, v) for f, k, v in present)
        if key_kind is not None:
            most += 7 + _most_attr_bytes(key_kind, key)  # ' key=""'
        if most <= MAX_TAG_BYTES:
            return None
        if key_kind is not None:
            tag += 7 + _attr_bytes(key_kind, key)
        sizes = [(len(f) + 4 + _attr_bytes(k, v), f) for f, k, v in present]
        total = tag + sum(size for size, _ in sizes)
        if total <= MAX_TAG_BYTES:
            return None
        longest, field = max(sizes, default=(0, ""))
        return _tag_problem(total), (*path, field) if longest >= tag else path


def _first(found: list[TooLong | None]) -> TooLong | None:
    return next((f for f in found if f is not None), None)


def _text(kind: str, v: Any, path: Path) -> TooLong | None:
    size = _text_bytes(kind, v)
    if size <= MAX_TEXT_BYTES:
        return None
    return (
        f"the text is {size:,} bytes, over the {MAX_TEXT_BYTES:,} that XML readers (libxml2)"
        " read in one text node",
        path,
    )


def _tag_problem(size: int) -> str:
    return (
        f"the element's start tag (its attributes) is {size:,} bytes, over the"
        f" {MAX_TAG_BYTES:,} that XML readers (libxml2) are sure to read in one tag"
    )
