"""Per-schema converters between canonical records and ProtoJSON trees, generated once.

One function per message and direction, Python source generated from the schema model and
compiled with ``exec`` (as ``values/tree.py`` and ``protobuf/kwargs.py`` do): fields in a
fixed order, leaf rules from ``leaves.LEAVES`` bound by name, no per-field dispatch and no
reflection per record.

- Writing (``writer``): a canonical record to a dict keyed by JSON names (or the original
  names), fields in field-number order as protobuf lists them, a non-optional scalar at its
  default left out (implicit presence), an optional field written whenever present. It only
  accepts: on any doubt it raises, and the codec validates the record (which names the
  field) and writes the validated one.
- Reading (``reader``): a parsed JSON tree to a canonical record. Either name of a field is
  read; absent and ``null`` read as the zero value (absent, for an optional field). Errors
  carry the field path, built while the exception unwinds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fmtbench.codecs.protojson.leaves import LEAVES, MAP_KEYS, Inexact, Unfit, leaf_of
from fmtbench.codecs.values.leaves import describe, mismatch
from fmtbench.codecs.values.oneof import two_set
from fmtbench.errors import ValueMismatch, key_segment
from fmtbench.schema.model import (
    INT_RANGES,
    EnumRef,
    Field,
    FieldType,
    ListOf,
    MapOf,
    Message,
    MessageRef,
    Scalar,
    Schema,
)
from fmtbench.schema.names import json_name
from fmtbench.schema.proto_restore import enum_value_name
from fmtbench.schema.values import SCALAR_ZEROS, decimal_zero, zero_factory

Conv = Callable[[Any], Any]

_MISSING = object()


def _unfit() -> Any:
    raise Unfit


def wire_names(schema: Schema, enum_name: str) -> dict[str, str]:
    """Schema value name -> the name protobuf (and so ProtoJSON) gives its number: the
    first name of the number (an alias writes as the name it stands for, as json_format
    does), as the exported ``.proto`` spells it (an imported enum's names verbatim)."""
    enum = schema.enums[enum_name]
    first = enum.canonical()
    return {name: enum_value_name(enum, first[name]) for name, _ in enum.values}


def _read_names(schema: Schema, enum_name: str) -> dict[str, str]:
    """Every ProtoJSON name of an enum (aliases too) -> the canonical value name."""
    enum = schema.enums[enum_name]
    first = enum.canonical()
    return {enum_value_name(enum, name): first[name] for name, _ in enum.values}


def _missing(name: str) -> None:
    raise ValueMismatch("required field is missing").at(name)


def _two_set(msg: Message, r: Any) -> None:
    """Raise for a record setting two members of one of ``msg``'s oneofs."""
    for group in msg.oneofs:
        present = [m for m in group.members if m in r]
        if len(present) > 1:
            raise two_set(group.name, present)


def _list_read(conv: Conv, x: Any) -> list[Any]:
    if x.__class__ is not list:
        raise mismatch("a list (JSON array)", x)
    out: list[Any] = []
    try:
        out.extend(map(conv, x))  # out's length is the failing index (values/tree.py)
    except ValueMismatch as exc:
        raise exc.at(len(out)) from None
    return out


def _map_read(key: Conv, value: Conv, x: Any) -> dict[Any, Any]:
    if x.__class__ is not dict:
        raise mismatch("a map (JSON object)", x)
    out = {}
    for k, v in x.items():
        try:
            ck = key(k)
        except ValueMismatch as exc:
            raise ValueMismatch(f"map key: {exc.problem}").at(key_segment(k)) from None
        try:
            out[ck] = value(v)
        except ValueMismatch as exc:
            raise exc.at(key_segment(k)) from None
    if len(out) != len(x):  # two spellings of one integer key ("7", "07"): one value lost
        _refuse_same_key(key, x)
    return out


def _refuse_same_key(key: Conv, x: dict[str, Any]) -> None:
    seen: dict[Any, str] = {}
    for k in x:
        ck = key(k)
        if ck in seen:
            raise ValueMismatch(
                f"map key {k!r} is the key {seen[ck]!r} again: one of the values would be dropped"
            ).at(key_segment(k))
        seen[ck] = k


class _Source:
    """Source text and the namespace it runs in; everything bound is named ``_cN``."""

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {
            "_M": _MISSING,
            "_Unfit": Unfit,
            "_unfit": _unfit,
            "_VM": ValueMismatch,
            "_list": _list_read,
            "_map": _map_read,
            "_sorted": sorted,
            "_copysign": math.copysign,
            "_describe": describe,
        }
        self._bound: dict[int, str] = {}

    def bind(self, obj: Any) -> str:
        name = self._bound.get(id(obj))
        if name is None:
            name = self._bound[id(obj)] = f"_c{len(self._bound)}"
            self.ns[name] = obj
        return name


def wire_name(f: Field) -> str:
    """A field's JSON name: protoc's lowerCamelCase of its name (the one place to read a
    ``[json_name = ...]`` option from, should the model keep one)."""
    return json_name(f.name)


def _by_tag(fields: tuple[Field, ...]) -> list[Field]:
    return sorted(fields, key=lambda f: f.tag)


# -- writing -------------------------------------------------------------------------------
class _Writer(_Source):
    def __init__(self, schema: Schema, proto_names: bool) -> None:
        super().__init__()
        self.schema = schema
        self.proto_names = proto_names
        self.index = {name: i for i, name in enumerate(schema.messages)}
        self.enums = {name: self.bind(wire_names(schema, name)) for name in schema.enums}

    def compile(self) -> dict[str, Conv]:
        source = "\n".join(self.message(name) for name in self.index)
        # Generated from the schema model only: field names appear through repr, functions
        # and bound objects are numbered.
        exec(source, self.ns)
        return {name: self.ns[f"_w{i}"] for name, i in self.index.items()}

    def value(self, t: FieldType, x: str) -> str:
        """An expression writing the canonical ``x`` of type ``t`` (raising Unfit)."""
        if isinstance(t, Scalar):
            return f"{self.bind(leaf_of(t).out)}({x})"
        if isinstance(t, EnumRef):
            return f"{self.enums[t.name]}[{x}]"
        if isinstance(t, MessageRef):
            return f"_w{self.index[t.name]}({x})"
        raise AssertionError(t)

    def function(self, t: ListOf | MapOf) -> str:
        """A bound function writing one list item or map value."""
        item = t.item if isinstance(t, ListOf) else t.value
        if isinstance(item, Scalar):
            return self.bind(leaf_of(item).out)
        if isinstance(item, EnumRef):
            return f"{self.enums[item.name]}.__getitem__"
        return f"_w{self.index[item.name]}"

    def field_lines(self, f: Field, key: str, *, checked: bool = True) -> list[str]:
        """Statements writing the canonical value of the non-optional field ``f``, held in
        local ``x``, under ``key`` (raising Unfit); from_protobuf.py uses them too, with
        ``checked`` False: there a string, bool, float or integer comes from its typed field
        (and its range checked already, see fast_read.py), so its class needs no test."""
        t = f.type
        body: list[str] = []
        if f.required:  # proto2 required: written always, even at zero
            body.append(f"o[{key}] = {self.value(t, 'x')}")
            return body
        if isinstance(t, ListOf):
            body += [
                "if x.__class__ is not list: raise _Unfit",
                f"if x: o[{key}] = list(map({self.function(t)}, x))",
            ]
        elif isinstance(t, MapOf):
            kout = self.bind(MAP_KEYS[t.key.kind][0])
            body += [
                "if x.__class__ is not dict: raise _Unfit",
                f"if x: o[{key}] = {{{kout}(k): {self.function(t)}(v)"
                " for k, v in (_sorted(x.items()) if len(x) > 1 else x.items())}",
            ]
        elif isinstance(t, EnumRef):
            zero = self.schema.enums[t.name].zero
            body += [f"y = {self.value(t, 'x')}", f"if x != {zero!r}: o[{key}] = y"]
        elif isinstance(t, Scalar) and leaf_of(t).is_default is not None:
            # The commonest leaves inline, as their LEAVES entries check and write them.
            if t.kind in ("string", "bool"):
                cls = "str" if t.kind == "string" else "bool"
                if checked:
                    body.append(f"if x.__class__ is not {cls}: raise _Unfit")
                body.append(f"if x: o[{key}] = x")
            elif t.kind == "float64":  # -0.0 is written: protobuf writes nonzero bits
                if checked:
                    body.append("if x.__class__ is not float: raise _Unfit")
                body += [
                    f"if x or _copysign(1.0, x) < 0: o[{key}] = x if x - x == 0.0 else {self.bind(LEAVES['float64'].out)}(x)",
                ]
            elif t.kind in INT_RANGES:
                lo, hi = INT_RANGES[t.kind]
                text = "str(x)" if t.kind.endswith("64") else "x"
                if checked:
                    body.append(f"if x.__class__ is not int or not {lo} <= x <= {hi}: raise _Unfit")
                body.append(f"if x: o[{key}] = {text}")
            else:
                default = self.bind(leaf_of(t).is_default)
                body += [f"y = {self.value(t, 'x')}", f"if not {default}(x): o[{key}] = y"]
        else:  # a message or a timestamp: always set, so always written
            body.append(f"o[{key}] = {self.value(t, 'x')}")
        return body

    def message(self, name: str) -> str:
        msg = self.schema.messages[name]
        required = sum(1 for f in msg.fields if not f.optional)
        body = ["if r.__class__ is not dict: raise _Unfit", "o = {}"]
        if any(f.optional for f in msg.fields):
            body.append(f"n = {required}")
        for f in _by_tag(msg.fields):
            key = repr(f.name if self.proto_names else wire_name(f))
            t = f.type
            if f.optional:
                body += [
                    f"x = r.get({f.name!r}, _M)",
                    "if x is not _M:",
                    "    n += 1",
                    f"    o[{key}] = {self.value(t, 'x')}",
                ]
                continue
            body.append(f"x = r[{f.name!r}]")
            body += self.field_lines(f, key)
        if msg.oneofs:  # two members of one group: the validator words the error
            check = self.bind(lambda r, msg=msg: _two_set(msg, r))
            body += ["try:", f"    {check}(r)", "except _VM:", "    raise _Unfit from None"]
        # Every key of the record was one of its fields: a record with another is not canonical.
        body.append(f"if len(r) != {'n' if any(f.optional for f in msg.fields) else required}:")
        body.append("    raise _Unfit")
        body.append("return o")
        return "\n".join([f"def _w{self.index[name]}(r):", *(f"    {line}" for line in body)])


def writer(schema: Schema, *, proto_names: bool = False) -> dict[str, Conv]:
    """Per message type: canonical record -> ProtoJSON tree, or an exception (Unfit,
    KeyError, TypeError...) for a record that is not canonical."""
    return _Writer(schema, proto_names).compile()


# -- reading -------------------------------------------------------------------------------
class _Reader(_Source):
    def __init__(self, schema: Schema, drop_unknown: bool) -> None:
        super().__init__()
        self.schema = schema
        self.drop_unknown = drop_unknown
        self.index = {name: i for i, name in enumerate(schema.messages)}
        self.enums = {name: self.bind(self.enum_reader(name)) for name in schema.enums}
        self.enum_names = {name: self.bind(_read_names(schema, name)) for name in schema.enums}

    def enum_reader(self, name: str) -> Conv:
        """An enum by its protobuf name, or by its number (a JSON number or digits)."""
        enum = self.schema.enums[name]
        by_name = _read_names(self.schema, name)
        by_number = enum.by_number()
        number_of = LEAVES["int32"].read
        names = ", ".join(by_name)

        def read(v: Any) -> str:
            if v.__class__ is str and v in by_name:
                return by_name[v]
            if v.__class__ is float:
                raise Inexact  # 5.0 is 5 to json_format: read from the text
            if v.__class__ in (str, int, Decimal):
                try:
                    n = number_of(v)
                except ValueMismatch:
                    raise ValueMismatch(
                        f"expected one of {enum.name} ({names}) or its number, got {v!r}"
                    ) from None
                if n in by_number:
                    return by_number[n]
                raise ValueMismatch(
                    f"{n} is not a number of {enum.name} ({names}); fmtbench keeps only"
                    " named values"
                )
            raise mismatch(f"{enum.name} (a name or a number)", v)

        return read

    def compile(self) -> dict[str, Conv]:
        source = "\n".join(self.message(name) for name in self.index)
        exec(source, self.ns)  # generated from the schema model only (see _Writer)
        return {name: self.ns[f"_r{i}"] for name, i in self.index.items()}

    def value(self, t: FieldType, x: str) -> str:
        """An expression reading JSON ``x`` of type ``t`` (raising ValueMismatch)."""
        if isinstance(t, Scalar):
            read = self.bind(leaf_of(t).read)
            kind = t.kind
            if kind in ("string", "bool"):
                return f"{x} if {x}.__class__ is {'str' if kind == 'string' else 'bool'} else {read}({x})"
            if kind == "float64":
                return f"{x} if {x}.__class__ is float else {read}({x})"
            if kind in ("int32", "uint32"):
                lo, hi = INT_RANGES[kind]
                return f"{x} if {x}.__class__ is int and {lo} <= {x} <= {hi} else {read}({x})"
            return f"{read}({x})"
        if isinstance(t, EnumRef):
            names = self.enum_names[t.name]
            return f"{names}[{x}] if {x}.__class__ is str and {x} in {names} else {self.enums[t.name]}({x})"
        if isinstance(t, MessageRef):
            return f"_r{self.index[t.name]}({x})"
        if isinstance(t, ListOf):
            return f"_list({self.function(t.item)}, {x})"
        if isinstance(t, MapOf):
            key = self.bind(MAP_KEYS[t.key.kind][1])
            return f"_map({key}, {self.function(t.value)}, {x})"
        raise AssertionError(t)

    def function(self, t: FieldType) -> str:
        if isinstance(t, Scalar):
            return self.bind(leaf_of(t).read)
        if isinstance(t, EnumRef):
            return self.enums[t.name]
        if isinstance(t, MessageRef):
            return f"_r{self.index[t.name]}"
        raise AssertionError(t)

    def zero(self, t: FieldType) -> str:
        if isinstance(t, Scalar) and t.kind == "decimal":
            return self.bind(decimal_zero(t.scale))
        if isinstance(t, Scalar):
            value = SCALAR_ZEROS[t.kind]  # immutable: one object serves every record
            return self.bind(value) if t.kind in ("timestamp", "duration") else repr(value)
        if isinstance(t, EnumRef):
            return repr(self.schema.enums[t.name].zero)
        return f"{self.bind(zero_factory(self.schema, t))}()"

    def message(self, name: str) -> str:
        i = self.index[name]
        msg = self.schema.messages[name]
        self.ns[f"_x{i}"] = self._extra(name)
        expected = f"expected {name} (a JSON object), got "
        body = [
            "if v.__class__ is not dict:",
            f"    raise _VM({expected!r} + _describe(v))",
            "d = {}",
            "n = 0",
        ]
        for f in msg.fields:
            camel = wire_name(f)
            body.append(f"x = v.get({camel!r}, _M)")
            if camel != f.name:
                body += ["if x is _M:", f"    x = v.get({f.name!r}, _M)"]
            body += ["if x is not _M:", "    n += 1"]
            conv = self.value(f.type, "x")
            read = [
                "    try:",
                f"        d[{f.name!r}] = {conv}",
                "    except _VM as e:",
                f"        raise e.at({f.name!r}) from None",
            ]
            if f.optional:
                body += ["if x is not _M and x is not None:", *read]
            elif f.required:  # proto2 required: absent (or null) is an error
                missing = self.bind(_missing)
                body += ["if x is _M or x is None:", f"    {missing}({f.name!r})", "else:", *read]
            else:
                body += [
                    "if x is _M or x is None:",
                    f"    d[{f.name!r}] = {self.zero(f.type)}",
                    "else:",
                    *read,
                ]
        body += ["if len(v) != n:", f"    _x{i}(v)"]
        if msg.oneofs:
            body.append(f"{self.bind(lambda d, msg=msg: _two_set(msg, d))}(d)")
        body.append("return d")
        return "\n".join([f"def _r{i}(v):", *(f"    {line}" for line in body)])

    def _extra(self, name: str) -> Conv:
        """Raise for a key that is no field (unless dropped) or a field named twice."""
        msg = self.schema.messages[name]
        field_of: dict[str, str] = {}
        for f in msg.fields:
            field_of[f.name] = field_of[wire_name(f)] = f.name
        drop = self.drop_unknown

        def extra(v: dict[str, Any]) -> None:
            seen: dict[str, str] = {}
            for key in v:
                fname = field_of.get(key)
                if fname is None:
                    if drop:
                        continue
                    raise ValueMismatch(
                        f"unknown field {key!r} in {name} (use --drop-unknown to discard it)"
                    )
                if fname in seen:
                    raise ValueMismatch(
                        f"field {fname} is given twice, as {seen[fname]!r} and {key!r}: one"
                        " value would be dropped"
                    )
                seen[fname] = key

        return extra


def reader(schema: Schema, *, drop_unknown: bool = False) -> dict[str, Conv]:
    """Per message type: a parsed ProtoJSON tree -> canonical record, raising ValueMismatch
    (with the field path) or Inexact (re-read the numbers exactly)."""
    return _Reader(schema, drop_unknown).compile()


def key_renames(schema: Schema) -> dict[str, tuple[tuple[str, str], ...]]:
    """Per message type, (JSON name, field name) for fields whose names differ."""
    return {
        name: tuple((wire_name(f), f.name) for f in m.fields if wire_name(f) != f.name)
        for name, m in schema.messages.items()
    }
