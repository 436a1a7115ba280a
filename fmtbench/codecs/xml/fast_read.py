"""A fast path for ``XmlCodec.decode``: a scanner over the text, generated once per schema.

Building an lxml tree and walking it costs far more than the values it yields (every
``.tag``, ``.text`` and child is a new Python object), so the common document is decoded
straight from its text instead, along the shape the encoder writes: fields in schema order,
attributes in schema order after ``xmlns`` or ``key``. One function is generated per kind of
element. Each run of text-only fields (scalars, enums, and lists and maps of them) between
message fields is first tried with one regular expression of the compact form, ``<a>([^<]*)
</a><b>...``, which scans at C speed; when that fails (indentation, say) the same fields go
through a scanner of ``str.startswith`` / ``str.find`` calls that allows whitespace between
elements.

The scanner is a strict subset of XML: it only ever *accepts*. Anything outside that subset
(a comment, a CDATA section, a character reference other than the ones the encoder writes,
fields out of order, an unknown element, a DOCTYPE, a character XML cannot carry, a value
that does not parse...) makes ``decode`` return ``None`` and the caller runs the reference
path (the hardened lxml parse and the compiled walk of ``read.py``), which either returns
the same record or raises today's error with today's path and line. So errors are identical
by construction, and the accepted documents are ones libxml2 accepts too: every character of
an accepted document is either a literal of the schema's tags or checked text.

Values go through the reference leaf parsers (``PARSE``), or through inlined tests that
accept a subset of what those parsers accept and give the same value; records come out with
the reference's key order (attributes, elements in document order, then absent lists and
maps at their zero values in schema order).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from fmtbench.codecs.base import Record
from fmtbench.codecs.values import oneof
from fmtbench.codecs.xml.read import PARSE, Parse, parse_of
from fmtbench.limits import DEFAULT_MAX_DEPTH, field_levels, forced_depth
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
)
from fmtbench.schema.xsd import MAP_KEY_ATTRIBUTE

#: The declaration the encoder writes; any other (another encoding, single quotes,
#: ``standalone``) takes the reference path.
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
# Far below libxml2's limits without XML_PARSE_HUGE (10,000,000 bytes a text node, nesting
# 256 deep), so a document the scanner accepts never hits a limit the parser would report.
_MAX_CHARS = MAX_CHARS = 1_000_000
#: The most levels the scanner reads, counted as ``--max-depth`` counts them (limits.py:
#: every message below the record, map entry, timestamp and duration is one level). Each
#: level is at most one element, so with the record's element, a leaf's and the
#: ``<records>`` wrapper an accepted document nests at most 103 elements, far below
#: libxml2's 256; the scanner recurses once a message, far below Python's stack.
_MAX_DEPTH = DEFAULT_MAX_DEPTH

# Characters XML 1.0 cannot carry, and ``\r`` (the parser turns it into ``\n``, so text
# holding it is left to the parser). Searched only in text that ``str.isprintable`` rejects:
# every character listed is unprintable, so printable text holds none of them.
_BAD_TEXT = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
# In an attribute value the parser also turns tab and newline into spaces, and ``<`` is an
# error: those values are left to it as well.
_BAD_ATTR = re.compile("[\x00-\x1f<\ufffe\uffff]")
# The references the encoder writes. Any other ``&`` (another entity, ``&#233;``, a bare
# ampersand) takes the reference path.
_ENTITY = re.compile("&(amp|lt|gt|quot|apos|#9|#10|#13);")
_ENTITY_CHARS = {
    "amp": "&",
    "lt": "<",
    "gt": ">",
    "quot": '"',
    "apos": "'",
    "#9": "\t",
    "#10": "\n",
    "#13": "\r",
}
# The timestamp shape the encoder writes, for which datetime.fromisoformat gives exactly
# what the reference parser gives (it takes the same shortcut, see values/leaves.py).
_plain_utc = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?Z\Z"
).match
_fromiso = datetime.fromisoformat
_F32 = struct.Struct("<f")
_pack32, _unpack32 = _F32.pack, _F32.unpack
# A float as the encoder writes a finite one (Python's repr: "-76.09500122070312",
# "1e-05"), in the compact pattern: float() of it is the value, with nothing to check but
# float32's range. An exponent of at most two digits and at most 20 digits before the point
# keep it finite (below 1e120); anything else (INF, NaN, 1e300, signs, spaces) fails the
# pattern and the run goes through the scanner, which checks each value as the reference.
_FLOAT_GROUP = r"(-?[0-9]{1,20}(?:\.[0-9]{1,40})?(?:[eE][+-]?[0-9]{1,2})?)"


@cache
def _floats32(n: int) -> tuple[Callable[..., bytes], Callable[[bytes], tuple[float, ...]]]:
    """Pack and unpack of ``n`` float32s: a run's float32 fields are rounded in one call
    each way (a value past float32's range raises OverflowError: the document declines)."""
    s = struct.Struct(f"<{n}f")
    return s.pack, s.unpack


# the nearest float32 of a finite double

_BOOL_WORDS = {"true": True, "false": False, "1": True, "0": False}
# read.py's xs:double pattern, without the whitespace its parser strips first.
_number = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z").match


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")


def plain_names(schema: Schema) -> bool:
    """Whether names and namespace can be generated and matched as literals, unescaped.

    Tags are matched (and written) as literals, so they must need no escaping nor hold a
    prefix. The loader's identifiers always qualify; this only keeps the fast paths honest
    for a schema built some other way.
    """
    ns = schema.namespace
    names = [*schema.messages, *(f.name for m in schema.messages.values() for f in m.fields)]
    if not all(_PLAIN_NAME.match(n) for n in names):
        return False
    return ns.isprintable() and not any(c in ns for c in '"&<')


class _Fallback(Exception):
    """Raised by the scanner to hand a document to the reference path."""


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    rest = _ENTITY.sub("", text)
    if "&" in rest:  # an ampersand that is not one of the references above
        raise _Fallback
    return _ENTITY.sub(_entity_char, text)


def _entity_char(m: re.Match[str]) -> str:
    return _ENTITY_CHARS[m.group(1)]


def _check_text(text: str) -> None:
    """Element content that ``isprintable`` rejected: fine unless XML cannot carry it."""
    if _BAD_TEXT.search(text):
        raise _Fallback


def _check_attr(text: str, end: int) -> None:
    """An attribute value that ``isprintable`` rejected or that holds ``<``."""
    if end < 0 or _BAD_ATTR.search(text):
        raise _Fallback


def _skip(s: str, p: int) -> int:
    """The position of the next ``<``, past whitespace only (indentation)."""
    e = s.find("<", p)
    if e != p and (e < 0 or s[p:e].strip(" \t\n")):
        raise _Fallback
    return e


def _next(s: str, e: int, close: str, open_: str) -> int:
    """Past ``close`` at ``e``, indentation, then ``open_``: where the next content starts."""
    if not s.startswith(close, e):
        raise _Fallback
    p = _skip(s, e + len(close))
    if not s.startswith(open_, p):
        raise _Fallback
    return p + len(open_)


def _in_pattern(t: FieldType) -> bool:
    """Whether a field's elements hold text only (no message): a pattern can take them."""
    if isinstance(t, ListOf):
        return not isinstance(t.item, MessageRef)
    if isinstance(t, MapOf):
        return not isinstance(t.value, MessageRef)
    return not isinstance(t, MessageRef)


_FLOAT_KINDS = frozenset({"float32", "float64"})
#: Entries of a map the compact pattern takes as groups of its match (``run_fast``).
_MAP_GROUPS = 2


def _flat(schema: Schema, f: Field, depth: int = 0) -> bool:
    """Whether a field is a message the compact pattern can take whole: every field of it a
    plain element (not optional, no attribute, list, map or oneof, no bytes) of a scalar, an
    enum or such a message, at most three messages deep (so never a recursive one, and the
    scanner's depth stays far below libxml2's)."""
    if f.optional or f.xml_attribute or f.oneof is not None:
        return False
    t = f.type
    if isinstance(t, EnumRef):
        return depth > 0
    if isinstance(t, Scalar):
        return depth > 0 and t.kind != "bytes"
    if not isinstance(t, MessageRef) or depth >= 3:
        return False
    fields = schema.messages[t.name].fields
    return bool(fields) and all(_flat(schema, g, depth + 1) for g in fields)


def _cut(t: FieldType) -> list[str]:
    """For a bytes element, the test that its text ends in this buffer before decoding it:
    a stream scans records cut by the end of its buffer, and would decode (and fail on)
    tens of kilobytes of base64 for nothing."""
    return ["if e < 0: raise _F"] if isinstance(t, Scalar) and t.kind == "bytes" else []


def _holds_bytes(run: list[Field]) -> bool:
    """Whether a run has a bytes field: its base64 text is often tens of kilobytes, which
    ``[^<]*`` crosses at about 1 ns a character while ``str.find("<")`` (memchr) takes 50
    times less (32 us against 0.7 us on blob's payloads), so such runs take the scanner."""
    for f in run:
        t = f.type
        leaf = t.item if isinstance(t, ListOf) else t.value if isinstance(t, MapOf) else t
        if isinstance(leaf, Scalar) and leaf.kind == "bytes":
            return True
    return False


#: A generated scanner: (text, position, depth, whether the text holds "&") -> the record
#: and the position after its end tag; it raises on anything it does not accept, a record
#: nesting past its ``max_depth`` among it. ``depth``: the levels above the element, as
#: ``--max-depth`` counts them (0 for a record).
Scan = Callable[[str, int, int, bool], tuple[Record, int]]


class _Source:
    """Generates the scanner's functions; safe to ``exec``: the text comes from the schema
    model only. Tags and field names appear only as ``repr`` literals, functions and
    locals get generated names, parsers are bound in the namespace, bounds are ints."""

    def __init__(
        self, schema: Schema, *, patterns: bool = True, max_depth: int = DEFAULT_MAX_DEPTH
    ) -> None:
        self.schema = schema
        # Without patterns every document goes through the scanner (for the tests).
        self.patterns = patterns
        # The deepest record accepted: within --max-depth, so that what the scanner accepts
        # needs no walk of the depth check (codec.py), and within its own bound.
        self.cap = min(max_depth, _MAX_DEPTH)
        self.ns: dict[str, Any] = {
            "_F": _Fallback,
            "_skip": _skip,
            "_next": _next,
            "_u": _unescape,
            "_ct": _check_text,
            "_ca": _check_attr,
            "_MISSING": _MISSING,
        }
        self.bound: dict[int, str] = {}
        self.functions: dict[tuple[str, str, str | None, bool], str] = {}
        self.pending: list[tuple[tuple[str, str, str | None, bool], str]] = []
        self.source: list[str] = []

    def bind(self, obj: Any) -> str:
        name = self.bound.get(id(obj))
        if name is None:
            name = self.bound[id(obj)] = f"_c{len(self.bound)}"
            self.ns[name] = obj
        return name

    def element(self, msg: str, tag: str, key: str | None, root: bool) -> str:
        """The name of the function scanning one element of message type ``msg``."""
        kind = (msg, tag, key, root)
        name = self.functions.get(kind)
        if name is None:
            name = self.functions[kind] = f"_e{len(self.functions)}"
            self.pending.append((kind, name))
        return name

    def compile(self, root: str, *, alone: bool = True) -> Scan:
        """The scanner of one ``root`` element: standing alone (with its ``xmlns``) or,
        unless ``alone``, a record inside the ``<records>`` wrapper (fast_stream.py)."""
        first = self.element(root, root, None, alone)
        while self.pending:
            kind, name = self.pending.pop()
            self.source.append(self.function(name, *kind))
        exec("\n".join(self.source), self.ns)
        return self.ns[first]  # type: ignore[no-any-return]

    # -- leaves ---------------------------------------------------------------------------
    def text_value(self, t: FieldType, x: str, out: str) -> list[str]:
        """Statements setting ``out`` to the value of raw element content ``x`` (any text
        without ``<``: the checks here are what makes it acceptable)."""
        if isinstance(t, EnumRef):
            # Enum names match exactly; a name never holds ``&`` or unprintable characters.
            # An alias (allow_alias) declines: the reference reads it as its first name.
            names = self.bind(frozenset(self.schema.enums[t.name].canonical_names))
            return [f"if {x} not in {names}: raise _F", f"{out} = {x}"]
        assert isinstance(t, Scalar)
        kind = t.kind
        if kind == "decimal":  # the reference's parser: the text is short, and checked
            return [f"if amp: {x} = _u({x})", f"{out} = {self.bind(parse_of(t))}({x})"]
        if kind == "string":
            return [
                f"if not {x}.isprintable(): _ct({x})",
                f"{out} = _u({x}) if amp else {x}",
            ]
        lines = [f"if amp: {x} = _u({x})"]
        if kind in INT_RANGES:
            # ASCII digits only (str.isdigit alone takes other scripts' digits, which the
            # reference refuses); signs and whitespace go to the reference parser.
            hi = INT_RANGES[kind][1]
            parse = self.bind(PARSE[kind])
            return [
                *lines,
                f"if {x}.isascii() and {x}.isdigit():",
                f"    {out} = int({x})",
                f"    if {out} > {hi}: raise _F",
                "else:",
                f"    {out} = {parse}({x})",
            ]
        if kind == "timestamp":
            # The encoder's shape, for which fromisoformat gives what the reference parser
            # gives (it takes the same shortcut, see values/leaves.py); an impossible date raises
            # ValueError, which declines the document.
            plain, iso, parse = (self.bind(c) for c in (_plain_utc, _fromiso, PARSE[kind]))
            return [*lines, f"{out} = {iso}({x}) if {plain}({x}) else {parse}({x})"]
        if kind == "float32":
            # As float64 below, then rounded to the nearest float32 as float32_round does
            # (struct in C); a value past float32's range raises (OverflowError): the
            # reference path then names it.
            number, parse = self.bind(_number), self.bind(PARSE[kind])
            pack, unpack = self.bind(_pack32), self.bind(_unpack32)
            return [
                *lines,
                f"if {x}.isascii() and {x}.replace('.', '', 1).isdigit(): {out} = float({x})",
                f"elif {number}({x}): {out} = float({x})",
                f"else: {out} = {parse}({x})",
                f"if {out} - {out}: {out} = {parse}({x})",
                f"else: {out} = {unpack}({pack}({out}))[0]",
            ]
        if kind == "float64":
            # A number without surrounding whitespace: what float() gives is the value
            # (the pattern refuses what float() alone would take: 'inf', '1_0', ' 1').
            # Plain decimals (ASCII digits and at most one point, some digit) are such
            # numbers too, and cheaper to recognise than by the pattern.
            # A finite literal past the range gives infinity: the reference refuses it.
            number, parse = self.bind(_number), self.bind(PARSE[kind])
            return [
                *lines,
                f"if {x}.isascii() and {x}.replace('.', '', 1).isdigit(): {out} = float({x})",
                f"else: {out} = float({x}) if {number}({x}) else {parse}({x})",
                f"if {out} - {out}: {out} = {parse}({x})",
            ]
        if kind == "bool":
            words, parse = self.bind(_BOOL_WORDS), self.bind(PARSE[kind])
            return [*lines, f"{out} = {words}.get({x})", f"if {out} is None: {out} = {parse}({x})"]
        return [*lines, f"{out} = {self.bind(PARSE[kind])}({x})"]

    def attr_value(self, t: FieldType, x: str, out: str) -> list[str]:
        """Statements setting ``out`` to the value of a checked attribute value ``x``."""
        if isinstance(t, Scalar) and t.kind == "string":
            return [f"{out} = _u({x}) if amp else {x}"]
        if isinstance(t, Scalar):
            parse = parse_of(t)
        else:
            assert isinstance(t, EnumRef)
            parse = _enum_parse(self.schema, t)
        return [f"if amp: {x} = _u({x})", f"{out} = {self.bind(parse)}({x})"]

    # -- elements -------------------------------------------------------------------------
    def function(self, name: str, msg_name: str, tag: str, key: str | None, root: bool) -> str:
        msg = self.schema.messages[msg_name]
        values = {f.name: f"v{i}" for i, f in enumerate(msg.fields)}
        attrs = [f for f in msg.fields if f.xml_attribute]
        head = f"<{tag}"
        if root:
            head += f' xmlns="{self.schema.namespace}"'
        # Runs of fields that a regular expression can take, split by message fields (which
        # recurse); the first run also takes the start tag, the last one the end tag.
        runs: list[list[Field]] = [[]]
        between: list[Field] = []
        for f in msg.fields:
            if f.xml_attribute:
                continue
            if _in_pattern(f.type) or (self.patterns and _flat(self.schema, f)):
                runs[-1].append(f)
            else:
                between.append(f)
                runs.append([])
        # Past the cap, declined before anything is read: the levels every record of the
        # message has (its required messages and timestamps, flat ones among them), then
        # below, the fields that may be absent or empty once they are read (``too_deep``).
        body = [f"if depth > {self.cap - forced_depth(self.schema, msg_name)}: raise _F"]
        # Where the element ends in a list, a map or an optional message (a tree's
        # children), the run before it may take the end tag instead (``ends``): then the
        # field is at its zero value, with no test for its items nor for the end tag.
        ends = self.ends(runs, between)
        # The body so far; past the run before ``ends``, what only an element that did not
        # end there runs.
        part: list[str] = []
        for i, run in enumerate(runs):
            if i:
                part += self.field(between[i - 1], values[between[i - 1].name])
            first, last = i == 0, i == len(runs) - 1
            if not (run or first or last):
                continue  # two message fields in a row: nothing between them to match
            where = (run, values, head if first else None, key if first else None, attrs, tag)
            slow = self.run_slow(*where, last)
            if self.patterns and not _holds_bytes(run):
                closes = ends if i == len(runs) - 2 else None
                fast = self.run_fast(*where, last, closes)
                part += fast[:1] + [f"    {line}" for line in fast[1:]]
                part += ["else:", *(f"    {line}" for line in slow)]
                if closes is not None:
                    body += [*part, "    ge = None"]  # the scanner's run: not at the end tag
                    part = []
            else:
                part += slow
        if ends is None:
            body += part
        else:
            f = between[-1]
            zero = "_MISSING" if f.optional else "[]" if isinstance(f.type, ListOf) else "{}"
            body += ["if ge is None:", *(f"    {line}" for line in part)]
            body.append(f"else: {values[f.name]} = {zero}")
        body += self.too_deep(msg.fields, values)
        body += self.record(msg.fields, values)
        for _, _, members in oneof.groups(msg):
            # Two members of one oneof set: the reference names them.
            count = " + ".join(f"({values[m]} is not _MISSING)" for m in members)
            body.append(f"if {count} > 1: raise _F")
        result = "mk, d, p" if key is not None else "d, p"
        body.append(f"return {result}")
        return "\n".join([f"def {name}(s, p, depth, amp):", *(f"    {line}" for line in body)])

    def ends(self, runs: list[list[Field]], between: list[Field]) -> tuple[str, ...] | None:
        """The start tags of a last field that may be empty or absent (a list, a map or an
        optional message), where a compact run comes before it; else None."""
        if not self.patterns or len(runs) < 2 or runs[-1] or _holds_bytes(runs[-2]):
            return None
        if len(runs) > 2 and not runs[-2]:
            return None  # two message fields in a row: no run before the last
        f = between[-1]
        t = f.type
        if isinstance(t, ListOf) and isinstance(t.item, MessageRef):
            return self.opens(f.name, t.item)
        if isinstance(t, MapOf) and isinstance(t.value, MessageRef):
            return self.opens(f.name, t.value, key=True)
        if f.optional and isinstance(t, MessageRef):
            return self.opens(f.name, t)
        return None

    def run_fast(
        self,
        run: list[Field],
        values: dict[str, str],
        head: str | None,
        key: str | None,
        attrs: list[Field],
        tag: str,
        last: bool,
        closes: tuple[str, ...] | None = None,
    ) -> list[str]:
        """``if`` the compact shape matches: one regular expression, then the values.
        ``closes``: the start tags of the last field, which comes next unless the end tag
        does (group ``ge``).

        ``[^<]*`` scans at C speed (a single excluded character); what it takes is checked
        afterwards exactly as the scanner checks it (printable, references, lexical forms).
        """
        if not run and head is None and last:  # only the end tag: no pattern needed
            close = f"</{tag}>"
            return [f"if s.startswith({close!r}, p):", f"p += {len(close)}"]
        pattern: list[str] = []
        groups: list[str] = []
        code: list[str] = []
        # (group, value) of the plain float fields, converted together after the match.
        floats32: list[tuple[str, str]] = []
        floats64: list[tuple[str, str]] = []
        if head is not None:
            pattern.append(re.escape(head))
            if key is not None:
                pattern.append(re.escape(f' {MAP_KEY_ATTRIBUTE}="') + '([^"<]*)"')
                groups.append("mk")
                code.append("if not mk.isprintable(): _ca(mk, 0)")
            for f in attrs:
                g = f"g{len(groups)}"
                one = re.escape(f' {f.name}="') + '([^"<]*)"'
                pattern.append(f"(?:{one})?+" if f.optional else one)
                groups.append(g)
                check = [f"if not {g}.isprintable(): _ca({g}, 0)"]
                check += self.attr_value(f.type, g, values[f.name])
                if f.optional:
                    code += [f"if {g} is None: {values[f.name]} = _MISSING", "else:"]
                    code += [f"    {line}" for line in check]
                else:
                    code += check
            pattern.append(">")
        dicts: list[str] = []  # the flat messages' dicts, built once their values are
        for f in run:
            if isinstance(f.type, MessageRef):
                flat = pattern, groups, code, floats32, floats64, dicts
                self.flat_message(f.type.name, f.name, values[f.name], *flat)
                continue
            t, v, g = f.type, values[f.name], f"g{len(groups)}"
            open_, close = re.escape(f"<{f.name}>"), re.escape(f"</{f.name}>")
            groups.append(g)
            if isinstance(t, ListOf):
                pattern.append(f"((?:{open_}[^<]*{close})*+)")
                n_open, sep = len(f"<{f.name}>"), f"</{f.name}><{f.name}>"
                code += [f"{v} = []", f"if {g}:"]
                code += [f"    for x in {g}[{n_open}:-{n_open + 1}].split({sep!r}):"]
                code += [f"        {line}" for line in self.text_value(t.item, "x", "y")]
                code += [f"        {v}.append(y)"]
            elif isinstance(t, MapOf):
                prefix = re.escape(f'<{f.name} {MAP_KEY_ATTRIBUTE}="')
                one = prefix + '([^"<]*)">([^<]*)' + close
                # The first entries are groups of the run's own match (most maps are small:
                # a second search of their text, and its list, cost more than the rest of
                # the node on tree); the others, if any, are found again in group ``g``.
                groups.pop()
                firsts = []
                for _ in range(_MAP_GROUPS):
                    firsts.append((f"g{len(groups)}", f"g{len(groups) + 1}"))
                    groups += firsts[-1]
                    pattern.append(f"(?:{one})?+")
                g = f"g{len(groups)}"
                groups.append(g)
                pattern.append(f'((?:{prefix}[^"<]*">[^<]*{close})*+)')
                items = self.bind(re.compile(one).findall)
                code.append(f"{v} = {{}}")
                for i, (k, x) in enumerate(firsts):
                    # The first of them has no key to repeat; none comes after an absent one.
                    entry = self.map_entry(t, v, k, x, check=bool(i))
                    code += [
                        f"{'    ' * i}if {k} is not None:",
                        *(f"{'    ' * (i + 1)}{line}" for line in entry),
                    ]
                code += [f"if {g}:", f"    for k, x in {items}({g}):"]
                code += [f"        {line}" for line in self.map_entry(t, v, "k", "x")]
            elif not f.optional and isinstance(t, Scalar) and t.kind in INT_RANGES:
                # ASCII digits and a minus sign at most: int() of them is the value the
                # reference parses ("-0" too), and no reference can hide among them; past
                # the range, the document declines. Other spellings (a sign, spaces, 21
                # digits) fail the pattern: the scanner takes them.
                lo, hi = INT_RANGES[t.kind]
                pattern.append(f"{open_}({'-?' if lo else ''}[0-9]{{1,20}}){close}")
                code.append(f"{v} = int({g})")
                code.append(
                    f"if not {lo} <= {v} <= {hi}: raise _F" if lo else f"if {v} > {hi}: raise _F"
                )
            elif not f.optional and isinstance(t, Scalar) and t.kind in _FLOAT_KINDS:
                pattern.append(f"{open_}{_FLOAT_GROUP}{close}")
                (floats32 if t.kind == "float32" else floats64).append((g, v))
            else:
                one = f"{open_}([^<]*){close}"
                if f.optional:
                    pattern.append(f"(?:{one})?+")
                    code += [f"if {g} is None: {v} = _MISSING", "else:"]
                    code += [f"    {line}" for line in self.text_value(t, g, v)]
                else:
                    pattern.append(one)
                    code += self.text_value(t, g, v)
        if last:
            pattern.append(re.escape(f"</{tag}>"))
        elif closes is not None:
            after = "|".join(re.escape(o) for o in closes)
            pattern.append(f"(?:({re.escape(f'</{tag}>')})|(?={after}))")
            groups.append("ge")
        else:
            # Optional fields and lists may match nothing: indentation before one of them
            # must not end the match early (the scanner takes indented documents). Their
            # quantifiers are possessive, so backtracking cannot drop what they matched.
            pattern.append("(?![ \t\n])")
        code += [f"{v} = float({g})" for g, v in floats64]
        if floats32:
            pack32, unpack32 = (self.bind(c) for c in _floats32(len(floats32)))
            outs = ", ".join(v for _, v in floats32)
            ins = ", ".join(f"float({g})" for g, _ in floats32)
            code.append(f"{outs}, = {unpack32}({pack32}({ins}))")
        code += dicts
        rx = self.bind(re.compile("".join(pattern)).match)
        unpack = f"{', '.join(groups)}, = m.groups()" if groups else None
        return [
            f"if (m := {rx}(s, p)) is not None:",
            *([unpack] if unpack else []),
            "p = m.end()",
            *code,
        ]

    def map_entry(self, t: MapOf, v: str, k: str, x: str, check: bool = True) -> list[str]:
        """Add the entry of key text ``k`` and value text ``x`` to the map ``v``; ``check``:
        unless it is the first (a key seen already declines)."""
        return [
            f"if not {k}.isprintable(): _ca({k}, 0)",
            *self.map_key(t.key, k),
            *([f"if {k} in {v}: raise _F"] if check else []),
            *self.text_value(t.value, x, "y"),
            f"{v}[{k}] = y",
        ]

    def flat_message(
        self,
        msg_name: str,
        tag: str,
        out: str,
        pattern: list[str],
        groups: list[str],
        code: list[str],
        floats32: list[tuple[str, str]],
        floats64: list[tuple[str, str]],
        dicts: list[str],
    ) -> None:
        """A flat message field (``_flat``) inside the compact pattern: its elements become
        groups of the run's pattern, so a triangle of four points is one match, not five
        calls and five matches; ``out`` is set to its dict after the run's values."""
        fields = self.schema.messages[msg_name].fields
        names = {f.name: f"{out}_{i}" for i, f in enumerate(fields)}
        pattern.append(re.escape(f"<{tag}>"))
        for f in fields:
            t, v = f.type, names[f.name]
            if isinstance(t, MessageRef):
                self.flat_message(
                    t.name, f.name, v, pattern, groups, code, floats32, floats64, dicts
                )
                continue
            g = f"g{len(groups)}"
            groups.append(g)
            open_, close = re.escape(f"<{f.name}>"), re.escape(f"</{f.name}>")
            if isinstance(t, Scalar) and t.kind in _FLOAT_KINDS:
                pattern.append(f"{open_}{_FLOAT_GROUP}{close}")
                (floats32 if t.kind == "float32" else floats64).append((g, v))
            else:
                pattern.append(f"{open_}([^<]*){close}")
                code += self.text_value(t, g, v)
        pattern.append(re.escape(f"</{tag}>"))
        # Plain fields only: the reference's key order is the schema's.
        items = ", ".join(f"{f.name!r}: {names[f.name]}" for f in fields)
        dicts.append(f"{out} = {{{items}}}")

    def run_slow(
        self,
        run: list[Field],
        values: dict[str, str],
        head: str | None,
        key: str | None,
        attrs: list[Field],
        tag: str,
        last: bool,
    ) -> list[str]:
        """The same fields with indentation allowed: a scanner, one element at a time."""
        body: list[str] = []
        # ``pending`` is text that must come at ``e``, not checked yet: a start tag's ``>``
        # or a leaf's end tag, merged into one test with the next start tag (``_next``
        # handles indentation between them).
        pending: str | None = None
        if head is not None:
            if not attrs and key is None:
                pending = head + ">"
                body.append("e = p")
            else:
                body += [f"if not s.startswith({head!r}, p): raise _F", f"p += {len(head)}"]
            if key is not None:
                key_prefix = f' {MAP_KEY_ATTRIBUTE}="'
                body += [
                    f"if not s.startswith({key_prefix!r}, p): raise _F",
                    f"p += {len(key_prefix)}",
                    "e = s.find('\"', p)",
                    "mk = s[p:e]",
                    "if e < 0 or not mk.isprintable() or '<' in mk: _ca(mk, e)",
                    "p = e + 1",
                ]
            for f in attrs:
                v = values[f.name]
                prefix = f' {f.name}="'
                parse = [
                    f"p += {len(prefix)}",
                    "e = s.find('\"', p)",
                    "x = s[p:e]",
                    "if e < 0 or not x.isprintable() or '<' in x: _ca(x, e)",
                    "p = e + 1",
                    *self.attr_value(f.type, "x", v),
                ]
                if f.optional:
                    body.append(f"if s.startswith({prefix!r}, p):")
                    body += [f"    {line}" for line in parse]
                    body.append(f"else: {v} = _MISSING")
                else:
                    body += [f"if not s.startswith({prefix!r}, p): raise _F", *parse]
            if attrs or key is not None:
                pending = ">"
                body.append("e = p")
        for f in run:
            v = values[f.name]
            if not f.optional and isinstance(f.type, Scalar | EnumRef):
                open_ = f"<{f.name}>"
                if pending is None:
                    body += [*self.expect(open_), f"a = p + {len(open_)}"]
                else:
                    body += [
                        f"if s.startswith({pending + open_!r}, e): a = e + {len(pending + open_)}",
                        f"else: a = _next(s, e, {pending!r}, {open_!r})",
                    ]
                body += ["e = s.find('<', a)", *_cut(f.type), "x = s[a:e]"]
                body += self.text_value(f.type, "x", v)
                pending = f"</{f.name}>"
                continue
            if pending is not None:
                body += [
                    f"if not s.startswith({pending!r}, e): raise _F",
                    f"p = e + {len(pending)}",
                ]
                pending = None
            body += self.field(f, v)
        close = f"</{tag}>"
        if pending is None:
            if last:
                body += [
                    f"if not s.startswith({close!r}, p):",
                    "    if s[p] != '<': p = _skip(s, p)",
                    f"    if not s.startswith({close!r}, p): raise _F",
                    f"p += {len(close)}",
                ]
        elif last:
            body += [
                f"if s.startswith({pending + close!r}, e): p = e + {len(pending + close)}",
                f"else: p = _next(s, e, {pending!r}, {close!r})",
            ]
        else:
            body += [f"if not s.startswith({pending!r}, e): raise _F", f"p = e + {len(pending)}"]
        return body or ["pass"]

    def too_deep(self, fields: tuple[Field, ...], values: dict[str, str]) -> list[str]:
        """Decline a record whose leaves nest past the cap, as the depth check counts them:
        a timestamp or duration present, a map of leaves or a list of timestamps not empty
        (messages check their own depth, passed down as each counts)."""
        tests: list[str] = []
        for f in fields:
            how, levels, inner = field_levels(f)
            if inner or not levels or (how == "one" and not f.optional):
                continue  # a message, a plain leaf, or counted in ``forced_depth``
            v = values[f.name]
            present = f"{v} is not _MISSING" if how == "one" else v
            tests.append(f"if depth > {self.cap - levels} and {present}: raise _F")
        return tests

    def record(self, fields: tuple[Field, ...], values: dict[str, str]) -> list[str]:
        """Build the dict in the reference's key order (see the module docstring)."""
        order = [f for f in fields if f.xml_attribute] + [f for f in fields if not f.xml_attribute]
        shown: list[str] = []
        later: list[str] = []
        for f in order:
            v, key = values[f.name], repr(f.name)
            if f.optional:
                later.append(f"if {v} is not _MISSING: d[{key}] = {v}")
            elif isinstance(f.type, ListOf | MapOf):
                later.append(f"if {v}: d[{key}] = {v}")
            elif later:
                later.append(f"d[{key}] = {v}")
            else:
                shown.append(f"{key}: {v}")
        # Absent lists and maps are their zero values (fresh ones: these are), last.
        for f in fields:
            if not f.optional and isinstance(f.type, ListOf | MapOf):
                v = values[f.name]
                later.append(f"if not {v}: d[{f.name!r}] = {v}")
        return [f"d = {{{', '.join(shown)}}}", *later]

    def field(self, f: Field, v: str) -> list[str]:
        t = f.type
        if isinstance(t, ListOf):
            return self.repeated(f.name, t.item, v, None)
        if isinstance(t, MapOf):
            return self.repeated(f.name, t.value, v, t.key)
        if isinstance(t, MessageRef):
            fn = self.element(t.name, f.name, None, False)
            if f.optional:
                return [
                    f"if {self.at(f.name, t)}:",
                    f"    {v}, p = {fn}(s, p, depth + 1, amp)",
                    f"else: {v} = _MISSING",
                ]
            return [*self.expect(f"<{f.name}"), f"{v}, p = {fn}(s, p, depth + 1, amp)"]
        scan = self.leaf(f.name, t, v)
        if f.optional:
            return [
                f"if {self.at(f.name, t)}:",
                *(f"    {line}" for line in scan),
                f"else: {v} = _MISSING",
            ]
        return [*self.expect(f"<{f.name}>"), *scan]

    def opens(self, tag: str, t: FieldType, key: bool = False) -> tuple[str, ...]:
        """How an element ``tag`` of type ``t`` may start (a map entry's with its key)."""
        if key:
            return (f'<{tag} {MAP_KEY_ATTRIBUTE}="',)
        if isinstance(t, MessageRef) and any(
            f.xml_attribute for f in self.schema.messages[t.name].fields
        ):
            return (f"<{tag}>", f"<{tag} ")
        return (f"<{tag}>",)

    def at(self, tag: str, t: FieldType, key: bool = False) -> str:
        """A test that the next element (past indentation) is ``tag``; it moves ``p``."""
        opens = self.opens(tag, t, key)
        o = repr(opens[0] if len(opens) == 1 else opens)
        return f"s.startswith({o}, p) or (s[p] != '<' and s.startswith({o}, p := _skip(s, p)))"

    def expect(self, start: str) -> list[str]:
        """Move ``p`` past indentation to ``start``, which must come next."""
        return [
            f"if not s.startswith({start!r}, p):",
            "    if s[p] != '<': p = _skip(s, p)",
            f"    if not s.startswith({start!r}, p): raise _F",
        ]

    def leaf(self, tag: str, t: FieldType, v: str) -> list[str]:
        """Scan ``<tag>text</tag>`` at ``p`` (its start tag already seen) into ``v``."""
        open_, close = f"<{tag}>", f"</{tag}>"
        return [
            f"a = p + {len(open_)}",
            "e = s.find('<', a)",
            *_cut(t),
            "x = s[a:e]",
            *self.text_value(t, "x", v),
            f"if not s.startswith({close!r}, e): raise _F",
            f"p = e + {len(close)}",
        ]

    def repeated(self, tag: str, item: FieldType, v: str, key: Scalar | None) -> list[str]:
        keyed = key is not None
        head = [f"{v} = {{}}" if keyed else f"{v} = []", f"while {self.at(tag, item, keyed)}:"]
        body: list[str]
        if isinstance(item, MessageRef):
            fn = self.element(item.name, tag, key.kind if key else None, False)
            if key is None:
                body = [f"x, p = {fn}(s, p, depth + 1, amp)", f"{v}.append(x)"]
            else:
                body = [  # the entry is a level, and so is the message in it
                    f"k, x, p = {fn}(s, p, depth + 2, amp)",
                    *self.map_key(key, "k"),
                    f"if k in {v}: raise _F",
                    f"{v}[k] = x",
                ]
        elif key is None:
            body = [*self.leaf(tag, item, "y"), f"{v}.append(y)"]
        else:
            prefix = f'<{tag} {MAP_KEY_ATTRIBUTE}="'
            close = f"</{tag}>"
            body = [
                f"a = p + {len(prefix)}",
                "e = s.find('\"', a)",
                "k = s[a:e]",
                "if e < 0 or not k.isprintable() or '<' in k: _ca(k, e)",
                *self.map_key(key, "k"),
                f"if k in {v} or s[e + 1] != '>': raise _F",
                "a = e + 2",
                "e = s.find('<', a)",
                "x = s[a:e]",
                *self.text_value(item, "x", "y"),
                f"if not s.startswith({close!r}, e): raise _F",
                f"p = e + {len(close)}",
                f"{v}[k] = y",
            ]
        return head + [f"    {line}" for line in body]

    def map_key(self, key: Scalar, k: str) -> list[str]:
        """Checked raw key text ``k`` to its value (duplicates are the caller's check)."""
        if key.kind == "string":
            return [f"if amp: {k} = _u({k})"]
        return [f"if amp: {k} = _u({k})", f"{k} = {self.bind(PARSE[key.kind])}({k})"]


_MISSING = object()


def _enum_parse(schema: Schema, t: EnumRef) -> Parse:
    names = frozenset(schema.enums[t.name].canonical_names)  # an alias: the reference

    def parse(text: str) -> str:
        if text not in names:
            raise _Fallback
        return text

    return parse


class XmlFastDecoder:
    """The scanner for one schema's root type; ``decode`` returns ``None`` to decline."""

    def __init__(
        self,
        schema: Schema,
        type_name: str,
        *,
        patterns: bool = True,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        # Otherwise every document goes the reference way.
        plain = plain_names(schema)
        source = _Source(schema, patterns=patterns, max_depth=max_depth)
        self._root = source.compile(type_name) if plain else None
        self._schema, self._type_name, self._patterns = schema, type_name, patterns
        #: Every record accepted nests at most this deep (``--max-depth``'s levels).
        self.max_depth = source.cap
        self._wrapped: Scan | None = None

    def wrapped(self) -> Scan | None:
        """The scanner of a record inside a ``<records>`` wrapper (no ``xmlns`` of its
        own), compiled on first use; ``None`` where names are not plain."""
        if self._wrapped is None and self._root is not None:
            source = _Source(self._schema, patterns=self._patterns, max_depth=self.max_depth)
            self._wrapped = source.compile(self._type_name, alone=False)
        return self._wrapped

    def decode(self, data: object) -> Record | None:
        """The record ``data`` holds, or ``None``: then only the reference path can tell."""
        if self._root is None:
            return None
        try:
            # Strict UTF-8 (what the declaration says, and lxml's default without one):
            # invalid bytes, and anything not bytes-like, raise here.
            s = str(data, "utf-8")  # type: ignore[call-overload]
            if len(s) > _MAX_CHARS or ("]" in s and "]]>" in s):
                return None  # "]]>" is an error in text; the parser says so
            p = 0
            if s.startswith(_DECLARATION):
                p = _skip(s, len(_DECLARATION))
            record, p = self._root(s, p, 0, "&" in s)
            if p != len(s) and s[p:].strip(" \t\n"):
                return None
            return record
        except Exception:  # any reason at all: the reference path decides
            return None
