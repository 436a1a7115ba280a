"""The XML encoder: canonical records to XML text, compiled once per schema.

Strings are built directly rather than through lxml (SubElement + tostring is several times
slower), so this module owns escaping: the writer escapes exactly what a parser would
otherwise normalise (``\\r`` in text; tab, newline and ``\\r`` in attributes) and refuses
characters XML 1.0 cannot carry at all. Canonical values are checked on the way; a bad one
raises ``ValueMismatch`` whose path each enclosing message, list or map extends.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from typing import Any

from fmtbench.codecs.values.leaves import (
    Conv,
    bytes_check,
    describe,
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


def _bytes_text(v: Any) -> str:
    return base64.b64encode(bytes_check(v)).decode("ascii")


def _timestamp_text(v: Any) -> str:
    return timestamp_to_text(timestamp_check(v))


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
    "bytes": _bytes_text,
    "timestamp": _timestamp_text,
}
#: The same in an attribute value: only strings are spelled differently.
ATTR_LEX: dict[str, Conv] = {**TEXT_LEX, "string": attr_string}


def enum_text(enum: Enum) -> Conv:
    names = frozenset(enum.names)

    def lex(v: Any) -> str:
        if type(v) is not str or v not in names:
            allowed = ", ".join(enum.names)
            raise ValueMismatch(f"expected one of {enum.name} ({allowed}), got {v!r}")
        return v

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
            return (ATTR_LEX if attr else TEXT_LEX)[t.kind]
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

        def emit(value: Any, out: list[str], start: str, end: str) -> None:
            if type(value) is not dict:
                raise ValueMismatch(f"expected {expected}, got {describe(value)}")
            if check_unknown and not value.keys() <= known:
                extra = next(k for k in value if k not in known)
                raise ValueMismatch(
                    f"unknown field {extra!r} in {name} (use --drop-unknown to discard it)"
                )
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
