"""The XML decoder: a hardened lxml parse, then per-message closures compiled once per schema.

Hostile input is the norm for a converter's input, so parsing is locked down explicitly (no
DTD loading, no entity substitution, no network, libxml2's size and depth limits kept) and
any document carrying a DOCTYPE is refused outright. The walk checks names, namespace,
cardinality and stray text, fills absent non-optional fields with zero values (proto3
semantics) and reports problems as ``XmlMismatch``: a ``ValueMismatch`` that also remembers
the source line of the innermost element at fault.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, BinaryIO, NoReturn, cast

from lxml import etree

from fmtbench.codecs.base import Record
from fmtbench.codecs.values import oneof
from fmtbench.codecs.values.decimals import decimal_from_text
from fmtbench.codecs.values.leaves import (
    b64_decode,
    duration_from_xml,
    float32_round,
    int_check,
    timestamp_from_text,
)
from fmtbench.errors import DecodeError, LimitError, ValueMismatch, key_segment
from fmtbench.schema.model import (
    Enum,
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    MessageRef,
    Scalar,
    Schema,
)
from fmtbench.schema.values import zero_factory
from fmtbench.schema.xsd import MAP_KEY_ATTRIBUTE

Element = etree._Element
Parse = Callable[[str], Any]
#: Decodes one message element; the flag says its ``key`` attribute belongs to a map entry.
MessageDecode = Callable[[Element, bool], Record]
#: Adds one child element's value to the message being built.
Handler = Callable[[Element, Record], None]

#: Parser options shared by whole-document parsing and ``iterparse``.
HARDENING: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "recover": False,
    "remove_comments": True,
    "remove_pis": True,
}
# lxml's default since 6.0, spelled out so that a change of default cannot inflate gzip
# input behind our back (the option is missing from lxml-stubs and from iterparse, and only
# takes effect with libxml2 2.15+; the tests pin that gzip bytes are refused either way).
_PARSER_ONLY: dict[str, Any] = {"decompress": False}

# lxml-stubs say attribute names and values may be bytes; lxml always returns str. Typed
# once here rather than cast on every element of the hot path.
_attr_items = cast("Callable[[Element], list[tuple[str, str]]]", Element.items)
attr_names = cast("Callable[[Element], list[str]]", Element.keys)

# lxml-stubs lack iterparse (it comes out as Any); this is the part of it we use.
_iterparse: Callable[..., Iterator[tuple[str, Element]]] = etree.iterparse

_WS = " \t\r\n"  # XML whitespace, and nothing else (str.strip() would take U+00A0 too)
_WS_RUN = re.compile("[ \t\r\n]+")
_INT = re.compile(r"[+-]?[0-9]+\Z")
_DOUBLE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
_DOUBLE_WORDS = {"INF": math.inf, "+INF": math.inf, "-INF": -math.inf, "NaN": math.nan}
_BOOLS = {"true": True, "1": True, "false": False, "0": False}
_LINE_COLUMN = re.compile(r", line \d+, column \d+\Z")


def hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(**HARDENING, **_PARSER_ONLY)


class Events:
    """iterparse's events, and how many bytes it has read (``_Replay``)."""

    def __init__(self, source: _Replay, events: Iterator[tuple[str, Element]]) -> None:
        self.source, self.events = source, events

    def __iter__(self) -> Iterator[tuple[str, Element]]:
        return self.events


def iterparse_events(src: BinaryIO) -> Events:
    if not hasattr(src, "read"):  # a str would be opened as a path (or fetched as a URL)
        raise TypeError(f"expected a binary file object, got {type(src).__name__}")
    # The DOCTYPE is refused before libxml2 parses it: iterparse would otherwise read a
    # whole small file, internal subset and entity expansions included, before the first
    # event, and lxml then prints "Exception ignored" noise when that tree is freed.
    head = src.read(_HEAD)
    if _declares_doctype(head):
        raise DecodeError(DOCTYPE_REFUSED)
    etree.clear_error_log()  # so that syntax_error() finds this parse's errors, not older ones
    source = _Replay(head, src)
    return Events(source, _iterparse(source, events=("start", "end"), **HARDENING))


_HEAD = 1 << 16
DOCTYPE_REFUSED = "a DOCTYPE is not allowed (DTDs and entity declarations are refused)"
# The prolog before a DOCTYPE: a BOM, white space, the XML declaration, PIs and comments.
_PROLOG_ITEM = re.compile(rb"\xef\xbb\xbf|[ \t\r\n]+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def _declares_doctype(head: bytes) -> bool:
    """Whether the prolog holds ``<!DOCTYPE`` (UTF-8 or ASCII-compatible input; other
    encodings are left to the check on the parsed root)."""
    pos = 0
    while m := _PROLOG_ITEM.match(head, pos):
        pos = m.end()
    return head.startswith(b"<!DOCTYPE", pos)


class _Replay:
    """The bytes already read, then the rest of the stream: what iterparse reads from."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest
        # Bytes handed to the parser so far, and the largest read: a record that ends
        # between two reads began at most one read before the previous record ended.
        self.fed = self.largest = 0

    def read(self, size: int = -1) -> bytes:
        out = self._read(size)
        self.fed += len(out)
        self.largest = max(self.largest, len(out))
        return out

    def _read(self, size: int) -> bytes:
        if self.head:
            if size < 0:
                out, self.head = self.head + self.rest.read(), b""
                return out
            out, self.head = self.head[:size], self.head[size:]
            return out
        return self.rest.read(size)


def line_of(elem: Element) -> int | None:
    # lxml-stubs type sourceline as a bare "..."; lxml gives an int, or None.
    return cast("int | None", elem.sourceline)


class XmlMismatch(ValueMismatch):
    """A value or structure problem, with the source line of the element at fault."""

    def __init__(self, problem: str, elem: Element, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(problem, path)
        self.line = line_of(elem)

    def decode_error(self) -> DecodeError:
        position = None if self.line is None else f"line {self.line}"
        return DecodeError(self.problem, path=self.where, position=position)


def located(exc: ValueMismatch, elem: Element) -> XmlMismatch:
    """The innermost element wins: an already located error keeps its line."""
    if isinstance(exc, XmlMismatch):
        return exc
    return XmlMismatch(exc.problem, elem, exc.path)


def syntax_error(exc: etree.XMLSyntaxError) -> DecodeError:
    """libxml2's complaint, its position moved to where our errors keep positions."""
    line, column = exc.position
    problem = _LINE_COLUMN.sub("", exc.msg or str(exc))
    if not line:
        # iterparse sometimes reports a bare "no element found" at 0:0 (an undefined entity,
        # say); libxml2's own message is in the error log, which iterparse_events cleared.
        last: Any = getattr(exc.error_log, "last_error", None)
        if last is not None and last.line:
            problem, line, column = last.message, last.line, last.column
    # Without XML_PARSE_HUGE libxml2 caps depth and text length; hitting a cap is a limit.
    cls = LimitError if "XML_PARSE_HUGE" in problem else DecodeError
    # One line: libxml2's log messages end in a newline and some quote the input after one.
    problem = " ".join(problem.split())
    if len(problem) > 200:
        problem = problem[:200] + "…"
    position = f"line {line}, column {column}" if line else None
    return cls(f"not well-formed XML: {problem}", position=position)


def reject_doctype(root: Element) -> None:
    """Refuse DTDs wholesale: entities are never needed by this mapping, and never expanded."""
    info = root.getroottree().docinfo
    # libxml2 records any DOCTYPE, even a bare "<!DOCTYPE a>", as an internal subset.
    if info.internalDTD is not None or info.externalDTD is not None:
        raise DecodeError(DOCTYPE_REFUSED)


# -- leaves: lexical forms to canonical values --------------------------------------------
def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _parse_bool(text: str) -> bool:
    try:
        return _BOOLS[text.strip(_WS)]
    except KeyError:
        raise ValueMismatch(f"expected bool as true, false, 1 or 0, got {_clip(text)!r}") from None


def _parse_int(kind: str) -> Parse:
    check = int_check(kind)

    def parse(text: str) -> int:
        t = text.strip(_WS)
        if _INT.match(t):
            try:
                return check(int(t))  # type: ignore[no-any-return]
            except ValueError:  # beyond Python's int-from-text digit limit
                pass
        raise ValueMismatch(f"expected {kind} as a decimal integer, got {_clip(text)!r}")

    return parse


def _parse_double(text: str) -> float:
    t = text.strip(_WS)
    word = _DOUBLE_WORDS.get(t)
    if word is not None:
        return word
    # float() alone would also take 'inf', 'nan', 'Infinity' and '1_000', which XSD does not.
    if not _DOUBLE.match(t):
        raise ValueMismatch(
            f"expected an xs:double such as 1.5, -2E10, INF or NaN, got {_clip(text)!r}"
        )
    value = float(t)
    if value - value != 0.0:  # float() rounds a finite literal past the range to infinity
        raise ValueMismatch(
            f"{_clip(t)!r} is too large for a double: only INF and -INF are infinite"
        )
    return value


def _parse_bytes(text: str) -> bytes:
    # base64Binary allows XML whitespace anywhere; anything else outside the alphabet is wrong.
    # The written form has none: four searches in C cost less than the regular expression
    # over a large value (measured 30x on blob's 50 kB payloads).
    if " " in text or "\n" in text or "\t" in text or "\r" in text:
        text = _WS_RUN.sub("", text)
    return b64_decode(text)


def _parse_timestamp(text: str) -> Any:
    t = text.strip(_WS)
    if not t.isascii():  # the shared RFC 3339 pattern's \d would take other scripts' digits
        raise ValueMismatch(f"expected an xs:dateTime in ASCII digits, got {_clip(text)!r}")
    return timestamp_from_text(t)


def _parse_duration(text: str) -> Any:
    t = text.strip(_WS)
    if not t.isascii():
        raise ValueMismatch(f"expected an xs:duration in ASCII digits, got {_clip(text)!r}")
    return duration_from_xml(t)


PARSE: dict[str, Parse] = {
    "bool": _parse_bool,
    "int32": _parse_int("int32"),
    "int64": _parse_int("int64"),
    "uint32": _parse_int("uint32"),
    "uint64": _parse_int("uint64"),
    "float32": lambda t: float32_round(_parse_double(t)),
    "float64": _parse_double,
    "string": lambda t: t,
    "bytes": _parse_bytes,
    "timestamp": _parse_timestamp,
    "duration": _parse_duration,
}


@cache
def _parse_decimal(p: int, s: int) -> Parse:
    parse = decimal_from_text(p, s)

    def decimal(text: str) -> Any:
        return parse(text.strip(_WS))  # xs:decimal collapses whitespace

    return decimal


def parse_of(t: Scalar) -> Parse:
    """The parser of a scalar type: by kind, a decimal by precision and scale."""
    if t.kind == "decimal":
        return _parse_decimal(t.precision, t.scale)
    return PARSE[t.kind]


def _parse_enum(enum: Enum) -> Parse:
    # xs:string enumerations keep whitespace, so names match exactly, as the XSD says.
    names = enum.canonical()  # any name -> the first of its number (allow_alias)

    def parse(text: str) -> str:
        if text in names:
            return names[text]
        allowed = ", ".join(enum.names)
        raise ValueMismatch(f"expected one of {enum.name} ({allowed}), got {_clip(text)!r}")

    return parse


# -- the walk -----------------------------------------------------------------------------
class XmlDecoder:
    """Per-message decoders for one schema, built up front."""

    def __init__(self, schema: Schema, *, drop_unknown: bool = False) -> None:
        self.schema = schema
        self.ns = schema.namespace
        self.drop_unknown = drop_unknown
        self._enums = {name: _parse_enum(e) for name, e in schema.enums.items()}
        self._messages: dict[str, MessageDecode] = {}
        for name in schema.messages:
            self._messages[name] = self._compile_message(name)

    def tag(self, local: str) -> str:
        """A name in the schema's namespace, in lxml's ``{namespace}local`` spelling."""
        return f"{{{self.ns}}}{local}"

    def show(self, tag: object) -> str:
        """An element name for a message: ``<name>``, plus its namespace when it is foreign."""
        if not isinstance(tag, str):  # an entity reference or other non-element node
            return "a non-element node"
        if tag.startswith("{"):
            ns, _, local = tag[1:].partition("}")
            return f"<{local}>" if ns == self.ns else f"<{local}> in namespace {ns!r}"
        return f"<{tag}> in no namespace (expected {self.ns!r})"

    def record(self, type_name: str, elem: Element) -> Record:
        """Decode one record element; raises XmlMismatch."""
        if elem.tag != self.tag(type_name):
            raise XmlMismatch(
                f"expected a <{type_name}> element in namespace {self.ns!r}, "
                f"got {self.show(elem.tag)}",
                elem,
            )
        return self._messages[type_name](elem, False)

    def check_text(self, text: str | None, elem: Element, after: Element | None) -> None:
        """Text between child elements may only be whitespace (indentation)."""
        if text is not None and text.strip(_WS):
            where = f"after {self.show(after.tag)}" if after is not None else "inside"
            raise XmlMismatch(
                f"unexpected text {_clip(text.strip(_WS))!r} {where} {self.show(elem.tag)}",
                elem if after is None else after,
            )

    def unknown_attribute(self, name: str, elem: Element) -> XmlMismatch:
        return XmlMismatch(
            f"unknown attribute {name!r} on {self.show(elem.tag)} "
            "(use --drop-unknown to discard it)",
            elem,
        )

    def bad_leaf(self, elem: Element, key_ok: bool) -> NoReturn:
        """Say what is wrong with an element that should hold only a scalar's text."""
        if len(elem):
            raise XmlMismatch(
                f"{self.show(elem.tag)} holds a value as text, not elements "
                f"(found {self.show(elem[0].tag)})",
                elem[0],
            )
        for name in attr_names(elem):
            if not (key_ok and name == MAP_KEY_ATTRIBUTE):
                raise self.unknown_attribute(name, elem)
        raise AssertionError("bad_leaf() called on a good leaf")

    # -- compilation ---------------------------------------------------------------------
    def _parse(self, t: FieldType) -> Parse:
        if isinstance(t, Scalar):
            return parse_of(t)
        if isinstance(t, EnumRef):
            return self._enums[t.name]
        raise AssertionError(t)

    def _compile_message(self, name: str) -> MessageDecode:
        msg = self.schema.messages[name]
        attrs = {f.name: self._parse(f.type) for f in msg.fields if f.xml_attribute}
        children = {
            self.tag(f.name): (f.name, self._handler(f)) for f in msg.fields if not f.xml_attribute
        }
        # A required field (proto2) has no zero to fill in: its absence is the error.
        zeros = tuple(
            (f.name, None if f.required else zero_factory(self.schema, f.type))
            for f in msg.fields
            if not f.optional
        )
        n_fields = len(msg.fields)
        drop = self.drop_unknown
        check_text = self.check_text
        check_oneofs = oneof.checker(msg)

        def decode(elem: Element, key_ok: bool) -> Record:
            out: Record = {}
            for aname, atext in _attr_items(elem):
                parse = attrs.get(aname)
                if parse is None:
                    if drop or (key_ok and aname == MAP_KEY_ATTRIBUTE):
                        continue
                    raise self.unknown_attribute(aname, elem)
                try:
                    out[aname] = parse(atext)
                except ValueMismatch as exc:
                    raise located(exc, elem).at(aname) from None
            # Inlined whitespace tests: this loop runs once per element of every record.
            text = elem.text
            if text is not None and text.strip(_WS):
                check_text(text, elem, None)
            for child in elem:
                text = child.tail
                if text is not None and text.strip(_WS):
                    check_text(text, elem, child)
                spec = children.get(child.tag)
                if spec is None:
                    if drop and isinstance(child.tag, str):
                        continue
                    raise XmlMismatch(
                        f"unknown element {self.show(child.tag)} in <{name}> "
                        "(use --drop-unknown to discard it)",
                        child,
                    )
                fname, handle = spec
                try:
                    handle(child, out)
                except ValueMismatch as exc:
                    raise located(exc, child).at(fname) from None
            if len(out) != n_fields:  # proto3: an absent non-optional field is its zero value
                for fname, zero in zeros:
                    if fname not in out:
                        if zero is None:
                            missing = ValueMismatch("required field is missing")
                            raise located(missing, elem).at(fname)
                        out[fname] = zero()
            if check_oneofs is not None:
                try:
                    check_oneofs(out)
                except ValueMismatch as exc:
                    raise located(exc, elem) from None
            return out

        return decode

    def _value(self, t: FieldType, key_ok: bool) -> Callable[[Element], Any]:
        """Decodes the content of one element holding a value of type ``t``."""
        if isinstance(t, MessageRef):
            # Looked up at call time: message types may refer to each other (recursion).
            table, name = self._messages, t.name
            return lambda elem: table[name](elem, key_ok)
        parse, bad_leaf = self._parse(t), self.bad_leaf
        strict = not self.drop_unknown
        allowed = 1 if key_ok else 0  # a map entry's one attribute is its key (checked)

        def value(elem: Element) -> Any:
            if len(elem) or (strict and len(attr_names(elem)) > allowed):
                bad_leaf(elem, key_ok)
            return parse(elem.text or "")

        return value

    def _handler(self, f: Field) -> Handler:
        fname, t = f.name, f.type
        if isinstance(t, ListOf):
            item = self._value(t.item, key_ok=False)

            def handle_list(elem: Element, out: Record) -> None:
                items = out.get(fname)
                if items is None:
                    items = out[fname] = []
                try:
                    items.append(item(elem))
                except ValueMismatch as exc:
                    raise located(exc, elem).at(len(items)) from None

            return handle_list
        if isinstance(t, MapOf):
            return self._map_handler(fname, t)
        value = self._value(t, key_ok=False)

        def handle_one(elem: Element, out: Record) -> None:
            if fname in out:
                raise XmlMismatch(f"<{fname}> appears more than once but is not a list", elem)
            out[fname] = value(elem)

        return handle_one

    def _map_handler(self, fname: str, t: MapOf) -> Handler:
        parse_key = PARSE[t.key.kind]
        value = self._value(t.value, key_ok=True)

        def handle_entry(elem: Element, out: Record) -> None:
            entries = out.get(fname)
            if entries is None:
                entries = out[fname] = {}
            key_text = elem.get(MAP_KEY_ATTRIBUTE)
            if key_text is None:
                raise XmlMismatch(f"a map entry needs a {MAP_KEY_ATTRIBUTE!r} attribute", elem)
            try:
                key = parse_key(key_text)
            except ValueMismatch as exc:
                raise XmlMismatch(f"map key: {exc.problem}", elem).at(
                    key_segment(key_text)
                ) from None
            if key in entries:
                # Keeping either value would silently lose the other.
                raise XmlMismatch("duplicate map key", elem).at(key_segment(key))
            try:
                entries[key] = value(elem)
            except ValueMismatch as exc:
                raise located(exc, elem).at(key_segment(key)) from None

        return handle_entry
