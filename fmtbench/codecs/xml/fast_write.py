"""A fast path for the XML encoder: one generated function per message type.

The reference writer (``write.py``) loops over a field plan and calls a closure per
field. Here each message gets Python source generated once per schema: its element is one
f-string, leaf checks are inlined (``type(x) is int and lo <= x <= hi``), and text that needs
no escaping (printable, without ``&<>``, or ``"`` in an attribute) is written as it is.

Like ``values/tree.py``'s fast converters it only ever *accepts*: any value it does not handle the
common way (a tuple for a list, a string that needs escaping, a naive datetime, a missing or
unknown field...) raises, and the caller runs the reference writer on the whole record,
which returns the same text or raises today's error with today's path.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fmtbench.codecs.values import oneof
from fmtbench.codecs.xml.fast_read import plain_names
from fmtbench.codecs.xml.write import enum_text, lex_of
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

#: Writes one message element: the value, its start tag up to ``>``, its end tag.
FastEmit = Callable[[Any, str, str], str]

_MISSING = object()
_QUOTE = repr('"')
_QUOTE_GT = repr('">')


class _Decline(Exception):
    """Raised by generated code to hand the record to the reference writer."""


def _declined(value: Any, start: str, end: str) -> str:
    raise _Decline


class XmlFastSource:
    """Generates the writers. Safe to ``exec``: the text comes from the schema model only;
    field names and tags appear only inside ``repr`` literals (identifiers, checked by the
    loader, so an f-string template holds no braces, quotes or backslashes of theirs),
    converters are bound in the namespace and integer bounds are ints."""

    def __init__(self, schema: Schema, *, drop_unknown: bool) -> None:
        self.schema = schema
        self.check_unknown = not drop_unknown
        self.index = {name: i for i, name in enumerate(schema.messages)}
        self.ns: dict[str, Any] = {
            "_M": _MISSING,
            "_F": _Decline,
            "_datetime": datetime,
            "_UTC": UTC,
        }
        self.bound: dict[int, str] = {}

    def bind(self, obj: Any) -> str:
        name = self.bound.get(id(obj))
        if name is None:
            name = self.bound[id(obj)] = f"_c{len(self.bound)}"
            self.ns[name] = obj
        return name

    def compile(self) -> dict[str, FastEmit]:
        if not plain_names(self.schema):  # names that would need escaping: never fast
            return dict.fromkeys(self.index, _declined)
        source = [self.message(name) for name in self.index]
        exec("\n".join(source), self.ns)
        return {name: self.ns[f"_w{i}"] for name, i in self.index.items()}

    def message(self, name: str) -> str:
        fields = self.schema.messages[name].fields
        body = ["if type(v) is not dict: raise _F"]
        required = sum(1 for f in fields if not f.optional)
        counted = self.check_unknown and any(f.optional for f in fields)
        if counted:
            body.append(f"n = {required}")
        attrs: list[str] = []
        elems: list[str] = []
        for i, f in enumerate(fields):
            out = f"s{i}"
            key = repr(f.name)
            if f.optional:
                body.append(f"x = v.get({key}, _M)")
                body.append("if x is _M:")
                body.append(f"    {out} = ''")
                body.append("else:")
                inner = self.field(f, "x", out)
                if counted:
                    inner.append("n += 1")
                body += [f"    {line}" for line in inner]
            elif isinstance(f.type, Scalar | EnumRef):
                # A required leaf: only its text is computed here, its tags (or attribute
                # name and quotes) are literals of the final f-string, saving two copies.
                body.append(f"x = v[{key}]")  # missing: KeyError, the reference says so
                body.append(f"{out} = {self.leaf(f.type, 'x', attr=f.xml_attribute)}")
                if f.xml_attribute:
                    attrs.append(f' {f.name}="{{{out}}}"')
                else:
                    elems.append(f"<{f.name}>{{{out}}}</{f.name}>")
                continue
            else:
                body.append(f"x = v[{key}]")
                body += self.field(f, "x", out)
            (attrs if f.xml_attribute else elems).append("{" + out + "}")
        if self.check_unknown:
            body.append(f"if len(v) != {'n' if counted else required}: raise _F")
        two_set = oneof.two_set_test(self.schema.messages[name], "v", self.bind)
        if two_set is not None:  # two members of one oneof set: the reference names them
            body.append(f"if {two_set}: raise _F")
        text = "".join(attrs) + ">" + "".join(elems)
        # Names are identifiers (no braces, quotes or backslashes): the template is plain.
        body.append(f"return f{('{start}' + text + '{end}')!r}")
        return "\n".join(
            [f"def _w{self.index[name]}(v, start, end):", *(f"    {line}" for line in body)]
        )

    def field(self, f: Field, x: str, out: str) -> list[str]:
        """Statements setting ``out`` to the text of field ``f`` whose value is ``x``."""
        t, name = f.type, f.name
        if f.xml_attribute:
            leaf = self.leaf(t, x, attr=True)
            prefix = repr(f' {name}="')
            return [f"{out} = {prefix} + ({leaf}) + {_QUOTE}"]
        if isinstance(t, ListOf):
            item = self.element(name, t.item, "i")
            return [
                f"if type({x}) is not list: raise _F",
                f"{out} = ''.join([{item} for i in {x}])",
            ]
        if isinstance(t, MapOf):
            key = self.leaf(t.key, "k", attr=True)
            key_open, end = repr(f'<{name} key="'), repr(f"</{name}>")
            if isinstance(t.value, MessageRef):
                fn = f"_w{self.index[t.value.name]}"
                start = f"{key_open} + ({key}) + {_QUOTE}"
                item = f"{fn}(w, {start}, {end})"
            else:
                value = self.leaf(t.value, "w", attr=False)
                item = f"{key_open} + ({key}) + {_QUOTE_GT} + ({value}) + {end}"
            return [
                f"if type({x}) is not dict: raise _F",
                # Entries in key order, as the reference writes them (keys are distinct, so
                # comparing (key, value) pairs compares keys; mixed key types raise TypeError).
                f"{out} = ''.join([{item} for k, w in sorted({x}.items())]) if {x} else ''",
            ]
        return [f"{out} = {self.element(name, t, x)}"]

    def element(self, name: str, t: FieldType, x: str) -> str:
        """An expression: the element ``name`` holding the value ``x`` of type ``t``."""
        if isinstance(t, MessageRef):
            return f"_w{self.index[t.name]}({x}, {'<' + name!r}, {'</' + name + '>'!r})"
        leaf = self.leaf(t, x, attr=False)
        return f"{('<' + name + '>')!r} + ({leaf}) + {('</' + name + '>')!r}"

    def leaf(self, t: FieldType, x: str, *, attr: bool) -> str:
        """An expression: the (escaped) lexical form of ``x``."""
        if isinstance(t, EnumRef):
            # Canonical names as they are; an alias through enum_text, which maps it.
            names = self.bind(frozenset(self.schema.enums[t.name].canonical_names))
            conv = self.bind(enum_text(self.schema.enums[t.name]))
            return f"{x} if type({x}) is str and {x} in {names} else {conv}({x})"
        assert isinstance(t, Scalar)
        kind = t.kind
        call = f"{self.bind(lex_of(t, attr))}({x})"
        if kind == "string":
            # Printable text holds none of the characters that need a reference except these
            # (tab, newline and CR are unprintable), nor any XML cannot carry.
            special = "'&' in {0} or '<' in {0} or '>' in {0}"
            if attr:
                special += " or '\"' in {0}"
            test = special.format(x)
            return f"{x} if type({x}) is str and {x}.isprintable() and not ({test}) else {call}"
        if kind in INT_RANGES:
            lo, hi = INT_RANGES[kind]
            return f"str({x}) if type({x}) is int and {lo} <= {x} <= {hi} else {call}"
        if kind == "bool":
            return f"'true' if {x} is True else 'false' if {x} is False else {call}"
        if kind == "float64":
            # Finite floats are their repr (x - x is NaN for infinities and NaN).
            return f"repr({x}) if type({x}) is float and {x} - {x} == 0.0 else {call}"
        if kind == "timestamp":
            # An aware datetime in UTC: isoformat ends with +00:00, written as Z.
            return (
                f"{x}.isoformat()[:-6] + 'Z' if type({x}) is _datetime and {x}.tzinfo is _UTC "
                f"else {call}"
            )
        return call
